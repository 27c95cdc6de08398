"""Canvas bulk-download file names: who handed in what, and which resubmission is the latest."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

# <name>[_LATE]_<userid>_<fileid>_<original filename> (Canvas's ContentZipper: the file id is the
# attachment's, which grows with every upload). The name is the student's sortable name, lowercased,
# with every character that is not a Unicode word character (Ruby's [[:word:]]: letters, digits,
# combining marks and "_") taken out: "Smith, John" is "smithjohn" and "de_la Cruz, Ana" is
# "de_la_cruzana". Canvas turns "_<digits>_" in a name into "<digits>" so that a name seldom holds
# the ids' pattern, and a name with no word character at all is empty ("_<userid>_..."). Marks: a
# Devanagari, Tamil or Thai name ("शर्मा") holds marks that Python's \w does not match.
_CANVAS = re.compile(
    r"^(?P<name>.*?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$",
    re.DOTALL,
)
# An anonymously graded assignment's download: [LATE_]anon_<anonymous id>_<fileid>_<original
# filename>, the anonymous id five characters of base58 and no name. One of them a letter: a
# student whose name is written "anon" has a user id of digits only.
_ANON_ID = r"anon_(?=\d*[A-Za-z])[0-9A-Za-z]{5}"
_ANONYMOUS = re.compile(
    rf"^(?P<late>LATE_)?(?P<user>{_ANON_ID})_(?P<sub>\d+)_(?P<original>.+)$",
    re.DOTALL,
)
# A text entry or a website URL handed in on Canvas has no file: the download holds a page Canvas
# wrote, <name>[_LATE]_<userid>_text.html or ..._link.html (anonymously: [LATE_]anon_<id>_text.html),
# with no file id.
_ENTRY = re.compile(r"^(?P<name>.*?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<kind>text|link)\.html$", re.DOTALL)
_ANONYMOUS_ENTRY = re.compile(rf"^(?P<late>LATE_)?(?P<user>{_ANON_ID})_(?P<kind>text|link)\.html$", re.DOTALL)
# Canvas cuts a name longer than 180 characters to 175, the last ones "..." and its extension
# (Attachment.shorten_filename, with Ruby's File.extname: "" for a name without one)
SHORTENED = 175
_SHORTENED_END = re.compile(r"\.\.\.(\.[^.]*)?$")
# Canvas appends "-1", "-2", ... to a file's name when the student already has a file of that
# name (an upload handed in again): "q3_word2vec-1.py".
_RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[^.]*)?$", re.DOTALL)


@dataclass(frozen=True)
class CanvasName:
    """What a Canvas bulk-download file name says."""

    filename: str  #: the name as downloaded: "smithjohn_LATE_123_456_q3_word2vec-1.py"
    name: str  #: "smithjohn"
    late: bool
    user_id: str  #: "123"
    submission_id: str  #: Canvas's id of the file ("456"; its attachment id), "" for a text entry or a link
    original: str  #: the student's file name, restored: "q3_word2vec.py"
    resubmission: int  #: the "-N" Canvas appended (0 when none): 1
    anonymous: bool = False  #: an anonymously graded download: no name, and user_id "anon_<id>", not a user's id
    entry: str = "file"  #: "file" (an upload), "text" (a text entry: <...>_text.html) or "link" (a website URL)

    @property
    def order(self) -> tuple[int, int]:
        """Sort key of the versions of one file: the newest is the largest.

        Canvas's file ids grow with every upload, so the highest is the file Canvas received
        last; the "-N" only says that the student had a file of that name already (it is not
        renumbered when one is deleted, and a name can end in "-2" of its own), so it only
        orders two entries of one file id (a name Canvas shortened to one already in the zip).
        """
        return int(self.submission_id or 0), self.resubmission

    @property
    def shortened(self) -> bool:
        """Whether Canvas shortened the name: a name longer than 180 characters is cut to 175, ending "...<ext>"."""
        return len(self.filename) == SHORTENED and _SHORTENED_END.search(self.filename) is not None

    @property
    def anonymous_id(self) -> str:
        """The anonymous id of an anonymously graded download ("Xy3Kp"), else ""."""
        return self.user_id[len("anon_"):] if self.anonymous else ""


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
    >>> a.name, a.late, a.user_id, a.anonymous, a.anonymous_id
    ('', True, 'anon_Xy3Kp', True, 'Xy3Kp')
    >>> t = parse("de_la_cruzana_123_text.html")
    >>> t.name, t.user_id, t.entry, t.submission_id
    ('de_la_cruzana', '123', 'text', '')
    """
    m = _ANONYMOUS.match(filename) or _ANONYMOUS_ENTRY.match(filename)
    anonymous = m is not None
    if m is None:
        # an upload first: "smithjohn_123_456_text.html" is user 123's file text.html, not user 456's text entry
        m = next((m for m in (_CANVAS.match(filename), _ENTRY.match(filename))
                  if m is not None and _canvas_name(m["name"])), None)
        if m is None:
            return None
    groups = m.groupdict()
    entry = groups.get("kind") or "file"
    original, resubmission = (f"{entry}.html", 0) if entry != "file" else (m["original"], 0)
    if entry == "file":
        r = _RESUBMITTED.match(original)
        if r is not None:
            original, resubmission = r["stem"] + (r["ext"] or ""), int(r["n"])
    return CanvasName(
        filename=filename,
        name="" if anonymous else m["name"],
        late=m["late"] is not None,
        user_id=m["user"],
        submission_id=groups.get("sub") or "",
        original=original,
        resubmission=resubmission,
        anonymous=anonymous,
        entry=entry,
    )


