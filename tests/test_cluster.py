"""`grader grade --cluster`: the same batch on a Dask cluster (loopback only), the same files as a local run.

Clusters here are LocalClusters of 2 single-threaded worker processes on 127.0.0.1, without
a dashboard, stopped at the end of each test (module-scoped where no worker is killed);
every process they started (nannies, workers, the workers' zygotes) must be gone afterwards.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import cloudpickle
import psutil
import pytest

from grader import __version__
from grader.batch import grade_batch
from grader.cli import main
from grader.cluster import runner as cluster_runner
from grader.cluster import wire
from grader.cluster.runner import ClusterRunner, local_cluster, task_key
from grader.cluster.worker import GradingPlugin
from grader.gradebook import open_gradebook
from grader.load import load_batch
from grader.model import SourceFile, Submission
from grader.pipeline import grade, prepare
from grader.rubric import load_rubric

import test_resume as tr
from factories import cli

# The fault-injecting plugin below is defined here: workers get it by value, not by import.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

#: Seconds a batch may take here before a test gives up (a hang, not a speed check).
LIMIT = 120


def descendants() -> list[psutil.Process]:
    """This process's descendants, but multiprocessing's resource tracker (one per interpreter, by design)."""
    out = []
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(p.cmdline()):
                out.append(p)
    return out


def assert_gone(procs) -> None:
    """Every process in ``procs`` has ended (waiting a little for the ones being stopped)."""
    deadline = time.monotonic() + 20
    alive = list(procs)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.1)
    assert not alive, f"left behind: {[(p.pid, p.cmdline()) for p in alive]}"


@contextlib.contextmanager
def tracked_cluster():
    """A loopback cluster of 2 worker processes; on exit every process it started is gone."""
    before = {p.pid for p in descendants()}
    cluster = local_cluster(2)
    seen: dict[int, psutil.Process] = {}

    def note() -> None:
        for p in descendants():
            if p.pid not in before:
                seen.setdefault(p.pid, p)

    try:
        yield cluster, note
    finally:
        note()
        cluster.close(timeout=30)
        assert_gone(seen.values())
        assert_gone([p for p in descendants() if p.pid not in before])


@pytest.fixture(scope="module")
def cluster():
    """A cluster shared by the tests that kill no worker."""
    with tracked_cluster() as (c, note):
        yield c
        note()


def without_time(html: str) -> str:
    return re.sub(r"<dt>Time</dt><dd>[^<]*</dd>", "", html)


def assert_same_files(a: Path, b: Path) -> None:
    """The files of two runs of a batch are the same, timings aside."""
    tr.assert_same_files(a, b)
    reports_a = sorted(p.relative_to(a) for p in a.glob("*/report.html"))
    assert reports_a == sorted(p.relative_to(b) for p in b.glob("*/report.html"))
    for rel in reports_a:
        assert without_time((a / rel).read_text()) == without_time((b / rel).read_text()), rel


def runcli(subs: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    import io

    o, e = io.StringIO(), io.StringIO()
    # The rubric the API runs of these tests use: a recognised one would add rubric_reason to each result.
    code = main(["grade", str(subs), "--out", str(out), "--allow-unsandboxed", "--no-progress", "--rubric", "word2vec",
                 *extra], out=o, err=e)
    return code, o.getvalue(), e.getvalue()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The resume tests' batch of 13, with two more, and its local run (15 submissions, one not code).

    Four slow ones (b05, b06, b08, b09) have identical bytes; so do the two twins, whose
    folders hold a file of the same name: the same content digest.
    """
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    tr.make_batch(subs)
    for twin in ("twin1", "twin2"):
        (subs / twin).mkdir()
        (subs / twin / "q3_word2vec.py").write_text(tr.SLOW)
    local = root / "local"
    code, _, err = runcli(subs, local, "--jobs", "2")
    assert code == 0, err
    return subs, local


