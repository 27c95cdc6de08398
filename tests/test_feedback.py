"""Feedback that is right and said once, as a student and a TA read it: `grader check` and `grader grade` end to end.

Each submission here runs in the real sandbox; what is asserted is what the terminal,
report.html, result.json and summary.html say.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent
MISTAKES = ROOT / "submissions" / "mistakes"

CORRECT = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        cost = -np.log(y_hat[target])
        delta = y_hat.copy()
        delta[target] -= 1
        gradPred = outputVectors.T.dot(delta)
        grad = np.outer(delta, predicted)
        return cost, gradPred, grad
""")
#: W where Wᵀ is meant: every call of the cost function raises, on every case.
W_NOT_WT = CORRECT.replace("gradPred = outputVectors.T.dot(delta)", "gradPred = outputVectors.dot(delta)")
TRANSPOSED = CORRECT.replace("grad = np.outer(delta, predicted)", "grad = np.outer(predicted, delta)")


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def text_of(html: str) -> str:
    """The visible text of a page, whitespace collapsed (style and tags dropped)."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    for a, b in (("&lt;", "<"), ("&gt;", ">"), ("&#39;", "'"), ("&quot;", '"'), ("&amp;", "&")):
        html = html.replace(a, b)
    return re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s+", " ", html)).strip()


def section(html: str, sid: str) -> str:
    start = html.index(">", html.index(f'id="{sid}"')) + 1
    return text_of(html[start: html.index("</section>", start)])


def check(path: Path, tmp_path: Path, *extra) -> tuple[int, str, str]:
    """`grader check PATH --html`: (exit code, terminal text, report.html)."""
    page = tmp_path / "report.html"
    code, out, _ = run(["check", path, "--no-color", "--html", page, *extra])
    return code, out, page.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- gradient against own cost


def test_a_wrong_cost_beside_right_gradients_is_never_told_to_change_the_gradient(tmp_path):
    code, out, html = check(MISTAKES / "cost-wrong-sign.py", tmp_path)
    assert code == 1
    verdict = ("On these cases, your gradient is right, but your cost is wrong: the gradient is the derivative of the right cost, "
               "not of yours. Fix the cost and leave the gradient as it is.")
    assert f"  {verdict} (gradPred on case small, grad on case small, gradPred on case typical, " \
           "grad on case typical)" in out
    consistency = section(html, "consistency")
    assert consistency.count(verdict) == 1  # four comparisons, one verdict
    assert "derive the gradient" not in out + consistency
    assert "the gradient or the cost is wrong" not in html


def test_a_cost_right_on_the_differentiated_cases_is_not_called_wrong(tmp_path):
    _, out, html = check(MISTAKES / "softmax-no-max-shift.py", tmp_path)
    assert "Does your gradient match" not in out  # nothing to say: they agree and are right there
    consistency = section(html, "consistency")
    assert "On these cases, your cost and your gradient are right, and the gradient is the derivative of your cost." in consistency
    assert "your cost is wrong" not in consistency.lower()


def test_a_gradient_mistake_is_said_to_be_in_the_gradient_and_nothing_contradicts_it(tmp_path):
    _, out, html = check(MISTAKES / "grad-pred-sign-flipped.py", tmp_path)
    head = "On these cases, your cost is right, but your gradient is not its derivative: the mistake is in the gradient."
    assert f"  {head} (gradPred on case small, gradPred on case typical)" in out
    consistency = section(html, "consistency")
    assert consistency.count(head) == 1
    assert "or the cost" not in consistency


# --------------------------------------------------------------------------- one reason, said once


def test_one_error_on_every_call_is_explained_once(tmp_path):
    sub = tmp_path / "w.py"
    sub.write_text(W_NOT_WT)
    _, out, html = check(sub, tmp_path)
    assert out.count("Traceback") + out.count("gradPred = outputVectors.dot(delta)") == 1
    assert "The same cause made 12 more checks fail: cross_entropy/typical, cross_entropy/large-vocab, " \
           "cross_entropy/extreme, cross_entropy/inputs-unmodified, grad_pred/small and 7 more." in out
    assert "Also did not pass" not in out
    # report.html: one traceback, the other twelve cards point to it
    assert html.count("gradPred = outputVectors.dot(delta)") == 1
    assert html.count("explained there.") == 12
    assert len(re.findall(r'<details class="check error"[^>]* open>', html)) == 1


def test_every_failing_question_gets_a_line_of_cause_with_its_hint(tmp_path):
    sub = tmp_path / "t.py"
    sub.write_text(TRANSPOSED.replace("cost = -np.log(y_hat[target])", "cost = np.log(y_hat[target])"))
    _, out, _ = check(sub, tmp_path)
    also = out[out.index("Also did not pass:"):]
    assert re.search(r"  grad_output/small and 3 more: .* Likely mistake: grad is transposed", also), also


def test_an_empty_file_says_it_is_empty_in_one_line_and_nothing_meant_for_staff(tmp_path):
    sub = tmp_path / "empty.py"
    sub.write_text("")
    code, out, err = run(["check", sub, "--no-color", "--html", tmp_path / "report.html"])
    assert code == 2  # nothing in it could be read as code
    assert out == "" and "Teaching staff" not in err
    assert err == ("error: no Python code found in empty.py: it is empty (or only comments); save your code in the "
                   "file and hand it in again.\n")
    # a script reading --json gets the result, status "error", as `grade` writes it
    code, out, err = run(["check", sub, "--json"])
    assert code == 2 and "it is empty (or only comments)" in err
    doc = json.loads(out)
    assert (doc["status"], doc["score"]) == ("error", 0.0) and "it is empty" in doc["errors"][0]
    # a file that defines only part of the assignment is graded, and says once what it does not define
    sub.write_text("import numpy as np\n")
    _, out, html = check(sub, tmp_path)
    assert "Teaching staff" not in out + html
    assert out.count("defines no function") == 2  # softmax, and the cost function: once each
    assert "cross_entropy/small and 12 more: empty.py defines no function 'softmaxCostAndGradient'" in out


# --------------------------------------------------------------------------- self-check


def test_a_self_check_report_says_it_is_one(tmp_path):
    _, _, html = check(MISTAKES / "cost-wrong-sign.py", tmp_path)
    banner = section(html.replace('<div class="box info" id="self-check">', '<section id="self-check">', 1)
                     .replace("</p>\n</div>", "</p>\n</section>", 1), "self-check")
    assert banner.startswith("This is a self-check: only the public checks ran, and the score counts only their points.")
    assert "self-check" in text_of(html[: html.index('id="self-check"')]).lower()  # the header says so too


def test_a_graded_report_does_not_say_it_is_a_self_check(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    code, _, _ = run(["grade", subs, "--out", tmp_path / "out", "--jobs", "1", "--no-progress"])
    assert code == 0
    html = (tmp_path / "out" / "alice" / "report.html").read_text(encoding="utf-8")
    assert "self-check" not in html
    assert "public_only" not in json.loads((tmp_path / "out" / "alice" / "result.json").read_text())


NAN_COST = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        return float("nan"), np.full(predicted.shape, np.nan), np.zeros(outputVectors.shape)
""")


