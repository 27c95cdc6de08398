"""Compare what a student's call returned with the reference value: CheckSpec + Case + CallOutcome -> CheckResult. Pure.

The heart of every verdict.  :func:`compare_close` decides one value against one expected
array, trying in order: the type (None, a tuple, a non-numeric value), the shape (in the
check's shape mode), finiteness (nan never passes), then the values (numpy.isclose's rule
with the expected value as reference).  :func:`judge` turns that into a scored, explained
:class:`CheckResult`, and :func:`consistency` compares a student's gradient with the
central differences of their own cost.
"""

from __future__ import annotations

import re
from dataclasses import replace
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .behaviour import judge_gradcheck, never_called, probe
from .cases import sample_indices
from .mistakes import Memo, Ref, diagnose, hint_text, shape_fits
from .model import (
    Built,
    Case,
    CallOutcome,
    CheckResult,
    CheckSpec,
    Consistency,
    Element,
    FunctionSpec,
    Mismatch,
    Rubric,
    Shown,
    Tolerance,
    Value,
)

#: Worst elements kept in a Mismatch.
MAX_WORST = 5
#: Largest side of a Mismatch's heat grid.
MAX_HEAT = 16


def _tol_text(tol: Tolerance) -> str:
    """Return "rtol=1e-05, atol=1e-08"."""
    return f"rtol={tol.rtol:g}, atol={tol.atol:g}"


def within_message(tol: Tolerance) -> str:
    """Return the message of a passing "close" check.

    >>> within_message(Tolerance(1e-5, 1e-8))
    'Within tolerance (rtol=1e-05, atol=1e-08) of the expected values.'
    """
    return f"Within tolerance ({_tol_text(tol)}) of the expected values."


def not_within_message(tol: Tolerance) -> str:
    """Return the message of a check whose values are off.

    >>> not_within_message(Tolerance(1e-4, 0.0))
    'Not within tolerance (rtol=0.0001, atol=0) of the expected values.'
    """
    return f"Not within tolerance ({_tol_text(tol)}) of the expected values."


def _what(expected: np.ndarray) -> str:
    """Return what was expected, in words: "a number" or "an array of shape (3,)"."""
    return "a number" if expected.ndim == 0 else f"an array of shape {expected.shape}"


def _article(type_name: str) -> str:
    """Return "a str", "an int", "an ndarray".

    >>> _article("ndarray"), _article("list"), _article("int")
    ('an ndarray', 'a list', 'an int')
    """
    vowel_sound = type_name[:1].lower() in "aeiou" or type_name == "ndarray"
    return ("an " if vowel_sound else "a ") + type_name


#: What an array of a dtype kind that is not a real number holds, for messages.
_HOLDS = {"c": "complex numbers", "O": "Python objects", "U": "strings", "S": "bytes", "M": "dates",
          "m": "time spans", "V": "records"}


def _array_like(got: Value) -> bool:
    """Whether `got` is an array (numpy's, a subclass, a matrix): its shape and dtype describe it."""
    name = got.type.lower()
    return "array" in name or "matrix" in name


def _not_numbers(got: Value) -> str:
    """Return `got` named for a type mismatch: "an ndarray of complex numbers (complex128)" where its dtype says why.

    >>> _not_numbers(Value("ndarray", "complex128", (5,))), _not_numbers(Value("str"))
    ('an ndarray of complex numbers (complex128)', 'a str')
    """
    desc = _article(got.type)
    if not _array_like(got):
        return desc  # a str or a number: its type says it
    try:
        dt = np.dtype(got.dtype) if got.dtype else None
    except (TypeError, ValueError):
        dt = None
    if dt is not None and dt.kind not in "biuf":
        desc += f" of {_HOLDS.get(dt.kind, 'values')} ({dt.name})"
    return desc


def _count(value: Value) -> int:
    """Return how many values a returned tuple or list had (its items may be cut at 16)."""
    if value.shape:
        return int(value.shape[0])
    return len(value.items or ())


