"""Builders of realistic SubmissionResult objects for the reporter tests and the screenshot script."""

from __future__ import annotations

import io
import textwrap
from dataclasses import replace
from typing import Iterable

from grader.cli import main

from grader.model import (
    CanvasInfo,
    Cell,
    CheckResult,
    Consistency,
    Element,
    ErrorInfo,
    Frame,
    LoadReport,
    Mismatch,
    QuestionResult,
    Shown,
    SourceFile,
    SubmissionResult,
    UnitError,
)

#: a correct submission of the built-in rubric, in the 2016 starter's flavour
CORRECT_SOURCE = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        delta = y_hat.copy()
        delta[target] -= 1
        return -np.log(y_hat[target]), outputVectors.T.dot(delta), np.outer(delta, predicted)
""")


def cli(*argv) -> tuple[int, str, str]:
    """Run the grader command in this process: (exit code, standard output, standard error)."""
    out, err = io.StringIO(), io.StringIO()
    return main([str(a) for a in argv], out=out, err=err), out.getvalue(), err.getvalue()


TOL = "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values."
WITHIN = "Within tolerance (rtol=1e-05, atol=1e-08) of the expected values."

#: Hostile strings, to be put wherever a student's text can go.
SCRIPT = "<script>alert('pwned')</script>"
IMG = '"><img src=x onerror="alert(1)">'
ATTR = "' onmouseover='alert(2)' x='"
UNICODE = "naïve – Ünïcödé ✓ 名前 \u202eevil\u202c"
CONTROL = "bell\x07 esc\x1b[31m nul\x00 bs\x08 end"
ALL_HOSTILE = (SCRIPT, IMG, ATTR, UNICODE)

TITLES = {
    "softmax": "Softmax",
    "cross_entropy": "Cross-entropy cost",
    "grad_pred": "Gradient with respect to the predicted vector",
    "grad_output": "Gradient with respect to the output vectors",
}


#: The built-in rubric's outputs, by question: how :func:`decided` finds the checks of a case.
_OUTPUTS = {"cross_entropy": "cost", "grad_pred": "gradPred", "grad_output": "grad"}


def _decided(make):
    """Decorate a factory so that its result's self-consistency entries have their verdicts."""
    import functools

    @functools.wraps(make)
    def wrapper(*args, **kw):
        return decided(make(*args, **kw))

    return wrapper


def decided(r: SubmissionResult) -> SubmissionResult:
    """Give the result's self-consistency entries their verdicts, as grading does (checks.read_consistency).

    The check ids are read as ``question/case`` of the built-in rubric's cost function.
    """
    from grader.checks import read_consistency
    from grader.model import CheckSpec, Question, Rubric

    qs = tuple(Question(q.id, q.title, tuple(
        CheckSpec(c.id, q.id, c.id.split("/", 1)[1], "cost_and_grad", output=_OUTPUTS.get(q.id)) for c in q.checks))
        for q in r.questions)
    rubric = Rubric("word2vec-softmax", "", "1", qs, {}, {}, consistency={"function": "cost_and_grad", "cost": "cost"})
    return replace(r, consistency=read_consistency(rubric, r.checks(), r.consistency))


def arr(shape: tuple[int, ...], dtype: str = "float64") -> Shown:
    """Shape and dtype of an ndarray."""
    return Shown("ndarray", dtype, shape)


def passed(cid: str, points: float = 0.5, *, case: str = "", shape=(3,), visibility="public") -> CheckResult:
    """A passing check."""
    question = cid.split("/")[0]
    return CheckResult(
        id=cid,
        question=question,
        status="pass",
        score=points,
        max_score=points,
        message=WITHIN,
        visibility=visibility,
        case=case or "a small random case",
        got=arr(shape),
        expected=arr(shape),
    )


def values_mismatch(n_bad=2, n_total=6, *, heat=None) -> Mismatch:
    """A value mismatch in the style.md example: 2 of 6 elements off."""
    return Mismatch(
        reason="values",
        summary=f"{n_bad} of {n_total} elements differ",
        n_bad=n_bad,
        n_total=n_total,
        worst=(
            Element((0, 2), 0.69, 0.7, 7.0e-06),
            Element((1, 0), 0.31, 0.3, 3.0e-06),
        )[:n_bad],
        max_abs=0.01,
        max_rel=0.0333,
        heat=heat,
    )