def test_a_cluster_run_writes_the_files_of_a_local_run(batch, cluster, tmp_path):
    subs, local = batch
    out = tmp_path / "cluster"
    code, printed, err = runcli(subs, out, "--cluster", cluster.scheduler_address)
    assert code == 0, err
    assert_same_files(local, out)
    # The sandbox level of each result is the worker's, here the one a local run uses.
    levels = {json.loads(p.read_text())["isolation"] for p in out.glob("*/result.json")} - {""}
    assert levels == {json.loads(p.read_text())["isolation"] for p in local.glob("*/result.json")} - {""}
    assert len(levels) == 1 and levels <= {"bwrap", "bwrap-userns"}
    assert f"isolation: {levels.pop()}" in err.strip().splitlines()[-1]
    # Six students handed in identical code: six results, each under its own id.
    twins = ("b05", "b06", "b08", "b09", "twin1", "twin2")
    slow = {i: json.loads((out / i / "result.json").read_text()) for i in twins}
    assert {i: d["submission"] for i, d in slow.items()} == {i: i for i in slow}
    assert all(d["status"] == "graded" and d["score"] == d["max_score"] for d in slow.values())
    assert sorted(line.split(":")[0] for line in printed.splitlines()) == sorted(
        p.parent.name for p in local.glob("*/result.json"))
    # The batch's plugin left the workers with the batch: no zygote keeps running there.
    with cluster_client(cluster) as client:
        assert client.run(lambda: len(psutil.Process().children(recursive=True))) == {
            w: 0 for w in client.scheduler_info()["workers"]}
        assert all(not [n for n in names if n.startswith("grader-")]
                   for names in client.run(lambda dask_worker: list(dask_worker.plugins)).values())


def test_the_whole_problem_set_on_the_cluster_gives_the_files_of_a_local_run(cluster, tmp_path):
    """The largest built-in rubric (stand-ins, behaviour checks, its own reference) crosses to the workers whole."""
    root = Path(__file__).parent / "submissions" / "problem-set-q2"
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("vectorised", "py2", "a2"):
        shutil.copytree(root / "honest" / name, subs / name)
    shutil.copytree(root / "mistakes" / "sgd-wrong-sign", subs / "sgd-wrong-sign")
    code, _, err = runcli(subs, tmp_path / "local", "--rubric", "problem-set", "--jobs", "2")
    assert code == 0, err
    code, _, err = runcli(subs, tmp_path / "cluster", "--rubric", "problem-set", "--cluster", cluster.scheduler_address)
    assert code == 0, err
    assert_same_files(tmp_path / "local", tmp_path / "cluster")
    assert len(list((tmp_path / "cluster").glob("*/result.json"))) == 4


class Recording(GradingPlugin):
    """Test-only: remembers how many submissions each task of this worker carried."""

    def grade(self, payload):
        self.__dict__.setdefault("sizes", []).append(len(wire.loads(payload)))
        return super().grade(payload)


def test_submissions_travel_in_chunks_of_up_to_8_and_give_the_results_of_a_local_run(batch, cluster, tmp_path):
    subs, local = batch
    rubric = load_rubric(None)
    job = prepare(rubric)
    out = tmp_path / "out"
    with ClusterRunner(cluster.scheduler_address, job, plugin_class=Recording) as runner:
        assert (runner.in_flight, runner.chunk, runner.jobs) == (32, 8, 4)
        stats = grade_batch(load_batch(subs, rubric.settings), out, job, jobs=runner.jobs, slots=runner.slot,
                            chunk=runner.chunk)
        name = runner.plugin_name
        sizes = sorted(n for got in runner.client.run(
            lambda dask_worker: dask_worker.plugins[name].__dict__.get("sizes", [])).values() for n in got)
    assert (stats.graded, stats.errors) == (14, 1)
    # c12.txt holds no code (decided on the TA's machine); the 14 others went in at most 4 tasks (the slots
    # take submissions one at a time, in turns), none of more than 8.
    assert sum(sizes) == 14 and len(sizes) <= 4 and max(sizes) <= 8, sizes
    assert tr.results(out) == tr.results(local)
    assert (out / "grades.csv").read_bytes() == (local / "grades.csv").read_bytes()


def test_a_batch_in_chunks_hands_each_slot_up_to_chunk_submissions_and_writes_the_files_of_a_local_run(
        batch, tmp_path):
    """grade_batch(chunk=3) without a cluster: a slot's function gets lists of at most 3, in the batch's order."""
    from grader.batch import local_slot

    subs, local = batch
    rubric = load_rubric(None)
    job = prepare(rubric)
    calls: list[list[str]] = []

    @contextlib.contextmanager
    def slot(i):
        with local_slot(job, i, isolation="auto") as grade_one:
            def grade_chunk(chunk):
                calls.append([s.id for s in chunk])
                return [grade_one(s) for s in chunk]
            yield grade_chunk

    out = tmp_path / "out"
    with open_gradebook(out, rubric.digest, __version__) as gb:
        stats = grade_batch(load_batch(subs, rubric.settings), out, job, jobs=2, slots=slot, chunk=3, gradebook=gb)
    assert (stats.graded, stats.errors) == (14, 1)
    assert sorted(i for c in calls for i in c) == sorted(p.parent.name for p in local.glob("*/result.json"))
    assert all(1 <= len(c) <= 3 for c in calls) and len(calls) >= 5, calls
    assert_same_files(local, out)


