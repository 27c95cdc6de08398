"""Slots as processes (`grader grade --jobs N`, grader/slots.py): each its own process and zygote, the same files.

A slot process loads, grades and writes its submissions; the batch's process keeps the
gradebook, progress and batch-wide files.  A slot process that dies costs one submission;
Ctrl-C leaves no process behind and a rerun grades only what is missing.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from grader import batch, load
from grader.cli import main
from grader.gradebook import FILENAME, open_gradebook

from test_memory_flat import JOB, FakeSandbox, fake_grade, measure, submissions
from test_resume import LIMIT, assert_same_files, counts, grader_argv, make_batch, results, run as run_grader

from grader.progress import Progress


def cli(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def log(path: Path, *fields: object) -> None:
    """Append one line to ``path`` (one write: lines of several processes do not mix)."""
    with open(path, "a") as f:
        f.write(" ".join(map(str, fields)) + "\n")


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, dead but not yet reaped, is not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (from /proc: parents and children)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found.add(c)
                todo.append(c)
    return found


def wait_gone(pids, seconds: float = 20.0) -> set[int]:
    """Return the pids still alive after up to ``seconds`` (a hang is a failure, not a speed check)."""
    deadline = time.monotonic() + seconds
    left = {p for p in pids if alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if alive(p)}
    return left


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    make_batch(folder)
    return folder


def test_each_slot_is_its_own_process_with_its_own_zygote_and_loads_its_own_submissions(subs, tmp_path, monkeypatch):
    seen = tmp_path / "seen.txt"
    real_grade, real_load = batch.grade, load.Pending.load

    def grade(sub, job, sb):
        log(seen, "grade", os.getpid(), sb.proc.pid, sub.id)
        return real_grade(sub, job, sb)

    def pending_load(self, *args, **kwargs):
        log(seen, "load", os.getpid(), 0, self.id)
        return real_load(self, *args, **kwargs)

    monkeypatch.setattr(batch, "grade", grade)
    monkeypatch.setattr(load.Pending, "load", pending_load)
    code, out, err = cli(["grade", str(subs), "--out", str(tmp_path / "r"), "--jobs", "2", "--slots", "processes",
                          "--no-progress", "--allow-unsandboxed"])
    assert code == 0, err
    graded = [(int(pid), int(zygote)) for what, pid, zygote, _ in lines(seen) if what == "grade"]
    slots = {pid for pid, _ in graded}
    assert os.getpid() not in slots and len(slots) == 2
    # Every submission is loaded in the slot process that grades it (grade's choice of the
    # rubric's version looks at them in this process before the batch: not counted).
    loaded = {(int(pid), sid) for what, pid, _, sid in lines(seen) if what == "load" and int(pid) != os.getpid()}
    assert loaded == {(int(pid), sid) for what, pid, _, sid in lines(seen) if what == "grade"}
    assert len(loaded) == 13
    zygotes = {pid: {z for p, z in graded if p == pid} for pid in slots}
    assert all(len(z) == 1 for z in zygotes.values())  # one warm zygote per slot, kept
    assert len(set.union(*zygotes.values())) == 2  # and not shared
    assert not wait_gone(slots | set.union(*zygotes.values()))
    assert len(results(tmp_path / "r")) == 13


def test_slot_processes_write_the_files_of_one_slot_and_of_thread_slots(subs, tmp_path):
    one, procs, threads = tmp_path / "one", tmp_path / "procs", tmp_path / "threads"
    run_grader(subs, one, "--jobs", "1")
    p = run_grader(subs, procs)  # --jobs 2: processes
    run_grader(subs, threads, "--slots", "threads")
    assert sum(counts(p)) == 13
    assert_same_files(one, procs)
    assert_same_files(threads, procs)
    assert len(results(one)) == 13


def test_a_slot_process_killed_mid_batch_costs_one_submission_and_the_batch_completes(subs, tmp_path, monkeypatch):
    victim, seen = "a02", tmp_path / "seen.txt"
    real_grade = batch.grade

    def grade(sub, job, sb):
        log(seen, os.getpid(), sb.proc.pid)
        if sub.id == victim:
            os.kill(os.getpid(), signal.SIGKILL)  # this slot process dies, its zygote left without a parent
        return real_grade(sub, job, sb)

    monkeypatch.setattr(batch, "grade", grade)
    out = tmp_path / "r"
    code, printed, err = cli(["grade", str(subs), "--out", str(out), "--jobs", "2", "--slots", "processes",
                              "--no-progress", "--allow-unsandboxed"])
    assert code == 0, err
    doc = json.loads((out / victim / "result.json").read_text())
    assert doc["status"] == "error"
    assert doc["errors"] == ["the process grading this submission stopped (it was killed by SIGKILL); this is a bug "
                             "in grader (or the machine ran out of memory): please report it"]
    assert (out / victim / "report.html").is_file()
    others = {sid: r["status"] for sid, r in results(out).items() if sid != victim}
    assert len(others) == 12 and list(others.values()).count("graded") == 11  # c12 (no code) is an error of its own
    assert err.strip().splitlines()[-1].startswith("graded 11, errors 2, unchanged 0")
    assert victim in (out / "grades.csv").read_text()
    pids = {int(p) for p, _ in lines(seen)} | {int(z) for _, z in lines(seen)}
    assert len({int(p) for p, _ in lines(seen)}) == 3  # two slots and the replacement
    assert not wait_gone(pids)  # the dead slot's zygote stopped too
    # The error is not recorded as current: the rerun grades the victim (and only the errors).
    monkeypatch.setattr(batch, "grade", real_grade)
    code, printed, err = cli(["grade", str(subs), "--out", str(out), "--jobs", "2", "--slots", "processes",
                              "--no-progress", "--allow-unsandboxed"])
    assert code == 0, err
    assert json.loads((out / victim / "result.json").read_text())["status"] == "graded"
    assert victim in printed and "a01" not in printed


@pytest.mark.parametrize("to", ["batch", "group"])
def test_ctrl_c_leaves_no_process_behind_and_a_rerun_grades_only_what_is_missing(subs, tmp_path, to):
    out, whole = tmp_path / "r", tmp_path / "whole"
    p = subprocess.Popen(grader_argv(subs, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + LIMIT
        while len(list(out.glob("*/result.json"))) < 2 and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        under = descendants(p.pid)
        assert p.poll() is None and under, "the batch ended before it could be interrupted"
        if to == "group":  # a terminal's Ctrl-C: every process of the foreground group
            os.killpg(p.pid, signal.SIGINT)
        else:
            p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=LIMIT)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 130, err
    assert "interrupted: results written so far are kept" in err
    assert not wait_gone(under), "processes left running after Ctrl-C"
    done = len(list(out.glob("*/result.json")))
    assert done < 13
    # What the batch's process recorded before it stopped is kept; a result a slot process
    # wrote that was not recorded yet is graded again.
    db = sqlite3.connect(str(out / FILENAME))
    try:
        recorded = db.execute("select count(*) from submissions where digest != ''").fetchone()[0]
    finally:
        db.close()
    rerun = run_grader(subs, out)
    graded, errors, unchanged = counts(rerun)
    assert graded + errors + unchanged == 13 and unchanged == recorded
    run_grader(subs, whole)
    assert_same_files(out, whole)


def test_the_batch_process_keeps_nothing_per_submission_with_slot_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    monkeypatch.setattr(batch, "grade", fake_grade)
    with open_gradebook(tmp_path / "warm", "r", "v") as gb:
        batch.grade_batch(submissions(30), tmp_path / "warm", JOB, jobs=2, gradebook=gb, processes=True)
    seen: dict[int, tuple[int, int]] = {}
    bar = Progress(500, io.StringIO(), tty=False)

    def on_result(r) -> None:
        bar.done(r.submission, error=r.status == "error")
        if bar.count in (100, 500):
            seen[bar.count] = measure()

    out = tmp_path / "out"
    with open_gradebook(out, "r", "v") as gb:
        stats = batch.grade_batch(submissions(500), out, JOB, jobs=2, gradebook=gb, on_result=on_result,
                                  processes=True)
        assert gb.count() == 500
    assert stats.graded == 500
    (objects_100, blocks_100), (objects_500, blocks_500) = seen[100], seen[500]
    assert objects_500 - objects_100 < 100, (objects_100, objects_500)
    assert blocks_500 - blocks_100 < 400, (blocks_100, blocks_500)


def test_a_slot_process_whose_sandbox_cannot_start_fails_the_batch_with_its_error(tmp_path, monkeypatch):
    from grader.errors import IsolationError

    class Broken(FakeSandbox):
        def __enter__(self):
            raise IsolationError("the sandbox (bwrap) did not start: no namespaces")

    monkeypatch.setattr(batch, "Sandbox", Broken)
    with pytest.raises(IsolationError, match=r"the sandbox \(bwrap\) did not start: no namespaces"):
        batch.grade_batch(submissions(5), tmp_path / "out", JOB, jobs=2, processes=True)
    assert not list((tmp_path / "out").glob("*/result.json"))


def test_a_batch_of_one_slot_runs_in_the_batch_process(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "Sandbox", FakeSandbox)
    pids = set()

    def grade(sub, job, sb):
        pids.add(os.getpid())
        return replace(fake_grade(sub, job, sb))

    monkeypatch.setattr(batch, "grade", grade)
    stats = batch.grade_batch(submissions(5), tmp_path / "out", JOB, jobs=1)
    assert stats.graded == 5 and pids == {os.getpid()}


def test_large_submissions_pass_between_the_processes_without_either_waiting_on_the_other(tmp_path):
    # A submission (and the Submission sent back to be looked up) larger than a socket's buffer,
    # several at once: the batch's process and a slot process never both wait to send.
    from test_resume import SOLUTION

    subs, out = tmp_path / "subs", tmp_path / "r"
    subs.mkdir()
    padding = "".join(f"# line {i} of a long comment, to make the file large\n" for i in range(20000))  # ~1 MB
    for i in range(6):
        (subs / f"big{i}.py").write_text(SOLUTION + padding)
    p = run_grader(subs, out)
    assert counts(p) == (6, 0, 0)
