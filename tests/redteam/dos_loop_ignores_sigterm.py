"""REDTEAM dos_loop_ignores_sigterm: an infinite loop that ignores every catchable signal.

Attack: on the vector case softmax ignores SIGTERM, SIGINT, SIGALRM, SIGHUP and SIGXCPU,
cancels any timer, blocks the catchable signals and spins forever in C (a numpy loop)
and in Python.
Bound: softmax/vector scores 0 with the timeout message; the other checks still run.
"""
import signal

import numpy as np


def softmax(x):
    if np.shape(x) == (5,):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
        a = np.ones(10**6)
        while True:
            try:
                a = np.sqrt(a * a)
            except BaseException:
                pass
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
