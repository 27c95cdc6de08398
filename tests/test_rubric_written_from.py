"""A course version's code questions with the written derivations: ``written_from`` and the
built-in ``cs224n-a2-written`` and ``cs224d-2016-written`` rubrics."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.errors import RubricError
from grader.rubric import builtin_rubric_path, load_rubric

HERE = Path(__file__).parent
VERSIONS = HERE / "submissions" / "versions"
A2_WRITTEN = {"sigmoid_grad", "grad_center", "grad_outside_o", "grad_outside_w", "grad_outside_matrix",
              "negsamp_grad_center", "negsamp_grad_outside_o", "negsamp_grad_sample", "skipgram_grad_center",
              "skipgram_grad_outside"}
WRITTEN_MD = """# My answers

## grad_center
$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$

## grad_outside_w
$$\\frac{\\partial J}{\\partial u_w} = \\hat{y}_w v_c$$

## grad_pred
$$W^\\top(\\hat{y} - y)$$
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_a2_rubric_with_its_written_part_has_a2s_code_questions_and_a2s_derivations():
    code_only, both = load_rubric("cs224n-a2"), load_rubric("cs224n-a2-written")
    assert [q.id for q in both.questions] == [q.id for q in code_only.questions]
    assert both.checks() == code_only.checks()  # the same code checks, cases and points
    assert {q.id for q in both.written.questions} == A2_WRITTEN  # not CS224d's ∂CE/∂r̂, ∂CE/∂W
    assert Path(both.written.reference_path) == (builtin_rubric_path("written").parent / ".." / "reference" /
                                                 "written.py").resolve()
    d16 = load_rubric("cs224d-2016-written")
    assert [q.id for q in d16.questions] == [q.id for q in load_rubric("cs224d-2016").questions]
    assert [q.id for q in d16.written.questions] == ["sigmoid_grad", "grad_pred", "grad_output"]
    assert load_rubric("cs224n-a2").written is None


