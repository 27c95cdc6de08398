"""Course versions: a rubric per year, the version recognised from the submission, messages that name the cause.

The stand-in submissions of ``tests/submissions/versions`` are written here, each the way its
year's starter asks (2015: one Python 2 notebook without ``dataset``; 2016: Python 2 files, a
softmax that flattens a 1×n input and reuses its argument; 2017: getNegativeSamples given,
softmax in place keeping the shape; a2: word2vec.py and sgd.py relying on utils/, as a folder
with utils/ and as a Colab notebook without it).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.cli import main
from grader.errors import RubricError
from grader.load import peek
from grader.model import SourceFile, Submission
from grader.notebook import read_cells
from grader.recognise import MAX_CHARS, choose, recognise
from grader.rubric import load_rubric

HERE = Path(__file__).parent
VERSIONS = HERE / "submissions" / "versions"
SUBMISSION = {
    "cs224d-2015": VERSIONS / "cs224d-2015",
    "cs224d-2016": VERSIONS / "cs224d-2016",
    "cs224n-2017": VERSIONS / "cs224n-2017",
    "cs224n-a2": VERSIONS / "cs224n-a2",
}
RUBRIC_NAME = {"cs224d-2015": "word2vec-cs224d-2015", "cs224d-2016": "word2vec-cs224d-2016",
               "cs224n-2017": "word2vec-cs224n-2017", "cs224n-a2": "word2vec-cs224n-a2"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def checks(result: dict) -> dict[str, dict]:
    return {c["id"]: c for q in result["questions"] for c in q["checks"]}


def rs_score_line(line: str) -> bool:
    """True when a prose result line says full marks ("dave: 23 / 23, ...")."""
    score, _, rest = line.split(": ", 1)[1].partition(" / ")
    return score == rest.split(",")[0]


def notebook(*cells: str, counts=None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src, execution_count=(counts[i] if counts else i + 1))
                for i, src in enumerate(cells)]
    return nbformat.writes(nb)


# --------------------------------------------------------------------------- the rubrics


def test_each_version_rubric_extends_the_problem_set_with_its_own_policies():
    base = load_rubric("problem-set")
    r15, r16, r17, a2 = (load_rubric(n) for n in ("cs224d-2015", "cs224d-2016", "cs224n-2017", "cs224n-a2"))
    base_ids = {c.id for c in base.checks()}
    assert "softmax/unmodified" in base_ids
    for r in (r15, r16, r17, a2):
        assert "softmax/unmodified" not in {c.id for c in r.checks()}  # no point taken for in place
        assert "cross_entropy/inputs-unmodified" in {c.id for c in r.checks()}  # the cost's inputs still are
    one_row = {r.name: next(c for c in r.checks() if c.id == "softmax/shape-one-row").shape for r in (r15, r16, r17)}
    assert one_row == {"word2vec-cs224d-2015": "leading-ones", "word2vec-cs224d-2016": "leading-ones",
                       "word2vec-cs224n-2017": "leading"}
    assert "softmax" not in {q.id for q in a2.questions}
    assert a2.functions["cost_and_grad"].names == ("naiveSoftmaxLossAndGradient", "softmaxCostAndGradient")
    assert r16.functions["cost_and_grad"].names == ("softmaxCostAndGradient", "naiveSoftmaxLossAndGradient")
    assert r15.functions["cost_and_grad"].arities == (3, 4)
    assert {s.module for s in a2.starter} == {"utils", "utils.utils", "utils.gradcheck", "utils.treebank"}
    assert {"q1_softmax", "cs224d.data_utils", "utils.treebank"} <= {s.module for s in r17.starter}
    # the four-question rubrics stay as they were
    assert load_rubric("word2vec").max_score == 20.0 and load_rubric("cs224n").max_score == 14.0


def _rubric(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text('extends = "word2vec"\nname = "mine"\n' + text)
    return p


def test_exclude_checks_and_starters_drop_single_checks_and_stand_ins_patterns_may_match_nothing(tmp_path):
    r = load_rubric(_rubric(tmp_path, 'exclude_checks = ["softmax/unmodified", "grad_pred/*", "sgd/*"]\n'
                                      'exclude_questions = ["cbow_*"]\n'
                                      'exclude_starters = ["utils", "utils.*", "q9_*"]\n'))
    ids = {c.id for c in r.checks()}
    assert "softmax/unmodified" not in ids and "softmax/matrix" in ids
    assert "grad_pred" not in {q.id for q in r.questions}  # a question left without checks goes
    assert not any(s.module.startswith("utils") for s in r.starter) and any(s.module == "q1_softmax" for s in r.starter)
    assert "hidden-typical" in r.cases  # still used by other questions


@pytest.mark.parametrize("text, where, why", [
    ('exclude_checks = ["softmax/unmodifed"]\n', "exclude_checks",
     "no check 'softmax/unmodifed' to exclude; did you mean 'softmax/unmodified'?"),
    ('exclude_checks = ["softmax"]\n', "exclude_checks", 'must be a list of check ids ("question/check")'),
    ('exclude_starters = ["q1_softmx"]\n', "exclude_starters", "no stand-in 'q1_softmx' to exclude; did you mean 'q1_softmax'?"),
    ('exclude_questions = ["cbow"]\n', "exclude_questions", "no question 'cbow' to exclude"),
])
def test_a_plain_id_that_is_not_there_is_an_error(tmp_path, text, where, why):
    p = _rubric(tmp_path, text)
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert str(e.value) == f"rubric {p}: {where}: {why}"


@pytest.mark.parametrize("text, why", [
    ('[functions.softmax]\nstub = "zeros"\n', 'stub must be "returns-input"'),
    ('[functions.softmax]\nstub_names = ["not a name"]\n', "stub_names: 'not a name' is not a Python name"),
])
def test_a_stub_description_that_is_not_understood_is_an_error(tmp_path, text, why):
    p = _rubric(tmp_path, text)
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert f"functions.softmax: {why}" in str(e.value), str(e.value)


# --------------------------------------------------------------------------- recognition


@pytest.mark.parametrize("version", sorted(SUBMISSION))
def test_each_stand_in_is_recognised_as_its_version(version):
    r = recognise(peek(SUBMISSION[version]))
    assert r.version == version, r


def test_what_recognition_is_based_on_is_said():
    assert "no dataset parameter" in recognise(peek(SUBMISSION["cs224d-2015"])).reason
    assert "getNegativeSamples" in recognise(peek(SUBMISSION["cs224n-2017"])).reason
    assert "utils.utils" in recognise(peek(VERSIONS / "cs224n-a2-colab.ipynb")).reason
    assert "q4_softmaxreg.py" in recognise(peek(SUBMISSION["cs224d-2016"])).reason


def test_only_the_four_questions_functions_give_the_four_question_rubric():
    honest = HERE / "submissions" / "honest"
    assert recognise(peek(honest / "rows")).version == "word2vec"
    assert recognise(peek(honest / "py2015")).version == "word2vec"
    assert recognise(peek(honest / "vectorised")).version == "word2vec"  # q1 and q3 (with skip-gram) only
    lone = Submission("x", "x", "module", (SourceFile("word2vec.py", "def naiveSoftmaxLossAndGradient(a, b, c, d):\n"
                                                                     "    pass\n", "word2vec.py"),))
    assert recognise(lone).version == "cs224n"
    empty = Submission("x", "x", "module", (SourceFile("mine.py", "x = 1\n", "mine.py"),))
    assert recognise(empty).version == ""


def test_a2s_sgd_py_alone_is_recognised_as_a2_and_graded_so(tmp_path):
    """A student self-checking a2's sgd.py alone gets a2's rubric (its sgd graded), not the default softmax rubric."""
    code = ("def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):\n"
            "    x = x0\n"
            "    postprocessing = postprocessing or (lambda x: x)\n"
            "    for it in range(1, iterations + 1):\n"
            "        loss, grad = f(x)\n"
            "        x = postprocessing(x - step * grad)\n"
            "        if it % 20000 == 0:\n"
            "            step *= 0.5\n"
            "    return x\n")
    r = recognise(Submission("x", "x", "module", (SourceFile("sgd.py", code, "sgd.py"),)))
    assert (r.version, r.reason) == ("cs224n-a2", "sgd.py defines sgd (a2's file; CS224d and CS224n 2017/2018 name "
                                                  "it q3_sgd.py)")
    # the same function in another file name tells nothing; in CS224d's file, CS224d's rubric
    assert recognise(Submission("x", "x", "module", (SourceFile("mine.py", code, "mine.py"),))).version == ""
    assert recognise(Submission("x", "x", "module", (SourceFile("q3_sgd.py", code, "q3_sgd.py"),))).version \
        == "cs224d-2016"
    (tmp_path / "sgd.py").write_text(code, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(["check", str(tmp_path / "sgd.py"), "--json"], out=out, err=err)
    doc = json.loads(out.getvalue())
    assert doc["rubric"] == "word2vec-cs224n-a2", doc["rubric"]
    sgd = next(q for q in doc["questions"] if q["id"] == "sgd")
    passed = {c["id"] for c in sgd["checks"] if c["status"] == "pass"}
    assert {"sgd/from-zero", "sgd/from-half", "sgd/from-minus"} <= passed, passed  # (useSaved is not written here)
    # ... and the check that resumes from saved parameters fails saying why: the starter's useSaved block is gone
    anneal = next(c for c in sgd["checks"] if c["id"] == "sgd/anneal")
    assert anneal["status"] == "fail"
    assert anneal["hint"].startswith("useSaved was set, and load_saved_params was never called"), anneal
    assert anneal["mistake"] is None and not any("never called" in n for n in anneal["notes"])
    assert status == 1  # the rest of a2 is not handed in


def test_recognition_reads_a_bounded_part_of_each_file():
    far = "#" * (MAX_CHARS + 10) + "\ndef naiveSoftmaxLossAndGradient(a, b, c, d):\n    pass\n"
    sub = Submission("x", "x", "module", (SourceFile("big.py", far, "big.py"),))
    assert recognise(sub).version == ""


def test_peek_keeps_python_2_as_written_and_the_batch_choice_is_the_majority():
    sub = peek(SUBMISSION["cs224d-2016"] / "q3_sgd.py")
    assert "cPickle" in sub.files[0].text and not sub.files[0].translated
    assert choose({"cs224d-2016": 2, "cs224n-a2": 5, "": 9}).version == "cs224n-a2"
    assert choose({"cs224d-2016": 2, "cs224n-a2": 2}).version == "cs224n-a2"  # a tie: the newest
    assert choose({"word2vec": 2, "cs224d-2016": 2}).version == "word2vec"  # a tie: the default rubric


# --------------------------------------------------------------------------- through the CLI


@pytest.fixture(scope="module")
def per_version(tmp_path_factory) -> dict[str, dict]:
    """Each version's stand-in graded alone with no --rubric (a batch of one each)."""
    out = {}
    for version, path in list(SUBMISSION.items()) + [("a2-colab", VERSIONS / "cs224n-a2-colab.ipynb")]:
        subs = tmp_path_factory.mktemp(f"subs-{version}")
        if path.is_dir():
            shutil.copytree(path, subs / "student")
        else:
            shutil.copy(path, subs / f"student{path.suffix}")
        res = tmp_path_factory.mktemp(f"out-{version}")
        code, _, err = run("grade", str(subs), "--out", str(res), "--jobs", "1", "--no-progress")
        assert code == 0, err
        out[version] = results(res)["student"]
        out[version]["stderr"] = err
    return out


