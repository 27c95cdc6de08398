"""A slot's sandbox does not wait while other submissions are loaded or written.

Submissions graded one at a time are loaded (decoded, Python 2 translated in the text
helper) ahead of the slots and written (report.html, result.json, the gradebook) behind
them, by other threads and through bounded queues.  Each test makes one stage wait for
the other to have started: with the stages in one thread, in turn, that never happens and
the test fails on its timeout instead of hanging.
"""

from __future__ import annotations

import signal
import threading

import pytest

from grader import batch
from grader.load import Pending

from test_memory_flat import JOB, FakeSandbox, fake_grade, submissions

WAIT = 10.0


def pendings(n: int, loaded: list[threading.Event]):
    subs = list(submissions(n))
    for i, sub in enumerate(subs):
        def make(i=i, sub=sub):
            loaded[i].set()
            return sub
        yield Pending(id=sub.id, source=sub.source, make=make)


def test_the_next_submission_is_loaded_while_one_is_graded(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    n = 5
    loaded = [threading.Event() for _ in range(n)]
    overlapped: list[bool] = []

    def grade(sub, job, sb):
        i = int(sub.id[1:])
        if i + 1 < n:  # one slot: the next submission is loaded meanwhile, by another thread
            overlapped.append(loaded[i + 1].wait(WAIT))
        return fake_grade(sub, job, sb)

    monkeypatch.setattr(batch, "grade", grade)
    stats = batch.grade_batch(pendings(n, loaded), tmp_path / "out", JOB, jobs=1)
    assert stats.graded == n
    assert overlapped == [True] * (n - 1)


def test_a_result_is_written_while_the_next_submission_is_graded(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    n = 4
    graded = [threading.Event() for _ in range(n)]
    overlapped: list[bool] = []
    write = batch.write_result

    def grade(sub, job, sb):
        graded[int(sub.id[1:])].set()
        return fake_grade(sub, job, sb)

    def written(out, result, **kw):
        i = int(result.submission[1:])
        if i + 1 < n:  # one slot: it grades the next submission while this result is written
            overlapped.append(graded[i + 1].wait(WAIT))
        write(out, result, **kw)

    monkeypatch.setattr(batch, "grade", grade)
    monkeypatch.setattr(batch, "write_result", written)
    stats = batch.grade_batch(submissions(n), tmp_path / "out", JOB, jobs=1)
    assert stats.graded == n
    assert overlapped == [True] * (n - 1)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == [f"s{i:05d}" for i in range(n)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_loader_failure_ends_the_batch_with_that_error(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    monkeypatch.setattr(batch, "grade", fake_grade)

    def broken():
        yield from submissions(3)
        raise OSError("the batch folder went away")

    with pytest.raises(OSError, match="went away"):
        batch.grade_batch(broken(), tmp_path / "out", JOB, jobs=jobs)
    written = {p.name for p in (tmp_path / "out").iterdir() if p.is_dir()}
    # One loader: the submissions before the failure come first, and are graded and written.
    # Two: one loaded by the other loader may be left ungraded by the failure (a rerun grades it).
    assert written == {"s00000", "s00001", "s00002"} if jobs == 1 else written <= {"s00000", "s00001", "s00002"}
    assert all((tmp_path / "out" / name / "result.json").is_file() for name in written)


def test_ctrl_c_writes_every_result_already_graded(tmp_path, monkeypatch):
    # Ctrl-C (or SIGTERM, which grader turns into it) while results wait for the writer: the
    # results graded before it are written before the batch ends, none is lost to the queue.
    import _thread

    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    n = 6
    graded: list[str] = []
    release = threading.Event()
    write = batch.write_result

    def grade(sub, job, sb):
        graded.append(sub.id)
        if len(graded) == 3:  # one result is being written, one waits in the queue: interrupt now
            _thread.interrupt_main()
        return fake_grade(sub, job, sb)

    def slow_write(out, result, **kw):
        release.wait(WAIT)  # the writer holds back until the interrupt has been raised
        write(out, result, **kw)

    monkeypatch.setattr(batch, "grade", grade)
    monkeypatch.setattr(batch, "write_result", slow_write)
    # interrupt_main() does nothing where SIGINT is ignored (a suite run as a background job
    # inherits it so): Python's own handler, as in a terminal, for the time of the test
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, release.set)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            batch.grade_batch(submissions(n), tmp_path / "out", JOB, jobs=1)
    finally:
        release.set()
        timer.cancel()
        signal.signal(signal.SIGINT, before)
    on_disk = {p.name for p in (tmp_path / "out").iterdir() if (p / "result.json").is_file()}
    assert {"s00000", "s00001"} <= on_disk


def test_each_slots_sandbox_is_ready_with_the_inputs_before_its_first_submission(tmp_path, monkeypatch):
    # A submission's time (result.json's "seconds", the batch's "slowest") is its own: the
    # first one a slot grades is not timed with its sandbox's start and the rubric's inputs.
    import shutil
    from pathlib import Path

    from grader.sandbox import Sandbox

    from factories import cli

    seen: list[tuple[bool, bool]] = []
    real = Sandbox.run

    def spy(self, *a, **k):
        seen.append((self._ready, self._inputs is not None))
        return real(self, *a, **k)

    monkeypatch.setattr(Sandbox, "run", spy)
    honest = Path(__file__).resolve().parent / "submissions" / "honest" / "vectorised"
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice", "bob", "carol"):
        shutil.copytree(honest, subs / name)
    code, said, err = cli("grade", subs, "--out", tmp_path / "out", "--jobs", "2", "--no-progress")
    assert code == 0, err
    assert len(seen) == 3 and all(ready and inputs for ready, inputs in seen), seen


def test_a_signal_while_the_threads_start_ends_the_batch_with_it_not_a_join_error(tmp_path, monkeypatch):
    # SIGTERM during t.start() (a large --jobs): the cleanup joined loaders never started
    # ("RuntimeError: cannot join thread before it is started"), a traceback instead of exit 143
    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    monkeypatch.setattr(batch, "grade", fake_grade)
    real, started = threading.Thread.start, []

    def start(self):
        if len(started) == 3:
            raise KeyboardInterrupt
        started.append(self.name)
        real(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(KeyboardInterrupt):
        batch.grade_batch(submissions(4), tmp_path / "out", JOB, jobs=4)
