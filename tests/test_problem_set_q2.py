"""The q2 / sgd / q4 part of the whole-problem-set rubric, through the real sandbox and the CLI.

Honest submissions in several styles (vectorised, loops, Python 2, float32, CS224n a2's
file names) get full marks on sigmoid, sigmoid_grad, gradcheck, neural_cost, neural_grad,
sgd, sentence_feature and softmax_regression; each named mistake loses points on its own
question (and on the questions built on the student's own function) and is named; the
starter's stubs score 0 with "Not implemented", never an error.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.errors import RubricError
from grader.rubric import load_rubric

HERE = Path(__file__).parent
CORPUS = HERE / "submissions" / "problem-set-q2"
HONEST = CORPUS / "honest"
MISTAKES = CORPUS / "mistakes"

#: The questions of this part of the rubric.
MINE = ("sigmoid", "sigmoid_grad", "gradcheck", "neural_cost", "neural_grad", "sgd", "sentence_feature",
        "softmax_regression")

#: mistake -> (its question, the questions it may cost points on: its own, and those built on the
#: student's own function, as q2_neural imports the student's sigmoid_grad)
MISTAKE_QUESTIONS = {
    "sigmoid-grad-on-x": ("sigmoid_grad", {"sigmoid_grad", "neural_grad"}),
    "sigmoid-unstable": ("sigmoid", {"sigmoid", "neural_cost", "neural_grad"}),
    "sigmoid-sign-flipped": ("sigmoid", {"sigmoid", "neural_cost", "neural_grad"}),
    "gradcheck-random-state": ("gradcheck", {"gradcheck"}),
    "gradcheck-fooled-by-zeros": ("gradcheck", {"gradcheck"}),
    "neural-sigmoid-grad-on-z": ("neural_grad", {"neural_grad"}),
    "neural-grad-transposed": ("neural_grad", {"neural_grad"}),
    "sgd-wrong-sign": ("sgd", {"sgd"}),
    "sgd-no-anneal": ("sgd", {"sgd"}),
    "sgd-no-postprocessing": ("sgd", {"sgd"}),
    "sentence-sum": ("sentence_feature", {"sentence_feature"}),
    "softmaxreg-grad-not-averaged": ("softmax_regression", {"softmax_regression"}),
    "softmaxreg-no-reg-grad": ("softmax_regression", {"softmax_regression"}),
}

#: A plain sigmoid that overflows (with numpy's warning) for x = -1000, and is right there.
PLAIN_SIGMOID = "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n" \
                "def sigmoid_grad(s):\n    return s * (1 - s)\n"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _variant(base: Path, dest: Path, files: Path | None = None) -> None:
    """Copy the honest vectorised submission to `dest`, then the files of `files` over it."""
    shutil.copytree(base, dest)
    if files is not None:
        for f in files.glob("*.py"):
            shutil.copy(f, dest / f.name)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    subs = tmp_path_factory.mktemp("problem-set-q2")
    for style in HONEST.iterdir():
        shutil.copytree(style, subs / f"honest-{style.name}")
    for m in MISTAKES.iterdir():
        _variant(HONEST / "vectorised", subs / m.name, m)
    _variant(HONEST / "vectorised", subs / "plain-sigmoid")
    (subs / "plain-sigmoid" / "q2_sigmoid.py").write_text(PLAIN_SIGMOID)
    out = tmp_path_factory.mktemp("results")
    code, _, err = _run(["grade", str(subs), "--out", str(out), "--rubric", "problem-set", "--jobs", "2", "--json"])
    assert code == 0, err
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def _questions(result: dict) -> dict[str, dict]:
    return {q["id"]: q for q in result["questions"]}


def _lost(result: dict) -> set[str]:
    return {qid for qid, q in _questions(result).items() if qid in MINE and q["score"] < q["max_score"]}


@pytest.mark.parametrize("style", ["vectorised", "loops", "py2", "float32"])
def test_honest_styles_get_full_marks_on_every_q2_sgd_q4_question(graded, style):
    r = graded[f"honest-{style}"]
    assert r["status"] == "graded"
    qs = _questions(r)
    assert [(qid, qs[qid]["score"], qs[qid]["max_score"]) for qid in MINE if qs[qid]["score"] != qs[qid]["max_score"]] == []
    assert all(c["hint"] is None for qid in MINE for c in qs[qid]["checks"])


def test_the_python2_style_was_translated(graded):
    r = graded["honest-py2"]
    assert "q3_sgd.py" in r["translated"] and "q2_gradcheck.py" in r["translated"]


def test_cs224n_a2_file_names_are_found_for_sigmoid_and_sgd(graded):
    qs = _questions(graded["honest-a2"])
    assert qs["sigmoid"]["score"] == qs["sigmoid"]["max_score"] > 0
    assert qs["sgd"]["score"] == qs["sgd"]["max_score"] > 0
    assert graded["honest-a2"]["load"]["functions"]["sgd"] == "sgd.sgd"


def test_an_averaged_network_and_postprocessing_before_the_step_are_accepted_and_named(graded):
    qs = _questions(graded["honest-loops"])
    public = [c for c in qs["neural_grad"]["checks"] if c["visibility"] == "public"]
    assert public and all("convention: averaged" in " ".join(c["notes"]) for c in public)
    assert all("(averaged)" in c["message"] for c in qs["neural_cost"]["checks"] if c["visibility"] == "public")
    post = {c["id"]: c for c in qs["sgd"]["checks"]}["sgd/postprocessing"]
    assert any(n.startswith("convention: before") for n in post["notes"])
    assert post["message"].endswith(": postprocessing applied to x before each call of f.")
    summed = _questions(graded["honest-vectorised"])
    assert all("(summed)" in c["message"] for c in summed["neural_cost"]["checks"] if c["visibility"] == "public")


def test_a_python3_resumed_anneal_and_a_python2_one_are_both_right(graded):
    py3 = {c["id"]: c for c in _questions(graded["honest-vectorised"])["sgd"]["checks"]}["sgd/anneal"]
    py2 = {c["id"]: c for c in _questions(graded["honest-py2"])["sgd"]["checks"]}["sgd/anneal"]
    assert py3["status"] == py2["status"] == "pass"
    # the message says what each convention is, in words; the notes keep the rubric's names for scripts
    assert py3["message"].endswith("of the expected values: start_iter / ANNEAL_EVERY divided as Python 3 does "
                                   "(true division).")
    assert py2["message"].endswith("divided as Python 2 does (floor division).")
    assert "division" not in py3["message"].replace("Python 3 does (true division)", "")
    assert any(n.startswith("convention: python3-division: ") for n in py3["notes"])
    assert any(n.startswith("convention: python2-division: ") for n in py2["notes"])


def test_the_report_says_the_convention_in_words_once_and_never_its_key(graded):
    from grader import render
    from grader.model import SubmissionResult

    html = render.report(SubmissionResult.from_dict(graded["honest-vectorised"]))
    assert "python3-division" not in html and "convention: " not in html
    assert html.count("divided as Python 3 does (true division)") == 1


def test_a_convention_is_not_said_where_every_convention_expects_the_same_value(graded):
    sgd = {c["id"]: c for c in _questions(graded["honest-vectorised"])["sgd"]["checks"]}
    assert sgd["sgd/from-half"]["message"] == "Within tolerance (rtol=1e-06, atol=1e-06) of the expected values."
    assert sgd["sgd/postprocessing"]["message"].endswith(": postprocessing applied after each step.")


def test_a_sigmoid_that_overflows_harmlessly_is_right(graded):
    qs = _questions(graded["plain-sigmoid"])
    assert qs["sigmoid"]["score"] == qs["sigmoid"]["max_score"]


@pytest.mark.parametrize("mistake", sorted(MISTAKE_QUESTIONS))
def test_each_named_mistake_costs_its_question_and_is_named(graded, mistake):
    question, may_cost = MISTAKE_QUESTIONS[mistake]
    r = graded[mistake]
    lost = _lost(r)
    assert question in lost
    assert lost <= may_cost, f"{mistake} also cost {sorted(lost - may_cost)}"
    failing = [c for c in _questions(r)[question]["checks"] if c["status"] != "pass"]
    assert any(c["mistake"] == mistake for c in failing)
    assert all(c["mistake"] in (mistake, None) for c in failing)
    assert all(c["status"] == "fail" for c in failing)


def test_a_missing_function_lists_what_its_own_file_defines_first(tmp_path):
    """cbow (extra credit) not written: the functions found are q3_word2vec.py's, where cbow belongs, not
    the first files' (softmax, gradcheck_naive...)."""
    sub = tmp_path / "sub"
    shutil.copytree(HONEST / "loops", sub)
    shutil.copy(HERE.parent / "examples" / "cs224d_correct" / "q3_word2vec.py", sub / "q3_word2vec.py")
    code, out, err = _run(["check", str(sub), "--rubric", "problem-set", "--json"])
    checks = _questions(json.loads(out))["cbow_cost"]["checks"]
    message = next(c["message"] for c in checks if c["status"] == "error")
    found = message.split("(found ", 1)[1]
    assert found.startswith("'normalizeRows', 'softmaxCostAndGradient'"), message


