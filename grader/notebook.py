"""Jupyter notebooks: read code cells without running anything, and turn IPython syntax into Python.

Reading uses :mod:`json` (no schema validation: it is the hot path); only notebooks
older than nbformat 4 go through :mod:`nbformat`'s converter, imported then.

IPython syntax becomes plain Python calling ``get_ipython()``, exactly as IPython
does it (``IPython.core.inputtransformer2.TransformerManager().transform_cell``
when IPython is importable, an equivalent fallback otherwise)::

    %matplotlib inline      ->  get_ipython().run_line_magic('matplotlib', 'inline')
    !pip install numpy      ->  get_ipython().system('pip install numpy')
    files = !ls             ->  files = get_ipython().getoutput('ls')
    np.sum?                 ->  get_ipython().run_line_magic('pinfo', 'np.sum')
    %%bash                  ->  get_ipython().run_cell_magic('bash', '', 'ls\\n')
    ls

The body of ``%%time``, ``%%timeit``, ``%%capture`` and ``%%prun`` is Python that
IPython would translate when running it: it is translated here too, and kept as the
cell's own code after a call of the magic with an empty body (``%%time`` becomes
``get_ipython().run_cell_magic('time', '', '')``), so that its lines keep their
numbers, Python 2 in it is translated like any cell's, and its errors name the cell.

Two notebook modes (the rubric's ``notebook_mode``):

- ``"all"`` (default): every code cell runs, in order, each within the harness's
  per-cell time budget.
- ``"definitions"``: each cell keeps only its top-level imports, function and class
  definitions and assignments (and ``try`` blocks made only of those); other
  statements (calls, loops, prints, ``if __name__ == "__main__":`` blocks, magics)
  become ``pass``, so test code left in cells does not run.  Line numbers are kept.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable

from .errors import LoadError, cut
from .pyast import parse

#: Longest cell given to IPython's transformer when a line ends with "?" (see :func:`to_python`).
IPYTHON_MAX_CHARS = 4096
#: Cell magics whose body is Python (translated too, and run by the sandbox's stub).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})


class NotebookError(LoadError):
    """A file that is not a readable Jupyter notebook; the message says why and what to do."""


@dataclass(frozen=True)
class RawCell:
    """A code cell as stored in the notebook."""

    index: int  #: position among all the notebook's cells, 0-based
    label: str  #: "cell [3]" (stored execution count) or "cell #5" (1-based position; for every cell when counts repeat)
    source: str  #: the cell as the student wrote it


def read_cells(data: bytes, name: str) -> list[RawCell]:
    """Return the code cells of a notebook file's content, blank ones left out.

    Stored outputs and metadata are ignored.  Any nbformat 4 minor version is
    read as it is; nbformat 1 to 3 are converted with nbformat.

    Parameters
    ----------
    data : bytes
        The ``.ipynb`` file's content.
    name : str
        How messages name the notebook: ``"hw1.ipynb"``.

    Returns
    -------
    list of RawCell

    Raises
    ------
    NotebookError
        The content is not JSON, or not a notebook.
    """
    try:
        nb = json.loads(data)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            # json's own message may end in "at" ("Invalid control character at"): not said twice
            f"{name} is not a readable notebook: it is not valid JSON ({exc.msg.removesuffix(' at')} at line {exc.lineno}, "
            f"column {exc.colno}); open it in Jupyter, save it again and hand it in again, "
            "or hand in your code as a .py file."
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise NotebookError(
            f"{name} is not a readable notebook: it is not JSON text ({type(exc).__name__}); "
            "open it in Jupyter, save it again and hand it in again, or hand in your code as a .py file."
        ) from None
    if isinstance(nb, dict) and "cells" not in nb and "worksheets" in nb:
        nb = _upgrade(nb, name)
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        found = "a JSON object without a 'cells' list" if isinstance(nb, dict) else f"a JSON {_json_kind(nb)}"
        raise NotebookError(
            f"{name} is not a Jupyter notebook: expected a JSON object with a 'cells' list, found {found}; "
            "hand in the .ipynb file that Jupyter saved, or your code as a .py file."
        )
    out = []
    counts: list[object] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str) or not source.strip():
            continue
        count = cell.get("execution_count")
        counts.append(count)
        label = f"cell [{count}]" if isinstance(count, int) and not isinstance(count, bool) else f"cell #{index + 1}"
        out.append(RawCell(index, label, source))
    numbered = [c for c in counts if isinstance(c, int) and not isinstance(c, bool)]
    if len(set(numbered)) < len(numbered):
        # Execution counts that do not tell cells apart (Colab saves 0 for every cell, a
        # re-run cell repeats its number): every cell is named by its position instead.
        out = [RawCell(c.index, f"cell #{c.index + 1}", c.source) for c in out]
    return out


def python2_kernel(data: bytes) -> bool:
    """Whether a notebook was saved from a Python 2 kernel: its metadata's kernel or language version says so.

    Jupyter saves the kernel a notebook last ran in (``kernelspec``, ``language_info``); a 2016 CS224d
    notebook's Python-3-looking code (``len(x) / 2`` as an index) ran as Python 2 there.

    >>> python2_kernel(b'{"metadata": {"kernelspec": {"name": "python2"}}, "cells": []}')
    True
    >>> python2_kernel(b'{"metadata": {"kernelspec": {"name": "python3"}}, "cells": []}')
    False
    """
    try:
        meta = json.loads(data).get("metadata")
    except (ValueError, UnicodeDecodeError, RecursionError, AttributeError):
        return False
    if not isinstance(meta, dict):
        return False
    spec, info = meta.get("kernelspec"), meta.get("language_info")
    name = spec.get("name") if isinstance(spec, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    if isinstance(version, str) and re.match(r"\d+\.", version):
        return version.startswith("2.")
    return isinstance(name, str) and re.fullmatch(r"python2(\.\d+)?", name.strip().lower()) is not None


def markdown_cells(data: bytes) -> list[tuple[str, str]]:
    """Return the Markdown cells of a notebook as ("cell #5", text) pairs; [] for an unreadable notebook.

    Written answers live there (see grader.written.answers); they are text, never run.
    """
    try:
        nb = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    if isinstance(nb, dict) and "cells" not in nb and "worksheets" in nb:
        try:
            nb = _upgrade(nb, "")  # nbformat 3: cells in worksheets; a heading cell becomes Markdown
        except NotebookError:
            return []
    cells = nb.get("cells") if isinstance(nb, dict) else None
    out = []
    for index, cell in enumerate(cells if isinstance(cells, list) else ()):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str) and source.strip():
            out.append((f"cell #{index + 1}", source))
    return out


def _upgrade(nb: dict[str, Any], name: str) -> dict[str, Any]:
    """Convert an nbformat 1-3 notebook to nbformat 4 with nbformat (imported only here)."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about the old notebook's schema
            major = nb.get("nbformat")
            reader = nbformat.versions.get(major) if isinstance(major, int) else None
            # IPython 2 saved text fields as lists of lines: joined first, as nbformat.read does
            # (the converter itself calls str methods on them).
            old = reader.to_notebook_json(nb) if reader is not None and hasattr(reader, "to_notebook_json") else nb
            return dict(nbformat.convert(nbformat.from_dict(old), 4))
    except Exception as exc:  # nbformat raises ValueError, ValidationError, AttributeError, KeyError...
        raise NotebookError(
            f"{name} is an old notebook (nbformat {nb.get('nbformat')!r}) that could not be converted "
            f"({type(exc).__name__}: {cut(str(exc))}); open it in Jupyter, save it again and hand it in again."
        ) from None


