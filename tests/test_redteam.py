"""Red team: hostile submissions graded in one batch with honest ones, through the real CLI.

Every file or folder in ``tests/redteam/`` is one submission; its docstring names the
attack and the bound it must stay under.  The whole folder (plus a few entries whose
names cannot be committed portably, made here) is graded in ONE batch by
``grader.cli.main`` in-process, and a subset once more by the ``grader`` console script
in a subprocess.  Then, for every hostile submission:

- it scores, question by question, no more than ``honest_wrong`` (the same wrong
  answer without the attack), and where the attack aims at one check, that check
  fails with the message the student should read;
- the honest submissions of the same batch keep their full score and show nothing
  of any attacker (and no attacker shows anything of them);
- every result file was written; nothing outside the submissions' own results
  changed (content hashes of the results folder, the submissions, the repository's
  reference/ and rubrics/, a canary next to them); no process
  of an attacker is left; nothing reached the test's loopback listeners; the
  grader's environment did not leak; no page or terminal line carries live HTML,
  JavaScript or escape sequences;
- the batch finished (a generous hang guard, not a performance bound).

The guarantees hold at the ``bwrap`` and ``bwrap-userns`` isolation levels; this file
fails, on purpose, where only the ``process`` fallback is available (see SECURITY.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from grader.cli import main
from grader.ids import safe_id
from grader.sandbox import available

REPO = Path(__file__).resolve().parents[1]
REDTEAM = Path(__file__).resolve().parent / "redteam"
HONEST = ("honest_cs224d", "honest_cs224n", "honest_folder")
BASELINE = "honest_wrong"
#: Hang guard for one batch: far above its usual time, only there to turn a hang into a failure.
HANG_GUARD = 120.0
#: Entries whose names are hostile but cannot be committed portably (Windows forbids < > ").
ENTRY_NAME = "<img src=x onerror=alert(1)>.py"
HOSTILE_FILE_NAMES = ('<img src=x onerror=alert(1)>.py', '"><script>alert("REDTEAM-XSS")<.py', "evil\u202egnp.py")
#: Submissions graded a second time by the console script, in a subprocess.
SUBPROCESS_SUBSET = ("honest_cs224d", "honest_folder", BASELINE, "damage_kill_grader", "damage_daemon",
                     "damage_write_everywhere", "leak_environ", "leak_html_output", "leak_network",
                     "inflate_find_reference", "inflate_harness_patch")

TIMEOUT_2S = "did not return within 2 s on this input; it was stopped, this check scored 0 and the other checks still ran."
#: The zygote's watch on the total memory of a submission's processes.
OVER_MEMORY = "died (its processes used "
#: Attacks aimed at one check: (check id, status, text the message must contain, or a tuple of such texts).
MESSAGES = {
    "dos_loop_ignores_sigterm": [("softmax/vector", "error", "softmax " + TIMEOUT_2S)],
    "dos_memory_bomb": [
        ("softmax/vector", "error", "softmax ran out of memory (dos_memory_bomb.py, line"),
        # It keeps allocating after each MemoryError: stopped by its timeout, or by a MemoryError in its handler.
        ("cross_entropy/extreme", "error", ("softmaxCostAndGradient " + TIMEOUT_2S,
                                            "softmaxCostAndGradient ran out of memory (dos_memory_bomb.py, line",
                                            OVER_MEMORY))],
    # How a fork bomb ends depends on the machine's load: its timeout, the memory watch, or its own
    # top-level imports failing under the process limit (then a NameError in the call). The bound on
    # its score is what matters; the message only has to be about the function that ran.
    "dos_fork_bomb": [("cross_entropy/extreme", "error", ("softmaxCostAndGradient ",)),
                      ("grad_output/extreme", "error", ("softmaxCostAndGradient ",))],
    "dos_recursion_segfault": [
        ("softmax/vector", "error", "softmax recursed too deeply (dos_recursion_segfault.py, line"),
        ("softmax/stable-vector", "error", "the process running softmax died (a segmentation fault (SIGSEGV))"),
        ("cross_entropy/small", "error",
         "the process running softmaxCostAndGradient died (a segmentation fault (SIGSEGV)); this check scored 0 "
         "and the other checks ran in a fresh process.")],
    "dos_exits": [
        ("softmax/vector", "error", "softmax raised KeyboardInterrupt (dos_exits.py, line"),
        ("softmax/matrix", "error", "softmax called sys.exit (dos_exits.py, line"),
        ("softmax/shape-one-row", "error", "softmax raised GeneratorExit"),
        ("softmax/stable-large", "error", "softmax raised Sneaky (dos_exits.py, line"),
        ("cross_entropy/small", "error", "the process running softmaxCostAndGradient exited (exit status 0, e.g. os._exit)"),
        ("cross_entropy/extreme", "error", "the process running softmaxCostAndGradient died (an abort (SIGABRT))")],
    "dos_close_std": [("cross_entropy/extreme", "error", "softmaxCostAndGradient " + TIMEOUT_2S)],
    "weird_array_protocol": [("softmax/stable-vector", "error", "softmax " + TIMEOUT_2S),
                             ("cross_entropy/typical", "error", "softmaxCostAndGradient " + TIMEOUT_2S)],
    "weird_huge_return": [("softmax/vector", "fail", "softmax returned shape (100000000,)"),
                          ("cross_entropy/large-vocab", "fail",
                           "softmaxCostAndGradient returned 10000000 values")],
    "weird_nan_inf": [(f"softmax/{c}", "fail", "nan or inf") for c in ("vector", "stable-large", "wide")]
                     + [("cross_entropy/small", "fail", "nan or inf"), ("grad_output/typical", "fail", "nan or inf")],
    "start_spam": [("softmax/vector", "error", "softmax " + TIMEOUT_2S)],
    "inflate_fake_frames": [("cross_entropy/extreme", "error", "died (killed (out of memory or a limit) (SIGKILL))")],
}
#: What the submission's result must say about loading its code (a note or a load error).
NOTES = {
    "dos_alarm_tamper": "loading ran out of time in this code; it was skipped in a fresh process",
}
#: Names the attacks give their processes (prctl PR_SET_NAME), to find survivors.
PROCESS_TAG = "rt-"


# --------------------------------------------------------------------------- helpers


def snapshot(root: Path, skip=lambda rel: False) -> dict[str, str]:
    """Map every path under `root` (links not followed) to a digest of what it is."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for here, dirs, files in os.walk(root):
        rel_here = os.path.relpath(here, root)
        dirs[:] = [d for d in dirs if d != "__pycache__" and not skip(os.path.normpath(os.path.join(rel_here, d)))]
        for name in dirs + files:
            rel = os.path.normpath(os.path.join(rel_here, name))
            p = os.path.join(here, name)
            if skip(rel) or name == "__pycache__":
                continue
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = "link:" + os.readlink(p)
            elif os.path.isdir(p):
                out[rel] = f"dir:{st.st_mode:o}"
            else:
                with open(p, "rb") as f:
                    out[rel] = f"file:{st.st_mode:o}:" + hashlib.sha256(f.read()).hexdigest()
    return out