@pytest.mark.parametrize("version", sorted(SUBMISSION))
def test_a_correct_submission_of_each_version_gets_full_marks_with_no_rubric_given(per_version, version):
    r = per_version[version]
    assert r["rubric"] == RUBRIC_NAME[version]
    failing = [(c["id"], c["message"]) for c in checks(r).values() if c["status"] != "pass"]
    assert failing == [] and r["score"] >= r["max_score"] > 0, failing  # CBOW's extra credit may go past the maximum
    assert r["rubric_reason"].startswith(f"graded under {version} (") and "(1 of the 1 that look like a course version)" in r["rubric_reason"]
    assert r["looks_like"] == ""
    assert f"rubric: {version} (" in r["stderr"]


def test_the_2016_flattened_row_and_the_in_place_softmaxes_are_accepted(per_version):
    c16 = checks(per_version["cs224d-2016"])
    assert c16["softmax/shape-one-row"]["status"] == "pass"
    assert c16["softmax/shape-one-row"]["notes"] == ["shape (7,) accepted as (1, 7)"]
    assert "softmax/unmodified" not in c16 and "softmax/unmodified" not in checks(per_version["cs224n-2017"])


def test_a2_folders_and_notebooks_relying_on_utils_get_full_marks(per_version):
    nb = per_version["a2-colab"]
    assert nb["rubric"] == "word2vec-cs224n-a2" and nb["score"] == nb["max_score"] > 0
    assert any("'utils.utils' was not in the submission" in n for n in nb["load"]["notes"])
    assert "it imports utils.gradcheck, utils.utils" in nb["rubric_reason"]
    assert nb["load"]["unit_errors"] == []  # !pip, %matplotlib and plt.figure(figsize=...) ran quietly


def test_the_2015_setup_cell_and_plots_run_against_the_stand_ins_without_error_or_output(per_version):
    r = per_version["cs224d-2015"]
    assert r["load"]["unit_errors"] == [], r["load"]["unit_errors"]
    assert "Gradient" not in r["load"]["output"] and "rcParams" not in r["load"]["output"]
    assert "=== For autograder ===" in r["load"]["output"]  # the notebook's own prints are there, nothing else
    assert any("draws or shows nothing" in n for n in r["load"]["notes"])


@pytest.mark.parametrize("version", sorted(SUBMISSION))
def test_check_recognises_the_version_on_its_own_and_says_which(version):
    code, out, err = run("check", str(SUBMISSION[version]), "--no-color")
    assert code == 0, out + err
    assert f"Rubric {RUBRIC_NAME[version]}: recognised as {version} (" in out