def _json_kind(value: object) -> str:
    """Return the JSON name of a value's type: 'array', 'string', ..."""
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null"
    )


# --------------------------------------------------------------------------- IPython syntax

_ipython: list[Any] = []  # [] not tried yet; [None] not importable; [TransformerManager()]


def ipython_transformer() -> Any:
    """Return IPython's ``TransformerManager``, or None when IPython is not importable.

    Imported once, on first use (it takes about 0.4 s).  Tests replace this
    function to run either path.
    """
    if not _ipython:
        try:
            from IPython.core.inputtransformer2 import TransformerManager

            _ipython.append(TransformerManager())
        except Exception:  # ImportError, or a broken IPython install
            _ipython.append(None)
    return _ipython[0]


def to_python(source: str) -> str:
    """Return a cell's source with IPython syntax turned into Python calling ``get_ipython()``.

    Uses IPython's own transformer when `ipython_transformer` returns one, and an
    equivalent fallback otherwise: line magics, ``!`` shell lines (also
    ``x = !ls``), ``x = %magic``, cell magics, ``obj?`` / ``?obj`` help, ``/f x``
    auto-calls, and ``>>>`` / ``In [1]:`` prompts, as IPython 8 does.  Strings,
    comments and ``%`` operators are left alone.  Unlike IPython, leading blank
    lines are kept, so that line numbers in errors match the cell.

    Parameters
    ----------
    source : str
        A code cell as written.

    Returns
    -------
    str
        Python source, ending with a newline.

    Examples
    --------
    >>> to_python("%matplotlib inline\\nx = '%d' % 3")
    "get_ipython().run_line_magic('matplotlib', 'inline')\\nx = '%d' % 3\\n"
    """
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    blank = 0
    while blank < len(lines) and lines[blank].isspace():
        blank += 1
    rest = _cleanup(lines[blank:])
    if not rest:
        return text
    prefix = "\n" * blank
    if rest[0].startswith("%%") and not re.match(r"%%\w+\?", rest[0]):
        name, _, line = rest[0][2:].rstrip().partition(" ")
        body = "".join(rest[1:])
        if name in PYTHON_CELL_MAGICS:
            # The body is the cell's own Python: it stays code, on its own lines (not a string
            # for the magic to run), so that it is translated from Python 2 like any cell and
            # its errors are named by the cell and the line the student sees.
            return (prefix + f"get_ipython().run_cell_magic({name!r}, {line!r}, '')\n"
                    + (to_python(body) if body.strip() else ""))
        return prefix + f"get_ipython().run_cell_magic({name!r}, {line!r}, {body!r})\n"
    # IPython's help-end recogniser (``obj?``) takes time quadratic in a line's length (32 s for
    # 20,000 characters): a long cell with a "?" at a line's end goes to the fallback, whose
    # recogniser is linear and gives the same answer (tests/test_transform.py).
    risky = len(text) > IPYTHON_MAX_CHARS and any(ln.rstrip().endswith("?") for ln in rest)
    manager = None if risky else ipython_transformer()
    if manager is not None:
        try:
            return prefix + automagic(manager.transform_cell("".join(rest)))
        except Exception:  # IPython gives up on some broken cells: the fallback keeps them as they are
            pass
    return prefix + automagic("".join(_transform_lines(rest)))


