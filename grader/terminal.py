"""Plain-text renderings of a decided result: the failure explanation, `grader check` output, batch lines.

Nothing here decides anything: every verdict, score and hint comes from the
:class:`~grader.model.SubmissionResult`.  The same explanation text is reused by the
Gradescope and JUnit exports, so a student reads the same words everywhere.

Every string that may come from a student (ids, messages, tracebacks, printed output)
goes through :func:`clean` before it reaches a terminal, so a submission cannot move the
cursor, change colours or clear the screen of whoever reads the output.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

from . import text as _text
from .text import said_in
from .model import CheckResult, ErrorInfo, Mismatch, SubmissionResult, WrittenFeedback

#: Most traceback lines shown in the terminal; the rest are counted.
TRACEBACK_LINES = 15
#: Most failing checks named after the first one's explanation.
MORE_FAILURES_NAMED = 5


_ANSI = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "magenta": "\x1b[35m",
    "reset": "\x1b[0m",
}
_STATUS_COLOR = {"pass": "green", "fail": "red", "error": "magenta", "graded": "green"}


# --------------------------------------------------------------------------- numbers


def num(x: float | None) -> str:
    """Format a score or a count-like number: at most 4 decimals, no trailing zeros.

    >>> num(7.5), num(10.0), num(0.0), num(1 / 3), num(None), num(-0.0)
    ('7.5', '10', '0', '0.3333', '-', '0')
    """
    if x is None:
        return "-"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    s = f"{round(x, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def pct(n_bad: int, n_total: int) -> str:
    """Format ``n_bad / n_total`` as a percentage that is never rounded to 0 % or 100 % by mistake.

    >>> pct(2, 6), pct(6, 6), pct(1, 1_000_000), pct(999_999, 1_000_000), pct(0, 0)
    ('33.3%', '100%', '0.0001%', '99.9%', '0%')
    """
    if n_total <= 0 or n_bad <= 0:
        return "0%"
    if n_bad >= n_total:
        return "100%"
    p = 100.0 * n_bad / n_total
    s = f"{p:.1f}"
    if s == "0.0":
        s = f"{p:.1g}"
    elif s == "100.0":
        s = "99.9"
    return s + "%"


def value_pair(got: float | None, expected: float | None) -> tuple[str, str]:
    """Format a got/expected pair with the fewest significant digits (>= 4) that tell them apart.

    None stands for NaN, as result.json writes it.

    >>> value_pair(0.69, 0.7)
    ('0.69', '0.7')
    >>> value_pair(0.7000001, 0.7)
    ('0.7000001', '0.7')
    >>> value_pair(float("inf"), 3.0), value_pair(None, 3.0)
    (('inf', '3'), ('nan', '3'))
    """
    got = math.nan if got is None else float(got)
    expected = math.nan if expected is None else float(expected)
    g = e = ""
    for digits in (4, 6, 8, 10, 12, 17):
        g, e = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if g != e:
            break
    return g, e


def short(x: float | None) -> str:
    """Format a difference with 3 significant digits: ``0.01``, ``0.0333``, ``inf``.

    >>> short(0.01), short(1 / 30), short(float("inf")), short(None)
    ('0.01', '0.0333', 'inf', '-')
    """
    if x is None:
        return "-"
    return f"{float(x):.3g}"


def allowed(x: float | None) -> str:
    """Format an allowed absolute difference: ``7.0e-06``; ``-`` when unknown.

    >>> allowed(7e-6), allowed(None)
    ('7.0e-06', '-')
    """
    return "-" if x is None else f"{float(x):.1e}"


def index(ix: Sequence[int]) -> str:
    """Format an element index as numpy would write it: ``(0, 2)``, ``(3,)``, ``()``.

    >>> index((0, 2)), index((3,)), index(())
    ('(0, 2)', '(3,)', '()')
    """
    return repr(tuple(int(i) for i in ix))


def shape(s: Sequence[int] | None) -> str:
    """Format a shape: ``(3, 5)``, ``(3,)``; ``()`` for a scalar; ``-`` when unknown."""
    return "-" if s is None else index(s)


def worst_rows(m: Mismatch) -> list[tuple[str, str, str, str]]:
    """Return the worst elements as formatted ``(index, got, expected, allowed ±)`` rows."""
    rows = []
    for el in m.worst:
        g, e = value_pair(el.got, el.expected)
        rows.append((index(el.index), g, e, allowed(el.allowed)))
    return rows


def clean(text: str) -> str:
    r"""Return a multi-line field for a terminal: :func:`grader.text.block` (newlines and tabs kept).

    Control characters (``\x1b``), bidi controls (``\u202e``), zero-width and other format
    characters, line separators and lone surrogates are shown as escapes.

    >>> clean("ok\x1b[2Jgone\tx\n")
    'ok\\x1b[2Jgone\tx\n'
    >>> clean("abc\u202edef")
    'abc\\u202edef'
    """
    return _text.block(text)


def one_line(text: str) -> str:
    r"""Return a one-line field for a terminal: :func:`grader.text.line` (newlines shown as ``\n``).

    >>> one_line("bad\nEvery check passed.")
    'bad\\nEvery check passed.'
    """
    return _text.line(text)


def cap(text: str, limit: int) -> tuple[str, int]:
    """Return ``text`` cut to ``limit`` characters and how many characters were cut.

    >>> cap("abcdef", 4), cap("abc", 4)
    (('abcd', 2), ('abc', 0))
    """
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


# --------------------------------------------------------------------------- explanation


def table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Lay out rows as left-aligned columns two spaces apart (no trailing spaces)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths)]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def error_lines(error: ErrorInfo, said: str = "") -> list[str]:
    """Return an error's student-frame traceback as lines (from its text, else from its frames).

    A line break inside a one-line part (the exception's message, a file name, a line of
    code) never makes a line of its own: such a traceback is rebuilt from its frames, each
    part within one element, so a renderer showing each element as one line
    (:func:`grader.text.line`) shows the break escaped instead of a line the grader did not write.
    Its last line, ``Type: message``, is left out where ``said`` (the check's message, shown
    above it) says the exception's type and message already.

    >>> e = ErrorInfo("NameError", "name 'f' is not defined", traceback="  a.py, line 3, in g\\n    f()\\nNameError: name 'f' is not defined")
    >>> error_lines(e, said="g raised NameError (a.py, line 3): name 'f' is not defined")
    ['  a.py, line 3, in g', '    f()']
    >>> len(error_lines(e))
    3
    """
    last = f"{error.type}: {error.message}" if error.message else error.type
    parts = [error.type, error.message, *(p for f in error.frames for p in (f.where, f.code, f.function))]
    if error.traceback.strip() and not any("\n" in p or "\r" in p for p in parts):
        lines = error.traceback.rstrip("\n").split("\n")
        if said and error.message and error.type in said and error.message in said and len(lines) > 1 \
                and lines[-1] == last:
            lines.pop()
        return lines
    lines: list[str] = []
    if error.frames:
        lines.append("Traceback (your code, most recent call last):")
        for f in error.frames:
            where = f'  {f.where}, line {f.line}' + (f", in {f.function}" if f.function else "")
            lines.append(where)
            if f.code:
                lines.append(f"    {f.code.strip()}")
    lines.append(last)
    return lines


def explain_lines(check: CheckResult, *, traceback_lines: int | None = None) -> list[str]:
    """Return the explanation of one check, line by line, in the format of ``style.md``.

    The first line is ``id: status (score / max)`` and the second the check's one-line
    message.  For a public check that did not pass, the mismatch follows (mismatched
    elements, the worst elements with the allowed difference, the largest absolute and
    relative differences), then ``Likely mistake: ...`` when a named mistake matched,
    notes, and the student-frame traceback of an error.  A hidden check keeps only its
    first two lines: no values, no inputs, no printed output.

    Parameters
    ----------
    check : CheckResult
        The decided check.
    traceback_lines : int, optional
        Show at most this many traceback lines (the last ones); None shows all.

    Returns
    -------
    list of str
        Lines without newlines.  Student text is not cleaned here: see :func:`clean`.
    """
    lines = [f"{check.id}: {check.status} ({num(check.score)} / {num(check.max_score)})"]
    if check.message:
        lines.append(check.message)
    if check.visibility == "hidden":
        return lines
    if check.written is not None:
        lines += written_lines(check.written, check.message)
    m = check.mismatch
    if m is not None and check.status != "pass":
        if m.reason in ("values", "nonfinite") and m.n_total:
            lines.append(f"Mismatched elements: {m.n_bad} / {m.n_total} ({pct(m.n_bad, m.n_total)})")
            rows = worst_rows(m)
            if rows:
                lines += table([("index", "got", "expected", "allowed ±"), *rows], indent="  ")
            if m.max_abs is not None:
                lines.append(f"Max absolute difference among mismatches: {short(m.max_abs)}")
            if m.max_rel is not None:
                lines.append(
                    f"Max relative difference among mismatches: {short(m.max_rel)} (relative to expected)"
                )
        elif m.summary and m.summary not in check.message:
            lines.append(m.summary[:1].upper() + m.summary[1:])
    if check.hint:
        lines.append(f"Likely mistake: {check.hint}")
    lines += [f"Note: {n}" for n in shown_notes(check.notes)]
    if check.error is not None:
        tb = error_lines(check.error, check.message)
        if traceback_lines is not None and len(tb) > traceback_lines:
            cut = len(tb) - traceback_lines
            tb = [
                f"… {cut} earlier traceback lines not shown; run your code directly to see all of them",
                *tb[cut:],
            ]
        if not (len(tb) == 1 and tb[0] in check.message) and not check.error.only_repeats(check.message):
            lines += tb
    return lines


_VERDICT = {"label": "", "start": "", "right": "right", "wrong": "WRONG", "error": "error"}


def written_lines(w: WrittenFeedback, message: str = "") -> list[str]:
    """Return how a written answer was read, one line per step, with each step's verdict.

    A wrong or unreadable last line's message that the check's `message` already says (a one-line answer's verdict, its
    shapes or its values) is not said again under it, as report.html does not (:func:`grader.text.said_in`).

    >>> from grader.model import WrittenFeedback, WrittenLine
    >>> print("\\n".join(written_lines(WrittenFeedback(lines=(
    ...     WrittenLine(1, "-w_i + \\\\sum_x y_x w_x", "-w_i + Σ_x y_x w_x", "", "wrong", "does not equal ∂CE/∂r̂"),)))))
    Your answer, as read:
      line 1  WRONG  -w_i + Σ_x y_x w_x
                     does not equal ∂CE/∂r̂
    """
    out = ["Your answer, as read:"]
    width = max((len(_VERDICT.get(ln.status, ln.status)) for ln in w.lines), default=0)
    for ln in w.lines:
        verdict = _VERDICT.get(ln.status, ln.status).ljust(width)
        head = f"  line {ln.line}  {verdict}  " if width else f"  line {ln.line}  "
        read = ln.read or ln.source
        out.append((head + (f"{read} =" if ln.status == "label" else read)).rstrip())
        if ln.message and not (ln is w.lines[-1] and ln.status in ("wrong", "error") and said_in(ln.message, message)):
            out.append(" " * len(head) + ln.message)
    if w.instance:
        out.append(f"Where it differs, {w.instance}")
    if w.compact:
        out.append(f"Compact form: {w.compact}")
    return out


def explain(check: CheckResult) -> str:
    """Return :func:`explain_lines` joined by newlines (no colour, student text as is).

    Examples
    --------
    >>> from grader.model import CheckResult
    >>> print(explain(CheckResult("softmax/rows", "softmax", "pass", 0.5, 0.5, "Within tolerance.")))
    softmax/rows: pass (0.5 / 0.5)
    Within tolerance.
    """
    return "\n".join(explain_lines(check))


# --------------------------------------------------------------------------- one reason, said once


def cause_key(check: CheckResult) -> tuple:
    """Return what makes failing checks fail "for one reason": the same error at the same place, or the same mistake.

    An exception is the same cause when its type and the innermost line of the student's
    code that raised it are (its message differs with each case's shapes); a crash, a
    timeout or a missing function when its message is the same but for numbers; a failed
    value when the same named mistake explains it; a stub's "Not implemented" (the same words),
    whichever questions it fails.  Any other failure, and any hidden check, is a cause of its own.

    >>> from grader.model import CheckResult, ErrorInfo, Frame
    >>> err = lambda s: ErrorInfo("ValueError", f"shapes ({s},3) not aligned", (Frame("q3.py", 34),))
    >>> a = CheckResult("ce/small", "ce", "error", 0, 1, "raised", error=err(5))
    >>> b = CheckResult("gp/large", "gp", "error", 0, 1, "raised", error=err(5000))
    >>> cause_key(a) == cause_key(b)
    True
    """
    if check.visibility == "hidden":
        return ("check", check.id)  # a hidden check says nothing of why it failed
    if check.written is not None:
        return ("check", check.id)  # a written answer is its own: its reading is shown with it
    if check.status == "error":
        e = check.error
        if e is not None and e.frames:
            return ("error", e.type, e.frames[-1].where, e.frames[-1].line)
        return ("error", e.type if e is not None else "", re.sub(r"\d+(?:\.\d+)?", "#", check.message))
    if check.mistake:
        return ("mistake", check.mistake)
    if check.status == "fail" and check.message.startswith("Not implemented"):
        return ("stub", check.message)  # a function's stub: one cause, whichever questions call it
    return ("check", check.id)


def failure_groups(checks: Iterable[CheckResult]) -> list[list[CheckResult]]:
    """Group the checks that did not pass by :func:`cause_key`, in the order their first check appears.

    Groups of what the submission does not hold (:func:`not_handed_in`) come after the others:
    a student who checks one file (``grader check q3_sgd.py``) is first told about the code
    they wrote, not that q1_softmax.py is missing.
    """
    groups: dict[tuple, list[CheckResult]] = {}
    for c in checks:
        if c.status != "pass":
            groups.setdefault(cause_key(c), []).append(c)
    return sorted(groups.values(), key=lambda g: not_handed_in(g[0]))


def not_handed_in(check: CheckResult) -> bool:
    """Whether `check` failed because what it checks is not in the submission at all: a function
    the code does not define, a written answer it does not give.  Not a function whose definition
    is in the code but failed to run (``'sigmoid' was never defined: `def sigmoid(x:x):` failed``):
    that is the cause to explain first, before the functions that call it."""
    return ((check.error is not None and check.error.type == "MissingFunction"
             and not _DEFINITION_FAILED.search(check.error.message or check.message or ""))
            or bool(_NO_ANSWER.match(check.message or "")))


#: How the sandbox says that a function is in the code but its definition did not run (_worker.undefined_cause).
_DEFINITION_FAILED = re.compile(r"' was never defined: |' is in code that does not compile: ")


def _named(ids: Sequence[str]) -> str:
    """Return at most MORE_FAILURES_NAMED ids, then how many more."""
    named = ", ".join(one_line(i) for i in ids[:MORE_FAILURES_NAMED])
    if len(ids) > MORE_FAILURES_NAMED:
        named += f" and {len(ids) - MORE_FAILURES_NAMED} more"
    return named


#: Self-consistency verdicts that need no word in the terminal or a notebook: a right gradient,
#: or an entry whose check's own error already says why it could not be compared.
QUIET_VERDICTS = frozenset({"right", "right-but-apart", "agrees", "unavailable", "stub", "order"})
#: Self-consistency verdicts said nowhere, report.html included: a starter's stub, which its
#: checks' "Not implemented" already says (there is nothing to compare).
UNSAID_VERDICTS = frozenset({"stub", "order"})


def other_causes(failing: Sequence[CheckResult], shown: Sequence[CheckResult] = ()) -> list[str]:
    """Return one line per cause of the failing checks not in `shown` (the one explained in full).

    An error or a named mistake is one cause across questions; failures without a known cause
    share one line per question and message.  Lines read ``<first id>[ and N more]: <cause_line>``.
    """
    skip = {id(c) for c in shown}
    buckets: dict[tuple, list[CheckResult]] = {}
    for c in sorted(failing, key=not_handed_in):  # (what the student wrote first, as failure_groups)
        if id(c) not in skip:
            key = cause_key(c)
            # (failures without a known cause share a line only when their words are the same:
            # the line shows the first one's)
            # (numbers aside: the same wrong shape on each case's sizes, "(3, 5), expected (5, 3)", is one line)
            words = re.sub(r"\d+(?:\.\d+)?", "#", c.message.splitlines()[0]) if c.message else c.status
            plain = ("plain", c.question, c.visibility, words, c.hint)
            if _NO_ANSWER.match(c.message or ""):
                plain = ("no answer",)  # written questions not answered: one line names them all
            buckets.setdefault(plain if key[0] == "check" else key, []).append(c)
    return found_said_once([f"{g[0].id if len(g) == 1 else f'{g[0].id} and {len(g) - 1} more'}: "
                            f"{_no_answers_line(g) if len(g) > 1 and _NO_ANSWER.match(g[0].message) else cause_line(g)}"
                            for g in buckets.values()], said=[c.message for c in shown])


#: A missing function's list of the functions found instead (grader.sandbox), the same on each line.
_FOUND = re.compile(r" \(found '\w+'(?:, '\w+')*\)")


def found_said_once(lines: list[str], said: Sequence[str] = ()) -> list[str]:
    """Return `lines` with a missing function's "(found 'a', 'b')" left out where it was said already
    (above, in `said`, or on an earlier line): eight missing functions listed the same six found.

    >>> found_said_once(["x: a.py defines no function 'f' (found 'g', 'h').", "y: a.py defines no function 'k' (found 'g', 'h')."])
    ["x: a.py defines no function 'f' (found 'g', 'h').", "y: a.py defines no function 'k'."]
    """
    seen = {m.group() for s in said for m in _FOUND.finditer(s or "")}
    out = []
    for line in lines:
        for m in list(_FOUND.finditer(line)):
            if m.group() in seen:
                line = line.replace(m.group(), "", 1)
            seen.add(m.group())
        out.append(line)
    return out


#: The message of a written question without an answer (grader.written.grading.missing_message).
_NO_ANSWER = re.compile(r"No answer found for (\S+): write it (.*)", re.S)


def _no_answers_line(group: Sequence[CheckResult]) -> str:
    """One line for written questions without an answer: their ids, and where to write each (said once)."""
    from .written.grading import missing_message

    ids = [m[1] for m in (_NO_ANSWER.match(c.message) for c in group) if m]
    where = missing_message("<id>").split(": write it ", 1)[1]
    return f"No answer found for {', '.join(ids)}: write each {where}"


def cause_line(group: Sequence[CheckResult]) -> str:
    """Return one line saying why a group of checks did not pass: the first check's message and hint."""
    first = group[0]
    message = first.message.splitlines()[0] if first.message else first.status
    line = message
    if first.hint and first.visibility == "public":
        line += f" Likely mistake: {first.hint}"
    return line


# --------------------------------------------------------------------------- terminal


def _paint(text: str, color: bool, *styles: str) -> str:
    """Wrap text in ANSI styles when colour is on."""
    if not color or not styles:
        return text
    return "".join(_ANSI[s] for s in styles) + text + _ANSI["reset"]


def _paint_explanation(lines: list[str], color: bool) -> list[str]:
    """Colour the header status and the ``Likely mistake:`` label of an explanation."""
    if not color:
        return lines
    out = list(lines)
    head, _, rest = out[0].partition(": ")
    status, _, points = rest.partition(" ")
    out[0] = f"{_paint(head, True, 'bold')}: {_paint(status, True, _STATUS_COLOR.get(status, 'bold'))} {points}"
    for i, line in enumerate(out):
        if line.startswith("Likely mistake: "):
            out[i] = _paint("Likely mistake:", True, "bold", "yellow") + line[len("Likely mistake:") :]
    return out


def _question_table(result: SubmissionResult, color: bool) -> list[str]:
    """Return the per-question table: question, checks passed, points, and a total row."""
    # A rubric that says which starter file each question belongs to (q1, q2, ...) gets a File column.
    files = result.by_file()
    rows = [("File", "Question", "Checks", "Points") if files else ("Question", "Checks", "Points")]
    n_pass = n_all = 0
    shown = None
    for q in result.questions:
        passed = sum(c.status == "pass" for c in q.checks)
        n_pass, n_all = n_pass + passed, n_all + len(q.checks)
        name = one_line(q.id) + (" (extra credit)" if getattr(q, "extra", False) else "")
        row = (name, f"{passed} / {len(q.checks)}", f"{num(q.score)} / {num(q.max_score)}")
        if files:
            row = (one_line(q.file) if q.file != shown else "",) + row
            shown = q.file
        rows.append(row)
    total = ("Total", f"{n_pass} / {n_all}", f"{num(result.score)} / {num(result.max_score)}")
    rows.append(("Total", "") + total[1:] if files else total)
    lines = table(rows)
    if color:
        lines[0] = _paint(lines[0], True, "bold")
        lines[-1] = _paint(lines[-1], True, "bold")
        for i, q in enumerate(result.questions, start=1):
            if any(c.status != "pass" for c in q.checks):
                lines[i] = _paint(lines[i], True, "red")
    return lines


#: grader.load's note of a file translated from Python 2.
_PY2_NOTE = re.compile(r"(.+) was Python 2 code; it was translated to Python 3 \((.+)\) before grading\.")


def shown_notes(notes: Sequence[str]) -> tuple[str, ...]:
    """A check's notes as a student reads them: without result.json's "convention: <name>" notes, for
    scripts, which the check's message says in words where it matters ("... of the expected values:
    start_iter / ANNEAL_EVERY divided as Python 3 does (true division).").

    >>> shown_notes(["convention: python3-division: start_iter / ANNEAL_EVERY ...", "shape (1, 3) accepted"])
    ('shape (1, 3) accepted',)
    """
    return tuple(n for n in notes if not n.startswith("convention: "))


def py2_said_once(notes: list[str]) -> list[str]:
    """The notes with the files translated from Python 2 said in one note (a CS224d 2016 folder
    had five lines, one per file, all alike), grouped by what was translated, where the first was.

    >>> py2_said_once(["a.py was Python 2 code; it was translated to Python 3 (print statements) before grading.",
    ...                "x", "b.py was Python 2 code; it was translated to Python 3 (print statements) before grading.",
    ...                "c.py was Python 2 code; it was translated to Python 3 (xrange) before grading."])
    ['a.py and b.py (print statements), c.py (xrange) were Python 2 code; they were translated to Python 3 before grading.', 'x']
    """
    found = [(i, m) for i, n in enumerate(notes) if (m := _PY2_NOTE.fullmatch(n))]
    if len(found) < 2:
        return notes
    by_what: dict[str, list[str]] = {}
    for _, m in found:
        by_what.setdefault(m[2], []).append(m[1])
    said = ", ".join(f"{' and '.join(ws) if len(ws) < 3 else ', '.join(ws[:-1]) + ' and ' + ws[-1]} ({what})"
                     for what, ws in by_what.items())
    one = f"{said} were Python 2 code; they were translated to Python 3 before grading."
    drop = {i for i, _ in found}
    return [one if i == found[0][0] else n for i, n in enumerate(notes) if i == found[0][0] or i not in drop]


def terminal(result: SubmissionResult, *, color: bool) -> str:
    """Render the student's ``grader check`` output.

    The output is: a title line, the submission-level errors when it could not be graded,
    else a compact table (question, checks passed, points), the problems met while
    loading the code, the notes, the explanation of the first failing *public* check in
    the ``style.md`` format, the ids of the other checks that did not pass, and a closing
    line saying that passing the public checks is not the final grade.

    Parameters
    ----------
    result : SubmissionResult
        The decided result.
    color : bool
        Use ANSI colours.  Student text never carries escape sequences either way.

    Returns
    -------
    str
        The text, ending with a newline.
    """
    out: list[str] = []
    title = f"{one_line(result.submission)}: {num(result.score)} / {num(result.max_score)}"
    if result.late:
        title += " (late)"
    out.append(_paint(title, color, "bold"))
    if result.rubric_reason:
        out.append(f"Rubric {clean(result.rubric)}: {clean(result.rubric_reason)}")
    if result.status == "error":
        out.append(_paint("This submission could not be graded:", color, "bold", "red"))
        out += [f"  {one_line(e)}" for e in result.errors] or ["  (no reason was recorded)"]
        return "\n".join(out) + "\n"
    out.append("")
    out += _question_table(result, color)

    unit_errors = result.load.unit_errors if result.load else ()
    if unit_errors or result.errors:
        out += ["", _paint("While loading your code:", color, "bold")]
        out += [f"  {one_line(e)}" for e in result.errors]
        for ue in unit_errors:
            out.append(f"  {one_line(ue.where)}: {one_line(ue.error.type)}: {one_line(ue.error.message)}")
    if result.notes:
        out += [""] + [f"Note: {one_line(n)}" for n in py2_said_once(list(result.notes))]

    # Said only when it tells something: a right gradient needs no comment, and an entry that
    # could not be compared is explained by the check's own error below.
    verdicts = [c for c in result.consistency
                if c.verdict not in QUIET_VERDICTS]
    if verdicts:
        out += ["", _paint(one_line(verdicts[0].question), color, "bold")]
        said: dict[str, list[str]] = {}
        for c in verdicts:
            said.setdefault(c.headline or c.message, []).append(f"{c.named} on case {c.case}")
        out += [f"  {one_line(head)} ({one_line(', '.join(where))})" for head, where in said.items()]

    failing = [c for c in result.checks() if c.status != "pass"]
    groups = failure_groups(failing)
    public = [g for g in groups if g[0].visibility == "public"]
    first = public[0] if public else None
    if first is not None:
        lines = [one_line(line) for line in explain_lines(first[0], traceback_lines=TRACEBACK_LINES)]
        out += [""] + _paint_explanation(lines, color)
        if len(first) > 1:
            word = "check" if len(first) == 2 else "checks"
            out.append(f"The same cause made {len(first) - 1} more {word} fail: {_named([c.id for c in first[1:]])}.")
    also = [f"  {one_line(line)}" for line in other_causes(failing, first or ())]
    if also:
        out += ["", _paint("Also did not pass:", color, "bold")] + also
    if not failing:
        out += ["", _paint("Every check passed.", color, "green")]
    out += [
        "",
        "Passing the public checks is not your final grade: hidden checks are graded after you hand in.",
    ]
    return "\n".join(out) + "\n"


def terminal_written(check: CheckResult, *, color: bool) -> str:
    """Render ``grader check --written``'s output: the verdict, how each line was read, a named mistake."""
    lines = [clean(line) for line in explain_lines(check)]
    return "\n".join(_paint_explanation(lines, color)) + "\n"


def counts(checks: Iterable[CheckResult]) -> dict[str, int]:
    """Count checks by status.

    >>> counts([])
    {'pass': 0, 'fail': 0, 'error': 0}
    """
    n = {"pass": 0, "fail": 0, "error": 0}
    for c in checks:
        n[c.status] = n.get(c.status, 0) + 1
    return n


def terminal_batch_line(result: SubmissionResult) -> str:
    """Return one line about one graded submission, for ``grader grade``'s prose output.

    ``alice: 7.5 / 10, 12 of 15 checks passed (2 failed, 1 error), late`` (with extra credit, "(6 failed,
    4 errors, 4 of these 10 in extra credit)": of the checks that did not pass) or
    ``bob: error: could not read bob.zip: File is not a zip file``.  Checks of extra-credit
    questions that did not pass are said to be so (``68.5 / 68.5, 119 of 131 checks passed
    (12 errors, all in extra credit)``: a full score is not a contradiction).  A regrade after a
    rubric change adds the score before it: ``; 7 / 10 before the rubric change (regraded: softmax)``.
    """
    sid = one_line(result.submission)
    if result.status == "error":
        why = "; ".join(result.errors) or "could not be graded"
        return f"{sid}: error: {one_line(why)}" + regrade_note(result)
    n = counts(result.checks())
    total = sum(n.values())
    line = f"{sid}: {num(result.score)} / {num(result.max_score)}, {n['pass']} of {total} checks passed"
    extra = []
    if n["fail"]:
        extra.append(f"{n['fail']} failed")
    if n["error"]:
        extra.append(f"{n['error']} error" + ("s" if n["error"] > 1 else ""))
    bonus = sum(c.status != "pass" for c in result.extra_checks())
    if bonus:
        both = n["fail"] and n["error"]  # "of them" would read as of the errors alone
        extra.append("all in extra credit" if bonus == n["fail"] + n["error"] else
                     f"{bonus} of these {n['fail'] + n['error']} in extra credit" if both else
                     f"{bonus} of them in extra credit")
    if extra:
        line += f" ({', '.join(extra)})"
    if result.late:
        line += ", late"
    if result.canvas is not None and result.canvas.other_user_id:
        line += f", Canvas user {clean(result.canvas.user_id)} or {clean(result.canvas.other_user_id)}? (see the notes of its result.json)"
    if result.looks_like:
        line += f", looks like {clean(result.looks_like)}"
    return line + regrade_note(result)


def regrade_note(result: SubmissionResult) -> str:
    """Return "; <score before> before the rubric change (what was regraded)" for a regrade, "" otherwise."""
    r = result.regrade
    if r is None:
        return ""
    before = "error" if r.previous_status == "error" else f"{num(r.previous_score)} / {num(r.previous_max_score)}"
    if r.full:
        what = f"every question regraded: {r.reason}" if r.reason else "every question regraded"
    elif r.questions:
        what = "regraded: " + ", ".join(r.questions)
    else:
        what = "no question's checks changed, nothing regraded"
    return f"; {before} before the rubric change ({one_line(what)})"
