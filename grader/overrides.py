"""People's overrides of scores: applied over the automatic result, and taken off again. Pure.

A TA's ``grader override`` records a score for a question (or for the whole submission)
in the gradebook; every result written afterwards, a regrade's included, carries it:

- a question's ``score`` becomes the person's, the submission's total is then the sum of
  its questions' as usual; an override of the total replaces that sum;
- ``SubmissionResult.overrides`` says what was overridden, by whom, why, and the automatic
  score beside it; ``review`` is set when the automatic score is no longer the one the
  person saw (a regrade under a changed rubric), so that summary.html can ask for a look.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .model import Override, QuestionResult, SubmissionResult

#: Scores closer than this are the same score.
_SAME = 1e-9


def _round(x: float) -> float:
    return round(float(x), 6)


def automatic(result: SubmissionResult) -> SubmissionResult:
    """Return `result` as grading made it: every override taken off (question scores and total restored).

    >>> from grader.model import QuestionResult
    >>> q = QuestionResult("a", "", 3.0, 4.0, ())
    >>> r = SubmissionResult("s", "r", "graded", 3.0, 4.0, questions=(q,), overrides=(Override("a", 3.0, 1.0),))
    >>> automatic(r).score, automatic(r).questions[0].score, automatic(r).overrides
    (1.0, 1.0, ())
    """
    if not result.overrides:
        return result
    auto = {o.question: o.auto_score for o in result.overrides}
    questions = tuple(replace(q, score=auto[q.id]) if q.id in auto else q for q in result.questions)
    return replace(result, questions=questions, score=_total(result, questions), overrides=())


def _total(result: SubmissionResult, questions: Sequence[QuestionResult]) -> float:
    """The submission's total from its questions' scores, as grading adds them (whatever its status).

    A result without questions (an earlier grader's error result) keeps its own total.
    """
    return _round(sum(q.score for q in questions)) if questions else result.score


def highest(result: SubmissionResult) -> float:
    """The most `result` can score: its maximum and its extra-credit questions' points.

    >>> from grader.model import QuestionResult
    >>> qs = (QuestionResult("a", "", 4.0, 4.0, ()), QuestionResult("cbow", "", 1.0, 2.0, (), extra=True))
    >>> highest(SubmissionResult("s", "r", "graded", 5.0, 4.0, questions=qs))
    6.0
    """
    return _round(result.max_score + sum(q.max_score for q in result.questions if q.extra))


def apply(result: SubmissionResult, recorded: Sequence[Override]) -> SubmissionResult:
    """Return the automatic `result` with the `recorded` overrides applied (see the module's docstring).

    An override of a question the result does not have (the rubric dropped it) changes
    nothing and is kept, flagged for review; so is one above the maximum of the rubric now
    graded with (a rubric of fewer points; for the total, its maximum with the extra credit): it holds, and a person looks again.  A submission that could not be graded keeps
    its status; its questions' overrides add up to its total as a graded one's do, and an override of its total
    still sets its score.

    >>> from grader.model import QuestionResult
    >>> qs = (QuestionResult("a", "", 1.0, 4.0, ()), QuestionResult("b", "", 2.0, 2.0, ()))
    >>> r = SubmissionResult("s", "r", "graded", 3.0, 6.0, questions=qs)
    >>> done = apply(r, [Override("a", 4.0, 1.0, note="regraded by hand")])
    >>> done.score, [q.score for q in done.questions], done.overrides[0].review
    (6.0, [4.0, 2.0], False)
    >>> apply(r, [Override("a", 4.0, 0.0)]).overrides[0].review  # graded 0 then, 1 now: look again
    True
    >>> apply(r, [Override("", 5.5, 3.0)]).score
    5.5
    """
    if not recorded:
        return result
    questions = list(result.questions)
    index = {q.id: i for i, q in enumerate(questions)}
    applied: list[Override] = []
    total_override: Override | None = None
    for o in recorded:
        if o.question == "":
            total_override = o
            continue
        i = index.get(o.question)
        if i is None:
            applied.append(replace(o, review=True))
            continue
        q: QuestionResult = questions[i]
        applied.append(replace(o, auto_score=q.score,
                               review=abs(q.score - o.auto_score) > _SAME or o.score > q.max_score + _SAME))
        questions[i] = replace(q, score=_round(o.score))
    total = _total(result, questions)
    if total_override is not None:
        applied.append(replace(total_override, auto_score=total,
                               review=abs(total - total_override.auto_score) > _SAME
                               or total_override.score > highest(result) + _SAME))
        total = _round(total_override.score)
    return replace(result, questions=tuple(questions), score=total, overrides=tuple(applied))
