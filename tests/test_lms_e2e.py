"""What LMS scripts and students see end to end: a Canvas round trip, the Python API, a report with three mistakes."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

import grader
from grader.cli import main

HERE = Path(__file__).parent
MISTAKES = HERE / "submissions" / "mistakes"
CORRECT_Q1 = (HERE / "submissions" / "honest" / "vectorised" / "q1_softmax.py").read_text()
CORRECT_Q3 = (HERE / "submissions" / "honest" / "vectorised" / "q3_word2vec.py").read_text()
WRONG_AXIS = (MISTAKES / "softmax-wrong-axis.py").read_text()


def _cli(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(argv, out=out, err=err), out.getvalue(), err.getvalue()


def test_a_canvas_download_graded_and_exported_round_trips(tmp_path: Path):
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("smithjohn_1001_5001_q1_softmax.py", CORRECT_Q1)
        z.writestr("smithjohn_1001_5001_q3_word2vec.py", CORRECT_Q3)
        z.writestr("doejane_LATE_1002_5002_q1_softmax.py", WRONG_AXIS)
        z.writestr("doejane_LATE_1002_5002_q3_word2vec.py", CORRECT_Q3)
        z.writestr("roeric_1003_5003_q3_word2vec-1.py", CORRECT_Q3)
    out = tmp_path / "results"
    code, _, err = _cli(["grade", str(download), "--out", str(out), "--jobs", "2"])
    assert code == 0, err
    scores = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    assert set(scores) == {"1001", "1002", "1003"}
    assert scores["1002"]["late"] is True and scores["1001"]["late"] is False
    # summary.html names the students, as grades.csv does
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "<th>Name</th>" in summary
    assert all(f'>{sid}</a></td><td>{name}</td>' in summary
               for sid, name in [("1001", "smithjohn"), ("1002", "doejane"), ("1003", "roeric")])
    code, _, err = _cli(["export", "canvas", str(out), "--out", str(tmp_path / "canvas.csv"),
                         "--assignment", "Word2vec (77)"])
    assert code == 0, err
    rows = list(csv.reader((tmp_path / "canvas.csv").open(encoding="utf-8")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Word2vec (77)"]
    assert rows[1][0].strip() == "Points Possible"
    students = rows[2:]
    assert sorted(r[1] for r in students) == ["1001", "1002", "1003"]  # every user once
    for r in students:
        assert float(r[5]) == pytest.approx(scores[r[1]]["score"])
    assert float(next(r for r in students if r[1] == "1001")[5]) == scores["1001"]["max_score"]


def test_the_python_api_returns_typed_results_matching_result_json(tmp_path: Path):
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "q1_softmax.py").write_text(CORRECT_Q1)
    (sub / "q3_word2vec.py").write_text(CORRECT_Q3)
    full = grader.grade(sub)
    assert isinstance(full, grader.SubmissionResult)
    assert full.status == "graded" and full.score == full.max_score == 20
    public = grader.check(sub)
    assert public.max_score < full.max_score
    assert all(c.visibility == "public" for c in public.checks())
    doc = full.to_dict()
    assert doc["schema"] == "grader.result/1" and json.loads(json.dumps(doc)) == doc
    with pytest.raises(grader.GraderError):
        grader.grade(sub, rubric=tmp_path / "no-such-rubric.toml")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_a_report_with_three_mistakes_says_what_to_fix_for_each(tmp_path: Path):
    code = (WRONG_AXIS
            .replace("cost = -np.log(", "cost = -np.log10(")
            .replace("np.outer(d, predicted)", "np.outer(predicted, d)"))
    assert code != WRONG_AXIS
    (tmp_path / "three.py").write_text(code)
    html_path = tmp_path / "report.html"
    status, out, _ = _cli(["check", str(tmp_path / "three.py"), "--no-color", "--html", str(html_path)])
    assert status == 1
    doc = json.loads(_cli(["check", str(tmp_path / "three.py"), "--json"])[1])
    named = {c["mistake"] for q in doc["questions"] for c in q["checks"] if c["mistake"]}
    assert {"softmax-wrong-axis", "cost-log10", "grad-output-transposed"} <= named
    parser = _Text()
    parser.feed(html_path.read_text(encoding="utf-8"))
    text = " ".join(parser.parts)
    rubric = grader.load_rubric(None)
    for mistake in ("softmax-wrong-axis", "cost-log10", "grad-output-transposed"):
        assert rubric.mistakes[mistake]["message"] in text
    assert "def softmax" not in text  # the reference's code is never shown


def test_a_canvas_name_ending_in_digits_is_read_as_the_download_tells(tmp_path: Path):
    """A name part ending in "_<digits>" reads as ids too: two files sharing one file id tell it; one file alone is said."""
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("lee_7_2004_6004_q1_softmax.py", CORRECT_Q1)  # lee_7, user 2004: files 6004 and 6005
        z.writestr("lee_7_2004_6005_q3_word2vec.py", CORRECT_Q3)
        z.writestr("park_12_2005_6006_q3_word2vec.py", CORRECT_Q3)  # park_12 (user 2005) or park (user 12)?
        z.writestr("smithjohn_1001_5001_q3_word2vec.py", CORRECT_Q3)
    out = tmp_path / "results"
    code, stdout, err = _cli(["grade", str(download), "--out", str(out), "--jobs", "2"])
    assert code == 0, err
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    assert set(results) == {"2004", "12", "1001"}
    lee = results["2004"]
    assert lee["canvas"]["name"] == "lee_7" and lee["canvas"]["submission_id"] == "6005"
    assert lee["score"] == lee["max_score"]  # its files under their own names: q1_softmax.py is the module graded
    assert sum("Canvas gives every file an id of its own" in n for n in lee["notes"]) == 1
    park = results["12"]
    assert park["canvas"]["user_id"] == "12" and park["canvas"]["other_user_id"] == "2005"
    said = [n for n in park["notes"] if "reads two ways" in n]
    assert len(said) == 1 and "park12_2005_6006_q3_word2vec.py" in said[0]
    assert "12: " in stdout and "Canvas user 12 or 2005?" in stdout
    # what to do is the TA's: said in result.json's notes (the batch line points there), not in the student's report
    assert "(see the notes of its result.json)" in stdout
    assert "reads two ways" not in (out / "12" / "report.html").read_text(encoding="utf-8")
    assert results["1001"]["canvas"]["other_user_id"] == ""
    # the TA's page says it too, once, for that submission alone
    summary = (out / "summary.html").read_text(encoding="utf-8")
    section = summary.split('<section id="canvas-users">', 1)[1].split("</section>", 1)[0]
    assert "graded as Canvas user <span class=\"mono\">12</span>, or user <span class=\"mono\">2005</span>?" in section
    assert section.count("<li>") == 1 and summary.count('id="canvas-users"') == 1
    # the export says it; a roster that has one of the two users places the grade on that one
    code, _, err = _cli(["export", "canvas", str(out), "--out", str(tmp_path / "c.csv")])
    assert code == 0 and "12 (user 12 or 2005)" in err
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Word2vec (77)\n"
                      "Park_12,2005,,,A,\nLee_7,2004,,,A,\n\"Smith, John\",1001,,,A,\n", encoding="utf-8")
    code, _, err = _cli(["export", "canvas", str(out), "--out", str(tmp_path / "r.csv"), "--roster", str(roster)])
    assert code == 0, err
    rows = {r[1]: r for r in csv.reader((tmp_path / "r.csv").open(encoding="utf-8"))}
    assert "12" not in rows and float(rows["2005"][5]) == park["score"] and rows["2005"][0] == "Park_12"
    assert "placed on the one in the roster: 12 (user 2005)" in err


def test_exports_are_named_after_the_batchs_rubric_and_say_which_results_they_could_not_read(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("1001", "1002", "1003"):
        (subs / f"{sid}.py").write_text(CORRECT_Q3)
    rubric = tmp_path / "hw3.toml"
    rubric.write_text(f'extends = "{(HERE.parent / "rubrics" / "cs224n.toml").as_posix()}"\n'
                      'name = "hw3"\ntitle = "HW3: word2vec, part 1"\n')
    out = tmp_path / "results"
    code, _, err = _cli(["grade", str(subs), "--out", str(out), "--rubric", str(rubric), "--no-progress"])
    assert code == 0, err
    top = json.loads((out / "1001" / "result.json").read_text())["max_score"]
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      '"Doe, Jane",1001,S1,jdoe,L01\n"Roe, Rick",1002,S2,rroe,L01\n"Poe, Pat",1003,S3,ppoe,L01\n')
    (out / "1002" / "result.json").write_text("{garbage")  # damaged after grading
    code, _, err = _cli(["export", "canvas", str(out), "--out", str(tmp_path / "c.csv"), "--roster", str(roster)])
    assert code == 0, err
    rows = list(csv.reader((tmp_path / "c.csv").open(encoding="utf-8")))
    assert rows[0][-1] == "HW3: word2vec, part 1"  # the rubric that graded them, not the built-in one
    assert rows[1] == ["Points Possible", "", "", "", "", f"{top:g}"]
    assert "warning: result.json could not be read as results" in err and ": 1002; run the same 'grader grade'" in err
    code, _, err = _cli(["export", "junit", str(out), "--out", str(tmp_path / "j.xml")])
    assert code == 0 and "not in " in err and "1002" in err
    # the override of a damaged result is refused with the way out, not a traceback
    code, _, err = _cli(["override", str(out), "1002", "--score", "3"])
    assert code == 2 and "can't be read as a result" in err and "Traceback" not in err, err
    # and grading again brings the student back, everywhere
    code, _, err = _cli(["grade", str(subs), "--out", str(out), "--rubric", str(rubric), "--no-progress"])
    assert code == 0 and "graded 1, errors 0, unchanged 2" in err, err
    code, _, err = _cli(["export", "canvas", str(out), "--out", str(tmp_path / "c.csv"), "--roster", str(roster)])
    assert code == 0 and "could not be read" not in err
    assert [r[1] for r in list(csv.reader((tmp_path / "c.csv").open(encoding="utf-8")))[2:]] == ["1001", "1002", "1003"]


def test_an_export_while_a_batch_is_still_being_graded_says_it_has_the_results_so_far(tmp_path: Path):
    from grader.gradebook import results_lock

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "1001.py").write_text(CORRECT_Q3)
    out = tmp_path / "results"
    code, _, err = _cli(["grade", str(subs), "--out", str(out), "--no-progress"])
    assert code == 0, err
    roster = tmp_path / "roster.csv"
    roster.write_text('Student,ID,SIS User ID,SIS Login ID,Section\n"Doe, Jane",1001,S1,jdoe,L01\n')
    argv = ["export", "canvas", str(out), "--out", str(tmp_path / "c.csv"), "--roster", str(roster)]
    code, _, err = _cli(argv)
    assert code == 0 and "was being written" not in err
    with results_lock(out, "grader grade"):  # as a batch still grading holds it
        code, _, err = _cli(argv)
    assert code == 0
    assert (f"warning: RESULTS {str(out)!r} was being written by grader grade (process {os.getpid()}) while it was "
            "exported") in err
    code, _, err = _cli(argv)  # and the lock is not left held or made by the export
    assert code == 0 and "was being written" not in err and not (out / ".grader.lock").exists()
