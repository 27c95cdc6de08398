"""The whole corpus through the real sandbox and CLI: every mistake loses points where it belongs, honest code gets full marks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.cli import main

HERE = Path(__file__).parent
MISTAKES = HERE / "submissions" / "mistakes"
HONEST = HERE / "submissions" / "honest"

#: Questions a one-mistake submission may lose points on (besides checks named with its own mistake).
CONCERNS = {
    # The student's cost calls the student's own softmax: a softmax mistake also breaks the cost
    # and gradients on the cases where it shows (e.g. overflow on the extreme case), unnamed there
    # when two mistakes would explain the same nan.
    "softmax": {"softmax", "cross_entropy", "grad_pred", "grad_output"},
    "cost": {"cross_entropy"},
    "grad-pred": {"grad_pred"},
    "grad-output": {"grad_output"},
    "returned-order": {"grad_pred", "grad_output"},
    "modified-input": {"softmax", "cross_entropy"},
}


def _concerns(name: str) -> set[str]:
    for prefix, questions in CONCERNS.items():
        if name.startswith(prefix):
            return questions
    raise AssertionError(f"no question is known for {name!r}")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    subs = tmp_path_factory.mktemp("corpus")
    for p in MISTAKES.glob("*.py"):
        shutil.copy(p, subs / p.name)
    for style in HONEST.iterdir():
        shutil.copytree(style, subs / f"honest-{style.name}")
    out = tmp_path_factory.mktemp("results")
    import io

    err = io.StringIO()
    code = main(["grade", str(subs), "--out", str(out), "--jobs", "2", "--json"], out=io.StringIO(), err=err)
    assert code == 0, err.getvalue()
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def _checks(result: dict) -> list[dict]:
    return [c for q in result["questions"] for c in q["checks"]]


@pytest.mark.parametrize("style", sorted(p.name for p in HONEST.iterdir() if p.name != "cs224n"))
def test_honest_styles_get_full_marks_without_hints(graded, style):
    r = graded[f"honest-{style}"]
    assert r["status"] == "graded"
    assert r["score"] == r["max_score"], [(c["id"], c["message"]) for c in _checks(r) if c["status"] != "pass"]
    assert all(c["hint"] is None and c["mistake"] is None for c in _checks(r))


MISTAKE_FILES = sorted(p.stem for p in MISTAKES.glob("*.py") if p.stem not in ("python2", "not-implemented"))


@pytest.mark.parametrize("name", MISTAKE_FILES)
def test_each_mistake_loses_points_only_where_it_belongs(graded, name):
    r = graded[name]
    failed = [c for c in _checks(r) if c["status"] != "pass"]
    assert failed, f"{name} lost no points"
    assert any(c["mistake"] == name for c in failed), f"{name} was never named"
    allowed = _concerns(name)
    for c in failed:
        question = c["id"].split("/")[0]
        assert question in allowed or c["mistake"] == name, (c["id"], c["message"])
        assert c["mistake"] in (name, None)
    lost = {q["id"] for q in r["questions"] if q["score"] < q["max_score"]}
    assert lost & allowed


def test_python2_code_is_translated_and_graded(graded):
    r = graded["python2"]
    assert r["score"] == r["max_score"]
    assert r["translated"] == ["python2.py"]
    assert any("was Python 2 code" in n for n in r["notes"])


def test_the_starter_placeholder_is_named_on_every_check(graded):
    r = graded["not-implemented"]
    assert r["score"] == 0 and r["status"] == "graded"
    messages = {c["message"] for c in _checks(r)}
    assert all("still raises NotImplementedError" in m for m in messages)
    # On a hidden check, without the file and line (SECURITY.md, finding 11).
    hidden = {c["message"] for c in _checks(r) if c["visibility"] == "hidden"}
    assert hidden and all(m.endswith("still raises NotImplementedError: the starter placeholder is still there.")
                          and "line" not in m for m in hidden)
    assert "softmax still raises NotImplementedError (not-implemented.py, line 6): " \
           "the starter placeholder is still there." in messages
