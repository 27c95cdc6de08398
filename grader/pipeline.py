"""Grade one submission: run it in the sandbox, judge each check, score by the rubric."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from types import ModuleType
from typing import Any, Mapping

import numpy as np

from . import cases as _cases
from . import checks as _checks
from . import sampling as _sampling
from .mistakes import Memo
from .model import Call, CallOutcome, LoadReport, Case, CheckResult, CheckSpec, Consistency, CostFn, Rubric, Submission, SubmissionResult, Value
from .regrade import CONSISTENCY, calls_for
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
    #: built-in rubric name -> this job in that rubric's words (``reworded``), made when a first
    #: submission of its version is graded
    worded: dict = field(default_factory=dict, compare=False, repr=False)
    #: rubric name -> this job's rubric already in that rubric's words (a student kit brings its own:
    #: grader.kit.kit_words); a name not here is a built-in rubric, loaded and applied (rubric.reworded)
    words: Mapping[str, Rubric] = field(default_factory=dict, compare=False, repr=False)


def reworded(job: Job, submission: Submission) -> Job:
    """Return `job` in the words of the submission's own course version, where the rubric's
    ``wording`` names a rubric for it (an a2 student graded under problem-set reads a2's loss,
    centerWordVec, naiveSoftmaxLossAndGradient, word2vec.py): the same checks, cases and points.
    The version is recognised statically (grader.recognise), as ``grader check`` does."""
    wording = job.rubric.wording
    if not wording or submission.error or not submission.files:
        return job
    from .recognise import recognise

    try:
        name = wording.get(recognise(submission).version, "")
    except Exception:  # noqa: BLE001 - not recognised: the rubric's own words
        return job
    if not name:
        return job
    if name not in job.worded:
        from .rubric import load_rubric, reworded as reword

        words = job.words[name] if name in job.words else load_rubric(name)
        if words.name == job.rubric.name and name not in job.words:
            job.worded[name] = job
        else:
            rubric = words if name in job.words else reword(job.rubric, words)
            cases = {cid: replace(c, spec=rubric.cases[c.spec.id]) if c.spec.id in rubric.cases else c
                     for cid, c in job.cases.items()}
            job.worded[name] = replace(job, rubric=rubric, cases=cases, worded={})
    return job.worded[name]


def public_rubric(rubric: Rubric) -> Rubric:
    """Return ``rubric`` with only its public checks (a student's self-check)."""
    questions = []
    for q in rubric.questions:
        checks = tuple(c for c in q.checks if c.visibility == "public")
        if checks:
            questions.append(replace(q, checks=checks))
    return replace(rubric, questions=tuple(questions))


def prepare(rubric: Rubric, *, public_only: bool = False, cases: Mapping[str, Case] | None = None,
            reference: ModuleType | None = None, words: Mapping[str, Rubric] | None = None) -> Job:
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
    words : mapping, optional
        Rubric name -> `rubric` in the words of that rubric (a student kit's, grader.kit.kit_words),
        used for the rubric's ``wording`` instead of the built-in rubric of that name.
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
    if public_only and words:
        words = {name: public_rubric(w) for name, w in words.items()}
    return Job(rubric=rubric, reference=reference, cases=cases, calls=calls, public_only=public_only,
               written=written, words=dict(words or {}))


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


def written_only(submission: Submission, job: Job) -> bool:
    """Return whether only `submission`'s prose is graded: it holds no code but prose and `job`'s rubric has
    written questions, or the rubric has written questions only (its code, if any, is never run)."""
    if job.written is None:
        return False
    if not job.rubric.functions:
        return bool(submission.texts or not submission.error)
    return bool(submission.error and not submission.files and submission.texts)


def no_written_answers(submission: Submission, job: Job) -> str | None:
    """The error of a submission holding nothing a rubric of written questions only can read, in its words.

    None for any other rubric, or a submission with prose to read.  (The loader's error speaks of
    Python code, which such a rubric never asks for.)
    """
    if job.written is None or job.rubric.functions or written_only(submission, job) or not submission.error:
        return None
    source = submission.source or submission.id
    if "no Python code found" not in submission.error and "holds no Python code" not in submission.error:
        return None  # a zip that cannot be read, a file too large: the loader's words are right
    first = job.written.part.questions[0].id if job.written.part.questions else "<id>"
    return (f"no written answers found in {source}: write them in written.md or written.tex, a section per "
            f"question headed by its id ('## {first}'), or in a notebook's Markdown cells; other files (a PDF, "
            "a Word document) are not read.")


def _written_only(submission: Submission, job: Job, t0: float) -> SubmissionResult:
    """Grade a submission of prose only (written.md, a notebook of Markdown) under a rubric with written questions.

    Its written answers are graded; its code checks fail, saying that no code was handed in
    (the loader's reason).  Nothing runs: the answers are text.
    """
    from .written.grading import grade as grade_written

    message = f"not run: {submission.error}"
    results = [_not_run(c, message) for c in job.rubric.checks()]
    results += grade_written(job.written, submission)
    notes = submission.notes
    if job.rubric.functions:
        notes += ("no Python code was handed in: the written answers were graded, and every code check failed.",)
    written = replace(submission, error=None, notes=notes)
    result = score(job.rubric, written, None, results, public_only=job.public_only)
    return replace(result, seconds=time.monotonic() - t0)


def _not_run(spec: CheckSpec, message: str) -> CheckResult:
    return CheckResult(id=spec.id, question=spec.question, status="error", score=0.0, max_score=spec.points,
                       message=message, visibility=spec.visibility)


def _judge(spec: CheckSpec, case: Case, outcome: CallOutcome | None, job: Job) -> CheckResult:
    """Judge one check; a negative-sampling case is first resolved on what this student drew."""
    notes: tuple[str, ...] = ()
    problem = ""
    draws = None
    scripted = case
    if _cases.scripted(case.args) is not None and outcome is not None and outcome.status == "ok":
        draws = _sampling.read(case, outcome.draws or (), job.rubric)
        notes, problem = _sampling.judge_notes(spec, draws, job.rubric)
        case = _sampling.resolve(case, draws, job.rubric, job.reference, job.memo)
        if spec.compare == "close" and spec.expected not in case.expected:  # a kit without these draws
            return CheckResult(
                id=spec.id, question=spec.question, status="fail", score=0.0, max_score=spec.points,
                visibility=spec.visibility, case=case.spec.description, notes=notes,
                message=("This check can't be made offline on your draws: the student kit has the expected "
                         "values only for an implementation that draws its K samples once (rejecting the "
                         "target, or using it); the grader computes them on whatever you draw. "
                         + (problem or "")).strip())
    result = _checks.judge(spec, case, outcome, job.rubric, job.reference, job.memo)
    if (draws is not None and draws.convention == "use" and result.status == "fail" and result.mistake is None
            and spec.compare == "close" and job.reference is not None):
        # K draws, the target among them, and an answer that is not theirs: is it that of the draws less the
        # target (left out, not drawn again)?  The draws alone read as "used".
        left_out = _sampling.resolve(scripted, draws, job.rubric, job.reference, job.memo, convention="reject")
        if spec.expected in left_out.expected and _checks.judge(
                spec, left_out, outcome, job.rubric, job.reference, job.memo).status == "pass":
            notes, problem = _sampling.dropped(spec, draws, job.rubric)
    if notes or problem:
        message = result.message
        if problem and result.status != "pass" and result.mistake is None:
            message = f"{message} {problem[0].upper()}{problem[1:]}"  # said there, once
            problem = ""
        elif problem and result.status != "pass" and _says_convention(job.rubric, result.mistake, draws.convention):
            problem = ""  # the named mistake is this convention: it says it
        result = replace(result, message=message, notes=result.notes + notes + ((problem,) if problem else ()))
    return result


def _decided(rubric: Rubric, results: list[CheckResult], functions: Mapping[str, str]) -> list[CheckResult]:
    """The checks as judged one by one, read again beside their question's other checks: a named
    mistake only where it explains its question, an "unmodified" check's points only beside a right answer."""
    return _unanswered(rubric, _named_for_most(rubric, _named_alone(results)), functions)


def _named_for_most(rubric: Rubric, results: list[CheckResult]) -> list[CheckResult]:
    """Take back a named mistake that explains a minority of its question's wrong answers.

    A mistake is of the function, not of one input: one that matches a case where a term of
    the answer vanishes (a sigmoid saturated, so that "the whole gradient's sign" and "one
    term's sign" give the same numbers) but not the question's other wrong answers, on which
    it was tried too, is a coincidence there.  Counted over the question's checks that failed
    on their values (not on a shape, a type or a nan) and tried it.
    """
    specs = rubric.checks()
    matched: dict[tuple[str, str], int] = {}
    missed: dict[tuple[str, str], int] = {}
    for spec, r in zip(specs, results):
        if r.status != "fail" or r.mismatch is None or r.mismatch.reason != "values":
            continue
        for m in spec.mistakes:
            key = (r.question, m)
            if r.mistake == m:
                matched[key] = matched.get(key, 0) + 1
            else:
                missed[key] = missed.get(key, 0) + 1
    out = []
    for r in results:
        key = (r.question, r.mistake or "")
        if r.mistake and matched.get(key, 0) < missed.get(key, 0):
            r = replace(r, mistake=None, hint=None)
        out.append(r)
    return out


def _says_convention(rubric: Rubric, mistake: str | None, convention: str) -> bool:
    """True when the named mistake is the sampling convention the student followed (its ``convention`` key)."""
    return mistake is not None and rubric.mistakes.get(mistake, {}).get("convention") == convention


def _named_alone(results: list[CheckResult]) -> list[CheckResult]:
    """Keep a named mistake matched by an answer without one finite number only where it explains its question.

    A cost that is nan on every input "matches" softmax without its max-shift on the extreme
    case; the mistake explains that answer only if the question's other checks do not fail
    for another reason (the same cost, nan on the small case too).  There the name goes.
    """
    unexplained: dict[str, list[CheckResult]] = {}
    for r in results:
        if r.status != "pass":
            unexplained.setdefault(r.question, []).append(r)
    out = []
    for r in results:
        m = r.mismatch
        if (r.mistake and m is not None and m.reason == "nonfinite" and m.n_bad == m.n_total
                and any(o is not r and o.mistake != r.mistake for o in unexplained.get(r.question, ()))):
            r = replace(r, mistake=None, hint=None)
        out.append(r)
    return out


def _unanswered(rubric: Rubric, results: list[CheckResult], functions: Mapping[str, str]) -> list[CheckResult]:
    """Take back an "unmodified" check's points where none of its function's answers was right.

    Leaving the caller's arrays alone is a property of a working function: a stub that returns
    its argument, or code returning zeros or nan, leaves them alone too, and would otherwise
    score those points for computing nothing.  Only where the rubric checks the function's
    answers at all (its "close" checks, those graded in this run).
    """
    specs = rubric.checks()
    answered: dict[str, bool] = {}
    for spec, r in zip(specs, results):
        if spec.compare == "close":
            answered[spec.function] = answered.get(spec.function, False) or r.status == "pass"
    out = []
    for spec, r in zip(specs, results):
        if spec.compare == "unmodified" and r.status == "pass" and answered.get(spec.function) is False:
            name = _named_found(functions, rubric, spec.function)
            r = replace(r, status="fail", score=0.0, hint=None, mistake=None,
                        message=(f"Not credited: {name} left its arguments unchanged, but none of its answers was "
                                 "right; leaving them alone earns these points beside a working function only."))
        out.append(r)
    return out


def _own_placeholder(outcome: CallOutcome | None, name: str) -> bool:
    """True when the call raised NotImplementedError in the function itself (its own starter's
    placeholder), not in a function it calls: then nothing it was passed is a cause.  False when
    the frames do not say where it was raised (a hidden call's error keeps none)."""
    error = outcome.error if outcome is not None and outcome.status == "raised" else None
    if error is None or error.type != "NotImplementedError" or not error.frames:
        return False
    inner = error.frames[-1].function
    return inner == name or name.endswith(f".{inner}")


def _explained(rubric: Rubric, cases: Mapping[str, Case], outcomes: Mapping[str, CallOutcome],
               results: list[CheckResult], functions: Mapping[str, str] | None = None) -> list[CheckResult]:
    """Say why skip-gram/CBOW checks failed when the cost function passed to them explains it.

    - A check made with the student's own cost function (``same_as`` names its twin, made
      with a cost function of the grader's) that fails, or raises, while its twin passes: the
      message names the cost function's questions as the cause.
    - A check made with the grader's cost function that failed and never called it: the
      message says the function it was given must be called, or, when it returned zeros, that
      it is still the starter's placeholder (and so do its twins with the student's own).
    """
    by_id = {r.id: r for r in results}
    specs = {s.id: s for s in rubric.checks()}
    # functions that returned zeros without calling the grader's cost function, where that is what the
    # year's starter returns (``stub = "returns-zeros"``); elsewhere it is a wrong answer, said below
    stubs = set()
    for spec in specs.values():
        case = cases.get(spec.case)
        o = outcomes.get(f"{spec.function}:{spec.case}")
        fn = rubric.functions.get(spec.function)
        if fn is not None and fn.stub == "returns-zeros" and case is not None and o is not None \
                and any(isinstance(a, CostFn) and a.table for a in case.args) \
                and o.costfn_calls == 0 and _all_zeros(o.value):
            stubs.add(spec.function)
    out = []
    for r in results:
        spec = specs.get(r.id)
        if spec is None or r.status not in ("fail", "error"):
            out.append(r)
            continue
        case = cases.get(spec.case)
        costfn = next((a for a in case.args if isinstance(a, CostFn)), None) if case is not None else None
        # (an error too where the student's own cost function is passed: it may make the call raise, a
        # gradient of the wrong shape; the course's own checks pass it with no twin of the grader's)
        if r.status == "error" and not spec.same_as and not (costfn is not None and costfn.role and not costfn.table):
            out.append(r)
            continue
        twin = by_id.get(spec.same_as) if spec.same_as else None
        o_self = outcomes.get(f"{spec.function}:{spec.case}")
        costfn_word = _costfn_word(rubric, next((a.role for c in (case, *cases.values()) if c is not None
                                                 for a in c.args if isinstance(a, CostFn) and a.role), ""))
        if spec.function in stubs and o_self is not None and _all_zeros(o_self.value):
            r = replace(r, message=(f"Not implemented: {_named_found(functions or {}, rubric, spec.function)} returned zeros without calling "
                                    f"the {costfn_word} it was given (the starter's placeholder is still there?)."))
        elif costfn is not None and costfn.role and twin is not None and twin.status == "pass":
            fname = _named_found(functions or {}, rubric, costfn.role)
            wrong = _failed_questions(rubric, by_id, costfn.role)
            if wrong:
                cause = (f" (see the question{'s' if len(wrong) > 1 else ''} {', '.join(wrong)}), not from this "
                         "function's own logic.")
            else:  # its own checks pass: it returns what they accept and this function does not use as given
                cause = (f", not from this function's own logic: {fname}'s own checks pass, so compare the shapes and "
                         "types it returns with those asked for (its checks accept some others, such as (1, d) for "
                         "(d,)).")
            r = replace(r, message=(f"{r.message} With a {costfn_word} of the grader's, this same call is right: "
                                    f"the difference comes from your {fname}, passed to it{cause}"))
        elif costfn is not None and costfn.role and not costfn.table and not spec.same_as \
                and not _own_placeholder(o_self, _named_found(functions or {}, rubric, spec.function)) \
                and (wrong := _failed_questions(rubric, by_id, costfn.role)):
            # no twin with the grader's function (the course's own sanity check): its cause may still be
            # the student's function passed to it, whose own questions failed
            r = replace(r, message=(f"{r.message} This call passes your {_named_found(functions or {}, rubric, costfn.role)}, which "
                                    f"failed its own question{'s' if len(wrong) > 1 else ''} ({', '.join(wrong)}): "
                                    f"the {'error' if r.status == 'error' else 'difference'} may come from it."))
        elif costfn is not None and costfn.table:
            o = outcomes.get(f"{spec.function}:{spec.case}")
            returned = o is not None and o.value is not None and o.value.type != "NoneType"  # (a stub says so)
            if returned and o.costfn_calls == 0:  # (returning zeros, the starter's: said above, as a stub)
                word = costfn_word.removesuffix(" function")
                r = replace(r, message=(f"{r.message} {_named_found(functions or {}, rubric, spec.function)} never called the {costfn_word} "
                                        f"it was given as an argument: its {word} and gradients must come from that "
                                        "function."))
        out.append(r)
    return out


def _failing_callees(rubric: Rubric, submission: Submission, functions: Mapping[str, str], results: list[CheckResult]
                     ) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, set[str]]]:
    """Return what a failing check may owe to the functions its function calls: the functions still the
    starter's stub (role -> its questions failing as a stub), those failing otherwise (role -> its questions
    with a public check that fails), and which function calls which (role -> roles; read from the student's
    code, parsed, never run; only when either of the first two is not empty)."""
    stubbed: dict[str, list[str]] = {}
    wrong: dict[str, list[str]] = {}
    by_id = {r.id: r for r in results}
    for q in rubric.questions:
        for spec in q.checks:
            r = by_id.get(spec.id)
            # (a "Not implemented: F calls G, which ..." is G's stub, not F's)
            if r is not None and r.status == "fail" and r.message.startswith("Not implemented") \
                    and " calls " not in r.message:
                qs = stubbed.setdefault(spec.function, [])
                if q.id not in qs:
                    qs.append(q.id)
            elif r is not None and r.status in ("fail", "error") and r.visibility != "hidden" \
                    and not r.message.startswith("Not implemented"):
                qs = wrong.setdefault(spec.function, [])
                if q.id not in qs:
                    qs.append(q.id)
    for role in stubbed:
        wrong.pop(role, None)
    # A failing function is named as a cause only on a wrong value of another function (beside a mistake of
    # its own, only where the callee computes wrong values): without such a check, the code is not parsed (a
    # cost on every submission).
    miscomputed = {spec.function for spec, r in zip(rubric.checks(), results) if _miscomputes(r)}
    blamable = len(wrong) > 1 and any(r.status == "fail" and r.mismatch is not None and r.visibility != "hidden"
                                      and (not r.mistake or miscomputed - {spec.function})
                                      for spec, r in zip(rubric.checks(), results))
    if not stubbed and not blamable:
        return stubbed, wrong, {}
    return stubbed, wrong, _calls_between(submission, functions)


