"""CS224d problem set 1, question 3: word2vec (a correct solution, for trying the grader)."""

import random

import numpy as np

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    """Scale each row of x to unit length."""
    return x / np.sqrt(np.sum(x * x, axis=1, keepdims=True))


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    """Softmax cost and gradients for word2vec.

    predicted      r_hat, the predicted (center) word vector, shape (d,)
    target         i, the index of the target (outside) word
    outputVectors  W, one output word vector per row, shape (V, d)
    dataset        unused here (negative sampling draws from it)

    Returns (cost, gradPred, grad):
      cost     = -log y_hat[i], with y_hat = softmax(W r_hat)
      gradPred = W^T (y_hat - y)            shape (d,)
      grad     = (y_hat - y) r_hat^T        shape (V, d)
    """
    y_hat = softmax(outputVectors.dot(predicted))
    cost = -np.log(y_hat[target])
    delta = y_hat.copy()
    delta[target] -= 1.0
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


def getNegativeSamples(target, dataset, K):
    """Draw K word indices other than target."""
    indices = []
    while len(indices) < K:
        idx = dataset.sampleTokenIdx()
        if idx != target:
            indices.append(idx)
    return indices


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    """Negative sampling cost and gradients for word2vec."""
    negatives = getNegativeSamples(target, dataset, K)
    grad = np.zeros(outputVectors.shape)
    s = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(s)
    gradPred = (s - 1.0) * outputVectors[target]
    grad[target] += (s - 1.0) * predicted
    for k in negatives:
        sk = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(sk)
        gradPred += (1.0 - sk) * outputVectors[k]
        grad[k] += (1.0 - sk) * predicted
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    """Skip-gram: predict each context word from the center word."""
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    center = tokens[currentWord]
    for word in contextWords:
        c, gp, g = word2vecCostAndGradient(inputVectors[center], tokens[word], outputVectors, dataset)
        cost += c
        gradIn[center] += gp
        gradOut += g
    return cost, gradIn, gradOut


def word2vec_sgd_wrapper(word2vecModel, tokens, wordVectors, dataset, C,
                         word2vecCostAndGradient=softmaxCostAndGradient):
    batchsize = 50
    cost = 0.0
    grad = np.zeros(wordVectors.shape)
    N = wordVectors.shape[0]
    inputVectors = wordVectors[:N // 2, :]
    outputVectors = wordVectors[N // 2:, :]
    for _ in range(batchsize):
        C1 = random.randint(1, C)
        centerword, context = dataset.getRandomContext(C1)
        c, gin, gout = word2vecModel(centerword, C1, context, tokens, inputVectors, outputVectors,
                                     dataset, word2vecCostAndGradient)
        cost += c / batchsize
        grad[:N // 2, :] += gin / batchsize
        grad[N // 2:, :] += gout / batchsize
    return cost, grad


def test_word2vec():
    """Gradient checks on a tiny made-up dataset."""
    dataset = type("dummy", (), {})()
    words = ["a", "b", "c", "d", "e"]
    dataset.sampleTokenIdx = lambda: random.randint(0, 4)
    dataset.getRandomContext = lambda C: (random.choice(words), [random.choice(words) for _ in range(2 * C)])
    random.seed(31415)
    np.random.seed(9265)
    vectors = normalizeRows(np.random.randn(10, 3))
    tokens = {w: i for i, w in enumerate(words)}
    print("==== Gradient check for skip-gram ====")
    gradcheck_naive(lambda v: word2vec_sgd_wrapper(skipgram, tokens, v, dataset, 5), vectors)
    gradcheck_naive(lambda v: word2vec_sgd_wrapper(skipgram, tokens, v, dataset, 5,
                                                   negSamplingCostAndGradient), vectors)


if __name__ == "__main__":
    test_word2vec()