def _blocks(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the starts and sizes of numpy.array_split's min(16, n) blocks of range(n)."""
    k = min(MAX_HEAT, n)
    q, r = divmod(n, k)
    sizes = np.array([q + 1] * r + [q] * (k - r), dtype=np.int64)
    return np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes


def _heat(bad: np.ndarray) -> tuple[tuple[float, ...], ...] | None:
    """Return the share of mismatching elements per block of a 2-D mask, at most 16x16 blocks.

    The blocks are numpy.array_split's of the rows and of the columns; a share is the
    block's count of True over its size.

    >>> _heat(np.array([[True, False, False], [True, True, False]]))
    ((1.0, 0.0, 0.0), (1.0, 1.0, 0.0))
    """
    if bad.ndim != 2 or bad.size == 0:
        return None
    r0, rn = _blocks(bad.shape[0])
    c0, cn = _blocks(bad.shape[1])
    counts = np.add.reduceat(np.add.reduceat(bad.astype(np.int64), r0, axis=0), c0, axis=1)
    share = counts / (rn[:, None] * cn[None, :])
    return tuple(tuple(float(x) for x in row) for row in share.tolist())


def _elements(flat: np.ndarray, g: np.ndarray, e: np.ndarray, allowed: np.ndarray) -> tuple[Element, ...]:
    """Return Elements for the flat indices `flat` (in that order)."""
    out = []
    for i in flat[:MAX_WORST]:
        idx = tuple(int(k) for k in np.unravel_index(int(i), e.shape))
        out.append(Element(index=idx, got=float(g.flat[i]), expected=float(e.flat[i]), allowed=float(allowed.flat[i])))
    return tuple(out)


def compare_close(got: Value | None, expected: np.ndarray, tol: Tolerance,
                  shape: str, memo: Memo | None = None) -> tuple[Mismatch | None, tuple[str, ...]]:
    """Decide whether `got` is `expected` within `tol`; say why not as data.

    Tries in order, the first failure winning:

    1. type: None, a tuple or list of values, or a non-numeric value, where an array or a
       number is expected;
    2. shape, in shape mode `shape` ("strict", "squeeze", "leading"; see
       :func:`grader.mistakes.shape_fits`); an accepted but different shape gives a note;
    3. nonfinite: nan or inf where the expected value is finite (nan never passes);
    4. values: ``|got - expected| <= atol + rtol * |expected|`` (numpy.isclose, with the
       expected value as the reference), counted over all elements.

    Empty arrays pass only against an expected empty array of a fitting shape (unlike
    ``np.allclose([], 5.0)``, which is True).

    Parameters
    ----------
    got : Value or None
        What the call returned (or the part of it being checked).
    expected : numpy.ndarray
        The reference value.
    tol : Tolerance
        rtol and atol.
    shape : str
        The shape mode.
    memo : Memo, optional
        Keeps a read-only `expected` prepared (as float64, with its allowed differences
        per tolerance) for the next answer compared with it.

    Returns
    -------
    tuple
        ``(mismatch, notes)``: the Mismatch (None when it passes) and notes such as
        ``"shape (1, 3) accepted as (3,)"``.

    Examples
    --------
    >>> t = Tolerance(1e-5, 1e-8)
    >>> v = lambda a: Value("ndarray", "<f8", np.shape(a), np.asarray(a, dtype=float))
    >>> compare_close(v([[0.5, 0.5]]), np.array([0.5, 0.5]), t, "leading")
    (None, ('shape (1, 2) accepted as (2,)',))
    >>> compare_close(v([[0.5], [0.5]]), np.array([0.5, 0.5]), t, "leading")[0].summary
    'shape (2, 1), expected (2,)'
    >>> compare_close(v([np.nan, 0.5]), np.array([0.5, 0.5]), t, "strict")[0].summary
    '1 of 2 elements are nan or inf'
    >>> m, _ = compare_close(v([0.69, 0.3]), np.array([0.7, 0.3]), t, "strict")
    >>> m.summary, m.n_bad, m.worst[0].index, round(m.max_abs, 6)
    ('1 of 2 elements differ', 1, (0,), 0.01)
    >>> compare_close(v([]), np.array(5.0), t, "squeeze")[0].summary
    'shape (0,), expected ()'
    """
    e = np.asarray(expected)
    what = _what(e)
    if got is None or got.type == "NoneType":
        return Mismatch("type", f"None, expected {what}"), ()
    if got.items is not None:
        return Mismatch("type", f"{_article(got.type)} of {_count(got)} values, expected {what}"), ()
    a = got.array
    if a is None or a.dtype.kind not in "biuf":
        if (a is None and got.shape is not None and got.dtype and _array_like(got)
                and not shape_fits(got.shape, e.shape, shape)):
            return Mismatch("shape", f"shape {got.shape}, expected {e.shape}", n_total=int(e.size)), ()
        return Mismatch("type", f"{_not_numbers(got)}, expected {what}"), ()
    if not shape_fits(a.shape, e.shape, shape):
        return Mismatch("shape", f"shape {a.shape}, expected {e.shape}", n_total=int(e.size)), ()
    notes = (f"shape {a.shape} accepted as {e.shape}",) if a.shape != e.shape else ()
    # The common case first: every element within tolerance of a finite expected value.
    if (memo.ref(e) if memo is not None else Ref(e)).close(a.reshape(e.shape), tol):
        return None, notes
    g = a.astype(np.float64).reshape(e.shape)
    e = e.astype(np.float64)
    allowed = tol.allowed(e)
    n_total = int(e.size)
    fin_g, fin_e = np.isfinite(g), np.isfinite(e)
    # Where the expected value itself is not finite, only the same value passes.
    same = (g == e) | (np.isnan(g) & np.isnan(e))
    nonfinite = (~fin_g & fin_e) | (~fin_e & ~same)
    if nonfinite.any():
        flat = np.flatnonzero(nonfinite)
        n = int(flat.size)
        return Mismatch("nonfinite", f"{n} of {n_total} elements are nan or inf", n_bad=n, n_total=n_total,
                        worst=_elements(flat, g, e, allowed), heat=_heat(nonfinite)), notes
    with np.errstate(all="ignore"):
        diff = np.where(fin_e, np.abs(g - e), 0.0)
    bad = diff > allowed
    if not bad.any():
        return None, notes
    flat = np.flatnonzero(bad)
    order = flat[np.argsort(-diff.flat[flat], kind="stable")]
    n = int(flat.size)
    nonzero = flat[e.flat[flat] != 0]
    with np.errstate(over="ignore"):  # a tiny expected element: an infinite relative error, said as such
        max_rel = float(np.max(diff.flat[nonzero] / np.abs(e.flat[nonzero]))) if nonzero.size else None
    return Mismatch("values", f"{n} of {n_total} elements differ", n_bad=n, n_total=n_total,
                    worst=_elements(order, g, e, allowed), max_abs=float(diff.flat[order[0]]), max_rel=max_rel,
                    heat=_heat(bad)), notes


# --------------------------------------------------------------------------- judging


def _shown(value: Value | None) -> Shown | None:
    """Return the type, dtype and shape of a value, for display."""
    if value is None:
        return None
    dtype = value.dtype
    if dtype:
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            pass
    return Shown(type=value.type, dtype=dtype, shape=tuple(value.shape) if value.shape is not None else None)


def _shown_expected(expected: np.ndarray) -> Shown:
    """Return how the expected value is shown: a float or an ndarray."""
    return Shown("float" if expected.ndim == 0 else "ndarray", expected.dtype.name, tuple(expected.shape))


def _fail_message(m: Mismatch, got: Value | None, expected: np.ndarray, tol: Tolerance, subject: str,
                  returned: bool) -> str:
    """Return the one-line message of a failed comparison (no element values: hidden checks use it too).

    It contains the Mismatch's summary where there is one ("shape (3, 1), expected (3,)"),
    so that a renderer showing both does not repeat it.

    `subject` is "softmax" (the whole value; `returned` True) or "The returned 'grad'".
    """
    what = _what(expected)
    if m.reason == "type":
        if got is None or got.type == "NoneType":
            desc = "None"
        elif got.items is not None:
            desc = f"{_article(got.type)} of {_count(got)} values"
        else:
            desc = _not_numbers(got)
        return f"{subject} returned {desc}, expected {what}." if returned else f"{subject} is {desc}, expected {what}."
    if m.reason == "shape":
        shape = got.shape if got is not None else None
        if returned:
            return f"{subject} returned shape {shape}, expected {expected.shape}."
        return f"{subject} has shape {shape}, expected {expected.shape}."
    if m.reason == "nonfinite":
        verb = "returned" if returned else "has"
        return f"{subject} {verb} nan or inf in {m.n_bad} of {m.n_total} values; expected finite values."
    return not_within_message(tol)


def _said(fn: FunctionSpec | None, name: str | None) -> str | None:
    """How messages name a param or returned value of `fn` (the rubric's own name without `fn`)."""
    return fn.said(name) if fn is not None and name is not None else name


def _pick(value: Value | None, index: int, fname: str, returns: tuple[str, ...]) -> tuple[Value | None, str | None]:
    """Return the `index`-th returned value, or the message saying the returned tuple is wrong.

    `returns` are the names as messages show them (:meth:`FunctionSpec.said`).
    """
    k = len(returns)
    names = ", ".join(returns)
    if value is None or value.type == "NoneType":
        return None, f"{fname} returned None; expected {k} values: ({names})."
    if value.items is None:
        if value.array is not None and value.type in ("tuple", "list") and value.array.ndim >= 1:
            if value.array.shape[0] == k:  # a list of equal-shaped values, sent as one array
                a = value.array[index]
                return Value("ndarray", a.dtype.str, tuple(a.shape), a), None
            return None, f"{fname} returned {value.array.shape[0]} values; expected {k}: ({names})."
        return None, f"{fname} returned {_article(value.type)}; expected {k} values: ({names})."
    n = _count(value)
    if n != k:
        return None, f"{fname} returned {n} values; expected {k}: ({names})."
    return value.items[index], None


def judge(spec: CheckSpec, case: Case, outcome: CallOutcome | None, rubric: Rubric,
          reference: ModuleType | None, memo: Memo | None = None) -> CheckResult:
    """Decide one check (see :func:`_judge`); a call made with ``useSaved`` gets a note of what it did."""
    result = _judge(spec, case, outcome, rubric, reference, memo)
    saved = probe(outcome, "use-saved") if outcome is not None else None
    if saved is None:
        return result
    files = [str(f) for f in saved.get("files", [])][:20]
    note = (f"useSaved: load_saved_params called {saved.get('loads', 0)} time(s), save_params at iterations "
            f"{saved.get('saves', [])}; the working folder was {'' if saved.get('cwd_is_scratch') else 'NOT '}"
            f"the submission's own scratch folder, holding after the call: {', '.join(files) or 'nothing'}")
    if result.status == "fail" and result.hint is None and not saved.get("loads"):
        # the likely cause, said where a named mistake would be: the starter's useSaved block (given, not the
        # student's to write) was left out
        result = replace(result, hint="useSaved was set, and load_saved_params was never called: the starter's sgd "
                                      "resumes from the saved parameters then (and halves the step for the iterations "
                                      "already done), so keep its useSaved block.")
    return replace(result, notes=(*result.notes, note))


def _judge(spec: CheckSpec, case: Case, outcome: CallOutcome | None, rubric: Rubric,
           reference: ModuleType | None, memo: Memo | None = None) -> CheckResult:
    """Decide one check: compare the call's outcome with the case's expected value.

    Scores are all-or-nothing (``spec.points`` or 0).  A call that did not return (raised,
    timed out, crashed, missing...) gives status "error" with the sandbox's message; a
    wrong type, shape or value gives "fail" with a one-line message that shows no element
    values (a hidden check's details stay in ``mismatch`` for renderers to withhold), and
    the named mistake, when one is recognised, in ``hint`` and ``mistake``.

    Parameters
    ----------
    spec : CheckSpec
        The check.
    case : Case
        Its case, with the expected values.
    outcome : CallOutcome or None
        The outcome of call ``"<role>:<case>"``; None when it was not made.
    rubric : Rubric
        For the function's names and returned values, and the mistakes' messages.
    reference : module or None
        The reference module, for recognising mistakes (None: generic detectors only).
    memo : Memo, optional
        What depends only on the case (the expected value prepared for comparisons, the
        wrong formulas' values), kept for the next submissions of the batch.

    Returns
    -------
    CheckResult
    """
    fn = rubric.functions.get(spec.function)
    fname = fn.names[0] if fn and fn.names else spec.function
    common = dict(id=spec.id, question=spec.question, max_score=spec.points, visibility=spec.visibility,
                  case=case.spec.description)
    if outcome is None:
        return CheckResult(status="error", score=0.0, message=f"{fname} was not called for this check; "
                           "see the errors of the submission.", **common)
    stub = _not_implemented(outcome, fname, rubric) or _returns_its_input(spec, case, outcome, fn, fname, rubric)
    if stub:
        return CheckResult(status="fail", score=0.0, message=stub, error=outcome.error, output=outcome.output,
                           **common)
    if spec.compare == "behaviour" and outcome.status in ("ok", "raised"):
        common["output"] = outcome.output
        return _judge_behaviour(spec, case, outcome, rubric, fname, common)
    if outcome.status != "ok":
        message = outcome.message or f"{fname} did not return a value ({outcome.status})."
        return CheckResult(status="error", score=0.0, message=message, error=outcome.error, output=outcome.output,
                           **common)
    common["output"] = outcome.output
    if spec.compare == "unmodified":
        return _judge_unmodified(spec, case, outcome, rubric, reference, fname, common, memo)
    if spec.conventions:
        return _judge_conventions(spec, case, outcome, rubric, reference, fname, common, memo)
    if spec.compare == "property":
        return _judge_property(spec, case, outcome, rubric, reference, fname, common)

    got: Value | None = outcome.value
    subject, returned = fname, True
    if spec.output is not None and fn is not None and fn.returns:
        got, problem = _pick(outcome.value, fn.returns.index(spec.output), fname, fn.returns_said)
        if problem:
            return CheckResult(status="fail", score=0.0, message=problem, got=_shown(outcome.value),
                               mismatch=Mismatch("type", problem), **common)
        subject, returned = f"The returned {fn.said(spec.output)!r}", False
    expected = case.expected.get(spec.expected)
    if expected is None:
        return CheckResult(status="error", score=0.0, message=f"no expected value {spec.expected!r} for case "
                           f"{spec.case!r}; this is a bug in grader.", **common)
    expected = np.asarray(expected)
    mismatch, notes = compare_close(got, expected, spec.tolerance, spec.shape, memo)
    shown = dict(got=_shown(got), expected=_shown_expected(expected), notes=notes)
    if mismatch is None:
        return CheckResult(status="pass", score=spec.points, message=within_message(spec.tolerance), **shown,
                           **common)
    named = diagnose(spec, case, got, rubric, reference, memo) if spec.mistakes else None
    return CheckResult(status="fail", score=0.0,
                       message=_fail_message(mismatch, got, expected, spec.tolerance, subject, returned),
                       hint=named[1] if named else None, mistake=named[0] if named else None, mismatch=mismatch,
                       **shown, **common)


def _returns_its_input(spec: CheckSpec, case: Case, outcome: CallOutcome, fn: FunctionSpec | None, fname: str,
                       rubric: Rubric) -> str:
    """The "not implemented" message of a year's stub that returns its first argument unchanged, or "".

    Only for a function whose rubric says its starter did (``stub = "returns-input"``: CS224d
    2015's ``return x`` after an empty ``### YOUR CODE HERE``), and only where that argument
    is not itself the right answer of the check.
    """
    if rubric.settings.not_implemented != "fail" or fn is None or fn.stub != "returns-input" or not case.args:
        return ""
    got = outcome.value.array if outcome.status == "ok" and outcome.value is not None else None
    first = case.args[0]
    if got is None or not isinstance(first, np.ndarray) or got.shape != first.shape \
            or got.dtype.kind not in "biuf" or not np.array_equal(got, first):
        return ""
    expected = case.expected.get(spec.expected) if spec.expected else None
    if expected is not None and np.shape(expected) == first.shape and np.allclose(expected, first):
        return ""  # the input is the right answer here: returning it is no placeholder
    name = fn.said(fn.params[0]) if fn.params else "its argument"
    return (f"Not implemented: {fname} returns its argument {name} unchanged (the starter's `return {name}` "
            "after an empty ### YOUR CODE HERE is still there?).")


def _not_implemented(outcome: CallOutcome, fname: str, rubric: Rubric) -> str:
    """Return the "not implemented" message of a starter's stub, or "" (only where the rubric says so).

    With ``settings.not_implemented = "fail"``, a function that still raises
    NotImplementedError, returns None, or never calls the function it was handed (sgd's
    loop left empty) fails its checks with 0 points and this message, not an error.
    """
    if rubric.settings.not_implemented != "fail":
        return ""
    if outcome.status == "raised" and outcome.error is not None and outcome.error.type == "NotImplementedError":
        return f"Not implemented: {outcome.message or fname + ' raises NotImplementedError'}"
    stub = probe(outcome, "stub") if outcome.status == "raised" else None
    if stub is not None and isinstance(stub.get("returns"), str):  # a2's stubs: `return loss, ...`, loss never set
        inner = stub.get("in") if isinstance(stub.get("in"), str) else ""
        verb = "uses" if stub.get("uses") else "returns"
        if inner and inner != fname and not fname.endswith(f".{inner}"):
            return (f"Not implemented: {fname} calls {inner}, which {verb} {stub['returns']} without ever setting it "
                    "(the starter's placeholder is still there?).")
        return (f"Not implemented: {fname} {verb} {stub['returns']}, which it never sets "
                "(the starter's placeholder is still there?).")
    if stub is not None:  # a hidden call (its error is not kept)
        return f"Not implemented: {fname} still raises NotImplementedError (the starter's placeholder)."
    if outcome.status == "ok" and never_called(outcome):
        return (f"Not implemented: {fname} never called the function it was given "
                "(the starter's placeholder is still there?).")
    if outcome.status == "ok" and outcome.value is not None and outcome.value.type == "NoneType" \
            and not any(p.get("kind") == "function" for p in outcome.probes):
        return f"Not implemented: {fname} returned None (the starter's placeholder is still there?)."
    return ""


def _judge_behaviour(spec: CheckSpec, case: Case, outcome: CallOutcome, rubric: Rubric, fname: str,
                     common: dict) -> CheckResult:
    """Decide a compare = "behaviour" check with its judge (grader.behaviour) and name a detected mistake."""
    handed = next((a.data for a in case.args if isinstance(a, Built) and a.kind == "function"), None)
    ok, message, detected = judge_gradcheck(spec, outcome, fname, handed)
    if ok:
        return CheckResult(status="pass", score=spec.points, message=message, **common)
    hits = [mid for mid in spec.mistakes if rubric.mistakes.get(mid, {}).get("detector") in detected]
    named = hits[0] if len(hits) == 1 else None
    return CheckResult(status="fail", score=0.0, message=message, error=outcome.error,
                       hint=hint_text(named, rubric.mistakes[named], rubric.settings.hints) if named else None,
                       mistake=named, **common)


def _convention_of(spec: CheckSpec, case: Case, outcome: CallOutcome, fn, fname: str,
                   memo: Memo | None) -> str | None:
    """Return the first convention whose ``convention_by`` output the call's value matches, or None."""
    if not spec.convention_by or fn is None or not fn.returns:
        return None
    got, problem = _pick(outcome.value, fn.returns.index(spec.convention_by), fname, fn.returns_said)
    if problem or got is None:
        return None
    tol = spec.tolerance
    for name, conv in spec.conventions.items():
        expected = case.expected.get(conv[spec.convention_by])
        if expected is not None and compare_close(got, np.asarray(expected), tol, spec.shape, memo)[0] is None:
            return name
    return None


def _judge_conventions(spec: CheckSpec, case: Case, outcome: CallOutcome, rubric: Rubric,
                       reference: ModuleType | None, fname: str, common: dict, memo: Memo | None) -> CheckResult:
    """Decide a "close" check with several accepted conventions (summed or averaged over a batch...).

    The call's convention is the first whose ``convention_by`` output matches; this check's
    output must then match that convention's expected value.  When no convention explains
    the ``convention_by`` output (it is wrong), this output may follow any convention.
    The message and a note name the convention followed.
    """
    fn = rubric.functions.get(spec.function)
    key = spec.output or ""
    got: Value | None = outcome.value
    subject, returned = fname, True
    if spec.output is not None and fn is not None and fn.returns:
        got, problem = _pick(outcome.value, fn.returns.index(spec.output), fname, fn.returns_said)
        if problem:
            return CheckResult(status="fail", score=0.0, message=problem, got=_shown(outcome.value),
                               mismatch=Mismatch("type", problem), **common)
        subject, returned = f"The returned {fn.said(spec.output)!r}", False
    followed = _convention_of(spec, case, outcome, fn, fname, memo)
    names = [followed] if followed else list(spec.conventions)
    first = None
    for name in names:
        ename = spec.conventions[name].get(key)
        expected = case.expected.get(ename) if ename else None
        if expected is None:
            continue
        expected = np.asarray(expected)
        mismatch, notes = compare_close(got, expected, spec.tolerance, spec.shape, memo)
        shown = dict(got=_shown(got), expected=_shown_expected(expected))
        if mismatch is None:
            note = f"convention: {name}" + (f" (as your {_said(fn, spec.convention_by)!r})"
                                            if followed and spec.output != spec.convention_by else "")
            alike = all(case.expected.get(conv.get(key, "")) is not None
                        and np.array_equal(np.asarray(case.expected[conv[key]]), expected)
                        for conv in spec.conventions.values())
            # where every convention expects the same value (sgd without a postprocessing), none is said;
            # the note keeps the rubric's name (scripts read it), and says what a named one means
            text = spec.convention_text.get(name)
            if alike:
                message = within_message(spec.tolerance)
            elif text:
                message, note = f"{within_message(spec.tolerance)[:-1]}: {text}.", f"{note}: {text}"
            else:
                message = f"{within_message(spec.tolerance)[:-1]} ({name})."
            return CheckResult(status="pass", score=spec.points, message=message, notes=(*notes, note),
                               **shown, **common)
        if first is None:
            first = (name, ename, expected, mismatch, notes, shown)
    if first is None:
        return CheckResult(status="error", score=0.0, message=f"no expected value for case {spec.case!r}; "
                           "this is a bug in grader.", **common)
    name, ename, expected, mismatch, notes, shown = first
    message = _fail_message(mismatch, got, expected, spec.tolerance, subject, returned)
    if followed and spec.output != spec.convention_by:
        others = [n for n, conv in spec.conventions.items() if n != followed and conv.get(key) in case.expected
                  and compare_close(got, np.asarray(case.expected[conv[key]]), spec.tolerance, spec.shape, memo)[0] is None]
        said = spec.convention_text
        message += (f" Your {_said(fn, spec.convention_by)!r} is {said.get(followed, followed)}" +
                    (f", but this value is {said.get(others[0], others[0])}: use one convention for both."
                     if others else f": this value was compared with the {said.get(followed, followed)} one."))
    named = None
    if spec.mistakes:  # the convention followed (or first) first; then the others
        tried = [ename] + [c.get(key) for c in spec.conventions.values() if c.get(key) and c.get(key) != ename]
        for candidate in tried:
            named = diagnose(replace(spec, expected=candidate), case, got, rubric, reference, memo)
            if named:
                break
    return CheckResult(status="fail", score=0.0, message=message, hint=named[1] if named else None,
                       mistake=named[0] if named else None, mismatch=mismatch, notes=notes, **shown, **common)


def _plain_value(value: Value | None):
    """Return a returned value as plain data for a property function: an array, a tuple of them, or None."""
    if value is None:
        return None
    if value.items is not None:
        return tuple(_plain_value(v) for v in value.items)
    return value.array


def property_verdict(verdict: Any) -> tuple[bool, str] | str:
    """Read what a rubric's property function returned: ``(holds, message)``, or what it gave instead.

    A verdict is True or False (numpy's included: a 0-d array, ``np.True_``), or a pair
    ``(verdict, message)``.  Anything else (an array of several truths, a tuple of three)
    is described in words, never guessed at.

    >>> property_verdict(True), property_verdict((np.False_, "rows do not sum to 1"))
    ((True, ''), (False, 'rows do not sum to 1'))
    >>> property_verdict(np.array([True, False])), property_verdict((True, "a", "b"))
    ('an array of shape (2,)', 'a tuple of 3 items')
    """
    message: Any = ""
    if isinstance(verdict, tuple):
        if len(verdict) != 2:
            return f"a tuple of {len(verdict)} items"
        verdict, message = verdict
    if isinstance(verdict, np.ndarray) and verdict.ndim == 0:
        verdict = verdict[()]
    if isinstance(verdict, (bool, np.bool_)) or (isinstance(verdict, (int, np.integer)) and verdict in (0, 1)):
        return bool(verdict), "" if message is None else str(message)
    if isinstance(verdict, np.ndarray):
        return f"an array of shape {verdict.shape}"
    return f"{type(verdict).__name__} {_short_repr(verdict)}"


def _short_repr(x: Any) -> str:
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001 - the author's object
        return ""
    return text if len(text) <= 60 else text[:57] + "..."


def _judge_property(spec: CheckSpec, case: Case, outcome: CallOutcome, rubric: Rubric,
                    reference: ModuleType | None, fname: str, common: dict) -> CheckResult:
    """Decide a "property" check: the rubric's reference function judges the answer (rows sum to one...).

    It is called in the grader's process as ``f(got, *case args)`` on plain arrays (copies),
    and returns True, False, or ``(verdict, message)``.  An answer it cannot even examine
    (it raises: a wrong shape, a tuple where an array was meant) does not have the property.
    """
    fn = rubric.functions.get(spec.function)
    got: Value | None = outcome.value
    if spec.output is not None and fn is not None and fn.returns:
        got, problem = _pick(outcome.value, fn.returns.index(spec.output), fname, fn.returns_said)
        if problem:
            return CheckResult(status="fail", score=0.0, message=problem, got=_shown(outcome.value),
                               mismatch=Mismatch("type", problem), **common)
    judge_fn = getattr(reference, spec.property, None) if reference is not None else None
    if not callable(judge_fn):
        return CheckResult(status="error", score=0.0, message=f"the property {spec.property!r} can't be judged "
                           "here (no reference module); this check is graded by the teaching staff.", **common)
    what = spec.description or spec.property.replace("_", " ")
    try:
        with np.errstate(all="ignore"):
            verdict = judge_fn(_plain_value(got), *[np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                                                    for a in case.args])
    except Exception as e:  # the answer could not be examined: it does not have the property
        return CheckResult(status="fail", score=0.0, got=_shown(got), message=(
            f"{what}: not so for what {fname} returned ({type(e).__name__}: {str(e)[:200]})."), **common)
    read = property_verdict(verdict)
    if isinstance(read, str):  # not a verdict: this answer could not be judged, as when the property raises
        return CheckResult(status="fail", score=0.0, got=_shown(got), message=(
            f"{what}: not so for what {fname} returned (the property gave {read}, not True or False)."), **common)
    ok, message = read
    if ok:
        return CheckResult(status="pass", score=spec.points, got=_shown(got),
                           message=str(message) or f"{what}: yes.", **common)
    return CheckResult(status="fail", score=0.0, got=_shown(got),
                       message=str(message) or f"{what}: not so for what {fname} returned.", **common)


def _judge_unmodified(spec: CheckSpec, case: Case, outcome: CallOutcome, rubric: Rubric,
                      reference: ModuleType | None, fname: str, common: dict, memo: Memo | None) -> CheckResult:
    """Decide a check comparing the array arguments after the call with the case's."""
    fn = rubric.functions.get(spec.function)
    params = fn.params if fn else ()
    echoed = outcome.echoed
    arrays = [i for i, a in enumerate(case.args) if isinstance(a, np.ndarray)]
    if any(i >= len(echoed) or echoed[i] is None for i in arrays):
        return CheckResult(status="error", score=0.0, message=f"the arguments of {fname} were not sent back "
                           "after the call; this is a bug in grader.", **common)
    if outcome.value is not None and outcome.value.type == "NoneType":
        # A stub (`pass`) leaves everything unmodified: that is no work of the student's to reward.
        return CheckResult(status="fail", score=0.0,
                           message=f"{fname} returned None (the starter's placeholder is still there?); this check "
                                   f"passes when {fname} returns its result and leaves its arguments unmodified.",
                           got=_shown(outcome.value), **common)
    changed = []
    for i in arrays:
        after = echoed[i].array
        before = case.args[i]
        if after is None or after.shape != before.shape or not np.array_equal(after, before, equal_nan=True):
            changed.append((fn.said(params[i]) if fn else params[i]) if i < len(params) else f"argument {i + 1}")
    if not changed:
        return CheckResult(status="pass", score=spec.points,
                           message=f"{fname} left its {_plural(len(arrays), 'argument')} unmodified.", **common)
    names = " and ".join(repr(c) for c in changed)
    message = (f"{fname} modified its {_plural(len(changed), 'argument')} {names} in place; "
               "the caller's arrays must stay unchanged.")
    named = (diagnose(spec, case, Value("tuple", items=tuple(echoed)), rubric, reference, memo)
             if spec.mistakes else None)
    return CheckResult(status="fail", score=0.0, message=message, hint=named[1] if named else None,
                       mistake=named[0] if named else None, **common)


def _plural(n: int, word: str) -> str:
    """Return "argument" or "arguments"."""
    return word if n == 1 else word + "s"


# --------------------------------------------------------------------------- self-consistency


def consistency(rubric: Rubric, cases: Mapping[str, Case], outcomes: Mapping[str, CallOutcome],
                memo: Memo | None = None, found: Mapping[str, str] | None = None) -> tuple[Consistency, ...]:
    """Compare the student's gradients with central differences of the student's own cost.

    For each case of the rubric's ``[consistency]`` table and each gradient of its ``wrt``,
    the numerical gradient (call ``"numgrad:<role>:<case>"``) is compared with the gradient
    the function returned on the same case (call ``"<role>:<case>"``), within the table's
    rtol/atol plus the rounding of the student's cost (``4 eps |cost| / h``, eps of float32
    when the cost or the gradient is float32).  This says whether the gradient matches the
    cost the student wrote, whatever the reference says.

    With the table's ``sample = N``, an argument of more than N elements was differentiated
    at N flat indices only (:func:`grader.cases.sample_indices`, the same ones the call was
    planned with): the numerical gradient is then a 1-D array of N values, compared with
    the returned gradient at those indices, and the message says how many were checked.

    Parameters
    ----------
    rubric : Rubric
        Its ``consistency`` mapping (empty: nothing to do).
    cases : mapping
        Case id -> Case; cases not there are skipped.
    outcomes : mapping
        Call id -> CallOutcome.
    memo : Memo, optional
        Keeps each case's sampled indices for the next submissions.
    found : mapping, optional
        Role -> "module.name" of the student's functions (``LoadReport.functions``): the entries
        name the function differentiated, as the student named it.

    Returns
    -------
    tuple of Consistency
        One per (case, gradient), in the table's order.
    """
    con = rubric.consistency
    if not con:
        return ()
    role = con["function"]
    fn = rubric.functions[role]
    fname = fn.names[0] if fn.names else role
    h = float(con["h"])
    tol: Tolerance = con["tolerance"]
    out = []
    for cid in con["cases"]:
        case = cases.get(cid)
        if case is None:
            continue
        plain = outcomes.get(f"{role}:{cid}")
        num = outcomes.get(f"numgrad:{role}:{cid}")
        if con.get("sample"):
            sample = (memo.get(("sample", cid), lambda: sample_indices(con, fn.params, case)) if memo is not None
                      else sample_indices(con, fn.params, case))
        else:
            sample = None
        for k, (grad, param) in enumerate(con["wrt"].items()):
            picked = sample[k] if sample is not None else None
            shape = np.shape(case.args[fn.params.index(param)]) if picked is not None else None
            entry = _consistent(cid, k, grad, param, plain, num, fn.returns, fname, h, tol, con["cost"],
                                picked, shape, said=fn.said)
            if fn.said(grad) != grad:
                entry = replace(entry, said=fn.said(grad))
            if cost_word(rubric) != "cost":
                entry = replace(entry, cost_said=cost_word(rubric))
            if found and found.get(role):
                entry = replace(entry, function=found[role].rsplit(".", 1)[-1])
            out.append(entry)
    return tuple(out)


def cost_word(rubric: Rubric) -> str:
    """The word the course uses for the cost: "cost" (CS224d), or how the ``[consistency]`` function's
    ``shown`` names its cost output ("loss" in CS224n a2)."""
    con = rubric.consistency
    fn = rubric.functions.get(con.get("function", "")) if con else None
    if fn is None or not con.get("cost") or con["cost"] not in fn.shown:
        return "cost"
    return fn.shown[con["cost"]]


def in_cost_words(text: str, word: str) -> str:
    """`text`, which says "cost", in the course's word for it ("loss" in a2)."""
    return text if word == "cost" else re.sub(r"\bcost\b", word, text)


def _consistent(cid: str, k: int, grad: str, param: str, plain: CallOutcome | None, num: CallOutcome | None,
                returns: tuple[str, ...], fname: str, h: float, tol: Tolerance, cost_name: str,
                picked: list[int] | None = None, shape: tuple[int, ...] | None = None,
                said: Callable[[str], str] = str) -> Consistency:
    """Decide one (case, gradient) pair of the self-consistency check.

    `picked`: the flat indices differentiated when the argument was sampled (its shape is
    `shape`), None when every element was.  `said` names a param or returned value in
    messages as the course does (:meth:`FunctionSpec.said`); the entry keeps the rubric's.
    """
    shown = tuple(said(r) for r in returns)
    grad_said, param_said = said(grad), said(param)
    word = said(cost_name) if said(cost_name) != cost_name else "cost"  # "loss" in a2
    if plain is None or plain.status != "ok":
        why = plain.message if plain is not None and plain.message else f"{fname} did not return on this case."
        return Consistency(cid, grad, "error", message=why)
    if num is None or num.status != "ok":
        why = num.message if num is not None and num.message else "it was not run."
        return Consistency(cid, grad, "error", message=f"Your {word} could not be differentiated numerically: {why}")
    analytic, problem = _pick(plain.value, returns.index(grad), fname, shown)
    if problem:
        return Consistency(cid, grad, "error", message=problem)
    cost, _ = _pick(plain.value, returns.index(cost_name), fname, shown)
    items = num.value.items if num.value is not None else None
    numerical = items[k].array if items is not None and k < len(items) else None
    a = analytic.array if analytic is not None else None
    if numerical is None:
        return Consistency(cid, grad, "error", message=f"Your {word} could not be differentiated numerically.")
    if a is None or a.dtype.kind not in "biuf":
        return Consistency(cid, grad, "error", message=f"The returned {grad_said!r} is not an array of numbers.")
    var_shape = numerical.shape if picked is None else tuple(shape)
    if not shape_fits(a.shape, var_shape, "squeeze"):
        return Consistency(cid, grad, "inconsistent", message=f"The returned {grad_said!r} has shape {a.shape}, but "
                           f"{param_said!r} has shape {var_shape}: a gradient has the shape of its variable.")
    checked = ""
    if picked is None:
        g = a.astype(np.float64).reshape(numerical.shape)
    else:
        if numerical.shape != (len(picked),):
            return Consistency(cid, grad, "error", message=(
                f"The numerical gradient with respect to {param_said!r} came back with shape {numerical.shape}, not "
                f"the {len(picked)} sampled derivatives asked for; this is a bug in grader."))
        g = a.astype(np.float64).reshape(-1)[np.asarray(picked, dtype=np.intp)]
        checked = f"; checked {len(picked)} of {int(np.prod(var_shape))} elements"
    n = numerical.astype(np.float64)
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(n))):
        return Consistency(cid, grad, "inconsistent", message=f"The returned {grad_said!r} or your {word} gives nan or inf.")
    low = [v.array.dtype for v in (analytic, cost) if v is not None and v.array is not None
           and v.array.dtype.kind == "f" and v.array.dtype.itemsize < 8]
    eps = float(np.finfo(low[0]).eps) if low else float(np.finfo(np.float64).eps)
    c = cost.array if cost is not None and cost.array is not None and cost.array.size == 1 else None
    scale = max(1.0, abs(float(c.reshape(-1)[0]))) if c is not None and np.isfinite(c).all() else 1.0
    allowed = Tolerance(tol.rtol, tol.atol + 4 * eps * scale / h).allowed(n)
    diff = np.abs(g - n)
    max_abs = float(diff.max()) if diff.size else 0.0
    nz = n != 0
    max_rel = float(np.max(diff[nz] / np.abs(n[nz]))) if nz.any() else None
    if np.all(diff <= allowed):
        return Consistency(cid, grad, "consistent", max_abs, max_rel,
                           f"Your {grad_said!r} matches the numerical gradient of your own {word} "
                           f"(largest difference {max_abs:.2g}{checked}).")
    return Consistency(cid, grad, "inconsistent", max_abs, max_rel,
                       f"Your {grad_said!r} does not match the numerical gradient of your own {word} with respect to "
                       f"{param_said!r} (largest difference {max_abs:.3g}{checked}).")


