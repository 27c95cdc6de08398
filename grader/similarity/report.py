"""Write what the similarity check found: similarity.html, similarity.csv, and the matches in each result.json.

Everything here is for the teaching staff.  Shares are leads for a person to review (two
sides shown, matched code highlighted), never verdicts; nothing of it goes into a
student's report.html, terminal output or Gradescope results (which never read the
``similarity`` field of a result).

similarity.html is rendered from ``templates/similarity.html.j2`` by the same jinja2
environment as the reports (autoescape on, control characters shown as escapes), with the
same Content-Security-Policy as report.html: no script, no network.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .. import render
from ..batch import atomic_path, result_json, write_atomic
from ..export import _cell
from ..model import _plain
from .match import Side
from .run import MAX_PAIRS_SHOWN, Findings, top_matches

#: Characters of one file shown in a pair; the rest is counted.
MAX_FILE_CHARS = 60_000
#: Columns of similarity.csv.
CSV_COLUMNS = ("rank", "submission", "other", "other_kind", "share", "submission_share", "other_share",
               "submission_matched", "other_matched", "submission_name", "other_name")


@dataclass(frozen=True)
class Segment:
    """A piece of a file's text, matched or not."""

    text: str
    matched: bool


def _word(c: str) -> bool:
    return c.isalnum() or c == "_"


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a region so that it neither starts nor ends inside a word.

    A match is found on filtered tokens, where a keyword counts by its letters; mapped back
    to the text it may start inside one (``imp|ort``).

    >>> snap("import numpy", 3, 9)
    (0, 12)
    """
    while 0 < start < len(text) and _word(text[start - 1]) and _word(text[start]):
        start -= 1
    while 0 < end < len(text) and _word(text[end - 1]) and _word(text[end]):
        end += 1
    return start, end


def segments(text: str, regions: tuple[tuple[int, int], ...], limit: int = MAX_FILE_CHARS) -> tuple[list[Segment], int]:
    """Split `text` into matched and unmatched pieces; return them and how many characters were cut.

    Regions are widened to whole words (:func:`snap`).

    >>> [(s.text, s.matched) for s in segments("abc def", ((1, 3),))[0]]
    [('abc', True), (' def', False)]
    """
    out: list[Segment] = []
    at = 0
    shown = min(len(text), limit)
    for start, end in sorted(snap(text, a, b) for a, b in regions):
        start, end = max(start, at), min(end, shown)
        if start >= end:
            continue
        if start > at:
            out.append(Segment(text[at:start], False))
        out.append(Segment(text[start:end], True))
        at = end
    if at < shown:
        out.append(Segment(text[at:shown], False))
    return out, len(text) - shown


def share_pct(x: float) -> str:
    """A share in whole percent, never rounded to 0 % or 100 % when it is not that.

    >>> share_pct(1.0), share_pct(0.996), share_pct(0.5), share_pct(0.0004), share_pct(0.0)
    ('100%', '>99%', '50%', '<1%', '0%')
    """
    s = f"{100 * x:.0f}"
    if s == "100" and x < 1:
        return ">99%"
    if s == "0" and x > 0:
        return "<1%"
    return s + "%"


#: The line a notebook's code cell is read after (documents.text_of): the grader's, never matched code.
_CELL_LABEL = re.compile(r"^# cell (?:\[\d+\]|#\d+)\n", re.MULTILINE)


def without_labels(text: str, regions: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    r"""Return `regions` of a notebook's text with the ``# cell [n]`` lines the grader wrote cut out.

    A copied run of code that goes on into the next cell covers that cell's label line, which
    the student never wrote and which the tokenizer drops: it is not shown as matched.

    >>> without_labels("a = 1\n# cell [2]\nb = 2\n", ((0, 21),))
    ((0, 6), (17, 21))
    """
    labels = [m.span() for m in _CELL_LABEL.finditer(text)]
    out = []
    for start, end in regions:
        for a, b in labels:
            if a >= end or b <= start:
                continue
            if a > start:
                out.append((start, a))
            start = max(start, b)
        if start < end:
            out.append((start, end))
    return tuple(out)


def _side(findings: Findings, side: Side) -> dict[str, Any]:
    """Return what the template shows of one side of a pair."""
    doc = findings.documents[side.doc]
    regions = dict(side.regions)
    files, others = [], []
    for fi, f in enumerate(doc.files):
        if fi in regions:
            marked = without_labels(f.text, regions[fi]) if f.path.lower().endswith(".ipynb") else regions[fi]
            segs, more = segments(f.text, marked)
            files.append({"path": f.path, "segments": segs, "more": more})
        else:
            others.append(f.path)
    return {"id": doc.id, "who": findings.who(doc.id) if doc.kind == "submission" else doc.id, "kind": doc.kind, "share": side.share, "matched": side.matched, "files": files,
            "others": others, "source": doc.source}


def _pairs(findings: Findings) -> list[dict[str, Any]]:
    """Return the template's view of the listed pairs (the first :data:`MAX_PAIRS_SHOWN`)."""
    docs = findings.documents
    out = []
    for rank, p in enumerate(findings.pairs[:MAX_PAIRS_SHOWN], start=1):
        a, b = docs[p.a.doc], docs[p.b.doc]
        kind = ("submission" if p.kind == "submission" else
                f"earlier submission ({len(b.members)} source files)" if b.members else "source file")
        out.append({"rank": rank, "anchor": render.pair_anchor(a.id, b.id, p.kind), "kind": p.kind, "share": p.share,
                    "shown_kind": kind, "a": _side(findings, p.a), "b": _side(findings, p.b)})
    return out


