"""Turn a file, folder, notebook or zip (or a batch of them) into Submissions; no student code runs here.

One submission is a ``.py`` file (kind "module"), an ``.ipynb`` notebook
("notebook"), a folder ("folder") or a ``.zip`` ("zip") holding ``.py`` and
``.ipynb`` files at any depth, zips in zips included.  Files keep their paths
relative to the submission's root, so that packages (``utils/utils.py``) and
imports between files work; when all the code sits under one folder
(``assignment1/``), that folder is the root, unless the code imports it as a
package.  Hidden files and folders (``.ipynb_checkpoints``), ``__MACOSX``,
``__pycache__`` and ``site-packages`` are skipped; other files are ignored.

A batch (`load_batch`) is a folder or a ``.zip`` whose entries are one
submission each.  A Canvas bulk download (``smithjohn_LATE_123_456_q1.py``) is
grouped by user id (kind "canvas").

A student's fault never raises: the Submission carries an ``error`` message
instead.  Python 2 code is translated (see :mod:`grader.translate`), IPython
syntax in notebooks is turned into Python (see :mod:`grader.notebook`).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import json
import os
import re
import tokenize
from array import array
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Mapping, Sequence

from . import canvas, notebook, transform, translate
from .archive import MAX_BATCH_MEMBERS, MAX_DEPTH, MAX_MEMBERS, Archive, ArchiveError, Budget, Member
from .errors import LoadError, UsageError
from .ids import IdMemory, entry_name, safe_id, unique_ids
from .model import CanvasInfo, Cell, Settings, SourceFile, Submission, TextFile
from .text import encodable_tree

#: File name endings read as code (compared without case).
CODE_SUFFIXES = (".py", ".ipynb")
#: Folders never looked into (besides hidden ones, whose name starts with a dot).
SKIPPED_FOLDERS = frozenset({"__MACOSX", "__pycache__", "site-packages", "node_modules"})
#: Files that are never submissions (besides hidden ones).
SKIPPED_FILES = frozenset({"Thumbs.db", "desktop.ini"})
#: File name endings read as prose that may hold written answers (never run).
PROSE_SUFFIXES = (".md", ".markdown", ".tex", ".txt")
#: Most prose files kept per submission, and the most bytes of each.
MAX_PROSE_FILES = 8
MAX_PROSE_BYTES = 256 * 1024
#: Most non-code file names listed in a "no Python code found" message.
_LISTED = 5
# Ignored files whose name says they may be code handed in under the wrong name.
_CODE_LIKE = re.compile(r"\.(pyc|pyw|py3|pyi)$|\.(py|ipynb)\.\w+$", re.IGNORECASE)


@dataclass
class _Files:
    """What was found for one submission before decoding: code files as bytes, other names, notes."""

    code: dict[str, bytes] = field(default_factory=dict)  #: path -> content
    origin: dict[str, str] = field(default_factory=dict)  #: path -> name as handed in
    other: list[str] = field(default_factory=list)  #: ignored files
    notes: list[str] = field(default_factory=list)
    texts: dict[str, bytes] = field(default_factory=dict)  #: prose files (written answers): path -> content
    folders: set[str] = field(default_factory=set)  #: the folders of the code files' paths (_clash)

    def add(self, path: str, data: bytes, origin: str) -> None:
        """Add a code file; the first of two with one path is kept, with a note (so is the first of a file
        and a folder of one name: a zip can hold ``a.py`` and ``a.py/b.py``, no folder can)."""
        if path in self.code:
            self.notes.append(f"{origin} was not graded: {self.origin[path]} has the same path ({path}).")
            return
        other = _clash(path, self.code, self.folders)
        if other is not None:
            self.notes.append(f"{origin} was not graded: {self.origin[other]} has its path as a file or a folder "
                              f"({other}); one path cannot be both.")
            return
        self.code[path], self.origin[path] = data, origin
        self.folders.update(_folders(path))


def _clash(path: str, files: Mapping[str, object], folders: set[str]) -> str | None:
    """The path of ``files`` that is a folder of ``path`` or has ``path`` as a folder (``a.py``, ``a.py/b.py``): the
    student's process could not write both in its scratch folder; None when there is none.  ``folders``: every
    folder of ``files``' paths (:func:`_folders`)."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        if "/".join(parts[:i]) in files:
            return "/".join(parts[:i])
    if path in folders:
        return next(p for p in files if p.startswith(path + "/"))
    return None


def _folders(path: str) -> list[str]:
    """The folders of a path: ``a/b/c.py`` -> ``a``, ``a/b``."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


# --------------------------------------------------------------------------- public API


def load(path: str | os.PathLike[str], settings: Settings = Settings()) -> Submission:
    """Load one submission: a ``.py`` file, an ``.ipynb`` notebook, a folder or a ``.zip``.

    Nothing is run or imported: files are read into memory (never extracted),
    IPython syntax and Python 2 code are translated, and what was adapted is
    said in ``notes``.

    Parameters
    ----------
    path : path-like
        The submission.
    settings : Settings
        Uses ``translate_py2`` and ``notebook_mode``.

    Returns
    -------
    Submission
        With ``error`` set when nothing could be loaded (an unreadable archive or
        notebook, no code at all).  ``id`` is the file or folder name without its
        extension, made safe; ``source`` is the name as given.

    Raises
    ------
    UsageError
        `path` does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{path} does not exist; give a .py file, an .ipynb notebook, a folder or a .zip.")
    name = p.resolve().name if p.name in ("", ".", "..") else p.name
    return _pending(_disk_entry(p, name), safe_id(_stem(name)), name, settings).load()


def load_files(name: str, files: Mapping[str, bytes], settings: Settings = Settings(), *,
               shown: Mapping[str, str] | None = None) -> Submission:
    """Load a submission held in memory: file paths (``.py``, ``.ipynb``) and their bytes.

    What ``load`` does for a folder of these files, without a folder on disk: the
    in-notebook check (:mod:`grader.kernel`) builds the student's notebook from the
    kernel's cells and hands it in this way, with the helper modules it imports.

    Parameters
    ----------
    name : str
        What the submission is called (its id is made from it, as for a folder).
    files : mapping of str to bytes
        Relative POSIX paths and contents; other files are ignored, as in a folder.
    settings : Settings
        Uses ``translate_py2`` and ``notebook_mode``.
    shown : mapping of str to str, optional
        What to call some of the files in every message (notes, errors, tracebacks): a
        path of `files` -> its name for the student ("this notebook" for the notebook the
        in-notebook check built, whose real name the kernel may not know).

    Returns
    -------
    Submission
        As :func:`load` returns for a folder.
    """
    shown = dict(shown or {})
    found = _Files()
    for path in sorted(files):
        if submission_kind(path) in ("module", "notebook"):
            found.add(path, files[path], shown.get(path, path))
    sid = safe_id(_stem(name))
    sub = Pending(sid, name, lambda: _submission(sid, name, "folder", found, settings, strip=False)).load()
    if shown and sub.files:  # read by their own paths (a notebook as a notebook), then called as the student knows them
        sub = replace(sub, files=tuple(replace(f, path=shown[f.path]) if f.path in shown else f for f in sub.files))
    return sub