#: Line magics (and IPython's shell aliases, magics too) a notebook's cell may name without their ``%``:
#: IPython's automagic, on by default in Jupyter and Colab, runs ``pip install x`` or ``cd data`` as ``%pip``...
AUTOMAGICS = frozenset({
    "pip", "conda", "mamba", "cd", "pwd", "ls", "ll", "lf", "lk", "lx", "ldir", "cat", "cp", "mv", "rm", "rmdir",
    "mkdir", "env", "set_env", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "matplotlib",
    "pylab", "time", "timeit", "run", "who", "whos", "who_ls", "reset", "history", "config", "precision",
    "xmode", "pushd", "popd", "dirs", "bookmark", "lsmagic", "magic", "store", "load", "save", "sx", "system",
    "tensorflow_version", "pdb", "debug", "alias", "unalias", "rehashx", "colors", "doctest_mode", "page",
})
#: (matched on a line without its trailing blanks: ``(.*?)[ \t]*$`` took time quadratic in a run of blanks inside it)
_AUTOMAGIC_LINE = re.compile(r"^([ \t]*)([A-Za-z_]\w*)(?:[ \t]+(.*))?$")


#: Of them, those whose line with arguments can parse as Python (``cd /content/drive`` divides names) and
#: that a notebook does not use as names of its own (``time``, ``load`` are): such a statement is the magic.
_SHELL_MAGICS = frozenset({"cd", "ls", "ll", "pip", "conda", "mamba", "pwd", "mkdir", "rmdir", "rm", "cp", "mv",
                           "cat"})


