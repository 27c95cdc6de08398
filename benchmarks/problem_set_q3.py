"""What the whole problem set costs (its q3 part's own process for the grader's tables too), in the same run.

Grades the same generated batch (copies of the honest q3 modules of the test corpus: loops,
vectorised, Python 2) with ``--rubric word2vec`` and ``--rubric problem-set``, alternating,
``--rounds`` times each; then, in one sandbox slot, the whole-problem-set rubric with the
grader's cost-function tables in their own process (as graded) and, for comparison only,
the same calls in the main process.

Usage: ``python benchmarks/problem_set_q3.py [--n 200] [--jobs N] [--rounds 2] [--slot-n 20]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import time
from pathlib import Path

from _common import ROOT, grade, machine, table, workdir

CORPUS = ROOT / "tests" / "submissions" / "q3"


def make_batch(folder: Path, n: int) -> Path:
    """``n`` submissions, copies of the corpus's honest q3 modules in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [CORPUS / "loops.py", CORPUS / "vectorised.py", CORPUS / "python2.py"]
    for i in range(n):
        shutil.copy(sources[i % len(sources)], folder / f"s{i:04d}.py")
    return folder


def one_slot(batch: Path, n: int, rounds: int) -> dict[str, float]:
    """Median ms per submission in one slot: tables in their own process, and in the main one."""
    from grader.load import load
    from grader.pipeline import grade as grade_one
    from grader.pipeline import prepare
    from grader.rubric import load_rubric
    from grader.sandbox import Sandbox

    rubric = load_rubric("problem-set")
    job = prepare(rubric)
    same = dataclasses.replace(job, calls=tuple(dataclasses.replace(c, private=False) for c in job.calls))
    subs = [load(p, rubric.settings) for p in sorted(batch.iterdir())[:n]]
    times: dict[str, list[float]] = {"tables in their own process": [], "(same calls in the main process)": []}
    with Sandbox() as sb:
        for _ in range(rounds):
            for name, j in zip(times, (job, same)):
                t = time.perf_counter()
                for s in subs:
                    grade_one(s, j, sb)
                times[name].append((time.perf_counter() - t) / len(subs) * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="submissions (default 200)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallelism (default: the cores)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs of each rubric (default 2)")
    ap.add_argument("--slot-n", type=int, default=20, help="submissions of the one-slot comparison (default 20)")
    args = ap.parse_args()
    tmp = workdir()
    batch = make_batch(tmp / "batch", args.n)
    print(machine())
    rates: dict[str, list[float]] = {"word2vec": [], "problem-set": []}
    for r in range(args.rounds):
        for rubric in rates:
            out = tmp / f"out-{rubric}-{r}"
            seconds, _, _ = grade(batch, out, "--rubric", rubric, "--jobs", str(args.jobs))
            rates[rubric].append(args.n / seconds)
    rows = [(k, f"{statistics.median(v):.1f}", ", ".join(f"{x:.1f}" for x in v)) for k, v in rates.items()]
    print(table(rows, ("rubric", "submissions/s (median)", "runs")))
    slot = one_slot(batch, args.slot_n, max(2, args.rounds))
    print(table([(k, f"{v:.0f}") for k, v in slot.items()], ("one slot, whole problem set", "ms per submission")))


if __name__ == "__main__":
    main()
