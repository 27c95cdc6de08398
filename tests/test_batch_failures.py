"""Failures after grading cost one submission only, and bad input is exit 2 everywhere (issue 12, items 3 and 7).

Item 3: a failure in any step after grading one submission -- report.html, result.json,
the gradebook row, the progress callback -- is injected for one submission id through
``grader.cli.main``: that submission gets an error result, every other one its result,
the batch ends with exit 0 and writes grades.csv and summary.html, and a rerun (with the
failure still there) ends the same way and grades that submission again.

Item 7: what a new user mistypes is a message and exit 2, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
import zipfile
from pathlib import Path

import pytest

from grader import batch as batch_module
from grader import render
from grader.cli import main
from grader.gradebook import Gradebook

CORRECT = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        delta = y_hat.copy()
        delta[target] -= 1
        return -np.log(y_hat[target]), outputVectors.T.dot(delta), np.outer(delta, predicted)
""")
IDS = ("alice", "bob", "carol")
VICTIM = "bob"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    for sid in IDS:
        (folder / f"{sid}.py").write_text(CORRECT)
    return folder


class Injected(RuntimeError):
    pass


def _render_report(monkeypatch):
    real = render.report

    def report(result, **kw):
        if result.submission == VICTIM and result.status == "graded":
            raise Injected("report.html could not be rendered")
        return real(result, **kw)

    monkeypatch.setattr(render, "report", report)


def _write_result_json(monkeypatch):
    real = batch_module.write_atomic

    def write_atomic(path, text):
        if path.parent.name == VICTIM and path.name == "result.json":
            raise Injected("result.json could not be written")  # every time, also for the error result
        return real(path, text)

    monkeypatch.setattr(batch_module, "write_atomic", write_atomic)


def _gradebook_row(monkeypatch):
    real = Gradebook.record

    def record(self, submission, result):
        if result.submission == VICTIM:
            raise Injected("the gradebook row could not be written")
        return real(self, submission, result)

    monkeypatch.setattr(Gradebook, "record", record)


def _progress_callback(monkeypatch):
    real = render.terminal_batch_line

    def line(result):
        if result.submission == VICTIM and result.status == "graded":
            raise Injected("the progress line could not be written")
        return real(result)

    monkeypatch.setattr(render, "terminal_batch_line", line)


FAILURES = {"report.html": _render_report, "result.json": _write_result_json, "gradebook row": _gradebook_row,
            "progress callback": _progress_callback}


@pytest.mark.parametrize("where", sorted(FAILURES))
def test_a_failure_after_grading_one_submission_costs_only_that_submission(where, subs, tmp_path, monkeypatch):
    FAILURES[where](monkeypatch)
    results = tmp_path / "results"
    for attempt in (1, 2):  # a rerun, with the failure still there, does not stop at the same place
        code, out, err = run(["grade", str(subs), "--out", str(results), "--jobs", "2", "--no-progress"])
        assert code == 0, err
        assert "Traceback" not in err
        with open(results / "grades.csv", encoding="utf-8", newline="") as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
        assert (results / "summary.html").is_file()
        for sid in IDS:
            if sid == VICTIM:
                continue
            assert rows[sid]["status"] == "graded" and rows[sid]["score"] == rows[sid]["max_score"], attempt
        victim = json.loads((results / VICTIM / "result.json").read_text(encoding="utf-8"))
        assert victim["status"] == "error" and rows[VICTIM]["status"] == "error"
        assert "the grader failed after grading this submission (Injected: " in victim["errors"][0]
        # The rerun graded the failed submission again (it is never recorded as current); the others were skipped.
        assert f"{VICTIM}: error: the grader failed after grading" in out
        if attempt == 2:
            assert "alice:" not in out and "carol:" not in out


def test_an_error_report_is_written_even_when_the_report_template_fails_for_it(subs, tmp_path, monkeypatch):
    real = render.report

    def report(result, **kw):
        if result.submission == VICTIM:
            raise Injected("every report of bob fails, the error report too")
        return real(result, **kw)

    monkeypatch.setattr(render, "report", report)
    code, out, err = run(["grade", str(subs), "--out", str(tmp_path / "r"), "--jobs", "1", "--no-progress"])
    assert code == 0, err
    page = (tmp_path / "r" / VICTIM / "report.html").read_text(encoding="utf-8")
    assert "could not be written" in page and "<script" not in page
    assert json.loads((tmp_path / "r" / VICTIM / "result.json").read_text())["status"] == "error"


def test_loading_happens_outside_the_lock_that_other_slots_need(subs, tmp_path, monkeypatch):
    # While one slot makes its Submission (decoding, translating), another can take the next entry.
    import threading

    from grader import load

    real = load.Pending.load
    both_loading = threading.Barrier(2, timeout=30)
    waited = []

    def slow_load(self):
        try:
            both_loading.wait()  # returns only when the other slot is loading at the same time
            waited.append(self.id)
        except threading.BrokenBarrierError:
            pass
        return real(self)

    monkeypatch.setattr(load.Pending, "load", slow_load)
    code, out, err = run(["grade", str(subs), "--out", str(tmp_path / "r"), "--jobs", "2", "--no-progress"])
    assert code == 0, err
    assert len(waited) >= 2


