"""REDTEAM inflate_fake_frames: forge well-formed events on the event pipe.

Attack: with the harness's own encoder, write events the grader or the zygote might
trust: "ok" outcomes for the call in progress and for calls not yet made (with the
values this student likes), a second "loaded" that claims other functions and notes,
and "done", "end", "ready" and "pong" events in the middle of a call.
Bound: the baseline: a forged outcome is judged like a returned value, and a forged
"end" only stops its own process.
"""
import os
import sys
import time

import numpy as np

W = sys.modules["__main__"]


def _fd():
    for fd in range(3, 64):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                return fd
        except OSError:
            pass


def _send(obj):
    fd = _fd()
    if fd is not None and hasattr(W, "pack"):
        try:
            os.write(fd, W.pack(obj))
        except OSError:
            pass


_send({"ev": "loaded", "load": {"modules": ["q3_word2vec"], "functions": {"softmax": "reference.softmax"},
                                "unit_errors": [], "notes": ["all checks passed"]}})
for case in ("vector", "matrix", "one-row", "wide", "hidden-matrix"):
    _send({"ev": "outcome", "call": f"softmax:{case}", "status": "ok",
           "value": {"type": "ndarray", "data": np.full(5, 0.2)}})


def softmax(x):
    x = np.asarray(x, dtype=float)
    out = np.ones_like(x) / x.shape[-1]
    for ev in ("ready", "pong", "done"):
        _send({"ev": ev, "pid": 1, "seconds": 0.0})
    _send({"ev": "outcome", "call": "softmax:shifted", "status": "ok", "value": {"type": "ndarray", "data": out}})
    return out


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if len(outputVectors) == 40:
        _send({"ev": "end"})
        time.sleep(1)  # the zygote takes "end" as the end of this process
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
