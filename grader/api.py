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