def _longer(c: CanvasName) -> CanvasName | None:
    """Return the other reading of a file name whose name part may end in "_<digits>", or None when it has none.

    ``park_12_2005_6006_q3.py`` reads as park (user 12)'s file 2005, ``6006_q3.py``, which
    :func:`parse` returns, or as park_12 (user 2005)'s file 6006, ``q3.py``: Canvas keeps a
    "_<digits>" at the end of a sortable name.  Only the first "_<digits>" of what :func:`parse`
    took for ids can belong to the name (Canvas turns "_<digits>_" into "<digits>", so a name
    never ends in two of them), and never past "_LATE", which follows the name.
    """
    if c.anonymous or c.late or c.entry != "file":
        return None
    rest = c.filename[len(c.name) + len(c.user_id) + 2:]  # "<file id>_<original>": after "<name>_<user>_"
    other = parse(f"x_{rest}")
    if other is None or other.anonymous or other.late:
        return None
    return replace(other, filename=c.filename, name=f"{c.name}_{c.user_id}")


@dataclass(frozen=True)
class Download:
    """How the file names of one Canvas download were read (:func:`read_download`)."""

    other: dict[str, CanvasName]  #: the reading of each file read the other way than :func:`parse` reads it
    #: the other reading's user id of a file whose name reads two ways and nothing in the download
    #: told which (the reading kept is in `names`), by file name
    unresolved: dict[str, str]
    #: a note per file name for a file read the other way: why
    resolved: dict[str, str]

    def parse(self, filename: str) -> CanvasName | None:
        """Return how `filename` was read: :func:`parse`'s reading, or the other one when the download told so."""
        return self.other.get(filename) or parse(filename)


def read_download(filenames: Iterable[str]) -> Download:
    """Read the file names of one Canvas download, telling apart a name that ends in "_<digits>" where the download can.

    A name part that ends in "_<digits>" (Canvas keeps it: a sortable name ``Park_12``) makes
    ``park_12_2005_6006_q3.py`` read two ways (:func:`_longer`).  :func:`parse` takes the
    shortest name; the other reading is taken when the download rules the first out: Canvas
    gives every file its own id, so two files read as one user's with the same file id are
    not that (``park_12_2005_6006_q1.py`` and ``park_12_2005_6007_q3.py``: both "user 12's
    file 2005"); they are user 2005's files 6006 and 6007.  A file that reads two ways and is
    not told apart so, nor by a file that reads one way only (of the same name and user id: the
    first reading; of that user id under another name: the second, as Canvas names a user one
    way), is left in `unresolved`.

    >>> d = read_download(["park_12_2005_6006_q1.py", "park_12_2005_6007_q3.py", "lee_7_2008_6009_q3.py",
    ...                    "kim_3_2010_6011_q3.py", "kim_3_6012_q1.py"])
    >>> [(d.parse(f).user_id, d.parse(f).original) for f in ("park_12_2005_6006_q1.py", "lee_7_2008_6009_q3.py")]
    [('2005', 'q1.py'), ('7', '6009_q3.py')]
    >>> sorted(d.unresolved.items()), sorted(d.resolved)
    ([('lee_7_2008_6009_q3.py', '2008')], ['park_12_2005_6006_q1.py', 'park_12_2005_6007_q3.py'])
    """
    names = {f: parse(f) for f in filenames}
    others = {f: o for f, c in names.items() if c is not None and (o := _longer(c)) is not None}
    resolved: dict[str, str] = {}
    by_file: dict[tuple[str, str, str], list[str]] = {}
    for f, c in names.items():
        if c is not None and c.submission_id:
            by_file.setdefault((c.name, c.user_id, c.submission_id), []).append(f)
    for (name, user, file_id), group in by_file.items():
        # a student's zip and the folder it unpacked to beside it (x.zip, x/) are one file
        files = {f[:-4] if f.lower().endswith(".zip") else f for f in group}
        if len(files) > 1 and all(f in others for f in group):
            for f in group:
                o = names[f] = others.pop(f)
                resolved[f] = (
                    f"The names of {len(group)} files ({', '.join(sorted(group))}) read two ways: as files of "
                    f"{name} (Canvas user {user}), all with the file id {file_id}, or as files of {o.name} "
                    f"(Canvas user {o.user_id}); they were read as {o.name}'s, since Canvas gives every file "
                    "an id of its own.")
    # Canvas names one user one way: a user id that a file reading one way only gives another name is not this name's
    owner: dict[str, str] = {}
    for f, c in names.items():
        if c is not None and f not in others and not c.anonymous:
            owner.setdefault(c.user_id, c.name)
    for f in [f for f, c in names.items() if f in others and owner.get(c.user_id, c.name) != c.name]:  # type: ignore[union-attr]
        c, o = names[f], others.pop(f)
        names[f] = o
        resolved[f] = (
            f"The name {f} reads two ways: as a file of {c.name} (Canvas user {c.user_id}), or of {o.name} "  # type: ignore[union-attr]
            f"(Canvas user {o.user_id}); it was read as {o.name}'s, since user {c.user_id} is "  # type: ignore[union-attr]
            f"{owner[c.user_id]} in this download.")  # type: ignore[union-attr]
    plain = {(c.name, c.user_id) for f, c in names.items() if c is not None and f not in others}
    unresolved = {f: o.user_id for f, o in others.items()
                  if (names[f].name, names[f].user_id) not in plain}  # type: ignore[union-attr]
    return Download({f: names[f] for f in resolved}, unresolved, resolved)  # type: ignore[misc]


