"""Render a decided result: the student's report.html, the TA's summary.html, and terminal text.

Reporters never decide anything: every status, score, hint and message comes from the
:class:`~grader.model.SubmissionResult`.  HTML is rendered by jinja2 with autoescape on,
from templates in the ``grader.templates`` package; the stylesheet is inlined so that a
report is one self-contained file (no network, no JavaScript needed to read it).

Safety of the HTML, in layers:

- every value reaches the page through an autoescaped ``{{ ... }}``; nothing built from
  a student's text is ever marked safe;
- control characters and bidi overrides in any value are shown as visible escapes;
- links go through :func:`safe_href`, which never lets a ``javascript:`` URL through;
- a Content-Security-Policy ``<meta>`` forbids scripts in report.html and allows in
  summary.html only the one inline script, by its sha256 hash; that script reads the
  table's text and never writes HTML.

The terminal functions live in :mod:`grader.terminal` and are re-exported here.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.resources
import io
import math
import pickle
import re
import statistics
import sys
import threading
from collections import OrderedDict
from array import array
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, TextIO, Union
from urllib.parse import quote

import jinja2
from jinja2.filters import do_int as _do_int
from jinja2.filters import do_round as _do_round
from markupsafe import Markup

from . import terminal as _text
from .canvas import for_the_ta, student_name
from .errors import cut
from .model import CheckResult, Consistency, SimilarityMatch, SubmissionResult
from .score import stand_ins_said_once
from .terminal import explain, explain_lines, py2_said_once, shown_notes, terminal, terminal_batch_line
from .text import said_in

__all__ = [
    "report",
    "summary",
    "write_summary",
    "summary_entry",
    "write_summary_entries",
    "terminal",
    "terminal_batch_line",
    "explain",
    "explain_lines",
    "error_kinds",
    "consistency_verdicts",
    "safe_href",
    "ERROR_KINDS",
]

#: Characters of a check's printed output shown in report.html; the rest is counted.
OUTPUT_CHARS = 4000
#: Characters of what loading printed shown in report.html.
LOAD_OUTPUT_CHARS = 4000
#: Characters of a traceback shown in report.html.
TRACEBACK_CHARS = 8000
#: Bins of the score histogram in summary.html.
HISTOGRAM_BINS = 10

#: How summary.html groups errors: ``ErrorInfo.type`` -> kind.  Any other type of a
#: check's error is the kind ``"exception"`` (the student's code raised it); a failing
#: top-level statement or cell is ``"top-level code"`` unless its type is a syntax error, a
#: crash, running out of memory or out of time (its submission was graded all the same);
#: a submission with status "error" is ``"load error"``.
ERROR_KINDS: dict[str, str] = {
    "Timeout": "timeout",
    "Crash": "crash",
    "Exit": "crash",
    "SystemExit": "crash",
    "MemoryError": "out of memory",
    "MissingFunction": "missing function",
    "Missing": "missing function",
    "SyntaxError": "syntax error",
    "IndentationError": "syntax error",
    "TabError": "syntax error",
}
#: For a check with status "error" but no ``ErrorInfo`` (the sandbox gives none for a
#: crash, an exit or a missing function), the kind is read from its message, whose
#: wording is the sandbox's; what matches nothing is ``"other"``.
ERROR_MESSAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("timeout", re.compile(r"did not return within|time budget ran out")),
    ("crash", re.compile(r"process running .* (?:died|exited)|crashed|no result came back")),
    ("missing function", re.compile(r"\bdefines? no function\b")),
)
#: A missing function's message when its definition is in code that does not compile (the worker's wording).
_NOT_COMPILED = re.compile(r"is in code that does not compile|was never defined: .* does not compile")
#: Headings of the error kinds, in the order summary.html lists them.
KIND_LABELS: dict[str, str] = {
    "timeout": "Timeout",
    "crash": "Crash",
    "out of memory": "Out of memory",
    "missing function": "Missing function",
    "syntax error": "Syntax error",
    "load error": "Could not be loaded",
    "top-level code": "A top-level statement or cell raised",
    "exception": "Raised an exception",
    "other": "Other errors",
}


_ISOLATION = {
    "bwrap": "bubblewrap sandbox (own mount, PID, network and IPC namespaces)",
    "bwrap-userns": "bubblewrap sandbox in a user namespace",
    "process": "a separate process, without a sandbox",
    "none": "nothing ran: written answers are read as text",
}

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_URL_STRIPPED = re.compile(r"[\t\n\r]")
_URL_LEADING = "".join(map(chr, range(0x21)))  # C0 controls and space, which browsers skip

#: The only script of summary.html: sorts a table by a clicked column header, and shows a
#: table's "scroll sideways" cue when the table is wider than its box (on load and resize).
#: It reads cells' text and data-sort attributes, moves rows and sets classes; it never writes HTML.
SORT_SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    var n = parseFloat(v);
    return (v !== "" && isFinite(v) && !isNaN(n)) ? [0, n] : [1, v.toLowerCase()];
  }
  function compare(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    return a[1] < b[1] ? -1 : (a[1] > b[1] ? 1 : 0);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var down = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(key(a.cells[col]), key(b.cells[col]));
          return down ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.documentElement.classList.add("js");
  function cues() {
    Array.prototype.forEach.call(document.querySelectorAll(".scroll"), function (box) {
      var before = box.previousElementSibling;
      var cue = before ? before.querySelector(".scroll-cue") : null;
      if (cue) { cue.classList.toggle("shown", box.scrollWidth > box.clientWidth + 1); }
    });
  }
  cues();
  window.addEventListener("resize", cues);
}());
"""


# --------------------------------------------------------------------------- environment


