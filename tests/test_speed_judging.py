"""The fast paths of judging give the same answers as the plain rules they shortcut.

Judging keeps what depends only on a case in a per-batch Memo (wrong formulas' values,
expected values prepared for comparisons), decides a passing answer with one subtraction,
builds the heat grid with reduceat and result.json without deep copies.  Each test here
compares one of those with an independent statement of the rule, or with the same call
made without the Memo.
"""

from __future__ import annotations

import json
import math
import types
from dataclasses import asdict, is_dataclass
from typing import Any, Mapping

import numpy as np
import pytest

import factories
from grader import checks, mistakes
from grader.checks import compare_close, judge
from grader.mistakes import Memo, diagnose, matches
from grader.model import CallOutcome, LoadReport, RunReport, Submission, Tolerance, _plain
from grader.pipeline import grade, prepare
from support import builtin, value_of

SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 5e-324)


def read_only(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def oracle_close(got: np.ndarray, expected: np.ndarray, tol: Tolerance) -> bool:
    """compare_close's value rule, element by element: nan never passes, a non-finite expected only matches itself."""
    g = np.asarray(got, dtype=np.float64).reshape(expected.shape)
    for x, e in zip(g.reshape(-1).tolist(), expected.reshape(-1).tolist()):
        if not math.isfinite(e):
            if not (x == e or (math.isnan(x) and math.isnan(e))):
                return False
        elif not math.isfinite(x):
            return False
        else:
            with np.errstate(all="ignore"):
                if not abs(np.float64(x) - np.float64(e)) <= np.float64(tol.atol) + np.float64(tol.rtol) * abs(np.float64(e)):
                    return False
    return True


def oracle_matches(got: np.ndarray, cand: np.ndarray, tol: Tolerance) -> bool:
    """matches' rule: the same non-finite elements (nan, inf, -inf) at the same places, finite ones within tolerance."""
    g = np.asarray(got, dtype=np.float64).reshape(-1).tolist()
    c = np.asarray(cand, dtype=np.float64).reshape(-1).tolist()
    for x, e in zip(g, c):
        if math.isfinite(x) != math.isfinite(e):
            return False
        if not math.isfinite(e) and not (x == e or (math.isnan(x) and math.isnan(e))):
            return False
        if math.isfinite(e):
            with np.errstate(all="ignore"):
                if not abs(np.float64(x) - np.float64(e)) <= np.float64(tol.atol) + np.float64(tol.rtol) * abs(np.float64(e)):
                    return False
    return True


def random_pairs(seed: int, n: int = 400):
    """Pairs (got, expected) around the tolerance's edge, with nan, inf, float32, ints and bools."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        shape = tuple(int(k) for k in rng.integers(1, 5, size=rng.integers(0, 3)))
        e = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4)
        if rng.random() < 0.3:
            e.reshape(-1)[rng.integers(0, e.size)] = rng.choice(SPECIALS)
        step = rng.choice([0.0, 0.5, 0.99, 1.01, 2.0])
        tol = Tolerance(float(rng.choice([0.0, 1e-5, 1e-3, 1e300])), float(rng.choice([0.0, 1e-8, 1e-6, 1e300])))
        with np.errstate(all="ignore"):
            g = e + step * np.asarray(tol.allowed(e)) * rng.choice([-1.0, 1.0], size=shape)
        if rng.random() < 0.3:
            g = np.array(g).reshape(-1)
            g[rng.integers(0, g.size)] = rng.choice(SPECIALS)
            g = g.reshape(shape)
        kind = rng.integers(0, 4)
        if kind == 1:
            with np.errstate(all="ignore"):
                g = np.asarray(g).astype(np.float32)
        elif kind == 2:
            e = np.round(e)
            with np.errstate(all="ignore"):
                g = np.nan_to_num(np.round(np.asarray(g)), nan=0, posinf=0, neginf=0).astype(np.int64)
        elif kind == 3:
            e = (np.abs(e) > 1).astype(np.float64)
            g = np.asarray(g) > 1
        yield np.array(g), read_only(e), tol


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compare_close_passes_exactly_when_the_rule_says(seed):
    memo = Memo()
    for g, e, tol in random_pairs(seed):
        v = value_of(g)
        want = oracle_close(g, e, tol)
        with_memo = compare_close(v, e, tol, "strict", memo)
        without = compare_close(v, e, tol, "strict")
        assert (with_memo[0] is None) == want, (g, e, tol)
        assert repr(with_memo) == repr(without)


@pytest.mark.parametrize("seed", [4, 5])
def test_matches_is_the_rule_with_and_without_a_memo(seed):
    memo = Memo()
    for g, c, tol in random_pairs(seed):
        want = oracle_matches(g, c, tol)
        assert matches(g, c, tol, memo) is want, (g, c, tol)
        assert matches(g, c, tol) is want
        assert matches(g, np.array(c), tol, memo) is want  # a writable candidate is never kept


def test_the_memo_keeps_only_read_only_arrays_that_own_their_data():
    memo = Memo()
    owned = read_only([1.0, 2.0])
    assert memo.ref(owned) is memo.ref(owned)
    writable = np.array([1.0, 2.0])
    assert memo.ref(writable) is not memo.ref(writable)
    view = owned[::-1]
    assert not view.flags.writeable and memo.ref(view) is not memo.ref(view)
    assert len(memo) == 1


def _heat_by_blocks(bad: np.ndarray):
    """The heat grid as numpy.array_split's blocks and their means (what the report shows)."""
    rows = np.array_split(np.arange(bad.shape[0]), min(16, bad.shape[0]))
    cols = np.array_split(np.arange(bad.shape[1]), min(16, bad.shape[1]))
    return tuple(tuple(float(bad[np.ix_(r, c)].mean()) for c in cols) for r in rows)


@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (16, 16), (17, 5), (33, 2), (40, 6), (5000, 50)])
def test_the_heat_grid_is_the_share_of_each_block(shape):
    rng = np.random.default_rng(sum(shape))
    for p in (0.0, 0.03, 0.5, 1.0):
        bad = rng.random(shape) < p
        assert checks._heat(bad) == _heat_by_blocks(bad)
    assert checks._heat(np.zeros(5, dtype=bool)) is None
    assert checks._heat(np.zeros((0, 3), dtype=bool)) is None


