import numpy as np


def sigmoid(x):
    x = np.array(x, dtype=float)
    return .5 * (1 + np.tanh(.5 * x))


def sigmoid_grad(f):
    return f - f * f


def test_sigmoid_basic():
    print "Running basic tests..."
    x = np.array([[1, 2], [-1, -2]])
    print sigmoid(x)

if __name__ == "__main__":
    test_sigmoid_basic()