def _read_template(name: str) -> str:
    """Return the text of one template of the ``grader.templates`` package."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise jinja2.TemplateNotFound(name)
    res = importlib.resources.files("grader.templates").joinpath(name)
    if not res.is_file():
        raise jinja2.TemplateNotFound(name)
    return res.read_text(encoding="utf-8")


def _finalize(value: Any) -> Any:
    """Show control characters and bidi overrides of every printed value as visible escapes."""
    if type(value) is str:
        # Most values are plain printable ASCII (ids, numbers, messages): nothing to show as escapes.
        return value if value.isascii() and value.isprintable() else _text.clean(value)
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _text.clean(value)


def heat_color(share: float) -> str:
    """Return the fill colour of a heat-map cell: light grey for 0, deep red for 1.

    >>> heat_color(0.0), heat_color(1.0)
    ('#f3f4f6', '#b91c1c')
    """
    s = 0.0 if share is None or not math.isfinite(share) else min(1.0, max(0.0, float(share)))
    lo, hi = (0xF3, 0xF4, 0xF6), (0xB9, 0x1C, 0x1C)
    return "#" + "".join(f"{round(a + (b - a) * s):02x}" for a, b in zip(lo, hi))


def heat_rects(heat: Any, cell: int) -> Markup:
    """Return the ``<rect>`` lines of a heat map's SVG, one per block, each on its own line.

    Only numbers and :func:`heat_color`'s colours go into them, so the text is safe as it
    is; a share shows as ``((share or 0) * 100)|round|int`` percent, with jinja2's own
    filters.

    >>> print(heat_rects(((0.0, 0.5),), 24), end="")
    <BLANKLINE>
        <rect x="0" y="0" width="24" height="24" fill="#f3f4f6"><title>block (0, 0): 0% of its elements differ</title></rect>
        <rect x="24" y="0" width="24" height="24" fill="#d68889"><title>block (0, 1): 50% of its elements differ</title></rect>
    """
    cell = int(cell)
    lines = ["\n"]
    for i, row in enumerate(heat):
        for j, v in enumerate(row):
            fill = heat_color(v)
            pct = int(_do_int(_do_round((v or 0) * 100)))
            lines.append(f'    <rect x="{j * cell}" y="{i * cell}" width="{cell}" height="{cell}" fill="{fill}">'
                         f"<title>block ({i}, {j}): {pct}% of its elements differ</title></rect>\n")
    return Markup("".join(lines))


#: The MathML elements and attributes grader.written.show writes; anything else is shown as text.
_MATHML_TAG = re.compile(r'<(/?)([a-z]+)((?:\s+(?:display="inline"|accent="true"|mathvariant="normal"))*)\s*>')
_MATHML_TAGS = frozenset({"math", "mrow", "mi", "mo", "mn", "msub", "msup", "mover", "munder", "munderover",
                          "mfrac", "merror", "mtext"})


def mathml(markup: str) -> Markup | str:
    """Return a written answer's MathML as markup when it holds only the elements the grader writes.

    Any other tag, or a stray ``<``, makes it plain text (escaped when printed), so a
    result.json edited by hand cannot inject markup.

    >>> mathml('<math display="inline"><mi>x</mi></math>')
    Markup('<math display="inline"><mi>x</mi></math>')
    >>> mathml('<math><script>alert(1)</script></math>')
    '<math><script>alert(1)</script></math>'
    """
    text = str(markup)
    tags = _MATHML_TAG.findall(text)
    rest = _MATHML_TAG.sub("", text)
    if not text.startswith("<math") or "<" in rest or ">" in rest or any(t[1] not in _MATHML_TAGS for t in tags):
        return text
    return Markup(text)


def safe_href(href: str) -> str:
    """Return ``href`` made harmless: a URL with a scheme other than http(s) becomes relative.

    Browsers drop tabs and newlines from URLs and ignore leading spaces, so those are
    removed before the scheme is looked at.

    >>> safe_href("alice/report.html"), safe_href("https://example.org/r")
    ('alice/report.html', 'https://example.org/r')
    >>> safe_href("java\\tscript:alert(1)")
    './javascript:alert(1)'
    """
    h = _URL_STRIPPED.sub("", str(href)).lstrip(_URL_LEADING)
    m = _SCHEME.match(h)
    if m and m.group(1).lower() not in ("http", "https"):
        return "./" + h
    return h


def _default_href(result: SubmissionResult) -> str:
    """Return ``<submission>/report.html``, the submission id percent-encoded."""
    return f"{quote(result.submission, safe='')}/report.html"


def _anchor(text: str) -> str:
    """Return a fragment id made of safe characters only.

    >>> _anchor("softmax/rows-2x3")
    'softmax-rows-2x3'
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "-", str(text))


def pair_anchor(a: str, b: str, kind: str) -> str:
    """Return the fragment id of the pair of `a` (a submission) and `b` in similarity.html.

    Two submissions give the same anchor in either order, so that each one's row in
    summary.html can link to their pair.

    >>> pair_anchor("bob", "alice", "submission") == pair_anchor("alice", "bob", "submission")
    True
    >>> pair_anchor("alice", "public/q3 <x>.py", "source")
    'pair-alice--public-q3--x-.py'
    """
    if kind == "submission":
        a, b = sorted((a, b))
    return "pair-" + _anchor(a) + "--" + _anchor(b)


#: Python and numpy scalar types: one is as good as another where a number is expected.
_NUMBER_TYPES = {"float", "int", "bool", "float16", "float32", "float64", "longdouble", "int8", "int16", "int32",
                 "int64", "uint8", "uint16", "uint32", "uint64", "bool_"}


def differs(got: Any, expected: Any, field: str) -> bool:
    """Return whether a difference between got and expected in ``field`` (type, dtype, shape) is worth showing in red.

    A Python ``float`` where ``numpy.float64`` was expected is not; a 0-d array is as good
    as a scalar; a float32 where float64 was expected is not (the tolerances accept it);
    an integer dtype where floats were expected is.

    >>> from grader.model import Shown
    >>> differs(Shown("float64", "float64", ()), Shown("float", None, ()), "type")
    False
    >>> differs(Shown("tuple", None, None), Shown("ndarray", "float64", (3,)), "type")
    True
    >>> differs(Shown("ndarray", "int64", (3,)), Shown("ndarray", "float64", (3,)), "dtype")
    True
    >>> differs(Shown("ndarray", "float32", (3,)), Shown("ndarray", "float64", (3,)), "dtype")
    False
    """
    if got is None or expected is None:
        return False
    a, b = getattr(got, field), getattr(expected, field)
    if a == b:
        return False
    if field == "type":
        scalar = lambda s: s.type in _NUMBER_TYPES or (s.type == "ndarray" and s.shape == ())  # noqa: E731
        return not (scalar(got) and scalar(expected))
    if field == "dtype":
        return a is None or b is None or a[:1] != b[:1]
    return True


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Return the jinja2 environment: templates from ``grader.templates``, autoescape on."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_read_template),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(
        num=_text.num,
        short=_text.short,
        allowed=_text.allowed,
        index=_text.index,
        shape=_text.shape,
        heat_color=heat_color,
        href=safe_href,
        anchor=_anchor,
        mathml=mathml,
    )
    env.globals.update(
        pct=_text.pct,
        value_pair=_text.value_pair,
        worst_rows=_text.worst_rows,
        error_lines=_text.error_lines,
        cap=_text.cap,
        heat_rects=heat_rects,
        differs=differs,
        said_in=said_in,
    )
    return env


