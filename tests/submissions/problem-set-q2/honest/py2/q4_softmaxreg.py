import numpy as np
import random

from cs224d.data_utils import *
from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q3_sgd import load_saved_params


def getSentenceFeature(tokens, wordVectors, sentence):
    sentVector = np.zeros((wordVectors.shape[1],))
    for word in sentence:
        sentVector += wordVectors[tokens[word], :]
    sentVector /= len(sentence)
    return sentVector


def softmaxRegression(features, labels, weights, regularization = 0.0, nopredictions = False):
    prob = softmax(features.dot(weights))
    if len(features.shape) > 1:
        N = features.shape[0]
    else:
        N = 1
    cost = np.sum(-np.log(prob[range(N), labels])) / N
    cost += 0.5 * regularization * np.sum(weights ** 2)
    pred = np.argmax(prob, axis=1)
    dx = prob
    dx[range(N), labels] -= 1.0
    grad = features.T.dot(dx) / N + regularization * weights
    if nopredictions:
        return cost, grad
    else:
        return cost, grad, pred