def test_check_json_names_the_rubric_and_why_and_an_explicit_rubric_wins():
    code, out, _ = run("check", str(SUBMISSION["cs224n-a2"]), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["rubric"] == "word2vec-cs224n-a2" and doc["rubric_reason"].startswith("recognised as cs224n-a2")
    code, out, _ = run("check", str(SUBMISSION["cs224n-a2"]), "--json", "--rubric", "cs224n")
    doc = json.loads(out)
    assert doc["rubric"] == "word2vec-cs224n" and doc["rubric_reason"] == ""  # chosen by no one but the user


def test_a_mixed_batch_is_graded_under_the_majority_and_the_others_are_listed(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("alice", "bob"):
        shutil.copytree(SUBMISSION["cs224n-a2"], subs / sid)
    shutil.copy(VERSIONS / "cs224n-a2-colab.ipynb", subs / "carol.ipynb")
    shutil.copytree(SUBMISSION["cs224d-2016"], subs / "dave")
    out = tmp_path / "out"
    code, stdout, err = run("grade", str(subs), "--out", str(out), "--jobs", "2", "--no-progress")
    assert code == 0, err
    # graded on the same questions as the others (its softmax is a2's given one: not graded)
    dave = next(line for line in stdout.splitlines() if line.startswith("dave: "))
    assert dave.endswith(", looks like cs224d-2016") and rs_score_line(dave)
    rs = results(out)
    assert {r["rubric"] for r in rs.values()} == {"word2vec-cs224n-a2"}
    assert all(rs[s]["score"] >= rs[s]["max_score"] for s in ("alice", "bob", "carol"))
    assert rs["dave"]["looks_like"] == "cs224d-2016" and rs["alice"]["looks_like"] == ""
    # 3 of the 4 look like a2: not "3 of 4 recognised", which said that one was not recognised at all
    assert "the version most submissions of this batch look like (3 of the 4 that look like a course version); " \
           "this one looks like cs224d-2016 (CS224d 2016): q4_softmaxreg.py" in rs["dave"]["rubric_reason"]
    assert "the version most submissions look like (3 of the 4 that look like a course version)" in err
    assert "warning: 1 submission looks like another version and is graded under cs224n-a2 all the same " \
           "(one scale for the batch): dave (cs224d-2016)" in err
    summary = (out / "summary.html").read_text()
    assert "Written for another course version" in summary and 'href="dave/report.html">dave</a>' in summary
    assert "Why this rubric" in (out / "dave" / "report.html").read_text()
    # an explicit --rubric always wins, and says so
    out2 = tmp_path / "out2"
    code, _, err = run("grade", str(subs), "--out", str(out2), "--rubric", "cs224d-2016", "--no-progress")
    assert code == 0 and "rubric: " not in err
    rs = results(out2)
    assert {r["rubric"] for r in rs.values()} == {"word2vec-cs224d-2016"}
    assert rs["dave"]["score"] >= rs["dave"]["max_score"] and rs["dave"]["rubric_reason"] == ""  # CBOW's extra credit
    # ... and the TA is told, before grades go out, whom that rubric's version does not fit
    assert ("warning: 3 of 4 submissions look like another course version than --rubric cs224d-2016, and are "
            "graded under it as asked: 3 like cs224n-a2 (alice, bob, carol; --rubric cs224n-a2 grades them as "
            "that version)\n") in err
    assert all(r["rubric_reason"] == "" for r in rs.values())  # the grader chose nothing (the contract)
    # each is marked as the auto-chosen rubric marks it: its line, result.json, summary.html
    assert {s: r["looks_like"] for s, r in rs.items()} == {"alice": "cs224n-a2", "bob": "cs224n-a2",
                                                           "carol": "cs224n-a2", "dave": ""}
    summary = (out2 / "summary.html").read_text()
    assert "Written for another course version" in summary and 'href="alice/report.html">alice</a>' in summary
    # a four-question rubric grades those questions of any version by design: nothing to warn of
    code, _, err = run("grade", str(subs), "--out", str(tmp_path / "out3"), "--rubric", "cs224n", "--no-progress")
    assert code == 0 and "warning" not in err, err


def test_a_tie_between_versions_is_said_as_a_tie_and_how_it_was_broken(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copytree(SUBMISSION["cs224n-a2"], subs / "alice")
    shutil.copytree(SUBMISSION["cs224d-2016"], subs / "dave")
    out = tmp_path / "out"
    code, _, err = run("grade", str(subs), "--out", str(out), "--jobs", "2", "--no-progress")
    assert code == 0, err
    # not "the version most submissions look like": one each
    assert ("rubric: cs224n-a2 (CS224n assignment 2 (2019-2023)), in a tie with cs224d-2016 (1 each of the 2 that "
            "look like a course version), broken for the newest version; --rubric chooses another") in err
    assert "most submissions" not in err
    rs = results(out)
    assert rs["dave"]["rubric_reason"].startswith(
        "graded under cs224n-a2 (CS224n assignment 2 (2019-2023)), in a tie with cs224d-2016 (1 each of the 2 that "
        "look like a course version), broken for the newest version; this one looks like cs224d-2016")



def test_a_check_under_another_versions_rubric_says_which_version_the_code_looks_like():
    code, out, err = run("check", str(SUBMISSION["cs224n-a2"]), "--rubric", "problem-set", "--no-color")
    assert code == 1  # a2's given utils.softmax modifies its input: the generic rubric takes a point
    assert err.startswith("note: cs224n-a2 looks like cs224n-a2 (CS224n assignment 2 (2019-2023)): word2vec.py defines ")
    assert err.endswith("; checked under --rubric problem-set as asked (--rubric cs224n-a2, or none, checks it as "
                        "that version)\n")
    assert err.count("\n") == 1
    for rubric in ("cs224n-a2", "cs224n"):  # its own version's rubric; a four-question one
        code, _, err = run("check", str(SUBMISSION["cs224n-a2"]), "--rubric", rubric, "--no-color")
        assert code == 0 and err == "", (rubric, err)


def test_newcomers_of_another_version_do_not_move_a_batch_already_graded_to_another_scale(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    shutil.copytree(SUBMISSION["cs224d-2016"], subs / "alice")
    code, _, err = run("grade", str(subs), "--out", str(out), "--jobs", "1", "--no-progress")
    assert code == 0, err
    first = results(out)["alice"]
    assert first["rubric"] == "word2vec-cs224d-2016"
    for sid in ("bob", "carol", "dave"):  # late hand-ins, most of the batch now, of another year
        shutil.copytree(SUBMISSION["cs224n-a2"], subs / sid)
    code, stdout, err = run("grade", str(subs), "--out", str(out), "--jobs", "1", "--no-progress")
    assert code == 0, err
    rs = results(out)
    assert {r["rubric"] for r in rs.values()} == {"word2vec-cs224d-2016"}
    assert rs["alice"]["score"] == first["score"] and "alice:" not in stdout  # not graded again
    assert ("rubric: cs224d-2016 (CS224d 2016), as for the earlier runs of this batch (kept, so that one scale "
            "grades the whole batch; 1 of 4 recognised look like it, 3 like cs224n-a2); --rubric cs224n-a2 grades "
            "the batch again under that one") in err
    assert rs["bob"]["looks_like"] == "cs224n-a2"
    assert "the version of the earlier runs of this batch (kept, so that one scale grades the whole batch)" \
        in rs["bob"]["rubric_reason"]
    # the TA's --rubric wins, and is what the next run without it keeps
    code, _, err = run("grade", str(subs), "--out", str(out), "--rubric", "cs224n-a2", "--no-progress")
    assert code == 0 and {r["rubric"] for r in results(out).values()} == {"word2vec-cs224n-a2"}
    code, stdout, err = run("grade", str(subs), "--out", str(out), "--no-progress")
    assert code == 0 and "graded 0, errors 0, unchanged 4" in err
    assert "rubric: cs224n-a2 (CS224n assignment 2 (2019-2023)), the version most submissions look like" in err


# --------------------------------------------------------------------------- messages that name the cause

COST = "def softmaxCostAndGradient(predicted, target, outputVectors, dataset):\n"
SOFTMAX = ("import numpy as np\n\n\ndef softmax(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
           "    return e / np.sum(e, axis=-1, keepdims=True)\n\n\n")


def _check(tmp_path: Path, name: str, text: str, *extra: str) -> dict:
    p = tmp_path / name
    p.write_text(text)
    code, out, err = run("check", str(p), "--json", *extra)
    assert code == 1, out + err
    return json.loads(out)


def test_a_1xd_row_where_a_vector_was_passed_is_named(tmp_path):
    doc = _check(tmp_path, "rowvec.py", SOFTMAX + COST + "    predicted = predicted.reshape(1, -1)\n"
                 "    scores = np.dot(outputVectors, predicted)\n    return 0.0, scores, scores\n")
    m = checks(doc)["cross_entropy/small"]["message"]
    assert m.startswith("softmaxCostAndGradient raised ValueError (rowvec.py, line 11): shapes (5,3) and (1,3) not aligned")
    assert "The grader passed predicted float64 (3,); outputVectors float64 (5, 3), as the course specifies " \
           "(predicted (d,); outputVectors (|V|, d), one word vector per row)." in m
    assert "In that line: predicted (1, 3), outputVectors (5, 3)." in m
    assert "Likely cause: a 1×3 row where predicted is passed with shape (3,)" in m


def test_outputvectors_transposed_is_named(tmp_path):
    doc = _check(tmp_path, "transposed.py", SOFTMAX + COST + "    U = outputVectors.T\n"
                 "    y = softmax(U.dot(predicted))\n    return -np.log(y[target]), U.dot(y), np.outer(predicted, y)\n")
    m = checks(doc)["cross_entropy/typical"]["message"]
    assert "Likely cause: outputVectors transposed: 10×20 where the course passes it 20×10 (one word vector per row)." in m


def test_a_result_computed_transposed_is_not_blamed_on_an_argument_passed_right(tmp_path):
    doc = _check(tmp_path, "own.py", SOFTMAX + COST + "    y = softmax(outputVectors.dot(predicted))\n"
                 "    grad = np.zeros(outputVectors.shape)\n    g = np.outer(predicted, y)\n    grad += g\n"
                 "    return -np.log(y[target]), outputVectors.T.dot(y), grad\n")
    m = checks(doc)["cross_entropy/typical"]["message"]
    assert "In that line: grad (20, 10), g (10, 20)." in m, m
    assert "Likely cause: grad is 20×10 and g 10×20: one of them is transposed" in m
    assert "outputVectors transposed" not in m and "predicted transposed" not in m


def test_an_empty_assert_on_shapes_is_explained(tmp_path):
    doc = _check(tmp_path, "asserted.py", SOFTMAX + COST + "    assert predicted.shape == (1, outputVectors.shape[1])\n"
                 "    return 0.0, predicted, outputVectors\n")
    m = checks(doc)["cross_entropy/small"]["message"]
    assert m.startswith("softmaxCostAndGradient raised AssertionError (asserted.py, line 10). The grader passed")
    assert "Likely cause: your assert expects predicted as a 1×d row; the course passes it as a vector." in m


def test_a_name_undefined_because_an_import_failed_names_that_import(tmp_path):
    doc = _check(tmp_path, "gpu.py", "import cupy as np\n\n\ndef softmax(x):\n    return np.exp(x)\n")
    m = checks(doc)["softmax/vector"]["message"]
    assert m == ("softmax raised NameError (gpu.py, line 5): name 'np' is not defined: 'np' was never defined: "
                 "`import cupy as np` failed (gpu.py, line 1: ModuleNotFoundError: No module named 'cupy')")


def test_a_theano_cell_that_aborted_is_named_with_its_cell_and_line(tmp_path):
    nb = notebook("import numpy as np", "import theano\nimport theano.tensor as T\nx = T.matrix()\n"
                  "softmax_fJ = theano.function([x], T.nnet.softmax(x))\n",
                  "def softmax(x):\n    return softmax_fJ(x)\n")
    doc = _check(tmp_path, "nnet.ipynb", nb, "--rubric", "word2vec")
    m = checks(doc)["softmax/vector"]["message"]
    assert m.endswith("name 'softmax_fJ' is not defined: 'softmax_fJ' was never defined: nnet.ipynb, cell [2] "
                      "stopped at line 1 (`import theano`: ModuleNotFoundError: No module named 'theano') before "
                      "line 4 (`softmax_fJ = theano.function([x], T.nnet.softmax(x))`) ran"), m


def test_a_cell_that_stopped_before_def_softmax_is_explained_once_in_softmax_and_briefly_in_its_callers(tmp_path):
    """The cell's error is said by the load errors and softmax's check; softmax's callers refer to it briefly."""
    nb = notebook("import numpy as np\nx = undefined_name + 1\n\n" + SOFTMAX,
                  "def softmaxCostAndGradient(predicted, target, outputVectors, dataset):\n"
                  "    y = softmax(outputVectors.dot(predicted))\n    return 0.0, predicted, outputVectors\n")
    doc = _check(tmp_path, "stopped.ipynb", nb, "--rubric", "word2vec")
    own = checks(doc)["softmax/vector"]["message"]
    assert "(`x = undefined_name + 1`: NameError: name 'undefined_name' is not defined)" in own, own
    caller = checks(doc)["cross_entropy/small"]["message"]
    assert caller.endswith("name 'softmax' is not defined: 'softmax' was never defined: stopped.ipynb, cell [1] "
                           "stopped at line 2, before line 7 ran (the checks of softmax say why)"), caller
    assert "undefined_name" not in caller


def test_a_function_that_does_not_compile_is_a_syntax_error_at_its_line_not_missing(tmp_path):
    doc = _check(tmp_path, "syntax.py", "import numpy as np\n\n\ndef softmax(x):\n"
                 "    e = np.exp(x - np.max(x, axis=-1, keepdims=True)\n    return e / np.sum(e, axis=-1, keepdims=True)\n")
    m = checks(doc)["softmax/vector"]["message"]
    assert m == ("softmax could not be called: 'softmax' is in code that does not compile: syntax.py, line 5: "
                 "SyntaxError: '(' was never closed (`e = np.exp(x - np.max(x, axis=-1, keepdims=True)`), "
                 "so it was never defined.")
    assert "defines no function" not in m


def test_a_notebook_is_never_told_to_hand_in_a_folder(tmp_path):
    nb = notebook("import numpy as np\nfrom utils.utils import softmax\n",
                  COST + "    return 0.0, predicted, outputVectors\n")
    doc = _check(tmp_path, "a2.ipynb", nb, "--rubric", "word2vec")
    m = checks(doc)["softmax/vector"]["message"]
    assert "hand in your utils/ folder" not in m and "folder" not in m
    assert m.endswith("A notebook is graded on the functions its own cells define: write softmax in one of its "
                      "cells (def softmax(x): ...).")


def test_a_2016_notebook_whose_scipy_import_aborted_the_cell_is_told_so(tmp_path):
    nb = notebook("import numpy as np\nimport scipy.misc\nfrom q1_softmax import softmax\n",
                  "import random\n\n" + COST + "    return 0.0, predicted, outputVectors\n")
    doc = _check(tmp_path, "hw1.ipynb", nb, "--rubric", "cs224d-2016")
    m = checks(doc)["softmax/vector"]["message"]
    assert m == ("softmax could not be called: 'softmax' was never defined: hw1.ipynb, cell [1] stopped at line 2 "
                 "(`import scipy.misc`: ModuleNotFoundError: No module named 'scipy') before line 3 "
                 "(`from q1_softmax import softmax`) ran.")


def test_colab_cells_are_named_by_position(tmp_path):
    nb = notebook("import numpy as np", "raise ValueError('boom')", SOFTMAX, counts=[0, 0, 0])
    assert [c.label for c in read_cells(nb.encode(), "colab.ipynb")] == ["cell #1", "cell #2", "cell #3"]
    assert [c.label for c in read_cells(notebook("a = 1", "b = 2", counts=[3, 7]).encode(), "x.ipynb")] == \
        ["cell [3]", "cell [7]"]
    p = tmp_path / "colab.ipynb"
    p.write_text(nb)
    code, out, _ = run("check", str(p), "--json", "--rubric", "word2vec")
    doc = json.loads(out)
    assert [u["where"] for u in doc["load"]["unit_errors"]] == ["colab.ipynb, cell #2"]
    assert "cell [0]" not in out


def test_plotting_and_progress_stand_ins_accept_what_starters_call(tmp_path):
    code = SOFTMAX.replace("\n\n\ndef softmax", """
import matplotlib
matplotlib.use('agg')
import matplotlib.pyplot as plt
from tqdm import tqdm, trange
import seaborn as sns
from IPython.display import display

plt.rcParams['figure.figsize'] = (10.0, 8.0)
plt.rcParams.update({'font.size': 8})
plt.style.use('ggplot')
fig, ax = plt.subplots()
fig, (a1, a2) = plt.subplots(1, 2)
fig, axes = plt.subplots(2, 3)
axes[1, 2].plot([1, 2], [3, 4])
for a in axes.flat:
    a.set_title('x')
with plt.style.context('seaborn'):
    plt.scatter([0], [0])
plt.figure().add_subplot(111).imshow([[0]])
plt.text(0, 0, 'the', bbox=dict(facecolor='green', alpha=0.1))
plt.xlim((0, 1)); plt.xscale('log'); plt.legend(['a'], loc='upper left'); plt.colorbar()
plt.savefig('x.png'); plt.show(); plt.close()
sns.heatmap([[1]]); display(fig)
STEPS = sum(1 for _ in tqdm(range(3))) + len(list(trange(2)))
assert STEPS == 5 and axes.shape == (2, 3)


def softmax""", 1)
    p = tmp_path / "plots.py"
    p.write_text(code + COST + "    return 0.0, predicted, outputVectors\n")
    rc, out, _ = run("check", str(p), "--json", "--rubric", "word2vec")
    doc = json.loads(out)
    assert doc["load"]["unit_errors"] == [], doc["load"]["unit_errors"]
    assert doc["load"]["output"] == ""
    assert not __import__("os").path.exists(tmp_path / "x.png")
    assert checks(doc)["softmax/vector"]["status"] == "pass"


@pytest.mark.parametrize("name", ["cs224n", "cs224n-a2", "cs224d-2015"])
def test_a_gradescope_bundle_of_a_rubric_that_extends_others_holds_the_whole_chain(tmp_path, name):
    import zipfile

    code, out, err = run("gradescope-bundle", "--out", str(tmp_path / "ag.zip"), "--rubric", name)
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "ag.zip") as z:
        z.extractall(tmp_path / "ag")
    unpacked = load_rubric(tmp_path / "ag" / "assignment" / "rubrics" / f"{name}.toml")
    assert unpacked.digest == load_rubric(name).digest


def test_a_gradescope_bundle_of_a_rubric_with_a_written_part_from_another_holds_that_file(tmp_path):
    import zipfile

    code, _, err = run("gradescope-bundle", "--out", str(tmp_path / "ag.zip"), "--rubric", "cs224n-a2-written")
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "ag.zip") as z:
        z.extractall(tmp_path / "ag")
    assignment = tmp_path / "ag" / "assignment"
    assert (assignment / "rubrics" / "written.toml").is_file()  # written_from's file, not the installed built-in
    unpacked = load_rubric(assignment / "rubrics" / "cs224n-a2-written.toml")
    assert unpacked.digest == load_rubric("cs224n-a2-written").digest
    assert Path(unpacked.written.reference_path) == (assignment / "reference" / "written.py").resolve()


def test_an_a2_shape_message_uses_the_students_own_parameter_names(tmp_path):
    doc = _check(tmp_path, "a2row.py", SOFTMAX + "def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, "
                 "outsideVectors, dataset):\n    v = centerWordVec.reshape(-1, 1)\n    y = softmax(v @ outsideVectors)\n"
                 "    return 0.0, y, y\n", "--rubric", "cs224n-a2")
    m = checks(doc)["cross_entropy/small"]["message"]
    assert "The grader passed centerWordVec float64 (3,); outsideVectors float64 (5, 3), as the course specifies " \
           "(centerWordVec (d,); outsideVectors (|V|, d), one word vector per row)." in m
    assert "Likely cause: a 3×1 column where centerWordVec is passed with shape (3,)" in m


def test_check_of_a_four_question_submission_uses_the_four_question_rubric_and_says_why():
    code, out, _ = run("check", str(HERE / "submissions" / "honest" / "rows"), "--no-color")
    assert code == 0
    assert out.splitlines()[1].startswith("Rubric word2vec-softmax: word2vec: q1_softmax.py, q3_word2vec.py: the CS224d names")
    assert out.splitlines()[1].endswith("it defines no function of q2, sgd or q4 (sigmoid, gradcheck_naive, "
                                        "forward_backward_prop, sgd...), so it is graded on the four word2vec questions (CS224d names)")
    # a q3 that also defines negative sampling and skip-gram is told those are not graded by it, and what grades them
    code, out, _ = run("check", str(HERE.parent / "examples" / "cs224d_correct" / "q3_word2vec.py"), "--no-color")
    assert out.splitlines()[1].endswith("so it is graded on the four word2vec questions (CS224d names) (not its "
                                        "normalizeRows, negSamplingCostAndGradient, skipgram: --rubric cs224n-2017 "
                                        "grades the whole problem set, q2 and sgd included)"), out.splitlines()[1]


SETUPS = {
    # what each year's starter runs at the top of its scripts (q3_run.py, q4_sentiment.py, run.py)
    "2016": "import random\nimport numpy as np\nfrom cs224d.data_utils import *\nimport matplotlib.pyplot as plt\n"
            "dataset = StanfordSentiment()\nplt.plot([1e-5, 1e-4], [30, 31])\nplt.xscale('log')\n"
            "plt.xlabel('regularization')\nplt.ylabel('accuracy')\nplt.legend(['train', 'dev'], loc='upper left')\n"
            "plt.savefig('q4_reg_v_acc.png')\nplt.show()\n",
    "2017": "import argparse\nimport numpy as np\nimport matplotlib\nmatplotlib.use('agg')\n"
            "import matplotlib.pyplot as plt\nimport itertools\nfrom utils.treebank import StanfordSentiment\n"
            "from sklearn.linear_model import LogisticRegression\nfrom sklearn.metrics import confusion_matrix\n"
            "dataset = StanfordSentiment()\nplt.imshow([[1, 0], [0, 1]], interpolation='nearest', cmap=plt.cm.Blues)\n"
            "plt.colorbar()\nplt.xticks([0, 1], ['a', 'b'], rotation=45)\nplt.tight_layout()\nplt.savefig('cm.png')\n",
    "a2": "import numpy as np\nimport matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\nimport time\n"
          "from utils.treebank import StanfordSentiment\nfrom utils.gradcheck import gradcheck_naive, "
          "grad_tests_softmax, grad_tests_negsamp\nfrom utils.utils import normalizeRows, softmax as given_softmax\n"
          "for i in range(2):\n    plt.text(0.1 * i, 0.2, 'w', bbox=dict(facecolor='green', alpha=0.1))\n"
          "plt.scatter([0, 1], [1, 0], marker='x', color='red')\nplt.xlim((0, 1))\nplt.ylim((0, 1))\n"
          "plt.savefig('word_vectors.png')\n",
}


@pytest.mark.parametrize("year", sorted(SETUPS))
def test_each_years_setup_code_runs_against_the_stand_ins(tmp_path, year):
    p = tmp_path / "mine.py"
    cost = COST.replace("softmaxCostAndGradient", "naiveSoftmaxLossAndGradient") if year == "a2" else COST
    p.write_text(SETUPS[year] + "\n\n" + SOFTMAX.split("\n", 1)[1] + cost +
                 "    y = softmax(outputVectors.dot(predicted))\n    g = y.copy()\n    g[target] -= 1\n"
                 "    return -np.log(y[target]), outputVectors.T.dot(g), np.outer(g, predicted)\n")
    rubric = {"2016": "word2vec", "2017": "word2vec", "a2": "cs224n"}[year]  # the four questions only
    code, out, err = run("check", str(p), "--json", "--rubric", rubric)
    doc = json.loads(out)
    assert doc["load"]["unit_errors"] == [], doc["load"]["unit_errors"]
    assert doc["load"]["output"] == ""
    assert code == 0, [(c["id"], c["message"]) for c in checks(doc).values() if c["status"] != "pass"]


def test_a_recognition_that_fails_costs_no_submission_its_grade(tmp_path, monkeypatch):
    import grader.recognise as rec

    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("alice", "bob"):
        shutil.copytree(SUBMISSION["cs224n-a2"], subs / sid)
    real, calls = rec.recognise, []

    def flaky(sub):
        calls.append(sub.id)
        if sub.id == "bob":
            raise RuntimeError("unforeseen")
        return real(sub)

    monkeypatch.setattr(rec, "recognise", flaky)
    code, _, err = run("grade", str(subs), "--out", str(tmp_path / "out"), "--jobs", "1", "--no-progress")
    assert code == 0, err
    assert "warning: looking at the submissions to choose the rubric stopped (RuntimeError)" in err
    rs = results(tmp_path / "out")
    assert {r["rubric"] for r in rs.values()} == {"word2vec-cs224n-a2"}  # chosen from alice
    assert rs["bob"]["status"] == "graded" and "it could not be looked at (RuntimeError)" in rs["bob"]["rubric_reason"]


def test_the_2016_kit_accepts_a_flattened_row_in_plain_pytest_too(tmp_path):
    import os
    import subprocess
    import sys

    kit = tmp_path / "kit"
    code, _, err = run("kit", "--out", str(kit), "--rubric", "cs224d-2016")
    assert code == 0, err
    mine = tmp_path / "q1_softmax.py"  # Python 3 (the kit's plain pytest does not translate), flattening a row
    mine.write_text((SUBMISSION["cs224d-2016"] / "q1_softmax.py").read_text().split("\n\nif __name__")[0] + "\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", f"--submission={mine}", "-k",
                        "shape-one-row or shape_one_row"], cwd=kit, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    assert r.returncode == 0 and " passed" in r.stdout and "failed" not in r.stdout, r.stdout + r.stderr


def test_unpacking_a_vectors_shape_into_two_numbers_is_explained(tmp_path):
    doc = _check(tmp_path, "unpack.py", SOFTMAX + COST + "    _, D = predicted.shape\n"
                 "    return 0.0, predicted, outputVectors\n")
    m = checks(doc)["cross_entropy/small"]["message"]
    assert m.startswith("softmaxCostAndGradient raised ValueError (unpack.py, line 10): not enough values to unpack")
    assert "Likely cause: predicted.shape holds one number: the course passes predicted as a vector (3,), " \
           "not a 1×d row." in m


def test_the_in_notebook_check_recognises_an_a2_kernel(tmp_path):
    from nbclient import NotebookClient

    shutil.copytree(SUBMISSION["cs224n-a2"] / "utils", tmp_path / "utils")  # Colab: the starter's utils/ beside it
    source = (SUBMISSION["cs224n-a2"] / "word2vec.py").read_text().split("\n\ndef test_word2vec")[0]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (
        source, "import grader\nr = grader.check()\nprint(r.result.rubric, r.passed)\nprint(r.result.rubric_reason)")]
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.text for o in nb.cells[-1].outputs if o.output_type == "stream").splitlines()
    assert printed[0] == "word2vec-cs224n-a2 True", nb.cells[-1].outputs
    assert printed[1].startswith("recognised as cs224n-a2 (CS224n assignment 2 (2019-2023)): this notebook defines "
                                 "naiveSoftmaxLossAndGradient")


