"""REDTEAM inflate_settrace: leave tracing and profiling hooks on in the harness.

Attack: sys.settrace/sys.setprofile and threading hooks that run on every harness
frame after the student's function returns, rewriting the harness's local variables
(through frame.f_locals) to pretend a pass, and raising inside the harness when that
does not stick.
Bound: the baseline.
"""
import sys
import threading

import numpy as np


def _tracer(frame, event, arg):
    if frame.f_code.co_filename.endswith("worker.py"):
        loc = frame.f_locals
        if "out" in loc and isinstance(loc["out"], dict):
            loc["out"]["status"] = "ok"
    return _tracer


def _profiler(frame, event, arg):
    if event == "return" and frame.f_code.co_name == "_describe" and isinstance(arg, dict):
        arg["type"] = "ndarray"


sys.settrace(_tracer)
sys.setprofile(_profiler)
threading.settrace(_tracer)
threading.setprofile(_profiler)


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

