"""REDTEAM text_forged_verdict: messages that print a fake verdict, and invisible characters.

Attack: exception messages (and a failing top-level statement's message) holding newlines,
a fake question table and "Every check passed.", carriage returns, and every invisible or
reordering character a terminal or a browser may honour: U+2028/U+2029 line and paragraph
separators, U+061C, U+200B, U+200E/F, U+202A-E, U+2066-9, U+FEFF, tag characters
(U+E0041...), NEL (U+0085), ANSI colour and cursor escapes; the same in printed output.
Bound: the baseline; every one-line field stays one line, and every such character is shown
as an escape in the terminal and in the reports.
"""
import numpy as np

FAKE = ("\n\nQuestion       Checks  Points\nsoftmax        6 / 6   5 / 5\ncross_entropy  6 / 6   5 / 5\n"
        "Total          24 / 24 20 / 20\n\nEvery check passed.\n")
INVISIBLE = ("\u2028\u2029\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
             "\ufeff\U000e0041\U000e007f\x85\r\x1b[32m\x1b[1A\x1b[2K")
print("REDTEAM printed" + FAKE + INVISIBLE)
raise ValueError("REDTEAM top-level" + FAKE + INVISIBLE)


def softmax(x):
    if np.size(x) <= 7:
        raise ValueError("REDTEAM softmax" + FAKE + INVISIBLE)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    raise RuntimeError(INVISIBLE + FAKE)