def load_batch(path: str | os.PathLike[str], settings: Settings = Settings(), *,
               ids: IdMemory | None = None) -> Iterator[Submission]:
    """Yield the submissions of a batch: a folder, or a ``.zip``, with one submission per entry.

    Entries are ``.py`` files, ``.ipynb`` notebooks, folders and ``.zip`` files;
    hidden ones, ``__MACOSX`` and `SKIPPED_FILES` are skipped.  A ``.zip`` batch
    holding a single folder is read from inside that folder, and so is a folder batch
    holding only an unzipped Canvas download of several students.  In a Canvas bulk
    download (at least half of the top-level files named
    ``<name>[_LATE]_<userid>_<submissionid>_<file>``) the files of one user id
    are one submission (id: the user id), under their original names, keeping
    the latest of files handed in several times; other entries are submissions
    of their own.  A single ``.py`` or ``.ipynb`` file is a batch of one.

    Submissions are yielded one at a time, sorted by id, each read when it is
    yielded: a batch is never held in memory.  A bad entry yields a Submission
    with ``error`` and the batch goes on.

    Parameters
    ----------
    path : path-like
        The batch.
    settings : Settings
        Passed to each submission's loading.
    ids : IdMemory, optional
        The ids given in earlier runs into the results folder, kept by their names, and
        what records the ids given now (see :func:`grader.ids.unique_ids`).

    Yields
    ------
    Submission
        With ids unique within the batch (``alice``, ``alice-2``).

    Raises
    ------
    UsageError
        `path` does not exist, is neither a folder nor a .zip (nor a .py or
        .ipynb file), or is a .zip that cannot be read as a batch.
    """
    helper = transform.Helper()  # one text helper for the whole batch, started when first needed
    try:
        # map: nothing of one submission is kept while the next one is read
        yield from map(lambda pending: pending.load(helper), pending_batch(path, settings, ids=ids))
    finally:
        helper.close()


@dataclass(frozen=True)
class Pending:
    """A submission of a batch whose files are read into memory, not yet decoded, translated or checked.

    :func:`pending_batch` yields these so that a batch can take the next submission under a
    lock (reading files: bounded by the archive budget) and do the rest, :meth:`load`,
    outside it: the work on the student's text is bounded by :mod:`grader.transform`'s
    deadlines, and no other slot waits for it.
    """

    id: str
    source: str
    make: Callable[[], Submission]

    def load(self, helper: transform.Helper | None = None) -> Submission:
        """Return the Submission: its text decoded and translated, every string made encodable.

        Never raises for anything a submission holds: an unexpected failure of the grader
        (a bug) becomes this submission's ``error``.  Work on its text that needs the helper
        process uses `helper`, else this thread's (:func:`grader.transform.session`), else one
        started for this submission.
        """
        try:
            with transform.using(helper) if helper is not None else contextlib.nullcontext(), \
                    transform.submission():
                sub = self.make()
        except Exception as exc:  # noqa: BLE001 - a bug of the loader costs this submission only
            sub = Submission(id=self.id, source=self.source, kind="file", error=_collect_error(exc))
        # Every string of the submission (names, notes, notebook fields, code) made encodable once, here.
        return encodable_tree(sub)


