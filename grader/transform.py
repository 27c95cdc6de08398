"""Transform student text (Python 2 translation, IPython syntax) in a helper process with a deadline.

Translating Python 2 (fissix, difflib) and turning IPython syntax into Python are pure
functions of the student's text, but their cost is not bounded in general: fissix takes
seconds on a large file, a recursive walk can overflow the stack, a regex can take
quadratic time while holding the GIL.  Run in the grader's process, any of them could
stall or stop every slot of a batch.  They run here instead, in a helper process (one
per thread, started on first need and reused), each request under a deadline: a request
that runs out of time kills the helper (the next one starts afresh), and a helper that
dies or raises gives an error.  Either becomes :class:`TransformError`, which the loader
turns into that submission's error.  Text that needs no transformation (plain Python 3,
the usual case) never reaches the helper (see :func:`grader.load`), and text translated
before (the same file in another submission, or in an earlier run) is answered from
:mod:`grader.translations` without it.

No student code runs here or in the helper: the helper only parses and rewrites text.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import Any, Iterator

from .errors import LoadError

#: Seconds one request (one file, or one notebook cell) may take in the helper.
CALL_TIMEOUT = 10.0
#: Seconds all the requests of one submission may take together.
SUBMISSION_BUDGET = 20.0
#: Largest text sent to the helper, in characters; a larger file is not translated.
MAX_TEXT = 1 << 20
#: Seconds the helper may take to start.
START_TIMEOUT = 20.0

_HEADER = struct.Struct(">Q")


class TransformError(LoadError):
    """The helper ran out of time, died, or failed on a text; the message says which, in the student's terms."""

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why or message  #: the reason alone: "translating it took longer than 10 s"


# --------------------------------------------------------------------------- helper side


def _helper_main(notebooks: bool = False) -> None:
    """Serve requests on stdin/stdout until stdin closes (runs in the helper process).

    What requests need is imported at once, while the grader does other work; with
    `notebooks`, IPython's transformer too.
    """
    try:  # die with the grader, even in the middle of a long request
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: stdin closing still ends the helper
        pass
    from . import notebook, translate  # noqa: F401

    if notebooks:
        notebook.ipython_transformer()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = stdin.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return
        request = json.loads(stdin.read(_HEADER.unpack(head)[0]))
        try:
            reply = {"ok": _handle(request)}
        except BaseException as exc:  # noqa: BLE001 - RecursionError, MemoryError, anything: the reply says so
            reply = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        data = json.dumps(reply).encode()  # ensure_ascii: lone surrogates travel as \\udXXX
        stdout.write(_HEADER.pack(len(data)) + data)
        stdout.flush()


def _handle(request: dict[str, Any]) -> Any:
    """Run one request: ``python2`` (a file) or ``cell`` (a notebook cell: IPython syntax, then Python 2)."""
    from . import notebook, translate

    op = request["op"]
    if op == "ping":
        return "pong"
    if op == "python2":
        return _found(translate.python2(request["text"], request["name"], translate=request["translate"]))
    if op == "cell":
        source = notebook.to_python(request["text"])
        return {"source": source,
                "found": _found(translate.python2(source, request["name"], translate=request["translate"]))}
    raise ValueError(f"unknown request {op!r}")


def _found(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"text": found.text, "translated": found.translated, "diff": found.diff,
            "constructs": list(found.constructs), "first_line": found.first_line, "first": found.first,
            "divisions": list(found.divisions), "zero_divisions": [list(z) for z in found.zero_divisions]}


def _python2(d: dict[str, Any] | None) -> Any:
    from .translate import Python2

    if d is None:
        return None
    return Python2(text=d["text"], translated=d["translated"], diff=d["diff"], constructs=tuple(d["constructs"]),
                   first_line=d["first_line"], first=d["first"], divisions=tuple(d["divisions"]),
                   zero_divisions=tuple((int(line), str(text)) for line, text in d.get("zero_divisions", ())))


# --------------------------------------------------------------------------- grader side


