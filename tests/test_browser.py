"""What a person sees: report.html and summary.html opened in headless Chromium from file:// URLs.

One browser serves the whole module (see :mod:`browser`: the DevTools protocol over
``--remote-debugging-pipe``, no WebDriver).  The tests check the rendered DOM and its
layout, not the HTML source: the key text is visible, nothing is wider than a laptop
(1280 px) or a phone (390 px) screen, the page reports no console error or CSP
violation, the summary's sort script sorts, and hostile student text is shown as text
while none of it runs, loads or styles anything.  The first test shows that each of these
probes does see a page that misbehaves, so that their silence on the real pages means
something.

Chromium missing is a failure, never a skip: install it (``apt-get install chromium``)
or point ``GRADER_CHROMIUM`` at one.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import browser
import factories as f
import pytest

from grader import render
from grader.model import Cell, Consistency, ErrorInfo, Frame, LoadReport, SourceFile, SubmissionResult, UnitError
from grader.terminal import num

pytestmark = pytest.mark.browser

#: (width, height, phone): a laptop, and a phone whose meta viewport applies.
SCREENS = [pytest.param(1280, 900, False, id="1280px"), pytest.param(390, 844, True, id="390px-phone")]


# The `chrome` fixture is in conftest.py: it skips where no browser is installed, and fails
# where GRADER_REQUIRE_BROWSER is set (as .ci/run does).


# --------------------------------------------------------------------------- probes run in the page

#: Elements wider than the viewport, or sticking out of it, that are not inside a scrolling
#: (or clipping) container of their own; such a container must fit itself.  Follows the
#: containing-block chain, so an absolutely positioned element escapes a static scroller.
OVERFLOW_JS = r"""
(() => {
  const W = document.documentElement.clientWidth;
  function contained(e) {
    let pos = getComputedStyle(e).position;
    for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (pos === "fixed") return false;
      const cs = getComputedStyle(a);
      if (pos !== "absolute" || cs.position !== "static") {
        if (cs.overflowX !== "visible") return true;
        pos = cs.position;
      }
    }
    return false;
  }
  const wide = [];
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if ((r.right > W + 0.5 || r.left < -0.5) && !contained(e)) {
      const text = (e.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
      wide.push(`<${e.tagName.toLowerCase()} class="${e.getAttribute("class") || ""}"> ${Math.round(r.left)}..${Math.round(r.right)}px: ${text}`);
    }
  }
  return {width: W, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 20)};
})()
"""

#: Whatever hostile data could have done to the page, had any of it been markup.
MARKERS_JS = r"""
(() => {
  const attrs = [];
  for (const e of document.querySelectorAll("*"))
    for (const a of e.attributes) if (/^on/i.test(a.name)) attrs.push(`${e.tagName} ${a.name}`);
  const count = (s) => document.querySelectorAll(s).length;
  return {
    title: document.title,
    name: window.name,
    marked: Array.from(document.querySelectorAll("[id^=pwned], [class^=pwned]")).map((e) => e.outerHTML.slice(0, 80)),
    handlers: attrs,
    scripts: count("script"),
    styles: count("style"),
    foreign: count("img, iframe, object, embed, textarea, form, base, link, meta[http-equiv=refresh], input, video, audio"),
    cssVar: getComputedStyle(document.documentElement).getPropertyValue("--pwned"),
    hiddenBody: getComputedStyle(document.body).display === "none",
    focused: document.activeElement ? document.activeElement.tagName : null,
    protocols: Array.from(document.links).map((a) => a.protocol),
  };
})()
"""

OPEN_ALL_JS = "document.querySelectorAll('details').forEach((d) => { d.open = true; })"
TEXT_JS = "document.body.innerText"


def squash(text: str) -> str:
    """Collapse whitespace (innerText separates table cells by tabs and rows by newlines)."""
    return re.sub(r"\s+", " ", text).strip()


def open_page(chrome: browser.Chromium, page: Path, width: int, height: int, phone: bool) -> browser.Seen:
    return chrome.open(page, width=width, height=height, mobile=phone)


def assert_quiet(seen: browser.Seen, page: Path) -> None:
    """No console error, exception, CSP violation or dialog; no request but the page itself."""
    assert seen.errors() == [], f"{page.name} reported errors in the browser"
    assert seen.csp_violations() == [], f"{page.name} violated its Content-Security-Policy"
    assert seen.requests == [page.resolve().as_uri()], f"{page.name} asked for more than itself"


def assert_fits(chrome: browser.Chromium, width: int, what: str) -> None:
    """Nothing scrolls the page sideways, and no element outside a scroller is wider than the screen."""
    m = chrome.js(OVERFLOW_JS)
    assert m["width"] == width, f"the viewport is {m['width']} px, not {width} px"
    assert m["wide"] == [], f"{what} at {width} px: elements stick out of the screen:\n" + "\n".join(m["wide"])
    assert m["scrollWidth"] <= width, f"{what} at {width} px scrolls sideways: {m['scrollWidth']} px wide"


# --------------------------------------------------------------------------- the probes themselves


BAIT = "bait-image-that-does-not-exist.png"


def test_the_probes_see_a_page_that_misbehaves(chrome, tmp_path):
    """A page with live payloads, a console error, a CSP violation and a too-wide table trips every probe."""
    bait = (tmp_path / BAIT).as_uri()
    live = tmp_path / "live.html"
    live.write_text(
        "<!DOCTYPE html><html><head><meta name=\"viewport\" content=\"width=device-width\"><title>t</title></head><body><main>"
        + '<table class="too-wide"><tr><td style="white-space: nowrap">' + "x" * 400 + "</td></tr></table>"
        + '<div style="overflow-x: auto"><table class="scrolls"><tr><td style="white-space: nowrap">' + "y" * 400 + "</td></tr></table>"
        + '<span class="escapes" style="position: absolute; left: 1000px">z</span></div>'
        + "<script>console.error('boom'); alert('hey')</script>"
        + "".join(payloads(bait))  # the last opens a comment: nothing after it
        + "</main></body></html>",
        encoding="utf-8",
    )
    seen = open_page(chrome, live, 390, 844, True)
    chrome.settle(0.3)
    m = chrome.js(MARKERS_JS)
    assert m["title"] == "PWNED-script" and m["name"].startswith("PWNED")
    assert m["marked"] and m["handlers"] and m["scripts"] >= 2 and m["foreign"] >= 2
    assert m["cssVar"].strip() == "1" and m["focused"] == "INPUT"
    assert "javascript:" in m["protocols"]
    assert bait in seen.requests
    assert any("boom" in e for e in seen.errors()) and any("hey" in e for e in seen.errors())
    with pytest.raises(AssertionError, match="stick out of the screen") as wide:
        assert_fits(chrome, 390, "live.html")
    assert '<table class="too-wide">' in str(wide.value) and '<span class="escapes">' in str(wide.value)
    assert "scrolls" not in str(wide.value)  # a table in its own scroller is fine

    csp = tmp_path / "csp.html"
    csp.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
        "</head><body><script>document.title = 'ran'</script></body></html>",
        encoding="utf-8",
    )
    seen = open_page(chrome, csp, 1280, 900, False)
    assert seen.csp_violations() and chrome.js("document.title") != "ran"


# --------------------------------------------------------------------------- report.html


def student() -> SubmissionResult:
    """A mixed result: passes, failures with mismatches and named-mistake hints, a heat map,
    a hidden check, an error with a traceback, a cell that failed to load, capped output."""
    base = f.mixed()
    carol = f.errors()
    raising = replace(
        carol.questions[0].checks[0],
        id="grad_pred/raises",
        question="grad_pred",
        output="debug: " + "y" * (render.OUTPUT_CHARS + 500),
    )
    questions = tuple(f.question(q.id, q.checks + (raising,)) if q.id == "grad_pred" else q for q in base.questions)
    return replace(
        base,
        questions=questions,
        score=float(sum(q.score for q in questions)),
        max_score=float(sum(q.max_score for q in questions)),
        load=replace(base.load, unit_errors=carol.load.unit_errors),
    )


@pytest.mark.parametrize(("width", "height", "phone"), SCREENS)
def test_report_shows_the_feedback_and_fits_the_screen(chrome, tmp_path, width, height, phone):
    r = student()
    page = tmp_path / "report.html"
    page.write_text(render.report(r, rubric_title="Word2vec softmax"), encoding="utf-8")
    seen = open_page(chrome, page, width, height, phone)
    assert_quiet(seen, page)
    assert_fits(chrome, width, "report.html as it opens")

    text = squash(chrome.js(TEXT_JS))
    assert squash(chrome.js("document.querySelector('.score').innerText")) == f"{num(r.score)} / {num(r.max_score)}" == "4.75 / 10.5"
    assert "Feedback for bob" in text and "5 of 12 checks passed, 6 failed, 1 with an error" in text
    for c in r.checks():
        assert c.id in text, f"check {c.id} is not on screen"
    assert "Likely mistake: each row must sum to 1; yours is normalised over columns." in text
    assert "Likely mistake: the -y term is missing" in text
    table = squash(chrome.js("document.querySelector('#check-softmax-rows-2x3 table.values:last-of-type').innerText"))
    assert table == "INDEX GOT EXPECTED ALLOWED ± (0, 2) 0.69 0.7 7.0e-06 (1, 0) 0.31 0.3 3.0e-06"  # headers upper-cased by CSS
    assert "Mismatched elements: 9 / 15 (60.0%)" in text
    assert 'File "q1_softmax.py", line 21, in softmax raise NotImplementedError' in text  # the traceback
    assert "hw1.ipynb, cell [3]: SyntaxError: invalid syntax" in text  # the cell that failed to load
    assert "SECRET" not in text  # the hidden check keeps its case, hint and output

    # the heat map is painted: 5 x 5 squares, the wrong column deep red, all of it on screen
    heat = chrome.js(
        "(() => { const s = document.querySelector('#check-grad_output-small figure.heat svg');"
        " const r = s.getBoundingClientRect(); const rects = s.querySelectorAll('rect');"
        " return {n: rects.length, w: r.width, h: r.height, right: r.right,"
        " fill: getComputedStyle(rects[0]).fill, pale: getComputedStyle(rects[1]).fill}; })()"
    )
    assert heat["n"] == 25 and heat["w"] >= 40 and heat["h"] >= 40 and heat["right"] <= width
    assert (heat["fill"], heat["pale"]) == ("rgb(185, 28, 28)", "rgb(243, 244, 246)")

    # printed output is folded; a click unfolds it, capped, and it still fits
    fold = "#check-grad_pred-raises details.output"
    assert chrome.js(f"document.querySelector('{fold}').open") is False
    assert "more characters not shown" not in text
    chrome.click(f"{fold} > summary")
    assert chrome.js(f"document.querySelector('{fold}').open") is True
    shown = squash(chrome.js(f"document.querySelector('{fold}').innerText"))
    assert "… 507 more characters not shown; run your code yourself to see all of it." in shown

    # everything unfolded (passing checks, output, the translation diff) still fits
    chrome.js(OPEN_ALL_JS)
    assert_fits(chrome, width, "report.html with every fold open")
    assert seen.errors() == []


@pytest.mark.parametrize(("width", "height", "phone"), SCREENS)
def test_summary_shows_the_batch_and_fits_the_screen(chrome, tmp_path, width, height, phone):
    results = f.batch()
    page = tmp_path / "summary.html"
    page.write_text(render.summary(iter(results), rubric_title="Word2vec softmax"), encoding="utf-8")
    seen = open_page(chrome, page, width, height, phone)
    assert_quiet(seen, page)
    assert_fits(chrome, width, "summary.html")

    text = squash(chrome.js(TEXT_JS))
    assert "6 submissions 5 graded 1 could not be graded 4.7 mean score (of 10) 4.75 median 1 full marks 2 late" in text
    rows = chrome.js("Array.from(document.querySelectorAll('#submissions tbody tr')).map((tr) => tr.innerText)")
    assert [squash(r).split(" ")[0] for r in rows] == ["alice", "bob", "carol", "dave", "erin", '"><img']
    assert "bob GRADED 4.75 / 10 47.5 late 5 6 0" in squash(rows[1])  # badges are upper-cased by CSS
    for c in {c.id for r in results for c in r.checks()}:
        assert c in text, f"check {c} is not in the pass-rate table"
    assert "softmax-wrong-axis · 1 submission each row must sum to 1" in text
    assert "Timeout · 1 submission carol softmax/stable-large" in text
    # the histogram is drawn, inside the screen
    hist = chrome.js("(() => { const r = document.querySelector('svg.histogram').getBoundingClientRect(); return [r.width, r.right]; })()")
    assert 200 <= hist[0] and hist[1] <= width
    # the wide tables scroll inside their own box, which fits the screen
    boxes = chrome.js("Array.from(document.querySelectorAll('.scroll')).map((e) => e.getBoundingClientRect().right)")
    assert len(boxes) == 2 and max(boxes) <= width
    # every submission's status can be read without scrolling, and a phone is told the table scrolls
    status = chrome.js("Array.from(document.querySelectorAll('#submissions tbody tr')).map("
                       "(tr) => tr.cells[1].getBoundingClientRect().right)")
    assert max(status) <= width
    cue = chrome.js("getComputedStyle(document.querySelector('#submissions .scroll-cue')).display")
    wider = chrome.js("(() => { const b = document.querySelector('#submissions .scroll'); "
                      "return b.scrollWidth > b.clientWidth + 1; })()")
    assert (cue != "none") == wider  # said where the table is wider than its box, at any width
    assert wider or not phone  # (on a phone it is)


@pytest.mark.parametrize(("width", "height", "phone"), SCREENS)
def test_summary_lists_canvas_names_read_as_two_users_once_and_fits(chrome, tmp_path, width, height, phone):
    """A Canvas file name read as one of two users' is the TA's to settle before grades go out: listed once."""
    from grader.model import CanvasInfo

    results = f.batch()
    park = replace(results[0], submission="12",
                   canvas=CanvasInfo(name="park", user_id="12", submission_id="2005", other_user_id="2005"))
    lee = replace(results[1], submission="2004", canvas=CanvasInfo(name="lee_7", user_id="2004", submission_id="6005"))
    page = tmp_path / "summary.html"
    page.write_text(render.summary(iter([park, lee, *results[2:]])), encoding="utf-8")
    seen = open_page(chrome, page, width, height, phone)
    assert_quiet(seen, page)
    assert_fits(chrome, width, "summary.html with a Canvas name read two ways")
    section = squash(chrome.js("document.querySelector('#canvas-users').innerText"))
    assert "12 graded as Canvas user 12, or user 2005?" in section
    assert "2004" not in section and section.count("graded as Canvas user") == 1


@pytest.mark.parametrize(("width", "height", "phone"), SCREENS)
def test_the_histograms_bounds_can_each_be_read_apart(chrome, tmp_path, width, height, phone):
    """A total such as CS224d 2016's 68.5 makes bounds like "61.65–68.5", wider than a bar: no
    two labels under the bars may overlap, nor run out of the picture."""
    results = [replace(f.all_pass(sid), score=s, max_score=68.5) for sid, s in
               (("alice", 73.0), ("bob", 65.5), ("carol", 30.0), ("dave", 12.25))]
    page = tmp_path / "summary.html"
    page.write_text(render.summary(iter(results)), encoding="utf-8")
    open_page(chrome, page, width, height, phone)
    boxes = chrome.js("""(() => {
      const svg = document.querySelector('svg.histogram').getBoundingClientRect();
      return Array.from(document.querySelectorAll('svg.histogram text:not(.count)')).map((t) => {
        const r = t.getBoundingClientRect();
        return [r.left, r.right, r.top, r.bottom, svg.left, svg.right, svg.bottom, t.textContent]; }); })()""")
    assert len(boxes) == render.HISTOGRAM_BINS
    assert "61.65–68.5" in [b[7] for b in boxes]
    for (l1, r1, t1, b1, *_), (l2, r2, t2, b2, *_), in zip(boxes, boxes[1:]):
        assert r1 + 4 <= l2 or b1 <= t2 or b2 <= t1, boxes  # a space between two labels on a line
    for left, right, top, bottom, sl, sr, sb, label in boxes:
        assert sl <= left and right <= sr and bottom <= sb + 0.5, label


def test_the_scroll_cue_follows_the_width_of_the_window_and_long_ids_wrap(chrome, tmp_path):
    page = tmp_path / "summary.html"
    long_names = [replace(r, submission=r.submission + "-" + "x" * 200) for r in f.batch()]
    page.write_text(render.summary(iter(long_names)), encoding="utf-8")
    shown = "getComputedStyle(document.querySelector('#submissions .scroll-cue')).display !== 'none'"
    wider = ("(() => { const b = document.querySelector('#submissions .scroll'); "
             "return b.scrollWidth > b.clientWidth + 1; })()")
    for width in (768, 1400, 390):
        open_page(chrome, page, width, 900, width < 600)
        assert chrome.js(shown) == chrome.js(wider), width
        assert_fits(chrome, width, "summary.html of long ids")
    open_page(chrome, page, 768, 900, False)
    assert chrome.js(wider) and chrome.js(shown)  # a tablet: this table is wider than the screen, and it is said


def test_summary_sorts_by_a_clicked_header(chrome, tmp_path):
    page = tmp_path / "summary.html"
    page.write_text(render.summary(iter(f.batch())), encoding="utf-8")
    seen = open_page(chrome, page, 1280, 900, False)
    order = "Array.from(document.querySelectorAll('#submissions tbody tr')).map((tr) => tr.cells[0].innerText)"
    head = "#submissions thead th:nth-child({}) button.sort"
    assert chrome.js(order)[:5] == ["alice", "bob", "carol", "dave", "erin"]
    # the columns by their headers (the batch's Canvas names add a Name column after the id)
    names = chrome.js("Array.from(document.querySelectorAll('#submissions thead th')).map((t) => t.innerText.trim().toLowerCase())")
    score = names.index("score") + 1

    chrome.click(head.format(score))  # Score, ascending: numbers, not text ("10" after "8.75"); ties keep their order
    assert chrome.js(order) == ["carol", "dave", '"><img src=x onerror="alert(1)">', "bob", "erin", "alice"]
    assert chrome.js(f"document.querySelector('#submissions thead th:nth-child({score})').getAttribute('aria-sort')") == "ascending"
    chrome.click(head.format(score))  # again: descending
    assert chrome.js(order)[:3] == ["alice", "erin", "bob"]
    assert chrome.js(f"document.querySelector('#submissions thead th:nth-child({score})').getAttribute('aria-sort')") == "descending"
    chrome.click(head.format(1))  # Submission: as text
    assert chrome.js(order) == ['"><img src=x onerror="alert(1)">', "alice", "bob", "carol", "dave", "erin"]

    rates = "Array.from(document.querySelectorAll('#checks tbody tr')).map((tr) => parseFloat(tr.cells[5].dataset.sort))"
    before = chrome.js(rates)
    assert before != sorted(before)
    chrome.click("#checks thead th:nth-child(6) button.sort")  # the other table: Pass rate
    assert chrome.js(rates) == sorted(before)
    assert seen.errors() == []


# --------------------------------------------------------------------------- hostile student content


def payloads(bait: str) -> list[str]:
    """Markup that would act if it reached the page as markup: run script, load a file, style, focus."""
    return [
        "<script>document.title='PWNED-script'</script>",
        f'<img src="{bait}" onerror="window.name=\'PWNED-img\'">',
        "\"><svg onload=\"window.name='PWNED-svg'\"></svg>",
        "</title></textarea></pre></details><b id=\"pwned-markup\">PWNED</b>",
        "<a id=\"pwned-link\" href=\"javascript:window.name='PWNED-js'\">click</a>",
        "<input autofocus onfocus=\"window.name='PWNED-focus'\">",
        "<style>html { --pwned: 1 }</style>",
        "--><!-- <iframe srcdoc=\"<p>x</p>\"></iframe>",
    ]


def hostile(bait: str, sid: str | None = None) -> SubmissionResult:
    """Every place a student's text reaches, filled with :func:`payloads` and bidi overrides."""
    p = payloads(bait)
    bidi = "evil\u202egnp.py\u202c\u2066x\u2069"
    every = " ".join(p)
    err = ErrorInfo(
        type=f"Value{p[0]}Error",
        message=f"{every} {bidi}",
        frames=(Frame(where=f"{p[1]}.py", line=1, code=p[0], function=p[2]),),
        traceback=f'  File "{p[1]}.py", line 1, in {p[2]}\n    {p[0]}\nValueError: {every} {bidi}\n',
    )
    checks = [
        f.failed(
            f"softmax/{p[3]}{bidi}",
            message=f"{f.TOL} {p[4]}",
            output=f"{every}\n{bidi}\n" + "z" * 5000,
            notes=(f"note {p[5]}",),
            hint=f"hint {p[6]} {p[1]}",
            mistake=f"mistake-{p[2]}",
            case=f"case {p[7]}",
            mismatch=f.values_mismatch(heat=((1.0, 0.0), (0.0, 0.5))),
        ),
        f.errored(f"softmax/{p[0]}", error=err, message=f"softmax raised {p[1]}", output=every, case=p[3]),
    ]
    return f.result(
        sid or f"{p[2]}{bidi}",
        [f.question("softmax", checks)],
        source=f"{p[1]}.zip",
        errors=(f"problem {p[0]}",),
        notes=(f"translated {p[4]}", bidi),
        isolation=f"bwrap{p[5]}",
        grader_version=f"0.1.0{p[6]}",
        load=LoadReport(
            modules=(p[0],),
            functions={"softmax": p[1]},
            unit_errors=(UnitError(where=f"{p[3]}.ipynb, cell [{bidi}] {f.CONTROL}", error=err),),
            notes=(f"stand-in {p[7]}",),
            output=every,
        ),
        files=(
            SourceFile(
                path=f"{p[1]}.py",
                text=p[0],
                origin=f"{p[3]}.ipynb",
                cells=(Cell(0, f"cell [{p[0]}]", p[0], p[0]),),
                translated=True,
                translation_diff=f"-print {p[0]}\n+print({p[0]})\n {p[1]}\n",
            ),
        ),
        consistency=(Consistency(case=p[0], wrt=p[1], status="inconsistent", message=f"{p[2]} {bidi}"),),
    )


