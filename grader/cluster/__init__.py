"""Grading a batch on a Dask cluster (``grader grade --cluster``): a task per chunk of submissions.

``wire.py``    the plain data a submission and its result travel as (no pickled objects of ours)
``worker.py``  the worker side: a Dask worker plugin with the job and a warm sandbox per worker thread
``runner.py``  the TA's side: connect or start ``local:N``, register the plugin, a task per chunk of up to 8

The TA's machine stays the single writer of the results (``grader.batch`` writes them
as each task finishes).  Dask is an optional dependency: ``pip install 'grader[dask]'``.
"""

from __future__ import annotations

from ..errors import GraderError

INSTALL_HINT = "pip install 'grader[dask]'"


class ClusterError(GraderError):
    """The cluster cannot be used: no Dask, a bad address, no scheduler, or the scheduler went away (exit 2)."""


def require_dask() -> None:
    """Raise :class:`ClusterError` saying how to install Dask when ``distributed`` cannot be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError as e:
        raise ClusterError(f"--cluster needs Dask distributed, which is not installed here ({e}); "
                           f"install it with: {INSTALL_HINT}") from None
