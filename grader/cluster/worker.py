"""The worker side: a Dask worker plugin holding the batch's job and one warm sandbox per worker thread.

:class:`GradingPlugin` is registered once per batch by the TA's machine
(:mod:`grader.cluster.runner`).  It carries the rubric, the reference module's source
and the cases built on the TA's machine (inputs and expected values: the same on every
worker), so they travel to each worker once, not with every task.  Dask attaches it to
every worker that is running or joins later, including a worker the nanny restarts
after it died; its ``setup`` checks the grader version, picks the isolation level *on
that worker*, builds the job and spawns one zygote per worker thread.

:func:`grade_task` is the task: a chunk of submissions (plain data,
:mod:`grader.cluster.wire`; each with the questions to grade again and its earlier
result when a rubric fix regrades it in part) in, their decided results (plain data) out, graded one
after the other in the worker thread's sandbox.  Student code runs only in the sandbox, as on
the TA's machine; the worker process plays the part the grader's process plays locally
(it holds the expected values, the student's process never does).
"""

from __future__ import annotations

import importlib.util
import os
import queue
import shutil
import sys
import tempfile
from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np
from distributed import WorkerPlugin, get_worker

from .. import __version__
from ..model import Case, Rubric
from . import wire


class WorkerRefused(RuntimeError):
    """This worker cannot grade for the batch (another grader version, no isolation allowed)."""


def worker_info(isolation: str) -> dict[str, Any]:
    """Run on each worker before a batch: its grader version and the isolation level it would use."""
    from ..errors import GraderError
    from ..sandbox import choose

    try:
        level = choose(isolation)
    except GraderError as e:
        level = f"unavailable ({e})"
    return {"version": __version__, "level": level, "python": sys.version.split()[0]}


def _load_reference(source: bytes, digest: str):
    """Import the rubric's reference module from its source, under a private name."""
    name = f"_grader_reference_cluster_{digest[:16]}"
    if name in sys.modules:
        return sys.modules[name]
    folder = tempfile.mkdtemp(prefix="grader-reference-")
    path = os.path.join(folder, "reference.py")
    with open(path, "wb") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return module


