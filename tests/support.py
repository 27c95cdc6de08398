"""Test helpers: wrap Python values as the sandbox's Values, and grade corpus submissions in-process.

The in-process runner stands in for the sandbox in unit tests of judging (it imports the
corpus files of ``tests/submissions`` into the test process: our own files, not students').
It mirrors what ``_worker.py`` does with a call: copies the arguments, picks the arity,
describes the result as plain arrays, echoes the arguments, and takes central differences
for ``kind="numgrad"`` calls.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Mapping

import numpy as np

from grader import cases as cases_mod
from grader import checks
from grader.model import Call, CallOutcome, CheckResult, Consistency, Dataset, ErrorInfo, Rubric, Value

HERE = Path(__file__).parent
SUBMISSIONS = HERE / "submissions"
ROOT = HERE.parent
STARTER = ROOT / "rubrics" / "word2vec" / "starter"


@functools.lru_cache(maxsize=None)
def builtin() -> tuple[Rubric, ModuleType, dict]:
    """Return the built-in rubric, its reference module and its cases (built once per test session)."""
    from grader.rubric import load_rubric

    rubric = load_rubric()
    reference = cases_mod.load_reference(rubric)
    return rubric, reference, cases_mod.build(rubric, reference)


def value_of(obj: Any, *, returns: int = 0) -> Value:
    """Return `obj` as the grader receives it from the sandbox.

    ndarray -> ``Value("ndarray", dtype.str, shape, array)``; tuple -> ``Value("tuple",
    items=...)``; a list is an array when numpy can make a numeric one of it (as the
    worker does), else items; when `returns` > 1 (a function returning several values) a
    list is items too; float -> ``Value("float", "<f8", (), array)``; None -> "NoneType".
    """
    if obj is None:
        return Value(type="NoneType")
    if isinstance(obj, tuple) or (returns > 1 and isinstance(obj, list)):
        return Value(type=type(obj).__name__, items=tuple(value_of(v) for v in obj), shape=(len(obj),))
    try:
        a = np.asarray(obj)
    except ValueError:  # a ragged list
        return Value(type=type(obj).__name__, items=tuple(value_of(v) for v in obj), shape=(len(obj),))
    if a.dtype.kind not in "biuf":
        return Value(type=type(obj).__name__, dtype=a.dtype.str, shape=tuple(a.shape), repr=repr(obj)[:300])
    a = np.array(a, copy=True)
    return Value(type=type(obj).__name__, dtype=a.dtype.str, shape=tuple(a.shape), array=a)


class FakeDataset:
    """What the student's code gets for a `Dataset` marker argument."""

    def __init__(self, vocab: int, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._vocab = vocab

    def sampleTokenIdx(self) -> int:  # noqa: N802 - the course's name
        return self._rng.randrange(self._vocab)


def _arg(a: Any) -> Any:
    if isinstance(a, Dataset):
        return FakeDataset(a.vocab, a.seed)
    if isinstance(a, np.ndarray):
        return np.array(a, copy=True)
    return a


def _arity(fn, n: int, arities: tuple[int, ...]) -> int:
    """Return the first accepted argument count `fn` can take (as the worker does)."""
    sig = inspect.signature(fn)
    for k in arities or (n,):
        try:
            sig.bind(*range(k))
            return k
        except TypeError:
            continue
    return n


def call(fn, c: Call, rubric: Rubric) -> CallOutcome:
    """Make call `c` to `fn` in this process and return what the sandbox would report."""
    spec = rubric.functions[c.function]
    args = [_arg(a) for a in c.args]
    n = _arity(fn, len(args), spec.arities)
    try:
        with np.errstate(all="ignore"):
            if c.kind == "numgrad":
                value = Value("tuple", items=tuple(value_of(g) for g in _numgrad(fn, args[:n], c.numgrad)))
            else:
                value = value_of(fn(*args[:n]), returns=len(spec.returns))
    except Exception as e:  # noqa: BLE001 - the student's exception is the outcome
        return CallOutcome(call=c.id, status="raised", error=ErrorInfo(type(e).__name__, str(e)),
                           message=f"{spec.names[0]} raised {type(e).__name__}" + (f": {e}" if str(e) else "."))
    echoed = tuple(value_of(a) if isinstance(a, np.ndarray) else None for a in args) if c.echo_args else ()
    return CallOutcome(call=c.id, status="ok", value=value, echoed=echoed)


def _numgrad(fn, args: list, spec: Mapping[str, Any]) -> list[np.ndarray]:
    """Central differences of returned[output] with respect to each wrt argument, in float64."""
    h, out_i = float(spec["h"]), int(spec["output"])
    sample = spec.get("sample") or [None] * len(spec["wrt"])
    grads = []
    for i, picked in zip(spec["wrt"], sample):
        x = np.array(args[i], dtype=np.float64)
        # As the worker does: only the sampled flat indices, as a 1-D result in their order.
        where = [np.unravel_index(j, x.shape) for j in picked] if picked is not None else list(np.ndindex(x.shape))
        g = np.zeros(len(where)) if picked is not None else np.zeros_like(x)
        for n, idx in enumerate(where):
            vals = []
            for step in (h, -h):
                y = x.copy()
                y[idx] += step
                a = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in args]
                a[i] = y
                r = fn(*a)
                vals.append(float(np.asarray(r[out_i] if isinstance(r, (tuple, list)) else r,
                                             dtype=np.float64).reshape(-1)[0]))
            g[n if picked is not None else idx] = (vals[0] - vals[1]) / (2 * h)
        grads.append(g)
    return grads


