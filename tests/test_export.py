"""Tests of grader.export: grades.csv, Gradescope results.json, Canvas CSV, JUnit XML, JSON lines."""

from __future__ import annotations

import csv
import doctest
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import factories as f
import jsonschema
import pytest

from grader import export
from grader.errors import UsageError
from grader.model import CanvasInfo, Mismatch, SubmissionResult

# --------------------------------------------------------------------------- grades.csv


def test_grades_csv_exact_content(tmp_path):
    path = tmp_path / "grades.csv"
    n = export.write_grades_csv(iter(f.batch()), path)
    assert n == 6
    assert path.read_text(encoding="utf-8") == (
        "id,score,max_score,status,late,name,canvas_user_id,canvas_submission_id,source,overridden,"
        "softmax,cross_entropy,grad_pred,grad_output\n"
        "alice,10,10,graded,false,smithalice,1001,9001,alice.py,false,2.5,2.5,2.5,2.5\n"
        "bob,4.75,10,graded,true,jonesbob,1002,9002,bob.py,false,1,1.25,2.5,0\n"
        "carol,0,3.5,graded,false,leecarol,1003,9003,hw1.ipynb,false,0,0,0,\n"
        "dave,0,10,error,false,kimdave,1004,9004,dave.zip,false,,,,\n"
        "erin,8.75,10,graded,false,,,,erin.py,false,2.5,2.5,1.25,2.5\n"
        '"""><img src=x onerror=""alert(1)"">",0,1.5,graded,true,"<script>alert(\'pwned\')</script>, '
        '""><img src=x onerror=""alert(1)"">",1005,"""><img src=x onerror=""alert(1)"">",'
        '"""><img src=x onerror=""alert(1)"">.zip",false,0,,,\n'
    )
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["id"] for r in rows][-1] == f.IMG
    assert list(rows[0])[:4] == ["id", "score", "max_score", "status"]  # contract.md's columns first


def test_grades_csv_question_columns_cover_every_result_when_read_twice(tmp_path):
    results = f.batch()
    late = replace(results[0], submission="zed", questions=results[0].questions[:1] + (
        replace(results[0].questions[0], id="sgd", title="SGD"),))
    path = tmp_path / "grades.csv"
    assert export.write_grades_csv(lambda: iter([*results, late]), path) == 7
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0])[10:] == ["softmax", "cross_entropy", "grad_pred", "grad_output", "sgd"]
    assert rows[0]["sgd"] == "" and rows[-1]["sgd"] == "2.5" and rows[-1]["grad_pred"] == ""


