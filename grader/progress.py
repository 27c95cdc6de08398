"""Progress of a batch on standard error: a bar redrawn in place on a terminal, plain lines otherwise.

Plain callbacks, no threads: :meth:`Progress.skipped` and :meth:`Progress.done` are called
as submissions finish (from one thread at a time), :meth:`Progress.finish` once at the
end.  The clock is injectable, so tests never sleep.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence, TextIO

#: Seconds between two plain progress lines (when standard error is not a terminal).
EVERY = 5.0
#: Least seconds between two redraws of the bar.
REDRAW = 0.1
#: Width of the bar, in characters.
WIDTH = 24


def duration(seconds: float) -> str:
    """Return a duration as a clock: ``m:ss``, or ``h:mm:ss`` from an hour on.

    >>> duration(7.4), duration(65), duration(3725)
    ('0:07', '1:05', '1:02:05')
    """
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def summary_line(*, graded: int, errors: int, skipped: int, seconds: float,
                 slowest: Sequence[tuple[float, str]] = (), isolation: str = "", results: str = "",
                 regraded: tuple[int, int] = (0, 0)) -> str:
    """Return the last line of a batch: totals, rate, regrades after a rubric change, and the slowest submissions.

    ``regraded`` is (submissions regraded after a rubric change, those regraded in part).

    >>> summary_line(graded=98, errors=2, skipped=5, seconds=2.0, slowest=[(1.5, "bob"), (0.2, "al")],
    ...              isolation="bwrap", results="out")
    'graded 98, errors 2, unchanged 5 in 2.0 s (50.0/s, isolation: bwrap); results in out; slowest: bob 1.50 s, al 0.20 s'
    >>> summary_line(graded=40, errors=0, skipped=0, seconds=2.0, regraded=(40, 39))
    'graded 40, errors 0, unchanged 0 in 2.0 s (20.0/s); 40 regraded after a rubric change (39 on the questions it affects only)'
    >>> summary_line(graded=0, errors=0, skipped=5, seconds=0.1, isolation="process", results="out")
    'graded 0, errors 0, unchanged 5 in 0.1 s; results in out'
    """
    n = graded + errors
    rate = f"{n / seconds:.1f}/s" if seconds > 0 and n else ""
    # (the isolation of a run that ran no code is no fact about any result)
    inside = ", ".join(x for x in (rate, f"isolation: {isolation}" if isolation and n else "") if x)
    line = f"graded {graded}, errors {errors}, unchanged {skipped} in {seconds:.1f} s"
    if inside:
        line += f" ({inside})"
    if results:
        line += f"; results in {results}"
    if regraded[0]:
        line += f"; {regraded[0]} regraded after a rubric change ({regraded[1]} on the questions it affects only)"
    if slowest:
        line += "; slowest: " + ", ".join(f"{sid} {s:.2f} s" for s, sid in slowest)
    return line


class Progress:
    """Show how far a batch is: count, rate and time left.

    On a terminal a one-line bar is redrawn in place (at most every `REDRAW` seconds);
    elsewhere (a log file, CI) a plain line is written every `every` seconds or at each
    further tenth of the batch, whichever comes first.

    Parameters
    ----------
    total : int or None
        How many submissions the batch holds (None when unknown: no percentage, no ETA).
    stream : text stream
        Where to write (standard error).
    tty : bool, optional
        Whether `stream` is a terminal (default: ``stream.isatty()``).
    clock : callable, optional
        Returns seconds from a fixed origin (default ``time.monotonic``).
    every : float, optional
        Seconds between plain lines.
    enabled : bool, optional
        False writes nothing but the final line.

    Examples
    --------
    >>> import io
    >>> t = [0.0]
    >>> p = Progress(4, io.StringIO(), tty=False, clock=lambda: t[0])
    >>> t[0] = 1.0; p.done("a"); t[0] = 2.0; p.done("b", error=True)
    >>> p.stream.getvalue().splitlines()[-1]
    'progress: 2/4 (50%), 1.0/s, 1 error, about 0:02 left'
    """

    def __init__(self, total: int | None, stream: TextIO, *, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float = EVERY, enabled: bool = True) -> None:
        self.total = total
        self.stream = stream
        if tty is None:
            try:
                tty = bool(stream.isatty())
            except (AttributeError, ValueError):
                tty = False
        self.tty = tty
        self.clock = clock
        self.every = every
        self.enabled = enabled
        self.start = clock()
        self.graded = 0  #: finished here (graded or error)
        self.errors = 0
        self.unchanged = 0  #: skipped: already graded and unchanged
        self._last = self.start  #: when the last line or bar was written
        self._tenth = 0  #: the last tenth of the batch reported by a plain line
        self._shown = False  #: a bar is on screen

    # ---------------------------------------------------------------- numbers

    @property
    def count(self) -> int:
        """Return how many submissions are done (graded here or unchanged)."""
        return self.graded + self.unchanged

    def rate(self) -> float:
        """Return submissions graded per second since the start (0 before the first)."""
        elapsed = self.clock() - self.start
        return self.graded / elapsed if elapsed > 0 and self.graded else 0.0

    def eta(self) -> float | None:
        """Return the estimated seconds left, or None when unknown."""
        rate = self.rate()
        if self.total is None or rate <= 0:
            return None
        return max(0, self.total - self.count) / rate

    # ---------------------------------------------------------------- callbacks

    def skipped(self, submission_id: str = "") -> None:
        """Count a submission that was already graded and unchanged."""
        self.unchanged += 1
        self._tick()

    def done(self, submission_id: str = "", *, error: bool = False) -> None:
        """Count a submission graded now; ``error`` when its status is "error"."""
        self.graded += 1
        self.errors += int(error)
        self._tick()

    def clear(self) -> None:
        """Erase the bar, so that other text can be written to the terminal; it comes back on the next tick."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def finish(self, line: str) -> None:
        """Erase the bar and write the final line."""
        self.clear()
        self.stream.write(line + "\n")
        self.stream.flush()

    # ---------------------------------------------------------------- drawing

    def _tick(self) -> None:
        if not self.enabled:
            return
        if self.total is not None and self.count > self.total:
            self.total = self.count  # the estimate was short
        now = self.clock()
        if self.tty:
            if not self._shown or now - self._last >= REDRAW or self.count == self.total:
                self._last = now
                self.stream.write("\r" + self.bar() + "\x1b[K")
                self.stream.flush()
                self._shown = True
            return
        if self.total and self.count >= self.total:
            return  # the final line says it
        tenth = self.count * 10 // self.total if self.total else 0
        if now - self._last >= self.every or tenth > self._tenth:
            self._last = now
            self._tenth = max(self._tenth, tenth)
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def _parts(self) -> list[str]:
        parts = []
        rate = self.rate()
        if rate:
            parts.append(f"{rate:.1f}/s")
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        return parts

    def line(self) -> str:
        """Return a plain progress line: ``progress: 340/700 (48%), 85.3/s, about 0:04 left``."""
        if self.total:
            head = f"progress: {self.count}/{self.total} ({self.count * 100 // self.total}%)"
        else:
            head = f"progress: {self.count}"
        parts = self._parts()
        eta = self.eta()
        if eta is not None:
            parts.append(f"about {duration(eta)} left")
        return ", ".join([head, *parts])

    def bar(self) -> str:
        """Return the terminal bar: ``[##########··········] 340/700  48%  85.3/s  ETA 0:04``."""
        parts = []
        if self.total:
            filled = min(WIDTH, self.count * WIDTH // self.total)
            parts.append("[" + "#" * filled + "·" * (WIDTH - filled) + "]")
            parts.append(f"{self.count}/{self.total} {self.count * 100 // self.total:3d}%")
        else:
            parts.append(f"{self.count} done")
        parts += self._parts()
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {duration(eta)}")
        return "  ".join(parts)
