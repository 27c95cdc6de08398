"""The child side: the ONLY module that imports student code (stdlib and numpy only).

This file is bound alone into the sandbox and run as ``python -I -S _worker.py``.
It becomes a warm *zygote*: it imports numpy once, then for each submission it is
sent, forks a fresh child that drops its privileges, writes the submission's files
into a private scratch folder, loads the student's code statement by statement
(or cell by cell) and makes the calls it was asked for.  The zygote watches the
child's clock, reads its output with a bound, kills it and every process it left
behind, and starts a fresh child for the remaining calls after a crash or timeout.

The grader's process imports this module only for the wire format (``pack``,
``FrameReader``, ``unpack``); nothing here runs student code in the grader.

Wire format of one frame::

    >I header length, >Q total blob length, header (JSON, UTF-8), blobs

The header holds ``"$blobs": [len, ...]``; an array is ``{"$a": i, "dtype": "<f8",
"shape": [3]}`` and bytes are ``{"$b": i}``, both pointing at blob ``i``.
Nothing is ever pickled.
"""

from __future__ import annotations

import errno
import fcntl
import io
import json
import os
import re
import select
import signal
import struct
import sys
import time

# --------------------------------------------------------------------------- wire

_PREFIX = struct.Struct(">IQ")
#: Largest JSON header accepted, in bytes.
MAX_HEADER = 4 << 20
#: Largest header of a child's event other than its load report, in bytes.
MAX_OUTCOME_HEADER = 256 << 10
#: Deepest nesting of lists and objects accepted in a frame.
MAX_DEPTH = 16
#: Dtypes an array may have on the wire: bool, signed/unsigned ints, floats.
_DTYPE_RE = re.compile(r"^[<>|=]?(b1|[iu][1248]|f(2|4|8|16))$")


class ProtocolError(Exception):
    """A frame that breaks the wire format (or the bounds set for it)."""


_INFINITIES = (float("inf"), float("-inf"))


def _walk_into(o, blobs: list):
    """``o`` as JSON values, its arrays and bytes appended to ``blobs`` and named by index."""
    t = type(o)
    if t is str or t is int or t is bool or o is None:  # most of a header: no further test applies
        return o
    if t is float:
        return o if o == o and o not in _INFINITIES else {"$f": repr(o)}
    if isinstance(o, dict):
        return {str(k): _walk_into(v, blobs) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_walk_into(v, blobs) for v in o]
    if isinstance(o, (bytes, bytearray, memoryview)):
        blobs.append(memoryview(o).cast("B"))
        return {"$b": len(blobs) - 1}
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(o, np.ndarray):
            a = o
            if type(a) is not np.ndarray:
                a = a.view(np.ndarray)
            flat = np.ascontiguousarray(a).reshape(-1)  # (ascontiguousarray makes a 0-d array 1-d)
            blobs.append(memoryview(flat.view(np.uint8)))
            return {"$a": len(blobs) - 1, "dtype": a.dtype.str, "shape": list(a.shape)}
        if isinstance(o, np.generic):
            return _walk_into(o.item(), blobs)
    if isinstance(o, float) and (o != o or o in _INFINITIES):
        return {"$f": repr(o)}
    return o


class Shared:
    """Members of a frame's header encoded once, to be put in many frames (see :func:`share`)."""

    __slots__ = ("members", "blobs", "keys", "obj")

    def __init__(self, members: str, blobs: list, keys: frozenset, obj: dict) -> None:
        self.members, self.blobs, self.keys, self.obj = members, blobs, keys, obj


def share(obj: dict) -> Shared:
    """Encode the members of ``obj`` (a non-empty dict) once, for :func:`pack_parts` to reuse.

    Their blobs come first in every frame they are put in, so the indices written in their
    JSON hold there.  Arrays are viewed, not copied: they must not change while shared.
    """
    if not isinstance(obj, dict) or not obj:
        raise ValueError("only the members of a non-empty dict can be shared")
    blobs: list = []
    text = json.dumps(_walk_into(obj, blobs), separators=(",", ":"), allow_nan=False)
    return Shared(text[1:-1], blobs, frozenset(str(k) for k in obj), obj)


def pack_parts(obj, shared: Shared | None = None) -> list:
    """Encode ``obj`` (JSON values, numpy arrays, bytes) into one frame, as a list of buffers.

    Array data is not copied: the buffers view the arrays (write them before changing them).
    With ``shared``, ``obj`` (a dict, none of its keys shared) gets the shared members too.
    """
    blobs: list = list(shared.blobs) if shared is not None else []
    header = _walk_into(obj, blobs)
    header["$blobs"] = [len(b) for b in blobs]
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False)
    if shared is not None:
        if not shared.keys.isdisjoint(header):
            raise ValueError("a shared member is also in the frame")
        raw = raw[:-1] + "," + shared.members + "}"
    raw = raw.encode()
    return [_PREFIX.pack(len(raw), sum(len(b) for b in blobs)) + raw, *blobs]


def pack(obj, shared: Shared | None = None) -> bytes:
    """Encode ``obj`` into one frame (see :func:`pack_parts`)."""
    return b"".join(pack_parts(obj, shared))


def write_frame(fd: int, obj) -> None:
    """Write ``obj`` as one frame to ``fd`` without joining its buffers first."""
    views = [memoryview(p) for p in pack_parts(obj) if len(p)]
    while views:
        n = os.writev(fd, views[:256])
        while n:
            if n >= len(views[0]):
                n -= len(views.pop(0))
            else:
                views[0] = views[0][n:]
                n = 0


#: A large frame's buffer is mapped with its pages at once up to this size (an honest outcome
#: holds at most a few MiB), and page by page above it.
POPULATE_MAX = 16 << 20
#: Frames at least this large are gathered in one buffer of their own size (read into it
#: directly by :meth:`FrameReader.read_from`), and their arrays are decoded as views of it.
BIG_FRAME = 1 << 18


class FrameReader:
    """Split a byte stream into frames, refusing any frame larger than ``max_bytes``.

    Small frames are gathered in chunks and joined once, when complete.  A large frame
    (``BIG_FRAME``) gets a buffer of its announced size as soon as its prefix is read,
    and the rest is read straight into it: one copy of a 2 MB gradient, not four.
    Blobs are views into the frame (no further copy).
    """

    def __init__(self, max_bytes: int, splice_min: int | None = None, splice_events: tuple = ("outcome",)) -> None:
        self.max_bytes = max_bytes
        # A frame of an event in ``splice_events`` whose blobs weigh at least ``splice_min``
        # bytes is not gathered: once its header is read, it comes back as a :class:`Started`
        # (its header, the bytes read so far, the count still to come), and the caller moves
        # the rest itself (a leader splices it to the grader without copying it).
        self.splice_min = splice_min
        self.splice_events = splice_events
        self.whole = False  # the frame being gathered was seen not to be one of those
        self.chunks: list[bytes] = []
        self.have = 0  # bytes in chunks
        self.need = 0  # bytes the frame at the start of chunks needs, once its prefix is known
        self.big = None  # the large frame being filled (an anonymous mapping of its size)
        self.filled = 0

    def read_from(self, fd: int, size: int = 1 << 20) -> list[tuple[dict, list, bytes]] | None:
        """Read once from ``fd``; return the frames now complete, or None at end of file."""
        if self.big is not None:
            n = os.readv(fd, [memoryview(self.big)[self.filled :]])
            if n == 0:
                return None
            self.filled += n
            return [self._finish_big()] if self.filled == len(self.big) else []
        data = os.read(fd, size)
        if not data:
            return None
        return self.feed(data)

    def _finish_big(self) -> tuple[dict, list, bytes]:
        raw, self.big, self.filled = self.big, None, 0
        hlen, blen = _PREFIX.unpack_from(raw)
        return _parse(raw, hlen, blen)

    def feed(self, data: bytes) -> list[tuple[dict, list, bytes]]:
        """Add bytes; return the frames now complete as (header, blobs, raw frame)."""
        out: list = []
        if self.big is not None:
            take = min(len(data), len(self.big) - self.filled)
            self.big[self.filled : self.filled + take] = data[:take]
            self.filled += take
            if self.filled < len(self.big):
                return out
            out.append(self._finish_big())
            data = data[take:]
        if data:
            self.chunks.append(bytes(data))
            self.have += len(data)
        if self.have < max(self.need, _PREFIX.size):
            return out
        buf = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        pos, self.need = 0, 0
        while len(buf) - pos >= _PREFIX.size:
            hlen, blen = _PREFIX.unpack_from(buf, pos)
            if hlen > MAX_HEADER or hlen + blen > self.max_bytes:
                raise ProtocolError(f"frame of {hlen + blen} bytes exceeds the limit of {self.max_bytes}")
            total = _PREFIX.size + hlen + blen
            if len(buf) - pos < total:
                if self.splice_min is not None and blen >= self.splice_min and not self.whole:
                    if len(buf) - pos < _PREFIX.size + hlen:
                        self.need = _PREFIX.size + hlen  # its header first
                        break
                    head = buf[pos:]
                    header = _parse_header(head, hlen, blen)
                    if header.get("ev") in self.splice_events:
                        out.append(Started(header, head, total - len(head)))
                        self.chunks, self.have, self.need = [], 0, 0
                        return out
                    self.whole = True  # another event: gathered whole, its header read once more at the end
                self.need = total
                break
            raw = buf if pos == 0 and total == len(buf) else buf[pos : pos + total]
            pos += total
            out.append(_parse(raw, hlen, blen))
            self.whole = False
        rest = buf[pos:] if pos else buf
        if self.need >= BIG_FRAME:
            import mmap

            # Its own mapping, unmapped when the last array decoded from it goes: multi-MiB
            # buffers from the heap would fragment it (the grader's memory would creep up).
            # Pages of a frame that honest code fills are mapped at once (one call, not a page
            # fault per 4 KiB); a larger announced frame (a forged one, most likely) only as filled.
            flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
            if self.need <= POPULATE_MAX:
                flags |= getattr(mmap, "MAP_POPULATE", 0)
            self.big = mmap.mmap(-1, self.need, flags=flags)
            self.whole = False
            self.big[: len(rest)] = rest
            self.filled, self.need = len(rest), 0
            rest = b""
        self.chunks = [rest] if rest else []
        self.have = len(rest)
        return out


class Started:
    """The start of a frame too large to gather (see ``FrameReader.splice_min``).

    ``header`` is its parsed header (its blob table checked against its length), ``head``
    the frame's bytes read so far (prefix, header and the first blob bytes), ``rest`` the
    number of its bytes still to come.
    """

    __slots__ = ("header", "head", "rest")

    def __init__(self, header: dict, head: bytes, rest: int) -> None:
        self.header, self.head, self.rest = header, head, rest


def _parse_header(raw: bytes, hlen: int, blen: int) -> dict:
    """The header of the frame starting ``raw``, its blob table left in it as ``$blobs``."""
    try:
        header = json.loads(raw[_PREFIX.size : _PREFIX.size + hlen])
    except (ValueError, RecursionError) as e:
        raise ProtocolError(f"frame header is not JSON: {type(e).__name__}") from None
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not an object")
    lens = header.get("$blobs", [])
    if not isinstance(lens, list) or not all(isinstance(n, int) and n >= 0 for n in lens) or sum(lens) != blen:
        raise ProtocolError("frame blob table does not match its length")
    return header


def _parse(raw: bytes, hlen: int, blen: int) -> tuple[dict, list, bytes]:
    header = _parse_header(raw, hlen, blen)
    lens = header.pop("$blobs", [])
    view = memoryview(raw)
    blobs, pos = [], _PREFIX.size + hlen
    for n in lens:
        blobs.append(view[pos : pos + n])
        pos += n
    return header, blobs, raw


def unpack(header, blobs: list[bytes], *, max_elems: int | None = None):
    """Decode a frame header, turning array and bytes references into values.

    Arrays are rebuilt with ``np.frombuffer`` from raw bytes after checking the dtype
    against a whitelist and the byte count against the shape: no object, no pickle.
    Each blob is decoded at most once (``pack`` never shares one), so what a frame
    decodes to is never larger than the frame.
    """
    used: set = set()

    def claim(i, what: str) -> None:
        if not isinstance(i, int) or not 0 <= i < len(blobs):
            raise ProtocolError(f"bad {what} reference")
        if i in used:
            raise ProtocolError(f"{what} reference to a blob already used")
        used.add(i)

    def walk(o, depth=0):
        # Only containers are walked into: a value of any other type is kept as it is, and a
        # container's members sit one level deeper than it (none may be below MAX_DEPTH).
        if depth > MAX_DEPTH:
            raise ProtocolError(f"frame nested deeper than {MAX_DEPTH} levels")
        if isinstance(o, dict):
            if "$a" in o:
                return _array(o)
            if "$b" in o:
                i = o["$b"]
                claim(i, "bytes")
                return bytes(blobs[i])
            if "$f" in o:
                if o["$f"] not in ("nan", "inf", "-inf"):
                    raise ProtocolError("bad float")
                return float(o["$f"])
            if o and depth >= MAX_DEPTH:
                raise ProtocolError(f"frame nested deeper than {MAX_DEPTH} levels")
            return {k: walk(v, depth + 1) if isinstance(v, (dict, list)) else v for k, v in o.items()}
        if isinstance(o, list):
            if o and depth >= MAX_DEPTH:
                raise ProtocolError(f"frame nested deeper than {MAX_DEPTH} levels")
            return [walk(v, depth + 1) if isinstance(v, (dict, list)) else v for v in o]
        return o

    def _array(o):
        import numpy as np

        i, dtype, shape = o.get("$a"), o.get("dtype"), o.get("shape")
        claim(i, "array")
        if not isinstance(dtype, str) or not _DTYPE_RE.match(dtype):
            raise ProtocolError(f"array dtype {dtype!r} is not a plain numeric type")
        if (
            not isinstance(shape, list)
            or len(shape) > 32
            or not all(isinstance(n, int) and 0 <= n < 2**40 for n in shape)
        ):
            raise ProtocolError("bad array shape")
        dt = np.dtype(dtype)
        count = 1
        for n in shape:
            count *= n
        if max_elems is not None and count > max_elems:
            raise ProtocolError(f"array of {count} elements exceeds the limit of {max_elems}")
        if len(blobs[i]) != count * dt.itemsize:
            raise ProtocolError("array byte count does not match its shape")
        a = np.frombuffer(blobs[i], dtype=dt, count=count).reshape(shape)
        # A large frame's own buffer (writable) is kept by its arrays; a small frame's bytes are copied.
        return a if isinstance(blobs[i], memoryview) and not blobs[i].readonly else a.copy()

    try:
        return walk(header)
    finally:
        del walk  # a closure cycle holding the blobs: freed now, not at the next gc pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# --------------------------------------------------------------------------- zygote

#: Calls of one function that may time out before its remaining calls are given up.
MAX_TIMEOUTS = 2
#: Seconds between two measurements of the student's processes' total resident memory.
MEMORY_POLL = 0.1