def assert_nothing_ran(chrome: browser.Chromium, seen: browser.Seen, page: Path, *, scripts: int, focused: str = "BODY") -> dict:
    """Nothing from the data ran, loaded, became an element, styled the page or took the focus."""
    chrome.settle(0.3)
    m = chrome.js(MARKERS_JS)
    assert not m["title"].startswith("PWNED") and m["name"] == "", "a script from the data ran"
    assert m["marked"] == [] and m["handlers"] == [], "data became markup"
    assert (m["scripts"], m["styles"], m["foreign"]) == (scripts, 1, 0), "data added elements"
    assert m["cssVar"] == "" and not m["hiddenBody"], "data styled the page"
    assert m["focused"] == focused, "data took the focus"
    assert "javascript:" not in m["protocols"]
    assert_quiet(seen, page)  # no alert, no CSP violation (nothing even tried), no bait fetched
    return m


#: What must never reach the screen raw: bidi controls and control characters (tabs and newlines aside).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(("width", "height", "phone"), SCREENS)
def test_a_long_unbroken_word_wraps_in_its_box(chrome, tmp_path, width, height, phone):
    from grader.model import Override

    token = "B" * 3000
    r = replace(f.all_pass(), load=LoadReport(unit_errors=(UnitError("hw.py, line 3", ErrorInfo("RuntimeError", token)),)),
                consistency=(Consistency(case="small", wrt="grad", status="error", message="raised " + "C" * 500),),
                overrides=(Override("", 10.0, 10.0, note="see https://example.edu/" + "d" * 400, by="ta"),))
    page = tmp_path / "report.html"
    page.write_text(render.report(r), encoding="utf-8")
    open_page(chrome, page, width, height, phone)
    chrome.js(OPEN_ALL_JS)
    assert_fits(chrome, width, "a report with long unbroken words")
    assert token in chrome.js(TEXT_JS).replace("\n", "")


