"""Red team of the speed work: one process per submission, preloaded inputs, print events, frames.

The attacks of ``tests/redteam/`` aimed at what changed for speed (deferred calls and the
withheld stand-ins, inputs handed over without a copy, printed text as events, frames
written from views and read in chunks) are graded in ONE batch by the ``grader`` console
script in a subprocess, with ``honest_wrong`` and an honest submission graded after them in
the same slot.  The grader's peak memory is measured (``wait4``): forged frames once made it
hold gigabytes.  Hostile files are only ever run inside the sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import _worker
from grader.sandbox import available

REDTEAM = Path(__file__).resolve().parent / "redteam"
ATTACKS = ("frame_blob_reuse", "frame_huge_outcomes", "inflate_deferred_standin", "inflate_mutate_inputs",
           "dos_print_threads")
#: The grader's own peak resident memory for this batch (about 300 MiB here; over 2 GiB before the fix).
MAX_RSS_MIB = 800
HANG_GUARD = 120.0


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert available()[0].startswith("bwrap"), "the red-team guarantees need bubblewrap (see SECURITY.md)"
    root = tmp_path_factory.mktemp("redteam-speed")
    subs, results = root / "subs", root / "results"
    subs.mkdir()
    for sid in (*ATTACKS, "honest_wrong"):
        shutil.copy2(REDTEAM / f"{sid}.py", subs / f"{sid}.py")
    shutil.copy2(REDTEAM / "honest_cs224d.py", subs / "zz_honest_after.py")  # graded last, in the same slot
    exe = Path(sys.executable).with_name("grader")
    exe = str(exe) if exe.exists() else shutil.which("grader")
    assert exe, "the grader console script is not installed next to this Python"
    t0 = time.monotonic()
    with open(root / "out.txt", "wb") as fo, open(root / "err.txt", "wb") as fe:
        proc = subprocess.Popen([exe, "grade", str(subs), "--out", str(results), "--jobs", "1", "--no-progress"],
                                stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
    # wait4 on the grader itself: its own peak memory (and that of what it waited for).
    code, rss_mib = None, 0
    while code is None:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            code, rss_mib = os.waitstatus_to_exitcode(status), usage.ru_maxrss // 1024
        elif time.monotonic() - t0 > HANG_GUARD:
            proc.kill()
        else:
            time.sleep(0.05)
    proc.returncode = code
    seconds = time.monotonic() - t0
    out, err = (root / "out.txt").read_text(errors="replace"), (root / "err.txt").read_text(errors="replace")
    data = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*/result.json")}
    return {"code": proc.returncode, "out": out, "err": err, "seconds": seconds, "rss": rss_mib, "data": data}


def _scores(result):
    return {q["id"]: q["score"] for q in result["questions"]}


def _check(result, cid):
    return next(c for q in result["questions"] for c in q["checks"] if c["id"] == cid)


def test_the_batch_finished_and_the_honest_submission_after_the_attacks_kept_its_score(graded):
    assert graded["code"] == 0, graded["err"][-3000:]
    assert graded["seconds"] < HANG_GUARD
    assert set(graded["data"]) == {*ATTACKS, "honest_wrong", "zz_honest_after"}
    honest = graded["data"]["zz_honest_after"]
    assert honest["score"] == honest["max_score"] > 0  # inputs zeroed in place by an earlier child did not reach it


@pytest.mark.parametrize("sid", ATTACKS)
def test_each_attack_scores_no_more_than_the_honest_wrong_answer(graded, sid):
    r = graded["data"][sid]
    assert r["status"] == "graded", r.get("errors")
    base = _scores(graded["data"]["honest_wrong"])
    over = {q: s for q, s in _scores(r).items() if s > base[q]}
    assert over == {}


def test_forged_frames_do_not_make_the_grader_hold_gigabytes(graded):
    assert graded["rss"] < MAX_RSS_MIB, f"the grader peaked at {graded['rss']} MiB"


def test_a_blob_referenced_twice_is_refused():
    import numpy as np

    (header, blobs, _), = _worker.FrameReader(1 << 20).feed(_worker.pack({"a": np.zeros(4)}))
    header["b"] = dict(header["a"])
    with pytest.raises(_worker.ProtocolError, match="already used"):
        _worker.unpack(header, blobs)
    header = {"x": [{"$b": 0}, {"$b": 0}]}
    with pytest.raises(_worker.ProtocolError, match="already used"):
        _worker.unpack(header, [b"abc"])


def test_the_withheld_stand_in_never_answers_softmax(graded):
    r, base = graded["data"]["inflate_deferred_standin"], graded["data"]["honest_wrong"]
    for q in r["questions"]:
        for c in q["checks"]:
            if c["id"].startswith("softmax/") and _check(base, c["id"])["status"] != "pass":
                assert c["status"] != "pass", (c["id"], c["message"])
    # A forged "deferred" for a softmax call loses that call; it is never made where the stand-in is.
    assert "no result came back" in _check(r, "softmax/vector")["message"]


def test_print_floods_and_broken_stdout_stay_within_the_cap(graded):
    r = graded["data"]["dos_print_threads"]
    texts = [r.get("load", {}).get("output", "")] + [c.get("output", "") or "" for q in r["questions"] for c in q["checks"]]
    assert all(len(t.encode()) <= 65 * 1024 for t in texts)
    assert _check(r, "softmax/vector")["status"] == "fail"  # the call still came back with its (wrong) value