def test_the_uphill_step_is_named_whichever_side_of_the_step_postprocessing_is_on(graded):
    """sgd-wrong-sign with postprocessing before each evaluation of f: the postprocessing check names it too,
    and the terminal says it once for all four checks."""
    r = graded["sgd-wrong-sign-before"]
    assert _lost(r) == {"sgd"}
    failing = [c for c in _questions(r)["sgd"]["checks"] if c["status"] != "pass"]
    assert {c["id"] for c in failing} >= {"sgd/postprocessing", "sgd/from-half"}
    assert all(c["mistake"] == "sgd-wrong-sign" for c in failing), [(c["id"], c["mistake"]) for c in failing]


def test_a_wrong_sigmoid_grad_is_named_as_the_cause_on_the_network_built_on_it(graded):
    checks = _questions(graded["sigmoid-grad-on-x"])["neural_grad"]["checks"]
    assert {c["mistake"] for c in checks} == {"neural-through-sigmoid-grad-on-x"}
    assert "see the sigmoid_grad question" in checks[0]["hint"]
    # which of the two conventions the gradient was compared with, said as what was done with it
    public = [c for c in checks if c["visibility"] == "public"]
    assert public and all(c["message"].endswith("Your 'cost' is summed: this value was compared with the summed one.")
                          for c in public), [c["message"] for c in public]