def _named(path: Path) -> dict[str, str]:
    code, out, _ = run(["check", path, "--json"])
    return {c["id"]: c["mistake"] for q in json.loads(out)["questions"] for c in q["checks"] if c.get("mistake")}


def test_an_answer_that_is_nan_on_every_input_is_not_put_down_to_a_missing_max_shift(tmp_path):
    sub = tmp_path / "nan.py"
    sub.write_text(NAN_COST)
    # nan on the small case too: the extreme case's nan is no sign of an overflowing softmax
    assert _named(sub) == {}
    # nan on the extreme case only: the missing max-shift is the one explanation, and is named
    assert _named(MISTAKES / "softmax-no-max-shift.py")["cross_entropy/extreme"] == "softmax-no-max-shift"


# --------------------------------------------------------------------------- hint levels


def _rubric(tmp_path: Path, level: str) -> Path:
    p = tmp_path / f"hints-{level}.toml"
    p.write_text(f'extends = "word2vec"\n\n[settings]\nhints = "{level}"\n')
    return p


@pytest.mark.parametrize(("level", "said", "not_said"), [
    ("name", "Likely mistake: grad is transposed.\n", "rows, d columns"),
    ("explain", "Likely mistake: grad is transposed: ∂CE/∂W has the shape of outputVectors (|V| rows, d columns), "
                "one row per output vector.\n", "np.outer"),
    ("fix", "(|V| rows, d columns), one row per output vector. Fix: np.outer(y_hat - y, predicted)\n", None),
])
def test_how_much_a_hint_gives_away_is_the_rubrics_choice(tmp_path, level, said, not_said):
    sub = tmp_path / "t.py"
    sub.write_text(TRANSPOSED)
    _, out, html = check(sub, tmp_path, "--rubric", _rubric(tmp_path, level))
    assert said in out
    if not_said is not None:
        assert not_said not in out and not_said not in html


