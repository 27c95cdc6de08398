"""What is compared: each submission's code as the student wrote it, the --against files, the starter's text.

A :class:`Document` is one submission (all its code files) or one source file of an
``--against`` folder.  Its text is what the student wrote: Python 2 files are read as
written (never translated, so that a Python 2 copy of a Python 2 public solution is
compared as it is), a notebook counts by its code cells (as written, before IPython
syntax is translated; markdown, outputs and metadata are never read), each after a
``# cell [3]`` comment line that the tokenizer drops.  Submissions are read by
:func:`grader.load.load_batch`, so every kind of entry takes part: ``.py`` files,
folders, notebooks, zips and Canvas downloads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Literal, Sequence

from ..canvas import student_name
from ..errors import UsageError
from ..ids import IdMemory
from ..load import BLANK_CODE, CODE_SUFFIXES, load, load_batch
from ..model import Rubric, Settings, SourceFile, Submission


@dataclass(frozen=True)
class Text:
    """One code file of a document, as written."""

    path: str  #: shown to the TA: "q3_word2vec.py", "utils/utils.py", "hw1.ipynb"
    text: str  #: the code; a notebook's code cells, each after a "# cell [n]" line


@dataclass(frozen=True)
class Document:
    """A submission, or a source file of an --against folder."""

    id: str  #: the submission id; for a source file "<folder>/<path>"; for a group of them "<folder>/<dir>/"
    kind: Literal["submission", "source"]
    files: tuple[Text, ...]
    source: str = ""  #: where it came from ("batch:alice.zip", or the file's path)
    #: a source file: the groups it is in (its folders under the --against folder, its zip), by id
    within: tuple[str, ...] = ()
    #: a group of source files (an earlier student's folder or zip): the ids of its files
    members: tuple[str, ...] = ()
    #: a submission of a Canvas download: the student's name as Canvas wrote it ("smithjohn"); else ""
    name: str = ""


def reading_settings(settings: Settings) -> Settings:
    """Return `settings` for reading code as written: Python 2 not even looked for, every notebook cell."""
    return replace(settings, translate_py2=None, notebook_mode="all")


def text_of(f: SourceFile) -> str:
    """Return a file's code as written: a notebook's code cells, each after a ``# <label>`` line."""
    if f.cells is None:
        return f.text
    return "\n".join(f"# {c.label}\n{c.original}\n" for c in f.cells)


def from_submission(sub: Submission, kind: Literal["submission", "source"] = "submission",
                    doc_id: str | None = None) -> Document | None:
    """Return the document of a loaded submission; None when it holds no code.

    A submission whose files are all empty or comments (its load error says so) is a document
    without text: nothing of its own to compare, said as such.
    """
    if sub.error is not None and BLANK_CODE in sub.error:
        return Document(id=doc_id or sub.id, kind=kind, files=(), source=sub.source, name=student_name(sub))
    if sub.error is not None or not sub.files:
        return None
    files = tuple(Text(path=f.path, text=text_of(f)) for f in sub.files)
    return Document(id=doc_id or sub.id, kind=kind, files=files, source=sub.source, name=student_name(sub))


def submissions(path: str | os.PathLike[str], settings: Settings, *,
                ids: IdMemory | None = None) -> Iterator[Document | Submission]:
    """Yield the document of each submission of a batch, or the Submission itself when it has no code."""
    for sub in load_batch(path, reading_settings(settings), ids=ids):
        doc = from_submission(sub)
        yield sub if doc is None else doc


def _files_under(folder: Path) -> Iterator[Path]:
    """Yield the .py, .ipynb and .zip files under `folder`, sorted, hidden folders and links skipped."""
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "__MACOSX")
                         and not os.path.islink(os.path.join(here, d)))
        for n in sorted(names):
            p = Path(here) / n
            if n.startswith(".") or p.is_symlink() or not p.is_file():  # (a named pipe is never opened)
                continue
            if n.lower().endswith((*CODE_SUFFIXES, ".zip")):
                yield p


