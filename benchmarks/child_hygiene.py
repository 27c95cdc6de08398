"""What each child's hygiene costs (SECURITY.md, findings 10 and 11), measured inside the child.

A process that imported numpy (as the zygote has) forks children, and each child times,
with its own clock, one of the steps a sandbox child now takes before running student code:

- ``setuid``: dropping to a spare uid (as root; the baseline every child already paid);
- ``ipc namespace``: ``unshare(CLONE_NEWIPC)`` (as root) then the setuid;
- ``ipc through a user namespace``: the setuid, then a user namespace of its own with a new
  IPC namespace, its ids mapped, its capabilities dropped (what bubblewrap's children do);
- ``session keyring``: leaving the inherited session keyring for a new one;
- ``seccomp filter``: no_new_privs and the keyring filter (built once, by the parent);

then, in the parent, ``shared folders``: looking through /tmp, /var/tmp, /dev/shm... for the
slot's leftovers after a submission.  Medians and minimums over interleaved repetitions.

Usage: ``python benchmarks/child_hygiene.py [--reps 300] [--uid 61999]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grader"))
import _worker as w  # noqa: E402  (the child side, as the zygote runs it)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--uid", type=int, default=61999, help="a spare uid to drop to (as root)")
    args = ap.parse_args()
    import numpy  # noqa: F401  (forks of a process that holds numpy, like the zygote's)

    root = os.geteuid() == 0

    def su() -> None:
        if root:
            os.setgroups([])
            os.setgid(args.uid)
            os.setuid(args.uid)

    w._libc()
    w._seccomp_filter(w._KEYRING_CALLS)
    steps = {
        "setuid": su,
        "ipc namespace": lambda: (w._unshare(w._CLONE_NEWIPC), su()),
        "ipc through a user namespace": lambda: (su(), w._own_user_namespace()),
        "session keyring": lambda: (su(), w._join_new_session_keyring()),
        "seccomp filter": lambda: (su(), w._prctl(38, 1), w._deny_syscalls(w._KEYRING_CALLS)),
    }

    def in_child(step) -> float:
        r, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            t = time.perf_counter()
            step()
            os.write(wfd, struct.pack("d", time.perf_counter() - t))
            os._exit(0)
        os.close(wfd)
        data = os.read(r, 8)
        os.close(r)
        os.waitpid(pid, 0)
        return struct.unpack("d", data)[0] * 1000

    times: dict[str, list[float]] = {k: [] for k in [*steps, "shared folders"]}
    for _ in range(args.reps):
        for name, step in steps.items():
            times[name].append(in_child(step))
        t = time.perf_counter()
        w._remove_shared_files(args.uid if root else None)
        times["shared folders"].append((time.perf_counter() - t) * 1000)
    print(f"{args.reps} repetitions, {'root' if root else 'not root'}, {os.uname().machine}")
    for name, v in times.items():
        print(f"{name:32s} median {statistics.median(v):7.3f} ms   min {min(v):7.3f} ms")


if __name__ == "__main__":
    main()