def _round_points(x: float) -> float:
    """Points rounded as scores are (sums of halves and tenths print cleanly)."""
    return round(float(x) + 0.0, 6)


@functools.lru_cache(maxsize=1)
def _css() -> Markup:
    """Return the stylesheet, to be inlined (it is the grader's own file, not data)."""
    return Markup(_read_template("style.css"))


def _csp(script: str | None = None) -> str:
    """Return the Content-Security-Policy: no network, inline styles, and at most one hashed script."""
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        policy += f"; script-src 'sha256-{digest}'"
    return policy


# --------------------------------------------------------------------------- report.html


@dataclass(frozen=True)
class Verdict:
    """Self-consistency entries that mean the same thing, shown once under their verdict."""

    tone: str  #: "good", "warn", "bad"
    headline: str
    entries: tuple[Consistency, ...]  #: the (case, gradient) comparisons it covers, in rubric order

    @property
    def lines(self) -> tuple[tuple[tuple[str, ...], str], ...]:
        """(cases, what was found) as report.html lists them: what was found is said once, with every
        case it was found on (a line said for two gradients of a case, the cost raised before either
        was compared, or the same error on every case).

        >>> from grader.model import Consistency
        >>> e = lambda case, m: Consistency(case=case, wrt="grad_pred", status="error", message=m)
        >>> Verdict("warn", "h", (e("small", "boom"), e("small", "boom"), e("typical", "boom"), e("large", "x"))).lines
        ((('small', 'typical'), 'boom'), (('large',), 'x'))
        """
        said: dict[str, list[str]] = {}
        for c in self.entries:
            cases = said.setdefault(c.message or c.status, [])
            if c.case not in cases:
                cases.append(c.case)
        return tuple((tuple(cases), message) for message, cases in said.items())


@dataclass(frozen=True)
class Cause:
    """Why some checks did not pass, said once at the top of report.html."""

    text: str  #: the named mistake's hint, else the first check's one-line message
    named: bool  #: True when ``text`` is a named mistake ("Likely mistake: ...")
    checks: tuple[str, ...]  #: the ids of the checks it explains, in rubric order


def _said_once(causes: list[Cause]) -> list[Cause]:
    """Merge the causes whose words are the same (each check failing on its own with one message,
    the three sanity checks' "Not within tolerance"): the text once, with all their checks."""
    merged: dict[tuple[str, bool], list[str]] = {}
    for c in causes:
        merged.setdefault((c.text, c.named), []).extend(c.checks)
    return [Cause(text, named, tuple(ids)) for (text, named), ids in merged.items()]


#: Tone of each self-consistency verdict (:func:`grader.checks.read_consistency`); others are "warn".
_VERDICT_TONE = {"right": "good", "right-but-apart": "good", "agrees": "good",
                 "gradient-wrong": "bad", "both-wrong": "bad", "disagrees": "bad"}


def consistency_verdicts(result: SubmissionResult) -> list[Verdict]:
    """Group the self-consistency entries by their verdict, in the order they first appear.

    The verdict of each entry was decided when the submission was graded (it reads the
    entry with the reference checks of the same case); four entries that mean the same
    thing are shown as one headline with its four comparisons.  An entry without a
    verdict (a result.json of an older grader) is shown under its own message; an entry of a
    starter's stub is not shown (as in the terminal: there is nothing to compare).
    """
    groups: dict[str, list[Consistency]] = {}
    for c in result.consistency:
        if c.verdict in _text.UNSAID_VERDICTS:
            continue  # a starter's stub: its checks' "Not implemented" says it, once
        groups.setdefault(c.headline or c.message, []).append(c)
    return [Verdict(_VERDICT_TONE.get(entries[0].verdict, "warn"), headline, tuple(entries))
            for headline, entries in groups.items()]


class BlockCache:
    """Rendered check blocks of report.html, by what they show: a small, thread-safe LRU.

    Most checks of a batch pass, and pass the same way, in every submission: their block
    (``_check.html.j2``) is rendered once and reused.  The key is the check pickled (so
    that ``1``, ``1.0`` and ``True``, or ``0.0`` and ``-0.0``, are different keys where
    ``==`` would confuse them) with everything else the block reads; a block is the
    output of the autoescaped template, so reusing it is exactly rendering it again.
    Blocks longer than ``max_chars`` (long output, large heat maps) are not kept, which
    also bounds what a key holds.
    """

    def __init__(self, max_entries: int = 512, max_chars: int = 4096) -> None:
        self.max_entries = max_entries  #: blocks kept; the least recently used goes first
        self.max_chars = max_chars  #: characters of the longest block kept
        self._blocks: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()  # the batch's slots render reports from several threads
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._blocks)

    def clear(self) -> None:
        """Forget every block."""
        with self._lock:
            self._blocks.clear()
            self.hits = self.misses = 0

    def block(self, check: CheckResult, first: str | None, also: tuple[str, ...], repeats: bool = False) -> Markup:
        """Return the block of ``check``, rendered now or earlier."""
        try:
            key = (pickle.dumps(check, protocol=pickle.HIGHEST_PROTOCOL), first, also, repeats, OUTPUT_CHARS,
                   TRACEBACK_CHARS)
        except Exception:  # noqa: BLE001 - a check that cannot be pickled is rendered every time
            return _check_block(check, first, also, repeats)
        with self._lock:
            found = self._blocks.get(key)
            if found is not None:
                self._blocks.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        found = _check_block(check, first, also, repeats)
        if len(found) <= self.max_chars:
            with self._lock:
                self._blocks[key] = found
                while len(self._blocks) > self.max_entries:
                    self._blocks.popitem(last=False)
        return found


#: The check blocks :func:`report` reuses across the reports of a process.
CHECK_BLOCKS = BlockCache()


def _draws_said_once(failing_of: list[list[CheckResult]],
                     passing_of: list[list[CheckResult]]) -> tuple[list[list[CheckResult]], list[list[CheckResult]]]:
    """What one negative-sampling call drew, said at the first check shown of it; the others point there.

    Checks are shown question by question, the failing ones first: the cost's, the two
    gradients' checks of one call all carry the same "drawn: ..." note.  A sampling check's
    other notes (the convention followed, accepted by the rubric) are the same on every
    check: said at the first check shown.
    """
    first: dict[str, str] = {}  # a draws note -> the id of the first check shown with it
    said: set[str] = set()  # the other notes of sampling checks (the convention accepted): said once

    def once(c: CheckResult) -> CheckResult:
        if not any(n.startswith("drawn: ") for n in c.notes):
            return c
        notes = []
        for n in c.notes:
            if not n.startswith("drawn: "):
                if n in said:
                    continue  # "you used draws equal to the target ...": the same for every call
                said.add(n)
            elif n in first:
                n = f"drawn: the same draws as {first[n]} (one call returned both values)"
            elif n.startswith("drawn: "):
                first[n] = c.id
            notes.append(n)
        return replace(c, notes=tuple(notes))

    failing, passing = [], []
    for f, p in zip(failing_of, passing_of):
        failing.append([once(c) for c in f])
        passing.append([once(c) for c in p])
    return failing, passing


