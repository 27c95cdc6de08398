"""Recognise Python 2 code and translate it to Python 3 with fissix (2to3), saying what changed.

Only code that does not parse as Python 3 is looked at.  fissix is imported
lazily, on the first such file: it costs about 0.1 s.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from typing import Any

from .pyast import parse

#: Standard 2to3 fixers left out.  ``import`` rewrites ``import utils`` into
#: ``from . import utils`` when a file of that name exists *in the grader's
#: current folder*; a submission's files are top-level modules, so it would
#: only break imports between them.  ``future`` deletes ``from __future__ import
#: division``, which says how the code's `/` divides: kept, so that the grader
#: sees it (the import is valid Python 3 and changes nothing there).
SKIPPED_FIXERS = ("import", "future")

# What a fixer's change is called in notes: (one, several).  Fixers that also
# rewrite valid Python 3 (map, zip, dict.keys...) are not evidence of Python 2 and
# are not named as "the first Python 2 construct" unless nothing else changed.
_LABELS: dict[str, tuple[str, str]] = {
    "print": ("print statement", "print statements"),
    "exec": ("exec statement", "exec statements"),
    "execfile": ("execfile", "execfile"),
    "except": ("'except E, e:' clause", "'except E, e:' clauses"),
    "raise": ("'raise E, V' statement", "'raise E, V' statements"),
    "throw": ("'throw(E, V)' call", "'throw(E, V)' calls"),
    "ne": ("'<>' operator", "'<>' operators"),
    "repr": ("backquotes", "backquotes"),
    "numliterals": ("Python 2 number literal", "Python 2 number literals"),
    "long": ("long", "long"),
    "tuple_params": ("tuple parameter", "tuple parameters"),
    "xrange": ("xrange", "xrange"),
    "has_key": ("has_key", "has_key"),
    "raw_input": ("raw_input", "raw_input"),
    "unicode": ("unicode", "unicode"),
    "basestring": ("basestring", "basestring"),
    "reduce": ("reduce", "reduce"),
    "apply": ("apply", "apply"),
    "intern": ("intern", "intern"),
    "getcwdu": ("os.getcwdu", "os.getcwdu"),
    "next": (".next()", ".next()"),
    "nonzero": ("__nonzero__", "__nonzero__"),
    "metaclass": ("__metaclass__", "__metaclass__"),
    "imports": ("Python 2 module name", "Python 2 module names"),
    "imports2": ("Python 2 module name", "Python 2 module names"),
    "urllib": ("urllib2", "urllib2"),
    "itertools": ("itertools.imap/izip/ifilter", "itertools.imap/izip/ifilter"),
    "itertools_imports": ("itertools.imap/izip/ifilter", "itertools.imap/izip/ifilter"),
    "standarderror": ("StandardError", "StandardError"),
    "sys_exc": ("sys.exc_type", "sys.exc_type"),
    "types": ("types.*Type", "types.*Type"),
    "funcattrs": ("func_* attributes", "func_* attributes"),
    "methodattrs": ("im_* attributes", "im_* attributes"),
    "renames": ("sys.maxint", "sys.maxint"),
    "xreadlines": ("xreadlines", "xreadlines"),
    "tabs": ("tabs mixed with spaces", "tabs mixed with spaces"),
    # Not evidence of Python 2 on their own:
    "dict_iter": ("dict.iteritems/iterkeys/itervalues", "dict.iteritems/iterkeys/itervalues"),
    "dict": ("dict method", "dict methods"),
    "map": ("map", "map"),
    "filter": ("filter", "filter"),
    "zip": ("zip", "zip"),
    "input": ("input", "input"),
}
_NEUTRAL = {"dict", "map", "filter", "zip", "input", "future", "isinstance", "paren", "sorted", "asserts",
            "operator", "reload", "exitfunc", "buffer", "idioms", "set_literal", "ws_comma"}

# Calls whose arguments are sizes or positions: `/` there was probably meant as `//`.
_SIZE_CALLS = {"range", "zeros", "ones", "empty", "full", "reshape", "randn", "rand", "randint",
               "arange", "eye", "identity", "tile", "repeat", "resize", "split"}


@dataclass(frozen=True)
class Python2:
    """What was found in, and done to, a piece of Python 2 code."""

    text: str  #: the Python 3 translation (the original when not translated)
    translated: bool
    diff: str  #: unified diff original -> translation ("" when not translated)
    constructs: tuple[str, ...]  #: what was translated, in order of first line: ("print statements", "xrange")
    first_line: int  #: line of the first Python 2 construct
    first: str  #: what it is, for one: "print statement"
    divisions: tuple[int, ...] = ()  #: lines of `/` used as an index or a size (left unchanged)
    #: (line, "1/2"): a `/` of two integer literals that Python 2 made 0 (1/2 * x is 0 there, and while graded)
    zero_divisions: tuple[tuple[int, str], ...] = ()


class TooLarge(SyntaxError):
    """Python 3 refuses the text for its size or depth, not its grammar: no translation can help.

    A sum of thousands of terms, parentheses nested more than 200 deep: Python itself
    cannot compile it (``RecursionError: maximum recursion depth exceeded during
    compilation``, ``SyntaxError: too many nested parentheses``), and neither can the
    Python 2 translator, whose parser recurses as deep.
    """


#: What Python's parser says of a text too large or too deep for it (Python 3.8-3.13).
_TOO_LARGE = ("too many nested parentheses", "too many statically nested blocks", "too many levels of indentation",
              "too many nested blocks", "too many nested f-strings")


def syntax_error(text: str, name: str = "<submission>") -> SyntaxError | None:
    """Return the SyntaxError Python 3 raises compiling `text`, or None when it parses.

    Nothing is run: the text is only parsed.  A text too large or too deeply nested for
    Python's parser gives a :class:`TooLarge`, whose message is what Python says.
    """
    return _parsed(text, name)[1]


def _parsed(text: str, name: str) -> tuple[ast.Module | None, SyntaxError | None]:
    """``(tree, None)`` when `text` parses as Python 3, else ``(None, the error)`` (see :func:`syntax_error`)."""
    try:
        return parse(text, name, quiet=True), None  # SyntaxWarning: invalid escape sequence, "is" with a literal...
    except SyntaxError as exc:
        if any(str(exc.msg).startswith(m) for m in _TOO_LARGE):
            return None, TooLarge(f"SyntaxError: {exc.msg} (line {exc.lineno})")
        return None, exc
    except (RecursionError, MemoryError) as exc:  # absurd nesting, a sum of thousands of terms
        why = str(exc).replace("during ast construction", "during compilation")  # as `python file.py` says it
        return None, TooLarge(f"{type(exc).__name__}: {why}" if why else type(exc).__name__)
    except ValueError as exc:  # null bytes
        return None, SyntaxError(str(exc) or type(exc).__name__)


def python2(text: str, name: str, translate: bool = True) -> Python2 | None:
    """Return what makes `text` Python 2 code, and its translation, or None when it is not.

    `text` is Python 2 code when it does not parse as Python 3 (or parses but uses
    Python 2-only builtins such as ``xrange`` or dict methods such as ``iteritems``,
    which fail only when run), fissix parses it
    (as Python 2) and its translation by the standard 2to3 fixers (less
    `SKIPPED_FIXERS`) parses as Python 3.  Leading tabs that Python 2 accepted
    mixed with spaces are expanded (a tab to the next multiple of 8 columns) when
    Python 3 refuses them.

    Integer division is not changed, as 2to3 does not change it: lines where a
    `/` result is used as an index or a size (``x[n / 2]``, ``range(n / 2)``,
    ``np.zeros(n / 2)``) are listed in `divisions` for a note, unless the code
    imports ``division`` from ``__future__`` (its `/` was already true division).

    Parameters
    ----------
    text : str
        Source that may be Python 2.
    name : str
        How messages name it.
    translate : bool
        False: only find the first Python 2 construct; `text` is returned unchanged.

    Returns
    -------
    Python2 or None
        None when `text` parses as Python 3, or parses as neither version.
    """
    err = syntax_error(text, name)
    if (err is None and not runtime_python2(text)) or isinstance(err, TooLarge):
        return None  # Python 3, or too large for any parser: translating cannot help
    new, changes = _fissix(text, name)
    if new is None:
        return None
    tree, err = _parsed(new, name)  # the translation parsed once: checked here, read for its divisions below
    if isinstance(err, TabError) or (err is not None and "inconsistent use of tabs" in str(err.msg)):
        new = _expand_leading_tabs(new)
        changes.append((_first_tab_line(text), "tabs"))
        tree, err = _parsed(new, name)
    if err is not None or tree is None or not changes:
        return None
    changes.sort(key=lambda c: c[0])
    evidence = [c for c in changes if c[1] not in _NEUTRAL] or changes
    first_line, first_fixer = evidence[0]
    constructs: list[str] = []
    for _, fixer in changes:
        label = _LABELS.get(fixer, (fixer, fixer))[1]
        if label not in constructs and fixer not in _NEUTRAL:
            constructs.append(label)
    first = _LABELS.get(first_fixer, (first_fixer, first_fixer))[0]
    if not translate:
        return Python2(text, False, "", tuple(constructs), first_line, first)
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{name} (as handed in)",
            f"{name} (translated to Python 3)",
        )
    )
    true = _true_division(tree)
    divisions = () if true else _index_divisions(tree)
    return Python2(new, True, diff, tuple(constructs), first_line, first, divisions,
                   () if true else _zero_divisions(tree))


def imports_true_division(text: str) -> bool:
    """Return whether `text` has ``from __future__ import division`` at its top level.

    Python 2 code with that import divided as Python 3 does: its `/` is not integer
    division, and the grader keeps it so (``_worker._Py2Division`` is not applied).
    """
    if "division" not in text:
        return False
    try:
        tree = parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _true_division(tree)


def _true_division(tree: ast.Module) -> bool:
    """Whether a parsed module imports ``division`` from ``__future__`` at its top level."""
    return any(isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
               and any(a.name == "division" for a in stmt.names) for stmt in tree.body)


# --------------------------------------------------------------------------- runtime Python 2-isms

#: Builtins that exist only in Python 2: code using them parses as Python 3 but fails when run.
_PY2_BUILTINS = {"xrange", "raw_input", "unicode", "basestring", "long", "unichr", "execfile", "reduce",
                 "cmp", "apply", "intern", "buffer"}
#: Methods that exist only in Python 2 dicts.
_PY2_METHODS = {"iteritems", "itervalues", "iterkeys", "has_key"}
_PY2_WORDS = re.compile(r"\b(?:" + "|".join(sorted(_PY2_BUILTINS | _PY2_METHODS)) + r")\b")


def runtime_python2(text: str) -> bool:
    r"""Return True when Python 3 code calls Python 2-only builtins or dict methods it does not define itself.

    >>> runtime_python2("for i in xrange(3):\n    print(i)\n")
    True
    >>> runtime_python2("def xrange(n):\n    return range(n)\nxrange(3)\n")
    False
    >>> runtime_python2("d = {}\nfor k, v in d.iteritems():\n    pass\n")
    True
    """
    if not _PY2_WORDS.search(text):
        return False  # none of the names appears anywhere: no need to parse (most submissions)
    try:
        tree = parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    used, defined = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Attribute) and node.attr in _PY2_METHODS:
            return True
    return bool((used - defined) & _PY2_BUILTINS)


# --------------------------------------------------------------------------- fissix

_tool: Any = None
_changes: list[tuple[int, str]] = []
#: Fixers switched off for the text being translated (see :func:`_gated`).
_off: set[str] = set()


def _words_needed() -> dict[str, tuple[str, ...]]:
    """Fixers that change nothing unless one of these strings is in the text: what their patterns name.

    ``sorted`` matches calls of ``sorted`` and ``.sort``, ``asserts`` unittest methods whose
    names hold "assert" or "fail", ``imports``, ``imports2`` and ``urllib`` imports and uses of
    the modules their mappings name.  Each is skipped for a text that holds none of its
    strings (anywhere, comments included): they are a third of a translation's time,
    ``sorted`` alone a sixth (it visits every node of the tree), and most files name none.
    """
    from fissix.fixes import fix_imports, fix_imports2, fix_urllib

    return {"sorted": ("sort",), "asserts": ("assert", "fail"), "imports": tuple(fix_imports.MAPPING),
            "imports2": tuple(fix_imports2.MAPPING), "urllib": tuple(fix_urllib.MAPPING)}


_needed: dict[str, tuple[str, ...]] = {}


def _fissix(text: str, name: str) -> tuple[str | None, list[tuple[int, str]]]:
    """Translate with fissix; return (new text or None when it does not parse, [(line, fixer)])."""
    global _tool
    if _tool is None:
        _needed.update(_words_needed())
        _tool = _make_tool()
    _changes.clear()
    source = text if text.endswith("\n") else text + "\n"  # fissix needs a final newline
    _off.clear()
    _off.update(n for n, words in _needed.items() if not any(w in source for w in words))
    try:
        tree = _tool.refactor_string(source, name)
    except Exception:  # fissix raises ParseError, TokenError, IndentationError... for non-Python-2 text
        return None, []
    if tree is None:
        return None, []
    new = str(tree)
    if not text.endswith("\n"):
        new = new[:-1]
    return new, list(_changes)


def _make_tool() -> Any:
    """Build the fissix refactoring tool, recording which fixer changed which line."""
    from fissix import refactor

    names = [
        n for n in refactor.get_fixers_from_package("fissix.fixes")
        if n.rsplit(".fix_", 1)[1] not in SKIPPED_FIXERS
    ]
    tool = refactor.RefactoringTool(names)
    for fixer in tool.pre_order + tool.post_order:
        fixer.transform = _recording(fixer)
        name = type(fixer).__module__.rsplit(".fix_", 1)[1]
        if name in _needed:
            fixer.match = _gated(fixer.match, name)
    return tool


def _gated(match: Any, name: str) -> Any:
    """Wrap a fixer's match so that it matches nothing while the fixer is off for the text (``_off``)."""

    def gated(node: Any) -> Any:
        return False if name in _off else match(node)

    return gated


