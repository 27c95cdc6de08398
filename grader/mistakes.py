"""Recognise named mistakes (transposed gradient, no max-shift, ...) from a failing answer. Pure.

A failing answer is labelled with a mistake only when it *is* that mistake: the answer
matches, within the check's tolerance, what the mistake produces on the very same case,
and that differs from the expected value there.  An answer that matches no mistake gets no
hint; a wrong diagnosis is worse than none.  Two kinds of recognisers:

- generic detectors (``transposed``, ``sign-flipped``, ``column-vector``, ``returned-order``,
  ``modified``), written here;
- wrong formulas of the assignment, functions of the rubric's reference module called with
  the case's arguments (``softmax_no_max_shift``, ``cross_entropy_log10``, ...).  When the
  answer is float32 they are also evaluated in float32, so that a float32 overflow (exp
  overflows at 88 there) is recognised as what it is.

Only the ids listed in a check's ``mistakes`` are tried; an answer is named only when exactly
one of them explains it (on some cases two mistakes give the same answer, all nan say, and
then the answer cannot tell which one was made).

What depends only on a case and not on the answer (a wrong formula's value, whether it
differs from the expected value, an array prepared for comparisons) is kept in a
:class:`Memo` when the caller passes one: a batch computes it once, for the first student
who needs it, instead of once per failing check.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any, Callable, Hashable, Mapping

import numpy as np

from .model import Case, CheckSpec, Rubric, Tolerance, Value
from .rubric import DETECTORS  # noqa: F401 - the detectors implemented here, as the rubric names them


def squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Return `shape` without its singleton dimensions.

    >>> squeezed((1, 3, 1))
    (3,)
    """
    return tuple(n for n in shape if n != 1)


