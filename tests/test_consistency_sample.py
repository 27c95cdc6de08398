"""The sampled self-consistency check: [consistency] sample = N, its indices, and the verdicts on them."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grader import cases as cases_mod
from grader import checks
from grader.errors import RubricError
from grader.mistakes import Memo
from grader.model import CallOutcome, Case, CaseSpec, Submission, SourceFile
from grader.pipeline import grade, prepare
from grader.rubric import load_rubric
from grader.sandbox import Sandbox, available

from support import builtin, value_of

ROOT = Path(__file__).parent.parent


def ok(value) -> CallOutcome:
    return CallOutcome(call="x", status="ok", value=value)


def expected_of(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.array(case.expected[n]) for n in ("cross_entropy", "grad_pred", "grad_output"))


def typical_only(rubric):
    return replace(rubric, consistency=dict(rubric.consistency, cases=("typical",)))


def outcomes(cost, gp, g, num_gp, num_g, case="typical"):
    return {f"cost_and_grad:{case}": ok(value_of((cost, gp, g))),
            f"numgrad:cost_and_grad:{case}": ok(value_of((num_gp, num_g)))}


# --------------------------------------------------------------------------- the rubric key


def test_the_builtin_rubric_samples_40_elements():
    rubric, _, _ = builtin()
    assert rubric.consistency["sample"] == 40
    assert load_rubric("cs224n").consistency["sample"] == 40  # it extends word2vec


def _with_sample(tmp_path, value: str | None) -> Path:
    text = (ROOT / "rubrics" / "word2vec.toml").read_text(encoding="utf-8")
    assert text.count("sample = 40\n") == 1
    new = text.replace("sample = 40\n", "" if value is None else f"sample = {value}\n")
    path = tmp_path / "word2vec.toml"
    path.write_text(new.replace('reference = "../reference/word2vec.py"',
                                f'reference = "{(ROOT / "reference" / "word2vec.py").as_posix()}"')
                       .replace('starter_dir = "word2vec/starter"',
                                f'starter_dir = "{(ROOT / "rubrics" / "word2vec" / "starter").as_posix()}"'),
                    encoding="utf-8")
    return path


def test_sample_is_optional_and_validated(tmp_path):
    assert load_rubric(str(_with_sample(tmp_path, None))).consistency["sample"] is None
    assert load_rubric(str(_with_sample(tmp_path, "7"))).consistency["sample"] == 7
    for bad, why in (("0", "sample must be at least 1 (elements per argument), not 0"),
                     ("-3", "sample must be at least 1 (elements per argument), not -3"),
                     ("2.5", "sample must be an integer, not 2.5"),
                     ("true", "sample must be an integer, not True"),
                     ('"40"', "sample must be an integer, not '40'")):
        with pytest.raises(RubricError, match=re.escape(f"consistency: {why}")):
            load_rubric(str(_with_sample(tmp_path, bad)))


def test_a_misspelt_sample_key_is_refused_with_a_suggestion(tmp_path):
    path = _with_sample(tmp_path, "40")
    path.write_text(path.read_text(encoding="utf-8").replace("sample = 40", "samples = 40"), encoding="utf-8")
    with pytest.raises(RubricError, match=re.escape("consistency: unknown key 'samples'; did you mean 'sample'?")):
        load_rubric(str(path))


# --------------------------------------------------------------------------- the indices


def test_indices_are_distinct_sorted_spread_and_the_same_every_time():
    case = Case(CaseSpec("c", "f", "gen", seed=5), (np.zeros(30), 1, np.zeros((500, 8))), {})
    con = {"wrt": {"gp": "p", "g": "w"}, "sample": 40}
    first = cases_mod.sample_indices(con, ("p", "t", "w"), case)
    assert first[0] is None  # 30 elements <= 40: all of them
    picked = first[1]
    assert len(picked) == 40 and picked == sorted(set(picked)) and all(type(i) is int for i in picked)
    assert 0 <= picked[0] and picked[-1] < 4000
    assert picked[-1] - picked[0] > 2000  # spread over the array, not its first elements
    assert cases_mod.sample_indices(con, ("p", "t", "w"), case) == first
    other = replace(case, spec=replace(case.spec, seed=6))
    assert cases_mod.sample_indices(con, ("p", "t", "w"), other)[1] != picked  # seeded by the case


def test_nothing_is_sampled_without_the_key_or_when_every_argument_is_small():
    case = Case(CaseSpec("c", "f", "gen", seed=5), (np.zeros(3), np.zeros((4, 5))), {})
    assert cases_mod.sample_indices({"wrt": {"a": "x", "b": "y"}, "sample": None}, ("x", "y"), case) is None
    assert cases_mod.sample_indices({"wrt": {"a": "x", "b": "y"}, "sample": 20}, ("x", "y"), case) is None
    assert cases_mod.sample_indices({"wrt": {"a": "x", "b": "y"}, "sample": 19}, ("x", "y"), case)[0] is None


def test_the_plan_sends_the_indices_and_small_stays_complete():
    rubric, _, built = builtin()
    calls = {c.id: c for c in cases_mod.plan(rubric, built)}
    typical = calls["numgrad:cost_and_grad:typical"].numgrad
    assert typical["sample"] == cases_mod.sample_indices(rubric.consistency, ("predicted", "target", "outputVectors",
                                                                              "dataset"), built["typical"])
    # 2 calls per differentiated element: small 3 + 15, typical 10 + 40
    n = 0
    for cid in ("small", "typical"):
        spec = calls[f"numgrad:cost_and_grad:{cid}"].numgrad
        for k, i in enumerate(spec["wrt"]):
            entry = spec.get("sample", [None, None])[k]
            n += 2 * (built[cid].args[i].size if entry is None else len(entry))
    assert n == 136


# --------------------------------------------------------------------------- the verdicts


def test_an_honest_gradient_is_consistent_on_the_sampled_elements():
    rubric, _, built = builtin()
    only = typical_only(rubric)
    case = built["typical"]
    cost, gp, g = expected_of(case)
    _, picked = cases_mod.sample_indices(rubric.consistency, rubric.functions["cost_and_grad"].params, case)
    found = checks.consistency(only, built, outcomes(cost, gp, g, gp + 1e-9, g.reshape(-1)[picked] - 2e-9))
    assert [(c.wrt, c.status) for c in found] == [("gradPred", "consistent"), ("grad", "consistent")]
    assert found[0].message == "Your 'gradPred' matches the numerical gradient of your own cost (largest difference 1e-09)."
    assert found[1].message == ("Your 'grad' matches the numerical gradient of your own cost "
                                "(largest difference 2e-09; checked 40 of 200 elements).")
    assert found[1].max_abs == pytest.approx(2e-9)


def test_only_the_sampled_elements_are_compared():
    rubric, _, built = builtin()
    only = typical_only(rubric)
    case = built["typical"]
    cost, gp, g = expected_of(case)
    _, picked = cases_mod.sample_indices(rubric.consistency, rubric.functions["cost_and_grad"].params, case)
    num = g.reshape(-1)[picked]
    elsewhere = next(i for i in range(200) if i not in picked)
    wrong = g.copy().reshape(-1)
    wrong[elsewhere] += 1.0
    found = checks.consistency(only, built, outcomes(cost, gp, wrong.reshape(g.shape), gp, num))
    assert found[1].status == "consistent"
    wrong = g.copy().reshape(-1)
    wrong[picked[7]] += 1.0
    found = checks.consistency(only, built, outcomes(cost, gp, wrong.reshape(g.shape), gp, num))
    assert found[1].status == "inconsistent"
    assert found[1].message == ("Your 'grad' does not match the numerical gradient of your own cost with respect to "
                                "'outputVectors' (largest difference 1; checked 40 of 200 elements).")
    assert found[1].max_abs == pytest.approx(1.0)


def test_a_sampled_gradient_of_the_wrong_shape_is_inconsistent():
    rubric, _, built = builtin()
    case = built["typical"]
    cost, gp, g = expected_of(case)
    _, picked = cases_mod.sample_indices(rubric.consistency, rubric.functions["cost_and_grad"].params, case)
    found = checks.consistency(typical_only(rubric), built,
                               outcomes(cost, gp, g.T.copy(), gp, g.reshape(-1)[picked]))
    assert (found[1].status, found[1].message) == (
        "inconsistent", "The returned 'grad' has shape (10, 20), but 'outputVectors' has shape (20, 10): "
                        "a gradient has the shape of its variable.")
    # a shape that fits once singleton dimensions are removed is compared at the same flat indices
    found = checks.consistency(typical_only(rubric), built,
                               outcomes(cost, gp, g.reshape(20, 1, 10), gp, g.reshape(-1)[picked]))
    assert found[1].status == "consistent"


@pytest.mark.parametrize("numerical", ["full", "short", "long", "column"])
def test_a_numerical_gradient_of_the_wrong_length_is_an_error_not_a_crash(numerical):
    rubric, _, built = builtin()
    case = built["typical"]
    cost, gp, g = expected_of(case)
    _, picked = cases_mod.sample_indices(rubric.consistency, rubric.functions["cost_and_grad"].params, case)
    num = {"full": g,  # what a worker that ignores "sample" sends back
           "short": g.reshape(-1)[picked][:-1],
           "long": np.concatenate([g.reshape(-1)[picked], [0.0]]),
           "column": g.reshape(-1)[picked].reshape(-1, 1)}[numerical]
    found = checks.consistency(typical_only(rubric), built, outcomes(cost, gp, g, gp, num))
    assert found[0].status == "consistent"
    assert found[1].status == "error"
    assert found[1].message == (f"The numerical gradient with respect to 'outputVectors' came back with shape "
                                f"{num.shape}, not the 40 sampled derivatives asked for; this is a bug in grader.")


def test_without_sample_the_whole_gradient_is_compared_as_before():
    rubric, _, built = builtin()
    only = replace(rubric, consistency=dict(rubric.consistency, cases=("typical",), sample=None))
    case = built["typical"]
    cost, gp, g = expected_of(case)
    found = checks.consistency(only, built, outcomes(cost, gp, g, gp, g - 1e-9))
    assert found[1].message == "Your 'grad' matches the numerical gradient of your own cost (largest difference 1e-09)."
    found = checks.consistency(only, built, outcomes(cost, gp, g, gp, g.reshape(-1)[:40]))
    assert found[1].status == "inconsistent" and "has shape (40,)" in found[1].message


def test_the_memo_keeps_each_cases_indices():
    rubric, _, built = builtin()
    case = built["typical"]
    cost, gp, g = expected_of(case)
    _, picked = cases_mod.sample_indices(rubric.consistency, rubric.functions["cost_and_grad"].params, case)
    memo = Memo()
    outs = outcomes(cost, gp, g, gp, g.reshape(-1)[picked])
    first = checks.consistency(typical_only(rubric), built, outs, memo)
    assert memo.get(("sample", "typical"), lambda: None)[1] == picked
    assert checks.consistency(typical_only(rubric), built, outs, memo) == first
    assert checks.consistency(typical_only(rubric), built, outs) == first


# --------------------------------------------------------------------------- end to end, real sandbox


HONEST = """
import numpy as np