def _check_block(check: CheckResult, first: str | None, also: tuple[str, ...], repeats: bool = False) -> Markup:
    """Render one check's block of report.html (``_check.html.j2``).

    ``repeats``: the check's message is word for word that of ``first``, which says it: its line
    names ``first`` only (each of ten checks of one cause repeated the whole message).
    """
    check = replace(check, notes=shown_notes(check.notes))  # (result.json's convention notes are for scripts)
    context = {"c": check, "first": first, "also": also, "repeats": repeats, "OUTPUT_CHARS": OUTPUT_CHARS,
               "TRACEBACK_CHARS": TRACEBACK_CHARS}
    # Markup: the output of an autoescaped template, every value in it escaped already.
    return Markup(environment().get_template("_check.html.j2").render(context))


def report(result: SubmissionResult, *, rubric_title: str = "", kit: bool = False,
           blocks: BlockCache | None = CHECK_BLOCKS, course_values: str = "") -> str:
    """Render the student's feedback report, ``report.html``.

    The page is self-contained (inlined stylesheet, inline SVG, no script, no network).
    It shows a header (submission, score / max, status, late, isolation level, grader
    version), a table of questions, the submission's errors and notes, problems met while
    loading the code, the self-consistency of the gradients, and every check with its
    explanation: the case, got vs expected type, dtype and shape, the mismatched elements
    with the worst ones, the likely mistake, a heat map of where a matrix differs, notes,
    the student-frame traceback of an error, and what the code printed (collapsed and
    capped).  A hidden check shows only its status, points and one-line message.

    Parameters
    ----------
    result : SubmissionResult
        The decided result.
    rubric_title : str, optional
        Title of the assignment; the rubric's name when empty.
    kit : bool, optional
        The result was checked against the student kit (public checks only): say so.
    blocks : BlockCache or None, optional
        Where the checks' blocks are reused from (by default the process's
        :data:`CHECK_BLOCKS`); None renders every block (the page is the same).

    Returns
    -------
    str
        The HTML document.
    """
    translated = [f for f in result.files if f.translated]
    # Checks that fail for one reason: the first is explained, the others point to it; the
    # causes are listed once at the top, each with the checks it explains.
    same_as: dict[str, str] = {}
    also: dict[str, list[str]] = {}
    repeats: set[str] = set()  # checks whose message is word for word their group's first's
    groups = _text.failure_groups(result.checks())
    for group in groups:
        if len(group) > 1 and group[0].visibility == "public":
            also[group[0].id] = [c.id for c in group[1:]]
            same_as.update((c.id, group[0].id) for c in group[1:])
            repeats.update(c.id for c in group[1:] if c.message == group[0].message)
    causes = _said_once([Cause(g[0].hint if g[0].hint and g[0].visibility == "public" else g[0].message,
                               bool(g[0].hint and g[0].visibility == "public"), tuple(c.id for c in g))
                         for g in groups])
    # a missing function's "(found 'a', 'b')" once, on the first cause that says it
    causes = [replace(c, text=t) for c, t in zip(causes, _text.found_said_once([c.text for c in causes]))]
    context = {
        "r": result,
        "title": rubric_title or result.rubric,
        "kit": kit,
        "css": _css(),
        "csp": _csp(),
        "isolation": _ISOLATION.get(result.isolation, result.isolation or "unknown"),
        "name": student_name(result),
        # `grader check --written`: a written answer checked alone (no code, no hidden check to come)
        "written_alone": bool(result.checks()) and all(c.id.startswith("written/") for c in result.checks()),
        # `grader check --html`: the course's own sanity values (grader.kit.course_values_text), as the
        # terminal prints them: a title line, then one line per value
        "course_values": ((course_values.strip().splitlines()[0].rstrip(":"),
                           [v.strip() for v in course_values.strip().splitlines()[1:] if v.strip()])
                          if course_values.strip() else None),  # a Canvas download's: the student knows it better than the user id
        "counts": _text.counts(result.checks()),
        # points lost in the questions that count in the maximum (extra credit may hide them in the total)
        "lost": _round_points(sum(max(q.max_score - q.score, 0.0) for q in result.questions if not q.extra)),
        "consistency": consistency_verdicts(result),
        "same_as": same_as,
        "causes": causes,
        # each note once: the load's notes are normally in the result's already (its stand-ins
        # of one package said in one note, as grader.score says them)
        # a note for the TA alone (a Canvas name read as one of two users) is not the student's
        "notes": [n for n in py2_said_once(list(dict.fromkeys(result.notes + tuple(
            stand_ins_said_once(result.load.notes) if result.load else ()))))
                  if not (result.canvas is not None and result.canvas.other_user_id and for_the_ta(n))],
        "also": also,
        "translated": translated,
        "unit_errors": result.load.unit_errors if result.load else (),
        "OUTPUT_CHARS": OUTPUT_CHARS,
        "LOAD_OUTPUT_CHARS": LOAD_OUTPUT_CHARS,
        "TRACEBACK_CHARS": TRACEBACK_CHARS,
    }
    # Computed once here rather than by filters in the template, for every row that needs them.
    context["has_file"] = result.by_file()
    failing_of = [[c for c in q.checks if c.status != "pass"] for q in result.questions]
    passing_of = [[c for c in q.checks if c.status == "pass"] for q in result.questions]
    context["failing_of"], context["passing_of"] = _draws_said_once(failing_of, passing_of)
    render_block = _check_block if blocks is None else blocks.block
    context["check_block"] = lambda c: render_block(c, same_as.get(c.id), tuple(also.get(c.id, ())), c.id in repeats)
    return environment().get_template("report.html.j2").render(context)


# --------------------------------------------------------------------------- in a notebook