def _miscomputes(r: CheckResult) -> bool:
    """Whether a check shows its function computing wrong values (not only a wrong shape, or an argument
    changed in place), in a public check."""
    return r.status == "fail" and r.visibility != "hidden" and r.mismatch is not None and r.mismatch.reason == "values"


def _stub_called(rubric: Rubric, functions: Mapping[str, str], results: list[CheckResult],
                 stubbed: Mapping[str, list[str]], wrong: Mapping[str, list[str]],
                 calls: Mapping[str, set[str]]) -> list[CheckResult]:
    """Name a function that is still the starter's stub, or fails its own question, as the likely cause of
    the failures of its callers.

    CS224d 2015's ``softmaxRegression`` calls the student's ``softmax``; with ``softmax`` still
    the starter's ``return x``, softmaxRegression's checks failed as its own wrong answers.
    A check that did not pass (not itself "Not implemented", not hidden) of a function whose
    definition calls another function of the rubric, whose own checks fail as a stub, says
    so; one calling a function that fails its own question otherwise says that, on a wrong
    value with no mistake of its own (`stubbed`, `wrong`, `calls`: from :func:`_failing_callees`;
    a stub that raises is named by the call itself: "calls X, which ...", grader.checks).
    """
    if not stubbed and not wrong:
        return results
    said: dict[str, str] = {}
    blamed: dict[str, list[str]] = {}
    miscomputed = {spec.function for spec, r in zip(rubric.checks(), results) if _miscomputes(r)}
    out = []
    for spec, r in zip(rubric.checks(), results):
        if r.status in ("fail", "error") and r.visibility != "hidden" and not r.message.startswith("Not implemented"):
            if spec.function not in said:
                callees = [g for g in stubbed if g != spec.function and g in calls.get(spec.function, ())]
                said[spec.function] = " ".join(
                    f"{_named_found(functions, rubric, spec.function)} calls {_named_found(functions, rubric, g)}, "
                    f"which is still the starter's stub (see the question{'s' if len(stubbed[g]) > 1 else ''} "
                    f"{', '.join(stubbed[g])}): it may be the cause; implement "
                    f"{_named_found(functions, rubric, g)} first." for g in callees)
                # a function of the rubric it calls that fails its own checks (CS224d's sigmoid, called by
                # forward_backward_prop and negSamplingCostAndGradient): a likely cause too
                failing = [g for g in wrong if g != spec.function and g in calls.get(spec.function, ())
                           and not set(wrong[g]) & {q.id for q in rubric.questions
                                                    for c in q.checks if c.function == spec.function}]
                blamed[spec.function] = failing
            if said[spec.function]:
                r = replace(r, message=f"{r.message} {said[spec.function]}")
            elif blamed[spec.function] and r.status == "fail" and r.mismatch is not None:
                # (only wrong values: a wrong shape is its own).  A mistake of its own recognised there may be
                # the error of a callee computing wrong values, seen through it (a step "uphill" from a gradient
                # whose sign is wrong), or its own: both are said
                # (a mistake of its own that already names the callee, "through sigmoid_grad on x (see the
                # sigmoid_grad question)", is that cause said once)
                callees = [g for g in blamed[spec.function] if not r.mistake or (
                    g in miscomputed and not any(re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", r.hint or "")
                                                 for w in (_named_found(functions, rubric, g), *wrong[g])))]
                instead = ", rather than the likely mistake named here" if r.mistake else ""
                note = " ".join(
                    f"{_named_found(functions, rubric, spec.function)} calls {_named_found(functions, rubric, g)}, "
                    f"which failed its own question{'s' if len(wrong[g]) > 1 else ''} ({', '.join(wrong[g])}): "
                    f"it may be the cause{instead}; fix {_named_found(functions, rubric, g)} first." for g in callees)
                if note:
                    r = replace(r, message=f"{r.message} {note}")
        out.append(r)
    return out


