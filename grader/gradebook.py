"""The gradebook: an SQLite record of every graded submission and check, for resuming and for queries.

``RESULTS/gradebook.sqlite`` holds one row per submission and one row per check.  A
row is committed as soon as its submission's files are written, so that a batch
interrupted by a crash, ``kill -9`` or Ctrl-C can be resumed: rerunning the same
command grades only the submissions that are missing or changed.  A submission is
*current* (skipped on a rerun) when its stored row has the same content digest, rubric
digest, grader version and lateness, and its ``<id>/result.json`` exists.

The files, not the database, are the results: ``result.json`` is written first and the
row committed after, so a row never vouches for a file that is not there.

Tables (schema version 1)::

    submissions(id PRIMARY KEY, digest, rubric_digest, grader_version, status,
                score, max_score, late, seconds, graded_at)
    checks(submission, check_id, status, score, max_score, mistake,
           PRIMARY KEY (submission, check_id))
    overrides(submission, question, score, auto_score, note, by, at,
              PRIMARY KEY (submission, question))   -- question "" is the total; kept when
                                                      the other tables are rebuilt
    rubric_questions(rubric_digest, question, digest,
                     PRIMARY KEY (rubric_digest, question))  -- per rubric graded with: what each
                                                      question's verdict depends on (grader.regrade;
                                                      question "" is what they all share)
    ids(name PRIMARY KEY, id UNIQUE)               -- the id each entry name (UTF-8 bytes, lone
                                                      surrogates kept) was given (grader.ids):
                                                      it keeps it in every later run; kept when the
                                                      other tables are rebuilt

A submission whose files are unchanged but whose rubric changed is *regradable*: the
rubric it was graded with has its digests here, so ``grader grade`` grades again only
the questions whose digest changed (:meth:`Gradebook.regradable`, ``grader.regrade.plan``).

A TA can query it directly, e.g.
``sqlite3 RESULTS/gradebook.sqlite "select check_id, count(*) from checks where status != 'pass' group by 1"``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping

from .model import Override, Submission, SubmissionResult
from .errors import UsageError, cut

#: File name of the gradebook inside the results folder.
FILENAME = "gradebook.sqlite"
#: The file a command writing a results folder holds locked (``flock``) while it writes.
LOCK_FILENAME = ".grader.lock"
#: Version of the tables' layout; a gradebook of another version is rebuilt (results are re-graded).
SCHEMA_VERSION = 1
#: SQLite's page cache of the connection, in KiB.  SQLite's default (2 MiB) fills as the
#: database grows (a few KiB per submission), so the grader's memory would grow with the
#: batch; writing one row walks a few pages of each B-tree, which this holds many times over.
CACHE_KIB = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    rubric_digest TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    late INTEGER NOT NULL,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS overrides (
    submission TEXT NOT NULL,
    question TEXT NOT NULL,
    score REAL NOT NULL,
    auto_score REAL NOT NULL,
    note TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (submission, question)
);
CREATE TABLE IF NOT EXISTS ids (
    name BLOB PRIMARY KEY,
    id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS rubric_questions (
    rubric_digest TEXT NOT NULL,
    question TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (rubric_digest, question)
);
CREATE TABLE IF NOT EXISTS checks (
    submission TEXT NOT NULL,
    check_id TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    mistake TEXT,
    PRIMARY KEY (submission, check_id)
);
"""


@dataclass(frozen=True)
class Row:
    """One stored submission row."""

    id: str
    digest: str
    rubric_digest: str
    grader_version: str
    status: str
    score: float
    max_score: float
    late: bool
    seconds: float
    graded_at: str  #: ISO 8601, UTC, to the second: "2024-05-01T12:00:00+00:00"


