"""Tests of case building (seeded inputs, expected values) and of the call plan."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from grader import cases as cases_mod
from grader.errors import RubricError
from grader.model import Call, CaseSpec, Dataset
from support import builtin


def test_build_makes_every_case_with_the_expected_values_its_checks_name():
    rubric, ref, built = builtin()
    assert list(built) == list(rubric.cases)
    for spec in rubric.checks():
        case = built[spec.case]
        if spec.compare == "close":
            got = case.expected[spec.expected]
            want = np.asarray(getattr(ref, spec.expected)(*case.args), dtype=float)
            np.testing.assert_array_equal(got, want)
    assert set(built["vector"].expected) == {"softmax"}
    assert set(built["small"].expected) == {"cross_entropy", "grad_pred", "grad_output"}
    # the unmodified check on "typical" adds no expected value of its own
    assert set(built["typical"].expected) == {"cross_entropy", "grad_pred", "grad_output"}


def test_build_is_deterministic_and_follows_the_seed():
    rubric, ref, built = builtin()
    again = cases_mod.build(rubric, ref)
    for cid, case in built.items():
        for a, b in zip(case.args, again[cid].args):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b
    (x,) = ref.gen_softmax(np.random.default_rng(101), [5], 2.0)
    np.testing.assert_array_equal(built["vector"].args[0], x)


def test_cost_cases_have_the_course_arguments():
    _, _, built = builtin()
    predicted, target, output_vectors, dataset = built["large-vocab"].args
    assert predicted.shape == (50,) and output_vectors.shape == (5000, 50)
    assert isinstance(target, int) and 0 <= target < 5000
    assert dataset == Dataset(vocab=5000)
    assert built["large-vocab"].expected["grad_output"].shape == (5000, 50)
    assert built["large-vocab"].expected["cross_entropy"].shape == ()
    assert built["mixed-offsets"].args[0].shape == (3, 5)
    assert np.all(np.isfinite(built["mixed-offsets"].expected["softmax"]))


def test_case_arrays_are_read_only_so_nothing_in_the_grader_changes_them():
    _, _, built = builtin()
    x = built["matrix"].args[0]
    with pytest.raises(ValueError):
        x[0, 0] = 1.0
    with pytest.raises(ValueError):
        built["matrix"].expected["softmax"][0, 0] = 1.0


def test_plan_has_one_call_per_role_and_case():
    rubric, _, built = builtin()
    calls = cases_mod.plan(rubric, built)
    ids = [c.id for c in calls]
    assert len(ids) == len(set(ids))
    assert ids[:3] == ["softmax:vector", "softmax:matrix", "softmax:one-row"]
    assert ids[-2:] == ["numgrad:cost_and_grad:small", "numgrad:cost_and_grad:typical"]
    used = {f"{c.function}:{c.case}" for c in rubric.checks()}
    assert {c.id for c in calls if c.kind == "call"} == used
    by_id = {c.id: c for c in calls}
    assert by_id["softmax:wide"].timeout == 5.0 and by_id["softmax:vector"].timeout == 2.0
    assert [c.id for c in calls if c.echo_args] == ["softmax:matrix", "cost_and_grad:typical"]
    assert by_id["softmax:vector"].withhold == ("q1_softmax", "utils.utils")
    assert by_id["cost_and_grad:small"].withhold == ()
    assert by_id["cost_and_grad:small"].args is built["small"].args


def test_plan_max_elems_is_four_times_the_largest_value_back_and_at_least_64():
    rubric, _, built = builtin()
    by_id = {c.id: c for c in cases_mod.plan(rubric, built)}
    assert by_id["softmax:vector"].max_elems == 64
    assert by_id["softmax:wide"].max_elems == 4 * 16 * 5000
    assert by_id["cost_and_grad:large-vocab"].max_elems == 4 * 5000 * 50
    assert by_id["softmax:matrix"].max_elems == 4 * 24


def test_plan_numgrad_calls():
    rubric, _, built = builtin()
    by_id = {c.id: c for c in cases_mod.plan(rubric, built)}
    n = by_id["numgrad:cost_and_grad:typical"]
    assert n.kind == "numgrad" and n.function == "cost_and_grad" and n.timeout == 10.0
    # sample = 40: predicted (10 elements) is differentiated whole, outputVectors (200) at 40 elements
    sample = n.numgrad["sample"]
    assert {k: v for k, v in n.numgrad.items() if k != "sample"} == {"output": 0, "wrt": [0, 2], "h": 1e-4}
    assert sample[0] is None and len(sample[1]) == 40 and sample[1] == sorted(set(sample[1]))
    assert all(type(i) is int and 0 <= i < 200 for i in sample[1])
    assert sample == cases_mod.plan(rubric, built)[-1].numgrad["sample"]  # the same every time
    assert "sample" not in by_id["numgrad:cost_and_grad:small"].numgrad  # 3 and 15 elements: all of them
    assert n.max_elems == 4 * 20 * 10
    assert n.args is built["typical"].args


def test_plan_skips_cases_a_kit_does_not_have():
    rubric, _, built = builtin()
    public = {cid: c for cid, c in built.items() if c.spec.public}
    ids = {c.id for c in cases_mod.plan(rubric, public)}
    assert "softmax:hidden-mixed" not in ids and "cost_and_grad:hidden-typical" not in ids
    assert "softmax:mixed-offsets" in ids


def test_plan_adds_a_plain_call_for_a_consistency_case_no_check_uses():
    rubric, _, built = builtin()
    con = dict(rubric.consistency, cases=("hidden-typical",))
    only = replace(rubric, questions=rubric.questions[:1], consistency=con)
    calls = {c.id: c for c in cases_mod.plan(only, built)}
    assert isinstance(calls["cost_and_grad:hidden-typical"], Call)
    assert calls["cost_and_grad:hidden-typical"].timeout == 2.0
    assert "numgrad:cost_and_grad:hidden-typical" in calls


def test_a_failing_generator_is_a_rubric_error():
    rubric, ref, _ = builtin()
    bad = replace(rubric, cases={**rubric.cases, "vector": replace(rubric.cases["vector"], params={"shape": [5],
                                                                                                   "scael": 1})})
    with pytest.raises(RubricError, match=re.escape(
            "cases.vector: generator 'gen_softmax' failed: TypeError: gen_softmax() got an unexpected keyword "
            "argument 'scael'")):
        cases_mod.build(bad, ref)


def test_a_failing_generators_exception_text_is_cut_as_every_exception_the_terminal_prints():
    rubric, ref, _ = builtin()
    long = "x" * 5000  # an exception's text can be anything: whole arrays, a student's code
    bad = replace(rubric, cases={**rubric.cases, "vector": replace(rubric.cases["vector"], params={"shape": [5],
                                                                                                   long: 1})})
    with pytest.raises(RubricError) as raised:
        cases_mod.build(bad, ref)
    said = str(raised.value)
    assert "TypeError: gen_softmax() got an unexpected keyword argument 'xxx" in said
    assert said.endswith("more characters)") and len(said) < 400


def test_a_generator_returning_the_wrong_arguments_is_a_rubric_error():
    rubric, ref, _ = builtin()
    spec = CaseSpec(id="small", function="cost_and_grad", generator="gen_softmax", params={"shape": [3]})
    bad = replace(rubric, cases={**rubric.cases, "small": spec})
    with pytest.raises(RubricError, match=re.escape(
            "cases.small: generator 'gen_softmax' returned 1 arguments; cost_and_grad takes 4 "
            "(predicted, target, outputVectors, dataset)")):
        cases_mod.build(bad, ref)


def test_load_reference_is_cached_and_private():
    rubric, ref, _ = builtin()
    assert cases_mod.load_reference(rubric) is ref
    assert ref.__name__.startswith("_grader_reference_")
