"""Sum CheckResults into question and submission scores: SubmissionResult."""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from . import __version__
from .model import (
    CheckResult,
    Consistency,
    QuestionResult,
    Rubric,
    RunReport,
    Submission,
    SubmissionResult,
)


#: The note of a starter module the submission lacked (grader._worker's wording).
_STAND_IN = re.compile(r"'([A-Za-z_][\w.]*)' was not in the submission; the supplied stand-in was used")


def stand_ins_said_once(notes: Sequence[str]) -> list[str]:
    """The load's notes with a package's stand-ins and its modules' said in one note.

    >>> stand_ins_said_once(["'utils' was not in the submission; the supplied stand-in was used",
    ...                       "'utils.utils' was not in the submission; the supplied stand-in was used", "x"])
    ["'utils' (and utils.utils) was not in the submission; the supplied stand-ins were used", 'x']
    """
    missing = {m[1]: n for n in notes if (m := _STAND_IN.fullmatch(n))}
    out = []
    for n in notes:
        m = _STAND_IN.fullmatch(n)
        if m is None:
            out.append(n)
            continue
        name = m[1]
        if "." in name and name.split(".")[0] in missing:
            continue  # said with its package
        inner = [k for k in missing if k.startswith(name + ".")]
        out.append(n if not inner else
                   f"{name!r} (and {', '.join(inner)}) was not in the submission; the supplied stand-ins were used")
    return out


def _round(x: float) -> float:
    """Round a score to 6 decimals so that sums of halves and tenths print cleanly."""
    return round(float(x) + 0.0, 6)


#: Id of the question that scores self-consistency, when the rubric asks for it.
CONSISTENCY_QUESTION = "consistency"


def _consistency_points(rubric: Rubric) -> float:
    """The points of the self-consistency question: its [consistency] table's, when ``settings.consistency_points`` is on; else 0."""
    points = float(rubric.consistency.get("points", 0.0)) if rubric.consistency else 0.0
    return points if points > 0 and rubric.settings.consistency_points else 0.0


def _consistency_question(rubric: Rubric, found: Sequence[Consistency]) -> QuestionResult | None:
    """Score self-consistency as a question of its own when ``settings.consistency_points`` is on.

    The ``[consistency]`` table's ``points`` are shared equally by its (case, gradient)
    pairs: "consistent" earns its share, "inconsistent" fails, "error" is an error.
    """
    points = _consistency_points(rubric)
    if points <= 0 or not found:
        return None
    share = points / len(found)
    checks = []
    for c in found:
        status = {"consistent": "pass", "inconsistent": "fail"}.get(c.status, "error")
        checks.append(CheckResult(
            id=f"{CONSISTENCY_QUESTION}/{c.case}-{c.wrt}", question=CONSISTENCY_QUESTION, status=status,
            score=_round(share if status == "pass" else 0.0), max_score=_round(share),
            message=c.message or c.status, case=c.case))
    word = found[0].cost_named if found else "cost"  # "loss" in a2
    return QuestionResult(id=CONSISTENCY_QUESTION, title=f"Your gradients match your own {word}",
                          score=_round(sum(c.score for c in checks)), max_score=_round(points),
                          checks=tuple(checks))


def score(rubric: Rubric, submission: Submission, run: RunReport | None, results: Iterable[CheckResult], *,
          consistency: Sequence[Consistency] = (), public_only: bool = False) -> SubmissionResult:
    """Build the SubmissionResult: a question's score is the sum of its checks', the submission's of its questions'.

    Extra-credit questions (``Question.extra``, CBOW) count in the score but not in
    ``max_score``, so a submission's score may exceed its max_score.

    Parameters
    ----------
    rubric : Rubric
        The rubric graded against; its question order is kept.
    submission : Submission
        The submission (for its id, notes, files and Canvas identity).
    run : RunReport or None
        What the sandbox reported; None when the submission could not be run at all.
    results : iterable of CheckResult
        One result per graded check.
    consistency : sequence of Consistency
        Self-consistency findings (informative).
    public_only : bool
        True for a student's self-check: only public checks count toward ``max_score``.
    """
    by_id = {r.id: r for r in results}
    questions = []
    for q in rubric.questions:  # grouped by starter file when loaded (rubric.file_order)
        checks = tuple(by_id[c.id] for c in q.checks if c.id in by_id)
        if public_only and not checks:
            continue
        questions.append(QuestionResult(
            id=q.id, title=q.title, file=q.file,
            score=_round(sum(c.score for c in checks)),
            max_score=_round(sum(c.max_score for c in checks)),
            checks=checks, extra=q.extra))
    # Where the code questions are grouped by starter file, the written ones are a group of their own.
    written_file = "written" if any(q.file for q in rubric.questions) else ""
    for wq in rubric.written.questions if rubric.written is not None else ():
        # A written question: one check, "written/<id>/answer" (grader.written).
        qid = f"written/{wq.id}"
        checks = tuple(r for r in by_id.values() if r.question == qid)
        if not checks:
            continue
        questions.append(QuestionResult(
            id=qid, title=wq.title, file=written_file, score=_round(sum(c.score for c in checks)),
            max_score=_round(sum(c.max_score for c in checks)), checks=checks))
    scored = _consistency_question(rubric, consistency)
    if scored is not None:
        questions.append(scored)
    total = _round(sum(q.score for q in questions))
    # An extra-credit question's points add to the score, never to the maximum: a
    # submission may score more than max_score.
    max_total = _round(sum(q.max_score for q in questions if not q.extra))
    errors = []
    status = "graded"
    if submission.error:
        status = "error"
        errors.append(submission.error)
    elif run is not None and run.error and not any(o.status == "ok" for o in run.outcomes.values()):
        status = "error"
        errors.append(f"the grader could not run this submission: {run.error}")
    notes = list(submission.notes)
    if run is not None:
        notes += [n for n in stand_ins_said_once(run.load.notes) if n not in notes]
    return SubmissionResult(
        submission=submission.id,
        rubric=rubric.name,
        status=status,
        score=total if status == "graded" else 0.0,
        max_score=max_total,
        questions=tuple(questions),
        errors=tuple(errors),
        notes=tuple(notes),
        load=run.load if run is not None else None,
        consistency=tuple(consistency),
        isolation=run.isolation if run is not None else "",
        late=submission.late,
        source=submission.source,
        canvas=submission.canvas,
        files=submission.files,
        seconds=run.seconds if run is not None else 0.0,
        grader_version=__version__,
        public_only=public_only,
    )


def question_ids(rubric: Rubric) -> list[str]:
    """Return the ids of every question a result of `rubric` can have, in the order results list them.

    The code questions grouped by file, then the written ones (``written/<id>``), then the
    self-consistency question when it is scored: grades.csv's question columns.
    """
    ids = [q.id for q in rubric.questions]
    ids += [f"written/{wq.id}" for wq in (rubric.written.questions if rubric.written is not None else ())]
    if _consistency_points(rubric) > 0:
        ids.append(CONSISTENCY_QUESTION)
    return ids


