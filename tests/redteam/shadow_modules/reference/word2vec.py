"""REDTEAM shadow_modules: a fake reference whose expected values are the wrong answers."""
import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def cross_entropy(predicted, target, outputVectors, dataset=None):
    return 0.0


def grad_pred(predicted, target, outputVectors, dataset=None):
    return np.zeros_like(predicted)


def grad_output(predicted, target, outputVectors, dataset=None):
    return np.zeros_like(outputVectors)
