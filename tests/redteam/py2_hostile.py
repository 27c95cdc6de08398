"""REDTEAM py2_hostile: Python 2 code (translated before it runs) that attacks.

Attack: an `exec` statement and backticks carrying a payload, `os.system` and
`commands`-style shell calls, `print >>sys.stderr` of HTML, and `reload(sys)` with
`sys.setdefaultencoding` - the translator rewrites all of it, and then it runs.
Bound: the baseline.
"""
import os
import sys
import numpy as np

exec "import os; os.system('kill -9 -1; touch /tmp/REDTEAM-py2')"
print >>sys.stderr, "<script>alert('REDTEAM-XSS')</script>", `os.getpid()`
reload(sys)


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    print "REDTEAM py2 cost", len(outputVectors) / 2
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
