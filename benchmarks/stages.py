"""Where a submission's CPU goes, per stage: the grader's process and the sandbox, one slot.

Grades N submissions (by default the whole-problem-set batch of ``throughput.py``) in one
slot of this process and reports, per submission:

- the sandbox's CPU (bubblewrap, zygote, leaders and children: user + sys of the whole
  process tree, read from ``/proc`` before the sandbox is closed), and within it the
  student's processes and the leaders (``RunReport.cpu``: each leader's own rusage and
  that of the processes it reaped);
- the grader's CPU (its thread's time) in each stage: loading (translation included: the
  text helper's own CPU is shown apart), pipeline.grade as a whole and, within it, the
  sandbox run's grader side (sending the requests, reading and filing the events) and
  judging; writing report.html (within it, rendering) and result.json; the batch's end
  (grades.csv and summary.html from the results on disk);
- the time of the calls in the student's process, by function (as the child measured them);
- the number of sandbox requests (a leader and a child each).

Usage: ``python benchmarks/stages.py [--problem-set 40] [--rubric problem-set] [--folder DIR]``
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

from _common import EXAMPLES, load_average, machine, tree_cpu, workdir

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problem-set", type=int, default=40, help="submissions of the problem-set batch (default 40)")
    ap.add_argument("--rubric", default="problem-set", help="rubric (default problem-set)")
    ap.add_argument("--folder", type=Path, default=None, help="grade this folder's entries instead")
    args = ap.parse_args()

    from grader import batch, load, pipeline, render, sandbox, transform
    from grader.rubric import load_rubric

    tmp = workdir()
    os.environ["GRADER_TRANSLATION_CACHE"] = str(tmp / "translations")  # empty: nothing translated before
    if args.folder is None:
        import throughput

        folder = throughput.make_problem_set_batch(tmp / "ps", args.problem_set, EXAMPLES)
    else:
        folder = args.folder
        if not folder.is_dir():
            ap.error(f"--folder {folder}: not a folder")
    from grader.errors import GraderError

    try:
        rubric = load_rubric(args.rubric)
    except GraderError as e:
        ap.error(str(e))
    job = pipeline.prepare(rubric)
    acc: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter = collections.Counter()
    requests = [0]

    def timed(owner, name: str, label: str) -> None:
        real = getattr(owner, name)

        def wrapper(*a, **k):
            t = time.thread_time()
            try:
                return real(*a, **k)
            finally:
                acc[label] += time.thread_time() - t

        setattr(owner, name, wrapper)

    real_group = sandbox.Sandbox._run_group

    def counted(self, *a, **k):
        requests[0] += 1
        return real_group(self, *a, **k)

    sandbox.Sandbox._run_group = counted
    split: collections.Counter = collections.Counter()  # RunReport.cpu: the leaders' own, the reaped processes'
    real_run = sandbox.Sandbox.run

    def run_split(self, *a, **k):
        report = real_run(self, *a, **k)
        split.update(report.cpu)
        return report

    sandbox.Sandbox.run = run_split
    timed(sandbox.Sandbox, "run", "sandbox run (grader side)")
    timed(pipeline, "_judge", "judging")
    timed(render, "report", "report.html")
    out = tmp / "out"
    print(f"machine: {machine()}; load {load_average()}", flush=True)
    settings = rubric.settings
    with sandbox.Sandbox() as sb, transform.session():
        sb.start()
        pending = list(load.pending_batch(folder, settings))
        first = pending[0].load()
        pipeline.grade(first, job, sb)  # warm: the grader's first judging prepares what depends on cases
        requests[0] = 0
        acc.clear()
        split.clear()
        helper = lambda: (tree_cpu(transform._local.helper.proc.pid)  # noqa: E731
                          if getattr(transform._local, "helper", None) and transform._local.helper.proc else 0.0)
        c0, h0, w0 = tree_cpu(sb.proc.pid), helper(), time.perf_counter()
        n = 0
        for p in pending:
            t = time.thread_time()
            sub = p.load()
            acc["loading"] += time.thread_time() - t
            t = time.thread_time()
            result = pipeline.grade(sub, job, sb)
            acc["pipeline.grade (all)"] += time.thread_time() - t
            t = time.thread_time()
            batch.write_result(out, result, rubric_title=rubric.title)
            acc["writing report.html + result.json"] += time.thread_time() - t
            n += 1
        sandbox_cpu, helper_cpu, wall = tree_cpu(sb.proc.pid) - c0, helper() - h0, time.perf_counter() - w0
        n_requests, stages, by_process = requests[0], dict(acc), dict(split)
        # The time of the calls as the child measured them (one more pass, not counted above).
        for p in pending[: min(10, len(pending))]:
            run = sb.run(p.load(), job.calls, functions=rubric.functions, starter=rubric.starter, settings=settings)
            for cid, o in run.outcomes.items():
                calls[cid.split(":")[0]] += o.seconds or 0.0
    t = time.thread_time()
    batch.finish(out, rubric_title=rubric.title, questions=[q.id for q in rubric.questions])
    stages["batch end (grades.csv, summary.html)"] = time.thread_time() - t
    k = min(10, len(pending))
    print(f"{n} submissions of {folder.name}, rubric {args.rubric}, one slot: {wall / n * 1000:.0f} ms wall each; "
          f"load {load_average()}; {n_requests / n:.1f} sandbox requests each")
    print(f"sandbox CPU (bubblewrap, zygote, leaders, children): {sandbox_cpu / n * 1000:.1f} ms per submission")
    kids, leaders = by_process.get("children", 0.0), by_process.get("leader", 0.0)
    print(f"  the student's processes (harness, calls, exit; as the leaders reaped them): {kids / n * 1000:.1f} ms")
    print(f"  the leaders themselves (fork, relay, deadlines, cleanup): {leaders / n * 1000:.1f} ms")
    print(f"  the rest (zygote, bubblewrap): {(sandbox_cpu - kids - leaders) / n * 1000:.1f} ms")
    print(f"text helper CPU (Python 2 translation): {helper_cpu / n * 1000:.1f} ms per submission")
    print("grader CPU per submission, by stage:")
    for label, v in stages.items():
        print(f"  {label}: {v / n * 1000:.1f} ms")
    print(f"time of the calls in the student's process ({k} submissions), by function:")
    for fn, v in calls.most_common():
        print(f"  {fn}: {v / k * 1000:.1f} ms")
    print(f"  all calls: {sum(calls.values()) / k * 1000:.1f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
