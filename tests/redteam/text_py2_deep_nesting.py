"""REDTEAM text_py2_deep_nesting: Python 2 code nested deep enough to exhaust a recursive translator.

Attack: a Python 2 file (print statements, backticks) with expressions nested 90 levels
deep in parentheses and in brackets: the translator's parser and fixers walk such trees
recursively (tens of frames per level), in the grader's own process before the fix.
Bound: the baseline (it is translated, or fails alone with a clear message).
"""
import numpy as np

print "REDTEAM text_py2_deep_nesting loaded", `1`
DEEP = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
LISTS = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
