import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_grad(f):
    """f is sigmoid(x) already."""
    return f * (1.0 - f)


if __name__ == "__main__":
    print sigmoid(np.array([[1, 2], [-1, -2]]))
