"""REDTEAM weird_array_protocol: values whose conversion to an array attacks the reader.

Attack: __array__ that returns 10^8 elements, that never returns, that raises
KeyboardInterrupt or SystemExit, that returns another object with its own __array__,
and a __len__/__iter__ that never ends.
Bound: the baseline; a conversion that fails or hangs costs only its own check.
"""
import time

import numpy as np


class Huge:
    def __array__(self, dtype=None, copy=None):
        return np.broadcast_to(np.float64(0.2), (10**8,))


class Hangs:
    def __array__(self, dtype=None, copy=None):
        while True:
            time.sleep(0.01)


class Interrupts:
    def __array__(self, dtype=None, copy=None):
        raise KeyboardInterrupt("stop the grader")


class Exits:
    def __array__(self, dtype=None, copy=None):
        raise SystemExit(0)


class Endless:
    def __len__(self):
        return 3
    def __iter__(self):
        while True:
            yield 0.0


class Nested:
    def __array__(self, dtype=None, copy=None):
        return np.asarray(Huge())


def softmax(x):
    n = np.size(x)
    return [Huge(), Hangs(), Interrupts(), Exits(), Nested()][n % 5]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 20:
        return Interrupts(), Exits(), Hangs()
    return Endless()
