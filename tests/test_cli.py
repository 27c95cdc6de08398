"""The `grader` command as users run it: files written, output, exit codes, messages."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from grader.cli import main

CORRECT = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        x = np.asarray(x, dtype=float)
        shifted = x - np.max(x, axis=-1, keepdims=True)
        e = np.exp(shifted)
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        cost = -np.log(y_hat[target])
        delta = y_hat.copy()
        delta[target] -= 1
        gradPred = outputVectors.T.dot(delta)
        grad = np.outer(delta, predicted)
        return cost, gradPred, grad

    if __name__ == "__main__":
        print("running my own tests")
        raise SystemExit("this must never run while grading")
""")
TRANSPOSED = CORRECT.replace("grad = np.outer(delta, predicted)", "grad = np.outer(predicted, delta)")
HANGS = CORRECT.replace("def softmax(x):\n", "def softmax(x):\n    while True:\n        pass\n")


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    (subs / "bob.py").write_text(TRANSPOSED)
    (subs / "carol.py").write_text(HANGS)
    (subs / "dave.py").write_text("def softmax(x) return x\n")  # a syntax error
    with zipfile.ZipFile(subs / "erin.zip", "w") as z:
        z.writestr("assignment1/q3_word2vec.py", CORRECT)
    (subs / "frank.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    return subs


def _results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def _q(result: dict) -> dict[str, tuple[float, float]]:
    return {q["id"]: (q["score"], q["max_score"]) for q in result["questions"]}


def test_grade_writes_every_contract_file(batch: Path, tmp_path: Path):
    out = tmp_path / "results"
    code, stdout, stderr = run(["grade", str(batch), "--out", str(out), "--jobs", "2"])
    assert code == 0, stderr
    results = _results(out)
    assert set(results) == {"alice", "bob", "carol", "dave", "erin", "frank"}
    for sid in results:
        assert (out / sid / "report.html").is_file()
    assert (out / "summary.html").is_file()
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["id"] for r in rows] == sorted(results)
    assert list(rows[0])[:4] == ["id", "score", "max_score", "status"]

    alice = results["alice"]
    assert alice["schema"] == "grader.result/1" and alice["status"] == "graded"
    assert alice["score"] == alice["max_score"] > 0
    assert [q["id"] for q in alice["questions"]] == ["softmax", "cross_entropy", "grad_pred", "grad_output"]
    assert results["erin"]["score"] == alice["max_score"]  # nested zip, same code

    bob = _q(results["bob"])
    assert bob["grad_output"][0] < bob["grad_output"][1]
    assert all(bob[q][0] == bob[q][1] for q in ("softmax", "cross_entropy", "grad_pred"))
    transposed = [c for q in results["bob"]["questions"] for c in q["checks"] if c["status"] == "fail"]
    assert transposed and all(c["mistake"] for c in transposed if c["visibility"] == "public")

    carol = results["carol"]
    sm = _q(carol)
    assert sm["softmax"][0] == 0 and carol["status"] == "graded"
    timeouts = [c for c in carol["questions"][0]["checks"] if c["status"] == "error"]
    assert timeouts and "did not return within" in timeouts[0]["message"]

    assert results["dave"]["status"] == "graded" and results["dave"]["score"] == 0
    assert results["frank"]["status"] == "error"
    assert "could not be read as a zip archive" in results["frank"]["errors"][0]

    assert "graded 5, errors 1" in stderr
    assert len(stdout.strip().splitlines()) == 6


def test_grade_json_streams_one_result_per_line(batch: Path, tmp_path: Path):
    code, stdout, _ = run(["grade", str(batch), "--out", str(tmp_path / "r"), "--json", "--jobs", "1"])
    assert code == 0
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert sorted(d["submission"] for d in lines) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert all(d["schema"] == "grader.result/1" for d in lines)
    # A rerun prints every submission's result too: the unchanged ones as they were written
    (batch / "alice.py").write_text(CORRECT + "\n# edited\n")
    code, again, _ = run(["grade", str(batch), "--out", str(tmp_path / "r"), "--json", "--jobs", "1"])
    assert code == 0
    relines = [json.loads(line) for line in again.splitlines()]
    assert sorted(d["submission"] for d in relines) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    before = {d["submission"]: d for d in lines}
    assert all(d == before[d["submission"]] for d in relines if d["submission"] != "alice")
    assert {d["submission"]: d for d in relines}["alice"]["score"] == before["alice"]["score"]


