"""similarity.html in headless Chromium: hostile file names and code are shown as text, nothing of them runs.

Chromium missing is a failure, never a skip (see tests/test_browser.py).
"""

from __future__ import annotations

import io
from pathlib import Path

import browser
import pytest
import similarity_corpus as corpus

from grader.cli import main

pytestmark = pytest.mark.browser

#: Names and code that would run, load or restyle something if they were markup.
EVIL_NAME = '<img src=x onerror=alert(1)>.py'
EVIL_NAME_2 = '"><svg onload=alert(2)>.py'
EVIL_SOURCE = "<iframe src=javascript:alert(3)>.py"
EVIL_CODE = '''
def show(msg="</pre></mark><script>alert(4)</script><style>body{display:none}</style>"):
    banner = "<a href='javascript:alert(5)' id=pwned>click</a>"
    return msg + banner  # </details><img src=x onerror=alert(6)>  \u202eoverride
'''

#: What the page's DOM holds that hostile text could have made.
PROBE_JS = r"""
(() => {
  const handlers = [];
  for (const e of document.querySelectorAll("*"))
    for (const a of e.attributes) if (/^on/i.test(a.name)) handlers.push(`${e.tagName} ${a.name}`);
  const count = (s) => document.querySelectorAll(s).length;
  return {
    handlers: handlers,
    scripts: count("script"),
    styles: count("style"),
    foreign: count("img, iframe, svg, object, embed, form, base, link, a#pwned"),
    hiddenBody: getComputedStyle(document.body).display === "none",
    marks: count("mark.match"),
    pairs: count("details.pair"),
    protocols: Array.from(document.links).map((a) => a.protocol),
  };
})()
"""


@pytest.fixture(scope="module")
def chrome():
    exe = browser.find_chromium()
    if exe is None:
        pytest.fail("headless Chromium is not installed: install it (apt-get install chromium) or set "
                    f"GRADER_CHROMIUM to one; looked for {browser.looked_for()}", pytrace=False)
    with browser.Chromium(exe) as c:
        yield c


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    batch, against = root / "batch", root / "against"
    code = corpus.solution(0) + EVIL_CODE
    (batch / "mallory").mkdir(parents=True)
    (batch / "mallory" / EVIL_NAME).write_text(code)
    (batch / "trent").mkdir()
    (batch / "trent" / EVIL_NAME_2).write_text(code)
    against.mkdir()
    (against / EVIL_SOURCE).write_text(code)
    out = root / "out"
    err = io.StringIO()
    assert main(["similarity", str(batch), "--out", str(out), "--against", str(against)],
                out=io.StringIO(), err=err) == 0, err.getvalue()
    return out / "similarity.html"


def test_hostile_names_and_code_are_text_in_similarity_html(chrome, page):
    seen = chrome.open(page)
    chrome.settle()
    probe = chrome.js(PROBE_JS)
    assert seen.errors() == [] and seen.csp_violations() == []
    assert probe["handlers"] == [] and probe["scripts"] == 0 and probe["foreign"] == 0
    assert probe["styles"] == 1 and not probe["hiddenBody"]  # only the page's own stylesheet
    assert set(probe["protocols"]) <= {"file:"}
    assert seen.requests == [page.as_uri()]  # nothing loaded
    # the three pairs are there, with their matched code marked, and the hostile text shown as text
    assert probe["pairs"] == 3 and probe["marks"] >= 6
    text = chrome.js("document.body.innerText")
    for shown in (EVIL_NAME, EVIL_NAME_2, EVIL_SOURCE, "</pre></mark><script>alert(4)</script>",
                  "<a href='javascript:alert(5)' id=pwned>click</a>", "\\u202eoverride"):
        assert shown in text
    assert "\u202e" not in text  # the bidi override is shown as an escape, never applied


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_matched_code_is_readable_in_either_theme(chrome, page, dark):
    # the highlight of matched code under the theme's text colour: light text on a pale yellow was not
    chrome.open(page)
    chrome.dark(dark)
    ratios = chrome.js(browser.CONTRAST_JS.replace("SEL", "'mark.match'"))
    assert ratios and all(r >= 4.5 for r, _ in ratios), sorted(ratios)[:3]
