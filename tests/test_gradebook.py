"""Tests of the SQLite gradebook: rows, what counts as current, commits that survive, threads."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from grader.gradebook import CACHE_KIB, FILENAME, SCHEMA_VERSION, Gradebook, open_gradebook
from grader.model import Submission

from factories import all_pass, mixed, submission_error

WHEN = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def sub(sid: str, digest: str = "d1", late: bool = False) -> Submission:
    return Submission(id=sid, source=f"{sid}.py", kind="module", digest=digest, late=late)


def put_result_json(out, sid: str) -> None:
    (out / sid).mkdir(parents=True, exist_ok=True)
    (out / sid / "result.json").write_text("{}")


@pytest.fixture
def gb(tmp_path):
    with open_gradebook(tmp_path, "rubric-1", "0.1.0", now=lambda: WHEN) as g:
        yield g


def test_record_stores_one_row_per_submission_and_per_check(gb, tmp_path):
    r = mixed("bob")
    gb.record(sub("bob", "abc"), r)
    row = gb.get("bob")
    assert row is not None
    assert (row.id, row.digest, row.rubric_digest, row.grader_version) == ("bob", "abc", "rubric-1", "0.1.0")
    assert (row.status, row.score, row.max_score, row.late) == (r.status, r.score, r.max_score, r.late)
    assert row.graded_at == "2024-05-01T12:00:00+00:00"
    checks = gb.checks("bob")
    assert sorted(c.check_id for c in checks) == sorted(c.id for c in r.checks())
    by_id = {c.id: c for c in r.checks()}
    for c in checks:
        assert (c.status, c.score, c.max_score, c.mistake) == (
            by_id[c.check_id].status, by_id[c.check_id].score, by_id[c.check_id].max_score, by_id[c.check_id].mistake)
    assert any(c.mistake for c in checks), "the factory's mixed result names a mistake"
    assert (tmp_path / FILENAME).is_file()


def test_recording_again_replaces_the_row_and_its_checks(gb):
    gb.record(sub("bob", "v1"), mixed("bob"))
    gb.record(sub("bob", "v2"), submission_error("bob"))
    assert gb.count() == 1
    assert gb.get("bob").digest == "v2"
    assert gb.get("bob").status == "error"
    assert [c.check_id for c in gb.checks("bob")] == sorted(c.id for c in submission_error("bob").checks())


def test_current_needs_same_digest_rubric_version_lateness_and_result_json(tmp_path):
    with Gradebook(tmp_path / FILENAME, "rubric-1", "0.1.0") as gb:
        gb.record(sub("alice", "d1"), all_pass("alice"))
        assert not gb.is_current(sub("alice", "d1"), tmp_path), "no result.json yet"
        put_result_json(tmp_path, "alice")
        assert gb.is_current(sub("alice", "d1"), tmp_path)
        assert not gb.is_current(sub("alice", "d2"), tmp_path), "content changed"
        assert not gb.is_current(sub("alice", "d1", late=True), tmp_path), "lateness changed"
        assert not gb.is_current(sub("nobody", "d1"), tmp_path), "never graded"
        assert not gb.is_current(sub("alice", ""), tmp_path), "no digest: never current"
    with Gradebook(tmp_path / FILENAME, "rubric-2", "0.1.0") as gb:
        assert not gb.is_current(sub("alice", "d1"), tmp_path), "rubric changed"
    with Gradebook(tmp_path / FILENAME, "rubric-1", "0.2.0") as gb:
        assert not gb.is_current(sub("alice", "d1"), tmp_path), "grader version changed"
    with Gradebook(tmp_path / FILENAME, "rubric-1", "0.1.0") as gb:
        assert gb.is_current(sub("alice", "d1"), tmp_path), "reopened: still current"
        (tmp_path / "alice" / "result.json").unlink()
        assert not gb.is_current(sub("alice", "d1"), tmp_path), "result.json deleted"


def test_rows_are_committed_as_recorded_and_visible_to_another_connection(gb, tmp_path):
    gb.record(sub("alice"), all_pass("alice"))
    # A second connection (another process after kill -9) sees the row without any close.
    other = sqlite3.connect(str(tmp_path / FILENAME))
    try:
        assert other.execute("select id, status from submissions").fetchall() == [("alice", "graded")]
        assert other.execute("pragma journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()


def test_rows_yields_every_row_sorted_across_pages(gb):
    ids = [f"s{i:04d}" for i in range(1203)]
    for sid in reversed(ids):
        gb.record(sub(sid), replace(all_pass(sid), questions=()))
    assert [r.id for r in gb.rows()] == ids


def test_record_from_many_threads(gb):
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(40):
                sid = f"t{k}-{i}"
                gb.record(sub(sid, f"d{i}"), mixed(sid))
                gb.is_current(sub(sid, f"d{i}"), "/nonexistent")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert gb.count() == 240
    assert len(gb.checks("t5-39")) == len(mixed("x").checks())


def test_the_page_cache_is_bounded_whatever_the_size_of_the_gradebook(gb):
    # SQLite's default cache (2 MiB) fills as the database grows: the grader's memory would
    # grow with the batch.  The cache is set when the connection opens and stays set.
    for i in range(300):
        gb.record(sub(f"s{i:04d}"), mixed(f"s{i:04d}"))
    assert gb._db.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
    assert 0 < CACHE_KIB <= 512


def test_a_failed_record_leaves_the_earlier_row(gb):
    gb.record(sub("bob", "v1"), mixed("bob"))
    bad = replace(mixed("bob"), score=object())  # not a number: float() raises inside the transaction
    with pytest.raises(TypeError):
        gb.record(sub("bob", "v2"), bad)
    assert gb.get("bob").digest == "v1"
    assert len(gb.checks("bob")) == len(mixed("bob").checks())
    gb.record(sub("bob", "v3"), mixed("bob"))  # the connection is still usable
    assert gb.get("bob").digest == "v3"


def test_another_schema_version_is_rebuilt(tmp_path):
    with Gradebook(tmp_path / FILENAME, "r", "v") as gb:
        gb.record(sub("alice"), all_pass("alice"))
    db = sqlite3.connect(str(tmp_path / FILENAME))
    db.execute("update meta set value = ? where key = 'schema'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with Gradebook(tmp_path / FILENAME, "r", "v") as gb:
        assert gb.count() == 0
        gb.record(sub("alice"), all_pass("alice"))
        assert gb.count() == 1


def test_ids_given_are_remembered_for_any_name_a_disk_can_hold(tmp_path):
    from grader.gradebook import known_ids

    names = {"alice": "alice", "caf\udce9": "caf_", "a b": "a_b", "\u5f20\u4e09": "x5f20x4e09"}
    with Gradebook(tmp_path / FILENAME, "r1", "0.1.0") as gb:
        gb.remember_ids(names)
        gb.remember_ids({"alice": "alice-2"})  # a name keeps the id it was first given
    assert known_ids(tmp_path) == names
    assert known_ids(tmp_path / "nowhere") == {}
    # reading them leaves no journal files behind (the similarity check reads them last)
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILENAME]

