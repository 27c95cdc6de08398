"""Tests of named-mistake recognition: one row per mistake of word2vec.md, and never a wrong diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from grader.mistakes import diagnose
from grader.model import Value
from support import ROOT, SUBMISSIONS, builtin, grade, imported, value_of

MISTAKES = SUBMISSIONS / "mistakes"
HONEST = SUBMISSIONS / "honest"
EXAMPLES = ROOT / "examples"

#: One row per mistake of word2vec.md: (corpus file, a check it must fail, the mistake id named there).
TABLE = [
    ("softmax-no-max-shift", "softmax/stable-large", "softmax-no-max-shift"),
    ("softmax-global-max", "softmax/stable-mixed", "softmax-global-max"),
    ("softmax-whole-matrix", "softmax/matrix", "softmax-whole-matrix"),
    ("softmax-wrong-axis", "softmax/matrix", "softmax-wrong-axis"),
    ("softmax-column", "softmax/vector", "softmax-column"),
    ("cost-wrong-sign", "cross_entropy/typical", "cost-wrong-sign"),
    ("cost-log10", "cross_entropy/small", "cost-log10"),
    ("cost-log2", "cross_entropy/large-vocab", "cost-log2"),
    ("cost-wrong-entry", "cross_entropy/typical", "cost-wrong-entry"),
    ("grad-pred-sign-flipped", "grad_pred/typical", "grad-pred-sign-flipped"),
    ("grad-pred-no-target-term", "grad_pred/small", "grad-pred-no-target-term"),
    ("grad-pred-unnormalised", "grad_pred/large-vocab", "grad-pred-unnormalised"),
    ("grad-output-transposed", "grad_output/typical", "grad-output-transposed"),
    ("grad-output-no-target-term", "grad_output/small", "grad-output-no-target-term"),
    ("grad-output-target-row-only", "grad_output/large-vocab", "grad-output-target-row-only"),
    ("grad-output-sign-flipped", "grad_output/extreme", "grad-output-sign-flipped"),
    ("returned-order", "grad_pred/small", "returned-order"),
    ("modified-input", "softmax/unmodified", "modified-input"),
]


def graded(path):
    rubric, ref, built = builtin()
    with imported(path, starter=path.is_dir()) as modules:
        return grade(modules, rubric, built, ref)[0]


@pytest.mark.parametrize("name,check_id,mistake", TABLE, ids=[row[0] for row in TABLE])
def test_each_mistake_is_named_and_no_other(name, check_id, mistake):
    rubric, _, _ = builtin()
    results = graded(MISTAKES / f"{name}.py")
    r = results[check_id]
    assert (r.status, r.score, r.mistake) == ("fail", 0.0, mistake)
    assert r.hint == rubric.mistakes[mistake]["message"]
    failed = [x for x in results.values() if x.status != "pass"]
    # Every failure of a one-mistake submission is that mistake or unexplained, never another one.
    assert {x.mistake for x in failed} <= {mistake, None}
    assert all(x.status == "fail" for x in failed)


def test_the_table_covers_every_mistake_of_the_rubric():
    rubric, _, _ = builtin()
    assert {row[2] for row in TABLE} == set(rubric.mistakes)
    assert {row[0] for row in TABLE} | {"not-implemented", "python2"} == {p.stem for p in MISTAKES.glob("*.py")}


def test_a_mistake_in_softmax_spreads_only_to_the_cases_it_breaks():
    results = graded(MISTAKES / "softmax-no-max-shift.py")
    failed = {k for k, r in results.items() if r.status != "pass"}
    assert failed == {"softmax/stable-large", "softmax/stable-negative", "softmax/stable-vector", "softmax/stable-mixed",
                      "softmax/hidden-mixed", "cross_entropy/extreme", "grad_pred/extreme", "grad_output/extreme"}
    assert results["cross_entropy/extreme"].mistake == "softmax-no-max-shift"
    # an all-nan gradPred: exp(z) in place of ŷ gives infinities there, not nan, so only the missing shift explains it
    assert results["grad_pred/extreme"].mistake == "softmax-no-max-shift"


def test_the_starter_placeholder_errors_every_check():
    results = graded(MISTAKES / "not-implemented.py")
    assert {r.status for r in results.values()} == {"error"}
    assert results["softmax/vector"].message == "softmax raised NotImplementedError."


@pytest.mark.parametrize("style", sorted(p.name for p in HONEST.iterdir() if p.is_dir()))
def test_honest_submissions_pass_everything_without_hints(style):
    results = graded(HONEST / style)
    assert [(k, r.status, r.message) for k, r in results.items() if r.status != "pass"] == []
    assert all(r.hint is None and r.mistake is None for r in results.values())


def test_the_honest_styles_are_the_ones_promised():
    assert {p.name for p in HONEST.iterdir() if p.is_dir()} >= {"vectorised", "loops", "einsum", "lists", "float32",
                                                                  "rows", "cs224n"}


def test_rows_style_passes_with_notes():
    results = graded(HONEST / "rows")
    assert results["softmax/vector"].notes == ("shape (1, 5) accepted as (5,)",)
    assert results["cross_entropy/small"].notes == ("shape (1, 1) accepted as ()",)
    assert results["grad_pred/small"].notes == ("shape (1, 3) accepted as (3,)",)


@pytest.mark.parametrize("path", ["cs224d_correct", "cs224n_correct"])
def test_correct_examples_pass(path):
    results = graded(EXAMPLES / path)
    assert {r.status for r in results.values()} == {"pass"}


@pytest.mark.parametrize("path,check_id,mistake", [
    ("mistake_transposed_grad.py", "grad_output/small", "grad-output-transposed"),
    ("mistake_no_max_shift.py", "softmax/stable-mixed", "softmax-no-max-shift"),
])
def test_mistake_examples_are_named(path, check_id, mistake):
    results = graded(EXAMPLES / path)
    assert (results[check_id].status, results[check_id].mistake) == ("fail", mistake)


# --------------------------------------------------------------------------- never a wrong diagnosis


def close_specs():
    rubric, _, _ = builtin()
    return [c for c in rubric.checks() if c.compare == "close"]


def unrelated(expected: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Wrong answers that are none of the named mistakes."""
    e = np.asarray(expected, dtype=float)
    wrong = {
        "noise": rng.normal(size=e.shape),
        "noise-added": e + rng.normal(scale=0.1, size=e.shape),
        "off-by-constant": e + 1.0,
        "zeros": np.zeros(e.shape),
        "constant": np.full(e.shape, 0.3),
        "doubled": 2.0 * e,
        "half": 0.5 * e,
    }
    # (All nan is not unrelated: where exp overflows it is the very signature of no max-shift.)
    if e.size > 1:
        wrong["partly-nan"] = np.where(np.arange(e.size).reshape(e.shape) % 2 == 0, np.nan, e)
    return wrong


