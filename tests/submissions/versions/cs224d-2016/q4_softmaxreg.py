import numpy as np
import random

from cs224d.data_utils import *

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q3_sgd import load_saved_params


def getSentenceFeature(tokens, wordVectors, sentence):
    return np.mean(wordVectors[[tokens[w] for w in sentence]], axis=0)


def softmaxRegression(features, labels, weights, regularization=0.0, nopredictions=False):
    scores = features.dot(weights)
    scores = scores - scores.max(axis=1, keepdims=True)
    prob = np.exp(scores)
    prob /= prob.sum(axis=1, keepdims=True)
    N = features.shape[0]
    cost = np.sum(-np.log(prob[range(N), labels])) / N
    cost += 0.5 * regularization * np.sum(weights ** 2)
    delta = prob.copy()
    delta[range(N), labels] -= 1
    grad = features.T.dot(delta) / N + regularization * weights
    pred = np.argmax(prob, axis=1)
    if nopredictions:
        return cost, grad
    return cost, grad, pred