def test_hostile_report_is_shown_as_text_and_nothing_in_it_runs(chrome, tmp_path):
    bait = (tmp_path / BAIT).as_uri()
    page = tmp_path / "report.html"
    page.write_text(render.report(hostile(bait), rubric_title=payloads(bait)[0]), encoding="utf-8")
    seen = open_page(chrome, page, 1280, 900, False)
    chrome.js(OPEN_ALL_JS)  # every fold open: output, diff, passing checks
    m = assert_nothing_ran(chrome, seen, page, scripts=0)
    assert m["title"].startswith("<script>document.title='PWNED-script'</script>: feedback for")

    text = chrome.js(TEXT_JS)
    for p in payloads(bait):
        assert text.count(p) >= 5, f"{p!r} is not shown as text"
    assert not RAW.search(text), "a bidi or control character reached the screen"
    assert text.count("evil\\u202egnp.py\\u202c\\u2066x\\u2069") >= 5  # shown as visible escapes
    assert "esc\\x1b[31m nul\\x00" in text
    assert_fits(chrome, 1280, "the hostile report")


def test_hostile_summary_is_shown_as_text_and_nothing_in_it_runs(chrome, tmp_path):
    bait = (tmp_path / BAIT).as_uri()
    results = [
        hostile(bait),
        hostile(bait, sid="javascript:window.name='PWNED-href'"),
        f.hostile(),  # the factory's own: alert() payloads, control characters
        f.mixed(),
    ]
    page = tmp_path / "summary.html"
    page.write_text(
        render.summary(iter(results), rubric_title=payloads(bait)[3], report_href=lambda r: f"{r.submission}/report.html"),
        encoding="utf-8",
    )
    seen = open_page(chrome, page, 1280, 900, False)
    m = assert_nothing_ran(chrome, seen, page, scripts=1)
    assert set(m["protocols"]) == {"file:"}  # the javascript: id became a relative link
    assert m["title"].startswith(payloads(bait)[3])

    text = chrome.js(TEXT_JS)
    for s in (*payloads(bait)[2:4], f.IMG, f.ATTR, "javascript:window.name='PWNED-href'"):
        assert s in text, f"{s!r} is not shown as text"
    assert not RAW.search(text) and "evil\\u202egnp.py" in text
    assert "esc\\x1b[31m nul\\x00" in text
    # the sort script still runs beside the hostile rows, and moves them as text
    chrome.click("#submissions thead th:nth-child(1) button.sort")
    order = chrome.js("Array.from(document.querySelectorAll('#submissions tbody tr')).map((tr) => tr.cells[0].innerText)")
    assert len(order) == 4 and order == sorted(order, key=str.lower)
    assert_nothing_ran(chrome, seen, page, scripts=1, focused="BUTTON")  # the clicked sort button