def _cost_stubs(rubric: Rubric, functions: Mapping[str, str], stubbed: Mapping[str, list[str]],
                calls: Mapping[str, set[str]]) -> list[str]:
    """The names of the stubs that the function of the rubric's self-consistency comparison calls."""
    role = (rubric.consistency or {}).get("function", "")
    return [_named_found(functions, rubric, g) for g in stubbed if g != role and g in calls.get(role, ())]


def _named_found(functions: Mapping[str, str], rubric: Rubric, role: str) -> str:
    """The name the student's code gives the function `role` (the rubric's first name when not found)."""
    found = functions.get(role, "")
    return found.rsplit(".", 1)[-1] if found else _named(rubric, role)


def _calls_between(submission: Submission, functions: Mapping[str, str]) -> dict[str, set[str]]:
    """Return, for each role found, the roles whose functions its definition calls by name (parsed, not run)."""
    from .pyast import definitions

    role_of = {found.rsplit(".", 1)[-1]: role for role, found in functions.items() if found}
    last: dict[str, frozenset[str]] = {}  # the names each function's last definition calls, as running the code keeps it
    for f in submission.files:
        for text in ([c.source for c in f.cells] if f.cells else [f.text]):
            last.update(definitions(text).calls)
    return {role_of[name]: {role_of[g] for g in called if g in role_of and g != name}
            for name, called in last.items() if name in role_of}


