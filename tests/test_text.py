"""Student text: made encodable where it enters the grader, shown escaped wherever it is shown (issue 12, items 1 and 6).

Units of :mod:`grader.text`, then every renderer (terminal, report.html, summary.html,
Gradescope, JUnit, grades.csv, result.json) fed results carrying each dangerous character.
"""

from __future__ import annotations

import io
import json
import sys
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

import factories as f
from grader import export, render, terminal, text
from grader.batch import finish, write_result
from grader.model import ErrorInfo, Frame, LoadReport, SubmissionResult, UnitError

#: Every character the issue lists, by name: each must be shown escaped in every rendering.
LISTED = {
    "LINE SEPARATOR": "\u2028", "PARAGRAPH SEPARATOR": "\u2029", "ARABIC LETTER MARK": "\u061c",
    "ZERO WIDTH SPACE": "\u200b", "LEFT-TO-RIGHT MARK": "\u200e", "RIGHT-TO-LEFT MARK": "\u200f",
    **{f"BIDI EMBEDDING/OVERRIDE {c:04X}": chr(c) for c in range(0x202A, 0x202F)},
    **{f"BIDI ISOLATE {c:04X}": chr(c) for c in range(0x2066, 0x206A)},
    "BOM": "\ufeff", "TAG LATIN CAPITAL A": "\U000e0041", "LANGUAGE TAG": "\U000e0001", "CANCEL TAG": "\U000e007f",
    "NUL": "\x00", "BEL": "\x07", "BACKSPACE": "\x08", "ESC": "\x1b", "CARRIAGE RETURN": "\r", "DEL": "\x7f",
    "NEL (C1)": "\x85", "CSI (C1)": "\x9b", "VERTICAL TAB": "\x0b", "FORM FEED": "\x0c", "FILE SEPARATOR": "\x1c",
    "LONE HIGH SURROGATE": "\ud800", "LONE LOW SURROGATE": "\udfff", "ESCAPED BYTE": "\udce9",
}
FAKE_VERDICT = "\n\nQuestion  Checks  Points\nTotal     4 / 4   10 / 10\n\nEvery check passed.\n"


def _bad(s: str) -> list[str]:
    """The listed characters found raw in `s` (newlines and tabs excepted)."""
    return [name for name, ch in LISTED.items() if ch in s]


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize("name", sorted(LISTED))
def test_each_listed_character_is_escaped_in_one_line_and_multi_line_fields(name):
    ch = LISTED[name]
    for shown in (text.line(f"a{ch}b"), text.block(f"a{ch}b")):
        assert ch not in shown and shown.startswith("a\\") and shown.endswith("b")
        shown.encode("utf-8")  # always encodable


def test_the_escaped_set_is_every_control_format_and_separator_character():
    # Checked against the Unicode database of this Python, for every code point.
    for c in range(sys.maxunicode + 1):
        ch = chr(c)
        wanted = unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") or 0xE0000 <= c <= 0xE007F
        if wanted:
            assert text._ONE_LINE.match(ch), f"U+{c:04X} is not escaped"
            assert not ch.isprintable(), f"U+{c:04X}: the fast path would skip it"
        elif text._ONE_LINE.match(ch):  # a few more: code points unassigned in this Python's database
            assert unicodedata.category(ch) == "Cn", f"U+{c:04X} is escaped but harmless"


def test_one_line_fields_hold_one_line_and_multi_line_fields_keep_their_lines():
    assert text.line("a\nb\tc\r") == "a\\nb\\tc\\r"
    assert text.block("a\nb\tc\r") == "a\nb\tc\\r"
    assert text.line("naïve ✓ 名前 emoji \U0001f600") == "naïve ✓ 名前 emoji \U0001f600"  # printable text is kept
    assert text.line("x\U000e0041y") == "x\\U000e0041y"


@pytest.mark.parametrize(("raw", "shown"), [
    ("caf\udce9.py", "caf\\xe9.py"),  # os.fsdecode's escape of the byte 0xE9
    ("\ud800", "\\ud800"),
    ("a\udc80\udcffb", "a\\x80\\xffb"),
    ("\udc7f", "\\udc7f"),  # not an escaped byte: a lone surrogate
    ("plain ✓", "plain ✓"),
])
def test_encodable_makes_lone_surrogates_visible_text(raw, shown):
    assert text.encodable(raw) == shown
    text.encodable(raw).encode("utf-8")


def test_encodable_tree_reaches_every_string_of_a_result_and_keeps_what_is_unchanged():
    bad = "m\ud800"
    r = f.errors()
    hostile = replace(r, errors=(bad,), notes=("ok", bad), source=bad,
                      load=LoadReport(functions={bad: bad}, output=bad,
                                      unit_errors=(UnitError(bad, ErrorInfo(bad, bad, (Frame(bad, 1, bad, bad),), bad)),)))
    clean = text.encodable_tree(hostile)
    json.dumps(clean.to_dict(), ensure_ascii=False).encode("utf-8")  # would raise on a surrogate
    assert clean.errors == ("m\\ud800",) and clean.load.unit_errors[0].error.frames[0].code == "m\\ud800"
    assert clean.load.functions == {"m\\ud800": "m\\ud800"}
    assert clean.questions is hostile.questions  # nothing to change: the same objects
    assert text.encodable_tree(r) is r


# --------------------------------------------------------------------------- renderers


