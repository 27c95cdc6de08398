"""REDTEAM weird_types: answer with every kind of value that is not a plain array.

Attack: np.matrix (whose shape is always 2-D), object arrays holding floats, complex
numbers, a generator, a dict, a string of the right numbers, a 0-d array, a structured
array, a memoryview, bytes, a datetime array, and a list of arrays of the wrong sizes.
Bound: the baseline; nothing here passes a value check.
"""
import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    kind = x.size % 7
    if x.ndim == 1:
        return np.matrix(np.ones_like(x) / x.shape[-1])
    if kind == 0:
        return np.array([[object()] * x.shape[1]] * x.shape[0], dtype=object)
    if kind == 1:
        return (v for v in np.ones_like(x) / x.shape[-1])
    if kind == 2:
        return np.ones_like(x, dtype=complex) / x.shape[-1]
    if kind == 3:
        return {"softmax": (np.ones_like(x) / x.shape[-1]).tolist()}
    if kind == 4:
        return np.array(1.0 / x.shape[-1])
    if kind == 5:
        return np.zeros(x.shape[0], dtype=[("p", "f8", (x.shape[1],))])
    return str((np.ones_like(x) / x.shape[-1]).tolist())


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if np.size(outputVectors) % 2:
        return (np.array([0.0], dtype=object), memoryview(b"\x00" * 8),
                np.array(["2020-01-01"] * len(outputVectors), dtype="datetime64[D]"))
    return (b"\x00" * 8, [np.zeros(1), np.zeros(2)], np.zeros_like(outputVectors).astype(complex))
