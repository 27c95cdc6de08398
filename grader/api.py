"""The Python API: grade or check one submission from a script (an LMS integration, a notebook).

Examples
--------
An LMS script that grades whatever a student uploaded and posts the score::

    import grader

    result = grader.grade("uploads/alice.zip")          # the built-in word2vec rubric
    print(result.score, result.max_score, result.status)
    for check in result.checks():
        if check.status != "pass":
            print(check.id, check.message, check.hint or "")
    payload = result.to_dict()                           # the same document as result.json
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .model import Rubric, SubmissionResult


def _run(path: str | os.PathLike, rubric: str | os.PathLike | Rubric | None, *, public_only: bool,
         isolation: str) -> SubmissionResult:
    from .load import load
    from .pipeline import grade as _grade
    from .pipeline import prepare
    from .rubric import load_rubric
    from .sandbox import Sandbox

    if not isinstance(rubric, Rubric):
        rubric = load_rubric(None if rubric is None else str(rubric))
    job = prepare(rubric, public_only=public_only)
    submission = load(Path(path), job.rubric.settings)
    if public_only and Path(path).is_file() and Path(path).suffix.lower() == ".ipynb":  # as `grader check` does
        from .kernel import with_helpers

        submission = with_helpers(Path(path), submission, job.rubric.settings)
    with Sandbox(isolation, allow=job.rubric.settings.allow_packages) as sb:
        return _grade(submission, job, sb)


def grade(path: str | os.PathLike, rubric: str | os.PathLike | Rubric | None = None, *,
          isolation: str = "auto") -> SubmissionResult:
    """Grade one submission with every check of ``rubric`` (public and hidden).

    Parameters
    ----------
    path : path-like
        A ``.py`` file, a notebook, a folder or a ``.zip``.
    rubric : path-like, str, Rubric or None
        A rubric TOML file, a built-in rubric name, a loaded Rubric, or None for the
        built-in word2vec rubric.
    isolation : str
        "auto" (strongest available), "bwrap", "bwrap-userns" or "process".

    Returns
    -------
    SubmissionResult
        Typed result; ``to_dict()`` gives the ``result.json`` document.

    Raises
    ------
    grader.errors.GraderError
        For a path that does not exist, a bad rubric or an unavailable isolation level
        (never for a student's fault: those are check results).
    """
    return _run(path, rubric, public_only=False, isolation=isolation)


def check(path: str | os.PathLike | None = None, rubric: str | os.PathLike | Rubric | None = None, *,
          isolation: str = "auto", kit: str | os.PathLike | None = None):
    """Check one submission with the public checks only, as ``grader check`` does.

    With a path, parameters and result as for :func:`grade`.

    In a Jupyter notebook, with no path, the code of the running kernel is checked
    (:func:`grader.kernel.check`): ``grader.check()`` checks every question whose functions
    the kernel defines, ``grader.check("softmax")`` one question (a name that is not an
    existing path is read as a question id there); the returned object displays itself
    under the cell, and its ``result`` is the SubmissionResult.  ``kit`` names a student
    kit to check against (default ``$GRADER_KIT``).
    """
    from . import kernel

    if path is None or (isinstance(path, str) and re.fullmatch(r"[A-Za-z_]\w*", path) and not Path(path).exists()
                        and kernel._shell() is not None):
        return kernel.check(path, kit=kit, rubric=rubric, isolation=isolation)
    return _run(path, rubric, public_only=True, isolation=isolation)


def override(results: str | os.PathLike, submission: str, question: str | None = None, *,
             score: float | None = None, note: str = "", by: str | None = None,
             remove: bool = False) -> SubmissionResult:
    """Set (or remove) a person's score for a question, or for a submission's total, in a results folder.

    The override is recorded in ``RESULTS/gradebook.sqlite`` with who and when, and
    holds over every later regrade (which flags it for review when the automatic score
    changes).  The submission's ``result.json`` and ``report.html`` are written again
    with it, and so are ``grades.csv`` and ``summary.html``; every export reads them.

    Parameters
    ----------
    results : path-like
        A results folder written by ``grader grade``.
    submission : str
        The submission id (its folder in `results`).
    question : str, optional
        A question id; None overrides the total.
    score : float
        The score to set: from 0 to the question's (or the submission's) maximum.
    note : str
        Why, shown in the student's report.
    by : str, optional
        Who; default: the user running it.
    remove : bool
        Remove the override instead (the automatic score comes back).

    Returns
    -------
    SubmissionResult
        The result as written now.

    Raises
    ------
    grader.errors.UsageError
        Not a results folder, an unknown submission or question, a score out of range,
        nothing to remove.
    """
    import difflib
    import getpass
    from . import __version__
    from .batch import finish, read_result, write_result
    from .errors import UsageError
    from .gradebook import FILENAME, open_gradebook, results_lock
    from .overrides import apply, automatic, highest

    out = Path(results)
    if not (out / FILENAME).is_file():
        why = f"its {FILENAME} is not a file" if (out / FILENAME).exists() else f"no {FILENAME}"
        raise UsageError(f"RESULTS {str(out)!r} is not a results folder of 'grader grade' ({why})")
    if not isinstance(submission, str):
        raise UsageError(f"the submission must be its id, a str (got {type(submission).__name__})")
    if question is not None and not isinstance(question, str):
        raise UsageError(f"the question must be its id, a str, or None for the total (got {type(question).__name__})")
    if not isinstance(note, str):
        raise UsageError(f"the note must be a str (got {type(note).__name__})")
    if by is not None and not isinstance(by, str):
        raise UsageError(f"by must be a str (got {type(by).__name__})")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        try:  # a number as text ("7.5", from a script reading a CSV) is that number; True is not a score
            score = float(score) if isinstance(score, str) else None
        except ValueError:
            score = None
        if score is None:
            raise UsageError("the score must be a number")
    # The id as the shell may complete it ("carol/") is carol's; any other path is refused, so
    # that an override is always recorded under the id a regrade files the submission under.
    submission = submission.rstrip("/")
    if not submission or submission in (".", "..") or "/" in submission or "\\" in submission:
        raise UsageError(f"{submission!r} is not a submission id: give the name of its folder in {str(out)!r}")
    f = out / submission / "result.json"
    if not f.is_file():
        ids = sorted(p.parent.name for p in out.glob("*/result.json"))
        close = difflib.get_close_matches(submission, ids, n=1)
        raise UsageError(f"no submission {submission!r} in {str(out)!r}"
                         + (f"; did you mean {close[0]!r}?" if close else f" (ids: {', '.join(ids[:10])}"
                            + (f" and {len(ids) - 10} more)" if len(ids) > 10 else ")")))
    kept = read_result(f)
    if kept is None:
        raise UsageError(f"{str(f)!r} can't be read as a result (it was changed or damaged since grader wrote "
                         "it): run the same 'grader grade' again, which grades this submission anew, then override")
    auto = automatic(kept)
    questions = {q.id: q for q in auto.questions}
    key = question or ""
    if question is not None and question not in questions:
        close = difflib.get_close_matches(question, list(questions), n=1)
        raise UsageError(f"{submission} has no question {question!r}"
                         + (f"; did you mean {close[0]!r}?" if close else f" (questions: {', '.join(questions)})"))
    with results_lock(out, "grader override"):  # not while a batch writes these files
        with open_gradebook(out, "", __version__) as gb:
            if remove:
                if not gb.remove_override(submission, key):
                    raise UsageError(f"{submission} has no override of {question or 'its total'} to remove")
            else:
                if score is None:
                    raise UsageError("give the score to set with --score X (or --remove to take an override off)")
                top = questions[question].max_score if question is not None else highest(auto)
                if not 0 <= float(score) <= top:
                    whose = (f"the maximum of {question}" if question is not None else
                             "the most the submission can score (its maximum and its extra credit)"
                             if top > auto.max_score else "the maximum of the submission")
                    raise UsageError(f"the score must be between 0 and {top:g}, {whose} (got {float(score):.12g})")
                if not by:
                    try:
                        by = getpass.getuser()
                    except Exception:  # noqa: BLE001 - no user name in this environment
                        by = "unknown"
                others = [o for o in gb.overrides(submission) if o.question != key]
                now = apply(auto, [o for o in others if o.question])  # the total an override of it replaces
                auto_score = questions[question].score if question is not None else now.score
                gb.set_override(submission, key, float(score), auto_score, note=note, by=by)
            if key:
                # An override of the total now replaces another total: the one this person just made.
                recorded = gb.overrides(submission)
                if any(o.question == "" for o in recorded):
                    gb.rebase_override(submission, "", apply(auto, [o for o in recorded if o.question]).score)
            result = apply(auto, gb.overrides(submission))
            title = gb.meta("rubric_title")
            columns = _question_columns(gb.meta("questions"))
        write_result(out, result, rubric_title=title)
        finish(out, rubric_title=title, questions=columns)
    return result


def _question_columns(recorded: str) -> list[str] | None:
    """The question columns the batch recorded for grades.csv (None: an earlier grader's folder, read from the results)."""
    try:
        ids = json.loads(recorded) if recorded else None
    except ValueError:
        return None
    return ids if isinstance(ids, list) and all(isinstance(i, str) for i in ids) else None


def check_written(question: str, answer: str, rubric: str | os.PathLike | Rubric | None = None) -> SubmissionResult:
    """Check one written answer, as ``grader check --written`` does; no code runs.

    Parameters
    ----------
    question : str
        A written question's id: "grad_pred" (or "written/grad_pred").
    answer : str
        LaTeX or plain text: ``r"-w_i + \\sum_x \\hat{y}_x w_x"``, or a derivation, one step per line.
    rubric : path-like, str, Rubric or None
        A rubric with a ``[written]`` part; None for the built-in ``written`` rubric.

    Returns
    -------
    SubmissionResult
        One question, ``written/<question>``; its check's ``written`` field holds how each
        line was read and judged.  In a Jupyter/IPython kernel, an object that shows it under
        the cell (the lines as rendered math) and holds it as ``.result``.

    Raises
    ------
    grader.errors.GraderError
        No such written question, or a rubric without written questions.

    Examples
    --------
    >>> import grader
    >>> r = grader.check_written("grad_pred", "-W[i] + yhat @ W")
    >>> r.score, r.max_score, r.checks()[0].written.compact
    (2.0, 2.0, 'Wᵀ(ŷ - y)')
    """
    from . import kernel
    from .rubric import load_rubric
    from .written.grading import check_answer

    if rubric is not None and not isinstance(rubric, Rubric):
        rubric = load_rubric(str(rubric))
    result = check_answer(rubric, question, answer)[1]
    if kernel._shell() is not None:  # in a notebook: shown under the cell as rendered math; .result is the result
        return kernel.WrittenChecked(result, asked=question)
    return result