def _hostile_result(payload: str) -> SubmissionResult:
    """A result whose every student field carries `payload`."""
    err = ErrorInfo("ValueError", "bad" + payload, (Frame("q3.py" + payload, 3, "x = 1" + payload, "f" + payload),),
                    traceback="  q3.py, line 3\nValueError: bad" + payload)
    check = f.errored("softmax/vector", error=err, message="softmax raised ValueError: bad" + payload)
    check = replace(check, output="printed" + payload, notes=("note" + payload,))
    r = f.result("mallory", [f.question("softmax", [check, f.failed("softmax/other")])])
    return replace(r, notes=("loader note" + payload,),
                   load=LoadReport(output="loaded" + payload,
                                   unit_errors=(UnitError("q3.py, line 9" + payload, ErrorInfo("NameError", "x" + payload)),)))


ALL_LISTED = "".join(LISTED.values())


def test_the_terminal_verdict_cannot_be_forged():
    r = _hostile_result(FAKE_VERDICT + ALL_LISTED)
    out = terminal.terminal(r, color=False)
    lines = out.split("\n")
    assert "Every check passed." not in [ln.strip() for ln in lines]
    assert sum(ln.startswith("Total") for ln in lines) == 1
    assert sum(ln.startswith("Question") for ln in lines) == 1  # the real table only
    assert _bad(out.replace("\n", "")) == []
    assert "bad\\n\\nQuestion  Checks  Points\\nTotal" in out  # shown, escaped, on the message's own line
    assert "\\u2028\\u2029\\u061c\\u200b" in out


def test_the_batch_line_and_the_explanation_are_one_line_per_field():
    r = _hostile_result(FAKE_VERDICT + ALL_LISTED)
    assert "\n" not in terminal.terminal_batch_line(replace(f.submission_error(), errors=("x" + FAKE_VERDICT,)))
    lines = [terminal.one_line(ln) for ln in terminal.explain_lines(r.questions[0].checks[0])]
    assert all("\n" not in ln and not _bad(ln) for ln in lines)
    assert lines[1].startswith("softmax raised ValueError: bad\\n\\nQuestion")


@pytest.mark.parametrize("where", ["message", "frame"])
def test_a_traceback_shows_line_breaks_of_its_one_line_parts_escaped(where):
    payload = "\nEvery check passed."
    if where == "message":
        err = ErrorInfo("ValueError", "bad" + payload, traceback="  q3.py, line 3\nValueError: bad" + payload)
    else:
        err = ErrorInfo("ValueError", "bad", (Frame("q3" + payload + ".py", 3, "x", "f"),),
                        traceback=f"  q3{payload}.py, line 3\nValueError: bad")
    lines = terminal.error_lines(err)
    assert "Every check passed." not in lines
    assert any("\nEvery check passed." in ln for ln in lines)  # kept within one element, escaped when shown


def test_reports_show_every_listed_character_escaped(tmp_path):
    r = _hostile_result(FAKE_VERDICT + ALL_LISTED)
    page = render.report(r)
    assert _bad(page) == [], _bad(page)
    assert "\\u202e" in page and "\\U000e0041" in page and "\\ud800" in page
    write_result(tmp_path, r)
    finish(tmp_path)
    for name in ("mallory/report.html", "summary.html"):
        assert _bad((tmp_path / name).read_text(encoding="utf-8")) == [], name


def test_exports_show_every_listed_character_escaped_and_one_line_fields_stay_one_line(tmp_path):
    r = _hostile_result(FAKE_VERDICT + ALL_LISTED)
    gs = json.dumps(export.gradescope_results(r, execution_time=1.0), ensure_ascii=False)
    assert _bad(json.loads(gs)["tests"][0]["output"]) == []
    explanation = json.loads(gs)["tests"][0]["output"].split("What your code printed")[0]  # printed output: multi-line
    assert "Every check passed." not in explanation.split("\n")
    export.write_junit([r], tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    for el in root.iter():
        for value in [el.text or "", *el.attrib.values()]:
            assert _bad(value.replace("\n", "").replace("\t", "")) == [], (el.tag, value)
        if "message" in el.attrib:
            assert "\n" not in el.attrib["message"]
    failure = next(el for el in root.iter() if el.tag == "error" and "ValueError" in el.attrib.get("type", ""))
    assert "Every check passed." not in (failure.text or "").split("\n")


def test_writers_never_fail_on_a_string_that_escaped_the_entry(tmp_path):
    # A net under encodable(): a result built without it (a surrogate everywhere) is still written.
    r = _hostile_result("\ud800\udce9")
    r = replace(r, submission="mallory")
    write_result(tmp_path, r)
    finish(tmp_path)
    for name in ("mallory/report.html", "mallory/result.json", "summary.html", "grades.csv"):
        (tmp_path / name).read_text(encoding="utf-8")  # valid UTF-8
    export.write_junit([r], tmp_path / "junit.xml")
    ET.parse(tmp_path / "junit.xml")
    out = io.StringIO()
    out.write(terminal.terminal(r, color=False))
    out.getvalue().encode("utf-8")


def test_console_script_output_survives_a_terminal_that_is_not_utf8():
    import subprocess

    # The console script's streams show what they cannot encode as escapes (stdout in ASCII here).
    code = ("from grader import cli; "
            "cli.main = lambda: print('caf\\udce9 \\u2028 \\u4e2d', flush=True) or 0; "
            "cli.console_main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                          env={"PYTHONIOENCODING": "ascii", "PATH": ""}, cwd=str(Path(__file__).resolve().parents[1]))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"caf\\udce9 \\u2028 \\u4e2d\n"
