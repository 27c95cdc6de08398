"""REDTEAM nproc_raise: lift the process limit, which is set as a soft limit only.

Attack: RLIMIT_NPROC is lowered to 32 for the soft limit but the hard limit stays at the
machine's default, so raise the soft limit back and start more processes than allowed
(80 sleepers here; a real fork bomb would not stop), each holding memory.
Bound: the baseline, and at most max_processes processes.
"""
import os
import resource
import time

import numpy as np

soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
try:
    resource.setrlimit(resource.RLIMIT_NPROC, (hard, hard))
except (ValueError, OSError):
    pass
started = 0
for _ in range(80):
    try:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        started += 1
    except OSError:
        break
print(f"REDTEAM nproc_raise: limit was {soft}/{hard}; started {started} processes")


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
