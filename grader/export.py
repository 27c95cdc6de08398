"""Write decided results for other tools: grades.csv, Gradescope results.json, Canvas CSV, JUnit XML, JSON lines.

Like the renderers, exporters never decide anything: scores, statuses and messages come
from the :class:`~grader.model.SubmissionResult`, and the words a student reads are the
same as in the terminal and the report (:func:`grader.terminal.explain_lines`).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from .canvas import student_name
from .errors import UsageError, cut
from .ids import entry_name
from .model import CheckResult, SubmissionResult
from .render import consistency_verdicts
from .terminal import clean, counts, explain_lines, num, py2_said_once
from .text import block, line

__all__ = [
    "GRADES_COLUMNS",
    "grades_header",
    "grades_row",
    "write_grades_csv",
    "gradescope_results",
    "GRADESCOPE_SCHEMA",
    "CANVAS_COLUMNS",
    "CanvasExport",
    "write_canvas_csv",
    "write_junit",
    "json_line",
]

PathLike = str | os.PathLike

# --------------------------------------------------------------------------- CSV helpers

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


#: Control characters (C0, DEL, C1): written as ``\xNN`` in a text cell.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _cell(text: str) -> str:
    r"""Return a text cell that a spreadsheet will not run as a formula (OWASP's advice: prefix ``'``),
    with control characters written as ``\xNN``: a file name's escape sequence never reaches the
    terminal of a TA who prints the file, and a line break never splits a row for a line-based script.

    >>> _cell("alice"), _cell("=HYPERLINK(1)"), _cell("e\x1b[31mvil.py"), _cell("a\nb")
    ('alice', "'=HYPERLINK(1)", 'e\\x1b[31mvil.py', 'a\\x0ab')
    """
    text = str(text)
    text = "'" + text if text.startswith(_FORMULA) else text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _named(text: str) -> str:
    r"""Return a text cell of what a submission named (its files, its id): :func:`_cell`, and its
    format characters (bidi overrides, zero-width characters) shown as escapes, as the terminal
    and the reports show them.

    >>> _named("q3‮yp.py"), _named("=x")
    ('q3\\u202eyp.py', "'=x\\x1b")
    """
    return line(_cell(text))


# --------------------------------------------------------------------------- grades.csv

#: Columns of grades.csv: the four of contract.md, then ``late`` ("true"/"false"), who the
#: student is where the batch says (the name and ids of a Canvas download), the file or
#: folder handed in (``source``: tells ``alice`` from ``alice-2``), whether a human
#: overrode a score, and then one column per question (its score), named by its id.
GRADES_COLUMNS = ("id", "score", "max_score", "status", "late", "name", "canvas_user_id", "canvas_submission_id",
                  "source", "overridden")


def grades_header(questions: Sequence[str] = ()) -> list[str]:
    """Return grades.csv's header: the :data:`GRADES_COLUMNS`, then one column per question id.

    >>> grades_header(["softmax"])[-2:]
    ['overridden', 'softmax']
    """
    return [*GRADES_COLUMNS, *(_cell(q) for q in questions)]


def grades_row(result: SubmissionResult, questions: Sequence[str] = ()) -> list[str]:
    """Return one grades.csv row: the :data:`GRADES_COLUMNS`, then the score of each of `questions` ("" if absent).

    >>> from grader.model import SubmissionResult, QuestionResult
    >>> r = SubmissionResult("alice", "r", "graded", 7.5, 10.0, source="alice.py",
    ...                      questions=(QuestionResult("softmax", "", 2.5, 5.0, ()),))
    >>> grades_row(r, ["softmax", "sgd"])
    ['alice', '7.5', '10', 'graded', 'false', '', '', '', 'alice.py', 'false', '2.5', '']
    """
    canvas = result.canvas
    scores = {q.id: num(q.score) for q in result.questions}
    return [
        _named(result.submission),
        num(result.score),
        num(result.max_score),
        result.status,
        "true" if result.late else "false",
        _named(student_name(result)),
        _cell(canvas.user_id if canvas else ""),
        _cell(canvas.submission_id if canvas else ""),
        _named(result.source),
        "true" if getattr(result, "overrides", ()) else "false",
        *(scores.get(q, "") for q in questions),
    ]


def write_grades_csv(results: Iterable[SubmissionResult] | Callable[[], Iterable[SubmissionResult]],
                     path: PathLike, *, questions: Sequence[str] | None = None) -> int:
    """Write grades.csv: a header, then one row per submission, as the results come.

    The columns are ``id,score,max_score,status`` (contract.md) followed by the rest of
    :data:`GRADES_COLUMNS` and one column per question, in the order the results name
    them.  Numbers have at most 4 decimals and no trailing zeros (``7.5``, ``10``).  A
    text cell that starts like a spreadsheet formula gets a leading ``'``.  Lines end with
    ``\\n``.

    Parameters
    ----------
    results : iterable of SubmissionResult, or a callable returning a fresh one
        A callable is called twice: a first pass collects every question id (so that a
        result that is missing some still fits the columns), the second writes each row as
        it comes.  An iterable is consumed once: the question columns are then the first
        result's.
    path : str or path-like
        The file to write (replaced).
    questions : sequence of str, optional
        The question columns (the rubric's, in a batch): the results are then read once.

    Returns
    -------
    int
        The number of rows written, header excluded.
    """
    first = None
    if questions is not None:
        questions = list(questions)
        rows = iter(results() if callable(results) else results)
    elif callable(results):
        questions = []
        for r in results():
            questions += [q.id for q in r.questions if q.id not in questions]
        rows = iter(results())
    else:
        rows = iter(results)
        first = next(rows, None)
        questions = [q.id for q in first.questions] if first is not None else []
    n = 0
    with open(path, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(grades_header(questions))
        for r in ([first] if first is not None else []):
            w.writerow(grades_row(r, questions))
            n += 1
        for r in rows:
            w.writerow(grades_row(r, questions))
            n += 1
    return n


# --------------------------------------------------------------------------- Gradescope

_GS_VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
_GS_FORMAT = ["text", "html", "simple_format", "md", "ansi"]

#: JSON Schema (draft 2020-12) of Gradescope's ``results.json``, written from Gradescope's
#: "Autograder Specifications" (gradescope-autograders.readthedocs.io/en/latest/specs/,
#: section "Output format", with "Output String Formatting" and "Test case status").
#: Unknown keys are refused so that a typo cannot pass silently.
GRADESCOPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Gradescope autograder results.json",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number", "description": "Overrides the total of the tests' scores."},
        "execution_time": {"type": "number", "minimum": 0, "description": "Seconds."},
        "output": {"type": "string"},
        "output_format": {"enum": _GS_FORMAT},
        "test_output_format": {"enum": _GS_FORMAT},
        "test_name_format": {"enum": _GS_FORMAT},
        "visibility": {"enum": _GS_VISIBILITY},
        "stdout_visibility": {"enum": _GS_VISIBILITY},
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": {"enum": _GS_FORMAT},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": {"enum": _GS_FORMAT},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": {"enum": _GS_VISIBILITY},
                    "extra_data": {"type": "object"},
                },
            },
        },
        "leaderboard": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "value"],
                "properties": {
                    "name": {"type": "string"},
                    "value": {"type": ["number", "string"]},
                    "order": {"enum": ["asc", "desc"]},
                },
            },
        },
    },
    # "score: optional, but required if not on each test case"; "tests: required if no top-level score".
    "anyOf": [
        {"required": ["score"]},
        {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}},
    ],
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
#: Most characters of a check's printed output put in a Gradescope test's output.
GRADESCOPE_OUTPUT_CHARS = 2000
#: Most traceback lines put in a Gradescope test's output.
GRADESCOPE_TRACEBACK_LINES = 30


def _md(text: str) -> str:
    """Escape text for Markdown: HTML special characters as entities, Markdown punctuation with ``\\``.

    >>> _md("<b>*x*</b>")
    '&lt;b&gt;\\\\*x\\\\*&lt;/b&gt;'
    """
    t = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", t).replace("\r", " ").replace("\n", " ")


def _fence(text: str, info: str = "text") -> str:
    """Return text as a fenced Markdown code block that its content cannot close.

    >>> print(_fence("a ``` b"))
    ````text
    a ``` b
    ````
    """
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def _gs_test(number: str, check: CheckResult, question: str, bonus: bool = False) -> dict[str, Any]:
    """Return one Gradescope test for one check.

    A check of an extra-credit question (`bonus`) has ``max_score`` 0, Gradescope's way of
    showing extra credit (a score above the maximum), so that the tests' maxima add up to the
    submission's; its name says "(extra credit)".
    """
    lines = explain_lines(check, traceback_lines=GRADESCOPE_TRACEBACK_LINES)
    hint = None
    if check.visibility == "public" and check.hint:
        lines = [ln for ln in lines if ln != f"Likely mistake: {check.hint}"]
        hint = check.hint
    parts = [_fence("\n".join(line(ln) for ln in lines))]  # each line of it one line (text.line)
    if hint:
        parts.append(f"**Likely mistake:** {_md(hint)}")
    if check.visibility == "public" and check.output:
        shown = check.output[:GRADESCOPE_OUTPUT_CHARS]
        more = len(check.output) - len(shown)
        parts.append("What your code printed during this check:")
        parts.append(_fence(shown))
        if more:
            parts.append(f"… {more} more characters not shown; run your code yourself to see all of it.")
    tags = [question]
    if check.visibility == "public" and check.mistake:
        tags.append(check.mistake)
    extra: dict[str, Any] = {"id": check.id, "question": question, "status": check.status}
    if bonus:
        extra["extra_credit"] = True
        extra["points"] = check.max_score
        tags.append("extra credit")
    if check.mistake:
        extra["mistake"] = check.mistake
    if check.error is not None:
        extra["error_type"] = check.error.type
    return {
        "name": f"{check.id} (extra credit)" if bonus else check.id,
        "number": number,
        "score": check.score,
        "max_score": 0.0 if bonus else check.max_score,
        "status": "passed" if check.status == "pass" else "failed",
        "output": clean("\n\n".join(parts)),
        "output_format": "md",
        "tags": tags,
        "visibility": "after_published" if check.visibility == "hidden" else "visible",
        "extra_data": extra,
    }


def gradescope_results(
    result: SubmissionResult, *, execution_time: float, stdout_visibility: str = "hidden"
) -> dict[str, Any]:
    """Return Gradescope's ``results.json`` document for one submission.

    Follows Gradescope's "Autograder Specifications" (see :data:`GRADESCOPE_SCHEMA`):
    the top level has ``score`` (the submission's), ``execution_time`` (whole seconds),
    ``output`` (Markdown: score, problems, notes, self-consistency), ``output_format``
    ``"md"``, ``visibility`` ``"visible"``, ``stdout_visibility`` and ``extra_data``;
    ``tests`` has one entry per check, numbered ``"<question>.<check>"`` from 1, with its
    score, ``status`` ``"passed"``/``"failed"``, the explanation of ``style.md`` in a code
    block, tags (question id, mistake id) and ``extra_data`` (check id, status, mistake,
    error type).  A hidden check is ``"after_published"`` and shows only its status,
    points and one-line message; a public one is ``"visible"``.  A submission that could
    not be graded gets score 0, no tests, and its errors in ``output``.

    Student text is Markdown-escaped or put in code blocks it cannot close, and its
    control characters and bidi overrides are shown as escapes (``\\x1b``).

    Parameters
    ----------
    result : SubmissionResult
        The decided result.
    execution_time : float
        Seconds the grading took.
    stdout_visibility : str, optional
        Who sees the autograder's own standard output: ``"hidden"`` (default),
        ``"after_due_date"``, ``"after_published"`` or ``"visible"``.

    Returns
    -------
    dict
        JSON-ready; valid against :data:`GRADESCOPE_SCHEMA`.
    """
    if stdout_visibility not in _GS_VISIBILITY:
        raise UsageError(f"stdout_visibility must be one of {', '.join(_GS_VISIBILITY)}, not {stdout_visibility!r}")
    extra = {
        "schema": result.schema,
        "submission": result.submission,
        "rubric": result.rubric,
        "status": result.status,
        "isolation": result.isolation,
        "grader_version": result.grader_version,
    }
    doc: dict[str, Any] = {
        "score": result.score if result.status == "graded" else 0.0,
        "execution_time": max(0, int(round(execution_time))),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": stdout_visibility,
        "extra_data": extra,
    }
    if result.status == "error":
        problems = "\n".join(f"- {_md(e)}" for e in result.errors) or "- no reason was recorded"
        doc["output"] = clean(f"**This submission could not be graded.**\n\n{problems}")
        doc["tests"] = []
        return _finite(doc)

    hidden = [(q, c) for q in result.questions for c in q.checks if c.visibility == "hidden"]
    if hidden:
        # Gradescope keeps the total from students while tests are hidden (they see the visible
        # tests' points only): the text says the score of the checks shown, never the total,
        # which would tell how the hidden checks went before grades are published.
        shown = [(q, c) for q in result.questions for c in q.checks if c.visibility != "hidden"]
        n = counts(c for _, c in shown)
        worth = sum(0.0 if q.extra else c.max_score for q, c in hidden)
        parts = [
            f"**Score of the checks shown now: {num(sum(c.score for _, c in shown))} / "
            f"{num(sum(0.0 if q.extra else c.max_score for q, c in shown))}** ({n['pass']} of {len(shown)} checks "
            f"passed); {len(hidden)} hidden {'check' if len(hidden) == 1 else 'checks'}, worth {num(worth)} "
            f"{'point' if worth == 1 else 'points'}, {'is' if len(hidden) == 1 else 'are'} shown once grades are "
            "published"
        ]
    else:
        n = counts(result.checks())
        parts = [
            f"**Score: {num(result.score)} / {num(result.max_score)}** "
            f"({n['pass']} of {sum(n.values())} checks passed)"
        ]
    if result.errors:
        parts.append("**Problems with this submission**\n\n" + "\n".join(f"- {_md(e)}" for e in result.errors))
    unit_errors = result.load.unit_errors if result.load else ()
    if unit_errors:
        items = []
        for ue in unit_errors:
            items.append(f"- {_md(ue.where)}: {_md(ue.error.type)}: {_md(ue.error.message)}")
        parts.append("**These parts of your code failed while loading** (the rest still ran)\n\n" + "\n".join(items))
    if result.notes:
        parts.append("**Notes**\n\n" + "\n".join(f"- {_md(x)}" for x in py2_said_once(list(result.notes))))
    verdicts = consistency_verdicts(result)
    if verdicts:
        parts.append(f"**{_md(verdicts[0].entries[0].question)}**\n\n" + "\n".join(
            f"- {_md(v.headline)} ({_md(', '.join(f'{c.named} on case {c.case}' for c in v.entries))})"
            for v in verdicts))
    doc["output"] = clean("\n\n".join(parts))
    tests = []
    for qi, q in enumerate(result.questions, start=1):
        for ci, c in enumerate(q.checks, start=1):
            tests.append(_gs_test(f"{qi}.{ci}", c, q.id, bonus=q.extra))
    doc["tests"] = tests
    return _finite(doc)


# --------------------------------------------------------------------------- Canvas

#: The student columns of a Canvas gradebook import, in order.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_TITLE_AND_ID = re.compile(r"\A(.*)\s+\((\d+)\)\Z", re.S)


@dataclass(frozen=True)
class CanvasExport:
    """What :func:`write_canvas_csv` wrote, and what it could not place."""

    rows: int  #: student rows written
    assignment: str  #: the assignment column's header
    unmatched: tuple[str, ...] = ()  #: submissions left out: no Canvas id and no roster row
    not_in_roster: tuple[str, ...] = ()  #: written by their Canvas id, but absent from the roster
    ungraded: tuple[str, ...] = ()  #: status "error" and no person's override: written with their score, 0
    missing: tuple[str, ...] = ()  #: roster students without a submission (Canvas user ids), written as `missing` says
    new_column: bool = False  #: the assignment has no "Name (id)" column in the roster: Canvas would create one
    #: submissions left out: of an anonymously graded download (no user id; result.json's canvas.anonymous_id)
    anonymous: tuple[str, ...] = ()
    #: submissions whose Canvas file names read as two users' (result.json's canvas.other_user_id), written
    #: under their user_id: "<submission> (user <id> or <other id>)"
    ambiguous: tuple[str, ...] = ()
    #: the same, told apart by the roster (one of the two ids is the roster's): "<submission> (user <id>)"
    resolved: tuple[str, ...] = ()


def _read_roster(path: PathLike) -> tuple[list[str], list[dict[str, str]]]:
    """Read a gradebook CSV exported from Canvas: its header and its student rows."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as e:
        raise UsageError(
            f"roster {os.fspath(path)}: not UTF-8 text (byte {e.start}); Canvas exports UTF-8: export the gradebook "
            "again, or save it from a spreadsheet as 'CSV UTF-8'") from None
    except csv.Error as e:
        raise UsageError(f"roster {os.fspath(path)}: not a CSV file ({cut(str(e))})") from None
    except OSError as e:
        raise UsageError(f"roster {os.fspath(path)} could not be read: {e.strerror or e}") from None
    if not rows or len(rows[0]) < 2 or "Student" not in rows[0][0] or "ID" not in rows[0][1]:
        raise UsageError(
            f"roster {os.fspath(path)}: not a gradebook exported from Canvas "
            f"(its first columns must be 'Student' and 'ID')"
        )
    header = [h.strip() for h in rows[0]]
    students = []
    for row in rows[1:]:
        rec = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        # Skip Canvas's "Points Possible" row, posting-policy rows and blank lines: they have no user id.
        if "Points Possible" in rec.get("Student", "") or not rec.get("ID"):
            continue
        students.append(rec)
    return header, students


def _assignment_header(assignment: str, roster_header: list[str]) -> str:
    """Return the assignment column's header: ``Name (id)`` from the roster when it has that column."""
    if _TITLE_AND_ID.match(assignment):
        return assignment
    same = [h for h in roster_header if (m := _TITLE_AND_ID.match(h)) and m.group(1).strip() == assignment.strip()]
    return same[0] if len(same) == 1 else assignment


def _in_roster(column: str, roster_header: list[str]) -> bool:
    """Whether Canvas would find the assignment column ``column`` among the roster's: by its id, else by name."""
    m = _TITLE_AND_ID.match(column)
    if m:
        return any((h := _TITLE_AND_ID.match(c)) is not None and h.group(2) == m.group(2) for c in roster_header)
    return column.strip() in roster_header


#: What a batch's entry's name ends with that its submission id leaves out.
_ENTRY_SUFFIXES = (".py", ".ipynb", ".zip")


def _by_entry_name(r: SubmissionResult, *tables: Mapping[str, dict[str, str]]) -> dict[str, str] | None:
    """The roster student named by the submission's entry as handed in (``jane.doe@uni.edu.py``), where
    its id had to be made safe (``jane.doe_uni.edu``): looked up as its id is, in ``tables``
    (the roster by ID, SIS Login ID, ignoring case, and SIS User ID)."""
    name = entry_name(r.source) if r.source else ""
    for suffix in _ENTRY_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    if not name or name == r.submission:
        return None
    by_id, by_login, by_sis = tables
    return by_id.get(name) or by_login.get(name.casefold()) or by_sis.get(name)


def write_canvas_csv(
    results: Iterable[SubmissionResult],
    path: PathLike,
    *,
    assignment: str,
    roster: PathLike | None = None,
    missing: str = "blank",
) -> CanvasExport:
    """Write a CSV that Canvas's gradebook import accepts, one row per student.

    Format (sources: Canvas Instructor Guide, "How do I import grades in the
    Gradebook?", community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807;
    and Canvas's importer, ``app/models/gradebook_importer.rb`` in instructure/canvas-lms,
    which accepts a header starting ``Student, ID[, SIS User ID], SIS Login ID, Section``,
    reads an optional row whose first cell contains ``Points Possible``, and matches an
    assignment column by the id in ``Name (id)``, else by its exact name, else creates it):

    ====================  =========================================================
    column                content
    ====================  =========================================================
    ``Student``           the roster's name; without a roster, the name of the
                          Canvas download (``smithjohn``) or the submission id
    ``ID``                the Canvas user id: Canvas matches students by it
    ``SIS User ID``       from the roster, else empty
    ``SIS Login ID``      from the roster, else empty
    ``Section``           from the roster, else empty
    ``<assignment>``      the score, at most 4 decimals
    ====================  =========================================================

    The second row is ``Points Possible`` with the assignment's maximum score (Canvas uses
    it when the import creates the assignment).  The assignment header is ``assignment``
    as given; when it has no ``(id)`` and the roster has exactly one column
    ``<assignment> (<id>)``, that header is used, so the scores land in the existing
    assignment rather than in a new one.

    Matching: a submission with a Canvas id (``result.canvas.user_id``, from a Canvas bulk
    download) is that Canvas user.  A submission without one is looked up in the roster
    by its submission id, against the roster's ``ID``, then ``SIS Login ID`` (ignoring
    case), then ``SIS User ID``: name a file ``<login>.py`` and it lands on that student (its
    name as handed in, ``jane.doe@uni.edu.py``, where the id had to be made safe).
    A submission with neither is left out and listed in :attr:`CanvasExport.unmatched`, or in
    :attr:`CanvasExport.anonymous` when it is of an anonymously graded download (its files name
    no user: Canvas's API takes its ``canvas.anonymous_id`` instead).
    Every Canvas user id appears once: two submissions of the same student raise
    :class:`~grader.errors.UsageError`, naming both, before anything is written.  Roster
    students without a submission are written after the others, with an empty grade
    (``missing="blank"``: Canvas leaves their grade unchanged) or 0 (``missing="zero"``),
    and listed in :attr:`CanvasExport.missing`.  Results of which none has a Canvas id,
    without a roster to match them, are refused: the file would hold nobody Canvas knows.

    Parameters
    ----------
    results : iterable of SubmissionResult
        The batch's results.
    path : str or path-like
        The CSV to write (replaced).
    assignment : str
        The assignment's name in Canvas, optionally with its id: ``Word2vec softmax (12345)``.
    roster : str or path-like, optional
        A gradebook CSV exported from Canvas, to fill the name, SIS and section columns.
    missing : str
        "blank" or "zero": the grade written for a roster student without a submission.

    Returns
    -------
    CanvasExport
        Counts and the submissions that could not be placed.

    Raises
    ------
    UsageError
        The roster is not a Canvas gradebook export, two submissions are the same student,
        or no result has a Canvas id and there is no roster.
    """
    if missing not in ("blank", "zero"):
        raise UsageError(f"--missing must be 'blank' or 'zero', not {missing!r}")
    header: list[str] = []
    students: list[dict[str, str]] = []
    if roster is not None:
        header, students = _read_roster(roster)
    by_id = {s["ID"]: s for s in students}
    by_login = {s.get("SIS Login ID", "").casefold(): s for s in students if s.get("SIS Login ID")}
    by_sis = {s.get("SIS User ID", ""): s for s in students if s.get("SIS User ID")}

    rows: dict[str, tuple[list[str], str]] = {}  # user id -> (row, submission)
    unmatched, not_in_roster, ungraded, anonymous, ambiguous, resolved = [], [], [], [], [], []
    top = 0.0
    for r in results:
        top = max(top, r.max_score)  # the assignment's maximum, whoever the roster matches
        student: dict[str, str] | None = None
        uid = r.canvas.user_id if r.canvas and r.canvas.user_id else ""
        other = r.canvas.other_user_id if r.canvas and uid else ""
        if other:  # its file names read as two users' files: the roster tells them apart when it has one of them
            known = [u for u in (uid, other) if u in by_id]
            if len(known) == 1:
                uid = known[0]
                resolved.append(f"{r.submission} (user {uid})")
            else:
                ambiguous.append(f"{r.submission} (user {uid} or {other})")
        if uid:
            student = by_id.get(uid)
            if student is None and roster is not None:
                not_in_roster.append(r.submission)
        else:
            student = (by_id.get(r.submission) or by_login.get(r.submission.casefold()) or by_sis.get(r.submission)
                       or _by_entry_name(r, by_id, by_login, by_sis))
            if student is None:
                (anonymous if r.canvas and r.canvas.anonymous_id else unmatched).append(r.submission)
                continue
            uid = student["ID"]
        if uid in rows:
            raise UsageError(
                f"Canvas user {uid} has two submissions, {rows[uid][1]!r} and {r.submission!r}: "
                "remove one of them from the results and export again"
            )
        if student is not None:
            cells = [student.get(c, "") for c in CANVAS_COLUMNS]
        else:
            name = student_name(r) or r.submission
            cells = [name, uid, "", "", ""]
        if r.status == "error" and not r.overrides:  # a person's score stands for the grader's missing one
            ungraded.append(r.submission)
        rows[uid] = ([_cell(c) for c in cells] + [num(r.score)], r.submission)

    if roster is None and not rows and anonymous and not unmatched:
        which = ", ".join(anonymous[:3]) + (", ..." if len(anonymous) > 3 else "")
        raise UsageError(
            f"{'the ' + str(len(anonymous)) + ' results are' if len(anonymous) > 1 else 'the result is'} of an "
            f"anonymously graded assignment ({which}): its download names no Canvas user, and Canvas's gradebook "
            "import places grades by user. Enter the grades in SpeedGrader, or post them with Canvas's API "
            "(.../assignments/<id>/anonymous_submissions/<anonymous_id>, each result.json's canvas.anonymous_id)")
    if roster is None and not rows:
        raise UsageError(
            f"none of the {len(unmatched) + len(anonymous)} results has a Canvas id (the batch was not a Canvas bulk "
            "download, or an "
            "anonymously graded one, whose files name no student), and "
            "no --roster was given to match them: export the gradebook from Canvas and pass it with --roster CSV "
            "(submissions are matched by their id to the roster's ID or SIS Login ID)")
    column = _assignment_header(assignment, header)
    # Canvas puts its own "Student, Test" in every course's gradebook: not a student to list.
    absent = [s for s in students if s["ID"] not in rows and s.get("Student", "").strip() != "Student, Test"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*CANVAS_COLUMNS, column])
        w.writerow(["Points Possible", "", "", "", "", num(top)])
        for row, _ in rows.values():
            w.writerow(row)
        for s in absent:
            w.writerow([_cell(s.get(c, "")) for c in CANVAS_COLUMNS] + ["0" if missing == "zero" else ""])
    return CanvasExport(len(rows) + len(absent), column, tuple(unmatched), tuple(not_in_roster), tuple(ungraded),
                        tuple(s["ID"] for s in absent), new_column=roster is not None and not _in_roster(column, header),
                        anonymous=tuple(anonymous), ambiguous=tuple(ambiguous), resolved=tuple(resolved))


# --------------------------------------------------------------------------- JUnit XML

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Most characters of a check's printed output put in ``<system-out>``.
JUNIT_OUTPUT_CHARS = 65536


def _xml(text: Any) -> str:
    r"""Return text with the characters XML 1.0 cannot hold shown as escapes (``\x1b``).

    >>> _xml("a\x00b\x1bc\ud800")
    'a\\x00b\\x1bc\\ud800'
    """
    return _XML_INVALID.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        str(text),
    )


def _testsuite(r: SubmissionResult) -> ET.Element:
    """Return one ``<testsuite>`` for one submission."""
    checks = r.checks()
    n = counts(checks)
    suite = ET.Element(
        "testsuite",
        {
            "name": _xml(line(r.submission)),
            "tests": str(len(checks) if r.status == "graded" else 1),
            "failures": str(n["fail"]),
            "errors": str(n["error"] if r.status == "graded" else 1),
            "skipped": "0",
            "time": f"{r.seconds:.3f}",
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("score", num(r.score)),
        ("max_score", num(r.max_score)),
        ("status", r.status),
        ("late", "true" if r.late else "false"),
        ("rubric", r.rubric),
        ("grader_version", r.grader_version),
    ):
        ET.SubElement(props, "property", {"name": name, "value": _xml(value)})
    if r.status == "error":
        case = ET.SubElement(suite, "testcase", {"classname": _xml(line(r.submission)), "name": "load"})
        message = "; ".join(r.errors) or "could not be graded"
        err = ET.SubElement(case, "error", {"message": _xml(line(message)), "type": "SubmissionError"})
        err.text = _xml("\n".join(line(e) for e in r.errors))
        return suite
    for q in r.questions:
        for c in q.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                {"classname": _xml(line(f"{r.submission}.{q.id}")), "name": _xml(line(c.id))},
            )
            if c.status != "pass":
                tag = "failure" if c.status == "fail" else "error"
                kind = c.error.type if c.error is not None and c.visibility == "public" else c.status
                el = ET.SubElement(case, tag, {"message": _xml(line(c.message)), "type": _xml(line(kind))})
                el.text = _xml("\n".join(line(ln) for ln in explain_lines(c)))
            if c.output and c.visibility == "public":
                out = ET.SubElement(case, "system-out")
                out.text = _xml(block(c.output[:JUNIT_OUTPUT_CHARS]))
    return suite


def write_junit(results: Iterable[SubmissionResult], path: PathLike) -> int:
    """Write JUnit XML: one ``<testsuite>`` per submission, one ``<testcase>`` per check.

    A failing check has a ``<failure>`` and an erroring one an ``<error>``, each with the
    check's one-line message as ``message``, the error's type (or ``fail``) as ``type``,
    and the explanation of ``style.md`` as text; what a public check printed is its
    ``<system-out>``.  Hidden checks keep only status and message, as everywhere.  A
    submission that could not be graded has one ``<testcase name="load">`` with an
    ``<error>``.  The score, status and lateness are ``<properties>`` of the suite.

    Characters that XML 1.0 cannot hold (control characters, lone surrogates) are written
    as visible escapes, so the file is well-formed whatever the students printed.  Suites
    are written as the results come; ``<testsuites>`` carries no totals for that reason.

    Parameters
    ----------
    results : iterable of SubmissionResult
        Consumed once.
    path : str or path-like
        The file to write (replaced).

    Returns
    -------
    int
        The number of suites written.
    """
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="grader">\n')
        for r in results:
            el = _testsuite(r)
            ET.indent(el, space="  ", level=1)
            f.write("  " + ET.tostring(el, encoding="unicode") + "\n")
            f.flush()
            n += 1
        f.write("</testsuites>\n")
    return n


# --------------------------------------------------------------------------- JSON


def _finite(obj: Any) -> Any:
    """Replace non-finite floats by None (JSON has no inf or nan), recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def json_line(result: SubmissionResult) -> str:
    """Return the result.json document on one line, for ``--json`` streaming.

    Strict JSON: infinities and NaN become ``null`` (as :func:`grader.model._plain` already
    does for NaN), non-ASCII characters are ``\\u`` escapes, and there is no newline inside
    or at the end.

    >>> from grader.model import SubmissionResult
    >>> json_line(SubmissionResult("alice", "r", "graded", 1.0, 2.0))[:48]
    '{"schema":"grader.result/1","submission":"alice"'
    """
    return json.dumps(_finite(result.to_dict()), separators=(",", ":"), allow_nan=False)