@pytest.mark.parametrize("spec", close_specs(), ids=lambda s: s.id)
def test_unrelated_wrong_answers_are_never_named(spec):
    rubric, ref, built = builtin()
    case = built[spec.case]
    rng = np.random.default_rng(0)
    for kind, got in unrelated(case.expected[spec.expected], rng).items():
        assert diagnose(spec, case, value_of(got), rubric, ref) is None, kind


@pytest.mark.parametrize("spec", close_specs(), ids=lambda s: s.id)
def test_honest_answers_are_never_named(spec):
    rubric, ref, built = builtin()
    case = built[spec.case]
    exact = np.asarray(case.expected[spec.expected])
    for got in (exact, exact.astype(np.float32), exact.reshape((1,) + exact.shape)):
        assert diagnose(spec, case, value_of(got), rubric, ref) is None


def float32_softmax_no_shift(x):
    e = np.exp(np.asarray(x, dtype=np.float32))
    return e / e.sum(axis=-1, keepdims=True)


def test_a_float32_overflow_is_recognised_where_float64_would_not_overflow():
    rubric, ref, built = builtin()
    spec = next(c for c in rubric.checks() if c.id == "softmax/shift-invariance")
    case = built[spec.case]
    with np.errstate(all="ignore"):
        got = float32_softmax_no_shift(case.args[0])  # rows near +300 overflow in float32 only
    assert not np.all(np.isfinite(got))
    assert diagnose(spec, case, value_of(got), rubric, ref)[0] == "softmax-no-max-shift"


def test_float32_mistakes_are_recognised():
    rubric, ref, built = builtin()
    spec = next(c for c in rubric.checks() if c.id == "cross_entropy/typical")
    case = built[spec.case]
    got = (np.float32(case.expected["cross_entropy"]) / np.float32(np.log(10))).astype(np.float32)
    assert diagnose(spec, case, value_of(got), rubric, ref)[0] == "cost-log10"


def test_generic_detectors_guard_against_ambiguous_cases():
    rubric, ref, built = builtin()
    spec = next(c for c in rubric.checks() if c.id == "grad_output/small")
    case = built[spec.case]
    g = np.asarray(case.expected["grad_output"])
    assert diagnose(spec, case, value_of(g.T), rubric, ref)[0] == "grad-output-transposed"
    assert diagnose(spec, case, value_of(-g), rubric, ref)[0] == "grad-output-sign-flipped"
    assert diagnose(spec, case, value_of(np.asarray(case.expected["grad_pred"])), rubric, ref)[0] == "returned-order"
    # a transposed answer that is also off is not "transposed"
    assert diagnose(spec, case, value_of(g.T + 0.5), rubric, ref) is None
    # answers that are not arrays are not diagnosed
    assert diagnose(spec, case, Value("str", repr="'x'"), rubric, ref) is None
    assert diagnose(spec, case, None, rubric, ref) is None


def test_only_the_check_s_listed_mistakes_are_tried():
    from dataclasses import replace

    rubric, ref, built = builtin()
    spec = next(c for c in rubric.checks() if c.id == "grad_output/small")
    case = built[spec.case]
    g = np.asarray(case.expected["grad_output"])
    assert diagnose(replace(spec, mistakes=("returned-order",)), case, value_of(g.T), rubric, ref) is None
    assert diagnose(replace(spec, mistakes=()), case, value_of(-g), rubric, ref) is None


@pytest.mark.parametrize("block", [None, 4])
def test_ref_close_decides_as_the_tolerance_says_in_one_block_or_many(monkeypatch, block):
    # One block (the usual answer: a few numpy calls) or many (CLOSE_BLOCK made small here):
    # the same verdict as |got - ref| <= atol + rtol * |ref| over every element, nan never within.
    from grader import mistakes as m
    from grader.model import Tolerance

    if block is not None:
        monkeypatch.setattr(m, "CLOSE_BLOCK", block)
    rng = np.random.default_rng(7)
    tol = Tolerance(rtol=1e-5, atol=1e-8)
    for trial in range(200):
        shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 3))))
        ref = rng.normal(size=shape)
        got = ref + rng.choice([0.0, 1e-9, 1e-3], size=shape)
        if trial % 5 == 0:
            got.flat[int(rng.integers(got.size))] = rng.choice([np.nan, np.inf, -np.inf])
        if trial % 3 == 0:
            got = got.astype(np.float32)
        expected = bool(np.all(np.abs(got.astype(np.float64) - ref) <= tol.atol + tol.rtol * np.abs(ref)))
        assert m.Ref(ref).close(got, tol) is expected, (trial, got, ref)
