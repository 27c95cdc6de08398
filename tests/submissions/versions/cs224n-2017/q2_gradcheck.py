import random

import numpy as np


def gradcheck_naive(f, x):
    """ Gradient check for a function f."""
    rndstate = random.getstate()
    random.setstate(rndstate)
    fx, grad = f(x)
    h = 1e-4
    for ix in np.ndindex(x.shape):
        keep = x[ix]
        x[ix] = keep + h
        random.setstate(rndstate)
        plus = f(x)[0]
        x[ix] = keep - h
        random.setstate(rndstate)
        minus = f(x)[0]
        x[ix] = keep
        numgrad = (plus - minus) / (2 * h)
        reldiff = abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix]))
        if reldiff > 1e-5:
            print("Gradient check failed.")
            print("First gradient error found at index %s" % str(ix))
            print("Your gradient: %f \t Numerical gradient: %f" % (grad[ix], numgrad))
            return
    print("Gradient check passed!")
