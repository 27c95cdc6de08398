"""Stand-in for the starter's q2_sigmoid: the sigmoid and its gradient."""

import numpy as np


def sigmoid(x):
    """Return 1 / (1 + exp(-x)) elementwise, without overflow for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def sigmoid_grad(f):
    """Return the sigmoid's derivative given its value `f` = sigmoid(x): f (1 - f)."""
    f = np.asarray(f, dtype=np.float64)
    return f * (1.0 - f)
