"""Honest, correct CS224d folder submission: q1_softmax.py (HONEST-SECRET-folder-q1)."""
import numpy as np


def softmax(x):
    if x.ndim > 1:
        x = x - np.max(x, axis=1).reshape(-1, 1)
        x = np.exp(x)
        return x / np.sum(x, axis=1).reshape(-1, 1)
    x = np.exp(x - np.max(x))
    return x / np.sum(x)


def test_softmax_basic():
    print("Running basic tests...")
    test1 = softmax(np.array([1, 2]))
    assert np.allclose(test1, np.array([0.26894142, 0.73105858]), rtol=1e-05, atol=1e-06)


if __name__ == "__main__":
    test_softmax_basic()