def _failed_questions(rubric: Rubric, by_id: Mapping[str, CheckResult], role: str) -> list[str]:
    """The questions with a check of the function `role` that did not pass."""
    return [q.id for q in rubric.questions
            if any(c.function == role and by_id.get(c.id) is not None and by_id[c.id].status != "pass"
                   for c in q.checks)]


def _costfn_word(rubric: Rubric, role: str) -> str:
    """How the course calls the function passed to skip-gram/CBOW: "cost function" (CS224d), "loss
    function" (a2, whose ``shown`` names the cost function's `cost` "loss")."""
    fn = rubric.functions.get(role)
    return f"{fn.said('cost') if fn is not None else 'cost'} function"


def _named(rubric: Rubric, role: str) -> str:
    """The name a function of the rubric is said by: its first accepted name (the role without one)."""
    fn = rubric.functions.get(role)
    return fn.names[0] if fn and fn.names else role


def _all_zeros(value: Value | None) -> bool:
    """Whether a returned value (a tuple of them) is numbers, every one 0."""
    items = value.items if value is not None and value.items is not None else ((value,) if value is not None else ())
    arrays = [v.array for v in items if v is not None and v.array is not None]
    return bool(arrays) and len(arrays) == len(items) and all(
        a.dtype.kind in "biuf" and not np.any(a) for a in arrays)


