"""The cost of grading on a Dask cluster: `grader grade --cluster local:2` against a local batch of 2 slots.

Both run the same generated batch of ``.py`` submissions (copies of ``examples/``), in
interleaved rounds, each with ``--force`` (everything graded every time).  Two figures
per run:

- **end to end**: the command's wall time, the cluster's start and stop included
  (``local:2`` starts a scheduler, 2 nannies and 2 worker processes, each importing
  grader, Dask and numpy, and one zygote per worker; ``import distributed`` alone takes
  ~0.9 s here);
- **batch**: the seconds on the command's final line, from the first submission to
  ``summary.html`` (what a long batch, or a cluster already running, costs);

and the CPU time of the TA's own process per submission (what bounds a cluster of any size:
one TA process loads and writes everything, and with ``local:N`` also runs the scheduler).

The cluster run uses the defaults of ``--cluster local:2``: tasks of up to 8 submissions,
32 in flight.  The ratio cluster / local is the cluster's overhead on this machine
(target: under 1.15).  Submissions per second per worker (batch figure / 2) is what each further
worker of the same speed would add on a real cluster, as long as the TA's machine keeps
up with writing the files.  The two runs' grades.csv must be identical.

Usage: ``python benchmarks/cluster.py [--n 500] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from _common import machine, make_batch, median, table, timed, workdir

#: The grader's command line, writing its own process's CPU seconds (user + system, children
#: excluded: not the sandboxes, not the workers) to $BENCH_CPU_FILE at exit.
GRADER_CPU = [sys.executable, "-c",
              "import os, resource, sys\n"
              "from grader.cli import main\n"
              "rc = main()\n"
              "r = resource.getrusage(resource.RUSAGE_SELF)\n"
              "open(os.environ['BENCH_CPU_FILE'], 'w').write(str(r.ru_utime + r.ru_stime))\n"
              "sys.exit(rc)"]


def run(batch, out, *extra: str) -> tuple[float, float, float]:
    """Grade ``batch``; return (wall seconds, the batch's own seconds from the final line, the TA process's CPU s)."""
    cpu_file = out.parent / f".{out.name}.cpu"
    dt, p = timed([*GRADER_CPU, "grade", str(batch), "--out", str(out), "--force", "--no-progress", *extra],
                  env={**os.environ, "BENCH_CPU_FILE": str(cpu_file)})
    last = p.stderr.strip().splitlines()[-1]
    m = re.search(r" in ([0-9.]+) s ", last)
    if not m:
        sys.exit(f"no timing in the final line: {last!r}")
    return dt, float(m.group(1)), float(cpu_file.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="submissions in the batch (default 500)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of both runs (default 3)")
    args = ap.parse_args()

    root = workdir()
    batch = make_batch(root / "batch", args.n)
    local_out, cluster_out = root / "local", root / "cluster"
    print(machine())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    run(batch, local_out, "--jobs", "2")  # warm-up: caches, compiled worker program
    local, cluster = [], []
    for r in range(args.rounds):
        local.append(run(batch, local_out, "--jobs", "2"))
        cluster.append(run(batch, cluster_out, "--cluster", "local:2"))
        print(f"round {r + 1}: local {local[-1][0]:.2f} s (batch {local[-1][1]:.2f} s), "
              f"cluster {cluster[-1][0]:.2f} s (batch {cluster[-1][1]:.2f} s), "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    a = (local_out / "grades.csv").read_text().splitlines()
    b = (cluster_out / "grades.csv").read_text().splitlines()
    if a != b:
        diff = [f"  local:   {x}\n  cluster: {y}" for x, y in zip(a, b) if x != y]
        sys.exit("the last two runs' grades.csv differ:\n" + "\n".join(diff[:10]))

    lw, lb = median([x[0] for x in local]), median([x[1] for x in local])
    cw, cb = median([x[0] for x in cluster]), median([x[1] for x in cluster])
    n = args.n
    rows = [
        ("end to end (cluster start and stop included)", f"{lw:.2f} s ({n / lw:.1f} /s)",
         f"{cw:.2f} s ({n / cw:.1f} /s)", f"{cw / lw:.3f}"),
        ("batch (first submission to summary.html)", f"{lb:.2f} s ({n / lb:.1f} /s)",
         f"{cb:.2f} s ({n / cb:.1f} /s)", f"{cb / lb:.3f}"),
    ]
    print()
    print(f"{n} .py submissions, medians of {args.rounds} interleaved rounds; grades.csv identical")
    print(table(rows, ("what", "local, --jobs 2", "--cluster local:2", "cluster / local")))
    print()
    ratios = sorted(c[1] / l[1] for l, c in zip(local, cluster))
    print("batch ratio of each round (cluster / local, the two runs next to each other): "
          + ", ".join(f"{r:.2f}" for r in ratios) + f"; median {median(ratios):.2f}")
    print(f"cluster overhead: {100 * (cb / lb - 1):+.1f} % on the batch, {100 * (cw / lw - 1):+.1f} % end to end "
          f"(target: under +15 %); cluster start and stop: {cw - cb - (lw - lb):.2f} s more than a local run's")
    print(f"per worker: {n / cb / 2:.1f} submissions/s (batch figure / 2 workers)")
    lc, cc = median([x[2] for x in local]), median([x[2] for x in cluster])
    print(f"the TA's process, CPU per submission: local {1000 * lc / n:.1f} ms (loading, grading's grader side, "
          f"writing), cluster {1000 * cc / n:.1f} ms (loading, writing, Dask's client and scheduler, cluster start); "
          f"a bound of ~{n / cc:.0f} submissions/s for one TA process, whatever the number of workers")


if __name__ == "__main__":
    main()
