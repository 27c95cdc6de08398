#!/usr/bin/env python

import numpy as np
import random

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    """ Row normalization function """
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    """ Softmax cost function for word2vec models """
    yhat = softmax(outputVectors.dot(predicted))
    cost = -np.log(yhat[target])
    yhat[target] -= 1.0
    gradPred = outputVectors.T.dot(yhat)
    grad = np.outer(yhat, predicted)
    return cost, gradPred, grad


def getNegativeSamples(target, dataset, K):
    """ Samples K indexes which are not the target """
    indices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == target:
            newidx = dataset.sampleTokenIdx()
        indices[k] = newidx
    return indices


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    """ Negative sampling cost function for word2vec models """
    indices = [target]
    indices.extend(getNegativeSamples(target, dataset, K))
    grad = np.zeros(outputVectors.shape)
    pos = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(pos)
    gradPred = (pos - 1.0) * outputVectors[target]
    grad[target] += (pos - 1.0) * predicted
    for k in indices[1:]:
        neg = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(neg)
        gradPred += (1.0 - neg) * outputVectors[k]
        grad[k] += (1.0 - neg) * predicted
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    center = tokens[currentWord]
    for w in contextWords:
        c, gp, go = word2vecCostAndGradient(inputVectors[center], tokens[w], outputVectors, dataset)
        cost += c
        gradIn[center] += gp
        gradOut += go
    return cost, gradIn, gradOut


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    gradIn = np.zeros(inputVectors.shape)
    ids = [tokens[w] for w in contextWords]
    cost, gp, gradOut = word2vecCostAndGradient(np.sum(inputVectors[ids], axis=0), tokens[currentWord],
                                                outputVectors, dataset)
    for i in ids:
        gradIn[i] += gp
    return cost, gradIn, gradOut


if __name__ == "__main__":
    print("see test_word2vec")
