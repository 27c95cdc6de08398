"""The sandbox alone: CPU per submission of ``Sandbox.run``, this tree against another commit.

Loads a batch's submissions once, then makes every call of the rubric for them, one after
another, in one warm sandbox (one slot), and reports per submission:

- the sandbox's CPU: bubblewrap, the zygote, the leaders and the children (user + sys of
  the whole process tree, read from ``/proc``), and of it the leaders' and the children's
  (their own counts, ``RunReport.cpu``);
- the grader's side of the run: its thread's CPU time in ``Sandbox.run`` (sending the
  request, reading, decoding and filing the events, the run report).

Nothing is judged or written.  Each measurement runs in a fresh process; with
``--baseline-ref REF`` the same measurement is made with that git commit (its tree written
to a temporary folder and run with ``PYTHONPATH``), interleaved over ``--rounds`` rounds,
and the medians of both are printed.

With ``--stubs`` the submissions are the starter's stubs (every function raising
``NotImplementedError``, as ``throughput.py --stubs`` makes them): what describing an
exception costs, call after call.

Usage: ``python benchmarks/sandbox_run.py [--rubric word2vec|problem-set] [--n 200]
[--rounds 5] [--baseline-ref REF] [--stubs]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import EXAMPLES, checkout, load_average, machine, make_batch, workdir

#: The measurement, run in a fresh interpreter (the grader of the tree measured first on its
#: path, this folder after it): argv = this folder, rubric, batch folder, runs.
_MEASURE = r"""
import json, sys, time
from pathlib import Path
sys.path.append(sys.argv.pop(1))
from _common import tree_cpu
from grader import load, pipeline, sandbox, transform
from grader.rubric import load_rubric

rubric = load_rubric(sys.argv[1])
job = pipeline.prepare(rubric)
with transform.session():
    subs = [p.load() for p in load.pending_batch(Path(sys.argv[2]), rubric.settings)]
runs = int(sys.argv[3])
with sandbox.Sandbox() as sb:
    sb.start()
    for s in subs[:2]:  # warm: the zygote's inputs, the first children
        sb.run(s, job.calls, functions=rubric.functions, starter=rubric.starter, settings=rubric.settings)
    c0, g0 = tree_cpu(sb.proc.pid), time.thread_time()
    leader = child = 0.0
    for k in range(runs):
        r = sb.run(subs[k % len(subs)], job.calls, functions=rubric.functions, starter=rubric.starter,
                   settings=rubric.settings)
        leader += r.cpu.get("leader", 0.0)
        child += r.cpu.get("children", 0.0)
    sandbox_s, grader_s = tree_cpu(sb.proc.pid) - c0, time.thread_time() - g0
print(json.dumps({"sandbox_ms": sandbox_s / runs * 1000, "grader_ms": grader_s / runs * 1000,
                  "leader_ms": leader / runs * 1000, "child_ms": child / runs * 1000}))
"""


def measure(tree: Path, rubric: str, folder: Path, runs: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    here = str(Path(__file__).resolve().parent)
    p = subprocess.run([sys.executable, "-c", _MEASURE, here, rubric, str(folder), str(runs)], env=env, cwd=str(tree),
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"the measurement failed in {tree}:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rubric", default="word2vec", choices=("word2vec", "problem-set"),
                    help="word2vec (the four-question rubric, default) or problem-set")
    ap.add_argument("--n", type=int, default=None,
                    help="runs per measurement (default 200 for word2vec, 40 for problem-set)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--baseline-ref", default=None, help="also measure this git commit, interleaved")
    ap.add_argument("--stubs", action="store_true",
                    help="submissions whose every function raises NotImplementedError, as the starter leaves it")
    args = ap.parse_args()
    if args.rounds < 1 or (args.n is not None and args.n < 1):
        ap.error("--rounds and --n must be 1 or more")
    tmp = workdir()
    if args.stubs:
        import throughput

        folder = throughput.make_stub_batch(tmp / "batch", 24, args.rubric)
    elif args.rubric == "problem-set":
        import throughput

        folder = throughput.make_problem_set_batch(tmp / "batch", 24, EXAMPLES)
    else:
        folder = make_batch(tmp / "batch", 24)
    runs = args.n or (40 if args.rubric == "problem-set" else 200)
    here = Path(__file__).resolve().parent.parent
    sides = [("this tree", here)]
    if args.baseline_ref:
        sides.append((args.baseline_ref, checkout(args.baseline_ref, tmp / "baseline")))
    print(f"machine: {machine()}; rubric {args.rubric}{' (stubs)' if args.stubs else ''}, {runs} runs per measurement",
          flush=True)
    got: dict[str, list[dict]] = {name: [] for name, _ in sides}
    for r in range(args.rounds):
        order = sides if r % 2 == 0 else sides[::-1]
        for name, tree in order:
            m = measure(tree, args.rubric, folder, runs)
            got[name].append(m)
            print(f"round {r + 1} {name}: sandbox {m['sandbox_ms']:.1f} ms (leaders {m['leader_ms']:.1f}, children "
                  f"{m['child_ms']:.1f}), grader's side {m['grader_ms']:.1f} ms per submission; load {load_average()}",
                  flush=True)
    print(f"\nmedians of {args.rounds} round(s), per submission:")
    for name, _ in sides:
        s = [m["sandbox_ms"] for m in got[name]]
        g = [m["grader_ms"] for m in got[name]]
        lead = [m["leader_ms"] for m in got[name]]
        kid = [m["child_ms"] for m in got[name]]
        print(f"  {name}: sandbox CPU {statistics.median(s):.1f} ms ({min(s):.1f}-{max(s):.1f}; of it the leaders "
              f"{statistics.median(lead):.1f} ms, the children {statistics.median(kid):.1f} ms), "
              f"the grader's side of the run {statistics.median(g):.1f} ms ({min(g):.1f}-{max(g):.1f})")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