def automagic(text: str) -> str:
    """`text` with each line that is a line magic's name and its arguments, and not Python, made the magic's call.

    In a cell that does not parse as Python, the lines that do not parse alone; in any cell, a statement
    that is only a shell magic's name, with or without arguments (``cd /content/drive``, ``ls -l``, ``pwd``:
    Python would divide or subtract names the cell never defines, or name one).  What is Python
    (``ls = [1]``, ``cd(x)``, ``time - t0``) stays as it is, as IPython leaves a name its namespace holds.
    """
    if not any(ln.lstrip().split(" ", 1)[0] in AUTOMAGICS for ln in text.splitlines()):
        return text
    lines = text.splitlines(keepends=True)
    try:
        tree = parse(text, quiet=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is None:
        todo = [i for i, ln in enumerate(lines) if not _parses(ln.strip())]
    else:
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        bound |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                  for a in n.names}
        bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        todo = []
        for n in ast.walk(tree):
            if isinstance(n, ast.Expr) and n.end_lineno == n.lineno and isinstance(n.value, (ast.BinOp, ast.Name)):
                left = n.value
                while isinstance(left, ast.BinOp):
                    left = left.left
                if isinstance(left, ast.Name) and left.id in _SHELL_MAGICS and left.id not in bound:
                    todo.append(n.lineno - 1)
    for i in todo:
        line = lines[i]
        m = _AUTOMAGIC_LINE.match(line.rstrip("\n").rstrip(" \t"))
        # (IPython's AssignmentChecker comes first: ``ls = 1``, ``ls, x = ...`` are Python)
        if m and m.group(2) in AUTOMAGICS and (m.group(3) or tree is not None) \
                and not (m.group(3) or "").startswith(("=", ",")):
            lines[i] = f"{m.group(1)}get_ipython().run_line_magic({m.group(2)!r}, {m.group(3) or ''!r})" + \
                ("\n" if line.endswith("\n") else "")
    return "".join(lines)


