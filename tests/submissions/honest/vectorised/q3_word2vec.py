import numpy as np
import random

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    """ Row normalization function: each row of x gets unit length. """
    norms = np.sqrt(np.sum(x ** 2, axis=1, keepdims=True))
    return x / norms


def test_normalize_rows():
    print("Testing normalizeRows...")
    x = normalizeRows(np.array([[3.0, 4.0], [1, 2]]))
    print(x)
    assert np.allclose(x, np.array([[0.6, 0.8], [0.4472136, 0.89442719]]))
    print("")


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    """ Softmax cost function for word2vec models

    predicted -- the predicted (center) word vector, shape (d,)
    target -- integer, the index of the target word
    outputVectors -- "output" vectors (as rows) for all tokens, shape (V, d)
    dataset -- not used by the softmax cost

    Returns cost, gradPred (d,), grad (V, d)
    """
    scores = outputVectors.dot(predicted)      # (V,)
    probs = softmax(scores)                    # y hat
    cost = -np.log(probs[target])

    delta = probs.copy()
    delta[target] -= 1.0                       # y hat - y
    gradPred = outputVectors.T.dot(delta)      # (d,)
    grad = np.outer(delta, predicted)          # (V, d)
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
    indices = [target] + getNegativeSamples(target, dataset, K)
    grad = np.zeros(outputVectors.shape)
    gradPred = np.zeros(predicted.shape)

    z = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(z)
    grad[target] += predicted * (z - 1.0)
    gradPred += outputVectors[target] * (z - 1.0)

    for k in indices[1:]:
        zk = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(zk)
        grad[k] += -(zk - 1.0) * predicted
        gradPred += -(zk - 1.0) * outputVectors[k]
    return cost, gradPred, grad


def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    """ Skip-gram model in word2vec """
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)

    center = tokens[currentWord]
    predicted = inputVectors[center]
    for word in contextWords:
        c, gin, gout = word2vecCostAndGradient(predicted, tokens[word], outputVectors, dataset)
        cost += c
        gradIn[center] += gin
        gradOut += gout
    return cost, gradIn, gradOut


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    """ CBOW model in word2vec """
    gradIn = np.zeros(inputVectors.shape)
    indices = [tokens[w] for w in contextWords]
    predicted = np.sum(inputVectors[indices], axis=0)
    cost, gin, gradOut = word2vecCostAndGradient(predicted, tokens[currentWord], outputVectors, dataset)
    for i in indices:
        gradIn[i] += gin
    return cost, gradIn, gradOut


def word2vec_sgd_wrapper(word2vecModel, tokens, wordVectors, dataset, C,
                         word2vecCostAndGradient=softmaxCostAndGradient):
    batchsize = 50
    cost = 0.0
    grad = np.zeros(wordVectors.shape)
    N = wordVectors.shape[0]
    inputVectors = wordVectors[:N // 2, :]
    outputVectors = wordVectors[N // 2:, :]
    for i in range(batchsize):
        C1 = random.randint(1, C)
        centerword, context = dataset.getRandomContext(C1)
        if word2vecModel == skipgram:
            denom = 1
        else:
            denom = 1
        c, gin, gout = word2vecModel(centerword, C1, context, tokens, inputVectors, outputVectors,
                                     dataset, word2vecCostAndGradient)
        cost += c / batchsize / denom
        grad[:N // 2, :] += gin / batchsize / denom
        grad[N // 2:, :] += gout / batchsize / denom
    return cost, grad


def test_word2vec():
    dataset = type('dummy', (), {})()

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
    print("==== Gradient check for skip-gram ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(skipgram, dummy_tokens, vec, dataset, 5), dummy_vectors)
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(skipgram, dummy_tokens, vec, dataset, 5,
                                                     negSamplingCostAndGradient), dummy_vectors)
    print("\n==== Gradient check for CBOW      ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(cbow, dummy_tokens, vec, dataset, 5), dummy_vectors)


if __name__ == "__main__":
    test_normalize_rows()
    test_word2vec()
