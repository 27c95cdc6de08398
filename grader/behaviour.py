"""Verdicts on what a call did, not only on what it returned: CheckSpec + CallOutcome -> verdict. Pure.

Some functions of the problem set are graded by behaviour: ``gradcheck_naive(f, x)``
returns nothing and says its verdict by printing (the starter's "Gradient check passed!"
or a failure line), by an exception or an assert, or by returning a boolean.  The grader
hands it functions built in the student's process from plain data (``model.Built``): a
quadratic with its right gradient, with a wrong one, with a gradient of all zeros, or with
a cost that draws from Python's ``random`` (deterministic only when the random state is
restored before each call).  Those functions record how they were called (``probes``);
the student's process reports only that, what was printed and whether the call raised.
The verdict is made here, in the grader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .model import CallOutcome, CheckSpec

_PASSED = re.compile(r"\bpass(ed)?\b", re.IGNORECASE)
_FAILED = re.compile(r"\bfail(ed|s|ure)?\b|\berror found\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reported:
    """What a gradient check said about the gradient it was given."""

    verdict: str  #: "pass", "fail" or "silent" (nothing the signals recognise) or "both" (contradictory)
    how: str  #: in words: "printed 'Gradient check passed!'", "raised AssertionError"


def probe(outcome: CallOutcome, kind: str) -> Mapping[str, Any] | None:
    """Return the first record of a built argument of ``kind`` ("function", "use-saved"...)."""
    for p in outcome.probes:
        if p.get("kind") == kind:
            return p
    return None


def never_called(outcome: CallOutcome) -> bool:
    """True when a built function that must be called was never called (a starter's stub)."""
    return any(p.get("kind") == "function" and p.get("must_call") and p.get("calls") == 0 for p in outcome.probes)


def _first_line(text: str, pattern: re.Pattern) -> str:
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()[:80]
    return ""


def reported(outcome: CallOutcome, signals: tuple[str, ...]) -> Reported:
    """Read a gradient check's verdict from the call's outcome, through the accepted ``signals``.

    "text": a printed line with "passed" says pass, one with "failed" (or the starter's
    "First gradient error found") says fail; "return": True / False returned; "assert":
    an AssertionError raised says fail; "raise": any other exception says fail.

    >>> from grader.model import Value
    >>> ok = CallOutcome("c", "ok", value=Value("NoneType"), output="Gradient check passed!\\n")
    >>> reported(ok, ("text",))
    Reported(verdict='pass', how="printed 'Gradient check passed!'")
    >>> bad = CallOutcome("c", "raised", output="")
    >>> reported(bad, ("text",)).verdict
    'silent'
    """
    heard = probe(outcome, "said")
    if heard is not None:  # a hidden call: its printed text stayed in the student's process
        return _reported_hidden(heard, outcome, signals)
    says_pass, says_fail = [], []
    text = outcome.output or ""
    if "text" in signals:
        line = _first_line(text, _FAILED)
        if line:
            says_fail.append(f"printed {line!r}")
        line = _first_line(text, _PASSED)
        if line and not _FAILED.search(line):
            says_pass.append(f"printed {line!r}")
    if outcome.status == "raised" and outcome.error is not None:
        kind = "assert" if outcome.error.type == "AssertionError" else "raise"
        if kind in signals:
            says_fail.append(f"raised {outcome.error.type}")
            says_pass.clear()  # nothing said before the exception stands
    if "return" in signals and outcome.status == "ok" and outcome.value is not None:
        v = outcome.value
        if v.type in ("bool", "bool_") and v.array is not None and v.array.size == 1:
            (says_pass if bool(v.array.reshape(-1)[0]) else says_fail).append(f"returned {bool(v.array.reshape(-1)[0])}")
    if says_fail and says_pass:
        return Reported("both", " and ".join(says_pass + says_fail))
    if says_fail:
        return Reported("fail", says_fail[0])
    if says_pass:
        return Reported("pass", says_pass[0])
    if outcome.status == "raised" and outcome.error is not None:
        e = outcome.error
        if e.type == "AssertionError" or "raise" in signals:  # a verdict, in a way this year's starter did not report
            return Reported("silent", f"raised {e.type}, which is not how this version reports a verdict")
        where = f" ({e.frames[-1].where}, line {e.frames[-1].line})" if e.frames else ""
        said = f": {e.message[:200]}" if e.message else ""
        return Reported("silent", f"raised {e.type}{where}{said}, before giving a verdict")
    return Reported("silent", "said nothing that tells pass from fail")


def _reported_hidden(heard: Mapping[str, Any], outcome: CallOutcome, signals: tuple[str, ...]) -> Reported:
    """The verdict of a hidden call, from what the student's process recorded of it (no text)."""
    says_pass, says_fail = [], []
    if "text" in signals:
        if heard.get("fail"):
            says_fail.append("printed a failure line")
        if heard.get("pass"):
            says_pass.append("printed that the check passed")
    kind = heard.get("exception")
    if outcome.status == "raised" and kind in ("assert", "raise") and kind in signals:
        says_fail.append("raised AssertionError" if kind == "assert" else "raised an exception")
        says_pass.clear()
    if "return" in signals and outcome.status == "ok" and outcome.value is not None:
        v = outcome.value
        if v.type in ("bool", "bool_") and v.array is not None and v.array.size == 1:
            (says_pass if bool(v.array.reshape(-1)[0]) else says_fail).append(f"returned {bool(v.array.reshape(-1)[0])}")
    if says_fail and says_pass:
        return Reported("both", " and ".join(says_pass + says_fail))
    if says_fail:
        return Reported("fail", says_fail[0])
    if says_pass:
        return Reported("pass", says_pass[0])
    if outcome.status == "raised" and kind in ("assert", "raise"):
        what = "AssertionError" if kind == "assert" else "an exception"
        return Reported("silent", f"raised {what}, which is not how this version reports a verdict")
    return Reported("silent", "said nothing that tells pass from fail")


def judge_gradcheck(spec: CheckSpec, outcome: CallOutcome, fname: str,
                    handed: Mapping[str, Any] | None = None) -> tuple[bool, str, tuple[str, ...]]:
    """Decide a gradient-check behaviour check: (passed, message, detected mistake ids).

    ``spec.expect`` is the right verdict on the function handed over ("pass" for a right
    gradient, "fail" for a wrong or all-zeros one).  The detected ids are behaviour
    detectors (see ``rubric.DETECTORS``) for :mod:`grader.mistakes` to name when the check
    lists them: "random-state-not-restored" when the cost saw several random states,
    "zero-gradient-accepted" when an all-zeros gradient (``handed``, the built function's
    data) was said to pass.
    """
    said = reported(outcome, spec.signals)
    f = probe(outcome, "function") or {}
    calls = f.get("calls")
    states = f.get("states")
    detected: list[str] = []
    if isinstance(states, int) and states > 1:
        detected.append("random-state-not-restored")
    if (handed or {}).get("grad") == "zeros" and said.verdict == "pass":
        detected.append("zero-gradient-accepted")
    if said.verdict == spec.expect:
        message = (f"{fname} {said.how}: right, the gradient handed to it is "
                   f"{'right' if spec.expect == 'pass' else 'wrong'}.")
        if isinstance(calls, int) and calls < 2:  # no verdict without a difference of f's values
            return False, (f"{fname} {said.how} without evaluating f more than {calls} time(s): "
                           "a gradient check must compare with central differences of f."), tuple(detected)
        return True, message, ()
    if said.verdict == "silent":
        ways = {"text": "print 'Gradient check passed!' or a failure line", "return": "return True or False",
                "assert": "assert", "raise": "raise an exception"}
        how = ", ".join(ways[s] for s in spec.signals if s in ways)
        return False, f"{fname} {said.how} (accepted: {how}).", tuple(detected)
    if said.verdict == "both":
        return False, f"{fname} {said.how}: it reported both a pass and a failure.", tuple(detected)
    right = "right" if spec.expect == "pass" else "wrong"
    extra = f" (f was called {calls} times)" if isinstance(calls, int) else ""
    return False, f"{fname} {said.how}, but the gradient handed to it is {right}{extra}.", tuple(detected)
