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


# --------------------------------------------------------------------------- private calls (the grader's tables)

PRIVATE_X = np.array([5.015625, 6.5, 0.25])

#: Each call answers with what it finds among the objects of its process: 1.0 if an array holding
#: PRIVATE_X's first number (the stand-in for a grader's table), else 0.0, then the input doubled;
#: at load time, and in the first public call, it also forges the asks for the hidden and the
#: private inputs on every pipe it holds, and prints whatever it could read from them.
PROBE_PRIVATE = (
    "import gc, json, os, select, stat, struct\n"
    "import numpy as np\n"
    "def pipes():\n"
    "    out = []\n"
    "    for name in os.listdir('/proc/self/fd'):\n"
    "        try:\n"
    "            if int(name) > 2 and stat.S_ISFIFO(os.fstat(int(name)).st_mode):\n"
    "                out.append(int(name))\n"
    "        except OSError:\n"
    "            pass\n"
    "    return out\n"
    "def forge():\n"
    "    for ev in ('private', 'hidden'):\n"
    "        head = json.dumps({'ev': ev, '$blobs': []}).encode()\n"
    "        for fd in pipes():\n"
    "            try:\n"
    "                os.write(fd, struct.pack('>IQ', len(head), 0) + head)\n"
    "            except OSError:\n"
    "                pass\n"
    "def peek():\n"
    "    for fd in pipes():\n"
    "        try:\n"
    "            data = os.read(fd, 1 << 20) if select.select([fd], [], [], 0)[0] else b''\n"
    "        except OSError:\n"
    "            continue\n"
    "        if data:\n"
    "            print('read', data.hex())\n"
    "def seen():\n"
    "    return float(any(isinstance(o, np.ndarray) and o.size and o.flat[0] == 5.015625 for o in gc.get_objects()\n"
    "                     if isinstance(o, np.ndarray)) or any(\n"
    "        isinstance(o, list) and any(isinstance(a, np.ndarray) and a.size and a.flat[0] == 5.015625 for a in o)\n"
    "        for o in gc.get_objects()))\n"
    "forge()\n"
    "def softmax(x):\n"
    "    peek()\n"
    "    forge()\n"
    "    return np.concatenate([[seen()], np.asarray(x) * 2])\n")


@pytest.mark.parametrize("level", available())
def test_a_private_call_comes_last_in_the_same_process_and_its_inputs_only_then(level, monkeypatch):
    requests = []
    real = Sandbox._run_group

    def counted(self, request, group, *a, **k):
        requests.append([c.id for c in group])
        return real(self, request, group, *a, **k)

    monkeypatch.setattr(Sandbox, "_run_group", counted)
    calls = [Call(id="softmax:table", function="softmax", args=(PRIVATE_X,), private=True),
             Call(id="softmax:hidden", function="softmax", args=(HIDDEN_X,), hidden=True),
             Call(id="softmax:public", function="softmax", args=(PUBLIC_X,))]
    r = run_one(level, PROBE_PRIVATE, calls)
    assert requests == [["softmax:public", "softmax:hidden", "softmax:table"]]  # one process, the table last
    got = {cid: r.outcomes[f"softmax:{cid}"] for cid in ("public", "hidden", "table")}
    assert all(o.status == "ok" for o in got.values()), {k: o.message for k, o in got.items()}
    assert got["public"].value.array.tolist() == [0.0, *(PUBLIC_X * 2)]  # no table yet, the forged asks ignored
    assert got["hidden"].value.array.tolist() == [0.0, *(HIDDEN_X * 2)]  # nor during the hidden call
    assert got["table"].value.array.tolist() == [1.0, *(PRIVATE_X * 2)]  # the probe does find it in its own call
    shown = r.load.output + got["public"].output
    assert "read" not in shown or PRIVATE_X.tobytes().hex() not in shown


