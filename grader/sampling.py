"""Negative sampling graded on what each student drew: read the draws, name the convention, resolve the case.

A negative-sampling case hands the student a scripted ``dataset`` (``Dataset.script``):
its ``sampleTokenIdx()`` returns the scripted indices in order and records every draw,
and the draws come back with the call's outcome (``CallOutcome.draws``, plain integers).
Here, in the grader's process, the draws are read:

- which convention the student followed for draws equal to the target: "reject" (drawn
  again, as the 2017+ ``getNegativeSamples`` does) or "use" (kept as negatives, which
  2016's wording allows); "either" when no draw hit the target;
- whether the count is right: more non-target draws than K means the student sampled
  again between the cost and the gradient; fewer than K, too few samples;

and the case is *resolved* on them: a copy whose Dataset carries the draws and the
convention that scores (the detected one when the rubric's ``[sampling] conventions``
allow it, else the rubric's first), with the expected values computed by the reference
module on that multiset of negatives.  Expected values never go to the student's process:
they are computed after the call, from the integers it sent back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np

from .model import Case, CheckSpec, Dataset, Rubric

#: What the convention names mean, for messages.
CONVENTION_TEXT = {
    "reject": "draws equal to the target were rejected and drawn again (the getNegativeSamples of 2017+)",
    "use": "draws equal to the target were used as negative samples (not rejected)",
    "either": "no draw was the target, so rejecting it or not made no difference",
    "drop": "draws equal to the target were left out without drawing again (fewer than K negatives)",
}


@dataclass(frozen=True)
class Draws:
    """What one student's call drew, read against the case's target and K."""

    drawn: tuple[int, ...]
    target: int
    K: int  # noqa: N815 - the course's name
    convention: str  #: "reject", "use", "either", or "" when the count is wrong
    problem: str = ""  #: a message when the count is wrong ("" when it is right)

    def first(self, convention: str) -> tuple[int, ...]:
        """The draws one call that draws its K samples once would have made, under `convention`.

        All of them when the count is right or too low; when drawn again (between the cost and
        the gradient), the first K (using the target) or up to the K-th non-target draw
        (rejecting it): what the expected values use, and the draws a student kit has values for.
        """
        others = sum(1 for d in self.drawn if d != self.target)
        if others <= self.K:
            return self.drawn
        if convention == "use":
            return self.drawn[: self.K]
        seen = 0
        for i, d in enumerate(self.drawn):
            seen += d != self.target
            if seen == self.K:
                return self.drawn[: i + 1]
        return self.drawn

    @property
    def negatives(self) -> tuple[int, ...]:
        """The negatives under the detected convention (the first K non-target draws when unknown)."""
        if self.convention == "use":
            return self.drawn[: self.K]
        return tuple(d for d in self.drawn if d != self.target)[: self.K]


def _k_of(case: Case, rubric: Rubric) -> int:
    """K: the case's argument named K, else 10 (the course's default)."""
    fn = rubric.functions.get(case.spec.function)
    if fn is not None and "K" in fn.params:
        i = fn.params.index("K")
        if i < len(case.args) and isinstance(case.args[i], (int, np.integer)):
            return int(case.args[i])
    return 10


def _target_of(case: Case, rubric: Rubric) -> int:
    """The target: the case's argument named target, else its second argument."""
    fn = rubric.functions.get(case.spec.function)
    i = fn.params.index("target") if fn is not None and "target" in fn.params else 1
    return int(case.args[i])


