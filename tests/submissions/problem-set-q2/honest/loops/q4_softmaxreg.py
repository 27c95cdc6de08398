import numpy as np

from q1_softmax import softmax


def getSentenceFeature(tokens, wordVectors, sentence):
    v = np.zeros(wordVectors.shape[1])
    for w in sentence:
        v += wordVectors[tokens[w]]
    return v / len(sentence)


def softmaxRegression(features, labels, weights, regularization=0.0, nopredictions=False):
    N = features.shape[0]
    cost = 0.0
    grad = np.zeros(weights.shape)
    pred = np.zeros(N, dtype=int)
    for n in range(N):
        p = softmax(features[n].dot(weights))
        cost -= np.log(p[labels[n]]) / N
        p[labels[n]] -= 1
        grad += np.outer(features[n], p) / N
        pred[n] = np.argmax(p + (np.arange(len(p)) == labels[n]))
    cost += 0.5 * regularization * np.sum(weights ** 2)
    grad += regularization * weights
    if nopredictions:
        return cost, grad
    return cost, grad, pred
