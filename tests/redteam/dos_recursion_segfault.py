"""REDTEAM dos_recursion_segfault: deep recursion and segmentation faults.

Attack: softmax recurses without end (first with the default limit, then with the limit
raised to 10^7 so that the C stack overflows), the cost function dereferences NULL
through ctypes on one case and corrupts the interpreter (writes into an int's
refcount) on another.
Bound: the baseline; the checks hit say "recursed too deeply" or "died (a segmentation
fault)", and the other calls run in a fresh process.
"""
import ctypes
import sys

import numpy as np


def softmax(x):
    if np.shape(x) == (5,):
        return softmax(x)
    if np.shape(x) == (6,):
        sys.setrecursionlimit(10**7)
        deeper = lambda n: list(map(deeper, [n]))  # every level goes through C: the C stack overflows
        return deeper(0)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 5:
        ctypes.string_at(0)
    if len(outputVectors) == 20:
        ctypes.memset(id(None), 0, 64)
        print(None)
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