def classify(drawn: tuple[int, ...], target: int, K: int) -> Draws:  # noqa: N803
    """Read a student's draws: the convention followed, or what is wrong with the count.

    >>> classify((3, 1, 4, 5), target=1, K=3).convention
    'reject'
    >>> classify((3, 1, 4), target=1, K=3).convention
    'use'
    >>> classify((3, 4, 5), target=1, K=3).convention
    'either'
    >>> d = classify((3, 4, 5, 6, 7, 8), target=1, K=3)
    >>> d.convention, d.problem.split(":")[0]
    ('', 'you drew 6 samples, 6 of them not the target')
    >>> "asks for K = 3" in classify((3, 4, 5, 6), target=1, K=3).problem
    True
    """
    drawn = tuple(int(d) for d in drawn)
    n = len(drawn)
    others = sum(1 for d in drawn if d != target)
    hits = n - others
    if n == 0:
        return Draws(drawn, target, K, "", "you never called dataset.sampleTokenIdx(): negative sampling must draw "
                                            f"its K = {K} negative samples from the dataset it is given "
                                            "(getNegativeSamples does).")
    if others == K and (hits == 0 or n > K):
        return Draws(drawn, target, K, "either" if hits == 0 else "reject")
    if n == K and hits > 0:
        return Draws(drawn, target, K, "use")
    firsts: list[int] = []
    for d in drawn:
        if d != target and d not in firsts:
            firsts.append(d)
    if others > K and len(firsts) == K and drawn[-1] != target and drawn[-1] not in drawn[:-1]:
        # drawn until K different words came: each repeat skipped, and the last draw the K-th new word
        return Draws(drawn, target, K, "", (
            f"you drew until you had K = {K} different samples, skipping the words drawn again ({n} draws for "
            f"{', '.join(map(str, firsts))}): negative sampling draws with replacement, so a word drawn twice is "
            "two negative samples (only the target is drawn again). (The expected values use your first K "
            "draws that are not the target.)"))
    if others > K and others % K and others <= 10:
        return Draws(drawn, target, K, "", (
            f"you drew {n} samples, {others} of them not the target, but this case asks for K = {K}: "
            "draw as many as the K argument says (not a fixed number). (The expected values use your first K.)"))
    if others > K:
        return Draws(drawn, target, K, "", (
            f"you drew {n} samples, {others} of them not the target: more than K = {K}. It looks like you "
            "sample again between the cost and the gradient (getNegativeSamples called twice, or "
            "sampleTokenIdx() in two loops): draw the K samples once and use the same ones for the cost "
            "and both gradients. (The expected values use your first K.)"))
    return Draws(drawn, target, K, "", (
        f"you drew {n} samples ({others} not the target), fewer than K = {K}: negative sampling uses K "
        "samples (check the range of your loop). (The expected values use the samples you drew.)"))


def read(case: Case, drawn: tuple[int, ...], rubric: Rubric) -> Draws:
    """Classify the draws of one call on ``case``.

    Draws outside the vocabulary (``sampleTokenIdx()`` never returns them: the student's
    code changed the record) are a problem of their own; the expected values are then
    computed on none of them.
    """
    vocab = next((a.vocab for a in case.args if isinstance(a, Dataset)), 0)
    if any(not 0 <= int(d) < vocab for d in drawn):
        return Draws((), _target_of(case, rubric), _k_of(case, rubric), "",
                     "the record of your draws holds indices that sampleTokenIdx() never returned: "
                     "leave the dataset you are given as it is.")
    return classify(tuple(drawn), _target_of(case, rubric), _k_of(case, rubric))


def scoring_convention(draws: Draws, rubric: Rubric) -> str:
    """The convention the expected values use: the student's when the rubric lets it score, else the rubric's first."""
    allowed = _allowed(rubric)
    if draws.convention in allowed:
        return draws.convention
    return allowed[0] if allowed else "reject"


def expected_key(name: str, convention: str, drawn: tuple[int, ...]) -> str:
    """The key of an expected value computed ahead for one outcome of the draws (a student kit's).

    >>> expected_key("negsamp_cost", "reject", (3, 1, 4))
    'negsamp_cost@reject:3,1,4'
    """
    return f"{name}@{convention}:{','.join(str(int(d)) for d in drawn)}"


def honest_draws(case: Case, rubric: Rubric) -> list[tuple[int, ...]]:
    """What an implementation that draws its K samples once draws from the case's script, per convention.

    Rejecting the target: the script up to its K-th non-target index; using it: the first K.
    (A student kit carries the expected values of these outcomes only: it has no reference.)
    """
    ds = next(a for a in case.args if isinstance(a, Dataset) and a.script)
    target, k = _target_of(case, rubric), _k_of(case, rubric)
    out: list[tuple[int, ...]] = []
    n = 0
    for i, d in enumerate(ds.script):
        n += d != target
        if n == k:
            out.append(tuple(ds.script[: i + 1]))
            break
    if len(ds.script) >= k and tuple(ds.script[:k]) not in out:
        out.append(tuple(ds.script[:k]))
    return out


def resolve(case: Case, draws: Draws, rubric: Rubric, reference: ModuleType | None, memo: Any,
            convention: str | None = None) -> Case:
    """Return ``case`` made concrete on what a student drew: its Dataset carries the draws, with expected values.

    The resolved case's id is the case's id with a digest of the draws and the convention
    (so that what ``memo`` keeps for it is shared by every student who drew the same).
    Without a reference (a student kit), the expected values are those the kit computed
    ahead for these draws (``expected_key``), when it has them.  ``memo`` is the batch's
    ``mistakes.Memo`` (anything with its ``get(key, make)``).
    """
    convention = convention or scoring_convention(draws, rubric)
    key = hashlib.sha256(f"{convention}:{','.join(map(str, draws.drawn))}".encode()).hexdigest()[:16]
    cid = f"{case.spec.id}@{key}"

    def make() -> Case:
        args = tuple(replace(a, drawn=draws.drawn, convention=convention) if isinstance(a, Dataset) else a
                     for a in case.args)
        expected: dict[str, np.ndarray] = {}
        for spec in rubric.checks():
            if spec.case != case.spec.id or spec.compare != "close" or spec.expected in expected:
                continue
            f = getattr(reference, spec.expected, None) if reference is not None else None
            if not callable(f):
                ahead = case.expected.get(expected_key(spec.expected, convention, draws.first(convention)))
                if ahead is not None:
                    expected[spec.expected] = ahead
                continue
            try:
                with np.errstate(all="ignore"):
                    value = np.array(f(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]),
                                     dtype=np.float64)
            except Exception:  # noqa: BLE001 - draws the reference can't use: no expected value
                continue
            value.setflags(write=False)
            expected[spec.expected] = value
        return Case(spec=replace(case.spec, id=cid), args=args, expected=expected)

    return memo.get(("sampling", cid), make)