# --------------------------------------------------------------------------- named mistakes, once per case


class Counting(types.ModuleType):
    """The reference module, counting calls of its functions by name."""

    def __init__(self, reference: types.ModuleType) -> None:
        super().__init__("counting_reference")
        self.calls: dict[str, int] = {}
        for name in dir(reference):
            f = getattr(reference, name)
            if callable(f) and not name.startswith("_") and not isinstance(f, type):
                setattr(self, name, self._counted(name, f))

    def _counted(self, name, f):
        def counted(*args, **kw):
            self.calls[name] = self.calls.get(name, 0) + 1
            return f(*args, **kw)
        return counted


def wrong_answers(reference, rubric, case, spec) -> list[np.ndarray]:
    """What the rubric's named mistakes of `spec` give on `case`, in float64 and float32, plus noise."""
    expected = np.array(case.expected[spec.expected])
    out = [expected.T.copy() if expected.ndim == 2 else expected, -expected, expected + 1.0,
           expected.astype(np.float32)]
    for mid in spec.mistakes:
        formula = rubric.mistakes[mid].get("formula")
        formula = formula.get(spec.expected) if isinstance(formula, dict) else formula
        if formula:
            f = getattr(reference, formula)
            with np.errstate(all="ignore"):
                value = np.asarray(f(*[np.array(a) if isinstance(a, np.ndarray) else a for a in case.args]))
                # computed in float32 from the start: exp overflows at 88 there, not at 709
                in32 = np.asarray(f(*[a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in case.args]))
                out += [value, value.astype(np.float32), in32]
    return out