def read_frame(fd: int, max_bytes: int):
    """Read exactly one frame from ``fd`` (never a byte more); return (header, blobs) or None at EOF."""

    def exactly(n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(fd, min(n - len(buf), 1 << 20))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    prefix = exactly(_PREFIX.size)
    if prefix is None:
        return None
    hlen, blen = _PREFIX.unpack(prefix)
    if hlen > MAX_HEADER or hlen + blen > max_bytes:
        raise ProtocolError(f"frame of {hlen + blen} bytes exceeds the limit of {max_bytes}")
    rest = exactly(hlen + blen)
    if rest is None:
        return None
    frames = FrameReader(max_bytes).feed(prefix + rest)
    return frames[0][0], frames[0][1]


def _read_raw_frame(fd: int, max_bytes: int) -> bytes | None:
    """Read exactly one frame from ``fd`` and return its bytes as they came (None at EOF)."""
    prefix = _read_exactly(fd, _PREFIX.size)
    if prefix is None:
        return None
    hlen, blen = _PREFIX.unpack(prefix)
    if hlen > MAX_HEADER or hlen + blen > max_bytes:
        raise ProtocolError(f"frame of {hlen + blen} bytes exceeds the limit of {max_bytes}")
    rest = _read_exactly(fd, hlen + blen)
    return None if rest is None else prefix + rest


def _read_exactly(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


#: An outcome whose blobs weigh at least this many bytes is spliced from the child's pipe to
#: the grader's, not read and written again by the leader.
SPLICE_MIN = 64 << 10
#: What a leader reads from its child's pipe at once: a large frame's header and first
#: bytes, the rest spliced.
READ_SIZE = 64 << 10

#: Largest frame of hidden inputs a leader accepts (the grader's MAX_REQUEST).
MAX_HIDDEN = 256 << 20


def main() -> None:
    """Serve the grader on stdin/stdout until stdin closes (the zygote's main loop).

    The zygote reads only control frames, and the rubric's call inputs once ("inputs":
    the same for every submission, and given to every child anyway; never expected
    values).  Each submission's request is read by a *leader* forked for it, which
    grades it and exits: no submission's code or stand-ins ever enter the zygote's
    memory, so nothing of one submission can be found in the memory of the next one's
    children.
    """
    # Our own output must never mix with frames: frames go to a private duplicate of fd 1,
    # and fd 1/2 point at stderr (which the grader reads with a bound).
    out = os.dup(1)
    os.dup2(2, 1)
    _set_pdeathsig()
    _set_subreaper()
    _set_dumpable(False)
    config: dict = {}
    while True:
        frame = read_frame(0, 1 << 20)
        if frame is None:
            return
        req = unpack(*frame)
        op = req.get("op")
        if op == "config":
            config = req
            config["pidns"] = os.getpid() <= 3
            if config.get("uid") is not None:
                _as_uid(config["uid"], _clear_keyrings)  # what earlier runs of this uid left
            for p in reversed(req.get("sys_path", [])):
                if p not in sys.path:
                    sys.path.insert(0, p)
            import numpy  # noqa: F401  (warm: every child inherits it)

            _preload()
            if (config.get("uid") is not None and not config["pidns"]
                    and not _readable_as(config["uid"], os.path.dirname(os.__file__))):
                # No mount namespace (the process level) and an interpreter the slot's uid cannot
                # read (installed in a private home): the student's process could import only
                # what is already imported, so the standard modules students use are, here.
                config["stdlib_preloaded"] = _preload_stdlib()
            for calls in (_KEYRING_CALLS, _KEYRING_CALLS + _MQUEUE_CALLS):
                _seccomp_filter(calls)  # built once here, installed by each child
            _write_all(out, pack({"ev": "ready", "pid": os.getpid(), "numpy": numpy.__version__}))
        elif op == "inputs":
            # The rubric's call inputs (never expected values), sent once per zygote: every
            # leader and child inherits them by fork instead of receiving them per submission.
            frame = read_frame(0, int(req.get("max_bytes", 256 << 20)))
            if frame is None:
                return
            inputs = unpack(*frame).get("inputs", {})
            config["inputs"] = inputs if isinstance(inputs, dict) else {}
            _write_all(out, pack({"ev": "inputs", "n": len(config["inputs"])}))
        elif op == "next":
            pid = os.fork()
            if pid == 0:  # the leader of one submission
                code = 0
                try:
                    _set_subreaper()
                    request = read_frame(0, int(req.get("max_request", 256 << 20)))
                    if request is not None:
                        Zygote(config, unpack(*request), out).run()
                except BaseException:  # noqa: BLE001 - say it where the grader sees it, then go
                    import traceback

                    try:
                        os.write(2, traceback.format_exc().encode()[-4000:])
                    except OSError:
                        pass
                    code = 70
                os._exit(code)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            _kill_leftovers(config.get("uid"), in_ns=config.get("pidns", False))
            _remove_ipc(config.get("uid"), in_ns=config.get("pidns", False))
            _remove_shared_files(config.get("uid"), in_ns=config.get("pidns", False))
        elif op == "ping":
            _write_all(out, pack({"ev": "pong"}))
        else:
            _write_all(out, pack({"ev": "error", "message": f"unknown op {op!r}"}))


def _preload() -> None:
    """Import what the harness needs before any student code, and before our import hooks exist."""
    import __future__  # noqa: F401
    import ast  # noqa: F401
    import importlib  # noqa: F401
    import importlib.util  # noqa: F401
    import inspect  # noqa: F401
    import linecache  # noqa: F401
    import random  # noqa: F401
    import resource  # noqa: F401
    import traceback  # noqa: F401
    import ctypes  # noqa: F401
    import difflib  # noqa: F401  (a starter's stub told from a typo; the slot's uid may not read the stdlib)
    import dis  # noqa: F401
    import fcntl  # noqa: F401
    import hashlib  # noqa: F401  (the grader's cost-function table checks the outputVectors' digest)
    import mmap  # noqa: F401
    import copy  # noqa: F401  (arguments that are lists or dicts are the student's own deep copies)


#: Standard modules imported in the zygote when the slot's uid cannot read the interpreter's
#: own files (see main): what the assignment's code and its students import.
_STDLIB_COMMON = (
    "abc", "argparse", "array", "bisect", "cmath", "collections", "collections.abc", "contextlib", "copy",
    "csv", "dataclasses", "datetime", "decimal", "enum", "fnmatch", "fractions", "functools", "glob", "gzip",
    "heapq", "io", "itertools", "json", "logging", "math", "numbers", "operator", "os.path", "pickle",
    "pprint", "queue", "random", "re", "shutil", "statistics", "string", "struct", "tempfile", "textwrap",
    "threading", "time", "timeit", "typing", "warnings", "zipfile",
)


def _preload_stdlib() -> list:
    """Import :data:`_STDLIB_COMMON` (those this interpreter has); return their names."""
    import importlib

    done = []
    for name in _STDLIB_COMMON:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - a module this build lacks: not offered
            pass
    return done


def _readable_as(uid: int, path: str) -> bool:
    """Whether ``uid`` can list ``path`` (tried in a forked process that becomes ``uid``)."""
    p = os.fork()
    if p == 0:
        ok = False
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.listdir(path)
            ok = True
        except BaseException:  # noqa: BLE001
            pass
        os._exit(0 if ok else 1)
    try:
        _, status = os.waitpid(p, 0)
    except ChildProcessError:
        return False
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


class Zygote:
    """Grade one submission: fork children, watch them, forward their events."""

    def __init__(self, config: dict, req: dict, out: int) -> None:
        self.config, self.req, self.out = config, req, out
        self.settings = req.get("settings", {})
        self.cap = int(self.settings.get("max_output_kb", 64)) * 1024
        self.kept_output = 0
        self.call_room = 0  # bytes the call in progress may still print once the cap is spent (CALL_RESERVE)
        self.dropped_output = 0
        self.dropped_shown = 0  # of it, printed before hidden inputs were in the child (the student may be told)
        self.skip: list[list] = [list(u) for u in req.get("skip", []) if isinstance(u, list)]  # [module, unit] abandoned
        self.timeouts: dict[str, int] = {}  # function role -> calls that timed out
        # Hidden calls come after every public call; their inputs are asked for once every
        # public call is made, and from then on what the child prints is marked hidden
        # (``hidden`` mode, for good).  Private calls (a grader-supplied cost function's
        # table) come after every other call; their inputs, tables included, are asked for
        # once every other call is made.
        self.hidden = False
        self.late_raw: dict[str, bytes] = {}  # "hidden"/"private" -> the frame of those inputs, as sent
        self.unit_page = None  # where a child writes the load unit it runs (Harness.mark_unit)
        self.load_sent = False  # a child's load report went to the grader (one only)
        # What the child wrote straight to fds 1 and 2 (C code, os.write), as read from its pipe:
        # bytes read in all (also written in the unit page, for the child: _raw_written), the
        # stream position of the first byte kept and not yet given to a call (see _raw_upto).
        self.raw_read = 0
        self.raw_seq = 0
        self.raw_start = 0
        # Frames read together from the child go on to the grader in one write (_forward_now).
        self.forward = bytearray()

    def send(self, obj) -> None:
        """Send one event to the grader (after the frames waiting to go on)."""
        self._forward_now()
        write_frame(self.out, obj)

    def _forward_now(self) -> None:
        """Write the child's frames waiting to go on to the grader."""
        if self.forward:
            _write_all(self.out, bytes(self.forward))
            self.forward.clear()

    def run(self) -> None:
        """Run every call of the request, restarting children as needed, then send "done"."""
        t0 = time.monotonic()
        pending = list(self.req.get("calls", []))
        budget = float(self.req.get("budget", 60.0))
        deadline = t0 + budget
        first_load = True
        while True:
            # A function that already timed out twice is not called again: a hanging
            # softmax would otherwise cost its timeout once per case.
            gave_up = [c for c in pending if self.timeouts.get(c["function"], 0) >= MAX_TIMEOUTS]
            for c in gave_up:
                self.send({"ev": "outcome", "call": c["id"], "status": "timeout", "repeat": True,
                           "timeouts": self.timeouts[c["function"]]})
            pending = [c for c in pending if c not in gave_up]
            if not pending and not first_load:
                break
            if time.monotonic() >= deadline:
                for c in pending:
                    self.send({"ev": "outcome", "call": c["id"], "status": "skipped",
                               "error": {"type": "Budget", "message": "the submission's time budget ran out"}})
                break
            # The load report is the first child's that finished loading: one that died while
            # loading sent none, and the next one's carries the errors of the code before (run again).
            pending = self.child(pending, send_load=not self.load_sent, deadline=deadline)
            first_load = False
            if not pending:
                break
        self.send({"ev": "done", "seconds": time.monotonic() - t0,
                   "output_dropped": self.dropped_output, "output_dropped_shown": self.dropped_shown,
                   "cpu": _cpu_used()})

    # ---------------------------------------------------------------- one child

    def child(self, calls: list[dict], *, send_load: bool, deadline: float) -> list[dict]:
        """Fork a child for ``calls``; return the calls still to make after it ended."""
        rfd, wfd = os.pipe()  # events from the child
        ofd_r, ofd_w = os.pipe()  # the child's stdout and stderr
        hfd_r, hfd_w = os.pipe()  # the late inputs: hidden calls', then private calls'
        _grow_pipe(rfd)  # a 2 MB gradient in a few writes, not 32
        _grow_pipe(hfd_w)
        scratch = _make_scratch(self.config)
        if self.unit_page is None:
            import mmap

            self.unit_page = mmap.mmap(-1, UNIT_PAGE)  # shared (MAP_SHARED) with every child forked after
        _UNIT_LEN.pack_into(self.unit_page, 0, 0)
        _CALL_MARK.pack_into(self.unit_page, _CALL_MARK_AT, 0, -1)
        self.raw_read = self.raw_seq = self.raw_start = 0
        _U64.pack_into(self.unit_page, _RAW_SEQ_AT, 0)
        _U64.pack_into(self.unit_page, _RAW_READ_AT, 0)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(rfd)
                os.close(ofd_r)
                os.close(hfd_w)
                _child_main(self.config, self.req, calls, self.skip, scratch, wfd, ofd_w, send_load, hfd_r,
                            self.unit_page)
            except BaseException:  # noqa: BLE001 - a bug of the harness: say it where the grader sees it
                import traceback

                try:
                    os.write(2, traceback.format_exc().encode()[-4000:])
                except OSError:
                    pass
            os._exit(70)
        os.close(wfd)
        os.close(ofd_w)
        os.close(hfd_r)
        reader = FrameReader(int(self.req.get("max_frame", 64 << 20)), SPLICE_MIN)
        moving: _Moving | None = None  # the rest of a large outcome frame, on its way (or dropped)
        settings = self.settings
        # The child stops its own load at load_timeout (Harness.load_deadline) and goes on to the
        # calls; this clock, a little longer, is for a load that does not stop (a C call).
        load_timeout = float(settings.get("load_timeout", 20.0))
        load_deadline = min(deadline, time.monotonic() + load_timeout + _definitions_grace(load_timeout) + LOAD_GRACE)
        # The call in progress: calls are made in the order given, so once the load is reported
        # it is the first call not yet answered, and its clock starts when the call before it is
        # answered (no event marks a call's start: one frame and one wake-up fewer per call).
        current: dict | None = None
        call_deadline = load_deadline
        # The child's waiting for a core when it started (less what held a clock back since), and how long
        # the clock of the load or of the call in progress was held back for it (at most MAX_WAITED times its
        # span).  Read again only when a clock runs out (not at each call: 10 us a read), so a call may be
        # given waiting of the calls before it that did not need it: within the same bound.
        waited = {"at": _waited(pid), "held": 0.0, "most": MAX_WAITED * load_timeout}
        by_id = {c["id"]: c for c in calls}
        done_set: set = set()
        nxt = 0  # calls[:nxt] are answered

        def advance() -> None:
            """Once loaded: the call in progress is the first one not answered; its clock starts when it becomes so."""
            nonlocal current, call_deadline, nxt
            while nxt < len(calls) and calls[nxt]["id"] in done_set:
                nxt += 1
            upcoming = calls[nxt] if nxt < len(calls) else None
            if upcoming is not current:
                current = upcoming
                self.call_room = 4 * CALL_RESERVE  # (UTF-8: up to 4 bytes a character)
                # (HOLD_SECONDS more: the call may have started that much before the outcomes held before it came.)
                call_deadline = (deadline if upcoming is None
                                 else time.monotonic() + float(upcoming.get("timeout", 2.0)) + HOLD_SECONDS)
                waited.update(at=waited["at"] + waited["held"], held=0.0,
                              most=MAX_WAITED * float((upcoming or {}).get("timeout", 2.0)))

        def answered(cid) -> None:
            done_set.add(cid)
            if loaded:
                advance()
        last_unit: list | None = None
        loaded = False
        out_buf = bytearray()  # what the child printed, for the next call answered (or the load)
        raw_buf = bytearray()  # what it wrote to fds 1 and 2, not yet given to a call (_raw_upto)
        fds = [rfd, ofd_r]
        ended_cleanly = False
        why = None  # "timeout" or "protocol"
        status = None
        given: set = set()  # the late inputs handed to this child ("hidden", "private"): each once
        mem_limit = int(settings.get("memory_mb", 1024)) << 20
        uid, in_ns = self.config.get("uid"), self.config.get("pidns", False)
        watch_memory = uid is not None or in_ns
        next_poll = time.monotonic() + MEMORY_POLL
        while fds:
            now = time.monotonic()
            limit = min(call_deadline, deadline)
            if now >= limit and call_deadline < deadline and waited["held"] < waited["most"]:
                # Time the child waited for a core, since its clock started, is not its own: held back.
                more = min(_waited(pid) - waited["at"] - waited["held"], waited["most"] - waited["held"])
                if more > 0.01:
                    waited["held"] += more
                    call_deadline += more
                    continue
            if now >= limit:
                why = "timeout"
                break
            if watch_memory and now >= next_poll:
                # rlimits bound each process; this bounds them all together (threads, forks).
                next_poll = now + MEMORY_POLL
                used = _rss_bytes(uid, in_ns)
                if used > mem_limit:
                    why, status = "memory", f"{used >> 20} MiB"
                    break
            timeout = max(0.0, min(limit, next_poll if watch_memory else limit) - now)
            ready, _, _ = select.select(fds, [], [], timeout)
            if not ready:
                continue
            if ofd_r in ready:
                if not self._take_output(ofd_r, raw_buf):
                    fds.remove(ofd_r)
            if rfd in ready and moving is not None:
                # The rest of a large outcome: moved on as it comes, never gathered here.
                if not self._move(rfd, moving):
                    fds.remove(rfd)
                    continue
                if moving.rest == 0:
                    if moving.call is not None:
                        answered(moving.call)
                    moving = None
                continue
            if rfd in ready:
                try:
                    frames = reader.read_from(rfd, READ_SIZE)
                except OSError:
                    frames = None
                except ProtocolError as e:
                    why, status = "protocol", str(e)
                    break
                if frames is None:
                    fds.remove(rfd)
                    continue
                try:
                    for item in frames:
                        # An honest outcome header is a few KiB; a forged huge one would cost the
                        # grader's CPU to decode (only the load report may be larger).
                        head, header = (item.head, item.header) if isinstance(item, Started) else (item[2], item[0])
                        hlen = _PREFIX.unpack_from(head)[0]
                        if hlen > MAX_OUTCOME_HEADER and header.get("ev") not in ("loaded", "print"):
                            raise ProtocolError(f"an event header of {hlen} bytes (the limit is {MAX_OUTCOME_HEADER})")
                except ProtocolError as e:
                    why, status = "protocol", str(e)
                    break
                for item in frames:
                    if isinstance(item, Started):  # always the last item: an outcome, its blobs to come
                        header, raw = item.header, None
                    else:
                        header, _blobs, raw = item
                    ev = header.get("ev")
                    # How many bytes the child had written to fds 1 and 2 when it sent this event
                    # (_raw_written): those go with the call it answers, or before what it prints.
                    written = header.get("raw")
                    written = written if type(written) is int and written >= 0 else None
                    if ev in _ORDERED_EVENTS and ofd_r in fds and (written is None or written > self.raw_read):
                        # Written before this event: in the pipe now.  Without the count, all of it.
                        for _ in range(64):  # bounded: a thread may print without end
                            if not select.select([ofd_r], [], [], 0)[0]:
                                break
                            if not self._take_output(ofd_r, raw_buf):
                                fds.remove(ofd_r)
                                break
                            if written is not None and self.raw_read >= written:
                                break
                    if ev in _ORDERED_EVENTS:
                        self._raw_upto(written, raw_buf, out_buf)
                    if ev == "print":
                        self._keep_printed(header, out_buf)
                    elif ev == "unit":
                        last_unit = [header.get("module"), header.get("i"), str(header.get("where", ""))]
                    elif ev == "loaded" and not loaded:
                        loaded = True
                        call_deadline = deadline
                        advance()
                        self._flush_output(out_buf, None)
                        if send_load:
                            self.forward += raw
                            self.load_sent = True
                    elif ev == "outcome" and raw is None:
                        # A large outcome: its start goes to the grader now, announced, and the
                        # rest follows it straight from the child's pipe (or is dropped, for a
                        # call that is not this child's to answer).  The call is answered, and
                        # its clock stopped, once the last byte has passed.
                        cid = header.get("call")
                        if cid in by_id and cid not in done_set:
                            self._flush_output(out_buf, cid)
                            self.send({"ev": "moved"})
                            self.forward += item.head
                            moving = _Moving(item.rest, cid, True)
                        else:
                            moving = _Moving(item.rest, None, False)
                    elif ev == "outcome":
                        cid = header.get("call")
                        if cid in by_id and cid not in done_set:
                            self._flush_output(out_buf, cid)
                            self.forward += raw
                            answered(cid)
                    elif ev in ("hidden", "private"):
                        had = len(given)
                        if not self._give_late(ev, calls, done_set, out_buf, hfd_w, limit, given):
                            why, status = "protocol", f"the {ev} calls' inputs could not be handed over"
                            break
                        if len(given) > had and current is not None:
                            # The call in progress waited for these inputs: its clock starts now
                            # (once per kind of late inputs).
                            call_deadline = time.monotonic() + float(current.get("timeout", 2.0))
                            waited.update(at=waited["at"] + waited["held"], held=0.0)
                    elif ev == "end":
                        ended_cleanly = True
                self._forward_now()
                if why is not None:
                    break
            if ended_cleanly:
                break
        self._forward_now()
        # The child is done, dead, or late: kill it and everything it started.
        exit_desc = _kill_and_reap(pid, self.config.get("uid"), self.config.get("pidns", False))
        if moving is not None and moving.forward:
            # An outcome cut short: complete its frame with zeros (the stream stays whole) and
            # tell the grader to drop it; the call is then answered as its child's end says.
            _write_zeros(self.out, moving.rest)
            self.send({"ev": "void"})
        os.close(hfd_w)
        for fd in (rfd, ofd_r):
            if fd in fds:
                # Drain what is already there (bounded), then close.
                try:
                    while fd == ofd_r and select.select([fd], [], [], 0)[0]:
                        if not self._take_output(fd, raw_buf):
                            break
                except OSError:
                    pass
            try:
                os.close(fd)
            except OSError:
                pass
        _remove_tree(scratch)
        remaining = [c for c in calls if c["id"] not in done_set]
        marked, marked_written = _marked_call(self.unit_page)
        if (loaded and marked is not None and nxt < marked < len(calls) and calls[marked]["id"] not in done_set
                and not (ended_cleanly and not remaining)):
            # The child was making a later call than the first one unanswered: it held the
            # outcomes of the calls before (_Held), lost with it; those calls are made again, and
            # what they wrote to fds 1 and 2 is theirs to write again.
            lost = max(0, min(marked_written - self.raw_start, len(raw_buf))) if marked_written >= 0 else 0
            del raw_buf[:lost]
            self.raw_start += lost
            self.kept_output -= lost
        else:
            marked = None
        self._raw_upto(None, raw_buf, out_buf)  # the rest: the call in progress's (or the load's)
        if ended_cleanly and not remaining:
            self._flush_output(out_buf, None)
            return []
        # Something went wrong: blame the call in progress (or the load), keep the rest.
        if current is None and not loaded:
            last_unit = _unit_of(self.unit_page) or last_unit
            where = last_unit[2] if last_unit is not None and len(last_unit) > 2 else ""
            last_unit = last_unit[:2] if last_unit is not None else None
            # Died while loading: skip the unit it was in, and say so once.
            if last_unit is not None and last_unit not in self.skip:
                self.skip.append(last_unit)
            self._flush_output(out_buf, None)
            self.send({"ev": "load_failure", "why": why or "died", "exit": exit_desc,
                       "unit": last_unit, "where": where, "status": status, "hidden": self.hidden})
            if last_unit is None or why == "protocol":
                # Nothing to skip: the same child would die again. Fail every remaining call.
                for c in remaining:
                    self.send(self._death(c, why, exit_desc, status, during_load=True))
                return []
            return remaining
        if not remaining:  # every call answered, and no "end": nothing to blame
            self._flush_output(out_buf, None)
            return []
        victim = calls[marked] if marked is not None else current if current is not None else remaining[0]
        self._flush_output(out_buf, victim["id"])
        self.send(self._death(victim, why, exit_desc, status, during_load=False))
        if why == "timeout":
            self.timeouts[victim["function"]] = self.timeouts.get(victim["function"], 0) + 1
        return [c for c in remaining if c["id"] != victim["id"]]

    def _death(self, call: dict, why, exit_desc, status, *, during_load: bool) -> dict:
        if why == "timeout":
            kind = "timeout"
        elif why == "memory":
            kind = "crashed"
            exit_desc = {"memory": status}
        elif why == "protocol":
            kind = "rejected"
        elif exit_desc.get("code") is not None:
            kind = "exited"
        else:
            kind = "crashed"
        return {"ev": "outcome", "call": call["id"], "status": kind, "exit": exit_desc,
                "during_load": during_load, "detail": status}

    def _give_late(self, kind: str, calls: list[dict], done: set, out_buf: bytearray, hfd: int,
                   limit: float, given: set) -> bool:
        """The child asks for late inputs: hand them over if every call that comes before them is made.

        ``kind`` "hidden": the hidden calls' inputs (not the private ones'), once every public
        call is made.  ``kind`` "private": the private calls' inputs (a grader-supplied cost
        function's table, hidden ones included), once every other call is made: a table is
        never in the process while another kind of call is made (SECURITY.md), and a child
        forked later (after a crash) makes private calls only.  Asked earlier (a forged
        event), the request is ignored.  Once inputs of a hidden call are given, nothing the
        child prints can be shown (what it printed before is flushed first) and what it
        prints goes to the grader marked ``hidden`` (judged, never shown).  Each kind is asked
        from the grader once ("need_hidden", "need_private") and kept for a later child; a
        child is given each kind once (``given``: asked again, a forged event, it gets
        nothing, and what it reads next on that pipe is what it asks for next).
        Returns False if they could not be written to the child in time.
        """
        private = kind == "private"
        mine = [c for c in calls if bool(c.get("private")) == private and (private or c.get("hidden"))]
        before = [c for c in calls if not c.get("private") and (private or not c.get("hidden"))]
        if kind in given or not mine or any(c["id"] not in done for c in before):
            return True
        if not self.hidden and any(c.get("hidden") for c in mine):
            self._flush_output(out_buf, None)
            self.hidden = True
        if kind not in self.late_raw:
            self.late_raw[kind] = self._ask(f"need_{kind}")
        given.add(kind)
        return _write_until(hfd, self.late_raw[kind], limit)

    def _ask(self, what: str) -> bytes:
        """Ask the grader for late inputs (``what``: "need_hidden" or "need_private"); return its frame."""
        self.send({"ev": what})
        try:
            return _read_raw_frame(0, MAX_HIDDEN) or b""
        except (OSError, ProtocolError):
            return b""

    def _move(self, fd: int, moving: "_Moving") -> bool:
        """Move what the child wrote of a large outcome on to the grader (or drop it); False at end of file.

        The bytes go from pipe to pipe in the kernel (``splice``): this process never copies
        them.  Where the grader's end cannot be spliced to, they are read and written.
        """
        self._forward_now()
        try:
            if moving.forward and moving.splice:
                try:
                    n = os.splice(fd, self.out, moving.rest)
                except OSError as e:
                    if e.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                        raise
                    moving.splice = False
                    return True
            else:
                data = os.read(fd, min(moving.rest, 1 << 20))
                n = len(data)
                if n and moving.forward:
                    _write_all(self.out, data)
        except OSError:
            return False
        moving.rest -= n
        return n > 0

    def _keep(self, data: bytes, buf: bytearray) -> None:
        """Add printed bytes to ``buf`` up to the submission's cap, then up to what is left of the call's own
        allowance (:data:`CALL_RESERVE`, once the cap is spent); count the rest as dropped."""
        room = max(self.cap - self.kept_output, 0)
        if room > 0:
            buf += data[:room]
            self.kept_output += min(room, len(data))
        rest = data[room:]
        extra = min(self.call_room, len(rest))
        if extra > 0:
            buf += rest[:extra]
            self.call_room -= extra
        self._dropped(len(rest) - max(extra, 0))

    def _dropped(self, n: int) -> None:
        self.dropped_output += n
        if not self.hidden:
            self.dropped_shown += n

    def _keep_printed(self, header: dict, buf: bytearray) -> None:
        """Keep the text of a "print" event, up to the cap (the child's own count is not trusted)."""
        text, dropped = header.get("text"), header.get("dropped")
        self._keep(text.encode("utf-8", "replace") if isinstance(text, str) else b"", buf)
        if isinstance(dropped, int) and 0 < dropped < 1 << 40:
            self._dropped(dropped)

    def _take_output(self, fd: int, buf: bytearray) -> bool:
        """Read what the child wrote to fds 1 and 2 into ``buf``, up to the cap; False at end of file."""
        # The count of bytes read goes to the page under an odd sequence number while the read is
        # under way: the child reads it with the pipe's unread bytes (_raw_written).
        page = self.unit_page
        self.raw_seq += 1
        _U64.pack_into(page, _RAW_SEQ_AT, self.raw_seq)
        data = _read_some(fd)
        self.raw_read += len(data)
        _U64.pack_into(page, _RAW_READ_AT, self.raw_read)
        self.raw_seq += 1
        _U64.pack_into(page, _RAW_SEQ_AT, self.raw_seq)
        if data:
            self._keep(data, buf)
        return bool(data)

    def _flush_output(self, buf: bytearray, call_id) -> None:
        if buf:
            event = {"ev": "output", "call": call_id, "text": bytes(buf).decode("utf-8", "replace")}
            if self.hidden:
                # Printed once hidden inputs were in the process: the grader may judge it (a
                # check of what a function prints) but never shows it (nor counts it for the student).
                event["hidden"] = True
            self.send(event)
            buf.clear()

    def _raw_upto(self, written: int | None, raw_buf: bytearray, out_buf: bytearray) -> None:
        """Move what the child wrote to fds 1 and 2 before its ``written``-th byte (None: all read) to ``out_buf``.

        ``raw_buf`` holds the stream's bytes from ``raw_start`` on, as kept (the cap keeps a
        prefix of the output: what comes after it is dropped and counted).
        """
        n = len(raw_buf) if written is None else max(0, min(written - self.raw_start, len(raw_buf)))
        if n:
            out_buf += raw_buf[:n]
            del raw_buf[:n]
            self.raw_start += n
        if not raw_buf:  # every byte read is given or dropped: the next one read comes first
            self.raw_start = self.raw_read


def _definitions_grace(load_timeout: float) -> float:
    """Seconds a load may go on after load_timeout to make the definitions (def, class, import) of
    the code it had no time left for (Harness.exec_units): functions defined after long training
    cells are still graded."""
    return min(3.0, 0.25 * load_timeout)


#: Seconds the leader waits for a load beyond load_timeout and its definitions' grace: the
#: child stops its own load before.
LOAD_GRACE = 1.5
#: Bytes of the page where a child writes the load unit it runs; its length prefix.
UNIT_PAGE = 4096
_UNIT_LEN = struct.Struct(">I")
#: Near the end of that page, the call a child is making: 1 + its position in the child's calls
#: (0: none yet), and how many bytes it had written to fds 1 and 2 when it started it (-1:
#: unknown).  Read by the leader once the child is dead or late, to blame that call and not
#: one whose outcome the child held back (see :class:`_Held`).
_CALL_MARK = struct.Struct(">Iq")
_CALL_MARK_AT = UNIT_PAGE - 32
#: At the end of the page, written by the leader: a sequence number (odd while it reads the
#: child's fds 1 and 2) and the bytes it read from them (see :func:`_raw_written`).  Native,
#: aligned 8-byte fields, each written and read in one store and one load.
_U64 = struct.Struct("Q")
_RAW_SEQ_AT = UNIT_PAGE - 16
_RAW_READ_AT = UNIT_PAGE - 8
#: The events after which what the child wrote to fds 1 and 2 before them is taken from its pipe
#: and given on (to the call answered, the load, or before what is printed): see _raw_upto.
_ORDERED_EVENTS = frozenset(("print", "loaded", "outcome", "end", "hidden", "private"))
#: A child holds back the outcomes of quick calls and sends them together (one write, and one
#: wake-up of the leader, for several calls), for at most this many seconds of calls...
HOLD_SECONDS = 0.02
#: ...and this many bytes; an outcome frame larger than HOLD_FRAME is sent at once.
HOLD_BYTES = 256 << 10
HOLD_FRAME = 64 << 10
#: Most time a call's clock is held back for, as a multiple of its timeout, while its process waited for a
#: core (another process's work, a neighbour's in the batch): its timeout is for its own time, not theirs.
MAX_WAITED = 3.0


def _waited(pid: int) -> float:
    """Seconds the process `pid` has spent ready to run but waiting for a core (its scheduler statistics'
    run delay); 0 when they can't be read."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _marked_call(page) -> tuple[int | None, int]:
    """The call a dead or late child was making, as it wrote it in ``page``: (its position or None, bytes written before it or -1)."""
    if page is None:
        return None, -1
    n, written = _CALL_MARK.unpack_from(page, _CALL_MARK_AT)
    return (n - 1 if n > 0 else None), written


def _raw_written(page, fd) -> int | None:
    """Bytes written so far to this child's fds 1 and 2: those its leader read, and those still in the pipe.

    The leader writes its count in ``page`` under a sequence number, odd while it reads; the
    pipe's unread bytes (FIONREAD, on ``fd``, the pipe's write end) are asked for between two
    equal even numbers, so that both figures are of the same moment.  None if it cannot tell.
    """
    if page is None or fd is None:
        return None
    for _ in range(1000):
        seq = _U64.unpack_from(page, _RAW_SEQ_AT)[0]
        if seq & 1:
            continue
        read = _U64.unpack_from(page, _RAW_READ_AT)[0]
        try:
            unread = _INT.unpack(fcntl.ioctl(fd, _FIONREAD, b"\0\0\0\0"))[0]
        except (OSError, ValueError):
            return None
        if _U64.unpack_from(page, _RAW_SEQ_AT)[0] == seq:
            return read + unread
    return None


_FIONREAD = 0x541B  # (Linux's; termios.FIONREAD)
_INT = struct.Struct("i")


def _unit_of(page) -> list | None:
    """The load unit a dead child last wrote in ``page`` ([module, index]), or None.

    The child may have written anything there: only a well-formed unit is taken.
    """
    if page is None:
        return None
    try:
        n = _UNIT_LEN.unpack_from(page, 0)[0]
        if not 0 < n <= _CALL_MARK_AT - _UNIT_LEN.size:
            return None
        unit = json.loads(page[_UNIT_LEN.size : _UNIT_LEN.size + n])
    except (ValueError, RecursionError, struct.error):
        return None
    if isinstance(unit, list) and len(unit) in (2, 3) and isinstance(unit[0], str) and type(unit[1]) is int:
        return unit if len(unit) == 2 or isinstance(unit[2], str) else unit[:2]
    return None


class _Moving:
    """A large outcome frame on its way from a child to the grader (``forward``) or dropped."""

    __slots__ = ("rest", "call", "forward", "splice")

    def __init__(self, rest: int, call, forward: bool) -> None:
        self.rest, self.call, self.forward, self.splice = rest, call, forward, True


def _write_zeros(fd: int, n: int) -> None:
    zeros = bytes(min(n, 1 << 20))
    while n > 0:
        _write_all(fd, zeros[: min(n, len(zeros))])
        n -= min(n, len(zeros))


def _write_until(fd: int, data: bytes, limit: float) -> bool:
    """Write all of ``data`` to a pipe before the monotonic time ``limit``; False if it could not."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    view = memoryview(data)
    try:
        while view:
            left = limit - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                return False
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue
        return True
    except OSError:
        return False
    finally:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags)


