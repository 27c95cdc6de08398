import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def normalizeRows(x):
    return x / np.sqrt(np.sum(x ** 2, axis=1)).reshape(-1, 1)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y = softmax(outputVectors @ predicted)
    d = y.copy()
    d[target] -= 1
    return -np.log(y[target]), outputVectors.T @ d, np.outer(d, predicted)


def getNegativeSamples(target, dataset, K):
    out = []
    while len(out) < K:
        i = dataset.sampleTokenIdx()
        if i != target:
            out.append(i)
    return out


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    idx = [target] + getNegativeSamples(target, dataset, K)
    signs = np.array([1.0] + [-1.0] * K)
    u = outputVectors[idx]
    z = sigmoid(signs * (u @ predicted))
    cost = -np.sum(np.log(z))
    coef = signs * (z - 1.0)
    grad = np.zeros_like(outputVectors)
    np.add.at(grad, idx, np.outer(coef, predicted))
    return cost, coef @ u, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset,
             word2vecCostAndGradient=softmaxCostAndGradient):
    c = tokens[currentWord]
    parts = [word2vecCostAndGradient(inputVectors[c], tokens[w], outputVectors, dataset) for w in contextWords]
    gradIn = np.zeros_like(inputVectors)
    gradIn[c] = sum(p[1] for p in parts)
    return sum(p[0] for p in parts), gradIn, sum(p[2] for p in parts)


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset,
         word2vecCostAndGradient=softmaxCostAndGradient):
    idx = np.array([tokens[w] for w in contextWords])
    cost, gp, gradOut = word2vecCostAndGradient(inputVectors[idx].sum(axis=0), tokens[currentWord],
                                                outputVectors, dataset)
    gradIn = np.zeros_like(inputVectors)
    np.add.at(gradIn, idx, gp)
    return cost, gradIn, gradOut
