"""Latency of a student's self-check: `grader check FILE.py`, from command to verdict, against `python -c "import numpy"`.

The floor is the cost of starting Python and importing numpy, which any checker written in
Python pays.  The grader's own bytecode is cached (``PYTHONPYCACHEPREFIX`` in a work folder,
filled by a first run that is not counted), as after a student's first check.  Runs are interleaved (grader, floor, grader, floor, ...) and the medians
compared.  Target: under 0.5 s.

With ``--notebook`` it also measures the in-notebook check (``grader.check()`` in a cell
of a real Jupyter kernel, timed inside the kernel): the first check of a fresh kernel (it
starts the warm sandbox) and the next ones, against ``grader check`` on the same notebook
saved to a file, in the same run.  It needs the dev dependencies (ipykernel, nbclient).

Usage: ``python benchmarks/check_latency.py [--runs 15] [--file PATH] [--notebook]``
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from _common import EXAMPLES, GRADER, cached_bytecode, machine, median, table, templates, timed, workdir

#: The commands' environment (set in main): the grader's own bytecode cached, as after a student's first check.
ENV: dict[str, str] = {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    ap.add_argument("--file", type=Path, default=None, help="the .py file to check (default: the first example .py)")
    ap.add_argument("--examples", type=Path, default=EXAMPLES)
    ap.add_argument("--notebook", action="store_true", help="also measure grader.check() inside a Jupyter kernel")
    args = ap.parse_args()
    path = args.file or next((t for t in templates(args.examples) if t.is_file()), None)
    if path is None:
        sys.exit("no example .py file; pass --file")

    commands = {
        "grader check": [*GRADER, "check", str(path)],
        "grader check --json": [*GRADER, "check", "--json", str(path)],
        # a written answer: no sandbox, parsed and evaluated in the grader's process
        "grader check --written": [*GRADER, "check", "--written", "grad_pred", r"-w_i + \sum_x \hat{y}_x w_x"],
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        'python -c "pass"': [sys.executable, "-c", "pass"],
    }
    ENV.update(cached_bytecode(dict(os.environ), workdir() / "pycache"))
    for argv in commands.values():  # warm caches; the verdict's exit code (0 or 1) does not matter here
        timed(argv, check=False, env=ENV)
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            dt, p = timed(argv, check=False, env=ENV)
            if p.returncode not in (0, 1):
                sys.exit(f"{name} failed ({p.returncode}):\n{p.stderr[-2000:]}")
            times[name].append(dt)
    floor = median(times['python -c "import numpy"'])
    print(f"machine: {machine()}")
    print(f"file: {path.name}; {args.runs} interleaved runs each; medians")
    rows = [[name, f"{median(ts) * 1000:.0f} ms", f"{min(ts) * 1000:.0f} ms", f"{median(ts) / floor:.2f}×"]
            for name, ts in times.items()]
    print(table(rows, ["command", "median", "min", "vs import numpy"]))
    m = median(times["grader check"])
    print(f"target: under 0.5 s: {m:.3f} s {'met' if m < 0.5 else 'NOT met'}")
    w = median(times["grader check --written"])
    print(f"target (written answer): well under 1 s: {w:.3f} s {'met' if w < 0.5 else 'NOT met'}")
    if args.notebook:
        notebook_latency(path, max(3, args.runs // 3))


def notebook_latency(path: Path, runs: int) -> None:
    """Time grader.check() in fresh kernels (first and next checks) against `grader check` on the saved notebook."""
    import nbformat
    from nbclient import NotebookClient

    code = path.read_text(encoding="utf-8")
    timing = ("import time as _t\n_t0 = _t.perf_counter()\n_r = grader.check()\n"
              "print('SECONDS', _t.perf_counter() - _t0, _r.passed)")
    first: list[float] = []
    later: list[float] = []
    folder = workdir()
    saved = folder / "saved.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    saved.write_text(nbformat.writes(nb), encoding="utf-8")
    on_file: list[float] = []
    for _ in range(runs):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in (code, "import grader", timing, timing, timing)]
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
        seconds = [float(o.text.split()[1]) for cell in nb.cells[2:] for o in cell.outputs
                   if o.output_type == "stream" and o.text.startswith("SECONDS")]
        first.append(seconds[0])
        later += seconds[1:]
        dt, p = timed([*GRADER, "check", str(saved)], check=False, env=ENV)
        if p.returncode not in (0, 1):
            sys.exit(f"grader check failed ({p.returncode}):\n{p.stderr[-2000:]}")
        on_file.append(dt)
    base = median(on_file)
    rows = [["grader check saved.ipynb (command to verdict)", f"{base * 1000:.0f} ms", "1.00×"],
            ["grader.check() in the kernel, first", f"{median(first) * 1000:.0f} ms", f"{median(first) / base:.2f}×"],
            ["grader.check() in the kernel, next", f"{median(later) * 1000:.0f} ms", f"{median(later) / base:.2f}×"]]
    print(f"\nin a notebook: {runs} fresh kernels, 3 checks each; medians")
    print(table(rows, ["what", "median", "vs grader check on the file"]))


if __name__ == "__main__":
    main()
