"""Collection guard (the student code under tests/ is data for the sandbox, never imported by pytest), and the browser."""

import os

import pytest

# tests/redteam holds hostile submissions (they kill processes, fill disks, leave daemons) and
# tests/submissions holds student code with top-level statements: importing either in the test
# process would run it unsandboxed. pyproject.toml ignores them too; this guard stays if the
# command line's options change.
collect_ignore_glob = ["redteam/*", "submissions/*"]


#: Set (to anything but "" or "0") where a missing browser must fail the run instead of
#: skipping the browser tests: .ci/run sets it, so that CI always runs them.
REQUIRE_BROWSER = "GRADER_REQUIRE_BROWSER"


@pytest.fixture(scope="module")
def chrome():
    """A headless Chromium for the tests of what a person sees; skipped (or, in CI, failed) without one."""
    import browser

    exe = browser.find_chromium()
    if exe is None:
        why = ("headless Chromium is not installed, so what a person sees cannot be checked: install it "
               f"(apt-get install chromium) or set GRADER_CHROMIUM to one; looked for {browser.looked_for()}")
        if os.environ.get(REQUIRE_BROWSER, "") not in ("", "0"):
            pytest.fail(f"{why} ({REQUIRE_BROWSER} is set: the browser tests must run)", pytrace=False)
        pytest.skip(why)
    with browser.Chromium(exe) as c:
        yield c
