import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    # only the target word's output vector takes part in the cost
    grad = np.zeros(outputVectors.shape)
    grad[target] = (probs[target] - 1) * predicted
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmaxCostAndGradient(np.ones(3), 0, np.eye(3), None)[2])