def notebook_check(result: SubmissionResult, *, title: str = "", asked: str | None = None, kit: bool = False,
                   course_values: str = "") -> str:
    """Render the result of ``grader.check()`` in a notebook cell: an HTML fragment (no page, no script).

    The same words as ``grader check`` prints: the rubric and why, the per-question table,
    problems met while loading, the notes, the gradient-versus-own-cost verdicts that say something, the first failing
    check explained with its hint, one line of cause for the others, and every check in a
    fold.  Its styles are scoped to the fragment.
    """
    failing = [c for c in result.checks() if c.status != "pass"]
    groups = [g for g in _text.failure_groups(failing)]
    public = [g for g in groups if g[0].visibility == "public"]
    first = public[0] if public else None
    others = _text.other_causes(failing, first or ())  # the same lines as the terminal's
    context = {
        "r": result,
        "title": title or result.rubric,
        "asked": asked,
        "kit": kit,
        "counts": _text.counts(result.checks()),
        "unit_errors": result.load.unit_errors if result.load else (),
        "consistency": [v for v in consistency_verdicts(result)
                        if v.entries[0].verdict not in _text.QUIET_VERDICTS],
        "failing": failing,
        "first": first[0] if first else None,
        # the hint is set apart from the values, in words of its own
        "first_lines": [line for line in _text.explain_lines(first[0], traceback_lines=_text.TRACEBACK_LINES)
                        if not line.startswith("Likely mistake: ")] if first else [],
        "also": [c.id for c in first[1:]] if first else [],
        "others": others,
        # the course's own sanity values (grader.kit.course_values_text), as grader check prints them
        "course_values": ((course_values.strip().splitlines()[0].rstrip(":"),
                           [v.strip() for v in course_values.strip().splitlines()[1:] if v.strip()])
                          if course_values.strip() else None),
    }
    return environment().get_template("notebook.html.j2").render(context)


def notebook_written(result: SubmissionResult) -> str:
    """Render ``grader.check_written(...)`` in a notebook cell: the answer as read (MathML), the verdict."""
    (check,) = result.checks()[:1] or (None,)
    if check is None:
        return ""
    return environment().get_template("notebook_written.html.j2").render({"c": check})


# --------------------------------------------------------------------------- summary.html


#: How summary.html names a check that failed as the starter's stub (status "fail", no mistake id).
NOT_IMPLEMENTED = ("not-implemented", "the starter's placeholder is still there: the function was not written")


def summary_mistake(c: CheckResult) -> tuple[str, str] | None:
    """The mistake summary.html lists a check under: its named mistake (id, hint), the starter's
    stub for a check that failed as "Not implemented", else None.

    >>> summary_mistake(CheckResult("sigmoid/x", "sigmoid", "fail", 0.0, 1.0, "Not implemented: sigmoid still raises"))[0]
    'not-implemented'
    """
    if c.mistake:
        return c.mistake, c.hint or ""
    if c.status == "fail" and c.message.startswith("Not implemented"):
        return NOT_IMPLEMENTED
    return None


def error_kinds(result: SubmissionResult) -> dict[str, list[str]]:
    """Group a submission's errors by kind, for the summary: kind -> where (check ids, cells).

    See :data:`ERROR_KINDS` and :data:`ERROR_MESSAGES` for the mapping.

    >>> from grader.model import SubmissionResult
    >>> error_kinds(SubmissionResult("x", "r", "error", 0.0, 1.0, errors=("not a zip file",)))
    {'load error': ['not a zip file']}
    """
    kinds: dict[str, list[str]] = {}
    if result.status == "error":
        # nothing ran: the checks' errors all say so, and are not listed again
        return {"load error": list(result.errors or ("could not be graded",))}
    if result.load is not None:
        for ue in result.load.unit_errors:
            kind = ERROR_KINDS.get(ue.error.type)
            if ue.error.type in ("SystemExit", "Exit"):  # sys.exit at the top level: the calls still ran
                kind = "top-level code"
            kinds.setdefault(kind if kind in ("syntax error", "crash", "out of memory", "timeout") else "top-level code",
                             []).append(ue.where)
    erroring = [(c, _check_error_kind(c)) for c in result.checks() if c.status == "error"]
    # a hidden check says only that the function was not there: where its question's others say why
    # (code that does not compile), it is that
    uncompiled = {c.question for c, kind in erroring if kind == "syntax error"}
    for c, kind in erroring:
        if kind == "missing function" and c.question in uncompiled:
            kind = "syntax error"
        kinds.setdefault(kind, []).append(c.id)
    return kinds


#: Said after an error kind met only in extra-credit questions (summary.html): a full score beside
#: "missing function" is a student who skipped the extra credit, not a problem.
EXTRA_ONLY = " (extra credit only)"


def _kinds_marked(result: SubmissionResult) -> dict[str, str]:
    """:func:`error_kinds`, condensed, each kind met only in extra-credit questions marked with :data:`EXTRA_ONLY`."""
    extra = {c.id for c in result.extra_checks()}
    return {(kind + EXTRA_ONLY if extra and all(w in extra for w in where) else kind): condensed(where)
            for kind, where in error_kinds(result).items()}


def condensed(where: list[str]) -> str:
    """Say where a kind of error happened in a few words: a few places, or checks counted per question.

    >>> condensed(["a/1", "a/2"])
    'a/1, a/2'
    >>> condensed([f"softmax/{i}" for i in range(12)] + ["cost/small", "cost/typical"])
    'softmax: 12 checks, cost: 2 checks'
    """
    if len(where) <= 3:
        return ", ".join(where)
    per: dict[str, int] = {}
    for w in where:
        head, sep, _ = w.partition("/")
        per[head if sep else w] = per.get(head if sep else w, 0) + 1
    return ", ".join(f"{q}: {n} checks" if n > 1 else q for q, n in per.items())


def _check_error_kind(check: CheckResult) -> str:
    """Return the kind of one erroring check (see :data:`ERROR_KINDS` and :data:`ERROR_MESSAGES`)."""
    if check.error is not None and check.error.type == "MissingFunction" and _NOT_COMPILED.search(check.message):
        return "syntax error"  # defined, in code that does not compile: not a function left out
    if check.error is not None and check.error.type:
        return ERROR_KINDS.get(check.error.type, "exception")
    for kind, pattern in ERROR_MESSAGES:
        if pattern.search(check.message):
            return kind
    return "other"


@dataclass(slots=True)
class _Row:
    """One submission in the summary table: only what the table shows."""

    submission: str
    href: str
    score: float
    max_score: float
    status: str
    late: bool
    passed: int
    failed: int
    errors: int
    mistakes: tuple[str, ...]
    kinds: tuple[str, ...]
    problem: str  #: the first submission-level error, for status "error"
    name: str = ""  #: the student's name from a Canvas download (:func:`grader.canvas.student_name`), else ""


@dataclass
class _CheckStats:
    """Pass/fail/error counts of one check over the batch."""

    id: str
    question: str
    visibility: str
    passed: int = 0
    failed: int = 0
    errors: int = 0

    @property
    def total(self) -> int:
        """Return how many submissions have this check."""
        return self.passed + self.failed + self.errors

    @property
    def rate(self) -> float:
        """Return the share of submissions that passed it, 0..1."""
        return self.passed / self.total if self.total else 0.0


