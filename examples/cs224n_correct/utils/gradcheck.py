"""The CS224n assignment 2 starter's utils/gradcheck.py: a numerical gradient check and the test drivers.

Students do not write these; word2vec.py imports them for its own tests
(``python word2vec.py``).  Written here for the example.
"""

import random

import numpy as np


def gradcheck_naive(f, x, gradientText):
    """Gradient check for a function f.

    f             a function that takes a single argument and outputs the loss and its gradients
    x             the point (numpy array) to check the gradient at
    gradientText  a string naming the gradient, for the messages
    """
    rndstate = random.getstate()
    random.setstate(rndstate)
    fx, grad = f(x)  # Evaluate function value at original point
    h = 1e-4         # Do not change this!

    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        random.setstate(rndstate)
        fxh = f(x)[0]
        x[ix] = old - h
        random.setstate(rndstate)
        fxnh = f(x)[0]
        x[ix] = old
        numgrad = (fxh - fxnh) / 2 / h

        reldiff = abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix]))
        if reldiff > 1e-5:
            print("Gradient check failed for %s." % gradientText)
            print("First gradient error found at index %s in the vector of gradients" % str(ix))
            print("Your gradient: %f \t Numerical gradient: %f" % (grad[ix], numgrad))
            return False
        it.iternext()

    print("Gradient check passed!")
    return True


def _check_skipgram(skipgram, dummy_tokens, dummy_vectors, dataset, lossAndGradient, name):
    """Check skip-gram's gradients for one center word and its window, with lossAndGradient."""
    half = dummy_vectors.shape[0] // 2

    def f(vectors):
        loss, gradCenter, gradOutside = skipgram("c", 3, ["a", "b", "e", "d", "b", "c"], dummy_tokens,
                                                 vectors[:half, :], vectors[half:, :], dataset, lossAndGradient)
        return loss, np.concatenate([gradCenter, gradOutside], axis=0)

    return gradcheck_naive(f, dummy_vectors.copy(), name + " gradient")


def grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset):
    """Gradient check of skip-gram with its default loss, naiveSoftmaxLossAndGradient."""
    print("======Skip-Gram with naiveSoftmaxLossAndGradient======")
    default = skipgram.__defaults__[-1]
    assert _check_skipgram(skipgram, dummy_tokens, dummy_vectors, dataset, default, "naiveSoftmaxLossAndGradient")


def grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset, negSamplingLossAndGradient):
    """Gradient check of skip-gram with negSamplingLossAndGradient."""
    print("======Skip-Gram with negSamplingLossAndGradient======")
    assert _check_skipgram(skipgram, dummy_tokens, dummy_vectors, dataset, negSamplingLossAndGradient,
                           "negSamplingLossAndGradient")