class Helper:
    """One helper process, started on first use; a request that runs out of time kills it."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, notebooks: bool = False) -> None:
        """Start the helper now (it starts on first use otherwise); `notebooks`: import IPython at once too.

        ``grader check`` starts it early for a notebook, a folder or a zip, so that its start
        overlaps the grader's own.
        """
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start(notebooks)

    def _start(self, notebooks: bool = False) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        # The process tag of grader.sandbox (the test suite's), so that a helper left running is found too.
        tag = os.environ.get("GRADER_PROCESS_TAG", "")
        tag_arg = [f"--tag={tag}"] if tag and tag.isprintable() and len(tag) < 200 else []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"from grader.transform import _helper_main; _helper_main({bool(notebooks)})",
             *tag_arg],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            close_fds=True, start_new_session=True)

    def request(self, request: dict[str, Any], timeout: float) -> Any:
        """Send one request; return its result, or raise TransformError (out of time, died, failed)."""
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        data = json.dumps(request).encode()  # ensure_ascii: lone surrogates travel as \\udXXX
        deadline = time.monotonic() + timeout
        try:
            self.proc.stdin.write(_HEADER.pack(len(data)) + data)
            self.proc.stdin.flush()
            head = self._read(_HEADER.size, deadline)
            reply = json.loads(self._read(_HEADER.unpack(head)[0], deadline))
        except _OutOfTime:
            self.close()
            raise TransformError(f"took longer than {timeout:g} s") from None
        except (OSError, ValueError, struct.error):
            self.close()
            raise TransformError("stopped the grader's text helper (it died)") from None
        if "error" in reply:
            raise TransformError(f"failed ({reply['error']})")
        return reply["ok"]

    def _read(self, n: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _OutOfTime
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise OSError("the helper closed its output")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Stop the helper (killed: it may be in the middle of a request)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.kill()
        except OSError:
            pass
        for f in (proc.stdin, proc.stdout):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
        proc.wait()


class _OutOfTime(Exception):
    pass


_local = threading.local()


@contextlib.contextmanager
def using(helper: Helper) -> Iterator[None]:
    """Make `helper` this thread's helper for the duration (it is not stopped at the end)."""
    saved = getattr(_local, "helper", None)
    _local.helper = helper
    try:
        yield
    finally:
        _local.helper = saved


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Keep one helper for this thread for the duration (a batch slot); stopped at the end.

    Outside a session, each submission starts a helper when it needs one and stops it
    when it is loaded (:func:`submission`).
    """
    if getattr(_local, "helper", None) is not None:
        yield
        return
    helper = Helper()
    try:
        with using(helper):
            yield
    finally:
        helper.close()


@contextlib.contextmanager
def submission(budget: float | None = None) -> Iterator[None]:
    """Give the requests made while loading one submission a total time budget (default `SUBMISSION_BUDGET`)."""
    with session():
        saved = getattr(_local, "deadline", None)
        _local.deadline = time.monotonic() + (SUBMISSION_BUDGET if budget is None else budget)
        try:
            yield
        finally:
            _local.deadline = saved


def _request(request: dict[str, Any], what: str) -> Any:
    """Run one request in this thread's helper; a TransformError's ``why`` says what went wrong."""
    if len(request.get("text", "")) > MAX_TEXT:
        why = f"it holds {len(request['text'])} characters, more than the {MAX_TEXT} the grader translates"
        raise TransformError(f"{what} was not read: {why}; hand in only your code.", why)
    from . import translations

    k = translations.key(request)
    hit = translations.get(k)
    if hit is not None:  # the same text translated before (this run or an earlier one)
        return hit[0]
    with submission() if getattr(_local, "helper", None) is None else contextlib.nullcontext():
        deadline = getattr(_local, "deadline", None)
        timeout = CALL_TIMEOUT if deadline is None else min(CALL_TIMEOUT, deadline - time.monotonic())
        if timeout <= 0:
            why = f"translating this submission's code took longer than {SUBMISSION_BUDGET:g} s in all"
            raise TransformError(f"{what} was not read: {why}; hand in only your code.", why)
        try:
            result = _local.helper.request(request, timeout)
        except TransformError as exc:
            why = f"translating it {exc}"
            raise TransformError(f"{what} could not be read: {why}; this is most likely a bug in grader, or code "
                                 "far larger than the assignment needs. Hand in your code as Python 3.", why) from None
    translations.put(k, result)
    return result


def python2(text: str, name: str, *, translate: bool = True) -> Any:
    """:func:`grader.translate.python2`, run in the helper under a deadline; raises TransformError."""
    return _python2(_request({"op": "python2", "text": text, "name": name, "translate": translate}, name))


def cell(source: str, where: str, *, translate: bool = True) -> tuple[str, Any]:
    """:func:`grader.notebook.to_python`, then :func:`grader.translate.python2`, in the helper; raises TransformError."""
    out = _request({"op": "cell", "text": source, "name": where, "translate": translate}, where)
    return out["source"], _python2(out["found"])