@pytest.mark.parametrize("threads, in_flight, chunk, jobs", [
    (2, None, 8, 4),     # the default: 2 x threads x 8 in flight, each worker thread with two tasks
    (16, None, 8, 32),
    (2, 8, 2, 4),        # fewer in flight: smaller chunks, still two per worker thread
    (2, 2, 1, 2),        # one submission per task
    (2, 100, 8, 13),     # more in flight: more tasks of 8
])
def test_the_chunk_keeps_two_tasks_per_worker_thread_in_flight(threads, in_flight, chunk, jobs):
    runner = ClusterRunner("local:1", prepare(load_rubric(None)), in_flight=in_flight)
    runner.threads = threads  # as a cluster of that many worker threads would have set it
    assert (runner.chunk, runner.jobs) == (chunk, jobs)
    assert runner.jobs * runner.chunk >= runner.in_flight


@contextlib.contextmanager
def cluster_client(cluster):
    from distributed import Client

    client = Client(cluster.scheduler_address, set_as_default=False, timeout=30)
    try:
        yield client
    finally:
        client.close()


def test_one_submission_per_task_grades_the_batch_as_a_local_run(batch, cluster, tmp_path):
    """--jobs 2 on 2 worker threads: chunks of 1, which a slot takes one submission at a time (once exit 3)."""
    subs, local = batch
    out = tmp_path / "cluster"
    code, _, err = runcli(subs, out, "--cluster", cluster.scheduler_address, "--jobs", "2")
    assert code == 0, err
    assert "Traceback" not in err
    assert_same_files(local, out)


class RecordingPartials(GradingPlugin):
    """Test-only: remembers, per submission graded on this worker, the questions it was asked to grade again."""

    def grade_one(self, submission, sandbox, partial=None):
        self.__dict__.setdefault("asked", []).append(
            (submission.id, None if partial is None else sorted(partial.questions)))
        return super().grade_one(submission, sandbox, partial)