def sources(folders: Sequence[str | os.PathLike[str]], settings: Settings,
            skipped: list[str] | None = None) -> Iterator[Document]:
    """Yield a document per code file of the ``--against`` folders (a zip's files each count as one).

    A source's id is ``<folder name>/<path inside it>`` (a file given itself: its name);
    folders with the same name get ``-2``, ``-3`` appended.  A file that cannot be read is skipped, and said in ``skipped``
    (``"<path>: <why>"``) when it is given.

    Raises
    ------
    UsageError
        A folder does not exist.
    """
    reading = reading_settings(settings)
    names: dict[str, int] = {}
    for folder in folders:
        root = Path(folder)
        if not root.exists():
            raise UsageError(f"--against {str(folder)!r} does not exist; give a folder of .py files, notebooks or zips")
        name = root.resolve().name or "against"
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:
            name = f"{name}-{names[name]}"
        paths = [root] if root.is_file() else list(_files_under(root))
        for p in paths:
            rel = p.name if p == root else p.relative_to(root).as_posix()
            shown = name if p == root else f"{name}/{rel}"  # a file given itself is named once, not "a.py/a.py"
            # the folders it is in below the --against folder (each may be an earlier submission)
            parts = rel.split("/")[:-1] if p != root else []
            folders = tuple(f"{name}/" + "".join(f"{x}/" for x in parts[:k]) for k in range(1, len(parts) + 1))
            try:
                sub = load(p, reading)
            except UsageError as e:
                if skipped is not None:
                    skipped.append(f"{p}: {e}")
                continue
            blank = sub.error is not None and BLANK_CODE in sub.error  # read, and nothing of its own
            if sub.error is not None and not blank:
                if skipped is not None:
                    skipped.append(f"{p}: {sub.error}")
                continue
            if (blank or len(sub.files) == 1) and not p.name.lower().endswith(".zip"):
                doc = from_submission(sub, "source", shown)
                if doc is not None:
                    yield replace(doc, source=str(p), within=folders)
                continue
            for f in sub.files:  # a zip: each of its files is a source of its own, the zip and its folders groups
                inner = f.path.split("/")[:-1]
                zipped = tuple(f"{shown}:" + "".join(f"{x}/" for x in inner[:k]) for k in range(1, len(inner) + 1))
                yield Document(id=f"{shown}:{f.path}", kind="source", files=(Text(f.path, text_of(f)),),
                               source=f"{p}:{f.path}", within=(*folders, shown, *zipped))


#: Most files a group of --against files may hold to be compared as one earlier submission.
MAX_GROUP_FILES = 20


def groups(docs: Sequence[Document]) -> list[tuple[Document, list[int]]]:
    """Return the groups of --against files that may be one earlier submission, each with its files' numbers.

    An earlier term's folder per student (``fall-2016/alice/*.py``, below the --against folder)
    or a student's zip: a copy of the whole is a copy of each file in part, so the group is
    compared as one document too.  A folder or a zip is a group when it holds a code file of
    its own, at its top (a folder or zip of a whole term holds only its students' folders), and
    2 to :data:`MAX_GROUP_FILES` code files in all.  The --against folder itself is never one:
    its files are often solutions of their own.
    """
    by_group: dict[str, list[int]] = {}
    for n, d in enumerate(docs):
        for g in d.within:
            by_group.setdefault(g, []).append(n)
    seen: dict[tuple[int, ...], str] = {}
    for g in sorted(by_group, key=lambda g: (-g.count("/"), g)):  # innermost first
        members = tuple(by_group[g])
        if g.endswith("/"):  # a folder: holding a code file (or zip) of its own
            own = any("/" not in docs[n].id[len(g):].split(":", 1)[0] for n in members)
        else:  # a zip: holding a code file at its root (a zip of a term holds its students' folders)
            own = any("/" not in docs[n].id[len(g) + 1:] for n in members)
        if own and 2 <= len(members) <= MAX_GROUP_FILES and members not in seen:
            seen[members] = g
    out = []
    for members, g in sorted(seen.items(), key=lambda t: t[1]):
        inner = [docs[n] for n in members]
        files = tuple(Text(_inside(d.id, g), t.text) for d in inner for t in d.files)
        out.append((Document(id=g, kind="source", files=files, source=g, members=tuple(d.id for d in inner)),
                    list(members)))
    return out


def _inside(doc_id: str, group: str) -> str:
    """A file's path inside its group: "fall-2016/alice/q1.py" in "fall-2016/alice/" is "q1.py"."""
    if doc_id.startswith(group):
        return doc_id[len(group):]
    return doc_id[len(group) + 1:] if doc_id.startswith(group + ":") else doc_id


def builtin_stand_ins() -> list[str]:
    """Return the text of every built-in rubric's starter stand-ins (each course version's), once each.

    A built-in rubric that does not load is passed over.
    """
    import importlib.resources

    from ..errors import GraderError
    from ..rubric import load_rubric

    root = Path(str(importlib.resources.files("grader.rubrics")))
    texts: dict[str, None] = {}
    for toml in sorted(root.glob("*.toml")):
        try:
            rubric = load_rubric(toml)
        except GraderError:
            continue
        texts.update((s.text, None) for s in rubric.starter)
    return list(texts)


def starter_texts(rubric: Rubric | None, paths: Iterable[str | os.PathLike[str]], settings: Settings,
                  *, builtin: bool = True) -> list[str]:
    """Return the code that is boilerplate: the rubric's stand-ins and every code file of the ``--starter`` paths.

    With `builtin`, the stand-ins of every built-in rubric count too (whichever course
    version a submission follows, its helper modules are starter code).

    Raises
    ------
    UsageError
        A --starter path does not exist or holds no code.
    """
    texts = [s.text for s in (rubric.starter if rubric is not None else ())]
    if builtin:
        texts += [t for t in builtin_stand_ins() if t not in texts]
    reading = reading_settings(settings)
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"--starter {str(p)!r} does not exist; give the starter code's folder, zip or file")
        sub = load(p, reading)
        if sub.error is not None:
            raise UsageError(f"--starter {str(p)!r}: {sub.error}")
        texts += [text_of(f) for f in sub.files]
    return texts
