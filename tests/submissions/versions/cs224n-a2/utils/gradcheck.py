#!/usr/bin/env python

import numpy as np
import random


def gradcheck_naive(f, x, gradientText):
    rndstate = random.getstate()
    random.setstate(rndstate)
    fx, grad = f(x)
    h = 1e-4
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        ix = it.multi_index
        x[ix] += h
        random.setstate(rndstate)
        fp = f(x)[0]
        x[ix] -= 2 * h
        random.setstate(rndstate)
        fm = f(x)[0]
        x[ix] += h
        numgrad = (fp - fm) / (2 * h)
        if abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix])) > 1e-5:
            print("Gradient check failed for %s." % gradientText)
            return
        it.iternext()
    print("Gradient check passed!. Read the docstring of the `gradcheck_naive` method")


def grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset):
    print("(the course's own test of skipgram with naive softmax)")


def grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset, negSamplingLossAndGradient):
    print("(the course's own test of skipgram with negative sampling)")