def _grow_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask for a larger pipe buffer (fewer wake-ups per large array); best effort."""
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (OSError, ImportError):
        pass


def _read_some(fd: int, size: int = 1 << 16) -> bytes:
    try:
        return os.read(fd, size)
    except OSError:
        return b""


def _cpu_used() -> dict:
    """CPU seconds (user + system) of this leader, and of every process it reaped.

    Those are its children, each with the processes it waited for, and the orphans of the
    student's code, which come back to the leader (a subreaper).  A diagnostic for
    benchmarks (``RunReport.cpu``); no verdict reads it.
    """
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"leader": me.ru_utime + me.ru_stime, "children": reaped.ru_utime + reaped.ru_stime}


def _kill_and_reap(pid: int, uid=None, in_ns: bool = False) -> dict:
    """Kill the child and every process left behind; return how the child ended."""
    desc: dict = {}
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        _, st = os.waitpid(pid, 0)
        if os.WIFSIGNALED(st):
            desc = {"signal": os.WTERMSIG(st)}
        elif os.WIFEXITED(st):
            desc = {"code": os.WEXITSTATUS(st)}
    except ChildProcessError:
        pass
    _kill_leftovers(uid, in_ns)
    return desc


def _as_uid(uid, action) -> None:
    """Run ``action()`` in a forked process that is ``uid`` (when not None), and wait for it."""
    p = os.fork()
    if p == 0:
        try:
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            action()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(0)
    try:
        os.waitpid(p, 0)
    except ChildProcessError:
        pass


def _kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` at once: kill(-1) sent *as* that uid reaches all of them."""
    _as_uid(uid, lambda: os.kill(-1, signal.SIGKILL))


def _kill_leftovers(uid=None, in_ns: bool = False) -> None:
    """Kill every process the student's code left: daemons, fork bombs, orphans.

    With a per-slot uid, everything of that uid dies in one ``kill(-1)``.  Inside a
    PID namespace we see only the sandbox, so everything that is not us, our parent
    (the zygote) or init goes.  Otherwise we are a child subreaper: orphans of the
    student's processes are re-parented to us and found as our children.
    """
    # Fast path: we are a child subreaper, so every descendant still alive (or dead and not
    # yet reaped) is a child of ours, or a child's descendant; no child at all, nothing left.
    try:
        if os.waitpid(-1, os.WNOHANG) == (0, 0):
            pass  # a child is still running: kill below
    except ChildProcessError:
        return
    me, parent = os.getpid(), os.getppid()
    deadline = time.monotonic() + 5.0
    while True:
        if uid is not None:
            _kill_uid(uid)
        victims = []
        for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if not name.isdigit():
                continue
            p = int(name)
            if p in (me, 1) or (in_ns and p == parent):
                continue
            if in_ns:
                victims.append(p)
                continue
            try:
                with open(f"/proc/{p}/stat", "rb") as f:
                    stat = f.read()
                ppid = int(stat.rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == me:
                victims.append(p)
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        reaped = False
        while True:
            try:
                p, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if p == 0:
                break
            reaped = True
        if not victims and not reaped:
            return
        if time.monotonic() > deadline:
            return
        if not reaped:
            time.sleep(0.002)


#: /proc/sysvipc file -> (column of the owner's uid, how to remove one: function, its arguments after the id)
_IPC = {"shm": (7, "shmctl", (0, None)), "msg": (7, "msgctl", (0, None)), "sem": (4, "semctl", (0, 0))}


def _remove_ipc(uid=None, in_ns: bool = False) -> None:
    """Remove the System V IPC objects (shared memory, queues, semaphores) a submission left.

    They outlive processes, and the zygote's IPC namespace is shared by every submission
    of its slot: one left behind would be a channel to the next submission.  Those of the
    slot's uid go (or, inside the sandbox's own namespace without one, all of them).
    """
    found = []
    for kind, (col, _fn, _args) in _IPC.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cells = row.split()
            try:
                owner, ident = int(cells[col]), int(cells[1])
            except (IndexError, ValueError):
                continue
            if owner == uid or (uid is None and in_ns):
                found.append((kind, ident))
    if not found:
        return

    def remove() -> None:  # as the owner: IPC_RMID needs it (the zygote has no CAP_SYS_ADMIN)
        libc = _libc()
        for kind, ident in found:
            _col, fn, args = _IPC[kind]
            getattr(libc, fn)(ident, *args)

    _as_uid(uid, remove)


#: World-writable folders a student's process may leave files in (that of the sandbox, or
#: the machine's at the "process" level).
_SHARED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


def _remove_shared_files(uid=None, in_ns: bool = False) -> None:
    """Remove what a submission left at the top of the world-writable folders.

    The scratch folder goes with its child; a file in ``/tmp`` or ``/dev/shm`` (POSIX
    shared memory, semaphores) would be found by the next submission.  Entries of the
    slot's uid go (inside the sandbox's own namespace without one: those of our own uid,
    which the student's processes share); as that uid, as they live in sticky folders.
    Without either (the "process" level, not root) nothing tells them apart.
    """
    owner = uid if uid is not None else (os.getuid() if in_ns else None)
    if owner is None:
        return
    found = []
    for d in _SHARED_DIRS:
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        if e.stat(follow_symlinks=False).st_uid == owner:
                            found.append(e.path)
                    except OSError:
                        continue
        except OSError:
            continue
    if not found:
        return

    def remove() -> None:
        for path in found:
            if os.path.isdir(path) and not os.path.islink(path):
                _remove_tree(path)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    _as_uid(uid, remove)


#: unshare(2) flags.
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000


def _unshare(flags: int) -> bool:
    libc = _libc() if sys.platform.startswith("linux") else None
    return libc is not None and libc.unshare(flags) == 0


def _own_user_namespace() -> bool:
    """Enter a new user namespace with a new IPC namespace, mapping only our own uid and gid.

    For a process without CAP_SYS_ADMIN (bubblewrap as a user): the IPC namespace needs one,
    and the user namespace gives it.  Our ids stay what they were; the capabilities the new
    namespace grants are dropped at once.
    """
    uid, gid = os.geteuid(), os.getegid()
    if not _unshare(_CLONE_NEWUSER | _CLONE_NEWIPC):
        return False
    # A process that is not dumpable (the zygote's children, and any after setuid) cannot
    # open its own /proc files for writing: dumpable only while the maps are written.
    _set_dumpable(True)
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError:
        pass
    finally:
        _set_dumpable(False)
    _drop_capabilities()
    return True


def _drop_capabilities() -> None:
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    libc = _libc()
    if libc is not None:
        libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)())  # _LINUX_CAPABILITY_VERSION_3


#: keyctl(2) operations and special keyring ids.
_KEYCTL_JOIN_SESSION_KEYRING, _KEYCTL_CLEAR, _KEYCTL_GET_PERSISTENT = 1, 7, 22
_KEY_SPEC_PROCESS_KEYRING, _KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING = -2, -4, -5


def _keyctl(*args: int) -> int:
    import ctypes

    abis = _ABIS.get(_machine())
    nr = abis[0][2]["keyctl"] if abis else None
    libc = _libc()
    if nr is None or libc is None:
        return -1
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(ctypes.c_long(nr), *(ctypes.c_long(a) for a in args))


def _join_new_session_keyring() -> None:
    """Leave the session keyring inherited from the grader for a new, empty one of our own."""
    _keyctl(_KEYCTL_JOIN_SESSION_KEYRING, 0)


def _clear_keyrings() -> None:
    """Empty this uid's user, user-session and persistent keyrings (run as the slot's uid)."""
    _keyctl(_KEYCTL_CLEAR, _KEY_SPEC_USER_KEYRING)
    _keyctl(_KEYCTL_CLEAR, _KEY_SPEC_USER_SESSION_KEYRING)
    persistent = _keyctl(_KEYCTL_GET_PERSISTENT, -1, _KEY_SPEC_PROCESS_KEYRING)
    if persistent > 0:
        _keyctl(_KEYCTL_CLEAR, persistent)