def pending_batch(path: str | os.PathLike[str], settings: Settings = Settings(), *,
                  ids: IdMemory | None = None) -> Iterator[Pending]:
    """Yield the submissions of a batch as :class:`Pending`, sorted by id: :func:`load_batch` without the last step.

    Each one's files are read when it is yielded; :meth:`Pending.load` makes the
    Submission.  Same arguments, rules and errors as :func:`load_batch`.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{path} does not exist; give a folder or a .zip of submissions.")
    if p.is_file() and _suffix(p.name) in CODE_SUFFIXES:
        name = p.name
        yield _pending(_disk_entry(p, name), safe_id(_stem(name)), name, settings)
        return
    if p.is_dir():
        listing, name = _disk_listing(p), p.resolve().name
        inner = _wrapped_canvas(p, listing)
        if inner is not None:  # an unzipped Canvas download inside the folder given
            listing, name = _disk_listing(inner), f"{name}/{inner.name}"
        yield from _load_entries(listing, name, "/", settings, ids)
        return
    if _suffix(p.name) != ".zip":
        raise UsageError(f"{path} is not a folder or a .zip of submissions.")
    try:
        archive = Archive(p, p.name, max_members=MAX_BATCH_MEMBERS, batch=True)
    except ArchiveError as exc:
        raise UsageError(str(exc)) from None
    with archive:
        members = [m for m in archive.members if not any(_skipped(part) for part in m.name.split("/"))]
        tops = {m.name.split("/")[0] for m in members}
        top = ""
        if len(tops) == 1 and all("/" in m.name for m in members):
            top = next(iter(tops)) + "/"
            members = [Member(m.name[len(top):], m.size, m.info) for m in members]
        refused = _refused_entries(archive, top)
        yield from _load_entries(_zip_listing(archive, members, refused), p.name, ":", settings, ids)


#: What the TA does about a member of a batch archive refused for its name or kind (by what it is).
_TA_FIXES = {
    "points outside": "give that file a plain name inside its student's entry (or delete it)",
    "is a symbolic link": "replace the link by the file itself (or delete it)",
    "is encrypted": "extract that file with its password (or delete it)",
    "name contains": "rename that file",
}


def _refused_entries(archive: Archive, top: str) -> dict[str, str]:
    """Return the error of each batch entry a refused member belongs to, by the entry's name.

    A member refused for its name or kind (``..`` or an absolute path, a link, encrypted)
    costs its own entry only: the entry its path starts in (``carol/../x.py``: carol), else
    an entry of its own, named as the member is; the other entries are graded.
    """
    errors: dict[str, str] = {}
    for raw, what in archive.refused:
        path = raw.replace("\\", "/")
        parts = [part for part in path.split("/") if part not in ("", ".")]
        if top and parts[:1] == [top[:-1]]:
            parts = parts[1:]
        inside = parts and parts[0] != ".." and not path.startswith("/") and not (len(parts[0]) == 2 and parts[0][1] == ":")
        if inside and _skipped(parts[0]):
            continue  # in a hidden or skipped entry: never looked at, as the rest of it
        name = parts[0] if inside and not what.startswith("name ") else raw
        fix = next(f for k, f in _TA_FIXES.items() if what.startswith(k))
        shown = what[5:] if what.startswith("name ") else what
        errors.setdefault(name, (
            f"{archive.label}: its member {raw!r} {shown}, so {'this submission' if inside else 'it'} was not "
            f"graded (the batch's other submissions were); extract the batch, {fix}, and zip the batch again."))
    return errors


@dataclass(frozen=True)
class _Peek(Settings):
    """Settings of a peek: files are decoded (the first PEEK_CHARS characters) and nothing is translated."""


#: Characters of each file a peek keeps (grader/recognise.py reads no more).
PEEK_CHARS = 256 * 1024
_PEEK = _Peek()


def peek(path: str | os.PathLike[str]) -> Submission:
    """Load one submission as :func:`load` does, but cheaply: its files as handed in, not translated.

    For a static look at it (grader/recognise.py) before the rubric is chosen: a ``.py``
    file's text is decoded and cut at `PEEK_CHARS`; a notebook's cells are its code cells
    as written (IPython syntax and Python 2 left as they are).
    """
    return load(path, _PEEK)


def peek_files(name: str, files: Mapping[str, bytes], *, shown: Mapping[str, str] | None = None) -> Submission:
    """Return a submission held in memory (see :func:`load_files`), peeked at (see :func:`peek`)."""
    return load_files(name, files, _PEEK, shown=shown)


def peek_batch(path: str | os.PathLike[str], *, ids: IdMemory | None = None) -> Iterator[Submission]:
    """Yield the submissions of a batch as :func:`load_batch` does (same ids, same order), peeked at (see :func:`peek`)."""
    return load_batch(path, _PEEK, ids=ids)


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class _Entry:
    """One entry of a batch (or a single submission): a name and how to read its files."""

    name: str  #: as handed in: "alice.zip", "alice"
    kind: str  #: "module", "notebook", "folder", "zip", or "" when not a submission
    collect: Callable[[Budget], _Files]  #: reads the files; raises LoadError
    #: for a file on disk: what says it changed (size and modification time), so that an
    #: unreadable file has a digest too and a rerun does not grade it again while it is the same
    stamp: Callable[[], str] | None = None


def _disk_entry(p: Path, name: str) -> _Entry:
    """Return the entry for a file or folder on disk (a symbolic link is refused, never followed)."""
    if p.is_symlink():
        # `unzip` recreates links: a student's zip unpacked into the batch folder could
        # point at the reference, another student's folder or any file the TA can read.
        def refuse(budget: Budget) -> _Files:
            raise LoadError(f"{name} is a symbolic link; links in a batch are not followed, so that a submission "
                            "cannot point at files that are not its own. Put the files themselves in the batch.")

        return _Entry(name, "link", refuse)
    if p.is_dir():
        return _Entry(name, "folder", lambda budget: _collect_folder(p, name, budget))
    if not p.is_file():  # a named pipe, a socket, a device: never opened (reading a pipe would wait forever)
        def special(budget: Budget) -> _Files:
            raise LoadError(f"{name} is not a regular file (a named pipe, a socket or a device), so it was not read; "
                            "put the files themselves in the batch.")

        return _Entry(name, "special", special)
    kind = submission_kind(name)
    stamp = lambda: (lambda st: f"{st.st_size}:{st.st_mtime_ns}")(p.stat())  # noqa: E731
    if kind == "zip":
        return _Entry(name, kind, lambda budget: _collect_archive(p, name, budget, 1), stamp)
    return _Entry(name, kind, lambda budget: _collect_file(name, _read_disk(p, name, budget)), stamp)


@dataclass
class _Listing:
    """A batch's entries, sorted by name, before any is read: their names and how to make each.

    Only the names are kept per entry (and whether it is a folder), so that ids can be given
    and Canvas files grouped up front; an entry's :class:`_Entry`, with its closure, is made
    when its submission is loaded.
    """

    names: list[str | None]  #: as handed in, sorted (each let go once its entry is loaded)
    folders: bytearray  #: 1 where names[i] is a folder (its key is its whole name)
    entry: Callable[[int], _Entry]  #: makes the entry of names[i]


def _disk_listing(folder: Path) -> _Listing:
    """Return the entries of a batch folder: its files and folders, but hidden and skipped ones.

    A symbolic link (even one pointing at nothing), a named pipe, a socket or a device is
    listed too, and refused when loaded: each entry gets a result.
    """
    names: list[str] = []
    folders = bytearray()
    with os.scandir(folder) as it:
        for e in sorted(it, key=lambda e: e.name):
            if not _skipped(e.name):
                names.append(e.name)
                folders.append(e.is_dir(follow_symlinks=False))
    return _Listing(names, folders, lambda i: _disk_entry(folder / names[i], names[i]))


def _wrapped_canvas(folder: Path, listing: _Listing) -> Path | None:
    """Return the one folder a batch folder holds when it is a Canvas download of several students, else None.

    Unzipping the download (macOS makes ``submissions/``) and giving its parent folder would
    otherwise grade the whole class as one submission; a ``.zip`` batch holding a single
    folder is read from inside it in the same way.  A single folder of one student's files
    (a batch of one) stays one submission.
    """
    if len(listing.names) != 1 or not listing.folders[0]:
        return None
    inner = folder / str(listing.names[0])
    try:
        with os.scandir(inner) as it:
            files = [e.name for e in it if not _skipped(e.name) and e.is_file(follow_symlinks=False)]
    except OSError:
        return None
    if not canvas.is_canvas_batch(files):
        return None
    users = {c.user_id for c in map(canvas.parse, files) if c is not None}
    return inner if len(users) > 1 else None


def _zip_listing(archive: Archive, members: list[Member], refused: Mapping[str, str] | None = None) -> _Listing:
    """Return the entries of a batch archive: its top-level files and folders.

    The members are kept in one list, each entry's contiguous (a file: itself; a folder:
    its members, in the archive's order); a folder's members are named inside it only when
    it is loaded.  An entry named in `refused` is that error when loaded (an entry of its
    own when no member is left of it).
    """
    refused = refused or {}
    runs: dict[str, list[Member]] = {}
    files: list[tuple[str, list[Member]]] = []
    for m in members:
        top, sep, _ = m.name.partition("/")
        if sep:
            runs.setdefault(top, []).append(m)
        else:
            files.append((m.name, [m]))
    known = set(runs) | {f for f, _ in files}
    files += [(name, []) for name in refused if name not in known]  # nothing else of it: an entry of its own
    # files before folders of the same name, as the archive lists them
    tops = sorted(files + list(runs.items()), key=lambda t: t[0])
    del files, runs
    names = [name for name, _ in tops]
    folders = bytearray(any("/" in m.name for m in run) for _, run in tops)
    ordered: list[Member] = []
    bounds = array("L", [0])
    for _, run in tops:
        ordered += run
        bounds.append(len(ordered))
    del tops

    def entry(i: int) -> _Entry:
        run = ordered[bounds[i]:bounds[i + 1]]
        if names[i] in refused:
            error = refused[names[i]]

            def refuse(budget: Budget) -> _Files:
                raise LoadError(error)

            return _Entry(names[i], "folder" if folders[i] else (submission_kind(names[i]) or "folder"), refuse)
        if not folders[i]:
            return _zip_file_entry(archive, run[0])
        top = names[i]
        inside = [Member(m.name[len(top) + 1:], m.size, m.info) for m in run]
        label = f"{archive.label}:{top}"
        return _Entry(top, "folder", lambda budget: _collect_members(archive, inside, label, budget, 1))

    return _Listing(names, folders, entry)


def _zip_file_entry(archive: Archive, m: Member) -> _Entry:
    """Return the entry for a file at the top of a batch archive."""
    kind = submission_kind(m.name)
    label = f"{archive.label}:{m.name}"
    stamp = lambda: f"{m.info.CRC}:{m.info.file_size}:{m.info.compress_size}"  # noqa: E731 - as the archive lists it
    if kind == "zip":
        return _Entry(m.name, kind, lambda budget: _collect_archive(archive.read(m, budget, label), label, budget, 1), stamp)
    return _Entry(m.name, kind, lambda budget: _collect_file(m.name, archive.read(m, budget, label)), stamp)


def _load_entries(listing: _Listing, batch: str, sep: str, settings: Settings,
                  memory: IdMemory | None) -> Iterator[Pending]:
    """Yield a Pending per entry (per user id for Canvas files), sorted by id.

    Up front, only the ids are given (from the names) and Canvas files grouped (by index);
    each entry is made and read when its submission is yielded, and its name and id are
    let go then.
    """
    names, folders = listing.names, listing.folders
    n = len(names)
    groups: dict[str, list[int]] = {}
    files = [i for i in range(n) if not folders[i]]
    download: canvas.Download | None = None
    if canvas.is_canvas_batch([names[i] for i in files]):
        download = canvas.read_download(str(name) for name in names)
        # a folder named as Canvas names files is a student's zip unpacked where it lay
        # (smithjohn_123_456_a2/ from smithjohn_123_456_a2.zip): that student's too
        for i in range(n):
            c = download.parse(str(names[i]))
            if c is not None and (not folders[i] or c.entry == "file"):
                groups.setdefault(c.user_id, []).append(i)
        for user, group in list(groups.items()):
            kept = [i for i in group if not folders[i] or _folder_is_theirs(i, group, names, folders)]
            if len(kept) < len(group):
                groups[user] = kept
                if not kept:
                    del groups[user]
    del files
    grouped = bytearray(n)
    for group in groups.values():
        for i in group:
            grouped[i] = 1
    singles = array("L", (i for i in range(n) if not grouped[i]))
    del grouped
    keys = [names[i] if folders[i] else _stem(names[i]) for i in singles]
    keys += groups
    entries = [str(names[i]) for i in singles] + list(groups)  # what keeps an id from run to run
    ids: list[str | None] = unique_ids(keys, memory.known if memory else None, entries)  # type: ignore[assignment]
    if memory is not None and memory.remember is not None:
        given: dict[str, str] = {}
        for entry, sid in zip(entries, ids):
            given.setdefault(entry, sid)
        memory.remember(given)
        del given
    del keys, entries  # ids are emptied as they are used
    by_user = list(groups.values())  # the Canvas groups' entries, in the order of their ids
    del groups
    order = array("L", sorted(range(len(ids)), key=ids.__getitem__))

    def load(j: int, sid: str) -> Pending:
        if j < len(singles):
            i = singles[j]
            entry, source = listing.entry(i), f"{batch}{sep}{names[i]}"
            names[i] = None
            return _pending(entry, sid, source, settings)
        indices, by_user[j - len(singles)] = by_user[j - len(singles)], None
        assert download is not None  # Canvas groups come from it
        group = [(download.parse(str(names[i])), listing.entry(i)) for i in indices]
        read = {f: (download.unresolved.get(f, ""), download.resolved.get(f, "")) for f in map(str, (names[i] for i in indices))}
        for i in indices:
            names[i] = None
        return _pending_canvas(group, sid, batch, sep, settings, read)

    for j in order:
        sid, ids[j] = ids[j], None
        yield load(j, sid)


def _folder_is_theirs(i: int, group: list[int], names: Sequence[str | None], folders: bytearray) -> bool:
    """Return whether the Canvas-named folder ``names[i]`` may be read as the student's own zip, unpacked.

    Its name says a student and a file id, but a folder's name is not Canvas's: another student's zip
    holding one folder named ``bob_99_999999_hw`` unpacks (macOS's Archive Utility, ``unzip``) into
    just that, which would be graded as bob's newest upload, in place of bob's own files.  So it is the
    student's when the zip it came from is beside it (``<folder>.zip``, a name Canvas gave), or when
    the student handed in no file that is graded (code, a zip, prose): then nothing of theirs is at stake.
    Otherwise it is a submission of its own, as any folder.
    """
    name = str(names[i])
    others = [str(names[j]) for j in group if j != i and not folders[j]]  # their files
    if any(o.lower() == f"{name.lower()}.zip" for o in others):
        return True
    return not any(submission_kind(o) or _suffix(o) in PROSE_SUFFIXES for o in others)


def _collect_error(exc: Exception) -> str:
    """Return the error of a submission whose files could not be read: a LoadError's message, or a bug's."""
    if isinstance(exc, LoadError):
        return str(exc)
    return (f"the grader could not read this submission ({type(exc).__name__}: {str(exc)[:200]}); "
            "this is a bug in grader: please report it")


def _unreadable_digest(entry: _Entry, why: str) -> str:
    """The digest of an entry that cannot be graded, from its name and its file's stamp ("" when it has none)."""
    if entry.stamp is None:
        return ""
    try:
        return hashlib.sha256(f"{why}:{entry.name}:{entry.stamp()}".encode()).hexdigest()
    except OSError:
        return ""


def _unreadable_digests(entries: list[_Entry]) -> str:
    """The digest of several entries of one submission that cannot be graded ("" when one has no stamp)."""
    parts = [_unreadable_digest(e, "unreadable") for e in entries]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if parts and all(parts) else ""


def _pending(entry: _Entry, sid: str, source: str, settings: Settings) -> Pending:
    """Read one entry's files; return the Pending that makes its Submission (a LoadError: its ``error``)."""
    if not entry.kind:
        error = (f"{entry.name} holds no Python code: expected a .py file, an .ipynb notebook, "
                 "a folder or a .zip; hand in one of those.")
        digest = _unreadable_digest(entry, "no code")  # unchanged: not graded again, as an unreadable one
        return Pending(sid, source, lambda: Submission(id=sid, source=source, kind="file", error=error, digest=digest))
    kind = entry.kind
    try:
        files = entry.collect(Budget())
    except Exception as exc:  # noqa: BLE001 - a LoadError, or a bug: this submission's error either way
        error = _collect_error(exc)
        # unchanged and unreadable: not graded again (a bug of the grader's is, once fixed)
        digest = _unreadable_digest(entry, "unreadable") if isinstance(exc, LoadError) else ""
        return Pending(sid, source, lambda: Submission(id=sid, source=source, kind=kind, error=error, digest=digest))
    return Pending(sid, source, lambda: _submission(sid, source, kind, files, settings))


def _pending_canvas(
    group: list[tuple[canvas.CanvasName, _Entry]], sid: str, batch: str, sep: str, settings: Settings,
    read: Mapping[str, tuple[str, str]] | None = None,
) -> Pending:
    """Read the Canvas files of one user id, as one submission under their original names.

    `read` says, by file name, how a name that reads two ways was read (:class:`grader.canvas.Download`):
    the other reading's user id when nothing told them apart, and the note of one read the other way.
    """
    kept, notes = canvas.latest(c for c, _ in group)
    read = read or {}
    other_user = next((read[c.filename][0] for c, _ in group if read.get(c.filename, ("", ""))[0]), "")
    notes = [n for c, _ in group if (n := read.get(c.filename, ("", ""))[1])][:1] + notes
    if other_user:
        c = next(c for c, _ in group if read.get(c.filename, ("", ""))[0])
        notes.insert(0, _ambiguous_note(c, other_user, len(group), sid))
    entries = {c.filename: e for c, e in group}
    names = sorted(c.filename for c, _ in group)
    source = f"{batch}{sep}{', '.join(names)}"
    last = max(kept, key=lambda c: c.order)
    # an anonymous download's "anon_<id>" is the submission's id, never a Canvas user id to export;
    # its anonymous id is what Canvas's API takes for an anonymous submission
    info = CanvasInfo(name=last.name, user_id="" if last.anonymous else last.user_id,
                      submission_id=last.submission_id, anonymous_id=last.anonymous_id, other_user_id=other_user)
    late = any(c.late for c in kept)
    uploads = [c for c in kept if c.entry == "file"]
    if not uploads:  # a text entry or a website URL handed in on Canvas: no file at all
        error = _canvas_entries_error(kept)
        try:  # unchanged pages: not graded again, as an unreadable file
            digest = _digest({f"canvas {c.entry}:{c.filename}": next(iter(entries[c.filename].collect(Budget()).code
                                                                        .values()), b"") for c in kept})
        except Exception:  # noqa: BLE001 - no digest: graded again next time, the error is the same
            digest = ""
        return Pending(sid, source, lambda: Submission(id=sid, source=source, kind="canvas", late=late, canvas=info,
                                                       error=error, digest=digest))
    files = _Files(notes=list(notes) + [
        f"{c.filename} ({_CANVAS_ENTRIES[c.entry]}) was not graded: only the files you uploaded are."
        for c in kept if c.entry != "file"] + [
        f"Canvas shortened the name of {c.filename} (a name longer than 180 characters is cut to "
        f"{canvas.SHORTENED}): it was graded as {c.original}, a name your other files cannot import; "
        "hand it in under a shorter name."
        for c in uploads if c.shortened])
    budget = Budget()
    try:
        for c in uploads:
            entry = entries[c.filename]
            if not entry.kind:
                files.other.append(c.filename)
                if _prose(c.original, files, 0):  # written.md: read as text (written answers), never run
                    data = next(iter(entry.collect(budget).code.values()), b"")
                    if len(data) <= MAX_PROSE_BYTES:
                        files.texts[c.original] = data
                continue
            inner = entry.collect(budget)
            if entry.kind in ("zip", "folder"):  # the student's zip (or it unpacked): its own root, merged at the root
                _strip_root(inner)
                _merge(files, inner, c.original, "")
            else:  # one file, under the name the student gave it
                files.add(c.original, next(iter(inner.code.values())), c.original)
    except Exception as exc:  # noqa: BLE001 - a LoadError, or a bug: this submission's error either way
        error = _collect_error(exc)
        # unchanged and unreadable: not graded again (a bug of the grader's is, once fixed)
        digest = _unreadable_digests([entries[c.filename] for c in uploads]) if isinstance(exc, LoadError) else ""
        return Pending(sid, source, lambda: Submission(id=sid, source=source, kind="canvas", late=late, canvas=info,
                                                       error=error, digest=digest))

    def make() -> Submission:
        sub = _submission(sid, source, "canvas", files, settings, strip=False)
        return replace(sub, late=late, canvas=info)

    return Pending(sid, source, make)


def _ambiguous_note(c: canvas.CanvasName, other_user: str, files: int, sid: str) -> str:
    """Return the note of a Canvas submission whose file name reads two ways, nothing in the download telling which."""
    rest = c.filename[len(c.name) + len(c.user_id) + 2:]
    o = canvas.parse(f"x_{rest}")
    other_file = o.submission_id if o is not None and o.submission_id else "?"
    rename = f"{c.name}{c.user_id}_{rest}"
    return (
        f"{canvas.AMBIGUOUS_NOTE}{c.filename} reads two ways: the file of {c.name} (Canvas user {c.user_id}), or that of "
        f"{c.name}_{c.user_id} (Canvas user {other_user}, file {other_file}), as Canvas keeps a name that ends in "
        f"_<digits>; nothing else in the download tells which, so it was graded as user {c.user_id}'s"
        + (f" with the {files - 1} other file{'s' if files > 2 else ''} read so" if files > 1 else "")
        + f". If the student is user {other_user} (their name in Canvas ends in _{c.user_id}), rename their files "
        f"without that underscore ({rename}), delete this result's folder ({sid}) and grade again: the grade "
        f"is otherwise placed on user {c.user_id}."
    )


_CANVAS_ENTRIES = {"text": "a text entry typed on Canvas", "link": "a website URL handed in on Canvas"}


def _canvas_entries_error(kept: list[canvas.CanvasName]) -> str:
    """Return the error of a Canvas submission that is a text entry or a link, with no file uploaded."""
    said = "; ".join(f"{c.filename} is {_CANVAS_ENTRIES[c.entry]}" for c in kept)
    return (f"no Python code to grade: {said}, not a file, and the grader reads only files "
            "(it does not follow links or run code typed into a page). Hand in your .py files or your "
            ".ipynb notebook as a file upload.")


# --------------------------------------------------------------------------- collecting files


def _collect_file(name: str, data: bytes) -> _Files:
    """Return a single code file as the whole submission."""
    files = _Files()
    files.add(PurePosixPath(name).name, data, name)
    return files


def _read_disk(p: Path, name: str, budget: Budget) -> bytes:
    """Read a file from disk, counting its bytes against `budget` (never more than the budget allows)."""
    try:
        with open(p, "rb") as f:
            want = budget.limit - budget.used + 1
            # Read what the file holds, not a buffer of the whole budget (64 MiB, then shrunk);
            # a file that is larger than it said (growing, or /proc-like) is read on, within the budget.
            size = os.fstat(f.fileno()).st_size
            data = f.read(min(want, size + 1))
            if len(data) == size + 1 and len(data) < want:
                data += f.read(want - len(data))
    except OSError as exc:
        raise LoadError(f"{name} could not be read ({exc.strerror or exc}).") from None
    budget.take(len(data), name)
    return data


def _collect_folder(root: Path, label: str, budget: Budget) -> _Files:
    """Read the code files under a folder, recursively, without following symbolic links."""
    files = _Files()
    seen = 0
    for here, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d) and not os.path.islink(os.path.join(here, d)))
        rel = Path(here).relative_to(root).as_posix()
        for n in sorted(names):
            seen += 1
            if seen > MAX_MEMBERS:
                raise LoadError(
                    f"{label} was refused: it holds more than {MAX_MEMBERS} files; "
                    "hand in only your code (.py or .ipynb files)."
                )
            path = n if rel == "." else f"{rel}/{n}"
            full = os.path.join(here, n)
            if _skipped(n):
                continue
            if os.path.islink(full):
                files.notes.append(f"{label}/{path} is a symbolic link; it was not followed.")
                continue
            if not os.path.isfile(full):  # never opened: reading a named pipe would wait forever
                files.notes.append(f"{label}/{path} is not a regular file (a named pipe, a socket or a device); "
                                   "it was not read.")
                continue
            kind = submission_kind(n)
            if kind in ("module", "notebook"):
                files.add(path, _read_disk(Path(full), f"{label}/{path}", budget), path)
            elif kind == "zip":
                inner = _collect_archive(full, f"{label}/{path}", budget, 1)
                _merge(files, inner, path, _zip_folder(path))
            else:
                files.other.append(path)
                if _prose(n, files, os.path.getsize(full) if not os.path.islink(full) else 0):
                    files.texts[path] = _read_disk(Path(full), f"{label}/{path}", budget)
    return files