#: How the note of a Canvas file name that reads as two users' files begins (grader.load), nothing in the
#: download telling which: it tells the TA what to do, so the student's report.html leaves it out.
AMBIGUOUS_NOTE = "Canvas's name "


def for_the_ta(note: str) -> bool:
    """Whether `note` is for the TA alone (result.json, summary.html, the batch line), not the student's report.

    >>> for_the_ta("Canvas's name park_12_2005_6006_q3.py reads two ways: the file of park (Canvas user 12), ...")
    True
    >>> for_the_ta("q1.py was Python 2 code; it was translated to Python 3 (print statements) before grading.")
    False
    """
    return note.startswith(AMBIGUOUS_NOTE) and " reads two ways: " in note


def _canvas_name(name: str) -> bool:
    """Return whether `name` can be a name Canvas wrote: lowercase word characters (marks and "_" too).

    A "_<digits>_" in it is not refused: Canvas takes those out of the sortable name before
    the characters that are not word characters, so "Smith_ 12_John" is still smith_12_john,
    and the first "_<digits>_<digits>_" of a file name is its ids.
    """
    return name == name.lower() and all(c.isalnum() or unicodedata.category(c) in _WORD_CATEGORIES for c in name)


# Ruby's [[:word:]] beside letters and digits: combining marks, and connector punctuation ("_")
_WORD_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Pc"})


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
    """Keep the newest version of each original file name of one student.

    The newest is the one with the highest file id: Canvas numbers files as they are
    uploaded, so it is the one Canvas received last, whatever "-N" it was given.

    Parameters
    ----------
    names : iterable of CanvasName
        The files of one user id.

    Returns
    -------
    kept : list of CanvasName
        One per original name (a text entry's and a link's page apart), sorted by original name.
    notes : list of str
        One note per original name handed in more than once, e.g.
        ``"q3_word2vec.py was handed in 3 times; graded the newest, smithjohn_1_9_q3_word2vec-2.py
        (Canvas file id 9, the highest), not smithjohn_1_5_q3_word2vec.py, smithjohn_1_7_q3_word2vec-1.py."``
    """
    by_original: dict[tuple[str, str], list[CanvasName]] = {}
    for n in names:
        by_original.setdefault((n.original, n.entry), []).append(n)
    kept, notes = [], []
    for original, _ in sorted(by_original):
        versions = sorted(by_original[original, _], key=lambda n: (n.order, n.filename))
        newest = versions[-1]
        kept.append(newest)
        if len(versions) > 1:
            others = ", ".join(v.filename for v in versions[:-1])
            which = f"Canvas file id {newest.submission_id}, the highest" if newest.submission_id else "the last"
            notes.append(
                f"{original} was handed in {len(versions)} times; "
                f"graded the newest, {newest.filename} ({which}), not {others}."
            )
    return kept, notes
