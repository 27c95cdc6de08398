"""CS224n assignment 2: word2vec (a correct solution, for trying the grader)."""

import random

import numpy as np

from utils.gradcheck import gradcheck_naive, grad_tests_softmax, grad_tests_negsamp
from utils.utils import normalizeRows, softmax


def sigmoid(x):
    """Compute the sigmoid function for the input here."""
    return 1.0 / (1.0 + np.exp(-x))


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    """Naive softmax loss and gradients for word2vec.

    centerWordVec   v_c, shape (d,)
    outsideWordIdx  o, the index of the outside word
    outsideVectors  U, one outside word vector per row, shape (V, d)
    dataset         unused here

    Returns (loss, gradCenterVec, gradOutsideVecs):
      loss = -log y_hat[o], y_hat = softmax(U v_c); gradCenterVec = U^T (y_hat - y);
      gradOutsideVecs = (y_hat - y) v_c^T.
    """
    y_hat = softmax(outsideVectors @ centerWordVec)
    loss = -np.log(y_hat[outsideWordIdx])
    y_hat_minus_y = y_hat.copy()
    y_hat_minus_y[outsideWordIdx] -= 1.0
    gradCenterVec = outsideVectors.T @ y_hat_minus_y
    gradOutsideVecs = np.outer(y_hat_minus_y, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs


def getNegativeSamples(outsideWordIdx, dataset, K):
    """Samples K indexes which are not the outsideWordIdx."""
    negSampleWordIndices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == outsideWordIdx:
            newidx = dataset.sampleTokenIdx()
        negSampleWordIndices[k] = newidx
    return negSampleWordIndices


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    """Negative sampling loss and gradients for word2vec."""
    negatives = getNegativeSamples(outsideWordIdx, dataset, K)
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    s = sigmoid(outsideVectors[outsideWordIdx] @ centerWordVec)
    loss = -np.log(s)
    gradCenterVec = (s - 1.0) * outsideVectors[outsideWordIdx]
    gradOutsideVecs[outsideWordIdx] += (s - 1.0) * centerWordVec
    for k in negatives:
        sk = sigmoid(-outsideVectors[k] @ centerWordVec)
        loss -= np.log(sk)
        gradCenterVec += (1.0 - sk) * outsideVectors[k]
        gradOutsideVecs[k] += (1.0 - sk) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    """Skip-gram model in word2vec."""
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    c = word2Ind[currentCenterWord]
    for word in outsideWords:
        l, gc, go = word2vecLossAndGradient(centerWordVectors[c], word2Ind[word], outsideVectors, dataset)
        loss += l
        gradCenterVecs[c] += gc
        gradOutsideVectors += go
    return loss, gradCenterVecs, gradOutsideVectors


def test_word2vec():
    """Gradient checks of skip-gram on a tiny made-up dataset (the starter's test code)."""
    dataset = type("dummy", (), {})()

    def dummySampleTokenIdx():
        return random.randint(0, 4)

    def getRandomContext(C):
        tokens = ["a", "b", "c", "d", "e"]
        return tokens[random.randint(0, 4)], [tokens[random.randint(0, 4)] for i in range(2 * C)]

    dataset.sampleTokenIdx = dummySampleTokenIdx
    dataset.getRandomContext = getRandomContext

    random.seed(31415)
    np.random.seed(9265)
    dummy_vectors = normalizeRows(np.random.randn(10, 3))
    dummy_tokens = dict([("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)])
    grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset)
    grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset, negSamplingLossAndGradient)


if __name__ == "__main__":
    test_word2vec()
