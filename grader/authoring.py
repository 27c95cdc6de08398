"""Check a rubric as its author writes it: load it, run its reference on every case, grade nobody.

``grader rubric check FILE`` calls :func:`check_rubric`: the TOML is validated (every key,
every name of the reference module), every case is generated and every expected value
computed, each "property" check is tried on the reference's own answer (it must hold
there), and each named mistake's wrong formula is run on the cases of the checks that
list it (it must run, and differ from the expected value there, or it can never be told
apart from a right answer).  What is wrong stops the command with exit code 2, as it would
stop ``grader grade``; what is only doubtful is listed as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from . import cases as _cases
from .errors import RubricError, cut
from .model import Case, CheckSpec, Rubric


@dataclass(frozen=True)
class RubricCheck:
    """What :func:`check_rubric` found: counts for the author, warnings, problems."""

    name: str
    title: str
    points: float
    questions: int
    checks: int
    public: int
    hidden: int
    cases: dict[str, str] = field(default_factory=dict)  #: case id -> the shapes of its arguments
    properties: tuple[str, ...] = ()  #: property checks that held on the reference's answer
    formulas: int = 0  #: (mistake, case) pairs whose wrong formula ran and differs from the expected value
    written: int = 0  #: written questions whose reference computes and whose compact form equals it
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  #: each one would make grading wrong: the command exits 2
    extra: float = 0.0  #: points of the extra-credit questions, beyond ``points``

    def to_dict(self) -> dict[str, Any]:
        """Return the --json form."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _shapes(case: Case) -> str:
    out = []
    for a in case.args:
        if isinstance(a, np.ndarray):
            out.append("x".join(map(str, a.shape)) if a.shape else "scalar")
        else:
            out.append(type(a).__name__)
    return ", ".join(out)


def _reference_answer(spec: CheckSpec, rubric: Rubric, case: Case) -> tuple[Any, str]:
    """Return the reference's answer for a property check's call (from the case's expected values), or a reason."""
    fn = rubric.functions[spec.function]
    close = [c for c in rubric.checks() if c.function == spec.function and c.case == spec.case
             and c.compare == "close" and c.expected in case.expected]
    by_output = {c.output: case.expected[c.expected] for c in close}
    if fn.returns and spec.output is None:
        missing = [r for r in fn.returns if r not in by_output]
        if missing:
            return None, (f"no \"close\" check on case {spec.case!r} gives the reference's {', '.join(missing)}, "
                          "so the property was not tried on the reference's answer")
        return tuple(np.array(by_output[r]) for r in fn.returns), ""
    key = spec.output if fn.returns else None
    if key not in by_output:
        return None, (f"no \"close\" check on case {spec.case!r} gives the reference's answer, so the property "
                      "was not tried on it")
    return np.array(by_output[key]), ""


