"""The TA's week through the command line: a Canvas download graded, scores overridden by hand, regraded, exported."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

import grader
from grader.cli import main
from grader.errors import UsageError

HERE = Path(__file__).parent
MISTAKES = HERE / "submissions" / "mistakes"
CORRECT_Q1 = (HERE / "submissions" / "honest" / "vectorised" / "q1_softmax.py").read_text()
CORRECT_Q3 = (HERE / "submissions" / "honest" / "vectorised" / "q3_word2vec.py").read_text()
TRANSPOSED_Q3 = (MISTAKES / "grad-output-transposed.py").read_text()

ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Word2vec (77)\n"
    "    Points Possible,,,,,20\n"
    '"Smith, John",1001,S1,jsmith,A,\n'
    '"Doe, Jane",1002,S2,jdoe,A,\n'
    '"Absent, Anna",1009,S9,aabsent,B,\n'
    '"Student, Test",9999,,,A,\n'
)


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main([str(a) for a in argv], out=out, err=err), out.getvalue(), err.getvalue()


def result(out: Path, sid: str) -> dict:
    return json.loads((out / sid / "result.json").read_text(encoding="utf-8"))


def grades(out: Path) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}


@pytest.fixture
def graded(tmp_path: Path) -> tuple[Path, Path]:
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("smithjohn_1001_5001_q1_softmax.py", CORRECT_Q1)
        z.writestr("smithjohn_1001_5001_q3_word2vec.py", CORRECT_Q3)
        z.writestr("doejane_LATE_1002_5002_q1_softmax.py", CORRECT_Q1)
        z.writestr("doejane_LATE_1002_5002_q3_word2vec.py", TRANSPOSED_Q3)
    out = tmp_path / "results"
    code, _, err = cli("grade", download, "--out", out, "--jobs", "2", "--no-progress")
    assert code == 0, err
    return download, out


def test_download_grade_override_export_round_trip_with_a_roster(graded, tmp_path):
    download, out = graded
    before = result(out, "1002")
    grad_output = next(q for q in before["questions"] if q["id"] == "grad_output")
    assert grad_output["score"] < grad_output["max_score"]

    code, said, err = cli("override", out, "1002", "grad_output", "--score", grad_output["max_score"],
                          "--note", "transposed, but derived correctly on paper", "--by", "ta-ann")
    assert code == 0, err
    assert f"1002: grad_output set to {grad_output['max_score']:g} by ta-ann (automatic: {grad_output['score']:g})" in said

    after = result(out, "1002")
    assert after["score"] == pytest.approx(before["score"] - grad_output["score"] + grad_output["max_score"])
    (o,) = after["overrides"]
    assert o["question"] == "grad_output" and o["by"] == "ta-ann" and o["review"] is False
    assert sum(q["score"] for q in after["questions"]) == pytest.approx(after["score"])
    # the report, the summary and grades.csv say so
    report = (out / "1002" / "report.html").read_text(encoding="utf-8")
    assert "Scores set by a person" in report and "transposed, but derived correctly on paper" in report
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert 'id="overrides"' in summary and "ta-ann" in summary
    rows = grades(out)
    assert rows["1002"]["overridden"] == "true" and rows["1001"]["overridden"] == "false"
    assert float(rows["1002"]["score"]) == pytest.approx(after["score"])
    assert float(rows["1002"]["grad_output"]) == grad_output["max_score"]

    # Canvas: the overridden score goes out; the roster's student without a submission is listed
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    code, _, err = cli("export", "canvas", out, "--out", tmp_path / "canvas.csv", "--roster", roster,
                       "--assignment", "Word2vec", "--missing", "zero")
    assert code == 0, err
    assert "1 roster student without a submission (written 0): 1009" in err
    rows = list(csv.reader((tmp_path / "canvas.csv").open(encoding="utf-8")))
    assert rows[0][5] == "Word2vec (77)"  # the roster's own column: the scores land in the existing assignment
    by_id = {r[1]: r[5] for r in rows[2:]}
    assert by_id == {"1001": "20", "1002": f"{after['score']:g}", "1009": "0"}


def test_an_override_survives_a_regrade_and_is_flagged_when_the_automatic_score_changes(graded, tmp_path):
    download, out = graded
    assert cli("override", out, "1001", "softmax", "--score", 1, "--note", "copied", "--by", "ta")[0] == 0
    # a forced regrade of the same code: the override holds, nothing to review
    assert cli("grade", download, "--out", out, "--force", "--jobs", "1", "--no-progress")[0] == 0
    (o,) = result(out, "1001")["overrides"]
    assert o["score"] == 1 and o["review"] is False
    # the rubric changes what softmax is worth: the override holds and asks for a look
    rubric = tmp_path / "changed.toml"
    rubric.write_text('extends = "word2vec"\n\n[questions.softmax]\npoints = 0.25\n')
    assert cli("grade", download, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    r = result(out, "1001")
    (o,) = r["overrides"]
    assert o["score"] == 1 and o["review"] is True and o["auto_score"] == pytest.approx(12 * 0.25)
    assert next(q for q in r["questions"] if q["id"] == "softmax")["score"] == 1
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert re.search(r'<span class="badge fail">review</span>', summary)
    # removed: the automatic score comes back
    code, said, _ = cli("override", out, "1001", "softmax", "--remove")
    assert code == 0 and "the override of softmax is removed" in said
    r = result(out, "1001")
    assert "overrides" not in r and next(q for q in r["questions"] if q["id"] == "softmax")["score"] == 3


def test_an_override_of_the_total_and_the_python_api(graded):
    _, out = graded
    r = grader.override(out, "1002", score=19.5, note="late penalty waived", by="prof")
    assert r.score == 19.5 and r.overrides[0].question == ""
    assert result(out, "1002")["score"] == 19.5
    assert grades(out)["1002"]["score"] == "19.5"


@pytest.mark.parametrize(("argv", "message"), [
    (["nobody", "softmax", "--score", "1"], "no submission 'nobody' in"),
    (["1001", "sofmax", "--score", "1"], "1001 has no question 'sofmax'; did you mean 'softmax'?"),
    (["1001", "softmax", "--score", "99"], "the score must be between 0 and 6, the maximum of softmax (got 99)"),
    (["1001", "softmax"], "give the score to set with --score X (or --remove to take an override off)"),
    (["1001", "softmax", "--remove"], "1001 has no override of softmax to remove"),
])
def test_override_mistakes_are_usage_errors(graded, argv, message):
    _, out = graded
    code, _, err = cli("override", out, *argv)
    assert code == 2 and message in err, err


def test_an_id_completed_by_the_shell_is_the_submission_and_its_override_survives_a_regrade(graded):
    download, out = graded
    code, _, err = cli("override", out, "1002/", "--score", "19", "--note", "derived on paper")
    assert code == 0, err
    assert float(grades(out)["1002"]["score"]) == 19
    code, _, err = cli("grade", download, "--out", out, "--force", "--no-progress")
    assert code == 0, err
    assert float(grades(out)["1002"]["score"]) == 19 and grades(out)["1002"]["overridden"] == "true"
    assert result(out, "1002")["overrides"][0]["question"] == ""


@pytest.mark.parametrize("sid", ["../results/1002", "1002/../1001", "./1002", "..", "/"])
def test_an_override_names_a_submission_by_its_id_not_by_a_path(graded, sid):
    _, out = graded
    code, _, err = cli("override", out, sid, "--score", "1")
    assert code == 2 and "is not a submission id" in err, err
    assert "overrides" not in result(out, "1002") and "overrides" not in result(out, "1001")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"score": 1, "note": None}, "the note must be a str (got NoneType)"),
    ({"score": True}, "the score must be a number"),
    ({"score": "abc"}, "the score must be a number"),
    ({"score": 1, "by": 7}, "by must be a str (got int)"),
])
def test_the_python_api_refuses_arguments_of_the_wrong_type_in_words(graded, kwargs, message):
    _, out = graded
    with pytest.raises(UsageError, match=re.escape(message)):
        grader.override(out, "1001", "softmax", **kwargs)
    assert "overrides" not in result(out, "1001")


def test_a_score_as_text_is_that_number(graded):
    _, out = graded
    assert grader.override(out, "1001", "softmax", score="2.5", note="by hand").questions[0].score == 2.5


def test_a_total_override_of_an_extra_credit_submission_may_keep_its_extra_credit(tmp_path):
    folder = tmp_path / "ps"
    folder.mkdir()
    shutil.copytree(HERE / "submissions" / "versions" / "cs224d-2016", folder / "full")
    out = tmp_path / "results"
    code, _, err = cli("grade", folder, "--out", out, "--rubric", "cs224d-2016", "--no-progress")
    assert code == 0, err
    r = result(out, "full")
    assert r["score"] > r["max_score"]  # the extra credit earned
    code, _, err = cli("override", out, "full", "--score", r["score"] - 3, "--note", "late penalty")
    assert code == 0, err
    (o,) = result(out, "full")["overrides"]
    assert o["score"] == pytest.approx(r["score"] - 3) and o["review"] is False
    top = r["max_score"] + sum(q["max_score"] for q in r["questions"] if q.get("extra"))
    code, _, err = cli("override", out, "full", "--score", top + 1)
    assert code == 2 and f"between 0 and {top:g}, the most the submission can score" in err, err


@pytest.mark.parametrize("damage", [b"garbage\n", b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_gradebook_sqlite_cannot_read_is_said_and_kept_as_it_is(graded, damage):
    download, out = graded
    (out / "gradebook.sqlite").write_bytes(damage)
    for argv in (("grade", download, "--out", out, "--no-progress"), ("override", out, "1001", "--score", "1"),
                 ("similarity", download, "--out", out)):
        code, _, err = cli(*argv)
        assert code == 2 and "cannot be used as the gradebook" in err and "Traceback" not in err, (argv, err)
        assert (out / "gradebook.sqlite").read_bytes() == damage


def test_the_summarys_full_marks_follow_an_override_of_the_total(graded):
    _, out = graded

    def full_marks() -> int:
        return int(re.search(r"<b>(\d+)</b> full marks", (out / "summary.html").read_text(encoding="utf-8"))[1])

    assert full_marks() == 1  # 1001
    assert cli("override", out, "1001", "--score", "10", "--note", "penalty")[0] == 0
    assert full_marks() == 0
    assert cli("override", out, "1002", "--score", "20", "--note", "regraded by hand")[0] == 0
    assert full_marks() == 1


def test_override_of_a_folder_that_is_not_results(tmp_path):
    code, _, err = cli("override", tmp_path, "x", "--score", "1")
    assert code == 2 and "is not a results folder of 'grader grade'" in err


def test_small_words_of_the_override_and_similarity_messages(graded, tmp_path):
    _, out = graded
    code, _, err = cli("override", out, "1001", "softmax", "--score", "6.0000001")
    assert code == 2 and "(got 6.0000001)" in err
    (tmp_path / "r" / "gradebook.sqlite").mkdir(parents=True)
    code, _, err = cli("override", tmp_path / "r", "x", "--score", "1")
    assert code == 2 and "its gradebook.sqlite is not a file" in err
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.py").write_text(CORRECT_Q1)
    code, _, err = cli("similarity", one, "--out", tmp_path / "sim")
    assert code == 0 and "among 1 submission and" in err and "1 submissions" not in err