def test_grades_csv_tells_name_collisions_apart_by_source(tmp_path):
    a = replace(f.all_pass("alice"), source="alice.py")
    b = replace(f.all_pass("alice-2"), source="alice.zip")
    path = tmp_path / "grades.csv"
    export.write_grades_csv(iter([a, b]), path)
    rows = {r["id"]: r["source"] for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert rows == {"alice": "alice.py", "alice-2": "alice.zip"}


def test_grades_csv_of_no_results_is_the_header(tmp_path):
    path = tmp_path / "grades.csv"
    assert export.write_grades_csv([], path) == 0
    assert path.read_text() == ",".join(export.GRADES_COLUMNS) + "\n"


def test_grades_csv_cells_never_start_a_formula():
    for sid in ("=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)"):
        assert export.grades_row(replace(f.all_pass(), submission=sid))[0] == "'" + sid


def test_grades_csv_shows_bidi_overrides_of_a_file_name_as_escapes():
    # A Canvas download keeps a file's name as the student gave it, bidi controls too: printed
    # raw ("cat grades.csv", a spreadsheet) they reorder the row, as the terminal and reports never do.
    r = replace(f.all_pass(), source="batch.zip:smithjohn_1_2_q3\u202eyp.py", canvas=None)
    row = export.grades_row(r)
    assert row[8] == "batch.zip:smithjohn_1_2_q3\\u202eyp.py"
    assert export.grades_row(replace(r, source="a\nb\x1b.py"))[8] == "a\\x0ab\\x1b.py"  # as before


def test_grades_scores_are_rounded_not_float_noise():
    r = replace(f.all_pass(), score=0.1 + 0.2, max_score=10 / 3)
    assert export.grades_row(r)[1:3] == ["0.3", "3.3333"]


# --------------------------------------------------------------------------- Gradescope


VALIDATOR = jsonschema.Draft202012Validator(export.GRADESCOPE_SCHEMA)


def test_gradescope_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(export.GRADESCOPE_SCHEMA)


@pytest.mark.parametrize("factory", [f.all_pass, f.mixed, f.errors, f.submission_error, f.gradient_wrong, f.hostile])
def test_gradescope_output_follows_the_schema(factory):
    doc = export.gradescope_results(factory(), execution_time=12.6)
    VALIDATOR.validate(doc)
    json.dumps(doc, allow_nan=False)  # strict JSON


@pytest.mark.parametrize(
    "bad",
    [
        {"score": 1, "tests": [{"score": 1, "status": "pass"}]},  # status is passed/failed
        {"score": 1, "visibility": "public"},
        {"score": 1, "output_format": "markdown"},
        {"score": 1, "typo": 1},
        {"tests": [{"max_score": 1}]},  # no score anywhere
        {"output": "no score, no tests"},
        {"score": "7"},
    ],
)
def test_gradescope_schema_refuses_what_the_specification_does_not_allow(bad):
    assert not VALIDATOR.is_valid(bad)


def test_gradescope_top_level():
    doc = export.gradescope_results(f.mixed(), execution_time=12.6, stdout_visibility="after_published")
    assert doc["score"] == 4.75
    assert doc["execution_time"] == 13
    assert doc["output_format"] == "md"
    assert doc["visibility"] == "visible"
    assert doc["stdout_visibility"] == "after_published"
    assert doc["extra_data"] == {
        "schema": "grader.result/1", "submission": "bob", "rubric": "word2vec-softmax",
        "status": "graded", "isolation": "bwrap", "grader_version": "0.1.0",
    }
    # The text a student reads before grades are published says the score of the checks shown, never
    # the total: with it, the hidden check's 0.5 lost would be told (Gradescope keeps the total back).
    assert doc["output"].startswith("**Score of the checks shown now: 4.75 / 9.5** (5 of 10 checks passed); "
                                    "1 hidden check, worth 0.5 points, is shown once grades are published")
    assert "4.75 / 10" not in doc["output"] and "of 11 checks" not in doc["output"]
    plain = export.gradescope_results(f.all_pass(), execution_time=1)
    assert plain["output"].startswith("**Score: ") and "hidden" not in plain["output"]
    # each verdict once, saying which gradient on which case it covers
    assert ("- Your gradient is the derivative of your own cost, but that cost is wrong: fix the cost; the gradient "
            "derived from the right cost will follow\\. (grad on case small)") in doc["output"]
    assert doc["output"].count("- Your gradient") + doc["output"].count("- On these cases, your gradient") == 2


def test_gradescope_output_says_the_files_translated_from_python_2_in_one_note_and_no_convention_key():
    notes = tuple(f"{p} was Python 2 code; it was translated to Python 3 (print statements) before grading."
                  for p in ("q1_softmax.py", "q2_sigmoid.py"))
    r = f.all_pass()
    r = replace(r, notes=notes, questions=tuple(
        replace(q, checks=tuple(replace(c, notes=("convention: python3-division: divided as Python 3 does",))
                                for c in q.checks)) for q in r.questions))
    doc = export.gradescope_results(r, execution_time=1)
    assert doc["output"].count("Python 2 code") == 1
    assert r"q1\_softmax\.py and q2\_sigmoid\.py \(print statements\) were Python 2 code" in doc["output"]
    assert not any("convention: " in t.get("output", "") for t in doc["tests"])


def test_gradescope_tests_one_per_check():
    doc = export.gradescope_results(f.mixed(), execution_time=1)
    tests = doc["tests"]
    assert [t["number"] for t in tests] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2"]
    assert [t["name"] for t in tests][:2] == ["softmax/rows-1d", "softmax/rows-2x3"]
    assert sum(t["score"] for t in tests) == doc["score"]
    first, second = tests[0], tests[1]
    assert (first["status"], first["score"], first["max_score"], first["visibility"]) == ("passed", 0.5, 0.5, "visible")
    assert second["status"] == "failed" and second["tags"] == ["softmax", "softmax-wrong-axis"]
    assert second["extra_data"] == {"id": "softmax/rows-2x3", "question": "softmax", "status": "fail", "mistake": "softmax-wrong-axis"}
    assert second["output_format"] == "md"
    assert second["output"] == (
        "```text\n"
        "softmax/rows-2x3: fail (0 / 0.5)\n"
        "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.\n"
        "Mismatched elements: 2 / 6 (33.3%)\n"
        "  index   got   expected  allowed ±\n"
        "  (0, 2)  0.69  0.7       7.0e-06\n"
        "  (1, 0)  0.31  0.3       3.0e-06\n"
        "Max absolute difference among mismatches: 0.01\n"
        "Max relative difference among mismatches: 0.0333 (relative to expected)\n"
        "```\n"
        "\n"
        "**Likely mistake:** each row must sum to 1; yours is normalised over columns\\.\n"
        "\n"
        "What your code printed during this check:\n"
        "\n"
        "```text\n" + "debug: x.shape = (2, 3)\n" * 3 + "```"
    )


def test_gradescope_hidden_check_is_after_published_and_shows_only_its_message():
    doc = export.gradescope_results(f.mixed(), execution_time=1)
    (hidden,) = [t for t in doc["tests"] if t["name"] == "softmax/hidden-mixed"]
    assert hidden["visibility"] == "after_published"
    assert hidden["status"] == "failed"
    assert hidden["tags"] == ["softmax"]
    assert hidden["output"] == (
        "```text\nsoftmax/hidden-mixed: fail (0 / 0.5)\n"
        "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.\n```"
    )
    assert "SECRET" not in json.dumps(doc)


def test_gradescope_error_checks_carry_the_error_type():
    doc = export.gradescope_results(f.errors(), execution_time=1)
    by_name = {t["name"]: t for t in doc["tests"]}
    assert by_name["softmax/stable-large"]["extra_data"]["error_type"] == "Timeout"
    assert "raise NotImplementedError" in by_name["softmax/rows-1d"]["output"]
    assert "hw1\\.ipynb, cell \\[3\\]: SyntaxError: invalid syntax" in doc["output"]


def test_gradescope_submission_error_scores_zero_with_the_message():
    doc = export.gradescope_results(f.submission_error(), execution_time=0.2)
    assert doc["score"] == 0.0 and doc["tests"] == []
    assert doc["output"] == "**This submission could not be graded.**\n\n- could not read dave\\.zip: File is not a zip file"
    assert doc["extra_data"]["status"] == "error"


def test_gradescope_student_text_stays_text_in_markdown():
    doc = export.gradescope_results(f.hostile(), execution_time=1)
    texts = [doc["output"]] + [t["output"] for t in doc["tests"]]
    for text in texts:
        outside = re.sub(r"(`{3,})text\n.*?\n\1", "", text, flags=re.S)  # what is not in a code block
        assert "<" not in outside and "\x1b" not in outside
    assert f.SCRIPT in doc["tests"][0]["output"]  # inside the code block, shown as typed


def test_gradescope_code_block_cannot_be_closed_by_student_output():
    r = f.result("x", [f.question("softmax", [f.failed("softmax/a", output="```\n**bold** <b>x</b>\n````")])])
    out = export.gradescope_results(r, execution_time=1)["tests"][0]["output"]
    assert "`````text\n```\n**bold** <b>x</b>\n````\n`````" in out


def test_gradescope_refuses_an_unknown_stdout_visibility():
    with pytest.raises(UsageError, match=re.escape("stdout_visibility must be one of hidden, after_due_date")):
        export.gradescope_results(f.all_pass(), execution_time=1, stdout_visibility="public")


# --------------------------------------------------------------------------- Canvas


def read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_canvas_csv_without_roster(tmp_path):
    out = tmp_path / "canvas.csv"
    res = export.write_canvas_csv(f.batch(), out, assignment="Word2vec softmax (12345)")
    assert res == export.CanvasExport(
        rows=5, assignment="Word2vec softmax (12345)", unmatched=("erin",), not_in_roster=(), ungraded=("dave",)
    )
    assert out.read_text(encoding="utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,Word2vec softmax (12345)\n"
        "Points Possible,,,,,10\n"
        "smithalice,1001,,,,10\n"
        "jonesbob,1002,,,,4.75\n"
        "leecarol,1003,,,,0\n"
        "kimdave,1004,,,,0\n"
        '"<script>alert(\'pwned\')</script>, ""><img src=x onerror=""alert(1)"">",1005,,,,0\n'
    )


ROSTER = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Word2vec softmax (12345),Other (777),Current Score\n"
    "    Points Possible,,,,,10,5,(read only)\n"
    '"Smith, Alice",1001,S1001,asmith,CS224n-01,,3,90\n'
    '"Jones, Bob",1002,S1002,bjones,CS224n-02,,4,80\n'
    '"Lee, Carol",1003,S1003,clee,CS224n-01,,5,70\n'
    '"Kim, Dave",1004,S1004,dkim,CS224n-02,,1,60\n'
    '"Ross, Erin",1006,S1006,erin,CS224n-01,,2,50\n'
    '"Student, Test",9999,,,CS224n-01,,,\n'
)


