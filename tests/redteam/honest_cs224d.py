"""Honest, correct CS224d submission, q3_word2vec style (HONEST-SECRET-cs224d)."""
import numpy as np


def softmax(x):
    orig_shape = x.shape
    if len(x.shape) > 1:
        x = x - np.max(x, axis=1, keepdims=True)
        x = np.exp(x)
        x = x / np.sum(x, axis=1, keepdims=True)
    else:
        x = x - np.max(x)
        x = np.exp(x)
        x = x / np.sum(x)
    assert x.shape == orig_shape
    return x


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(outputVectors.dot(predicted))
    cost = -np.log(y_hat[target])
    delta = y_hat.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmax(np.array([1001.0, 1002.0])))
