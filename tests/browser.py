"""Drive headless Chromium from the tests: the DevTools protocol over a pipe, standard library only.

Chromium started with ``--remote-debugging-pipe`` reads DevTools commands (JSON, each
ended by a NUL byte) from its file descriptor 3 and writes answers and events to its
descriptor 4.  :class:`Chromium` starts the browser that way, opens one tab, and offers
what the browser tests need: set the viewport, open a ``file://`` page, evaluate
JavaScript in it, click, take a screenshot, and collect everything the page reported
(console messages, uncaught exceptions, Content-Security-Policy violations, JavaScript
dialogs such as ``alert``, and every request the page made).

No WebDriver, no package: only the ``chromium`` binary.  :func:`find_chromium` returns
its path or ``None``; the tests fail (never skip) when it is missing.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Names under which a Chromium may be on the PATH; ``GRADER_CHROMIUM`` overrides them.
NAMES = ("chromium", "chromium-browser", "google-chrome", "headless_shell")

#: Flags for a quiet headless browser on a machine without network (and possibly as root).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-quic",
    "--mute-audio",
    "--remote-debugging-pipe",
)


#: The contrast ratio (WCAG) of the text of each element matching the selector given as ``SEL``,
#: against the first opaque background behind it: [[ratio, text], ...].
CONTRAST_JS = r"""
((sel) => {
  const lum = (c) => { const m = c.match(/[\d.]+/g).map(Number).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; };
  const behind = (e) => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
    if (c && c !== "transparent" && !/rgba\(.*, 0\)$/.test(c)) return c; } return "rgb(255, 255, 255)"; };
  return Array.from(document.querySelectorAll(sel)).map((e) => {
    const a = lum(getComputedStyle(e).color), b = lum(behind(e));
    return [(Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), e.textContent.trim().slice(0, 40)]; });
})(SEL)
"""


def find_chromium() -> str | None:
    """Return the path of a Chromium, or None: ``$GRADER_CHROMIUM`` first, then :data:`NAMES` on the PATH."""
    env = os.environ.get("GRADER_CHROMIUM")
    if env:
        return shutil.which(env)
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def looked_for() -> str:
    """Say where :func:`find_chromium` looked, for a message."""
    env = os.environ.get("GRADER_CHROMIUM")
    return f"GRADER_CHROMIUM={env}" if env else f"{', '.join(NAMES)} on the PATH"


class BrowserError(RuntimeError):
    """The browser died, answered with an error, or did not answer in time."""


@dataclass
class Seen:
    """What a page reported while it was open."""

    console: list[tuple[str, str]] = field(default_factory=list)  #: (level, text) of console calls and log entries
    exceptions: list[str] = field(default_factory=list)  #: uncaught exceptions
    dialogs: list[str] = field(default_factory=list)  #: alert/confirm/prompt messages
    requests: list[str] = field(default_factory=list)  #: URLs the page asked for, its own included

    def errors(self) -> list[str]:
        """Return every console error, exception, CSP violation and dialog, as text."""
        out = [f"console {lvl}: {text}" for lvl, text in self.console if lvl in ("error", "assert")]
        out += [f"exception: {e}" for e in self.exceptions]
        out += [f"dialog: {d}" for d in self.dialogs]
        return out

    def csp_violations(self) -> list[str]:
        """Return the console messages that report a Content-Security-Policy violation."""
        return [text for _, text in self.console if "Content Security Policy" in text]


class Chromium:
    """One headless Chromium with one tab, driven over ``--remote-debugging-pipe``.

    Use as a context manager: on exit the browser is closed (its process group killed if it lingers).
    """

    def __init__(self, executable: str, *, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="grader-chromium-", ignore_cleanup_errors=True)
        self._log = tempfile.TemporaryFile()  # Chromium's own messages, read back when it dies
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def plumb() -> None:  # in the child, before exec: its fd 3 reads commands, fd 4 writes answers
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            close_fds=False,
            preexec_fn=plumb,
            start_new_session=True,  # its own process group, so that close() ends its helpers too
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session = ""
        self.seen = Seen()
        self._target = ""
        try:
            self._new_tab()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data) :]

    def _read(self, deadline: float) -> dict[str, Any] | None:
        """Return the next message, or None at the deadline."""
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium closed its pipe (exit status {self.proc.poll()}): {self._stderr()}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self._note(message)
        return message

    def _stderr(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def _note(self, event: dict[str, Any]) -> None:
        """Record what the page reports; accept a JavaScript dialog so the page is not blocked."""
        method, p = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.seen.console.append((p.get("type", ""), text))
        elif method == "Log.entryAdded":
            entry = p["entry"]
            self.seen.console.append((entry.get("level", ""), f"[{entry.get('source')}] {entry.get('text', '')} {entry.get('url', '')}".strip()))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.seen.exceptions.append(d.get("exception", {}).get("description") or d.get("text", ""))
        elif method == "Page.javascriptDialogOpening":
            self.seen.dialogs.append(f"{p.get('type')}: {p.get('message')}")
            self._send({"id": self._take_id(), "method": "Page.handleJavaScriptDialog", "params": {"accept": True}, "sessionId": self.session})
        elif method == "Network.requestWillBeSent":
            self.seen.requests.append(p["request"]["url"])
        self._events.append(event)

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def call(self, method: str, *, session: bool = True, **params: Any) -> dict[str, Any]:
        """Send one DevTools command (to the tab unless ``session=False``) and return its result."""
        mid = self._take_id()
        message: dict[str, Any] = {"id": mid, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read(deadline)
            if answer is None:
                raise BrowserError(f"no answer to {method} within {self.timeout} s")
            if answer.get("id") == mid:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def wait_for(self, method: str, timeout: float | None = None) -> dict[str, Any]:
        """Return the params of the first event named ``method`` not yet waited for."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method:
                    del self._events[: i + 1]
                    return event.get("params", {})
            self._events.clear()
            if self._read(deadline) is None:
                raise BrowserError(f"no {method} within {timeout or self.timeout} s")

    def settle(self, seconds: float = 0.2) -> None:
        """Read whatever the page reports during a short while (late errors, violations, dialogs)."""
        deadline = time.monotonic() + seconds
        while self._read(deadline) is not None:
            pass

    # ------------------------------------------------------------------ pages

    def _new_tab(self) -> None:
        """Replace the tab by a fresh one (nothing, not even ``window.name``, carries over)."""
        old = self._target
        self._target = self.call("Target.createTarget", url="about:blank", session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=self._target, flatten=True, session=False)["sessionId"]
        if old:
            self.call("Target.closeTarget", targetId=old, session=False)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def open(self, page: Path | str, *, width: int = 1280, height: int = 900, mobile: bool = False) -> Seen:
        """Open a file (or URL) in a fresh tab laid out at ``width`` x ``height`` CSS pixels (a phone
        when ``mobile``: the page's meta viewport applies), wait for its load event, and return
        what it reports from then on."""
        url = page.resolve().as_uri() if isinstance(page, Path) else page
        self._new_tab()
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        self.seen = Seen()
        self._events.clear()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"could not open {url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired")
        self.settle()
        return self.seen

    def dark(self, on: bool = True) -> None:
        """Lay the open page out as for a reader whose system asks for a dark theme (or not)."""
        self.call("Emulation.setEmulatedMedia",
                  features=[{"name": "prefers-color-scheme", "value": "dark" if on else "light"}])
        self.settle(0.05)

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page and return its value (JSON-serialisable)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Click the centre of the first element matching ``selector``, as a mouse would."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if box is None:
            raise BrowserError(f"nothing matches {selector!r}")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        self.settle(0.05)

    def screenshot(self, png: Path, *, top: float = 0, height: float | None = None) -> Path:
        """Write a PNG of the page to ``png``: all of it, or ``height`` CSS pixels from ``top``."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if height is not None:
            width = self.js("document.documentElement.scrollWidth")
            params["clip"] = {"x": 0, "y": top, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        png.write_bytes(base64.b64decode(data))
        return png

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the browser (kill its process group if it does not go), and remove its profile."""
        try:
            if self.proc.poll() is None:
                try:
                    self._send({"id": self._take_id(), "method": "Browser.close"})
                    self.proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this object started, helpers included
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()
            self._profile.cleanup()

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
