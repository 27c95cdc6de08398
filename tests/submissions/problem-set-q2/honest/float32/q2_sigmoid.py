import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def sigmoid_grad(s):
    s = np.asarray(s, dtype=np.float32)
    return s * (np.float32(1) - s)
