"""Grade many submissions: parallel slots, each result streamed to disk as it finishes."""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import os
import queue
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Callable, ContextManager, Iterable, Iterator, Sequence

from . import canvas, export, regrade, render, text, transform
from .errors import UsageError
from .gradebook import Gradebook
from .heap import steady_heap
from .load import Pending
from .model import Regrade, Submission, SubmissionResult
from .overrides import apply as apply_overrides
from .overrides import automatic
from .pipeline import Job, Partial, grade
from .sandbox import Sandbox
from .score import question_ids


@dataclass
class BatchStats:
    """Totals of one batch run (kept small: no per-submission state)."""

    graded: int = 0
    errors: int = 0
    skipped: int = 0  #: already graded and unchanged (resumed)
    regraded: int = 0  #: unchanged, graded again after a rubric change
    regraded_in_part: int = 0  #: of those, graded again on the questions the change affects only
    seconds: float = 0.0
    slowest: list[tuple[float, str]] = field(default_factory=list)  #: the 3 slowest (seconds, id)

    def add(self, result: SubmissionResult) -> None:
        """Count one finished submission."""
        if result.status == "graded":
            self.graded += 1
        else:
            self.errors += 1
        if result.regrade is not None:
            self.regraded += 1
            self.regraded_in_part += not result.regrade.full
        self.slowest.append((result.seconds, result.submission))
        self.slowest.sort(reverse=True)
        del self.slowest[3:]


def usable_cores(*, cgroup_root: Path = Path("/sys/fs/cgroup"), own_cgroup: Path = Path("/proc/self/cgroup")) -> int:
    """The cores this process may keep busy: the default number of slots (``grade``) and workers (``similarity``).

    Not the machine's count (``os.cpu_count``) but the cores the process may run on
    (its CPU affinity: a cluster's job, ``taskset``), bounded by the CPU quota of its
    control group (a container started with ``--cpus 2``, a job's cgroup), rounded up:
    a slot beyond those would only wait for a core.  At least 1.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_cpu_quota(cgroup_root, own_cgroup)
    if quota is not None:
        n = min(n, max(1, -int(-quota // 1)))
    return max(1, n)


def _cgroup_cpu_quota(root: Path, own: Path) -> float | None:
    """The tightest CPU quota (in cores) of this process's control group and its parents; None without one.

    ``own`` is ``/proc/self/cgroup``.  cgroup v2 (its "0::<path>" line): ``cpu.max``
    ("max 100000" or "<quota> <period>") in ``root/<path>`` and each parent up to ``root``;
    cgroup v1 (the line naming the ``cpu`` controller): ``cpu.cfs_quota_us`` (-1: none) over
    ``cpu.cfs_period_us`` in the same folders under the controller's mount.  Anything
    unreadable or malformed counts as no quota.
    """
    quotas: list[float] = []

    def each_level(base: Path, path: str) -> Iterator[Path]:
        folder = base / path.strip().lstrip("/")
        while True:
            yield folder
            if folder == base or base not in folder.parents:
                return
            folder = folder.parent

    def number(path: Path) -> float:
        return float(path.read_text(encoding="ascii").strip())

    try:
        lines = own.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            for folder in each_level(root, parts[2]):
                try:
                    fields = (folder / "cpu.max").read_text(encoding="ascii").split()
                    if len(fields) == 2 and fields[0] != "max":
                        quotas.append(float(fields[0]) / float(fields[1]))
                except (OSError, ValueError, ZeroDivisionError):
                    pass
        elif "cpu" in parts[1].split(","):
            for mount in (root / parts[1], root / "cpu"):
                for folder in each_level(mount, parts[2]):
                    try:
                        quotas.append(number(folder / "cpu.cfs_quota_us") / number(folder / "cpu.cfs_period_us"))
                    except (OSError, ValueError, ZeroDivisionError):
                        pass
    quotas = [q for q in quotas if 0 < q < float("inf")]
    return min(quotas) if quotas else None


def _file_mode() -> int:
    mask = os.umask(0o022)  # read once, at import (os.umask can only be read by setting it)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


@contextlib.contextmanager
def _atomic_file(path: Path) -> Iterator[tuple[int, str]]:
    """Yield an open descriptor and the name of a new file beside ``path``; on success it replaces ``path``.

    The caller closes the descriptor (before the block ends); on failure the file is removed.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError:  # the folder is made only when missing (a mkdir per file costs as much as a write)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600; results get the mode any new file gets
        yield fd, tmp
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    A reader (or a crash) never sees half a file; on failure the temporary file is removed.
    """
    with _atomic_file(path) as (fd, tmp):
        os.close(fd)
        yield Path(tmp)


#: Characters encoded and written at a time by :func:`write_atomic` (a large page is not
#: encoded into one second copy of itself).
WRITE_CHUNK = 1 << 18


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    # errors=: a net under grader.text.encodable (student text is made encodable where it
    # enters the grader): a string that still held a lone surrogate is written escaped.
    # The file is written through the descriptor that made it (not opened a second time by name).
    with _atomic_file(path) as (fd, _), open(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
        for i in range(0, len(text), WRITE_CHUNK):
            f.write(text[i:i + WRITE_CHUNK])


def result_json(doc: dict, *, ensure_ascii: bool = False) -> str:
    """Return the text of a result.json document: one line, compact, ending with a newline.

    Indentation is not part of the format (schema "grader.result/1"): without it ``json``
    encodes with its C encoder, where ``indent=2`` falls back to the pure-Python one,
    several times slower on a result (benchmarks/writers.py).
    """
    return json.dumps(doc, ensure_ascii=ensure_ascii, separators=(",", ":")) + "\n"


def write_result(out: Path, result: SubmissionResult, *, rubric_title: str = "") -> None:
    """Write ``<id>/result.json`` and ``<id>/report.html`` for one submission.

    Temporary files left in the folder by an earlier run that was killed are removed.
    """
    folder = out / result.submission
    if folder.is_dir():
        for stale in folder.glob(".*.tmp"):
            try:
                stale.unlink()
            except OSError:
                pass
    write_atomic(folder / "report.html", render.report(result, rubric_title=rubric_title))
    # result.json last: its presence means the submission is complete.
    write_atomic(folder / "result.json", result_json(result.to_dict()))


_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>{id}: could not be graded</title></head>
<body><h1>{id}: could not be graded</h1><ul>{errors}</ul></body></html>
"""


