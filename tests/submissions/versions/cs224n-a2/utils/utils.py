#!/usr/bin/env python

import numpy as np


def normalizeRows(x):
    """ Row normalization function """
    N = x.shape[0]
    x /= np.sqrt(np.sum(x ** 2, axis=1)).reshape((N, 1)) + 1e-30
    return x


def softmax(x):
    """Softmax of each row of x; x itself is overwritten and returned."""
    if len(x.shape) > 1:
        x -= np.max(x, axis=1, keepdims=True)
        x = np.exp(x)
        x /= np.sum(x, axis=1, keepdims=True)
    else:
        x -= np.max(x)
        x = np.exp(x)
        x /= np.sum(x)
    return x
