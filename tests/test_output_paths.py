"""Files the user names for the command to write (--html, --junit, --results, export --out) and
the files it reads beside them (--roster): a folder, a missing folder, a path under a file, the
input itself, bytes that are not UTF-8. Each is exit 2 with a message, said before any work is
done, never a traceback (exit 3); a missing parent folder is made."""

from __future__ import annotations

import io
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader import cli
from grader.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SUBMISSION = EXAMPLES / "mistake_transposed_grad.py"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def refused(argv, *message: str) -> str:
    code, out, err = run(argv)
    assert code == 2, out + err
    assert "Traceback" not in err and "bug in grader" not in err, err
    for m in message:
        assert m in err, err
    return err


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A results folder of 'grader grade' with one graded submission."""
    base = tmp_path_factory.mktemp("graded")
    subs = base / "subs"
    subs.mkdir()
    (subs / "1001.py").write_bytes(SUBMISSION.read_bytes())
    code, out, err = run(["grade", subs, "--out", base / "results", "--no-progress", "--jobs", "1"])
    assert code == 0, out + err
    return base / "results"


# --------------------------------------------------------------------------- check --html


def test_check_html_that_is_a_folder_is_refused_before_checking(tmp_path: Path):
    err = refused(["check", SUBMISSION, "--html", tmp_path],
                  f"--html {str(tmp_path)!r} is a folder; give a file name, such as {str(tmp_path / 'report.html')!r}")
    assert "score" not in err and list(tmp_path.iterdir()) == []


def test_check_html_never_overwrites_the_submission_it_checks(tmp_path: Path):
    mine = tmp_path / "mine.py"
    mine.write_bytes(SUBMISSION.read_bytes())
    refused(["check", mine, "--html", mine], "is the submission being checked (PATH); give another file")
    assert mine.read_bytes() == SUBMISSION.read_bytes()


def test_check_html_under_a_file_is_refused(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    refused(["check", SUBMISSION, "--html", tmp_path / "notes.txt" / "r.html"],
            f"cannot be written: {str(tmp_path / 'notes.txt')!r} is a file, not a folder")


def test_check_html_in_a_missing_folder_makes_the_folder(tmp_path: Path):
    page = tmp_path / "reports" / "week1" / "r.html"
    code, out, err = run(["check", SUBMISSION, "--html", page, "--no-color"])
    assert code == 1, out + err  # the transposed gradient fails a public check
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")


def test_check_written_html_that_is_a_folder_is_refused(tmp_path: Path):
    refused(["check", "--written", "grad_pred", "W^T (yhat - y)", "--html", tmp_path], "is a folder")


def test_an_html_file_that_cannot_be_made_is_exit_2(tmp_path: Path):
    page = tmp_path / ("r" * 300 + ".html")  # longer than a file name may be (255 bytes)
    refused(["check", SUBMISSION, "--html", page], "--html", "cannot be written: File name too long")


# --------------------------------------------------------------------------- gradescope, grade --junit


def test_gradescope_results_that_is_a_folder_is_refused_before_grading(tmp_path: Path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "q1_softmax.py").write_bytes(SUBMISSION.read_bytes())
    refused(["gradescope", "--submission", sub, "--results", tmp_path], "--results", "is a folder",
            "results.json")


@pytest.mark.parametrize("where", ["folder", "the results folder", "under a file"])
def test_grade_junit_is_checked_before_anything_is_graded(tmp_path: Path, where: str):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_bytes(SUBMISSION.read_bytes())
    (tmp_path / "file").write_text("x")
    junit, says = {"folder": (subs, "is a folder"),
                   "the results folder": (tmp_path / "results", "is the results folder (--out)"),
                   "under a file": (tmp_path / "file" / "j.xml", "is a file, not a folder")}[where]
    refused(["grade", subs, "--out", tmp_path / "results", "--junit", junit, "--no-progress"], says)
    assert not (tmp_path / "results").exists()  # refused before any grading


def test_grade_out_that_cannot_be_made_is_refused_before_the_rubric_is_chosen(tmp_path: Path):
    """The refusal is the only thing said: no "rubric: ..." line before it (the choice is never made)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_bytes(SUBMISSION.read_bytes())
    (tmp_path / "file").write_text("x")
    err = refused(["grade", subs, "--out", tmp_path / "file" / "results", "--no-progress"],
                  "cannot be made a folder")
    assert err.startswith("error: --out"), err
    assert "rubric:" not in err, err


