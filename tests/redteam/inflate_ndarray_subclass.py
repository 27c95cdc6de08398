"""REDTEAM inflate_ndarray_subclass: an ndarray subclass that lies about its contents.

Attack: the returned array's class overrides __array__, __array_ufunc__, tobytes,
view, astype, __eq__ and tolist to show other numbers (a perfect-looking softmax)
than its buffer holds (zeros).
Bound: the baseline: only the raw buffer crosses to the grader, so zeros are judged.
"""
import numpy as np


class Liar(np.ndarray):
    def __array__(self, dtype=None, copy=None):
        return np.full(self.shape, 1.0 / self.shape[-1])
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True
    def tobytes(self, order="C"):
        return np.full(self.shape, 1.0 / self.shape[-1]).tobytes(order)
    def view(self, *a, **k):
        return self
    def astype(self, *a, **k):
        return self
    def __eq__(self, other):
        return True
    def tolist(self):
        return np.full(self.shape, 1.0 / self.shape[-1]).tolist()


def softmax(x):
    return np.zeros(np.shape(x)).view(Liar)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return (np.zeros(()).view(Liar), np.zeros(np.shape(predicted)).view(Liar),
            np.zeros(np.shape(outputVectors)).view(Liar))