def test_check_exit_codes_and_text(tmp_path: Path):
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(CORRECT)
    bad.write_text(TRANSPOSED)
    code, out, _ = run(["check", str(good), "--no-color"])
    assert code == 0, out
    assert "not your final grade" in out
    code, out, _ = run(["check", str(bad), "--no-color", "--html", str(tmp_path / "r.html")])
    assert code == 1
    assert "grad_output" in out and "transpose" in out.lower()
    html = (tmp_path / "r.html").read_text()
    assert "<script" not in html.split("</head>")[1]
    code, out, _ = run(["check", str(good), "--json"])
    doc = json.loads(out)
    assert code == 0 and doc["score"] == doc["max_score"]
    assert all(c["visibility"] == "public" for q in doc["questions"] for c in q["checks"])


@pytest.mark.parametrize("argv, message", [
    (["grade", "nowhere", "--out", "x"], "error: SUBMISSIONS 'nowhere' does not exist\n"),
    (["check", "nowhere.py"], "error: PATH 'nowhere.py' does not exist\n"),
    (["grade"], "error: the following arguments are required: SUBMISSIONS, -o/--out (see 'grader grade --help')\n"),
    (["frobnicate"], "error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'grade', 'check', "
                     "'gradescope', ...) (see 'grader --help')\n"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv)
    assert code == 2
    if "..." in message:  # the list of commands grows: its start and the message's end are pinned
        head, tail = message.split("...")
        assert err.startswith(head) and err.endswith(tail), err
    else:
        assert err == message


def test_bad_rubric_exits_2(tmp_path: Path):
    (tmp_path / "a.py").write_text(CORRECT)
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    code, _, err = run(["check", str(tmp_path / "a.py"), "--rubric", str(bad)])
    assert code == 2 and err.startswith(f"error: rubric {bad}")


def test_export_canvas_needs_results(tmp_path: Path):
    code, _, err = run(["export", "canvas", str(tmp_path), "--out", str(tmp_path / "c.csv")])
    assert code == 2 and "holds no result.json" in err


def test_the_console_script_runs_from_any_directory(tmp_path: Path):
    (tmp_path / "mine.py").write_text(CORRECT)
    exe = Path(sys.executable).with_name("grader")
    r = subprocess.run([str(exe), "check", "mine.py", "--no-color"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "softmax" in r.stdout


def test_check_starts_the_sandbox_before_the_grader_imports_numpy(tmp_path: Path):
    # The zygote's numpy import overlaps with the grader's own (about 100 ms of a student's wait).
    (tmp_path / "mine.py").write_text(CORRECT)
    probe = textwrap.dedent(f"""
        import sys
        import grader.sandbox as sandbox
        spawn = sandbox.Sandbox.spawn
        seen = []
        def watched(self):
            seen.append("numpy" in sys.modules)
            return spawn(self)
        sandbox.Sandbox.spawn = watched
        from grader.cli import main
        code = main(["check", {str(tmp_path / "mine.py")!r}, "--no-color"])
        print(code, seen)
    """)
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip().splitlines()[-1] == "0 [False]", r.stdout + r.stderr


def test_check_with_a_rubric_allowing_more_packages_gets_a_sandbox_that_has_them(tmp_path: Path):
    rubric = tmp_path / "r.toml"
    rubric.write_text(textwrap.dedent("""
        name = "t"
        title = "t"
        extends = "word2vec"
        [settings]
        allow_packages = ["numpy", "jinja2"]
    """))
    mine = tmp_path / "mine.py"
    mine.write_text("import jinja2\n" + CORRECT)
    code, out, _ = run(["check", str(mine), "--rubric", str(rubric), "--json"])
    doc = json.loads(out)
    assert code == 0 and doc["score"] == doc["max_score"], out


def test_result_files_get_the_mode_of_any_new_file(batch: Path, tmp_path: Path):
    out = tmp_path / "results"
    code, _, _ = run(["grade", str(batch), "--out", str(out), "--jobs", "1"])
    assert code == 0
    mask = os.umask(0o022)
    os.umask(mask)
    files = [out / "grades.csv", out / "summary.html", *out.glob("*/result.json"), *out.glob("*/report.html")]
    assert len(files) > 4
    for f in files:
        assert f.stat().st_mode & 0o777 == 0o666 & ~mask, f


def test_an_error_that_only_repeats_the_message_is_said_once(tmp_path: Path):
    # A missing function's ErrorInfo carries the check's own sentence: it is not printed twice.
    mine = tmp_path / "nothing.py"
    mine.write_text("import numpy as np\n")
    code, out, _ = run(["check", str(mine), "--no-color", "--html", str(tmp_path / "r.html")])
    assert code == 1
    first = out.split("softmax/vector: error")[1].split("\n\n")[0]
    assert first.count("defines no function 'softmax'") == 1 and "MissingFunction" not in first
    assert "MissingFunction" not in (tmp_path / "r.html").read_text()


def test_the_starters_bare_raise_is_said_once_and_a_placeholder_called_from_elsewhere_keeps_its_traceback(tmp_path: Path):
    # The check's message names NotImplementedError, its file and line: the one-frame traceback
    # under it would only repeat it. Raised from a function the graded one calls, the frames say more.
    sub = tmp_path / "stubs"
    sub.mkdir()
    (sub / "q1_softmax.py").write_text("import numpy as np\n\n\ndef softmax(x):\n    raise NotImplementedError\n")
    (sub / "q3_word2vec.py").write_text(
        "import numpy as np\n\n\ndef _todo():\n    raise NotImplementedError\n\n\n"
        "def softmaxCostAndGradient(predicted, target, outputVectors, dataset):\n    return _todo()\n")
    code, out, _ = run(["check", str(sub), "--no-color", "--html", str(tmp_path / "r.html")])
    assert code == 1
    soft = out.split("softmax/vector: ")[1].split("\n\n")[0]
    assert "still raises NotImplementedError (q1_softmax.py, line 5)" in soft
    assert "raise NotImplementedError" not in soft and "line 5, in softmax" not in soft
    assert "NotImplementedError (q3_word2vec.py, line 5), from _todo, which it calls" in out
    report = (tmp_path / "r.html").read_text()
    assert "line 5, in softmax" not in report
    # called from elsewhere: the frames say where, once (the first cross_entropy check explains the rest)
    assert report.count("line 9, in softmaxCostAndGradient") == 1 and report.count("line 5, in _todo") == 1
    assert report.count("raise NotImplementedError") == 1


def test_a_student_checking_one_file_is_told_about_that_file_first(tmp_path: Path):
    # `grader check q3_sgd.py`: the whole problem set is graded, and every other function is
    # missing; the sgd mistake is what is explained, the missing files come after it
    sgd = Path(__file__).parent / "submissions" / "problem-set-q2" / "mistakes" / "sgd-wrong-sign" / "q3_sgd.py"
    code, out, _ = run(["check", str(sgd), "--no-color", "--html", str(tmp_path / "r.html")])
    assert code == 1
    explained = out.split("Total ")[1].split("\n\n")[1]
    assert explained.startswith("sgd/from-half: fail") and "the step goes uphill" in explained
    also = out.split("Also did not pass:\n")[1].split("\n\n")[0].splitlines()
    assert len(also) == 12 and all("defines no function" in line for line in also)
    report = (tmp_path / "r.html").read_text()
    causes = report.split('<section id="causes">')[1].split("</section>")[0]
    assert causes.index("the step goes uphill") < causes.index("defines no function")


def _subparsers(parser, name="grader"):
    import argparse

    yield name, parser
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for n, sp in a.choices.items():
                yield from _subparsers(sp, f"{name} {n}")


def test_every_command_and_option_has_help_and_its_own_footer():
    from grader.cli import _parser

    for name, parser in _subparsers(_parser()):
        assert parser.description, f"{name} --help has no description"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue  # its commands are walked, each with its help
            assert action.help or action.dest == "help", f"{name}: {action.option_strings or action.dest} has no help"
        if name not in ("grader", "grader check"):
            # a footer says only the exit codes its own command gives
            assert "check:" not in (parser.epilog or "") and "1 " not in (parser.epilog or "").split(";")[1:2], name


@pytest.mark.parametrize("argv", [["grade", "--help"], ["check", "--help"], ["kit", "--help"], ["override", "--help"],
                                  ["export", "canvas", "--help"], ["rubric", "check", "--help"]])
def test_help_is_printed_with_exit_0(argv, capsys):
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: grader ") and "exit codes: 0 " in text
    # what else gives 2 is said with 2, not after "3 a bug in grader", where it read as 3's
    codes = " ".join(text[text.index("exit codes: "):].split())
    assert "also 2" not in codes
    assert codes.index("2 bad arguments") < codes.index("3 a bug in grader")
    if argv[0] in ("grade", "check"):
        assert codes.index("also ") < codes.index("3 a bug in grader")


def test_short_flags_out_and_jobs(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    code, _, err = run(["grade", str(subs), "-o", str(tmp_path / "out"), "-j", "1", "--no-progress"])
    assert code == 0, err
    assert (tmp_path / "out" / "alice" / "result.json").is_file()


def test_jobs_are_never_more_sandboxes_than_submissions_nor_far_more_than_the_cores(tmp_path: Path, monkeypatch):
    # `-j 500` on a 4-entry batch started 500 sandboxes and wrote no result in 30 s
    from grader import batch

    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice", "bob"):
        (subs / f"{name}.py").write_text(CORRECT)
    slots, real = [], batch.grade_batch
    monkeypatch.setattr(batch, "usable_cores", lambda: 2)
    monkeypatch.setattr(batch, "grade_batch", lambda *a, **k: (slots.append(k["jobs"]), real(*a, **k))[1])
    code, _, err = run(["grade", str(subs), "-o", str(tmp_path / "out"), "-j", "16", "--no-progress"])
    assert code == 0 and slots == [2], (slots, err)
    code, _, err = run(["grade", str(subs), "-o", str(tmp_path / "out2"), "-j", "17", "--no-progress"])
    assert code == 2 and err == ("error: --jobs 17 is more than 8 sandboxes for each of the 2 cores this process may "
                                 "use: more would only wait for the cores, each holding its memory; use at most 16\n")
    assert not (tmp_path / "out2").exists()


def test_question_overrides_add_up_on_an_error_submission_and_a_persons_own_change_is_not_flagged(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "a.py").write_text(TRANSPOSED)
    (subs / "z.zip").write_text("not a zip")  # an error result: nothing could be run
    assert run(["grade", str(subs), "--out", str(out), "--no-progress"])[0] == 0
    assert _results(out)["z"]["status"] == "error"
    for sid in ("z", "a"):
        auto = _results(out)[sid]["score"]
        assert run(["override", str(out), sid, "--score", "10", "--note", "by hand"])[0] == 0
        code, text, err = run(["override", str(out), sid, "softmax", "--score", "3"])
        assert code == 0, err
        r = _results(out)[sid]
        soft = next(q for q in r["questions"] if q["id"] == "softmax")
        base = auto - next(o for o in r["overrides"] if o["question"] == "softmax")["auto_score"] + 3
        total = next(o for o in r["overrides"] if o["question"] == "")
        # the total the override replaces is the questions' sum with the person's softmax in it
        assert (soft["score"], total["auto_score"], total["review"], r["score"]) == (3, base, False, 10)
        assert f"total set to 10 by" in text and f"(automatic: {base:g})" in text and "to review" not in text
        assert run(["override", str(out), sid, "softmax", "--remove"])[0] == 0
        total = next(o for o in _results(out)[sid]["overrides"] if o["question"] == "")
        assert (total["auto_score"], total["review"]) == (auto, False)
    assert _results(out)["z"]["status"] == "error"  # an override does not make it graded


def test_an_id_and_its_override_stay_with_the_student_when_entries_come_and_go(tmp_path: Path):
    # "a b.py" is graded alone (id a_b) and a person overrides its total; then "a_b.py", whose
    # name is that id, is handed in, and later "a b.py" is withdrawn. The override never passes
    # to the other student, and neither do the id and its result.
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "a b.py").write_text(TRANSPOSED)
    assert run(["grade", str(subs), "--out", str(out), "--no-progress"])[0] == 0
    assert _results(out)["a_b"]["source"] == "subs/a b.py"
    assert run(["override", str(out), "a_b", "--score", "7.5", "--note", "seen by hand"])[0] == 0

    (subs / "a_b.py").write_text(CORRECT)
    code, text, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0, err
    results = _results(out)
    assert (results["a_b"]["source"], results["a_b"]["score"]) == ("subs/a b.py", 7.5)
    assert results["a_b-2"]["source"] == "subs/a_b.py" and not results["a_b-2"].get("overrides")
    # the TA is told which entry's id is not its name's ("a b.py" made safe is a_b: not said)
    assert ("warning: 1 entry of SUBMISSIONS got an id other than its name gives, as another entry (or a file of "
            "the results folder) has that name: a_b.py (a_b-2) (grades.csv's source column names each entry)") in err

    (subs / "a b.py").unlink()
    (subs / "a_b-2.py").write_text(CORRECT)  # a newcomer whose name is a taken id
    code, text, err = run(["grade", str(subs), "--out", str(out), "--no-progress", "--json"])
    assert code == 0, err
    graded = {json.loads(line)["submission"]: json.loads(line) for line in text.splitlines()}
    assert graded["a_b-2-2"]["source"] == "subs/a_b-2.py"  # not a_b-2, which a_b.py has
    assert "2 entries of SUBMISSIONS got ids other than their names give" in err
    assert "a_b-2.py (a_b-2-2), a_b.py (a_b-2)" in err
    results = _results(out)
    assert results["a_b-2"]["source"] == "subs/a_b.py" and not results["a_b-2"].get("overrides")
    assert results["a_b"]["source"] == "subs/a b.py"  # the withdrawn student's own result, unchanged
    assert "a_b" not in graded


def test_isolation_process_without_allow_unsandboxed_says_what_was_asked(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    code, _, err = run(["grade", str(subs), "--out", str(tmp_path / "out"), "--isolation", "process", "--no-progress"])
    assert code == 2
    assert "--isolation process gives student code no filesystem isolation" in err
    assert "--allow-unsandboxed" in err and "bubblewrap is missing" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command, argv, said", [
    ("grade", ["grade", "subs", "--out", "out"],
     "interrupted: results written so far are kept; run the same command again to finish\n"),
    ("check", ["check", "a.py"], "interrupted\n"),  # nothing of a check is kept: no promise of it
])
def test_ctrl_c_exits_130_with_what_is_kept(monkeypatch, command, argv, said):
    from grader import cli

    def interrupted(args, out, err):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, command, interrupted)
    code, out, err = run(argv)
    assert (code, out, err) == (130, "", said)
    # the documented code: in the command's --help and the README
    assert "130 interrupted (Ctrl-C)" in cli.EPILOG and "130 interrupted (Ctrl-C)" in cli.EPILOGS["grade"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`130` interrupted (Ctrl-C, SIGINT)" in readme and "exit 2 and a message) is finished" not in readme


def test_a_second_writer_of_a_results_folder_is_refused_while_the_first_writes(tmp_path: Path):
    # Two runs into one RESULTS (two TAs, an overlapping cron job) graded everything twice and
    # replaced each other's files while they were written: a 20 / 20 became an error result.
    from grader.gradebook import results_lock

    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0, err
    before = (out / "alice" / "result.json").read_bytes()
    with results_lock(out, "grader grade"):  # another run, writing
        code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress", "--force"])
        assert code == 2
        assert err.endswith(f"error: RESULTS {str(out)!r} is being written by grader grade (process {os.getpid()}); "
                            "let it finish (or stop it), then run this again\n")
        code, _, err = run(["override", str(out), "alice", "--score", "3"])
        assert code == 2 and "is being written by grader grade" in err
    assert (out / "alice" / "result.json").read_bytes() == before  # nothing was touched
    code, _, err = run(["override", str(out), "alice", "--score", "3"])  # let go: the next writer goes on
    assert code == 0, err
    assert not (out / ".grader.lock").exists()  # each writer leaves the folder as it found it


def test_a_writer_that_locked_a_lock_file_removed_meanwhile_locks_the_one_there_now(tmp_path: Path, monkeypatch):
    # The last holder removes the lock file as it ends: a writer that opened the file just before
    # (and so locks a removed file) must not go on beside the next writer, who makes a new one.
    import grader.gradebook as gradebook
    from grader.errors import UsageError

    real_open, opened = os.open, []

    def open_then_holder_ends(path, flags, mode=0o777):
        fd = real_open(path, flags, mode)
        if not opened:  # the first open: the holder ends right after it, removing the file
            os.unlink(path)
        opened.append(fd)
        return fd

    monkeypatch.setattr(gradebook.os, "open", open_then_holder_ends)
    with gradebook.results_lock(tmp_path, "grader grade"):
        monkeypatch.setattr(gradebook.os, "open", real_open)
        assert len(opened) == 2  # it opened the file there now, and holds that one
        with pytest.raises(UsageError, match="is being written by grader grade"):
            with gradebook.results_lock(tmp_path, "grader override"):
                pass
    assert not (tmp_path / ".grader.lock").exists()


def test_only_an_unknown_id_says_a_canvas_downloads_ids_are_user_ids(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "smithjohn_1001_5001_q3_word2vec.py").write_text(CORRECT)
    code, _, err = run(["grade", str(subs), "--out", str(tmp_path / "out"), "--only", "smithjohn", "--no-progress"])
    assert code == 2
    assert "no submission with id 'smithjohn'" in err and "a Canvas download's user ids" in err


def test_sigterm_stops_a_command_as_ctrl_c_does_and_exits_143(monkeypatch):
    # kill, Slurm's time limit, a container's stop: SIGTERM. It stops the command where it is (a batch
    # keeps its results, a cluster started for it is closed) and says so, as Ctrl-C does.
    from grader import cli

    def killed(args, out, err):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        raise AssertionError("SIGTERM did not stop the command")

    class Unhandled(Exception):
        pass

    def unhandled(signum, frame):  # what this test session gets otherwise (not its own death)
        raise Unhandled()

    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        monkeypatch.setitem(cli.COMMANDS, "grade", killed)
        code, out, err = run(["grade", "subs", "--out", "out"])
        assert (code, out, err) == (143, "", "terminated (SIGTERM): results written so far are kept; "
                                             "run the same command again to finish\n")
        monkeypatch.setitem(cli.COMMANDS, "check", killed)
        assert run(["check", "a.py"]) == (143, "", "terminated (SIGTERM)\n")
        assert signal.getsignal(signal.SIGTERM) is unhandled  # given back when the command ends
    finally:
        signal.signal(signal.SIGTERM, previous)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`143` terminated (SIGTERM" in readme and "143 terminated (SIGTERM" in cli.EPILOGS["grade"]


def test_a_batch_stopped_by_sigterm_keeps_its_results_and_the_same_command_finishes_it(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for i in range(6):
        (subs / f"s{i}.py").write_text(HANGS if i % 2 else CORRECT)  # a hang costs its 5 s timeouts
    code = "import sys; from grader.cli import console_main; sys.argv = ['grader'] + sys.argv[1:]; console_main()"
    argv = [sys.executable, "-c", code, "grade", str(subs), "--out", str(out), "--jobs", "1", "--no-progress"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*/result.json")):
            assert p.poll() is None and time.monotonic() < deadline, p.stderr.read() if p.poll() is not None else ""
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 143, err
    assert err.endswith("terminated (SIGTERM): results written so far are kept; run the same command again to finish\n")
    kept = {r.parent.name for r in out.glob("*/result.json")}
    assert 1 <= len(kept) < 6 and not (out / "grades.csv").exists()
    again = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"unchanged {len(kept)} " in again.stderr
    assert len(list(csv.reader(io.StringIO((out / "grades.csv").read_text())))) == 7


def test_results_of_entries_removed_from_the_batch_are_named_and_dropped_with_their_folder(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    (subs / "bob.py").write_text(TRANSPOSED)
    assert run(["grade", str(subs), "--out", str(out), "--no-progress"])[0] == 0
    (subs / "bob.py").unlink()  # handed in by mistake, withdrawn
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0
    assert (f"warning: 1 result in {out} is of an entry no longer in SUBMISSIONS, kept in grades.csv, summary.html "
            f"and the exports: bob (delete its folder in {out}, then run the same command, to drop it)") in err
    with open(out / "grades.csv", newline="") as f:
        assert [r["id"] for r in csv.DictReader(f)] == ["alice", "bob"]
    import shutil

    shutil.rmtree(out / "bob")
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0 and "warning" not in err
    with open(out / "grades.csv", newline="") as f:
        assert [r["id"] for r in csv.DictReader(f)] == ["alice"]
    # --only grades some entries: the others are not "removed"
    (subs / "carol.py").write_text(CORRECT)
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress", "--only", "carol"])
    assert code == 0 and "warning" not in err


def test_grades_csv_holds_no_control_character_of_a_file_name(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "e\x1b[31mvil\nname.py").write_text(CORRECT)
    assert run(["grade", str(subs), "--out", str(out), "--no-progress"])[0] == 0
    text = (out / "grades.csv").read_text(encoding="utf-8")
    assert "\x1b" not in text and len(text.splitlines()) == 2  # one row: no line break inside a cell either
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["source"] == "subs/e\\x1b[31mvil\\x0aname.py"


def test_a_hidden_check_of_a_missing_function_names_it_as_the_assignment_does(tmp_path):
    only_softmax = CORRECT.split("def softmaxCostAndGradient")[0]
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "alice.py").write_text(only_softmax)
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")],
                out=io.StringIO(), err=io.StringIO()) == 0
    doc = json.loads((tmp_path / "out" / "alice" / "result.json").read_text())
    checks = {c["id"]: c for q in doc["questions"] for c in q["checks"]}
    assert checks["cross_entropy/hidden"]["message"] == (
        "no function 'softmaxCostAndGradient' was found when the hidden checks ran.")
    assert "cost_and_grad" not in json.dumps(doc)


def test_output_closed_by_its_reader_stops_quietly_with_141(tmp_path):
    # `grader check x.py | head -1`: head has gone when the rest is written
    sub = tmp_path / "x.py"
    sub.write_text(CORRECT)
    read, write = os.pipe()
    os.close(read)
    code = "import sys; from grader.cli import console_main; sys.argv = ['grader'] + sys.argv[1:]; console_main()"
    try:
        p = subprocess.run([sys.executable, "-c", code, "check", str(sub)], stdout=write, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    finally:
        os.close(write)
    assert p.returncode == 141, p.stderr
    assert p.stderr == ""
    from grader import cli

    assert "141 the output was closed" in cli.EPILOGS["check"]  # said where check's exit codes are listed


def test_grade_json_output_closed_by_its_reader_stops_the_batch_with_141_and_no_error_results(tmp_path):
    # `grader grade subs --out r --json | head -1`: each result printed after head had gone
    # raised BrokenPipeError in the batch's callback, which made every later submission an
    # error result ("the grader failed after grading this submission"), its score 0 in
    # grades.csv, and the batch exited 0.  Now the batch stops as Ctrl-C stops it: what is
    # on disk is each submission's real result, and the same command finishes the batch.
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice", "bob", "carol", "dave"):
        (subs / f"{name}.py").write_text(CORRECT)
    read, write = os.pipe()
    os.close(read)
    code = "import sys; from grader.cli import console_main; sys.argv = ['grader'] + sys.argv[1:]; console_main()"
    argv = [sys.executable, "-c", code, "grade", str(subs), "--out", str(tmp_path / "out"), "--json",
            "--jobs", "1", "--no-progress"]
    try:
        p = subprocess.run(argv, stdout=write, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write)
    assert p.returncode == 141, p.stderr
    assert "Traceback" not in p.stderr and "bug" not in p.stderr
    assert "run the same command again" in p.stderr
    for doc in (tmp_path / "out").glob("*/result.json"):
        assert json.loads(doc.read_text())["status"] == "graded", doc.read_text()[:300]
    assert not (tmp_path / "out" / "grades.csv").exists()  # written when a batch ends
    again = subprocess.run(argv[:-3] + ["--no-progress"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    assert sorted(r["id"] for r in rows) == ["alice", "bob", "carol", "dave"]
    assert {r["status"] for r in rows} == {"graded"}


def test_a_crash_says_each_exception_text_cut(monkeypatch):
    # A bug's exception text can hold student code or whole findings: the crash printed all of
    # it (and of the exception it was raised from), where the grader's other paths cut at 200.
    from grader import cli

    def crash(args, out, err):
        try:
            raise ValueError("student code: " + "x = 1\n" * 1000)
        except ValueError as e:
            raise RuntimeError("finding: " + "y" * 5000) from e

    monkeypatch.setitem(cli.COMMANDS, "check", crash)
    code, out, err = run(["check", "x.py"])
    assert (code, out) == (3, "")
    *frames, last = err.rstrip("\n").split("\n")
    assert last == f"error: this is a bug in grader {cli.__version__}: RuntimeError: finding: {'y' * 191} ... (4809 more characters)"
    assert "ValueError: student code: x = 1" in err and "(5814 more characters)" in err  # the cause, cut too
    assert err.count("x = 1") == 31 + 1 and "The above exception was the direct cause" in err  # the frames stay (and their source line)
    assert 'in crash\n    raise RuntimeError("finding: " + "y" * 5000) from e' in err


def test_exit_and_input_in_a_graded_notebook_cell_are_said_in_words_a_student_understands(tmp_path: Path):
    # They read "NameError: name 'exit' is not defined" and a bare "EOFError: EOF when reading a line".
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CORRECT), nbformat.v4.new_code_cell("print('done')\nexit()"),
                nbformat.v4.new_code_cell("n = int(input('how many? '))"), nbformat.v4.new_code_cell("quit()")]
    nbformat.write(nb, tmp_path / "hw.ipynb")
    code, out, err = run(["check", str(tmp_path / "hw.ipynb"), "--json"])
    assert code in (0, 1), err
    units = {u["where"]: u["error"] for u in json.loads(out)["load"]["unit_errors"]}
    said = {where: (e["type"], e["message"]) for where, e in units.items()}
    assert said == {
        "hw.ipynb, cell #2": ("NameError", "exit() was called: it would stop the script here, and the grader runs "
                                           "your code as a script, where exit is not defined; remove the call"),
        "hw.ipynb, cell #3": ("EOFError", "input() was called, and no one can answer it while your code is graded "
                                          "(nothing is typed then); give the value in the code instead of asking for it"),
        "hw.ipynb, cell #4": ("NameError", "quit() was called: it would stop the script here, and the grader runs "
                                           "your code as a script, where quit is not defined; remove the call"),
    }
    assert all(e["traceback"].endswith(f'{e["type"]}: {e["message"]}') for e in units.values())


def test_a_link_in_place_of_the_lock_file_is_refused_and_its_target_left_alone(tmp_path: Path):
    # Opening the lock truncates it: through a link, that would empty whatever file the link names.
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    out.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (out / ".grader.lock").symlink_to(target)
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 2 and ".grader.lock' is a link; remove it, then run this again" in err, err
    assert target.read_text() == "keep me"


def test_override_of_an_unknown_id_says_how_many_ids_its_list_leaves_out(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for i in range(12):
        (subs / f"s{i:02d}.py").write_text("x = 1\n")
    assert run(["grade", str(subs), "--out", str(out), "--no-progress"])[0] == 0
    code, _, err = run(["override", str(out), "qqq", "--score", "1", "--note", "n"])
    assert code == 2
    assert "(ids: s00, s01, s02, s03, s04, s05, s06, s07, s08, s09 and 2 more)" in err, err


def test_a_syntax_errors_place_is_said_once_in_the_loading_errors(tmp_path):
    # "heidi.py, line 3: SyntaxError: expected ':' (heidi.py, line 3)": the place, then the place again
    (tmp_path / "subs").mkdir()
    sub = tmp_path / "subs" / "heidi.py"
    sub.write_text("import numpy as np\n\ndef softmax(x)\n    return x\n")
    code, out, err = run(["check", str(sub), "--no-color"])
    assert code == 1, err
    assert "  heidi.py, line 3: SyntaxError: expected ':'\n" in out, out
    assert "(heidi.py, line 3)" not in out
    out_dir = tmp_path / "out"
    assert run(["grade", str(tmp_path / "subs"), "--out", str(out_dir), "--no-progress"])[0] == 0
    report = (out_dir / "heidi" / "report.html").read_text(encoding="utf-8")
    assert "expected &#39;:&#39;" in report or "expected ':'" in report
    assert "(heidi.py, line 3)" not in report


def test_an_id_its_result_and_its_override_stay_with_the_entry_that_had_them(tmp_path: Path):
    # a student handing in carol.ipynb beside carol.py (or a folder dave beside dave.py) took the id of the
    # entry of that name graded before: its result folder, its report and a TA's override of it
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "carol.py").write_text(TRANSPOSED)
    (subs / "dave.py").write_text(CORRECT)
    assert run(["grade", str(subs), "--out", str(out), "--no-progress"])[0] == 0
    assert run(["override", str(out), "carol", "--score", "15", "--note", "regrade request"])[0] == 0
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "x = 1\n"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (subs / "carol.ipynb").write_text(json.dumps(nb))
    (subs / "dave").mkdir()
    (subs / "dave" / "q3_word2vec.py").write_text("x = 1\n")
    code, _, err = run(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0, err
    results = _results(out)
    assert results["carol"]["source"].endswith("carol.py") and results["carol"]["score"] == 15.0
    assert results["dave"]["source"].endswith("dave.py") and results["dave"]["score"] == 20.0
    assert results["carol-2"]["source"].endswith("carol.ipynb") and results["carol-2"]["score"] == 0
    assert results["dave-2"]["source"].endswith("dave") and results["dave-2"]["score"] == 0


def test_a_hidden_file_that_would_be_a_submission_is_named_as_not_graded(tmp_path: Path):
    # `.bob.py` got no result, no row in grades.csv and no word
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    (subs / ".bob.py").write_text(CORRECT)
    (subs / ".DS_Store").write_bytes(b"\0")
    (subs / ".ipynb_checkpoints").mkdir()
    code, _, err = run(["grade", str(subs), "--out", str(tmp_path / "out"), "--no-progress"])
    assert code == 0, err
    assert ("warning: 1 hidden entry of SUBMISSIONS was not graded (a name starting with '.' is skipped): "
            "'.bob.py'; rename it to grade it\n") in err
    assert "DS_Store" not in err and "checkpoints" not in err