def _frozen(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        a = np.array(a, copy=True)
        a.setflags(write=False)
    return a


def _frozen_cases(cases: Mapping[str, Case]) -> dict[str, Case]:
    """Return the cases with arrays that own their data, read-only, as :func:`grader.cases.build` makes them.

    Unpickled arrays are writable (and may be views of the message): judging would not
    keep what it prepares from them (:meth:`grader.mistakes.Memo.ref`) and would redo it
    for every submission, ~5 ms each here.
    """
    return {cid: replace(c, args=tuple(_frozen(a) for a in c.args),
                         expected={k: _frozen(v) for k, v in c.expected.items()})
            for cid, c in cases.items()}


class GradingPlugin(WorkerPlugin):
    """Everything a worker needs to grade a batch's submissions; see the module docstring.

    Parameters
    ----------
    rubric : Rubric
        The batch's rubric (the TA's data; its ``digest`` names the plugin).
    reference : bytes
        The reference module's source.
    cases : mapping of str to Case
        The cases, built once on the TA's machine.
    isolation : str
        The isolation level asked for ("auto" or a level); each worker picks its own.
    allow_unsandboxed : bool
        Whether a worker may grade with the "process" level (no filesystem isolation).
    hide : sequence of str
        Paths the student's process must not see (as on the TA's machine).
    version : str
        The TA's grader version; a worker with another refuses.
    """

    idempotent = False

    def __init__(self, rubric: Rubric, reference: bytes, cases: Mapping[str, Case], *, isolation: str = "auto",
                 allow_unsandboxed: bool = False, hide: Sequence[str] = (), version: str = __version__,
                 name: str = "") -> None:
        self.rubric = rubric
        self.reference = reference
        self.cases = dict(cases)
        self.isolation = isolation
        self.allow_unsandboxed = allow_unsandboxed
        self.hide = tuple(hide)
        self.version = version
        #: Unique per batch: two batches of one rubric on one cluster never share (or tear down) a plugin.
        self.name = name or plugin_name(rubric, version)
        self._job = None
        self._pool: queue.Queue | None = None
        self._sandboxes: list = []
        self.refused: str | None = None
        #: Set by teardown: a submission graded across it was graded by a sandbox being stopped.
        self._stopped = False

    def __getstate__(self) -> dict[str, Any]:  # only the batch's data travels, never a live sandbox
        state = dict(self.__dict__)
        state.update(_job=None, _pool=None, _sandboxes=[], refused=None, _stopped=False)
        return state

    # ---------------------------------------------------------------- lifecycle (the worker's main thread)

    def setup(self, worker) -> None:
        from ..errors import GraderError
        from ..pipeline import prepare
        from ..sandbox import Sandbox, choose

        if self.version != __version__:
            self.refused = (f"worker {worker.address} runs grader {__version__}, the batch was started with "
                            f"grader {self.version}")
            return
        try:
            level = choose(self.isolation)
        except GraderError as e:
            self.refused = f"worker {worker.address}: {e}"
            return
        if level == "process" and not self.allow_unsandboxed:
            why = ("--isolation process was asked for" if self.isolation == "process"
                   else "bubblewrap is missing or namespaces are disabled")
            self.refused = (f"worker {worker.address} has no filesystem isolation ({why}) and "
                            "--allow-unsandboxed was not given")
            return
        reference = _load_reference(self.reference, self.rubric.digest)
        self._job = prepare(self.rubric, cases=_frozen_cases(self.cases), reference=reference)
        self._pool = queue.Queue()
        allow = self.rubric.settings.allow_packages
        for slot in range(max(1, int(getattr(worker, "nthreads", 1) or 1))):
            sb = Sandbox(level, slot=slot, allow=allow, hide=self.hide)
            sb.spawn()  # the zygote imports numpy while the first task travels
            self._sandboxes.append(sb)
            self._pool.put(sb)

    def teardown(self, worker) -> None:
        self._stopped = True
        for sb in self._sandboxes:
            try:
                sb.release()
            except Exception:  # noqa: BLE001 - stop every zygote, whatever one of them does
                pass
        self._sandboxes = []
        self._pool = None

    # ---------------------------------------------------------------- grading (a worker thread)

    def grade(self, payload: str) -> str:
        """Grade a chunk of submissions (a list, JSON text: :mod:`wire`) in a free sandbox; return their results.

        The results (JSON text) are in the chunk's order.  A chunk is graded whole or
        not at all: when the plugin is stopped midway (the batch was interrupted), the
        task gives no verdict, for any of its submissions.
        """
        if self.refused:
            raise WorkerRefused(self.refused)
        if self._pool is None or self._job is None:
            raise WorkerRefused("the grading plugin is not set up on this worker")
        from ..pipeline import Partial

        items = wire.read_task(wire.loads(payload))
        sb = self._pool.get()
        results = []
        try:
            sb.prepare(self._job.calls)  # (once ready, nothing to do): the chunk's first time is its own
            for submission, questions, previous in items:
                if self._stopped:
                    break
                partial = None if questions is None else Partial(questions, previous)
                # The sources are on the TA's machine already: they are not sent back.
                results.append(replace(self.grade_one(submission, sb, partial), files=()))
        finally:
            if self._pool is not None:
                self._pool.put(sb)
        if self._stopped:  # its sandbox was stopped under it (the batch was interrupted): no verdict
            raise WorkerRefused("the batch was stopped while this submission was being graded")
        return wire.dumps(results)

    def grade_one(self, submission, sandbox, partial=None):
        """Grade one decoded submission in ``sandbox`` (only ``partial``'s questions, when given), as a local slot does."""
        from ..batch import grade_safely

        return grade_safely(submission, self._job, sandbox, partial)


def plugin_name(rubric: Rubric, version: str) -> str:
    """A new name for the plugin of one batch: the rubric's digest, the version, and a random part."""
    import uuid

    return f"grader-{version}-{rubric.digest[:12]}-{uuid.uuid4().hex[:8]}"


def grade_task(name: str, payload: str) -> str:
    """The Dask task: grade a chunk of submissions with the plugin ``name`` of the worker it runs on."""
    plugin = get_worker().plugins.get(name)
    if plugin is None:
        raise WorkerRefused(f"the grading plugin {name!r} is not on this worker")
    return plugin.grade(payload)
