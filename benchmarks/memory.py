"""Memory of `grader grade` against the batch size: peak RSS of the grader's own process for 100 and 2,000 submissions.

The grader keeps no per-submission state beyond what it writes, so the peak should not
grow with the batch (target: within 10 %).  The peak is ``ru_maxrss`` of the grader's
process itself (its sandboxes' processes are not counted: they are per slot, not per
submission).

Usage: ``python benchmarks/memory.py [--small 100] [--large 2000] [--jobs N]``
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from _common import EXAMPLES, grade, machine, make_batch, table, workdir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--notebooks", type=float, default=0.2, help="share of notebooks in each batch (default 0.2)")
    ap.add_argument("--isolation", default="auto")
    ap.add_argument("--examples", type=Path, default=EXAMPLES)
    args = ap.parse_args()

    tmp = workdir()
    extra = ["--jobs", str(args.jobs), "--isolation", args.isolation]
    if args.isolation == "process":
        extra.append("--allow-unsandboxed")
    rows, peaks = [], {}
    for n in (args.small, args.large):
        n_nb = int(n * args.notebooks)
        batch = make_batch(tmp / f"b{n}", n - n_nb, n_nb, args.examples)
        dt, peak, line = grade(batch, tmp / f"out{n}", *extra, rss=True)
        peaks[n] = peak
        rows.append([n, f"{peak / 1024:.1f} MiB", f"{dt:.1f} s", line.split(";")[0]])
    print(f"machine: {machine()}")
    print(table(rows, ["submissions", "peak RSS (grader process)", "wall", "final line"]))
    ratio = peaks[args.large] / peaks[args.small]
    print(f"peak RSS {args.large} / {args.small}: {ratio:.3f} "
          f"(target within 10 %: {'met' if abs(ratio - 1) <= 0.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
