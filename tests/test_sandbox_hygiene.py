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
    sb.spawn()
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