@dataclass(frozen=True)
class CheckRow:
    """One stored check row."""

    submission: str
    check_id: str
    status: str
    score: float
    max_score: float
    mistake: str | None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Gradebook:
    """The SQLite gradebook of one results folder, safe to use from several threads.

    One connection, guarded by a lock; WAL journal, each submission committed in its
    own transaction as it finishes.

    Parameters
    ----------
    path : path-like
        The database file (``RESULTS/gradebook.sqlite``); created when missing.
    rubric_digest : str
        ``Rubric.digest`` of the rubric this run grades with.
    grader_version : str
        The grader's version of this run.
    now : callable, optional
        Returns the current time as an aware datetime (tests inject a fixed clock).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with Gradebook(pathlib.Path(tempfile.mkdtemp()) / FILENAME, "r1", "0.1.0") as gb:
    ...     gb.count()
    0
    """

    def __init__(self, path: str | Path, rubric_digest: str, grader_version: str, *,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.path = Path(path)
        self.rubric_digest = rubric_digest
        self.grader_version = grader_version
        self._now = now
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            raise _unusable(self.path, e) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a committed row survives the grader being killed (not a power cut,
            # which costs at most a re-grade: result.json is checked as well).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._setup()
        except sqlite3.DatabaseError as e:  # not a database, or a damaged one: said, never replaced
            self._db.close()
            raise _unusable(self.path, e) from None
        except BaseException:
            self._db.close()
            raise

    def _setup(self) -> None:
        with self._lock:
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is not None and row[0] != str(SCHEMA_VERSION):
                # Another layout: forget it; the submissions are graded again.
                self._db.executescript("DROP TABLE submissions; DROP TABLE checks; DELETE FROM meta;")
                self._db.executescript(_SCHEMA)
                row = None
            if row is None:
                self._db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (every row is already committed)."""
        with self._lock:
            self._db.close()

    # ---------------------------------------------------------------- people's overrides

    def set_override(self, submission: str, question: str, score: float, auto_score: float, *, note: str = "",
                     by: str = "") -> Override:
        """Record (or replace) a person's score for a question ("" for the total) of a submission; commit."""
        at = self._now().astimezone(timezone.utc).replace(microsecond=0).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO overrides (submission, question, score, auto_score, note, by, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (submission, question, float(score), float(auto_score), note, by, at))
        return Override(question, float(score), float(auto_score), note, by, at)

    def rebase_override(self, submission: str, question: str, auto_score: float) -> None:
        """Record the automatic score an override now replaces (its score, note, author and time stay); commit.

        For the total's override when a person changes a question's: the total it replaces
        changed by their own hand, not by a regrade, so it is not one to look at again.
        """
        with self._lock:
            self._db.execute("UPDATE overrides SET auto_score = ? WHERE submission = ? AND question = ?",
                             (float(auto_score), submission, question))

    def remove_override(self, submission: str, question: str) -> bool:
        """Remove a recorded override; return whether there was one."""
        with self._lock:
            cur = self._db.execute("DELETE FROM overrides WHERE submission = ? AND question = ?",
                                   (submission, question))
        return cur.rowcount > 0

    def overrides(self, submission: str) -> tuple[Override, ...]:
        """Return the overrides recorded for a submission (question order: the total last)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT question, score, auto_score, note, by, at FROM overrides WHERE submission = ? "
                "ORDER BY question = '', question", (submission,)).fetchall()
        return tuple(Override(q, float(sc), float(auto), note, by, at) for q, sc, auto, note, by, at in rows)

    # ---------------------------------------------------------------- submission ids

    def remember_ids(self, given: Mapping[str, str]) -> None:
        """Record the id given to each entry name (names already known keep their first id); commit."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR IGNORE INTO ids (name, id) VALUES (?, ?)",
                                     ((_name_bytes(n), i) for n, i in given.items()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def set_meta(self, key: str, value: str) -> None:
        """Remember a value of the results folder (the rubric's title, for the reports of ``grader override``)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"x-{key}", value))

    def meta(self, key: str, default: str = "") -> str:
        """Return a value set with :meth:`set_meta`."""
        with self._lock:
            return _meta_value(self._db, key) or default

    # ---------------------------------------------------------------- writing

    def record(self, submission: Submission, result: SubmissionResult) -> None:
        """Store ``result`` (and its checks) for ``submission``, replacing any earlier row; commit.

        Call it after the submission's ``result.json`` was written.

        Parameters
        ----------
        submission : Submission
            What was graded (its ``digest``).
        result : SubmissionResult
            The verdict.
        """
        graded_at = self._now().astimezone(timezone.utc).replace(microsecond=0).isoformat()
        checks = [(result.submission, c.id, c.status, float(c.score), float(c.max_score), c.mistake)
                  for c in result.checks()]
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM checks WHERE submission = ?", (result.submission,))
                db.execute(
                    "INSERT OR REPLACE INTO submissions (id, digest, rubric_digest, grader_version, status, "
                    "score, max_score, late, seconds, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (result.submission, submission.digest, self.rubric_digest, self.grader_version, result.status,
                     float(result.score), float(result.max_score), int(bool(result.late)),
                     round(float(result.seconds), 4), graded_at))
                db.executemany(
                    "INSERT OR REPLACE INTO checks (submission, check_id, status, score, max_score, mistake) "
                    "VALUES (?, ?, ?, ?, ?, ?)", checks)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # ---------------------------------------------------------------- reading

    def is_current(self, submission: Submission, results: str | Path) -> bool:
        """Return whether ``submission`` is already graded, unchanged, with its result on disk.

        True when the stored row has the submission's content digest, this run's rubric
        digest and grader version, the same lateness, and ``results/<id>/result.json``
        exists.  A submission without a digest (nothing could be read) is never current.

        Parameters
        ----------
        submission : Submission
            The loaded submission.
        results : path-like
            The results folder.
        """
        if not submission.digest:
            return False
        with self._lock:
            row = self._db.execute(
                "SELECT digest, rubric_digest, grader_version, late FROM submissions WHERE id = ?",
                (submission.id,)).fetchone()
        if row is None or tuple(row) != (submission.digest, self.rubric_digest, self.grader_version,
                                         int(bool(submission.late))):
            return False
        return (Path(results) / submission.id / "result.json").is_file()

    def set_rubric_questions(self, digests: Mapping[str, str]) -> None:
        """Record this run's rubric's digests (``grader.regrade.Digests.rows``), under its rubric digest; commit."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM rubric_questions WHERE rubric_digest = ?", (self.rubric_digest,))
                db.executemany("INSERT INTO rubric_questions (rubric_digest, question, digest) VALUES (?, ?, ?)",
                               [(self.rubric_digest, q, d) for q, d in digests.items()])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def rubric_questions(self, rubric_digest: str) -> dict[str, str]:
        """Return the digests recorded for a rubric digest (question -> digest; "" the shared one); {} when none."""
        with self._lock:
            rows = self._db.execute("SELECT question, digest FROM rubric_questions WHERE rubric_digest = ?",
                                    (rubric_digest,)).fetchall()
        return dict(rows)

    def regradable(self, submission: Submission, results: str | Path) -> Row | None:
        """Return the stored row of a submission graded unchanged under another rubric, or None.

        The row must have the submission's content digest, this run's grader version and the
        same lateness, another rubric digest, and ``results/<id>/result.json`` must exist:
        then the earlier result can be the start of a regrade (``grader.regrade``).
        """
        if not submission.digest:
            return None
        row = self.get(submission.id)
        if (row is None or row.digest != submission.digest or row.grader_version != self.grader_version
                or row.late != bool(submission.late) or row.rubric_digest == self.rubric_digest):
            return None
        return row if (Path(results) / submission.id / "result.json").is_file() else None

    def get(self, submission_id: str) -> Row | None:
        """Return the stored row of one submission, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, digest, rubric_digest, grader_version, status, score, max_score, late, seconds, "
                "graded_at FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return None if row is None else _row(row)

    def rows(self) -> Iterator[Row]:
        """Yield every stored submission row, sorted by id (fetched in pages, not all at once)."""
        last = ""
        while True:
            with self._lock:
                page = self._db.execute(
                    "SELECT id, digest, rubric_digest, grader_version, status, score, max_score, late, seconds, "
                    "graded_at FROM submissions WHERE id > ? ORDER BY id LIMIT 500", (last,)).fetchall()
            if not page:
                return
            for row in page:
                yield _row(row)
            last = page[-1][0]

    def checks(self, submission_id: str) -> list[CheckRow]:
        """Return the stored check rows of one submission, sorted by check id."""
        with self._lock:
            rows = self._db.execute(
                "SELECT submission, check_id, status, score, max_score, mistake FROM checks "
                "WHERE submission = ? ORDER BY check_id", (submission_id,)).fetchall()
        return [CheckRow(r[0], r[1], r[2], float(r[3]), float(r[4]), r[5]) for r in rows]

    def count(self) -> int:
        """Return the number of stored submissions."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM submissions").fetchone()[0])