def _collect_archive(source: str | os.PathLike[str] | bytes, label: str, budget: Budget, depth: int) -> _Files:
    """Read the code files of an archive, given as a path or as its bytes."""
    with Archive(source, label) as archive:
        files = _collect_members(archive, archive.members, label, budget, depth)
        files.notes += [f"{label} holds {n} files named {name!r}; the last of them in the zip was graded "
                        "(as unzip leaves it)." for name, n in sorted(archive.repeated.items())
                        if submission_kind(name) in ("module", "notebook")]
        return files


def _collect_members(archive: Archive, members: list[Member], label: str, budget: Budget, depth: int) -> _Files:
    """Read the code files among an archive's members; zips inside are read in place (``x.zip`` -> ``x/``)."""
    files = _Files()
    for m in members:
        if not m.name or any(_skipped(part) for part in m.name.split("/")):
            continue
        kind = submission_kind(m.name)
        if kind in ("module", "notebook"):
            files.add(m.name, archive.read(m, budget), m.name)
        elif kind == "zip":
            inner_label = f"{label}:{m.name}"
            if depth >= MAX_DEPTH:
                raise ArchiveError(
                    f"{inner_label} was refused: zips inside zips are read {MAX_DEPTH} levels deep at most; "
                    "hand in one zip of your code."
                )
            inner = _collect_archive(archive.read(m, budget), inner_label, budget, depth + 1)
            _merge(files, inner, m.name, _zip_folder(m.name))
        else:
            files.other.append(m.name)
            if _prose(m.name, files, getattr(m, "size", 0)):
                files.texts[m.name] = archive.read(m, budget)
    return files


