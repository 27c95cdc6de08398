"""Tests of compare_close, judge and consistency: every Mismatch branch and message, pinned."""

from __future__ import annotations

import doctest
from dataclasses import replace

import numpy as np
import pytest

from grader import checks, mistakes
from grader.checks import compare_close, judge
from grader.model import CallOutcome, ErrorInfo, Shown, Tolerance, Value
from support import builtin, value_of

T = Tolerance(rtol=1e-5, atol=1e-8)


def v(a, dtype=float) -> Value:
    return value_of(np.asarray(a, dtype=dtype))


# --------------------------------------------------------------------------- compare_close


@pytest.mark.parametrize("got,summary", [
    (None, "None, expected an array of shape (2,)"),
    (Value("NoneType"), "None, expected an array of shape (2,)"),
    (value_of((np.ones(2), np.ones(2))), "a tuple of 2 values, expected an array of shape (2,)"),
    (Value("str", repr="'abc'"), "a str, expected an array of shape (2,)"),
    (Value("ndarray", "|O", (2,), repr="array([None, None], dtype=object)"),
     "an ndarray of Python objects (object), expected an array of shape (2,)"),
    # a string is a string, not an array of shape ()
    (Value("str", "<U5", (), repr="'grad'"), "a str, expected an array of shape (2,)"),
    # the right shape of the wrong kind of numbers: the dtype says why
    (Value("ndarray", "complex128", (2,)), "an ndarray of complex numbers (complex128), expected an array of shape (2,)"),
])
def test_type_mismatch(got, summary):
    m, notes = compare_close(got, np.array([0.5, 0.5]), T, "squeeze")
    assert (m.reason, m.summary, notes) == ("type", summary, ())


def test_type_mismatch_for_a_number():
    m, _ = compare_close(None, np.array(1.5), T, "squeeze")
    assert m.summary == "None, expected a number"


def test_a_value_too_large_to_send_back_is_a_shape_mismatch():
    got = Value("ndarray", "<f8", (5000, 5000), repr="(too large: 5000×5000 values)")
    m, _ = compare_close(got, np.zeros(3), T, "squeeze")
    assert (m.reason, m.summary, m.n_total) == ("shape", "shape (5000, 5000), expected (3,)", 3)


@pytest.mark.parametrize("mode,got,expected,ok", [
    ("strict", (3,), (3,), True),
    ("strict", (1, 3), (3,), False),
    ("strict", (1,), (), False),
    ("squeeze", (1, 3), (3,), True),
    ("squeeze", (3, 1), (3,), True),
    ("squeeze", (1,), (), True),
    ("squeeze", (1, 1), (), True),
    ("squeeze", (3, 5), (5, 3), False),  # a transposed matrix never passes
    ("squeeze", (0,), (), False),
    ("squeeze", (2,), (3,), False),
    ("leading", (1, 3), (3,), True),
    ("leading", (1, 1, 3), (3,), True),
    ("leading", (3, 1), (3,), False),  # word2vec.md's "returning (n, 1)"
    ("leading", (3,), (1, 3), False),
    ("leading", (1, 4, 6), (4, 6), True),
    ("leading", (6, 4), (4, 6), False),
])
def test_shape_modes(mode, got, expected, ok):
    assert mistakes.shape_fits(got, expected, mode) is ok
    m, notes = compare_close(v(np.zeros(got)), np.zeros(expected), T, mode)
    if ok:
        assert m is None
        assert notes == ((f"shape {got} accepted as {expected}",) if got != expected else ())
    else:
        assert (m.reason, m.summary) == ("shape", f"shape {got}, expected {expected}")


def test_empty_arrays():
    assert compare_close(v([]), np.array([]), T, "strict") == (None, ())
    assert compare_close(v([]), np.array(5.0), T, "squeeze")[0].summary == "shape (0,), expected ()"
    assert compare_close(v([]), np.array([5.0]), T, "squeeze")[0].summary == "shape (0,), expected (1,)"
    assert compare_close(v([5.0]), np.array([]), T, "squeeze")[0].summary == "shape (1,), expected (0,)"
    assert compare_close(v(np.zeros((0, 3))), np.zeros((0, 3)), T, "strict") == (None, ())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_never_pass_whatever_the_tolerance(bad):
    m, _ = compare_close(v([bad, 0.5]), np.array([0.5, 0.5]), Tolerance(1e300, 1e300), "strict")
    assert (m.reason, m.summary, m.n_bad, m.n_total) == ("nonfinite", "1 of 2 elements are nan or inf", 1, 2)
    assert m.worst[0].index == (0,) and m.worst[0].expected == 0.5
    m, _ = compare_close(v(np.full((2, 2), np.nan)), np.full((2, 2), 0.25), T, "strict")
    assert m.summary == "4 of 4 elements are nan or inf" and m.heat == ((1.0, 1.0), (1.0, 1.0))


