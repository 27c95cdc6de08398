"""Parsing written answers is linear in their length: time per character for growing answers.

Two shapes of answer: a long flat sum (``-w_i + ŷ_x w_x + ...``, the deepest tree a flat
answer makes) and a long product of function applications.  Each is parsed ``--runs``
times; the median time and the time per character are printed.  Linear parsing shows as a
flat µs/char column.

Usage: ``python benchmarks/written_parse.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import time

from _common import machine, median, table

from grader.written.parse import _parser, parse

SHAPES = {
    "flat sum": (r"-w_i + ", r"\hat{y}_x w_x + ", "w_i", (10, 40, 80, 160, 180)),
    "product of calls": ("", r"\exp(w_j^T \hat r) ", "", (5, 20, 60, 120, 160)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    t0 = time.perf_counter()
    _parser()
    print(f"machine: {machine()}")
    print(f"grammar loaded in {(time.perf_counter() - t0) * 1000:.0f} ms (lark's tables from the user cache when there)")
    rows = []
    for name, (head, unit, tail, counts) in SHAPES.items():
        for k in counts:
            text = head + unit * k + tail
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                parse(text)
                times.append(time.perf_counter() - t)
            m = median(times)
            rows.append([name, len(text), f"{m * 1000:.1f} ms", f"{m / len(text) * 1e6:.1f} µs"])
    print(table(rows, ["answer", "characters", "median", "per character"]))


if __name__ == "__main__":
    main()
