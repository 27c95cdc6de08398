import numpy as np


def sigmoid(x):
    e = np.exp(x)
    return e / (1 + e)


def sigmoid_grad(s):
    return s * (1 - s)
