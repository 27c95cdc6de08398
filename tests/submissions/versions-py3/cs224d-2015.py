import random
import numpy as np

# the notebook's set-up: a dummy dataset and the network's sizes, as globals
dataset = type('dummy', (), {})()
def dummySampleTokenIdx():
    return random.randint(0, 4)
dataset.sampleTokenIdx = dummySampleTokenIdx
dimensions = [10, 5, 10]


def softmax(x):
    if x.ndim == 1:
        z = np.exp(x - x.max())
        return z / z.sum()
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_grad(f):
    return f * (1.0 - f)


def forward_backward_prop(data, labels, params):
    t = 0
    W1 = np.reshape(params[t:t + dimensions[0] * dimensions[1]], (dimensions[0], dimensions[1]))
    t += dimensions[0] * dimensions[1]
    b1 = np.reshape(params[t:t + dimensions[1]], (1, dimensions[1]))
    t += dimensions[1]
    W2 = np.reshape(params[t:t + dimensions[1] * dimensions[2]], (dimensions[1], dimensions[2]))
    t += dimensions[1] * dimensions[2]
    b2 = np.reshape(params[t:t + dimensions[2]], (1, dimensions[2]))
    h = sigmoid(data.dot(W1) + b1)
    yhat = softmax(h.dot(W2) + b2)
    cost = -np.sum(labels * np.log(yhat))
    d2 = yhat - labels
    gradW2 = h.T.dot(d2)
    gradb2 = d2.sum(axis=0, keepdims=True)
    d1 = d2.dot(W2.T) * sigmoid_grad(h)
    gradW1 = data.T.dot(d1)
    gradb1 = d1.sum(axis=0, keepdims=True)
    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(), gradW2.flatten(), gradb2.flatten()))
    return cost, grad


def softmaxCostAndGradient(predicted, target, outputVectors):
    p = softmax(outputVectors.dot(predicted))
    cost = -np.log(p[target])
    p[target] -= 1
    return cost, outputVectors.T.dot(p), np.outer(p, predicted)


def negSamplingCostAndGradient(predicted, target, outputVectors, K=10):
    grad = np.zeros(outputVectors.shape)
    s = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(s)
    gradPred = (s - 1) * outputVectors[target]
    grad[target] += (s - 1) * predicted
    for _ in range(K):
        k = dataset.sampleTokenIdx()
        while k == target:
            k = dataset.sampleTokenIdx()
        sk = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(sk)
        gradPred += (1 - sk) * outputVectors[k]
        grad[k] += (1 - sk) * predicted
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             word2vecCostAndGradient=softmaxCostAndGradient):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    i = tokens[currentWord]
    for w in contextWords:
        c, gp, g = word2vecCostAndGradient(inputVectors[i], tokens[w], outputVectors)
        cost += c
        gradIn[i] += gp
        gradOut += g
    return cost, gradIn, gradOut