@dataclass(frozen=True)
class Partial:
    """Grade only some questions again; take the others' verdicts from an earlier result (``grader.regrade``)."""

    questions: frozenset[str]  #: question ids graded again ("consistency", "written/<id>" included)
    previous: SubmissionResult  #: the earlier result, without people's overrides (``overrides.automatic``)


def grade(submission: Submission, job: Job, sandbox: Sandbox | None, partial: Partial | None = None) -> SubmissionResult:
    """Grade ``submission``: every verdict is computed here, from the plain arrays the sandbox returned.

    Never raises for a student's fault: a submission that cannot be loaded or run
    gets status "error" with the reason, and a check whose call failed gets status
    "error" with a message saying what happened.

    With ``partial``, only its questions are graded: the sandbox makes only the calls they
    need (none when there are none), and the other questions' check results, notes and
    self-consistency comparisons are those of ``partial.previous`` (the comparisons' verdicts
    are read again beside the checks as now graded); the score is computed again by the rubric.  When that run fails as a whole (the submission could not be
    loaded), every question is graded instead.
    """
    job = reworded(job, submission)
    if partial is not None and not submission.error and sandbox is not None:
        result = _regrade(submission, job, sandbox, partial)
        if result is not None:
            return result
    t0 = time.monotonic()
    rubric = job.rubric
    if written_only(submission, job):
        return _written_only(submission, job, t0)
    said = no_written_answers(submission, job)
    if said:
        submission = replace(submission, error=said)
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
        results.append(_judge(spec, case, outcome, job))
    results = [_withheld(spec, r) for spec, r in zip(rubric.checks(), _decided(rubric, results, run.load.functions))]
    results = _explained(rubric, job.cases, run.outcomes, results, run.load.functions)
    stubbed, wrong, called = _failing_callees(rubric, submission, run.load.functions, results)
    results = _stub_called(rubric, run.load.functions, results, stubbed, wrong, called)
    if job.written is not None:  # written answers are text: judged here, never in the sandbox
        from .written.grading import grade as grade_written

        results += grade_written(job.written, submission)
    consistency = _checks.read_consistency(rubric, results, _checks.consistency(rubric, job.cases, run.outcomes, job.memo, run.load.functions),
                                           _cost_stubs(rubric, run.load.functions, stubbed, called))
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
    adapted += [n for n in duplicate_notes(submission, rubric.functions, run.load.functions) if n not in result.notes]
    failed = {spec.function for spec, r in zip(rubric.checks(), results) if r.status != "pass"}
    adapted += [n for n in cell_duplicate_notes(submission, rubric.functions, run.load.functions, failed)
                if n not in result.notes]
    if job.written is None:
        adapted += unread_prose_notes(submission)
    return replace(result, notes=result.notes + tuple(_globals_said_once(adapted)), seconds=time.monotonic() - t0)


