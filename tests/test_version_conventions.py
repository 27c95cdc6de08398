"""Course versions, continued: each year's negative-sampling convention, and CS224d 2015's signatures.

- 2016 students draw their own K samples and nothing says whether to reject a draw equal to
  the target: both conventions score under cs224d-2016 (and 2015); from 2017 the given
  getNegativeSamples rejects it, and only that scores (cs224n-2017, cs224n-a2).
- The 2015 notebook's negative sampling reads a notebook global ``dataset``, its skip-gram and
  CBOW take the cost function 7th, and its forward_backward_prop reads ``dimensions`` from a
  global: with the rubric's ``globals`` those are set in the student's module for the call,
  and the functions are graded like any other year's.

The submissions are the stand-ins of ``tests/submissions/versions`` (written for the tests),
changed here where a test needs another way of writing a function.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from grader import _worker
from grader.cli import main
from grader.errors import RubricError
from grader.rubric import load_rubric
from support import kit_pytest_alone

VERSIONS = Path(__file__).parent / "submissions" / "versions"
NEGSAMP = {"negsamp_cost", "negsamp_grad_pred", "negsamp_grad_output"}
SKIPGRAM = {"skipgram_cost", "skipgram_grad_center", "skipgram_grad_outside"}
CBOW = {"cbow_cost", "cbow_grad_center", "cbow_grad_outside"}
NEURAL = {"neural_cost", "neural_grad"}

# A 2016 student who does not reject a draw equal to the target (2016's wording allows it).
REJECTING = """    samples = []
    while len(samples) < K:
        k = dataset.sampleTokenIdx()
        if k != target:
            samples.append(k)