def test_the_question_table_of_a_whole_problem_set_fits_a_phone(chrome, tmp_path):
    """CS224d 2016's question table on a 390 px phone: a file column, ids such as
    negsamp_grad_output and a total of 65.5 / 68.5 do not push the page sideways."""
    from grader.model import QuestionResult

    ids = (("q1", "softmax", "Softmax"), ("q3", "negsamp_grad_output", "Negative sampling: the gradient for the output vectors"),
           ("q3", "skipgram_grad_outside", "Skip-gram: the gradient for the output (outside) vectors"),
           ("q2", "neural_grad", "Neural network: gradient (backpropagation)"))
    qs = tuple(QuestionResult(q, title, 2.5, 2.5, tuple(f.passed(f"{q}/{i}", 0.5) for i in range(33)), file=file)
               for file, q, title in ids)
    qs = qs[:-1] + (replace(qs[-1], checks=qs[-1].checks[:-1]),)  # 131 checks
    r = replace(f.all_pass(), questions=qs, score=65.5, max_score=68.5)
    page = tmp_path / "report.html"
    page.write_text(render.report(r), encoding="utf-8")
    open_page(chrome, page, 390, 844, True)
    assert_fits(chrome, 390, "report.html's question table")
    assert "Total 131 / 131 65.5 / 68.5" in squash(chrome.js("document.querySelector('#questions tr.total').innerText"))


