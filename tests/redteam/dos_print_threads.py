"""REDTEAM dos_print_threads: print without end from threads, and break sys.stdout.

Attack: start threads that print forever through print() (many tiny lines and long ones)
and write to fd 1 and 2 forever, then return from every call while they run; in some calls
replace sys.stdout and sys.stderr with objects whose write and flush raise, recurse
without end, or return garbage, before returning.
Bound: the baseline; every call still reports its outcome within its timeout, the output
kept stays within the cap, and the batch is not slowed beyond the calls' timeouts.
"""
import os
import sys
import threading

import numpy as np

_N = [0]


def _printer(long):
    line = "REDTEAM print flood " * (5000 if long else 1)
    while True:
        try:
            print(line)
        except BaseException:
            pass


def _raw(fd):
    block = b"REDTEAM raw flood\n" * 4096
    while True:
        try:
            os.write(fd, block)
        except BaseException:
            pass


class _Hostile:
    def __init__(self, how):
        self.how = how

    def write(self, text):
        if self.how == "raise":
            raise KeyboardInterrupt("REDTEAM write")
        if self.how == "recurse":
            return self.write(text)
        return object()

    def flush(self):
        if self.how == "raise":
            raise SystemExit("REDTEAM flush")
        if self.how == "recurse":
            return self.flush()
        return "garbage"

    def __getattr__(self, name):
        return self.flush


for target, arg in ((_printer, False), (_printer, True), (_raw, 1), (_raw, 2)):
    threading.Thread(target=target, args=(arg,), daemon=True).start()


def _break_stdout():
    _N[0] += 1
    how = ("raise", "recurse", "garbage", None)[_N[0] % 4]
    if how is not None:
        sys.stdout = _Hostile(how)
        sys.stderr = _Hostile(how)


def softmax(x):
    _break_stdout()
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    _break_stdout()
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
