"""Grade one submission: run it in the sandbox, judge each check, score by the rubric."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, Mapping

from . import cases as _cases
from . import checks as _checks
from .mistakes import Memo
from .model import Call, Case, CheckResult, CheckSpec, Consistency, Rubric, Submission, SubmissionResult
from .sandbox import Sandbox
from .score import score


@dataclass(frozen=True)
class Job:
    """What every submission of a batch is graded against; built once per rubric.

    The cases' expected values live here, in the grader's process only, and so does
    ``memo``: what depends only on the cases (wrong formulas' values on them, expected
    values prepared for comparisons), computed when a first submission needs it and
    reused by the rest of the batch.  It is keyed by case id: a Job with other cases
    needs its own Memo (``prepare`` makes one; ``replace(job, cases=...)`` would not).
    """

    rubric: Rubric
    reference: ModuleType | None
    cases: Mapping[str, Case]
    calls: tuple[Call, ...]
    public_only: bool = False
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)
    written: Any = None  #: grader.written.grading.WrittenJob when the rubric has written questions


def public_rubric(rubric: Rubric) -> Rubric:
    """Return ``rubric`` with only its public checks (a student's self-check)."""
    questions = []
    for q in rubric.questions:
        checks = tuple(c for c in q.checks if c.visibility == "public")
        if checks:
            questions.append(replace(q, checks=checks))
    return replace(rubric, questions=tuple(questions))


def prepare(rubric: Rubric, *, public_only: bool = False, cases: Mapping[str, Case] | None = None,
            reference: ModuleType | None = None) -> Job:
    """Build the cases (inputs and expected values) and the calls for ``rubric``.

    Parameters
    ----------
    rubric : Rubric
        The rubric to grade against.
    public_only : bool
        Keep only public checks (``grader check``).
    cases : mapping, optional
        Ready-made cases (a student kit brings its own expected values); built from
        the reference when None.
    reference : module, optional
        The reference module, when the caller already loaded it.
    """
    if public_only:
        rubric = public_rubric(rubric)
    if cases is None:
        reference = reference if reference is not None else _cases.load_reference(rubric)
        cases = _cases.build(rubric, reference)
    calls = tuple(_cases.plan(rubric, cases))
    written = None
    if rubric.written is not None:
        from .written.grading import prepare as prepare_written

        written = prepare_written(rubric)
    return Job(rubric=rubric, reference=reference, cases=cases, calls=calls, public_only=public_only,
               written=written)


#: Said once per submission graded with hidden checks.
HIDDEN_NOTE = ("Hidden checks ran in a process of their own, after the public ones: what your code printed, "
               "raised or returned there is not shown.")
#: A hidden check's message when it failed, by the reason it failed (no shape, type or value).
_HIDDEN_FAIL = {
    "type": "The value returned is not of the expected type.",
    "shape": "The value returned does not have the expected shape.",
    "nonfinite": "The value returned holds NaN or infinite values.",
    "values": "The value returned is not within tolerance of the expected values.",
}


def _withheld(spec: CheckSpec, result: CheckResult) -> CheckResult:
    """A hidden check as the student may see it: its status, points, a message without anything
    the student's code chose (a shape, a type name, a count, an exception's text, a printed
    line), the named mistake and the grader's notes (a convention recognised, a shape accepted);
    no values, shapes or output (nor in result.json)."""
    if result.visibility != "hidden":
        return result
    message = result.message
    if result.status == "fail" and message.startswith("Not implemented: "):  # settings.not_implemented = "fail"
        message = "Not implemented: the starter's placeholder is still there."
    elif spec.compare == "unmodified":
        pass  # the grader's words only (a hidden call's error text is already withheld)
    elif spec.compare in ("behaviour", "property"):
        # Their messages quote what the function printed or what examining its answer raised.
        if result.status == "pass":
            message = "Right (the details are not shown on hidden checks)."
        elif result.status == "fail":
            message = "What was returned or printed does not pass this check (details are not shown on hidden checks)."
    elif result.status == "fail" and result.mismatch is not None:
        # "values": the tolerance's words and the grader's diagnosis (a convention), no number
        # of the student's; the other reasons name a type, a shape or a count the code chose.
        if result.mismatch.reason != "values":
            message = _HIDDEN_FAIL.get(result.mismatch.reason, _HIDDEN_FAIL["values"])
    elif result.status == "fail":
        message = "What was returned does not pass this check (details are not shown on hidden checks)."
    return replace(result, message=message, got=None, expected=None, mismatch=None, output="")


def _consistency_withheld(c: Consistency) -> Consistency:
    """The self-consistency verdict on a hidden case: its status only (its figures come from the student)."""
    return replace(c, max_abs=None, max_rel=None,
                   message="" if c.status == "consistent" else "(details are not shown for a hidden case)")


def _not_run(spec: CheckSpec, message: str) -> CheckResult:
    return CheckResult(id=spec.id, question=spec.question, status="error", score=0.0, max_score=spec.points,
                       message=message, visibility=spec.visibility)


def grade(submission: Submission, job: Job, sandbox: Sandbox | None) -> SubmissionResult:
    """Grade ``submission``: every verdict is computed here, from the plain arrays the sandbox returned.

    Never raises for a student's fault: a submission that cannot be loaded or run
    gets status "error" with the reason, and a check whose call failed gets status
    "error" with a message saying what happened.
    """
    t0 = time.monotonic()
    rubric = job.rubric
    if submission.error or sandbox is None:
        message = f"not graded: {submission.error or 'no sandbox'}"
        results = [_not_run(c, message) for c in rubric.checks()]
        if job.written is not None:
            from .written.judge import missing

            results += [missing(q, message) for q in job.written.part.questions]
        return score(rubric, submission, None, results, public_only=job.public_only)
    run = sandbox.run(submission, job.calls, functions=rubric.functions, starter=rubric.starter,
                      settings=rubric.settings)
    results = []
    for spec in rubric.checks():
        case = job.cases.get(spec.case)
        outcome = run.outcomes.get(f"{spec.function}:{spec.case}")
        if case is None:
            results.append(_not_run(spec, f"the case {spec.case!r} is not available"))
            continue
        results.append(_withheld(spec, _checks.judge(spec, case, outcome, rubric, job.reference, job.memo)))
    if job.written is not None:  # written answers are text: judged here, never in the sandbox
        from .written.grading import grade as grade_written

        results += grade_written(job.written, submission)
    consistency = _checks.read_consistency(rubric, results, _checks.consistency(rubric, job.cases, run.outcomes, job.memo))
    consistency = tuple(_consistency_withheld(c) if c.case in job.cases and not job.cases[c.case].spec.public
                        else c for c in consistency)
    result = score(rubric, submission, run, results, consistency=consistency, public_only=job.public_only)
    # How calls were adapted (e.g. the 2015 signature without `dataset`) is said once, for the submission.
    adapted = []
    if any(call.hidden for call in job.calls):
        adapted.append(HIDDEN_NOTE)
    for call in job.calls:
        outcome = run.outcomes.get(call.id)
        where = run.load.functions.get(call.function, call.function).rsplit(".", 1)[-1]
        for note in outcome.notes if outcome is not None else ():
            line = f"{where}: {note}"
            if line not in adapted and line not in result.notes:
                adapted.append(line)
    return replace(result, notes=result.notes + tuple(adapted), seconds=time.monotonic() - t0)
