"""A CS224d submission with one mistake: the gradient for the output vectors is transposed."""

import numpy as np


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(outputVectors.dot(predicted))
    cost = -np.log(y_hat[target])
    y = np.zeros_like(y_hat)
    y[target] = 1.0
    gradPred = outputVectors.T.dot(y_hat - y)
    grad = predicted[:, np.newaxis] * (y_hat - y)[np.newaxis, :]   # (d, V): the transpose of what is needed
    return cost, gradPred, grad


if __name__ == "__main__":
    W = np.random.randn(5, 3)
    print(softmaxCostAndGradient(np.random.randn(3), 2, W, None)[2].shape)
