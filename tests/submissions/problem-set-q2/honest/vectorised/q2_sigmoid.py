import numpy as np


def sigmoid(x):
    """Stable: exp of a non-positive number only."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(s):
    return s * (1 - s)
