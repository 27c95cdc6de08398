"""REDTEAM dos_close_std: close stdin, stdout and stderr, and break sys.stdout.

Attack: close fds 0, 1 and 2 at load time, replace sys.stdout and sys.stderr by objects
whose write raises, dup a pipe's write end onto fd 1 so that printing blocks, then
print in every call.
Bound: the baseline; the grader still gets every result (the extreme case, whose write
blocks, is stopped by its timeout).
"""
import os
import sys

import numpy as np


class Broken:
    def write(self, s):
        raise OSError("no more output")

    def flush(self):
        raise OSError("no more output")


r, w = os.pipe()
os.close(0)
os.close(1)
os.close(2)
os.dup2(w, 1)
sys.stdout = Broken()
sys.stderr = Broken()


def softmax(x):
    try:
        print("x" * 100000)
    except OSError:
        pass
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 40:
        try:
            os.write(1, b"y" * 1000000)  # nobody reads this pipe: blocks until stopped
        except OSError:
            pass
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