"""
USING = "    samples = [dataset.sampleTokenIdx() for _ in range(K)]\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def grade(tmp_path: Path, subs: Path, *extra: str) -> dict[str, dict]:
    out = tmp_path / f"out{len(list(tmp_path.glob('out*')))}"
    code, _, err = run("grade", str(subs), "--out", str(out), "--jobs", "2", "--no-progress", *extra)
    assert code == 0, err
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def questions(r: dict) -> dict[str, dict]:
    return {q["id"]: q for q in r["questions"]}


def full(r: dict, ids) -> bool:
    q = questions(r)
    return all(q[i]["score"] == q[i]["max_score"] > 0 for i in ids)


def public_notes(r: dict, ids) -> list[str]:
    return [n for q in r["questions"] if q["id"] in ids for c in q["checks"] if c["visibility"] == "public"
            for n in c["notes"]]


# --------------------------------------------------------------------------- the rubrics


def test_each_version_says_which_negative_sampling_conventions_score():
    conventions = {n: load_rubric(n).sampling["conventions"]
                   for n in ("problem-set", "cs224d-2015", "cs224d-2016", "cs224n-2017", "cs224n-a2")}
    assert conventions == {"problem-set": ("reject",), "cs224d-2015": ("reject", "use"),
                           "cs224d-2016": ("reject", "use"), "cs224n-2017": ("reject",), "cs224n-a2": ("reject",)}


def test_2015_grades_every_function_of_the_notebook_with_its_globals():
    r15, r16 = load_rubric("cs224d-2015"), load_rubric("cs224d-2016")
    assert {q.id for q in r15.questions} == {q.id for q in r16.questions}  # nothing left out any more
    assert {role: fn.globals for role, fn in r15.functions.items() if fn.globals} == {
        "negsamp": ("dataset",), "skipgram": ("dataset",), "cbow": ("dataset",), "neural": ("dimensions",)}
    assert not any(fn.globals for fn in r16.functions.values())


def test_a_global_that_is_not_a_param_is_a_rubric_error(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('extends = "word2vec"\nname = "mine"\n[functions.cost_and_grad]\nglobals = ["datset"]\n')
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert str(e.value) == (f"rubric {p}: functions.cost_and_grad: globals: 'datset' is not one of the params "
                            "('predicted', 'target', 'outputVectors', 'dataset'); did you mean 'dataset'?")


# --------------------------------------------------------------------------- the harness, in this process


NEGSAMP_SPEC = {"params": ["predicted", "target", "outputVectors", "dataset", "K"], "arities": [5, 4],
                "globals": ["dataset"]}
ARGS = ["v", 1, "U", "the dataset", 10]


def _as_globals(fn, spec=NEGSAMP_SPEC, numgrad=None):
    _worker._PATCHES[:] = []
    notes: list[str] = []
    try:
        passed, spec, numgrad = _worker._as_globals(fn, list(ARGS), dict(spec), numgrad or {}, notes)
        return passed, spec, numgrad, list(_worker._PATCHES), notes
    finally:
        _worker._PATCHES[:] = []


def test_a_2015_signature_gets_the_dataset_as_a_global_and_the_rest_in_order():
    def negSamplingCostAndGradient(predicted, target, outputVectors, K=10):  # noqa: N802 - 2015's
        return dataset  # noqa: F821 - read as a global, as in 2015

    passed, spec, numgrad, patches, notes = _as_globals(negSamplingCostAndGradient, numgrad={"wrt": [0, 2]})
    assert passed == ["v", 1, "U", 10] and patches == [("dataset", "the dataset")]
    assert spec["params"] == ["predicted", "target", "outputVectors", "K"] and spec["arities"] == [4, 3]
    assert numgrad == {"wrt": [0, 2]}
    assert notes == ["your function takes no 'dataset' parameter: 'dataset' was set as a global of your module "
                     "while it ran"]
    # the global is there for the call only, then the module's own value is back
    g = negSamplingCostAndGradient.__globals__
    had, old = "dataset" in g, g.get("dataset")
    _worker._PATCHES[:] = patches
    undo = _worker._apply_patches(negSamplingCostAndGradient)
    assert negSamplingCostAndGradient(*passed) == "the dataset"
    _worker._take_probes(undo, ".")
    assert ("dataset" in g) == had and g.get("dataset") == old


def test_a_global_is_passed_as_an_argument_when_the_signature_can_take_it():
    def with_dataset(predicted, target, outputVectors, dataset, K=10):
        return None

    def renamed(predicted, target, outputVectors, ds, K=10):  # takes every argument: all passed in order
        return None

    def no_k(predicted, target, outputVectors, dataset):  # has the parameter: K is what is left out
        return None

    for fn in (with_dataset, renamed, no_k):
        passed, spec, _, patches, notes = _as_globals(fn)
        assert passed == ARGS and patches == [] and notes == [] and spec["arities"] == [5, 4], fn.__name__
    passed, spec, _, _, _ = _as_globals(no_k)
    assert _worker._choose_arity(no_k, len(passed), spec["arities"], [], spec) == 4


def test_a_2015_signature_without_k_is_called_with_three_arguments_and_told_which_are_left_out():
    def neg(predicted, target, outputVectors):
        return None

    passed, spec, _, patches, _ = _as_globals(neg)
    assert passed == ["v", 1, "U", 10] and patches == [("dataset", "the dataset")]
    notes: list[str] = []
    assert _worker._choose_arity(neg, len(passed), spec["arities"], notes, spec) == 3
    assert notes == ["called with 3 arguments: your function takes no 'K' parameter"]


def test_gradient_positions_after_a_global_are_counted_without_it():
    def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors, costfn, extra):
        return None  # (a made-up signature: the global sits before two of the gradient's arguments)

    spec = {"params": ["a", "dataset", "b", "c", "d", "e", "f", "g", "h"], "globals": ["dataset"]}
    _worker._PATCHES[:] = []
    try:
        passed, spec2, numgrad = _worker._as_globals(skipgram, list(range(9)), spec, {"wrt": [0, 4, 5]}, [])
    finally:
        _worker._PATCHES[:] = []
    assert passed == [0, 2, 3, 4, 5, 6, 7, 8] and numgrad == {"wrt": [0, 3, 4]} and spec2["arities"] == [8]


# --------------------------------------------------------------------------- through the CLI


def _folder_2016(tmp_path: Path, name: str, rejects: bool) -> Path:
    subs = tmp_path / "subs"
    shutil.copytree(VERSIONS / "cs224d-2016", subs / name)
    if not rejects:
        f = subs / name / "q3_word2vec.py"
        text = f.read_text()
        assert REJECTING in text
        f.write_text(text.replace(REJECTING, USING))
    return subs


def test_a_2016_submission_that_uses_target_draws_scores_under_2016_and_loses_the_points_under_2017(tmp_path):
    subs = _folder_2016(tmp_path, "uses", rejects=False)
    # no --rubric: recognised as 2016, whose wording allows using the target's draws
    r = grade(tmp_path, subs)["uses"]
    assert r["rubric"] == "word2vec-cs224d-2016"
    assert full(r, NEGSAMP | SKIPGRAM | CBOW), [(c["id"], c["message"]) for q in r["questions"] if q["id"] in NEGSAMP
                                                 for c in q["checks"] if c["status"] != "pass"]
    notes = public_notes(r, NEGSAMP)
    assert any(n.startswith("drawn: ") and "were used as negative samples (not rejected)" in n for n in notes), notes
    assert any("this rubric accepts that (your assignment does not say whether to reject them)" in n for n in notes)
    report = (tmp_path / "out0" / "uses" / "report.html").read_text()
    assert "used as negative samples (not rejected)" in report
    # under 2017, where getNegativeSamples rejects the target, the same code loses negative sampling's points
    r = grade(tmp_path, subs, "--rubric", "cs224n-2017")["uses"]
    assert r["rubric"] == "word2vec-cs224n-2017"
    q = questions(r)
    assert all(q[i]["score"] < q[i]["max_score"] for i in NEGSAMP), [(i, q[i]["score"]) for i in NEGSAMP]
    assert full(r, SKIPGRAM | CBOW)  # graded with the grader's cost function: not affected
    lost = [c for i in NEGSAMP for c in q[i]["checks"] if c["status"] != "pass" and c["visibility"] == "public"]
    assert lost and all(c["mistake"] == "negsamp-target-not-rejected" for c in lost), [c["mistake"] for c in lost]
    notes = public_notes(r, NEGSAMP)
    assert any("were used as negative samples (not rejected)" in n for n in notes)
    # the named mistake says the target must be rejected: not said again in a note
    assert not any("draws equal to the target must be rejected and drawn again" in n for n in notes), notes
    assert not any("this rubric accepts that" in n for n in notes)


def test_a_2016_submission_using_target_draws_with_one_minus_sigmoid_keeps_full_marks(tmp_path):
    # log(1 - σ(s)) rather than log σ(-s): the same in exact arithmetic; with the target (s ≈ +30 on
    # the extreme case) used as a negative, 1 - σ(30) keeps only ~3 digits, an honest form's rounding
    subs = _folder_2016(tmp_path, "one-minus", rejects=False)
    f = subs / "one-minus" / "q3_word2vec.py"
    text = f.read_text()
    assert "        t = sigmoid(-outputVectors[k].dot(predicted))\n" in text
    f.write_text(text.replace("        t = sigmoid(-outputVectors[k].dot(predicted))\n",
                              "        t = 1.0 - sigmoid(outputVectors[k].dot(predicted))\n"))
    r = grade(tmp_path, subs)["one-minus"]
    assert r["rubric"] == "word2vec-cs224d-2016"
    assert full(r, NEGSAMP), [(c["id"], c["message"]) for q in r["questions"] if q["id"] in NEGSAMP
                              for c in q["checks"] if c["status"] != "pass"]


def test_a_2016_submission_that_rejects_the_target_scores_under_every_version(tmp_path):
    subs = _folder_2016(tmp_path, "rejects", rejects=True)
    for extra in ((), ("--rubric", "cs224n-2017"), ("--rubric", "cs224d-2015")):
        r = grade(tmp_path, subs, *extra)["rejects"]
        assert full(r, NEGSAMP | SKIPGRAM), (extra, r["rubric"])
        notes = public_notes(r, NEGSAMP)
        assert any("were rejected and drawn again" in n for n in notes), notes
        # a 2016 signature gets the dataset as its argument, under the 2015 rubric too
        assert not any("takes no 'dataset' parameter" in n for n in r["notes"]), r["notes"]


def _notebook_2015(**replace: str) -> str:
    nb = nbformat.read(VERSIONS / "cs224d-2015" / "wordvec_sentiment.ipynb", as_version=4)
    for cell in nb.cells:
        for old, new in replace.items():
            if old in cell.source:
                cell.source = cell.source.replace(old, new)
    return nbformat.writes(nb)


def test_the_2015_notebook_s_negative_sampling_skipgram_cbow_and_network_are_graded(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(VERSIONS / "cs224d-2015" / "wordvec_sentiment.ipynb", subs / "honest.ipynb")
    # the negatives' term with the wrong sign: negative sampling loses its points, nothing else does
    wrong = _notebook_2015(**{"        t = sigmoid(-outputVectors[k].dot(predicted))\n":
                              "        t = sigmoid(outputVectors[k].dot(predicted))\n"})
    assert wrong != _notebook_2015()
    (subs / "wrong-sign.ipynb").write_text(wrong)
    rs = grade(tmp_path, subs)
    honest = rs["honest"]
    assert honest["rubric"] == "word2vec-cs224d-2015"
    assert full(honest, NEGSAMP | SKIPGRAM | CBOW | NEURAL)
    assert all(c["status"] == "pass" for q in honest["questions"] for c in q["checks"])
    assert ("forward_backward_prop: your function takes no 'dimensions' parameter: 'dimensions' was set as a "
            "global of your module while it ran") in honest["notes"], honest["notes"]
    # the three functions reading the same global: said once, not three times
    assert ("negSamplingCostAndGradient, skipgram and cbow take no 'dataset' parameter: 'dataset' was set as a "
            "global of your module while they ran") in honest["notes"], honest["notes"]
    assert not any(n.startswith(("skipgram:", "cbow:", "negSamplingCostAndGradient:")) for n in honest["notes"])
    notes = public_notes(honest, NEGSAMP)  # the notebook's draws were recorded through the global
    assert any(n.startswith("drawn: ") and "(not rejected)" in n for n in notes), notes
    assert not any("2016" in n or "2017" in n for n in notes), notes  # a 2015 student: no later year's course
    q = questions(rs["wrong-sign"])
    lost = {i for i, x in q.items() if x["score"] < x["max_score"]}
    assert lost == NEGSAMP, lost
    mistakes = {c["mistake"] for i in NEGSAMP for c in q[i]["checks"] if c["status"] != "pass" and c["mistake"]}
    assert mistakes == {"negsamp-negatives-sign"}


def test_the_2015_kit_checks_the_notebook_s_negative_sampling_offline(tmp_path):
    kit = tmp_path / "kit"
    code, _, err = run("kit", "--rubric", "cs224d-2015", "--out", str(kit))
    assert code == 0, err
    functions = json.loads((kit / "public.json").read_text())["functions"]
    assert functions["negsamp"]["globals"] == ["dataset"] and functions["neural"]["globals"] == ["dimensions"]
    code, out, err = run("check", "--kit", str(kit), "--json", str(VERSIONS / "cs224d-2015" / "wordvec_sentiment.ipynb"))
    assert code == 0, out + err
    r = json.loads(out)
    assert full(r, NEGSAMP | SKIPGRAM | CBOW | NEURAL)
    assert any(n.startswith("drawn: ") for n in public_notes(r, NEGSAMP))


def test_the_first_2015_notebook_s_sgd_without_print_every_and_two_saved_values_gets_full_marks(tmp_path):
    # The first 2015 starter: sgd(f, x0, step, iterations, postprocessing=None, useSaved=False), and a
    # load_saved_params() that returns (iteration, params): the student's sgd unpacks two values.
    first = _notebook_2015(**{
        "def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):":
            "def sgd(f, x0, step, iterations, postprocessing=None, useSaved=False):",
        "        start_iter, oldx, state = load_saved_params()\n": "        start_iter, oldx = load_saved_params()\n",
        "        if state:\n            random.setstate(state)\n": "",
        "        return st, params, state\n    else:\n        return st, None, None\n":
            "        return st, params\n    else:\n        return st, None\n"})
    assert "start_iter, oldx = load_saved_params()" in first and "PRINT_EVERY" not in first and "setstate(state)" not in first
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "first.ipynb").write_text(first)
    r = grade(tmp_path, subs)["first"]
    assert r["rubric"] == "word2vec-cs224d-2015"
    q = questions(r)
    assert q["sgd"]["score"] == q["sgd"]["max_score"] > 0, [(c["id"], c["message"]) for c in q["sgd"]["checks"]]
    assert "sgd: called with 6 arguments: your function takes no 'PRINT_EVERY' parameter" in r["notes"]
    anneal = next(c for c in q["sgd"]["checks"] if c["id"] == "sgd/anneal")
    assert any("load_saved_params called 1 time(s)" in n for n in anneal["notes"]), anneal["notes"]


def test_2017_wants_softmax_to_keep_the_shape_of_a_vector_as_its_starter_asserts(tmp_path):
    # the 2017 starter: `assert x.shape == orig_shape`; 2016's accepts a vector returned as one row
    subs = tmp_path / "subs"
    sub = subs / "row"
    shutil.copytree(VERSIONS / "cs224n-2017", sub)
    (sub / "q1_softmax.py").write_text(
        "import numpy as np\n\n\ndef softmax(x):\n"
        "    x = np.atleast_2d(np.asarray(x, dtype=np.float64))\n"
        "    e = np.exp(x - x.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)\n")
    checks = {c["id"]: c for q in grade(tmp_path, subs, "--rubric", "cs224n-2017")["row"]["questions"]
              for c in q["checks"]}
    assert checks["softmax/vector"]["status"] == "fail"
    assert checks["softmax/vector"]["message"].startswith("softmax returned shape (1, 5), expected (5,)")
    assert checks["softmax/matrix"]["status"] == "pass" and checks["softmax/shape-one-row"]["status"] == "pass"
    checks = {c["id"]: c for q in grade(tmp_path, subs, "--rubric", "cs224d-2016")["row"]["questions"]
              for c in q["checks"]}
    assert checks["softmax/vector"]["status"] == "pass"


def test_a2_takes_no_point_for_postprocessing_applied_again_since_its_starter_applies_it(tmp_path):
    subs = tmp_path / "subs"
    sub = subs / "twice"
    shutil.copytree(VERSIONS / "cs224n-a2", sub)
    text = (sub / "sgd.py").read_text()
    assert "        loss, grad = f(x)\n" in text
    (sub / "sgd.py").write_text(text.replace("        loss, grad = f(x)\n",
                                             "        loss, grad = f(x)\n        x = postprocessing(x)\n", 1))
    r = grade(tmp_path, subs, "--rubric", "cs224n-a2")["twice"]
    sgd = questions(r)["sgd"]
    assert sgd["score"] == sgd["max_score"], [(c["id"], c["message"]) for c in sgd["checks"] if c["status"] != "pass"]
    assert not any("postprocessing" in c["id"] for c in sgd["checks"])
    # 2016's students write the whole loop body, postprocessing included: there it is checked
    assert "sgd/postprocessing" in {c.id for c in load_rubric("cs224d-2016").checks()}


def test_a2_messages_name_arguments_and_returned_values_as_a2_does(tmp_path):
    subs = tmp_path / "subs"
    honest = (VERSIONS / "cs224n-a2" / "word2vec.py").read_text()
    variants = {
        # the gradient for the outside vectors transposed
        "transposed": honest.replace("gradOutsideVecs = np.outer(y_hat, centerWordVec)",
                                     "gradOutsideVecs = np.outer(centerWordVec, y_hat)"),
        # two values returned where three are asked for
        "two": honest.replace("    return loss, gradCenterVec, gradOutsideVecs\n\n\ndef getNegativeSamples",
                              "    return loss, gradCenterVec\n\n\ndef getNegativeSamples"),
        # the center word's vector changed in place
        "inplace": honest.replace('    """ Naive Softmax loss & gradient function for word2vec models """\n',
                                  '    """ Naive Softmax loss & gradient function for word2vec models """\n'
                                  "    centerWordVec *= 1.0\n    centerWordVec += 0.0\n    centerWordVec[0] += 1e-3\n"),
    }
    for name, text in variants.items():
        assert text != honest, name
        shutil.copytree(VERSIONS / "cs224n-a2", subs / name)
        (subs / name / "word2vec.py").write_text(text)
    results = grade(tmp_path, subs, "--rubric", "cs224n-a2")
    said = {name: " ".join(f"{c['message']} {c.get('hint') or ''}" for q in r["questions"] for c in q["checks"])
            + " ".join(c.get("message", "") for c in r.get("consistency", [])) for name, r in results.items()}
    assert "gradOutsideVecs is transposed: ∂J/∂U has the shape of outsideVectors" in said["transposed"]
    assert "returned 2 values; expected 3: (loss, gradCenterVec, gradOutsideVecs)" in said["two"]
    assert "modified its argument 'centerWordVec' in place" in said["inplace"]
    for text in said.values():  # CS224d's names never reach an a2 student
        assert not re.search(r"\b(gradPred|outputVectors|predicted|softmaxCostAndGradient)\b|'grad'|\(cost,", text), text
    # the terminal's self-consistency lines name the gradients a2's way too (result.json keeps the rubric's)
    code, out, _ = run("check", "--rubric", "cs224n-a2", str(subs / "transposed"), "--no-color")
    assert "gradOutsideVecs on case" in out and "grad on case" not in out and "gradPred on case" not in out, out
    entries = results["transposed"]["consistency"]
    assert {e["wrt"] for e in entries} <= {"gradPred", "grad"} and {e.get("said") for e in entries} <= {
        "gradCenterVec", "gradOutsideVecs"}
    # a function that is not there is named by a2's name first
    sub = tmp_path / "nons"
    shutil.copytree(VERSIONS / "cs224n-a2", sub)
    (sub / "word2vec.py").write_text(honest.replace("def negSamplingLossAndGradient(", "def negSamplingLoss("))
    code, out, _ = run("check", "--rubric", "cs224n-a2", str(sub), "--no-color")
    assert "define no function 'negSamplingLossAndGradient' (or 'negSamplingCostAndGradient')" in out


def test_a_shown_name_that_is_no_param_or_return_is_a_rubric_error(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('extends = "cs224n-a2"\nname = "x"\n\n[functions.cost_and_grad]\nshown = { gradPredd = "g" }\n')
    with pytest.raises(RubricError, match="gradPredd' is not one of the params or returns .*did you mean 'gradPred'"):
        load_rubric(p)


A2_STUBS = '''import numpy as np

from utils.utils import softmax


def sigmoid(x):
    """The sigmoid of x."""
    ### YOUR CODE HERE

    ### END YOUR CODE
    return s


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    """Naive softmax loss and its gradients."""
    ### YOUR CODE HERE

    ### END YOUR CODE
    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors, outsideVectors,
             dataset, word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    """Skip-gram."""
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    ### YOUR CODE HERE

    ### END YOUR CODE
    return loss, gradCenterVecs, gradOutsideVectors


def typo(x):
    value = x + 1
    return valeu


def case_typo(x):
    s = x + 1
    return S
'''


def test_a2s_stubs_are_not_implemented_not_errors(tmp_path):
    # a2's stubs leave the code empty and return names they never set (a NameError), or zeros
    subs = tmp_path / "subs"
    sub = subs / "midway"
    shutil.copytree(VERSIONS / "cs224n-a2", sub)
    text = (sub / "word2vec.py").read_text()
    stubs = A2_STUBS.split("def typo", 1)[0]
    honest_rest = text[text.index("def getNegativeSamples"):text.index("def skipgram")]
    (sub / "word2vec.py").write_text(stubs + "\n\n" + honest_rest)
    r = grade(tmp_path, subs, "--rubric", "cs224n-a2")["midway"]
    q = questions(r)
    for qid in ("sigmoid", "cross_entropy", "grad_pred", "skipgram_cost", "skipgram_grad_center"):
        for c in q[qid]["checks"]:  # (a hidden check says less: that a placeholder is there)
            assert c["status"] == "fail" and c["message"].startswith("Not implemented: "), (qid, c["id"], c["message"])
    assert q["sigmoid"]["checks"][0]["message"] == (
        "Not implemented: sigmoid returns s, which it never sets (the starter's placeholder is still there?).")
    assert any(c["message"].startswith("Not implemented: skipgram returned zeros without calling the loss function")
               for c in q["skipgram_cost"]["checks"])
    # negative sampling is written, but calls the sigmoid stub: said so, not an error of its own
    assert all(c["message"].startswith("Not implemented: negSamplingLossAndGradient calls sigmoid, which returns s "
                                       "without ever setting it") for c in q["negsamp_cost"]["checks"]
               if c["visibility"] == "public")
    assert all(c["status"] == "fail" and c["message"].startswith("Not implemented") for c in q["negsamp_cost"]["checks"])


def test_a_typo_in_a_returned_name_is_an_error_not_a_placeholder(tmp_path):
    import importlib.util

    from grader._worker import _placeholder_return

    path = tmp_path / "stubs.py"
    path.write_text(A2_STUBS.replace("from utils.utils import softmax\n", ""))
    spec = importlib.util.spec_from_file_location("stubs_for_the_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(NameError) as stub:
        module.sigmoid(1.0)
    assert _placeholder_return(stub.value) == ("s", "sigmoid")
    with pytest.raises(NameError) as typo:
        module.typo(1.0)
    assert _placeholder_return(typo.value) == ("", "")
    with pytest.raises(NameError) as case:
        module.case_typo(1.0)
    assert _placeholder_return(case.value) == ("", "")


def test_skipgram_raising_on_the_students_own_cost_function_names_that_function_as_the_cause(tmp_path):
    subs = tmp_path / "subs"
    sub = subs / "transposed"
    shutil.copytree(VERSIONS / "cs224d-2016", sub)
    q3 = sub / "q3_word2vec.py"
    text = q3.read_text()
    assert "    grad = np.outer(delta, predicted)\n" in text
    # the cost's gradient transposed, and a skipgram that adds it in place: skipgram raises on it
    q3.write_text(text.replace("    grad = np.outer(delta, predicted)\n", "    grad = np.outer(predicted, delta)\n"))
    r = grade(tmp_path, subs, "--rubric", "cs224d-2016")["transposed"]
    own = [c for q in r["questions"] if q["id"].startswith("skipgram") for c in q["checks"]
           if c["id"].split("/")[1].startswith("own") and c["status"] != "pass" and c["visibility"] == "public"]
    raised = [c for c in own if c["status"] == "error"]
    assert all("With a cost function of the grader's, this same call is right: the difference comes from your "
               "softmaxCostAndGradient" in c["message"] for c in own), [c["message"] for c in own]
    assert raised  # `gradOut += dout` with dout transposed: a ValueError in skipgram, not skipgram's fault


def test_the_a2_helpers_supplied_by_the_grader_are_said_in_one_note(tmp_path):
    sub = tmp_path / "subs" / "noutils"
    sub.mkdir(parents=True)
    shutil.copy(VERSIONS / "cs224n-a2" / "word2vec.py", sub / "word2vec.py")
    r = grade(tmp_path, tmp_path / "subs", "--rubric", "cs224n-a2")["noutils"]
    said = [n for n in r["notes"] if "was not in the submission" in n]
    assert said == ["'utils' (and utils.gradcheck, utils.utils) was not in the submission; "
                    "the supplied stand-ins were used"], said


def test_the_a2_rubric_speaks_a2s_names_everywhere_a2_students_read():
    # titles, case and check descriptions, and the named mistakes of a2's own questions
    r = load_rubric("cs224n-a2")
    cs224d = re.compile(r"softmaxCostAndGradient|negSamplingCostAndGradient|\bpredicted\b|outputVectors|gradPred"
                        r"|\bgrad\b|inputVectors|contextWords|currentWord")
    used = {m for c in r.checks() for m in c.mistakes}
    said = ([q.title for q in r.questions] + [c.description for c in r.cases.values() if c.public]
            + [c.description for c in r.checks()]
            + [str(r.mistakes[m].get(k, "")) for m in used for k in ("name", "message", "fix")])
    assert [t for t in said if cs224d.search(t or "")] == []


def _2015_stubs(tmp_path: Path, *, keep: tuple[str, ...] = ()) -> Path:
    """The 2015 stand-in notebook with the 2015 starter's placeholders: an empty YOUR CODE HERE, then
    `return x` (softmax, sigmoid, normalizeRows), `return f` (sigmoid_grad), or the names it should set
    used (gradcheck_naive's numgrad, forward_backward_prop's gradW1...)."""
    nb = nbformat.read(VERSIONS / "cs224d-2015" / "wordvec_sentiment.ipynb", as_version=4)
    empty = "    ### YOUR CODE HERE\n    ### END YOUR CODE\n"
    for cell in nb.cells:
        src = cell.source
        if src.startswith("def softmax(x):") and "softmax" not in keep:
            cell.source = 'def softmax(x):\n    """ Softmax function """\n' + empty + "    return x\n"
        elif src.startswith("def sigmoid(x):"):
            cell.source = ('def sigmoid(x):\n' + empty + '    return x\n\ndef sigmoid_grad(f):\n' + empty
                           + '    return f\n')
        elif src.startswith("def gradcheck_naive("):
            cell.source = ("def gradcheck_naive(f, x):\n    rndstate = random.getstate()\n    random.setstate(rndstate)\n"
                           "    fx, grad = f(x)\n    h = 1e-4\n    for ix in np.ndindex(x.shape):\n"
                           "        ### YOUR CODE HERE\n        ### END YOUR CODE\n"
                           "        reldiff = abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix]))\n"
                           "        if reldiff > 1e-5:\n            print('Gradient check failed.')\n            return\n"
                           "    print('Gradient check passed!')\n")
        elif src.startswith("def forward_backward_prop("):
            head = src[:src.index("\n    a = sigmoid(")]
            cell.source = (head + "\n" + empty + "    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(), "
                           "gradW2.flatten(), gradb2.flatten()))\n    return cost, grad\n")
        elif "def normalizeRows(x):" in src:
            cell.source = re.sub(r"def normalizeRows\(x\):\n.*?(?=\n\S|\Z)",
                                 lambda m: 'def normalizeRows(x):\n' + empty + "    return x\n", src, flags=re.S)
    path = tmp_path / "subs" / "stubs.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_the_2015_notebooks_stubs_are_not_implemented_not_wrong_answers_or_errors(tmp_path):
    path = _2015_stubs(tmp_path)
    r = grade(tmp_path, path.parent, "--rubric", "cs224d-2015")["stubs"]
    q = questions(r)
    for qid in ("softmax", "sigmoid", "sigmoid_grad", "normalize_rows", "gradcheck", *NEURAL):
        assert q[qid]["score"] == 0
        for c in q[qid]["checks"]:
            assert c["status"] == "fail" and c["message"].startswith("Not implemented: "), (c["id"], c["message"])
    said = {qid: q[qid]["checks"][0]["message"] for qid in ("softmax", "sigmoid_grad", "gradcheck", "neural_cost")}
    assert said["softmax"].startswith("Not implemented: softmax returns its argument x unchanged")
    assert said["sigmoid_grad"].startswith("Not implemented: sigmoid_grad returns its argument f unchanged")
    assert said["gradcheck"].startswith("Not implemented: gradcheck_naive uses numgrad, which it never sets")
    assert said["neural_cost"].startswith("Not implemented: forward_backward_prop uses gradW1, which it never sets")


def test_returning_the_input_is_a_wrong_answer_where_the_years_starter_did_not_return_it(tmp_path):
    # 2016's starters raise NotImplementedError: a softmax returning x is a wrong answer there, not a stub
    sub = tmp_path / "subs" / "ident"
    shutil.copytree(VERSIONS / "cs224d-2016", sub)
    (sub / "q1_softmax.py").write_text("import numpy as np\n\n\ndef softmax(x):\n    return x\n")
    r = grade(tmp_path, sub.parent, "--rubric", "cs224d-2016")["ident"]
    softmax = [c for c in questions(r)["softmax"]["checks"] if c["status"] != "pass"]
    assert softmax and not any(c["message"].startswith("Not implemented") for c in softmax), softmax[0]["message"]


def test_a_2015_name_error_on_a_name_the_starter_never_left_unset_stays_an_error(tmp_path):
    path = _2015_stubs(tmp_path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.source.startswith("def gradcheck_naive("):
            cell.source = cell.source.replace("abs(numgrad - grad[ix])", "abs(numgard - grad[ix])")
    nbformat.write(nb, path)
    r = grade(tmp_path, path.parent, "--rubric", "cs224d-2015")["stubs"]
    gc = questions(r)["gradcheck"]["checks"]
    assert all(not c["message"].startswith("Not implemented") for c in gc), gc[0]["message"]


ZERO_SKIPGRAM = ("    return 0.0, np.zeros(inputVectors.shape), np.zeros(outputVectors.shape)\n")


def _zero_skipgram(sub: Path, version: str) -> Path:
    """The version's submission copied to `sub`, its skipgram returning zeros without calling anything."""
    shutil.copytree(VERSIONS / version, sub)
    f = sub / ("word2vec.py" if version == "cs224n-a2" else "q3_word2vec.py")
    text = f.read_text()
    start = text.index("def skipgram(")
    body = text.index(":\n", text.index(")", text.index("word2vec", start))) + 2
    end = text.index("\ndef ", body)
    names = ("centerWordVectors", "outsideVectors") if version == "cs224n-a2" else ("inputVectors", "outputVectors")
    f.write_text(text[:body] + ZERO_SKIPGRAM.replace("inputVectors", names[0]).replace("outputVectors", names[1])
                 + "\n" + text[end:])
    return sub


