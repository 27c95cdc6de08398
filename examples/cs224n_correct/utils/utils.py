"""The CS224n assignment 2 starter's utils/utils.py: normalizeRows and softmax.

Students do not write these; the starter gives them, and word2vec.py imports them
(``from utils.utils import normalizeRows, softmax``).  Written here for the example.
"""

import numpy as np


def normalizeRows(x):
    """Row normalization function: scale each row of x to unit length."""
    N = x.shape[0]
    return x / (np.sqrt(np.sum(x ** 2, axis=1)).reshape((N, 1)) + 1e-30)


def softmax(x):
    """Compute the softmax function for each row of the input x.

    x is a vector of shape (n,) or a matrix of shape (m, n); the result has the same
    shape.  Each row's maximum is subtracted first: softmax(x) = softmax(x - c), and
    np.exp no longer overflows.  x itself is left unchanged.
    """
    orig_shape = x.shape
    if len(x.shape) > 1:
        # Matrix
        x = x - np.max(x, axis=1, keepdims=True)
        x = np.exp(x)
        x = x / np.sum(x, axis=1, keepdims=True)
    else:
        # Vector
        x = x - np.max(x)
        x = np.exp(x)
        x = x / np.sum(x)
    assert x.shape == orig_shape
    return x