def _recording(fixer: Any) -> Any:
    """Wrap a fixer's transform so that changes it makes are recorded with their line."""
    transform = fixer.transform
    name = type(fixer).__module__.rsplit(".fix_", 1)[1]

    def recorded(node: Any, results: Any) -> Any:
        line, before = node.get_lineno(), str(node)
        new = transform(node, results)
        if str(node if new is None else new) != before:
            iter_method = name == "dict" and re.search(r"\.(iter|view)(items|keys|values)\b", before)
            _changes.append((line or 1, "dict_iter" if iter_method else name))
        return new

    return recorded


# --------------------------------------------------------------------------- helpers

_LEADING = re.compile(r"^[ \t]+", re.MULTILINE)


def _expand_leading_tabs(text: str) -> str:
    """Expand tabs in indentation as Python 2 read them (to the next multiple of 8)."""
    return _LEADING.sub(lambda m: m.group().expandtabs(8), text)


def _first_tab_line(text: str) -> int:
    """Return the first line indented with a tab (1 when none)."""
    for i, line in enumerate(text.splitlines(), 1):
        if line[: len(line) - len(line.lstrip(" \t"))].count("\t"):
            return i
    return 1


def _zero_divisions(tree: ast.Module) -> tuple[tuple[int, str], ...]:
    r"""Return where a parsed module divides two integer literals that Python 2 made 0 (``1/2``, ``1 / 3``).

    >>> _zero_divisions(ast.parse("cost = 1/2 * reg * x\nh = 3/2\nk = 1.0/2\n"))
    ((1, '1/2'),)
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and all(
                isinstance(side, ast.Constant) and type(side.value) is int for side in (node.left, node.right)) \
                and 0 <= node.left.value < node.right.value:
            found.append((node.lineno, f"{node.left.value}/{node.right.value}"))
    return tuple(sorted(set(found))[:20])


def _index_divisions(tree: ast.Module) -> tuple[int, ...]:
    """Return the lines of a parsed module where a `/` result is used as an index or a size.

    `/` inside subscripts and size arguments counts, not inside other calls there
    (``x[int(n / 2)]``).  The tree is walked with an explicit stack, not recursion: a
    long expression (a sum of thousands of terms nests that deep) costs time, never a
    RecursionError (issue 12).
    """
    lines: set[int] = set()
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, ast.Subscript):
            stack += [(node.value, inside), (node.slice, 1)]
            continue
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            stack.append((func, inside))
            stack += [(arg, 1 if name in _SIZE_CALLS else 0) for arg in (*node.args, *(k.value for k in node.keywords))]
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and inside:
            lines.add(node.lineno)
        stack += [(child, inside) for child in ast.iter_child_nodes(node)]
    return tuple(sorted(lines))