@pytest.mark.parametrize("version, placeholder", [("cs224d-2016", False), ("cs224n-2017", False),
                                                  ("cs224n-a2", True)])
def test_zeros_from_skipgram_are_not_implemented_only_where_the_years_starter_returned_them(
        tmp_path, version, placeholder):
    # a2's starter returns loss = 0.0 and zeros; 2016's and 2017's skipgram raised NotImplementedError
    sub = _zero_skipgram(tmp_path / "subs" / "zeros", version)
    r = grade(tmp_path, sub.parent, "--rubric", version)["zeros"]
    sg = [c for c in questions(r)["skipgram_cost"]["checks"] if c["visibility"] == "public" and c["status"] != "pass"
          and "/own-" not in c["id"] and "/course-" not in c["id"]]
    assert sg
    if placeholder:
        assert all(c["message"].startswith("Not implemented: skipgram returned zeros") for c in sg), sg[0]["message"]
    else:
        assert not any(c["message"].startswith("Not implemented") for c in sg), sg[0]["message"]
        assert all("never called the cost function it was given" in c["message"] for c in sg), sg[0]["message"]


def test_the_kits_own_pytest_says_why_zeros_from_skipgram_are_wrong_where_they_are_no_placeholder(tmp_path):
    # 2017's skipgram raised NotImplementedError: its zeros are a wrong answer, and the kit says why as
    # grader check does (it said only "Not within tolerance", where the grader names the cost function unused)
    sub = _zero_skipgram(tmp_path / "zeros", "cs224n-2017")
    kit = tmp_path / "kit"
    assert run("kit", "--rubric", "cs224n-2017", "--out", str(kit))[0] == 0
    said = kit_pytest_alone(kit, f"--submission={sub}", "-k", "skipgram_cost")
    why = "skipgram never called the cost function it was given as an argument: its cost and gradients must come " \
          "from that function."
    assert "skipgram_cost/small: fail (0 / 0.5)" in said and "Not implemented" not in said, said[-3000:]
    kit_lines = {ln for ln in said.splitlines() if why in ln}
    graded = run("check", "--rubric", "cs224n-2017", "--no-color", str(sub))[1]
    assert kit_lines and all(ln in graded for ln in kit_lines), (kit_lines, graded)
    # (the cases with the student's own cost function pass no function of the grader's: nothing to say there)
    own = said.split("skipgram_cost/own-small: fail", 1)[1].split("\n\n", 1)[0]
    assert why not in own.split("Passing the public", 1)[0]


