"""Check from inside the student's Jupyter kernel: ``grader.check()`` in a cell, the verdict shown under it.

The kernel is where the student works, not where their code is judged: the functions are
taken as *source* from the kernel (the cells it ran, in the order it last ran them, and the
helper modules of the working folder those cells import), handed in as a notebook would
be, and run in the same sandbox as ``grader check`` (never in the kernel's process).  The
verdicts are the ones ``grader check`` gives the saved notebook.

One warm sandbox is kept for the kernel's lifetime, so that the second check answers much
faster than the first; it is stopped when the kernel exits (``atexit``), and its zygote
dies with the kernel in any case.

Examples
--------
In a notebook cell::

    import grader
    grader.check()            # every public check of the questions whose functions are defined
    grader.check("softmax")   # one question
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import UsageError
from .model import Rubric, SubmissionResult

#: At most this many cells are taken from the kernel's history (the last ones).
MAX_CELLS = 2000
#: Helper modules of the working folder: at most this many files, each at most this many bytes.
MAX_HELPERS = 50
MAX_HELPER_BYTES = 2 << 20

_lock = threading.Lock()
_warm: dict[tuple[str, tuple[str, ...]], Any] = {}  #: (isolation, allowed packages) -> a started Sandbox


def _release_all() -> None:
    """Stop every sandbox this kernel started (run at exit)."""
    with _lock:
        boxes = list(_warm.values())
        _warm.clear()
    for sb in boxes:
        try:
            sb.release()
        except Exception:  # noqa: BLE001 - exiting: nothing more to do
            pass


atexit.register(_release_all)


def _sandbox(isolation: str, allow: tuple[str, ...]):
    """Return this kernel's warm sandbox for `isolation` and `allow`, started on first use."""
    from .sandbox import Sandbox

    key = (isolation, allow)
    with _lock:
        sb = _warm.get(key)
        if sb is None:
            sb = _warm[key] = Sandbox(isolation, allow=allow)
            sb.spawn()
        return sb


def stop() -> None:
    """Stop the warm sandbox now (the next check starts a new one)."""
    _release_all()


# --------------------------------------------------------------------------- what the kernel ran