def test_indexing_a_vector_as_a_row_is_explained(tmp_path):
    doc = _check(tmp_path, "index.py", SOFTMAX + COST + "    first = predicted[0, :]\n"
                 "    return 0.0, first, outputVectors\n")
    m = checks(doc)["cross_entropy/small"]["message"]
    assert m.startswith("softmaxCostAndGradient raised IndexError (index.py, line 10): too many indices for array")
    assert "Likely cause: your code indexes predicted as a matrix (a 1×d row); the course passes it as a vector (3,)." in m


@pytest.mark.parametrize("version, hint", [
    # (2015's one notebook: it had no q1_softmax.py)
    ("cs224d-2015", "In 2015, softmax is written in the assignment's notebook, wordvec_sentiment.ipynb: hand in the "
                    "notebook."),
    ("cs224d-2016", "softmax is question 1: hand in q1_softmax.py with your other files."),
    ("cs224n-2017", "softmax is question 1: hand in q1_softmax.py with your other files."),
])
def test_a_missing_softmax_is_told_where_it_belongs_in_that_years_course(tmp_path, version, hint):
    p = tmp_path / "costonly.py"
    p.write_text("import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n")
    code, out, err = run("check", str(p), "--rubric", version, "--json")
    softmax = [c for q in json.loads(out)["questions"] if q["id"] == "softmax" for c in q["checks"]]
    assert softmax and all(c["message"].endswith(hint) for c in softmax), softmax[0]["message"]
    assert "utils" not in softmax[0]["message"]  # CS224n assignment 2's advice is not theirs


