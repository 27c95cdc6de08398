"""Collection guard (the student code under tests/ is data for the sandbox, never imported by pytest),
the browser, and the check that no sandbox process outlives the session."""

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


# --------------------------------------------------------------------------- no process left behind

import time  # noqa: E402
import uuid  # noqa: E402

#: This session's tag: every grader started by it (in this process or as a subprocess, which
#: inherits the environment) adds it to its zygotes' command lines, and its bubblewrap
#: processes carry it in their environment. Other sessions running on the same machine have
#: their own tag, so their processes are never counted here.
SESSION_TAG = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:12]}"
os.environ["GRADER_PROCESS_TAG"] = SESSION_TAG


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def sandbox_processes(tag: str = SESSION_TAG) -> list[str]:
    """The live bubblewrap, zygote, leader and student processes started under ``tag``."""
    found = []
    me = os.getpid()
    mark = tag.encode()
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit() or int(name) == me:
            continue
        cmdline = _read(f"/proc/{name}/cmdline")
        if not cmdline:  # a zombie (or a kernel thread): nothing runs there any more
            continue
        environ = _read(f"/proc/{name}/environ")
        if mark in cmdline or (mark in environ and b"bwrap" in cmdline):
            words = cmdline.replace(b"\0", b" ").decode("utf-8", "replace")
            found.append(f"{name}: {words[:300]}")
    return found


def wait_for_no_sandbox_process(tag: str = SESSION_TAG, seconds: float = 10.0) -> list[str]:
    """Wait (killed processes take a moment to go) and return what is still alive."""
    deadline = time.monotonic() + seconds
    while True:
        left = sandbox_processes(tag)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def no_sandbox_process_left_behind():
    """Fail the run if a sandbox process started by this session outlives it."""
    yield
    left = wait_for_no_sandbox_process()
    assert not left, "sandbox processes of this test session are still running:\n" + "\n".join(left)


# --------------------------------------------------------------------------- translation cache

import tempfile  # noqa: E402

#: Each test session starts with an empty translation cache of its own (removed at its end), so
#: that no test depends on what another one, or an earlier session, translated. Subprocesses
#: inherit it through the environment.
_TRANSLATION_CACHE = tempfile.mkdtemp(prefix="grader-translations-")
os.environ["GRADER_TRANSLATION_CACHE"] = _TRANSLATION_CACHE


@pytest.fixture(autouse=True)
def _empty_translation_cache(monkeypatch):
    """Each test starts with an empty translation cache too (in memory and on disk)."""
    from grader import translations

    monkeypatch.setenv("GRADER_TRANSLATION_CACHE", tempfile.mkdtemp(dir=_TRANSLATION_CACHE))
    translations.clear_memory()
    yield
    translations.clear_memory()


def pytest_unconfigure(config):
    import shutil

    shutil.rmtree(_TRANSLATION_CACHE, ignore_errors=True)