def test_a_nonfinite_expected_value_is_only_matched_by_itself():
    assert compare_close(v([np.inf, 1.0]), np.array([np.inf, 1.0]), T, "strict") == (None, ())
    assert compare_close(v([-np.inf, 1.0]), np.array([np.inf, 1.0]), T, "strict")[0].reason == "nonfinite"
    assert compare_close(v([1.0, 1.0]), np.array([np.nan, 1.0]), T, "strict")[0].reason == "nonfinite"


def test_values_mismatch_counts_all_elements_and_keeps_the_worst_five():
    expected = np.linspace(1.0, 2.0, 12).reshape(3, 4)
    got = expected.copy()
    offsets = [0.1, 0.7, 0.3, 0.9, 0.2, 0.5, 0.05]  # 7 mismatches
    for k, d in enumerate(offsets):
        got.flat[k] += d
    m, notes = compare_close(v(got), expected, T, "strict")
    assert (m.reason, m.summary, m.n_bad, m.n_total, notes) == ("values", "7 of 12 elements differ", 7, 12, ())
    assert len(m.worst) == 5
    assert [e.index for e in m.worst] == [(0, 3), (0, 1), (1, 1), (0, 2), (1, 0)]
    assert m.worst[0].got == pytest.approx(got[0, 3]) and m.worst[0].expected == expected[0, 3]
    assert m.worst[0].allowed == pytest.approx(1e-8 + 1e-5 * expected[0, 3])
    assert m.max_abs == pytest.approx(0.9)
    assert m.max_rel == pytest.approx(max(d / expected.flat[k] for k, d in enumerate(offsets)))
    assert m.heat == ((1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 0.0), (0.0, 0.0, 0.0, 0.0))


def test_values_within_tolerance_pass_using_expected_as_reference():
    expected = np.array([100.0, 0.0])
    assert compare_close(v([100.0009, 5e-9]), expected, Tolerance(1e-5, 1e-8), "strict") == (None, ())
    m, _ = compare_close(v([100.0011, 0.0]), expected, Tolerance(1e-5, 1e-8), "strict")
    assert m.n_bad == 1 and m.worst[0].index == (0,)


def test_max_rel_is_none_when_every_mismatch_expects_zero():
    m, _ = compare_close(v([0.1, 1.0]), np.array([0.0, 1.0]), T, "strict")
    assert m.max_rel is None and m.max_abs == pytest.approx(0.1)


def test_heat_is_at_most_16_by_16_and_absent_for_vectors():
    expected = np.zeros((100, 40))
    got = expected.copy()
    got[:50] = 1.0
    m, _ = compare_close(v(got), expected, T, "strict")
    assert len(m.heat) == 16 and all(len(row) == 16 for row in m.heat)
    assert m.heat[0][0] == 1.0 and m.heat[-1][-1] == 0.0
    m, _ = compare_close(v([1.0, 2.0]), np.zeros(2), T, "strict")
    assert m.heat is None


def test_float32_int_and_bool_values_are_compared_as_numbers():
    assert compare_close(v([0.5, 0.25], np.float32), np.array([0.5, 0.25]), T, "strict") == (None, ())
    assert compare_close(v([1, 2], np.int64), np.array([1.0, 2.0]), T, "strict") == (None, ())
    assert compare_close(v([True, False], bool), np.array([1.0, 0.0]), T, "strict") == (None, ())


# --------------------------------------------------------------------------- judge

WITHIN = "Within tolerance (rtol=1e-05, atol=1e-08) of the expected values."


def spec_of(check_id: str):
    rubric, _, _ = builtin()
    return next(c for c in rubric.checks() if c.id == check_id)


def ok(value, call="x", echoed=()) -> CallOutcome:
    return CallOutcome(call=call, status="ok", value=value, echoed=echoed)