@pytest.mark.parametrize("version, shown", [("cs224d-2015", False), ("cs224d-2016", False), ("cs224n-2017", False),
                                            ("cs224n-a2", True)])
def test_the_a2_starters_sanity_values_are_shown_to_a2_students_only(tmp_path, version, shown):
    p = tmp_path / "part.py"
    p.write_text("import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n")
    code, out, err = run("check", str(p), "--rubric", version, "--no-color")
    assert ("CS224n assignment 2's own sanity values" in out) is shown
    assert ("11.16610900153398" in out) is shown  # the a2 starter's value, printed by no earlier year's
    doc = json.loads(run("check", str(p), "--rubric", version, "--json")[1])
    assert any(c["id"] == "skipgram_cost/course-c" for q in doc["questions"] for c in q["checks"]) is shown


@pytest.mark.parametrize("version, shown", [("cs224n-2017", False), ("cs224n-a2", True)])
def test_check_html_shows_the_sanity_values_the_terminal_shows(tmp_path, version, shown):
    # the student who opens report.html reads the same course values as the one at the terminal,
    # among them that negative sampling's cannot be reproduced
    html = tmp_path / "report.html"
    code, out, err = run("check", str(SUBMISSION[version]), "--html", str(html), "--no-color")
    page = html.read_text(encoding="utf-8")
    assert ('id="course-values"' in page) is shown
    said = [line.strip() for line in out.split("beside the grader's verdicts:")[-1].splitlines()[1:]
            if line.startswith("  ")] if shown else []
    assert len(said) == 4 or not shown, out[-800:]
    for line in said:
        assert line.replace("'", "&#39;") in page, line
    assert ("not reproducible here" in page) is shown


@pytest.mark.parametrize("version, shown", [("cs224d-2016", False), ("cs224n-2017", False), ("cs224n-a2", True)])
def test_the_whole_problem_sets_rubric_shows_a2s_sanity_values_to_a2_sets_only(version, shown):
    # --rubric problem-set grades every year's set: the a2 starter's printed values are not a CS224d student's
    code, out, err = run("check", str(SUBMISSION[version]), "--rubric", "problem-set", "--no-color")
    assert ("CS224n assignment 2's own sanity values" in out) is shown, out[-600:]
    assert ("11.16610900153398" in out.split("Passing the public checks")[-1]) is shown


def test_a_folder_of_written_answers_only_is_shown_no_sanity_values(tmp_path):
    folder = tmp_path / "written-only"
    folder.mkdir()
    (folder / "written.md").write_text("## grad_pred\n$$ -w_i + \\sum_x \\hat{y}_x w_x $$\n")
    for rubric in ("written", "problem-set"):
        code, out, err = run("check", str(folder), "--rubric", rubric, "--no-color")
        assert "sanity values" not in out and "11.16610900153398" not in out, (rubric, out[-600:], err)


def test_a_2016_set_with_a_sampling_helper_of_its_own_is_2016_and_keeps_q4(tmp_path):
    # 2016 left drawing the samples to the student: a helper named as 2017's given one is the student's own
    sub = tmp_path / "dana"
    shutil.copytree(SUBMISSION["cs224d-2016"], sub)
    q3 = sub / "q3_word2vec.py"
    text = q3.read_text()
    helper = ("def getNegativeSamples(target, dataset, K):\n"
              "    samples = []\n"
              "    while len(samples) < K:\n"
              "        k = dataset.sampleTokenIdx()\n"
              "        if k != target:\n"
              "            samples.append(k)\n"
              "    return samples\n\n\n")
    q3.write_text(text.replace("def negSamplingCostAndGradient(", helper + "def negSamplingCostAndGradient(", 1))
    r = recognise(peek(sub))
    assert r.version == "cs224d-2016", r
    assert "its getNegativeSamples is a helper of its own" in r.reason
    code, out, err = run("check", str(sub), "--json")
    doc = json.loads(out)
    assert code == 0, out + err
    assert doc["rubric"] == "word2vec-cs224d-2016" and doc["score"] > doc["max_score"]  # CBOW's extra credit
    assert {"softmax_regression", "sentence_feature"} <= {q["id"] for q in doc["questions"]}


def _words_of(result_dir: Path) -> str:
    """Everything a student reads: report.html's text and result.json's messages, hints, titles and cases."""
    import html as _html
    import re as _re

    r = json.loads((result_dir / "result.json").read_text())
    said = [q.get("title") or "" for q in r["questions"]]
    said += [c.get(k) or "" for q in r["questions"] for c in q["checks"] for k in ("message", "hint", "case")]
    said += [c.get("message", "") + " " + c.get("headline", "") for c in r.get("consistency", [])]
    page = _re.sub(r"<style.*?</style>", " ", (result_dir / "report.html").read_text(), flags=_re.S)
    return "\n".join(said) + "\n" + _html.unescape(_re.sub(r"<[^>]+>", " ", page))


def test_an_a2_report_says_loss_where_cs224d_says_cost(tmp_path):
    # a2's starter: naiveSoftmaxLossAndGradient, negSamplingLossAndGradient, word2vecLossAndGradient
    a2 = tmp_path / "subs-a2" / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], a2)
    w2v = a2 / "word2vec.py"
    text = w2v.read_text()
    text = text.replace("loss = -np.log(y_hat[outsideWordIdx])", "loss = -np.log10(y_hat[outsideWordIdx])")
    assert text != w2v.read_text()
    w2v.write_text(text)
    d16 = tmp_path / "subs-d16" / "d16"
    shutil.copytree(SUBMISSION["cs224d-2016"], d16)
    q3 = d16 / "q3_word2vec.py"
    assert "np.log(" in q3.read_text()
    q3.write_text(q3.read_text().replace("np.log(", "np.log10(", 1))
    for name, version in (("a2", "cs224n-a2"), ("d16", "cs224d-2016")):
        out = tmp_path / f"out-{name}"
        code, _, err = run("grade", str(tmp_path / f"subs-{name}"), "--out", str(out), "--rubric", version, "--no-progress")
        assert code == 0, err
    a2_words = _words_of(tmp_path / "out-a2" / "a2")
    assert "With a loss function of the grader's" in a2_words and "the loss uses log10" in a2_words
    assert "Does your gradient match your own loss (naiveSoftmaxLossAndGradient)?" in a2_words
    # which of the problem set's gradients was compared, in result.json too (a script reads it there)
    a2_result = json.loads((tmp_path / "out-a2" / "a2" / "result.json").read_text())
    assert {c["function"] for c in a2_result["consistency"]} == {"naiveSoftmaxLossAndGradient"}
    import re as _re

    assert not _re.search(r"\bcost\b", a2_words, _re.I), _re.findall(r".{60}\bcost\b.{60}", a2_words, _re.I)[:5]
    d16_words = _words_of(tmp_path / "out-d16" / "d16")
    assert "the cost uses log10" in d16_words and "Does your gradient match your own cost (softmaxCostAndGradient)?" in d16_words
    assert "loss" not in d16_words.replace("loss function", "")  # 2016's starter: softmaxCostAndGradient


@pytest.mark.parametrize("body, said", [
    ("    return 0.0, np.zeros(centerWordVectors.shape), np.zeros(outsideVectors.shape)\n",
     "Not implemented: skipgram returned zeros without calling the loss function it was given"),
    ("    loss = 0.0\n    gc = np.zeros(centerWordVectors.shape)\n    go = np.zeros(outsideVectors.shape)\n"
     "    for w in outsideWords:\n"
     "        l, g1, g2 = naiveSoftmaxLossAndGradient(centerWordVectors[word2Ind[currentCenterWord]], word2Ind[w], "
     "outsideVectors, dataset)\n"
     "        loss += l\n        gc[word2Ind[currentCenterWord]] += g1\n        go += g2\n    return loss, gc, go\n",
     "skipgram never called the loss function it was given as an argument: its loss and gradients"),
])
def test_a2_skipgram_messages_name_the_loss_function(tmp_path, body, said):
    text = (SUBMISSION["cs224n-a2"] / "word2vec.py").read_text()
    head = text.index("def skipgram(")
    start = text.index('""" Skip-gram model in word2vec """\n', head) + len('""" Skip-gram model in word2vec """\n')
    end = text.index("\n\n\ndef ", start)
    sub = tmp_path / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    (sub / "word2vec.py").write_text(text[:start] + body + text[end:])
    doc = json.loads(run("check", str(sub), "--rubric", "cs224n-a2", "--json")[1])
    sg = [c for q in doc["questions"] if q["id"].startswith("skipgram_") for c in q["checks"]
          if c["status"] != "pass" and "/own-" not in c["id"] and "/course-" not in c["id"]]
    assert sg and all(said in c["message"] for c in sg), sg[0]["message"]
    assert not any("cost" in c["message"] for c in sg)


def test_the_grader_table_functions_errors_name_nothing_a2_lacks(tmp_path):
    # a skip-gram passing other outside vectors to the function it was given: said in words true in a2 too
    sub = tmp_path / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    text = (sub / "word2vec.py").read_text()
    call = "word2vecLossAndGradient(centerWordVectors[c], word2Ind[word], outsideVectors, dataset)"
    assert call in text
    (sub / "word2vec.py").write_text(text.replace(call, call.replace("outsideVectors,", "2 * outsideVectors,")))
    doc = json.loads(run("check", str(sub), "--rubric", "cs224n-a2", "--json")[1])
    sg = [c for q in doc["questions"] if q["id"] == "skipgram_cost" for c in q["checks"] if c["status"] == "error"]
    assert sg and all("the output (outside) vectors passed to it are not the ones" in c["message"] for c in sg)
    assert not any(w in c["message"] for c in sg for w in ("CBOW", "outputVectors", "cost function")), sg[0]["message"]


