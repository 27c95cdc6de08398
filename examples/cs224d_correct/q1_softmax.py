"""CS224d problem set 1, question 1: softmax (a correct solution, for trying the grader)."""

import numpy as np


def softmax(x):
    """Compute the softmax of each row of x.

    x is a vector of shape (n,) or a matrix of shape (m, n); each row is one set of
    scores.  Subtracting the row's maximum first changes nothing mathematically
    (softmax(x) = softmax(x + c)) and keeps np.exp from overflowing.
    """
    orig_shape = x.shape
    if x.ndim == 1:
        x = x.reshape(1, -1)
    x = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(x)
    out = e / np.sum(e, axis=1, keepdims=True)
    return out.reshape(orig_shape)


def test_softmax_basic():
    """Some simple tests to get you started."""
    print("Running basic tests...")
    test1 = softmax(np.array([1, 2]))
    print(test1)
    assert np.amax(np.fabs(test1 - np.array([0.26894142, 0.73105858]))) <= 1e-6

    test2 = softmax(np.array([[1001, 1002], [3, 4]]))
    print(test2)
    assert np.amax(np.fabs(test2 - np.array([[0.26894142, 0.73105858],
                                             [0.26894142, 0.73105858]]))) <= 1e-6

    test3 = softmax(np.array([[-1001, -1002]]))
    print(test3)
    assert np.amax(np.fabs(test3 - np.array([0.73105858, 0.26894142]))) <= 1e-6
    print("Basic tests passed.\n")


if __name__ == "__main__":
    test_softmax_basic()