@pytest.mark.parametrize("check_id", ["grad_output/large-vocab", "grad_output/extreme", "cross_entropy/small",
                                      "grad_pred/typical", "softmax/stable-mixed", "softmax/wide",
                                      "softmax/shift-invariance"])
def test_a_memo_names_the_same_mistakes_and_evaluates_each_formula_once_per_case(check_id):
    rubric, reference, built = builtin()
    spec = next(c for c in rubric.checks() if c.id == check_id)
    case = built[spec.case]
    counting = Counting(reference)
    memo = Memo()
    answers = wrong_answers(reference, rubric, case, spec)
    named = [diagnose(spec, case, value_of(a), rubric, counting, memo) for a in answers]
    assert named == [diagnose(spec, case, value_of(a), rubric, reference) for a in answers]
    assert any(n is not None for n in named)
    # each formula ran at most once per dtype it was tried in (float64, and float32 for float32 answers)
    assert counting.calls and max(counting.calls.values()) <= 2, counting.calls
    before = dict(counting.calls)
    assert [diagnose(spec, case, value_of(a), rubric, counting, memo) for a in answers] == named
    assert counting.calls == before  # the second student costs no formula at all


HONEST = """
import numpy as np

def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y = softmax(outputVectors.dot(predicted))
    d = y.copy()
    d[target] -= 1.0
    return -np.log(y[target]), outputVectors.T.dot(d), GRAD
"""


class Replay:
    """A sandbox that answers with a RunReport made beforehand."""

    def __init__(self, run: RunReport) -> None:
        self._run = run

    def run(self, *args, **kw) -> RunReport:
        return self._run


def run_in_process(src: str, job) -> RunReport:
    """Run this test's own code (never a submission file) in this process, as the sandbox would report it."""
    import support

    module = types.ModuleType("q3_word2vec")
    exec(compile(src, "q3_word2vec.py", "exec"), module.__dict__)
    outcomes = support.run({"q3_word2vec": module}, job.rubric, [c for c in job.calls if c.kind == "call"])
    return RunReport(load=LoadReport(modules=("q3_word2vec",)), outcomes=outcomes, isolation="process")


@pytest.mark.parametrize("grad, mistake", [("np.outer(d, predicted).T", "grad-output-transposed"),
                                           ("np.outer(y, predicted)", "grad-output-no-target-term"),
                                           ("np.outer(d, predicted)", None)])
def test_a_batch_computes_the_case_only_work_once(grad, mistake):
    rubric, reference, built = builtin()
    counting = Counting(reference)
    job = prepare(rubric, cases=built, reference=counting)
    report = run_in_process(HONEST.replace("GRAD", grad), job)
    sub = Submission(id="s", source="s.py", kind="module")
    first = grade(sub, job, Replay(report))
    assert {c.mistake for c in first.checks() if c.question == "grad_output"} == {mistake}
    calls, kept = dict(counting.calls), len(job.memo)
    again = grade(sub, job, Replay(report))
    assert counting.calls == calls and len(job.memo) == kept
    fresh = grade(sub, prepare(rubric, cases=built, reference=reference), Replay(report))
    for r in (again, fresh):
        assert json.dumps(r.to_dict() | {"seconds": 0}) == json.dumps(first.to_dict() | {"seconds": 0})


def test_judge_with_and_without_a_memo_agree_on_every_check():
    rubric, reference, built = builtin()
    job = prepare(rubric, cases=built, reference=reference)
    report = run_in_process(HONEST.replace("GRAD", "np.outer(d, predicted).T").replace(
        "e / np.sum(e, axis=-1, keepdims=True)", "e / np.sum(e)"), job)
    memo = Memo()
    for spec in rubric.checks():
        outcome = report.outcomes.get(f"{spec.function}:{spec.case}")
        a = judge(spec, built[spec.case], outcome, rubric, reference, memo)
        b = judge(spec, built[spec.case], outcome, rubric, reference)
        assert repr(a) == repr(b), spec.id