def test_a2_negative_sampling_notes_say_the_outside_word_where_cs224d_says_the_target(tmp_path):
    sub = tmp_path / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    text = (sub / "word2vec.py").read_text()
    assert "        while newidx == outsideWordIdx:\n" in text
    (sub / "word2vec.py").write_text(text.replace("        while newidx == outsideWordIdx:\n", "        while False:\n"))
    doc = json.loads(run("check", str(sub), "--rubric", "cs224n-a2", "--json")[1])
    ns = [c for q in doc["questions"] if q["id"] == "negsamp_cost" for c in q["checks"]]
    said = " ".join([c["message"] + " " + (c["case"] or "") + " " + " ".join(c.get("notes") or []) for c in ns])
    assert "drawn: 0, 1 (the outside word), 3" in said and "target" not in said, said[:800]
    d16 = SUBMISSION["cs224d-2016"]
    doc = json.loads(run("check", str(d16), "--rubric", "cs224d-2016", "--json")[1])
    notes = [n for q in doc["questions"] if q["id"] == "negsamp_cost" for c in q["checks"] for n in c.get("notes") or []]
    assert any("(the target)" in n for n in notes) and not any("outside word" in n for n in notes), notes


@pytest.mark.parametrize("version, question, hint", [
    ("cs224d-2016", "sgd", "sgd belongs in q3_sgd.py: hand it in with your other files."),
    ("cs224d-2016", "neural_cost", "forward_backward_prop belongs in q2_neural.py: hand it in with your other files."),
    ("cs224d-2016", "softmax_regression", "softmaxRegression belongs in q4_softmaxreg.py"),
    ("cs224n-2017", "negsamp_cost", "negSamplingCostAndGradient belongs in q3_word2vec.py"),
    ("cs224n-a2", "sgd", "sgd belongs in sgd.py: hand it in with word2vec.py."),
    ("cs224n-a2", "negsamp_cost", "negSamplingLossAndGradient belongs in word2vec.py: hand it in with sgd.py."),
    ("cs224d-2015", "neural_cost", "In 2015, forward_backward_prop is written in the assignment's notebook, "
                                   "wordvec_sentiment.ipynb: hand in the notebook."),  # (no q2_neural.py then)
])
def test_a_missing_function_is_told_which_of_that_years_files_it_belongs_in(tmp_path, version, question, hint):
    p = tmp_path / "part.py"
    p.write_text("import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n")
    doc = json.loads(run("check", str(p), "--rubric", version, "--json")[1])
    said = [c["message"] for q in doc["questions"] if q["id"] == question for c in q["checks"]]
    assert said and all(m.endswith(hint) or hint in m for m in said), said[0]
    nb = tmp_path / "part.ipynb"
    nb.write_text(notebook("import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"))
    doc = json.loads(run("check", str(nb), "--rubric", version, "--json")[1])
    said = [c["message"] for q in doc["questions"] if q["id"] == question for c in q["checks"]]
    assert said and not any(".py" in m.split("(found")[-1] for m in said), said[0]  # a notebook: no file to hand in


@pytest.mark.parametrize("version, file, question, name", [
    ("cs224n-a2", "word2vec.py", "skipgram_cost", "skipgram"),
    ("cs224d-2016", "q3_word2vec.py", "negsamp_cost", "negSamplingCostAndGradient"),
])
def test_a_missing_function_whose_file_was_handed_in_is_not_told_to_hand_that_file_in(tmp_path, version, file,
                                                                                       question, name):
    sub = tmp_path / "sub"
    shutil.copytree(SUBMISSION[version], sub)
    text = (sub / file).read_text()
    start = text.index(f"def {name}(")
    end = text.find("\ndef ", start + 1)
    (sub / file).write_text(text[:start] + (text[end + 1:] if end > 0 else ""))
    doc = json.loads(run("check", str(sub), "--rubric", version, "--json")[1])
    said = [c["message"] for q in doc["questions"] if q["id"] == question for c in q["checks"]]
    assert said and all(f"define no function {name!r}" in m for m in said), said[0]
    assert not any("hand it in" in m or "belongs in" in m for m in said), said[0]


@pytest.mark.parametrize("version, said, unsaid", [
    ("cs224d-2016", "draws equal to the target were rejected and drawn again", "getNegativeSamples"),
    ("cs224n-2017", "draws equal to the target were rejected and drawn again, as the given getNegativeSamples does",
     "2017+"),
])
def test_the_sampling_note_names_getnegativesamples_only_where_the_year_gives_it(version, said, unsaid):
    doc = json.loads(run("check", str(SUBMISSION[version]), "--rubric", version, "--json")[1])
    notes = [n for q in doc["questions"] if q["id"] == "negsamp_cost" for c in q["checks"] for n in c.get("notes") or []
             if n.startswith("drawn: ") and "rejected" in n]
    assert notes and all(said in n and unsaid not in n for n in notes), notes[0]


def test_the_a2_sanity_checks_name_a_wrong_loss_function_as_the_likely_cause(tmp_path):
    # the course's own checks call skipgram with the student's loss function and have no twin with the grader's
    sub = tmp_path / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    f = sub / "word2vec.py"
    f.write_text(f.read_text().replace("loss = -np.log(y_hat[outsideWordIdx])", "loss = -np.log10(y_hat[outsideWordIdx])"))
    doc = json.loads(run("check", str(sub), "--rubric", "cs224n-a2", "--json")[1])
    course = [c for q in doc["questions"] for c in q["checks"] if "/course-" in c["id"]]
    assert course and all(c["status"] == "fail" for c in course)
    assert all(c["message"].endswith("This call passes your naiveSoftmaxLossAndGradient, which failed its own question "
                                     "(cross_entropy): the difference may come from it.") for c in course), course[0]


def test_written_answers_handed_in_under_a_code_only_rubric_are_said_to_be_unread(tmp_path):
    # an a2 folder with its written.tex, graded under cs224n-a2 (no written questions): the student
    # is told the derivations were not read, not left to think they are in the score
    sub = tmp_path / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    (sub / "written.tex").write_text("\\section*{grad\\_center}\n\\[ U(\\hat y - y) \\]\n")
    (sub / "README.md").write_text("# my notes\n")
    said = "written.tex was handed in, but this rubric grades code only: it was not read, and no written answer is in this score."
    doc = json.loads(run("check", str(sub), "--rubric", "cs224n-a2", "--json")[1])
    assert said in doc["notes"] and not any("README.md" in n for n in doc["notes"]), doc["notes"]
    doc = json.loads(run("check", str(sub), "--rubric", "written", "--json")[1])
    assert not any("grades code only" in n for n in doc["notes"]), doc["notes"]


def test_a_cause_passed_to_skipgram_is_named_as_the_student_named_it_under_any_rubric(tmp_path):
    # an a2 word2vec.py graded with the generic problem-set rubric (whose first name is CS224d's
    # softmaxCostAndGradient): the function said to be the cause is the student's, by its own name
    sub = tmp_path / "a2"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    f = sub / "word2vec.py"
    f.write_text(f.read_text().replace("loss = -np.log(y_hat[outsideWordIdx])", "loss = -np.log10(y_hat[outsideWordIdx])"))
    doc = json.loads(run("check", str(sub), "--rubric", "problem-set", "--json")[1])
    said = [c["message"] for q in doc["questions"] if q["id"].startswith("skipgram") for c in q["checks"]
            if c["status"] != "pass" and ("passed to it" in c["message"] or "This call passes" in c["message"])]
    assert said and all("naiveSoftmaxLossAndGradient" in m and "softmaxCostAndGradient" not in m.replace(
        "naiveSoftmaxLossAndGradient", "") for m in said), said


@pytest.mark.parametrize("version, said", [("cs224d-2016", "the starter's [[1, 2], [-1, -2]]"),
                                           ("cs224n-a2", "the starter's sigmoid(np.array([1, 2, 3]))")])
def test_the_sigmoid_starter_check_is_that_years_starter_test(version, said):
    rubric = load_rubric(Path(__file__).resolve().parent.parent / "rubrics" / f"{version}.toml")
    spec = next(c for c in rubric.checks() if c.id == "sigmoid/starter")
    assert rubric.cases[spec.case].description == said
    doc = json.loads(run("check", str(SUBMISSION[version]), "--rubric", version, "--json")[1])
    check = next(c for q in doc["questions"] for c in q["checks"] if c["id"] == "sigmoid/starter")
    assert check["status"] == "pass" and check["case"] == said


def test_check_with_a_rubric_given_survives_a_recognition_that_fails(monkeypatch):
    # (the version is looked at only to choose whose sanity values to show)
    import grader.recognise as rec

    def broken(sub):
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(rec, "recognise", broken)
    code, out, err = run("check", str(SUBMISSION["cs224n-a2"]), "--rubric", "cs224n-a2", "--no-color")
    assert code == 0, out + err
    assert "CS224n assignment 2's own sanity values" in out


def test_a_function_calling_another_that_fails_its_own_checks_names_it_as_the_likely_cause(tmp_path):
    # CS224d 2015: sigmoid with the sign of the exponent flipped; forward_backward_prop and
    # negSamplingCostAndGradient call it, and their checks failed with no word of sigmoid.
    nb = nbformat.read(SUBMISSION["cs224d-2015"] / "wordvec_sentiment.ipynb", as_version=4)
    (i,) = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "def sigmoid(x):" in c.source]
    nb.cells[i].source = nb.cells[i].source.replace("def sigmoid(x):", "def sigmoid(x):\n    return 1 / (1 + np.exp(x))\ndef _was(x):", 1)
    p = tmp_path / "wordvec_sentiment.ipynb"
    nbformat.write(nb, p)
    code, out, err = run("check", str(p), "--json")
    assert code == 1, err
    by_id = checks(json.loads(out))
    assert by_id["sigmoid/vector"]["status"] == "fail"
    said = "calls sigmoid, which failed its own question (sigmoid): it may be the cause; fix sigmoid first."
    for cid, caller in (("neural_grad/small", "forward_backward_prop"), ("negsamp_cost/small", "negSamplingCostAndGradient")):
        assert by_id[cid]["status"] == "fail" and by_id[cid]["message"].endswith(f" {caller} {said}"), by_id[cid]["message"]
    # sigmoid's own checks, and what passes, say nothing of it
    assert not any("which failed its own question (sigmoid)" in c["message"] for c in by_id.values()
                   if c["id"].startswith("sigmoid") or c["status"] == "pass")


