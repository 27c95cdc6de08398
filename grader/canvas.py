"""Canvas bulk-download file names: who handed in what, and which resubmission is the latest."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

# <name>[_LATE]_<userid>_<submissionid>_<original filename>; the name is the student's
# sortable name, lowercased, without spaces or punctuation ("smithjohn"). Canvas keeps every
# Unicode word character of it (Ruby's [[:word:]]): letters, digits and combining marks, so
# a Devanagari, Tamil or Thai name ("शर्मा") holds marks that Python's \w does not match.
_CANVAS = re.compile(
    r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$",
    re.DOTALL,
)
# An anonymously graded assignment's download: [LATE_]anon_<anonymous id>_<submissionid>_<original
# filename>, the anonymous id five characters of base58 and no name. One of them a letter: a
# student whose name is written "anon" has a user id of digits only.
_ANONYMOUS = re.compile(
    r"^(?P<late>LATE_)?(?P<user>anon_(?=\d*[A-Za-z])[0-9A-Za-z]{5})_(?P<sub>\d+)_(?P<original>.+)$",
    re.DOTALL,
)
# Canvas appends "-1", "-2", ... to a name handed in again: "q3_word2vec-1.py".
_RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[^.]*)?$", re.DOTALL)


@dataclass(frozen=True)
class CanvasName:
    """What a Canvas bulk-download file name says."""

    filename: str  #: the name as downloaded: "smithjohn_LATE_123_456_q3_word2vec-1.py"
    name: str  #: "smithjohn"
    late: bool
    user_id: str  #: "123"
    submission_id: str  #: "456"
    original: str  #: the student's file name, restored: "q3_word2vec.py"
    resubmission: int  #: the "-N" Canvas appended (0 when none): 1
    anonymous: bool = False  #: an anonymously graded download: no name, and user_id "anon_<id>", not a user's id

    @property
    def order(self) -> tuple[int, int]:
        """Sort key of resubmissions of one file: the latest is the largest."""
        return self.resubmission, int(self.submission_id)


def parse(filename: str) -> CanvasName | None:
    """Return what a Canvas bulk-download file name says, or None when it is not one.

    Parameters
    ----------
    filename : str
        A file name without folders.

    Returns
    -------
    CanvasName or None

    Examples
    --------
    >>> c = parse("smithjohn_LATE_123_456_q3_word2vec-1.py")
    >>> c.name, c.late, c.user_id, c.submission_id, c.original, c.resubmission
    ('smithjohn', True, '123', '456', 'q3_word2vec.py', 1)
    >>> parse("q3_word2vec.py") is None
    True
    >>> a = parse("LATE_anon_Xy3Kp_456_q3_word2vec.py")
    >>> a.name, a.late, a.user_id, a.anonymous
    ('', True, 'anon_Xy3Kp', True)
    """
    m = _ANONYMOUS.match(filename)
    anonymous = m is not None
    if m is None:
        m = _CANVAS.match(filename)
        if m is None or not _canvas_name(m["name"]):
            return None
    original, resubmission = m["original"], 0
    r = _RESUBMITTED.match(original)
    if r is not None:
        original, resubmission = r["stem"] + (r["ext"] or ""), int(r["n"])
    return CanvasName(
        filename=filename,
        name="" if anonymous else m["name"],
        late=m["late"] is not None,
        user_id=m["user"],
        submission_id=m["sub"],
        original=original,
        resubmission=resubmission,
        anonymous=anonymous,
    )


def _canvas_name(name: str) -> bool:
    """Return whether `name` can be a name Canvas wrote: lowercase word characters (marks too), no "_"."""
    return name == name.lower() and all(c.isalnum() or unicodedata.category(c)[0] == "M" for c in name)


def student_name(entry: object) -> str:
    """Return the student's name a Canvas download gave a submission or its result, or "" when none.

    `entry` is a :class:`~grader.model.Submission` or a :class:`~grader.model.SubmissionResult`:
    its ``canvas`` (made when the batch was loaded, from the latest file's name) says it.  Every
    report that names Canvas students (grades.csv, the Canvas export, similarity.html) reads it here.

    >>> from grader.model import CanvasInfo, Submission
    >>> student_name(Submission("1001", "canvas.zip", "canvas", canvas=CanvasInfo("smithjohn", "1001", "5001")))
    'smithjohn'
    >>> student_name(Submission("alice", "alice.py", "module"))
    ''
    """
    info = getattr(entry, "canvas", None)
    return (info.name or "") if info is not None else ""


def is_canvas_batch(filenames: Sequence[str]) -> bool:
    """Return whether a batch's top-level file names follow Canvas's naming.

    True when at least half of them parse, so that a stray file does not turn
    Canvas grouping off, and a batch of ``alice.py``, ``bob.py`` is never
    grouped because one name happens to look like Canvas's.
    """
    if not filenames:
        return False
    matched = sum(parse(f) is not None for f in filenames)
    return 2 * matched >= len(filenames)


def latest(names: Iterable[CanvasName]) -> tuple[list[CanvasName], list[str]]:
    """Keep the latest resubmission of each original file name of one student.

    The latest is the one with the highest ``-N``, then the highest submission id.

    Parameters
    ----------
    names : iterable of CanvasName
        The files of one user id.

    Returns
    -------
    kept : list of CanvasName
        One per original name, sorted by original name.
    notes : list of str
        One note per original name handed in more than once, e.g.
        ``"q3_word2vec.py was handed in 3 times; graded the latest
        (smithjohn_1_7_q3_word2vec-2.py)."``
    """
    by_original: dict[str, list[CanvasName]] = {}
    for n in names:
        by_original.setdefault(n.original, []).append(n)
    kept, notes = [], []
    for original in sorted(by_original):
        versions = sorted(by_original[original], key=lambda n: (n.order, n.filename))
        kept.append(versions[-1])
        if len(versions) > 1:
            notes.append(
                f"{original} was handed in {len(versions)} times; "
                f"graded the latest ({versions[-1].filename})."
            )
    return kept, notes
