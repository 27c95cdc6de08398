"""How many slots a batch uses by default: the cores this process may use, not the machine's.

A cluster's job or ``taskset`` narrows the CPU affinity; a container (``--cpus 2``) or a
job's control group sets a CPU quota.  Slots beyond those only wait for a core.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factories import CORRECT_SOURCE, cli
from grader import batch
from grader.batch import _cgroup_cpu_quota, usable_cores

needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this system")


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="ascii")


@pytest.fixture
def many_cores(monkeypatch):
    """Eight cores in this process's affinity, whatever the machine has."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)


def test_a_cgroup_v2_quota_is_rounded_up(tmp_path, many_cores):
    root = tmp_path / "cg"
    _tree(root, {"cpu.max": "max 100000\n", "job/step/cpu.max": "150000 100000\n"})
    own = tmp_path / "own"
    own.write_text("0::/job/step\n", encoding="ascii")
    assert _cgroup_cpu_quota(root, own) == pytest.approx(1.5)
    assert usable_cores(cgroup_root=root, own_cgroup=own) == 2


def test_the_tightest_quota_of_the_group_and_its_parents_counts(tmp_path, many_cores):
    root = tmp_path / "cg"
    _tree(root, {"job/cpu.max": "100000 100000\n", "job/step/cpu.max": "300000 100000\n"})
    own = tmp_path / "own"
    own.write_text("0::/job/step\n", encoding="ascii")
    assert usable_cores(cgroup_root=root, own_cgroup=own) == 1


def test_a_cgroup_v1_cfs_quota_counts(tmp_path, many_cores):
    root = tmp_path / "cg"
    _tree(root, {"cpu,cpuacct/job/cpu.cfs_quota_us": "250000\n", "cpu,cpuacct/job/cpu.cfs_period_us": "100000\n",
                 "cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"})
    own = tmp_path / "own"
    own.write_text("4:memory:/elsewhere\n3:cpu,cpuacct:/job\n0::/\n", encoding="ascii")
    assert usable_cores(cgroup_root=root, own_cgroup=own) == 3


@pytest.mark.parametrize("files, own", [
    ({}, "0::/job\n"),  # no cpu.max anywhere
    ({"job/cpu.max": "max 100000\n"}, "0::/job\n"),  # no quota
    ({"job/cpu.max": "lots\n"}, "0::/job\n"),  # malformed
    ({"job/cpu.max": "100000 0\n"}, "0::/job\n"),  # a zero period
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "1:cpu:/\n"),  # v1, no quota
    ({"job/cpu.max": "100000 100000\n"}, "garbage"),  # /proc/self/cgroup unreadable as such
])
def test_no_readable_quota_leaves_the_affinity(tmp_path, many_cores, files, own):
    root = tmp_path / "cg"
    root.mkdir()
    _tree(root, files)
    (tmp_path / "own").write_text(own, encoding="ascii")
    assert usable_cores(cgroup_root=root, own_cgroup=tmp_path / "own") == 8


def test_a_quota_never_makes_fewer_than_one_slot(tmp_path, many_cores):
    root = tmp_path / "cg"
    _tree(root, {"cpu.max": "1000 100000\n"})
    (tmp_path / "own").write_text("0::/\n", encoding="ascii")
    assert usable_cores(cgroup_root=root, own_cgroup=tmp_path / "own") == 1


@needs_affinity
def test_a_process_bound_to_one_core_counts_one():
    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
            "from grader.batch import usable_cores; print(usable_cores())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def _two_copies(tmp_path: Path) -> Path:
    subs = tmp_path / "subs"
    subs.mkdir(parents=True)
    for name in ("ann", "ben"):
        (subs / f"{name}.py").write_text(CORRECT_SOURCE, encoding="utf-8")
    return subs


def test_grade_uses_as_many_slots_as_usable_cores_by_default(tmp_path, monkeypatch):
    seen = []
    real = batch.grade_batch

    def spy(*a, **k):
        seen.append(k.get("jobs"))
        return real(*a, **k)

    monkeypatch.setattr(batch, "usable_cores", lambda: 3)
    monkeypatch.setattr(batch, "grade_batch", spy)
    subs = _two_copies(tmp_path)
    (subs / "cat.py").write_text(CORRECT_SOURCE, encoding="utf-8")  # (never more slots than submissions)
    code, _, err = cli("grade", subs, "--out", tmp_path / "out", "--no-progress")
    assert code == 0, err
    assert seen == [3]
    code, _, err = cli("grade", _two_copies(tmp_path / "again"), "--out", tmp_path / "out2", "--no-progress", "--jobs", "1")
    assert code == 0, err
    assert seen == [3, 1]


def test_grade_with_similarity_and_no_jobs_option_checks_the_batch(tmp_path):
    # Without --jobs, the similarity check once failed with a TypeError (exit 3).
    out = tmp_path / "out"
    code, _, err = cli("grade", _two_copies(tmp_path), "--out", out, "--similarity", "--no-progress")
    assert code == 0, err
    assert "Traceback" not in err and "bug in grader" not in err
    ann = json.loads((out / "ann" / "result.json").read_text(encoding="utf-8"))
    assert [m["other"] for m in ann["similarity"]] == ["ben"]
    assert (out / "similarity.html").is_file()


def test_similarity_without_jobs_option_and_with_a_bad_one(tmp_path):
    subs = _two_copies(tmp_path)
    code, _, err = cli("similarity", subs, "--out", tmp_path / "sim")
    assert code == 0, err
    assert (tmp_path / "sim" / "similarity.csv").is_file()
    code, _, err = cli("similarity", subs, "--out", tmp_path / "sim2", "--jobs", "0")
    assert code == 2
    assert "--jobs must be at least 1 (got 0)" in err
