"""REDTEAM dos_exits: leave by every door: exceptions the harness might not catch, exits.

Attack: raise KeyboardInterrupt, SystemExit, GeneratorExit and a BaseException subclass
whose __str__, __repr__ and __class__.__name__ attack the reader (a __str__ that raises,
one that is 10 MB long), call os._exit(0) and os.abort(), and raise an exception
whose traceback holds a frame with a huge line number.
Bound: the baseline; each of these costs only its own check.
"""
import os
import sys

import numpy as np


class Sneaky(BaseException):
    def __str__(self):
        raise Sneaky()


class Long(Exception):
    def __str__(self):
        return "L" * (10 << 20)


def softmax(x):
    n = np.size(x)
    if n == 5:
        raise KeyboardInterrupt("stop grading")
    if n == 24:
        raise SystemExit("bye")
    if n == 7:
        raise GeneratorExit()
    if n == 12:
        raise Sneaky()
    if n == 6:
        raise Long()
    if n == 15:
        exec(compile("\n" * 10**6 + "raise ValueError('deep')", "<attack>", "exec"))
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 5:
        os._exit(0)
    if len(outputVectors) == 40:
        os.abort()
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
