"""REDTEAM leak_html_names: file names that are HTML (the other files of this folder).

Attack: the folder holds files named <img src=x onerror=...>.py, "><script>....py and
a name with a bidi override; their names reach the file list, the notes, the
tracebacks and the summary.  This module imports one of them and fails there.
Bound: the baseline, and no page shows a name unescaped.
"""
import importlib

import numpy as np

for name in ('"><script>alert("REDTEAM-XSS")<', "evil\u202egnp"):
    try:
        importlib.import_module(name)
    except BaseException:
        pass


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