def test_an_error_submission_a_person_scored_is_not_said_to_be_written_as_0(tmp_path):
    import dataclasses

    from grader.model import Override

    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    results = [r for r in f.batch() if r.submission != f.IMG]
    (dave,) = [r for r in results if r.submission == "dave"]
    assert dave.status == "error"
    scored = dataclasses.replace(dave, score=7.0, overrides=(Override(question="", score=7.0, auto_score=0.0,
                                                                      note="graded the PDF by hand"),))
    out = tmp_path / "canvas.csv"
    res = export.write_canvas_csv(iter([scored if r is dave else r for r in results]), out,
                                  assignment="Word2vec softmax", roster=roster)
    assert res.ungraded == ()
    assert ["Kim, Dave", "1004", "S1004", "dkim", "CS224n-02", "7"] in read_csv(out)


def test_canvas_csv_with_roster_round_trip(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "canvas.csv"
    results = [r for r in f.batch() if r.submission != f.IMG]
    res = export.write_canvas_csv(iter(results), out, assignment="Word2vec softmax", roster=roster)
    # the roster's column with the assignment's id is used, so the scores land in the existing assignment
    assert res.assignment == "Word2vec softmax (12345)"
    assert res.unmatched == () and res.not_in_roster == () and res.ungraded == ("dave",)
    rows = read_csv(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Word2vec softmax (12345)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [
        ["Smith, Alice", "1001", "S1001", "asmith", "CS224n-01", "10"],
        ["Jones, Bob", "1002", "S1002", "bjones", "CS224n-02", "4.75"],
        ["Lee, Carol", "1003", "S1003", "clee", "CS224n-01", "0"],
        ["Kim, Dave", "1004", "S1004", "dkim", "CS224n-02", "0"],
        ["Ross, Erin", "1006", "S1006", "erin", "CS224n-01", "8.75"],  # no Canvas id: matched by login "erin"
    ]
    # read back as Canvas's importer does: header, Points Possible row, then one row per user id
    scores = {row[1]: float(row[5]) for row in rows[2:]}
    assert scores == {r.canvas.user_id if r.canvas else "1006": r.score for r in results}
    ids = [row[1] for row in rows[2:]]
    assert len(ids) == len(set(ids))


def test_canvas_header_is_what_canvas_importer_requires(tmp_path):
    out = tmp_path / "canvas.csv"
    export.write_canvas_csv([f.all_pass()], out, assignment="A")
    header, pp = read_csv(out)[:2]
    # app/models/gradebook_importer.rb: row[0] =~ /Student/, row[1] =~ /ID/, SIS User ID then SIS Login ID,
    # the last student column matches /Section/; a row whose first cell has "Points Possible" describes assignments
    assert header[0] == "Student" and header[1] == "ID"
    assert header[2:5] == ["SIS User ID", "SIS Login ID", "Section"]
    assert "Points Possible" in pp[0]


@pytest.mark.parametrize(
    ("submission", "matched"),
    [("1004", "Kim, Dave"), ("DKIM", "Kim, Dave"), ("S1003", "Lee, Carol"), ("nobody", None)],
)
def test_canvas_matches_submissions_without_canvas_id_by_id_login_or_sis_id(tmp_path, submission, matched):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "canvas.csv"
    r = replace(f.all_pass(submission), canvas=None)
    res = export.write_canvas_csv([r], out, assignment="Word2vec softmax", roster=roster)
    graded = [row[0] for row in read_csv(out)[2:] if row[5]]
    if matched is None:
        assert graded == [] and res.unmatched == ("nobody",) and len(res.missing) == 5
    else:
        assert graded == [matched] and res.unmatched == () and len(res.missing) == 4


@pytest.mark.parametrize(("entry", "sid", "login"), [("b14/jane.doe@uni.edu.py", "jane.doe_uni.edu", "jane.doe@uni.edu"),
                                                      ("batch.zip:o'connor.ipynb", "o_connor", "o'connor"),
                                                      ("b14/Jane.Doe@Uni.edu", "Jane.Doe_Uni.edu", "jane.doe@uni.edu")])
def test_canvas_matches_a_login_by_the_entry_name_as_handed_in_when_its_id_was_made_safe(tmp_path, entry, sid, login):
    from grader.ids import safe_id

    assert safe_id(entry.replace(".zip:", "/").rsplit("/", 1)[-1].removesuffix(".py").removesuffix(".ipynb")) == sid
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.replace("asmith", login), encoding="utf-8")
    out = tmp_path / "canvas.csv"
    r = replace(f.all_pass(sid), canvas=None, source=entry)
    res = export.write_canvas_csv([r], out, assignment="Word2vec softmax", roster=roster)
    assert res.unmatched == ()
    assert [(row[0], row[5]) for row in read_csv(out)[2:] if row[5]] == [("Smith, Alice", "10")]


def test_canvas_points_possible_is_the_batch_maximum_even_when_the_roster_matches_nobody(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "canvas.csv"
    r = replace(f.all_pass("nobody"), canvas=None)
    res = export.write_canvas_csv([r], out, assignment="Word2vec softmax", roster=roster)
    assert res.unmatched == ("nobody",)
    assert read_csv(out)[1] == ["Points Possible", "", "", "", "", "10"]


@pytest.mark.parametrize(("missing", "cell"), [("blank", ""), ("zero", "0")])
def test_canvas_lists_roster_students_without_a_submission(tmp_path, missing, cell):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "canvas.csv"
    results = [r for r in f.batch() if r.submission in ("alice", "bob")]
    res = export.write_canvas_csv(iter(results), out, assignment="Word2vec softmax", roster=roster, missing=missing)
    assert res.missing == ("1003", "1004", "1006")  # not Canvas's own "Student, Test"
    rows = read_csv(out)[2:]
    assert [(r[0], r[5]) for r in rows] == [("Smith, Alice", "10"), ("Jones, Bob", "4.75"), ("Lee, Carol", cell),
                                            ("Kim, Dave", cell), ("Ross, Erin", cell)]


def test_canvas_refuses_results_it_cannot_place_on_anyone(tmp_path):
    results = [replace(f.all_pass(sid), canvas=None) for sid in ("alice", "bob")]
    with pytest.raises(UsageError, match=re.escape(
            "none of the 2 results has a Canvas id (the batch was not a Canvas bulk download, or an anonymously "
            "graded one, whose files name no student), and no --roster was "
            "given to match them: export the gradebook from Canvas and pass it with --roster CSV")):
        export.write_canvas_csv(iter(results), tmp_path / "canvas.csv", assignment="A")
    assert not (tmp_path / "canvas.csv").exists()


def test_canvas_says_which_results_are_of_an_anonymously_graded_download(tmp_path):
    # an anonymous download names no user: the gradebook import cannot place it, the API can (by anonymous id)
    anon = [replace(f.all_pass(sid), canvas=CanvasInfo("", "", "9001", sid[5:])) for sid in ("anon_Xy3Kp", "anon_Ab4Cd")]
    with pytest.raises(UsageError, match=re.escape(
            "the 2 results are of an anonymously graded assignment (anon_Xy3Kp, anon_Ab4Cd): its download names no "
            "Canvas user, and Canvas's gradebook import places grades by user. Enter the grades in SpeedGrader, or "
            "post them with Canvas's API (.../assignments/<id>/anonymous_submissions/<anonymous_id>, each "
            "result.json's canvas.anonymous_id)")):
        export.write_canvas_csv(iter(anon), tmp_path / "canvas.csv", assignment="A")
    # beside results it places, they are listed apart from the unmatched ones
    res = export.write_canvas_csv(iter([f.all_pass(), *anon, replace(f.mixed(), canvas=None)]), tmp_path / "c.csv",
                                  assignment="A")
    assert (res.rows, res.anonymous, res.unmatched) == (1, ("anon_Xy3Kp", "anon_Ab4Cd"), ("bob",))


def test_canvas_says_when_the_roster_has_no_column_for_the_assignment(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    res = export.write_canvas_csv([f.all_pass()], tmp_path / "c.csv", assignment="Another name", roster=roster)
    assert res.new_column and res.assignment == "Another name"
    assert not export.write_canvas_csv([f.all_pass()], tmp_path / "c.csv", assignment="Word2vec softmax",
                                       roster=roster).new_column


def test_canvas_id_absent_from_roster_is_written_and_reported(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "canvas.csv"
    r = replace(f.all_pass("zed"), canvas=CanvasInfo(name="zed", user_id="4242", submission_id="1"))
    res = export.write_canvas_csv([r], out, assignment="Word2vec softmax", roster=roster)
    assert res.not_in_roster == ("zed",)
    assert read_csv(out)[2] == ["zed", "4242", "", "", "", "10"]


def test_canvas_refuses_two_submissions_of_one_student_and_writes_nothing(tmp_path):
    out = tmp_path / "canvas.csv"
    twice = [f.all_pass("alice"), replace(f.mixed("alice-resubmitted"), canvas=f.all_pass().canvas)]
    with pytest.raises(UsageError, match=re.escape("Canvas user 1001 has two submissions, 'alice' and 'alice-resubmitted'")):
        export.write_canvas_csv(twice, out, assignment="A")
    assert not out.exists()


def test_canvas_refuses_a_roster_that_is_not_a_canvas_export(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nalice,a@x\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not a gradebook exported from Canvas"):
        export.write_canvas_csv([f.all_pass()], tmp_path / "c.csv", assignment="A", roster=roster)


# --------------------------------------------------------------------------- JUnit


def test_junit_one_suite_per_submission_one_case_per_check(tmp_path):
    path = tmp_path / "junit.xml"
    assert export.write_junit(iter(f.batch()), path) == 6
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["alice", "bob", "carol", "dave", "erin", f.IMG]
    bob = suites[1]
    assert (bob.get("tests"), bob.get("failures"), bob.get("errors")) == ("11", "6", "0")
    props = {p.get("name"): p.get("value") for p in bob.find("properties")}
    assert props == {"score": "4.75", "max_score": "10", "status": "graded", "late": "true",
                     "rubric": "word2vec-softmax", "grader_version": "0.1.0"}
    cases = bob.findall("testcase")
    assert len(cases) == 11
    assert cases[1].get("classname") == "bob.softmax" and cases[1].get("name") == "softmax/rows-2x3"
    failure = cases[1].find("failure")
    assert failure.get("message") == "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values."
    assert failure.get("type") == "fail"
    assert "Likely mistake: each row must sum to 1" in failure.text
    assert cases[1].find("system-out").text == "debug: x.shape = (2, 3)\n" * 3
    assert cases[0].find("failure") is None and cases[0].find("error") is None


def test_junit_errors_and_ungraded_submission(tmp_path):
    path = tmp_path / "junit.xml"
    export.write_junit([f.errors(), f.submission_error()], path)
    carol, dave = ET.parse(path).getroot().findall("testsuite")
    err = carol.find("testcase[@name='softmax/stable-large']/error")
    assert err.get("type") == "Timeout" and "did not return within 2 s" in err.get("message")
    assert (dave.get("tests"), dave.get("errors")) == ("1", "1")
    (case,) = dave.findall("testcase")
    assert case.get("name") == "load"
    assert case.find("error").get("message") == "could not read dave.zip: File is not a zip file"


def test_junit_is_well_formed_whatever_students_print(tmp_path):
    path = tmp_path / "junit.xml"
    weird = f.result("w", [f.question("softmax", [f.failed("softmax/a", output="nul\x00 esc\x1b vt\x0b surrogate\ud800 ok ✓")])])
    export.write_junit([f.hostile(), weird], path)
    root = ET.parse(path).getroot()  # raises on invalid characters
    hostile, w = root.findall("testsuite")
    assert hostile.get("name") == f.IMG
    out = w.find("testcase/system-out").text
    assert out == "nul\\x00 esc\\x1b vt\\x0b surrogate\\ud800 ok ✓"
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    hidden = hostile.find("testcase[@name='softmax/hidden']")
    assert hidden.find("system-out") is None
    assert hidden.find("failure").text == "softmax/hidden: fail (0 / 0.5)\nhidden " + f.SCRIPT


# --------------------------------------------------------------------------- JSON lines


def strict(text: str):
    def no(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=no)


def test_json_line_is_one_strict_json_line():
    for r in f.batch():
        line = export.json_line(r)
        assert "\n" not in line and line.isascii()
        assert strict(line)["submission"] == r.submission


def test_json_line_writes_infinities_as_null():
    r = f.result("x", [f.question("softmax", [f.failed("softmax/a", mismatch=Mismatch("nonfinite", "inf", n_bad=1, n_total=1, max_abs=math.inf))])])
    doc = strict(export.json_line(r))
    assert doc["questions"][0]["checks"][0]["mismatch"]["max_abs"] is None
    assert SubmissionResult.from_dict(doc).submission == "x"


def test_json_line_equals_result_json():
    r = f.mixed()
    assert strict(export.json_line(r)) == strict(json.dumps(export._finite(r.to_dict())))


def test_doctests():
    assert doctest.testmod(export).failed == 0
