"""Red team, hidden inputs (issue 12, item 5): no hidden case's input reaches what the student sees.

Four attacks (tests/redteam/hidden_*.py) try every way out for the inputs of the calls
they are given: a walk of everything the garbage collector knows and of the harness's
frames, at load time and in every call; a stash kept across calls and in files; an
exception's message and class name, a returned shape, a type name and repr, an exit status;
a forged ask for the hidden inputs before the public calls, and a read of every pipe.
Each prints or carries a fingerprint of an input ("ARR <hex of its first 16 bytes> <repr of
its first element>"). They are graded in one batch with the honest-wrong baseline and an
honest submission, at every isolation level the machine has; then no fingerprint of a
hidden case's input is in any file written or on the terminal, while the public inputs'
are (the attacks do work), each attacker scores no more than the baseline, and the honest
submission keeps its full score.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader.cli import main
from grader.pipeline import prepare
from grader.rubric import load_rubric
from grader.sandbox import available

REDTEAM = Path(__file__).resolve().parent / "redteam"
ATTACKS = ("hidden_forged_ask", "hidden_gc_walk", "hidden_stash", "hidden_through_errors")


def fingerprints(public: bool) -> set[str]:
    """What the attacks print for each array input of the built-in rubric's public or hidden cases."""
    job = prepare(load_rubric(None))
    out = set()
    for case in job.cases.values():
        if case.spec.public != public:
            continue
        for a in case.args:
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
                out.add(np.ascontiguousarray(a).tobytes()[:16].hex())
                out.add(repr(float(a.flat[0])))
    return out


@pytest.fixture(scope="module", params=available())
def graded(request, tmp_path_factory):
    level = request.param
    root = tmp_path_factory.mktemp(f"hidden-{level}")
    subs, out = root / "subs", root / "out"
    subs.mkdir()
    for name in ATTACKS:
        shutil.copy(REDTEAM / f"{name}.py", subs / f"{name}.py")
    shutil.copy(REDTEAM / "honest_wrong.py", subs / "honest_wrong.py")
    shutil.copy(REDTEAM / "honest_cs224d.py", subs / "honest_cs224d.py")
    argv = ["grade", str(subs), "--out", str(out), "--jobs", "2", "--isolation", level, "--no-progress"]
    if level == "process":
        argv.append("--allow-unsandboxed")
    out_s, err_s = io.StringIO(), io.StringIO()
    code = main(argv, out=out_s, err=err_s)
    texts = {str(p.relative_to(out)): p.read_text(encoding="utf-8", errors="replace")
             for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}
    data = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/result.json")}
    return {"code": code, "terminal": out_s.getvalue() + err_s.getvalue(), "texts": texts, "data": data}


def test_the_batch_completes_with_a_result_for_every_submission(graded):
    assert graded["code"] == 0, graded["terminal"]
    assert set(graded["data"]) == {*ATTACKS, "honest_wrong", "honest_cs224d"}


def test_no_hidden_input_reaches_a_file_or_the_terminal(graded):
    hidden = fingerprints(public=False)
    assert hidden
    for name, text in {**graded["texts"], "terminal": graded["terminal"]}.items():
        leaked = [h for h in hidden if h in text]
        assert not leaked, (name, leaked[:3])


def test_the_attacks_do_find_the_public_inputs(graded):
    # Without this, the test above could pass because the attacks print nothing.
    public = fingerprints(public=True)
    for name in ("hidden_gc_walk", "hidden_stash"):
        text = graded["texts"][f"{name}/result.json"] + graded["texts"][f"{name}/report.html"]
        assert any(p in text for p in public), name
    msgs = [c["message"] for q in graded["data"]["hidden_through_errors"]["questions"] for c in q["checks"]
            if c["visibility"] == "public"]
    assert any(p in m for m in msgs for p in public)


def test_attackers_score_no_more_than_the_baseline_and_the_honest_submission_loses_nothing(graded):
    data = graded["data"]
    base = {q["id"]: q["score"] for q in data["honest_wrong"]["questions"]}
    for name in ATTACKS:
        for q in data[name]["questions"]:
            assert q["score"] <= base[q["id"]], (name, q["id"])
    honest = data["honest_cs224d"]
    assert honest["score"] == honest["max_score"] > 0


def test_the_report_says_output_of_hidden_checks_is_withheld(graded):
    for name in ("hidden_gc_walk", "honest_cs224d"):
        assert any("what your code printed, raised or returned there is not shown" in n
                   for n in graded["data"][name]["notes"])
        assert "what your code printed, raised or returned there is not shown" in graded["texts"][f"{name}/report.html"]


