"""REDTEAM weird_huge_return: return 10^8 numbers, and tuples longer than expected.

Attack: a 10^8-element array (a broadcast view costs no memory here, but would cost the
grader 800 MB), a tuple of ten million items, and a 10^6-long list of arrays, hoping the
grader reads it all.
Bound: the baseline; the sandbox refuses values over the element cap.
"""
import numpy as np


def softmax(x):
    return np.broadcast_to(np.float64(0.2), (10**8,))


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) > 100:
        return (0.0,) * 10_000_000
    return 0.0, [np.zeros(3)] * 1_000_000, np.broadcast_to(0.0, (10**4, 10**4))