#: What the note of :func:`unread_prose_notes` says, for the commands that look for it.
UNREAD_PROSE = "handed in, but this rubric grades code only"


def unread_prose_notes(submission: Submission) -> list[str]:
    """A note for the written answers handed in (written.md, a .tex file) that a rubric without
    written questions does not read: the student is told, not left to think they were graded.

    A notebook's Markdown and other prose (a README.md) are not named: they are not answers.
    """
    files = [t.origin for t in submission.texts if not t.cells and (
        t.origin.lower().endswith(".tex") or PurePosixPath(t.path).name.lower().startswith("written"))]
    if not files:
        return []
    one = len(files) == 1
    return [f"{', '.join(files)} {'was' if one else 'were'} {UNREAD_PROSE}: "
            f"{'it was' if one else 'they were'} not read, and no written answer is in this score."]


#: How :func:`cell_duplicate_notes` begins its note's second part (the in-notebook check says its own).
CELLS_DUPLICATE = "the cells run from top to bottom"


def defining_cells(submission: Submission, where: str, *, kernel: bool = False) -> tuple[str, list[str]]:
    """The path of the notebook whose module `where` (``"module.name"``) names, and the labels of its cells
    that define the function at top level, in the notebook's order (read, never run); ("", []) when no
    notebook is that module.  `kernel`: only the kernel's runs."""
    from .pyast import definitions

    module, name = where.rsplit(".", 1)
    for f in submission.files:
        if f.cells is None or ("".join(ch if ch.isalnum() else "_" for ch in f.module) or "notebook") != module:
            continue
        return f.path, [c.label for c in f.cells if not (kernel and not c.label.startswith("cell ["))  # (kernel_runs)
                        and name in definitions(c.source).functions]
    return "", []


def _run_number(label: str) -> int | None:
    """The n of a cell's label "cell [n]" (its execution count), None for "cell #5"."""
    m = re.fullmatch(r"cell \[(\d+)\]", label)
    return int(m.group(1)) if m else None


def cell_duplicate_notes(submission: Submission, functions: Mapping[str, Any], found: Mapping[str, str],
                         failed: set[str], *, kernel: bool = False, saved: bool = False,
                         held: Mapping[str, str] | None = None) -> list[str]:
    """Return a note for each graded function, with a check that did not pass, that several cells of its notebook define.

    The last of them in the notebook is the one graded (the cells run from top to bottom): a
    right version above a scratch one, or run after it in the kernel, is not.  A cell's
    top-level ``def`` of the function's name counts; cells are read, never run.  `kernel`:
    the notebook the in-notebook check built (:mod:`grader.kernel`), whose cells are the
    kernel's runs in the order they were run: only the runs (``cell [n]``, In[n]) count.
    `saved`: the notebook as its kernel last saved it, read before it is graded; `held`: the
    function's name -> the label ("cell [n]") of the kernel's run of it that was checked.

    Where another of the cells was run after the last one (its execution count is higher, or
    it is the kernel's run `held`), the note says so too: the kernel held that version, the
    notebook's outputs (or the in-notebook check) came from it, not from the one graded.
    """
    notes = []
    for role, where in found.items():
        if role not in failed or role not in functions or "." not in where:
            continue
        name = where.rsplit(".", 1)[1]
        path, cells = defining_cells(submission, where, kernel=kernel)
        if len(cells) > 1 and kernel:
            runs = [label.replace("cell [", "In[") for label in cells]
            notes.append(f"{name} was defined by {len(runs)} runs ({', '.join(runs)}); the kernel holds the last, "
                         f"{runs[-1]}, and it was checked. If these are different cells, grading the saved "
                         f"notebook takes the last of them in the notebook (the cells run from top to bottom): "
                         "delete the versions you did not mean to hand in.")
        elif len(cells) > 1:
            shown = ", ".join(cells[:-1][:5]) + (f" and {len(cells) - 6} more" if len(cells) > 6 else "")
            numbers = [_run_number(c) for c in cells]
            ran_last = ""  # the cell run last, when it is not the notebook's last
            if saved and held and held.get(name):
                ran_last = held[name] if _run_number(held[name]) != numbers[-1] else ""
            elif None not in numbers and max(numbers) != numbers[-1]:  # type: ignore[type-var]
                ran_last = cells[numbers.index(max(numbers))]  # type: ignore[type-var]
            said = (f"{name} is defined in {len(cells)} cells of {path}"
                    f"{' as last saved' if saved else ''} ({shown} and {cells[-1]}); {CELLS_DUPLICATE}, so ")
            if saved and ran_last:
                said += (f"grading it takes {cells[-1]} (the last), not the kernel's last run of it, "
                         f"{ran_last.replace('cell [', 'In[')}, which this check used: the grade may differ from "
                         "this check. Delete the versions you did not mean to hand in.")
            elif saved:
                said += f"grading it takes {cells[-1]} (the last): delete the versions you did not mean to hand in."
            elif ran_last:
                said += (f"the last, {cells[-1]}, was graded; {ran_last} was run after it in the notebook's kernel "
                         f"(its number is higher): that kernel held {ran_last}'s {name}, so what it showed may "
                         "differ from this grade. Delete the versions you did not mean to hand in.")
            else:
                said += f"the last, {cells[-1]}, was graded: delete the versions you did not mean to hand in."
            notes.append(said)
    return notes


