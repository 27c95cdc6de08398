"""REDTEAM hidden_stash: keep every input a call sees and show it later: in a later call, in a file, at load.

Attack: keep every input a call sees and show it later: in a later call, in a file, at load.

Each call stashes a fingerprint of its array arguments ("ARR <hex of the first 16 bytes>
<repr of the first element>") in a module-level list, in files in its folder, its
parent, /tmp and /dev/shm, then prints everything stashed so far, and what those files
hold (a hidden call made before a public one, or a process that kept the stash, would
show a hidden input). Load prints what the files left by an earlier process hold.
Bound: no more than honest_wrong; no hidden input is shown.
"""
import os

import numpy as np

STASH = []
PLACES = ["stash.txt", os.path.join("..", "stash.txt"), "/tmp/stash.txt", "/dev/shm/stash.txt"]


def show(where):
    for line in STASH:
        print(where, line)
    for p in PLACES:
        try:
            with open(p) as f:
                print(where, "file", p, f.read()[-2000:])
        except OSError:
            pass


def keep(*args):
    for a in args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
            STASH.append(f"ARR {np.ascontiguousarray(a).tobytes()[:16].hex()} {float(a.flat[0])!r}")
    for p in PLACES:
        try:
            with open(p, "a") as f:
                f.write("\n".join(STASH) + "\n")
        except OSError:
            pass


show("load")


def softmax(x):
    keep(x)
    show("softmax")
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    keep(predicted, outputVectors)
    show("cost")
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
