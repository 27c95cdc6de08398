"""Tests of the reference solutions: gradients proven by finite differences, stability, invariances, generators."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from grader.model import Dataset
from support import builtin


@pytest.fixture(scope="module")
def ref():
    return builtin()[1]


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of the scalar function f at x (independent of the reference's formulas)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


def naive_cost(predicted, target, output_vectors):
    """-log of the target's probability, written with math (no log-sum-exp), for moderate scores."""
    z = [sum(w * r for w, r in zip(row, predicted)) for row in output_vectors]
    return -math.log(math.exp(z[target]) / sum(math.exp(v) for v in z))


@pytest.mark.parametrize("vocab,dim,seed", [(5, 3, 0), (20, 10, 1), (7, 4, 2)])
def test_gradients_match_finite_differences_of_the_cost(ref, vocab, dim, seed):
    r, i, w, ds = ref.gen_cost(np.random.default_rng(seed), vocab, dim)
    num_pred = numerical_gradient(lambda x: float(ref.cross_entropy(x, i, w, ds)), r)
    num_out = numerical_gradient(lambda x: float(ref.cross_entropy(r, i, x, ds)), w)
    np.testing.assert_allclose(ref.grad_pred(r, i, w, ds), num_pred, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ref.grad_output(r, i, w, ds), num_out, rtol=1e-6, atol=1e-8)
    assert ref.grad_pred(r, i, w).shape == (dim,)
    assert ref.grad_output(r, i, w).shape == (vocab, dim)


def test_gradients_match_finite_differences_at_extreme_scores(ref):
    r, i, w, ds = ref.gen_cost_extreme(np.random.default_rng(3), 8, 4)
    num_pred = numerical_gradient(lambda x: float(ref.cross_entropy(x, i, w)), r, h=1e-4)
    num_out = numerical_gradient(lambda x: float(ref.cross_entropy(r, i, x)), w, h=1e-4)
    np.testing.assert_allclose(ref.grad_pred(r, i, w), num_pred, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ref.grad_output(r, i, w), num_out, rtol=1e-5, atol=1e-6)


def test_cost_is_minus_log_of_the_target_probability(ref):
    for seed in range(5):
        r, i, w, _ = ref.gen_cost(np.random.default_rng(seed), 6, 3)
        assert float(ref.cross_entropy(r, i, w)) == pytest.approx(naive_cost(r, i, w), rel=1e-12)


def test_cost_is_finite_where_exp_overflows(ref):
    r = np.array([1.0])
    w = np.array([[1000.0], [1001.0]])
    # ŷ = softmax([1000, 1001]): -log ŷ_0 = log(1 + e)
    assert float(ref.cross_entropy(r, 0, w)) == pytest.approx(math.log(1 + math.e), rel=1e-12)
    assert np.all(np.isfinite(ref.grad_pred(r, 0, w))) and np.all(np.isfinite(ref.grad_output(r, 0, w)))


def test_softmax_known_values_and_shapes(ref):
    np.testing.assert_allclose(ref.softmax(np.array([1.0, 2.0])), [0.26894142, 0.73105858], atol=1e-8)
    got = ref.softmax(np.array([[1001.0, 1002.0], [3.0, 4.0]]))
    np.testing.assert_allclose(got, [[0.26894142, 0.73105858]] * 2, atol=1e-8)
    assert ref.softmax(np.zeros(5)).shape == (5,)
    assert ref.softmax(np.zeros((1, 5))).shape == (1, 5)
    assert ref.softmax(np.zeros((3, 5))).shape == (3, 5)


def test_softmax_is_stable_on_rows_near_plus_and_minus_1000(ref):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [0.0, 1.0, 2.0]])
    got = ref.softmax(x)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(got[0], got[2], rtol=1e-13)
    np.testing.assert_allclose(got[1], got[2][::-1], rtol=1e-13)


def test_softmax_is_invariant_to_a_shift_of_each_row(ref):
    (x,) = ref.gen_softmax(np.random.default_rng(0), [4, 7], 2.0)
    shifts = np.array([[-700.0], [-3.5], [10.0], [700.0]])
    np.testing.assert_allclose(ref.softmax(x + shifts), ref.softmax(x), rtol=1e-12)


def test_softmax_leaves_its_input_unmodified(ref):
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    before = x.copy()
    ref.softmax(x)
    np.testing.assert_array_equal(x, before)


def test_generators_are_deterministic_and_exact_in_float32(ref):
    a = ref.gen_cost(np.random.default_rng(7), 10, 4)
    b = ref.gen_cost(np.random.default_rng(7), 10, 4)
    assert a[1] == b[1] and isinstance(a[1], int) and a[3] == Dataset(vocab=10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[2], b[2])
    for arr in (a[0], a[2], ref.gen_softmax(np.random.default_rng(1), [3, 4], offset=1000.0)[0]):
        assert arr.dtype == np.float64
        np.testing.assert_array_equal(arr.astype(np.float32).astype(np.float64), arr)


def test_extreme_generator_puts_every_score_near_the_offset_exactly_in_float32(ref):
    r, i, w, ds = ref.gen_cost_extreme(np.random.default_rng(204), 40, 6, offset=768.0, spread=20.0)
    z = w @ r
    assert np.all(np.abs(z - 768.0) <= 20.0) and 0 <= i < 40 and ds.vocab == 40
    np.testing.assert_array_equal((w.astype(np.float32) @ r.astype(np.float32)).astype(np.float64), z)
    with np.errstate(over="ignore"):
        assert np.all(np.isinf(np.exp(z)))  # exp overflows: only a max-shifted softmax survives


def test_wrong_formulas_differ_from_the_right_ones(ref):
    r, i, w, _ = ref.gen_cost(np.random.default_rng(5), 6, 3)
    right = {"cross_entropy": ref.cross_entropy(r, i, w), "grad_pred": ref.grad_pred(r, i, w),
             "grad_output": ref.grad_output(r, i, w)}
    wrong = {
        "cross_entropy": [ref.cross_entropy_log10, ref.cross_entropy_log2],
        "grad_pred": [ref.grad_pred_no_target_term, ref.grad_pred_unnormalised],
        "grad_output": [ref.grad_output_no_target_term, ref.grad_output_target_row_only],
    }
    for name, fs in wrong.items():
        for f in fs:
            assert not np.allclose(f(r, i, w), right[name], rtol=1e-3), f.__name__
    for alt in ref.cross_entropy_wrong_entry(r, i, w):
        assert not np.isclose(alt, right["cross_entropy"])
    x = np.array([[1000.0, 1001.0], [-1000.0, -999.0], [0.0, 3.0]])
    assert np.all(np.isnan(ref.softmax_no_max_shift(x)[:2]))
    assert np.all(np.isnan(ref.softmax_global_max(x)[1]))
    np.testing.assert_allclose(ref.softmax_wrong_axis(x).sum(axis=0), 1.0)


def test_float32_wrong_formula_overflows_where_float64_does_not(ref):
    x = np.array([100.0, 101.0])
    assert np.all(np.isfinite(ref.softmax_no_max_shift(x)))
    assert ref.softmax_no_max_shift(x.astype(np.float32)).dtype == np.float32
    assert np.all(np.isnan(ref.softmax_no_max_shift(x.astype(np.float32))))


def test_docstring_examples(ref):
    result = doctest.testmod(ref, verbose=False)
    assert result.attempted > 0 and result.failed == 0
