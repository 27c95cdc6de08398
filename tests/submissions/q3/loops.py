import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def normalizeRows(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y = softmax(outputVectors.dot(predicted))
    cost = -np.log(y[target])
    d = y.copy()
    d[target] -= 1
    return cost, outputVectors.T.dot(d), np.outer(d, predicted)


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
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
        sk = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(sk)
        gradPred = gradPred + (1 - sk) * outputVectors[k]
        grad[k] += (1 - sk) * predicted
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset,
             word2vecCostAndGradient=softmaxCostAndGradient):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    c = tokens[currentWord]
    for w in contextWords:
        cc, gp, g = word2vecCostAndGradient(inputVectors[c], tokens[w], outputVectors, dataset)
        cost += cc
        gradIn[c] += gp
        gradOut += g
    return cost, gradIn, gradOut


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset,
         word2vecCostAndGradient=softmaxCostAndGradient):
    idx = [tokens[w] for w in contextWords]
    pred = np.sum(inputVectors[idx], axis=0)
    cost, gp, gradOut = word2vecCostAndGradient(pred, tokens[currentWord], outputVectors, dataset)
    gradIn = np.zeros(inputVectors.shape)
    for i in idx:
        gradIn[i] += gp
    return cost, gradIn, gradOut
