import random

import numpy as np


def gradcheck_naive(f, x):
    """Reports with its return value and an assert, as some students did."""
    rndstate = random.getstate()
    random.setstate(rndstate)
    fx, grad = f(x)
    h = 1e-4
    for ix in np.ndindex(*x.shape):
        x[ix] += h
        random.setstate(rndstate)
        fxph, _ = f(x)
        x[ix] -= 2 * h
        random.setstate(rndstate)
        fxmh, _ = f(x)
        x[ix] += h
        numgrad = (fxph - fxmh) / (2 * h)
        reldiff = abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix]))
        assert reldiff <= 1e-5, "gradient error at %s" % (ix,)
    return True
