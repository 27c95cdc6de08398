import math

import numpy as np


def softmax(x):
    """Softmax of each row, written with plain loops (one row at a time)."""
    x = np.asarray(x, dtype=float)
    single = (x.ndim == 1)
    rows = x.reshape(1, -1) if single else x
    out = np.zeros(rows.shape)
    for i in range(rows.shape[0]):
        biggest = max(rows[i])
        total = 0.0
        for j in range(rows.shape[1]):
            out[i, j] = math.exp(rows[i, j] - biggest)
            total += out[i, j]
        for j in range(rows.shape[1]):
            out[i, j] /= total
    if single:
        return out[0]
    return out


if __name__ == "__main__":
    print(softmax(np.array([1, 2])))
    print(softmax(np.array([[1001, 1002], [3, 4]])))
