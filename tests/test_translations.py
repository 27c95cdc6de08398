"""The cache of Python 2 translations (grader/translations.py): keyed by the text's digest, in memory
and on disk, bounded, written atomically, a damaged entry ignored; `GRADER_TRANSLATION_CACHE`."""

from __future__ import annotations

import json
import os
import stat

import pytest

from grader import load, transform, translations
from grader.cli import main

PY2 = "import numpy as np\n\ndef softmax(x):\n    print 'softmax', x\n    return x / 2\n"


@pytest.fixture
def requests(monkeypatch):
    """Count the requests that reach the text helper."""
    seen = []
    real = transform.Helper.request
    monkeypatch.setattr(transform.Helper, "request", lambda self, r, t: seen.append(r["op"]) or real(self, r, t))
    return seen


def _entries(folder) -> list[str]:
    return sorted(p.name for p in os.scandir(folder) if p.name.endswith(".json") and not p.name.startswith(".tmp-"))


def test_the_same_text_is_translated_once_then_read_from_memory(tmp_path, requests):
    (tmp_path / "a.py").write_text(PY2)
    first = load.load(tmp_path / "a.py")
    again = load.load(tmp_path / "a.py")
    assert requests == ["python2"]
    assert first.files == again.files and again.files[0].translated
    assert "print('softmax', x)" in again.files[0].text
    assert again.notes == first.notes


def test_a_later_run_reads_the_translation_from_disk(tmp_path, requests, monkeypatch):
    (tmp_path / "a.py").write_text(PY2)
    first = load.load(tmp_path / "a.py")
    folder = os.environ["GRADER_TRANSLATION_CACHE"]
    assert len(_entries(folder)) == 1
    translations.clear_memory()  # as a new process would start
    again = load.load(tmp_path / "a.py")
    assert requests == ["python2"] and again.files == first.files


def test_another_name_or_text_is_another_entry(tmp_path, requests):
    (tmp_path / "a.py").write_text(PY2)
    (tmp_path / "b.py").write_text(PY2)  # the name is in the diff shown to the student
    (tmp_path / "c.py").write_text(PY2.replace("/ 2", "/ 3"))
    subs = [load.load(tmp_path / n) for n in ("a.py", "b.py", "c.py")]
    assert requests == ["python2"] * 3
    assert "b.py (as handed in)" in subs[1].files[0].translation_diff
    assert "/ 3" in subs[2].files[0].text


def test_notebook_cells_are_cached_too(tmp_path, requests):
    cells = [{"cell_type": "code", "metadata": {}, "source": "%matplotlib inline\nx = 1", "outputs": [],
              "execution_count": 1}]
    (tmp_path / "a.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    first = load.load(tmp_path / "a.ipynb")
    again = load.load(tmp_path / "a.ipynb")
    assert requests == ["cell"] and first.files == again.files


def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path, requests):
    (tmp_path / "a.py").write_text(PY2)
    first = load.load(tmp_path / "a.py")
    folder = os.environ["GRADER_TRANSLATION_CACHE"]
    (name,) = _entries(folder)
    for damage in (b"{not json", b'{"key": "another", "result": null}', b"[]"):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(damage)
        translations.clear_memory()
        again = load.load(tmp_path / "a.py")
        assert again.files == first.files and again.error is None
    assert requests == ["python2"] * 4
    assert json.loads(open(os.path.join(folder, name)).read())["key"] == name[:-5]  # written back whole


def test_a_failed_translation_is_not_kept(tmp_path, monkeypatch, requests):
    (tmp_path / "a.py").write_text(PY2)
    monkeypatch.setattr(transform, "CALL_TIMEOUT", 0.0001)
    assert load.load(tmp_path / "a.py").error is not None
    monkeypatch.setattr(transform, "CALL_TIMEOUT", 10.0)
    assert load.load(tmp_path / "a.py").error is None
    assert len(requests) == 2
    assert len(_entries(os.environ["GRADER_TRANSLATION_CACHE"])) == 1


def test_off_keeps_nothing_on_disk(tmp_path, monkeypatch, requests):
    monkeypatch.setenv("GRADER_TRANSLATION_CACHE", "off")
    (tmp_path / "a.py").write_text(PY2)
    load.load(tmp_path / "a.py")
    translations.clear_memory()
    load.load(tmp_path / "a.py")
    assert requests == ["python2", "python2"]


def test_the_default_folder_is_under_xdg_cache_home_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADER_TRANSLATION_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    translations.clear_memory()
    assert translations.folder() == tmp_path / "xdg" / "grader" / "translations"
    assert stat.S_IMODE((tmp_path / "xdg" / "grader" / "translations").stat().st_mode) == 0o700


def test_a_folder_others_can_write_to_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("GRADER_TRANSLATION_CACHE", str(shared))
    translations.clear_memory()
    assert translations.folder() is None
    (tmp_path / "a.py").write_text(PY2)
    assert load.load(tmp_path / "a.py").files[0].translated
    assert list(shared.iterdir()) == []


def test_the_disk_cache_is_bounded_oldest_first(tmp_path):
    for i in range(10):
        p = tmp_path / f"{i:02d}.json"
        p.write_text("x" * 100)
        os.utime(p, (1000 + i, 1000 + i))
    (tmp_path / ".tmp-dead.json").write_text("x")
    os.utime(tmp_path / ".tmp-dead.json", (1000, 1000))
    translations.trim_disk(tmp_path, max_entries=6, max_bytes=10_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i:02d}.json" for i in range(4, 10)]
    translations.trim_disk(tmp_path, max_entries=100, max_bytes=350)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["07.json", "08.json", "09.json"]


def test_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(translations, "MAX_ENTRIES", 3)
    monkeypatch.setenv("GRADER_TRANSLATION_CACHE", "off")
    for i in range(5):
        translations.put(f"k{i}", {"n": i})
    assert translations.get("k0") is None and translations.get("k1") is None
    assert translations.get("k4") == ({"n": 4},)


def test_the_key_depends_on_the_translators_version(monkeypatch):
    request = {"op": "python2", "text": PY2, "name": "a.py", "translate": True}
    k = translations.key(request)
    monkeypatch.setattr(translations, "_version", "another")
    assert translations.key(request) != k


def test_grade_twice_through_the_cli_translates_once(tmp_path, requests, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(3):
        (subs / f"s{i}.py").write_text(PY2.replace("/ 2", "/ 2  # same"))  # three different names
    for run in ("out1", "out2"):
        rc = main(["grade", str(subs), "--out", str(tmp_path / run), "--no-progress", "--jobs", "1"])
        assert rc == 0
    assert requests == ["python2"] * 3  # the second run read all three from the cache
    r1 = json.loads((tmp_path / "out1" / "s0" / "result.json").read_text())
    r2 = json.loads((tmp_path / "out2" / "s0" / "result.json").read_text())
    assert r1["score"] == r2["score"] and r1["notes"] == r2["notes"]
