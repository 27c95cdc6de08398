"""Stand-in for the starter's q2_gradcheck: a naive gradient check by central differences."""

import random

import numpy as np


def gradcheck_naive(f, x, h=1e-4, tolerance=1e-5):
    """Compare the gradient that `f` returns with central differences of its value.

    `f` takes an array and returns ``(value, gradient)``; `x` is the point to check at.
    The random states are reset before every call of `f`, so that a function drawing
    random samples sees the same ones each time.  Prints the outcome and returns True
    when every element agrees within `tolerance` (relative to max(1, |a|, |b|)).
    """
    rndstate = random.getstate()
    nprndstate = np.random.get_state()

    def call(at):
        random.setstate(rndstate)
        np.random.set_state(nprndstate)
        return f(at)

    x = np.array(x, dtype=np.float64)
    _, grad = call(x)
    grad = np.asarray(grad, dtype=np.float64).reshape(x.shape)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        fp = float(np.sum(call(x)[0]))
        x[ix] = old - h
        fm = float(np.sum(call(x)[0]))
        x[ix] = old
        numgrad = (fp - fm) / (2 * h)
        rel = abs(numgrad - grad[ix]) / max(1.0, abs(numgrad), abs(grad[ix]))
        if rel > tolerance:
            print("Gradient check failed.")
            print("First gradient error found at index %s" % (ix,))
            print("Your gradient: %f \t Numerical gradient: %f" % (grad[ix], numgrad))
            return False
    print("Gradient check passed!")
    return True