def expected_tuple(case) -> Value:
    return value_of(tuple(np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output")))


def run_judge(check_id, outcome):
    rubric, ref, built = builtin()
    spec = spec_of(check_id)
    return judge(spec, built[spec.case], outcome, rubric, ref)


def test_the_reference_against_itself_passes_every_check():
    rubric, ref, built = builtin()
    for spec in rubric.checks():
        case = built[spec.case]
        if spec.function == "softmax":
            value = value_of(ref.softmax(case.args[0]))
        else:
            value = expected_tuple(case)
        echoed = tuple(value_of(np.array(a)) if isinstance(a, np.ndarray) else None for a in case.args)
        r = judge(spec, case, ok(value, echoed=echoed), rubric, ref)
        assert (r.status, r.score, r.hint, r.mistake) == ("pass", spec.points, None, None), spec.id
        assert r.max_score == spec.points and r.visibility == spec.visibility
        assert r.case == case.spec.description


def test_pass_result_shows_shapes_and_the_tolerance():
    _, ref, built = builtin()
    r = run_judge("softmax/matrix", ok(value_of(ref.softmax(built["matrix"].args[0]))))
    assert r.message == WITHIN
    assert r.got == Shown("ndarray", "float64", (4, 6)) and r.expected == Shown("ndarray", "float64", (4, 6))
    assert r.notes == () and r.mismatch is None and r.id == "softmax/matrix" and r.question == "softmax"


def test_shape_accepted_with_a_note():
    _, ref, built = builtin()
    r = run_judge("softmax/vector", ok(value_of(ref.softmax(built["vector"].args[0]).reshape(1, 5))))
    assert (r.status, r.notes) == ("pass", ("shape (1, 5) accepted as (5,)",))


def test_call_not_made_is_an_error():
    r = run_judge("softmax/vector", None)
    assert (r.status, r.score) == ("error", 0.0)
    assert r.message == "softmax was not called for this check; see the errors of the submission."


def test_call_that_failed_is_an_error_with_the_sandbox_message():
    msg = "softmax did not return within 2 s on this input; it was stopped, this check scored 0 and the other checks still ran."
    err = ErrorInfo("Timeout", "2 s")
    r = run_judge("softmax/vector", CallOutcome("softmax:vector", "timeout", error=err, message=msg, output="hi\n"))
    assert (r.status, r.score, r.message, r.error, r.output) == ("error", 0.0, msg, err, "hi\n")
    r = run_judge("softmax/vector", CallOutcome("softmax:vector", "crashed"))
    assert r.message == "softmax did not return a value (crashed)."


def test_wrong_number_of_returned_values():
    r = run_judge("grad_pred/small", ok(value_of((1.0, np.zeros(3)))))
    assert (r.status, r.score) == ("fail", 0.0)
    assert r.message == "softmaxCostAndGradient returned 2 values; expected 3: (cost, gradPred, grad)."
    assert r.mismatch.reason == "type" and r.got == Shown("tuple", None, (2,))


def test_one_value_returned_where_a_tuple_is_expected():
    r = run_judge("cross_entropy/small", ok(value_of(np.zeros(3))))
    assert r.message == "softmaxCostAndGradient returned an ndarray; expected 3 values: (cost, gradPred, grad)."
    r = run_judge("cross_entropy/small", ok(Value("NoneType")))
    assert r.message == "softmaxCostAndGradient returned None; expected 3 values: (cost, gradPred, grad)."
    r = run_judge("cross_entropy/small", ok(Value("list", "<f8", (4, 3), np.zeros((4, 3)))))
    assert r.message == "softmaxCostAndGradient returned 4 values; expected 3: (cost, gradPred, grad)."


def test_a_list_of_equal_shaped_values_sent_as_one_array_is_picked_apart():
    _, _, built = builtin()
    case = built["small"]
    # three (1,)-shaped values would be one (3, 1) array if the worker made an array of them
    stacked = np.stack([np.atleast_1d(case.expected["cross_entropy"])] * 3)
    r = run_judge("cross_entropy/small", ok(Value("list", "<f8", (3, 1), stacked)))
    assert (r.status, r.notes) == ("pass", ("shape (1,) accepted as ()",))


def test_returned_item_messages():
    _, _, built = builtin()
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    r = run_judge("grad_output/small", ok(value_of((cost, gp, g.T.copy()))))
    assert r.message == "The returned 'grad' has shape (3, 5), expected (5, 3)."
    assert r.mismatch.summary == "shape (3, 5), expected (5, 3)"
    r = run_judge("grad_pred/small", ok(value_of((cost, None, g))))
    assert r.message == "The returned 'gradPred' is None, expected an array of shape (3,)."
    r = run_judge("cross_entropy/small", ok(value_of(("abc", gp, g))))
    assert r.message == "The returned 'cost' is a str, expected a number."
    r = run_judge("grad_pred/small", ok(value_of((cost, gp * np.nan, g))))
    assert r.message == "The returned 'gradPred' has nan or inf in 3 of 3 values; expected finite values."
    r = run_judge("grad_pred/small", ok(value_of((cost, gp + 1.0, g))))
    assert r.message == "Not within tolerance (rtol=0.0001, atol=1e-05) of the expected values."
    assert (r.status, r.mistake, r.hint) == ("fail", None, None)
    assert r.mismatch.n_bad == 3


def test_whole_value_messages():
    r = run_judge("softmax/vector", ok(value_of(np.zeros((5, 1)))))
    assert r.message == "softmax returned shape (5, 1), expected (5,)."
    r = run_judge("softmax/vector", ok(Value("NoneType")))
    assert r.message == "softmax returned None, expected an array of shape (5,)."
    r = run_judge("softmax/vector", ok(value_of((1, 2))))
    assert r.message == "softmax returned a tuple of 2 values, expected an array of shape (5,)."
    r = run_judge("softmax/stable-large", ok(value_of(np.full((3, 4), np.nan))))
    assert r.message == "softmax returned nan or inf in 12 of 12 values; expected finite values."
    assert (r.mistake, r.status, r.score) == ("softmax-no-max-shift", "fail", 0.0)
    assert r.hint.startswith("exp overflows for large scores")


def test_hidden_checks_keep_one_line_and_no_values_in_the_message():
    _, ref, built = builtin()
    x = built["hidden-mixed"].args[0]
    wrong = ref.softmax(x) + 0.123456
    r = run_judge("softmax/hidden-mixed", ok(value_of(wrong)))
    assert r.visibility == "hidden" and r.status == "fail"
    assert r.message == "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values."
    assert "\n" not in r.message and "0.12" not in r.message
    assert r.mismatch is not None and r.mismatch.n_bad == x.size  # kept: renderers decide what to show
    for got in (np.full(x.shape, np.nan), np.zeros((x.shape[1], x.shape[0]))):
        r = run_judge("softmax/hidden-mixed", ok(value_of(got)))
        assert "\n" not in r.message and ("nan or inf" in r.message or "shape" in r.message)


def test_unmodified_checks():
    _, _, built = builtin()
    x = np.array(built["matrix"].args[0])
    same = ok(value_of(np.zeros_like(x)), echoed=(value_of(x),))
    r = run_judge("softmax/unmodified", same)
    assert (r.status, r.score, r.message) == ("pass", 0.5, "softmax left its argument unmodified.")
    changed = ok(value_of(np.zeros_like(x)), echoed=(value_of(x - x.max(axis=1, keepdims=True)),))
    r = run_judge("softmax/unmodified", changed)
    assert (r.status, r.score) == ("fail", 0.0)
    assert r.message == "softmax modified its argument 'x' in place; the caller's arrays must stay unchanged."
    assert r.mistake == "modified-input" and r.hint.startswith("your function changes its input array in place")

    p, t, w, _ = built["typical"].args
    r = run_judge("cross_entropy/inputs-unmodified", ok(value_of(1.0), echoed=(value_of(p * 2), None, value_of(w + 1),
                                                                               None)))
    assert r.message == ("softmaxCostAndGradient modified its arguments 'predicted' and 'outputVectors' in place; "
                         "the caller's arrays must stay unchanged.")
    r = run_judge("cross_entropy/inputs-unmodified", ok(value_of(1.0), echoed=(value_of(p), None, value_of(w), None)))
    assert r.message == "softmaxCostAndGradient left its arguments unmodified."
    # A stub (`pass`) returns None and leaves everything alone: no points for that
    r = run_judge("softmax/unmodified", ok(value_of(None), echoed=(value_of(x),)))
    assert (r.status, r.score) == ("fail", 0.0)
    assert r.message == ("softmax returned None (the starter's placeholder is still there?); this check passes when "
                         "softmax returns its result and leaves its arguments unmodified.")
    r = run_judge("cross_entropy/inputs-unmodified", ok(value_of(None), echoed=(value_of(p), None, value_of(w), None)))
    assert (r.status, r.score) == ("fail", 0.0)
    r = run_judge("cross_entropy/inputs-unmodified", ok(value_of(1.0), echoed=()))
    assert r.status == "error"
    assert r.message == ("the arguments of softmaxCostAndGradient were not sent back after the call; "
                         "this is a bug in grader.")


def test_scores_are_all_or_nothing():
    _, _, built = builtin()
    case = built["typical"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    g[0, 0] += 1.0  # one element of 200 wrong
    r = run_judge("grad_output/typical", ok(value_of((cost, gp, g))))
    assert (r.status, r.score, r.mismatch.n_bad, r.mismatch.n_total) == ("fail", 0.0, 1, 200)


def test_judge_without_reference_still_uses_generic_detectors():
    rubric, _, built = builtin()
    spec = spec_of("grad_output/small")
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    r = judge(spec, case, ok(value_of((cost, gp, g.T.copy()))), rubric, None)
    assert r.mistake == "grad-output-transposed"
    r = judge(spec, case, ok(value_of((cost, gp, np.outer(np.zeros(5), np.ones(3))))), rubric, None)
    assert r.mistake is None


# --------------------------------------------------------------------------- consistency


def outcomes_for(cost, gp, g, num_gp, num_g, *, case="small"):
    return {f"cost_and_grad:{case}": ok(value_of((cost, gp, g))),
            f"numgrad:cost_and_grad:{case}": ok(value_of((num_gp, num_g)))}


def test_consistency_of_an_honest_gradient():
    rubric, ref, built = builtin()
    only = replace(rubric, consistency=dict(rubric.consistency, cases=("small",)))
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    found = checks.consistency(only, built, outcomes_for(cost, gp, g, gp + 1e-9, g - 1e-9))
    assert [(c.case, c.wrt, c.status) for c in found] == [("small", "gradPred", "consistent"),
                                                          ("small", "grad", "consistent")]
    assert found[0].message == "Your 'gradPred' matches the numerical gradient of your own cost (largest difference 1e-09)."
    assert found[0].max_abs == pytest.approx(1e-9)


def test_consistency_of_a_wrong_gradient_and_a_wrong_shape():
    rubric, _, built = builtin()
    only = replace(rubric, consistency=dict(rubric.consistency, cases=("small",)))
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    found = checks.consistency(only, built, outcomes_for(cost, -gp, g.T.copy(), gp, g))
    assert found[0].status == "inconsistent"
    assert found[0].message.startswith("Your 'gradPred' does not match the numerical gradient of your own cost "
                                       "with respect to 'predicted' (largest difference ")
    assert found[0].message.endswith(").")
    assert found[1].status == "inconsistent"
    assert found[1].message == ("The returned 'grad' has shape (3, 5), but 'outputVectors' has shape (5, 3): "
                                "a gradient has the shape of its variable.")


def test_consistency_allows_for_a_float32_cost():
    rubric, _, built = builtin()
    only = replace(rubric, consistency=dict(rubric.consistency, cases=("small",)))
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    noisy = gp + 3e-3  # what float32 rounding of the cost does to central differences with h = 1e-4
    found = checks.consistency(only, built, outcomes_for(cost.astype(np.float32), gp.astype(np.float32),
                                                         g.astype(np.float32), noisy, g))
    assert found[0].status == "consistent"
    found = checks.consistency(only, built, outcomes_for(cost, gp, g, noisy, g))
    assert found[0].status == "inconsistent"


def test_consistency_errors():
    rubric, _, built = builtin()
    only = replace(rubric, consistency=dict(rubric.consistency, cases=("small",)))
    raised = CallOutcome("cost_and_grad:small", "raised", message="softmaxCostAndGradient raised ValueError: no.")
    found = checks.consistency(only, built, {"cost_and_grad:small": raised})
    assert [(c.status, c.message) for c in found] == [("error", "softmaxCostAndGradient raised ValueError: no.")] * 2
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    found = checks.consistency(only, built, {"cost_and_grad:small": ok(value_of((cost, gp, g)))})
    assert found[0].message == "Your cost could not be differentiated numerically: it was not run."
    assert checks.consistency(replace(rubric, consistency={}), built, {}) == ()
    assert checks.consistency(only, {}, {}) == ()


# --------------------------------------------------------------------------- doctests


@pytest.mark.parametrize("module", [checks, mistakes])
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_type_and_shape_messages_contain_their_summary_so_renderers_need_not_repeat_it():
    _, _, built = builtin()
    case = built["small"]
    cost, gp, g = (np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))
    outcomes = [("grad_output/small", value_of((cost, gp, g.T.copy()))), ("grad_pred/small", value_of((cost, None, g))),
                ("cross_entropy/small", value_of(("abc", gp, g))), ("cross_entropy/small", value_of((1.0, 2.0))),
                ("softmax/vector", value_of(np.zeros((5, 1)))), ("softmax/vector", value_of((1, 2)))]
    for check_id, value in outcomes:
        r = run_judge(check_id, ok(value))
        assert r.mismatch.reason in ("type", "shape") and r.mismatch.summary in r.message, r.message