def shown(draws: Draws, convention: str, limit: int = 40) -> str:
    """One line for the report: what was drawn (the target marked) and the convention followed.

    >>> shown(classify((3, 1, 4, 4), 1, 3), "reject")
    'drawn: 3, 1 (the target), 4, 4 — draws equal to the target were rejected and drawn again (the getNegativeSamples of 2017+)'
    """
    items = [f"{d} (the target)" if d == draws.target else str(d) for d in draws.drawn[:limit]]
    more = f", … ({len(draws.drawn) - limit} more)" if len(draws.drawn) > limit else ""
    what = CONVENTION_TEXT.get(convention, "")
    text = f"drawn: {', '.join(items) or 'nothing'}{more}"
    if what:
        text += f" — {what}"
    return text


def judge_notes(spec: CheckSpec, draws: Draws, rubric: Rubric) -> tuple[tuple[str, ...], str]:
    """The notes a negative-sampling check gets (what was drawn), and the problem to add to its message.

    Said in the course's words: "the target" where the function's argument is ``target``
    (CS224d), "the outside word" where the course names it otherwise (a2's ``outsideWordIdx``).
    """
    notes = [shown(draws, draws.convention)]
    problem = draws.problem
    allowed = _allowed(rubric)
    if "use" in allowed:
        # 2015/2016: students wrote their own sampling; getNegativeSamples is a later year's helper
        problem = problem.replace("getNegativeSamples called twice, or sampleTokenIdx() in two loops",
                                  "sampleTokenIdx() called in two loops, or the sampling done twice").replace(
                                      " (getNegativeSamples does)", "")
    if draws.convention == "use" and "use" not in allowed:
        problem = ("draws equal to the target must be rejected and drawn again (as getNegativeSamples does); "
                   "you used the target as a negative sample.")
    elif draws.convention == "use":
        notes.append("you used draws equal to the target as negative samples; this rubric accepts that "
                     "(your assignment does not say whether to reject them).")
    # getNegativeSamples is given where only rejecting scores (2017+); where both score (2015/2016)
    # students drew their own samples, and a later year's helper is nothing of theirs
    helper = ", as the given getNegativeSamples does" if allowed == ("reject",) else ""
    notes = [n.replace(" (the getNegativeSamples of 2017+)", helper) for n in notes]
    return _in_course_words(spec, rubric, notes, problem)


def dropped(spec: CheckSpec, draws: Draws, rubric: Rubric) -> tuple[tuple[str, ...], str]:
    """The notes and the problem of a check whose answer is that of the draws equal to the target left out
    without drawing again (K draws, fewer negatives): read as "used", as the draws alone say."""
    allowed = _allowed(rubric)
    left = sum(1 for d in draws.drawn if d != draws.target)
    helper = " (as getNegativeSamples does)" if allowed == ("reject",) else ""
    problem = (f"you drew K = {draws.K} samples and left out those equal to the target without drawing again: "
               f"your {left} negatives are fewer than K. Draw again in their place{helper}"
               + (", or use them as negatives (this rubric accepts that)." if "use" in allowed else "."))
    notes = [shown(draws, "drop")]
    return _in_course_words(spec, rubric, notes, problem)


def _allowed(rubric: Rubric) -> tuple[str, ...]:
    """The conventions that score under `rubric` (its ``[sampling] conventions``; only "reject" by default)."""
    return tuple(rubric.sampling.get("conventions", ("reject",))) if rubric.sampling else ("reject",)


def _in_course_words(spec: CheckSpec, rubric: Rubric, notes: list[str],
                     problem: str) -> tuple[tuple[str, ...], str]:
    """The notes and problem of `spec` in its course's words: a2's function names CS224d's target the outside word
    (``outsideWordIdx``)."""
    fn = rubric.functions.get(spec.function)
    if fn is None or fn.said("target") == "target":
        return tuple(notes), problem

    def said(text: str) -> str:
        return text.replace("(the target)", "(the outside word)").replace("the target", "the outside word")

    return tuple(said(n) for n in notes), said(problem)
