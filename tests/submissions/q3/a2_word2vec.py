import random

import numpy as np
from utils.utils import normalizeRows, softmax


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    probs = softmax(outsideVectors @ centerWordVec)
    loss = -np.log(probs[outsideWordIdx])
    delta = probs.copy()
    delta[outsideWordIdx] -= 1.0
    return loss, outsideVectors.T @ delta, np.outer(delta, centerWordVec)


def getNegativeSamples(outsideWordIdx, dataset, K):
    picked = []
    for _ in range(K):
        idx = dataset.sampleTokenIdx()
        while idx == outsideWordIdx:
            idx = dataset.sampleTokenIdx()
        picked.append(idx)
    return picked


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negs = getNegativeSamples(outsideWordIdx, dataset, K)
    s_out = sigmoid(outsideVectors[outsideWordIdx] @ centerWordVec)
    s_neg = sigmoid(-outsideVectors[negs] @ centerWordVec)
    loss = -np.log(s_out) - np.sum(np.log(s_neg))
    gradCenterVec = (s_out - 1) * outsideVectors[outsideWordIdx] + (1 - s_neg) @ outsideVectors[negs]
    gradOutsideVecs = np.zeros_like(outsideVectors)
    gradOutsideVecs[outsideWordIdx] += (s_out - 1) * centerWordVec
    for j, k in enumerate(negs):
        gradOutsideVecs[k] += (1 - s_neg[j]) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors, outsideVectors,
             dataset, word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    center = word2Ind[currentCenterWord]
    for word in outsideWords:
        l, gc, go = word2vecLossAndGradient(centerWordVectors[center], word2Ind[word], outsideVectors, dataset)
        loss += l
        gradCenterVecs[center] += gc
        gradOutsideVectors += go
    return loss, gradCenterVecs, gradOutsideVectors


if __name__ == "__main__":
    random.seed(31415)
    np.random.seed(9265)
