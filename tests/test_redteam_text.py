"""Red team, issue 12 items 1, 2 and 6: student text that crashed, stalled or forged the batch.

The ``text_*`` attacks of ``tests/redteam/`` (also graded with the whole red team by
test_redteam.py), plus entries that cannot be committed portably (file and folder names
that are not UTF-8, a Canvas file of such a name, a zip of cp1252 names, a large Python 2
file, notebook cells of 60,000 characters), are graded in ONE batch with honest
submissions, ``--jobs 2``, through ``grader.cli.main``.  The batch must end with exit 0,
every submission with a result, grades.csv and summary.html written and valid UTF-8, the
honest submissions at full marks, and no attacker above the honest wrong answer.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.cli import main

REDTEAM = Path(__file__).resolve().parent / "redteam"
HONEST = ("honest_cs224d", "honest_cs224n", "honest_folder")
BASELINE = "honest_wrong"
ATTACKS = sorted(p.name.rsplit(".", 1)[0] for p in REDTEAM.glob("text_*"))
WRONG = (REDTEAM / "honest_wrong.py").read_bytes()
#: Characters no page, result or terminal line may carry raw (a fake verdict needs one of them).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\U000e0000-\U000e007f]")


def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": i + 1, "outputs": [],
                                  "source": s} for i, s in enumerate(cells)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _py2_big() -> str:
    """A Python 2 file of about 400 KiB: the baseline, then thousands of Python 2 statements."""
    body = "".join(f"def helper_{i}(n):\n    print 'helper', n / 2, `n`\n    return [x for x in xrange(n)]\n\n"
                   for i in range(5000))
    return "import numpy as np\n" + WRONG.decode().split("import numpy as np", 1)[1] + body


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam_text")
    subs, results = root / "subs", root / "results"
    subs.mkdir()
    for entry in sorted(REDTEAM.glob("text_*")) + [REDTEAM / f"{BASELINE}.py", REDTEAM / "honest_cs224d.py",
                                                    REDTEAM / "honest_cs224n.py"]:
        shutil.copy2(entry, subs / entry.name)
    shutil.copytree(REDTEAM / "honest_folder", subs / "honest_folder")
    raw = os.fsencode(subs)
    # Names that are not UTF-8: what `unzip` leaves for a cp1252 name (os.fsdecode keeps the bytes as surrogates).
    with open(raw + b"/caf\xe9.py", "wb") as f:
        f.write(WRONG)
    os.mkdir(raw + b"/stud\xe9nt")
    with open(raw + b"/stud\xe9nt/q3_w\xf6rd2vec.py", "wb") as f:
        f.write(WRONG)
    with open(raw + b"/stud\xe9nt/notes \xff.txt", "wb") as f:
        f.write(b"not code")
    # A zip whose member names are cp1252 bytes without the UTF-8 flag, one of them in a folder.
    with zipfile.ZipFile(subs / "zipped_cp1252.zip", "w") as z:
        info = zipfile.ZipInfo("q3_w\xf6rd2vec.py")
        z.writestr(info, WRONG)
        z.writestr("sub\xe9/notes.txt", b"x")
    # A notebook with lone surrogates in a cell, its metadata and its name.
    with open(raw + b"/nb_\xe9.ipynb", "w", encoding="utf-8") as f:
        f.write(_notebook(["import numpy as np\nNAME = '\ud800 caf\udce9'\n" + WRONG.decode().split("import numpy as np", 1)[1],
                           "raise ValueError('\\ud800' + NAME)"]))
    # The attacks at the sizes the issue measured (77 s and 6 s before the fix).
    (subs / "text_notebook_regex_60k.ipynb").write_text(
        _notebook(["%" + "a" * 60000, "b" * 60000 + "-?", "x = %" + "c" * 60000 + "-?",
                   WRONG.decode()]), encoding="utf-8")
    (subs / "text_py2_big.py").write_text(_py2_big(), encoding="utf-8")
    entries = sorted(os.listdir(subs))
    out, err = io.StringIO(), io.StringIO()
    code = main(["grade", str(subs), "--out", str(results), "--jobs", "2", "--no-progress"], out=out, err=err)
    again_out, again_err = io.StringIO(), io.StringIO()
    again = main(["grade", str(subs), "--out", str(results), "--jobs", "2", "--no-progress"], out=again_out,
                 err=again_err)
    return {"code": code, "out": out.getvalue(), "err": err.getvalue(), "results": results, "entries": entries,
            "again": again, "again_err": again_err.getvalue()}


def _results(graded) -> dict[str, dict]:
    out = {}
    for p in graded["results"].iterdir():
        if (p / "result.json").is_file():
            out[p.name] = json.loads((p / "result.json").read_text(encoding="utf-8"))
    return out


def test_the_batch_completes_with_a_result_for_every_submission(graded):
    assert graded["code"] == 0, graded["err"][-3000:]
    results = _results(graded)
    assert len(results) == len(graded["entries"]) == len(graded["out"].splitlines())
    with open(graded["results"] / "grades.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["id"] for r in rows) == sorted(results)
    assert (graded["results"] / "summary.html").is_file()
    # A rerun does not stop anywhere either: everything is current.
    assert graded["again"] == 0, graded["again_err"]


def test_every_file_written_is_valid_utf8_without_raw_control_or_format_characters(graded):
    for p in graded["results"].rglob("*"):
        if p.is_file() and p.suffix in (".html", ".json", ".csv"):
            text = p.read_text(encoding="utf-8")  # raises on anything that is not UTF-8
            if p.suffix == ".html":
                m = RAW.search(text.replace("\n", "").replace("\t", ""))
                assert m is None, (p, text[max(0, m.start() - 80):m.end() + 80])
    m = RAW.search(graded["out"].replace("\n", ""))
    assert m is None, graded["out"][max(0, m.start() - 80):m.end() + 80]


def test_names_that_are_not_utf8_are_shown_escaped(graded):
    results = _results(graded)
    sources = {r["source"] for r in results.values()}
    assert any(s.endswith("caf\\xe9.py") for s in sources), sources
    assert any(s.endswith("stud\\xe9nt") for s in sources), sources
    summary = (graded["results"] / "summary.html").read_text(encoding="utf-8")
    assert "\udce9" not in summary


@pytest.mark.parametrize("sid", HONEST)
def test_honest_submissions_graded_beside_the_attacks_lose_nothing(graded, sid):
    r = _results(graded)[sid]
    assert r["status"] == "graded" and r["score"] == r["max_score"] > 0, r["errors"]


def test_no_attack_scores_more_than_the_honest_wrong_answer(graded):
    results = _results(graded)
    baseline = {q["id"]: q["score"] for q in results[BASELINE]["questions"]}
    attackers = [sid for sid in results if sid not in HONEST and sid != BASELINE]
    assert len(attackers) >= len(ATTACKS) + 6
    for sid in attackers:
        r = results[sid]
        got = {q["id"]: q["score"] for q in r["questions"]}
        assert all(got.get(q, 0) <= baseline[q] for q in baseline), (sid, got)


def test_the_regex_and_recursion_attacks_are_graded_as_the_baseline_not_stopped(graded):
    results = _results(graded)
    baseline = results[BASELINE]["score"]
    for sid in ("text_notebook_regex", "text_notebook_regex_60k", "text_py2_long_sum"):
        assert results[sid]["status"] == "graded" and results[sid]["score"] == baseline, results[sid]["errors"]


def test_the_surrogates_of_messages_and_output_are_escaped_where_shown(graded):
    r = _results(graded)["text_surrogates"]
    check = next(c for q in r["questions"] for c in q["checks"] if c["id"] == "softmax/vector")
    assert "REDTEAM message \\ud800 caf\\xe9 \\udfff" in check["message"]
    units = " ".join(u["error"]["message"] for u in r["load"]["unit_errors"])
    assert "REDTEAM top-level \\ud800" in units
    page = (graded["results"] / "text_surrogates" / "report.html").read_text(encoding="utf-8")
    assert "REDTEAM message \\ud800 caf\\xe9" in page


def test_a_forged_verdict_stays_inside_one_line(graded):
    line = next(ln for ln in graded["out"].splitlines() if ln.startswith("text_forged_verdict:"))
    assert "Every check passed" not in line
    page = (graded["results"] / "text_forged_verdict" / "report.html").read_text(encoding="utf-8")
    assert "REDTEAM softmax\\n\\nQuestion" not in page  # HTML keeps the newline as text (it shows as a space) ...
    assert "\\u2028\\u2029\\u061c\\u200b\\u200e\\u200f\\u202a" in page  # ... and shows every invisible character


def test_grader_check_shows_no_forged_table_or_verdict(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(REDTEAM / "text_forged_verdict.py"), "--no-color"], out=out, err=err)
    text = out.getvalue()
    assert code == 1, err.getvalue()
    lines = text.split("\n")
    assert "Every check passed." not in [ln.strip() for ln in lines]
    assert sum(ln.startswith("Total") for ln in lines) == 1
    assert sum(ln.startswith("Question") for ln in lines) == 1
    assert RAW.search(text.replace("\n", "")) is None
    assert "REDTEAM softmax\\n\\nQuestion" in text  # the message, on one line, newlines escaped
    assert "\\u2028\\u2029\\u061c\\u200b" in text


def test_a_python2_file_too_slow_to_translate_costs_only_itself(graded):
    # 400 KiB of Python 2: translated within the helper's deadline on an idle machine, or, on a
    # loaded one, that submission's error with a clear message; never the batch's.
    r = _results(graded)["text_py2_big"]
    if r["status"] == "error":
        assert r["errors"][0].startswith("text_py2_big.py could not be read: translating it took longer than 10 s")
    else:
        assert r["score"] <= _results(graded)[BASELINE]["score"]
