import numpy as np


def softmax(x):
    """ Softmax function (2015 starter: the same for vectors and matrices) """
    if x.ndim > 1:
        x = x - np.max(x, axis=1)[:, np.newaxis]
        x = np.exp(x)
        x = x / np.sum(x, axis=1)[:, np.newaxis]
    else:
        x = x - np.max(x)
        x = np.exp(x)
        x = x / np.sum(x)
    return x


if __name__ == "__main__":
    print(softmax(np.array([1, 2])))