class Memo:
    """Values that depend only on a batch's cases, never on a student: computed once, lazily.

    One Memo belongs to one set of cases (a :class:`grader.pipeline.Job`): keys name cases
    by id.  Values are never changed once stored (arrays are made read-only), so slots
    grading in parallel threads may share it; two threads computing the same key at once
    both get an equal value.
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """Return the value stored under `key`, computing it with `make()` the first time."""
        try:
            return self._values[key]
        except KeyError:
            pass
        value = make()
        with self._lock:
            return self._values.setdefault(key, value)

    def ref(self, array: np.ndarray) -> "Ref":
        """Return `array` prepared for comparisons (see :class:`Ref`), kept while the Memo lives.

        Only read-only arrays that own their data are kept -- a case's expected values and
        the formulas' values stored here, which live as long as the Memo.  They are keyed by
        identity (the entry holds the array, so its id is not reused).  Any other array (a
        view, a writable array that could change, a student's decoded answer) is prepared
        afresh each time.
        """
        if array.flags.writeable or array.base is not None:
            return Ref(array)
        return self.get(("ref", id(array)), lambda: Ref(array))

    def __len__(self) -> int:
        return len(self._values)


#: Elements compared at a time by :meth:`Ref.close` (128 KiB of float64).
CLOSE_BLOCK = 1 << 14


class Ref:
    """A reference array (an expected value or a formula's) prepared for many comparisons.

    Holds the array as float64, whether every element is finite, and the allowed
    differences ``atol + rtol * |ref|`` per tolerance (the same numbers
    :meth:`grader.model.Tolerance.allowed` gives).
    """

    __slots__ = ("array", "f64", "finite", "_allowed")

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.f64 = np.asarray(array, dtype=np.float64)
        self.finite = bool(np.isfinite(self.f64).all())
        self._allowed: dict[Tolerance, tuple[np.ndarray, bool]] = {}

    def allowed(self, tol: Tolerance) -> tuple[np.ndarray, bool]:
        """Return ``(allowed differences, whether they are all finite)`` for `tol`."""
        got = self._allowed.get(tol)
        if got is None:
            with np.errstate(all="ignore"):
                a = np.asarray(tol.allowed(self.f64), dtype=np.float64)
            a.setflags(write=False)
            got = self._allowed.setdefault(tol, (a, bool(np.isfinite(a).all())))
        return got

    def close(self, got: np.ndarray, tol: Tolerance) -> bool | None:
        """Return whether `got` (already of this array's shape) is within `tol` of it.

        Only decides when every element of the reference and of the allowed differences is
        finite (then ``all(|got - ref| <= allowed)`` is False for any nan or inf in `got`);
        returns None otherwise, for the caller's general rule.
        """
        if not self.finite or got.dtype.kind not in "biuf":
            return None
        allowed, finite = self.allowed(tol)
        if not finite:
            return None
        if got.dtype.kind != "f" or got.dtype.itemsize > 8:
            got = got.astype(np.float64)
        if got.size <= CLOSE_BLOCK:
            # One block: no buffer and no views (a few numpy calls, most answers).
            with np.errstate(all="ignore"):
                return bool((np.abs(got - self.f64) <= allowed).all())
        # float16/32 - float64 computes in float64, exactly as after astype(float64).  In
        # blocks of CLOSE_BLOCK elements: no multi-MiB temporary per answer (they fragment the
        # grader's heap over a batch), and a wrong answer stops at its first bad block.
        g, r, al = got.reshape(-1), self.f64.reshape(-1), np.broadcast_to(allowed, self.f64.shape).reshape(-1)
        buf = np.empty(min(g.size, CLOSE_BLOCK))
        with np.errstate(all="ignore"):
            for k in range(0, g.size, CLOSE_BLOCK):
                d = buf[: min(CLOSE_BLOCK, g.size - k)]
                np.subtract(g[k : k + CLOSE_BLOCK], r[k : k + CLOSE_BLOCK], out=d)
                np.abs(d, out=d)
                if not np.less_equal(d, al[k : k + CLOSE_BLOCK]).all():
                    return False
        return True


def shape_fits(got: tuple[int, ...], expected: tuple[int, ...], mode: str) -> bool:
    """Return True when shape `got` is accepted for `expected` in shape mode `mode`.

    "strict": equal. "squeeze": equal once singleton dimensions are removed ((1, 3) and
    (3, 1) for (3,); a transposed matrix never fits). "leading": `got` is `expected` with
    leading 1s added ((1, 3) for (3,), not (3, 1)). "leading-ones": leading 1s added or dropped
    ((1, 3) for (3,) and (3,) for (1, 3); never (3, 1)).

    >>> shape_fits((1, 3), (3,), "leading"), shape_fits((3, 1), (3,), "leading")
    (True, False)
    >>> shape_fits((3, 1), (3,), "squeeze"), shape_fits((5, 3), (3, 5), "squeeze")
    (True, False)
    >>> shape_fits((3,), (1, 3), "leading-ones"), shape_fits((3, 1), (1, 3), "leading-ones")
    (True, False)
    >>> shape_fits((1,), (), "strict")
    False
    """
    got, expected = tuple(got), tuple(expected)
    if got == expected:
        return True
    if mode == "squeeze":
        return squeezed(got) == squeezed(expected)
    if mode == "leading":
        k = len(got) - len(expected)
        return k > 0 and got[:k] == (1,) * k and got[k:] == expected
    if mode == "leading-ones":  # leading 1s added or dropped: (n,) and (1, n) are one shape, (n, 1) is not
        return _no_leading_ones(got) == _no_leading_ones(expected)
    return False


def _no_leading_ones(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Return `shape` without its leading 1s (but its last dimension): (1, 1, 3) -> (3,)."""
    k = 0
    while k < len(shape) - 1 and shape[k] == 1:
        k += 1
    return shape[k:]


def matches(got: np.ndarray, candidate: Any, tol: Tolerance, memo: Memo | None = None) -> bool:
    """Return True when `got` is `candidate` within `tol`, nan/inf where it has them.

    Shapes must agree once singleton dimensions are removed.  Non-finite elements must be
    the same at the same places in both (nan where nan, inf where inf, -inf where -inf:
    an all-nan answer is not an overflow to inf); finite ones must satisfy
    ``|got - candidate| <= atol + rtol * |candidate|``.  A read-only `candidate` is
    prepared once in `memo` (its allowed differences), when one is given.

    >>> t = Tolerance(1e-5, 1e-8)
    >>> matches(np.array([[1.0, np.nan]]), np.array([1.0, np.nan]), t)
    True
    >>> matches(np.array([[1.0, np.nan]]), np.array([1.0, np.inf]), t)
    False
    >>> matches(np.array([1.0, 2.0]), np.array([1.0, 2.1]), t)
    False
    """
    c = np.asarray(candidate)
    g = np.asarray(got)
    if c.dtype.kind not in "biuf" or g.dtype.kind not in "biuf":
        return False
    if squeezed(g.shape) != squeezed(c.shape):
        return False
    fast = (memo.ref(c) if memo is not None else Ref(c)).close(g.reshape(c.shape), tol)
    if fast is not None:
        return fast
    g = g.astype(np.float64).reshape(c.shape)
    c = c.astype(np.float64)
    fg, fc = np.isfinite(g), np.isfinite(c)
    if not np.array_equal(fg, fc):
        return False
    if not fg.all() and not np.array_equal(g[~fg], c[~fc], equal_nan=True):
        return False  # nan for nan, and infinities of the same sign
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(g[fg] - c[fc]) <= tol.allowed(c[fc])))


def _array(got: Value | np.ndarray | None) -> np.ndarray | None:
    """Return the numeric array of `got`, or None for a tuple or non-numeric value."""
    if isinstance(got, np.ndarray):
        return got if got.dtype.kind in "biuf" else None
    if isinstance(got, Value) and got.array is not None and got.array.dtype.kind in "biuf":
        return got.array
    return None


def _copies(args: tuple, dtype: np.dtype | None = None) -> list:
    """Return private copies of a case's arguments, float arrays cast to `dtype` when given."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            a = np.array(a, copy=True)
            if dtype is not None and a.dtype.kind == "f":
                a = a.astype(dtype)
        out.append(a)
    return out


def _outputs_expected(rubric: Rubric, role: str) -> dict[str, str]:
    """Return output name -> expected function, from the rubric's "close" checks of `role`."""
    out: dict[str, str] = {}
    for c in rubric.checks():
        if c.function == role and c.compare == "close" and c.output and c.expected:
            out.setdefault(c.output, c.expected)
    return out


def _expected_value(name: str, case: Case, reference: ModuleType | None, memo: Memo) -> np.ndarray | None:
    """Return the expected value `name` for `case`: the case's, else the reference's (once per `memo`)."""
    if name in case.expected:
        return np.asarray(case.expected[name])
    f = getattr(reference, name, None) if reference is not None else None
    if not callable(f):
        return None

    def make() -> np.ndarray:
        with np.errstate(all="ignore"):
            value = np.array(f(*_copies(case.args)), dtype=np.float64)
        value.setflags(write=False)
        return value

    return memo.get(("expected", name, case.spec.id), make)


def _formula_values(f: Callable, name: str, case: Case, dt: np.dtype | None, memo: Memo) -> tuple[np.ndarray, ...]:
    """Return the candidates wrong formula `name` gives on `case` (args cast to `dt`), once per `memo`."""

    def make() -> tuple[np.ndarray, ...]:
        with np.errstate(all="ignore"):
            value = f(*_copies(case.args, dt))
        out = []
        for cand in _candidates(value):
            cand = np.array(cand, copy=True)
            cand.setflags(write=False)
            out.append(cand)
        return tuple(out)

    return memo.get(("formula", name, case.spec.id, dt.str if dt is not None else None), make)


def _candidates(value: Any) -> list[np.ndarray]:
    """Return a formula's result as a list of alternatives (a tuple means "any of these")."""
    if isinstance(value, tuple):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def _modified(case: Case, got: Any) -> bool:
    """Return True when an echoed array argument differs from the case's."""
    items = got.items if isinstance(got, Value) else got
    if not isinstance(items, (tuple, list)):
        return False
    for before, after in zip(case.args, items):
        if not isinstance(before, np.ndarray) or after is None:
            continue
        a = _array(after)
        if a is None or a.shape != before.shape or not np.array_equal(a, before, equal_nan=True):
            return True
    return False


def _detect(name: str, arr: np.ndarray, expected: np.ndarray, spec: CheckSpec, case: Case, rubric: Rubric,
            reference: ModuleType | None, memo: Memo) -> bool:
    """Return True when generic detector `name` recognises `arr`.

    What depends on the case only (is the expected matrix symmetric, is it zero within
    tolerance, does another output's value differ from it) is decided once per `memo`.
    """
    tol = spec.tolerance
    cid = case.spec.id
    if name == "transposed":
        if expected.ndim != 2 or min(expected.shape) < 2 or arr.shape != expected.shape[::-1]:
            return False
        if expected.shape[0] == expected.shape[1] and memo.get(
                ("symmetric", cid, spec.expected, tol), lambda: matches(expected.T, expected, tol, memo)):
            return False  # a symmetric matrix: transposing changes nothing
        return matches(arr.T, expected, tol, memo)
    if name == "sign-flipped":
        if memo.get(("zero", cid, spec.expected, tol), lambda: matches(-expected, expected, tol, memo)):
            return False  # zero within tolerance: no sign to flip
        return matches(-arr.astype(np.float64), expected, tol, memo)
    if name == "column-vector":
        n = expected.size
        return expected.ndim == 1 and n > 1 and arr.shape == (n, 1) and matches(arr[:, 0], expected, tol, memo)
    if name == "returned-order":
        fn = rubric.functions.get(spec.function)
        if fn is None or not spec.output:
            return False
        outputs = memo.get(("outputs", spec.function), lambda: _outputs_expected(rubric, spec.function))
        for other, ename in outputs.items():
            if other == spec.output:
                continue
            value = _expected_value(ename, case, reference, memo)
            if value is None:
                continue
            differs = memo.get(("differs", cid, ename, spec.expected, tol),
                               lambda: not matches(value, expected, tol, memo))
            if differs and matches(arr, value, tol, memo):
                return True
        return False
    return False


def _formula(name: str, arr: np.ndarray, expected: np.ndarray, spec: CheckSpec, case: Case,
             reference: ModuleType, memo: Memo) -> bool:
    """Return True when `arr` is what the wrong formula `name` gives on `case`.

    The formula's values on the case, and whether each differs from the expected value,
    are computed once per `memo`; only the comparison with `arr` is per answer.
    """
    f: Callable | None = getattr(reference, name, None)
    if not callable(f):
        return False
    dtypes: list[np.dtype | None] = [None]
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 8:
        dtypes.append(arr.dtype)
    tol = spec.tolerance
    for dt in dtypes:
        cands = _formula_values(f, name, case, dt, memo)
        differs = memo.get(("formula-differs", name, case.spec.id, dt.str if dt is not None else None,
                            spec.expected, tol),
                           lambda: tuple(not matches(c, expected, tol, memo) for c in cands))
        for cand, differ in zip(cands, differs):
            if differ and matches(arr, cand, tol, memo):
                return True
    return False


def hint_text(mid: str, entry: Mapping[str, Any], level: str) -> str:
    """Return what a student reads of a named mistake at hint level `level` (``settings.hints``).

    ``"name"``: only what the mistake is (the entry's ``name``, else its id in words);
    ``"explain"``: its ``message`` (what is wrong and the rule that is right);
    ``"fix"``: the message and then the entry's ``fix`` (the code that fixes it), when it has one.

    >>> e = {"name": "grad is transposed", "message": "grad has the shape of W.", "fix": "np.outer(d, r)"}
    >>> hint_text("t", e, "name"), hint_text("t", e, "explain"), hint_text("t", e, "fix")
    ('grad is transposed.', 'grad has the shape of W.', 'grad has the shape of W. Fix: np.outer(d, r)')
    >>> hint_text("cost-wrong-sign", {"message": "m"}, "name")
    'cost wrong sign.'
    """
    if level == "name":
        name = str(entry.get("name") or mid.replace("-", " ").replace("_", " "))
        return name if name.endswith((".", "?", "!")) else name + "."
    message = str(entry["message"])
    if level == "fix" and entry.get("fix"):
        return f"{message} Fix: {entry['fix']}"
    return message


def diagnose(spec: CheckSpec, case: Case, got: Value | np.ndarray | None, rubric: Rubric,
             reference: ModuleType | None, memo: Memo | None = None) -> tuple[str, str] | None:
    """Name the mistake that explains a failing answer, or return None.

    Parameters
    ----------
    spec : CheckSpec
        The failing check; only the ids in ``spec.mistakes`` are tried.
    case : Case
        Its case (arguments and expected values).
    got : Value or numpy.ndarray
        The answer: the value picked for the check (``spec.output`` of a returned tuple),
        or, for a check comparing "unmodified", the echoed arguments (a tuple Value).
    rubric : Rubric
        For the messages (``rubric.mistakes``) and the other outputs' expected functions.
    reference : module or None
        The reference module (wrong formulas); None tries the generic detectors only.
    memo : Memo, optional
        Where what depends only on the case is kept between calls (one per batch: every
        case id must name the same case); None computes everything for this call only.

    Returns
    -------
    tuple of (str, str) or None
        ``(mistake id, hint)`` of the one mistake the answer matches (its message as the
        rubric's hint level says: :func:`hint_text`); None when the answer passes, matches
        none, or matches more than one.

    Examples
    --------
    >>> from grader.model import CaseSpec
    >>> spec = CheckSpec("q/c", "q", "c", "f", mistakes=("flip",))
    >>> case = Case(CaseSpec("c", "f", "gen"), (), {"": np.array([1.0, -2.0])})
    >>> rubric = Rubric("r", "", "", (), {}, {}, mistakes={"flip": {"message": "wrong sign", "detector": "sign-flipped"}})
    >>> diagnose(spec, case, np.array([-1.0, 2.0]), rubric, None)
    ('flip', 'wrong sign')
    >>> diagnose(spec, case, np.array([-1.0, 2.5]), rubric, None) is None
    True
    """
    if spec.compare == "unmodified":
        for mid in spec.mistakes:
            entry = rubric.mistakes.get(mid, {})
            if entry.get("detector") == "modified" and _modified(case, got):
                return mid, hint_text(mid, entry, rubric.settings.hints)
        return None
    arr = _array(got)
    if arr is None:
        return None
    memo = memo if memo is not None else Memo()
    expected = _expected_value(spec.expected, case, reference, memo)
    if expected is None:
        return None
    if shape_fits(arr.shape, expected.shape, spec.shape) and matches(arr, expected, spec.tolerance, memo):
        return None  # it passes: nothing to explain
    found = []
    for mid in spec.mistakes:
        entry = rubric.mistakes.get(mid)
        if not entry:
            continue
        if "detector" in entry:
            hit = _detect(entry["detector"], arr, expected, spec, case, rubric, reference, memo)
        else:
            formula = entry.get("formula")
            if isinstance(formula, dict):
                formula = formula.get(spec.expected)
            hit = (bool(formula) and reference is not None
                   and _formula(formula, arr, expected, spec, case, reference, memo))
        if hit:
            found.append((mid, hint_text(mid, entry, rubric.settings.hints)))
    # Two mistakes that both explain the answer (an all-nan gradient, say) name neither.
    return found[0] if len(found) == 1 else None
