import random

SAVE_PARAMS_EVERY = 5000


def load_saved_params():
    return 0, None, None


def save_params(iter, params):
    pass


def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):
    """Postprocessing before each evaluation; the step as an explicit loop of its own."""
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
    for iter in range(start_iter + 1, iterations + 1):
        x = postprocessing(x)
        cost, grad = f(x)
        x = x - step * grad
        if iter % ANNEAL_EVERY == 0:
            step *= 0.5
    return x
