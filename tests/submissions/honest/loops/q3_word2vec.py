import math
import random

import numpy as np

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    out = np.zeros(x.shape)
    for i in range(x.shape[0]):
        norm = math.sqrt(sum(v * v for v in x[i]))
        out[i] = x[i] / norm
    return out


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    """Cost and gradients of the softmax-CE loss, one word at a time."""
    V, d = outputVectors.shape
    scores = np.zeros(V)
    for j in range(V):
        s = 0.0
        for k in range(d):
            s += outputVectors[j, k] * predicted[k]
        scores[j] = s
    probs = softmax(scores)
    cost = -math.log(probs[target])

    gradPred = np.zeros(d)
    grad = np.zeros((V, d))
    for j in range(V):
        coef = probs[j] - (1.0 if j == target else 0.0)
        for k in range(d):
            gradPred[k] += coef * outputVectors[j, k]
            grad[j, k] = coef * predicted[k]
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    idx = tokens[currentWord]
    for w in contextWords:
        c, gp, g = word2vecCostAndGradient(inputVectors[idx], tokens[w], outputVectors, dataset)
        cost += c
        gradIn[idx] += gp
        gradOut += g
    return cost, gradIn, gradOut


if __name__ == "__main__":
    random.seed(1)
    v = normalizeRows(np.random.randn(5, 3))
    print(softmaxCostAndGradient(v[0], 2, v, None))
    gradcheck_naive(lambda p: softmaxCostAndGradient(p, 2, v, None)[:2], v[0])