def test_the_2015_kit_says_not_implemented_of_the_2015_stubs_as_the_grader_does(tmp_path):
    path = _2015_stubs(tmp_path)
    kit = tmp_path / "kit"
    assert run("kit", "--rubric", "cs224d-2015", "--out", str(kit))[0] == 0
    doc = json.loads(run("check", "--kit", str(kit), "--json", str(path))[1])
    q = {x["id"]: x for x in doc["questions"]}
    for qid in ("softmax", "sigmoid", "sigmoid_grad", "normalize_rows", "gradcheck", *NEURAL):
        assert q[qid]["checks"] and all(c["message"].startswith("Not implemented: ") for c in q[qid]["checks"]), (
            qid, q[qid]["checks"][0]["message"])


def test_the_2015_kits_own_pytest_says_not_implemented_of_the_2015_stubs(tmp_path):
    path = _2015_stubs(tmp_path)
    kit = tmp_path / "kit"
    assert run("kit", "--rubric", "cs224d-2015", "--out", str(kit))[0] == 0
    said = kit_pytest_alone(kit, f"--submission={path}")
    assert "Not implemented: softmax returns its argument x unchanged" in said, said[-3000:]
    assert "Not implemented: sigmoid_grad returns its argument f unchanged" in said
    assert "Not implemented: gradcheck_naive uses numgrad, which it never sets" in said
    # (the rest of this notebook is Python 2, which plain pytest cannot run: `grader check --kit` translates it)
    assert "gradcheck_naive raised NameError" not in said
