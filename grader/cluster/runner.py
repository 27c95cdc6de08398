"""The TA's side of a cluster batch: connect, send the job to every worker once, one task per submission.

:class:`ClusterRunner` is what ``grader grade --cluster`` uses in place of local
sandboxes.  :func:`grader.batch.grade_batch` runs as it always does (the same skipping
of what is current, the same files written as each submission finishes, the same
gradebook, progress and batch-wide files), with ``slots=runner.slot``: each of its
slot threads sends a submission as one Dask task and waits for the decided result, so
``jobs`` is the number of submissions in flight (:attr:`ClusterRunner.in_flight`, twice
the cluster's worker threads by default, so that no worker waits while the TA's
machine writes files).

A task's key is derived from the submission's content and identity (its id, source,
lateness: two students handing in the same bytes are two tasks), the rubric's digest
and the grader version.  A worker that dies while grading costs that submission a
retry on another worker; when it dies again (Dask's ``allowed-failures``: 1 on a
``local:N`` cluster, the scheduler's setting otherwise) the submission gets an error
result that says so and the batch goes on.  A scheduler that goes away stops the batch
with :class:`ClusterError`: what was written is kept, and the same command (with or
without ``--cluster``) grades only what is missing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import logging
import re
import signal
import threading
from dataclasses import replace
from typing import Callable, Iterator, Sequence

from .. import __version__
from ..errors import IsolationError
from ..model import Submission, SubmissionResult
from ..pipeline import Job, grade
from . import ClusterError, require_dask, wire

#: Seconds to wait for the scheduler to answer, and for a first worker to join.
CONNECT_TIMEOUT = 30.0
WORKERS_TIMEOUT = 120.0
#: Worker deaths a ``local:N`` cluster allows per task before giving up on it: one retry.
LOCAL_ALLOWED_FAILURES = 1
_LOCAL = re.compile(r"^local:(\d+)$")


def parse_address(spec: str) -> tuple[str, int | None]:
    """Return ``("local", N)`` for ``local:N``, or ``(address, None)`` for a scheduler's address.

    >>> parse_address("local:2")
    ('local', 2)
    >>> parse_address("tcp://10.0.0.5:8786")
    ('tcp://10.0.0.5:8786', None)
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
    return spec.strip(), None


def check_spec(spec: str) -> None:
    """Raise :class:`ClusterError` unless Dask is installed and ``spec`` is ``local:N`` or an address."""
    require_dask()
    parse_address(spec)


def task_key(payload_json: str, rubric_digest: str, version: str) -> str:
    """The task key of one submission: a digest of its encoded content, the rubric's and the version.

    The encoded submission holds its id, source, lateness and files, so two students
    with identical files are two keys (Dask would otherwise hand both the first one's
    result); the same submission, rubric and version give the same key.

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
        Submissions in flight at once (default: twice the worker threads at the start).
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
            self.cluster = local_cluster(self.n_local)
            # Results are fetched from the workers directly (on 127.0.0.1), not relayed by the scheduler.
            self.client = Client(self.cluster, timeout=CONNECT_TIMEOUT, set_as_default=False, direct_to_workers=True)
        else:
            try:
                self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise ClusterError(f"cannot reach the Dask scheduler at {self.address} ({type(e).__name__}: {e}); "
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
            raise IsolationError(
                f"no filesystem isolation on worker(s) {', '.join(unsandboxed)} (bubblewrap is missing or namespaces "
                "are disabled), so student code could read and write those machines' files and reach the Dask "
                "scheduler; install bubblewrap there, or pass --allow-unsandboxed to grade anyway")
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

    @property
    def in_flight(self) -> int:
        """Submissions sent at once (the batch's slot threads)."""
        return self._in_flight or max(2, 2 * self.threads)

    @property
    def isolation_levels(self) -> str:
        """The workers' isolation levels, for the final line ("bwrap", or "bwrap, process")."""
        return ", ".join(sorted(set(self.levels.values()))) or self.isolation

    # ---------------------------------------------------------------- grading

    @contextlib.contextmanager
    def slot(self, i: int) -> Iterator[Callable[[Submission], SubmissionResult]]:
        """One slot of :func:`grader.batch.grade_batch`: a function grading a submission on the cluster."""
        yield self.grade

    def grade(self, sub: Submission) -> SubmissionResult:
        """Grade ``sub`` as one task; return its result (with its files, as a local slot would)."""
        from distributed import KilledWorker

        from .worker import grade_task

        job = self.job
        if sub.error:  # nothing could be loaded: decided here, as a local slot decides it (no sandbox)
            return grade(sub, job, None)
        client = self.client
        if client is None:
            raise ClusterError("the cluster is closed")
        payload = wire.dumps(sub)
        key = task_key(payload, job.rubric.digest, __version__)
        try:
            future = client.submit(grade_task, self.plugin_name, payload, key=key, retries=0)
        except Exception as e:  # noqa: BLE001 - a client that lost its scheduler
            raise self._lost(e) from None
        try:
            data = future.result()
        except KilledWorker as e:
            if self._closing:
                raise self._lost(e) from None
            deaths = getattr(e, "allowed_failures", self.allowed_failures) + 1
            return self._error(sub, f"the cluster worker grading this submission died {deaths} times while grading "
                                    "it (killed, or out of memory); it was retried, then given up. The rest of the "
                                    "batch was graded")
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError) as e:
            raise self._lost(e) from None
        except Exception as e:  # noqa: BLE001 - raised on the worker: costs this submission only
            if self._closing or self.client is None or self.client.status != "running":
                raise self._lost(e) from None
            return self._error(sub, f"the grader failed on a cluster worker ({type(e).__name__}: {str(e)[:200]}); "
                                    "this is a bug in grader, or a worker that cannot grade: please report it")
        finally:
            with contextlib.suppress(Exception):
                future.release()
        if self._closing:  # graded while the batch was being stopped: not recorded, a rerun grades it
            raise self._lost(concurrent.futures.CancelledError())
        try:
            result = wire.loads(data)
            if not isinstance(result, SubmissionResult):
                raise wire.WireError(f"a {type(result).__name__} instead of a result")
        except wire.WireError as e:
            return self._error(sub, f"what the cluster worker sent back could not be read ({e})")
        return replace(result, files=sub.files)

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