def _merge(files: _Files, inner: _Files, zip_path: str, folder: str) -> None:
    """Add the files read from the zip at `zip_path` under `folder` ("" for the root)."""
    for path, data in inner.code.items():
        files.add(f"{folder}/{path}" if folder else path, data, f"{zip_path}:{inner.origin[path]}")
    files.other += [f"{zip_path}:{o}" for o in inner.other]
    files.notes += inner.notes
    for path, data in inner.texts.items():
        files.texts.setdefault(f"{folder}/{path}" if folder else path, data)


def _zip_folder(path: str) -> str:
    """Return where a zip's content goes: ``sub/x.zip`` -> ``sub/x``."""
    return path[: -len(".zip")]


# --------------------------------------------------------------------------- building the Submission


def _submission(sid: str, source: str, kind: str, files: _Files, settings: Settings, strip: bool = True) -> Submission:
    """Decode, translate and check the collected files into a Submission."""
    if strip:
        _strip_root(files)
    _unflatten(files)
    notes = list(files.notes)
    notes += [
        f"{o} was not graded: only .py and .ipynb files are; rename it if it is your code."
        for o in files.other
        if _CODE_LIKE.search(o)
    ]
    sources: list[SourceFile] = []
    problems: list[str] = []
    empty: list[str] = []  # notebooks without code cells
    for path in sorted(files.code):
        origin = files.origin[path]
        try:
            sf, file_notes = _source_file(path, origin, files.code[path], settings)
        except LoadError as exc:
            problems.append(str(exc))
            continue
        notes += file_notes
        if sf is not None:
            sources.append(sf)
        else:
            empty.append(origin)
    for path, (data, where, py2) in _written_files(sources, files.code).items():  # a notebook's %%writefile modules
        try:
            sf, file_notes = _source_file(path, PurePosixPath(path).name, data, settings)
        except LoadError as exc:
            problems.append(str(exc))
            continue
        if sf is not None:
            notes.append(f"{sf.origin} was not handed in: it was taken from {where}, whose %%writefile "
                         f"{'writes' if ' and ' not in where else 'cells write'} it when the notebook runs.")
            notes += file_notes
            if py2 and not sf.translated and settings.translate_py2 is not None:
                # its notebook ran as Python 2, and so did the module it wrote and imported (nothing translated)
                sf = replace(sf, python2=True)
                notes.append(f"{sf.origin} was written by a notebook that ran as Python 2: while grading, `/` of two "
                             "integers kept Python 2's meaning in it too (7 / 2 == 3); in Python 3, write `//` where "
                             "you mean integer division.")
            sources.append(sf)
    sources.sort(key=lambda sf: sf.path)
    digest = _digest(files.code) if not files.texts else _digest({**files.code, **files.texts})
    texts = _texts(files)
    if (sources and not problems and not isinstance(settings, _Peek)  # (a peek reads the files' heads only)
            and all(sf.cells is None and _blank(sf.text) for sf in sources)):
        return Submission(id=sid, source=source, kind=kind, notes=tuple(notes), error=_only_blank(source, sources),
                          digest=digest, texts=texts)
    if not sources:
        error = (" ".join(problems) if problems else _no_code_cells(source, empty) if empty
                 else _no_code(source, files))
        if empty and not problems:
            notes = [n for n in notes if not n.endswith(" has no code cells; it was skipped.")]
        # Its prose is kept: a rubric with written questions grades them (grader.pipeline._written_only).
        return Submission(id=sid, source=source, kind=kind, notes=tuple(notes), error=error, digest=digest,
                          texts=texts if not problems else ())
    notes += [f"{p} It was skipped; the other files were graded." for p in problems]
    return Submission(id=sid, source=source, kind=kind, files=tuple(sources), notes=tuple(notes), digest=digest,
                      texts=texts)