def _parses(line: str) -> bool:
    try:
        parse(line, quiet=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def plain_python(source: str) -> str | None:
    r"""Return what :func:`to_python` returns for a cell without IPython syntax, or None when it may hold some.

    A cell that parses as Python 3 (the caller checks: :func:`grader.load`) holds no magic,
    shell line or help request, so :func:`to_python` would only normalise its newlines
    and end it with one; that is done here, in the grader's process, without the helper
    (:mod:`grader.transform`).  Pasted prompts can parse (``In [1]: x = 1`` is an annotated
    assignment): a cell whose first lines look like prompts gets None.

    >>> plain_python("x = 1\r\ny = 2"), plain_python("In [1]: x = 1")
    ('x = 1\ny = 2\n', None)
    """
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    first = [ln for ln in text.split("\n", 64) if ln.strip()][:2]
    if any(_CLASSIC_PROMPT.match(ln) or _IPYTHON_PROMPT.match(ln) for ln in first):
        return None
    return text


# --- cleanup (as IPython's cleanup_transforms)

_CLASSIC_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")
_CLASSIC_FIRST = re.compile(r"^>>>( |$)")
_IPYTHON_PROMPT = re.compile(r"^(((\[nav\]|\[ins\])?\ )?In\ \[\d+\]:\ |\s*\.{3,}:\ ?)")


def _cleanup(lines: list[str]) -> list[str]:
    """Remove the first line's indentation from every line, then pasted prompts."""
    if lines:
        indent = re.match(r"^[ \t]+", lines[0])
        if indent:
            n = len(indent.group())
            lines = [ln[n:] if ln.startswith(indent.group()) else ln for ln in lines]
    for first, prompt in ((_CLASSIC_FIRST, _CLASSIC_PROMPT), (_IPYTHON_PROMPT, _IPYTHON_PROMPT)):
        if lines and (first.match(lines[0]) or (len(lines) > 1 and prompt.match(lines[1]))):
            lines = [prompt.sub("", ln, count=1) for ln in lines]
    return lines


# --- the fallback for IPython's token transforms

_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_NAME_START = re.compile(r"[A-Za-z_]")
_OUTSIDE = re.compile(r"""[#'"\\()\[\]{}]""")
_INSIDE = {d: re.compile(r"\\|" + re.escape(d)) for d in ("'", '"', "'''", '"""')}


def _help_call(target: str, esc: str) -> str:
    """Return the call IPython makes for ``target?`` (esc "?") or ``target??``."""
    method = "pinfo2" if esc == "??" else "psearch" if "*" in target else "pinfo"
    name, _, arg = f"{method} {target}".partition(" ")
    return f"get_ipython().run_line_magic({name.lstrip('%')!r}, {arg!r})"


def _magic_call(content: str) -> str:
    """Return the call for a line magic: content is what follows ``%``."""
    name, _, args = content.partition(" ")
    return f"get_ipython().run_line_magic({name!r}, {args!r})"


def _quote_call(content: str) -> str:
    """``,f a b`` -> ``f("a", "b")``."""
    name, _, args = content.partition(" ")
    return '%s("%s")' % (name, '", "'.join(args.split()))


def _quote2_call(content: str) -> str:
    """``;f a b`` -> ``f("a b")``."""
    name, _, args = content.partition(" ")
    return '%s("%s")' % (name, args)


def _paren_call(content: str) -> str:
    """``/f a b`` -> ``f(a, b)``."""
    name, _, args = content.partition(" ")
    return "%s(%s)" % (name, ", ".join(args.split()))


_ESCAPES: dict[str, Callable[[str], str]] = {
    "!!": lambda c: f"get_ipython().getoutput({c!r})",
    "??": lambda c: _help_call(c, "??") if c else "get_ipython().show_usage()",
    "!": lambda c: f"get_ipython().system({c!r})",
    "?": lambda c: _help_call(c, "?") if c else "get_ipython().show_usage()",
    "%": _magic_call,
    ",": _quote_call,
    ";": _quote2_call,
    "/": _paren_call,
}


def _transform_lines(lines: list[str]) -> list[str]:
    """Translate IPython syntax line by line, looking only at the start and end of logical lines."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        code = line[len(indent):]
        if code and code[0] in "!?%,;/":
            end = _end_of_continued(lines, i)
            content = _assemble(lines, i, len(indent), end)
            out.append(indent + (_help_end(content) or _escaped(content)) + "\n")
            i = end + 1
            continue
        at = _assignment(line)
        if at is not None:
            end = _end_of_continued(lines, i)
            rhs = _assemble(lines, i, at, end)
            help_call = _help_end(_assemble(lines, i, len(indent), end))
            if help_call:
                out.append(indent + help_call + "\n")
            elif rhs.startswith("%"):
                out.append(line[:at] + _magic_call(rhs[1:]) + "\n")
            else:
                out.append(line[:at] + f"get_ipython().getoutput({rhs[1:]!r})" + "\n")
            i = end + 1
            continue
        end, last = _logical_line(lines, i)
        piece = "".join(lines[i : end + 1])
        help_call = _help_end(piece[len(indent):]) if last == "?" else None
        out.extend([indent + help_call + "\n"] if help_call else lines[i : end + 1])
        i = end + 1
    return out


def _escaped(content: str) -> str:
    """Return the call for a line starting with an escape: ``!cmd``, ``%magic``, ``?obj``..."""
    esc = content[:2] if content[:2] in ("!!", "??") else content[:1]
    return _ESCAPES[esc](content[len(esc):])


def _help_end(content: str) -> str | None:
    """Return the help call for ``obj?`` at the end of `content`, or None.

    The same as ``_HELP_END.search(content)`` (IPython's pattern), found by reading the
    text backwards from its end once: the regex search tries every position and takes
    time quadratic in a line's length (``"%" + "a" * 60000`` took 77 s), this takes linear
    time (tests/test_notebook_linear.py compares the two).
    """
    if content.endswith("\n"):  # "$" also matches before a final newline
        content = content[:-1]
    esc_len = len(content) - len(content.rstrip("?"))
    if esc_len not in (1, 2):
        return None
    body = content[:-esc_len]
    start = _help_target_start(body)
    return None if start is None else _help_call(body[start:], content[-esc_len:])


def _name_char(ch: str) -> bool:
    """Return whether `ch` is matched by ``[\\w*]``."""
    return ch == "*" or ch == "_" or ch.isalnum()


def _help_target_start(body: str) -> int | None:
    """Return where the longest suffix of `body` matching `_HELP_END`'s target starts, or None.

    The target is ``%{0,2}`` then a name not starting with a digit, then segments
    ``.name`` or ``[-12]``; read from the end, every character is looked at at most twice.
    """
    best = None
    pos = len(body)
    while pos > 0:
        if body[pos - 1] == "]":  # "[-?[0-9]+]"
            q = pos - 1
            while q > 0 and body[q - 1] in "0123456789":
                q -= 1
            if q == pos - 1:
                break
            if q > 0 and body[q - 1] == "-":
                q -= 1
            if q == 0 or body[q - 1] != "[":
                break
            pos = q - 1
            continue
        r = pos
        while r > 0 and _name_char(body[r - 1]):
            r -= 1
        if r == pos:
            break
        first = next((i for i in range(r, pos) if not body[i].isdecimal()), None)
        if first is None:
            break
        start = first
        if first == r:
            while start > 0 and r - start < 2 and body[start - 1] == "%":
                start -= 1
        best = start
        if first == r and r > 0 and body[r - 1] == ".":
            pos = r - 1
            continue
        break
    return best


def _end_of_continued(lines: list[str], i: int) -> int:
    """Return the last line of lines[i] continued with backslashes."""
    while lines[i].endswith("\\\n") and i + 1 < len(lines):
        i += 1
    return i


def _assemble(lines: list[str], i: int, col: int, end: int) -> str:
    """Join backslash-continued lines from column `col` of line i, without backslashes and newlines."""
    parts = [lines[i][col:], *lines[i + 1 : end + 1]]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _assignment(line: str) -> int | None:
    """Return where ``%magic`` or ``!cmd`` starts after a line's first ``=``, or None.

    The ``=`` must be outside strings and brackets and not part of ``==``,
    ``+=``, ``<=``, ...: ``x = %timeit -o f()`` and ``files = !ls`` qualify.
    """
    depth, p, n = 0, 0, len(line)
    while p < n:
        c = line[p]
        if c == "#":
            return None
        if c in "'\"":
            delim = line[p : p + 3] if line[p : p + 3] == c * 3 else c
            p = _skip_string(line, p + len(delim), delim)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(depth - 1, 0)
        elif c == "=" and depth == 0:
            if line[p + 1 : p + 2] == "=" or (p and line[p - 1] in "=<>!+-*/%&|^@:"):
                p += 2 if line[p + 1 : p + 2] == "=" else 1
                continue
            if not line[:p].strip():
                return None
            q = p + 1
            while q < n and line[q] in " \t":
                q += 1
            if line[q : q + 1] == "%" and _NAME_START.match(line[q + 1 :].lstrip(" \t")):
                return q
            if line[q : q + 1] == "!" and line[q + 1 : q + 2] != "=":
                return q
            return None
        p += 1
    return None


def _skip_string(line: str, p: int, delim: str) -> int:
    """Return the position after the string that starts before p, or len(line) if it does not end."""
    pattern = _INSIDE[delim]
    while True:
        m = pattern.search(line, p)
        if m is None:
            return len(line)
        if m.group() == "\\":
            p = m.end() + 1
            continue
        return m.end()


def _logical_line(lines: list[str], i: int) -> tuple[int, str]:
    """Return the last physical line of the logical line starting at lines[i], and its last code character.

    The last code character is the last one outside strings and comments
    ("" when the line ends with a comment).
    """
    depth, string = 0, ""
    k = i
    while k < len(lines):
        line, p, last = lines[k], 0, ""
        continued_string = False
        while p < len(line):
            if string:
                m = _INSIDE[string].search(line, p)
                if m is None:
                    p = len(line)
                elif m.group() == "\\":
                    continued_string = line[m.end() : m.end() + 1] == "\n"
                    p = m.end() + 1
                else:
                    string, p, last = "", m.end(), m.group()[-1]
                continue
            m = _OUTSIDE.search(line, p)
            stop = m.start() if m else len(line)
            if line[p:stop].strip():
                last = line[p:stop].rstrip()[-1]
            if m is None:
                break
            c = m.group()
            if c == "#":
                last = ""
                break
            if c in "'\"":
                string = line[stop : stop + 3] if line[stop : stop + 3] == c * 3 else c
                p = stop + len(string)
                last = c
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth = max(depth - 1, 0)
            last, p = c, stop + 1
        if string in ("'", '"') and not continued_string:
            string = ""  # an unterminated one-line string ends with its line (a SyntaxError later)
        backslash = last == "\\" and line.rstrip("\n").endswith("\\")
        if not string and depth == 0 and not backslash:
            return k, last
        k += 1
    return len(lines) - 1, ""


# --------------------------------------------------------------------------- definitions mode

_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                ast.Assign, ast.AnnAssign, ast.AugAssign)


def keep_definitions(source: str) -> str:
    """Return a cell's Python with only its top-level definitions left (``notebook_mode = "definitions"``).

    Imports, function and class definitions, assignments, and ``try`` blocks made
    only of those are kept; every other top-level statement is replaced by
    ``pass`` (and blank lines), so line numbers do not move.  A cell that does
    not parse is returned as it is.

    Examples
    --------
    >>> print(keep_definitions("import numpy as np\\nprint(np.pi)\\nx = 1; f(x)\\n"), end="")
    import numpy as np
    pass
    x = 1; pass
    """
    try:
        tree = parse(source, quiet=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    drop = [node for node in tree.body if not _is_definition(node)]
    if not drop:
        return source
    lines = [ln.encode("utf-8") for ln in source.splitlines(keepends=True)]
    for node in reversed(drop):  # from the end, so earlier offsets stay valid
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        end_col = node.end_col_offset if node.end_col_offset is not None else len(lines[last])
        head, tail = lines[first][: node.col_offset], lines[last][end_col:]
        lines[first : last + 1] = [head + b"pass" + tail] + [b"\n"] * (last - first)
    return b"".join(lines).decode("utf-8")


def _is_definition(node: ast.stmt) -> bool:
    """Return whether a top-level statement is kept in definitions mode."""
    if isinstance(node, _DEFINITIONS):
        return True
    if isinstance(node, ast.Try):
        blocks = [node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)]
        return all(_is_definition(s) or isinstance(s, ast.Pass) for block in blocks for s in block)
    return False
