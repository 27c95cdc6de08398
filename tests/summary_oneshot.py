"""The summary page as grader.render built it before it was streamed: one string, in one pass.

A frozen copy of that implementation (its accumulator and its template), kept only so that
tests can check that :func:`grader.render.write_summary` writes the very same bytes.  A
change of what the page shows is made to both (the column order, the scroll cue, the
rounded mean and the condensed places of errors were).
It uses grader.render's helpers (filters, stylesheet, policy), which the streamed page
shares, and nothing of the streamed implementation itself.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from markupsafe import Markup

from grader import terminal as _text
from grader.model import SubmissionResult
from grader.render import (
    HISTOGRAM_BINS,
    KIND_LABELS,
    SORT_SCRIPT,
    _css,
    _csp,
    _default_href,
    condensed,
    environment,
    error_kinds,
    safe_href,
    summary_mistake,
)

TEMPLATE = """{% import "_macros.html.j2" as m with context %}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<title>{{ title }}: summary of {{ rows|length }} submission{{ "" if rows|length == 1 else "s" }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<header>
  <p class="eyebrow">grader summary</p>
  <h1>{{ title }}</h1>
  <div class="stats">
    <div><b>{{ rows|length }}</b> submissions</div>
    <div><b>{{ hist.n }}</b> graded</div>
    {% if hist.ungraded %}<div><b>{{ hist.ungraded }}</b> could not be graded</div>{% endif %}
    {% if hist.mean is not none %}<div><b>{{ hist.mean|round(2)|num }}</b> mean score (of {{ hist.max_score|num }})</div>{% endif %}
    {% if hist.median is not none %}<div><b>{{ hist.median|round(2)|num }}</b> median</div>{% endif %}
    <div><b>{{ hist.full }}</b> full marks</div>
    <div><b>{{ rows|selectattr("late")|list|length }}</b> late</div>
    {% if regrades %}<div><b>{{ regrades|length }}</b> regraded after a rubric change</div>{% endif %}
  </div>
</header>

<section id="histogram">
<h2>Scores</h2>
{% set bw = 56 %}{% set gap = 6 %}{% set ph = 140 %}
{% set width = hist.bins|length * (bw + gap) + gap %}
<svg class="histogram" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="histogram of the scores of {{ hist.n }} graded submissions" width="{{ width }}" height="{{ ph + 56 }}" viewBox="0 0 {{ width }} {{ ph + 56 }}">
{% for count in hist.bins %}
  {% set bh = (ph * count / hist.peak)|round(1) if hist.peak else 0 %}
  {% set x = gap + loop.index0 * (bw + gap) %}
  <rect class="bin" x="{{ x }}" y="{{ 16 + ph - bh }}" width="{{ bw }}" height="{{ bh }}"><title>{{ hist.labels[loop.index0] }}: {{ count }} submission{{ "" if count == 1 else "s" }}</title></rect>
  <text class="count" x="{{ x + bw / 2 }}" y="{{ 12 + ph - bh }}" text-anchor="middle">{{ count }}</text>
  {# the bounds on two lines: "61.65–68.5" on one is wider than its bar, and runs into the next bar's #}
  {% set lo, hi = hist.labels[loop.index0].split("–", 1) %}
  <text x="{{ x + bw / 2 }}" y="{{ ph + 32 }}" text-anchor="middle"><tspan x="{{ x + bw / 2 }}">{{ lo }}–</tspan><tspan x="{{ x + bw / 2 }}" dy="13">{{ hi }}</tspan></text>
{% endfor %}
</svg>
<p class="muted small">Points out of {{ hist.max_score|num }}; each bar covers its lower bound and excludes its upper bound, except the last, which includes full marks and any score above them (extra credit). Submissions that could not be graded are not counted.</p>
</section>

<section id="submissions">
<h2>Submissions</h2>
<p class="muted small">Click a column header to sort.<span class="scroll-cue"> The table is wider than the screen: scroll it sideways to see every column →</span></p>
<div class="scroll">
<table class="sortable">
  <thead>
    <tr>
      <th>Submission</th>{% if rows|selectattr("name")|list %}<th>Name</th>{% endif %}<th>Status</th><th class="num">Score</th><th class="num">%</th><th>Late</th>
      <th class="num">Passed</th><th class="num">Failed</th><th class="num">Errors</th><th>Mistakes and errors</th>
    </tr>
  </thead>
  <tbody>
  {% for row in rows %}
    <tr>
      <td class="id"><a href="{{ row.href }}">{{ row.submission }}</a></td>{% if rows|selectattr("name")|list %}<td>{{ row.name }}</td>{% endif +%}
      <td>{{ m.badge(row.status) }}</td>
      <td class="num" data-sort="{{ row.score }}">{{ row.score|num }} / {{ row.max_score|num }}</td>
      {% set p = (100 * row.score / row.max_score) if row.max_score > 0 else 0 %}
      <td class="num" data-sort="{{ p }}">{{ p|round(1)|num }}</td>
      <td data-sort="{{ 1 if row.late else 0 }}">{{ "late" if row.late else "" }}</td>
      <td class="num">{{ row.passed }}</td>
      <td class="num">{{ row.failed }}</td>
      <td class="num">{{ row.errors }}</td>
      <td class="small">{% if row.problem %}{{ row.problem }}{% if row.mistakes or row.kinds %}; {% endif %}{% endif %}<span class="mono">{{ (row.mistakes + row.kinds)|join(", ") }}</span></td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
</section>

{% if checks %}
<section id="checks">
<h2>Pass rate per check</h2>
<div class="scroll">
<table class="sortable">
  <thead><tr><th>Check</th><th>Visibility</th><th class="num">Pass</th><th class="num">Fail</th><th class="num">Error</th><th class="num">Pass rate</th><th><span class="sr">Pass rate bar</span></th></tr></thead>
  <tbody>
  {% for c in checks %}
    <tr>
      <td class="mono id">{{ c.id }}</td>
      <td>{{ c.visibility }}</td>
      <td class="num">{{ c.passed }}</td>
      <td class="num">{{ c.failed }}</td>
      <td class="num">{{ c.errors }}</td>
      <td class="num" data-sort="{{ c.rate }}">{{ (100 * c.rate)|round(1)|num }}%</td>
      <td data-sort="{{ c.rate }}"><div class="bar rate"><span style="width: {{ (100 * c.rate)|round(1) }}%"></span></div></td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
</section>
{% endif %}

<section id="mistakes">
<h2>Named mistakes</h2>
{% for g in mistakes %}
<h3><span class="mono">{{ g.key }}</span> <span class="muted">· {{ g.who|length }} submission{{ "" if g.who|length == 1 else "s" }}</span></h3>
{% if g.label %}<p>{{ g.label }}</p>{% endif %}
<ul class="who">
{% for sid, href, where in g.who %}<li><a href="{{ href }}">{{ sid }}</a> <span class="muted small mono">{{ where }}</span></li>{% endfor %}
</ul>
{% else %}
<p class="muted">No submission made a named mistake.</p>
{% endfor %}
</section>

<section id="errors">
<h2>Errors</h2>
{% for g in kinds %}
<h3>{{ g.label }} <span class="muted">· {{ g.who|length }} submission{{ "" if g.who|length == 1 else "s" }}</span></h3>
<ul class="who">
{% for sid, href, where in g.who %}<li><a href="{{ href }}">{{ sid }}</a> <span class="muted small mono">{{ where }}</span></li>{% endfor %}
</ul>
{% else %}
<p class="muted">No submission raised, timed out, crashed or failed to load.</p>
{% endfor %}
</section>

{% if overrides %}
<section id="overrides">
<h2>Scores set by a person</h2>
<p class="muted small">Recorded with <span class="mono">grader override</span>; they hold over regrades. "Review": the automatic score changed since the person set theirs, the question is no longer graded, or the score set is above the maximum of the rubric now graded with.</p>
<div class="scroll">
<table class="compact">
  <thead><tr><th>Submission</th><th>Question</th><th class="num">Automatic</th><th class="num">Set</th><th>By</th><th>Note</th><th></th></tr></thead>
  <tbody>
  {% for sid, href, what, auto, score, by, note, review in overrides %}
    <tr><td><a href="{{ href }}">{{ sid }}</a></td><td class="mono">{{ what }}</td><td class="num">{{ auto|num }}</td><td class="num">{{ score|num }}</td><td>{{ by }}</td><td class="small">{{ note }}</td><td>{% if review %}<span class="badge fail">review</span>{% endif %}</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
</section>
{% endif %}

{% if regrades %}
<section id="regraded">
<h2>Regraded after a rubric change</h2>
<p class="muted small">Submissions graded before under another version of the rubric, their files unchanged: the score before the change and after it. Only the questions whose checks the change affected were graded again where that could be told; the other questions' verdicts are the earlier ones.</p>
<div class="scroll">
<table class="compact sortable">
  <thead><tr><th>Submission</th><th class="num">Before</th><th class="num">After</th><th class="num">Change</th><th>Regraded</th></tr></thead>
  <tbody>
  {% for sid, href, before, after, change, what in regrades %}
    <tr><td class="id"><a href="{{ href }}">{{ sid }}</a></td><td class="num">{{ before }}</td><td class="num">{{ after }}</td><td class="num"{% if change is not none %} data-sort="{{ change }}"{% endif %}>{% if change is none %}–{% elif change > 0 %}+{{ change|num }}{% else %}{{ change|num }}{% endif %}</td><td class="small">{{ what }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
</section>
{% endif %}

<footer>Generated by grader. Each report is a self-contained file next to this one.</footer>
</main>
<script>{{ script }}</script>
</body>
</html>
"""


@dataclass
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
    full: bool = False  #: every question that is not extra credit at its maximum
    name: str = ""  #: the student's name from a Canvas download


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


@dataclass
class _Group:
    """Who made one named mistake, or met one kind of error."""

    key: str
    label: str
    who: list[tuple[str, str, str]] = field(default_factory=list)  #: (submission, href, where)


class _Summary:
    """Accumulate, in one pass, only what summary.html shows."""

    def __init__(self, report_href: Callable[[SubmissionResult], str]) -> None:
        self.report_href = report_href
        self.rows: list[_Row] = []
        self.checks: dict[str, _CheckStats] = {}
        self.mistakes: dict[str, _Group] = {}
        self.kinds: dict[str, _Group] = {k: _Group(k, v) for k, v in KIND_LABELS.items()}
        self.max_score = 0.0

    def add(self, r: SubmissionResult) -> None:
        """Take what the summary needs from one result; keep no reference to it."""
        href = safe_href(self.report_href(r))
        n = {"pass": 0, "fail": 0, "error": 0}
        mistakes: dict[str, list[str]] = {}
        for c in r.checks():
            n[c.status] = n.get(c.status, 0) + 1
            st = self.checks.get(c.id)
            if st is None:
                st = self.checks[c.id] = _CheckStats(c.id, c.question, c.visibility)
            if c.status == "pass":
                st.passed += 1
            elif c.status == "fail":
                st.failed += 1
            else:
                st.errors += 1
            named = summary_mistake(c)  # (a stub is listed as "not-implemented")
            if named:
                mistakes.setdefault(named[0], []).append(c.id)
                if named[0] not in self.mistakes:
                    self.mistakes[named[0]] = _Group(*named)
        for mid, where in mistakes.items():
            self.mistakes[mid].who.append((r.submission, href, ", ".join(where)))
        kinds = error_kinds(r)
        for kind, where in kinds.items():
            self.kinds.setdefault(kind, _Group(kind, kind)).who.append((r.submission, href, condensed(where)))
        if r.status != "error":
            self.max_score = max(self.max_score, r.max_score)
        self.rows.append(
            _Row(
                submission=r.submission,
                href=href,
                score=r.score,
                max_score=r.max_score,
                status=r.status,
                late=r.late,
                passed=n["pass"],
                failed=n["fail"],
                errors=n["error"],
                mistakes=tuple(mistakes),
                kinds=tuple(kinds),
                problem=r.errors[0] if r.status == "error" and r.errors else "",
                full=r.status != "error" and r.max_score > 0
                and all(q.score >= q.max_score for q in r.questions if not q.extra),
                name=r.canvas.name if r.canvas else "",
            )
        )

    def histogram(self) -> dict[str, Any]:
        """Return the score histogram's bins (graded submissions only) and statistics."""
        scores = [row.score for row in self.rows if row.status != "error"]
        top = self.max_score
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
            "n": len(scores),
            "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "full": sum(1 for row in self.rows if row.full),
            "ungraded": sum(1 for row in self.rows if row.status == "error"),
            "max_score": top,
        }


def summary(
    results: Iterable[SubmissionResult],
    *,
    rubric_title: str = "",
    report_href: Callable[[SubmissionResult], str] = _default_href,
) -> str:
    """Return summary.html as the one-pass implementation rendered it."""
    acc = _Summary(report_href)
    rubrics: list[str] = []
    overrides = []
    regrades = []
    for r in results:
        acc.add(r)
        overrides += [(r.submission, safe_href(report_href(r)), o.question or "total", o.auto_score, o.score, o.by,
                       o.note, o.review) for o in r.overrides]
        g = r.regrade
        if g is not None:
            was = g.previous_status == "error"
            now = r.status == "error"
            before = "error" if was else f"{_text.num(g.previous_score)} / {_text.num(g.previous_max_score)}"
            after = "error" if now else f"{_text.num(r.score)} / {_text.num(r.max_score)}"
            what = ((f"every question ({g.reason})" if g.reason else "every question") if g.full
                    else ", ".join(g.questions) or "none (no question's checks changed)")
            regrades.append((r.submission, safe_href(report_href(r)), before, after,
                             None if was or now else round(r.score - g.previous_score, 6), what))
        if r.rubric not in rubrics:
            rubrics.append(r.rubric)
    checks = list(acc.checks.values())
    mistakes = sorted(acc.mistakes.values(), key=lambda g: (-len(g.who), g.key))
    kinds = [g for g in acc.kinds.values() if g.who]
    context = {
        "title": rubric_title or ", ".join(rubrics) or "grader",
        "css": _css(),
        "csp": _csp(SORT_SCRIPT),
        "script": Markup(SORT_SCRIPT),
        "rows": acc.rows,
        "hist": acc.histogram(),
        "checks": checks,
        "mistakes": mistakes,
        "kinds": kinds,
        "overrides": overrides,
        "regrades": regrades,
    }
    return environment().from_string(TEMPLATE).render(context)