#: What a self-consistency entry means, read with the reference checks of its case: (status,
#: the cost's checks passed, the gradient's checks passed) -> (verdict, headline).  A headline that
#: calls the cost or the gradient right says so of the cases it lists ("On these cases"): the
#: same cost may fail elsewhere (nan on overflow).  None: no
#: reference check of that kind ran on the case (a self-check without it, a hidden case).
_VERDICTS: dict[tuple[str, bool | None, bool | None], tuple[str, str]] = {
    ("consistent", True, True): (
        "right", "On these cases, your cost and your gradient are right, and the gradient is the derivative of "
        "your cost."),
    ("consistent", True, False): (
        "returned-wrong", "On these cases, your gradient is the derivative of your cost, and your cost is right, "
        "yet the gradient check failed: look at what you return (its order, shape or variable)."),
    ("consistent", False, True): (
        "cost-off-by-constant", "On these cases, your gradient is right and is the derivative of your cost, but "
        "your cost is wrong by something that does not change its derivative (a constant): fix the cost only."),
    ("consistent", False, False): (
        "cost-wrong-gradient-derived", "Your gradient is the derivative of your own cost, but that cost is wrong: "
        "fix the cost; the gradient derived from the right cost will follow."),
    ("inconsistent", True, True): (
        "right-but-apart", "On these cases, your cost and your gradient both pass the reference checks, but differ "
        "from each other by more than the tolerance allows: no need to change either."),
    ("inconsistent", True, False): (
        "gradient-wrong", "On these cases, your cost is right, but your gradient is not its derivative: the "
        "mistake is in the gradient."),
    ("inconsistent", False, True): (
        "cost-wrong", "On these cases, your gradient is right, but your cost is wrong: the gradient is the "
        "derivative of the right cost, not of yours. Fix the cost and leave the gradient as it is."),
    ("inconsistent", False, False): (
        "both-wrong", "Your cost and your gradient are both wrong, and the gradient is not the derivative of your "
        "cost either: fix the cost first, then derive the gradient from it."),
}


