import numpy as np


def softmax(x):
    if x.ndim == 1:
        e = np.exp(x - np.max(x))
        return e / np.sum(e)
    # matrix: one softmax per column
    e = np.exp(x - np.max(x, axis=0))
    return e / np.sum(e, axis=0)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    d = probs.copy()
    d[target] -= 1.0
    return cost, outputVectors.T.dot(d), np.outer(d, predicted)


if __name__ == "__main__":
    print(softmax(np.array([[1, 2], [3, 4]])))
