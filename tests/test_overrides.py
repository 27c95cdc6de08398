"""grader.overrides: a person's score over the automatic one, and when it asks for another look."""

from __future__ import annotations

from grader.model import Override, QuestionResult, SubmissionResult
from grader.overrides import apply


def _result(score_a: float, max_a: float) -> SubmissionResult:
    qs = (QuestionResult("a", "", score_a, max_a, ()), QuestionResult("b", "", 2.0, 2.0, ()))
    return SubmissionResult("s", "r", "graded", score_a + 2.0, max_a + 2.0, questions=qs)


def test_an_override_within_the_maximum_is_not_flagged():
    done = apply(_result(1.0, 4.0), [Override("a", 4.0, 1.0)])
    assert done.questions[0].score == 4.0 and not done.overrides[0].review


def test_a_question_override_above_the_maximum_of_a_smaller_rubric_holds_and_is_flagged():
    # set to 4 of 4; the rubric graded with now gives the question 3 points, and the same automatic score
    done = apply(_result(1.0, 3.0), [Override("a", 4.0, 1.0)])
    assert done.questions[0].score == 4.0 and done.overrides[0].review


def test_a_total_override_above_the_maximum_of_a_smaller_rubric_holds_and_is_flagged():
    done = apply(_result(1.0, 3.0), [Override("", 6.0, 3.0)])
    assert done.score == 6.0 and done.max_score == 5.0 and done.overrides[0].review
    assert not apply(_result(1.0, 4.0), [Override("", 6.0, 3.0)]).overrides[0].review