# --------------------------------------------------------------------------- result.json


def old_plain(obj: Any) -> Any:
    """result.json's conversion as it was, on top of dataclasses.asdict."""
    if isinstance(obj, Mapping):
        return {str(k): old_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [old_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    return obj


def test_plain_is_asdict_then_plain():
    results = factories.batch()
    seen = 0
    for r in results:
        parts = [r.canvas, r.load, *r.consistency]
        for c in r.checks():
            parts += [c.got, c.expected, c.mismatch, c.error]
        for part in parts:
            if part is None:
                continue
            assert is_dataclass(part)
            assert json.dumps(_plain(part)) == json.dumps(old_plain(asdict(part)))
            seen += 1
    assert seen > 40
    odd = {"a": (np.float32(0.5), np.int64(3), np.bool_(True), float("nan"), np.float64("inf")),
           "b": [np.arange(3), None, "x", 2, 2.5, float("-inf")], 3: types.MappingProxyType({"k": (1,)})}
    assert json.dumps(_plain(odd)) == json.dumps(old_plain(odd))


def test_a_float32_overflow_is_recognised_after_the_float64_values_are_kept():
    rubric, reference, built = builtin()
    spec = next(c for c in rubric.checks() if c.id == "softmax/shift-invariance")
    case = built[spec.case]  # rows shifted by 300: exp overflows in float32, not in float64
    x = np.array(case.args[0])
    with np.errstate(all="ignore"):
        in64 = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
        in32 = np.exp(x.astype(np.float32)) / np.exp(x.astype(np.float32)).sum(axis=-1, keepdims=True)
    assert np.isnan(in32).any() and np.isfinite(in64).all()
    memo = Memo()
    assert diagnose(spec, case, value_of(in64.astype(np.float32) + 1), rubric, reference, memo) is None
    assert diagnose(spec, case, value_of(in32), rubric, reference, memo)[0] == "softmax-no-max-shift"
    assert diagnose(spec, case, value_of(in32), rubric, reference)[0] == "softmax-no-max-shift"


# --------------------------------------------------------------------------- report.html's heat map

#: The heat map's loops as the template had them, to compare heat_rects with.
LOOPS = """<svg>
  {% for row in heat %}
    {% set i = loop.index0 %}
    {% for v in row %}
    <rect x="{{ loop.index0 * cell }}" y="{{ i * cell }}" width="{{ cell }}" height="{{ cell }}" fill="{{ v|heat_color }}"><title>block ({{ i }}, {{ loop.index0 }}): {{ ((v or 0) * 100)|round|int }}% of its elements differ</title></rect>
    {% endfor %}
  {% endfor %}
  </svg>"""


@pytest.mark.parametrize("heat", [((0.0,),), ((0.125, 0.5, 1.0), (0.005, 0.015, None)), ((1, 0),),
                                  tuple(tuple(float(x) for x in row) for row in
                                        np.random.default_rng(3).random((16, 16)).round(4))])
def test_heat_rects_print_what_the_template_loops_printed(heat):
    from grader import render

    loops = render.environment().from_string(LOOPS)
    for cell in (8, 10, 24):
        want = loops.render(heat=heat, cell=cell)
        assert "<svg>" + str(render.heat_rects(heat, cell)) + "  </svg>" == want


@pytest.mark.parametrize("bad_at", [None, 0, mistakes.CLOSE_BLOCK - 1, mistakes.CLOSE_BLOCK, 3 * mistakes.CLOSE_BLOCK + 4])
def test_close_decides_over_every_block_of_a_large_array(bad_at):
    n = 3 * mistakes.CLOSE_BLOCK + 5
    ref = np.linspace(-1.0, 1.0, n).reshape(1, n)
    tol = Tolerance(1e-6, 1e-9)
    got = ref + 1e-12
    if bad_at is not None:
        got[0, bad_at] += 1e-3
    assert mistakes.Ref(ref).close(got, tol) is (bad_at is None)
