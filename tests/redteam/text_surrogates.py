"""REDTEAM text_surrogates: text that UTF-8 cannot encode, in everything the grader writes.

Attack: lone surrogates (U+D800, U+DCE9: what os.fsdecode makes of an undecodable byte) in
exception messages, in an exception class's name, in a failing top-level statement, in
printed output, and raw undecodable bytes written to the output descriptors.  Written to
report.html, result.json, summary.html or the terminal as they are, they raised
UnicodeEncodeError outside the per-submission guard and stopped the whole batch.
(tests/test_redteam_text.py adds file and folder names that are not UTF-8.)
Bound: the baseline; every file of the batch is written, the surrogates shown as escapes.
"""
import os
import sys

import numpy as np

LONE = "\ud800 caf\udce9 \udfff"
Surrogate = type("Bad\udc80Error", (Exception,), {})
print("REDTEAM printed", LONE)
print("REDTEAM printed to stderr", LONE, file=sys.stderr)
os.write(1, b"REDTEAM raw bytes \xff\xfe\xe9\n")
os.write(2, b"REDTEAM raw bytes \xc3\x28\n")
raise RuntimeError("REDTEAM top-level " + LONE)


def softmax(x):
    print("REDTEAM softmax", LONE)
    if np.size(x) == 5:
        raise ValueError("REDTEAM message " + LONE)
    if np.size(x) == 7:
        raise Surrogate(LONE)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    os.write(1, b"\xed\xa0\x80 REDTEAM cost\n")
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