def _prose(name: str, files: _Files, size: int) -> bool:
    """Return whether a file is prose to keep for written answers (bounded in number and size)."""
    return (_suffix(name) in PROSE_SUFFIXES and len(files.texts) < MAX_PROSE_FILES
            and 0 <= size <= MAX_PROSE_BYTES)


def _texts(files: _Files) -> tuple[TextFile, ...]:
    """Return the prose of a submission: its prose files, then its notebooks' Markdown cells."""
    out = [TextFile(path=p, text=d[:MAX_PROSE_BYTES].decode("utf-8", errors="replace"), origin=p)
           for p, d in sorted(files.texts.items())]
    for path in sorted(files.code):
        if _suffix(path) == ".ipynb":
            cells = notebook.markdown_cells(files.code[path])
            if cells:
                offsets, parts, at = [], [], 0
                for label, text in cells:
                    offsets.append((at, label))
                    parts.append(text)
                    at += len(text) + 2
                out.append(TextFile(path=path, text="\n\n".join(parts)[:MAX_PROSE_BYTES], origin=files.origin[path],
                                    cells=tuple(offsets)))
    return tuple(out)


def _no_code(source: str, files: _Files) -> str:
    """Return the error for a submission without code files."""
    if not files.other:
        found = "nothing"
    else:
        shown = ", ".join(files.other[:_LISTED])
        more = f" and {len(files.other) - _LISTED} more" if len(files.other) > _LISTED else ""
        found = f"only other files ({shown}{more})"
    prose = any(_suffix(name) in (".md", ".markdown", ".tex") for name in files.other)  # (not any .txt)
    return (
        f"no Python code found in {source}: looked for .py files and .ipynb notebooks, found {found}; "
        "hand in your .py files or your notebook"
        + (" (written answers alone are checked under a rubric with written questions: --rubric "
           "cs224n-a2-written, cs224d-2016-written or written)." if prose else ".")
    )


#: What the error of a submission whose code files are all empty or comments says of them.
BLANK_CODE = "empty (or only comments)"


def _blank(text: str) -> bool:
    """True when a file's code is nothing at all: empty, blank lines, comments."""
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _only_blank(source: str, sources: list[SourceFile]) -> str:
    """Return the error for a submission whose every code file is empty, or holds only comments."""
    names = [sf.origin for sf in sources]
    which = "it is" if len(names) == 1 and PurePosixPath(source).name == names[0] else (
        f"{', '.join(names[:_LISTED])}{' and more' if len(names) > _LISTED else ''} "
        f"{'is' if len(names) == 1 else 'are'}")
    return (f"no Python code found in {source}: {which} {BLANK_CODE}; "
            "save your code in the file and hand it in again.")


def _no_code_cells(source: str, notebooks: list[str]) -> str:
    """Return the error for a submission whose only code files are notebooks without code cells."""
    which = "it has" if notebooks == [source] else (
        f"{', '.join(notebooks[:_LISTED])}{' and more' if len(notebooks) > _LISTED else ''} "
        f"{'has' if len(notebooks) == 1 else 'have'}")
    return (
        f"no Python code found in {source}: {which} no code cells (only Markdown cells, or no cells at all); "
        "write your code in code cells, save the notebook and hand it in again."
    )


def _saved_notebook(path: str, data: bytes) -> bool:
    """Return whether a .py file is in fact a Jupyter notebook (its JSON), saved under the wrong name."""
    if _suffix(path) != ".py":
        return False
    utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # re-saved by Windows Notepad as "Unicode"
    if not utf16 and data.lstrip()[:1] != b"{":
        return False
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(doc, dict) and "nbformat" in doc and ("cells" in doc or "worksheets" in doc)


_WRITEFILE = re.compile(r"""%%writefile((?:[ \t]+(?:-a|--append))?)[ \t]+(?:'([^'\n]+)'|"([^"\n]+)"|(\S+))[ \t]*(?:\n|\Z)""")


def _written_files(sources: Sequence[SourceFile], handed_in: Mapping[str, bytes]) -> dict[str, tuple[bytes, str, bool]]:
    """The Python modules the notebooks' ``%%writefile NAME.py`` cells write (beside the notebook), that
    were not handed in: path -> (their content, the cells that write it, whether a notebook that writes it ran
    as Python 2), in the order the cells run.

    Running the notebook writes them before a later cell imports them (``from q1_softmax import softmax``);
    a notebook handed in alone has them only in those cells.  ``-a`` appends, as IPython's magic does.
    """
    taken = {p.lower() for p in handed_in}
    files: dict[str, object] = dict.fromkeys(handed_in)
    folders = {d for p in handed_in for d in _folders(p)}
    out: dict[str, tuple[list[str], list[str]]] = {}  # path -> (its parts, in order; the cells that write it)
    py2: set[str] = set()  # the paths a Python 2 notebook writes (SourceFile.python2: `/` is Python 2's there)
    for sf in sources:
        for c in sf.cells or ():
            m = _WRITEFILE.match(c.original.lstrip("\n"))
            name = m and (m.group(2) or m.group(3) or m.group(4))
            if not name or not name.endswith(".py") or name.startswith(("/", "~")) or "\\" in name \
                    or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):  # (a NUL: no file can have that name)
                continue
            path = PurePosixPath(sf.path).parent / name
            if ".." in path.parts or str(path).lower() in taken:
                continue
            if str(path) not in out:  # (``q1_softmax.py/x.py`` beside q1_softmax.py: IPython's cell fails, the others run)
                if _clash(str(path), files, folders) is not None:
                    continue
                files[str(path)] = None
                folders.update(_folders(str(path)))
            parts, cells = out.setdefault(str(path), ([], []))
            if not m.group(1):
                parts.clear()
            parts.append(c.original.lstrip("\n")[m.end():])  # (joined once: thousands of -a cells cost linear time)
            cells.append(f"{sf.origin}, {c.label}")
            if sf.translated or sf.python2:
                py2.add(str(path))
    return {path: ("".join(parts).encode("utf-8"), _cells_said(cells), path in py2) for path, (parts, cells) in out.items()}


