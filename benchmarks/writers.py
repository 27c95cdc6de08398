"""Per-submission cost of the batch's writers (report.html, result.json, the end of the batch), A/B against a base commit.

Both sides run the same inputs in the same way, in alternating child processes (A B, B A,
A B, ...), each on its own checkout: the base commit (default: where this branch left
``main``) and HEAD, checked out with ``git worktree add --detach`` into a temporary folder
(committed code only; removed at exit).  The inputs are real results: a batch made from
``examples/`` is graded once with the current code, and its result.json files are read
back and replicated into ``--n`` submissions with distinct ids; each failing check's case
gets the submission's number, so that, as in a real class, no two students fail the same
way while passing checks are the same for everyone.

Each child measures the CPU time of its process, per submission (medians over the rounds are
printed; wall time wanders with the load and the disk):

- ``report``: ``render.report(result)``;
- ``result.json``: encoding the document (``to_dict`` excluded) as ``write_result`` does;
- ``write``: ``batch.write_result`` (report.html, result.json, two atomic writes), plus, on
  a side that has it, keeping the result for the end (``BatchFiles.add``);
- ``end``: grades.csv and summary.html (``finish``, reading every result back, or
  ``BatchFiles.write``), divided by the number of submissions;
- ``write+end``: the two together; and the child's peak RSS.

Usage: ``python benchmarks/writers.py [--base REV] [--n 200] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import GRADER, ROOT, machine, make_batch, table, timed, workdir

CHILD = r'''
import json, os, resource, sys, time
from dataclasses import replace
from pathlib import Path
from grader import batch, render
from grader.model import SubmissionResult

src, n, work = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
samples = [SubmissionResult.from_dict(json.loads(p.read_text())) for p in sorted(src.glob("*/result.json"))]


def variant(r, i):
    qs = tuple(replace(q, checks=tuple(c if c.status == "pass" else replace(c, case=f"{c.case} #{i}")
                                       for c in q.checks)) for q in r.questions)
    return replace(r, submission=f"s{i:05d}", questions=qs)


results = [variant(samples[i % len(samples)], i) for i in range(n)]
questions = [q.id for q in samples[0].questions]
title = "Assignment 1"
streamed = hasattr(batch, "BatchFiles")
encode = (lambda d: batch.result_json(d)) if hasattr(batch, "result_json") else (
    lambda d: json.dumps(d, indent=2, ensure_ascii=False) + "\n")
ms = lambda t, k=n: (time.process_time() - t) / k * 1e3  # CPU time: steadier than wall time on a loaded machine

render.report(variant(samples[0], -1), rubric_title=title)  # templates compiled, as in a batch under way
t = time.process_time()
for r in results:
    render.report(r, rubric_title=title)
report = ms(t)
docs = [r.to_dict() for r in results]
t = time.process_time()
for d in docs:
    encode(d)
result_json = ms(t)
del docs
out = work / "out"
out.mkdir()
files = batch.BatchFiles(out, questions=questions, rubric_title=title) if streamed else None
# Other submissions (their failing checks not yet seen), as the rest of a batch would be.
results = [variant(samples[i % len(samples)], n + i) for i in range(n)]
t = time.process_time()
for r in results:
    batch.write_result(out, r, rubric_title=title)
    if files is not None:
        files.add(r)
write = ms(t)
t = time.process_time()
if files is not None:
    files.write()
    files.close()
else:
    batch.finish(out, rubric_title=title, questions=questions)
end = ms(t)
print(json.dumps({"report": report, "result.json": result_json, "write": write, "end": end,
                  "write+end": write + end, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "grades": (out / "grades.csv").read_text(), "summary_bytes": (out / "summary.html").stat().st_size}))
'''

STAGES = ("report", "result.json", "write", "end", "write+end")


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def checkout(rev: str, where: Path) -> Path:
    """Check ``rev`` out into ``where`` (a detached worktree, importable with PYTHONPATH)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(where), rev],
                   check=True, capture_output=True)
    # The package data ``grader.templates`` lives in templates/ (pyproject's package-dir).
    (where / "grader" / "templates").symlink_to(where / "templates")
    return where


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=None, help="the commit to compare with (default: merge-base of HEAD and main)")
    ap.add_argument("--n", type=int, default=200, help="submissions per child (default 200)")
    ap.add_argument("--rounds", type=int, default=5, help="children per side, interleaved (default 5)")
    args = ap.parse_args()
    base = args.base or git("merge-base", "HEAD", "main")
    head = git("rev-parse", "HEAD")
    if git("rev-parse", base) == head:
        sys.exit(f"the base {base} is HEAD: pass --base REV (the commit before the writers' work)")
    work = workdir()
    trees = {}
    try:
        trees = {"base": checkout(base, work / "base"), "head": checkout(head, work / "head")}
        subs = make_batch(work / "subs", 8)
        timed([*GRADER, "grade", str(subs), "--out", str(work / "sample"), "--no-progress"])
        load = [os.getloadavg()[0]]
        seen: dict[str, list[dict]] = {"base": [], "head": []}
        for i in range(args.rounds):
            for side in (("base", "head") if i % 2 == 0 else ("head", "base")):
                run = Path(tempfile.mkdtemp(dir=work))
                env = {**os.environ, "PYTHONPATH": str(trees[side])}
                _, p = timed([sys.executable, "-c", CHILD, str(work / "sample"), str(args.n), str(run)], env=env)
                seen[side].append(json.loads(p.stdout))
                shutil.rmtree(run, ignore_errors=True)
            load.append(os.getloadavg()[0])
    finally:
        for tree in trees.values():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    if seen["base"][0]["grades"] != seen["head"][0]["grades"]:
        sys.exit("grades.csv differs between the two sides")
    med = {side: {k: statistics.median(r[k] for r in runs) for k in (*STAGES, "rss_mib")} for side, runs in seen.items()}
    rows = [(k, f"{med['base'][k]:.2f}", f"{med['head'][k]:.2f}", f"{med['base'][k] / med['head'][k]:.2f}×",
             " ".join(f"{r[k]:.2f}" for r in seen["head"]))
            for k in STAGES]
    rows.append(("peak RSS of the child (MiB)", f"{med['base']['rss_mib']:.1f}", f"{med['head']['rss_mib']:.1f}",
                 f"{med['base']['rss_mib'] / med['head']['rss_mib']:.2f}×", ""))
    print(machine())
    print(f"base {base[:7]}, head {head[:7]}, {args.n} submissions per child, {args.rounds} rounds interleaved, "
          f"load average {min(load):.1f}-{max(load):.1f}; grades.csv identical")
    print(table(rows, ["ms per submission", "base", "head", "base / head", "head, each round"]))


if __name__ == "__main__":
    main()
