import numpy as np


def softmax(x):
    """Row-wise softmax, written the 2016 way: a 1xn input comes back as a vector of n,
    and the input array is reused (the 2016 spec says nothing against either)."""
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim == 1 or x.shape[0] == 1:
        x = x.reshape(-1)
        x -= x.max()
        e = np.exp(x)
        return e / e.sum()
    x -= x.max(axis=1)[:, None]
    np.exp(x, out=x)
    x /= x.sum(axis=1)[:, None]
    return x


if __name__ == "__main__":
    print "softmax of a 1x2 row:", softmax(np.array([[-1001, -1002]]))
