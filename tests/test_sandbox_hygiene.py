"""Nothing of a submission outlives it: processes, kernel objects, files (issue 12, items 4 and 8)."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from conftest import sandbox_processes, wait_for_no_sandbox_process
from grader.sandbox import TAG_ENV, Sandbox, available

LEVELS = available()


# --------------------------------------------------------------------------- item 8: no process left


@pytest.mark.parametrize("level", LEVELS)
def test_a_sandbox_closed_at_any_moment_of_its_start_leaves_no_process(level, monkeypatch):
    # Killing bubblewrap between creating the sandbox's first process and releasing it left
    # that process blocked forever (10 of these 60 before the fix): close() kills the tree.
    tag = f"close-race-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(TAG_ENV, tag)
    sb = Sandbox(level)
    sb.start()
    seen = sandbox_processes(tag)
    sb.close()
    assert seen, "the detector finds the sandbox's processes by their tag"
    for i in range(60):
        sb.spawn()
        time.sleep((i % 12) * 0.0002)
        sb.close()
    assert wait_for_no_sandbox_process(tag) == []


def test_a_sandbox_dropped_without_close_leaves_no_process(monkeypatch):
    tag = f"dropped-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(TAG_ENV, tag)
    sb = Sandbox(LEVELS[0])
    sb.start()
    assert sandbox_processes(tag)
    del sb
    assert wait_for_no_sandbox_process(tag) == []


# --------------------------------------------------------------------------- item 4: kernel objects

import json
import shutil
from pathlib import Path

from grader.cli import main

REDTEAM = Path(__file__).resolve().parent / "redteam"
TOKEN = "KOBJ-7f3a9c-SECRET"
#: What kernel_objects_look.py looks for, one printed line each ("none <what>" or "found <what>: ...").
PROBES = ("mq", "user keyring", "user-session keyring", "session keyring", "persistent keyring", "/proc/keys",
          "shm", "msg", "sem", "file in /tmp", "file in /var/tmp", "file in /dev/shm", "file in /run/lock",
          "abstract socket")


def grade(subs: Path, out: Path, level: str, capsys) -> tuple[int, str, dict]:
    argv = ["grade", str(subs), "--out", str(out), "--jobs", "1", "--isolation", level, "--no-progress"]
    if level == "process":
        argv.append("--allow-unsandboxed")
    code = main(argv)
    captured = capsys.readouterr()
    data = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/result.json")}
    return code, captured.out + captured.err, data


def scores(result: dict) -> dict:
    return {q["id"]: q["score"] for q in result["questions"]}


def printed(result: dict) -> str:
    """Everything the submission printed, as its result.json holds it (load and every check)."""
    text = json.dumps(result)
    return text


def assert_found_nothing(result: dict) -> None:
    out = result["load"]["output"]
    for what in PROBES:
        assert f"none {what}\n" in out, (what, out)
    assert "found " not in printed(result), out


@pytest.mark.parametrize("level", LEVELS)
def test_kernel_objects_a_submission_leaves_are_not_found_by_the_next_one(level, tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    # Graded in this order, in one slot: the baseline, the attack, the look, an honest one.
    shutil.copy(REDTEAM / "honest_wrong.py", subs / "a_baseline.py")
    shutil.copy(REDTEAM / "kernel_objects_leave.py", subs / "b_leave.py")
    shutil.copy(REDTEAM / "kernel_objects_look.py", subs / "c_look.py")
    shutil.copy(REDTEAM / "honest_cs224d.py", subs / "d_honest.py")
    code, terminal, data = grade(subs, out, level, capsys)
    assert code == 0, terminal
    assert set(data) == {"a_baseline", "b_leave", "c_look", "d_honest"}
    left = data["b_leave"]["load"]["output"]
    assert left.startswith("left: ") and "mq" in left, left  # it could make some (in its own namespace)
    assert "key" not in left and "persistent" not in left, left  # no keyring may be touched at all
    assert_found_nothing(data["c_look"])
    for sid in ("b_leave", "c_look"):
        for q, s in scores(data[sid]).items():
            assert s <= scores(data["a_baseline"])[q], (sid, q)
    honest = data["d_honest"]
    assert honest["score"] == honest["max_score"] > 0
    for sid in ("c_look", "d_honest"):
        for f in (out / sid).iterdir():
            assert TOKEN not in f.read_text(encoding="utf-8", errors="replace"), (sid, f.name)
    assert TOKEN not in terminal


@pytest.mark.parametrize("level", LEVELS)
def test_kernel_objects_do_not_outlive_a_grader_run(level, tmp_path, capsys):
    # Keyrings belong to the host's kernel and the slot's uid is fixed: a later, separate run
    # of the same slot found them. Nothing is found now (no key can be made at all).
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    shutil.copy(REDTEAM / "kernel_objects_leave.py", first / "leave.py")
    shutil.copy(REDTEAM / "kernel_objects_look.py", second / "look.py")
    code, terminal, _ = grade(first, tmp_path / "out1", level, capsys)
    assert code == 0, terminal
    code, terminal, data = grade(second, tmp_path / "out2", level, capsys)
    assert code == 0, terminal
    assert_found_nothing(data["look"])
    assert TOKEN not in (tmp_path / "out2" / "look" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("ipc", ["userns", "none"])
@pytest.mark.parametrize("level", LEVELS)
def test_each_way_of_isolating_ipc_keeps_the_next_submission_blind(level, ipc):
    # "auto" (a new IPC namespace made directly, as root) is what the grader uses, above; a
    # grader that is not root gets one through a user namespace of the child's own ("userns"),
    # and where neither works ("none") POSIX queues are refused and System V objects removed.
    import numpy as np

    from grader.model import Call, FunctionSpec, Settings, SourceFile, Submission

    def sub(name):
        text = (REDTEAM / f"kernel_objects_{name}.py").read_text()
        return Submission(id=name, source=f"{name}.py", kind="module",
                          files=(SourceFile(path=f"{name}.py", text=text, origin=f"{name}.py"),))

    fns = {"softmax": FunctionSpec(role="softmax", names=("softmax",))}
    calls = [Call(id="c", function="softmax", args=(np.ones(3),), timeout=5.0)]
    with Sandbox(level) as sb:
        sb.ipc = ipc
        left = sb.run(sub("leave"), calls, functions=fns, settings=Settings())
        seen = sb.run(sub("look"), calls, functions=fns, settings=Settings())
    made = left.load.output
    assert made.startswith("left: ") and ("mq" in made) == (ipc == "userns"), made
    assert "key" not in made and "persistent" not in made, made
    for what in PROBES:
        assert f"none {what}\n" in seen.load.output, (what, seen.load.output)
    assert "found" not in seen.outcomes["c"].output


@pytest.mark.parametrize("level", [lv for lv in LEVELS if lv == "bwrap"])
def test_the_zygote_keeps_only_the_capabilities_it_needs(level):
    # Started as root, bubblewrap kept every capability of root (CAP_SYS_ADMIN, CAP_SYS_PTRACE...)
    # for the zygote, whatever --cap-add said: an escape into it would have had them all.
    import numpy as np

    from grader.model import Call, FunctionSpec, Settings, SourceFile, Submission

    probe = (
        "import os\n"
        "CAPS = []\n"
        "for p in os.listdir('/proc'):\n"
        "    if p.isdigit():\n"
        "        try:\n"
        "            status = open(f'/proc/{p}/status').read()\n"
        "        except OSError:\n"
        "            continue\n"
        "        caps = {l.split(':')[0]: int(l.split()[1], 16) for l in status.splitlines() if l.startswith('Cap')}\n"
        "        CAPS.append(caps['CapEff'] | caps['CapPrm'] | caps['CapAmb'])\n"
        "print('CAPS', CAPS)\n"
        "def softmax(x):\n"
        "    return x\n")
    sub = Submission(id="caps", source="caps.py", kind="module",
                     files=(SourceFile(path="caps.py", text=probe, origin="caps.py"),))
    with Sandbox(level) as sb:
        r = sb.run(sub, [Call(id="c", function="softmax", args=(np.ones(2),))],
                   functions={"softmax": FunctionSpec(role="softmax", names=("softmax",))}, settings=Settings())
    caps = eval(r.load.output.split("CAPS", 1)[1])  # a list of ints the probe printed
    allowed = sum(1 << n for n in (0, 1, 3, 5, 6, 7))  # CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID
    assert len(caps) >= 2 and all(c & ~allowed == 0 for c in caps), [hex(c) for c in caps]