def _report_path(submission: str) -> str:
    """Return the default link to a submission's report, as :func:`safe_href` leaves it."""
    return safe_href(f"{quote(submission, safe='')}/report.html")


class _Group:
    """Who made one named mistake, or met one kind of error.

    Kept compactly, as it is the one part of the page that grows with the batch: parallel
    lists (no tuple per entry) of the submissions' ids, which are shared with the other
    groups, and of where (interned: the same check ids recur); the links only once one
    differs from the default ``<submission>/report.html``.
    """

    __slots__ = ("key", "label", "sids", "wheres", "hrefs")

    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label
        self.sids: list[str] = []
        self.wheres: list[str] = []
        self.hrefs: list[str] | None = None  #: None while every link is the default one

    def add(self, submission: str, href: str, where: str) -> None:
        """Add one submission, its (safe) link, and where it made the mistake or met the error."""
        if self.hrefs is None and href != _report_path(submission):
            self.hrefs = [_report_path(s) for s in self.sids]
        if self.hrefs is not None:
            self.hrefs.append(href)
        self.sids.append(submission)
        self.wheres.append(sys.intern(where))

    @property
    def who(self) -> "_Who":
        """Return the (submission, href, where) of each submission in the group."""
        return _Who(self)


class _Who:
    """A sized view of a :class:`_Group`: iterates over (submission, href, where)."""

    __slots__ = ("_group",)

    def __init__(self, group: _Group) -> None:
        self._group = group

    def __len__(self) -> int:
        return len(self._group.sids)

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        g = self._group
        hrefs = g.hrefs if g.hrefs is not None else map(_report_path, g.sids)
        return zip(g.sids, hrefs, g.wheres)


def _entry_row(e: dict[str, Any]) -> _Row:
    """Return the table row of one result's :func:`summary_entry`."""
    n = {"pass": 0, "fail": 0, "error": 0}
    for check in e["checks"]:
        n[check[3]] = n.get(check[3], 0) + 1
    return _Row(submission=e["submission"], href=e["href"], score=e["score"], max_score=e["max_score"],
                status=e["status"], late=e["late"], passed=n["pass"], failed=n["fail"], errors=n["error"],
                mistakes=tuple(e["mistakes"]), kinds=tuple(e["kinds"]), problem=e["problem"], name=e.get("name", ""))


@dataclass(frozen=True)
class _RegradeRow:
    """A row of summary.html's "Regraded after a rubric change" table."""

    submission: str
    href: str
    before: str  #: "15 / 20", or "error"
    after: str
    change: float | None  #: after - before, when both were graded
    what: str  #: the questions regraded, or "every question" and why


def _regrade_entry(r: SubmissionResult, number: Callable[[Any], Any] = lambda x: x
                   ) -> tuple[str, str, float | None, str] | None:
    """Return a regraded result's row of the "Regraded after a rubric change" table, without id and link."""
    g = r.regrade
    if g is None:
        return None
    before = "error" if g.previous_status == "error" else f"{_text.num(g.previous_score)} / {_text.num(g.previous_max_score)}"
    after = "error" if r.status == "error" else f"{_text.num(r.score)} / {_text.num(r.max_score)}"
    change = (number(round(r.score - g.previous_score, 6))
              if r.status != "error" and g.previous_status != "error" else None)
    if g.full:
        what = f"every question ({g.reason})" if g.reason else "every question"
    else:
        what = ", ".join(g.questions) or "none (no question's checks changed)"
    return before, after, change, what


def _regrade_rows(results: Iterable[SubmissionResult],
                  report_href: Callable[[SubmissionResult], str]) -> Iterator[_RegradeRow]:
    """Yield the "Regraded after a rubric change" row of each regraded result, one at a time."""
    for r in results:
        row = _regrade_entry(r)
        if row is not None:
            yield _RegradeRow(r.submission, safe_href(report_href(r)), *row)


def _rows(results: Iterable[SubmissionResult], report_href: Callable[[SubmissionResult], str]) -> Iterator[_Row]:
    """Yield the table row of each result, one at a time."""
    for r in results:
        yield _entry_row(summary_entry(r, report_href))


def full_marks(r: SubmissionResult) -> bool:
    """Whether `r` has full marks: graded, and every question that is not extra credit at its maximum.

    A score above the maximum thanks to extra credit is not full marks when a question lost points.
    A person's override of the total decides: full marks when it is at least the maximum.
    """
    if r.status == "error" or r.max_score <= 0:
        return False
    if not r.questions or any(o.question == "" for o in r.overrides):
        return r.score >= r.max_score
    return all(q.score >= q.max_score for q in r.questions if not q.extra)


def summary_entry(r: SubmissionResult, report_href: Callable[[SubmissionResult], str] = _default_href, *,
                  as_read: bool = False) -> dict[str, Any]:
    """Return what summary.html takes from one result, as plain data that JSON keeps as it is.

    A batch keeps these as its results stream in (:class:`grader.batch.BatchFiles`) and
    builds summary.html from them at the end, in id order, without reading the results
    back; :func:`write_summary` builds the same from the results it reads.  With
    ``as_read``, scores are made floats, as in the result read back from its result.json
    (an integer score shows as ``10`` in the page's sort keys, a float as ``10.0``).
    """
    number = float if as_read else (lambda x: x)
    mistakes: dict[str, list[Any]] = {}
    for c in r.checks():
        named = summary_mistake(c)
        if named:
            if named[0] not in mistakes:
                mistakes[named[0]] = [named[1], []]  # a group is labelled by the hint of its first check
            mistakes[named[0]][1].append(c.id)
    return {
        "submission": r.submission,
        "name": student_name(r),
        "href": safe_href(report_href(r)),
        "score": number(r.score),
        "max_score": number(r.max_score),
        "status": r.status,
        "full": full_marks(r),
        "late": r.late,
        "rubric": r.rubric,
        "problem": r.errors[0] if r.status == "error" and r.errors else "",
        "checks": [(c.id, c.question, c.visibility, c.status) for c in r.checks()],
        "mistakes": {mid: (hint, ", ".join(where)) for mid, (hint, where) in mistakes.items()},
        "kinds": _kinds_marked(r),
        "overrides": [(o.question or "total", number(o.auto_score), number(o.score), o.by, o.note, o.review)
                      for o in r.overrides],
        "looks_like": r.looks_like,
        # a Canvas file name read as one of two users' (the TA says which before grades go out): (graded as, or)
        "canvas_users": ((r.canvas.user_id, r.canvas.other_user_id)
                         if r.canvas is not None and r.canvas.other_user_id else None),
        # the whole reason (a CS224n four-question one runs past 300 characters), bounded, as its file names are the student's
        "why": cut(r.rubric_reason.split("; this one looks like ", 1)[-1], 1000) if r.looks_like else "",
        "similar": (((r.similarity[0].other, r.similarity[0].kind, number(r.similarity[0].share)),
                     len(r.similarity) - 1) if r.similarity else None),
        "regrade": _regrade_entry(r, number),
    }


