"""REDTEAM weird_dtypes: wrong answers in every numeric dtype and memory layout.

Attack: return the (wrong) uniform softmax as float16, long double, big-endian float,
a non-contiguous strided view, a negative-stride view, an array with 30 leading
singleton dimensions, and costs as bool, uint64 maxima and int8; hoping a dtype or a
layout confuses the comparison into a pass.
Bound: the baseline.
"""
import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    u = np.ones_like(x) / x.shape[-1]
    kind = x.size % 6
    if kind == 0:
        return u.astype(np.float16)
    if kind == 1:
        return u.astype(np.longdouble)
    if kind == 2:
        return u.astype(">f8")
    if kind == 3:
        return np.repeat(u, 2, axis=-1)[..., ::2]
    if kind == 4:
        return u[..., ::-1]
    return u.reshape((1,) * 30 + u.shape)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    big = np.iinfo(np.uint64).max
    return (np.array(True), np.full(np.shape(predicted), big, dtype=np.uint64),
            np.zeros(np.shape(outputVectors), dtype=np.int8))
