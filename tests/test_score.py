"""Scores add up: checks into questions, questions into the submission; consistency when asked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from grader.model import CheckResult, Consistency, LoadReport, RunReport, Submission
from grader.rubric import load_rubric
from grader.score import score


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(None)


def _results(rubric, failing=()):
    return [CheckResult(id=c.id, question=c.question, status="fail" if c.id in failing else "pass",
                        score=0.0 if c.id in failing else c.points, max_score=c.points, message="")
            for c in rubric.checks()]


RUN = RunReport(load=LoadReport(notes=("'q2_gradcheck' was not in the submission; the supplied stand-in was used",)),
                outcomes={}, isolation="bwrap")


def test_question_and_submission_scores_are_sums(rubric):
    first = rubric.questions[0].checks[0]
    r = score(rubric, Submission(id="a", source="a.py", kind="module"), RUN, _results(rubric, {first.id}))
    assert r.status == "graded" and r.max_score == rubric.max_score
    assert r.score == pytest.approx(rubric.max_score - first.points)
    q = r.questions[0]
    assert q.score == pytest.approx(q.max_score - first.points)
    assert r.notes == RUN.load.notes and r.isolation == "bwrap"


def test_a_submission_that_could_not_be_loaded_scores_zero(rubric):
    sub = Submission(id="a", source="a.zip", kind="zip", error="a.zip could not be read as a zip archive")
    r = score(rubric, sub, None, _results(rubric))
    assert r.status == "error" and r.score == 0 and r.errors == ("a.zip could not be read as a zip archive",)


def test_consistency_scores_only_when_the_rubric_says_so(rubric):
    found = (Consistency(case="small", wrt="gradPred", status="consistent"),
             Consistency(case="small", wrt="grad", status="inconsistent", message="your grad does not match"))
    sub = Submission(id="a", source="a.py", kind="module")
    plain = score(rubric, sub, RUN, _results(rubric), consistency=found)
    assert [q.id for q in plain.questions] == ["softmax", "cross_entropy", "grad_pred", "grad_output"]
    scoring = replace(rubric, settings=replace(rubric.settings, consistency_points=True),
                      consistency={**rubric.consistency, "points": 2.0})
    r = score(scoring, sub, RUN, _results(rubric), consistency=found)
    q = r.questions[-1]
    assert q.id == "consistency" and (q.score, q.max_score) == (1.0, 2.0)
    assert [(c.id, c.status) for c in q.checks] == [("consistency/small-gradPred", "pass"),
                                                    ("consistency/small-grad", "fail")]
    assert r.max_score == rubric.max_score + 2.0
