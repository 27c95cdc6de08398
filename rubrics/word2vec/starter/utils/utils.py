"""Stand-in for the starter's utils.utils: normalizeRows and a working softmax."""

import numpy as np


def normalizeRows(x):  # noqa: N802 - the course's name
    """Return `x` with each row scaled to unit length (rows of zeros stay zero)."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return x / np.where(norms == 0.0, 1.0, norms)


def softmax(x):
    """Return the softmax of each row of `x` (shape (n,) or (m, n)), shifted by each row's max."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
