"""Grade many submissions: parallel slots, each result streamed to disk as it finishes."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import export, render
from .errors import UsageError
from .model import Submission, SubmissionResult
from .pipeline import Job, grade
from .sandbox import Sandbox


@dataclass
class BatchStats:
    """Totals of one batch run (kept small: no per-submission state)."""

    graded: int = 0
    errors: int = 0
    skipped: int = 0  #: already graded and unchanged (resumed)
    seconds: float = 0.0
    slowest: list[tuple[float, str]] = field(default_factory=list)  #: the 3 slowest (seconds, id)

    def add(self, result: SubmissionResult) -> None:
        """Count one finished submission."""
        if result.status == "graded":
            self.graded += 1
        else:
            self.errors += 1
        self.slowest.append((result.seconds, result.submission))
        self.slowest.sort(reverse=True)
        del self.slowest[3:]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_result(out: Path, result: SubmissionResult, *, rubric_title: str = "") -> None:
    """Write ``<id>/result.json`` and ``<id>/report.html`` for one submission."""
    folder = out / result.submission
    write_atomic(folder / "report.html", render.report(result, rubric_title=rubric_title))
    # result.json last: its presence means the submission is complete.
    write_atomic(folder / "result.json", json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")


def iter_results(out: Path) -> Iterator[SubmissionResult]:
    """Read back every ``<id>/result.json`` under ``out``, sorted by id (one at a time)."""
    for entry in sorted(p for p in out.iterdir() if p.is_dir()):
        f = entry / "result.json"
        if f.is_file():
            try:
                yield SubmissionResult.from_dict(json.loads(f.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError):
                continue


def finish(out: Path, *, rubric_title: str = "") -> None:
    """Write the batch-wide files from the per-submission results on disk."""
    export.write_grades_csv(iter_results(out), out / "grades.csv")
    write_atomic(out / "summary.html", render.summary(iter_results(out), rubric_title=rubric_title))


def grade_batch(submissions: Iterable[Submission], out: Path, job: Job, *, jobs: int = 1,
                isolation: str = "auto", hide: Iterable[str] = (),
                on_result: Callable[[SubmissionResult], None] | None = None,
                skip: Callable[[Submission], bool] | None = None) -> BatchStats:
    """Grade ``submissions`` on ``jobs`` parallel slots, writing each result as it finishes.

    Parameters
    ----------
    submissions : iterable of Submission
        Consumed lazily, one at a time, by whichever slot is free.
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
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {jobs})")
    out.mkdir(parents=True, exist_ok=True)
    stats = BatchStats()
    t0 = time.monotonic()
    source = iter(submissions)
    take = threading.Lock()
    report = threading.Lock()
    failures: list[BaseException] = []
    hide = [str(out), *hide]
    allow = job.rubric.settings.allow_packages

    def next_submission() -> Submission | None:
        with take:
            while True:
                try:
                    sub = next(source)
                except StopIteration:
                    return None
                if skip is not None and skip(sub):
                    stats.skipped += 1
                    continue
                return sub

    def slot(i: int) -> None:
        try:
            with Sandbox(isolation, slot=i, allow=allow, hide=hide) as sb:
                while not failures:
                    sub = next_submission()
                    if sub is None:
                        return
                    result = grade(sub, job, sb)
                    write_result(out, result, rubric_title=job.rubric.title)
                    with report:
                        stats.add(result)
                        if on_result is not None:
                            on_result(result)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            failures.append(e)

    threads = [threading.Thread(target=slot, args=(i,), name=f"slot-{i}", daemon=True) for i in range(jobs)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        failures.append(KeyboardInterrupt())
        raise
    if failures:
        raise failures[0]
    finish(out, rubric_title=job.rubric.title)
    stats.seconds = time.monotonic() - t0
    return stats
