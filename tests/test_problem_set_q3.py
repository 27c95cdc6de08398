"""q3 of the whole problem set through the CLI: normalizeRows, negative sampling, skip-gram, CBOW.

Honest implementations in several styles get full marks on these questions; negative
sampling is graded on what each student drew (two drawing orders both pass, the
non-rejecting one is recognised, drawing twice is said, the duplicate-index bug is named);
skip-gram keeps its points when only the cost function is wrong; each named mistake loses
points on its own question(s) only; a starter stub scores 0 without an error.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from grader.cli import main

CORPUS = Path(__file__).parent / "submissions" / "q3"
RUBRICS = Path(__file__).parent.parent / "rubrics"

NORMALIZE = {"normalize_rows"}
NEGSAMP = {"negsamp_cost", "negsamp_grad_pred", "negsamp_grad_output"}
SKIPGRAM = {"skipgram_cost", "skipgram_grad_center", "skipgram_grad_outside"}
CBOW = {"cbow_cost", "cbow_grad_center", "cbow_grad_outside"}
Q3 = NORMALIZE | NEGSAMP | SKIPGRAM | CBOW


def _function(source: str, name: str) -> str:
    """The text of top-level function `name` in `source` (up to the next top-level statement)."""
    m = re.search(rf"^def {name}\(.*?(?=^\S)", source + "\n#end\n", re.S | re.M)
    assert m, name
    return m.group(0).rstrip("\n")


def _replace(source: str, name: str, new: str) -> str:
    return source.replace(_function(source, name), new.strip("\n"))


LOOPS = (CORPUS / "loops.py").read_text()
VECTORISED = (CORPUS / "vectorised.py").read_text()

FLOAT32 = LOOPS.replace(
    "def normalizeRows(x):\n", "def normalizeRows(x):\n    x = np.asarray(x, dtype=np.float32)\n").replace(
    "def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):\n",
    "def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):\n"
    "    predicted = predicted.astype(np.float32)\n    outputVectors = outputVectors.astype(np.float32)\n").replace(
    "    cost = 0.0\n    gradIn = np.zeros(inputVectors.shape)\n    gradOut = np.zeros(outputVectors.shape)\n",
    "    cost = np.float32(0.0)\n    inputVectors = inputVectors.astype(np.float32)\n"
    "    gradIn = np.zeros(inputVectors.shape, dtype=np.float32)\n"
    "    gradOut = np.zeros(outputVectors.shape, dtype=np.float32)\n")

# Draws all K first, then replaces each draw equal to the target (another order of drawing
# from the loop that redraws at once: the same multiset of negatives).
REPLACE_AFTER = _replace(LOOPS, "negSamplingCostAndGradient", '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    samples = [dataset.sampleTokenIdx() for _ in range(K)]
    for i in range(K):
        while samples[i] == target:
            samples[i] = dataset.sampleTokenIdx()
    u = outputVectors[samples]
    s_o = sigmoid(outputVectors[target].dot(predicted))
    s_k = sigmoid(-u.dot(predicted))
    cost = -np.log(s_o) - np.sum(np.log(s_k))
    gradPred = (s_o - 1) * outputVectors[target] + (1 - s_k).dot(u)
    grad = np.zeros(outputVectors.shape)
    grad[target] += (s_o - 1) * predicted
    for j in range(K):
        grad[samples[j]] += (1 - s_k[j]) * predicted
    return cost, gradPred, grad
''')

# 2016's wording allows using a draw equal to the target as a negative.
NO_REJECT = _replace(LOOPS, "negSamplingCostAndGradient", '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    samples = [dataset.sampleTokenIdx() for _ in range(K)]
    grad = np.zeros(outputVectors.shape)
    s = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(s)
    gradPred = (s - 1) * outputVectors[target]
    grad[target] += (s - 1) * predicted
    for k in samples:
        sk = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(sk)
        gradPred = gradPred + (1 - sk) * outputVectors[k]
        grad[k] += (1 - sk) * predicted
    return cost, gradPred, grad
''')

DUPLICATE_INDEX = VECTORISED.replace("np.add.at(grad, idx, np.outer(coef, predicted))",
                                     "grad[idx] += np.outer(coef, predicted)")

NEGATIVES_SIGN = LOOPS.replace(
    "        sk = sigmoid(-outputVectors[k].dot(predicted))\n        cost -= np.log(sk)\n"
    "        gradPred = gradPred + (1 - sk) * outputVectors[k]\n        grad[k] += (1 - sk) * predicted\n",
    "        sk = sigmoid(outputVectors[k].dot(predicted))\n        cost -= np.log(sk)\n"
    "        gradPred = gradPred + (sk - 1) * outputVectors[k]\n        grad[k] += (sk - 1) * predicted\n")

# Samples again for the gradient (getNegativeSamples called twice).
DRAWS_TWICE = VECTORISED.replace(
    "    grad = np.zeros_like(outputVectors)\n    np.add.at(grad, idx, np.outer(coef, predicted))\n",
    "    idx = [target] + getNegativeSamples(target, dataset, K)\n"
    "    grad = np.zeros_like(outputVectors)\n    np.add.at(grad, idx, np.outer(coef, predicted))\n")

GRAD_PRED_SIGN = LOOPS.replace("    return cost, gradPred, grad\n\n\ndef skipgram",
                                "    return cost, -gradPred, grad\n\n\ndef skipgram")

COLUMNS = _replace(LOOPS, "normalizeRows", '''
def normalizeRows(x):
    return x / np.sqrt(np.sum(x ** 2, axis=0, keepdims=True))
''')

WHOLE_MATRIX = _replace(LOOPS, "normalizeRows", '''
def normalizeRows(x):
    return x / np.linalg.norm(x)
''')

WRONG_ROW = LOOPS.replace("        gradIn[c] += gp\n", "        gradIn[tokens[w]] += gp\n")

# The cost function is wrong (log10), skip-gram's own logic is right.
COST_LOG10 = LOOPS.replace("    cost = -np.log(y[target])\n", "    cost = -np.log10(y[target])\n")

IGNORES_FUNCTION = LOOPS.replace(
    "        cc, gp, g = word2vecCostAndGradient(inputVectors[c], tokens[w], outputVectors, dataset)\n",
    "        cc, gp, g = softmaxCostAndGradient(inputVectors[c], tokens[w], outputVectors, dataset)\n")

# Only the negative samples' terms of gradPred with the wrong sign: not "the whole gradient's sign",
# though on the extreme case (the target's term ~0, its sigmoid saturated) the numbers are the same.
NEGATIVES_GRAD_PRED_SIGN = LOOPS.replace("        gradPred = gradPred + (1 - sk) * outputVectors[k]\n",
                                         "        gradPred = gradPred - (1 - sk) * outputVectors[k]\n")

ASSIGN_IN_LOOP = LOOPS.replace("        grad[k] += (1 - sk) * predicted\n", "        grad[k] = (1 - sk) * predicted\n")

CBOW_DUPLICATE = VECTORISED.replace("    np.add.at(gradIn, idx, gp)\n", "    gradIn[idx] += gp\n")

STUB = LOOPS
for _name in ("normalizeRows", "negSamplingCostAndGradient", "skipgram", "cbow"):
    _head = _function(STUB, _name).split("):\n", 1)[0] + "):\n"
    STUB = STUB.replace(_function(STUB, _name), _head + "    raise NotImplementedError")

SUBMISSIONS = {
    "loops.py": LOOPS,
    "vectorised.py": VECTORISED,
    "python2.py": (CORPUS / "python2.py").read_text(),
    "float32.py": FLOAT32,
    "replace-after.py": REPLACE_AFTER,
    "no-reject.py": NO_REJECT,
    "duplicate-index.py": DUPLICATE_INDEX,
    "assign-in-loop.py": ASSIGN_IN_LOOP,
    "negatives-sign.py": NEGATIVES_SIGN,
    "draws-twice.py": DRAWS_TWICE,
    "columns.py": COLUMNS,
    "whole-matrix.py": WHOLE_MATRIX,
    "wrong-row.py": WRONG_ROW,
    "cost-log10.py": COST_LOG10,
    "ignores-function.py": IGNORES_FUNCTION,
    "cbow-duplicate.py": CBOW_DUPLICATE,
    "grad-pred-sign.py": GRAD_PRED_SIGN,
    "negatives-grad-pred-sign.py": NEGATIVES_GRAD_PRED_SIGN,
    "stub.py": STUB,
}


def _notebook(source: str) -> str:
    """The module as a notebook: one cell per top-level function, a magic and a shell line first."""
    parts = re.split(r"\n(?=def )", source)
    cells = ["%matplotlib inline\n!pip install numpy\n" + parts[0]] + parts[1:]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "execution_count": i + 1, "metadata": {}, "outputs": [], "source": c}
        for i, c in enumerate(cells)]})


def _grade(tmp_path_factory, rubric: str, names) -> dict[str, dict]:
    subs = tmp_path_factory.mktemp("q3-subs")
    for name in names:
        if name == "notebook":
            (subs / "notebook.ipynb").write_text(_notebook(VECTORISED))
        elif name == "a2":
            (subs / "a2").mkdir()
            (subs / "a2" / "word2vec.py").write_text((CORPUS / "a2_word2vec.py").read_text())
        else:
            (subs / name).write_text({**SUBMISSIONS, **OTHERS}[name])
    out = tmp_path_factory.mktemp("q3-results")
    err = io.StringIO()
    code = main(["grade", str(subs), "--out", str(out), "--rubric", rubric, "--jobs", "2"], out=io.StringIO(), err=err)
    assert code == 0, err.getvalue()
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    return _grade(tmp_path_factory, "problem-set", [*SUBMISSIONS, "a2", "notebook"])


def _questions(r: dict) -> dict[str, dict]:
    return {q["id"]: q for q in r["questions"]}


#: q1's questions, which the corpus's modules also answer (q2's, sgd's and q4's they do not: no point lost
#: there is looked at here; tests/test_problem_set_q2.py grades those)
Q1 = {"softmax", "cross_entropy", "grad_pred", "grad_output"}


def _lost(r: dict) -> set[str]:
    return {q["id"] for q in r["questions"] if q["score"] < q["max_score"] and q["id"] in Q1 | Q3}


def _checks(r: dict, questions=Q3) -> list[dict]:
    return [c for q in r["questions"] if q["id"] in questions for c in q["checks"]]


def _public(r: dict, questions=Q3) -> list[dict]:
    return [c for c in _checks(r, questions) if c["visibility"] == "public"]


@pytest.mark.parametrize("name", ["loops", "vectorised", "python2", "float32", "replace-after", "notebook"])
def test_honest_styles_get_full_marks_on_q3(graded, name):
    r = graded[name]
    assert r["status"] == "graded"
    assert not _lost(r), [(c["id"], c["message"]) for c in _checks(r) if c["status"] != "pass"]
    assert not [c for c in _checks(r) if c["hint"]]
    # CBOW is extra credit: its points are in the score, not in the maximum
    q = _questions(r)
    extra = sum(q[i]["score"] for i in CBOW)
    assert extra > 0 and all(q[i].get("extra") for i in CBOW)
    assert r["max_score"] == pytest.approx(sum(x["max_score"] for x in r["questions"] if not x.get("extra")))
    assert r["score"] == pytest.approx(sum(x["score"] for x in r["questions"]))


def test_the_a2_flavour_gets_full_marks_on_negative_sampling_and_skipgram(graded):
    r = graded["a2"]
    q = _questions(r)
    for qid in NEGSAMP | SKIPGRAM:
        assert q[qid]["score"] == q[qid]["max_score"], [(c["id"], c["message"]) for c in q[qid]["checks"]]
        # the 0-point checks too: with its own naiveSoftmaxLossAndGradient, and the course's sanity values
        assert all(c["status"] == "pass" for c in q[qid]["checks"]), [(c["id"], c["message"]) for c in q[qid]["checks"]]


def test_two_orders_of_drawing_both_pass_and_the_report_shows_the_draws(graded):
    for name in ("loops", "replace-after", "vectorised"):
        c = next(c for c in _checks(graded[name], {"negsamp_cost"}) if c["id"] == "negsamp_cost/small")
        assert c["status"] == "pass"
        assert any(n.startswith("drawn: ") and "(the target)" in n and "rejected" in n for n in c["notes"]), c["notes"]


def test_the_non_rejecting_convention_is_recognised_and_named(graded):
    r = graded["no-reject"]
    assert _lost(r) == NEGSAMP
    for c in _public(r, NEGSAMP):  # (a hidden check shows no notes)
        assert any("used as negative samples (not rejected)" in n for n in c["notes"]), c["notes"]
        if c["status"] != "pass":
            assert c["mistake"] == "negsamp-target-not-rejected", (c["id"], c["message"])
            # said once: by the named mistake, not again in a note or the message
            assert not any("must be rejected" in n for n in c["notes"]), c["notes"]
            assert "must be rejected" not in c["message"], c["message"]


def test_a_rubric_that_accepts_both_conventions_gives_the_non_rejecting_one_full_marks(tmp_path_factory, tmp_path):
    child = RUBRICS / "problem-set.toml"
    path = tmp_path_factory.mktemp("rubric") / "both.toml"
    path.write_text(f'extends = "{child.as_posix()}"\nname = "both-conventions"\n\n'
                    '[sampling]\nconventions = ["reject", "use"]\n')
    results = _grade(tmp_path_factory, str(path), ["no-reject.py", "loops.py"])
    for name in ("no-reject", "loops"):
        q = _questions(results[name])
        assert all(q[i]["score"] == q[i]["max_score"] for i in NEGSAMP), name
    notes = [n for c in _public(results["no-reject"], NEGSAMP) for n in c["notes"]]
    assert any("this rubric accepts that" in n for n in notes)


def test_the_duplicate_index_bug_is_caught_and_named(graded):
    r = graded["duplicate-index"]
    assert _lost(r) == {"negsamp_grad_output"}
    dup = next(c for c in _checks(r) if c["id"] == "negsamp_grad_output/duplicates")
    assert dup["status"] == "fail" and dup["mistake"] == "negsamp-duplicate-index"
    assert "does not accumulate" in dup["hint"]


def test_a_sample_drawn_twice_overwritten_in_a_loop_is_the_same_mistake_told_in_its_own_terms(graded):
    assert ASSIGN_IN_LOOP != LOOPS
    r = graded["assign-in-loop"]
    assert _lost(r) == {"negsamp_grad_output"}
    dup = next(c for c in _checks(r) if c["id"] == "negsamp_grad_output/duplicates")
    assert dup["mistake"] == "negsamp-duplicate-index" and "grad[k] = ... in a loop keeps only the last" in dup["hint"]


def test_drawing_again_between_cost_and_gradient_is_said(graded):
    r = graded["draws-twice"]
    assert "negsamp_grad_output" in _lost(r) and not (_lost(r) - NEGSAMP)
    failed = [c for c in _public(r, NEGSAMP) if c["status"] == "fail"]
    assert failed and all("sample again between the cost and the gradient" in c["message"] for c in failed)


@pytest.mark.parametrize("name,questions,mistake", [
    ("negatives-sign", NEGSAMP, "negsamp-negatives-sign"),
    ("columns", NORMALIZE, "normalize-columns"),
    ("whole-matrix", NORMALIZE, "normalize-whole-matrix"),
    ("wrong-row", {"skipgram_grad_center"}, "skipgram-center-wrong-row"),
    ("cbow-duplicate", {"cbow_grad_center"}, "cbow-duplicate-index"),
    ("grad-pred-sign", {"negsamp_grad_pred"}, "negsamp-grad-sign"),
])
def test_each_named_mistake_loses_points_on_its_questions_only(graded, name, questions, mistake):
    r = graded[name]
    assert _lost(r) == questions
    named = {c["mistake"] for c in _checks(r, questions) if c["status"] == "fail" and c["visibility"] == "public"}
    assert named == {mistake}


def test_normalizing_by_another_norm_is_not_called_the_whole_matrix_mistake(tmp_path):
    # named only where exactly it explains the answer: rows divided by their L1 norm are wrong, unnamed
    sub = tmp_path / "q3_word2vec.py"
    sub.write_text("import numpy as np\n\n\ndef normalizeRows(x):\n"
                   "    return x / np.sum(np.abs(x), axis=1, keepdims=True)\n")
    code, text = _check(["--json", "--rubric", "problem-set", str(sub)], tmp_path)
    failed = [c for c in _public(json.loads(text), NORMALIZE) if c["status"] == "fail"]
    assert failed and not any(c["mistake"] for c in failed), [c["mistake"] for c in failed]


def test_a_wrong_cost_function_does_not_cost_the_skipgram_points(graded):
    r = graded["cost-log10"]
    lost = _lost(r)
    assert "cross_entropy" in lost and not (lost & (SKIPGRAM | CBOW))
    own = [c for c in _public(r, SKIPGRAM | CBOW) if "/own-" in c["id"] and c["status"] == "fail"]
    assert own, "the checks with the student's own cost function fail"
    assert all("comes from your softmaxCostAndGradient" in c["message"] and "cross_entropy" in c["message"]
               and c["max_score"] == 0 for c in own)


def test_a_skipgram_that_ignores_the_function_it_is_given_is_told(graded):
    r = graded["ignores-function"]
    assert _lost(r) == SKIPGRAM
    failed = [c for c in _checks(r, SKIPGRAM) if c["status"] == "fail" and "/own-" not in c["id"]]
    assert failed and all("never called the cost function it was given" in c["message"] for c in failed)


def test_a_starter_stub_scores_zero_without_an_error(tmp_path_factory):
    # (settings.not_implemented = "fail": the whole problem set's setting; hidden checks included)
    r = _grade(tmp_path_factory, "problem-set", ["stub.py"])["stub"]
    assert r["status"] == "graded"
    q = _questions(r)
    for qid in Q3:
        assert q[qid]["score"] == 0
    for c in _checks(r):
        assert c["status"] == "fail" and c["message"].startswith("Not implemented:"), (c["id"], c["message"])
    assert not (_lost(r) - Q3)  # the q1 functions around them still pass


def test_the_report_shows_what_was_drawn(graded, tmp_path_factory):
    # report.html of the batch graded above: the draws and the convention are in the check's notes
    subs = tmp_path_factory.mktemp("q3-report")
    (subs / "loops.py").write_text(LOOPS)
    out = tmp_path_factory.mktemp("q3-report-out")
    assert main(["grade", str(subs), "--out", str(out), "--rubric", "problem-set"],
                out=io.StringIO(), err=io.StringIO()) == 0
    html = (out / "loops" / "report.html").read_text()
    assert "drawn: " in html and "(the target)" in html and "rejected and drawn again" in html


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("q3-kit") / "kit"
    assert main(["kit", "--rubric", "problem-set", "--out", str(path)], out=io.StringIO(), err=io.StringIO()) == 0
    return path


def _check(args, tmp_path) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", *args], out=out, err=io.StringIO())
    return code, out.getvalue()


def test_the_kit_checks_every_public_case_offline_and_prints_the_course_values_to_a2_only(kit, tmp_path):
    sub = tmp_path / "loops.py"
    sub.write_text(LOOPS)
    code, text = _check(["--kit", str(kit), "--json", str(sub)], tmp_path)
    r = json.loads(text)
    assert not _lost(r) and {q["id"] for q in r["questions"]} >= Q3, text  # (q2's functions are not in it)
    code, text = _check(["--kit", str(kit), str(sub)], tmp_path)
    doc = json.loads((kit / "public.json").read_text())
    public = {c["id"] for c in doc["checks"]}
    assert {"negsamp_cost/small", "skipgram_cost/small", "cbow_cost/small", "normalize_rows/small"} <= public
    assert not any(c.endswith("/hidden") for c in public)
    assert re.search(r"cbow_cost \(extra credit\) +3 / 3", text), text
    # a CS224d set: CS224n assignment 2's printed values are not its starter's (nor is a2's check of them)
    assert "sanity values" not in text and "16.15119285363322" not in text, text
    code, text = _check(["--kit", str(kit), str(CORPUS / "a2_word2vec.py")], tmp_path)
    assert "CS224n assignment 2's own sanity values (2019-2023; its starter prints them), beside the grader's verdicts:" in text
    # (this kit withholds utils/utils.py, which answers softmax: the value is not reproduced, but it is said)
    assert "loss 11.16610900153398: " in text and "(skipgram_cost/course-c" in text
    assert "16.15119285363322" in text and "not reproducible here" in text


def test_the_kit_grades_negative_sampling_on_the_draws_it_knows(kit, tmp_path):
    for name, source in (("replace-after.py", REPLACE_AFTER), ("vectorised.py", VECTORISED)):
        sub = tmp_path / name
        sub.write_text(source)
        code, text = _check(["--kit", str(kit), "--json", str(sub)], tmp_path)
        r = json.loads(text)
        assert all(q["score"] == q["max_score"] for q in r["questions"] if q["id"] in NEGSAMP), name
    sub = tmp_path / "no-reject.py"
    sub.write_text(NO_REJECT)
    code, text = _check(["--kit", str(kit), str(sub)], tmp_path)
    assert code == 1 and "you used the target as a negative sample" in text
    sub = tmp_path / "draws-twice.py"
    sub.write_text(DRAWS_TWICE)
    code, text = _check(["--kit", str(kit), str(sub)], tmp_path)
    assert code == 1 and "sample again between the cost and the gradient" in text
    # Drawn again for the gradient: the cost and gradPred are judged on the first K draws, as the
    # grader judges them (the kit has their values); only the output vectors' gradient fails.
    by_kit = json.loads(_check(["--kit", str(kit), "--json", str(sub)], tmp_path)[1])
    by_rubric = json.loads(_check(["--rubric", "problem-set", "--json", str(sub)], tmp_path)[1])
    scores = [{q["id"]: (q["score"], q["max_score"]) for q in r["questions"] if q["id"] in NEGSAMP}
              for r in (by_kit, by_rubric)]
    assert scores[0] == scores[1]
    assert [q for q, (got, most) in scores[0].items() if got < most] == ["negsamp_grad_output"]


def test_the_kits_own_pytest_runs_q3_offline(kit, tmp_path):
    import os
    import subprocess
    import sys

    sub = tmp_path / "loops.py"
    sub.write_text(LOOPS)
    q1_q3 = ["-k", "(normalize_rows or negsamp or skipgram or cbow or softmax or cross_entropy or grad_pred "
                   "or grad_output) and not softmax_regression"]  # the module has no q2 functions
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *q1_q3, f"--submission={sub}"],
                         cwd=kit, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert run.returncode == 0 and " deselected" in run.stdout, run.stdout[-3000:]
    # a CS224d set: CS224n assignment 2's printed values are not its starter's, as grader check says
    assert "sanity values" not in run.stdout and "16.15119285363322" not in run.stdout, run.stdout[-3000:]
    a2 = tmp_path / "a2"
    a2.mkdir()
    (a2 / "word2vec.py").write_text(A2_WRONG_LOSS.replace("loss = -2 * np.log(", "loss = -np.log("))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "skipgram_cost",
                          f"--submission={a2}"], cwd=kit, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    assert "reproduced by your code (skipgram_cost/course-c passed)" in run.stdout, run.stdout[-3000:]
    # titled as grader check titles them
    assert "CS224n assignment 2's own sanity values (2019-2023; its starter prints them), beside the kit's verdicts:" \
        in run.stdout
    sub.write_text(NO_REJECT)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *q1_q3, f"--submission={sub}"],
                         cwd=kit, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert run.returncode == 1
    assert "negsamp_cost/small" in run.stdout and "drawn: " in run.stdout and "(the target)" in run.stdout
    sub.write_text(DRAWS_TWICE)  # only the output vectors' gradient fails, as the grader says
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "negsamp",
                          f"--submission={sub}"], cwd=kit, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    failed = {line.split("[", 1)[1].split("/")[0] for line in run.stdout.splitlines() if line.startswith("FAILED")}
    assert failed == {"negsamp_grad_output"}, run.stdout[-3000:]


# --------------------------------------------------------------------------- the grader's table stays private

# Graded in tests of their own (not in the main batch).
OTHERS: dict[str, str] = {}


# normalizeRows (called before any table call) and skipgram each look for a grader-supplied
# cost function's table among the objects of their process; normalizeRows answers wrongly
# if it finds one, skipgram answers wrongly if it finds none (the probe's positive control).
PROBE = LOOPS.replace("import numpy as np\n", """import gc

