"""Resuming a batch: kill -9 a real `grader grade` midway, rerun it, and get the files of an uninterrupted run.

Also: a rerun grades only what is missing or changed, ``--force`` regrades all, ``--only``
regrades one student, and the progress lines go to standard error.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.gradebook import FILENAME

SOLUTION = '''\
import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(outputVectors.dot(predicted))
    cost = -np.log(y_hat[target])
    delta = y_hat.copy()
    delta[target] -= 1.0
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad
'''

NO_SHIFT = SOLUTION.replace("x - np.max(x, axis=-1, keepdims=True)", "x")
TRANSPOSED = SOLUTION.replace("grad = np.outer(delta, predicted)", "grad = np.outer(predicted, delta)")
SIGN = SOLUTION.replace("gradPred = outputVectors.T.dot(delta)", "gradPred = -outputVectors.T.dot(delta)")
RAISES = SOLUTION.replace("    y_hat = softmax(", "    raise NotImplementedError\n    y_hat = softmax(")
MISSING = SOLUTION.split("def softmaxCostAndGradient")[0]
#: Prints at load and in every call, and numpy warns (overflow) on the large inputs: the
#: output must be attributed to the same calls in a resumed batch as in a whole one.
PRINTS = "print('loading')\n" + NO_SHIFT.replace(
    "def softmax(x):\n", "def softmax(x):\n    print('softmax of shape', np.shape(x))\n")
#: Loading takes a while: the batch is surely still running when it is killed.
SLOW = "import time\ntime.sleep(0.8)\n" + SOLUTION
#: Seconds a whole `grader grade` run may take here before the test gives up (a hang, not a speed check).
LIMIT = 50


def notebook(code: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Q1"), nbformat.v4.new_code_cell("%matplotlib inline\n" + code)]
    return nbformat.writes(nb)


def make_batch(folder: Path) -> list[str]:
    """Write a batch of 13 submissions (four of them slow) and return their ids.

    One prints (at load, in each call, and numpy's overflow warnings).
    """
    folder.mkdir()
    files = {
        "a01.py": SOLUTION, "a02.py": TRANSPOSED, "a03.py": SIGN, "a04.ipynb": notebook(SOLUTION),
        "b05.py": SLOW, "b06.py": SLOW, "b07.py": RAISES, "b08.py": SLOW, "b09.py": SLOW,
        "c10.py": MISSING, "c11.py": "def softmax(x:\n", "c12.txt": "not code", "a13.py": PRINTS,
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return sorted(Path(n).stem for n in files)


def grader_argv(subs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from grader.cli import console_main; console_main()", "grade", str(subs),
            "--out", str(out), "--jobs", "2", "--allow-unsandboxed", *extra]


def run(subs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    p = subprocess.run(grader_argv(subs, out, *extra), capture_output=True, text=True, timeout=LIMIT)
    assert p.returncode == 0, p.stderr
    return p


def final_line(p: subprocess.CompletedProcess) -> str:
    return p.stderr.strip().splitlines()[-1]


def counts(p: subprocess.CompletedProcess) -> tuple[int, int, int]:
    """(graded, errors, unchanged) from the final line."""
    words = final_line(p).replace(",", "").split()
    return int(words[1]), int(words[3]), int(words[5])


def without_timing(doc):
    """Drop timing fields ("seconds") at every depth."""
    if isinstance(doc, dict):
        return {k: without_timing(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [without_timing(v) for v in doc]
    return doc


def results(out: Path) -> dict[str, dict]:
    return {p.parent.name: without_timing(json.loads(p.read_text())) for p in sorted(out.glob("*/result.json"))}


def rows(out: Path) -> list[tuple]:
    db = sqlite3.connect(str(out / FILENAME))
    try:
        subs = db.execute("select id, digest, rubric_digest, grader_version, status, score, max_score, late "
                          "from submissions order by id").fetchall()
        checks = db.execute("select * from checks order by submission, check_id").fetchall()
    finally:
        db.close()
    return subs + checks


def stored_ids(out: Path) -> set[str]:
    db = sqlite3.connect(str(out / FILENAME))
    try:
        return {r[0] for r in db.execute("select id from submissions")}
    finally:
        db.close()


def printed_ids(p: subprocess.CompletedProcess) -> list[str]:
    """The ids of the per-submission lines on standard output ("alice: 7.5 / 10, ...")."""
    return [line.split(":")[0] for line in p.stdout.splitlines() if line.strip()]


def assert_same_files(a: Path, b: Path) -> None:
    assert results(a) == results(b)
    assert (a / "grades.csv").read_bytes() == (b / "grades.csv").read_bytes()
    assert (a / "summary.html").read_bytes() == (b / "summary.html").read_bytes()
    assert rows(a) == rows(b)


def test_kill_9_midway_then_rerun_gives_the_files_of_an_uninterrupted_run(tmp_path):
    subs = tmp_path / "subs"
    ids = make_batch(subs)
    whole = tmp_path / "whole"
    first = run(subs, whole)
    assert counts(first) == (12, 1, 0)  # c12.txt holds no code: status "error"
    assert sorted(results(whole)) == ids
    # What a13 printed in its calls (and numpy's warnings) goes to those calls, every run:
    # only its top-level print is the load's (before, a warning could land here or not).
    assert results(whole)["a13"]["load"]["output"] == "loading\n"
    assert "progress: " in first.stderr  # stderr is not a terminal: plain lines

    # The same command, killed with SIGKILL once a few submissions are done.
    out = tmp_path / "out"
    with open(tmp_path / "log", "w") as log:
        proc = subprocess.Popen(grader_argv(subs, out), stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + LIMIT
        while len(list(out.glob("*/result.json"))) < 3:
            assert proc.poll() is None, "the grader ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(LIMIT)
    assert proc.returncode == -signal.SIGKILL
    done = stored_ids(out)
    written = {p.parent.name for p in out.glob("*/result.json")}
    # A row is committed after its result.json: the kill may fall between the two.
    assert done <= written
    assert 3 <= len(written) < len(ids), "killed midway"
    assert not (out / "grades.csv").exists()

    again = run(subs, out)
    graded, errors, unchanged = counts(again)
    assert unchanged == len(done)
    assert graded + errors == len(ids) - len(done)
    regraded = set(printed_ids(again))
    assert regraded == set(ids) - done
    assert not regraded & done, "a submission finished before the kill was graded again"
    assert_same_files(whole, out)
    assert not list(out.glob("*/.*.tmp")), "temporary files of the killed run were left behind"


def test_rerun_skips_unchanged_force_regrades_only_regrades_one(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, text in {"alice.py": SOLUTION, "bob.py": SIGN, "carol.py": NO_SHIFT}.items():
        (subs / name).write_text(text)
    out = tmp_path / "out"
    assert counts(run(subs, out)) == (3, 0, 0)
    grades = (out / "grades.csv").read_bytes()
    stamp = (out / "alice" / "result.json").stat().st_mtime_ns

    unchanged = run(subs, out)
    assert counts(unchanged) == (0, 0, 3)
    assert unchanged.stdout == ""
    assert (out / "alice" / "result.json").stat().st_mtime_ns == stamp
    assert (out / "grades.csv").read_bytes() == grades

    (subs / "bob.py").write_text(SOLUTION)  # bob fixed his gradient
    changed = run(subs, out)
    assert counts(changed) == (1, 0, 2)
    assert printed_ids(changed) == ["bob"]
    assert (out / "grades.csv").read_bytes() != grades

    (out / "carol" / "result.json").unlink()  # a lost result is graded again
    assert counts(run(subs, out)) == (1, 0, 2)

    only = run(subs, out, "--only", "alice")
    assert counts(only) == (1, 0, 0)
    assert printed_ids(only) == ["alice"]
    assert (out / "alice" / "result.json").stat().st_mtime_ns != stamp
    assert (out / "grades.csv").read_text().count("\n") == 4, "grades.csv still lists everyone"

    assert counts(run(subs, out, "--force", "--no-progress")) == (3, 0, 0)

    bad = subprocess.run(grader_argv(subs, out, "--only", "nobody"), capture_output=True, text=True, timeout=LIMIT)
    assert bad.returncode == 2
    assert "'nobody'" in bad.stderr
    assert "graded 0" not in bad.stderr  # nothing was graded: the error alone, not a summary of nothing


@pytest.mark.parametrize("rubric_change", ["digest", "version"])
def test_a_new_rubric_or_grader_version_regrades(tmp_path, rubric_change):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(SOLUTION)
    out = tmp_path / "out"
    run(subs, out)
    column = {"digest": "rubric_digest", "version": "grader_version"}[rubric_change]
    db = sqlite3.connect(str(out / FILENAME))
    db.execute(f"update submissions set {column} = 'older'")
    db.commit()
    db.close()
    assert counts(run(subs, out)) == (1, 0, 0)


@pytest.mark.parametrize("damage", [b"", b"{garbage", b"[]", b'{"schema": "grader.result/1"}', "other"])
def test_a_result_json_damaged_since_it_was_written_is_graded_again_not_dropped(tmp_path, damage):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, text in {"alice.py": SOLUTION, "bob.py": SIGN, "carol.py": NO_SHIFT}.items():
        (subs / name).write_text(text)
    out = tmp_path / "out"
    run(subs, out)
    whole = results(out)
    grades = (out / "grades.csv").read_bytes()
    target = out / "bob" / "result.json"
    # emptied, garbled, not an object, missing its fields, or another submission's copied over it
    target.write_bytes((out / "alice" / "result.json").read_bytes() if damage == "other" else damage)
    again = run(subs, out, "--json")
    assert counts(again) == (1, 0, 2)
    assert sorted(json.loads(line)["submission"] for line in again.stdout.splitlines()) == ["alice", "bob", "carol"]
    assert results(out) == whole
    assert (out / "grades.csv").read_bytes() == grades


def test_an_unreadable_file_that_did_not_change_is_not_graded_again(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "alice.py").write_text(SOLUTION)
    (subs / "bad.zip").write_bytes(b"not a zip at all")
    first = run(subs, out)
    assert first.returncode == 0 and counts(first) == (1, 1, 0)
    again = run(subs, out)  # nothing changed: the known error is not counted again
    assert again.returncode == 0 and counts(again) == (0, 0, 2)
    assert results(out)["bad"]["status"] == "error"
    (subs / "bad.zip").write_bytes(b"still not a zip, but another file")
    changed = run(subs, out)
    assert counts(changed) == (0, 1, 1)


def test_an_unreadable_zip_of_a_canvas_download_that_did_not_change_is_not_graded_again(tmp_path):
    import zipfile

    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    download = subs.parent / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("alice_101_501_q3_word2vec.py", SOLUTION)
        z.writestr("judy_133_467_hw1.zip", b"not a zip at all")
    first = subprocess.run(grader_argv(download, out), capture_output=True, text=True, timeout=LIMIT)
    assert first.returncode == 0 and counts(first) == (1, 1, 0), first.stderr
    again = subprocess.run(grader_argv(download, out), capture_output=True, text=True, timeout=LIMIT)
    assert again.returncode == 0 and counts(again) == (0, 0, 2), again.stderr
    assert results(out)["133"]["status"] == "error"
    with zipfile.ZipFile(download, "w") as z:  # judy handed in another (still broken) zip
        z.writestr("alice_101_501_q3_word2vec.py", SOLUTION)
        z.writestr("judy_133_468_hw1.zip", b"still not a zip, another one")
    changed = subprocess.run(grader_argv(download, out), capture_output=True, text=True, timeout=LIMIT)
    assert counts(changed) == (0, 1, 1), changed.stderr


def test_an_interrupted_rerun_says_grades_csv_is_still_the_last_whole_runs(tmp_path):
    """Ctrl-C midway through a rerun that grades changed files: the results written are kept, and
    grades.csv and summary.html, written when a batch ends, still hold the last whole run's scores:
    the message says so, for a script that would read grades.csv next."""
    subs = tmp_path / "subs"
    ids = make_batch(subs)
    out = tmp_path / "out"
    run(subs, out)
    grades = (out / "grades.csv").read_bytes()
    for i in ids:  # every file changed: all graded again
        for f in subs.glob(f"{i}.*"):
            f.write_text(f.read_text() + "\n# handed in again\n")
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
    proc = subprocess.Popen(grader_argv(subs, out, "--jobs", "1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + LIMIT
        while sum(p.stat().st_mtime_ns != t for p, t in before.items() if p.exists()) < 2:
            assert proc.poll() is None, "the grader ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=LIMIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(LIMIT)
    assert proc.returncode == 130, err
    assert (out / "grades.csv").read_bytes() == grades
    assert err.strip().splitlines()[-1] == (
        "interrupted: results written so far are kept; run the same command again to finish "
        "(grades.csv and summary.html are still those of the last whole run until then)")