@contextlib.contextmanager
def imported(*paths: Path, starter: bool = True) -> Iterator[dict[str, ModuleType]]:
    """Import the .py files of `paths` (files or folders) as a submission would be; undo afterwards.

    Folders go on ``sys.path`` (their files import each other by name), then the starter
    stand-ins; a single file is imported under its stem with '-' replaced by '_'.
    Yields module name -> module.
    """
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    modules: dict[str, ModuleType] = {}
    try:
        folders = [p for p in paths if p.is_dir()]
        sys.path[:0] = [str(p) for p in folders] + ([str(STARTER)] if starter else [])
        for p in paths:
            files = sorted(p.glob("*.py")) if p.is_dir() else [p]
            for f in files:
                name = f.stem.replace("-", "_")
                if f.parent in folders and name in sys.modules:
                    modules[name] = sys.modules[name]
                    continue
                spec = importlib.util.spec_from_file_location(name, f)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                modules[name] = module
        yield modules
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            del sys.modules[name]


def find(modules: Mapping[str, ModuleType], rubric: Rubric, role: str):
    """Return the student's function for `role`: the rubric's modules first, then any module."""
    spec = rubric.functions[role]
    order = [m for m in spec.modules if m in modules] + [m for m in modules if m not in spec.modules]
    for m in order:
        for name in spec.names:
            f = getattr(modules[m], name, None)
            if callable(f):
                return f
    return None


def run(modules: Mapping[str, ModuleType], rubric: Rubric, calls: list[Call]) -> dict[str, CallOutcome]:
    """Make every call with the functions found in `modules`; a missing function gives status "missing"."""
    out = {}
    for c in calls:
        fn = find(modules, rubric, c.function)
        if fn is None:
            out[c.id] = CallOutcome(call=c.id, status="missing", message=f"no function for {c.function}")
        else:
            out[c.id] = call(fn, c, rubric)
    return out


def grade(modules: Mapping[str, ModuleType], rubric: Rubric, cases: Mapping, reference: ModuleType,
          *, consistency: bool = False) -> tuple[dict[str, CheckResult], tuple[Consistency, ...]]:
    """Judge every check of `rubric` on the functions in `modules`; return results by id (and consistency)."""
    calls = [c for c in cases_mod.plan(rubric, cases) if consistency or c.kind == "call"]
    outcomes = run(modules, rubric, calls)
    results = {s.id: checks.judge(s, cases[s.case], outcomes.get(f"{s.function}:{s.case}"), rubric, reference)
               for s in rubric.checks()}
    return results, (checks.consistency(rubric, cases, outcomes) if consistency else ())


def kit_pytest_alone(kit: Path, *args: str) -> str:
    """What the kit's own pytest prints in `kit`, run as a student runs it: without grader on the path."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=kit,
                          capture_output=True, text=True, timeout=300, env=env).stdout