def html(findings: Findings, *, title: str = "") -> str:
    """Render similarity.html: the listed pairs, best first, each with both sides and the matched code marked."""
    context = {
        "title": title or "grader",
        "css": render._css(),
        "csp": render._csp(),
        "f": findings,
        "pairs": _pairs(findings),
        "n_pairs": len(findings.pairs),
        "MAX_PAIRS_SHOWN": MAX_PAIRS_SHOWN,
        "pct": share_pct,
        "blank_who": [findings.who(sid) for sid in findings.blank_submissions],
        "unreadable_who": [findings.who(sid) for sid in findings.unreadable],
    }
    return render.environment().get_template("similarity.html.j2").render(context)


def csv_rows(findings: Findings) -> list[list[str]]:
    """Return similarity.csv's rows (header first): one per listed pair, best first."""
    docs = findings.documents
    rows = [list(CSV_COLUMNS)]
    for rank, p in enumerate(findings.pairs, start=1):
        rows.append([str(rank), _cell(docs[p.a.doc].id), _cell(docs[p.b.doc].id), p.kind, f"{p.share:.4f}",
                     f"{p.a.share:.4f}", f"{p.b.share:.4f}", str(p.a.matched), str(p.b.matched),
                     _cell(findings.names.get(docs[p.a.doc].id, "")),
                     _cell(findings.names.get(docs[p.b.doc].id, "") if p.kind == "submission" else "")])
    return rows


def _write_csv(findings: Findings, fp: TextIO) -> None:
    csv.writer(fp, lineterminator="\n").writerows(csv_rows(findings))


def update_results(findings: Findings, out: Path) -> int:
    """Set the ``similarity`` field of every ``<id>/result.json`` under `out` (removed where nothing matched).

    A result of a submission that was not compared this time loses its field too: its matches
    were those of an earlier run, whose similarity.html and similarity.csv this run replaces.
    Each file is replaced atomically; submissions without a result.json are left alone.

    Returns
    -------
    int
        How many result.json files were rewritten.
    """
    top = top_matches(findings)
    n = 0
    compared = [doc.id for doc in findings.documents if doc.kind == "submission"]
    others = sorted(p.parent.name for p in out.glob("*/result.json") if p.parent.name not in set(compared))
    for sid in compared + others:
        f = out / sid / "result.json"
        if not f.is_file():
            continue
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        matches = top.get(sid, ())
        if not matches and "similarity" not in d:
            continue
        if matches:
            d["similarity"] = [_plain(m) for m in matches]
        else:
            del d["similarity"]
        write_atomic(f, result_json(d))
        n += 1
    return n


def write(findings: Findings, out: Path, *, title: str = "") -> tuple[Path, Path]:
    """Write ``similarity.html`` and ``similarity.csv`` into `out` (each replaced atomically); return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    page, table = out / "similarity.html", out / "similarity.csv"
    write_atomic(page, html(findings, title=title))
    with atomic_path(table) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        _write_csv(findings, f)
    return page, table


def to_json(findings: Findings) -> dict[str, Any]:
    """Return the findings as a JSON document (``grader similarity --json``)."""
    docs = findings.documents
    return {
        "schema": "grader.similarity/1",
        "threshold": findings.threshold,
        "max_sharing": findings.max_sharing,
        "submissions": findings.n_submissions,
        "sources": findings.n_sources,
        "unreadable": list(findings.unreadable),
        "nothing_to_compare": list(findings.blank_submissions),
        "unread_sources": list(findings.unread_sources),
        "pairs": [{"submission": docs[p.a.doc].id, "other": docs[p.b.doc].id, "kind": p.kind,
                   "share": round(p.share, 4), "submission_share": round(p.a.share, 4),
                   "other_share": round(p.b.share, 4),
                   "submission_name": findings.names.get(docs[p.a.doc].id, ""),
                   "other_name": findings.names.get(docs[p.b.doc].id, "") if p.kind == "submission" else ""}
                  for p in findings.pairs],
    }