@pytest.fixture
def rubric_fix(tmp_path):
    """A TA's copy of the word2vec rubric, three submissions, and the fix of softmax's points (test_regrade's)."""
    import test_regrade as trg

    folder = tmp_path / "rubric"
    folder.mkdir()
    shutil.copy(trg.ROOT / "reference" / "word2vec.py", folder / "word2vec.py")
    rubric = folder / "word2vec.toml"
    rubric.write_text(trg.TOML.replace('reference = "../reference/word2vec.py"', 'reference = "word2vec.py"')
                      .replace('starter_dir = "word2vec/starter"',
                               f'starter_dir = "{(trg.ROOT / "rubrics" / "word2vec" / "starter").as_posix()}"'),
                      encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copytree(trg.HONEST, subs / "alice")
    shutil.copy(trg.MISTAKES / "softmax-no-max-shift.py", subs / "bob.py")
    shutil.copy(trg.MISTAKES / "grad-output-transposed.py", subs / "carol.py")
    return rubric, subs, lambda: trg.fix(rubric, trg.STABLE, trg.FIXED)


@pytest.mark.parametrize("jobs", [[], ["--jobs", "2"]], ids=["chunks", "one-per-task"])
def test_a_rubric_fix_regrades_only_its_question_on_the_cluster(rubric_fix, cluster, tmp_path, jobs):
    rubric, subs, fix = rubric_fix
    out = tmp_path / "out"
    argv = ["grade", subs, "--out", out, "--rubric", rubric, "--no-progress", "--cluster", cluster.scheduler_address,
            *jobs]
    code, _, err = cli(*argv)
    assert code == 0, err
    before = {sid: json.loads((out / sid / "result.json").read_text()) for sid in ("alice", "bob", "carol")}
    fix()
    code, said, err = cli(*argv)
    assert code == 0, err
    assert "; 3 regraded after a rubric change (3 on the questions it affects only)" in err
    assert "alice: 21 / 21, 28 of 28 checks passed; 20 / 20 before the rubric change (regraded: softmax)" in said
    fresh = tmp_path / "fresh"
    assert cli("grade", subs, "--out", fresh, "--rubric", rubric, "--no-progress", "--jobs", "1")[0] == 0
    for sid, old in before.items():
        new = json.loads((out / sid / "result.json").read_text())
        assert new["regrade"]["full"] is False and new["regrade"]["questions"] == ["softmax"]
        assert [q for q in new["questions"] if q["id"] != "softmax"] == [q for q in old["questions"]
                                                                           if q["id"] != "softmax"]
        again = json.loads((fresh / sid / "result.json").read_text())
        for d in (new, again):
            d.pop("seconds"), d.pop("regrade", None)
        assert new == again


def test_the_workers_are_asked_to_grade_only_the_questions_a_fix_affects(rubric_fix, cluster, tmp_path):
    rubric_path, subs, fix = rubric_fix
    out = tmp_path / "out"
    code, _, err = cli("grade", subs, "--out", out, "--rubric", rubric_path, "--no-progress", "--jobs", "1")
    assert code == 0, err
    fix()
    rubric = load_rubric(str(rubric_path))
    job = prepare(rubric)
    with open_gradebook(out, rubric.digest, __version__) as gb, \
            ClusterRunner(cluster.scheduler_address, job, plugin_class=RecordingPartials) as runner:
        stats = grade_batch(load_batch(subs, rubric.settings), out, job, jobs=runner.jobs, slots=runner.slot,
                            chunk=runner.chunk, gradebook=gb)
        name = runner.plugin_name
        asked = sorted(a for got in runner.client.run(
            lambda dask_worker: dask_worker.plugins[name].__dict__.get("asked", [])).values() for a in got)
    assert stats.graded == 3 and stats.regraded_in_part == 3
    assert asked == [("alice", ["softmax"]), ("bob", ["softmax"]), ("carol", ["softmax"])]


def test_isolation_process_on_the_cluster_without_allow_unsandboxed_says_it_was_asked(batch, cluster, tmp_path):
    import io

    subs, _ = batch
    o, e = io.StringIO(), io.StringIO()
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--no-progress", "--rubric", "word2vec",
                 "--cluster", cluster.scheduler_address, "--isolation", "process"], out=o, err=e)
    assert code == 2, e.getvalue()
    assert "(--isolation process was asked for)" in e.getvalue() and "leave --isolation out" in e.getvalue()
    assert "bubblewrap is missing" not in e.getvalue()


def test_a_task_carries_each_partial_regrade_and_refuses_anything_else():
    sub = Submission("alice", "alice.py", "module", files=(SourceFile("q.py", "x = 1\n", "q.py"),))
    earlier = grade(replace(sub, error="not graded"), prepare(load_rubric(None)), None)

    class Part:
        questions = frozenset({"softmax", "cross_entropy"})
        previous = earlier

    items = wire.read_task(wire.loads(wire.dumps(wire.task_items([sub, sub], [None, Part]))))
    assert items == [(sub, None, None), (sub, frozenset({"softmax", "cross_entropy"}), earlier)]
    assert wire.read_task(wire.loads(wire.dumps(wire.task_items([sub])))) == [(sub, None, None)]
    for bad in ([sub, "alice"], [(sub, ("softmax",))], [(sub, ["softmax"], earlier)], [(sub, (1,), earlier)],
                [(sub, ("softmax",), sub)], {"alice": sub}):
        with pytest.raises(wire.WireError):
            wire.read_task(wire.loads(wire.dumps(bad)))


def test_a_local_run_stopped_midway_is_finished_on_the_cluster(batch, cluster, tmp_path):
    subs, local = batch
    out = tmp_path / "out"
    rubric = load_rubric(None)
    job = prepare(rubric)
    done = []

    def stop_after_three(result) -> None:
        done.append(result.submission)
        if len(done) == 3:
            raise KeyboardInterrupt  # as if the TA pressed Ctrl-C

    with open_gradebook(out, rubric.digest, __version__) as gb:
        with pytest.raises(KeyboardInterrupt):
            grade_batch(load_batch(subs, rubric.settings), out, job, jobs=1, isolation="auto",
                        on_result=stop_after_three, gradebook=gb)
    graded_before = {p.parent.name for p in out.glob("*/result.json")}
    assert 3 <= len(graded_before) < 15 and not (out / "grades.csv").exists()

    code, printed, err = runcli(subs, out, "--cluster", cluster.scheduler_address)
    assert code == 0, err
    regraded = {line.split(":")[0] for line in printed.splitlines()}
    assert regraded == {p.parent.name for p in local.glob("*/result.json")} - graded_before
    assert f"unchanged {len(graded_before)}" in err
    assert_same_files(local, out)


