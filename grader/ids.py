"""Submission ids that are safe as folder names and in HTML, and unique within a batch."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

#: Longest id, in characters (a hash suffix keeps truncated ids distinct).
MAX_ID_LENGTH = 64
#: Characters of a name looked at; a longer name's id ends with a hash of the whole name.
_HEAD = 256
#: Id given to a name with nothing usable in it ("", "...", "///").
EMPTY_ID = "submission"

# Names Windows refuses as file or folder names, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}
#: The files a results folder holds beside the submissions' folders (the batch's tables and pages, the
#: gradebook and its journal): a submission named so ("grades.csv/", "summary.html.py") would have its
#: folder there, and the batch could no longer write the file (a crash at its end, for everyone).
RESULTS_FILES = frozenset({"grades.csv", "summary.html", "similarity.html", "similarity.csv",
                           "gradebook.sqlite", "gradebook.sqlite-wal", "gradebook.sqlite-shm",
                           "gradebook.sqlite-journal"})
_SAFE = re.compile(r"[A-Za-z0-9._-]")
_SEPARATORS = re.compile(r"[.-]*_[._-]*|\.{2,}(?=[^.])")


def entry_name(source: str) -> str:
    """The name of a batch's entry as handed in, from a submission's ``source`` as a batch writes
    it: ``batch/dup.py`` and ``batch.zip:dup.py`` -> ``dup.py`` (not for a Canvas user's files).

    >>> entry_name("b14/jane.doe@uni.edu.py"), entry_name("hw.zip:o'connor.ipynb"), entry_name("b/alice")
    ('jane.doe@uni.edu.py', "o'connor.ipynb", 'alice')
    """
    return source.replace("\\", "/").rsplit(".zip:", 1)[-1].rsplit("/", 1)[-1]


def safe_id(name: str) -> str:
    """Return `name` made safe as a folder name and as text in HTML.

    Keeps ASCII letters, digits, ``-``, ``_`` and ``.``; accented letters are
    transliterated (``é`` -> ``e``), other non-ASCII characters are hex-escaped
    (``张`` -> ``x5f20``), and runs of anything else (spaces, ``/``, ``<``) become
    one ``_``.  Leading dots and dashes and trailing dots are dropped, Windows
    device names get a ``_`` appended, an empty result becomes ``EMPTY_ID``, and
    ids longer than `MAX_ID_LENGTH` are cut and given a short hash of `name`.

    Parameters
    ----------
    name : str
        Any file or folder name, as handed in.

    Returns
    -------
    str
        A non-empty id matching ``[A-Za-z0-9_][A-Za-z0-9._-]*``.

    Examples
    --------
    >>> safe_id("Zoë Smith")
    'Zoe_Smith'
    >>> safe_id("../<script>")
    '_script_'
    >>> safe_id("张三")
    'x5f20x4e09'
    >>> safe_id("CON")
    'CON_'
    >>> safe_id("")
    'submission'
    """
    # Only the head of a long name is looked at (an id keeps 64 characters, and a long name
    # gets a hash of all of it): the work is bounded whatever a zip member's name holds.
    long = len(name) > _HEAD
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", name[:_HEAD] if long else name):
        if _SAFE.match(ch):
            out.append(ch)
        elif unicodedata.combining(ch):
            continue  # the accent of a decomposed letter: "é" -> "e" + U+0301
        elif ord(ch) > 127 and unicodedata.category(ch)[0] in "LN":
            out.append(f"x{ord(ch):04x}")
        elif not out or out[-1] != "_":
            out.append("_")
    # ".." never survives, and a replaced run swallows the separators around it: "../a" -> "_a".
    text = _SEPARATORS.sub("_", "".join(out)).lstrip(".-").rstrip(".")
    if not text.strip("_-."):
        text = EMPTY_ID
    if text.split(".")[0].lower() in _RESERVED:
        text += "_"
    if long or len(text) > MAX_ID_LENGTH:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        text = text[: MAX_ID_LENGTH - 9].rstrip(".") + "-" + digest
    return text


@dataclass(frozen=True)
class IdMemory:
    """The ids given in earlier runs into one results folder, and what records the ones given now.

    ``known`` maps an entry (a file's whole name, a folder's name, a Canvas user id; a file's name
    without its extension, as earlier versions recorded it) to its id; ``remember``, when set, is
    handed every entry of the batch with its id once they are chosen (see :func:`unique_ids`).
    """

    known: Mapping[str, str] = field(default_factory=dict)
    remember: Callable[[dict[str, str]], None] | None = None


def unique_ids(names: Sequence[str], known: Mapping[str, str] | None = None,
               entries: Sequence[str] | None = None) -> list[str]:
    """Return a distinct safe id for each name, in the same order.

    A name that had an id in an earlier run into the same results folder (``known``: name to
    id, see :func:`grader.gradebook.known_ids`) keeps it, so that an id, its result
    and a person's override of it never pass to another student when entries are added,
    removed or renamed; and no other name ever gets an id that was once given, so that a
    removed student's id is not handed to a newcomer.

    The other names are taken in sorted order, those whose own name is already a safe id
    (``a_b``) before those made safe (``a b``), equal names in the order given.  Each gets
    ``safe_id(name)`` unless it is taken, in which case it gets the first free ``<id>-2``,
    ``<id>-3``, ... that is not another name's own id.  Ids are compared without case, so
    that two ids never clash on a case-insensitive disk.  The result depends only on the
    names and ``known``, not on the order the names come in (except among equal names).

    Parameters
    ----------
    names : sequence of str
        One name per entry; equal names are allowed.
    known : mapping of str to str, optional
        Ids given in earlier runs, by entry (`entries`), or by name where no other entry has that name.
    entries : sequence of str, optional
        The entry each name is of (``carol.py`` of the name ``carol``): an id given to ``carol.py`` stays
        with it when a ``carol.ipynb`` or a folder ``carol`` comes beside it (by name alone, the new entry,
        sorted first, took the id, its result and a person's override of it).  Default: the names.

    Returns
    -------
    list of str
        ``ids[i]`` is the id of ``names[i]``.

    Examples
    --------
    >>> unique_ids(["alice!", "alice", "Alice"])
    ['alice_', 'alice-2', 'Alice']
    >>> unique_ids(["a b", "a<b", "a_b"])
    ['a_b-2', 'a_b-3', 'a_b']
    >>> unique_ids(["a_b", "a b"], known={"a b": "a_b"})  # "a b" came first, and keeps its id
    ['a_b-2', 'a_b']
    >>> unique_ids(["grades.csv", "Summary.html"])  # the results folder's own files
    ['grades.csv-2', 'Summary.html-2']
    >>> unique_ids(["carol", "carol"], known={"carol.py": "carol"}, entries=["carol.ipynb", "carol.py"])
    ['carol-2', 'carol']
    """
    known = known or {}
    entries = entries if entries is not None else names
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    wanted = [safe_id(n) for n in names]
    ids = [""] * len(names)
    taken: set[str] = set(RESULTS_FILES)  # never a submission's folder: the results folder's own files
    order = sorted(range(len(names)), key=lambda i: (names[i], i))
    for i in order:  # the ids given before stay with their entries (or names, recorded so, where alone)
        given = known.get(entries[i])
        if given is None and counts[names[i]] == 1:
            given = known.get(names[i])
        if given is not None and given.lower() not in taken and safe_id(given) == given:
            taken.add(given.lower())
            ids[i] = given
    # Ids once given are never given to another name; nor is another entry's own name.
    reserved = {i.lower() for i in known.values()}
    natural = {w.lower() for w in wanted}
    for i in sorted(order, key=lambda i: wanted[i] != names[i]):  # stable: sorted order within each part
        if ids[i]:
            continue
        candidate, k = wanted[i], 1
        while candidate.lower() in taken or candidate.lower() in reserved or (k > 1 and candidate.lower() in natural):
            k += 1
            candidate = _suffixed(wanted[i], k)
        taken.add(candidate.lower())
        ids[i] = candidate
    return ids


def _suffixed(base: str, k: int) -> str:
    """Return `base` with ``-k`` appended, still within MAX_ID_LENGTH."""
    suffix = f"-{k}"
    return base[: MAX_ID_LENGTH - len(suffix)] + suffix
