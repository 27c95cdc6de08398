import numpy as np


def softmax(x):
    if len(x.shape) > 1:
        x = x - np.max(x, axis=1).reshape(-1, 1)
        x = np.exp(x)
        x = x / np.sum(x, axis=1).reshape(-1, 1)
    else:
        x = x - np.max(x)
        x = np.exp(x) / np.sum(np.exp(x))
    return x
