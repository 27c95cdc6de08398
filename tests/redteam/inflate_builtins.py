"""REDTEAM inflate_builtins: monkeypatch builtins and the harness's standard library.

Attack: replace builtins (isinstance, len, float, str, repr, print), json.dumps,
struct.pack and os.write in the student's process, so that the harness reports
something other than what the functions returned, or breaks while reporting it.
Bound: the baseline: a harness broken this way can only lose the student's own results.
"""
import builtins
import json
import os
import struct

import numpy as np

_isinstance, _len, _dumps = builtins.isinstance, builtins.len, json.dumps
builtins.print = lambda *a, **k: None
builtins.repr = lambda o: "array([0.2, 0.2, 0.2, 0.2, 0.2])"
json.dumps = lambda obj, *a, **k: _dumps(dict(obj, status="ok") if _isinstance(obj, dict) and "status" in obj else obj, *a, **k)
_pack = struct.pack
struct.pack = lambda fmt, *v: _pack(fmt, *v)
_write = os.write
os.write = lambda fd, data: _write(fd, data)


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