def test_a_cost_and_gradient_that_disagree_on_the_convention_are_told_so(graded):
    r = graded["neural-mixed-convention"]
    assert _lost(r) == {"neural_grad"}
    checks = _questions(r)["neural_grad"]["checks"]
    assert all(c["status"] == "fail" for c in checks)
    for c in (c for c in checks if c["visibility"] == "public"):
        assert "Your 'cost' is averaged, but this value is summed: use one convention for both." in c["message"]


def test_gradcheck_verdicts_say_what_was_reported(graded):
    checks = {c["id"]: c for c in _questions(graded["gradcheck-random-state"])["gradcheck"]["checks"]}
    c = checks["gradcheck/random-state"]
    assert c["message"].startswith("gradcheck_naive printed 'Gradient check failed.', but the gradient handed to it is right")
    assert "restore it before every f(x)" in c["hint"]
    ok = {c["id"]: c for c in _questions(graded["honest-vectorised"])["gradcheck"]["checks"]}
    assert ok["gradcheck/wrong"]["message"] == ("gradcheck_naive printed 'Gradient check failed.': right, the "
                                                "gradient handed to it is wrong.")
    loops = {c["id"]: c for c in _questions(graded["honest-loops"])["gradcheck"]["checks"]}
    assert loops["gradcheck/wrong"]["message"].startswith("gradcheck_naive raised AssertionError: right")
    assert loops["gradcheck/right-matrix"]["message"].startswith("gradcheck_naive returned True: right")