# --------------------------------------------------------------------------- the mechanism, call by call

from grader.model import Call, FunctionSpec, Settings, SourceFile, Submission  # noqa: E402
from grader.sandbox import Sandbox  # noqa: E402

PUBLIC_X = np.array([1.25, 2.5, 3.75])
HIDDEN_X = np.array([7.123456789, 8.5, 9.25])
FNS = {"softmax": FunctionSpec(role="softmax", names=("softmax",))}


def run_one(level: str, source: str, calls) -> object:
    sub = Submission(id="s", source="s.py", kind="module", files=(SourceFile(path="s.py", text=source, origin="s.py"),))
    with Sandbox(level) as sb:
        return sb.run(sub, calls, functions=FNS, settings=Settings(load_timeout=10.0))


def test_plan_marks_the_calls_of_hidden_only_cases_numerical_gradients_included():
    import dataclasses

    from grader.cases import plan

    job = prepare(load_rubric(None))
    hidden_cases = {cid for cid, c in job.cases.items() if not c.spec.public}
    assert hidden_cases
    assert {c.id for c in job.calls if c.hidden} == {c.id for c in job.calls if c.id.split(":")[-1] in hidden_cases}
    con = dict(job.rubric.consistency, cases=[*job.rubric.consistency["cases"], "hidden-typical"])
    calls = plan(dataclasses.replace(job.rubric, consistency=con), job.cases)
    assert next(c for c in calls if c.id == "numgrad:cost_and_grad:hidden-typical").hidden
    assert not next(c for c in calls if c.id == "numgrad:cost_and_grad:small").hidden


@pytest.mark.parametrize("level", available())
def test_a_hidden_call_comes_after_the_public_ones_and_its_output_goes_nowhere_shown(level):
    source = (
        "import gc, numpy as np\n"
        "SEEN = []\n"
        "def softmax(x):\n"
        "    SEEN.append(float(x[0]))\n"
        "    print('now', float(x[0]), 'seen', SEEN)\n"
        "    return x * 2\n"
        "print('at load', [float(o[0]) for o in gc.get_objects() if isinstance(o, list) for o in o\n"
        "                  if isinstance(o, np.ndarray) and o.size])\n")
    calls = [Call(id="softmax:hidden", function="softmax", args=(HIDDEN_X,), hidden=True),
             Call(id="softmax:public", function="softmax", args=(PUBLIC_X,))]
    r = run_one(level, source, calls)
    pub, hid = r.outcomes["softmax:public"], r.outcomes["softmax:hidden"]
    assert "now 1.25 seen [1.25]" in pub.output  # made first, though listed second
    assert hid.status == "ok" and hid.value.array.tolist() == (HIDDEN_X * 2).tolist()  # judged as usual
    assert "now 7.123456789" in hid.output  # kept for checks of printed output, which never show it
    assert "7.12" not in r.load.output + pub.output


@pytest.mark.parametrize("level", available())
def test_a_hidden_call_that_raises_or_crashes_is_told_without_its_text_and_the_next_one_still_runs(level):
    source = (
        "import os\n"
        "def softmax(x):\n"
        "    if x[1] == 8.5:\n"
        "        raise ValueError('the input was %r' % float(x[0]))\n"
        "    if x[1] == 9.5:\n"
        "        os._exit(int(x[0]))\n"
        "    return x\n")
    calls = [Call(id="softmax:public", function="softmax", args=(PUBLIC_X,)),
             Call(id="softmax:h1", function="softmax", args=(HIDDEN_X,), hidden=True),
             Call(id="softmax:h2", function="softmax", args=(np.array([42.0, 9.5, 1.0]),), hidden=True),
             Call(id="softmax:h3", function="softmax", args=(np.array([3.0, 4.0, 5.0]),), hidden=True)]
    r = run_one(level, source, calls)
    h1, h2, h3 = (r.outcomes[f"softmax:h{i}"] for i in (1, 2, 3))
    assert h1.status == "raised" and "7.12" not in h1.message + h1.error.message + h1.error.traceback
    assert h1.error.type == "Error" and h1.error.frames == ()
    assert "what it said is not shown on hidden checks" in h1.message
    assert h2.status == "exited" and "42" not in h2.message + h2.error.message
    assert h3.status == "ok" and h3.value.array.tolist() == [3.0, 4.0, 5.0]  # in a fresh child, its inputs given again
