"""grader: autograde numerical homework in isolation and explain every verdict.

Public API (imported lazily, so that ``import grader`` stays cheap)::

    grader.grade(path, rubric=None)   -> SubmissionResult   (every check)
    grader.check(path, rubric=None)   -> SubmissionResult   (public checks only)
    grader.check() / grader.check("softmax") in a Jupyter notebook: the kernel's code, shown under the cell
    grader.check_written("grad_pred", r"-w_i + \\sum_x \\hat{y}_x w_x") -> SubmissionResult  (a written answer)
    grader.override(results, id, question=None, score=X, note="")  -> SubmissionResult
    grader.load_rubric(name_or_path)  -> Rubric
    grader.SubmissionResult, grader.Rubric, grader.GraderError
"""

import os as _os

__version__ = "0.1.0"
__all__ = ["grade", "check", "check_written", "override", "load_rubric", "SubmissionResult", "Rubric", "GraderError", "__version__"]

# In a source checkout, reference/, rubrics/ and templates/ sit beside grader/ (an installed
# copy has them inside the package as grader.reference, grader.rubrics, grader.templates):
# let those names resolve there too, however the checkout is put on sys.path.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_root, "pyproject.toml")) and _os.path.isdir(_os.path.join(_root, "rubrics")):
    __path__.append(_root)  # noqa: F821 - __path__ is defined for packages


def __getattr__(name):
    if name in ("grade", "check", "check_written", "override"):
        from . import api

        return getattr(api, name)
    if name == "load_rubric":
        from .rubric import load_rubric

        return load_rubric
    if name in ("SubmissionResult", "Rubric"):
        from . import model

        return getattr(model, name)
    if name == "GraderError":
        from .errors import GraderError

        return GraderError
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
