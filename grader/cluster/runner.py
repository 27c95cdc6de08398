"""The TA's side of a cluster batch: connect, send the job to every worker once, a task per chunk of submissions.

:class:`ClusterRunner` is what ``grader grade --cluster`` uses in place of local
sandboxes.  :func:`grader.batch.grade_batch` runs as it always does (the same skipping
of what is current, the same files written as results come back, the same gradebook,
progress and batch-wide files), with ``slots=runner.slot`` and ``chunk=runner.chunk``:
each of its slot threads takes up to :attr:`ClusterRunner.chunk` submissions (8), sends
them as one Dask task and writes their results when the task is back.  A task of 8
pays Dask's per-task cost (the scheduler's bookkeeping, two messages, the client's
futures) once for 8 submissions.  :attr:`ClusterRunner.in_flight` submissions are in
flight at once, twice the cluster's worker threads times the chunk by default, so that
each worker thread has a chunk queued while it grades one and never waits while the
TA's machine writes files.  A submission regraded after a rubric fix travels with the
questions to grade again and its earlier result (:func:`grader.cluster.wire.task_items`),
and the worker grades only those, as a local slot would.

A task's key is derived from its submissions' content and identity (their ids, sources,
lateness: two students handing in the same bytes are two submissions), the rubric's
digest and the grader version.  A worker that dies while grading a chunk costs the
chunk a retry on another worker; when it dies again (Dask's ``allowed-failures``: 1 on a
``local:N`` cluster, the scheduler's setting otherwise) the chunk is split up and each
of its submissions is sent again alone, so that the one that kills workers gets an
error result that says so and the others their ordinary results.  A scheduler that goes
away stops the batch with :class:`ClusterError`: what was written is kept, and the same
command (with or without ``--cluster``) grades only what is missing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import logging
import re
import signal
import threading
import time
from dataclasses import replace
from typing import Callable, Iterator, Sequence

from .. import __version__
from ..errors import IsolationError, cut
from ..model import Submission, SubmissionResult
from ..pipeline import Job, Partial, grade
from . import ClusterError, require_dask, wire

#: Seconds to wait for the scheduler to answer, and for a first worker to join.
CONNECT_TIMEOUT = 30.0
WORKERS_TIMEOUT = 120.0
#: Worker deaths a ``local:N`` cluster allows per task before giving up on it: one retry.
LOCAL_ALLOWED_FAILURES = 1
#: Most submissions one task carries (fewer when fewer are in flight: see :attr:`ClusterRunner.chunk`).
CHUNK = 8
_LOCAL = re.compile(r"^local:(\d+)$")


def parse_address(spec: str) -> tuple[str, int | None]:
    """Return ``("local", N)`` for ``local:N``, or ``(address, None)`` for a scheduler's address.

    >>> parse_address("local:2")
    ('local', 2)
    >>> parse_address("tcp://10.0.0.5:8786")
    ('tcp://10.0.0.5:8786', None)
    >>> parse_address("tcp://127.0.0.1:99999")
    Traceback (most recent call last):
    ...
    grader.cluster.ClusterError: --cluster 'tcp://127.0.0.1:99999': port 99999 is not a port (1 to 65535)
    """
    m = _LOCAL.match(spec.strip())
    if m:
        n = int(m.group(1))
        if n < 1:
            raise ClusterError(f"--cluster local:N needs at least one worker (got {spec!r})")
        return "local", n
    if spec.startswith("local"):
        raise ClusterError(f"--cluster {spec!r}: write local:N, N the number of worker processes (e.g. local:4)")
    if not re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s]+:\d+$", spec.strip()):
        raise ClusterError(f"--cluster {spec!r} is neither local:N nor a scheduler address like tcp://host:8786")
    port = int(spec.strip().rsplit(":", 1)[1])
    if not 0 < port < 65536:  # said now, not after the connection's time-out
        raise ClusterError(f"--cluster {spec!r}: port {port} is not a port (1 to 65535)")
    return spec.strip(), None


def check_spec(spec: str) -> None:
    """Raise :class:`ClusterError` unless Dask is installed and ``spec`` is ``local:N`` or an address."""
    require_dask()
    parse_address(spec)


def task_key(payload_json: str, rubric_digest: str, version: str) -> str:
    """The key of a task: a digest of its encoded submissions' content, the rubric's digest and the version.

    An encoded submission holds its id, source, lateness and files, so two students
    with identical files are two keys (Dask would otherwise hand both the first one's
    result); the same submissions, rubric and version give the same key.

    >>> task_key('{"a": 1}', "r", "0.1.0") == task_key('{"a": 1}', "r", "0.1.0")
    True
    >>> task_key('{"a": 1}', "r", "0.1.0") == task_key('{"a": 1}', "r2", "0.1.0")
    False
    """
    h = hashlib.sha256()
    for part in (payload_json, rubric_digest, version):
        b = part.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return f"grade-{h.hexdigest()[:32]}"


class ClusterRunner:
    """Grade a batch's submissions on a Dask cluster; a context manager.

    Parameters
    ----------
    spec : str
        ``local:N`` (a LocalCluster of N single-threaded worker processes on 127.0.0.1,
        started here and stopped on exit) or a running scheduler's address.
    job : Job
        The prepared rubric; its cases travel to each worker once, in the plugin.
    isolation : str
        The isolation level asked for; each worker picks (and reports) its own.
    allow_unsandboxed : bool
        Let workers without filesystem isolation grade.
    hide : sequence of str
        Paths the student's process must not see (on a worker of this machine).
    in_flight : int, optional
        Submissions in flight at once (``--jobs``; default: twice the worker threads at
        the start times :data:`CHUNK`).  Fewer than that makes smaller chunks.
    plugin_class : type, optional
        The worker plugin (tests inject faults with a subclass).
    """

    def __init__(self, spec: str, job: Job, *, isolation: str = "auto", allow_unsandboxed: bool = False,
                 hide: Sequence[str] = (), in_flight: int | None = None, plugin_class: type | None = None) -> None:
        require_dask()
        self.address, self.n_local = parse_address(spec)
        self.spec = spec
        self.job = job
        self.isolation = isolation
        self.allow_unsandboxed = allow_unsandboxed
        self.hide = tuple(hide)
        self._in_flight = in_flight
        self._plugin_class = plugin_class
        self.cluster = None
        self.client = None
        self.plugin_name = ""
        self.levels: dict[str, str] = {}  #: worker address -> isolation level
        self.allowed_failures = LOCAL_ALLOWED_FAILURES
        self.threads = 0
        self._closing = False
        self._quiet: dict[str, int] = {}  # Dask loggers quieted while connected to a scheduler: their levels before

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "ClusterRunner":
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        from distributed import Client

        from .worker import GradingPlugin, grade_task, plugin_name, worker_info  # noqa: F401

        if self.n_local is not None:
            try:
                self.cluster = local_cluster(self.n_local)
            except Exception as e:  # noqa: BLE001 - a worker that could not start: said, not a traceback
                raise ClusterError(f"could not start a local Dask cluster of {self.n_local} workers "
                                   f"({type(e).__name__}: {cut(str(e))}); grade without --cluster, or try again") from None
            # Results are fetched from the workers directly (on 127.0.0.1), not relayed by the scheduler.
            self.client = Client(self.cluster, timeout=CONNECT_TIMEOUT, set_as_default=False, direct_to_workers=True)
        else:
            # Dask's own logging of a scheduler lost mid-batch (tracebacks of its reconnect loop)
            # is not shown: the batch says it in one line (ClusterError), as a local:N cluster does.
            self._quiet = {name: logging.getLogger(name).level for name in _DASK_LOGGERS}
            for name in _DASK_LOGGERS:
                logging.getLogger(name).setLevel(logging.CRITICAL)
            probe_scheduler(self.address, CONNECT_TIMEOUT)
            try:
                self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except Exception as e:  # noqa: BLE001 - whatever Dask raises, the address is the TA's to fix
                raise ClusterError(f"cannot reach the Dask scheduler at {self.address} ({type(e).__name__}: {cut(str(e))}); "
                                   "is it running, and is the address right?") from None
            try:
                self.allowed_failures = int(self.client.run_on_scheduler(_allowed_failures))
            except Exception:  # noqa: BLE001 - a scheduler that refuses: Dask's default
                self.allowed_failures = 3
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (TimeoutError, OSError):
            raise ClusterError(f"no Dask worker joined the scheduler at {self.address} within "
                               f"{WORKERS_TIMEOUT:.0f} s") from None
        info = self.client.run(worker_info, self.isolation)
        versions = {w: i["version"] for w, i in info.items() if i["version"] != __version__}
        if versions:
            raise ClusterError("workers run another grader version than this machine's "
                               f"({__version__}): " + ", ".join(f"{w} has {v}" for w, v in sorted(versions.items()))
                               + "; install the same version on both")
        unavailable = {w: i["level"] for w, i in info.items() if i["level"].startswith("unavailable")}
        if unavailable:
            raise IsolationError("; ".join(f"worker {w}: {lvl}" for w, lvl in sorted(unavailable.items())))
        unsandboxed = sorted(w for w, i in info.items() if i["level"] == "process")
        if unsandboxed and not self.allow_unsandboxed:
            why, fix = (("--isolation process was asked for", "leave --isolation out")
                        if self.isolation == "process" else
                        ("bubblewrap is missing or namespaces are disabled", "install bubblewrap there"))
            raise IsolationError(
                f"no filesystem isolation on worker(s) {', '.join(unsandboxed)} ({why}), so student code could "
                f"read and write those machines' files and reach the Dask scheduler; {fix}, or pass "
                "--allow-unsandboxed to grade anyway")
        self.levels = {w: i["level"] for w, i in info.items()}
        cases = self.job.cases
        with open(self.job.rubric.reference_path, "rb") as f:
            reference = f.read()
        cls = self._plugin_class or GradingPlugin
        self.plugin_name = plugin_name(self.job.rubric, __version__)
        plugin = cls(self.job.rubric, reference, cases, isolation=self.isolation,
                     allow_unsandboxed=self.allow_unsandboxed, hide=self.hide, name=self.plugin_name)
        self.client.register_plugin(plugin, name=self.plugin_name)
        self.threads = sum(self.client.nthreads().values())

    def close(self) -> None:
        """Remove the plugin from the workers (stopping their zygotes), disconnect, stop a local cluster."""
        self._closing = True  # from now on a task that fails was stopped by us: no error result is written
        client, self.client = self.client, None
        cluster, self.cluster = self.cluster, None
        if client is not None:
            if self.plugin_name and client.status == "running":
                with contextlib.suppress(Exception):
                    client.unregister_worker_plugin(self.plugin_name)
            with contextlib.suppress(Exception):
                client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=30)
        quiet, self._quiet = self._quiet, {}
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)

    @property
    def in_flight(self) -> int:
        """Submissions sent at once: ``in_flight`` as given, or 2 x the worker threads x :data:`CHUNK`."""
        return self._in_flight or 2 * max(1, self.threads) * CHUNK

    @property
    def chunk(self) -> int:
        """Submissions per task: :data:`CHUNK`, or fewer so that each worker thread has two tasks in flight.

        A chunk is graded (and its results come back) as one: smaller chunks when few
        submissions are in flight keep every worker busy to the end of the batch.
        """
        return min(CHUNK, max(1, self.in_flight // (2 * max(1, self.threads))))

    @property
    def jobs(self) -> int:
        """The batch's slot threads (``grade_batch``'s ``jobs``): one per task in flight."""
        return -(-self.in_flight // self.chunk)

    @property
    def isolation_levels(self) -> str:
        """The workers' isolation levels, for the final line ("bwrap", or "bwrap, process")."""
        return ", ".join(sorted(set(self.levels.values()))) or self.isolation

    # ---------------------------------------------------------------- grading

    @contextlib.contextmanager
    def slot(self, i: int) -> Iterator[Callable[..., SubmissionResult | list[SubmissionResult]]]:
        """One slot of :func:`grader.batch.grade_batch` (with ``chunk=self.chunk``): grade on the cluster.

        Its function takes a chunk (a list of submissions, and optionally the list of their
        :class:`~grader.pipeline.Partial`, None for those graded whole) and returns their
        results, or, as a local slot's (``chunk`` 1), one submission and its partial and
        returns its result.
        """
        yield self.grade

    def grade(self, subs: Submission | Sequence[Submission],
              partials: Partial | Sequence[Partial | None] | None = None) -> SubmissionResult | list[SubmissionResult]:
        """:meth:`grade_chunk` of a chunk, or of one submission (with its partial) for its result alone."""
        if isinstance(subs, Submission):
            if partials is not None and not isinstance(partials, Partial):
                raise TypeError("one submission takes one Partial or None")
            return self.grade_chunk([subs], [partials])[0]
        return self.grade_chunk(subs, partials)

    def grade_chunk(self, subs: Sequence[Submission],
                    partials: Sequence[Partial | None] | None = None) -> list[SubmissionResult]:
        """Grade ``subs`` as one task; return their results in order (with their files, as a local slot would).

        ``partials`` (one per submission, None for one graded whole): for a regrade after a
        rubric change, the questions to grade again and the earlier result whose other
        verdicts are kept; they travel with the task, and the worker grades as a local
        slot would (:func:`grader.pipeline.grade`).  A submission that could not be loaded
        is decided here, as a local slot decides it (no sandbox).  A chunk whose worker
        died ``allowed_failures + 1`` times is split up: each of its submissions is sent
        again as a task of its own.
        """
        if partials is None:
            partials = [None] * len(subs)
        if len(partials) != len(subs):
            raise ValueError(f"{len(partials)} partials for {len(subs)} submissions")
        results: list[SubmissionResult | None] = [None] * len(subs)
        todo = []
        for i, sub in enumerate(subs):
            if sub.error:
                results[i] = grade(sub, self.job, None)
            else:
                todo.append(i)
        if len(todo) == 1:
            results[todo[0]] = self._single(subs[todo[0]], partials[todo[0]])
        elif todo:
            chunk = [subs[i] for i in todo]
            parts = [partials[i] for i in todo]
            future = self._submit(chunk, parts)
            try:
                decided = self._wait(future, chunk)
            finally:
                with contextlib.suppress(Exception):
                    future.release()
            if decided is None:  # the chunk killed its workers, or failed on them: each submission alone
                futures = [self._submit([sub], [part]) for sub, part in zip(chunk, parts)]
                try:
                    decided = [self._outcome(f, sub) for f, sub in zip(futures, chunk)]
                finally:
                    for f in futures:
                        with contextlib.suppress(Exception):
                            f.release()
            for i, result in zip(todo, decided):
                results[i] = result
        return results  # type: ignore[return-value]

    def _single(self, sub: Submission, partial: Partial | None = None) -> SubmissionResult:
        future = self._submit([sub], [partial])
        try:
            return self._outcome(future, sub)
        finally:
            with contextlib.suppress(Exception):
                future.release()

    def _submit(self, subs: Sequence[Submission], partials: Sequence[Partial | None] | None = None):
        """Send ``subs`` (with their partials, :func:`wire.task_items`) as one task; return its future."""
        from .worker import grade_task

        client = self.client
        if client is None or self._closing:
            raise self._lost(concurrent.futures.CancelledError())
        payload = wire.dumps(wire.task_items(subs, partials))
        key = task_key(payload, self.job.rubric.digest, __version__)
        try:
            return client.submit(grade_task, self.plugin_name, payload, key=key, retries=0)
        except Exception as e:  # noqa: BLE001 - a client that lost its scheduler
            raise self._lost(e) from None

    def _wait(self, future, subs: Sequence[Submission]) -> list[SubmissionResult] | None:
        """Wait for a chunk's task: its results, or None when its worker died or it failed on a worker."""
        from distributed import KilledWorker

        try:
            data = future.result()
        except KilledWorker as e:
            if self._closing:
                raise self._lost(e) from None
            return None
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError) as e:
            raise self._lost(e) from None
        except Exception as e:  # noqa: BLE001 - raised on the worker
            if self._closing or self.client is None or self.client.status != "running":
                raise self._lost(e) from None
            return None
        try:
            return self._read(data, subs)
        except wire.WireError:
            return None

    def _outcome(self, future, sub: Submission) -> SubmissionResult:
        """Wait for the task of ``sub`` alone: its result, or an error result saying why there is none."""
        from distributed import KilledWorker

        try:
            data = future.result()
        except KilledWorker as e:
            if self._closing:
                raise self._lost(e) from None
            deaths = getattr(e, "allowed_failures", self.allowed_failures) + 1
            return self._error(sub, f"the cluster worker grading this submission died {deaths} times while grading "
                                    "it (killed, or out of memory); it was retried alone, then given up. The rest of "
                                    "the batch was graded")
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError) as e:
            raise self._lost(e) from None
        except Exception as e:  # noqa: BLE001 - raised on the worker: costs this submission only
            if self._closing or self.client is None or self.client.status != "running":
                raise self._lost(e) from None
            return self._error(sub, f"the grader failed on a cluster worker ({type(e).__name__}: {str(e)[:200]}); "
                                    "this is a bug in grader, or a worker that cannot grade: please report it")
        try:
            return self._read(data, [sub])[0]
        except wire.WireError as e:
            return self._error(sub, f"what the cluster worker sent back could not be read ({cut(str(e))})")

    def _read(self, data: object, subs: Sequence[Submission]) -> list[SubmissionResult]:
        """The results a task sent back, with their submissions' files; raise WireError if they cannot be read."""
        if self._closing:  # graded while the batch was being stopped: not recorded, a rerun grades it
            raise self._lost(concurrent.futures.CancelledError())
        results = wire.loads(data)
        if type(results) is not list or len(results) != len(subs) or not all(
                isinstance(r, SubmissionResult) and r.submission == s.id for r, s in zip(results, subs)):
            raise wire.WireError(f"not the results of the task's {len(subs)} submission(s)")
        return [replace(r, files=s.files) for r, s in zip(results, subs)]

    def _error(self, sub: Submission, why: str) -> SubmissionResult:
        return grade(replace(sub, error=why), self.job, None)

    def _lost(self, e: BaseException) -> ClusterError:
        where = f"at {self.address}" if self.n_local is None else f"(local:{self.n_local})"
        return ClusterError(f"lost the Dask scheduler {where} ({type(e).__name__}); the results written so far "
                            "are kept: run the same command again, with or without --cluster, to grade the rest")


