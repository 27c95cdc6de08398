import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    scores = outputVectors.dot(predicted)
    probs = softmax(scores)
    cost = -np.log(probs[target])
    expScores = np.exp(scores)
    expScores[target] -= 1
    gradPred = outputVectors.T.dot(expScores)
    delta = probs.copy()
    delta[target] -= 1
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmaxCostAndGradient(np.ones(3), 0, np.eye(3), None)[1])
