"""The batch's writers (issue 21, item 3): cheaper, and writing the same files as before.

- result.json is written on one line (json's C encoder), the same document;
- report.html reuses each check's block once rendered: a report is byte for byte the one
  rendered without reuse, whatever was rendered before it;
- grades.csv and summary.html are built at the end of a batch from what was kept of each
  result as it was written (:class:`grader.batch.BatchFiles`), reading back only the results
  this run did not write: byte for byte the files :func:`grader.batch.finish` writes by
  reading every result back (errors, resumed runs, overrides, ids made unique, failures
  after grading).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from grader import batch as batch_module
from grader import render
from grader.gradebook import Gradebook
from grader.model import Override, SimilarityMatch
from grader.rubric import load_rubric

import factories
from factories import cli

CORRECT = factories.CORRECT_SOURCE
NO_SHIFT = CORRECT.replace("x - np.max(x, axis=-1, keepdims=True)", "x")
TRANSPOSED = CORRECT.replace("np.outer(delta, predicted)", "np.outer(predicted, delta)")
#: Student text with HTML specials, in what it prints and in its failures' messages.
HTML_SPECIALS = ("print('<script>alert(1)</script> & \"quotes\" <b>')\n"
                 + CORRECT.replace("    y_hat = softmax(", "    raise ValueError('<i>&amp;</i>')\n    y_hat = softmax("))
SYNTAX_ERROR = "def softmax(x:\n    return x\n"
SUBMISSIONS = {
    "alice.py": CORRECT,
    "bob.py": NO_SHIFT,
    "carol.py": TRANSPOSED,
    "dave.py": SYNTAX_ERROR,
    "erin.py": HTML_SPECIALS,
    "zed.py": CORRECT,
    "Zed.py": NO_SHIFT,  # the same id but for case: one of them becomes zed-2
    "not a zip.zip": "this is not a zip file",  # status "error"
}
RUBRIC = load_rubric(None)
QUESTIONS = [q.id for q in RUBRIC.questions]


def batch_files(out: Path) -> tuple[bytes, bytes]:
    return (out / "grades.csv").read_bytes(), (out / "summary.html").read_bytes()


def assert_same_as_reread(out: Path) -> None:
    """The batch's grades.csv and summary.html are those written by reading every result back."""
    streamed = batch_files(out)
    batch_module.finish(out, rubric_title=RUBRIC.title, questions=QUESTIONS)
    assert batch_files(out) == streamed


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The submissions whose result.json the end of a batch read back."""
    seen: list[str] = []
    real = batch_module.read_result

    def read_result(path):
        seen.append(path.parent.name)
        return real(path)

    monkeypatch.setattr(batch_module, "read_result", read_result)
    return seen


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    for name, code in SUBMISSIONS.items():
        (folder / name).write_text(code)
    return folder


# --------------------------------------------------------------------------- result.json


def test_result_json_is_one_line_holding_the_same_document(subs, tmp_path):
    out = tmp_path / "out"
    code, _, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress")
    assert code == 0, err
    for path in out.glob("*/result.json"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n") and text.count("\n") == 1, path
        doc = json.loads(text)
        assert doc["schema"] == "grader.result/1"
        result = batch_module.read_result(path)
        assert result is not None and result.to_dict() == doc


def test_result_json_keeps_text_as_written_and_escapes_nothing_more():
    r = factories.hostile()
    text = batch_module.result_json(r.to_dict())
    assert json.loads(text) == json.loads(json.dumps(r.to_dict(), indent=2, ensure_ascii=False))
    assert factories.UNICODE.split()[0] in text  # not \u-escaped: ensure_ascii is off, as before
    assert text.count("\n") == 1


# --------------------------------------------------------------------------- report.html


def _varied_results():
    heat = ((0.0, 0.25, 1.0), (0.5, 0.0, 0.0))
    student_text = factories.failed("softmax/html", case=f"rows {factories.SCRIPT} & <b>",
                                    mismatch=factories.values_mismatch(heat=heat))
    out = [*factories.batch(), factories.mixed("bob-2"), factories.errors("carol-2"),
           factories.result("html", [factories.question("softmax", [student_text, factories.passed("softmax/a")])])]
    return out


def test_reused_check_blocks_give_the_page_rendered_without_them():
    results = _varied_results()
    uncached = [render.report(r, rubric_title="W2V <1>", blocks=None) for r in results]
    cache = render.BlockCache()
    for attempt in range(2):  # the first time the blocks are rendered, the second they are reused
        for r, page in zip(results, uncached):
            assert render.report(r, rubric_title="W2V <1>", blocks=cache) == page, (attempt, r.submission)
    assert cache.hits > 0 and len(cache) > 0
    # and in a different order, through the process's own cache (the default)
    for r, page in reversed(list(zip(results, uncached))):
        assert render.report(r, rubric_title="W2V <1>") == page
    # the heat map of a failing check, and the student's text escaped in the reused block
    html = render.report(results[-1], blocks=cache)
    assert "heat map of the mismatched elements" in html
    assert factories.SCRIPT not in html and "&lt;script&gt;" in html


def test_the_block_cache_is_bounded_and_tells_equal_looking_values_apart():
    cache = render.BlockCache(max_entries=3)
    checks = [factories.passed(f"softmax/{i}") for i in range(10)]
    for c in checks:
        cache.block(c, None, ())
    assert len(cache) == 3
    assert cache.block(checks[-1], None, ()) == render._check_block(checks[-1], None, ()) and cache.hits == 1
    # 1 == 1.0 == True and 0.0 == -0.0, but they are different keys
    c = factories.passed("softmax/x")
    before = cache.misses
    for score in (1, 1.0, True, 0.0, -0.0):
        cache.block(replace(c, score=score), None, ())
    assert cache.misses - before == 5
    # a block longer than max_chars is rendered but not kept
    small = render.BlockCache(max_chars=10)
    assert small.block(c, None, ()) == render._check_block(c, None, ())
    assert len(small) == 0


# --------------------------------------------------------------------------- grades.csv and summary.html


def test_batch_files_from_streamed_results_are_those_read_back(subs, tmp_path, reads):
    out = tmp_path / "out"
    code, _, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress")
    assert code == 0, err
    ids = sorted(p.parent.name for p in out.glob("*/result.json"))
    assert {"Zed", "zed-2", "not_a_zip"} <= set(ids) and len(ids) == len(SUBMISSIONS)
    assert reads == []  # a fresh batch reads none of its results back
    statuses = {r["status"] for r in json.loads("[" + ",".join(
        (out / i / "result.json").read_text() for i in ids) + "]")}
    assert statuses == {"graded", "error"}
    assert_same_as_reread(out)

    # A person's override, then a regrade of everything: the override holds over the regrade.
    code, _, err = cli("override", out, "bob", "--score", "1.5", "--note", "<i>read it</i> & agreed")
    assert code == 0, err
    reads.clear()
    code, _, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress", "--force")
    assert code == 0, err
    assert reads == []
    assert b"bob" in batch_files(out)[0] and "read it" in (out / "bob" / "report.html").read_text()
    assert_same_as_reread(out)

    # Resumed: one new submission; the others are unchanged, and only theirs are read back.
    (subs / "frank.py").write_text(TRANSPOSED)
    reads.clear()
    code, stdout, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress")
    assert code == 0, err
    assert "frank:" in stdout and "alice:" not in stdout
    assert sorted(reads) == ids
    assert_same_as_reread(out)


def _write_result_json_fails_for(victim, monkeypatch):
    real = batch_module.write_atomic

    def write_atomic(path, text):
        if path.parent.name == victim and path.name == "result.json":
            raise OSError(28, "No space left on device")
        return real(path, text)

    monkeypatch.setattr(batch_module, "write_atomic", write_atomic)


def _gradebook_row_fails_for(victim, monkeypatch):
    real = Gradebook.record

    def record(self, submission, result):
        if result.submission == victim:
            raise RuntimeError("the gradebook row could not be written")
        return real(self, submission, result)

    monkeypatch.setattr(Gradebook, "record", record)


def _everything_fails_for(victim, monkeypatch):
    """Neither the result nor the error result can be written: the earlier result.json stays."""
    _write_result_json_fails_for(victim, monkeypatch)
    real = batch_module.write_error_result

    def write_error_result(out, result, **kw):
        if result.submission == victim:
            raise OSError(28, "No space left on device")
        return real(out, result, **kw)

    monkeypatch.setattr(batch_module, "write_error_result", write_error_result)


def _error_result_left_broken_for(victim, monkeypatch):
    """The result is written, its gradebook row fails, and the error result is left half written."""
    _gradebook_row_fails_for(victim, monkeypatch)
    real = batch_module.write_error_result

    def write_error_result(out, result, **kw):
        if result.submission == victim:
            (out / victim / "result.json").write_text('{"schema": "grader.result/1", "subm')
            raise OSError(28, "No space left on device")
        return real(out, result, **kw)

    monkeypatch.setattr(batch_module, "write_error_result", write_error_result)


@pytest.mark.parametrize("failure", [_write_result_json_fails_for, _gradebook_row_fails_for, _everything_fails_for,
                                     _error_result_left_broken_for])
def test_batch_files_after_a_failure_after_grading_are_those_read_back(failure, tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice.py", "bob.py", "carol.py"):
        (subs / name).write_text(NO_SHIFT if name == "bob.py" else CORRECT)
    out = tmp_path / "out"
    code, _, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress")
    assert code == 0, err
    (subs / "bob.py").write_text(TRANSPOSED)  # bob's earlier result is on disk, his new one fails
    failure("bob", monkeypatch)
    code, _, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress", "--force")
    assert code == 0, err
    grades = batch_files(out)[0].decode()
    bob = batch_module.read_result(out / "bob" / "result.json")
    if bob is None:  # a broken result.json: the submission is left out, as when reading back
        assert "\nbob," not in grades
    else:
        assert f"\nbob,{bob.score:g},{bob.max_score:g},{bob.status}," in grades
    assert_same_as_reread(out)


def test_batch_files_unit(tmp_path):
    """BatchFiles on its own: kept, forgotten, added twice, on disk only, integer scores."""
    out = tmp_path / "out"
    out.mkdir()
    results = [*factories.batch(), factories.mixed("bob-2")]
    results[1] = replace(results[1], overrides=(Override("softmax", 0.5, 0.0, note="<b>ok</b>", by="ta"),),
                         similarity=(SimilarityMatch("alice", "submission", 0.91),
                                     SimilarityMatch("old/x.py", "source", 0.5)),
                         looks_like="cs224n-2017", rubric_reason="given; this one looks like cs224n <2017>")
    results[0] = replace(results[0], score=10, max_score=10)  # integers: read back, they are floats
    for r in results:
        batch_module.write_result(out, r, rubric_title="T")
    with batch_module.BatchFiles(out, questions=["softmax", "cross_entropy", "nope"], rubric_title="T") as files:
        files.add(results[0])
        files.add(replace(results[1], score=0.0))  # replaced below: the last line of an id wins
        files.add(results[1])
        files.add(results[2])
        files.forget(results[2].submission)  # read back from its result.json
        files.add(results[-1])
        # the others were written by an earlier run: read back
        files.write()
    streamed = batch_files(out)
    batch_module.finish(out, rubric_title="T", questions=["softmax", "cross_entropy", "nope"])
    assert batch_files(out) == streamed
    assert b"similarity.html#" in streamed[1] and b"cs224n-2017" in streamed[1]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the kept lines leave no file


def test_grade_with_similarity_writes_the_batch_files_once(subs, tmp_path, monkeypatch):
    pytest.importorskip("copydetect")
    calls: list[str] = []
    real_finish, real_write = batch_module.finish, batch_module.BatchFiles.write
    monkeypatch.setattr(batch_module, "finish", lambda *a, **kw: (calls.append("finish"), real_finish(*a, **kw)))
    monkeypatch.setattr(batch_module.BatchFiles, "write",
                        lambda self: (calls.append("streamed"), real_write(self)))
    out = tmp_path / "out"
    code, _, err = cli("grade", subs, "--out", out, "--jobs", "2", "--no-progress", "--similarity")
    assert code == 0, err
    assert calls == ["finish"]
    assert b'id="similarity"' in batch_files(out)[1] or (out / "similarity.html").is_file()