@pytest.mark.parametrize("level", available())
def test_a_private_call_after_a_crash_is_made_in_a_fresh_process_with_its_inputs(level):
    source = ("import os, numpy as np\n"
              "def softmax(x):\n"
              "    if x[0] == 5.015625:\n"
              "        os._exit(3)\n"
              "    return np.asarray(x) * 2\n")
    calls = [Call(id="softmax:public", function="softmax", args=(PUBLIC_X,)),
             Call(id="softmax:t1", function="softmax", args=(PRIVATE_X,), private=True),
             Call(id="softmax:t2", function="softmax", args=(np.array([1.5, 2.0, 4.0]),), private=True)]
    r = run_one(level, source, calls)
    assert r.outcomes["softmax:public"].status == "ok"
    assert r.outcomes["softmax:t1"].status == "exited"
    assert r.outcomes["softmax:t2"].status == "ok" and r.outcomes["softmax:t2"].value.array.tolist() == [3.0, 4.0, 8.0]


def test_late_inputs_are_packed_once_per_set_of_calls_and_never_reused_for_other_arguments(monkeypatch):
    import grader.sandbox as sandbox_module

    packed = []
    real = sandbox_module._worker.pack

    def counting(obj, shared=None):
        if isinstance(obj, dict) and set(obj) == {"inputs"}:
            packed.append(sorted(obj["inputs"]))
        return real(obj, shared)

    monkeypatch.setattr(sandbox_module._worker, "pack", counting)
    sub = Submission(id="s", source="s.py", kind="module",
                     files=(SourceFile(path="s.py", text="def softmax(x):\n    return x * 2\n", origin="s.py"),))
    public = Call(id="softmax:public", function="softmax", args=(PUBLIC_X,))
    hidden = Call(id="softmax:hidden", function="softmax", args=(HIDDEN_X,), hidden=True)
    table = Call(id="softmax:table", function="softmax", args=(PRIVATE_X,), private=True)
    other = Call(id="softmax:table", function="softmax", args=(np.array([0.5, 1.0, 1.5]),), private=True)
    settings = Settings(load_timeout=10.0)
    with Sandbox(available()[0]) as sb:
        runs = [sb.run(sub, calls, functions=FNS, settings=settings)
                for calls in ([public, hidden, table], [public, hidden, table], [public, hidden, other])]
    assert packed == [["softmax:public"], ["softmax:hidden"], ["softmax:table"], ["softmax:table"]]
    for r, t in zip(runs, (PRIVATE_X, PRIVATE_X, np.array([0.5, 1.0, 1.5]))):
        assert r.outcomes["softmax:hidden"].value.array.tolist() == (HIDDEN_X * 2).tolist()
        assert r.outcomes["softmax:table"].value.array.tolist() == (t * 2).tolist()


@pytest.mark.parametrize("level", available())
def test_a_hidden_call_cannot_name_its_input_as_a_starters_stub(level):
    # The starter's stub is recognised from the NameError a `return loss` never set raises, and named with
    # the function it is in: the function's name (co_name) is the student's to choose at run time, and so is
    # the name left unset (a stub_names of the year's, or any name its return line holds).  (At the process
    # level on a machine whose interpreter the slot's uid cannot read, telling the stub from a typo
    # imported difflib after the drop and killed the child: every a2 stub was an exit, not Not implemented.)
    source = (
        "def softmax(x):\n"
        "    def stub():\n"
        "        return zz\n"
        "    tag = 'IN' + repr(float(x[0]))\n"
        "    stub.__code__ = stub.__code__.replace(co_name=tag)\n"
        "    stub()\n")
    calls = [Call(id="softmax:public", function="softmax", args=(PUBLIC_X,)),
             Call(id="softmax:hidden", function="softmax", args=(HIDDEN_X,), hidden=True)]
    r = run_one(level, source, calls)
    pub, hid = r.outcomes["softmax:public"], r.outcomes["softmax:hidden"]
    assert any(p.get("in") == "IN1.25" for p in pub.probes)  # a public call's stub is named (its input is public)
    assert hid.status == "raised" and "7.12" not in json.dumps(hid.probes)
    assert any(p.get("kind") == "stub" for p in hid.probes)  # the bit that it is a stub is kept
