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
import functools
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Mapping

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


# --------------------------------------------------------------------------- what a text defines


_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


@dataclass(frozen=True)
class Definitions:
    """What a text of Python defines at top level, read once (:func:`definitions`); nothing runs.

    The one reader of a student's top-level definitions in the grader's process: the callers'
    causes (who calls whom), the notes on a function defined in several cells or files, and the
    in-notebook check's reading of the kernel's history all take it from here.  No tree is kept
    (a batch reads many texts): only names and where the definitions are.
    """

    text: str  #: the text read (the cache's key: no copy)
    parsed: bool  #: False when it does not parse as Python 3 (every other field is then empty)
    functions: tuple[str, ...] = ()  #: the names of its top-level ``def``s, in order (a name twice when defined twice)
    #: for each top-level function (its last ``def``), the names its body calls: ``f(...)``, ``x.f(...)``
    calls: Mapping[str, frozenset[str]] = field(default_factory=dict)
    names: frozenset[str] = frozenset()  #: every top-level name it binds: def, class, import, assignment target
    imports: frozenset[str] = frozenset()  #: the modules it imports (absolute imports) or ``%run``s
    #: its ``def``, ``class`` and ``import`` statements: (line, column, end line, end column) of each
    #: decorator, then of the statement (columns in UTF-8 bytes, as the tree has them)
    spans: tuple[tuple[tuple[int, int, int, int], ...], ...] = ()

    @functools.cached_property
    def statements(self) -> str:
        """Its ``def``, ``class`` and ``import`` statements, decorators with them, one after the other.

        >>> print(definitions("import os\\nx = 1\\n@dec(2)\\ndef f():\\n    return x\\n").statements)
        import os
        <BLANKLINE>
        @dec(2)
        def f():
            return x
        """
        out = []
        for spans in self.spans:
            *decorators, stmt = (ast.get_source_segment(self.text, _Span(*s)) or "" for s in spans)
            out.append("".join(f"@{d}\n" for d in decorators) + stmt)
        return "\n\n".join(s for s in out if s.strip())


class _Span:
    """Where a node was, for :func:`ast.get_source_segment`."""

    __slots__ = ("lineno", "col_offset", "end_lineno", "end_col_offset")

    def __init__(self, lineno: int, col_offset: int, end_lineno: int, end_col_offset: int) -> None:
        self.lineno, self.col_offset, self.end_lineno, self.end_col_offset = lineno, col_offset, end_lineno, end_col_offset


def _span(node: ast.AST) -> tuple[int, int, int, int]:
    return node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0


def _children(node: ast.AST, into: list[ast.AST]) -> None:
    """Put the nodes directly under `node` in `into` (:func:`ast.iter_child_nodes`, without its generators)."""
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            into.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            into.append(value)


def _read(text: str) -> Definitions:
    try:
        tree = parse(text, quiet=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Definitions(text, False)
    functions: list[str] = []
    calls: dict[str, frozenset[str]] = {}
    names: set[str] = set()
    spans = []
    seen: list[ast.AST] = []  # the imports and %run calls, for the sandbox's rule (_worker.imported_modules)
    # the lines that may hold one (its keyword is on them): a statement on none of them is not walked for them
    marked = {i for i, line in enumerate(text.splitlines(), 1) if "import" in line or "run_line_magic" in line}
    for node in tree.body:
        if isinstance(node, _DEFINITION):
            spans.append(tuple(_span(d) for d in getattr(node, "decorator_list", ())) + (_span(node),))
        rest: list[ast.AST] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node.name)
            names.add(node.name)
            called: set[str] = set()
            stack: list[ast.AST] = list(node.body)
            while stack:  # an explicit stack: a deep expression costs time, never a RecursionError
                n = stack.pop()
                if isinstance(n, ast.Call):
                    func = n.func
                    if isinstance(func, ast.Name):
                        called.add(func.id)
                    elif isinstance(func, ast.Attribute):
                        called.add(func.attr)
                        if func.attr == "run_line_magic":
                            seen.append(n)
                elif isinstance(n, (ast.Import, ast.ImportFrom)):
                    seen.append(n)
                _children(n, stack)
            calls[node.name] = frozenset(called)
            rest = [*node.decorator_list, node.args, *([node.returns] if node.returns else [])]
        else:
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    names.update(x.id for x in ast.walk(t) if isinstance(x, ast.Name))
            rest = [node]
        if not any(i in marked for i in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
            continue
        while rest:
            n = rest.pop()
            if isinstance(n, (ast.Import, ast.ImportFrom)) or (
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "run_line_magic"):
                seen.append(n)
            _children(n, rest)
    imports: frozenset[str] = frozenset()
    if seen:
        from ._worker import imported_modules

        imports = frozenset(imported_modules(ast.Module(body=[ast.Expr(n) for n in seen], type_ignores=[])))
    return Definitions(text, True, tuple(functions), calls, frozenset(names), imports, tuple(spans))


#: The texts read lately, and how much text they hold at most (a batch's submissions are many).
_CACHE: OrderedDict[str, Definitions] = OrderedDict()
_CACHE_CHARS = 16 << 20
_cached_chars = 0
_CACHE_LOCK = threading.Lock()


def definitions(text: str) -> Definitions:
    """Return what `text` defines at top level (:class:`Definitions`), read once per text.

    The texts read lately are kept (at most 16 Mi characters of them), so that the readers of one
    submission, or of a kernel's history at every check, parse each text once.

    >>> d = definitions("import numpy as np\\ndef f(x):\\n    return np.exp(g(x))\\ndef g(x):\\n    return x\\n")
    >>> d.functions, sorted(d.calls["f"]), sorted(d.names), sorted(d.imports)
    (('f', 'g'), ['exp', 'g'], ['f', 'g', 'np'], ['numpy'])
    >>> definitions("print x").parsed
    False
    """
    global _cached_chars
    with _CACHE_LOCK:
        hit = _CACHE.get(text)
        if hit is not None:
            _CACHE.move_to_end(text)
            return hit
    read = _read(text)
    if len(text) <= _CACHE_CHARS // 16:
        with _CACHE_LOCK:
            if text not in _CACHE:
                _CACHE[text] = read
                _cached_chars += len(text)
                while _cached_chars > _CACHE_CHARS:
                    _cached_chars -= len(_CACHE.popitem(last=False)[0])
    return read