def failed(
    cid: str,
    points: float = 0.5,
    *,
    mismatch: Mismatch | None = None,
    hint: str | None = None,
    mistake: str | None = None,
    message: str = TOL,
    visibility="public",
    case: str = "2 rows of 3 scores",
    got: Shown | None = None,
    expected: Shown | None = None,
    output: str = "",
    notes: tuple[str, ...] = (),
) -> CheckResult:
    """A failing check with a value mismatch (style.md's example by default)."""
    return CheckResult(
        id=cid,
        question=cid.split("/")[0],
        status="fail",
        score=0.0,
        max_score=points,
        message=message,
        hint=hint,
        mistake=mistake,
        visibility=visibility,
        case=case,
        got=got or arr((2, 3)),
        expected=expected or arr((2, 3)),
        mismatch=mismatch if mismatch is not None else values_mismatch(),
        output=output,
        notes=notes,
    )


def errored(
    cid: str,
    points: float = 0.5,
    *,
    error: ErrorInfo,
    message: str,
    output: str = "",
    visibility="public",
    case: str = "a small random case",
) -> CheckResult:
    """A check whose call raised, timed out, crashed or found no function."""
    return CheckResult(
        id=cid,
        question=cid.split("/")[0],
        status="error",
        score=0.0,
        max_score=points,
        message=message,
        visibility=visibility,
        case=case,
        error=error,
        output=output,
    )


def question(qid: str, checks: Iterable[CheckResult]) -> QuestionResult:
    """A question whose score is the sum of its checks'."""
    checks = tuple(checks)
    return QuestionResult(
        id=qid,
        title=TITLES.get(qid, qid),
        score=float(sum(c.score for c in checks)),
        max_score=float(sum(c.max_score for c in checks)),
        checks=checks,
    )


def result(sid: str, questions: Iterable[QuestionResult], **kw) -> SubmissionResult:
    """A graded SubmissionResult whose scores add up."""
    questions = tuple(questions)
    defaults = dict(
        rubric="word2vec-softmax",
        status="graded",
        score=float(sum(q.score for q in questions)),
        max_score=float(sum(q.max_score for q in questions)),
        questions=questions,
        isolation="bwrap",
        source=f"{sid}.py",
        seconds=1.25,
        grader_version="0.1.0",
        load=LoadReport(modules=("q3_word2vec",), functions={"softmax": "q1_softmax.softmax"}),
    )
    defaults.update(kw)
    return SubmissionResult(submission=sid, **defaults)


# --------------------------------------------------------------------------- whole submissions


def all_pass(sid: str = "alice") -> SubmissionResult:
    """Every check passes: 10 / 10."""
    return result(
        sid,
        [
            question(
                "softmax",
                [
                    passed("softmax/rows-1d", 0.5, case="one row of 3 scores"),
                    passed("softmax/rows-2x3", 0.5, shape=(2, 3), case="2 rows of 3 scores"),
                    passed("softmax/shift", 0.5, shape=(2, 3), case="rows shifted by 1000"),
                    passed("softmax/stable-large", 0.5, shape=(2, 2), case="[1000, 1001] and [-1000, -999]"),
                    passed("softmax/unmodified", 0.5, shape=(2, 3), case="the input after the call"),
                ],
            ),
            question("cross_entropy", [passed("cross_entropy/small", 1.25, shape=()), passed("cross_entropy/large-vocab", 1.25, shape=())]),
            question("grad_pred", [passed("grad_pred/small", 1.25, shape=(3,)), passed("grad_pred/large-vocab", 1.25, shape=(50,))]),
            question("grad_output", [passed("grad_output/small", 1.25, shape=(5, 3)), passed("grad_output/large-vocab", 1.25, shape=(5000, 50))]),
        ],
        canvas=CanvasInfo(name="smithalice", user_id="1001", submission_id="9001"),
    )