def _cells_said(cells: list[str]) -> str:
    """``a1.ipynb, cell [1] and cell [2]``: the cells that write a module, the first few of many."""
    shown = cells[0] + "".join(f" and {c.rsplit(', ', 1)[-1]}" for c in cells[1:_LISTED])
    return shown + (f" and {len(cells) - _LISTED} more cells" if len(cells) > _LISTED else "")


def _source_file(path: str, origin: str, data: bytes, settings: Settings) -> tuple[SourceFile | None, list[str]]:
    """Return the SourceFile of one code file and the notes about it (None: a notebook without code)."""
    if _saved_notebook(path, data):
        # A notebook named .py (Python would read its JSON: NameError: name 'null'...): graded as
        # the notebook it is, with a note.
        stem = origin[: -len(".py")]
        sf, notes = (_peeked_file(stem + ".ipynb", origin, data) if isinstance(settings, _Peek)
                     else _notebook_file(path, origin, data, settings))
        note = (f"{origin} is a Jupyter notebook (a notebook's JSON, not Python code): it was graded as one; "
                f"name it {stem.rsplit('/', 1)[-1]}.ipynb.")
        if sf is not None and isinstance(settings, _Peek):
            sf = SourceFile(path=path, text=sf.text, origin=origin, cells=sf.cells)
        return sf, ([] if isinstance(settings, _Peek) else [note]) + notes
    if isinstance(settings, _Peek):
        return _peeked_file(path, origin, data)
    if _suffix(path) == ".ipynb":
        return _notebook_file(path, origin, data, settings)
    text, notes = _decode(data, origin)
    # translate_py2 None: read as written, not even looked at (the similarity check)
    err = None if settings.translate_py2 is None else translate.syntax_error(text)  # parsed once
    if isinstance(err, translate.TooLarge):  # no translation can help: it is run as written, and fails as Python says
        notes.append(_too_large_note(origin, err))
        return SourceFile(path=path, text=text, origin=origin), notes
    found = (None if settings.translate_py2 is None or (err is None and not translate.runtime_python2(text))
             else transform.python2(text, origin, translate=settings.translate_py2))
    if found is None:
        return SourceFile(path=path, text=text, origin=origin), notes
    if not found.translated:
        notes.append(_not_translated_note(origin, found))
        return SourceFile(path=path, text=text, origin=origin), notes
    notes.append(_translated_note(origin, found.constructs))
    if found.divisions:
        notes.append(_division_note(origin, found.divisions))
    if found.zero_divisions:
        notes.append(_zero_division_note(origin, found.zero_divisions))
    return SourceFile(path=path, text=found.text, origin=origin, translated=True, translation_diff=found.diff), notes


def _peeked_file(path: str, origin: str, data: bytes) -> tuple[SourceFile | None, list[str]]:
    """Return a file as handed in, for a peek: decoded and cut, a notebook's code cells as written."""
    if _suffix(path) == ".ipynb":
        raw = notebook.read_cells(data, origin)
        if not raw:
            return None, []
        cells = tuple(Cell(index=c.index, label=c.label, source=c.source[:PEEK_CHARS], original=c.source[:PEEK_CHARS])
                      for c in raw)
        return SourceFile(path=path, text="", origin=origin, cells=cells), []
    text, _ = _decode(data[: PEEK_CHARS * 4], origin)
    return SourceFile(path=path, text=text[:PEEK_CHARS], origin=origin), []


def _notebook_file(path: str, origin: str, data: bytes, settings: Settings) -> tuple[SourceFile | None, list[str]]:
    """Return the SourceFile of a notebook: its code cells, each made Python 3."""
    raw_cells = notebook.read_cells(data, origin)
    if not raw_cells:
        return None, [f"{origin} has no code cells; it was skipped."]
    notes: list[str] = []
    cells: list[Cell] = []
    translated: list[str] = []
    constructs: list[str] = []
    diffs: list[str] = []
    untranslated: tuple[str, translate.Python2] | None = None
    true_division = False  # a cell imported division from __future__: it counts for the cells after it
    for raw in raw_cells:
        where = f"{origin}, {raw.label}"
        source = notebook.plain_python(raw.source)
        if settings.translate_py2 is None:  # read as written (the similarity check)
            source, found = source if source is not None else raw.source, None
        elif source is not None and _plain_python3(source):
            found = None
            source = notebook.automagic(source)  # (``cd /content/drive``: Python, and IPython's %cd)
        elif source is not None and (too_large := _too_large(source)) is not None:
            found = None  # no translation can help: the cell runs as written, and fails as Python says
            notes.append(_too_large_note(where, too_large))
        else:
            try:
                source, found = transform.cell(raw.source, where, translate=settings.translate_py2)
            except transform.TransformError as exc:  # costs this cell only: it runs as written
                source, found = notebook.plain_python(raw.source) or raw.source, None
                notes.append(f"{where}: its IPython syntax or Python 2 code could not be translated ({exc.why}); "
                             "the cell was run as written.")
        if found is not None and found.translated:
            source = found.text
            translated.append(raw.label)
            constructs += [c for c in found.constructs if c not in constructs]
            diffs.append(found.diff)
            true_division = true_division or translate.imports_true_division(source)
            if found.divisions and not true_division:
                notes.append(_division_note(where, found.divisions))
            if found.zero_divisions and not true_division:
                notes.append(_zero_division_note(where, found.zero_divisions))
        elif found is not None and untranslated is None:
            untranslated = (where, found)
        else:
            true_division = true_division or translate.imports_true_division(source)
        if settings.notebook_mode == "definitions":
            source = notebook.keep_definitions(source)
        cells.append(Cell(index=raw.index, label=raw.label, source=source, original=raw.source))
    py2_kernel = (not translated and untranslated is None and settings.translate_py2 is not None
                  and notebook.python2_kernel(data))
    if py2_kernel:  # every cell is Python 3 syntax, and ran as Python 2: `/` is Python 2's (_worker, py2)
        notes.append(f"{origin} was saved from a Python 2 kernel (its metadata): while grading, `/` of two "
                     "integers kept Python 2's meaning in its cells (7 / 2 == 3), as it had there; in Python 3, "
                     "write `//` where you mean integer division.")
    if translated:
        notes.insert(0, _translated_note(f"{origin} ({', '.join(translated)})", tuple(constructs)))
    if untranslated is not None:
        notes.insert(0, _not_translated_note(*untranslated))
    text = "\n".join(c.source for c in cells)
    return (
        SourceFile(
            path=path,
            text=text,
            origin=origin,
            cells=tuple(cells),
            translated=bool(translated),
            python2=py2_kernel,
            translation_diff="".join(diffs),
        ),
        notes,
    )


def _plain_python3(text: str) -> bool:
    """Return whether `text` is Python 3 needing no translation (the usual case: no helper process needed).

    Only parsed (in C, linear time): not run.
    """
    return translate.syntax_error(text) is None and not translate.runtime_python2(text)


