"""Submission ids that are safe as folder names and in HTML, and unique within a batch."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Sequence

#: Longest id, in characters (a hash suffix keeps truncated ids distinct).
MAX_ID_LENGTH = 64
#: Characters of a name looked at; a longer name's id ends with a hash of the whole name.
_HEAD = 256
#: Id given to a name with nothing usable in it ("", "...", "///").
EMPTY_ID = "submission"

# Names Windows refuses as file or folder names, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}
_SAFE = re.compile(r"[A-Za-z0-9._-]")
_SEPARATORS = re.compile(r"[.-]*_[._-]*|\.{2,}(?=[^.])")


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


def unique_ids(names: Sequence[str]) -> list[str]:
    """Return a distinct safe id for each name, in the same order.

    Names are taken in sorted order (equal names in the order given).  Each gets
    ``safe_id(name)`` unless an earlier name already has it, in which case it
    gets the first free ``<id>-2``, ``<id>-3``, ... that is not another name's
    own id.  Ids are compared without case, so that two ids never clash on a
    case-insensitive disk.  The result depends only on the names, not on the
    order they come in (except among equal names).

    Parameters
    ----------
    names : sequence of str
        One name per entry; equal names are allowed.

    Returns
    -------
    list of str
        ``ids[i]`` is the id of ``names[i]``.

    Examples
    --------
    >>> unique_ids(["alice!", "alice", "Alice"])
    ['alice_', 'alice-2', 'Alice']
    >>> unique_ids(["a b", "a<b", "a b"])
    ['a_b', 'a_b-3', 'a_b-2']
    """
    wanted = [safe_id(n) for n in names]
    natural = {i.lower() for i in wanted}
    taken: set[str] = set()
    ids = [""] * len(names)
    for i in sorted(range(len(names)), key=lambda i: (names[i], i)):
        candidate, k = wanted[i], 1
        while candidate.lower() in taken or (k > 1 and candidate.lower() in natural):
            k += 1
            candidate = _suffixed(wanted[i], k)
        taken.add(candidate.lower())
        ids[i] = candidate
    return ids


def _suffixed(base: str, k: int) -> str:
    """Return `base` with ``-k`` appended, still within MAX_ID_LENGTH."""
    suffix = f"-{k}"
    return base[: MAX_ID_LENGTH - len(suffix)] + suffix
