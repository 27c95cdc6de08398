"""REDTEAM damage_atexit_threads: code that runs after the student's calls are over.

Attack: an atexit handler, a __del__ of a module global, a weakref finalizer and a
signal handler for SIGTERM, all writing fake frames and garbage into the process's
descriptors; non-daemon threads that keep running after each call and corrupt the
next call's arguments and results in place; a thread that calls os._exit while the
harness is reporting.
Bound: the baseline.
"""
import atexit
import json
import os
import signal
import struct
import threading
import time
import weakref

import numpy as np


def _scribble(*_):
    raw = json.dumps({"ev": "outcome", "call": "softmax:vector", "status": "ok", "$blobs": []}).encode()
    for fd in range(1, 64):
        try:
            os.write(fd, struct.pack(">IQ", len(raw), 0) + raw + b"garbage")
        except OSError:
            pass


class Lingers:
    def __del__(self):
        _scribble()


KEEP = Lingers()
atexit.register(_scribble)
signal.signal(signal.SIGTERM, _scribble)
weakref.finalize(KEEP, _scribble)
SEEN = []


def _corrupt():
    while True:
        for a in list(SEEN):
            try:
                a[...] = np.nan
            except Exception:
                pass
        time.sleep(0.001)


threading.Thread(target=_corrupt, daemon=False).start()


def softmax(x):
    SEEN.append(x)
    x = np.asarray(x, dtype=float)
    out = np.ones_like(x) / x.shape[-1]
    SEEN.append(out)
    return out


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    SEEN.extend([predicted, outputVectors])
    threading.Timer(0.0005, os._exit, (0,)).start()
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
