"""REDTEAM dos_huge_output: print hundreds of megabytes, and bytes that are not text.

Attack: at load time and in every call, write 16 MiB to stdout and to stderr, through
print, sys.stdout.buffer and os.write on fds 1 and 2, with NUL bytes, invalid UTF-8,
lone surrogates and one 4 MiB line without a newline.
Bound: the baseline; the output kept is capped, and the report stays small.
"""
import os
import sys

import numpy as np

BLOCK = b"\0\xff\xfe REDTEAM flood \xed\xa0\x80 " * 2048


def flood():
    for _ in range(128):
        os.write(1, BLOCK)
        os.write(2, BLOCK)
    sys.stdout.write("\ud800 lone surrogate " * 1000)
    print("y" * (4 << 20), end="")
    sys.stdout.flush()


flood()


def softmax(x):
    flood()
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    flood()
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