import numpy as np


def _table_in_memory():
    for o in gc.get_objects():
        if isinstance(o, dict) and o.get("$costfn") and "table" in o:
            return True
        if type(o).__name__ == "_TableCost":
            return True
    return False
""", 1).replace("def normalizeRows(x):\n", "def normalizeRows(x):\n    if _table_in_memory():\n        return x\n").replace(
    "    c = tokens[currentWord]\n    for w in contextWords:\n",
    "    c = tokens[currentWord]\n    if not _table_in_memory():\n        return 0.0, gradIn, gradOut\n"
    "    for w in contextWords:\n")


def test_the_grader_s_table_is_only_in_the_process_during_its_own_call(tmp_path_factory):
    r = _grade(tmp_path_factory, "problem-set", ["probe.py"])["probe"]
    q = _questions(r)
    assert q["normalize_rows"]["score"] == q["normalize_rows"]["max_score"]  # no table before its call
    table_checks = [c for c in q["skipgram_cost"]["checks"] if "/own-" not in c["id"] and "/course-" not in c["id"]]
    assert all(c["status"] == "pass" for c in table_checks)  # the probe does find it during its call



# --------------------------------------------------------------------------- units: the draws, the reference


def test_draws_are_classified_by_convention_and_count():
    from grader.sampling import classify

    assert classify((2, 0, 3, 2), target=0, K=3).convention == "reject"
    assert classify((0, 0, 3, 2, 4), target=0, K=3).convention == "reject"
    assert classify((2, 0, 3), target=0, K=3).convention == "use"
    assert classify((2, 4, 3), target=0, K=3).convention == "either"
    twice = classify((2, 0, 3, 2, 4, 1, 1), target=0, K=3)
    assert twice.convention == "" and "more than K = 3" in twice.problem and twice.negatives == (2, 3, 2)
    fixed = classify((2, 0, 3, 2, 4, 1, 1, 2, 3, 4, 4), target=0, K=3)  # a fixed 10 instead of K
    assert fixed.convention == "" and "asks for K = 3" in fixed.problem
    few = classify((2, 0), target=0, K=3)
    assert few.convention == "" and "fewer than K = 3" in few.problem
    assert "never called dataset.sampleTokenIdx()" in classify((), target=0, K=3).problem


@pytest.fixture(scope="module")
def ref():
    from grader import cases
    from grader.rubric import load_rubric

    return cases.load_reference(load_rubric(RUBRICS / "problem-set.toml"))


def _numerical(f, x, h=1e-6):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("convention", ["reject", "use"])
def test_negative_sampling_gradients_are_the_derivatives_of_its_cost_with_duplicates(ref, convention):
    from dataclasses import replace

    v, o, u, ds, k = ref.gen_negsamp(np.random.default_rng(5), 12, 4, K=6, targets_at=[1], duplicates=2)
    ds = replace(ds, drawn=ds.script[:8], convention=convention)
    negs = ref.negatives(ds, o, k)
    assert len(negs) == k and len(set(negs)) < k  # duplicates on purpose
    assert (o in negs) == (convention == "use")
    np.testing.assert_allclose(ref.negsamp_grad_pred(v, o, u, ds, k),
                               _numerical(lambda x: float(ref.negsamp_cost(x, o, u, ds, k)), v), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ref.negsamp_grad_output(v, o, u, ds, k),
                               _numerical(lambda x: float(ref.negsamp_cost(v, o, x, ds, k)), u), rtol=1e-6, atol=1e-8)
    # the wrong formulas differ from the right ones on such a case
    assert not np.allclose(ref.negsamp_grad_output_no_accumulate(v, o, u, ds, k), ref.negsamp_grad_output(v, o, u, ds, k))
    assert not np.allclose(ref.negsamp_cost_neg_sign(v, o, u, ds, k), ref.negsamp_cost(v, o, u, ds, k))


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_skipgram_and_cbow_gradients_are_the_derivatives_of_their_cost(ref, model):
    args = ref.gen_skipgram(np.random.default_rng(7), 6, 3, 2, cost="own", model=model, center_in_context=True)
    cost, center, outside = {"skipgram": (ref.skipgram_cost, ref.skipgram_grad_center, ref.skipgram_grad_outside),
                             "cbow": (ref.cbow_cost, ref.cbow_grad_center, ref.cbow_grad_outside)}[model]
    head, tail = args[:4], args[6:]
    vin, vout = args[4], args[5]
    np.testing.assert_allclose(center(*args), _numerical(lambda x: float(cost(*head, x, vout, *tail)), vin),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(outside(*args), _numerical(lambda x: float(cost(*head, vin, x, *tail)), vout),
                               rtol=1e-6, atol=1e-7)


def test_the_course_s_own_naive_softmax_sanity_values_are_reproduced(ref):
    for center, value in (("c", 11.16610900153398), ("b", 9.87714910003414), ("a", 10.810758628593335)):
        assert float(ref.skipgram_cost(*ref.gen_course_check(None, center))) == pytest.approx(value, rel=1e-12)


def test_a_forged_record_of_draws_costs_only_that_submission(tmp_path_factory):
    results = _grade(tmp_path_factory, "problem-set", ["forged.py", "loops.py"])
    r = results["forged"]
    assert r["status"] == "graded" and _lost(r) == NEGSAMP
    assert all("never returned" in c["message"] for c in _public(r, NEGSAMP))
    assert not _lost(results["loops"])


OTHERS["probe.py"] = PROBE
# Overwrites the record of its draws with numbers sampleTokenIdx() never returns.
OTHERS["forged.py"] = LOOPS.replace(
    "    return cost, gradPred, grad\n\n\ndef skipgram",
    "    dataset.drawn[:] = [10 ** 30, -5, 'x'] * 5000\n    return cost, gradPred, grad\n\n\ndef skipgram")


def test_rubric_check_tries_the_q3_mistakes_on_the_draws_of_honest_implementations():
    out = io.StringIO()
    assert main(["rubric", "check", str(RUBRICS / "problem-set.toml")], out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert "the rubric can grade" in text and "never named" not in text, text
    # CBOW's extra credit is said beside the maximum (it is not in it)
    assert "22 questions, 69 points (+4.5 extra credit); " in text, text


def test_a_skipgram_that_still_raises_is_not_told_its_cost_function_may_be_the_cause(tmp_path):
    # The starter's q3, both functions still raising: the course's own skip-gram checks pass the
    # student's cost function (they have no twin of the grader's), but when skipgram itself is the
    # placeholder, that its cost function failed too explains nothing.
    sub = tmp_path / "q3_word2vec.py"
    sub.write_text("def softmaxCostAndGradient(predicted, target, outputVectors, dataset):\n"
                   "    raise NotImplementedError\n\n\n"
                   "def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset, "
                   "word2vecCostAndGradient=None):\n    raise NotImplementedError\n")
    _, text = _check(["--json", "--rubric", "problem-set", str(sub)], tmp_path)
    skipgram = [c for c in _checks(json.loads(text), SKIPGRAM) if c["visibility"] == "public"]
    assert any(c["id"].startswith("skipgram_cost/course") for c in skipgram)
    assert {c["message"] for c in skipgram} == {
        "Not implemented: skipgram still raises NotImplementedError (q3_word2vec.py, line 6): the starter "
        "placeholder is still there."}
    _, text = _check(["--rubric", "problem-set", "--no-color", str(sub)], tmp_path)
    assert "may come from" not in text and text.count("skipgram still raises NotImplementedError") == 1, text
    # ... while a skipgram that fails in the cost function it calls is told so
    sub.write_text(sub.read_text().replace("C, contextWords, tokens, inputVectors, outputVectors, dataset, "
                                           "word2vecCostAndGradient=None):\n    raise NotImplementedError\n",
                                           "C, contextWords, tokens, inputVectors, outputVectors, dataset, "
                                           "word2vecCostAndGradient=None):\n    return word2vecCostAndGradient("
                                           "inputVectors[0], 0, outputVectors, dataset)\n"))
    _, text = _check(["--json", "--rubric", "problem-set", str(sub)], tmp_path)
    course = [c for c in _checks(json.loads(text), SKIPGRAM) if c["id"].startswith("skipgram_cost/course")]
    assert course and all("from softmaxCostAndGradient, which it calls" in c["message"] for c in course), course


def test_a_skipgram_stub_is_told_it_is_a_stub_and_nothing_more(tmp_path):
    sub = tmp_path / "q3_word2vec.py"
    sub.write_text("import numpy as np\n\n\ndef skipgram(currentWord, C, contextWords, tokens, inputVectors, "
                   "outputVectors, dataset, word2vecCostAndGradient=None):\n    pass\n")
    code, text = _check(["--json", "--rubric", "problem-set", str(sub)], tmp_path)
    skipgram = [c for c in _checks(json.loads(text), SKIPGRAM) if "/own-" not in c["id"] and c["visibility"] == "public"]
    assert skipgram and all("returned None" in c["message"] for c in skipgram), skipgram[0]["message"]
    assert not any("never called the cost function" in c["message"] for c in skipgram)


# An a2 student's word2vec.py with a wrong loss (twice the cross-entropy), softmax written in it.
A2_WRONG_LOSS = (CORPUS / "a2_word2vec.py").read_text().replace(
    "from utils.utils import normalizeRows, softmax\n",
    "\n\ndef softmax(x):\n    e = np.exp(x - np.max(x))\n    return e / e.sum()\n").replace(
    "    loss = -np.log(probs[outsideWordIdx])\n", "    loss = -2 * np.log(probs[outsideWordIdx])\n")


def _kit_pytest(kit, sub, *args):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args,
                           f"--submission={sub}"], cwd=kit, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})


def test_an_a2_student_reads_a2s_words_in_the_problem_set_kit_as_grader_check_shows_them(kit, tmp_path):
    # The rubric's `wording` went into no kit: `grader check --kit` and the kit's pytest said
    # "your own softmaxCostAndGradient" and "Cross-entropy cost" to an a2 student.
    sub = tmp_path / "a2" / "word2vec.py"
    sub.parent.mkdir()
    sub.write_text(A2_WRONG_LOSS)
    by_kit = json.loads(_check(["--kit", str(kit), "--json", str(sub.parent)], tmp_path)[1])
    by_rubric = json.loads(_check(["--rubric", "problem-set", "--json", str(sub.parent)], tmp_path)[1])
    said = [{q["id"]: (q["title"], q.get("file"), [c["message"] for c in q["checks"] if c["id"] in kit_ids])
             for q in r["questions"]}
            for r in (by_kit, by_rubric)
            for kit_ids in [{c["id"] for q in by_kit["questions"] for c in q["checks"]}]]
    assert said[0] == said[1]
    assert said[0]["cross_entropy"][:2] == ("Naive-softmax loss", "word2vec")
    run = _kit_pytest(kit, sub.parent, "-k", "skipgram_cost and own-small")
    assert "your own naiveSoftmaxLossAndGradient" in run.stdout and "softmaxCostAndGradient" not in run.stdout, \
        run.stdout[-3000:]
    # a CS224d student keeps CS224d's words
    cs224d = tmp_path / "loops.py"
    cs224d.write_text(LOOPS.replace("    cost = -np.log(", "    cost = -2 * np.log(", 1))
    run = _kit_pytest(kit, cs224d, "-k", "skipgram_cost and own-small")
    assert "your own softmaxCostAndGradient" in run.stdout, run.stdout[-3000:]


def test_an_a2_file_checked_with_the_problem_set_kit_imports_its_own_utils_beside_it(kit, tmp_path):
    # The kit leaves out utils/utils.py (its softmax answers CS224d's q1): `grader check --kit word2vec.py`
    # took the file alone, and `from utils.utils import softmax` failed, while the kit's pytest ran it
    # with the student's own utils/ beside it.
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "utils.py").write_text(
        "import numpy as np\n\n\ndef softmax(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
        "    return e / e.sum(axis=-1, keepdims=True)\n\n\n"
        "def normalizeRows(x):\n    return x / np.linalg.norm(x, axis=1, keepdims=True)\n")
    sub = tmp_path / "word2vec.py"
    sub.write_text((CORPUS / "a2_word2vec.py").read_text())
    code, text = _check(["--kit", str(kit), "--json", str(sub)], tmp_path)
    by_check = {c["id"]: c["status"] == "pass" for q in json.loads(text)["questions"] for c in q["checks"]}
    assert by_check["cross_entropy/small"] and by_check["skipgram_cost/course-c"], text[-3000:]
    run = _kit_pytest(kit, sub, "-rA")
    by_pytest = {m.group(2): m.group(1) == "PASSED"
                 for m in re.finditer(r"^(PASSED|FAILED) test_public.py::test_public_check\[(.*?)\]", run.stdout, re.M)}
    assert by_pytest == by_check


def test_a_mistake_that_matches_only_a_degenerate_case_of_its_question_is_not_named(graded):
    r = graded["negatives-grad-pred-sign"]
    assert _lost(r) == {"negsamp_grad_pred"}
    failed = [c for c in _questions(r)["negsamp_grad_pred"]["checks"] if c["status"] != "pass"]
    assert len(failed) >= 3
    # "the whole gradient has the wrong sign" holds on the extreme case alone: said nowhere
    assert all(c["mistake"] is None for c in failed), [(c["id"], c["mistake"]) for c in failed]
    assert not any("wrong sign" in (c["hint"] or "") for c in failed)
    # the whole gradient's sign, wrong on every case, is still named on every case
    whole = [c for c in _questions(graded["grad-pred-sign"])["negsamp_grad_pred"]["checks"] if c["status"] != "pass"]
    assert whole and all(c["mistake"] == "negsamp-grad-sign" for c in whole), [(c["id"], c["mistake"]) for c in whole]
