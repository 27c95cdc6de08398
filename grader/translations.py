"""Remember Python 2 translations (and notebook cells' IPython rewriting) by the digest of the text.

Translating a Python 2 file with fissix costs tens of milliseconds of CPU, and a class hands
in the same starter files (and, on a regrade, the same submissions) again and again.  A
translation is a pure function of the text, the file's name (it appears in the diff) and the
translator's version, so its result is kept under the digest of all three: in memory for
the process, and on disk for the next run.

Where: ``$GRADER_TRANSLATION_CACHE`` when set (a folder, or ``off`` for no cache at all),
else ``$XDG_CACHE_HOME/grader/translations`` (``~/.cache/grader/translations``).  The folder
is the user's own (made 0700; a folder another user could write to is not used).  Entries
are JSON, written atomically (a temporary file renamed); one that cannot be read or does not
have the expected form is a miss and is removed.  Both levels are bounded (``MAX_ENTRIES``,
``MAX_BYTES``): the oldest entries go first.

Only successful results are kept: a timeout or a failure of the helper is tried again.
Nothing here runs student code: entries hold text derived from the student's text.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

#: Entries kept, in memory and on disk (the oldest go first).
MAX_ENTRIES = 4000
#: Bytes kept, in memory and on disk (the oldest go first).
MAX_BYTES = 64 << 20
#: Environment variable: a folder for the cache, or "off".
ENV = "GRADER_TRANSLATION_CACHE"
#: The disk cache is trimmed after this many writes by one process (and on its first write).
_TRIM_EVERY = 256

_lock = threading.Lock()
_memory: "OrderedDict[str, tuple[Any, int]]" = OrderedDict()
_memory_bytes = 0
_writes = 0
_version: str | None = None
_folder_checked: dict[str, Path | None] = {}


def version() -> str:
    """Return the translator's version: what a cached result depends on besides the text.

    The sources of the modules that translate (``translate.py``, ``notebook.py``) and the
    versions of fissix and IPython: any change to them makes earlier entries unused.
    """
    global _version
    if _version is None:
        from importlib import metadata

        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for name in ("translate.py", "notebook.py", "transform.py"):
            try:
                h.update((here / name).read_bytes())
            except OSError:
                h.update(name.encode())
        for dist in ("fissix", "ipython"):
            try:
                h.update(f"{dist}={metadata.version(dist)}".encode())
            except metadata.PackageNotFoundError:
                h.update(f"{dist}=none".encode())
        _version = h.hexdigest()[:16]
    return _version


def key(request: dict[str, Any]) -> str:
    """Return the cache key of a helper request (its op, text, name and flags, and :func:`version`)."""
    data = json.dumps(request, sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(version().encode() + b"\0" + data).hexdigest()


def folder() -> Path | None:
    """Return the disk cache's folder (made if needed), or None: off, not the user's own, or not writable."""
    setting = os.environ.get(ENV, "")
    if setting.lower() in ("off", "0", "none", "no"):
        return None
    if setting:
        path = Path(setting)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "grader" / "translations"
    cached = _folder_checked.get(str(path), False)
    if cached is not False:
        return cached
    result: Path | None = path
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            result = None  # someone else could write there: their entries would be our translations
    except OSError:
        result = None
    _folder_checked[str(path)] = result
    return result


def _entry_path(where: Path, k: str) -> Path:
    return where / f"{k}.json"


def get(k: str) -> tuple[Any] | None:
    """Return ``(result,)`` cached under ``k``, or None (a miss; a damaged entry on disk is removed)."""
    with _lock:
        hit = _memory.get(k)
        if hit is not None:
            _memory.move_to_end(k)
            return (hit[0],)
    where = folder()
    if where is None:
        return None
    path = _entry_path(where, k)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        entry = json.loads(data)
        if not isinstance(entry, dict) or entry.get("key") != k or "result" not in entry:
            raise ValueError("not an entry of this key")
    except ValueError:
        try:
            path.unlink()
        except OSError:
            pass
        return None
    try:
        os.utime(path)  # recently used: trimmed last
    except OSError:
        pass
    _remember(k, entry["result"], len(data))
    return (entry["result"],)


def put(k: str, result: Any) -> None:
    """Keep ``result`` (plain JSON data) under ``k``, in memory and on disk (atomically; errors ignored)."""
    global _writes
    data = json.dumps({"key": k, "result": result}, ensure_ascii=True).encode()
    if len(data) > MAX_BYTES // 16:
        return  # one entry never takes much of the cache
    _remember(k, result, len(data))
    where = folder()
    if where is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, _entry_path(where, k))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return
    with _lock:
        _writes += 1
        trim = _writes % _TRIM_EVERY == 1
    if trim:
        trim_disk(where)


def _remember(k: str, result: Any, size: int) -> None:
    global _memory_bytes
    with _lock:
        old = _memory.pop(k, None)
        if old is not None:
            _memory_bytes -= old[1]
        _memory[k] = (result, size)
        _memory_bytes += size
        while _memory and (len(_memory) > MAX_ENTRIES or _memory_bytes > MAX_BYTES):
            _, (_, n) = _memory.popitem(last=False)
            _memory_bytes -= n


def trim_disk(where: Path, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
    """Remove the oldest entries of ``where`` (by modification time) beyond the bounds, and stale temporary files."""
    entries = []
    try:
        with os.scandir(where) as it:
            for e in it:
                if not e.name.endswith(".json"):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                entries.append((st.st_mtime, st.st_size, e.path, e.name.startswith(".tmp-")))
    except OSError:
        return
    import time

    now = time.time()
    kept = []
    for mtime, size, path, tmp in entries:
        if tmp:
            if now - mtime > 3600:  # a writer that died between writing and renaming
                _unlink(path)
            continue
        kept.append((mtime, size, path))
    kept.sort(reverse=True)  # newest first
    total = 0
    for i, (_, size, path) in enumerate(kept):
        total += size
        if i >= max_entries or total > max_bytes:
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def clear_memory() -> None:
    """Forget what this process remembers (the disk cache is left as it is); for tests."""
    global _memory_bytes
    with _lock:
        _memory.clear()
        _memory_bytes = 0
        _folder_checked.clear()
