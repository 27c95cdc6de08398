"""REDTEAM frame_load_not_a_dict: a forged "loaded" frame whose "load" is a list.

Attack: write one well-formed frame of the wire format into the event pipe before the
harness sends its own "loaded" event.  The zygote forwards "loaded" frames as they are;
the grader's _report calls load.get(...) on the list.
Bound: the baseline, and the batch goes on.
"""
import json
import os
import struct

import numpy as np


def _pipe():
    for fd in range(3, 64):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                return fd
        except OSError:
            pass


raw = json.dumps({"ev": "loaded", "load": [1], "$blobs": []}).encode()
os.write(_pipe(), struct.pack(">IQ", len(raw), 0) + raw)


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