def read_consistency(rubric: Rubric, results: Sequence[CheckResult],
                     found: Sequence[Consistency], stubs_called: Sequence[str] = ()) -> tuple[Consistency, ...]:
    """Give each self-consistency entry its verdict, read with the reference checks of the same case.

    What is known for a (case, gradient) entry: whether the student's gradient is the
    derivative of the student's own cost there (the entry's status), whether the cost's
    checks on that case passed, and whether that gradient's checks on that case passed.
    Each combination has one verdict (:data:`_VERDICTS`): a right gradient beside a wrong
    cost is never told to change, and a cost that is wrong only on other cases (say, on
    overflow) does not make this case's verdict say the cost is wrong.  Where no reference
    check of the cost or of the gradient ran on the case, the verdict says only what the
    comparison itself shows.  `stubs_called`: the names of functions still the starter's stub
    that the cost function calls (CS224d 2015's cost calling softmax's ``return x``); where
    the cost's checks failed, they are the cause, not the cost: verdict "stub", as for a
    stub of the cost itself (said by the callers' checks, not here).

    Examples
    --------
    >>> from grader.model import Question
    >>> cost = CheckSpec("ce/small", "ce", "small", "f", output="cost")
    >>> grad = CheckSpec("gp/small", "gp", "small", "f", output="gradPred")
    >>> rubric = Rubric("r", "", "1", (Question("ce", "", (cost,)), Question("gp", "", (grad,))), {}, {},
    ...                 consistency={"function": "f", "cost": "cost"})
    >>> results = [CheckResult("ce/small", "ce", "fail", 0, 1, ""), CheckResult("gp/small", "gp", "pass", 1, 1, "")]
    >>> (c,) = read_consistency(rubric, results, [Consistency("small", "gradPred", "inconsistent")])
    >>> c.verdict
    'cost-wrong'
    """
    con = rubric.consistency
    if not con or not found:
        return tuple(found)
    by_id = {r.id: r for r in results}

    def passed(case: str, output: str) -> bool | None:
        ran = [by_id[s.id] for s in rubric.checks()
               if s.function == con["function"] and s.case == case and s.output == output
               and s.compare == "close" and s.id in by_id]
        return all(r.status == "pass" for r in ran) if ran else None

    def stub(case: str) -> bool:  # every check of the function on the case failed as a starter stub
        ran = [by_id[s.id] for s in rubric.checks()
               if s.function == con["function"] and s.case == case and s.id in by_id]
        # a failure ("Not implemented", settings.not_implemented = "fail") or, elsewhere, the error of
        # the starter's NotImplementedError ("the starter placeholder is still there")
        return bool(ran) and all((r.status == "fail" and r.message.startswith("Not implemented"))
                                 or (r.status == "error" and r.error is not None
                                     and r.error.type == "NotImplementedError") for r in ran)

    def out_of_order(case: str) -> bool:  # the function's values, on this case, returned in another order
        return any(by_id[s.id].mistake == "returned-order" for s in rubric.checks()
                   if s.function == con["function"] and s.case == case and s.id in by_id)

    out = []
    for c in found:
        if out_of_order(c.case):
            # compared as returned, so in the wrong places: the checks' own "returned-order" says what is wrong
            verdict, head = "order", "Your values come back in another order than asked: they were not compared."
        elif c.status == "error" and stub(c.case):
            # Nothing to compare yet: the checks' own "Not implemented" says it once (neither the
            # terminal nor a report repeats it under the gradient's consistency)
            verdict, head = "stub", "Your cost is still the starter's stub: there is nothing to compare yet."
        elif stubs_called and passed(c.case, con["cost"]) is False:
            verdict, head = "stub", (f"Your cost calls {' and '.join(stubs_called)}, still the starter's stub: "
                                     "there is nothing to compare yet.")
        elif c.status == "error":
            verdict, head = "unavailable", "On these cases, your gradient could not be compared with your own cost."
        else:
            key = (c.status, passed(c.case, con["cost"]), passed(c.case, c.wrt))
            verdict, head = _VERDICTS.get(key) or (
                ("agrees", "Your gradient is the derivative of your own cost.") if c.status == "consistent"
                else ("disagrees", "Your gradient is not the derivative of your own cost: one of the two is wrong."))
        out.append(replace(c, verdict=verdict, headline=in_cost_words(head, cost_word(rubric))))
    return tuple(out)
