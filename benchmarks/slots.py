"""Slots as processes against slots as threads: `grader grade --jobs 1`, `--jobs 2` (processes), `--jobs 2 --slots threads`.

Each configuration grades the same batch of generated `.py` submissions (``--force``), and so
does another commit of this repository (``--baseline-ref``, default ``main``: its `--jobs 1` and
`--jobs 2`), interleaved over ``--rounds`` rounds (order alternating), with the load average
beside each run.  The rate is the batch's own (the final line's), end to end in brackets.

Usage: ``python benchmarks/slots.py [--py 300] [--rounds 3] [--baseline-ref main]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
from pathlib import Path

from _common import checkout, grade, load_average, make_batch, workdir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", type=int, default=300, help=".py submissions (default 300)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of interleaved runs (default 3)")
    ap.add_argument("--baseline-ref", default="main", metavar="REF", help="the other commit (default main)")
    args = ap.parse_args()
    if True:
        work = workdir()
        batch = make_batch(work / "batch", args.py, 0)
        env = {**os.environ, "PYTHONPATH": str(checkout(args.baseline_ref, work / "baseline"))}
        configs = {
            "this tree, --jobs 1": (["--jobs", "1"], None),
            "this tree, --jobs 2 (processes)": (["--jobs", "2"], None),
            "this tree, --jobs 2 --slots threads": (["--jobs", "2", "--slots", "threads"], None),
            f"{args.baseline_ref}, --jobs 1": (["--jobs", "1"], env),
            f"{args.baseline_ref}, --jobs 2": (["--jobs", "2"], env),
        }
        rates: dict[str, list[float]] = {k: [] for k in configs}
        for r in range(args.rounds):
            for name in (list(configs) if r % 2 == 0 else list(configs)[::-1]):
                extra, e = configs[name]
                load = load_average()
                seconds, _, line = grade(batch, work / "out", *extra, "--no-progress", env=e)
                rate = float(re.search(r"\(([0-9.]+)/s", line).group(1))
                rates[name].append(rate)
                print(f"round {r + 1} {name}: {rate:.1f}/s ({args.py / seconds:.1f}/s end to end), load {load}",
                      flush=True)
        print(f"\nmedians of {args.rounds} round(s), {args.py} .py submissions")
        medians = {k: statistics.median(v) for k, v in rates.items()}
        for name, m in medians.items():
            print(f"| {name} | {m:.1f}/s | {', '.join(f'{x:.1f}' for x in rates[name])} |")
        names = list(configs)
        print(f"jobs 2 / jobs 1: processes {medians[names[1]] / medians[names[0]]:.2f}, "
              f"threads {medians[names[2]] / medians[names[0]]:.2f}, "
              f"{args.baseline_ref} {medians[names[4]] / medians[names[3]]:.2f}; "
              f"processes / threads {medians[names[1]] / medians[names[2]]:.2f}, "
              f"processes / {args.baseline_ref} --jobs 2 {medians[names[1]] / medians[names[4]]:.2f}")


if __name__ == "__main__":
    main()