def _shell():
    """Return the running IPython shell, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def kernel_cells(history: Iterable[str]) -> list[str]:
    """Return the cells to hand in, from the kernel's input history (``In``), oldest first.

    A cell run several times counts once, where it was last run; empty cells are dropped.
    Cells that talk to the grader itself (``import grader``, ``r = grader.check()``) are kept
    whole: the sandbox's stand-in for ``grader`` accepts them and does nothing, as grading
    the notebook from disk does.  (:func:`kernel_runs` says how they are replayed.)

    >>> kernel_cells(["", "x = 1", "import grader, numpy as np", "def f():\\n    return 2", "x = 1"])
    ['import grader, numpy as np', 'def f():\\n    return 2', 'x = 1']
    """
    return [src.strip("\n") for _, src in _last_runs(_entries(history))]


def _entries(history: Iterable[str]) -> list[tuple[int, str]]:
    """The runs of the history that hold code: (``In[n]``'s n, the cell), the last MAX_CELLS."""
    return [(n, h) for n, h in enumerate(history) if isinstance(h, str) and h.strip()][-MAX_CELLS:]


def _last_runs(entries: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Each cell where it was last run, in the order of those runs."""
    last = {src: n for n, src in entries}
    return [(n, src) for n, src in entries if last[src] == n]


def kernel_runs(history: Iterable[str]) -> list[tuple[int | None, str]]:
    """Return the cells to replay, in order: (``In[n]``'s n, or None for a definitions pass; the source).

    The kernel's state is what every run made, in the order they were run.  Replaying every
    run would repeat slow cells, so it is rebuilt in two passes:

    1. the definitions (``def``, ``class``, ``import``) of every run, in the order of the runs:
       what a definition took from another when it ran (a default argument, a decorator, a base
       class) is there, whatever order the cells were run in; these are cheap, and their errors
       are not reported (:func:`check` leaves out every cell without an ``In[n]``);
    2. each cell where it was last run, whole, named by its ``In[n]`` -- but not a cell that
       a later one, edited from it, replaced: one defining every name it defines.

    >>> [n for n, _ in kernel_runs(["", "def f(h=g): pass", "def g(): pass", "def f(h=g): pass", "print(1)"])]
    [None, None, None, 2, 3, 4]
    >>> [src for n, src in kernel_runs(["", "x = f(dleta)", "x = f(delta)"]) if n]
    ['x = f(delta)']
    """
    entries = _entries(history)
    runs: list[tuple[int | None, str]] = []
    for _, src in entries:
        defs = _definitions(src)
        if defs:
            runs.append((None, defs))
    finals = _last_runs(entries)
    names = {n: _defined_names(src) for n, src in finals}
    for i, (n, src) in enumerate(finals):
        mine = names[n]
        if mine and any(mine <= names[m] for m, _ in finals[i + 1:]):
            continue  # an earlier version of a cell run again since, edited
        runs.append((n, src.strip("\n")))
    return runs


@functools.lru_cache(maxsize=4096)
def _python(src: str) -> str:
    """A cell's Python (IPython syntax translated), once per text: a kernel's history repeats its cells
    (every re-run), and every check reads it all."""
    from .notebook import to_python

    return to_python(src)


def _read(src: str):
    """What a cell defines (:func:`grader.pyast.definitions`, read once per text)."""
    from .pyast import definitions

    return definitions(_python(src))


def _definitions(src: str) -> str:
    """The ``def``, ``class`` and ``import`` statements of a cell (decorators with them), one after the other."""
    return _read(src).statements


def _defined_names(src: str) -> frozenset[str]:
    """The top-level names a cell defines (def, class, assignment targets, imports)."""
    return _read(src).names


def _imported(cells: Iterable[str]) -> set[str]:
    """Return the top-level names of the modules the cells import or ``%run`` (cells that do not parse are skipped).

    >>> sorted(_imported(["import numpy as np, utils.treebank", "%run q2_sigmoid.py", "from . import x"]))
    ['numpy', 'q2_sigmoid', 'utils']
    >>> sorted(_imported(["%run -i ./q2_neural.py", "%run q3_sgd", "%run -m q1_softmax"]))
    ['q1_softmax', 'q2_neural', 'q3_sgd']
    """
    names: set[str] = set()
    for src in cells:
        read = _read(src)
        # a cell that does not parse as Python 3 (a saved 2016 notebook's `print x`): its import lines
        names |= read.imports if read.parsed else _module_imports(read.text.encode("utf-8"))
    return names


_IMPORT_LINE = re.compile(r"^[ \t]*(?:import[ \t]+([\w. \t,]+)|from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import\b)", re.M)


def _defined(*args: Any, **kwargs: Any) -> None:
    """Stands for a function a helper module defines, for :func:`defined_questions` (never called)."""


def _functions_of(data: bytes) -> set[str]:
    """The names of the functions a helper file defines at top level (read line by line when it is Python 2)."""
    from .pyast import definitions

    read = definitions(data.decode("utf-8", errors="replace"))
    if not read.parsed:
        return set(re.findall(r"^def[ \t]+([A-Za-z_]\w*)", read.text, re.M))
    return set(read.functions)


def _module_imports(data: bytes) -> set[str]:
    """The top-level names of the modules a helper file imports; read line by line when it is not Python 3 (a 2016 file)."""
    from .pyast import definitions  # (imports: the sandbox's rule too, _worker.imported_modules)

    read = definitions(data.decode("utf-8", errors="replace"))
    if read.parsed:
        return set(read.imports)
    names: set[str] = set()
    for m in _IMPORT_LINE.finditer(read.text):
        if m.group(2):
            names.add(m.group(2))
        else:
            names.update(part.split()[0].split(".")[0] for part in m.group(1).split(",") if part.split())
    return names


def helper_files(folder: Path, modules: Iterable[str]) -> dict[str, bytes]:
    """Return the student's own modules among `modules`: ``<m>.py`` or the ``.py`` files of package ``<m>/``.

    And the modules of the folder those import, in turn (``from q3_word2vec import *`` in the
    kernel, ``from q1_softmax import softmax`` in q3_word2vec.py): the kernel holds what they made.
    """
    out: dict[str, bytes] = {}
    todo, seen = sorted(modules), set()
    while todo:
        m = todo.pop(0)
        if m in seen or not re.fullmatch(r"[A-Za-z_]\w*", m):
            continue
        seen.add(m)
        candidates = [folder / f"{m}.py"]
        pkg = folder / m
        if not pkg.is_symlink() and pkg.is_dir() and (pkg / "__init__.py").is_file():
            candidates += sorted(p for p in pkg.rglob("*.py") if "__pycache__" not in p.parts)
        for p in candidates:
            if len(out) >= MAX_HELPERS:
                return out
            try:
                # nothing through a link (a package folder's, or one inside it): only the folder's own files
                rel = p.relative_to(folder)
                if p.is_file() and not any((folder / q).is_symlink() for q in (rel, *rel.parents[:-1])) \
                        and p.stat().st_size <= MAX_HELPER_BYTES:
                    out[p.relative_to(folder).as_posix()] = data = p.read_bytes()
                    todo += sorted(_module_imports(data) - seen)
            except OSError:
                continue
    return out


def kernel_submission_files(history: Iterable[str], folder: Path, name: str = "notebook.ipynb") -> dict[str, bytes]:
    """Return what the kernel hands in: the notebook `name` made of its cells, and the helper modules they import.

    Each cell carries its run's ``In[n]`` as its execution count, so that messages name the cell
    as Jupyter shows it ("cell [8]").
    """
    import nbformat

    runs = kernel_runs(history)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src, execution_count=n) for n, src in runs]
    files = helper_files(folder, _imported(src for _, src in runs))
    files[name] = nbformat.writes(nb).encode("utf-8")
    return files


def helpers_note(notebook: str, helpers: Iterable[str]) -> str:
    """The note saying which modules of the notebook's folder were checked with it."""
    helpers = sorted(helpers)
    shown = ", ".join(helpers[:8]) + (f" and {len(helpers) - 8} more" if len(helpers) > 8 else "")
    # (IPython in a terminal: no notebook, and the folder is the one it was started in)
    folder, whole = ("the working folder", "the session's code") if notebook == THIS_SESSION else \
        ("its folder", "the notebook")
    return (f"{notebook} imports or runs {shown}, of {folder}: {'they were' if len(helpers) > 1 else 'it was'} "
            f"checked with {whole}.")


def with_helpers(path: Path, sub: Any, settings: Any = None) -> Any:
    """Return `sub`, the notebook `path` loaded alone, with the modules beside it that it imports or ``%run``s.

    What the in-notebook check hands in with the kernel's cells (:func:`helper_files`), so that
    ``grader check NOTEBOOK`` and ``grader.check()`` in its kernel give the same verdicts.
    `settings` None: peeked at (:func:`grader.load.peek_files`).  A notebook importing none
    of its folder's modules, or one that did not load, is returned as it is.
    """
    from .load import load_files, peek_files
    from .notebook import NotebookError, read_cells

    # (the notebook, and the modules its %%writefile cells write when they are not beside it: grader.load)
    if sub.error is not None or [f.cells is not None for f in sub.files].count(True) != 1:
        return sub
    try:
        data = path.read_bytes()
        cells = read_cells(data, path.name)  # whole (a peek cuts them), as the kernel has them
    except (OSError, NotebookError):
        return sub
    helpers = helper_files(path.parent, _imported(c.source for c in cells))
    # In a Canvas download (the notebook named as Canvas names files), the files beside it are the class's and
    # the TA's: none named otherwise is the student's, nor one of another student; elsewhere, a file named as
    # Canvas names files is not the student's helper either.
    from . import canvas

    own = canvas.parse(path.name)
    helpers = {k: v for k, v in helpers.items()
               if (c := canvas.parse(k.split("/")[0])) is None and own is None
               or c is not None and own is not None and c.user_id == own.user_id}
    if not helpers:
        return sub
    files = {path.name: data, **helpers}
    both = peek_files(path.name, files) if settings is None else load_files(path.name, files, settings)
    if both.error is not None:
        return sub
    return replace(both, id=sub.id, source=sub.source, kind=sub.kind,
                   notes=both.notes + (helpers_note(path.name, helpers),))


def with_beside(path: Path, sub: Any, settings: Any) -> Any:
    """Return `sub`, the ``.py`` file `path` loaded alone, with the modules beside it that it imports.

    What ``grader check --kit FILE.py`` grades, as the kit's own pytest runs the file (its folder
    first on ``sys.path``): a kit leaves out the stand-ins that would answer a graded question
    (the whole problem set's kit, ``utils/utils.py``: its softmax is CS224d's q1), so an a2
    student's ``from utils.utils import softmax`` needs the student's own ``utils/`` beside it.
    A file importing none of its folder's modules, or one that did not load, is returned as it is.
    """
    from .load import load_files

    if sub.error is not None or len(sub.files) != 1:
        return sub
    try:
        data = path.read_bytes()
    except OSError:
        return sub
    helpers = helper_files(path.parent, _imported([data.decode("utf-8", "replace")]) - {path.stem})
    if not helpers:
        return sub
    both = load_files(path.name, {path.name: data, **helpers}, settings)
    if both.error is not None:
        return sub
    shown = sorted(helpers)
    listed = ", ".join(shown[:8]) + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")
    note = (f"{path.name} imports {listed}, of its folder: {'they were' if len(shown) > 1 else 'it was'} "
            "checked with it, as the kit's pytest runs it")
    return replace(both, id=sub.id, source=sub.source, kind=sub.kind, notes=both.notes + (note,))


#: What the in-notebook check calls the notebook when the kernel cannot tell its file's name.
THIS_NOTEBOOK = "this notebook"
#: ... and the cells of an IPython session in a terminal (no kernel, no notebook).
THIS_SESSION = "this session"


def notebook_name(names: Mapping[str, Any], folder: Path) -> str | None:
    """Return the file name of the kernel's notebook when the kernel knows it and the file is there, else None.

    Jupyter Server tells a kernel the path of the notebook it starts it for (``$JPY_SESSION_NAME``,
    which ipykernel also sets as ``__session__``), VS Code sets ``__vsc_ipynb_file__``; Colab
    says nothing.  A notebook renamed since its kernel started is no longer at that path: None
    then too, rather than an old name.

    >>> notebook_name({"__session__": "hw/nowhere.ipynb"}, Path("/nonexistent")) is None
    True
    """
    for said in (names.get("__vsc_ipynb_file__"), names.get("__session__"), os.environ.get("JPY_SESSION_NAME")):
        if not isinstance(said, str) or not said.lower().endswith(".ipynb"):
            continue
        p = Path(said)
        try:
            if p.name and ((p.is_absolute() and p.is_file()) or (folder / p.name).is_file()):
                return p.name
        except (OSError, ValueError):
            continue
    return None


def history(shell: Any) -> list[str]:
    """Return the kernel's input history as the student wrote it (``In[n]`` is the n-th).

    IPython's ``In`` holds each cell already translated: a ``%%time`` cell's code is a string
    there (``get_ipython().run_cell_magic('time', '', 'def f...')``), where neither the
    recognition of the course version nor the definitions pass can see it.  The raw history
    is what the saved notebook holds, and it is translated as grading a notebook does.
    """
    parsed = shell.user_ns["In"]
    raw = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return raw if isinstance(raw, list) and len(raw) == len(parsed) else parsed


# --------------------------------------------------------------------------- which questions


def defined_questions(rubric: Rubric, names: Mapping[str, Any]) -> list[str]:
    """Return the ids of the questions whose functions are all defined (callable) in `names`."""
    out = []
    for q in rubric.questions:
        roles = {c.function for c in q.checks}
        if roles and all(any(callable(names.get(n)) for n in rubric.functions[r].names) for r in roles):
            out.append(q.id)
    return out


def only(rubric: Rubric, ids: Iterable[str]) -> Rubric:
    """Return `rubric` with only the questions `ids` (the self-consistency check only if its function is graded)."""
    ids = set(ids)
    questions = tuple(q for q in rubric.questions if q.id in ids)
    roles = {c.function for q in questions for c in q.checks}
    consistency = rubric.consistency if rubric.consistency.get("function") in roles else {}
    return replace(rubric, questions=questions, consistency=consistency)


# --------------------------------------------------------------------------- the check


class Checked:
    """A check's result, shown where it was asked: rich HTML in a notebook, text in a console.

    ``result`` is the :class:`~grader.model.SubmissionResult` (public checks only);
    ``passed`` is True when every check that ran passed.
    """

    def __init__(self, result: SubmissionResult, *, title: str = "", asked: str | None = None,
                 kit: bool = False, course_values: str = "") -> None:
        self.result = result
        self.title = title
        self.asked = asked
        self.kit = kit
        #: the course's own sanity values beside the verdicts, as ``grader check`` prints them ("" = none)
        self.course_values = course_values

    @property
    def passed(self) -> bool:
        """True when the submission was graded and every check passed."""
        return self.result.status == "graded" and all(c.status == "pass" for c in self.result.checks())

    def __repr__(self) -> str:
        from .terminal import terminal

        return (terminal(self.result, color=False) + self.course_values).rstrip("\n")

    def _repr_pretty_(self, p, cycle) -> None:  # IPython's console
        p.text(repr(self))

    def _repr_html_(self) -> str:  # IPython's display protocol (Jupyter)
        from .render import notebook_check

        return notebook_check(self.result, title=self.title, asked=self.asked, kit=self.kit,
                              course_values=self.course_values)


class WrittenChecked(Checked):
    """A written answer's verdict, shown under the cell: how each line was read, as rendered math (MathML)."""

    def __repr__(self) -> str:
        from .terminal import terminal_written

        return terminal_written(self.result.checks()[0], color=False).rstrip("\n")

    def _repr_html_(self) -> str:
        from .render import notebook_written

        return notebook_written(self.result)


def check_written(question: str, answer: str, rubric: str | os.PathLike | Rubric | None = None) -> WrittenChecked:
    """Check one written answer in a notebook cell, shown as it was read (``grader.check_written`` there).

    The same verdict as :func:`grader.api.check_written` (no code runs); the returned object
    displays the answer line by line as rendered math, with the verdict and the compact form.
    """
    from .rubric import load_rubric
    from .written.grading import check_answer

    if rubric is not None and not isinstance(rubric, Rubric):
        rubric = load_rubric(str(rubric))
    return WrittenChecked(check_answer(rubric, question, answer)[1], asked=question)


def check(question: str | None = None, *, kit: str | os.PathLike | None = None,
          rubric: str | os.PathLike | Rubric | None = None, isolation: str = "auto") -> Checked:
    """Check the code of the running Jupyter kernel with the public checks, as ``grader check`` would.

    Parameters
    ----------
    question : str, optional
        One question id (``"softmax"``, ``"grad_pred"``...); None checks every question
        whose functions the kernel defines.
    kit : path-like, optional
        A student kit (``grader kit --out DIR``): its public cases and expected values.
        Default: ``$GRADER_KIT`` when set, else the rubric's own public cases.
    rubric : path-like, str, Rubric, optional
        The rubric (without a kit); None for the built-in default.
    isolation : str
        As for ``grader check``.

    Returns
    -------
    Checked
        Displays itself under the cell; ``.result`` is the SubmissionResult.

    Raises
    ------
    grader.errors.UsageError
        Outside a Jupyter/IPython kernel, for an unknown question, or when the kernel
        defines none of the rubric's functions yet.
    """
    from .load import load_files
    from .pipeline import grade, prepare

    shell = _shell()
    if shell is None or not isinstance(shell.user_ns.get("In"), list):
        raise UsageError("grader.check() with no path checks the code of a Jupyter kernel, and none is running "
                         "here; from a script or a terminal, give a path: grader.check('my_solution.py') or "
                         "`grader check my_solution.py`.")
    kit = kit if kit is not None else os.environ.get("GRADER_KIT") or None
    folder = Path.cwd()
    name = notebook_name(shell.user_ns, folder)
    key = name or "notebook.ipynb"
    unnamed = THIS_NOTEBOOK if getattr(shell, "kernel", None) is not None else THIS_SESSION
    shown = {} if name else {key: unnamed}
    called = name[: -len(".ipynb")] if name else unnamed
    files = kernel_submission_files(history(shell), folder, key)
    helpers = [f for f in files if f != key]
    reason = ""
    whole_ids: list[str] = []  # the whole assignment's questions, when only its first four are recognised yet
    from .load import peek_files
    from .recognise import recognise

    try:  # the course version the kernel's code looks like, as `grader check` does (whose sanity values, below)
        own = recognise(peek_files(called, files, shown=shown))
    except Exception:  # noqa: BLE001 - not recognised: the rubric's own values are said
        own = None
    if kit is None and rubric is None and own is not None:
        from .recognise import VERSIONS, label

        if own.version:
            rubric = own.version
            reason = (f"recognised as {own.version} ({label(own.version)}): " if own.version in VERSIONS
                      else f"{own.version}: ") + own.reason
            if question is not None and own.whole:  # a question of the whole assignment, asked before its code is run
                from .rubric import load_rubric as _load

                whole_ids = [q.id for q in _load(own.whole).questions]
                if question not in {q.id for q in _load(own.version).questions} and question in whole_ids:
                    rubric = own.whole
                    reason = f"recognised as {own.whole} ({label(own.whole)}): {own.reason.split('; it defines no')[0]}"
    if kit is not None:
        from .kit import load_kit

        rubric_, cases = load_kit(Path(kit))
    else:
        from .rubric import load_rubric

        rubric_ = rubric if isinstance(rubric, Rubric) else load_rubric(None if rubric is None else str(rubric))
        cases = None
    known = [q.id for q in rubric_.questions]
    if question is not None:
        if question not in known:
            import difflib

            offered = known + [q for q in whole_ids if q not in known]
            close = difflib.get_close_matches(question, offered, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"no question {question!r} in {rubric_.name}{hint} (questions: {', '.join(offered)})")
        ids = [question]
    else:
        # the kernel's names, and the functions of the helper modules handed in (``import q3_word2vec``)
        names = {**{n: _defined for p, data in files.items() if p.endswith(".py") for n in _functions_of(data)},
                 **shell.user_ns}
        ids = defined_questions(rubric_, names)
        if not ids:
            wanted = ", ".join(sorted({fn.names[0] for fn in rubric_.functions.values() if fn.names}))
            raise UsageError(f"this kernel defines none of the functions {rubric_.name} checks yet ({wanted}): "
                             "run the cells that define them first, or name a question: grader.check('softmax')")
    job = prepare(only(rubric_, ids), public_only=True, cases=cases)
    # (one notebook, with the modules it imports: its own definitions are the kernel's, as grader check NOTEBOOK)
    submission = replace(load_files(called, files, job.rubric.settings, shown=shown), kind="notebook")
    if helpers:
        submission = replace(submission, notes=submission.notes + (helpers_note(name or unnamed, helpers),))
    sb = _sandbox(isolation, tuple(job.rubric.settings.allow_packages))
    with _lock:  # one check at a time through the one warm sandbox
        result = grade(submission, job, sb)
    if result.load is not None:  # the definitions pass's errors were not the kernel's last word (kernel_runs)
        kept = tuple(u for u in result.load.unit_errors if not u.where.split(", ")[-1].startswith("cell #"))
        result = replace(result, load=replace(result.load, unit_errors=kept))
    # which of several definitions counts is said for the kernel's order of runs, not the notebook's
    from .pipeline import CELLS_DUPLICATE, cell_duplicate_notes, defining_cells

    # (said even when every check passed: the saved notebook may grade another of them); the notebook
    # as last saved, when its file is known, tells which cells they are
    found = result.load.functions if result.load else {}
    ran = cell_duplicate_notes(submission, job.rubric.functions, found, set(job.rubric.functions), kernel=True)
    if name:
        try:
            on_disk = load_files(called, {name: (folder / name).read_bytes()}, job.rubric.settings)
        except OSError:
            pass
        else:
            held = {}  # each function's run that was checked: the kernel's last (cell [n] for In[n])
            for where in found.values():
                runs = defining_cells(submission, where, kernel=True)[1] if "." in where else []
                if runs:
                    held[where.rsplit(".", 1)[1]] = runs[-1]
            ran = cell_duplicate_notes(on_disk, job.rubric.functions, found, set(job.rubric.functions), saved=True,
                                       held=held)
    result = replace(result, notes=tuple(n for n in result.notes if CELLS_DUPLICATE not in n) + tuple(ran))
    if reason:
        result = replace(result, rubric_reason=reason)
    result = replace(result, submission=called)  # "this notebook: 16 / 16", not its id (this_notebook)
    from .kit import course_values_text  # the course's own sanity values, beside the verdicts, as `grader check`

    values = course_values_text(result, Path(kit) if kit is not None else None, job.reference, job.rubric,
                                version=own.version if own is not None else "", code=result.status == "graded")
    return Checked(result, title=job.rubric.title, asked=question, kit=kit is not None, course_values=values)
