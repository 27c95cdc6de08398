"""Batch slots as processes: each loads, grades and writes in its own process; the batch's process keeps the books.

Slots that are threads of one process share one GIL: the grader's own Python per
submission (loading, reading the sandbox's events, judging, report.html, result.json)
runs one slot at a time.  Here each slot is a process forked from the batch's process,
with its own warm sandbox (its own zygote).  A slot process

- loads the submission it is given (a :class:`~grader.load.Pending`: its files already
  read by the batch's process), and sends it back so that the batch's process can say
  whether it is already graded (the gradebook lives there only);
- grades it, applies the overrides it was sent, writes ``result.json`` and
  ``report.html`` itself, and sends back the result with the line the batch files keep
  of it (:class:`grader.batch.BatchFiles`).

The batch's process (single-threaded while slot processes run: it forks them, and
replacements, with no other thread alive) takes the entries of the batch in order, says
what each needs from the gradebook (overrides, a regrade's earlier verdicts), records each
result in the gradebook and the batch files, reports progress and writes the batch-wide
files at the end, exactly as with thread slots.  Messages are pickled: both ends are the grader's
own code (student code never runs in either; it runs in the sandbox's children).

A slot process that dies costs only the submission it was grading: the batch's process
writes its error result and forks a replacement.  Ctrl-C (SIGINT to the process group, or
to the batch's process alone) stops every slot process, each of which stops its zygote;
a slot process whose parent dies is stopped by the kernel (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import collections
import ctypes
import os
import queue
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, Callable, ContextManager

from . import transform
from .errors import GraderError
from .load import Pending
from .model import Submission, SubmissionResult

#: Submissions sent to one slot process ahead of its answers: the one it grades and the next,
#: so that it does not wait for the batch's process between two.  A slot process reads its
#: pipe in a thread of its own, always: two large messages never leave both ends blocked
#: sending to each other in full socket buffers.
DEPTH = 2

#: Seconds a slot process is given to stop its zygote after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0

#: A slot process that dies this many times in a row (no submission finished in between)
#: stops the batch: something other than one submission is wrong.
MAX_DEATHS_IN_A_ROW = 5

Item = Pending | Submission
MakeSlot = Callable[[int], ContextManager[Callable[[Submission], SubmissionResult]]]


@dataclass
class _Entry:
    """One submission sent to a slot process, until its answer."""

    item: Item | None
    sub: Submission | None = None


@dataclass
class _Slot:
    """The batch's side of one slot process."""

    index: int
    pid: int
    conn: Connection
    queue: collections.deque[_Entry] = field(default_factory=collections.deque)


class _Stop(BaseException):
    """Raised in a slot process by SIGTERM (or SIGINT): unwind, stopping the zygote."""


