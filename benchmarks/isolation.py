"""Cost of isolation: per-submission time of `grader grade` under bubblewrap against `--isolation process`.

Both levels grade the same generated batches in the same run, interleaved.  The
per-submission cost is the marginal one, (T(large) - T(small)) / (large - small), which
leaves out the start-up both pay once (Python, numpy, the rubric, the zygotes).

Usage: ``python benchmarks/isolation.py [--small 20] [--large 400] [--jobs 1] [--reps 3]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _common import EXAMPLES, grade, machine, make_batch, median, table, workdir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=20)
    ap.add_argument("--large", type=int, default=400)
    ap.add_argument("--jobs", type=int, default=1, help="slots (default 1: the cost of one submission on one core)")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions (medians are reported)")
    ap.add_argument("--notebooks", type=float, default=0.0, help="share of notebooks in the batches (default 0)")
    ap.add_argument("--examples", type=Path, default=EXAMPLES)
    args = ap.parse_args()
    from grader.sandbox import available

    levels = [lv for lv in available() if lv != "process"][:1] + ["process"]
    if len(levels) < 2:
        sys.exit(f"no bubblewrap level is available here (available: {', '.join(available())}); nothing to compare")
    tmp = workdir()
    batches = {}
    for n in (args.small, args.large):
        n_nb = int(n * args.notebooks)
        batches[n] = make_batch(tmp / f"b{n}", n - n_nb, n_nb, args.examples)
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.reps):
        for n, batch in batches.items():
            for level in levels:
                extra = ["--jobs", str(args.jobs), "--isolation", level, "--allow-unsandboxed"]
                dt, _, _ = grade(batch, tmp / f"out-{level}-{n}", *extra)
                times.setdefault((level, n), []).append(dt)
    print(f"machine: {machine()}")
    print(f"--jobs {args.jobs}; {args.reps} interleaved repetitions; medians")
    rows, per = [], {}
    for level in levels:
        small, large = median(times[(level, args.small)]), median(times[(level, args.large)])
        per[level] = (large - small) / (args.large - args.small)
        rows.append([level, f"{small:.2f} s", f"{large:.2f} s", f"{per[level] * 1000:.2f} ms",
                     f"{1 / per[level]:.0f}/s"])
    print(table(rows, ["isolation", f"{args.small} submissions", f"{args.large} submissions",
                       "per submission (marginal)", "rate per slot"]))
    ratio = per[levels[0]] / per["process"]
    print(f"{levels[0]} / process per-submission cost: {ratio:.2f}× "
          f"({(per[levels[0]] - per['process']) * 1000:+.2f} ms per submission)")


if __name__ == "__main__":
    main()
