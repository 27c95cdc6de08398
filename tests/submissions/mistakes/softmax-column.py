import numpy as np


def softmax(x):
    # treat everything as a matrix with one column per example
    if len(x.shape) == 1:
        x = x.reshape(-1, 1)
        e = np.exp(x - np.max(x))
        return e / np.sum(e)
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))   # (V, 1)
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)          # (d, 1)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmax(np.array([1.0, 2.0])))