def _row(r: tuple) -> Row:
    return Row(id=r[0], digest=r[1], rubric_digest=r[2], grader_version=r[3], status=r[4], score=float(r[5]),
               max_score=float(r[6]), late=bool(r[7]), seconds=float(r[8]), graded_at=r[9])


def known_ids(results: str | Path) -> dict[str, str]:
    """Return the ids given in earlier runs into ``results`` (entry name -> id); none when it has no gradebook.

    Nothing is recorded (the similarity check and the rubric's choice read them before a
    gradebook is opened); see :func:`_reading`.
    """
    with _reading(results) as db:
        if db is None or db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ids'").fetchone() \
                is None:
            return {}  # no gradebook, or one of an earlier grader: no ids recorded yet
        return _names(db.execute("SELECT name, id FROM ids").fetchall())


def recorded_meta(results: str | Path, key: str) -> str:
    """Return a value an earlier run recorded with :meth:`Gradebook.set_meta` ("" when none); nothing is recorded."""
    with _reading(results) as db:
        if db is None or db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() \
                is None:
            return ""
        return _meta_value(db, key)


def _meta_value(db: sqlite3.Connection, key: str) -> str:
    """A value of the meta table set with :meth:`Gradebook.set_meta` ("" when none)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (f"x-{key}",)).fetchone()
    return row[0] if row and isinstance(row[0], str) else ""


def _unusable(path: Path, e: Exception) -> UsageError:
    """The error of a gradebook file SQLite cannot read (never replaced: it holds people's overrides)."""
    return UsageError(
        f"{str(path)!r} cannot be used as the gradebook ({cut(str(e))}); it holds people's overrides and what was "
        f"graded, so it is left as it is: restore it from a copy, or move it away to grade every submission "
        f"again without the overrides it held")


@contextlib.contextmanager
def _reading(results: str | Path) -> Iterator[sqlite3.Connection | None]:
    """A connection to read ``results``' gradebook before it is opened (None when there is none).

    The connection may write: a read-only one leaves the WAL journal's side files behind when it
    closes (``gradebook.sqlite-wal``, ``-shm``); a writable one, the last to close, removes
    them.  Read-only only where the folder cannot be written.
    """
    path = Path(results) / FILENAME
    if not path.is_file():
        yield None
        return
    db = None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30.0)
        db.execute("SELECT 1 FROM sqlite_master").fetchone()  # (opening is lazy: fail here, not below)
    except sqlite3.OperationalError:
        if db is not None:
            db.close()
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
    except sqlite3.DatabaseError as e:  # not a database at all
        if db is not None:
            db.close()
        raise _unusable(path, e) from None
    try:
        db.execute("SELECT 1 FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as e:
        db.close()
        raise _unusable(path, e) from None
    try:
        yield db
    finally:
        db.close()


def _name_bytes(name: str) -> bytes:
    """An entry name as stored: any str, a file name's undecodable bytes (lone surrogates) included."""
    return name.encode("utf-8", "surrogatepass")


def _names(rows) -> dict[str, str]:
    return {bytes(n).decode("utf-8", "surrogatepass"): i for n, i in rows}


def open_gradebook(results: str | Path, rubric_digest: str, grader_version: str, **kwargs) -> Gradebook:
    """Open (or create) ``results/gradebook.sqlite``.

    Parameters
    ----------
    results : path-like
        The results folder.
    rubric_digest, grader_version : str
        Of this run; see :class:`Gradebook`.
    **kwargs
        Passed to :class:`Gradebook`.
    """
    return Gradebook(Path(results) / FILENAME, rubric_digest, grader_version, **kwargs)


@contextlib.contextmanager
def results_lock(results: str | Path, command: str) -> Iterator[None]:
    """Hold the results folder for one writer: refuse (UsageError, exit 2) while another process writes it.

    Two runs of ``grader grade`` into one RESULTS (two TAs, a cron job that overlaps the
    last one) would grade every submission twice and replace each other's files while they
    are being written (a result turned into an error).  The lock is ``flock`` on
    ``RESULTS/.grader.lock``: the system lets it go when its process ends, however it ends,
    so a stopped or killed run never leaves it held (a killed run leaves the file, naming it,
    which the next writer takes; a run that ends removes it).  A writer that locked a file its
    last holder removed in the meantime locks the file there now instead.  Where ``flock`` is
    missing, nothing is locked.

    Parameters
    ----------
    results : path-like
        The results folder (it must exist).
    command : str
        What holds it, as another process's refusal names it ("grader grade").
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        yield
        return
    path = Path(results) / LOCK_FILENAME
    for _ in range(20):  # each turn: the holder removed the file between our open and our lock
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError:
            if os.path.islink(path):  # never truncate the file a link there points to
                raise UsageError(f"{str(path)!r} is a link; remove it, then run this again") from None
            yield  # a read-only folder: its writers fail with their own message
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise UsageError(
                f"RESULTS {str(results)!r} is being written by {holder}; let it finish (or stop it), "
                "then run this again") from None
        except OSError:  # a file system without locks (some network mounts): as before, unlocked
            os.close(fd)
            yield
            return
        if _same_file(fd, path):
            break
        os.close(fd)  # locked a file its last holder had removed: lock the one there now
    else:  # pragma: no cover - a folder whose lock file is removed again and again
        yield
        return
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{command} (process {os.getpid()})".encode(), 0)
        yield
    finally:
        try:
            os.unlink(path)  # while it is still held: the folder is left as it was found
        except OSError:
            pass
        os.close(fd)  # the lock goes with the last descriptor


def writer_of(results: str | Path) -> str | None:
    """What is writing ``results`` now (its lock's holder: "grader grade (process 123)"), or None.

    For the commands that only read a batch (the exports): they read what is written so far,
    and say so.  A shared lock is tried and let go at once, never held; nothing is created.
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        return None
    path = Path(results) / LOCK_FILENAME
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:  # no lock file: nobody writes it (a run that ends removes it)
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    """Return whether the open file `fd` is the file at `path` now (not one removed since it was opened)."""
    try:
        here = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)
