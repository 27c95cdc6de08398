"""REDTEAM dos_alarm_tamper: take over the timers the harness might rely on.

Attack: at load time, ignore SIGALRM and SIGVTALRM, replace signal.signal and
signal.setitimer with no-ops (so the harness cannot re-arm them), then sleep past the
per-statement budget; in calls, arm an alarm that interrupts the harness later, and
block SIGALRM in the thread that runs the calls.
Bound: the baseline; the hung statement is abandoned and the functions are still graded.
"""
import signal
import time

import numpy as np

signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.signal(signal.SIGVTALRM, signal.SIG_IGN)
signal.setitimer = lambda *a, **k: (0.0, 0.0)
signal.signal = lambda *a, **k: signal.SIG_IGN
signal.alarm = lambda *a, **k: 0


def softmax(x):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    import _signal
    _signal.setitimer(_signal.ITIMER_REAL, 0.001)
    _signal.signal(_signal.SIGALRM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)


time.sleep(30)