def test_the_default_hint_shows_no_solution_code(tmp_path):
    sub = tmp_path / "t.py"
    sub.write_text(TRANSPOSED)
    _, out, html = check(sub, tmp_path)
    assert "Likely mistake: grad is transposed" in out
    assert "np.outer" not in out and "np.outer" not in html


#: The answers of the written questions and the functions' formulas, as hints must never state them.
FORMULAS = ["Wᵀ(ŷ - y)", "(ŷ - y) r̂ᵀ", "(ŷ_j - y_j) r̂", "s (1 - s)", "s(1 - s)", "σ(x)(1 - σ(x))",
            "featuresᵀ(ŷ - y)", "regularization · W,", "1 - σ(-u_kᵀv)", "(σ(u_oᵀv) - 1)", "1 / (1 + exp(-x))",
            "-w_target + Σ"]


@pytest.mark.parametrize("name", ["word2vec", "problem-set", "cs224d-2015", "cs224d-2016", "cs224n-2017", "cs224n-a2"])
def test_no_explained_hint_of_a_built_in_rubric_states_a_formula_that_answers_a_question(name):
    from grader.rubric import load_rubric

    rubric = load_rubric(name)
    assert rubric.settings.hints == "explain"
    for mid, m in rubric.mistakes.items():
        said = [f for f in FORMULAS if f in str(m.get("message", ""))]
        assert not said, (mid, said)


def test_an_unknown_hint_level_is_a_rubric_error(tmp_path):
    code, _, err = run(["check", MISTAKES / "cost-wrong-sign.py", "--rubric", _rubric(tmp_path, "everything")])
    assert code == 2
    assert "settings" in err and "hints" in err and "'everything'" in err


# --------------------------------------------------------------------------- the TA's summary


def test_summary_files_each_error_under_its_kind_and_says_where_briefly(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "oom.py").write_text(CORRECT.replace(
        "    y_hat = softmax(", "    big = np.ones((1 << 34,), dtype=np.uint8)\n    y_hat = softmax(", 1))
    (subs / "segv.py").write_text(CORRECT + "\nimport ctypes\nctypes.string_at(0)\n")
    code, _, _ = run(["grade", subs, "--out", tmp_path / "out", "--jobs", "1", "--no-progress"])
    assert code == 0
    errors = section((tmp_path / "out" / "summary.html").read_text(encoding="utf-8"), "errors")
    # A hidden call's MemoryError is still told as such (one of the four kinds the grader names
    # on hidden checks, without file or line: SECURITY.md, finding 11).
    assert re.search(r"Out of memory · 1 submission oom cross_entropy: 6 checks, grad_pred: 5 checks, "
                     r"grad_output: 5 checks", errors), errors
    assert re.search(r"Crash · 1 submission segv segv\.py, line \d+", errors), errors
    assert "Raised an exception" not in errors and "Missing function" not in errors
    mean = re.search(r"([\d.]+) mean score", text_of((tmp_path / "out" / "summary.html").read_text()))
    assert mean is not None and len(mean.group(1).partition(".")[2]) <= 2


