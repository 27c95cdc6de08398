"""The README's test command on a machine without a browser: the browser tests say how to get one and skip; CI fails them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pytest(**env: str) -> subprocess.CompletedProcess:
    run_env = {k: v for k, v in os.environ.items() if k != "GRADER_REQUIRE_BROWSER"}
    run_env.update(env, GRADER_CHROMIUM="no-such-browser-here")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/test_browser.py::test_summary_sorts_by_a_clicked_header"],
        cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120)


def test_without_a_browser_the_browser_tests_skip_and_say_how_to_install_one():
    p = _pytest()
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 skipped" in p.stdout
    assert "headless Chromium is not installed" in p.stdout and "apt-get install chromium" in p.stdout


def test_where_the_browser_is_required_its_absence_fails_the_run():
    p = _pytest(GRADER_REQUIRE_BROWSER="1")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "GRADER_REQUIRE_BROWSER is set: the browser tests must run" in p.stdout