def _on_signal(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the unwinding itself is not interrupted
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise _Stop()


def _die_with_parent() -> None:
    """Ask the kernel to send SIGTERM to this process when the batch's process dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(index: int, conn: Connection, make_slot: MakeSlot, work: Callable[..., tuple]) -> None:
    """The slot process's loop: load, ask, grade, settle, answer; until the batch's process closes the pipe."""
    inbox: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()

    def read() -> None:  # drains the pipe, so that the batch's process never waits to send
        try:
            while True:
                inbox.put(conn.recv())
        except (EOFError, OSError):
            inbox.put(None)

    threading.Thread(target=read, name="slot-inbox", daemon=True).start()
    items: collections.deque[tuple] = collections.deque()  # sent ahead while a verdict was awaited
    with make_slot(index) as grade_one, transform.session():
        conn.send(("ready",))
        while True:
            msg = items.popleft() if items else inbox.get()
            if msg is None:
                return
            item = msg[1]
            sub = item.load() if isinstance(item, Pending) else item
            del item, msg
            conn.send(("loaded", sub))
            while True:
                verdict = inbox.get()
                if verdict is None:
                    return
                if verdict[0] != "item":
                    break
                items.append(verdict)
            if verdict[0] == "go":
                answer = work(grade_one, sub, verdict[1])
                conn.send(("done", *answer))
                del answer
            # Nothing of this submission stays alive while the next one is loaded and graded.
            del sub, verdict


def _child(index: int, conn: Connection, others: list[Connection], make_slot: MakeSlot,
           work: Callable[..., tuple]) -> None:
    """Run in the forked slot process; never returns (``os._exit``: no handler of the parent's runs here)."""
    code = 0
    try:
        _die_with_parent()
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        for c in others:  # the batch's ends of every pipe: only the batch's process holds them
            c.close()
        if os.getppid() == 1:  # the batch's process died before PR_SET_PDEATHSIG was set
            raise _Stop()
        _serve(index, conn, make_slot, work)
    except (_Stop, KeyboardInterrupt):
        code = 0
    except BaseException as e:  # noqa: BLE001 - the batch's process raises it (e.g. the sandbox did not start)
        code = 1
        try:
            try:
                conn.send(("failed", e))
            except Exception:  # noqa: BLE001 - not picklable: its text
                conn.send(("failed", GraderError(f"a slot process failed: {type(e).__name__}: {e}")))
        except Exception:  # noqa: BLE001 - the pipe is gone: at least the traceback
            traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(code)


class SlotProcesses:
    """Run a batch's slots as processes (see the module's docstring).

    Parameters
    ----------
    jobs : int
        Slot processes.
    make_slot : callable
        ``make_slot(i)``: slot ``i``'s context manager giving the function that grades one
        submission (:func:`grader.batch.local_slot`), entered in the slot process.
    work : callable
        ``work(grade_one, sub, ticket) -> answer``, run in the slot process: the submission
        graded with ``grade_one`` and its files written; ``answer`` (a tuple) is sent back
        and given to ``record`` after the submission (see :func:`grader.batch.grade_batch`).
    take : callable
        Returns the batch's next entry (a Pending or a Submission), or None at the end.
    decide : callable
        ``decide(sub)``: None when ``sub`` is skipped (already graded), else the ticket to
        send with it (what grading it needs from the gradebook).
    record : callable
        ``record(sub, *answer)``: the gradebook row, progress and totals of one result.
    lost : callable
        ``lost(item_or_sub, why)``: write and record the error result of a submission whose
        slot process died under it.
    """

    def __init__(self, jobs: int, make_slot: MakeSlot, work: Callable[..., tuple],
                 take: Callable[[], Item | None], decide: Callable[[Submission], Any],
                 record: Callable[..., None], lost: Callable[[Item, str], None]) -> None:
        self.jobs = jobs
        self.make_slot, self.work = make_slot, work
        self.take, self.decide, self.record, self.lost = take, decide, record, lost
        self.slots: dict[int, _Slot] = {}  # by index
        self.again: collections.deque[Item] = collections.deque()  # sent to a slot that died before starting it
        self.exhausted = False
        self.deaths_in_a_row = 0

    def pids(self) -> list[int]:
        """Return the slot processes' pids."""
        return [s.pid for s in self.slots.values()]

    def _fork(self, index: int) -> _Slot:
        ours, theirs = Pipe(duplex=True)
        others = [s.conn for s in self.slots.values()] + [ours]
        pid = os.fork()
        if pid == 0:  # the slot process
            _child(index, theirs, others, self.make_slot, self.work)
        theirs.close()
        slot = _Slot(index, pid, ours)
        self.slots[index] = slot
        return slot

    def _next_item(self) -> Item | None:
        if self.again:
            return self.again.popleft()
        if self.exhausted:
            return None
        item = self.take()
        if item is None:
            self.exhausted = True
        return item

    def _fill(self, slot: _Slot) -> None:
        while len(slot.queue) < DEPTH:
            item = self._next_item()
            if item is None:
                return
            slot.queue.append(_Entry(item))
            slot.conn.send(("item", item))

    def _reap(self, slot: _Slot) -> str:
        """Wait for a dead slot process; return how it ended, in words."""
        try:
            _, status = os.waitpid(slot.pid, 0)
        except ChildProcessError:
            return "it ended"
        slot.conn.close()
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            return f"it was killed by {name}"
        return f"it exited with status {os.WEXITSTATUS(status)}"

    def _died(self, slot: _Slot) -> None:
        """A slot process died: its current submission gets an error result, the rest go to other slots."""
        how = self._reap(slot)
        del self.slots[slot.index]
        self.deaths_in_a_row += 1
        if self.deaths_in_a_row > MAX_DEATHS_IN_A_ROW:
            raise GraderError(f"slot processes keep dying ({how}); this is a bug in grader: please report it")
        queue = slot.queue
        if queue:
            head = queue.popleft()
            why = (f"the process grading this submission stopped ({how}); this is a bug in grader "
                   "(or the machine ran out of memory): please report it")
            self.lost(head.sub if head.sub is not None else head.item, why)
        self.again.extend(e.item for e in queue)  # never started: graded by the replacement
        self._fork(slot.index)

    def _answer(self, slot: _Slot, msg: tuple) -> None:
        kind = msg[0]
        if kind == "ready":
            self._fill(slot)
        elif kind == "loaded":
            head = slot.queue[0]
            head.item, head.sub = None, msg[1]  # the Pending's files are let go of
            overrides = self.decide(head.sub)
            if overrides is None:
                slot.queue.popleft()
                slot.conn.send(("skip",))
                self._fill(slot)
            else:
                slot.conn.send(("go", overrides))
        elif kind == "done":
            head = slot.queue.popleft()
            self._fill(slot)  # the next one is on its way before the books are kept
            self.deaths_in_a_row = 0
            self.record(head.sub, *msg[1:])
        elif kind == "failed":
            raise msg[1]

    def run(self) -> None:
        """Grade the batch; return when every entry is answered.  Stops every slot process on the way out."""
        finished = False
        try:
            for i in range(self.jobs):
                self._fork(i)
            while True:
                busy = {s.conn: s for s in self.slots.values()}
                if self.exhausted and not self.again and all(not s.queue for s in self.slots.values()):
                    finished = True
                    return
                for conn in wait(list(busy)):
                    slot = busy[conn]
                    if self.slots.get(slot.index) is not slot:
                        continue
                    try:
                        msg = conn.recv()
                    except (EOFError, OSError):
                        self._died(slot)
                        continue
                    self._answer(slot, msg)
        finally:
            self.stop(at_once=not finished)

    def stop(self, *, at_once: bool = True) -> None:
        """Stop every slot process (each stops its zygote) and wait for them; kill any that does not stop.

        At the end of a batch each idle slot process stops when its pipe closes; ``at_once``
        (Ctrl-C, an error) also sends SIGTERM, so that a busy one stops now.
        """
        import time

        slots = list(self.slots.values())
        self.slots.clear()
        for s in slots:
            try:
                s.conn.close()  # an idle slot process sees the end of its pipe and stops
            except OSError:
                pass
            if at_once:
                try:
                    os.kill(s.pid, signal.SIGTERM)  # a busy one stops now, its zygote with it
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for s in slots:
            while True:
                try:
                    pid, _ = os.waitpid(s.pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid:
                    break
                if time.monotonic() > deadline:
                    try:  # the zygote sees the end of its own pipe and stops with its children
                        os.kill(s.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    try:
                        os.waitpid(s.pid, 0)
                    except ChildProcessError:
                        pass
                    break
                time.sleep(0.01)
