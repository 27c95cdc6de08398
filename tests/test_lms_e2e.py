"""What LMS scripts and students see end to end: a Canvas round trip, the Python API, a report with three mistakes."""

from __future__ import annotations

import csv
import io
import json
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
