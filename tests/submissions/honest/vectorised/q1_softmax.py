import numpy as np


def softmax(x):
    """
    Compute the softmax function for each row of the input x.

    Works for a single vector (shape (n,)) and for a matrix (shape (m, n)),
    where each row is treated as its own vector of scores.
    """
    if x.ndim == 1:
        shifted = x - np.max(x)
        exps = np.exp(shifted)
        return exps / np.sum(exps)
    shifted = x - np.max(x, axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=1, keepdims=True)


def test_softmax_basic():
    print("Running basic tests...")
    test1 = softmax(np.array([1, 2]))
    print(test1)
    assert np.amax(np.fabs(test1 - np.array([0.26894142, 0.73105858]))) <= 1e-6

    test2 = softmax(np.array([[1001, 1002], [3, 4]]))
    print(test2)
    assert np.amax(np.fabs(test2 - np.array(
        [[0.26894142, 0.73105858], [0.26894142, 0.73105858]]))) <= 1e-6

    test3 = softmax(np.array([[-1001, -1002]]))
    print(test3)
    assert np.amax(np.fabs(test3 - np.array([0.73105858, 0.26894142]))) <= 1e-6
    print("You should verify these results!\n")


if __name__ == "__main__":
    test_softmax_basic()