#: System call numbers by machine: the native ABI first, then the compat ABIs the same machine
#: runs (i386 and x32 on x86_64, 32-bit ARM on aarch64), which a student can reach with a few
#: bytes of machine code: each is filtered with its own numbers.
_ABIS = {
    # machine: [(AUDIT_ARCH_*, mask applied to the number, {call: number})]
    "x86_64": [
        (0xC000003E, 0xBFFFFFFF,  # x86_64, and x32 (the same numbers with bit 30 set)
         {"add_key": 248, "request_key": 249, "keyctl": 250, "mq_open": 240, "mq_unlink": 241,
          "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245}),
        (0x40000003, 0xFFFFFFFF,  # i386
         {"add_key": 286, "request_key": 287, "keyctl": 288, "mq_open": 277, "mq_unlink": 278,
          "mq_timedsend": 279, "mq_timedreceive": 280, "mq_notify": 281, "mq_getsetattr": 282,
          "mq_timedsend_time64": 418, "mq_timedreceive_time64": 419}),
    ],
    "aarch64": [
        (0xC00000B7, 0xFFFFFFFF,
         {"add_key": 217, "request_key": 218, "keyctl": 219, "mq_open": 180, "mq_unlink": 181,
          "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185}),
        (0x40000028, 0xFFFFFFFF,  # 32-bit ARM
         {"add_key": 309, "request_key": 310, "keyctl": 311, "mq_open": 274, "mq_unlink": 275,
          "mq_timedsend": 276, "mq_timedreceive": 277, "mq_notify": 278, "mq_getsetattr": 279,
          "mq_timedsend_time64": 418, "mq_timedreceive_time64": 419}),
    ],
}
_KEYRING_CALLS = ("add_key", "request_key", "keyctl")
_MQUEUE_CALLS = ("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
                 "mq_timedsend_time64", "mq_timedreceive_time64")


def _machine() -> str:
    return os.uname().machine if hasattr(os, "uname") else ""


def _seccomp_program(calls, machine: str) -> list[tuple[int, int, int, int]] | None:
    """A classic BPF program (code, jt, jf, k) failing ``calls`` with EPERM; None if the machine is unknown.

    For each ABI of the machine: if the audit arch matches, load the (masked) number and
    compare it with each denied call's.  Anything else is allowed.
    """
    abis = _ABIS.get(machine)
    if not abis:
        return None
    LD_W_ABS, JEQ_K, AND_K, RET_K = 0x20, 0x15, 0x54, 0x06
    ALLOW, DENY = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    blocks = []
    for arch, mask, numbers in abis:
        nrs = sorted({numbers[c] for c in calls if c in numbers})
        body = [(LD_W_ABS, 0, 0, 0)]  # seccomp_data.nr
        if mask != 0xFFFFFFFF:
            body.append((AND_K, 0, 0, mask))
        for i, n in enumerate(nrs):
            body.append((JEQ_K, len(nrs) - i, 0, n))  # to the DENY at the end of this block
        body += [(RET_K, 0, 0, ALLOW), (RET_K, 0, 0, DENY)]
        blocks.append((arch, body))
    prog = [(LD_W_ABS, 0, 0, 4)]  # seccomp_data.arch
    for k, (arch, body) in enumerate(blocks):
        # the block runs when the arch matches (and returns); otherwise skip it, A still the arch
        prog.append((JEQ_K, 0, len(body), arch))
        prog += body
    prog.append((RET_K, 0, 0, ALLOW))
    return prog


_FILTERS: dict = {}  # calls -> (the filter's instructions, its struct sock_fprog), built once


def _seccomp_filter(calls):
    """The ``struct sock_fprog`` of :func:`_seccomp_program` for ``calls`` (None where there is none).

    Built once, by the zygote (see main): each child only installs it.
    """
    key = tuple(calls)
    if key not in _FILTERS:
        import ctypes

        prog = _seccomp_program(key, _machine()) if sys.platform.startswith("linux") else None
        if prog is None:
            _FILTERS[key] = None
        else:
            class Filter(ctypes.Structure):
                _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                            ("k", ctypes.c_uint32)]

            class Fprog(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

            insns = (Filter * len(prog))(*[Filter(*i) for i in prog])
            _FILTERS[key] = (insns, Fprog(len(prog), insns))
    return _FILTERS[key]


def _deny_syscalls(calls) -> bool:
    """Install a seccomp filter failing ``calls`` with EPERM (needs no_new_privs); False if not possible."""
    import ctypes

    built, libc = _seccomp_filter(calls), _libc()
    if built is None or libc is None:
        return False
    # prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog)
    return libc.prctl(22, 2, ctypes.byref(built[1]), 0, 0) == 0


def _rss_bytes(uid, in_ns: bool) -> int:
    """Resident memory of the student's processes: those of ``uid``, or every sandbox process but ours."""
    me, parent = os.getpid(), os.getppid()
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        p = int(name)
        if p in (me, parent, 1):
            continue
        try:
            if uid is not None and os.stat(f"/proc/{p}").st_uid != uid:
                continue
            if uid is None and not in_ns:
                continue
            with open(f"/proc/{p}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


_scratch_counter = [0]


def _make_scratch(config: dict) -> str:
    base = config.get("scratch", "/tmp")
    _scratch_counter[0] += 1
    path = os.path.join(base, f"run-{os.getpid()}-{_scratch_counter[0]}")
    os.makedirs(path, mode=0o700, exist_ok=False)
    uid = config.get("uid")
    if uid is not None:
        os.chown(path, uid, uid)
    return path


def _remove_tree(path: str) -> None:
    for root, dirs, files in os.walk(path, topdown=False):
        for n in files:
            try:
                os.unlink(os.path.join(root, n))
            except OSError:
                pass
        for n in dirs:
            p = os.path.join(root, n)
            try:
                if os.path.islink(p):
                    os.unlink(p)
                else:
                    os.rmdir(p)
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass


_LIBC: list = []  # the C library, loaded once (by the zygote: its children inherit it)


def _libc():
    if not _LIBC:
        import ctypes

        try:
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except OSError:
            _LIBC.append(None)
    return _LIBC[0]


def _prctl(option: int, arg: int) -> bool:
    libc = _libc() if sys.platform.startswith("linux") else None
    if libc is None:
        return False
    return libc.prctl(option, arg, 0, 0, 0) == 0


def _set_pdeathsig() -> None:
    _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader


def _set_subreaper() -> None:
    _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: orphans of students come back to us


def _set_dumpable(on: bool) -> None:
    _prctl(4, 1 if on else 0)  # PR_SET_DUMPABLE: no ptrace of the zygote


# --------------------------------------------------------------------------- child


def _child_main(config, req, calls, skip, scratch, wfd, ofd, send_load, hfd=None, unit_page=None) -> None:
    """Set the child up, load the student's code, make the calls. Never returns."""
    os.setsid()
    # Only the event pipe, the output pipe and the hidden inputs' pipe stay open; stdin is /dev/null.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(ofd, 1)
    os.dup2(ofd, 2)
    try:
        maxfd = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        maxfd = 1024
    low = 3
    for keep in sorted({wfd, ofd} | ({hfd} if hfd is not None else set())):  # (ofd: _raw_written asks it)
        os.closerange(low, keep)
        low = keep + 1
    os.closerange(low, min(maxfd, 65536))
    _set_pdeathsig()
    settings = req.get("settings", {})
    files = req.get("files", [])
    for f in files:
        if not f.get("write", True):
            continue
        dest = os.path.normpath(os.path.join(scratch, f["path"]))
        if not dest.startswith(scratch.rstrip("/") + "/"):
            continue  # (grader.load never sends one: an absolute path, or '..', is nobody's module)
        try:  # (grader.load never sends a path no file can have either: a NUL, a file as a folder)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as fh:
                fh.write(f["data"])
        except (OSError, ValueError):
            continue  # that module is missing, as in the notebook whose cell failed to write it; the rest run
    uid = config.get("uid")
    if uid is not None:
        for root, dirs, fs in os.walk(scratch):
            for n in dirs + fs:
                os.chown(os.path.join(root, n), uid, uid)
    _limit(settings, req, uid)
    # A fresh IPC namespace: System V objects and POSIX message queues die with this child.
    ipc = config.get("ipc", "auto")
    fresh_ipc = ipc == "auto" and _unshare(_CLONE_NEWIPC)  # with CAP_SYS_ADMIN (as root)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if not fresh_ipc and ipc in ("auto", "userns"):
        fresh_ipc = _own_user_namespace()  # without it: a user namespace of our own
    _join_new_session_keyring()  # the grader's session keyring is no longer ours
    _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS
    _deny_syscalls(_KEYRING_CALLS + (() if fresh_ipc else _MQUEUE_CALLS))
    os.chdir(scratch)
    os.environ["HOME"] = scratch
    os.environ["TMPDIR"] = scratch
    # What Python code prints travels as events, in order with the outcomes, so it is
    # attributed to the call that printed it on every run; fds 1 and 2 (C code,
    # subprocesses, os.write) still go to the output pipe, and each event says how many bytes
    # had been written there when it was sent (_Held.raw), for the leader to attribute them.
    budget = {"left": int(settings.get("max_output_kb", 64)) * 1024, "dropped": 0, "reserve": 0}
    held = _Held(wfd, True, unit_page, ofd)
    sys.stdout = _Printed(wfd, 1, budget, held)
    sys.stderr = _Printed(wfd, 2, budget, held)
    h = Harness(req, calls, skip, scratch, wfd, send_load)
    h.held = held
    h.printed = budget
    h.inputs = config.get("inputs", {})
    h.hfd = hfd
    h.unit_page = unit_page
    h.main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    os._exit(0)


def _limit(settings: dict, req: dict, uid) -> None:
    import resource

    def setlim(which, soft):
        # Hard = soft: the student's code must not raise its own limits again.
        try:
            hard = resource.getrlimit(which)[1]
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, soft))
        except (ValueError, OSError):
            pass

    mem = int(settings.get("memory_mb", 1024)) << 20
    try:
        with open("/proc/self/statm") as f:
            vsz = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        vsz = 0
    setlim(resource.RLIMIT_AS, vsz + mem)
    cpu = int(float(req.get("budget", 60.0))) + 5
    setlim(resource.RLIMIT_CPU, cpu)
    setlim(resource.RLIMIT_FSIZE, int(settings.get("max_file_mb", 16)) << 20)
    setlim(resource.RLIMIT_NOFILE, 256)
    setlim(resource.RLIMIT_CORE, 0)
    if uid is not None:
        # RLIMIT_NPROC counts the processes of the real uid; each slot has its own uid.
        setlim(resource.RLIMIT_NPROC, int(settings.get("max_processes", 32)))


class _Held:
    """What a child sends the leader: events in order, and the outcomes of quick calls held back to go together.

    Most calls take well under a millisecond; sending each outcome alone cost the child a
    write, and the leader a wake-up, a read and a write, per call.  An outcome is held only
    while the calls held took less than HOLD_SECONDS in all, and only until the child sends
    anything else (what it printed, a request for late inputs, its end), so that the events
    stay in order.  A call whose timeout is longer than the first held call's is not started
    while outcomes are held (the leader times the first call it has no outcome of).  The
    call being made is written in the unit page (``_CALL_MARK``), with the bytes written to
    fds 1 and 2 before it: a child that dies or hangs is blamed for that call, not for one
    whose outcome it held.  Each outcome, load report and print says how many bytes had been
    written to fds 1 and 2 (C code, ``os.write``) when it was sent (``"raw"``,
    :func:`_raw_written`), so that the leader gives each call what it wrote, held or not.
    Only the process that holds them sends them: one the student's code forked does not.
    """

    def __init__(self, wfd: int, on: bool, page=None, rawfd: int | None = None) -> None:
        self.wfd, self.on, self.pid = wfd, on, os.getpid()
        self.page, self.rawfd = page, rawfd  # the unit page, and the output pipe's write end
        self.data = bytearray()
        self.since = 0.0  # when the first held call started
        self.timeout = 0.0  # and its timeout
        self.started = 0.0  # the call being made: when it started
        self.started_timeout = 0.0  # and its timeout
        self.written: int | None = 0  # bytes written to fds 1 and 2 when the last event was sent

    def raw(self) -> int | None:
        """Bytes written to fds 1 and 2 so far (None: unknown)."""
        self.written = _raw_written(self.page, self.rawfd)
        return self.written

    def start(self, position: int, call: dict) -> None:
        """Before a call: send what is held if the call may take longer; mark it as the one being made."""
        timeout = float(call.get("timeout", 2.0))
        if self.data and timeout > self.timeout:
            self.send()
        if self.page is not None:
            # Between the last event (an outcome, the load report) and this call only the harness
            # ran: it writes nothing to fds 1 and 2, so those bytes are the ones before this call.
            written = self.written
            _CALL_MARK.pack_into(self.page, _CALL_MARK_AT, position + 1, -1 if written is None else written)
        self.started, self.started_timeout = time.monotonic(), timeout

    def hold(self, obj: dict) -> bool:
        """Hold the outcome ``obj`` (True), or say it must be sent now (False)."""
        if not self.on or os.getpid() != self.pid:
            return False
        parts = pack_parts(obj)
        if sum(map(len, parts)) > HOLD_FRAME:
            return False
        if not self.data:
            self.since, self.timeout = self.started, self.started_timeout
        for part in parts:
            self.data += part
        if time.monotonic() - self.since >= HOLD_SECONDS or len(self.data) >= HOLD_BYTES:
            self.send()
        return True

    def send(self) -> None:
        """Send what is held (before any other event)."""
        if self.data and os.getpid() == self.pid:
            _write_all(self.wfd, bytes(self.data))
        self.data.clear()


#: Characters each call may print once the process's output cap is spent (a call's own verdict line).
CALL_RESERVE = 4096


class _Printed(io.TextIOBase):
    """sys.stdout / sys.stderr of the child: text goes to the zygote as "print" events.

    Sent at each line end (a hang after a print still shows the print), up to the
    output cap shared by both streams; beyond it, only the count of dropped
    characters is sent, with the next event.
    """

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, wfd: int, fd: int, budget: dict, held: _Held | None = None) -> None:
        super().__init__()
        self._wfd, self._fd, self._budget, self._parts, self._held = wfd, fd, budget, [], held

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def write(self, text) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if _HEARD and sum(map(len, _HEARD[0])) < 16384:
            _HEARD[0].append(text[:16384])
        b = self._budget
        # the cap shared by the whole process, then, once it is spent, the call's own few lines (CALL_RESERVE):
        # what a call says ("Gradient check passed!") is its answer, whatever the code printed before it
        pool = "left" if b["left"] > 0 else "reserve"
        room = b.get(pool, 0)
        if room <= 0:
            b["dropped"] += len(text)
            return len(text)
        kept = text[:room]
        b[pool] = room - len(kept)
        b["dropped"] += len(text) - len(kept)
        self._parts.append(kept)
        if "\n" in kept or b[pool] <= 0:
            self.flush()
        return len(text)

    def flush(self) -> None:
        text, self._parts = "".join(self._parts), []
        dropped, self._budget["dropped"] = self._budget["dropped"], 0
        if text or dropped:
            event = {"ev": "print", "text": text, "dropped": dropped}
            if self._held is not None:
                self._held.send()
                written = self._held.raw()
                if written is not None:
                    event["raw"] = written
            write_frame(self._wfd, event)


class _UnitTimeout(BaseException):
    """Raised by the per-unit alarm; a BaseException so `except Exception` does not swallow it."""


class Harness:
    """Load the student's modules in this (child) process and make the calls."""

    def __init__(self, req, calls, skip, scratch, wfd, send_load) -> None:
        self.req, self.calls, self.scratch, self.wfd = req, calls, scratch, wfd
        self.pid = os.getpid()  # this process: one the student's code forks never speaks for it (see ours)
        self.send_load = send_load
        self.skip = {(m, i) for m, i in skip}
        self.settings = req.get("settings", {})
        self.functions = req.get("functions", {})
        self.unit_errors: list[dict] = []
        self.notes: list[str] = []
        self.student: dict[str, dict] = {}  # module name -> file entry
        self.order: list[str] = []
        for f in req.get("files", []):
            if f.get("module"):
                self.student[f["module"]] = f
                self.order.append(f["module"])
        # The stand-ins withheld from this process: the request's (a call may withhold fewer:
        # it is made here only while none of the others was asked for, see main).
        withheld = set(req.get("withheld", []))
        for c in calls:
            withheld.update(c.get("withhold", []))
        self.withheld = withheld
        self.asked_withheld: set = set()  # withheld modules the student's code tried to import
        self.inputs: dict = {}
        self.hfd: int | None = None  # where the hidden calls' inputs come from, when asked for
        self.unit_page = None  # shared with the leader: the load unit running now (see mark_unit)
        self.held = _Held(wfd, False)  # outcomes held back to send together (_child_main may turn it on)
        self.starter = {s["module"]: s for s in req.get("starter", []) if s["module"] not in withheld}
        # "grader": a notebook's own ``import grader; grader.check()`` (the README's in-notebook
        # self-check) does nothing here, quietly, as it did nothing to the student's functions.
        # "google": Colab's own google.colab (``drive.mount(...)``, ``files.upload()``): as quiet, and only it.
        self.stubs = set(self.settings.get("stub_modules", [])) | {"grader", "google"}
        self.display: dict[str, str] = {}  # code filename -> where, for tracebacks
        self.loaded: dict[str, object] = {}
        self.parsed: dict[str, object] = {}  # module name -> its parsed tree, parsed once
        self.notebook_imports: dict[str, set] = {}  # notebook module -> the modules its cells import
        # a notebook handed in with the modules it imports (the in-notebook check, grader check NOTEBOOK):
        # its own definitions are its kernel's (see _redefined); in a folder, the rubric's file comes first
        self.notebook_first = bool(req.get("notebook"))
        self.failed_imports: dict[str, str] = {}
        self.unit_text: tuple = ()  # the unit being run: (filename, text, first line) or (filename, lines, first, last)
        self.failed: list[dict] = []  # units that failed: what they would have defined is named in messages
        # Loading as a whole (every unit of every module) may take load_timeout seconds: a unit
        # gets at most what is left of it, and once it is spent the units left are not run, so
        # that the calls are still made (the leader's own clock for the load runs a little longer).
        self.load_deadline = time.monotonic() + float(self.settings.get("load_timeout", 20.0))
        self.not_run: dict[str, list[str]] = {}  # file -> the units not run: the load's time was spent
        self.unit_definitions = None  # the unit being run: a callable compiling only its definitions, or None

    # ------------------------------------------------------------ events

    def ours(self) -> None:
        """End here a process the student's code forked, back in the harness (``os.fork()`` at the top level).

        It shares this process's pipes: its events and its reads of the hidden inputs would
        interleave with ours, and the verdicts of right code would read a torn frame.
        """
        if os.getpid() != self.pid:
            os._exit(0)

    def emit(self, obj) -> None:
        """Send one event to the zygote (after the output printed before it); an outcome may be held (:class:`_Held`)."""
        self.ours()
        self.flush_printed()
        ev = obj.get("ev")
        if ev in ("outcome", "loaded"):
            written = self.held.raw()
            if written is not None:
                obj["raw"] = written
            if ev == "outcome" and self.held.hold(obj):
                return
        self.held.send()
        write_frame(self.wfd, obj)

    def flush_printed(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - a student may have replaced or closed them
                pass

    def mark_unit(self, name: str, k: int, where: str = "") -> None:
        """Tell the leader which load unit runs now, should this process die in it.

        Written in a page shared with the leader (read only once this process is dead), not
        sent as an event: a load of 75 statements costs no write and no wake-up of the
        leader per statement.  The output printed before it is flushed all the same.
        """
        self.ours()
        self.flush_printed()
        data = json.dumps([name, k, where[:1000]]).encode()
        page = self.unit_page
        if page is None or len(data) > _CALL_MARK_AT - _UNIT_LEN.size:
            self.held.send()
            write_frame(self.wfd, {"ev": "unit", "module": name, "i": k, "where": where[:1000]})
            return
        page[_UNIT_LEN.size : _UNIT_LEN.size + len(data)] = data
        _UNIT_LEN.pack_into(page, 0, len(data))

    # ------------------------------------------------------------ main

    def main(self) -> None:
        """Install the import machinery, resolve the functions, make the calls."""
        import builtins

        _preload()

        builtins.get_ipython = _get_ipython
        builtins.display = _display  # built into a Jupyter kernel: cells call it without an import
        builtins.__py2_div__ = _py2_div
        builtins.__py2_idiv__ = _py2_idiv
        sys.path.insert(0, self.scratch)
        sys.meta_path.insert(0, _StudentFinder(self))
        sys.meta_path.append(_StubFinder(self))
        sys.dont_write_bytecode = True
        signal.signal(signal.SIGALRM, _alarm)
        found: dict[str, str] = {}
        fns: dict[str, object] = {}
        missing: dict[str, dict] = {}
        roles = []
        for c in self.calls:
            if c["function"] not in roles:
                roles.append(c["function"])
        if not self.calls:
            roles = list(self.functions)
        for role in roles:
            spec = self.functions.get(role, {})
            fn, where, info = self.find(role, spec)
            if fn is not None:
                fns[role] = fn
                found[role] = where
            else:
                missing[role] = info
        load_timeout = float(self.settings.get("load_timeout", 20.0))
        for file, units in self.not_run.items():
            shown = ", ".join(u.removeprefix(f"{file}, ") for u in units[:12])
            more = f" and {len(units) - 12} more" if len(units) > 12 else ""
            self.unit_errors.append({"where": units[0], "error": {
                "type": "Timeout", "frames": [], "traceback": "",
                "message": (f"not run: loading the submission had taken its whole {load_timeout:g} s (load_timeout) "
                            f"before it; in {file}, {shown}{more} {'was' if len(units) == 1 else 'were'} not run "
                            f"but for {'its' if len(units) == 1 else 'their'} definitions (def, class, import)")}})
        self.emit({"ev": "loaded", "load": {
            "modules": [m for m in self.order if m in self.loaded],
            "functions": found,
            "unit_errors": self.unit_errors[:100],  # what the grader keeps (and a bounded frame)
            "notes": self.notes[:50],
        }})
        asked_hidden = asked_private = False
        for position, c in enumerate(self.calls):
            if c.get("private") and not asked_private:
                # Every other call is made: now the private calls' inputs, the grader's
                # tables among them (see Zygote._give_late).
                asked_private = True
                self.take_late_inputs("private")
            elif c.get("hidden") and not c.get("private") and not asked_hidden:
                # Every public call is made: now the hidden calls' inputs (see Zygote._give_late).
                asked_hidden = True
                self.take_late_inputs("hidden")
            self.held.start(position, c)
            # A call that may see stand-ins withheld here is made in this process only while
            # the student's code never asked for one of them; otherwise it is "deferred" and
            # the grader makes it in a fresh process that has them.
            extra = self.withheld.difference(c.get("withhold", []))
            if extra & self.asked_withheld:
                self.emit({"ev": "outcome", "call": c["id"], "status": "deferred"})
                continue
            role = c["function"]
            if role not in fns:
                self.emit({"ev": "outcome", "call": c["id"], "status": "missing", "missing": missing.get(role, {})})
                continue
            outcome = self.call(c, fns[role], self.functions.get(role, {}))
            if extra & self.asked_withheld:
                outcome = {"ev": "outcome", "call": c["id"], "status": "deferred"}
            self.emit(outcome)
        self.emit({"ev": "end"})

    def take_late_inputs(self, what: str) -> None:
        """Ask the zygote for late inputs ("hidden" or "private") and add them to :attr:`inputs`."""
        self.emit({"ev": what})
        frame = read_frame(self.hfd, MAX_HIDDEN) if self.hfd is not None else None
        more = unpack(*frame).get("inputs") if frame is not None else None
        self.inputs = {**self.inputs, **(more if isinstance(more, dict) else {})}

    # ------------------------------------------------------------ loading

    def find(self, role: str, spec: dict):
        """Find the student's function for ``role``: (function, "module.name", info)."""
        names = spec.get("names", [role])
        preferred = [m for m in spec.get("modules", []) if m in self.student]
        rest = [m for m in self.order if m not in preferred]
        found = self._redefined(names, preferred)
        if found is not None:
            return found
        for mod_name in preferred + rest:
            mod = self.import_student(mod_name)
            if mod is None:
                continue
            for n in names:
                fn = getattr(mod, n, None) if hasattr(mod, "__dict__") else None
                if fn is None:
                    try:
                        fn = mod.__dict__.get(n)
                    except Exception:
                        fn = None
                if fn is not None and callable(fn):
                    origin = getattr(fn, "__module__", None)
                    if isinstance(origin, str) and origin in self.starter_all() and origin not in self.student:
                        continue  # the starter's stand-in, not the student's own
                    return fn, f"{mod_name}.{n}", {}
        candidates = []
        # the function's own files first (q3_word2vec.py's functions for a missing cbow), then the others
        for m in [*preferred, *rest, *(m for m in self.order if m not in preferred and m not in rest)]:
            mod = self.loaded.get(m)
            if mod is None:
                continue
            for k, v in list(vars(mod).items())[:500]:
                if callable(v) and not k.startswith("__") and getattr(v, "__module__", None) == m:
                    candidates.append(k)
        cause = ""
        for n in names:
            try:
                cause = self.undefined_cause(n) if type(n) is str else ""
            except Exception:  # noqa: BLE001
                cause = ""
            if cause:
                break
        notebook = any(e.get("cells") for e in self.student.values())
        # the file the function belongs in (the first of the rubric's modules, which the hint names), handed
        # in without it: "hand it in" is not what to do (the message says that file defines none of the names)
        home = spec.get("modules", [])[:1]
        handed = any(m in self.student and not self.student[m].get("cells") for m in home)
        hint = (spec.get("missing_hint_notebook") or spec.get("missing_hint", "")) if notebook \
            else "" if handed else spec.get("missing_hint", "")
        return None, "", {
            "cause": cause,
            "names": names,
            "searched": [self.student[m]["where"] for m in preferred + rest],
            "candidates": candidates[:50],
            "import_errors": self.failed_imports,
            "missing_hint": "" if cause else hint,
        }

    def _redefined(self, names, preferred: list) -> tuple | None:
        """A function a notebook defines in its own cells after taking the names of the module it belongs in.

        ``from q3_word2vec import *`` (or ``%run q3_word2vec.py``), then ``def skipgram(...)``
        in a later cell: the notebook's skipgram is the one its kernel holds, and the one
        graded, not the file's.  Only for a notebook handed in with the modules it imports
        (request ``notebook``); None otherwise, and when no notebook does that.
        """
        files = [m for m in preferred if not self.student[m].get("cells")]
        if not files or not self.notebook_first:
            return None
        for nb in (m for m in self.order if self.student[m].get("cells")):
            if not self._notebook_imports(nb) & {m.split(".")[0] for m in files}:
                continue
            mod = self.import_student(nb)
            space = getattr(mod, "__dict__", None) if mod is not None else None
            for n in names if isinstance(space, dict) else ():
                fn = space.get(n)
                if callable(fn) and _origin(fn) == nb:  # its own, defined after the import (else the file's)
                    return fn, f"{nb}.{n}", {}
        return None

    def _notebook_imports(self, nb: str) -> set:
        """The top-level names of the modules a notebook's cells import or ``%run``, and those these
        import in turn among the submission's files (code that does not parse: nothing)."""
        import ast

        def imports(texts) -> set:
            names: set = set()
            for text in texts:
                try:
                    names |= imported_modules(ast.parse(text))
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
            return names

        if nb not in self.notebook_imports:
            names = imports(cell["source"] for cell in self.student[nb].get("cells") or ())
            todo = set(names)
            while todo:
                top = todo.pop()
                for m, e in self.student.items():
                    if m.split(".")[0] == top and not e.get("cells"):
                        more = imports([bytes(e.get("data") or b"").decode("utf-8", "replace")]) - names
                        names |= more
                        todo |= more
            self.notebook_imports[nb] = names
        return self.notebook_imports[nb]

    def starter_all(self) -> set:
        return set(self.starter) | self.withheld

    def import_student(self, name: str):
        if name in self.loaded:
            return self.loaded[name]
        if name in self.failed_imports:
            return None
        import importlib

        try:
            mod = importlib.import_module(name)
        except BaseException as e:  # noqa: BLE001 - a student module may raise anything
            if isinstance(e, _UnitTimeout):
                signal.setitimer(signal.ITIMER_REAL, 0)
            where = self.student[name]["where"]
            self.failed_imports[name] = f"{type(e).__name__}: {_safe_str(e)}"
            self.unit_errors.append({"where": where, "error": self.error_info(e)})
            return None
        self.loaded[name] = mod
        return mod

    def units(self, name: str, entry: dict, source: str):
        """Yield (index, code object, where) for each top-level unit of a student file."""
        import ast

        flags = 0
        cells = entry.get("cells")
        if cells:
            # A translated notebook's cells keep Python 2's `/` from the first cell on, up to a
            # cell that imports division from __future__: that import counts for the cells after
            # it, as in a kernel.
            py2_division = bool(entry.get("py2"))
            for k, cell in enumerate(cells):
                filename = f"{entry['where']}, {cell['label']}"
                self.display[filename] = filename
                _register_source(filename, cell["source"])
                self.unit_text = (filename, cell["source"], 1)
                try:
                    if py2_division:
                        tree = ast.parse(cell["source"], filename)
                        if _imports_true_division(tree):
                            py2_division = False
                        else:
                            tree = _Py2Division().visit(tree, cell["source"], filename)
                        if any(getattr(stmt, "grader_from_text", False) for stmt in tree.body):
                            code = compile(cell["source"], filename, "exec", dont_inherit=True)
                        else:
                            code = compile(tree, filename, "exec", dont_inherit=True)
                    else:
                        code = compile(cell["source"], filename, "exec", dont_inherit=True)
                except (RecursionError, MemoryError, ValueError):
                    try:
                        code = compile(cell["source"], filename, "exec", dont_inherit=True)
                    except SyntaxError as e:
                        yield k, e, filename
                        continue
                except SyntaxError as e:
                    yield k, e, filename
                    continue
                self.unit_definitions = _cell_definitions(cell["source"], filename, py2_division)
                yield k, code, filename
            return
        filename = entry["where"]
        _register_source(filename, source)
        try:
            tree = self.parsed.pop(name, None) or ast.parse(source, filename)
            if entry.get("py2") and not _imports_true_division(tree):
                # Translated Python 2: `/` keeps Python 2's meaning (floor division of two ints),
                # unless the module imported true division from __future__, as Python 2 then had.
                tree = _Py2Division().visit(tree, source, filename)
            blocks = [(stmt, None) for stmt in tree.body]
        except SyntaxError as e:
            blocks = list(_salvage_blocks(source, filename, e))
        import __future__

        for stmt, err in blocks:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                for alias in stmt.names:
                    feat = getattr(__future__, alias.name, None)
                    if feat is not None:
                        flags |= feat.compiler_flag
        lines = source.splitlines(True)
        for k, (stmt, err) in enumerate(blocks):
            if err is not None:
                first, text = getattr(err, "grader_block", (err.lineno or 1, ""))
                self.unit_text = (filename, text, first)
                yield k, err, f"{filename}, line {err.lineno}"
                continue
            end = getattr(stmt, "end_lineno", None) or stmt.lineno
            self.unit_text = (filename, lines, stmt.lineno, end)
            try:
                code = None
                if not getattr(stmt, "grader_from_text", False):
                    try:
                        code = compile(ast.Module(body=[stmt], type_ignores=[]), filename, "exec", flags=flags,
                                       dont_inherit=True)
                    except RecursionError:
                        code = None  # a tree too deep for compile(): its text is not (issue 12)
                if code is None:
                    # From the statement's own text, at its own lines: CPython compiles a long
                    # expression from text far deeper than it converts a tree (a sum of 1,200 terms).
                    code = compile(_statement_text(lines, stmt), filename, "exec", flags=flags, dont_inherit=True)
            except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
                if not isinstance(e, SyntaxError):
                    e = SyntaxError(f"this statement is too long or too deeply nested to compile ({type(e).__name__})",
                                    (filename, stmt.lineno, 1, None))
                yield k, e, f"{filename}, line {getattr(e, 'lineno', stmt.lineno)}"
                continue
            self.unit_definitions = (lambda code=code: code) if isinstance(stmt, _definition_types()) else None
            yield k, code, f"{filename}, line {stmt.lineno}"

    def exec_units(self, name: str, module, entry: dict, source: str) -> None:
        """Run a student module unit by unit: a failing unit is recorded, the rest still runs."""
        budget = float(self.settings.get("cell_timeout", 5.0))
        load_timeout = float(self.settings.get("load_timeout", 20.0))
        for k, code, where in self.units(name, entry, source):
            if (name, k) in self.skip:
                self.notes.append(f"{where} was not run again: it was abandoned in an earlier attempt")
                continue
            if isinstance(code, SyntaxError):
                info = self.error_info(code)
                said = f" ({where})"  # "expected ':' (q1.py, line 3)" where the unit is q1.py, line 3: said once
                if isinstance(info.get("message"), str) and info["message"].endswith(said):
                    info["message"] = info["message"][:-len(said)]
                self.unit_errors.append({"where": where, "error": info})
                self.note_failed(code)
                continue
            left = self.load_deadline - time.monotonic()
            if left <= 0.0:
                # The load's time is spent: only this unit's definitions are made, briefly, so
                # that a function defined after long-running cells is still there to grade.
                self.not_run.setdefault(entry["where"], []).append(where)
                self.run_definitions(name, k, where, module, left + _definitions_grace(load_timeout))
                continue
            self.mark_unit(name, k, where)
            # A unit may import another student module whose units set their own alarm:
            # save the outer unit's remaining time and give it back afterwards.
            outer = signal.getitimer(signal.ITIMER_REAL)[0]
            started = time.monotonic()
            alarm = min(budget, left) if not outer else min(budget, left, outer)
            signal.setitimer(signal.ITIMER_REAL, alarm)
            try:
                exec(code, module.__dict__)
            except _UnitTimeout:
                signal.setitimer(signal.ITIMER_REAL, 0)
                if alarm < budget and left <= alarm:
                    said = (f"this code was stopped when loading the submission had taken its whole "
                            f"{load_timeout:g} s (load_timeout)")
                else:
                    said = f"this code ran longer than {budget:g} s and was stopped; the code after it still ran"
                self.unit_errors.append({"where": where, "error": {
                    "type": "Timeout", "message": said, "frames": [], "traceback": ""}})
            except BaseException as e:  # noqa: BLE001
                signal.setitimer(signal.ITIMER_REAL, 0)
                self.note_failed(e)
                if not self.withheld_import(e):
                    # (an import of a stand-in withheld here is no error of the student's: the
                    # calls that may need it are made again where it is given; see main)
                    self.unit_errors.append({"where": where, "error": self.error_info(e)})
            finally:
                self.ours()
                signal.setitimer(signal.ITIMER_REAL, 0)
                if outer:
                    signal.setitimer(signal.ITIMER_REAL, max(0.001, outer - (time.monotonic() - started)))

    def run_definitions(self, name: str, k: int, where: str, module, left: float) -> None:
        """Make only the definitions of a unit the load had no time left for (errors ignored)."""
        make = self.unit_definitions
        if make is None or left <= 0.0:
            return
        self.mark_unit(name, k, where)
        signal.setitimer(signal.ITIMER_REAL, min(left, float(self.settings.get("cell_timeout", 5.0))))
        try:
            code = make()
            if code is not None:
                exec(code, module.__dict__)
        except BaseException:  # noqa: BLE001 - what it would have said, the unit's not running says
            pass
        finally:
            self.ours()
            signal.setitimer(signal.ITIMER_REAL, 0)

    # ------------------------------------------------------------ calls

    def call(self, c: dict, fn, spec: dict) -> dict:
        """Make one call and describe its result as plain data."""
        import numpy as np

        args = c.get("args")
        if args is None:
            # Preloaded in the zygote (see main): this call's own arrays, inherited
            # copy-on-write, so the student may change them without a copy made here.
            args = [_make_arg(a, copy=False, harness=self) for a in self.inputs.get(c.get("inputs", c["id"]), [])]
        else:
            args = [_make_arg(a, harness=self) for a in args]
        for k, a in enumerate(args):
            if isinstance(a, _OwnCost):
                try:
                    args[k] = a.resolve()
                except NameError as e:
                    args[k] = _raiser(e)
        notes: list[str] = []
        # Arguments a year's signature reads as globals of its module (2015's `dataset`): set
        # there for this call (undone with the other patches), the rest passed in order.
        passed, spec, numgrad = _as_globals(fn, args, spec, c.get("numgrad", {}), notes)
        undo = _apply_patches(fn)  # what built arguments asked for (see _build); undone below
        # A hidden call's printed text never leaves this process: what a behaviour verdict needs
        # of it (did a line say "passed", "failed") is recorded here as two booleans instead.
        heard = bool(c.get("hidden")) and bool(_PROBES)
        if heard:
            _HEARD[:] = [[]]
        printed = getattr(self, "printed", None)
        if printed is not None:
            printed["reserve"] = CALL_RESERVE
        n_args = _choose_arity(fn, len(passed), spec.get("arities") or [len(passed)], notes, spec)
        returns = spec.get("returns", [])
        max_elems = int(c.get("max_elems", 1_000_000))
        t0 = time.perf_counter()
        try:
            if c.get("kind") == "numgrad":
                value = self.numgrad(fn, passed[:n_args], numgrad)
                desc = {"type": "tuple", "items": [_describe(v, max_elems) for v in value]}
            else:
                result = fn(*passed[:n_args])
                if len(returns) > 1 and isinstance(result, (tuple, list)):
                    desc = {"type": type(result).__name__,
                            "items": [_describe(v, max_elems) for v in list(result)[:16]],
                            "length": len(result)}
                else:
                    desc = _describe(result, max_elems)
        except BaseException as e:  # noqa: BLE001
            error = self.error_info(e)
            try:
                cause = _shape_cause(e, passed[:n_args], spec, error, self, fn)
            except Exception:  # noqa: BLE001 - a hostile value: no cause, the error stands
                cause = ""
            if cause:
                error["cause"] = cause
            out = {"ev": "outcome", "call": c["id"], "status": "raised", "error": error,
                   "notes": notes, "seconds": time.perf_counter() - t0}
            probes = _take_probes(undo, self.scratch, heard, e)
            if c.get("hidden") and isinstance(e, NotImplementedError):
                # the grader hides a hidden call's exception; that it is the starter's stub is one bit
                probes.append({"kind": "stub"})
            unset, where = _placeholder_return(e)
            if unset:  # a2's stubs: "### YOUR CODE HERE" left empty, then `return loss, ...`
                probes.append({"kind": "stub", "returns": unset, "in": where})
            else:
                unset, where = _placeholder_used(e, spec.get("stub_names") or ())
                if unset:  # 2015's: `grad = np.concatenate((gradW1.flatten(), ...))` after an empty YOUR CODE HERE
                    probes.append({"kind": "stub", "returns": unset, "in": where, "uses": True})
            if probes:
                out["probes"] = probes
            return out
        out = {"ev": "outcome", "call": c["id"], "status": "ok", "value": desc, "notes": notes,
               "seconds": time.perf_counter() - t0}
        for a in args:
            try:  # the student's code may have changed the records: plain ints or nothing
                if isinstance(a, _Dataset) and a._scripted:
                    out["draws"] = [i for i in list(a.drawn)[:MAX_DRAWS + 1] if type(i) is int]
                elif isinstance(a, _TableCost):
                    out["costfn_calls"] = int(a.calls) if type(a.calls) is int else 0
            except BaseException:  # noqa: BLE001
                out["draws"] = []
        probes = _take_probes(undo, self.scratch, heard)
        if probes:
            out["probes"] = probes
        if c.get("echo_args"):
            out["echoed"] = [_describe(a, max_elems) if isinstance(a, np.ndarray) else None for a in args]
        return out

    def numgrad(self, fn, args: list, spec: dict):
        """Central differences of the student's own cost with respect to each ``wrt`` argument."""
        import numpy as np

        h = float(spec.get("h", 1e-4))
        out_i = int(spec.get("output", 0))
        grads = []

        def cost(a):
            r = fn(*[x.copy() if isinstance(x, np.ndarray) else x for x in a])
            if isinstance(r, (tuple, list)):
                r = r[out_i]
            r = np.asarray(r, dtype=np.float64)
            if r.size != 1:
                raise ValueError(f"the cost has {r.size} values; expected one number")
            return float(r.reshape(-1)[0])

        sample = spec.get("sample")
        for k, i in enumerate(spec.get("wrt", [])):
            x = np.array(args[i], dtype=np.float64)
            a = list(args)
            picked = sample[k] if isinstance(sample, list) and k < len(sample) else None
            sampled = isinstance(picked, list)
            if sampled:
                # Only these flat indices: a 1-D result, in their order.
                flat = [int(j) for j in picked if isinstance(j, int) and 0 <= j < x.size]
                if len(flat) != len(picked):
                    raise ValueError("the sampled indices do not fit the argument")
                where = [np.unravel_index(j, x.shape) for j in flat]
                g = np.zeros(len(flat))
            else:
                where = list(np.ndindex(x.shape))
                g = np.zeros_like(x)
            for n, idx in enumerate(where):
                old = x[idx]
                x[idx] = old + h
                a[i] = x
                fp = cost(a)
                x[idx] = old - h
                fm = cost(a)
                x[idx] = old
                g[n if sampled else idx] = (fp - fm) / (2 * h)
            grads.append(g)
        return grads

    # ------------------------------------------------------------ errors

    def error_info(self, e: BaseException) -> dict:
        """Describe an exception with the student's frames only."""
        if isinstance(e, _UnitTimeout):
            return {"type": "Timeout", "message": "stopped by the time budget", "frames": [], "traceback": ""}
        frames = []
        if isinstance(e, SyntaxError) and e.filename is not None:
            where = self.display.get(e.filename, e.filename)
            frames.append({"where": where, "line": e.lineno or 0, "code": (e.text or "").strip()[:200], "function": ""})
        raw = _tb_frames(e.__traceback__, 30)
        for i, fs in enumerate(raw):
            fname = fs.filename
            if _timed_again(raw, i):
                continue  # ``%time stmt``'s statement, run on its cell's line: that line is shown once
            if fname in self.display or fname in self.student_where():
                frames.append({"where": self.display.get(fname, fname), "line": fs.lineno or 0,
                               "code": _as_written(fs.line or "")[:200], "function": fs.name})
        text_lines = [f'  {f["where"]}, line {f["line"]}' + (f', in {f["function"]}' if f["function"] and f["function"] != "<module>" else "")
                      + (f'\n    {f["code"]}' if f["code"] else "") for f in frames]
        msg = self.relative(_safe_str(e))
        cause = ""
        if isinstance(e, NameError):
            try:
                name = getattr(e, "name", None)
                # a function checked on its own: its checks say the whole cause, this caller's briefly
                checked = type(name) is str and any(
                    name in (spec.get("names") or [role]) for role, spec in self.functions.items()
                    if isinstance(spec, dict))
                cause = self.undefined_cause(name, brief=checked) if type(name) is str else ""
            except Exception:  # noqa: BLE001 - a hostile exception object
                cause = ""
            if cause:
                msg = f"{msg}: {cause}"
        if isinstance(e, SystemExit):
            msg = f"sys.exit({_safe_str(e.code) if e.code is not None else ''}) was called"
        elif type(e) is NameError and getattr(e, "name", None) in ("exit", "quit") and not cause:
            # `exit` and `quit` are the interactive interpreter's (the site module's): not there when graded
            msg = (f"{e.name}() was called: it would stop the script here, and the grader runs your code as a "
                   f"script, where {e.name} is not defined; remove the call")
        elif type(e) is EOFError and msg == "EOF when reading a line":
            msg = ("input() was called, and no one can answer it while your code is graded (nothing is typed "
                   "then); give the value in the code instead of asking for it")
        last = msg
        if isinstance(e, SyntaxError) and frames and isinstance(e.msg, str) and e.msg:
            last = self.relative(_safe_str(e.msg))  # its place is the frame's line above, as Python prints it
        text = "\n".join(text_lines + [f"{type(e).__name__}: {last}" if last else type(e).__name__])  # as Python says it
        return {"type": type(e).__name__, "message": msg[:2000], "frames": frames[-10:], "traceback": text[:8000]}

    # ------------------------------------------------------------ causes

    def note_failed(self, e: BaseException) -> None:
        """Remember the unit that just failed, and where: a name it never defined is explained by it."""
        try:
            self._note_failed(e)
        except Exception:  # noqa: BLE001 - a hostile exception object: nothing is remembered
            pass

    def _note_failed(self, e: BaseException) -> None:
        if not self.unit_text or len(self.failed) >= 200:
            return
        if self.withheld_import(e):
            return  # a stand-in withheld while its role is graded: the role's own message says so
        filename = self.unit_text[0]
        if len(self.unit_text) == 4:
            _, lines, first, last = self.unit_text
            text = "".join(lines[first - 1:last])
        else:
            _, text, first = self.unit_text
        syntax = isinstance(e, SyntaxError)
        line = (e.lineno or first) if syntax else first
        if not syntax:
            for fs in _tb_frames(e.__traceback__):
                if fs.filename == filename:
                    line = fs.lineno or line  # the last frame of the unit's own code
        rel = line - first
        code = text.splitlines()[rel].strip() if 0 <= rel < len(text.splitlines()) else ""
        if syntax and not code:
            code = (e.text or "").strip()
        self.failed.append({"where": self.display.get(filename, filename), "filename": filename, "text": text[:200_000],
                            "first": first, "line": line, "code": code[:160], "syntax": syntax,
                            "error": f"{type(e).__name__}: {self.relative(_safe_str(getattr(e, 'msg', None) or e))[:200]}"})

    def relative(self, said: str) -> str:
        """`said` with the paths of the folder the submission runs in made relative: its files by their own paths."""
        if isinstance(self.scratch, str) and len(self.scratch) > 1:
            return said.replace(self.scratch.rstrip("/") + "/", "")
        return said

    def withheld_import(self, e: BaseException) -> bool:
        """Whether ``e`` is the failed import of a stand-in withheld in this process (see :attr:`withheld`)."""
        try:
            return isinstance(e, ImportError) and type(e.name) is str and e.name in self.withheld
        except Exception:  # noqa: BLE001 - a hostile exception object
            return False

    def why_undefined(self, name: str):
        """Return (failed unit, line, what) when a unit that failed would have defined ``name``, else None."""
        if not self.failed or not name.isidentifier():
            return None
        n = re.escape(name)
        pat = re.compile(rf"^[ \t\0]*(?:(?:async[ \t]+)?def[ \t]+{n}\b|class[ \t]+{n}\b|(?:from[ \t]+[\w.]+[ \t]+)?"
                         rf"import[ \t][^\n#]*\b{n}\b|(?:[\w.]+[ \t]*,[ \t]*)*{n}[ \t]*(?:,[^=\n]*)?=(?!=))", re.M)
        for f in self.failed:
            for m in pat.finditer(f["text"]):
                line = f["first"] + f["text"].count("\n", 0, m.start())
                if f["syntax"] or line >= f["line"]:
                    end = f["text"].find("\n", m.start())
                    what = f["text"][m.start():end if end >= 0 else len(f["text"])].strip()
                    return f, line, what[:120]
        return None

    def undefined_cause(self, name: str, *, brief: bool = False) -> str:
        """Say why ``name`` is not defined when an earlier unit's failure explains it; "" otherwise.

        ``brief``: for a NameError raised by a caller of a function the rubric checks (``name``): where
        the code stopped, without its error, which the load errors and the checks of ``name`` say.
        """
        found = self.why_undefined(name)
        if found is None:
            return ""
        f, line, what = found
        if brief:
            if f["syntax"]:
                return (f"{name!r} was never defined: {f['where']} does not compile (line {f['line']}; the checks "
                        f"of {name} say why)")
            if line == f["line"]:
                return (f"{name!r} was never defined: {f['where']}, line {f['line']} failed (the checks of {name} "
                        f"say why)")
            return (f"{name!r} was never defined: {f['where']} stopped at line {f['line']}, before line {line} ran "
                    f"(the checks of {name} say why)")
        if f["syntax"]:
            return (f"{name!r} is in code that does not compile: {f['where']}, line {f['line']}: "
                    f"{f['error']} (`{f['code']}`), so it was never defined")
        if line == f["line"]:
            return (f"{name!r} was never defined: `{f['code']}` failed ({f['where']}, line {f['line']}: "
                    f"{f['error']})")
        return (f"{name!r} was never defined: {f['where']} stopped at line {f['line']} (`{f['code']}`: "
                f"{f['error']}) before line {line} (`{what}`) ran")

    def notes_starter_said(self) -> set:
        """Return the stand-in modules a note already mentions (one note per module)."""
        said = set()
        for n in self.notes:
            m = re.match(r"^'([^']+)' was not in the submission", n) or re.search(
                r"the supplied stand-in for '([^']+)' was used instead", n)
            if m:
                said.add(m.group(1))
        return said

    def student_where(self) -> set:
        return {f["where"] for f in self.student.values()}


def _py2_div(a, b):
    """Python 2's `/`: floor division when both operands are integers, true division otherwise."""
    import numbers

    if isinstance(a, numbers.Integral) and isinstance(b, numbers.Integral):
        return a // b
    return a / b


def _py2_idiv(a, b):
    """Python 2's ``a /= b``: floor division when both are integers (an integer array too, in place, as numpy
    did under Python 2); otherwise true division in place where `a` divides in place (an array, or a view of
    one: ``for row in x: row /= s`` changes `x`), as ``/=`` does."""
    import numbers
    import operator

    def integral(v) -> bool:
        return isinstance(v, numbers.Integral) or getattr(getattr(v, "dtype", None), "kind", "") in ("i", "u")

    if isinstance(a, numbers.Integral) and isinstance(b, numbers.Integral):
        return a // b
    if integral(a) and integral(b) and hasattr(a, "dtype"):
        return operator.ifloordiv(a, b)
    return operator.itruediv(a, b)


def _definition_types():
    """The statements made for a unit the load had no time left for: definitions."""
    import ast

    return (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)



def _cell_definitions(source: str, filename: str, py2_division: bool):
    """A callable compiling only a cell's definitions (def, class, import), or None when it has none."""
    import ast

    def make():
        tree = ast.parse(source, filename)
        if py2_division:
            tree = _Py2Division().visit(tree, source, filename)
        body = [stmt for stmt in tree.body if isinstance(stmt, _definition_types())]
        return compile(ast.Module(body=body, type_ignores=[]), filename, "exec", dont_inherit=True) if body else None

    return make


def _imports_true_division(tree) -> bool:
    """Whether a module's tree has ``from __future__ import division`` at its top level."""
    import ast

    return any(isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
               and any(a.name == "division" for a in stmt.names) for stmt in tree.body)


class _Py2Division:
    """AST transformer: ``a / b`` -> ``__py2_div__(a, b)`` (and ``x /= b`` -> ``x = __py2_idiv__(x, b)`` for plain names)."""

    def visit(self, tree, source="", filename="<py2>"):
        import ast

        class T(ast.NodeTransformer):
            def visit_BinOp(self, node):  # noqa: N802
                self.generic_visit(node)
                if isinstance(node.op, ast.Div):
                    call = ast.Call(func=ast.Name(id="__py2_div__", ctx=ast.Load()), args=[node.left, node.right],
                                    keywords=[])
                    return ast.copy_location(call, node)
                return node

            def visit_AugAssign(self, node):  # noqa: N802
                self.generic_visit(node)
                if isinstance(node.op, ast.Div) and isinstance(node.target, ast.Name):
                    # in place where the target divides in place (an array, a view): Python 2's `/=`
                    value = ast.Call(func=ast.Name(id="__py2_idiv__", ctx=ast.Load()),
                                     args=[ast.Name(id=node.target.id, ctx=ast.Load()), node.value], keywords=[])
                    return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)
                return node

        # Statement by statement: one too deep to rewrite (a sum of hundreds of terms nests that
        # deep) is marked, and compiled from its text (Harness.units): it keeps Python 3's `/`;
        # the others are still rewritten.  Nothing is parsed again.  A statement whose text
        # holds no "/" has no division to rewrite: it is not walked (most of a file's).
        lines = source.splitlines() if source else None
        for i, stmt in enumerate(tree.body):
            end = getattr(stmt, "end_lineno", None)
            if lines is not None and end is not None and not any("/" in ln for ln in lines[stmt.lineno - 1:end]):
                continue
            try:
                tree.body[i] = ast.fix_missing_locations(T().visit(stmt))
            except RecursionError:
                stmt.grader_from_text = True  # possibly half rewritten: its tree is not compiled
        return tree


def _statement_text(lines: list, stmt) -> str:
    """The text of a top-level statement, after as many newlines as lines before it (line numbers kept)."""
    first, last = stmt.lineno - 1, (getattr(stmt, "end_lineno", None) or stmt.lineno) - 1
    start, stop = stmt.col_offset, getattr(stmt, "end_col_offset", None)
    if first == last:
        body = lines[first][start:stop]
    else:
        body = lines[first][start:] + "".join(lines[first + 1:last]) + lines[last][:stop]
    return "\n" * first + body + "\n"


def _alarm(signum, frame):
    raise _UnitTimeout()


def _safe_str(x) -> str:
    try:
        s = str(x)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        s = "<unprintable>"
    return s[:2000]


def _safe_repr(x) -> str:
    try:
        s = repr(x)
    except BaseException:  # noqa: BLE001
        s = f"<{type(x).__name__} object>"
    return s[:300]


def _register_source(filename: str, source: str) -> None:
    import linecache

    lines = source.splitlines(True)
    linecache.cache[filename] = (len(source), None, lines, filename)


def _string_lines(lines) -> set:
    """The indices of the lines that begin inside a triple-quoted string (read quote by quote, comments skipped)."""
    inside: set = set()
    open_ = ""  # the triple quote of the string the scan is in, "" outside
    for i, line in enumerate(lines):
        if open_:
            inside.add(i)
        j, n = 0, len(line)
        while j < n:
            if open_:
                k = line.find(open_, j)
                while k > 0 and _escaped(line, k):
                    k = line.find(open_, k + 1)
                if k < 0:
                    break
                open_, j = "", k + 3
                continue
            ch = line[j]
            if ch == "#":
                break
            if ch in "'\"":
                if line.startswith(ch * 3, j):
                    open_, j = ch * 3, j + 3
                    continue
                k = j + 1  # a string on one line: to its closing quote
                while k < n and line[k] != ch and line[k] != "\n":
                    k += 2 if line[k] == "\\" else 1
                j = k + 1
                continue
            j += 1
    return inside


def _escaped(line: str, k: int) -> bool:
    """Whether the character at `k` follows an odd number of backslashes."""
    b = k
    while b > 0 and line[b - 1] == "\\":
        b -= 1
    return (k - b) % 2 == 1


def _salvage_blocks(source: str, filename: str, first_error: SyntaxError):
    """Split a file that does not parse into top-level blocks; yield (stmt, None) or (None, SyntaxError)."""
    import ast

    lines = source.splitlines(True)
    starts = []
    cont = ("else", "elif", "except", "finally", ")", "]", "}", "#")
    inside = _string_lines(lines)
    for i, line in enumerate(lines):
        if i in inside:
            continue  # (a line of a multi-line string: a docstring's text at column 0 starts nothing)
        if line.strip() and not line[0].isspace() and not line.startswith(cont):
            if starts and lines[starts[-1]].startswith("@"):
                if not line.startswith("@") and not line.startswith(("def ", "class ", "async ")):
                    starts.append(i)
                continue
            starts.append(i)
    starts.append(len(lines))
    for a, b in zip(starts, starts[1:]):
        chunk = "\n" * a + "".join(lines[a:b])
        try:
            tree = ast.parse(chunk, filename)
        except SyntaxError as e:
            e.grader_block = (a + 1, "".join(lines[a:b]))  # where the block starts, its text
            if e.lineno is None:  # CPython names no line for a NUL byte: the block's first line that holds one
                e.lineno = a + 1 + next((i for i, line in enumerate(lines[a:b]) if "\0" in line), 0)
            said = (e.text or "").strip()
            if said[:1] in ("!", "%") and isinstance(e.msg, str):  # a notebook's line, in a .py (Colab's download)
                e.msg = (f"{e.msg}: {said[:60]!r} is IPython syntax (a {'shell command' if said[0] == '!' else 'magic'}"
                         "), which Python does not run in a .py file; delete it or make it a comment")
            yield None, e
            continue
        for stmt in tree.body:
            yield stmt, None


_SHAPE_WORDS = ("shape", "align", "broadcast", "dimension", "matmul", "size", "index", "unpack")
#: What a gradient check prints when it finds a wrong gradient, or a right one (compiled in the
#: zygote: not again in every child).
_SAID_FAIL = re.compile(r"\bfail(ed|s|ure)?\b|\berror found\b", re.IGNORECASE)
_SAID_PASS = re.compile(r"\bpass(ed)?\b", re.IGNORECASE)
_TUPLE = re.compile(r"\((\d+)(?:\s*,\s*(\d+))?\s*,?\s*\)")


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_cause(e: BaseException, args: list, spec: dict, error: dict, h: "Harness", fn=None) -> str:
    """Say what the grader passed and the likely cause, when a call failed on shapes; "" otherwise.

    The arrays the grader passed (names from the rubric's params, dtypes, shapes) and what the
    course gives each (the rubric's ``shapes``), the arrays named in the failing line, and a
    likely cause read from the shapes the error mentions: a ``1×d`` row or ``d×1`` column
    where ``(d,)`` was passed, a matrix transposed (``d×V`` where ``V×d`` was passed).
    """
    import numpy as np

    if not isinstance(e, (ValueError, AssertionError, IndexError, TypeError)):
        return ""
    params = list(spec.get("params", []))
    shapes = spec.get("shapes") or {}
    course = {}  # the student's name of an argument -> what the course gives it
    try:  # the student's own names for the arguments (centerWordVec, not the rubric's predicted)
        import inspect

        own = [p.name for p in inspect.signature(fn).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)] if fn is not None else []
    except (TypeError, ValueError):
        own = []
    names = []
    for i in range(len(args)):
        name = own[i] if i < len(own) else (params[i] if i < len(params) else f"argument {i + 1}")
        names.append(name)
        if i < len(params) and isinstance(shapes.get(params[i]), str):
            course[name] = shapes[params[i]]
    arrays = [(names[i], a) for i, a in enumerate(args) if type(a) is np.ndarray]
    if not arrays:
        return ""
    msg = _safe_str(e)
    frames = error.get("frames") or []
    code = frames[-1]["code"] if frames else ""
    asserted = isinstance(e, AssertionError) and "shape" in code
    if not asserted and not any(w in msg.lower() for w in _SHAPE_WORDS):
        return ""
    # The arrays the failing line names, as they were there.
    local: list = []
    tb = e.__traceback__
    last = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in h.display or tb.tb_frame.f_code.co_filename in h.student_where():
            last = tb.tb_frame
        tb = tb.tb_next
    views: dict[str, set] = {}  # an argument's name -> the names in the failing line of it or its views (U.T)
    if last is not None and code:
        for k, v in list(last.f_locals.items())[:200]:
            if type(v) is np.ndarray and re.search(rf"\b{re.escape(k)}\b", code) and len(local) < 6:
                local.append((k, v.shape, v.dtype.name))
                for name, a in ((n, a) for n, a in zip(names, args) if type(a) is np.ndarray):
                    if v is a or v.base is a or (a.base is not None and v.base is a.base):
                        views.setdefault(name, set()).add(k)
    seen = [tuple(int(g) for g in m.groups() if g is not None) for m in _TUPLE.finditer(msg)]
    seen += [sh for _, sh, _ in local]
    likely = ""
    for name, a in arrays:
        sh = a.shape
        for t in seen:
            if len(sh) == 1 and len(t) == 2 and t in ((1, sh[0]), (sh[0], 1)):
                kind = "row" if t[0] == 1 else "column"
                likely = (f"a {t[0]}×{t[1]} {kind} where {name} is passed with shape {_shape_text(sh)}: "
                          f"the course passes {name} as a vector, not a {kind}; keep it 1-D (or reshape it back)")
            elif (len(sh) == 2 and sh[0] != sh[1] and t == (sh[1], sh[0])
                  and (re.search(rf"\b{re.escape(name)}\b", code) or views.get(name))):
                # (only an argument the failing line uses: a result of its own of that shape is not it)
                likely = (f"{name} transposed: {t[0]}×{t[1]} where the course passes it {sh[0]}×{sh[1]}"
                          + (" (one word vector per row)" if "row" in course.get(name, "") else ""))
            if likely:
                break
        if likely:
            break
    if not likely:  # two arrays of the failing line transposed to one another (a result computed transposed)
        pairs = [(k1, s1, k2, s2) for i, (k1, s1, _) in enumerate(local) for k2, s2, _ in local[i + 1:]
                 if len(s1) == 2 and s1[0] != s1[1] and s2 == (s1[1], s1[0])]
        if pairs:
            k1, s1, k2, s2 = pairs[0]
            likely = (f"{k1} is {s1[0]}×{s1[1]} and {k2} {s2[0]}×{s2[1]}: one of them is transposed "
                      "(the arguments themselves came as the course passes them)")
    if not likely and "too many indices" in msg:
        for name, a in arrays:
            if a.ndim == 1 and re.search(rf"\b{re.escape(name)}\s*\[[^\]]*,", code):
                likely = (f"your code indexes {name} as a matrix (a 1×d row); the course passes it as a vector "
                          f"{_shape_text(a.shape)}")
                break
    if not likely and "unpack" in msg:
        for name, a in arrays:
            if a.ndim == 1 and re.search(rf"\b{re.escape(name)}\.shape\b", code):
                likely = (f"{name}.shape holds one number: the course passes {name} as a vector "
                          f"{_shape_text(a.shape)}, not a 1×d row")
                break
    if not likely and asserted:
        mentioned = [n for n, _ in arrays if re.search(rf"\b{re.escape(n)}\b", code)]
        if mentioned and "(1," in code.replace(" ", ""):
            likely = f"your assert expects {mentioned[0]} as a 1×d row; the course passes it as a vector"
        else:
            likely = "your own assert on shapes failed: it expects other shapes than the ones the course passes"
    passed = "; ".join(f"{n} {a.dtype.name} {_shape_text(a.shape)}" for n, a in arrays)
    text = f"The grader passed {passed}"
    wants = [f"{n} {course[n]}" for n, _ in arrays if n in course]
    if wants:
        text += f", as the course specifies ({'; '.join(wants)})"
    text += "."
    if local:
        text += " In that line: " + ", ".join(f"{k} {_shape_text(sh)}" for k, sh, _ in local) + "."
    if likely:
        text += f" Likely cause: {likely}."
    return text[:1200]


def _placeholder_return(e: BaseException) -> tuple[str, str]:
    """The name a starter's stub returns without ever setting it, and that function's name, when that is why
    a call raised (in the function called or one it calls); ("", "") otherwise.

    CS224n a2's stubs leave ``### YOUR CODE HERE`` empty before ``return loss, gradCenterVec,
    ...``: the call raises NameError on its own ``return`` line, and none of the names that line
    returns is assigned in its function (a typo, ``return los, grad``, returns names it does set),
    nor is the missing one close to a name it assigns (``return valeu`` beside ``value``).  A
    name it assigns in some branch only raises UnboundLocalError, which is not this.
    """
    if type(e) is not NameError:
        return "", ""
    name = getattr(e, "name", None)
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if not isinstance(name, str) or tb is None:
        return "", ""
    code = tb.tb_frame.f_code
    if name in code.co_varnames or name in code.co_cellvars or code.co_name.startswith("<"):
        return "", ""
    try:
        import ast
        import linecache

        line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
        if not re.match(r"return\b", line):
            return "", ""
        returned = {n.id for n in ast.walk(ast.parse(line.rstrip(";"), mode="exec")) if isinstance(n, ast.Name)}
    except Exception:  # noqa: BLE001 - a return spread over lines, or anything else: not recognised
        return "", ""
    if name not in returned or returned & set(code.co_varnames):
        return "", ""
    import difflib

    own = [v.lower() for v in list(code.co_varnames)[:200]]
    if difflib.get_close_matches(name.lower(), own, n=1, cutoff=0.75):
        return "", ""  # `return valeu` beside a local `value`, `return S` beside `s`: a typo, not a placeholder
    return name[:100], code.co_name[:100]


#: ``%run q2_sigmoid.py`` as IPython translates it: the file's code runs in the kernel, as an import's would.
_RUN = re.compile(r"""run_line_magic\(\s*['"]run['"]\s*,\s*['"](?:-\w+\s+)*(?:\./)?([A-Za-z_]\w*)(?:\.py)?['"\s]""")


def imported_modules(tree) -> set:
    """The top-level names of the modules a parsed tree imports (absolute imports) or ``%run``s."""
    import ast

    names: set = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run_line_magic":
            m = _RUN.search(ast.unparse(node))
            if m:
                names.add(m.group(1))
    return names


def _origin(value) -> str | None:
    """The name of the module `value` is (a module) or was defined in (a function, a class); None otherwise."""
    try:
        name = value.__name__ if isinstance(value, type(sys)) else getattr(value, "__module__", None)
    except Exception:  # noqa: BLE001 - a student's object may raise anything
        return None
    return name if isinstance(name, str) else None


def _placeholder_used(e: BaseException, names) -> tuple[str, str]:
    """The name a year's starter leaves for the student to set (`names`, the rubric's ``stub_names``),
    used but never set in the function that raised, and that function's name; ("", "") otherwise.

    CS224d 2015's stubs leave ``### YOUR CODE HERE`` empty, then use what it should have set:
    ``numgrad`` in gradcheck_naive, ``gradW1``... in forward_backward_prop.  A name the function
    sets somewhere (a branch not taken) is UnboundLocalError, which is not this.
    """
    if type(e) is not NameError or not names:
        return "", ""
    name = getattr(e, "name", None)
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if not isinstance(name, str) or name not in names or tb is None:
        return "", ""
    code = tb.tb_frame.f_code
    if name in code.co_varnames or name in code.co_cellvars or code.co_name.startswith("<"):
        return "", ""
    return name[:100], code.co_name[:100]


def _as_globals(fn, args: list, spec: dict, numgrad: dict, notes: list) -> tuple[list, dict, dict]:
    """Leave out of the call the arguments the student's function reads as globals of its module.

    ``spec["globals"]`` names params a year's signature may lack (CS224d 2015's notebook:
    negative sampling reads ``dataset``, forward_backward_prop ``dimensions``).  Such an
    argument is passed as usual when the function can take every argument or has a
    parameter of that name; otherwise it is queued (``_PATCHES``) to be set as that global
    of the function's module for this call only.  Returns the arguments to pass, the spec
    with those params left out (arities counted without them) and ``numgrad`` with its
    ``wrt`` positions counted the same way.
    """
    import inspect

    names = spec.get("globals") or []
    params = list(spec.get("params") or [])
    if not names or not params:
        return args, spec, numgrad
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return args, spec, numgrad
    try:
        sig.bind(*range(len(args)))
        return args, spec, numgrad  # it takes every argument: all are passed
    except TypeError:
        pass
    own = set(sig.parameters)
    moved = [i for i, p in enumerate(params[: len(args)]) if p in names and p not in own]
    if not moved:
        return args, spec, numgrad
    for i in moved:
        _PATCHES.append((params[i], args[i]))

    def shift(k: int) -> int:
        return k - sum(1 for i in moved if i < k)

    spec = dict(spec, params=[p for i, p in enumerate(params) if i not in moved],
                arities=[shift(k) for k in (spec.get("arities") or [len(args)])])
    if isinstance(numgrad, dict) and isinstance(numgrad.get("wrt"), list):
        numgrad = dict(numgrad, wrt=[shift(int(i)) for i in numgrad["wrt"]])
    gone = ", ".join(repr(params[i]) for i in moved)
    notes.append(f"your function takes no {gone} parameter: {gone} was set as a global of your module "
                 "while it ran")
    return [a for i, a in enumerate(args) if i not in moved], spec, numgrad


#: Attributes of a function that ``inspect.signature`` reads instead of its code object.
_UNREAD_BY_INSPECT = frozenset(("__wrapped__", "__signature__", "_partialmethod", "__partialmethod__"))


def _positional_counts(fn) -> tuple[int, int, bool] | None:
    """For a plain function: (fewest, most positional arguments, takes ``*args``) if calling it
    with positional arguments only can work at all, (0, -1, False) if it cannot (a keyword-only
    parameter without default), None for anything else (``inspect.signature`` decides then)."""
    import types

    if type(fn) is not types.FunctionType or not _UNREAD_BY_INSPECT.isdisjoint(fn.__dict__):
        return None
    code = fn.__code__
    if len(fn.__defaults__ or ()) > code.co_argcount:  # reassigned by hand: inspect has its own reading
        return None
    kw_defaults = fn.__kwdefaults__ or {}
    kw_only = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    if any(name not in kw_defaults for name in kw_only):
        return 0, -1, False
    return code.co_argcount - len(fn.__defaults__ or ()), code.co_argcount, bool(code.co_flags & 0x04)


def _fits(counts: tuple[int, int, bool], k: int) -> bool:
    """Whether ``k`` positional arguments fit ``counts`` (from :func:`_positional_counts`)."""
    fewest, most, star = counts
    return fewest <= k and (star or k <= most)


def _takes(fn, k: int) -> bool | None:
    """Whether ``fn(*range(k))`` binds (as ``inspect.Signature.bind`` says), cheaply; None: unknown."""
    counts = _positional_counts(fn)
    return None if counts is None else _fits(counts, k)


def _choose_arity(fn, n: int, arities: list, notes: list, spec: dict) -> int:
    """Pick the largest accepted argument count the student's signature can take.

    A plain function's arguments are counted from its code object (what ``inspect.signature``
    would say, in a fraction of the time: a function is called once per case); anything
    else (a wrapped function, a callable object, a builtin) goes through ``inspect``.
    """
    import inspect

    counts, sig = _positional_counts(fn), None
    if counts is None:
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return min(n, arities[0])
    params = spec.get("params", [])
    for k in arities:
        if k > n:
            continue
        if counts is not None:
            if not _fits(counts, k):
                continue
        else:
            try:
                sig.bind(*range(k))
            except TypeError:
                continue
        if k < arities[0]:
            dropped = params[k:arities[0]] if params else []
            names = ", ".join(repr(p) for p in dropped) or f"{arities[0] - k} argument(s)"
            notes.append(f"called with {k} arguments: your function takes no {names} parameter")
        return k
    return min(n, arities[0])


#: Most draws of a scripted dataset recorded and sent back (a student drawing more is told so).
MAX_DRAWS = 10000


class _Dataset:
    """A deterministic stand-in for the course's `dataset` argument.

    With a script, ``sampleTokenIdx()`` returns the scripted indices in order, then draws
    from ``random.Random(seed)``, and every draw is recorded (``drawn``) so that the grader
    computes the expected values on the negatives this student actually used.
    """

    def __init__(self, vocab: int, seed: int, script=()) -> None:
        import random

        self._rng = random.Random(seed)
        self._vocab = vocab
        self._script = [int(i) for i in script]
        self.drawn: list = []
        self._scripted = bool(self._script)

    def sampleTokenIdx(self) -> int:  # noqa: N802 - the course's name
        n = len(self.drawn)
        i = self._script[n] if n < len(self._script) else self._rng.randrange(self._vocab)
        if self._scripted and n < MAX_DRAWS + 1:
            self.drawn.append(i)
        return i

    def tokens(self) -> dict:
        return {f"w{i}": i for i in range(self._vocab)}

    def getRandomContext(self, C=5):  # noqa: N802
        words = [f"w{self._rng.randrange(self._vocab)}" for _ in range(2 * C + 1)]
        return words[C], words[:C] + words[C + 1 :]


class _TableCost:
    """The grader's cost function for one skip-gram/CBOW case: it answers only that case's calls.

    Each entry is (predicted, target, cost, gradPred, grad), values the grader chose for
    exactly those arguments; ``outputs`` is the sha256 of the outputVectors (float64 bytes)
    every call must pass.  Any other call raises, saying what was expected.
    """

    def __init__(self, entries, outputs: str) -> None:
        self.entries = list(entries)
        self.outputs = outputs
        self.calls = 0

    def __call__(self, *args, **kwargs):
        import hashlib

        import numpy as np

        self.calls += 1
        names = ("predicted", "target", "outputVectors")
        alt = ("centerWordVec", "outsideWordIdx", "outsideVectors")
        got = list(args[:3])
        for k in range(len(got), 3):
            got.append(kwargs.get(names[k], kwargs.get(alt[k])))
        predicted, target, outputs = got
        # (said in every year's words: a2's "loss function", centerWordVec and outsideVectors are CS224d's
        # cost function, predicted and outputVectors, and a2 has no CBOW)
        why = "the function the grader passed answers only the calls expected on this case"
        try:
            r = np.asarray(predicted, dtype=np.float64).reshape(-1)
            t = int(np.asarray(target).reshape(-1)[0]) if np.asarray(target).size == 1 else None
            w = np.ascontiguousarray(np.asarray(outputs, dtype=np.float64))
        except BaseException:  # noqa: BLE001
            raise TypeError(f"{why}: (a word vector, a word index, the output (outside) vectors, dataset)") from None
        if hashlib.sha256(w.tobytes()).hexdigest() != self.outputs:
            raise ValueError(f"{why}: the output (outside) vectors passed to it are not the ones your function was "
                             "given")
        for e_pred, e_target, cost, grad_pred, grad in self.entries:
            if t == int(e_target) and r.shape == e_pred.shape and np.allclose(r, e_pred, rtol=1e-6, atol=1e-9):
                return float(cost), np.array(grad_pred, dtype=np.float64), np.array(grad, dtype=np.float64)
        raise ValueError(f"{why}: no call with this vector and word index {t!r} is expected (skip-gram passes the "
                         "center word's vector with each outside (context) word's index in turn; CBOW the sum of the "
                         "context words' vectors with the center word's index)")


def _raiser(error: BaseException):
    """Return a function that raises ``error`` when called (a function the grader could not pass)."""

    def missing(*args, **kwargs):
        raise error

    return missing


class _OwnCost:
    """Stands for the student's own function of a role, passed to skip-gram/CBOW: found when first called."""

    def __init__(self, harness, role: str) -> None:
        self.harness, self.role, self.fn = harness, role, None

    def resolve(self):
        if self.fn is None and self.harness is not None:
            fn, _, info = self.harness.find(self.role, self.harness.functions.get(self.role, {}))
            if fn is None:
                names = info.get("names") or [self.role]
                raise NameError(f"the grader found no {names[0]} of yours to pass to this function")
            self.fn = fn
        return self.fn


def _make_arg(a, copy: bool = True, harness=None):
    import numpy as np

    if isinstance(a, dict) and a.get("$dataset"):
        return _Dataset(int(a.get("vocab", 10)), int(a.get("seed", 0)), a.get("script") or ())
    if isinstance(a, dict) and "$built" in a:
        return _build(a)
    if isinstance(a, dict) and a.get("$costfn"):
        if a.get("table") is not None:
            return _TableCost([(np.asarray(e[0], dtype=np.float64), e[1], e[2], e[3], e[4]) for e in a["table"]],
                              str(a.get("outputs", "")))
        return _OwnCost(harness, str(a.get("role", "")))
    if isinstance(a, (list, dict)):  # words and token tables: the student's own copy
        import copy as _copy

        return _copy.deepcopy(a)
    if isinstance(a, np.ndarray):
        return np.array(a, copy=True) if copy or not a.flags.writeable else a  # writable, the student's own
    return a


# --------------------------------------------------------------------------- built arguments
#
# An argument the grader cannot send as an array -- a function, a dict of tokens, a list
# of words -- travels as plain data, {"$built": kind, "data": {...}}, and is built here, in
# the student's process, for one call.  What a built argument observes while the call runs
# (how often it was called, with how many different random states, which helpers were
# used) is recorded as plain numbers and sent back with the outcome under "probes"; the
# grader turns that into a verdict.  Nothing here knows an expected value.

#: Records of the arguments built for the current call (one dict each, plain data).
_PROBES: list = []
#: (name, function) pairs to install in the called function's module while the call runs.
_PATCHES: list = []
#: While a hidden call with built arguments runs: [list of the texts it printed] (see Harness.call).
_HEARD: list = []
#: Most calls whose random state a probe function remembers.
_MAX_STATES = 4096


def _build(a: dict):
    """Build the argument ``a`` describes (see the comment above)."""
    import numpy as np

    kind = a.get("$built")
    d = a.get("data") if isinstance(a.get("data"), dict) else {}
    if kind == "list":
        return np.asarray(d.get("values", [])).tolist()
    if kind == "tokens":
        return {"w%d" % i: i for i in range(int(d.get("vocab", 0)))}
    if kind == "words":
        return ["w%d" % int(i) for i in np.asarray(d.get("indices", [])).reshape(-1)]
    if kind == "function":
        return _probe_function(d)
    if kind == "postprocess":
        rec = {"kind": "postprocess", "calls": 0}
        _PROBES.append(rec)
        factor = float(d.get("factor", 1.0))

        def postprocessing(x):
            rec["calls"] += 1
            return x * factor

        return postprocessing
    if kind == "use-saved":
        return _use_saved(d)
    return None


def _probe_function(d: dict):
    """f(x) -> (cost, gradient) of a quadratic ``0.5 * sum(a * (x - c)**2)``, recording its calls.

    ``grad``: "right", "zeros" (a gradient of all zeros), or "wrong" (``perturb`` added to
    the flat element ``index``).  ``noise`` > 0 adds ``noise * random.random()`` to the
    cost: deterministic only when the caller restores Python's random state before each
    call; the record then counts the different states seen.
    """
    import random

    import numpy as np

    a = np.asarray(d.get("a", 1.0), dtype=np.float64)
    c = np.asarray(d.get("c", 0.0), dtype=np.float64)
    mode = d.get("grad", "right")
    noise = float(d.get("noise", 0.0))
    index = int(d.get("index", 0))
    perturb = float(d.get("perturb", 0.0))
    rec = {"kind": "function", "calls": 0, "must_call": bool(d.get("must_call", True))}
    if noise:
        rec["states"] = 0
    seen: set = set()
    _PROBES.append(rec)

    if a.ndim == 0 and c.ndim == 0 and mode == "right" and not noise:
        fa, fc = float(a), float(c)

        def f(x):  # a number: plain float arithmetic, 10 times cheaper than numpy's on 0-d arrays
            rec["calls"] += 1
            if type(x) is float:  # the starter's own checks start sgd from a Python float
                d = x - fc
                return 0.5 * fa * d * d, fa * d
            if getattr(x, "ndim", 1) == 0:  # a numpy scalar or 0-d array: numpy scalars back (indexable by ())
                d = float(x) - fc
                return np.float64(0.5 * fa * d * d), np.float64(fa * d)
            d = x - fc
            return 0.5 * fa * np.sum(d * d), fa * d

        return f

    def f(x):
        rec["calls"] += 1
        if noise and len(seen) < _MAX_STATES:
            seen.add(hash(random.getstate()))
            rec["states"] = len(seen)
        diff = x - c
        cost = 0.5 * np.sum(a * diff * diff)
        if noise:
            cost = cost + noise * random.random()
        if mode == "zeros":
            grad = np.zeros_like(a * diff)
        else:
            grad = a * diff
            if mode == "wrong":
                grad = np.array(grad, dtype=np.float64)
                grad.reshape(-1)[index % max(1, grad.size)] += perturb
        return cost, grad

    return f


def _use_saved(d: dict):
    """``useSaved=True`` for sgd, with the starter's helpers replaced for the call.

    ``load_saved_params()`` returns the iteration ``start`` and the point ``x`` given here
    (as the starter's would after a run saved at that iteration), and ``save_params(iter,
    x)`` records the iterations it is called at.  Both are the starter's given code, not
    the student's: replacing them tests the student's loop, not the file format of a year.
    """
    import numpy as np

    start = int(d.get("start", 0))
    x = np.asarray(d.get("x", 0.0), dtype=np.float64)
    rec = {"kind": "use-saved", "loads": 0, "saves": []}
    _PROBES.append(rec)

    def load_saved_params():
        rec["loads"] += 1
        # (start, x, random state), or (start, x) where the caller unpacks two (the first 2015 starter's)
        return (start, (x.copy() if x.ndim else float(x)), None)[: _unpacked_by_caller(3)]

    def save_params(iter, params):  # noqa: A002 - the starter's names
        if len(rec["saves"]) < 64:
            rec["saves"].append(int(iter))

    _PATCHES.append(("load_saved_params", load_saved_params))
    _PATCHES.append(("save_params", save_params))
    return True


def _unpacked_by_caller(default: int) -> int:
    """How many values the line that called the caller of this function unpacks from its result.

    The starters' ``load_saved_params()`` changed: the first 2015 notebook's returned
    ``(iteration, params)``, later ones ``(iteration, params, random state)``; a student's sgd
    unpacks the one its starter gave.  Read from the calling code's next instruction (an
    ``UNPACK_SEQUENCE`` of 2 or 3); ``default`` when it can't be told.
    """
    import dis

    try:
        frame = sys._getframe(2)
        for ins in dis.get_instructions(frame.f_code):
            if ins.offset > frame.f_lasti:
                if ins.opname == "UNPACK_SEQUENCE" and ins.argval in (2, 3):
                    return int(ins.argval)
                return default
    except Exception:  # noqa: BLE001 - no frame, or code dis can't read: the usual form
        pass
    return default


def _apply_patches(fn) -> list:
    """Install the helpers built arguments asked for in ``fn``'s module; return how to undo it."""
    undo: list = []
    patches, _PATCHES[:] = list(_PATCHES), []
    g = getattr(fn, "__globals__", None)
    if not isinstance(g, dict):
        return undo
    for name, value in patches:
        undo.append((g, name, name in g, g.get(name)))
        g[name] = value
    return undo


def _take_probes(undo: list, scratch: str, heard: bool = False, raised: BaseException | None = None) -> list:
    """Undo the patches; return (and forget) the records of this call's built arguments.

    With ``heard`` (a hidden call), a "said" record is added: whether a printed line said
    "passed" or "failed", and whether the call ended in an assert or another exception.
    """
    for g, name, had, old in reversed(undo):
        if had:
            g[name] = old
        else:
            g.pop(name, None)
    records, _PROBES[:] = list(_PROBES), []
    if heard:
        text = "".join(_HEARD[0]) if _HEARD else ""
        _HEARD[:] = []
        fail, passed = _SAID_FAIL, _SAID_PASS
        lines = text.splitlines()
        records.append({"kind": "said", "pass": any(passed.search(ln) and not fail.search(ln) for ln in lines),
                        "fail": any(fail.search(ln) for ln in lines),
                        "exception": "" if raised is None else
                        "assert" if isinstance(raised, AssertionError) else "raise"})
    for rec in records:
        if rec.get("kind") == "use-saved":
            try:
                rec["files"] = sorted(os.listdir(scratch))[:20]
                rec["cwd_is_scratch"] = os.path.realpath(os.getcwd()) == os.path.realpath(scratch)
            except OSError:
                rec["files"] = []
    return records


def _describe(x, max_elems: int) -> dict:
    """Describe a returned value as plain data: an array's raw bytes, or a repr."""
    import numpy as np

    tname = type(x).__name__[:80]
    if x is None:
        return {"type": "NoneType"}
    try:
        a = np.asarray(x)
        if type(a) is not np.ndarray:
            a = a.view(np.ndarray)
    except BaseException:  # noqa: BLE001 - a hostile __array__
        return {"type": tname, "repr": _safe_repr(x)}
    d = {"type": tname, "dtype": a.dtype.str, "shape": list(a.shape)}
    if a.dtype.kind not in "biuf":
        d["repr"] = _safe_repr(x)
        return d
    if a.size > max_elems:
        d["too_big"] = True
        return d
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
        d["dtype"] = a.dtype.str
    d["data"] = a
    return d


class _StudentFinder:
    """Meta path finder: student files load through _UnitLoader; stand-ins from memory."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness

    def find_spec(self, name, path=None, target=None):
        import importlib.util

        h = self.h
        entry = h.student.get(name)
        if entry is None and name in h.withheld:
            h.asked_withheld.add(name)
        if entry is not None:
            is_pkg = entry["path"].endswith("__init__.py")
            spec = importlib.util.spec_from_loader(name, _UnitLoader(h, name, entry), origin=entry["where"], is_package=is_pkg)
            if is_pkg:
                spec.submodule_search_locations = self._pkg_path(name)
            return spec
        if name in h.starter:
            st = h.starter[name]
            is_pkg = st["path"].endswith("__init__.py")
            spec = importlib.util.spec_from_loader(name, _StarterLoader(h, st), origin=st["path"], is_package=is_pkg)
            if is_pkg:
                spec.submodule_search_locations = self._pkg_path(name)
            return spec
        # A folder of the student's (utils/ without __init__.py) or of the stand-ins: a package.
        prefix = name + "."
        if any(m.startswith(prefix) for m in list(h.student) + list(h.starter)):
            spec = importlib.util.spec_from_loader(name, _EmptyLoader(), is_package=True)
            spec.submodule_search_locations = self._pkg_path(name)
            return spec
        return None

    def _pkg_path(self, name):
        return [os.path.join(self.h.scratch, *name.split("."))]


class _UnitLoader:
    """Execute a student file unit by unit (statements, or notebook cells)."""

    def __init__(self, h: Harness, name: str, entry: dict) -> None:
        self.h, self.name, self.entry = h, name, entry

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        h, entry = self.h, self.entry
        module.__file__ = os.path.join(h.scratch, entry["path"])
        source = entry["data"].decode("utf-8", "replace") if isinstance(entry["data"], bytes) else entry["data"]
        if not entry.get("cells"):
            import ast

            try:
                h.parsed[self.name] = ast.parse(source, entry["where"])  # units() uses it
            except SyntaxError as e:
                st = h.starter.get(self.name)
                if self.name in h.withheld:
                    h.asked_withheld.add(self.name)  # its stand-in would have been used
                if st is not None:
                    h.notes.append(
                        f"{entry['where']} does not parse (line {e.lineno}: {e.msg}); "
                        f"the supplied stand-in for {self.name!r} was used instead")
                    _StarterLoader(h, st).exec_module(module)
                    return
        h.exec_units(self.name, module, entry, source)


class _StarterLoader:
    """Execute a supplied stand-in for a starter helper module."""

    def __init__(self, h: Harness, st: dict) -> None:
        self.h, self.st = h, st

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        text = self.st["data"].decode() if isinstance(self.st["data"], bytes) else self.st["data"]
        filename = f"(supplied) {self.st['path']}"
        module.__file__ = filename
        # A package's __init__ stand-in beside the student's own modules of that package (utils/ handed
        # in without utils/__init__.py, which Python 3 needs not) stands in for nothing they wrote.
        package = self.st["path"].endswith("__init__.py") and any(
            name.startswith(self.st["module"] + ".") for name in self.h.student)
        if not package and self.st["module"] not in self.h.notes_starter_said():
            self.h.notes.append(f"{self.st['module']!r} was not in the submission; the supplied stand-in was used")
        exec(compile(text, filename, "exec", dont_inherit=True), module.__dict__)




class _EmptyLoader:
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        pass


class _StubFinder:
    """Last resort for modules the rubric allows to stub (sklearn, torch...): an empty stand-in."""

    def __init__(self, h: Harness) -> None:
        self.h = h

    def find_spec(self, name, path=None, target=None):
        import importlib.util

        if name.split(".")[0] not in self.h.stubs:
            return None
        if name.split(".")[0] == "google" and name != "google" and not (name + ".").startswith("google.colab."):
            return None  # only Colab's module is the notebook's environment: google.protobuf is not there
        return importlib.util.spec_from_loader(name, _StubLoader(self.h, name), is_package=True)


class _StubLoader:
    def __init__(self, h: Harness, name: str) -> None:
        self.h, self.name = h, name

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = self.name
        quiet = name.split(".")[0] in _QUIET_STUBS
        if name.split(".")[0] in ("grader", "google"):
            pass  # its self-check's stand-in, Colab's: nothing to tell (see Harness.stubs)
        elif "." not in name:
            if quiet:
                self.h.notes.append(f"module {name!r} is not available here; a stand-in that accepts every call "
                                    "and draws or shows nothing was used (allowed by the rubric)")
            else:
                self.h.notes.append(f"module {name!r} is not available here; an empty stand-in was used "
                                    "(allowed by the rubric)")
        kind = _Checked if name.split(".")[0] == "grader" else _Quiet if quiet else _Stub

        def __getattr__(attr):  # noqa: N807
            if attr.startswith("__"):
                raise AttributeError(attr)
            return kind(f"{name}.{attr}")

        module.__getattr__ = __getattr__
        module.__path__ = []


#: Stubbed modules that only draw, display or show progress: their stand-in accepts every use
#: quietly (a starter's setup code -- plt.rcParams[...] = ..., matplotlib.use("agg"),
#: plt.subplots(), plt.savefig(...) -- runs without error and without output).
_QUIET_STUBS = frozenset({"matplotlib", "pylab", "seaborn", "mpl_toolkits", "IPython", "tqdm", "grader", "google"})


class _Quiet:
    """Stands for anything from a plotting or display module: every use is accepted and does nothing.

    Calls return another such object (``plt.figure().add_subplot(111).plot(...)``), items
    and attributes can be set and read, iteration is empty, ``with`` works;
    ``subplots`` returns a figure and axes shaped as matplotlib's (an object array of
    axes for a grid); ``tqdm(iterable)`` and ``trange(n)`` return what they wrap.
    """

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name[:200])

    def __call__(self, *a, **k):
        leaf = self._name.rsplit(".", 1)[-1]
        if leaf == "subplots":
            return _subplots(self._name, *a, **k)
        if self._name.startswith("tqdm") and leaf in ("tqdm", "tqdm_notebook"):
            return a[0] if a else k.get("iterable", ())
        if self._name.startswith("tqdm") and leaf == "trange":
            return range(*a)
        return type(self)(f"{self._name}()")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return type(self)(f"{self._name}.{attr}")

    def __setattr__(self, attr, value) -> None:
        pass

    def __getitem__(self, key):
        return type(self)(f"{self._name}[]")

    def __setitem__(self, key, value) -> None:
        pass

    def __delitem__(self, key) -> None:
        pass

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, item) -> bool:
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<{self._name}: not drawn while grading>"


class _Checked(_Quiet):
    """Stands for the grader's own self-check in a graded notebook: as quiet, and true.

    ``assert grader.check().passed`` or ``if not r.passed: raise ...`` in a cell passed in
    the student's kernel; while grading, the check is not run, and the cell is no error.
    """

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{self._name}: not run while grading>"

    def __format__(self, spec: str) -> str:  # print(f"{r.result.score:.1f}"): shown as what it is
        return repr(self)

    # ``assert r.result.score == r.result.max_score``, ``score >= 20``, ``score / max_score``: as true, and
    # as quiet, as the rest (the check passed in the kernel; its numbers are not known here)
    def _true(self, other) -> bool:
        return True

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _true
    __hash__ = object.__hash__

    def _same(self, *other):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __neg__ = __abs__ = __round__ = _same


def _subplots(name: str, nrows=1, ncols=1, *a, squeeze=True, **k):
    """matplotlib's ``subplots``: (figure, axes), the axes one object or an object array as matplotlib makes it."""
    import numpy as np

    try:
        nrows, ncols = max(1, min(int(nrows), 64)), max(1, min(int(ncols), 64))
    except (TypeError, ValueError):
        nrows = ncols = 1
    axes = np.empty((nrows, ncols), dtype=object)
    for ix in np.ndindex(axes.shape):
        axes[ix] = _Quiet(f"{name}().axes")
    if squeeze:
        axes = axes.squeeze()
        if axes.shape == ():
            axes = axes.item()
    return _Quiet(f"{name}().figure"), axes


