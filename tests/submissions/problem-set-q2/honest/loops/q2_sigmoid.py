import math

import numpy as np


def _one(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        out[ix] = _one(x[ix])
    return out


def sigmoid_grad(s):
    s = np.asarray(s, dtype=np.float64)
    out = np.zeros(s.shape)
    for ix in np.ndindex(*s.shape):
        out[ix] = s[ix] * (1.0 - s[ix])
    return out
