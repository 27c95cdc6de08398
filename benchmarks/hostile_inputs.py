"""Inputs that once took the grader's process seconds to minutes: each is timed at full size and at a tenth of it.

Each row is one input a hostile or careless student can hand in, that an earlier version of the
grader read in quadratic time (or worse) while holding its one GIL: a written answer of hundreds of
unreadable lines, prose groups in every section of written.md, asides after an answer, a line magic
with a long run of blanks, thousands of ``%%writefile -a`` cells.  Linear reading shows as a ratio
near 10 between the full size and its tenth (the baseline, measured in the same run); quadratic
reading as a ratio near 100.  The tests check what is read from these inputs; their time is
measured here, not asserted there.

Usage: ``python benchmarks/hostile_inputs.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

from _common import machine, median, table

from grader import notebook
from grader.load import _written_files
from grader.model import Cell, SourceFile, Submission, TextFile
from grader.rubric import load_rubric
from grader.written import grading
from grader.written.parse import WrittenError, parse


def _parse(text: str) -> None:
    try:
        parse(text)
    except WrittenError:
        pass


def _unreadable_lines(n: int) -> Callable[[], None]:
    job = grading.prepare(load_rubric("written"))
    text = "a\n" + ")\n" * n + "b"
    return lambda: grading.answer(job, "grad_outside_w", text)


def _prose_groups(n: int) -> Callable[[], None]:
    job = grading.prepare(load_rubric("written"))
    ids = [q.id for q in job.part.questions]
    body = "".join(f"## {q}\n{{" + r" \text{a}" * n + "\n\n" for q in ids)
    sub = Submission(id="s", source="s", kind="folder", texts=(TextFile("written.md", body, "written.md"),))
    return lambda: grading.grade(job, sub)


def _asides(n: int) -> Callable[[], None]:
    text = "a \\in" + " " * n + "b"
    return lambda: _parse(text)


def _magic_blanks(n: int) -> Callable[[], None]:
    cell = "ls - a" + " " * n + "- b   \n"
    return lambda: notebook.automagic(cell)


def _append_cells(n: int) -> Callable[[], None]:
    body = "# " + "x" * 1000 + "\n"
    cells = tuple(Cell(index=i, label=f"cell [{i + 1}]", source="", original="%%writefile -a q1_softmax.py\n" + body)
                  for i in range(n))
    files = [SourceFile(path="hw.ipynb", text="", origin="hw.ipynb", cells=cells)]
    return lambda: _written_files(files, {})


#: (what, how it is built from a size, the full size)
INPUTS = (
    ("written answer: n unreadable lines", _unreadable_lines, 700),
    ("written.md: n prose groups in every section", _prose_groups, 1000),
    ("written answer: n blanks before an aside", _asides, 3900),
    ("notebook: a line magic with n blanks inside", _magic_blanks, 50_000),
    ("notebook: n %%writefile -a cells of 1 KB", _append_cells, 5000),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    rows = []
    for what, build, full in INPUTS:
        times = {}
        for n in (full // 10, full):
            run = build(n)
            run()  # warm: grammar, templates, caches
            samples = []
            for _ in range(args.runs):
                t = time.perf_counter()
                run()
                samples.append(time.perf_counter() - t)
            times[n] = median(samples)
        small, large = times[full // 10], times[full]
        rows.append([what, f"{full // 10:,}: {small * 1000:.1f} ms", f"{full:,}: {large * 1000:.1f} ms",
                     f"{large / small:.1f}" if small else "-"])
    print(table(rows, ["input", "a tenth (baseline)", "full size", "ratio (10 = linear)"]))


if __name__ == "__main__":
    main()
