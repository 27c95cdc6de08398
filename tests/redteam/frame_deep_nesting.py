"""REDTEAM frame_deep_nesting: a forged outcome nested 700 lists deep.

Attack: the zygote parses it (its stack is shallow) and forwards it; the grader's
recursive unpack() exceeds the recursion limit, and RecursionError is not among the
exceptions _safe_unpack catches.
Bound: the baseline, and the batch goes on.
"""
import json
import os
import struct

import numpy as np


def _forge(call):
    body = '{"ev": "outcome", "call": "%s", "status": "ok", "value": %s, "$blobs": []}' % (
        call, "[" * 700 + "]" * 700)
    raw = body.encode()
    for fd in range(3, 64):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.write(fd, struct.pack(">IQ", len(raw), 0) + raw)
        except OSError:
            pass


def softmax(x):
    _forge("softmax:vector")
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
