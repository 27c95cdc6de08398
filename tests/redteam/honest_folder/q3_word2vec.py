"""Honest, correct CS224d folder submission: q3_word2vec.py (HONEST-SECRET-folder-q3)."""
import numpy as np
import random

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    return x / np.sqrt(np.sum(x ** 2, axis=1, keepdims=True))


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    dscores = probs.copy()
    dscores[target] -= 1.0
    gradPred = dscores.dot(outputVectors)
    grad = dscores[:, np.newaxis] * predicted[np.newaxis, :]
    return cost, gradPred, grad


if __name__ == "__main__":
    random.seed(31415)
    np.random.seed(9265)
    print(normalizeRows(np.array([[3.0, 4.0], [1.0, 2.0]])))
