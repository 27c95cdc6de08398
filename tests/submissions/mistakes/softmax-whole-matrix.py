import numpy as np


def softmax(x):
    # shift by the largest entry, then normalise
    shifted = np.exp(x - np.max(x))
    return shifted / np.sum(shifted)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1.0
    return cost, outputVectors.T.dot(delta), np.outer(delta, predicted)
