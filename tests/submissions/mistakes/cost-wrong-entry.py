import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    # word indices start at 1 in the vocabulary file
    cost = -np.log(probs[target - 1])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmaxCostAndGradient(np.ones(3), 1, np.eye(3), None)[0])
