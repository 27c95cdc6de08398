import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