class _Summary:
    """Accumulate, in one pass, what summary.html shows above and below the table.

    Only aggregates are kept: counts, each graded score (8 bytes, for the mean, median and
    histogram), the checks' counts and the groups of :class:`_Group`.  The table's rows are
    kept only with ``keep_rows`` (when the results cannot be read a second time).
    """

    def __init__(self, report_href: Callable[[SubmissionResult], str], *, keep_rows: bool = False) -> None:
        self.report_href = report_href
        self.rows: list[_Row] | None = [] if keep_rows else None
        self.n = 0
        self.late = 0
        self.named = 0  #: results with a student's name (a Canvas download): the table gets a Name column
        self.full = 0
        self.ungraded = 0
        self.scores = array("d")  #: the graded submissions' scores
        #: rubric -> [its graded scores, full marks, maximum, ids (the first 20)]: the figures are
        #: those of the rubric most results were graded under (results kept from a run under
        #: another rubric, of entries no longer in the batch, are out of another total)
        self.graded: dict[str, list[Any]] = {}
        self.rubrics: list[str] = []
        self.checks: dict[str, _CheckStats] = {}
        self.mistakes: dict[str, _Group] = {}
        self.kinds: dict[str, _Group] = {k: _Group(k, v) for k, v in KIND_LABELS.items()}
        self.max_score = 0.0
        #: (id, href, version, why) of submissions that look like another course version than their rubric's
        self.versions: list[tuple[str, str, str, str]] = []
        #: (id, href, user id graded as, the other user id) of submissions whose Canvas file names read two ways
        self.two_users: list[tuple[str, str, str, str]] = []
        #: (submission, report link, best match, its anchor in similarity.html, more matches): only
        #: submissions the similarity check listed (``grade --similarity``), for the teaching staff
        self.similar: list[tuple[str, str, Any, str, int]] = []
        #: (id, href, question or "total", automatic, set, by, note, review): few, so kept
        self.overrides: list[tuple[str, str, str, float, float, str, str, bool]] = []
        #: results regraded after a rubric change; their rows (:func:`_regrade_entry`) are read in a
        #: pass of their own, or kept with ``keep_rows``
        self.regraded = 0
        self.regrade_rows: list[_RegradeRow] | None = [] if keep_rows else None

    def add(self, r: SubmissionResult) -> None:
        """Take what the summary needs from one result; keep no reference to it."""
        self.take(summary_entry(r, self.report_href))

    def take(self, e: dict[str, Any]) -> None:
        """Take one result's :func:`summary_entry` (as built, or read back from JSON)."""
        sid, href = e["submission"], e["href"]
        checks = self.checks
        for cid, question, visibility, status in e["checks"]:
            st = checks.get(cid)
            if st is None:
                st = checks[cid] = _CheckStats(cid, question, visibility)
            if status == "pass":
                st.passed += 1
            elif status == "fail":
                st.failed += 1
            else:
                st.errors += 1
        for mid, (hint, where) in e["mistakes"].items():
            group = self.mistakes.get(mid)
            if group is None:
                group = self.mistakes[mid] = _Group(mid, hint)
            group.add(sid, href, where)
        for kind, where in e["kinds"].items():
            base = kind.removesuffix(EXTRA_ONLY)
            label = KIND_LABELS.get(base, base) + (EXTRA_ONLY if base != kind else "")
            self.kinds.setdefault(kind, _Group(kind, label)).add(sid, href, where)
        self.overrides += [(sid, href, *o) for o in e["overrides"]]
        self.n += 1
        self.late += bool(e["late"])
        self.named += bool(e.get("name"))
        if e["status"] == "error":
            self.ungraded += 1
        else:
            self.max_score = max(self.max_score, e["max_score"])
            self.scores.append(e["score"])
            self.full += bool(e.get("full"))
            g = self.graded.get(e["rubric"])
            if g is None:
                g = self.graded[e["rubric"]] = [array("d"), 0, 0.0, []]
            g[0].append(e["score"])
            g[1] += bool(e.get("full"))
            g[2] = max(g[2], e["max_score"])
            if len(g[3]) < 20:
                g[3].append(sid)
        if e["rubric"] not in self.rubrics:
            self.rubrics.append(e["rubric"])
        if e["looks_like"]:
            self.versions.append((sid, href, e["looks_like"], e["why"]))
        if e.get("canvas_users"):  # (absent from an entry kept by an older version)
            self.two_users.append((sid, href, *e["canvas_users"]))
        if e["similar"]:
            (other, kind, share), more = e["similar"]
            best = SimilarityMatch(other=other, kind=kind, share=share)
            self.similar.append((sid, href, best, pair_anchor(sid, other, kind), more))
        if self.rows is not None:
            self.rows.append(_entry_row(e))
        if e["regrade"] is not None:
            self.regraded += 1
            if self.regrade_rows is not None:
                self.regrade_rows.append(_RegradeRow(sid, href, *e["regrade"]))

    def histogram(self) -> dict[str, Any]:
        """Return the score histogram's bins (graded submissions only) and statistics.

        Where results were graded under rubrics out of different totals (a results folder keeps
        those of entries no longer in the batch, graded before a rubric change), the figures are
        of the rubric most were graded under, and ``others`` says which are left out (rubric,
        count, ids).
        """
        scores, top, full, others = self.scores, self.max_score, self.full, []
        if len({g[2] for g in self.graded.values()}) > 1:  # rubrics out of different totals
            main = max(self.graded, key=lambda k: len(self.graded[k][0]))  # (ties: the first met)
            scores, full, top = self.graded[main][0], self.graded[main][1], self.graded[main][2]
            others = [(name, len(g[0]), g[3]) for name, g in self.graded.items() if name != main]
        bins = [0] * HISTOGRAM_BINS
        for s in scores:
            i = HISTOGRAM_BINS - 1 if top <= 0 else min(HISTOGRAM_BINS - 1, max(0, int(s / top * HISTOGRAM_BINS)))
            bins[i] += 1
        edges = [top * i / HISTOGRAM_BINS for i in range(HISTOGRAM_BINS + 1)]
        labels = [f"{_text.num(edges[i])}–{_text.num(edges[i + 1])}" for i in range(HISTOGRAM_BINS)]
        return {
            "bins": bins,
            "labels": labels,
            "peak": max(bins) if bins else 0,
            "n": len(self.scores),
            "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "full": full,
            "ungraded": self.ungraded,
            "max_score": top,
            "rubric": main if others else None,
            "n_figures": len(scores),
            "others": others,
        }