@_decided
def mixed(sid: str = "bob") -> SubmissionResult:
    """Passes mixed with failures: mismatches, named mistakes, a heat map, a hidden check, notes, output."""
    heat = tuple(tuple(1.0 if j == 0 else (0.5 if i == j else 0.0) for j in range(5)) for i in range(5))
    grad_mismatch = Mismatch(
        reason="values",
        summary="9 of 15 elements differ",
        n_bad=9,
        n_total=15,
        worst=(
            Element((0, 1), -0.2513, 0.2487, 2.5e-06),
            Element((2, 0), 0.1234, -0.0766, 7.7e-07),
            Element((4, 2), 0.0999, 0.0001, 1.0e-08),
        ),
        max_abs=0.5,
        max_rel=980.0,
        heat=heat,
    )
    return result(
        sid,
        [
            question(
                "softmax",
                [
                    passed("softmax/rows-1d", 0.5),
                    failed(
                        "softmax/rows-2x3",
                        hint="each row must sum to 1; yours is normalised over columns.",
                        mistake="softmax-wrong-axis",
                        output="debug: x.shape = (2, 3)\n" * 3,
                    ),
                    failed(
                        "softmax/stable-large",
                        message="Got inf or nan where the expected values are finite.",
                        mismatch=Mismatch(
                            reason="nonfinite",
                            summary="2 of 4 elements are nan",
                            n_bad=2,
                            n_total=4,
                            worst=(Element((0, 0), float("nan"), 0.2689, 2.7e-06), Element((0, 1), float("nan"), 0.7311, 7.3e-06)),
                        ),
                        hint="subtract each row's max before exponentiating; exp(1000) overflows to inf.",
                        mistake="softmax-no-max-shift",
                        case="[1000, 1001] and [-1000, -999]",
                        got=arr((2, 2)),
                        expected=arr((2, 2)),
                    ),
                    passed("softmax/shift", 0.5, shape=(2, 3)),
                    failed(
                        "softmax/hidden-mixed",
                        0.5,
                        visibility="hidden",
                        case="SECRET-CASE rows near +1000 and -1000",
                        output="SECRET-OUTPUT printed during a hidden check",
                        hint="SECRET-HINT",
                        mismatch=Mismatch(
                            reason="values",
                            summary="SECRET-SUMMARY",
                            n_bad=1,
                            n_total=12345,
                            worst=(Element((7, 7), 123.456, 654.321, 1e-3),),
                            max_abs=530.865,
                            max_rel=0.811,
                        ),
                    ),
                ],
            ),
            question(
                "cross_entropy",
                [
                    failed(
                        "cross_entropy/small",
                        1.25,
                        mismatch=Mismatch(
                            reason="values",
                            summary="1 of 1 elements differ",
                            n_bad=1,
                            n_total=1,
                            worst=(Element((), 0.7407, 1.7054, 1.7e-05),),
                            max_abs=0.9647,
                            max_rel=0.5657,
                        ),
                        hint="the cost uses the natural log (np.log); yours looks like log10.",
                        mistake="ce-log10",
                        case="|V| = 5, d = 3",
                        got=Shown("float64", "float64", ()),
                        expected=Shown("float", "float64", ()),
                    ),
                    passed("cross_entropy/large-vocab", 1.25, shape=()),
                ],
            ),
            question(
                "grad_pred",
                [
                    passed(
                        "grad_pred/small",
                        1.25,
                        shape=(3,),
                    ),
                    replace(
                        passed("grad_pred/large-vocab", 1.25, shape=(50,)),
                        notes=("shape (1, 50) accepted as (50,)",),
                        got=arr((1, 50)),
                        expected=arr((50,)),
                    ),
                ],
            ),
            question(
                "grad_output",
                [
                    failed(
                        "grad_output/small",
                        1.25,
                        mismatch=grad_mismatch,
                        hint="the -y term is missing: the gradient is (ŷ - y) r̂ᵀ, not ŷ r̂ᵀ.",
                        mistake="grad-output-no-minus-y",
                        case="|V| = 5, d = 3",
                        got=arr((5, 3)),
                        expected=arr((5, 3)),
                    ),
                    failed(
                        "grad_output/large-vocab",
                        1.25,
                        message="grad_output: got shape (50, 5000), expected (5000, 50) (|V| rows, d columns).",
                        mismatch=Mismatch(reason="shape", summary="shape (50, 5000), expected (5000, 50)"),
                        hint="your gradient is transposed: it should be (ŷ - y) r̂ᵀ, one row per output word.",
                        mistake="grad-output-transposed",
                        case="|V| = 5000, d = 50",
                        got=arr((50, 5000)),
                        expected=arr((5000, 50)),
                    ),
                ],
            ),
        ],
        late=True,
        notes=("q3_word2vec.py was written for Python 2 and was translated to Python 3 before running.",),
        consistency=(
            Consistency(case="small", wrt="gradPred", status="consistent", max_abs=2e-9, max_rel=1e-7, message="Your gradPred matches central differences of your cost."),
            Consistency(case="small", wrt="grad", status="consistent", max_abs=3e-9, max_rel=2e-7, message="Your grad matches central differences of your cost."),
        ),
        files=(
            SourceFile(
                path="q3_word2vec.py",
                text="print('hello')\n",
                origin="q3_word2vec.py",
                translated=True,
                translation_diff="--- q3_word2vec.py (Python 2)\n+++ q3_word2vec.py (Python 3)\n@@ -1 +1 @@\n-print 'hello'\n+print('hello')\n",
            ),
        ),
        load=LoadReport(
            modules=("q1_softmax", "q3_word2vec"),
            functions={"softmax": "q1_softmax.softmax", "cost_and_grad": "q3_word2vec.softmaxCostAndGradient"},
            output="Testing softmax...\n" + "x" * 5000,
        ),
        canvas=CanvasInfo(name="jonesbob", user_id="1002", submission_id="9002"),
    )


TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "q3_word2vec.py", line 42, in softmaxCostAndGradient\n'
    "    probs = softmax(scores)\n"
    '  File "q1_softmax.py", line 21, in softmax\n'
    "    raise NotImplementedError\n"
    "NotImplementedError\n"
)


@_decided
def errors(sid: str = "carol") -> SubmissionResult:
    """Checks that errored: timeout, crash, missing function, NotImplementedError; a cell with a syntax error."""
    syntax = ErrorInfo(
        type="SyntaxError",
        message="invalid syntax (hw1.ipynb, cell [3], line 2)",
        frames=(Frame(where="hw1.ipynb, cell [3]", line=2, code="print 'loss', loss"),),
        traceback='  hw1.ipynb, cell [3], line 2\n    print \'loss\', loss\n          ^\nSyntaxError: invalid syntax\n',
    )
    return result(
        sid,
        [
            question(
                "softmax",
                [
                    errored(
                        "softmax/rows-1d",
                        error=ErrorInfo(
                            type="NotImplementedError",
                            message="",
                            frames=(Frame("q1_softmax.py", 21, "raise NotImplementedError", "softmax"),),
                            traceback=TRACEBACK,
                        ),
                        message="softmax still raises NotImplementedError (q1_softmax.py, line 21): the starter placeholder is still there.",
                    ),
                    errored(
                        "softmax/stable-large",
                        error=ErrorInfo(type="Timeout", message="no result within 2 s"),
                        message="softmax did not return within 2 s on a 1000×1000 input; this check scored 0, the other checks ran.",
                    ),
                ],
            ),
            question(
                "cross_entropy",
                [
                    errored(
                        "cross_entropy/small",
                        1.25,
                        error=ErrorInfo(type="Crash", message="killed by signal 9 (SIGKILL)"),
                        message="softmaxCostAndGradient crashed the Python process (killed by signal 9); this check scored 0, the other checks ran.",
                        output="about to allocate a lot\n",
                    ),
                ],
            ),
            question(
                "grad_pred",
                [
                    errored(
                        "grad_pred/small",
                        1.25,
                        error=ErrorInfo(type="MissingFunction", message="no function 'softmaxCostAndGradient'"),
                        message="q3_word2vec.py defines no function 'softmaxCostAndGradient' (found 'softmaxCostAndGrad'). Did you mean 'softmaxCostAndGrad'?",
                    ),
                ],
            ),
        ],
        source="hw1.ipynb",
        load=LoadReport(
            modules=("hw1",),
            unit_errors=(UnitError(where="hw1.ipynb, cell [3]", error=syntax),),
            notes=("skipped `%matplotlib inline` in cell [1]",),
            output="",
        ),
        files=(
            SourceFile(
                path="hw1.py",
                text="",
                origin="hw1.ipynb",
                cells=(Cell(0, "cell [1]", "", "%matplotlib inline"), Cell(3, "cell [3]", "print 'loss', loss", "print 'loss', loss")),
            ),
        ),
        consistency=(
            Consistency(case="small", wrt="gradPred", status="error", message="your cost raised, so your gradient could not be compared with it."),
        ),
        canvas=CanvasInfo(name="leecarol", user_id="1003", submission_id="9003"),
    )