def test_a_tas_rubric_takes_the_written_part_of_a_builtin_and_overrides_its_keys(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('extends = "cs224n-a2"\nwritten_from = "written"\nname = "mine"\n'
                 'exclude_questions = ["written/grad_pred", "written/grad_output", "written/sigmoid_grad"]\n'
                 '[written]\ninstances = 5\n[written.questions.grad_center]\npoints = 4\n')
    r = load_rubric(p)
    assert {q.id for q in r.written.questions} == A2_WRITTEN - {"sigmoid_grad"}
    assert r.written.instances == 5 and next(q for q in r.written.questions if q.id == "grad_center").points == 4
    assert Path(r.written.reference_path).name == "written.py" and Path(r.written.reference_path).is_file()
    assert Path(r.reference_path).name == "word2vec.py"  # the code's reference stays the code rubric's


@pytest.mark.parametrize("text, why", [
    ('written_from = 3', "written_from: must be the path of a rubric file (relative to this one) or the name of a "
                         "built-in rubric"),
    ('written_from = "nowhere.toml"', "written_from: file not found: 'nowhere.toml' (relative to the rubric file)"),
    ('written_from = "cs224n-a2"', "written_from: 'cs224n-a2' has no [written] part"),
    ('written_from = "mine.toml"', "written_from: 'mine.toml' is this file, or a file that extends it (a cycle)"),
])
def test_a_written_from_that_gives_no_written_part_is_a_clear_error(tmp_path, text, why):
    p = tmp_path / "mine.toml"
    p.write_text(f'extends = "cs224n-a2"\n{text}\nname = "mine"\n')
    with pytest.raises(RubricError, match=re.escape(why)):
        load_rubric(p)


def test_grader_check_grades_an_a2_folders_code_and_its_written_md_under_cs224n_a2_written(tmp_path):
    sub = tmp_path / "a2"
    shutil.copytree(VERSIONS / "cs224n-a2", sub)
    (sub / "written.md").write_text(WRITTEN_MD)
    code, out, err = run("check", str(sub), "--rubric", "cs224n-a2-written", "--json")
    doc = json.loads(out)
    assert doc["rubric"] == "word2vec-cs224n-a2-written" and err == "", err
    by_id = {q["id"]: q for q in doc["questions"]}
    assert all(by_id[q]["score"] == by_id[q]["max_score"] for q in by_id if not q.startswith("written/"))
    assert {q for q in by_id if q.startswith("written/")} == {f"written/{w}" for w in A2_WRITTEN}
    assert by_id["written/grad_center"]["score"] == 2 and by_id["written/grad_outside_w"]["score"] == 1
    assert by_id["written/grad_outside_o"]["score"] == 0  # not answered
    assert "written/grad_pred" not in by_id  # answered, but CS224d's question: not this course's
    assert not any("grades code only" in n for n in doc["notes"])
    # under the code-only rubric the same folder is told its written answers were not read
    code, out, _ = run("check", str(sub), "--rubric", "cs224n-a2", "--json")
    assert any("written.md was handed in, but this rubric grades code only" in n for n in json.loads(out)["notes"])


def test_a_written_rubric_of_another_version_says_which_written_rubric_fits(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(VERSIONS / "cs224n-a2", subs / "alice")
    shutil.copytree(VERSIONS / "cs224n-2017", subs / "carol")
    shutil.copytree(VERSIONS / "cs224d-2016", subs / "dave")
    code, _, err = run("grade", str(subs), "--out", str(tmp_path / "out"), "--rubric", "cs224n-a2-written",
                       "--no-progress")
    assert code == 0
    # 2016 has a rubric with its written part, 2017 none: each is named as it exists
    assert ("warning: 2 of 3 submissions look like another course version than --rubric cs224n-a2-written, and are "
            "graded under it as asked: 1 like cs224d-2016 (dave; --rubric cs224d-2016-written grades it as that "
            "version); 1 like cs224n-2017 (carol; --rubric cs224n-2017 grades it as that version)\n") in err
    code, _, err = run("check", str(subs / "alice"), "--rubric", "cs224d-2016-written", "--no-color")
    assert err.startswith("note: alice looks like cs224n-a2 (CS224n assignment 2 (2019-2023)): ")
    assert err.endswith("; checked under --rubric cs224d-2016-written as asked (--rubric cs224n-a2-written checks "
                        "it as that version)\n")
    code, _, err = run("check", str(subs / "alice"), "--rubric", "cs224n-a2-written", "--no-color")
    assert "looks like" not in err, err


def test_written_answers_a_code_rubric_does_not_read_point_to_the_rubric_that_reads_them(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(VERSIONS / "cs224n-a2", subs / "alice")
    (subs / "alice" / "written.md").write_text(WRITTEN_MD)
    shutil.copytree(VERSIONS / "cs224n-a2", subs / "bob")  # code only: nothing to say of him
    code, _, err = run("check", str(subs / "alice"), "--no-color")
    assert code == 0 and err == "note: grader check --rubric cs224n-a2-written checks your written answers with your code\n"
    code, _, err = run("check", str(subs / "bob"), "--no-color")
    assert code == 0 and err == ""
    code, _, err = run("grade", str(subs), "--out", str(tmp_path / "out"), "--no-progress")
    assert code == 0
    assert err.endswith("warning: 1 submission graded here hands in written answers (written.md, .tex) that --rubric "
                        "cs224n-a2 does not read: alice; --rubric cs224n-a2-written grades the code and the written "
                        "answers\n"), err
    # under that rubric, read and graded: nothing to warn of
    code, _, err = run("grade", str(subs), "--out", str(tmp_path / "out2"), "--rubric", "cs224n-a2-written",
                       "--no-progress")
    assert code == 0 and "warning" not in err, err


def test_a_kit_of_a_rubric_with_written_questions_says_how_students_check_them(tmp_path):
    code, out, err = run("kit", "-o", str(tmp_path / "kit"), "--rubric", "cs224n-a2-written")
    assert code == 0
    assert "kit of the default rubric" not in err  # a version's rubric was asked for
    assert out.splitlines()[0] == ("wrote the student kit of rubric word2vec-cs224n-a2-written to %s: 58 public checks on 27 cases; the rubric's 10 written "
                                   "questions are not in it (its README says how students check them)" % (tmp_path / "kit"))
    readme = (tmp_path / "kit" / "README.md").read_text()
    section = readme.split("## Written questions\n\n", 1)[1].split("\n## ", 1)[0]
    assert section.startswith("This kit checks code only. The rubric's written questions (`written/sigmoid_grad`, ")
    assert ("`grader check --rubric cs224n-a2-written PATH` checks them with your code, and `grader check --rubric "
            "cs224n-a2-written --written ID ANSWER` one answer alone.") in section
    # ... and the command it names does check one
    code, out, _ = run("check", "--rubric", "cs224n-a2-written", "--written", "grad_center", r"U(\hat y - y)")
    assert code == 0 and out.startswith("written/grad_center/answer: pass (2 / 2)")
    code, out, _ = run("kit", "-o", str(tmp_path / "code-only"), "--rubric", "cs224n-a2")
    assert "written" not in out and "## Written questions" not in (tmp_path / "code-only" / "README.md").read_text()
