import numpy as np


def sigmoid(x):
    """
    Arguments:
    x -- A scalar or numpy array.
    """
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(s):
    return s * (1 - s)
