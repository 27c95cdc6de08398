"""GraderError hierarchy: faults of the TA's input or of the grader, each with an exit code.

Student faults are never exceptions: they are check results with status "fail" or "error".
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes of the `grader` command (see contract.md)."""

    OK = 0  #: done; for `check`: every public check passed
    CHECK_FAILED = 1  #: `check` only: a public check failed
    USAGE = 2  #: bad arguments, rubric or input path
    BUG = 3  #: a bug in grader
    INTERRUPTED = 130  #: stopped by Ctrl-C (SIGINT): 128 + the signal's number, as shells report it
    #: stopped by SIGTERM (``kill``, a job scheduler's or container's stop): 128 + its number
    TERMINATED = 143
    #: what it printed was no longer read (``grader check x.py | head -1``): 128 + SIGPIPE's number,
    #: as a program the signal stops reports it; quietly, as the reader wanted no more
    OUTPUT_CLOSED = 141


class Terminated(KeyboardInterrupt):
    """SIGTERM received by the grader's process: stopped as Ctrl-C stops it (what was written is kept)."""


class OutputClosed(BaseException):
    """The reader of what a batch prints went away (``grader grade --json | head -1``).

    Raised from the batch's callback when printing a result fails with BrokenPipeError: a
    BaseException, so that the batch stops as Ctrl-C stops it (what was written is kept)
    rather than taking the failure for that submission's (an error result for every one left).
    """


class GraderError(Exception):
    """An error the user can fix: printed as ``error: ...`` with its exit code."""

    exit_code: ExitCode = ExitCode.USAGE

    def format_message(self) -> str:
        """Return the message shown after ``error: ``."""
        return str(self)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows under a notebook cell for it (instead of a traceback through grader's own code)."""
        return [f"{type(self).__name__}: {self.format_message()}"]


class UsageError(GraderError):
    """Bad command-line arguments or input path."""


class RubricError(GraderError):
    """A rubric file that cannot be used: ``rubric w2v.toml: questions.softmax...: why``."""

    def __init__(self, path: str, where: str, why: str) -> None:
        self.path, self.where, self.why = path, where, why
        super().__init__(f"rubric {path}: {where}: {why}" if where else f"rubric {path}: {why}")


class IsolationError(GraderError):
    """The sandbox the user asked for is not available here."""


class LoadError(Exception):
    """A submission that cannot be loaded at all (becomes status "error", never exits the grader)."""


#: Most characters of an exception's text printed to the terminal: it can hold student code or
#: whole findings (the grader's other paths cut there too: batch errors, the transform helper).
SAID = 200


def cut(text: str, limit: int = SAID) -> str:
    """Return `text` cut at `limit` characters, saying how much more there was."""
    return text if len(text) <= limit else f"{text[:limit]} ... ({len(text) - limit} more characters)"


def bug_traceback(exc: BaseException) -> list[str]:
    """Return the traceback of a bug in grader, as ``traceback.format_exception``, each exception's text cut.

    The frames are the grader's own; the texts of the exception, of those it was raised from
    or while handling, and their notes are cut at `SAID` characters each.
    """
    import traceback

    te = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    todo = [te]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if isinstance(getattr(t, "_str", None), str):  # the exception's text (the standard library's own name)
            t._str = cut(t._str)
        notes = getattr(t, "__notes__", None)
        if isinstance(notes, list):
            t.__notes__ = [cut(str(n)) for n in notes]
        todo += [c for c in (t.__cause__, t.__context__) if c is not None]
        todo += list(getattr(t, "exceptions", None) or ())  # an ExceptionGroup's
    return list(te.format())
