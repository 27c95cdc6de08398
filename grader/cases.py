"""Make a rubric's cases real (inputs from seeds, expected values from the reference) and plan the calls.

Runs in the grader's process only: the reference module is imported here, never in a
student's process, and the expected values never leave this process.  Building is cheap
(a few milliseconds for the built-in rubric) and done once per batch.
"""

from __future__ import annotations

import hashlib
import os
import importlib.util
import sys
from types import ModuleType
from typing import Any, Mapping

import numpy as np

from .errors import RubricError, cut
from .model import Built, Call, Case, CostFn, Dataset, Rubric

_loaded: dict[tuple[str, int, int], ModuleType] = {}


def load_reference(rubric: Rubric) -> ModuleType:
    """Import the rubric's reference module from its file path.

    The module is registered in ``sys.modules`` under a private name derived from its
    path (so that two rubrics' references never collide) and cached until the file
    changes.

    Parameters
    ----------
    rubric : Rubric
        A loaded rubric; its ``reference_path`` is absolute.

    Returns
    -------
    module
        The reference module.

    Raises
    ------
    RubricError
        When the file cannot be imported (the message gives the exception).
    """
    path = rubric.reference_path
    try:
        st = os.stat(path)
    except OSError:
        raise RubricError(rubric.path or rubric.name, "reference", f"file not found: {path!r}") from None
    key = (path, st.st_mtime_ns, st.st_size)
    if key in _loaded:
        return _loaded[key]
    name = "_grader_reference_" + hashlib.sha256(path.encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RubricError(rubric.path or rubric.name, "reference", f"{path!r} can't be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # the TA's code: say what failed, where
        del sys.modules[name]
        raise RubricError(rubric.path or rubric.name, "reference",
                          f"importing it failed: {type(e).__name__}: {cut(str(e))}") from e
    _loaded[key] = module
    return module


def _copy(a: Any) -> Any:
    """Return a private copy of an argument (a writable array for arrays)."""
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a


def _frozen(a: Any) -> Any:
    """Return `a` with its array data made read-only, so nothing in the grader changes a case."""
    if isinstance(a, np.ndarray):
        a = np.array(a, copy=True)
        a.setflags(write=False)
    elif isinstance(a, list):
        a = list(a)
    elif isinstance(a, dict):
        a = dict(a)
    return a


def _check_arg(a: Any) -> bool:
    """Return True for the argument types a case may hold (the wire format carries them)."""
    if isinstance(a, np.ndarray):
        return a.dtype.kind in "biuf"
    if isinstance(a, str):  # a word (skip-gram's center word)
        return True
    if isinstance(a, list):  # words (the context)
        return all(isinstance(w, str) for w in a)
    if isinstance(a, dict):  # tokens: word -> index
        return all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in a.items())
    return a is None or isinstance(a, (bool, int, float, np.integer, np.floating, Dataset, Built, CostFn))


def scripted(args: tuple) -> Dataset | None:
    """Return the scripted Dataset among a case's arguments (negative sampling), or None.

    The expected values of such a case depend on what each student draws: they are
    computed when the draws are known (``grader.sampling.resolve``), not here.
    """
    for a in args:
        if isinstance(a, Dataset) and a.script:
            return a
    return None


def private(args: tuple) -> bool:
    """Whether a case carries a grader-supplied cost function's table (its call is private and made last)."""
    return any(isinstance(a, CostFn) and a.table for a in args)


def build(rubric: Rubric, reference: ModuleType | None = None) -> dict[str, Case]:
    """Generate every case's inputs from its seed and compute its expected values.

    For each case, ``args = generator(numpy.random.default_rng(seed), **params)``, and
    ``expected[name] = reference.name(*args)`` for every ``expected`` function named by a
    "close" check on that case.  Arrays are made read-only; the reference works on copies.

    Parameters
    ----------
    rubric : Rubric
        A loaded rubric.
    reference : module, optional
        The reference module; loaded with :func:`load_reference` when None.

    Returns
    -------
    dict
        Case id -> Case, in the rubric's order.

    Raises
    ------
    RubricError
        When a generator or an expected-value function fails or returns something unusable.
    """
    ref = reference if reference is not None else load_reference(rubric)
    where_path = rubric.path or rubric.name
    wanted: dict[str, list[str]] = {}
    for spec in rubric.checks():
        names = [spec.expected] if spec.compare == "close" or spec.expected else []
        names += [f for conv in spec.conventions.values() for f in conv.values()]
        for name in names:
            if name not in wanted.setdefault(spec.case, []):
                wanted[spec.case].append(name)
    out: dict[str, Case] = {}
    for cid, cs in rubric.cases.items():
        where = f"cases.{cid}"
        gen = getattr(ref, cs.generator, None)
        if not callable(gen):
            raise RubricError(where_path, where, f"the reference module defines no generator {cs.generator!r}")
        try:
            args = gen(np.random.default_rng(cs.seed), **dict(cs.params))
        except Exception as e:
            raise RubricError(where_path, where, f"generator {cs.generator!r} failed: {type(e).__name__}: {cut(str(e))}") from e
        if not isinstance(args, tuple):
            raise RubricError(where_path, where, f"generator {cs.generator!r} must return a tuple of arguments, "
                                                 f"not {type(args).__name__}")
        for i, a in enumerate(args):
            if not _check_arg(a):
                raise RubricError(where_path, where, f"generator {cs.generator!r} returned argument {i} of type "
                                                     f"{type(a).__name__}; expected a numeric array, a number or a Dataset")
        fn = rubric.functions[cs.function]
        if fn.params and len(args) != len(fn.params):
            raise RubricError(where_path, where, f"generator {cs.generator!r} returned {len(args)} arguments; "
                                                 f"{cs.function} takes {len(fn.params)} ({', '.join(fn.params)})")
        expected: dict[str, np.ndarray] = {}
        for name in wanted.get(cid, []) if scripted(args) is None else []:
            f = getattr(ref, name, None)
            if not callable(f):
                raise RubricError(where_path, where, f"the reference module defines no function {name!r}")
            try:
                raw = f(*[_copy(a) for a in args])
                unusable = _unusable_expected(raw)
                value = np.array(raw, dtype=np.float64) if not unusable else None
            except Exception as e:
                raise RubricError(where_path, where, f"{name!r} failed on this case: {type(e).__name__}: {cut(str(e))}") from e
            if value is not None and np.isnan(value).any():
                unusable = (f"NaN in {int(np.isnan(value).sum())} of its {value.size} values, and no answer is "
                            "within tolerance of NaN")
            if unusable:
                raise RubricError(where_path, where, f"{name!r} returned {unusable}; an expected value is real numbers")
            value.setflags(write=False)
            expected[name] = value
        out[cid] = Case(spec=cs, args=tuple(_frozen(a) for a in args), expected=expected)
    return out


def _unusable_expected(raw: Any) -> str:
    """Why an expected-value function's return cannot be an expected value ("" when it can)."""
    if raw is None:
        return "None (a missing return statement?)"
    try:
        kind = np.asarray(raw).dtype.kind
    except Exception:  # noqa: BLE001 - ragged: np.array says so below
        return ""
    if kind == "c":
        return "complex numbers"
    if kind in "USO" and not isinstance(raw, (tuple, list)):
        return f"{type(raw).__name__} {str(raw)[:40]!r}, not numbers"
    return ""


def _size(a: Any) -> int:
    """Return the number of elements of an array argument (0 for anything else)."""
    return int(a.size) if isinstance(a, np.ndarray) else 0


def sample_indices(consistency: Mapping[str, Any], params: tuple[str, ...], case: Case) -> list[list[int] | None] | None:
    """Return the flat indices the numerical gradient differentiates on `case`, per ``wrt`` argument.

    With the ``[consistency]`` table's ``sample = N``, an argument of more than N elements
    gets N distinct flat (C-order) indices, drawn without replacement by
    ``numpy.random.default_rng(case seed)`` (one generator per case, drawing for the ``wrt``
    arguments in order) and sorted; a smaller argument gets None (every element).  Returns
    None when nothing is sampled (no ``sample``, or every argument small enough).

    Parameters
    ----------
    consistency : mapping
        The rubric's ``consistency`` table (see :mod:`grader.rubric`).
    params : tuple of str
        The function's parameter names (``wrt`` maps gradients to them).
    case : Case
        The case differentiated on.

    Examples
    --------
    >>> from grader.model import CaseSpec
    >>> case = Case(CaseSpec("c", "f", "gen", seed=7), (np.zeros(3), np.zeros((4, 5))), {})
    >>> con = {"wrt": {"gx": "x", "gw": "w"}, "sample": 4}
    >>> small, picked = sample_indices(con, ("x", "w"), case)
    >>> small is None, len(picked), picked == sorted(set(picked)), all(0 <= i < 20 for i in picked)
    (True, 4, True, True)
    >>> sample_indices(dict(con, sample=None), ("x", "w"), case) is None
    True
    """
    n = consistency.get("sample")
    if not n:
        return None
    given = (consistency.get("drawn") or {}).get(case.spec.id)
    if given is not None:  # a student kit's: the grader drew them with the seed the kit does not carry
        out_given = [list(p) if p else None for p in given]
        return out_given if any(e is not None for e in out_given) else None
    rng = np.random.default_rng(case.spec.seed)
    out: list[list[int] | None] = []
    for param in consistency["wrt"].values():
        size = _size(case.args[params.index(param)])
        if size <= n:
            out.append(None)
        else:
            out.append(sorted(int(i) for i in rng.choice(size, size=n, replace=False)))
    return out if any(e is not None for e in out) else None


def plan(rubric: Rubric, cases: Mapping[str, Case]) -> list[Call]:
    """Return the calls the student's process must make for `rubric`'s checks on `cases`.

    One ``Call`` per (role, case) used by a check, id ``"<role>:<case>"``, with the largest
    of its checks' timeouts, ``echo_args`` when a check compares "unmodified", ``max_elems``
    four times the largest value expected back (at least 64), ``withhold`` the stand-ins
    that provide the role, and ``hidden`` when only hidden checks use the case.
    Then, for each case of the ``[consistency]`` table, a plain call
    (when no check made one) and a ``kind="numgrad"`` call, id ``"numgrad:<role>:<case>"``,
    whose ``numgrad["sample"]`` lists the flat indices to differentiate when the table sets
    ``sample`` (see :func:`sample_indices`).
    Checks whose case is not in `cases` (a student kit without hidden cases) are skipped.

    Parameters
    ----------
    rubric : Rubric
        A loaded rubric.
    cases : mapping
        Case id -> Case, from :func:`build` or a student kit.

    Returns
    -------
    list of Call
        In the order checks first use them, the numgrad calls last.
    """
    acc: dict[tuple[str, str], dict[str, Any]] = {}

    def entry(role: str, cid: str) -> dict[str, Any]:
        return acc.setdefault((role, cid), {"timeout": 0.0, "echo": False, "size": 0})

    for spec in rubric.checks():
        case = cases.get(spec.case)
        if case is None:
            continue
        e = entry(spec.function, spec.case)
        e["timeout"] = max(e["timeout"], spec.timeout)
        if spec.compare == "unmodified":
            e["echo"] = True
            e["size"] = max([e["size"], *(_size(a) for a in case.args)])
        elif spec.expected in case.expected:
            e["size"] = max(e["size"], int(np.asarray(case.expected[spec.expected]).size))
        elif scripted(case.args) is not None or spec.compare == "property":
            # expected values come with the draws, or nothing is expected: an answer as large as the inputs
            e["size"] = max([e["size"], *(_size(a) for a in case.args)])
    con = rubric.consistency
    numgrad_calls = []
    if con:
        role = con["function"]
        fn = rubric.functions[role]
        spec_n = {"output": fn.returns.index(con["cost"]),
                  "wrt": [fn.params.index(p) for p in con["wrt"].values()], "h": con["h"]}
        for cid in con["cases"]:
            case = cases.get(cid)
            if case is None:
                continue
            e = entry(role, cid)
            if e["timeout"] == 0.0:
                e["timeout"] = 2.0
            e["size"] = max([e["size"], *(_size(case.args[i]) for i in spec_n["wrt"])])
            numgrad = dict(spec_n, wrt=list(spec_n["wrt"]))
            sample = sample_indices(con, fn.params, case)
            if sample is not None:
                numgrad["sample"] = sample
            numgrad_calls.append(Call(
                id=f"numgrad:{role}:{cid}", function=role, args=case.args, timeout=con["timeout"],
                max_elems=max(64, 4 * max(_size(case.args[i]) for i in spec_n["wrt"])), kind="numgrad",
                withhold=_withheld(rubric, role), numgrad=numgrad, hidden=not case.spec.public))
    calls = [Call(id=f"{role}:{cid}", function=role, args=cases[cid].args, timeout=e["timeout"],
                  echo_args=e["echo"], max_elems=max(64, 4 * e["size"]), withhold=_withheld(rubric, role),
                  hidden=not cases[cid].spec.public, private=private(cases[cid].args))
             for (role, cid), e in acc.items()]
    # A call with a grader-supplied cost function is made after every other call.
    return [c for c in calls if not c.private] + numgrad_calls + [c for c in calls if c.private]


def _withheld(rubric: Rubric, role: str) -> tuple[str, ...]:
    """Return the stand-in modules that provide `role` (not offered while it is graded)."""
    return tuple(s.module for s in rubric.starter if role in s.provides)