def test_starter_stubs_score_zero_as_not_implemented_never_an_error(graded):
    r = graded["stub"]
    assert r["status"] == "graded"
    qs = _questions(r)
    for qid in MINE:
        assert qs[qid]["score"] == 0, qid
        for c in qs[qid]["checks"]:
            assert c["status"] == "fail", c["id"]
            assert c["message"].startswith("Not implemented: "), c["message"]


def test_the_terminal_groups_questions_by_starter_file():
    code, out, _ = _run(["check", "--rubric", "problem-set", str(HONEST / "vectorised")])
    assert code == 1  # q3's questions are not in this submission
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("File"))
    table = lines[head + 1:next(i for i, line in enumerate(lines) if line.startswith("Total"))]
    labels = [line[:7].strip() for line in table]
    questions = [line[7:].split()[0] for line in table]
    # each file once, in the starter's order; the softmax cost's questions are q3's, not q1's
    assert [f for f in labels if f] == ["q1", "q2", "q3", "sgd", "q4"]
    starts = {f: labels.index(f) for f in labels if f}
    assert questions[starts["q1"]:starts["q2"]] == ["softmax"]
    assert questions[starts["q2"]] == "sigmoid" and questions[starts["sgd"]] == "sgd"
    assert questions[starts["q3"]:starts["q3"] + 4] == ["cross_entropy", "grad_pred", "grad_output", "normalize_rows"]
    assert questions[starts["q4"]] == "sentence_feature"


def test_the_kit_checks_every_public_case_offline(tmp_path):
    kit = tmp_path / "kit"
    code, _, err = _run(["kit", "--rubric", "problem-set", "--out", str(kit)])
    assert code == 0, err
    public = load_rubric("problem-set")
    ids = {c.id for c in public.checks() if c.question in MINE and c.visibility == "public"}
    for style in ("py2", "loops"):
        code, out, err = _run(["check", "--kit", str(kit), str(HONEST / style), "--json"])
        doc = json.loads(out)
        mine = {c["id"]: c for q in doc["questions"] if q["id"] in MINE for c in q["checks"]}
        assert set(mine) == ids
        assert [i for i, c in mine.items() if c["status"] != "pass"] == []
        assert {q["id"]: q.get("file") for q in doc["questions"]}["sgd"] == "sgd"
    bad = tmp_path / "bad"
    _variant(HONEST / "vectorised", bad, MISTAKES / "gradcheck-random-state")
    code, out, _ = _run(["check", "--kit", str(kit), str(bad), "--json"])
    doc = json.loads(out)
    c = {c["id"]: c for q in doc["questions"] for c in q["checks"]}["gradcheck/random-state"]
    assert c["status"] == "fail" and c["mistake"] == "gradcheck-random-state"


