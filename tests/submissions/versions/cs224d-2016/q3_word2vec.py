import random

import numpy as np

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    return x / np.sqrt(np.sum(x ** 2, axis=1, keepdims=True))


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    scores = outputVectors.dot(predicted)
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    # 2016: the samples are drawn here; a draw equal to the target is drawn again
    samples = []
    while len(samples) < K:
        k = dataset.sampleTokenIdx()
        if k != target:
            samples.append(k)
    grad = np.zeros(outputVectors.shape)
    s = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(s)
    gradPred = (s - 1) * outputVectors[target]
    grad[target] += (s - 1) * predicted
    for k in samples:
        t = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(t)
        gradPred += (1 - t) * outputVectors[k]
        grad[k] += (1 - t) * predicted
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    c = tokens[currentWord]
    for word in contextWords:
        dc, dpred, dout = word2vecCostAndGradient(inputVectors[c], tokens[word], outputVectors, dataset)
        cost += dc
        gradIn[c] += dpred
        gradOut += dout
    return cost, gradIn, gradOut


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    gradIn = np.zeros(inputVectors.shape)
    idx = [tokens[w] for w in contextWords]
    predicted = inputVectors[idx].sum(axis=0)
    cost, dpred, gradOut = word2vecCostAndGradient(predicted, tokens[currentWord], outputVectors, dataset)
    for i in idx:
        gradIn[i] += dpred
    return cost, gradIn, gradOut


if __name__ == "__main__":
    print "==== Gradient check for skip-gram ===="