# --------------------------------------------------------------------------- item 7: bad input is exit 2


def test_out_that_is_an_existing_file_is_exit_2(subs, tmp_path):
    target = tmp_path / "results.txt"
    target.write_text("not a folder")
    code, out, err = run(["grade", str(subs), "--out", str(target), "--no-progress"])
    assert code == 2 and "Traceback" not in err
    assert "exists and is not a folder" in err
    assert target.read_text() == "not a folder"
    code, out, err = run(["grade", str(subs), "--out", str(target / "inside"), "--no-progress"])
    assert code == 2 and "Traceback" not in err


@pytest.mark.parametrize("inside", ["results", ".", "deeper/results"])
def test_out_inside_the_submissions_folder_is_refused(subs, inside):
    code, out, err = run(["grade", str(subs), "--out", str(subs / inside), "--no-progress"])
    assert code == 2 and "Traceback" not in err
    assert "is inside SUBMISSIONS" in err
    assert sorted(p.name for p in subs.iterdir()) == [f"{sid}.py" for sid in IDS]  # nothing written there


@pytest.mark.parametrize("content", ["empty", "only hidden", "empty zip"])
def test_grading_an_empty_batch_warns_and_exits_2(tmp_path, content):
    if content == "empty zip":
        src = tmp_path / "empty.zip"
        with zipfile.ZipFile(src, "w"):
            pass
    else:
        src = tmp_path / "empty"
        src.mkdir()
        if content == "only hidden":
            (src / ".ipynb_checkpoints").mkdir()
            (src / ".hidden.py").write_text(CORRECT)
    code, out, err = run(["grade", str(src), "--out", str(tmp_path / "r"), "--no-progress"])
    assert code == 2 and "Traceback" not in err
    assert "holds no submission" in err and out == ""
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("kind", ["txt", "corrupt zip", "zip without code", "folder without code", "not a notebook"])
def test_check_of_input_that_is_not_a_submission_exits_2(tmp_path, kind):
    if kind == "txt":
        path = tmp_path / "answers.txt"
        path.write_text(CORRECT)
    elif kind == "corrupt zip":
        path = tmp_path / "hw.zip"
        path.write_bytes(b"PK\x03\x04 this is not a zip")
    elif kind == "zip without code":
        path = tmp_path / "hw.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("README.md", "nothing")
    elif kind == "folder without code":
        path = tmp_path / "hw"
        path.mkdir()
        (path / "notes.txt").write_text("x")
    else:
        path = tmp_path / "hw.ipynb"
        path.write_text("{not json")
    code, out, err = run(["check", str(path)])
    assert code == 2 and "Traceback" not in err, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_a_grader_failure_that_even_its_error_result_repeats_costs_only_that_submission(subs, tmp_path, monkeypatch):
    real = batch_module.grade

    def grade(sub, job, sb):
        if sub.id == VICTIM:
            raise Injected("grading bob fails, and so does making its error result")
        return real(sub, job, sb)

    monkeypatch.setattr(batch_module, "grade", grade)
    code, out, err = run(["grade", str(subs), "--out", str(tmp_path / "r"), "--jobs", "2", "--no-progress"])
    assert code == 0, err
    victim = json.loads((tmp_path / "r" / VICTIM / "result.json").read_text())
    assert victim["status"] == "error" and "the grader failed on this submission (Injected: " in victim["errors"][0]
    assert json.loads((tmp_path / "r" / "alice" / "result.json").read_text())["status"] == "graded"


def test_a_rerun_grades_again_what_the_grader_could_not_run_but_not_an_unchanged_unreadable_entry(
        subs, tmp_path, monkeypatch):
    (subs / "notes.txt").write_text("no code here\n")
    (subs / "broken.zip").write_bytes(b"not a zip")
    real = batch_module.grade
    failing = [True]

    def grade(sub, *a, **k):  # the grader cannot run bob's code (its sandbox failed), once
        result = real(sub, *a, **k)
        if sub.id == VICTIM and failing[0]:
            from dataclasses import replace

            return replace(result, status="error", errors=("the grader could not run this submission: injected",))
        return result

    monkeypatch.setattr(batch_module, "grade", grade)
    results = tmp_path / "results"
    code, out, err = run(["grade", str(subs), "--out", str(results), "--jobs", "1", "--no-progress"])
    assert code == 0, err
    assert json.loads((results / VICTIM / "result.json").read_text())["status"] == "error"
    failing[0] = False
    code, out, err = run(["grade", str(subs), "--out", str(results), "--jobs", "1", "--no-progress"])
    assert code == 0, err
    # bob is graded again (and now is graded); the unreadable entries, unchanged, keep their error results
    assert [line.split(":")[0] for line in out.splitlines()] == [VICTIM]
    assert "graded 1, errors 0, unchanged 4" in err
    assert json.loads((results / VICTIM / "result.json").read_text())["status"] == "graded"
    (subs / "notes.txt").write_text("still no code\n")  # changed: looked at again
    code, out, err = run(["grade", str(subs), "--out", str(results), "--jobs", "1", "--no-progress"])
    assert [line.split(":")[0] for line in out.splitlines()] == ["notes"] and "unchanged 4" in err


