"""Baseline, not an attack: an honest but wrong CS224d answer.

softmax returns uniform probabilities and the cost function returns zeros of the right
shapes.  Every hostile submission of this folder answers with these same wrong bodies
(unless its attack replaces them), so this file's score, question by question, is the
most any of them may get.
"""
import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
