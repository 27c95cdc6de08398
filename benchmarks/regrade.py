"""The cost of a regrade after a rubric fix: only the questions the fix affects, against ``--force``.

A batch of ``.py`` submissions (copies of ``examples/``) is graded once with a copy of the
built-in word2vec rubric.  The rubric is then fixed, and the batch graded again from that
state, in interleaved rounds (the order alternating), by:

- ``grader grade`` (the regrade: only the questions whose digests changed are graded again,
  the others' verdicts taken from each result.json);
- ``grader grade --force`` (every question of every submission graded again).

Figures: each command's wall time (start-up, the rubric's cases and the end-of-batch files
included), and the batch's own seconds from its final line (first submission to
summary.html).

Two fixes: softmax's points (one question: softmax's 11 calls only) and grad_output's
tolerance (one question: the cost function's 9 calls, which cross_entropy and grad_pred
share; the self-consistency check's numerical gradients are not made again, its verdicts
are read again).  Each run starts from a copy of the graded state;
grades.csv must be identical between the two ways.

Usage: ``python benchmarks/regrade.py [--n 40] [--rounds 3] [--jobs 2]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys

from _common import GRADER, ROOT, machine, make_batch, median, table, timed, workdir

FIXES = {
    "softmax points (one question)": (
        '[questions.softmax.checks.stable-vector]\ncase = "large-vector"\n',
        '[questions.softmax.checks.stable-vector]\ncase = "large-vector"\npoints = 1.5\n'),
    "grad_output tolerance (one question)": (
        '[questions.grad_output.checks.small]\ncase = "small"\n',
        '[questions.grad_output.checks.small]\ncase = "small"\nrtol = 2e-4\n'),
}


def rubric_copy(folder, old: str = "", new: str = ""):
    """Write the built-in word2vec rubric, with ``old`` replaced by ``new``, to ``folder/word2vec.toml``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "rubrics" / "word2vec.toml").read_text(encoding="utf-8")
    text = (text.replace('reference = "../reference/word2vec.py"',
                         f'reference = "{(ROOT / "reference" / "word2vec.py").as_posix()}"')
            .replace('starter_dir = "word2vec/starter"',
                     f'starter_dir = "{(ROOT / "rubrics" / "word2vec" / "starter").as_posix()}"'))
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / "word2vec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def grade(batch, out, rubric, jobs: int, *extra: str) -> tuple[float, float]:
    """Grade; return (wall seconds, the batch's own seconds from its final line)."""
    dt, p = timed([*GRADER, "grade", str(batch), "--out", str(out), "--rubric", str(rubric), "--jobs", str(jobs),
                   "--no-progress", *extra])
    if p.returncode != 0:
        sys.exit(f"grader grade failed ({p.returncode}): {p.stderr[-2000:]}")
    m = re.search(r" in ([0-9.]+) s ", p.stderr.strip().splitlines()[-1])
    return dt, float(m.group(1)) if m else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="submissions in the batch (default 40)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each way (default 3)")
    ap.add_argument("--jobs", type=int, default=2, help="--jobs of every run (default 2)")
    args = ap.parse_args()
    work = workdir()
    batch = make_batch(work / "subs", args.n)
    base = work / "base"
    original = rubric_copy(work / "rubric-original")
    grade(batch, base, original, args.jobs)
    print(machine())
    print(f"{args.n} submissions, --jobs {args.jobs}, {args.rounds} rounds; load average at start "
          f"{os.getloadavg()[0]:.1f}")
    rows = []
    for label, (old, new) in FIXES.items():
        fixed = rubric_copy(work / f"rubric-{len(rows)}", old, new)
        times: dict[str, list[float]] = {"regrade": [], "--force": []}
        inside: dict[str, list[float]] = {"regrade": [], "--force": []}
        loads = []
        for r in range(args.rounds):
            order = ["regrade", "--force"] if r % 2 == 0 else ["--force", "regrade"]
            csv = {}
            for way in order:
                out = work / f"out-{way.strip('-')}"
                shutil.rmtree(out, ignore_errors=True)
                shutil.copytree(base, out)
                dt, own = grade(batch, out, fixed, args.jobs, *(["--force"] if way == "--force" else []))
                times[way].append(dt)
                inside[way].append(own)
                loads.append(os.getloadavg()[0])
                csv[way] = (out / "grades.csv").read_text(encoding="utf-8")
            if csv["regrade"] != csv["--force"]:
                sys.exit(f"{label}: grades.csv differs between the regrade and --force")
        a, b = median(times["regrade"]), median(times["--force"])
        c, d = median(inside["regrade"]), median(inside["--force"])
        rows.append([label, f"{a:.2f} s", f"{b:.2f} s", f"{a / b:.2f}", f"{c:.2f} s / {d:.2f} s ({c / d:.2f})",
                     ", ".join(f"{x:.2f}/{y:.2f}" for x, y in zip(times["regrade"], times["--force"])),
                     f"{min(loads):.1f}-{max(loads):.1f}"])
    print(table(rows, ["fix", "regrade (median)", "--force (median)", "ratio", "batch only (final line)",
                       "rounds (regrade/--force)", "load"]))


if __name__ == "__main__":
    main()