def submission_error(sid: str = "dave") -> SubmissionResult:
    """The grader could not run the submission at all (status "error")."""
    return SubmissionResult(
        submission=sid,
        rubric="word2vec-softmax",
        status="error",
        score=0.0,
        max_score=10.0,
        errors=("could not read dave.zip: File is not a zip file",),
        isolation="bwrap",
        source="dave.zip",
        grader_version="0.1.0",
        canvas=CanvasInfo(name="kimdave", user_id="1004", submission_id="9004"),
    )


@_decided
def gradient_wrong(sid: str = "erin") -> SubmissionResult:
    """The cost is right but the gradient does not match it (self-consistency: inconsistent)."""
    base = all_pass(sid)
    qs = list(base.questions)
    qs[2] = question(
        "grad_pred",
        [
            failed("grad_pred/small", 1.25, hint="the sign is flipped: ∂CE/∂r̂ = Wᵀ(ŷ - y).", mistake="grad-pred-sign", got=arr((3,)), expected=arr((3,))),
            passed("grad_pred/large-vocab", 1.25, shape=(50,)),
        ],
    )
    return replace(
        base,
        questions=tuple(qs),
        score=float(sum(q.score for q in qs)),
        consistency=(Consistency(case="small", wrt="gradPred", status="inconsistent", max_abs=0.8, max_rel=2.0, message="Your gradPred differs from central differences of your cost by up to 0.8."),),
        canvas=None,
    )


def hostile(sid: str = IMG) -> SubmissionResult:
    """Hostile strings wherever a student's text can reach: id, source, messages, output, files, cells, tracebacks."""
    err = ErrorInfo(
        type=f"Value{SCRIPT}Error",
        message=f"{SCRIPT} {IMG} {ATTR} {UNICODE} {CONTROL}",
        frames=(Frame(where=f"{IMG}.py", line=1, code=SCRIPT, function=ATTR),),
        traceback=f'  File "{IMG}.py", line 1, in {ATTR}\n    {SCRIPT}\nValueError: {SCRIPT} {CONTROL}\n',
    )
    unit = UnitError(where=f"{IMG}.ipynb, cell [1]", error=err)
    return result(
        sid,
        [
            question(
                "softmax",
                [
                    failed(
                        "softmax/rows-2x3",
                        message=f"{TOL} {SCRIPT}",
                        output=f"{SCRIPT}\n{IMG}\n{ATTR}\n{UNICODE}\n{CONTROL}\n" + "y" * 9000,
                        notes=(f"note {SCRIPT}",),
                        hint=f"hint {IMG}",
                        mistake=f"mistake-{ATTR}",
                        mismatch=values_mismatch(heat=((1.0, 0.0), (0.0, 0.5))),
                    ),
                    errored("softmax/stable-large", error=err, message=f"softmax raised {SCRIPT}", output=IMG),
                    failed("softmax/hidden", visibility="hidden", message=f"hidden {SCRIPT}", output=f"hidden-output {SCRIPT}"),
                ],
            ),
        ],
        source=f"{IMG}.zip",
        errors=(f"problem {SCRIPT}",),
        notes=(f"translated {IMG}", UNICODE, CONTROL),
        isolation=f"bwrap{SCRIPT}",
        grader_version=f"0.1.0{ATTR}",
        late=True,
        load=LoadReport(
            modules=(SCRIPT,),
            functions={"softmax": IMG},
            unit_errors=(unit,),
            notes=(f"stand-in {SCRIPT}",),
            output=f"{SCRIPT}{IMG}{CONTROL}",
        ),
        files=(
            SourceFile(
                path=f"{IMG}.py",
                text=SCRIPT,
                origin=f"{IMG}.ipynb",
                cells=(Cell(0, f"cell [{SCRIPT}]", SCRIPT, SCRIPT),),
                translated=True,
                translation_diff=f"-print {SCRIPT}\n+print({SCRIPT})\n{IMG}\n",
            ),
        ),
        consistency=(Consistency(case=SCRIPT, wrt=IMG, status="inconsistent", message=f"{SCRIPT}{ATTR}"),),
        canvas=CanvasInfo(name=f"{SCRIPT}, {IMG}", user_id="1005", submission_id=IMG),
    )


def batch() -> list[SubmissionResult]:
    """A small batch with every kind of result."""
    return [all_pass(), mixed(), errors(), submission_error(), gradient_wrong(), hostile()]