def check_rubric(rubric: Rubric, reference: ModuleType | None = None) -> RubricCheck:
    """Run the rubric's reference on every case and try its properties and mistakes; grade nobody.

    Parameters
    ----------
    rubric : Rubric
        A loaded (so already validated) rubric.
    reference : module, optional
        Its reference module (loaded from the rubric when None).

    Returns
    -------
    RubricCheck

    Raises
    ------
    RubricError
        A generator or an expected-value function fails (as ``grader grade`` would).
    """
    from .checks import property_verdict
    from .mistakes import Memo, matches

    ref = reference if reference is not None else _cases.load_reference(rubric)
    built = _cases.build(rubric, ref)
    checks = rubric.checks()
    warnings: list[str] = []
    problems: list[str] = []
    properties: list[str] = []
    for spec in checks:
        if spec.compare != "property":
            continue
        answer, why = _reference_answer(spec, rubric, built[spec.case])
        if why:
            warnings.append(f"{spec.id}: {why}")
            continue
        judge = getattr(ref, spec.property)
        try:
            verdict = judge(answer, *[np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                                      for a in built[spec.case].args])
        except Exception as e:  # noqa: BLE001 - the author's code
            problems.append(f"{spec.id}: the property {spec.property!r} failed on the reference's own answer: "
                            f"{type(e).__name__}: {cut(str(e))}")
            continue
        read = property_verdict(verdict)
        if isinstance(read, str):
            problems.append(f"{spec.id}: the property {spec.property!r} returned {read} on the reference's own "
                            "answer; a property returns True or False, or (True or False, a message)")
            continue
        ok, message = read
        if ok:
            properties.append(spec.id)
        else:
            problems.append(f"{spec.id}: the property {spec.property!r} does not hold for the reference's own "
                            f"answer{': ' + str(message) if message else ''}")
    formulas = 0
    memo = Memo()
    seen: set[tuple[str, str, str]] = set()
    #: (mistake, formula) -> on each case tried, whether it differs from the expected value there
    told_apart: dict[tuple[str, str], list[bool]] = {}
    for spec in checks:
        if spec.compare != "close":
            continue
        for mid in spec.mistakes:
            formula = rubric.mistakes.get(mid, {}).get("formula")
            if isinstance(formula, dict):
                formula = formula.get(spec.expected)
            if not formula or (mid, formula, spec.case) in seen:
                continue
            seen.add((mid, formula, spec.case))
            for case in _resolved(built[spec.case], rubric, ref, memo):
                try:
                    wrong = np.asarray(getattr(ref, formula)(*[np.array(a, copy=True) if isinstance(a, np.ndarray)
                                                               else a for a in case.args]), dtype=np.float64)
                except Exception as e:  # noqa: BLE001 - the author's code
                    problems.append(f"mistakes.{mid}: the formula {formula!r} failed on case {spec.case!r}: "
                                    f"{type(e).__name__}: {cut(str(e))}")
                    break
                same = matches(wrong, case.expected[spec.expected], spec.tolerance)
                told_apart.setdefault((mid, formula), []).append(not same)
                formulas += not same
    for (mid, formula), differs in told_apart.items():
        if not any(differs):  # on some cases a mistake is harmless (no overflow): only never is a problem
            warnings.append(f"mistakes.{mid}: the formula {formula!r} gives the expected value within tolerance on "
                            f"every case it is tried on, so this mistake is never named")
    written = 0
    if rubric.written is not None:
        from .written.grading import prepare as prepare_written
        from .written.grading import self_check

        written, found = self_check(prepare_written(rubric))
        problems += found
    for q in rubric.questions:
        if all(c.visibility == "hidden" for c in q.checks):
            warnings.append(f"questions.{q.id}: every check is hidden: a student's self-check says nothing of it")
    used_files = {q.file for q in rubric.questions} | ({"written"} if rubric.written is not None else set())
    for f in rubric.files:
        if f not in used_files:
            warnings.append(f"files: {f!r} is listed but no question is of that file (questions name theirs with "
                            f"file = \"...\"): a typo?")
    return RubricCheck(
        name=rubric.name, title=rubric.title, points=rubric.max_score, questions=len(rubric.questions),
        extra=sum(c.points for q in rubric.questions if q.extra for c in q.checks),
        checks=len(checks), public=sum(c.visibility == "public" for c in checks),
        hidden=sum(c.visibility == "hidden" for c in checks),
        cases={cid: _shapes(c) for cid, c in built.items()}, properties=tuple(properties), formulas=formulas,
        written=written,
        warnings=tuple(warnings), problems=tuple(problems))


def _resolved(case: Any, rubric: Rubric, ref: Any, memo: Any) -> list:
    """The case as its checks judge it: a negative-sampling case on the draws of honest implementations."""
    from . import sampling

    if _cases.scripted(case.args) is None:
        return [case]
    return [sampling.resolve(case, sampling.read(case, drawn, rubric), rubric, ref, memo)
            for drawn in sampling.honest_draws(case, rubric)]


__all__ = ["RubricCheck", "check_rubric", "RubricError"]