def test_grade_with_an_unknown_rubric_makes_no_results_folder(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_bytes(SUBMISSION.read_bytes())
    refused(["grade", subs, "--out", tmp_path / "results", "--rubric", "no-such-rubric", "--no-progress"],
            "no built-in rubric")
    assert not (tmp_path / "results").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where nothing can be made")
@pytest.mark.parametrize("command", ["check", "grade"])
def test_a_file_that_cannot_be_made_is_refused_before_anything_is_graded_or_printed(tmp_path: Path, command: str):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_bytes(SUBMISSION.read_bytes())
    argv = (["check", subs / "alice.py", "--html", "/proc/no-such/report.html"] if command == "check" else
            ["grade", subs, "--out", tmp_path / "results", "--junit", "/proc/no-such/j.xml", "--no-progress"])
    code, out, err = run(argv)
    assert code == 2 and out == "", out  # (the result was printed, or the batch graded, before the refusal)
    assert err.startswith("error: --") and "cannot be written" in err, err
    assert not (tmp_path / "results").exists()


def test_grade_junit_in_a_missing_folder_is_written(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_bytes(SUBMISSION.read_bytes())
    junit = tmp_path / "ci" / "reports" / "batch.xml"
    code, out, err = run(["grade", subs, "--out", tmp_path / "results", "--junit", junit, "--no-progress"])
    assert code == 0, out + err
    assert ET.parse(junit).getroot().find("testsuite").get("name") == "alice"


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["canvas", "junit"])
def test_export_out_that_is_a_folder_is_refused(results: Path, tmp_path: Path, fmt: str):
    refused(["export", fmt, results, "--out", tmp_path], f"--out {str(tmp_path)!r} is a folder")
    assert list(tmp_path.iterdir()) == []


ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section,Word2vec (12345)\n"
          "    Points Possible,,,,,10\n"
          "\"M\u00fcller, J\u00fcrgen\",1001,S1,jm,A,\n")


@pytest.mark.parametrize("fmt", ["canvas", "junit"])
def test_export_out_in_a_missing_folder_is_written(results: Path, tmp_path: Path, fmt: str):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    target = tmp_path / "lms" / "export.out"
    code, out, err = run(["export", fmt, results, "--out", target] + (["--roster", roster] if fmt == "canvas" else []))
    assert code == 0, out + err
    assert "1001" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["export.out"]  # no temporary file left


def test_export_canvas_never_writes_over_its_roster(results: Path, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    refused(["export", "canvas", results, "--roster", roster, "--out", roster], "is the roster (--roster)")
    assert roster.read_text(encoding="utf-8") == ROSTER


def test_a_roster_that_is_not_utf8_is_exit_2_with_what_to_do(results: Path, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(ROSTER.encode("cp1252"))  # re-saved by a spreadsheet in a Windows code page
    refused(["export", "canvas", results, "--roster", roster, "--out", tmp_path / "c.csv"],
            f"roster {roster}: not UTF-8 text", "CSV UTF-8")
    assert not (tmp_path / "c.csv").exists()


def test_a_roster_that_is_a_folder_is_said_to_be_a_folder(results: Path, tmp_path: Path):
    err = refused(["export", "canvas", results, "--roster", tmp_path, "--out", tmp_path / "c.csv"],
                  f"--roster {str(tmp_path)!r} is a folder")
    assert "does not exist" not in err


def test_a_roster_read_from_a_pipe_is_read(results: Path, tmp_path: Path):
    # `--roster <(iconv ... roster.csv)`: the shell hands over a pipe, not a regular file
    fifo = tmp_path / "roster-pipe"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w", encoding="utf-8") as f:
            f.write(ROSTER)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        code, out, err = run(["export", "canvas", results, "--roster", fifo, "--out", tmp_path / "c.csv"])
    finally:
        if writer.is_alive():  # the pipe was never opened for reading: release the writer
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(10)
    assert code == 0, out + err
    assert "1001" in (tmp_path / "c.csv").read_text(encoding="utf-8")
    refused(["export", "canvas", results, "--roster", tmp_path / "nope.csv", "--out", tmp_path / "d.csv"],
            f"--roster {str(tmp_path / 'nope.csv')!r} does not exist")


@pytest.mark.parametrize(("assignment", "warned"), [("Word2vec", False), ("Word2vec (12345)", False),
                                                    ("Word2vec (999)", True), ("Other", True)])
def test_an_assignment_the_roster_does_not_have_is_warned_about(results: Path, tmp_path: Path, assignment, warned):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    code, out, err = run(["export", "canvas", results, "--roster", roster, "--out", tmp_path / "c.csv",
                          "--assignment", assignment])
    assert code == 0, out + err
    assert ("Canvas will create a new assignment" in err) is warned, err


# --------------------------------------------------------------------------- a bug is said once


def test_a_bug_names_its_exception_once_after_the_traceback(monkeypatch):
    def broken(args, out, err):
        raise IsADirectoryError(21, os.strerror(21), "/somewhere")  # the message is in no line of code

    monkeypatch.setitem(cli.COMMANDS, "check", broken)
    code, _, err = run(["check", SUBMISSION])
    assert code == 3
    assert err.startswith("Traceback (most recent call last):")
    assert err.count("Is a directory") == 1, err
    assert err.rstrip("\n").splitlines()[-1] == (
        f"error: this is a bug in grader {cli.__version__}: IsADirectoryError: [Errno 21] Is a directory: '/somewhere'")
