"""REDTEAM shadow_modules: hand in modules named like the grader's and the standard library's.

Attack: the folder also holds grader/__init__.py, grader/checks.py, reference/word2vec.py,
json.py, struct.py and numpy.py, each of which "passes everything"; if the grader, its
checks or the harness imported any of them, the submission would score full marks.
This module imports them itself, too.
Bound: the baseline: the grader never imports a student file, and the harness's own
modules were imported before any student code.
"""
import numpy as np

try:
    import grader.checks  # noqa: F401
    import reference.word2vec as ref
except BaseException:
    ref = None


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