def test_a_function_calling_another_that_is_still_the_starters_stub_names_the_stub(tmp_path):
    # CS224d 2015: softmax left as the starter's `return x`; softmaxRegression (and the cost, the
    # network) call it, and their checks failed as their own wrong answers, with no word of softmax.
    nb = nbformat.read(SUBMISSION["cs224d-2015"] / "wordvec_sentiment.ipynb", as_version=4)
    (i,) = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("def softmax(x):")]
    nb.cells[i].source = 'def softmax(x):\n    """ Softmax function """\n    ### YOUR CODE HERE\n\n    ### END YOUR CODE\n    return x\n'
    p = tmp_path / "wordvec_sentiment.ipynb"
    nbformat.write(nb, p)
    code, out, err = run("check", str(p), "--json")
    assert code == 1, err
    by_id = checks(json.loads(out))
    assert by_id["softmax/vector"]["message"].startswith("Not implemented: softmax returns its argument x unchanged")
    said = "calls softmax, which is still the starter's stub (see the question softmax): it may be the cause; " \
           "implement softmax first."
    for cid, caller in (("softmax_regression/starter-grad", "softmaxRegression"),
                        ("cross_entropy/small", "softmaxCostAndGradient"), ("neural_grad/small", "forward_backward_prop")):
        assert by_id[cid]["status"] == "fail" and by_id[cid]["message"].endswith(f" {caller} {said}"), cid
    # what does not call it, or passes, says nothing of it
    assert not any("softmax, which is still" in c["message"] for c in by_id.values()
                   if c["id"].startswith(("softmax/", "sigmoid", "normalize_rows", "negsamp_", "sgd/")))
    # nor is the cost blamed under "Does your gradient match your own cost?" ("fix the cost first"):
    # the cost's own failures come from the stub it calls, which its checks name
    assert {c["verdict"] for c in json.loads(out)["consistency"]} == {"stub"}
    code, text, _ = run("check", str(p), "--no-color")
    assert code == 1 and "Does your gradient match" not in text and "fix the cost" not in text, text


#: a2 mistakes whose messages and hints carry the course's words (the loss, gradCenterVec, the outside word)
A2_MISTAKES = {
    "costsign": ("loss = -np.log(y_hat[outsideWordIdx])", "loss = np.log(y_hat[outsideWordIdx])"),
    "noneg": ("    y_hat[outsideWordIdx] -= 1\n", "    y_hat = y_hat.copy()\n"),
    "transposed": ("np.outer(y_hat, centerWordVec)", "np.outer(centerWordVec, y_hat)"),
    "uphill": ("x -= step * grad", "x += step * grad"),
}


def test_an_a2_submission_reads_a2_words_under_the_problem_set_rubric_as_under_its_own(tmp_path):
    """Every text of a check both rubrics have (message, hint, case, question title, file) is a2's
    under --rubric problem-set too: no CS224d cost, predicted, outputVectors, softmaxCostAndGradient, q3."""
    batch = tmp_path / "batch"
    for name, (old, new) in A2_MISTAKES.items():
        shutil.copytree(SUBMISSION["cs224n-a2"], batch / name)
        f = batch / name / ("sgd.py" if name == "uphill" else "word2vec.py")
        text = f.read_text()
        assert old in text
        f.write_text(text.replace(old, new, 1))
    graded = {}
    for rubric in ("cs224n-a2", "problem-set"):
        code, out, err = run("grade", str(batch), "--out", str(tmp_path / rubric), "--rubric", rubric, "--jobs", "2")
        assert code == 0, out + err
        graded[rubric] = results(tmp_path / rubric)
    compared = 0
    for sid, own in graded["cs224n-a2"].items():
        ps = graded["problem-set"][sid]
        ps_questions = {q["id"]: q for q in ps["questions"]}
        for q in own["questions"]:
            assert (ps_questions[q["id"]]["title"], ps_questions[q["id"]].get("file")) == (q["title"], q.get("file"))
        ps_checks = checks(ps)
        for cid, c in checks(own).items():
            if cid.startswith("sgd/"):  # a2 drops sgd's postprocessing checks: its other texts are the same
                continue
            got = ps_checks[cid]
            assert (got["message"], got["hint"], got["mistake"], got["case"]) == \
                   (c["message"], c["hint"], c["mistake"], c["case"]), (sid, cid)
            compared += 1
        said = " ".join(f"{c['message']} {c['hint'] or ''} {c['case']}" for cid, c in ps_checks.items()
                        if cid.split("/")[0] in {q["id"] for q in own["questions"]})
        for cs224d in ("softmaxCostAndGradient", "outputVectors", "q3_word2vec", "cost function", "the cost "):
            assert cs224d not in said, (sid, cs224d)
    assert compared > 100
    # nor in a question a2 never had (CBOW's case names the student's own cost function by a2's name)
    ps_cases = {c["case"] for c in checks(graded["problem-set"]["costsign"]).values()}
    assert not [c for c in ps_cases if "softmaxCostAndGradient" in c.replace("naiveSoftmaxLossAndGradient", "")]
    assert "|V| = 20, d = 10, 4 context words, your own naiveSoftmaxLossAndGradient" in ps_cases
    # the mistakes themselves are named in a2's words
    hints = {c["hint"] for cid, c in checks(graded["problem-set"]["costsign"]).items()
             if c["hint"] and cid.startswith("cross_entropy/")}
    assert hints == {"the loss has the wrong sign: the naive-softmax loss is -log ŷ_o, a positive number."}


@pytest.mark.parametrize("rubric", ["word2vec", "problem-set", "cs224d-2015", "cs224d-2016", "cs224n-2017"])
def test_a_softmax_over_the_whole_matrix_is_named_under_every_rubric_grading_softmax(rubric):
    code, out, err = run("check", str(HERE / "submissions" / "mistakes" / "softmax-whole-matrix.py"), "--json",
                         "--rubric", rubric)
    doc = json.loads(out)
    failing = {cid: c for cid, c in checks(doc).items() if c["status"] == "fail"}  # (not the functions not there)
    mine = {cid: c for cid, c in failing.items() if cid.startswith("softmax/")}
    assert code == 1 and mine and {c["mistake"] for c in mine.values()} == {"softmax-whole-matrix"}, out + err
    assert all(c["hint"].startswith("you take the max and the sum over the whole matrix") for c in mine.values())
    # a 1-D input is right (one row); only a function calling this softmax on a matrix loses points beside it
    assert checks(doc)["softmax/vector"]["status"] == "pass"
    assert {cid.split("/")[0] for cid in failing} <= {"softmax", "softmax_regression"}
    assert all(c["mistake"] is None for cid, c in failing.items() if not cid.startswith("softmax/"))


@pytest.mark.parametrize("rubric", ["problem-set", "cs224d-2015", "cs224d-2016", "cs224n-2017", "cs224n-a2"])
def test_a_sigmoid_with_the_sign_flipped_is_named_under_every_rubric_grading_sigmoid(tmp_path, rubric):
    sub = tmp_path / "flipped.py"
    sub.write_text("import numpy as np\n\ndef sigmoid(x):\n    return 1.0 / (1.0 + np.exp(x))\n")
    code, out, err = run("check", str(sub), "--json", "--rubric", rubric)
    doc = json.loads(out)
    mine = {cid: c for cid, c in checks(doc).items() if cid.startswith("sigmoid/")}
    assert code == 1 and mine and all(c["status"] == "fail" for c in mine.values()), out + err
    assert {c["mistake"] for c in mine.values()} == {"sigmoid-sign-flipped"}
    assert all("1 / (1 + exp(x)), which is σ(-x)" in c["hint"] for c in mine.values())


def test_an_honest_sigmoid_and_softmax_are_never_named_and_a2s_flipped_sigmoid_costs_its_callers_only(tmp_path):
    code, out, _ = run("check", str(SUBMISSION["cs224n-a2"]), "--json")
    assert code == 0 and not [c for c in checks(json.loads(out)).values() if c["mistake"]]
    sub = tmp_path / "flipped"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    w2v = sub / "word2vec.py"
    w2v.write_text(w2v.read_text().replace("np.exp(-x)", "np.exp(x)", 1))
    code, out, _ = run("check", str(sub), "--json")
    doc = json.loads(out)
    lost = {q["id"] for q in doc["questions"] if q["score"] < q["max_score"]}
    # negative sampling calls the student's own sigmoid: its checks say so, and name no mistake of their own
    assert lost == {"sigmoid", "negsamp_cost", "negsamp_grad_pred", "negsamp_grad_output"}
    for cid, c in checks(doc).items():
        if cid.startswith("negsamp") and c["status"] != "pass":
            assert c["mistake"] is None and "calls sigmoid, which failed its own question (sigmoid)" in c["message"]


@pytest.mark.parametrize("name", ["problem-set", "cs224d-2015", "cs224d-2016", "cs224n-2017", "cs224n-a2"])
def test_a_rubric_with_a_wording_table_keeps_its_own_version(name):
    rubric = load_rubric(name)
    assert rubric.wording == {"cs224n-a2": "cs224n-a2", "cs224n": "cs224n-a2"}
    assert rubric.version == "1"  # (the table's keys are recognised versions, not the rubric's)


def test_a_wording_that_names_no_rubric_is_an_error(tmp_path):
    p = _rubric(tmp_path, "wording = { cs224n-a2 = 3 }\n")
    with pytest.raises(RubricError, match="wording.cs224n-a2: must name a built-in rubric"):
        load_rubric(p)


def test_a_wording_naming_no_built_in_rubric_or_no_recognised_version_is_refused_when_loaded(tmp_path):
    # `grader rubric check` said "the rubric can grade" of wording = { cs224n-a2 = "cs224n-a3" }, and
    # then every a2 submission of the batch got an error result ("this is a bug in grader")
    p = _rubric(tmp_path, 'wording = { cs224n-a2 = "cs224n-a3" }\n')
    with pytest.raises(RubricError, match="wording.cs224n-a2: no built-in rubric 'cs224n-a3'; did you mean 'cs224n-a2'"):
        load_rubric(p)
    # a key no submission is recognised as would never apply: said, with the versions there are
    p = _rubric(tmp_path, 'wording = { cs224n-2019 = "cs224n-a2" }\n')
    with pytest.raises(RubricError, match="wording.cs224n-2019: not a course version grader recognises.*'cs224n-a2'"):
        load_rubric(p)
    assert load_rubric(_rubric(tmp_path, 'wording = { cs224n-a2 = "cs224n-a2" }\n')).wording == {"cs224n-a2": "cs224n-a2"}


def test_a_2015_loop_assigning_the_negatives_rows_is_named_though_it_used_the_target_as_a_negative(tmp_path):
    # 2015 uses the target when it is drawn (it scores): grad[k] = ... in the loop then also overwrites the
    # target's own row, and the mistake (named under a2's rejecting convention) was not recognised
    nb = json.loads((SUBMISSION["cs224d-2015"] / "wordvec_sentiment.ipynb").read_text())
    changed = 0
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "grad[k] += (1 - t) * predicted" in src:
            cell["source"] = src.replace("grad[k] += (1 - t) * predicted", "grad[k] = (1 - t) * predicted")
            changed += 1
    assert changed == 1
    (tmp_path / "wordvec_sentiment.ipynb").write_text(json.dumps(nb))
    code, out, err = run("check", str(tmp_path / "wordvec_sentiment.ipynb"), "--json")
    doc = json.loads(out)
    lost = {q["id"] for q in doc["questions"] if q["score"] < q["max_score"]}
    assert code == 1 and lost == {"negsamp_grad_output"}, out[-2000:] + err
    failing = [c for c in checks(doc).values() if c["status"] != "pass"]
    assert failing and {c["mistake"] for c in failing} == {"negsamp-duplicate-index"}