class _Stub:
    """Stands for anything from a stubbed module; using it raises a clear error."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *a, **k):
        raise RuntimeError(f"{self._name} is from a module that is not available while grading")

    def __getattr__(self, attr):
        return _Stub(f"{self._name}.{attr}")


_MAGIC_CALLS = {"run_line_magic": "%", "run_cell_magic": "%%", "system": "!", "getoutput": "!"}


def _as_written(code: str) -> str:
    """A line of a notebook's cell as the student wrote it: its IPython syntax, translated to
    ``get_ipython()`` calls to run (grader.notebook), shown as it was (``%time y = f(x)``, ``!ls``).

    >>> _as_written("y = get_ipython().run_line_magic('time', 'f(x)')")
    'y = %time f(x)'
    >>> _as_written("files = get_ipython().getoutput('ls')")
    'files = !ls'
    """
    if "get_ipython()" not in code:
        return code
    import ast

    try:
        tree = ast.parse(code.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    text = code.strip()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MAGIC_CALLS \
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) \
                and node.func.value.func.id == "get_ipython" \
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2]) and node.args:
            words = [a.value for a in node.args[:1 if node.func.attr in ("system", "getoutput") else 2]]
            segment = ast.get_source_segment(text, node)
            if segment:
                return text.replace(segment, _MAGIC_CALLS[node.func.attr] + " ".join(w for w in words if w), 1)
    return code


def _tb_frames(tb, limit: int | None = None) -> list:
    """The last ``limit`` entries of traceback ``tb`` as ``traceback.extract_tb`` gives them, without their columns.

    ``extract_tb`` (Python 3.11+) finds each frame's column positions too, by walking its
    code's position table up to the instruction: for a large function that is most of what
    describing an exception costs (a problem set left as the starter's stubs spent a third of
    its process's CPU there).  The file, line, function name and source line are the same.
    """
    import linecache
    import traceback

    entries = []
    while tb is not None:
        entries.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    if limit is not None:
        entries = entries[-limit:] if limit > 0 else []
    frames, files = [], set()
    for frame, lineno in entries:
        code = frame.f_code
        files.add(code.co_filename)
        linecache.lazycache(code.co_filename, frame.f_globals)
        frames.append(traceback.FrameSummary(code.co_filename, lineno, code.co_name, lookup_line=False))
    for filename in files:
        linecache.checkcache(filename)
    return frames


def _timed_again(frames, i: int) -> bool:
    """Whether ``frames[i]`` (:func:`_tb_frames`') is the statement of a ``%time`` line that
    :meth:`_Shell.run_line_magic` ran on the line of the cell that called it: the frame before
    the magic's own, in the same file and on the same line, already shows it."""
    if i < 2:
        return False
    magic, caller, fs = frames[i - 1], frames[i - 2], frames[i]
    return (magic.name == "run_line_magic" and magic.filename == _Shell.run_line_magic.__code__.co_filename
            and (caller.filename, caller.lineno) == (fs.filename, fs.lineno))


class _Shell:
    """The `get_ipython()` a notebook's translated magics call: magics do nothing."""

    def run_line_magic(self, name, line, *a, **k):
        if name == "run":
            self._run(str(line))
        elif name == "time" and str(line).strip():
            # ``%time probs = softmax(x)`` runs its statement in the cell's namespace, once, as IPython does
            # (``%timeit``'s statement runs apart, its names lost: nothing to do here)
            frame = sys._getframe(1)
            text = "\n" * max(frame.f_lineno - 1, 0) + str(line)  # its errors on the cell's own line
            return eval(compile(text, frame.f_code.co_filename, "exec", dont_inherit=True), frame.f_globals)
        return None

    @staticmethod
    def _run(line: str) -> None:
        """``%run q2_sigmoid.py``: the student's module's names, in the cell's namespace, as IPython leaves them.

        Imported (its ``if __name__ == "__main__":`` tests are not run); a file that is not
        one of the submission's modules does nothing, as IPython only prints an error for it.
        """
        import importlib

        words = [w for w in line.split() if not w.startswith("-")]
        m = re.fullmatch(r"(?:\./)?([A-Za-z_]\w*)(?:\.py)?", words[0]) if words else None
        if m is None:
            return
        try:
            module = importlib.import_module(m.group(1))
        except ImportError:
            return
        frame = sys._getframe(2)
        frame.f_globals.update({k: v for k, v in vars(module).items() if not k.startswith("__")})

    def run_cell_magic(self, name, line, body, *a, **k):
        if name in ("time", "timeit", "capture", "prun") and body:
            # (grader.notebook leaves these bodies in the cell: a body here is a student's own call)
            frame = sys._getframe(1)
            exec(compile(body, frame.f_code.co_filename, "exec", dont_inherit=True), frame.f_globals)
        return None

    def system(self, cmd, *a, **k):
        return None

    def getoutput(self, cmd, *a, **k):
        return []

    def magic(self, line, *a, **k):
        return None

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return lambda *a, **k: None


_SHELL = _Shell()


def _get_ipython():
    return _SHELL


def _display(*objs, **kwargs):
    """IPython's ``display``: shows nothing here (as the display modules' stand-ins), returns None."""
    return None


if __name__ == "__main__":
    main()