def duplicate_notes(submission: Submission, functions: Mapping[str, Any], found: Mapping[str, str]) -> list[str]:
    """Return a note for each graded function that more than one file of the submission defines.

    Only where the file graded was chosen by the order of paths, not because the rubric names
    it for the function (``q1_softmax`` for ``softmax``, beside a copy in ``q3_word2vec``).

    Which one is graded is the sandbox's rule (``_worker.Harness.find``): a file the rubric
    names for the function (its ``modules``) first, then the files in the order of their
    paths; but a notebook handed in with the modules it imports (kind "notebook") has its
    own definition made after it took that file's names (``from q3_word2vec import *``,
    ``%run``) graded, as its kernel holds it.  The files are read, never run: a top-level ``def`` of one of the function's names
    (in a notebook, in any code cell) counts.
    """
    from .pyast import definitions

    if len(submission.files) < 2:
        return []
    modules: dict[str, str] = {}  # module name as the sandbox imports it -> file
    for f in submission.files:
        module = f.module
        if f.cells is not None:
            module = "".join(ch if ch.isalnum() else "_" for ch in module) or "notebook"
        modules[module] = f.path
    # Only a function graded from a file the rubric does not name for it can have a doubt to
    # say: the files are parsed only then (most submissions define each function in its own
    # file, and parsing every file of a problem set was ~3 ms of the grader's CPU each).
    def outside(role: str, where: str) -> bool:  # (the test of the loop below, before any parsing)
        spec = functions.get(role)
        module = where.rsplit(".", 1)[0] if "." in where else ""
        return spec is not None and module in modules and module not in spec.modules

    if not any(outside(role, where) for role, where in found.items()):
        return []
    defined: dict[str, set[str]] = {}  # file -> the names it defines at top level
    for f in submission.files:
        names: set[str] = set()
        for text in ([c.source for c in f.cells] if f.cells is not None else [f.text]):
            names.update(definitions(text).functions)
        defined[f.path] = names
    notebooks = {f.path for f in submission.files if f.cells is not None}
    notes = []
    for role, where in found.items():
        spec = functions.get(role)
        module = where.rsplit(".", 1)[0] if "." in where else ""
        graded = modules.get(module)
        if spec is None or graded is None or module in spec.modules:
            continue  # (found in the file the rubric names for it: a helper's copy elsewhere is no doubt)
        names = set(spec.names) or {role}
        files = [path for path, has in defined.items() if has & names]
        if len(files) < 2 or graded not in files:
            continue
        name = where.rsplit(".", 1)[-1]
        others = ", ".join(p for p in files if p != graded)
        home = [p for m, p in modules.items() if m in spec.modules and p in files and p != graded]
        if home and graded in notebooks and submission.kind == "notebook":  # (the sandbox's rule: _redefined)
            notes.append(f"{name} is defined in {graded} and in {', '.join(home)}, whose names the notebook takes "
                         f"(import or %run): the notebook's own {name} was graded, as its kernel holds it.")
            continue
        notes.append(
            f"{name} is defined in {len(files)} files ({', '.join(files)}); the one in {graded} was graded "
            f"(a file the rubric names for it comes first, then files in the order of their names), "
            f"not the one in {others}: remove or rename the copy you did not mean to hand in.")
    return notes