def repo_snapshot() -> dict[str, dict[str, str]]:
    return {d: snapshot(REPO / d) for d in ("reference", "rubrics")}


def tagged_processes() -> list[tuple[int, str]]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm.startswith(PROCESS_TAG):
                found.append((int(name), comm))
    return found


class Listeners:
    """A TCP, a UDP and an abstract Unix socket on loopback that record whatever reaches them."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(64)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(f"\0grader-redteam-{os.getpid()}-{secrets.token_hex(4)}")
        self.unix.listen(64)
        for s in (self.tcp, self.udp, self.unix):
            s.settimeout(0.2)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in (self.tcp, self.udp, self.unix)]
        for t in self.threads:
            t.start()

    def _serve(self, s: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                if s.type == socket.SOCK_DGRAM:
                    data = s.recv(4096)
                    self.hits.append(f"udp: {data[:60]!r}")
                else:
                    conn, _ = s.accept()
                    self.hits.append(f"{s.family.name} connection")
                    conn.close()
            except (socket.timeout, OSError):
                continue

    def close(self) -> list[str]:
        self.stop.set()
        for t in self.threads:
            t.join(2)
        for s in (self.tcp, self.udp, self.unix):
            s.close()
        return self.hits


def make_batch(dest: Path, names=None) -> list[str]:
    """Copy the red-team folder to `dest` (all of it, or `names`); add the generated entries. Return the ids."""
    dest.mkdir()
    ids = []
    for entry in sorted(REDTEAM.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        sid = entry.name.rsplit(".", 1)[0] if entry.is_file() else entry.name
        if names is not None and sid not in names:
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name)
        else:
            shutil.copy2(entry, dest / entry.name)
        ids.append(sid)
    if names is None:
        for name in HOSTILE_FILE_NAMES:
            (dest / "leak_html_names" / name).write_text(
                f'print("REDTEAM loaded {name}")\nraise RuntimeError("</pre><script>alert(\\"REDTEAM-XSS\\")</script>")\n')
        wrong = (REDTEAM / f"{BASELINE}.py").read_text().replace('"""Baseline', '"""REDTEAM entry name: baseline', 1)
        (dest / ENTRY_NAME).write_text(wrong)
        ids.append(safe_id(ENTRY_NAME[:-3]))
        with zipfile.ZipFile(dest / "zip_traversal.zip", "w") as z:
            z.writestr("q3_word2vec.py", wrong.replace("entry name", "zip_traversal"))
            z.writestr("../../../pwned.py", "print('REDTEAM zip traversal')\n")
            z.writestr("/tmp/REDTEAM-absolute.py", "print('REDTEAM zip absolute')\n")
            link = zipfile.ZipInfo("q1_softmax.py")
            link.external_attr = (0o120777 << 16)
            z.writestr(link, "../../../reference/word2vec.py")
        ids.append("zip_traversal")
    return sorted(ids)


def read_results(results: Path, ids) -> dict[str, dict]:
    out = {}
    for sid in ids:
        f = results / sid / "result.json"
        assert f.is_file(), f"no result.json for {sid}"
        out[sid] = json.loads(f.read_text(encoding="utf-8"),
                              parse_constant=lambda c: pytest.fail(f"{sid}: result.json holds {c}"))
    return out


def question_scores(result: dict) -> dict[str, float]:
    return {q["id"]: q["score"] for q in result["questions"]}


def check(result: dict, check_id: str) -> dict:
    for q in result["questions"]:
        for c in q["checks"]:
            if c["id"] == check_id:
                return c
    raise AssertionError(f"{result['submission']}: no check {check_id}")


# --------------------------------------------------------------------------- the batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade the whole red team in one batch in-process, then a subset by the console script."""
    level = available()[0]
    assert level.startswith("bwrap"), (
        f"the red-team guarantees need bubblewrap; only {available()} is available here (see SECURITY.md)")
    root = tmp_path_factory.mktemp("redteam")
    canary = root / "canary.txt"
    canary.write_text(secrets.token_hex(32))
    subs, results = root / "subs", root / "results"
    ids = make_batch(subs)
    # An earlier batch's results, which this batch must leave alone.
    earlier = root / "earlier"
    earlier.mkdir()
    shutil.copy2(REDTEAM / f"{BASELINE}.py", earlier / "previous_student.py")
    assert main(["grade", str(earlier), "--out", str(results), "--jobs", "1", "--no-progress"],
                out=io.StringIO(), err=io.StringIO()) == 0
    token = "grader-redteam-token-" + secrets.token_hex(16)
    before = {"subs": snapshot(subs), "previous": snapshot(results / "previous_student"),
              "canary": snapshot(root, skip=lambda rel: rel.split(os.sep)[0] in ("subs", "results", "earlier", "sub2", "results2")),
              "repo": repo_snapshot()}
    listeners = Listeners()
    out, err = io.StringIO(), io.StringIO()
    os.environ["GRADER_REDTEAM_TOKEN"] = token
    try:
        t0 = time.monotonic()
        code = main(["grade", str(subs), "--out", str(results), "--jobs", "2"], out=out, err=err)
        seconds = time.monotonic() - t0
        leftovers = tagged_processes()
        # Then the console script, in a subprocess, on a subset.
        sub2, results2 = root / "sub2", root / "results2"
        ids2 = make_batch(sub2, SUBPROCESS_SUBSET)
        exe = Path(sys.executable).with_name("grader")
        exe = str(exe) if exe.exists() else shutil.which("grader")
        assert exe, "the grader console script is not installed next to this Python"
        t1 = time.monotonic()
        proc = subprocess.run([exe, "grade", str(sub2), "--out", str(results2), "--jobs", "2"], capture_output=True,
                              timeout=HANG_GUARD + 30, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        seconds2 = time.monotonic() - t1
    finally:
        del os.environ["GRADER_REDTEAM_TOKEN"]
        hits = listeners.close()
    time.sleep(0.3)  # a survivor that was about to fork or rename itself would show now
    after = {"subs": snapshot(subs), "previous": snapshot(results / "previous_student"),
             "canary": snapshot(root, skip=lambda rel: rel.split(os.sep)[0] in ("subs", "results", "earlier", "sub2", "results2")),
             "repo": repo_snapshot()}
    return {
        "ids": ids, "code": code, "out": out.getvalue(), "err": err.getvalue(), "seconds": seconds,
        "results": results, "subs": subs, "before": before, "after": after, "token": token, "hits": hits,
        "leftovers": leftovers + tagged_processes(), "level": level,
        "ids2": ids2, "results2": results2, "proc": proc, "seconds2": seconds2,
        "data": read_results(results, ids),
    }


def hostile_ids() -> list[str]:
    names = []
    for entry in sorted(REDTEAM.iterdir()):
        sid = entry.name.rsplit(".", 1)[0] if entry.is_file() else entry.name
        if not sid.startswith(("honest_", ".", "_")):
            names.append(sid)
    return names + [safe_id(ENTRY_NAME[:-3]), "zip_traversal"]


HOSTILE = hostile_ids()


def test_the_red_team_is_big_enough():
    assert len(HOSTILE) >= 30
    for sid in HOSTILE[:-2]:
        path = REDTEAM / sid if (REDTEAM / sid).is_dir() else next(REDTEAM.glob(sid + ".*"))
        text = (path / "q3_word2vec.py").read_text() if path.is_dir() else path.read_text()
        assert f"REDTEAM {sid}" in text and "Bound:" in text and "Attack:" in text, sid


# --------------------------------------------------------------------------- the batch as a whole


def test_the_batch_finished_with_every_result_written(batch):
    assert batch["code"] == 0, batch["err"][-3000:]
    assert batch["seconds"] < HANG_GUARD, f"the batch took {batch['seconds']:.0f} s"
    results = batch["results"]
    ids = set(batch["ids"])
    with open(results / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert set(rows) == ids | {"previous_student"}
    assert (results / "summary.html").is_file()
    for sid in ids:
        assert sorted(p.name for p in (results / sid).iterdir()) == ["report.html", "result.json"], sid
        r = batch["data"][sid]
        assert r["isolation"] == (batch["level"] if r["status"] == "graded" else ""), sid
    # Nothing else appeared in the results folder (a planted file, a link, a stray folder).
    allowed = {"grades.csv", "summary.html", "previous_student"} | ids
    extra = [p.name for p in results.iterdir() if p.name not in allowed and not p.name.startswith("gradebook.sqlite")]
    assert extra == []
    # One line per submission on standard output, with no escape sequence from anyone.
    assert len(batch["out"].splitlines()) == len(ids)
    assert "\x1b" not in batch["out"] + batch["err"] and "\u202e" not in batch["out"] + batch["err"]


def test_nothing_outside_the_submissions_own_results_changed(batch):
    before, after = batch["before"], batch["after"]
    assert after["subs"] == before["subs"], "the submissions folder changed"
    assert after["previous"] == before["previous"], "an earlier result in the results folder changed"
    assert after["canary"] == before["canary"], "the canary folder changed"
    for d in before["repo"]:
        assert after["repo"][d] == before["repo"][d], f"the repository's {d}/ changed"
    for marker in ("/tmp/REDTEAM-pwned", "/tmp/REDTEAM-pwned-2", "/tmp/REDTEAM-py2", "/tmp/REDTEAM-absolute.py"):
        assert not os.path.exists(marker), marker


def test_no_process_of_an_attacker_survives(batch):
    assert batch["leftovers"] == []


def test_nothing_reached_the_loopback_listeners(batch):
    assert batch["hits"] == []
    assert check(batch["data"]["leak_network"], "softmax/vector")["status"] == "fail"


def test_the_graders_environment_did_not_leak(batch):
    token = batch["token"]
    for p in batch["results"].rglob("*"):
        if p.is_file():
            assert token.encode() not in p.read_bytes(), p
    for p in batch["results2"].rglob("*"):
        if p.is_file():
            assert token.encode() not in p.read_bytes(), p
    assert token not in batch["out"] + batch["err"]


HTML_LIVE = [
    re.compile(r"<[^>]*REDTEAM-XSS"),  # a tag (or an attribute) built from a student's text
    re.compile(r"<(img|iframe|object|embed|form|base)\b", re.I),  # no page of ours has these
    re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),  # an event handler attribute
    re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
]


@pytest.mark.parametrize("results_key", ["results", "results2"])
def test_no_page_shows_student_html_or_escapes_live(batch, results_key):
    pages = list(batch[results_key].rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for pattern in HTML_LIVE:
            m = pattern.search(text)
            assert m is None, f"{page.relative_to(batch[results_key])}: {text[max(0, m.start() - 80):m.end() + 80]!r}"
        assert "\x1b" not in text and "\u202e" not in text, page
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S)
        assert all("REDTEAM" not in s and "alert(" not in s for s in scripts), page
    shown = (batch[results_key] / "leak_html_output" / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in shown  # it was shown, as text


def test_the_console_script_in_a_subprocess(batch):
    proc = batch["proc"]
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    assert batch["seconds2"] < HANG_GUARD
    assert b"\x1b" not in proc.stdout + proc.stderr
    assert batch["token"].encode() not in proc.stdout + proc.stderr
    again = read_results(batch["results2"], batch["ids2"])
    for sid in batch["ids2"]:
        assert again[sid]["score"] == batch["data"][sid]["score"], sid
        assert again[sid]["status"] == "graded", sid


# --------------------------------------------------------------------------- one submission at a time


@pytest.mark.parametrize("sid", HONEST)
def test_honest_submissions_keep_their_full_score(batch, sid):
    r = batch["data"][sid]
    assert r["status"] == "graded"
    assert r["score"] == r["max_score"] > 0, [(c["id"], c["message"]) for q in r["questions"] for c in q["checks"]
                                              if c["status"] != "pass"]
    for name in ("result.json", "report.html"):
        assert "REDTEAM" not in (batch["results"] / sid / name).read_text(encoding="utf-8"), name


def test_the_baseline_is_an_honest_wrong_answer(batch):
    r = batch["data"][BASELINE]
    assert r["status"] == "graded" and 0 <= r["score"] < r["max_score"] / 4


@pytest.mark.parametrize("sid", HOSTILE)
def test_hostile_submission_costs_only_its_author(batch, sid):
    r = batch["data"][sid]
    baseline = question_scores(batch["data"][BASELINE])
    got = question_scores(r)
    assert set(got) == set(baseline)
    over = {q: (got[q], baseline[q]) for q in got if got[q] > baseline[q]}
    assert over == {}, f"{sid} scored more than an honest wrong answer: {over}"
    if sid == "zip_traversal":
        assert r["status"] in ("graded", "error")
    else:
        assert r["status"] == "graded", r["errors"]
    for cid, status, text in MESSAGES.get(sid, ()):
        c = check(r, cid)
        texts = text if isinstance(text, tuple) else (text,)
        assert c["status"] == status and any(t in c["message"] for t in texts), (cid, c["status"], c["message"])
    if sid in NOTES:
        said = r["notes"] + [u["error"]["message"] for u in (r["load"] or {}).get("unit_errors", [])]
        assert any(NOTES[sid] in n for n in said), said
    # Nothing of another student reached this submission's files.
    for name in ("result.json", "report.html"):
        assert "HONEST-SECRET" not in (batch["results"] / sid / name).read_text(encoding="utf-8"), name


def test_processes_stay_within_the_limit_even_when_the_student_raises_it(batch):
    import re as _re

    result = batch["data"]["nproc_raise"]
    printed = (result.get("load") or {}).get("output", "")
    m = _re.search(r"started (\d+) processes", printed)
    assert m, printed
    assert int(m.group(1)) <= 32