#: Dask settings of a ``local:N`` cluster (the nannies pass them on to their workers).
LOCAL_CONFIG = {
    "distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
    # Dask's statistical profiler samples every thread's stack 100 times a second, and its
    # monitors wake several times a second: ~2.5 % of a core per idle worker here, more
    # per submission on a loaded machine.  Off, or once a second (~0.3 %).
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "1s",
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}


#: Dask's loggers that speak while a client reconnects to a scheduler that went away.
_DASK_LOGGERS = ("distributed.client", "distributed.comm", "distributed.core", "distributed.batched")


def probe_scheduler(address: str, timeout: float) -> None:
    """Raise :class:`ClusterError` unless a Dask scheduler answers at `address` within `timeout` seconds.

    Dask's client waits for ever on a peer that accepts the connection and never answers (a
    typo'd port of another service, a port-forward whose backend is not up), and a ``tls://``
    address without Dask's TLS settings fails with a TypeError: both are said here, in one
    line, before any client is made.  The probe asks the scheduler who it is (Dask's
    ``identity``), with Dask's security settings (``distributed.comm.tls.*``) for ``tls://``.
    """
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    async def ask() -> object:
        args = Security().get_connection_args("client")
        # Dask's connect retries a refused port until `timeout` and then raises OSError ("cannot
        # reach"); it waits for ever on a peer that accepts and never speaks: given a few seconds more.
        comm = await asyncio.wait_for(connect(address, timeout=timeout, **args), timeout + 5)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    t0 = time.monotonic()
    try:
        reply = asyncio.run(ask())
    except (asyncio.TimeoutError, TimeoutError):
        raise ClusterError(f"no Dask scheduler answered at {address} in {time.monotonic() - t0:.0f} s: something "
                           "may listen there that is not a scheduler (another service, a port-forward whose "
                           "scheduler is not up); is the address right?") from None
    except TypeError as e:
        if address.startswith("tls://"):
            raise ClusterError(f"{address}: a tls:// scheduler needs Dask's TLS settings on this machine "
                               "(distributed.comm.tls.ca-file, .client.cert and .client.key in Dask's configuration, "
                               "or DASK_DISTRIBUTED__COMM__TLS__... variables)") from None
        raise ClusterError(f"cannot reach the Dask scheduler at {address} (TypeError: {e})") from None
    except Exception as e:  # noqa: BLE001 - refused, unresolvable, reset: the address is the TA's to fix
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({type(e).__name__}: {cut(str(e))}); "
                           "is it running, and is the address right?") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ClusterError(f"what answers at {address} is not a Dask scheduler (it said it is "
                           f"{str(reply.get('type') if isinstance(reply, dict) else type(reply).__name__)[:80]!r})")


def local_cluster(n: int):
    """Start a ``LocalCluster`` of ``n`` single-threaded worker processes (with nannies) on 127.0.0.1, no dashboard.

    With :data:`LOCAL_CONFIG`: allowed-failures 1, a task whose worker dies is retried
    once; worker-saturation 1.0, a worker holds only the tasks it runs (the rest wait on
    the scheduler), so a worker's death counts against the submission it was grading, not
    against one queued behind it.  The scheduler runs in this process; stop the cluster
    with ``close()``.
    """
    import dask
    from distributed import LocalCluster

    # Ctrl-C in a terminal reaches every process of the foreground group: the nannies and
    # workers are started with SIGINT ignored (inherited), so that only the grader's process
    # takes it and stops the cluster itself, rather than workers dying under their tasks.
    # (A Ctrl-C in those seconds is lost: recording it with a handler instead lets it reach a
    # worker being spawned, whose nanny then fails to start.)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        with dask.config.set(LOCAL_CONFIG):
            # No dashboard; the scheduler's small HTTP server (health, metrics) on a free loopback port.
            return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                dashboard_address=None, silence_logs=logging.CRITICAL,
                                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _allowed_failures(dask_scheduler=None) -> int:
    return int(dask_scheduler.allowed_failures)