def test_a_submission_named_as_a_file_of_the_results_folder_costs_no_one(subs, tmp_path):
    # A folder handed in as grades.csv/ (or a file summary.html.py, gradebook.sqlite-wal/) had its results
    # folder where the batch writes that file: the batch ended in a crash, without grades.csv or summary.html.
    for name in ("grades.csv", "gradebook.sqlite-wal"):
        (subs / name).mkdir()
        (subs / name / "q1_softmax.py").write_text(CORRECT)
    (subs / "summary.html.py").write_text(CORRECT)
    code, out, err = run(["grade", str(subs), "--out", str(tmp_path / "r"), "--no-progress"])
    assert code == 0 and "Traceback" not in err and "bug in grader" not in err
    r = tmp_path / "r"
    assert (r / "grades.csv").is_file() and (r / "summary.html").is_file()
    rows = list(csv.DictReader(io.StringIO((r / "grades.csv").read_text())))
    assert len(rows) == len(IDS) + 3
    assert {"grades.csv-2", "summary.html-2", "gradebook.sqlite-wal-2"} <= {p.name for p in r.iterdir() if p.is_dir()}


def test_processes_a_submission_forks_at_the_top_level_never_speak_for_it(tmp_path):
    """``os.fork()`` in a module's top-level code: the copies share the pipes of the student's process;
    back in the grader's code they would send events and read hidden inputs too, tearing the frames of
    right code (its score changed from run to run). They end there, and right code scores full marks."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "forks.py").write_text(CORRECT + "\nimport os\nfor _ in range(3):\n    os.fork()\n")
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0, err
    r = json.loads((out / "forks" / "result.json").read_text())
    failing = [(c["id"], c["message"]) for q in r["questions"] for c in q["checks"] if c["status"] != "pass"]
    assert failing == [] and r["score"] == r["max_score"], failing


def test_a_dangling_link_a_named_pipe_and_a_pipe_inside_a_folder_each_get_a_result_and_never_stop_the_batch(tmp_path):
    import os
    import subprocess
    import sys

    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "q3_word2vec.py").write_text(CORRECT)
    os.mkfifo(subs / "alice" / "pipe.py")  # opened, it would wait for a writer forever
    os.mkfifo(subs / "fifo.py")
    (subs / "dangling.py").symlink_to(tmp_path / "nothing-here.py")
    (subs / "bob.py").write_text(CORRECT)
    out = tmp_path / "out"
    argv = [sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())", "grade", str(subs),
            "--out", str(out), "--no-progress", "--allow-unsandboxed"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = {r["id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"alice", "bob", "dangling", "fifo"}
    assert rows["dangling"]["status"] == rows["fifo"]["status"] == "error"
    fifo = json.loads((out / "fifo" / "result.json").read_text())
    assert "fifo.py is not a regular file (a named pipe, a socket or a device)" in fifo["errors"][0]
    dangling = json.loads((out / "dangling" / "result.json").read_text())
    assert "dangling.py is a symbolic link" in dangling["errors"][0]
    alice = json.loads((out / "alice" / "result.json").read_text())
    assert alice["status"] == "graded" and alice["score"] == alice["max_score"]
    assert any("alice/pipe.py is not a regular file" in n for n in alice["notes"])


def test_a_grade_that_fails_on_bad_input_leaves_no_results_folder_behind(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    broken = tmp_path / "download.zip"
    broken.write_bytes(b"not a zip at all")
    for argv, said in (
            (["grade", str(subs), "--out", str(tmp_path / "new"), "--only", "nobody", "--allow-unsandboxed"],
             "--only: no submission with id 'nobody'"),
            (["grade", str(broken), "--out", str(tmp_path / "new")], "could not be read as a zip archive")):
        err = io.StringIO()
        assert main(argv, out=io.StringIO(), err=err) == 2
        assert said in err.getvalue() and "grades.csv" not in err.getvalue()
        assert not (tmp_path / "new").exists()
    # an empty folder given as RESULTS stays, empty; one holding results keeps them, and is pointed at
    (tmp_path / "empty").mkdir()
    argv = ["grade", str(subs), "--out", str(tmp_path / "empty"), "--only", "nobody", "--allow-unsandboxed"]
    assert main(argv, out=io.StringIO(), err=io.StringIO()) == 2
    assert list((tmp_path / "empty").iterdir()) == []
    used = tmp_path / "used"
    assert main(["grade", str(subs), "--out", str(used), "--allow-unsandboxed"], out=io.StringIO(),
                err=io.StringIO()) == 0
    err = io.StringIO()
    assert main(["grade", str(subs), "--out", str(used), "--only", "nobody", "--allow-unsandboxed"],
                out=io.StringIO(), err=err) == 2
    assert f"see {used}/grades.csv" in err.getvalue()
    assert (used / "alice" / "result.json").is_file() and (used / "grades.csv").is_file()