def _extending(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "year.toml"
    p.write_text('extends = "problem-set"\nname = "year"\n' + body)
    return p


def test_a_year_narrows_the_gradcheck_signals_and_bad_ones_are_refused(tmp_path):
    r = load_rubric(_extending(tmp_path, '[questions.gradcheck]\nsignals = ["text"]\n'))
    assert {c.signals for c in r.checks() if c.question == "gradcheck"} == {("text",)}
    with pytest.raises(RubricError, match=r"questions.gradcheck.checks.right-scalar: unknown signal 'print'"):
        load_rubric(_extending(tmp_path, '[questions.gradcheck]\nsignals = ["print"]\n'))
    with pytest.raises(RubricError, match=r"expect must be one of 'pass', 'fail'"):
        load_rubric(_extending(tmp_path, '[questions.gradcheck.checks.wrong]\nexpect = "maybe"\n'))
    code, _, err = _run(["check", "--rubric", str(_extending(tmp_path, '[questions.sgd]\nconvention_by = "x"\n')),
                         str(HONEST / "a2")])
    assert code == 2 and "convention_by 'x'" in err


def test_plain_pytest_in_the_kit_builds_the_functions_and_reads_gradcheck_verdicts(tmp_path):
    import os
    import subprocess
    import sys

    kit = tmp_path / "kit"
    assert _run(["kit", "--rubric", "problem-set", "--out", str(kit)])[0] == 0
    mine = " or ".join(MINE)

    def kit_pytest(submission: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", f"--submission={submission}", "-k", mine],
                              cwd=kit, capture_output=True, text=True, timeout=120, env=dict(os.environ))

    good = kit_pytest(HONEST / "loops")
    assert good.returncode == 0, good.stdout[-3000:]
    bad = tmp_path / "bad"
    _variant(HONEST / "vectorised", bad, MISTAKES / "gradcheck-random-state")
    p = kit_pytest(bad)
    assert p.returncode == 1
    assert "gradcheck/random-state: fail" in p.stdout and "Likely mistake: f was called with different random states" in p.stdout
    stub = tmp_path / "stub"
    _variant(HONEST / "vectorised", stub, MISTAKES / "stub")
    p = kit_pytest(stub)
    assert "Not implemented: " in p.stdout and " passed" not in p.stdout.splitlines()[-1]


def test_use_saved_writes_only_in_the_submissions_scratch_folder(tmp_path):
    outside = tmp_path / "outside.txt"  # a host path the student's code tries to write
    sub = tmp_path / "writer"
    _variant(HONEST / "vectorised", sub)
    code = (sub / "q3_sgd.py").read_text().replace(
        "    x = x0\n    if not postprocessing:",
        "    x = x0\n    if useSaved:\n"
        "        open('mine_%d.txt' % iterations, 'w').write('here')\n"
        f"        try:\n            open({str(outside)!r}, 'w').write('escaped')\n        except OSError:\n"
        "            pass\n"
        "    if not postprocessing:")
    (sub / "q3_sgd.py").write_text(code)
    rc, out, err = _run(["check", "--rubric", "problem-set", str(sub), "--json"])
    doc = json.loads(out)
    anneal = {c["id"]: c for q in doc["questions"] for c in q["checks"]}["sgd/anneal"]
    assert anneal["status"] == "pass"
    note = next(n for n in anneal["notes"] if n.startswith("useSaved:"))
    assert "save_params at iterations [40000]" in note
    assert "the working folder was the submission's own scratch folder" in note and "mine_40005.txt" in note
    assert not outside.exists()


# --------------------------------------------------------------------------- the behaviour judge, unit by unit


def _gc_spec(expect: str, signals=("text", "return", "assert", "raise")):
    from grader.model import CheckSpec

    return CheckSpec("gradcheck/c", "gradcheck", "c", "gradcheck", compare="behaviour", behaviour="gradcheck",
                     expect=expect, signals=tuple(signals))


def _gc_outcome(status="ok", output="", value_type="NoneType", error_type=None, calls=13, states=None):
    import numpy as np

    from grader.model import CallOutcome, ErrorInfo, Value

    value = Value(value_type)
    if value_type.startswith("bool"):  # "bool_true" / "bool_false": a returned True / False
        value = Value("bool", "|b1", (), np.array(value_type == "bool_true"))
    probe = {"kind": "function", "calls": calls, "must_call": True}
    if states is not None:
        probe["states"] = states
    return CallOutcome("gradcheck:c", status, value=value if status == "ok" else None, output=output,
                       error=ErrorInfo(error_type, "boom") if error_type else None, probes=(probe,))


def test_gradcheck_verdicts_from_each_signal_and_their_absence():
    from grader.behaviour import judge_gradcheck

    assert judge_gradcheck(_gc_spec("pass"), _gc_outcome(output="Gradient check passed!\n"), "g")[0]
    assert judge_gradcheck(_gc_spec("fail"), _gc_outcome(output="Gradient check failed.\n"), "g")[0]
    assert judge_gradcheck(_gc_spec("fail"), _gc_outcome("raised", error_type="AssertionError"), "g")[0]
    assert judge_gradcheck(_gc_spec("pass"), _gc_outcome(value_type="bool_true"), "g")[0]
    assert judge_gradcheck(_gc_spec("fail"), _gc_outcome(value_type="bool_false"), "g")[0]
    # a year whose starter only printed: an assert is not a verdict there
    ok, message, _ = judge_gradcheck(_gc_spec("fail", ["text"]), _gc_outcome("raised", error_type="AssertionError"), "g")
    assert not ok and "said nothing" not in message  # it did say something, in a way this year does not read
    assert message.startswith("g raised AssertionError, which is not how this version reports a verdict (accepted: "
                               "print 'Gradient check passed!' or a failure line)")
    ok, message, _ = judge_gradcheck(_gc_spec("pass", ["text"]), _gc_outcome(), "g")
    assert not ok and "said nothing that tells pass from fail" in message
    # a bug that crashed it is no verdict at all, and is told as such
    ok, message, _ = judge_gradcheck(_gc_spec("pass", ["text"]), _gc_outcome("raised", error_type="TypeError"), "g")
    assert not ok and message.startswith("g raised TypeError") and "before giving a verdict" in message
    ok, message, _ = judge_gradcheck(_gc_spec("pass"), _gc_outcome(output="passed\nfailed\n"), "g")
    assert not ok and "both a pass and a failure" in message
    ok, message, _ = judge_gradcheck(_gc_spec("pass"), _gc_outcome(output="Gradient check passed!", calls=1), "g")
    assert not ok and "without evaluating f more than 1 time(s)" in message


def test_gradcheck_detectors_need_the_evidence():
    from grader.behaviour import judge_gradcheck

    _, _, found = judge_gradcheck(_gc_spec("pass"), _gc_outcome(output="failed", states=7), "g")
    assert found == ("random-state-not-restored",)
    _, _, found = judge_gradcheck(_gc_spec("pass"), _gc_outcome(output="failed", states=1), "g")
    assert found == ()
    _, _, found = judge_gradcheck(_gc_spec("fail"), _gc_outcome(output="passed"), "g", {"grad": "zeros"})
    assert found == ("zero-gradient-accepted",)
    _, _, found = judge_gradcheck(_gc_spec("fail"), _gc_outcome(output="passed"), "g", {"grad": "wrong"})
    assert found == ()


def test_questions_of_one_file_are_reported_together():
    from pathlib import Path

    from grader.model import Question
    from grader.rubric import _Loader

    group = _Loader(Path("r.toml"), "r.toml").file_order
    qs = (Question("softmax", "", (), "q1"), Question("ce", "", (), "q3"), Question("sig", "", (), "q2"),
          Question("sgd", "", (), "sgd"), Question("neg", "", (), "q3"))
    assert [q.id for q in group(None, qs)] == ["softmax", "ce", "neg", "sig", "sgd"]
    plain = tuple(Question(i, "", ()) for i in ("b", "a", "c"))
    assert [q.id for q in group(None, plain)] == ["b", "a", "c"]


def test_a_wrapper_around_the_starters_working_helpers_is_not_the_students_own(tmp_path):
    sub = tmp_path / "wrapper"
    sub.mkdir()
    (sub / "q3_word2vec.py").write_text(
        "from q2_sigmoid import sigmoid as _s, sigmoid_grad as _g\nfrom q2_gradcheck import gradcheck_naive as _c\n\n"
        "def sigmoid(x):\n    return _s(x)\n\ndef sigmoid_grad(s):\n    return _g(s)\n\n"
        "def gradcheck_naive(f, x):\n    return _c(f, x)\n")
    code, out, _ = _run(["check", "--rubric", "problem-set", str(sub), "--json"])
    qs = {q["id"]: q for q in json.loads(out)["questions"]}
    assert qs["sigmoid"]["score"] == qs["sigmoid_grad"]["score"] == qs["gradcheck"]["score"] == 0


def test_a_gradcheck_that_crashes_before_evaluating_f_earns_nothing(tmp_path):
    sub = tmp_path / "crash"
    _variant(HONEST / "vectorised", sub)
    (sub / "q2_gradcheck.py").write_text("def gradcheck_naive(f, x):\n    assert x is None, 'checked nothing'\n")
    code, out, _ = _run(["check", "--rubric", "problem-set", str(sub), "--json"])
    gc = {q["id"]: q for q in json.loads(out)["questions"]}["gradcheck"]
    assert gc["score"] == 0
    assert all("without evaluating f more than 0 time(s)" in c["message"] for c in gc["checks"]
               if c["id"] in ("gradcheck/wrong", "gradcheck/zeros"))