def _too_large(text: str) -> translate.TooLarge | None:
    """Return why Python cannot read `text` for its size or depth (not its grammar), or None."""
    err = translate.syntax_error(text)
    return err if isinstance(err, translate.TooLarge) else None


def _too_large_note(where: str, err: translate.TooLarge) -> str:
    """Return the note saying that a file (or cell) is too large or too deeply nested for Python to read."""
    return (f"{where} is too large or too deeply nested for Python to read (Python itself says: {err.msg}); "
            "it is not Python 2 code either, and was not translated. Write long expressions as loops or numpy "
            "operations, and hand in only your code.")


def _translated_note(where: str, constructs: tuple[str, ...]) -> str:
    """Return the note saying that Python 2 code was translated."""
    return f"{where} was Python 2 code; it was translated to Python 3 ({', '.join(constructs)}) before grading."


def _not_translated_note(where: str, found: translate.Python2) -> str:
    """Return the note naming the first Python 2 construct of code left untranslated."""
    return (
        f"{where} is Python 2 code (line {found.first_line}: {found.first}); it was not translated "
        "because the rubric sets translate_py2 = false, so Python 3 cannot run it."
    )


def _division_note(where: str, lines: tuple[int, ...]) -> str:
    """Return the note about `/` that Python 2 computed as integer division."""
    s = "s" if len(lines) > 1 else ""
    return (
        f"{where}: the `/` on line{s} {', '.join(map(str, lines))} is used as an index or a size; "
        "Python 2 divided integers rounding down (7 / 2 == 3), Python 3 does not (7 / 2 == 3.5). "
        "While grading, `/` in this translated file kept its Python 2 meaning; in Python 3, "
        "write `//` where you mean integer division."
    )


def _zero_division_note(where: str, found: tuple[tuple[int, str], ...]) -> str:
    """Return the note about integer literals divided to 0 in Python 2 (``1/2 * reg``)."""
    said = ", ".join(f"`{text}` on line {line}" for line, text in found[:5]) + (" and more" if len(found) > 5 else "")
    return (f"{where}: {said} {'is' if len(found) == 1 else 'are'} 0 in Python 2, which divided integers rounding "
            "down, and kept that meaning while grading (your code divides as Python 2 ran it); write 0.5, or "
            "1.0 / 2, where you mean a fraction.")


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """Return a .py file's text (UTF-16 after its byte-order mark, PEP 263 encoding, else UTF-8, else cp1252) with universal newlines."""
    notes = []
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and not data.startswith(codecs.BOM_UTF32_LE):
        # Windows Notepad's "Unicode": its byte-order mark says which of the two (a peek's cut half-character replaced)
        text = data.decode("utf-16", errors="replace")
        notes.append(f'{name} is UTF-16 text (as Windows Notepad saves "Unicode"); it was read as such.')
        return text.replace("\r\n", "\n").replace("\r", "\n"), notes
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:  # an unknown or inconsistent coding cookie
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("cp1252", errors="replace")
        notes.append(f"{name} is not UTF-8 text; it was read as Windows-1252 (cp1252).")
    return text.replace("\r\n", "\n").replace("\r", "\n"), notes


def _digest(code: dict[str, bytes]) -> str:
    """Return the sha256 of the code files: paths and contents, in path order."""
    h = hashlib.sha256()
    for path in sorted(code):
        name = path.encode("utf-8", "surrogatepass")
        h.update(len(name).to_bytes(8, "big") + name)
        h.update(len(code[path]).to_bytes(8, "big") + code[path])
    return h.hexdigest()


def _strip_root(files: _Files) -> None:
    """Make the folder holding all the code the root, unless the code imports that folder as a package."""
    while files.code:
        tops = {p.split("/")[0] for p in files.code}
        if len(tops) != 1 or any("/" not in p for p in files.code):
            return
        top = tops.pop()
        imports = re.compile(rb"^[ \t]*(from|import)[ \t]+" + re.escape(top.encode()) + rb"\b", re.MULTILINE)
        if any(imports.search(data) for data in files.code.values()):
            return
        n = len(top) + 1
        files.code = {p[n:]: d for p, d in files.code.items()}
        files.origin = {p[n:]: o for p, o in files.origin.items()}
        files.other = [o[n:] if o.startswith(top + "/") else o for o in files.other]


# ``from P.M import ...`` or ``import P.M`` at the start of a line (of a .py file, or inside a
# notebook's JSON string): P and M.
_DOTTED_IMPORT = re.compile(
    rb'^[ \t]*"?[ \t]*(?:from[ \t]+([A-Za-z_]\w*)\.([A-Za-z_]\w*)[ \t]+import\b'
    rb'|import[ \t]+([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b)',
    re.MULTILINE,
)


def _unflatten(files: _Files) -> None:
    """Put back into their folder the files of a package that was handed in flat.

    Canvas keeps files, not folders, and so does an upload of single files: a2's
    ``utils/utils.py`` arrives as ``utils.py`` beside ``word2vec.py``, whose ``from
    utils.utils import softmax`` then fails ("'utils' is not a package") and costs every
    check.  When the code imports ``P.M`` (``from P.M import``, ``import P.M``), ``P.py``
    is a file at the top (so ``P`` cannot be a package), no folder ``P/`` is there, and
    ``M.py`` is at the top too, ``M.py`` is graded as ``P/M.py``, with a note; ``P.py``
    stays where it is unless it is itself the ``M`` (``utils.utils``).
    """
    top = {p[:-3]: p for p in files.code if "/" not in p and p.endswith(".py")}
    if len(top) < 2 and len(files.code) < 2:
        return  # one file: nothing to put anywhere
    folders = {p.split("/")[0] for p in files.code if "/" in p}
    moved: dict[str, str] = {}
    for data in list(files.code.values()):
        for m in _DOTTED_IMPORT.finditer(data):
            package, module = (m[1] or m[3]).decode(), (m[2] or m[4]).decode()
            if package in top and package not in folders and module in top and top[module] not in moved:
                moved[top[module]] = f"{package}/{module}.py"
    for old, new in sorted(moved.items()):
        files.code[new] = files.code.pop(old)
        files.origin[new] = origin = files.origin.pop(old)
        package = new.split("/")[0]
        files.notes.append(f"{origin} was graded as {new}: your code imports {package}.{new[len(package) + 1:-3]}, "
                           f"and the folder {package}/ was not handed in (an upload keeps files, not folders).")


# --------------------------------------------------------------------------- names


def _suffix(name: str) -> str:
    """Return a file name's extension, lowercased: "HW1.IPYNB" -> ".ipynb"."""
    return PurePosixPath(name).suffix.lower()


def given_other_id(sid: str, source: str) -> str | None:
    """The entry's name when a batch gave the submission another id than its name gives (another
    entry's name gave that id first: ``dup.py`` beside ``dup.ipynb`` is ``dup-2``), else None.

    ``source`` is the submission's as a batch writes it (``batch/dup.py``, ``batch.zip:dup.py``);
    not for a Canvas user's files (their id is the user's).
    """
    entry = entry_name(source)
    if not entry or sid in (safe_id(entry), safe_id(_stem(entry))):
        return None
    return entry


def _stem(name: str) -> str:
    """Return a name without its extension: "alice.zip" -> "alice"; a folder keeps its name."""
    suffix = PurePosixPath(name).suffix
    return name[: -len(suffix)] if suffix and name != suffix else name


def submission_kind(name: str) -> str:
    """Return the kind of submission a file name is: "module", "notebook", "zip", or ""."""
    return {".py": "module", ".ipynb": "notebook", ".zip": "zip"}.get(_suffix(name), "")


def _skipped(name: str) -> bool:
    """Return whether a file or folder name is never looked at."""
    return name.startswith(".") or name in SKIPPED_FOLDERS or name in SKIPPED_FILES
