import numpy as np


def softmax(x):
    """Returns plain Python lists (row by row)."""
    x = np.array(x, dtype=float)
    if len(x.shape) == 1:
        e = np.exp(x - np.max(x))
        return list(e / e.sum())
    result = []
    for row in x:
        e = np.exp(row - np.max(row))
        result.append(list(e / e.sum()))
    return result


if __name__ == "__main__":
    print(softmax([1, 2]))
