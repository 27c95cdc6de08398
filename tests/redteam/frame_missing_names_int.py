"""REDTEAM frame_missing_names_int: a forged "missing" outcome whose names is a number.

Attack: write, for the call about to run, an outcome frame with status "missing" and
"missing": {"names": 5}; the zygote forwards it, and the grader's _message evaluates
names[0] on an int.
Bound: the baseline, and the batch goes on.
"""
import json
import os
import struct

import numpy as np


def _forge(call):
    for fd in range(3, 64):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                raw = json.dumps({"ev": "outcome", "call": call, "status": "missing",
                                  "missing": {"names": 5}, "$blobs": []}).encode()
                os.write(fd, struct.pack(">IQ", len(raw), 0) + raw)
        except OSError:
            pass


def softmax(x):
    _forge("softmax:vector")
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