def test_the_course_checks_raising_on_the_students_own_wrong_loss_function_name_it_as_the_cause(tmp_path):
    sub = tmp_path / "transposed"
    shutil.copytree(SUBMISSION["cs224n-a2"], sub)
    w2v = sub / "word2vec.py"
    w2v.write_text(w2v.read_text().replace("np.outer(y_hat, centerWordVec)", "np.outer(centerWordVec, y_hat)", 1))
    code, out, _ = run("check", str(sub), "--json")
    course = {cid: c for cid, c in checks(json.loads(out)).items() if cid.startswith("skipgram_cost/course-")}
    assert code == 1 and len(course) == 3 and all(c["status"] == "error" for c in course.values()), out[-2000:]
    for c in course.values():  # (they pass the student's own naiveSoftmaxLossAndGradient, with no twin of the grader's)
        assert c["message"].endswith("This call passes your naiveSoftmaxLossAndGradient, which failed its own question "
                                     "(grad_output): the error may come from it."), c["message"]


def test_summary_lists_why_a_submission_looks_like_another_version_in_full(tmp_path):
    """The reason of a submission that looks like CS224n's four questions runs past 300 characters:
    summary.html cut it mid-parenthesis ("so the three word2vec cost questions (CS224n")."""
    subs = tmp_path / "subs"
    (subs / "flat").mkdir(parents=True)
    for sid in ("alice", "bob"):  # the four questions, CS224d's names
        (subs / f"{sid}.py").write_text(
            "import numpy as np\n\ndef softmax(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True)\n\n"
            "def softmaxCostAndGradient(predicted, target, outputVectors, dataset):\n"
            "    y = softmax(outputVectors.dot(predicted))\n    cost = -np.log(y[target])\n    y[target] -= 1\n"
            "    return cost, outputVectors.T.dot(y), np.outer(y, predicted)\n")
    (subs / "flat" / "word2vec.py").write_text(
        "import numpy as np\nfrom utils.utils import softmax\n\n"
        "def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):\n"
        "    y = softmax(outsideVectors.dot(centerWordVec))\n    loss = -np.log(y[outsideWordIdx])\n"
        "    y[outsideWordIdx] -= 1\n    return loss, outsideVectors.T.dot(y), np.outer(y, centerWordVec)\n")
    out = tmp_path / "out"
    code, _, err = run("grade", str(subs), "--out", str(out), "--jobs", "2", "--no-progress")
    assert code == 0, err
    reason = results(out)["flat"]["rubric_reason"].split("; this one looks like ", 1)[1]
    assert len(reason) > 300 and reason.endswith("(CS224n a2 names)")
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "so it is graded on the three word2vec cost questions (CS224n a2 names)</span>" in summary


def test_a_folder_named_like_a_built_in_rubric_in_the_working_folder_does_not_hide_it(tmp_path, monkeypatch):
    # a student's a2 folder named cs224n-a2, a TA's class folder cs224d-2016, a folder of written answers
    shutil.copytree(SUBMISSION["cs224n-a2"], tmp_path / "cs224n-a2")
    (tmp_path / "class").mkdir()
    shutil.copytree(SUBMISSION["cs224d-2016"], tmp_path / "class" / "dave")
    shutil.copytree(tmp_path / "class", tmp_path / "cs224d-2016")
    (tmp_path / "written").mkdir()
    (tmp_path / "problem-set").write_text("not a rubric\n")  # a file without .toml named like one
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", "cs224n-a2")  # recognised: the built-in cs224n-a2
    assert code == 0, err
    assert "Rubric word2vec-cs224n-a2: recognised as cs224n-a2" in out
    code, _, err = run("grade", "cs224d-2016", "--out", "res", "--no-progress")  # chosen: the built-in
    assert code == 0 and "rubric: cs224d-2016 (CS224d 2016)" in err, err
    code, _, err = run("grade", "class", "--out", "res2", "--rubric", "problem-set", "--no-progress")  # given
    assert code == 0, err
    code, out, err = run("check", "--written", "grad_pred", r"W^T(\hat y - y)")
    assert code == 0 and "Right" in out, err
    # ./NAME is the file there
    code, _, err = run("check", "cs224n-a2", "--rubric", "./problem-set")
    assert code == 2 and "rubric ./problem-set" in err, err


def test_a_call_is_heard_when_the_code_printed_past_the_output_cap_before_it(tmp_path):
    # 4,000 debug lines printed while q1_softmax.py loads spent the submission's 64 KiB of output:
    # gradcheck_naive's "Gradient check passed!" was dropped, and its six checks failed as "said nothing"
    sub = tmp_path / "loud"
    shutil.copytree(SUBMISSION["cs224d-2016"], sub)
    with open(sub / "q1_softmax.py", "a") as f:
        f.write('\nfor _i in range(4000):\n    print "debug line number %d of a long loop" % _i\n')
    code, out, err = run("check", str(sub), "--json")
    doc = json.loads(out)
    mine = {cid: c for cid, c in checks(doc).items() if cid.startswith("gradcheck/")}
    assert mine and all(c["status"] == "pass" for c in mine.values()), [c["message"] for c in mine.values()]
    assert code == 0, err


def _changed(tmp_path, version: str, file: str, old: str, new: str) -> Path:
    """A copy of a version's honest submission with `old` replaced by `new` once in `file`."""
    sub = tmp_path / f"{version}-changed"
    shutil.copytree(SUBMISSION[version], sub)
    text = (sub / file).read_text()
    assert old in text
    (sub / file).write_text(text.replace(old, new, 1))
    return sub


def _checked(sub: Path, prefix: str) -> dict[str, dict]:
    """`grader check --json` of `sub`: its checks whose ids start with `prefix`."""
    code, out, err = run("check", str(sub), "--json")
    return {cid: c for cid, c in checks(json.loads(out)).items() if cid.startswith(prefix)}


def _negsamp_2016(tmp_path, name, old, new):
    return _checked(_changed(tmp_path, "cs224d-2016", "q3_word2vec.py", old, new), "negsamp_")


def test_negative_sampling_that_skips_repeated_draws_is_said_so_not_a_wrong_count_nor_drawing_twice(tmp_path):
    # `if k != target and k not in samples`: told "draw as many as the K argument says" and "you sample again
    # between the cost and the gradient", neither of which it did
    mine = _negsamp_2016(tmp_path, "uniq", "        if k != target:\n", "        if k != target and k not in samples:\n")
    failed = [c for c in mine.values() if c["status"] != "pass"]
    assert len(failed) >= 6, mine  # (a case whose script repeats no word before the K-th passes)
    for c in failed:
        assert "You drew until you had K = " in c["message"] and "a word drawn twice is two negative samples" \
            in c["message"], c["message"]
        assert "sample again" not in c["message"] and "K argument" not in c["message"]


def test_negative_sampling_that_leaves_the_target_out_without_drawing_again_is_not_said_to_use_it(tmp_path):
    # K draws, the target dropped from them: the notes said the target was used "and this rubric accepts that"
    mine = _negsamp_2016(
        tmp_path, "drop", "    samples = []\n    while len(samples) < K:\n        k = dataset.sampleTokenIdx()\n"
                          "        if k != target:\n            samples.append(k)\n",
        "    samples = [dataset.sampleTokenIdx() for _ in range(K)]\n    samples = [k for k in samples if k != target]\n")
    assert mine and all(c["status"] == "fail" for c in mine.values())
    for c in mine.values():
        assert "left out those equal to the target without drawing again: your " in c["message"], c["message"]
        said = " ".join(c["notes"])
        assert "were used as negative samples" not in said and "this rubric accepts that" not in said, said
        assert "left out without drawing again" in said
    # 2016 students wrote their own sampling: no word of a later year's getNegativeSamples
    assert not any("getNegativeSamples" in c["message"] + " ".join(c["notes"]) for c in mine.values())


def test_cbow_passing_an_unexpected_vector_to_the_graders_cost_function_is_told_what_cbow_passes(tmp_path):
    # the message described skip-gram's calls on a CBOW check
    sub = _changed(tmp_path, "cs224d-2016", "q3_word2vec.py", "predicted = inputVectors[idx].sum(axis=0)",
                   "predicted = inputVectors[idx].mean(axis=0)")
    said = [c["message"] for c in _checked(sub, "cbow_").values() if c["status"] != "pass"]
    assert said and any("CBOW the sum of the context words' vectors with the center word's index" in m for m in said), said


def test_values_returned_in_another_order_are_not_said_to_be_a_gradient_mistake_by_the_consistency_block(tmp_path):
    # `return cost, grad, gradPred`: "your cost is right, but your gradient is not its derivative: the mistake is
    # in the gradient", where each gradient is right and only their order is wrong (the checks say so)
    sub = _changed(tmp_path, "cs224d-2016", "q3_word2vec.py", "    return cost, gradPred, grad\n",
                   "    return cost, grad, gradPred\n")
    code, out, err = run("check", str(sub), "--no-color")
    assert "the values are returned in the wrong order" in out
    assert "your gradient is not its derivative" not in out and "the mistake is in the gradient" not in out, out
    code, out, err = run("check", str(sub), "--json")
    verdicts = {c["verdict"] for c in json.loads(out)["consistency"]}
    assert verdicts == {"order"}, verdicts


def test_a_callers_difference_from_a_cost_function_whose_own_checks_pass_does_not_point_nowhere(tmp_path):
    # gradCenterVec returned (1, d), which its own checks accept: skipgram's own-cost checks said "(see your loss
    # function)", where no question of it had failed
    sub = _changed(tmp_path, "cs224n-a2", "word2vec.py", "    return loss, gradCenterVec, gradOutsideVecs",
                   "    return loss, gradCenterVec.reshape(1, -1), gradOutsideVecs")
    own = [c for cid, c in _checked(sub, "skipgram_").items() if "/own-" in cid and c["status"] != "pass"]
    assert own
    for c in own:
        assert "(see your loss function)" not in c["message"]
        assert ("passed to it, not from this function's own logic: naiveSoftmaxLossAndGradient's own checks pass, "
                "so compare the shapes and types it returns with those asked for") in c["message"], c["message"]