def _regrade(submission: Submission, job: Job, sandbox: Sandbox, partial: Partial) -> SubmissionResult | None:
    """Grade ``partial.questions`` only (see :func:`grade`); None when every question must be graded."""
    t0 = time.monotonic()
    rubric = job.rubric
    again = partial.questions
    previous = partial.previous
    old = {c.id: c for q in previous.questions if q.id not in again for c in q.checks}
    calls = calls_for(rubric, job.calls, again)
    run = None
    if calls:
        run = sandbox.run(submission, calls, functions=rubric.functions, starter=rubric.starter,
                          settings=rubric.settings)
        if run.error and not any(o.status == "ok" for o in run.outcomes.values()):
            return None  # the submission did not run at all this time: grade it whole, as a new one would be
    outcomes = run.outcomes if run is not None else {}
    results = []
    for spec in rubric.checks():
        if spec.question not in again:
            results.append(old[spec.id])
            continue
        case = job.cases.get(spec.case)
        if case is None:
            results.append(_not_run(spec, f"the case {spec.case!r} is not available"))
            continue
        results.append(_judge(spec, case, outcomes.get(f"{spec.function}:{spec.case}"), job))
    functions = (run.load.functions if run is not None else previous.load.functions
                 if previous.load is not None else {})
    # (the questions graded again are judged whole: their checks' results are all new, and only
    # new results are still to be withheld; an earlier result is already as the student sees it)
    results = [r if spec.question not in again else _withheld(spec, n)
               for spec, r, n in zip(rubric.checks(), results, _decided(rubric, results, functions))]
    # Messages that read other questions' verdicts are written for the questions judged now only
    # (the others' already say it).
    explained = _explained(rubric, job.cases, outcomes, results, functions)
    stubbed, wrong, called = _failing_callees(rubric, submission, functions, explained)
    explained = _stub_called(rubric, functions, explained, stubbed, wrong, called)
    results = [e if r.question in again else r for r, e in zip(results, explained)]
    if job.written is not None:
        written = [c for q in previous.questions if q.id.startswith("written/") and q.id not in again for c in q.checks]
        if any(f"written/{wq.id}" in again for wq in job.written.part.questions):
            from .written.grading import grade as grade_written

            written += [c for c in grade_written(job.written, submission) if c.question in again]
        results += written
    if CONSISTENCY in again and run is not None:
        consistency = _checks.read_consistency(
            rubric, results, _checks.consistency(rubric, job.cases, run.outcomes, job.memo, run.load.functions),
            _cost_stubs(rubric, functions, stubbed, called))
        consistency = tuple(_consistency_withheld(c) if c.case in job.cases and not job.cases[c.case].spec.public
                            else c for c in consistency)
    else:
        # The comparisons are the earlier ones; what they mean beside this case's checks, some of
        # which may have been graded again, is read again (the hidden cases' stay withheld).
        consistency = tuple(_consistency_withheld(c) if c.case in job.cases and not job.cases[c.case].spec.public
                            else c for c in _checks.read_consistency(rubric, results, previous.consistency,
                                                                     _cost_stubs(rubric, functions, stubbed, called)))
    result = score(rubric, submission, run, results, consistency=consistency, public_only=job.public_only)
    adapted = []
    for call in calls:
        outcome = outcomes.get(call.id)
        where = (run.load.functions.get(call.function, call.function) if run is not None else call.function)
        for note in outcome.notes if outcome is not None else ():
            line = f"{where.rsplit('.', 1)[-1]}: {note}"
            if line not in adapted:
                adapted.append(line)
    notes = tuple(dict.fromkeys(_globals_said_once(list(result.notes + previous.notes) + adapted)))
    if run is None:  # nothing ran: how it was loaded and isolated is what the earlier run found
        result = replace(result, load=previous.load, isolation=previous.isolation)
    else:
        result = replace(result, load=_merged_load(previous.load, result.load))
    return replace(result, notes=notes, seconds=time.monotonic() - t0)


#: A call's note that a year's signature lacks a param, set as a global instead (grader._worker's wording).
_AS_GLOBAL = re.compile(r"(\w+): your function takes no ('\w+') parameter: \2 was set as a global of your module "
                        r"while it ran")


def _globals_said_once(notes: list[str]) -> list[str]:
    """The notes with those of functions that read the same global (2015's `dataset`) said in one.

    >>> _globals_said_once(["skipgram: your function takes no 'dataset' parameter: 'dataset' was set as a "
    ...                     "global of your module while it ran", "x", "cbow: your function takes no 'dataset' "
    ...                     "parameter: 'dataset' was set as a global of your module while it ran"])
    ["skipgram and cbow take no 'dataset' parameter: 'dataset' was set as a global of your module while they ran", 'x']
    """
    by_param: dict[str, list[str]] = {}
    for n in notes:
        if (m := _AS_GLOBAL.fullmatch(n)) is not None and m[1] not in by_param.setdefault(m[2], []):
            by_param[m[2]].append(m[1])
    out, said = [], set()
    for n in notes:
        m = _AS_GLOBAL.fullmatch(n)
        if m is None:
            out.append(n)
        elif len(by_param[m[2]]) == 1:
            out.append(n)
        elif m[2] not in said:
            said.add(m[2])
            names = by_param[m[2]]
            out.append(f"{', '.join(names[:-1])} and {names[-1]} take no {m[2]} parameter: {m[2]} was set as a "
                       "global of your module while they ran")
    return out


def _merged_load(before: LoadReport | None, now: LoadReport | None) -> LoadReport | None:
    """What loading the submission found, over the earlier run (every function) and this one (some of them).

    A run that makes some calls loads only the modules they need: the earlier run's
    modules, functions, errors and notes are kept, this run's added.
    """
    if before is None or now is None:
        return now or before
    return LoadReport(
        modules=tuple(dict.fromkeys(before.modules + now.modules)),
        functions={**before.functions, **now.functions},
        unit_errors=before.unit_errors + tuple(u for u in now.unit_errors if u not in before.unit_errors),
        notes=tuple(dict.fromkeys(before.notes + now.notes)),
        output=before.output or now.output)
