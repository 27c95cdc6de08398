import random

SAVE_PARAMS_EVERY = 1000


def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):
    ANNEAL_EVERY = 20000
    start_iter = 0
    x = x0
    if not postprocessing:
        postprocessing = lambda x: x
    expcost = None
    for iter in range(start_iter + 1, iterations + 1):
        cost = None
        ### YOUR CODE HERE
        ### END YOUR CODE
        if iter % ANNEAL_EVERY == 0:
            step *= 0.5
    return x
