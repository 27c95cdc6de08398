"""Grade the written questions of a rubric: for a whole submission (pipeline.py) or one answer (``check --written``)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Mapping

from ..model import CheckResult, Rubric, Submission, SubmissionResult, WrittenPart
from . import answers, judge


@dataclass(frozen=True)
class WrittenJob:
    """A rubric's written part ready to grade: its reference module loaded and its instances drawn."""

    part: WrittenPart
    reference: ModuleType
    instances: tuple[Mapping[str, Any], ...]


def prepare(rubric: Rubric) -> WrittenJob | None:
    """Return the WrittenJob of a rubric, or None when it has no written questions."""
    if rubric.written is None:
        return None
    part = rubric.written
    if os.path.isfile(part.reference_path) or not part.reference_source:
        from ..cases import load_reference

        reference = load_reference(dataclasses.replace(rubric, reference_path=part.reference_path))
    else:  # a process without the rubric's files (a cluster worker): the source came with the rubric
        reference = _from_source(part.reference_source, part.reference_path)
    try:
        instances = judge.draw(part, reference)
    except Exception as e:  # noqa: BLE001 - the TA's generator: said as the rubric's error, as a code case's is
        from ..errors import RubricError

        raise RubricError(rubric.path or rubric.name, "written.generator",
                          f"{part.generator!r} failed: {type(e).__name__}: {e}") from None
    return WrittenJob(part=part, reference=reference, instances=instances)


def _from_source(source: str, path: str) -> ModuleType:
    """Return the written reference module made from its source (the TA's code, as trusted as the rubric)."""
    import hashlib
    import sys

    name = "_grader_written_reference_" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    if name not in sys.modules:
        module = ModuleType(name)
        module.__file__ = path
        sys.modules[name] = module  # dataclasses and the like look their module up while it runs
        exec(compile(source, path, "exec"), module.__dict__)  # noqa: S102 - the rubric's reference, not student text
    return sys.modules[name]


def missing_message(qid: str) -> str:
    """Return the message of a written question without an answer."""
    latex = qid.replace("_", "\\_")
    return (f"No answer found for {qid}: write it in written.md under a heading that names it ('## {qid}'), "
            f"in written.tex under a section that names it ('\\section*{{{latex}}}'), or in a notebook Markdown "
            f"cell headed '## {qid}'.")


def grade(job: WrittenJob, submission: Submission) -> list[CheckResult]:
    """Return one CheckResult per written question: its answer in the submission judged, or missing."""
    ids = [q.id for q in job.part.questions]
    found = answers.find(submission.texts, ids)
    out = []
    for q in job.part.questions:
        a = found.get(q.id)
        if a is None:
            out.append(judge.missing(q, missing_message(q.id)))
        else:
            checked = judge.judge(q, a.text, job.part, job.reference, job.instances, where=a.where)
            if a.also:
                others = ", ".join(a.also[:3]) + (f" and {len(a.also) - 3} more" if len(a.also) > 3 else "")
                # (the file answers it twice: which of its answers, by line)
                graded = f"{a.where}, line {a.line}" if any(o.startswith(f"{a.where}, line ") for o in a.also) else a.where
                checked = dataclasses.replace(checked, notes=checked.notes + (
                    f"answered in {graded} and also in {others}: the answer in {graded} was graded.",))
            out.append(checked)
    return out


#: The built-in rubrics with written questions, each in its course version's notation; "written" last (the default).
WRITTEN_RUBRICS = ("cs224n-a2-written", "cs224d-2016-written", "written")


def _asks(name: str, qid: str) -> bool:
    """Whether the built-in rubric `name` has the written question `qid` (False when it can't be loaded)."""
    from ..errors import GraderError
    from ..rubric import load_rubric

    try:
        part = load_rubric(name).written
    except GraderError:
        return False
    return part is not None and part.question(qid) is not None


def check_answer(rubric: Rubric | None, qid: str, text: str) -> tuple[Rubric, SubmissionResult]:
    """Judge one answer to a written question of `rubric` (``grader check --written``, ``grader.check_written``).

    A rubric without written questions (or None) is replaced by the built-in ``written`` one,
    unless it was named explicitly: then a UsageError says so.

    Parameters
    ----------
    rubric : Rubric or None
        None: the built-in rubric ``written``.
    qid : str
        The question, "grad_pred" or "written/grad_pred".
    text : str
        The answer, LaTeX or plain text, one expression or a derivation.

    Returns
    -------
    (Rubric, SubmissionResult)
        The rubric used, and a result with the one question ``written/<qid>``; its
        ``isolation`` is "none" (nothing ran).

    Raises
    ------
    UsageError
        No such written question (the message lists them, with a "did you mean").
    """
    import difflib

    from ..errors import UsageError
    from ..rubric import load_rubric
    from ..score import score

    if rubric is None or rubric.written is None:
        if rubric is not None:
            raise UsageError(f"rubric {rubric.name!r} has no written questions; give --rubric "
                             f"{', '.join(WRITTEN_RUBRICS[:-1])} or {WRITTEN_RUBRICS[-1]} (each course version's "
                             "written questions, in its notation), or leave --rubric out for the built-in "
                             f"'{WRITTEN_RUBRICS[-1]}'")
        rubric = load_rubric("written")
    assert rubric.written is not None
    ids = [q.id for q in rubric.written.questions]
    if rubric.written.question(qid) is None:
        bare = qid.removeprefix("written/")
        near = difflib.get_close_matches(bare, ids, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        elsewhere = [name for name in WRITTEN_RUBRICS if _asks(name, bare)]
        if elsewhere:  # a question of another course version's written part
            hint = f"; it is a question of --rubric {' and of '.join(elsewhere)}"
        raise UsageError(f"--written: no written question {qid!r}{hint} (written questions: {', '.join(ids)})")
    check = answer(prepare(rubric), qid.removeprefix("written/"), text)
    result = score(rubric, Submission(id="answer", source="the command line", kind="written"), None, [check],
                   public_only=True)
    return rubric, dataclasses.replace(result, isolation="none")  # no code ran


def answer(job: WrittenJob, qid: str, text: str) -> CheckResult:
    """Judge one answer given on the command line (the question must exist: see WrittenPart.question)."""
    q = job.part.question(qid)
    assert q is not None
    return judge.judge(q, text, job.part, job.reference, job.instances)


def self_check(job: WrittenJob) -> tuple[int, list[str]]:
    """Check a written part against itself (``grader rubric check``): every expected value computes on the
    instances, and every compact form equals its own question's quantity.

    Returns the number of questions that passed and a problem per one that did not.
    """
    ok, problems = 0, []
    for q in job.part.questions:
        where = f"written.questions.{q.id}"
        try:
            r = judge.judge(q, q.compact, job.part, job.reference, job.instances) if q.compact else None
        except Exception as e:  # noqa: BLE001 - the author's reference raised: say which and how
            problems.append(f"{where}: the reference failed on the instances: {type(e).__name__}: {e}")
            continue
        if r is not None and r.status != "pass":
            problems.append(f"{where}: its compact form does not equal its quantity: {r.message}")
            continue
        ok += 1
    return ok, problems