def write_error_result(out: Path, result: SubmissionResult, *, rubric_title: str = "") -> None:
    """Write an error result as :func:`write_result` does, or, when that fails, in the plainest way.

    The fallback writes ``result.json`` and a minimal ``report.html`` (no template) directly,
    so that a failure of the usual way (the template, the atomic write) still leaves the
    submission with a result on disk.
    """
    try:
        write_result(out, result, rubric_title=rubric_title)
        return
    except Exception:  # noqa: BLE001 - the plainest way below
        pass
    import html

    folder = out / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    page = _ERROR_PAGE.format(id=html.escape(text.line(result.submission)),
                              errors="".join(f"<li>{html.escape(text.line(e))}</li>" for e in result.errors))
    doc = result_json(result.to_dict(), ensure_ascii=True)
    for name, content in (("report.html", page), ("result.json", doc)):  # result.json last, as always
        with open(folder / name, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(content)


def read_result(path: Path) -> SubmissionResult | None:
    """Return the result of one result.json, or None when it cannot be read as one."""
    try:
        return SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _result_folders(out: Path) -> list[str]:
    """Return the names of the folders under ``out``, sorted (the submissions' ids)."""
    with os.scandir(out) as it:
        return sorted(e.name for e in it if e.is_dir())


def result_ids(out: Path) -> list[str]:
    """Return the ids of the submissions with a ``result.json`` under ``out``, sorted."""
    return [name for name in _result_folders(out) if (out / name / "result.json").is_file()]


def iter_results(out: Path, unreadable: list[str] | None = None) -> Iterator[SubmissionResult]:
    """Read back every ``<id>/result.json`` under ``out``, sorted by id (one at a time).

    Only the folders' names are listed up front (not a Path per submission).  The ids whose
    result.json can't be read as a result (emptied, damaged or edited since it was written)
    are appended to ``unreadable``, for the caller to say so.
    """
    for name in _result_folders(out):
        f = out / name / "result.json"
        if f.is_file():
            result = read_result(f)
            if result is not None:
                yield result
            elif unreadable is not None:
                unreadable.append(name)


def finish(out: Path, *, rubric_title: str = "", questions: Sequence[str] | None = None) -> None:
    """Write the batch-wide files from the per-submission results on disk.

    ``grades.csv`` and ``summary.html`` depend only on the ``result.json`` files (read one
    at a time, in id order), so a resumed batch ends with the same files as an
    uninterrupted one.  A batch itself writes the same files without reading back the
    results it wrote (:class:`BatchFiles`); this is for the commands that change results
    afterwards (``grader override``, the similarity check).  Both are replaced atomically.  ``questions`` (the rubric's) are
    grades.csv's question columns; without them the results are read once more to find them.
    """
    first_pass = render.summary_pass() if questions is not None else None

    def read_once() -> Iterator[SubmissionResult]:
        # grades.csv's rows and summary.html's totals from one reading of the results (each
        # result.json is parsed twice in all, not three times).
        for r in iter_results(out):
            if first_pass is not None:
                first_pass.add(r)
            yield r

    with atomic_path(out / "grades.csv") as tmp:
        export.write_grades_csv(read_once if questions is None else read_once(), tmp, questions=questions)
    with atomic_path(out / "summary.html") as tmp, open(tmp, "w", encoding="utf-8", errors="backslashreplace") as f:
        # Streamed: totals in a first pass over the results on disk, rows written as read in a second.
        render.write_summary(lambda: iter_results(out), f, rubric_title=rubric_title, first_pass=first_pass)


_FORGOTTEN = b"null\n"


class BatchFiles:
    """grades.csv and summary.html of a batch, from its results as they stream in.

    Each result written in this run is added (:meth:`add`) as it is written: its
    grades.csv row and its :func:`grader.render.summary_entry`, as one line of JSON
    appended to an unnamed temporary file in the results folder, so that memory does not
    grow with the batch.  At the end, :meth:`write` lists the results folder and takes,
    in id order, each submission's last line, or reads its result.json when this run
    kept none (a resumed batch's earlier results, a result forgotten after a failure):
    the files are byte for byte those :func:`finish` writes from the results on disk,
    without reading this run's results back.  Thread-safe; :meth:`add` and
    :meth:`forget` never raise (at worst the end reads every result, as :func:`finish`).

    Parameters
    ----------
    out : Path
        The results folder (it exists).
    questions : sequence of str
        grades.csv's question columns (the rubric's question ids).
    rubric_title : str, optional
        summary.html's title.
    """

    def __init__(self, out: Path, *, questions: Sequence[str], rubric_title: str = "") -> None:
        self.out = out
        self.questions = list(questions)
        self.rubric_title = rubric_title
        self._lock = threading.Lock()
        self._spool: IO[bytes] | None
        try:
            self._spool = tempfile.TemporaryFile(dir=out, prefix=".batch-files-")
        except OSError:
            self._spool = None  # the end reads every result, as finish() does

    def __enter__(self) -> "BatchFiles":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop what was kept (the temporary file)."""
        with self._lock:
            spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()

    def _append(self, sid: str, payload: bytes) -> None:
        line = json.dumps(sid).encode("ascii") + b"\t" + payload
        with self._lock:
            if self._spool is None:
                return
            try:
                self._spool.write(line)
            except (OSError, ValueError):  # a full disk: the end reads every result instead
                self._spool.close()
                self._spool = None

    def add(self, result: SubmissionResult) -> None:
        """Keep what grades.csv and summary.html show of ``result``, which was just written to its folder."""
        try:
            payload = json.dumps([export.grades_row(result, self.questions),
                                  render.summary_entry(result, as_read=True)], separators=(",", ":"))
        except Exception:  # noqa: BLE001 - its result.json is read at the end instead
            self.forget(result.submission)
            return
        self._append(result.submission, payload.encode("ascii") + b"\n")

    def forget(self, submission: str) -> None:
        """Forget what was kept of ``submission``: the end reads its result.json (if any) instead."""
        self._append(submission, _FORGOTTEN)

    def _rows(self, names: list[str], spool: IO[bytes]) -> Iterator[tuple[list[str], dict]]:
        """Yield the grades.csv row and summary entry of each submission in ``names`` (as read by iter_results)."""
        kept: dict[str, int | None] = {}  # id -> offset of its last line (None: forgotten)
        spool.flush()
        spool.seek(0)
        at = 0
        for line in spool:
            sid, _, payload = line.partition(b"\t")
            kept[json.loads(sid)] = None if payload == _FORGOTTEN else at
            at += len(line)
        for name in names:
            offset = kept.get(name)
            if offset is not None:
                spool.seek(offset)
                yield json.loads(spool.readline().partition(b"\t")[2])
                continue
            f = self.out / name / "result.json"
            result = read_result(f) if f.is_file() else None
            if result is not None:
                yield export.grades_row(result, self.questions), render.summary_entry(result)

    def write(self) -> None:
        """Write grades.csv and summary.html (each replaced atomically), as :func:`finish` would."""
        with self._lock:
            spool = self._spool
            if spool is None:
                finish(self.out, rubric_title=self.rubric_title, questions=self.questions)
                return
            names = _result_folders(self.out)
            with atomic_path(self.out / "grades.csv") as grades_tmp, \
                    open(grades_tmp, "w", encoding="utf-8", errors="backslashreplace", newline="") as grades, \
                    atomic_path(self.out / "summary.html") as summary_tmp, \
                    open(summary_tmp, "w", encoding="utf-8", errors="backslashreplace") as summary:
                w = csv.writer(grades, lineterminator="\n")
                w.writerow(export.grades_header(self.questions))

                def entries() -> Iterator[dict]:
                    for row, entry in self._rows(names, spool):
                        w.writerow(row)
                        yield entry

                render.write_summary_entries(entries(), summary, rubric_title=self.rubric_title)


def _skipped_name(name: str) -> bool:
    from .load import SKIPPED_FILES, SKIPPED_FOLDERS

    return name.startswith(".") or name in SKIPPED_FOLDERS or name in SKIPPED_FILES


def batch_size(path: str | os.PathLike[str]) -> int | None:
    """Return how many submissions a batch holds, from its entries' names alone (nothing is read).

    Used for the progress bar's percentage and ETA.  It follows :func:`grader.load.load_batch`'s
    rules (one submission per entry; the files of one Canvas user id are one submission)
    but is an estimate: None when the batch cannot be listed.

    Parameters
    ----------
    path : path-like
        A folder, a .zip, or a single .py / .ipynb file.
    """
    import zipfile

    p = Path(path)
    try:
        if p.is_file() and p.suffix.lower() in (".py", ".ipynb"):
            return 1
        if p.is_dir():
            names = [(e.name, e.is_dir()) for e in os.scandir(p) if not _skipped_name(e.name)]
        elif p.is_file():
            with zipfile.ZipFile(p) as z:
                members = [n.rstrip("/") for n in z.namelist()]
            members = [n for n in members if n and not any(_skipped_name(part) for part in n.split("/"))]
            tops = {n.split("/")[0] for n in members}
            if len(tops) == 1 and any("/" in n for n in members):
                top = next(iter(tops)) + "/"
                members = [n[len(top):] for n in members if n.startswith(top)]
            folders = {n.split("/")[0] for n in members if "/" in n}
            names = [(n, False) for n in members if "/" not in n and n not in folders] + [(f, True) for f in folders]
        else:
            return None
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    files = [n for n, is_dir in names if not is_dir]
    if not canvas.is_canvas_batch(files):
        return len(names)
    from .load import _folder_is_theirs

    groups: dict[str, list[int]] = {}
    others = 0
    download = canvas.read_download(n for n, _ in names)
    for i, (name, is_dir) in enumerate(names):
        c = download.parse(name)  # a folder named so may be a student's zip unpacked: theirs (grader.load)
        if c is None or (is_dir and c.entry != "file"):
            others += 1
        else:
            groups.setdefault(c.user_id, []).append(i)
    listed, folders = [n for n, _ in names], bytearray(d for _, d in names)
    users = 0
    for group in groups.values():  # a folder that is not the student's is a submission of its own
        theirs = sum(1 for i in group if not folders[i] or _folder_is_theirs(i, group, listed, folders))
        users += theirs > 0
        others += len(group) - theirs
    return users + others


def grade_safely(sub: Submission, job: Job, sb: Sandbox, partial: Partial | None = None) -> SubmissionResult:
    """Grade one submission (only ``partial``'s questions, when given); a failure of the grader itself costs that submission only.

    The sandbox never raises for a student's fault, so an exception here is a grader
    bug (or an attack it did not foresee): the submission gets status "error" saying so,
    and the batch goes on.  The sandbox is restarted, as it may be in a bad state.
    """
    try:
        return grade(sub, job, sb) if partial is None else grade(sub, job, sb, partial)
    except Exception as e:  # noqa: BLE001
        sb.close()
        why = f"the grader failed on this submission ({type(e).__name__}: {str(e)[:200]}); this is a bug in grader: please report it"
        try:
            return grade(replace(sub, error=why), job, None)
        except Exception:  # noqa: BLE001 - even the error result failed: the plainest one
            return SubmissionResult(submission=sub.id, rubric=job.rubric.name, status="error", score=0.0,
                                    max_score=job.rubric.max_score, errors=(why,), late=sub.late, canvas=sub.canvas)


def after_failure(result: SubmissionResult, e: BaseException) -> SubmissionResult:
    """Return the error result of a submission whose files, row or report failed after grading.

    The grader's own failure (a bug, a full disk) is said in the student's terms; the result
    keeps no student text but its id and Canvas details, so that writing it cannot fail the
    same way again.
    """
    why = (f"the grader failed after grading this submission ({type(e).__name__}: {str(e)[:200]}), "
           "so its result could not be written; this is a bug in grader (or the disk is full): please report it")
    return SubmissionResult(submission=result.submission, rubric=result.rubric, status="error", score=0.0,
                            max_score=result.max_score, errors=(why,), isolation=result.isolation, late=result.late,
                            canvas=result.canvas, grader_version=result.grader_version)


@contextlib.contextmanager
def local_slot(job: Job, i: int, *, isolation: str = "auto", allow: Iterable[str] = ("numpy",),
               hide: Iterable[str] = ()) -> Iterator[Callable[..., SubmissionResult]]:
    """Slot ``i`` of a local batch: a warm sandbox, and a function grading one submission in it.

    The function takes the submission and, for a regrade after a rubric change, the
    :class:`~grader.pipeline.Partial` saying which questions to grade again.
    """
    with Sandbox(isolation, slot=i, allow=tuple(allow), hide=tuple(hide)) as sb:
        sb.spawn()  # the zygote imports numpy while the batch computes its digests
        sb.prepare(job.calls)  # ready, with the rubric's inputs: the first submission's time is its own
        yield lambda sub, partial=None: grade_safely(sub, job, sb, partial)


def previous_result(out: Path, submission_id: str) -> SubmissionResult | None:
    """Read back ``<id>/result.json`` of an earlier run, or None when it is missing or unreadable."""
    return read_result(out / submission_id / "result.json")


def grade_batch(submissions: Iterable[Submission | Pending], out: Path, job: Job, *, jobs: int = 1,
                isolation: str = "auto", hide: Iterable[str] = (),
                on_result: Callable[[SubmissionResult], None] | None = None,
                skip: Callable[[Submission], bool] | None = None,
                on_skip: Callable[[Submission, SubmissionResult | None], None] | None = None,
                gradebook: Gradebook | None = None, force: bool = False,
                slots: Callable[[int], ContextManager[Callable[..., Any]]] | None = None, chunk: int = 1,
                expected: int | None = None,
                annotate: Callable[[Submission, SubmissionResult], SubmissionResult] | None = None,
                batch_files: bool = True) -> BatchStats:
    """Grade ``submissions`` on ``jobs`` parallel slots, writing each result as it finishes.

    Parameters
    ----------
    submissions : iterable of Submission or Pending
        Consumed lazily, one at a time, by whichever slot is free.  A
        :class:`~grader.load.Pending` (from :func:`grader.load.pending_batch`) is taken
        under the batch's lock and made into its Submission outside it.
    out : Path
        The results folder.
    job : Job
        The prepared rubric (cases, calls).
    jobs : int
        Parallel slots; each has its own warm sandbox (and, as root, its own uid).
    isolation : str
        Isolation level for the sandboxes.
    hide : iterable of str
        Paths the student's process must not see (the results, the submissions).
    on_result : callable, optional
        Called with each result, in the order they finish, from one thread at a time.
    skip : callable, optional
        Return True for a submission that is already graded and unchanged.
    on_skip : callable, optional
        Called with each submission skipped and its result as kept (read from its result.json;
        None when ``skip`` skipped it), from one thread at a time.
    gradebook : Gradebook, optional
        Records each submission as it finishes (after its files are written); unless
        ``force``, a submission it holds as current (same content, rubric and grader
        version, result.json on disk and still readable as its result) is skipped.
    force : bool
        Grade every submission, even those the gradebook holds as current.
    slots : callable, optional
        ``slots(i)`` is a context manager giving slot ``i``'s function that grades one
        submission, and, for a regrade after a rubric change, is also given the
        :class:`~grader.pipeline.Partial` saying which questions to grade again; default:
        a warm local sandbox per slot (:func:`local_slot`).  A Dask cluster gives its own
        (:class:`grader.cluster.runner.ClusterRunner.slot`); all the rest (skipping,
        writing, the gradebook, the callbacks) is the same.
    chunk : int
        Submissions a slot takes at a time (default 1).  With more than one, a slot's
        function is given a list of up to ``chunk`` submissions (and, when any of them is
        regraded in part, the list of their partials, None for the others) and returns
        their results in the same order; they are written as soon as the chunk's results
        are back (a cluster sends a chunk as one task, paying the per-task overhead once).
    expected : int, optional
        How many entries ``submissions`` holds, if known.  Chunks then shrink towards the
        end of the batch (at most the entries left over ``jobs``), so that no slot is left
        grading a whole chunk while the others have nothing left to do.
    annotate : callable, optional
        Called with each submission and its result (from the thread that writes it) before the
        result is written; returns the result to write (``grader grade`` adds why the
        rubric was chosen, ``rubric_reason``).
    batch_files : bool
        Write grades.csv and summary.html at the end (:class:`BatchFiles`: from what
        was kept of each result as it was written, and the results on disk this run did
        not write).  False leaves them to the caller (``grader grade --similarity``
        writes them once, after the similarity check).

    A submission the gradebook holds unchanged but graded under another rubric (a
    rubric fix) is graded again: only the questions the change can affect, the others'
    verdicts taken from its ``result.json`` (:mod:`grader.regrade`), on local slots and
    on a cluster alike; every question with ``force``, or when the change can't be traced
    to questions.  Either way its result carries a ``regrade`` block with the
    score before.

    Notes
    -----
    No per-submission state is kept: with ``chunk`` 1, submissions are loaded ahead of the
    slots by ``jobs`` loader threads into a queue of at most ``jobs``, and each result is
    handed to a writer thread through another such queue, written (and its gradebook row
    committed) and dropped, so that a slot's sandbox runs the next submission while the one
    before is written and the one after is decoded and translated; what the
    batch-wide files show of it goes to a temporary file (:class:`BatchFiles`), read at
    the end (tests/test_memory_flat.py).  The heap itself stays flat once glibc's mmap threshold
    is fixed (:func:`grader.heap.steady_heap`, called here and, earlier, by ``grader
    grade``): without it the slots' malloc arenas fragment under each submission's
    multi-MiB buffers; see benchmarks/RESULTS.md.
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {jobs})")
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1 (got {chunk})")
    steady_heap()  # a no-op when the command already did it, before its imports
    out.mkdir(parents=True, exist_ok=True)
    digests = None
    # The rubric's digests are computed once the slots have started (their sandboxes start
    # meanwhile, on the other cores); a slot waits for them before its first submission.
    digests_ready = threading.Event()
    if gradebook is not None:
        gradebook.set_meta("rubric_title", job.rubric.title)  # for the reports `grader override` rewrites
        gradebook.set_meta("questions", json.dumps(question_ids(job.rubric)))  # and its grades.csv's columns
    else:
        digests_ready.set()
    stats = BatchStats()
    t0 = time.monotonic()
    source = iter(submissions)
    taken = 0  # entries taken from source (under the lock `take`)
    take = threading.Lock()
    report = threading.Lock()
    failures: list[BaseException] = []
    hide = [str(out), *hide]
    allow = job.rubric.settings.allow_packages
    files = BatchFiles(out, questions=question_ids(job.rubric),
                       rubric_title=job.rubric.title) if batch_files else None

    def prior(sub: Submission) -> tuple[Partial | None, Regrade | None]:
        """What a regrade after a rubric change starts from: the questions to grade again, the score before."""
        if gradebook is None or digests is None:
            return None, None
        row = gradebook.regradable(sub, out)
        previous = previous_result(out, sub.id) if row is not None else None
        if row is None or previous is None or previous.submission != sub.id:
            return None, None
        plan = regrade.plan(gradebook.rubric_questions(row.rubric_digest), digests)
        if force:
            plan = regrade.Plan(None, "--force (or --only) grades every question")
        elif plan.questions is not None:
            why = regrade.usable(previous, job.rubric, plan.questions)
            if why:
                plan = regrade.Plan(None, why)
        every = tuple(digests.questions)
        block = Regrade(previous_score=previous.score, previous_max_score=previous.max_score,
                        previous_status=previous.status, previous_rubric=row.rubric_digest,
                        questions=every if plan.questions is None else tuple(q for q in every if q in plan.questions),
                        full=plan.questions is None, reason=plan.reason)
        return (None if plan.questions is None else Partial(plan.questions, automatic(previous))), block

    def regraded(sub: Submission) -> tuple[Partial | None, Regrade | None]:
        try:
            return prior(sub)
        except Exception:  # noqa: BLE001 - the earlier result can't help: grade it whole
            return None, None

    def with_block(result: SubmissionResult, partial: Partial | None, block: Regrade | None) -> SubmissionResult:
        """The result with its regrade block (saying every question was graded when a partial run fell back to it)."""
        if block is None:
            return result
        if partial is not None and result.status != "graded":  # it was graded whole after all
            block = replace(block, questions=tuple(digests.questions) if digests else (),
                            full=True, reason="its run failed as a whole, so every question was graded")
        return replace(result, regrade=block)

    def next_submission() -> Submission | None:
        nonlocal taken
        while True:
            with take:  # only taking the next entry (its files read into memory) is serialised ...
                try:
                    item = next(source)
                except StopIteration:
                    return None
                taken += 1
            # ... making the Submission (decoding, translating: grader.transform's deadlines) is not.
            sub = item.load() if isinstance(item, Pending) else item
            if skip is not None and skip(sub):
                kept = None
            elif gradebook is not None and not force and gradebook.is_current(sub, out):
                # Unchanged, and its result.json still one: kept (a result.json emptied, damaged or
                # made another's since is graded again, as a missing one is).
                kept = read_result(out / sub.id / "result.json")
                if kept is None or kept.submission != sub.id:
                    return sub
                if files is not None:
                    files.add(kept)  # (read here, not again at the end)
            else:
                return sub
            with report:
                stats.skipped += 1
                if on_skip is not None:
                    on_skip(sub, kept)

    def finish_one(sub: Submission, result: SubmissionResult) -> None:
        """Write, record and report one result; a failure in any step becomes that submission's error result."""
        try:
            if annotate is not None:
                result = annotate(sub, result)
            if gradebook is not None:  # a person's overrides hold over every regrade
                result = apply_overrides(result, gradebook.overrides(result.submission))
            write_result(out, result, rubric_title=job.rubric.title)
            if files is not None:
                files.add(result)
            if gradebook is not None:
                # An error of the grader's (it could not run the code) is tried again by a rerun;
                # one of the submission's own files (an unreadable archive, no code) is not, while
                # they are unchanged.
                gradebook.record(sub if result.status != "error" or sub.error else replace(sub, digest=""), result)
            with report:
                if on_result is not None:
                    on_result(result)
                stats.add(result)
            return
        except Exception as e:  # noqa: BLE001 - one submission's failure never stops the batch
            failed = after_failure(result, e)
        # Each step again, for the error result, each on its own; the gradebook row is never
        # current (no digest), so a rerun grades this submission again.  What the batch files
        # kept of the result is forgotten until the error result is written: if it cannot
        # be, the end reads whatever result.json is on disk.
        if files is not None:
            files.forget(failed.submission)

        def write_failed() -> None:
            write_error_result(out, failed, rubric_title=job.rubric.title)
            if files is not None:
                files.add(failed)

        steps = [write_failed]
        if gradebook is not None:
            steps.append(lambda: gradebook.record(replace(sub, digest=""), failed))
        for step in steps:
            try:
                step()
            except Exception:  # noqa: BLE001 - counted and reported below all the same
                pass
        with report:
            stats.add(failed)
            if on_result is not None:
                try:
                    on_result(failed)
                except Exception:  # noqa: BLE001
                    pass

    make_slot = slots or functools.partial(local_slot, job, isolation=isolation, allow=allow, hide=hide)

    # Submissions one at a time are loaded ahead of the slots, by as many loaders as slots
    # (each with its own text helper, as each slot had), into a queue of at most `jobs`: a
    # slot takes one already decoded and translated, so its sandbox does not wait while the
    # next one's Python 2 is translated in the helper's process, and that translation runs
    # while the slots' sandboxes and judging use the cores.
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=jobs)
    done = threading.Event()  # the slots have ended: loaders stop

    def put(item: tuple[str, Any]) -> bool:
        while not done.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def loader() -> None:
        try:
            with transform.session():
                while not failures and not done.is_set():
                    sub = next_submission()
                    if sub is None:
                        put(("end", None))
                        return
                    if not put(("sub", sub)):
                        return
                    del sub
        except BaseException as e:  # noqa: BLE001 - raised in the slot that takes it
            put(("error", e))

    def loaded() -> Submission | None:
        while not failures:
            try:
                kind, item = ahead.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == "sub":
                return item
            if kind == "error":  # (the other slots stop: a failure ends the batch)
                raise item
            return None  # each loader ends with one "end" (or "error"): one for each slot
        return None

    # Results graded one at a time are written (report.html, result.json, the gradebook, the
    # callbacks) by a writer thread, from a queue of at most `jobs`: the slot's sandbox runs
    # the next submission meanwhile (the writing is the grader's Python; the sandbox's run is
    # mostly other processes' CPU).
    written: queue.Queue[tuple[Submission, SubmissionResult] | None] = queue.Queue(maxsize=jobs)

    def writer() -> None:
        try:
            while True:
                item = written.get()
                if item is None:
                    return
                finish_one(*item)
                del item
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            failures.append(e)
            while written.get() is not None:  # (the slots must not wait on a full queue)
                pass

    def compute_digests() -> None:
        nonlocal digests
        try:
            digests = regrade.digests(job.rubric, job.cases, job.calls)
            gradebook.set_rubric_questions(digests.rows())
        except BaseException as e:  # noqa: BLE001 - the batch stops: re-raised below, the slots grade nothing
            failures.append(e)
        finally:
            digests_ready.set()

    def slot(i: int) -> None:
        try:
            with make_slot(i) as grade_one, transform.session():
                digests_ready.wait()
                while not failures:
                    if chunk == 1:
                        sub = loaded()
                        if sub is None:
                            return
                        partial, block = regraded(sub)
                        result = grade_one(sub) if partial is None else grade_one(sub, partial)
                        written.put((sub, with_block(result, partial, block)))
                        # Nothing of this submission stays alive here while the next one is graded.
                        del sub, result, partial, block
                        continue
                    size = chunk
                    if expected is not None:  # guided: the last chunks are smaller
                        size = max(1, min(chunk, -(-(expected - taken) // jobs)))
                    subs: list[Submission] = []
                    while len(subs) < size:
                        sub = next_submission()
                        if sub is None:
                            break
                        subs.append(sub)
                    if not subs:
                        return
                    plans = [regraded(sub) for sub in subs]
                    partials = [p for p, _ in plans]
                    results = list(grade_one(subs) if all(p is None for p in partials) else grade_one(subs, partials))
                    if len(results) != len(subs):
                        raise RuntimeError(f"a slot gave {len(results)} results for {len(subs)} submissions")
                    for sub, result, (partial, block) in zip(subs, results, plans):
                        finish_one(sub, with_block(result, partial, block))
                    del subs, results, plans, partials, sub, result, partial, block
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            failures.append(e)

    def end_writing() -> None:
        """Let the writer write every result in its queue, then end; wait for it."""
        if not writers:
            return
        while writers[0].is_alive():
            try:
                written.put(None, timeout=0.2)  # after every result graded so far
                break
            except queue.Full:
                continue
        while writers[0].is_alive():
            writers[0].join(0.2)

    threads = [threading.Thread(target=slot, args=(i,), name=f"slot-{i}", daemon=True) for i in range(jobs)]
    loaders = ([threading.Thread(target=loader, name=f"loader-{i}", daemon=True) for i in range(jobs)]
               if chunk == 1 else [])
    writers = [threading.Thread(target=writer, name="writer", daemon=True)] if chunk == 1 else []
    try:
        for t in loaders + writers + threads:
            t.start()
        try:
            if not digests_ready.is_set():
                compute_digests()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
            end_writing()
        except KeyboardInterrupt:
            failures.append(KeyboardInterrupt())
            end_writing()  # (nothing already graded is lost: the results in the queue are written)
            raise
        if failures:
            raise failures[0]
        if files is not None:
            files.write()
    finally:
        done.set()
        digests_ready.set()  # (a slot still waiting for them after Ctrl-C sees the failure and ends)
        for t in loaders:  # (each closes its text helper; after Ctrl-C, not waited for mid-translation)
            if t.ident is None:
                continue  # never started (a signal while the threads were being started)
            t.join(None if not failures or not isinstance(failures[-1], KeyboardInterrupt) else 0.5)
        if files is not None:
            files.close()
    stats.seconds = time.monotonic() - t0
    return stats
