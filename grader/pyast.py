"""Parse Python source into an AST in the grader's process: one thread at a time.

The grader's process loads submissions in several threads at once (a batch's slots; with
``--cluster``, a slot per chunk in flight).  CPython 3.11's AST constructor keeps its
recursion depth in state shared by the whole interpreter, not per thread: when two threads
build ASTs at once (the GIL changes hands while the objects are made), one of them may fail
with ``SystemError: AST constructor recursion depth mismatch`` (CPython gh-106905), and the
submission it was reading would get an error result.  Every parse of a submission's text
in the grader's process goes through :func:`parse`, which holds a lock.

>>> parse("x = 1").body[0].__class__.__name__
'Assign'
"""

from __future__ import annotations

import ast
import threading
import warnings

_LOCK = threading.Lock()


def parse(text: str, name: str = "<unknown>", *, quiet: bool = False) -> ast.Module:
    """Return ``ast.parse(text, name)``, one thread at a time; ``quiet`` ignores its SyntaxWarnings.

    Raises what :func:`ast.parse` raises (SyntaxError, ValueError for null bytes,
    RecursionError, MemoryError).
    """
    with _LOCK:
        if not quiet:
            return ast.parse(text, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning: invalid escape sequence, "is" with a literal...
            return ast.parse(text, name)
