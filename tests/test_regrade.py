"""Regrading after a rubric fix, through the command line: only the questions the fix affects are graded again."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from grader import batch as batch_module
from grader.gradebook import FILENAME
from grader.rubric import load_rubric
from grader.sandbox import Sandbox

from factories import cli

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HONEST = HERE / "submissions" / "honest" / "vectorised"
MISTAKES = HERE / "submissions" / "mistakes"
TOML = (ROOT / "rubrics" / "word2vec.toml").read_text(encoding="utf-8")
#: softmax's check "stable-vector" as the built-in rubric has it, and fixed to be worth 1.5 points
STABLE = '[questions.softmax.checks.stable-vector]\ncase = "large-vector"\n'
FIXED = STABLE + "points = 1.5\n"
#: every call the built-in rubric makes of a submission (28 checks, the consistency check's numerical gradients)
SOFTMAX_CALLS = {"softmax:vector", "softmax:matrix", "softmax:one-row", "softmax:shifted", "softmax:large-positive",
                 "softmax:large-negative", "softmax:large-vector", "softmax:mixed-offsets", "softmax:wide",
                 "softmax:hidden-matrix", "softmax:hidden-mixed"}


def result(out: Path, sid: str) -> dict:
    return json.loads((out / sid / "result.json").read_text(encoding="utf-8"))


@pytest.fixture
def made(monkeypatch) -> list[tuple[str, tuple[str, ...]]]:
    """Every sandbox run of the test: (submission id, the ids of the calls it was asked to make)."""
    runs: list[tuple[str, tuple[str, ...]]] = []
    real = Sandbox.run

    def spy(self, submission, calls, **kw):
        runs.append((submission.id, tuple(c.id for c in calls)))
        return real(self, submission, calls, **kw)

    monkeypatch.setattr(Sandbox, "run", spy)
    return runs


def calls_by_submission(runs) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for sid, ids in runs:
        out.setdefault(sid, set()).update(ids)
    return out


@pytest.fixture
def batch(tmp_path: Path, made) -> tuple[Path, Path, Path]:
    """A TA's own copy of the word2vec rubric, three submissions graded with it: (rubric, submissions, results)."""
    folder = tmp_path / "rubric"
    folder.mkdir()
    shutil.copy(ROOT / "reference" / "word2vec.py", folder / "word2vec.py")
    rubric = folder / "word2vec.toml"
    rubric.write_text(TOML.replace('reference = "../reference/word2vec.py"', 'reference = "word2vec.py"')
                      .replace('starter_dir = "word2vec/starter"',
                               f'starter_dir = "{(ROOT / "rubrics" / "word2vec" / "starter").as_posix()}"'),
                      encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copytree(HONEST, subs / "alice")
    shutil.copy(MISTAKES / "softmax-no-max-shift.py", subs / "bob.py")
    shutil.copy(MISTAKES / "grad-output-transposed.py", subs / "carol.py")
    out = tmp_path / "results"
    code, _, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    every = calls_by_submission(made)
    assert set(every) == {"alice", "bob", "carol"} and SOFTMAX_CALLS < every["alice"]
    made.clear()
    return rubric, subs, out


def fix(rubric: Path, old: str, new: str) -> None:
    text = rubric.read_text(encoding="utf-8")
    assert text.count(old) == 1
    rubric.write_text(text.replace(old, new), encoding="utf-8")


def test_a_rubric_fix_regrades_only_the_question_it_changed(batch, made, tmp_path):
    rubric, subs, out = batch
    before = {sid: result(out, sid) for sid in ("alice", "bob", "carol")}
    fix(rubric, STABLE, FIXED)
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    # the sandbox made softmax's calls only, every one of them, for each submission
    assert calls_by_submission(made) == {sid: SOFTMAX_CALLS for sid in ("alice", "bob", "carol")}
    for sid, old in before.items():
        new = result(out, sid)
        assert new["regrade"] == {
            "previous_score": old["score"], "previous_max_score": 20.0, "previous_status": "graded",
            "previous_rubric": new["regrade"]["previous_rubric"], "questions": ["softmax"], "full": False,
            "reason": "changed: softmax"}
        assert new["max_score"] == 21.0
        # the other questions' verdicts are the earlier ones, word for word
        assert [q for q in new["questions"] if q["id"] != "softmax"] == [q for q in old["questions"]
                                                                           if q["id"] != "softmax"]
    assert [result(out, s)["score"] for s in ("alice", "bob", "carol")] == [21.0, before["bob"]["score"], 16.0]
    assert before["alice"]["score"] == 20.0 and before["carol"]["score"] == 15.0
    # each line says the score before
    assert "alice: 21 / 21, 28 of 28 checks passed; 20 / 20 before the rubric change (regraded: softmax)" in said
    assert re.search(r"^carol: 16 / 21, .*; 15 / 20 before the rubric change \(regraded: softmax\)$", said, re.M)
    assert "; 3 regraded after a rubric change (3 on the questions it affects only)" in err
    # summary.html: before and after, per submission
    page = (out / "summary.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="regraded">'):page.index("</section>", page.index('id="regraded"'))]
    assert "<b>3</b> regraded after a rubric change" in page
    rows = re.findall(r'<tr><td class="id"><a href="[^"]*">([^<]*)</a></td><td class="num">([^<]*)</td>'
                      r'<td class="num">([^<]*)</td><td class="num"[^>]*>([^<]*)</td><td class="small">([^<]*)</td>',
                      section)
    assert rows == [("alice", "20 / 20", "21 / 21", "+1", "softmax"),
                    ("bob", f"{before['bob']['score']:g} / 20", f"{before['bob']['score']:g} / 21", "0", "softmax"),
                    ("carol", "15 / 20", "16 / 21", "+1", "softmax")]
    # the batch's own files (kept as its results were written) are those read back from every result
    streamed = (out / "grades.csv").read_bytes(), page
    fixed = load_rubric(rubric)
    batch_module.finish(out, rubric_title=fixed.title, questions=[q.id for q in fixed.questions])
    assert ((out / "grades.csv").read_bytes(), (out / "summary.html").read_text(encoding="utf-8")) == streamed
    # the same verdicts as grading the batch afresh with the fixed rubric
    fresh = tmp_path / "fresh"
    assert cli("grade", subs, "--out", fresh, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    for sid in ("alice", "bob", "carol"):
        a, b = result(out, sid), result(fresh, sid)
        for d in (a, b):
            d.pop("seconds"), d.pop("regrade", None)
        assert a == b
    # the gradebook keeps both rubrics' digests
    with sqlite3.connect(out / FILENAME) as db:
        assert db.execute("select count(distinct rubric_digest) from rubric_questions").fetchone()[0] == 2
    # once more with nothing changed: nothing runs, and the regrade is still shown
    made.clear()
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0 and made == [] and "unchanged 3" in err
    assert result(out, "alice")["regrade"]["questions"] == ["softmax"]
    assert (out / "summary.html").read_text(encoding="utf-8") == page


#: the grad_output question of the built-in rubric, its checks included (up to the consistency table)
GRAD_OUTPUT = TOML[TOML.index("[questions.grad_output]"):TOML.index("# ----", TOML.index("[questions.grad_output]"))]


def test_a_question_added_is_graded_without_the_questions_it_does_not_affect(batch, made, tmp_path):
    rubric, subs, out = batch
    full = rubric.read_text(encoding="utf-8")
    # The batch as first graded without grad_output (a fresh results folder), then the question added.
    fix(rubric, GRAD_OUTPUT, "")
    first = tmp_path / "first"
    code, _, err = cli("grade", subs, "--out", first, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    before = {sid: result(first, sid) for sid in ("alice", "bob", "carol")}
    assert all(r["max_score"] == 15.0 and "grad_output" not in {q["id"] for q in r["questions"]}
               for r in before.values())
    made.clear()
    rubric.write_text(full, encoding="utf-8")
    code, said, err = cli("grade", subs, "--out", first, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    # only the calls grad_output's checks need (the cost function's, on their cases), for each submission
    cases = sorted(re.findall(r'^case = "([^"]+)"', GRAD_OUTPUT, re.M))
    assert {sid: sorted(ids) for sid, ids in calls_by_submission(made).items()} == {
        sid: sorted(f"cost_and_grad:{c}" for c in cases) for sid in ("alice", "bob", "carol")}
    fresh = tmp_path / "fresh"
    assert cli("grade", subs, "--out", fresh, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    for sid, old in before.items():
        new = result(first, sid)
        # cross_entropy and grad_pred share grad_output's calls, which it changed (a longer
        # timeout for large-vocab): graded again too, on the same calls; softmax is kept
        assert new["regrade"]["full"] is False
        assert new["regrade"]["questions"] == ["cross_entropy", "grad_pred", "grad_output"]
        assert new["regrade"]["reason"] == "added: grad_output; changed: cross_entropy, grad_pred"
        assert new["max_score"] == 20.0
        assert [q for q in new["questions"] if q["id"] == "softmax"] == [q for q in old["questions"]
                                                                         if q["id"] == "softmax"]
        # the same verdicts as grading afresh with the whole rubric
        again = result(fresh, sid)
        for d in (new, again):
            d.pop("seconds"), d.pop("regrade", None)
        assert new == again
    assert "(regraded: cross_entropy, grad_pred, grad_output)" in said
    assert "; 3 regraded after a rubric change (3 on the questions it affects only)" in err


def test_a_shared_setting_regrades_every_question(batch, made):
    rubric, subs, out = batch
    fix(rubric, "memory_mb = 1024", "memory_mb = 1000")
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    runs = calls_by_submission(made)
    assert SOFTMAX_CALLS < runs["alice"] and any(c.startswith("numgrad:") for c in runs["alice"])
    r = result(out, "alice")["regrade"]
    assert r["full"] is True and r["questions"] == ["softmax", "cross_entropy", "grad_pred", "grad_output",
                                                     "consistency"]
    assert r["reason"].startswith("what every question shares changed ([settings]")
    assert "alice: 20 / 20, 28 of 28 checks passed; 20 / 20 before the rubric change (every question regraded: " \
           "what every question shares changed" in said
    assert "; 3 regraded after a rubric change (0 on the questions it affects only)" in err
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "every question (what every question shares changed" in page


def test_force_regrades_every_question_and_still_says_the_score_before(batch, made):
    rubric, subs, out = batch
    fix(rubric, STABLE, FIXED)
    assert cli("grade", subs, "--out", out, "--rubric", rubric, "--force", "--jobs", "1", "--no-progress")[0] == 0
    assert SOFTMAX_CALLS < calls_by_submission(made)["carol"] != SOFTMAX_CALLS
    r = result(out, "carol")
    assert r["score"] == 16.0 and r["regrade"]["full"] is True and r["regrade"]["previous_score"] == 15.0
    assert r["regrade"]["reason"] == "--force (or --only) grades every question"


def test_overrides_hold_over_a_partial_regrade(batch, made):
    rubric, subs, out = batch
    assert cli("override", out, "carol", "grad_output", "--score", 4, "--note", "right on paper", "--by", "ta")[0] == 0
    assert cli("override", out, "carol", "softmax", "--score", 3, "--note", "generous", "--by", "ta")[0] == 0
    assert result(out, "carol")["score"] == 16.0  # softmax 3 (of 6), cross_entropy 4, grad_pred 5, grad_output 4
    fix(rubric, STABLE, FIXED)
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    assert calls_by_submission(made)["carol"] == SOFTMAX_CALLS
    r = result(out, "carol")
    overrides = {o["question"]: o for o in r["overrides"]}
    # softmax was regraded: its automatic score moved (6 -> 7), the person's holds and asks for a look
    assert overrides["softmax"]["score"] == 3 and overrides["softmax"]["auto_score"] == 7
    assert overrides["softmax"]["review"] is True
    # grad_output was not: its override holds, nothing to review
    assert overrides["grad_output"]["score"] == 4 and overrides["grad_output"]["review"] is False
    scores = {q["id"]: q["score"] for q in r["questions"]}
    assert scores["softmax"] == 3 and scores["grad_output"] == 4 and r["score"] == sum(scores.values()) == 16.0
    assert r["regrade"]["previous_score"] == 16.0 and r["regrade"]["questions"] == ["softmax"]
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert page.count('<span class="badge fail">review</span>') == 1


def test_a_previous_result_that_cannot_be_read_is_graded_whole(batch, made):
    rubric, subs, out = batch
    (out / "bob" / "result.json").write_text("{not json", encoding="utf-8")
    fix(rubric, STABLE, FIXED)
    assert cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    runs = calls_by_submission(made)
    assert SOFTMAX_CALLS < runs["bob"] and runs["alice"] == SOFTMAX_CALLS
    assert "regrade" not in result(out, "bob") and result(out, "alice")["regrade"]["questions"] == ["softmax"]


def test_a_fix_no_verdict_depends_on_runs_nothing(batch, made):
    rubric, subs, out = batch
    before = result(out, "bob")
    fix(rubric, 'title = "word2vec: softmax, cross-entropy cost and their gradients"',
        'title = "word2vec (fixed)"\n# a comment')
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    assert made == []  # no sandbox at all
    after = result(out, "bob")
    assert after["regrade"]["questions"] == [] and after["regrade"]["reason"] == "no question's checks changed"
    for d in (before, after):
        d.pop("seconds"), d.pop("regrade", None)
    assert after == before
    assert "before the rubric change (no question's checks changed, nothing regraded)" in said


def test_a_written_question_fixed_is_judged_again_without_running_any_code(tmp_path, made):
    from test_written_cli import CORRECT, DERIVATION

    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "q3_word2vec.py").write_text(CORRECT, encoding="utf-8")
    (subs / "alice" / "written.md").write_text("## grad_pred\n\n```\n" + DERIVATION + "\n```\n", encoding="utf-8")
    out = tmp_path / "results"
    rubric = tmp_path / "written.toml"
    rubric.write_text('extends = "written"\n', encoding="utf-8")
    assert cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    before = result(out, "alice")
    made.clear()
    rubric.write_text('extends = "written"\n\n[written.questions.grad_pred]\npoints = 3\n', encoding="utf-8")
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    assert made == []  # a written answer is text: judged in the grader's process, no sandbox
    after = result(out, "alice")
    assert after["regrade"]["questions"] == ["written/grad_pred"] and after["regrade"]["full"] is False
    assert after["score"] == before["score"] + 1 and after["max_score"] == before["max_score"] + 1
    fresh = tmp_path / "fresh"
    assert cli("grade", subs, "--out", fresh, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    again = result(fresh, "alice")
    for d in (after, again):
        d.pop("seconds"), d.pop("regrade", None)
    assert after == again


def test_the_consistency_verdicts_are_read_again_without_their_numerical_gradients(batch, made, tmp_path):
    """A gradient question fixed: its calls run again, the consistency comparisons do not, their verdicts change."""
    rubric, subs, out = batch
    shutil.copy(MISTAKES / "grad-output-sign-flipped.py", subs / "dave.py")
    assert cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    verdicts = {c["wrt"]: c["verdict"] for c in result(out, "dave")["consistency"] if c["case"] == "small"}
    assert verdicts == {"gradPred": "right", "grad": "gradient-wrong"}
    made.clear()
    # a tolerance so wide that dave's sign-flipped grad passes
    fix(rubric, '[questions.grad_output.checks.small]\ncase = "small"\n',
        '[questions.grad_output.checks.small]\ncase = "small"\natol = 1e3\n')
    code, said, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "1", "--no-progress")
    assert code == 0, err
    runs = calls_by_submission(made)
    assert set(runs) == {"alice", "bob", "carol", "dave"}
    assert all(ids and all(i.startswith("cost_and_grad:") for i in ids) for ids in runs.values())
    r = result(out, "dave")
    assert r["regrade"]["questions"] == ["grad_output"]
    verdicts = {c["wrt"]: c["verdict"] for c in r["consistency"] if c["case"] == "small"}
    assert verdicts == {"gradPred": "right", "grad": "right-but-apart"}
    fresh = tmp_path / "fresh"
    assert cli("grade", subs, "--out", fresh, "--rubric", rubric, "--jobs", "1", "--no-progress")[0] == 0
    for sid in ("alice", "bob", "carol", "dave"):
        a, b = result(out, sid), result(fresh, sid)
        for d in (a, b):
            d.pop("seconds"), d.pop("regrade", None)
        assert a == b, sid


def test_the_slots_wait_for_the_rubrics_digests_computed_while_their_sandboxes_start(batch, made, monkeypatch):
    # The digests are computed after the slots start (their sandboxes start meanwhile): a slot
    # that took its first submission before them would grade it whole, not as a regrade.
    import time

    from grader import regrade

    real = regrade.digests

    def slow(*a, **k):
        time.sleep(0.5)  # longer than a sandbox takes to start and a submission to load
        return real(*a, **k)

    monkeypatch.setattr(regrade, "digests", slow)
    rubric, subs, out = batch
    fix(rubric, STABLE, FIXED)
    code, _, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--jobs", "2", "--no-progress")
    assert code == 0, err
    assert calls_by_submission(made) == {sid: SOFTMAX_CALLS for sid in ("alice", "bob", "carol")}
    assert all(result(out, sid)["regrade"]["questions"] == ["softmax"] for sid in ("alice", "bob", "carol"))


def test_digests_that_cannot_be_computed_stop_the_batch_before_anything_is_graded(tmp_path, made, monkeypatch):
    import threading

    from grader import regrade
    from grader.gradebook import open_gradebook
    from grader.load import load_batch
    from grader.pipeline import prepare

    def broken(*a, **k):
        raise RuntimeError("digests broke")

    monkeypatch.setattr(regrade, "digests", broken)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copytree(HONEST, subs / "alice")
    shutil.copy(MISTAKES / "softmax-no-max-shift.py", subs / "bob.py")
    rubric = load_rubric("word2vec")
    out = tmp_path / "results"
    out.mkdir()
    before = threading.active_count()
    with open_gradebook(out, rubric.digest, "test") as gb, pytest.raises(RuntimeError, match="digests broke"):
        batch_module.grade_batch(load_batch(subs, rubric.settings), out, prepare(rubric), jobs=2, gradebook=gb)
    assert made == [] and not list(out.glob("*/result.json"))
    assert threading.active_count() == before  # the slots, loaders and writer have ended
