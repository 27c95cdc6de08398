import numpy as np


def sigmoid(x):
    """Compute the sigmoid function for the input here."""
    return np.exp(-np.logaddexp(0, -x))