def test_a_report_with_one_mistake_reads_as_one_explanation_of_it(tmp_path):
    sub = tmp_path / "t.py"
    sub.write_text(TRANSPOSED)
    _, _, html = check(sub, tmp_path)
    # first, once: what did not pass and why, with the checks it explains
    assert html.index('id="causes"') < html.index('id="questions"') < html.index('id="consistency"')
    causes = section(html, "causes")
    assert causes == ("What did not pass Likely mistake: grad is transposed: ∂CE/∂W has the shape of outputVectors "
                      "(|V| rows, d columns), one row per output vector. 4 checks: grad_output/small, "
                      "grad_output/typical, grad_output/large-vocab, grad_output/extreme")
    # the consistency verdict agrees with it, and the questions that passed say nothing more
    assert "the mistake is in the gradient" in section(html, "consistency")
    assert "What did not pass" not in text_of(html[: html.index('id="causes"')])
    softmax = html[html.index('id="q-softmax"'): html.index('id="q-cross_entropy"')]
    assert "checks passed; they are listed after" not in softmax  # all passed: nothing to reorder


def test_within_a_question_the_checks_that_did_not_pass_come_first(tmp_path):
    _, _, html = check(MISTAKES / "cost-wrong-sign.py", tmp_path)
    q = html[html.index('id="q-cross_entropy"'): html.index('id="q-grad_pred"')]
    assert "4 of 5 checks" not in q and "1 of 5 checks passed; they are listed after the ones that did not." in text_of(q)
    cards = re.findall(r'id="check-(cross_entropy-[\w-]+)"', q)
    assert cards == ["cross_entropy-small", "cross_entropy-typical", "cross_entropy-large-vocab",
                     "cross_entropy-extreme", "cross_entropy-inputs-unmodified"]  # the one that passed, last


def test_the_same_wrong_shape_on_every_case_is_one_line_of_also_did_not_pass():
    # a gradient returned transposed: the shapes differ with each case's sizes, the cause does not
    from grader.model import CheckResult
    from grader.terminal import other_causes

    failing = [CheckResult(f"skipgram_grad_center/{case}", "skipgram_grad_center", "fail", 0, 0.5,
                           f"The returned 'gradCenterVecs' has shape ({d}, {v}), expected ({v}, {d}).")
               for case, v, d in (("typical", 20, 10), ("large", 200, 10), ("short", 12, 4))]
    lines = other_causes(failing)
    assert lines == ["skipgram_grad_center/typical and 2 more: The returned 'gradCenterVecs' has shape (10, 20), "
                     "expected (20, 10)."], lines
    other = CheckResult("skipgram_grad_center/x", "skipgram_grad_center", "fail", 0, 0.5, "Not within tolerance.")
    assert len(other_causes(failing + [other])) == 2  # other words: another line


def test_a_function_whose_definition_failed_is_explained_before_its_callers_and_their_error_said_once(tmp_path):
    import shutil

    sub = tmp_path / "ps"
    shutil.copytree(ROOT / "submissions" / "problem-set-q2" / "honest" / "loops", sub)
    f = sub / "q2_sigmoid.py"
    f.write_text(f.read_text().replace("def sigmoid(x):", "def sigmoid(x: x):"))  # NameError when defined
    code, out, html = check(sub, tmp_path)
    assert code == 1
    explained = out.split("\n\n")
    first = next(block for block in explained if block.startswith(("sigmoid/", "neural_cost/", "negsamp_cost/")))
    # the cause, not a function that calls it, is explained in full
    assert first.startswith("sigmoid/"), first
    assert "'sigmoid' was never defined: `def sigmoid(x: x):` failed (q2_sigmoid.py" in first
    also = out.split("Also did not pass:")[1]
    assert "neural_cost/" in also and "the checks of sigmoid say why" in also
    # a caller's NameError: its message once, not again as the traceback's last line
    code, out, _ = run(["check", sub, "--no-color", "--json"])
    neural = next(c for q in json.loads(out)["questions"] for c in q["checks"] if c["id"] == "neural_cost/small")
    assert neural["error"]["traceback"].endswith(neural["error"]["message"])  # (result.json keeps it whole)
    start = html.index('id="check-neural_cost-small"')
    page = html[start: html.index('id="check-', start + 1)]
    assert page.count("name &#39;sigmoid&#39; is not defined") == 1, page
    assert "h = sigmoid(x.dot(W1) + b1)" in page  # the traceback's frames are still shown