@pytest.mark.parametrize(("width", "height", "phone"), SCREENS)
def test_a_canvas_students_name_files_and_rubric_reason_read_across_the_page(chrome, tmp_path, width, height, phone):
    """A Canvas download: the report names the student beside the user id, and the list of files
    and the reason for the rubric take the whole width (in a 200 px column they broke inside file
    names and ran down the page), without pushing it sideways."""
    files = "subs/leejohn_LATE_78_911_word2vec.py, leejohn_LATE_78_912_sgd.py, leejohn_LATE_78_913_written.tex"
    reason = ("graded under cs224n-a2 (CS224n assignment 2 (2019-2023)), the version most submissions of this batch "
              "look like (3 of the 3 that look like a course version); this one: word2vec.py defines "
              "naiveSoftmaxLossAndGradient, negSamplingLossAndGradient and skipgram(currentCenterWord, ...)")
    r = replace(f.all_pass("78"), source=files, rubric_reason=reason)
    page = tmp_path / "report.html"
    page.write_text(render.report(r), encoding="utf-8")
    open_page(chrome, page, width, height, phone)
    assert_fits(chrome, width, "report.html's header")
    meta = chrome.js("""(() => { const dl = document.querySelector('dl.meta').getBoundingClientRect().width;
      return Array.from(document.querySelectorAll('dl.meta > div')).map((d) =>
        [d.querySelector('dt').innerText.toLowerCase(), d.querySelector('dd').innerText, d.getBoundingClientRect().width / dl]); })()""")
    by = {dt: (dd, share) for dt, dd, share in meta}
    assert by["name"][0] == "smithalice" and by["submission"][0] == "78"
    assert by["handed in as"][1] > 0.95 and by["why this rubric"][1] > 0.95, meta


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_written_answers_lines_are_readable_in_either_theme(chrome, tmp_path, dark):
    """A wrong or unevaluated line of a written answer is set on a tinted row: in a dark theme
    (light text) the tint must be dark too, or the line and its verdict cannot be read."""
    from grader.model import WrittenFeedback, WrittenLine

    lines = (WrittenLine(1, "x", "∂J/∂v_c", "<math><mi>J</mi></math>", "label"),
             WrittenLine(1, r"\hat y_o v_c", "ŷ_o v_c", "<math><mi>ŷ</mi></math>", "wrong", "does not equal ∂J/∂u_o"),
             WrittenLine(2, r"U^\top(\hat y - y)", "Uᵀ(ŷ - y)", "<math><mi>U</mi></math>", "error", "the shapes do not fit"),
             WrittenLine(3, "U(y - y)", "U(ŷ - y)", "<math><mi>U</mi></math>", "right"))
    c = replace(f.failed("written/grad_center/answer"), message="Wrong.", written=WrittenFeedback(lines=lines),
                mismatch=None)
    page = tmp_path / "report.html"
    page.write_text(render.report(f.result("x", [f.question("written/grad_center", [c])])), encoding="utf-8")
    open_page(chrome, page, 1280, 900, False)
    chrome.dark(dark)
    ratios = chrome.js(browser.CONTRAST_JS.replace("SEL", "'.written-lines td.num, .written-lines .verdict, "
                                                          ".written-lines td.read math'"))
    assert len(ratios) == 12
    assert all(r >= 4.5 for r, _ in ratios), ratios


def test_the_file_column_keeps_a_files_name_whole_on_a_phone(chrome, tmp_path):
    from grader.model import QuestionResult

    qs = tuple(QuestionResult(q, q.replace("_", " "), 1.0, 1.0, (f.passed(f"{q}/a", 1.0),), file=file)
               for q, file in (("cross_entropy", "word2vec"), ("skipgram_cost", "word2vec"), ("sgd", "sgd")))
    r = replace(f.all_pass(), questions=qs, score=3.0, max_score=3.0)
    page = tmp_path / "report.html"
    page.write_text(render.report(r), encoding="utf-8")
    open_page(chrome, page, 390, 844, True)
    # each name on one line: the lines of its text, as the browser laid them out
    lines = chrome.js("Array.from(document.querySelectorAll('#questions td.file')).filter((td) => td.innerText)"
                      ".map((td) => { const r = document.createRange(); r.selectNodeContents(td); "
                      "return [td.innerText, new Set(Array.from(r.getClientRects()).map((b) => Math.round(b.top))).size]; })")
    assert ["word2vec", 1] in lines and all(n == 1 for _, n in lines), lines
    assert_fits(chrome, 390, "report.html with a File column")