def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y = softmax(outputVectors.dot(predicted))
    cost = -np.log(y[target])
    d = y.copy()
    d[target] -= 1.0
    return cost, outputVectors.T.dot(d), np.outer(d, predicted)
"""

#: The gradient is off in one row of the output vectors only: a sample of 40 of 200 elements
#: spread over the rows must still meet it (the row's 10 elements).
WRONG_ROW = HONEST.replace("return cost, outputVectors.T.dot(d), np.outer(d, predicted)",
                           "g = np.outer(d, predicted)\n    g[3] *= 2.0\n    return cost, outputVectors.T.dot(d), g")


@pytest.mark.parametrize("level", available()[:1])
def test_sampled_consistency_through_the_real_sandbox(level):
    rubric = load_rubric()
    job = prepare(rubric)
    _, picked = job.calls[-1].numgrad["sample"]
    assert any(30 <= i < 40 for i in picked)  # row 3 of the 20x10 output vectors is in the sample
    with Sandbox(level, allow=rubric.settings.allow_packages) as sb:
        results = {}
        for name, src in (("honest", HONEST), ("wrong-row", WRONG_ROW)):
            files = (SourceFile(path="q3_word2vec.py", text=textwrap.dedent(src), origin="q3_word2vec.py"),)
            results[name] = grade(Submission(id=name, source=name, kind="module", files=files), job, sb)
    honest = {(c.case, c.wrt): c for c in results["honest"].consistency}
    assert [c.status for c in honest.values()] == ["consistent"] * 4, [c.message for c in honest.values()]
    assert honest[("typical", "grad")].message.endswith("; checked 40 of 200 elements).")
    assert "checked" not in honest[("small", "grad")].message  # 15 elements: all of them
    assert "checked" not in honest[("typical", "gradPred")].message  # 10 elements: all of them
    wrong = {(c.case, c.wrt): c for c in results["wrong-row"].consistency}
    assert wrong[("typical", "grad")].status == "inconsistent", wrong[("typical", "grad")].message
    assert wrong[("typical", "grad")].message.endswith("; checked 40 of 200 elements).")
    assert wrong[("typical", "gradPred")].status == "consistent"