#: What :func:`write_summary` reads: a callable returning a fresh iterable of the results
#: (called once per pass), or the results themselves.
Results = Union[Callable[[], Iterable[SubmissionResult]], Iterable[SubmissionResult]]


def write_summary(
    results: Results,
    fp: TextIO,
    *,
    rubric_title: str = "",
    report_href: Callable[[SubmissionResult], str] = _default_href,
    first_pass: "_Summary | None" = None,
) -> None:
    """Write the TA's overview of a batch, ``summary.html``, to an open text file as it is rendered.

    The page is that of :func:`summary`, byte for byte.  It is written in two passes over
    the results: the first keeps only what the page shows as aggregates (counts, the
    graded scores, each check's counts, and who made each named mistake or met each kind
    of error: ids, links and check ids); the second renders the table's rows one
    result at a time, each written to ``fp`` before the next result is read.  So memory
    does not grow with the batch beyond those aggregates.

    Parameters
    ----------
    results : callable or iterable of SubmissionResult
        A callable returning a fresh iterable of the decided results (it is called twice,
        three times when some were regraded after a rubric change, and must give the same
        results in the same order each time), e.g.
        ``lambda: batch.iter_results(out)``; or a re-iterable collection (a list); or a
        one-shot iterator, read once, whose table rows are then kept until written.
    fp : text file
        Open for writing; the page is written with ``fp.write`` and ``fp`` is not closed.
    rubric_title : str, optional
        Title of the assignment; the rubrics' names when empty.
    report_href : callable, optional
        Returns the link to a submission's report (relative to summary.html); by default
        ``<submission>/report.html`` with the id percent-encoded.
    first_pass : optional
        The first pass, already made over the same results by the caller (from
        :func:`summary_pass`, while it read them for something else): ``results`` must then
        be a callable, called once, for the rows.
    """
    if first_pass is not None:
        if not callable(results):
            raise TypeError("with first_pass, results must be a callable giving the results again")
        acc, again, first = first_pass, results, ()
    elif callable(results):
        again: Callable[[], Iterable[SubmissionResult]] | None = results
        first = results()
    elif iter(results) is results:
        again, first = None, results  # a one-shot iterator: its rows are kept
    else:
        collection = results
        again, first = (lambda: collection), collection
    if first_pass is None:
        acc = _Summary(report_href, keep_rows=again is None)
    for r in first:
        acc.add(r)
    del first
    rows: Iterable[_Row] = acc.rows if again is None else _rows(again(), report_href)
    regrades: Iterable[_RegradeRow] = (acc.regrade_rows if acc.regrade_rows is not None
                                       else _regrade_rows(again(), report_href) if again is not None and acc.regraded
                                       else ())
    _write_summary_page(acc, rows, regrades, fp, rubric_title=rubric_title)


def _write_summary_page(acc: _Summary, rows: Iterable[_Row], regrades: Iterable[_RegradeRow], fp: TextIO, *,
                        rubric_title: str) -> None:
    """Render summary.html from its aggregates, its table's rows and its regrades' rows, writing it to ``fp`` as it goes."""
    context = {
        "title": rubric_title or ", ".join(acc.rubrics) or "grader",
        "css": _css(),
        "csp": _csp(SORT_SCRIPT),
        "script": Markup(SORT_SCRIPT),
        "n_rows": acc.n,
        "n_late": acc.late,
        "named": acc.named > 0,
        "rows": rows,
        "hist": acc.histogram(),
        "checks": list(acc.checks.values()),
        "mistakes": sorted(acc.mistakes.values(), key=lambda g: (-len(g.sids), g.key)),
        "kinds": [g for g in acc.kinds.values() if g.sids],
        "versions": acc.versions,
        "two_users": acc.two_users,
        "similar": sorted(acc.similar, key=lambda t: (-t[2].share, t[0])),
        "overrides": acc.overrides,
        "n_regraded": acc.regraded,
        "regrades": regrades,
    }
    for chunk in environment().get_template("summary.html.j2").generate(context):
        fp.write(chunk)


def summary_pass(report_href: Callable[[SubmissionResult], str] = _default_href) -> "_Summary":
    """Return an empty first pass of :func:`write_summary`: call its ``add(result)`` for each result, in order."""
    return _Summary(report_href, keep_rows=False)


def write_summary_entries(entries: Iterable[dict[str, Any]], fp: TextIO, *, rubric_title: str = "") -> None:
    """Write summary.html from the :func:`summary_entry` of each result, in the order to list them.

    The page is the one :func:`write_summary` writes from the same results.  The entries
    are read once; the table's rows are kept until the page is written.
    """
    acc = _Summary(_default_href, keep_rows=True)
    for e in entries:
        acc.take(e)
    _write_summary_page(acc, acc.rows or [], acc.regrade_rows or [], fp, rubric_title=rubric_title)


def summary(
    results: Results,
    *,
    rubric_title: str = "",
    report_href: Callable[[SubmissionResult], str] = _default_href,
) -> str:
    """Render the TA's overview of a batch, ``summary.html``, as one string.

    It lists every submission (score, status, late, checks passed, link to its report) in
    a table that sorts by a click on a column header (a small inline script; the table is
    complete without it), a histogram of the scores (inline SVG), the pass rate of every
    check, who made each named mistake, and who met each kind of error (see
    :data:`ERROR_KINDS`).

    ``results`` is read as by :func:`write_summary`: an iterator is consumed once, as it
    comes, and only what the page shows is kept, so memory does not grow with the checks'
    details.  For a large batch, write the page with :func:`write_summary` instead: the
    page itself is not held in memory then.

    Parameters
    ----------
    results : iterable of SubmissionResult, or a callable returning one
        The decided results, in the order to list them.
    rubric_title : str, optional
        Title of the assignment; the rubrics' names when empty.
    report_href : callable, optional
        Returns the link to a submission's report (relative to summary.html); by default
        ``<submission>/report.html`` with the id percent-encoded.

    Returns
    -------
    str
        The HTML document.
    """
    buf = io.StringIO()
    write_summary(results, buf, rubric_title=rubric_title, report_href=report_href)
    return buf.getvalue()
