import numpy as np

from q1_softmax import softmax


def getSentenceFeature(tokens, wordVectors, sentence):
    idx = [tokens[w] for w in sentence]
    return np.mean(wordVectors[idx, :], axis=0)


def softmaxRegression(features, labels, weights, regularization=0.0, nopredictions=False):
    prob = softmax(features.dot(weights))
    N = features.shape[0] if len(features.shape) > 1 else 1
    cost = np.sum(-np.log(prob[range(N), labels])) / N
    cost += 0.5 * regularization * np.sum(weights ** 2)
    pred = np.argmax(prob, axis=1)
    d = prob.copy()
    d[range(N), labels] -= 1
    grad = features.T.dot(d) + regularization * weights
    if nopredictions:
        return cost, grad
    return cost, grad, pred