def test_a_cluster_run_interrupted_with_ctrl_c_is_finished_locally(batch, tmp_path):
    """A real `grader grade --cluster local:2` gets SIGINT midway: exit 130, no process left; a local rerun finishes."""
    subs, local = batch
    out = tmp_path / "out"
    # --jobs 8: 8 submissions in flight, chunks of 2, so that results come back a few at a time.
    argv = tr.grader_argv(subs, out, "--cluster", "local:2", "--jobs", "8", "--rubric", "word2vec")  # as run_cli
    seen: dict[int, psutil.Process] = {}
    with open(tmp_path / "log", "w") as log:
        # (SIGINT's default action in the child, so that Python installs its handler there: a suite
        # run as a background job inherits SIGINT ignored, and the Ctrl-C below would do nothing)
        proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        me = psutil.Process(proc.pid)
        deadline = time.monotonic() + LIMIT
        while len(list(out.glob("*/result.json"))) < 3:
            assert proc.poll() is None, (tmp_path / "log").read_text()
            assert time.monotonic() < deadline
            with contextlib.suppress(psutil.Error):
                for p in me.children(recursive=True):
                    seen.setdefault(p.pid, p)
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(LIMIT) == 130, (tmp_path / "log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(LIMIT)
    log = (tmp_path / "log").read_text()
    assert "interrupted: results written so far are kept" in log
    assert len(seen) >= 4, "the nannies, workers and zygotes were seen running"
    assert_gone(seen.values())
    graded_before = {p.parent.name for p in out.glob("*/result.json")}
    assert 3 <= len(graded_before) < 15

    again = tr.run(subs, out, "--rubric", "word2vec")
    # What was graded before is not graded again (c12.txt, which holds no code, too, while unchanged).
    assert set(tr.printed_ids(again)) <= {p.parent.name for p in local.glob("*/result.json")} - graded_before
    assert_same_files(local, out)


def test_a_dead_scheduler_stops_the_batch_with_exit_2_and_a_local_rerun_finishes_it(batch, tmp_path):
    subs, local = batch
    out = tmp_path / "out"
    done: dict[str, object] = {}

    def run() -> None:
        done["result"] = runcli(subs, out, "--cluster", address)

    # Dask logs through its own handlers (to the process's stderr, not the `err` given to main):
    # what its client's loggers say while the scheduler goes away is caught here.
    said: list[logging.LogRecord] = []
    catch = logging.Handler(logging.WARNING)
    catch.emit = said.append  # type: ignore[method-assign]
    client_loggers = ("distributed.client", "distributed.comm", "distributed.core", "distributed.batched")
    levels = {name: logging.getLogger(name).level for name in client_loggers}
    logging.getLogger("distributed").addHandler(catch)
    try:
        with tracked_cluster() as (cluster, note):
            address = cluster.scheduler_address
            t = threading.Thread(target=run)
            t.start()
            deadline = time.monotonic() + LIMIT
            while len(list(out.glob("*/result.json"))) < 3:
                assert t.is_alive() and time.monotonic() < deadline
                note()
                time.sleep(0.01)
            cluster.close(timeout=30)  # the scheduler (and its workers) go away midway
            t.join(LIMIT)
    finally:
        logging.getLogger("distributed").removeHandler(catch)
    code, _, err = done["result"]
    assert code == 2
    assert f"lost the Dask scheduler at {address}" in err and "run the same command again" in err
    assert "Traceback" not in err
    # The batch says it in one line; the client's reconnect attempts and their tracebacks are not
    # logged beside it (the cluster's own scheduler and workers, torn down by this test, may log).
    assert not [r for r in said if r.name in client_loggers], [(r.name, r.getMessage()[:200]) for r in said]
    assert {name: logging.getLogger(name).level for name in client_loggers} == levels  # given back
    graded_before = {p.parent.name for p in out.glob("*/result.json")}
    assert 3 <= len(graded_before) < 15 and not (out / "grades.csv").exists()

    code, printed, err = runcli(subs, out)
    assert code == 0, err
    # What was graded before is not graded again (c12.txt, which holds no code, too, while unchanged).
    assert {line.split(":")[0] for line in printed.splitlines()} == \
        {p.parent.name for p in local.glob("*/result.json")} - graded_before
    assert_same_files(local, out)


class Poison(GradingPlugin):
    """Test-only fault injection: grading a submission whose id starts with "poison" kills the worker.

    Student code runs in the sandbox, which turns whatever it does (crashes, memory
    exhaustion, exits) into a check's error; no submission is known to kill its worker.
    This stands for what would: the kernel's OOM killer, a node lost, a bug.
    """

    def grade_one(self, submission, sandbox, partial=None):
        if submission.id.startswith("poison"):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().grade_one(submission, sandbox, partial)


class RecordingRunner(ClusterRunner):
    """Test-only: remembers the submission ids of each task sent, in order."""

    def _submit(self, subs, partials=None):
        self.__dict__.setdefault("sent", []).append([s.id for s in subs])
        return super()._submit(subs, partials)


def test_a_poison_submission_costs_itself_only(batch, tmp_path):
    subs, local = batch
    mixed = tmp_path / "subs"
    shutil.copytree(subs, mixed)
    (mixed / "poison.py").write_text(tr.SOLUTION)
    rubric = load_rubric(None)
    job = prepare(rubric)
    out = tmp_path / "out"
    with tracked_cluster() as (cluster, note):
        with RecordingRunner(cluster.scheduler_address, job, plugin_class=Poison) as runner:
            assert runner.allowed_failures == 1
            note()
            assert (runner.chunk, runner.jobs) == (8, 4)  # 2 worker threads: 32 submissions in flight
            # One slot: chunks of 8 consecutive entries (with several, they take entries in turns, and the
            # poison could be left the only one in its chunk).
            stats = grade_batch(load_batch(mixed, rubric.settings), out, job, jobs=1,
                                slots=runner.slot, chunk=runner.chunk, on_result=lambda r: note())
            note()
        assert (stats.graded, stats.errors) == (14, 2)  # c12.txt, and the poison
        # The poison was sent in a chunk with others; then each of that chunk's submissions alone.
        chunk = next(c for c in runner.sent if "poison" in c)
        assert len(chunk) > 1, runner.sent
        assert all([i] in runner.sent[runner.sent.index(chunk) + 1:] for i in chunk), runner.sent
        poison = json.loads((out / "poison" / "result.json").read_text())
        assert poison["status"] == "error"
        # Its chunk's worker died twice; then each of the chunk's submissions was sent alone.
        assert poison["errors"] == [
            "the cluster worker grading this submission died 2 times while grading it (killed, or out of memory); "
            "it was retried alone, then given up. The rest of the batch was graded"]
        for p in local.glob("*/result.json"):
            assert tr.without_timing(json.loads((out / p.parent.name / "result.json").read_text())) == \
                tr.without_timing(json.loads(p.read_text())), p.parent.name
        # The cluster is still up: its nannies restarted the workers, and the next batch is graded.
        with cluster_client(cluster) as client:
            client.wait_for_workers(2, timeout=LIMIT)
        again = tmp_path / "again"
        code, _, err = runcli(subs, again, "--cluster", cluster.scheduler_address)
        assert code == 0, err
        assert_same_files(local, again)
        note()


def test_a_worker_killed_midway_costs_a_retry_and_is_started_again_with_its_sandboxes(batch, tmp_path):
    subs, local = batch
    rubric = load_rubric(None)
    job = prepare(rubric)
    out = tmp_path / "out"
    with tracked_cluster() as (cluster, note):
        # 8 in flight on 2 worker threads: chunks of 2, so that a worker is still grading after the first results.
        with ClusterRunner(cluster.scheduler_address, job, in_flight=8) as runner:
            assert (runner.chunk, runner.jobs) == (2, 4)
            client = runner.client
            pids = client.run(os.getpid)
            zygotes = client.run(lambda: [p.pid for p in psutil.Process().children(recursive=True)])
            assert all(zygotes.values()), "each worker runs its zygote"
            note()
            killed: list[str] = []
            busy = threading.Event()

            def on_result(r) -> None:
                note()
                busy.set()

            def killer() -> None:
                busy.wait(LIMIT)
                # Kill a worker while it is grading something (between two of its tasks it may hold none).
                deadline = time.monotonic() + LIMIT
                while time.monotonic() < deadline:
                    busy_workers = [w for w, keys in sorted(client.processing().items()) if keys]
                    if busy_workers:
                        killed.append(busy_workers[0])
                        os.kill(pids[busy_workers[0]], signal.SIGKILL)
                        return
                    time.sleep(0.005)

            t = threading.Thread(target=killer)
            t.start()
            stats = grade_batch(load_batch(subs, rubric.settings), out, job, jobs=runner.jobs,
                                slots=runner.slot, chunk=runner.chunk, on_result=on_result)
            t.join(LIMIT)
            assert killed
            # The nanny started the worker again, and the plugin its zygote.
            client.wait_for_workers(2, timeout=LIMIT)
            deadline = time.monotonic() + LIMIT
            while True:
                now = client.run(lambda: [p.pid for p in psutil.Process().children(recursive=True)])
                if len(now) == 2 and all(now.values()):
                    break
                assert time.monotonic() < deadline, now
                time.sleep(0.2)
            assert pids[killed[0]] not in client.run(os.getpid).values()
            note()
        assert (stats.graded, stats.errors) == (14, 1)  # c12.txt holds no code
        # The killed worker's zygote died with it.
        assert_gone([psutil.Process(pid) for pid in zygotes[killed[0]] if psutil.pid_exists(pid)])
    # The submission it was grading was graded again: the results of a local run.
    assert tr.results(out) == tr.results(local)
    assert (out / "grades.csv").read_bytes() == (local / "grades.csv").read_bytes()


# --------------------------------------------------------------------------- units and bad input


def test_task_keys_tell_identical_files_of_two_students_apart(tmp_path):
    for twin in ("alice", "bob"):
        (tmp_path / twin).mkdir()
        (tmp_path / twin / "q3_word2vec.py").write_text(tr.SOLUTION)
    twins = list(load_batch(tmp_path, load_rubric(None).settings))
    assert twins[0].digest == twins[1].digest  # the same content: only the key tells them apart
    assert len({task_key(wire.dumps(s), "r", "v") for s in twins}) == 2

    files = (SourceFile("q3_word2vec.py", tr.SOLUTION, "q3_word2vec.py"),)
    alice = Submission("alice", "alice.py", "module", files=files, digest="d")
    bob = replace(alice, id="bob", source="bob.py")

    def key(sub, digest="r", version="v"):
        return task_key(wire.dumps(sub), digest, version)

    assert key(alice) != key(bob)
    assert key(alice) == key(replace(alice))
    assert key(alice) != key(alice, digest="r2") and key(alice) != key(alice, version="v2")
    assert key(alice) != key(replace(alice, late=True))


def test_the_wire_refuses_what_is_not_the_model():
    assert wire.decode(wire.encode((1, [2.5, None], {"a": "b"}))) == (1, [2.5, None], {"a": "b"})
    # A mapping's keys are never taken for tags, whatever they are.
    tricky = {"__tuple__": [1], "__grader__": "Submission", "__dict__": {"__numpy__": "|O"}}
    assert wire.loads(wire.dumps(tricky)) == tricky
    assert type(wire.loads(wire.dumps((1, (2,))))[1]) is tuple
    with pytest.raises(wire.WireError, match="cannot be sent"):
        wire.encode(object())
    with pytest.raises(wire.WireError, match=re.escape("unknown class 'Popen'")):
        wire.loads('{"__grader__": "Popen"}')
    with pytest.raises(wire.WireError, match=re.escape("Submission has unknown fields ['evil']")):
        wire.loads('{"__grader__": "Submission", "id": "a", "source": "", "kind": "", "evil": 1}')
    with pytest.raises(wire.WireError, match="Submission: "):
        wire.loads('{"__grader__": "Submission", "id": "a"}')  # required fields missing
    with pytest.raises(wire.WireError, match="cannot be sent"):
        wire.loads('{"__numpy__": "|O", "value": 1}')
    with pytest.raises(wire.WireError, match="without a known tag"):
        wire.loads('{"id": "a"}')
    with pytest.raises(wire.WireError, match="not JSON"):
        wire.loads("{")


def test_without_dask_cluster_says_how_to_install_it(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(tr.SOLUTION)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, _, err = runcli(subs, tmp_path / "out", "--cluster", "local:2")
    assert code == 2
    assert "pip install 'grader[dask]'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec, says", [
    ("local:0", "at least one worker"),
    ("local", "local:N"),
    ("my-cluster", "neither local:N nor a scheduler address"),
    ("tcp://127.0.0.1:99999", "port 99999 is not a port (1 to 65535)"),  # said at once, not after a time-out
])
def test_a_bad_cluster_address_is_exit_2(tmp_path, spec, says):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(tr.SOLUTION)
    code, _, err = runcli(subs, tmp_path / "out", "--cluster", spec)
    assert code == 2
    assert says in err and "Traceback" not in err


def test_no_scheduler_at_the_address_is_exit_2(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(cluster_runner, "CONNECT_TIMEOUT", 2.0)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(tr.SOLUTION)
    code, _, err = runcli(subs, tmp_path / "out", "--cluster", f"tcp://127.0.0.1:{port}")
    assert code == 2, err
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing graded: no results folder left behind


def test_a_listener_that_is_not_a_scheduler_and_a_tls_address_without_settings_are_exit_2(tmp_path, monkeypatch):
    import socket

    monkeypatch.setattr(cluster_runner, "CONNECT_TIMEOUT", 2.0)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(tr.SOLUTION)
    accepted = []
    with socket.socket() as server:  # accepts and never answers (another service, a port-forward not up)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        stop = threading.Event()

        def serve() -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    accepted.append(server.accept()[0])

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        t0 = time.monotonic()
        try:
            code, _, err = runcli(subs, tmp_path / "out", "--cluster", f"tcp://127.0.0.1:{port}")
        finally:
            stop.set()
            t.join()
            for c in accepted:
                c.close()
    assert code == 2, err
    assert re.search(rf"no Dask scheduler answered at tcp://127\.0\.0\.1:{port} in \d+ s: something may listen "
                     "there that is not a scheduler", err), err
    assert accepted and time.monotonic() - t0 < 20 and "Traceback" not in err
    code, _, err = runcli(subs, tmp_path / "out", "--cluster", "tls://127.0.0.1:9")
    assert code == 2 and "a tls:// scheduler needs Dask's TLS settings" in err and "Traceback" not in err


def test_a_local_cluster_that_cannot_start_is_exit_2(tmp_path, monkeypatch):
    def fails(n):
        raise RuntimeError("Nanny failed to start.")

    monkeypatch.setattr(cluster_runner, "local_cluster", fails)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(tr.SOLUTION)
    code, _, err = runcli(subs, tmp_path / "out", "--cluster", "local:2")
    assert code == 2, err
    assert "could not start a local Dask cluster of 2 workers (RuntimeError: Nanny failed to start.)" in err


def test_a_submission_graded_while_its_worker_stops_gets_no_verdict(tmp_path):
    """Ctrl-C stops the workers' sandboxes under the tasks they run: those tasks give no result.

    Without this, the sandbox torn down midway made the submission's grading fail, and the
    batch recorded that failure as the submission's error result (which a rerun then kept).
    """
    from types import SimpleNamespace

    from grader.cluster.worker import WorkerRefused

    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "slow.py").write_text("import time\ntime.sleep(1.5)\n" + tr.SOLUTION)
    rubric = load_rubric(None)
    job = prepare(rubric)
    sub = next(iter(load_batch(folder, rubric.settings)))
    sub = sub.load() if hasattr(sub, "load") else sub
    plugin = GradingPlugin(rubric, Path(rubric.reference_path).read_bytes(), job.cases, allow_unsandboxed=True)
    plugin.setup(SimpleNamespace(address="tcp://127.0.0.1:1", nthreads=1))
    assert plugin.refused is None
    outcome: dict[str, object] = {}

    def grade() -> None:
        try:
            outcome["result"] = plugin.grade(wire.dumps([sub]))
        except Exception as e:  # noqa: BLE001 - what the task raised is the outcome
            outcome["raised"] = e

    t = threading.Thread(target=grade)
    t.start()
    time.sleep(0.6)  # the student's module is importing (it sleeps 1.5 s)
    plugin.teardown(None)
    t.join(LIMIT)
    assert not t.is_alive()
    assert isinstance(outcome.get("raised"), WorkerRefused), outcome
    assert "stopped while this submission was being graded" in str(outcome["raised"])

