import numpy as np


def softmax(x):
    # float32 is plenty for probabilities
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x - np.max(x)
        e = np.exp(x)
        return e / np.sum(e)
    x = x - np.max(x, axis=1).reshape(-1, 1)
    e = np.exp(x)
    return e / np.sum(e, axis=1).reshape(-1, 1)


if __name__ == "__main__":
    print(softmax(np.array([[1001, 1002], [3, 4]])))
