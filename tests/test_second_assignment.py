"""A second built-in assignment (a two-layer network), property checks, and `grader rubric check`: nothing in grader/ is word2vec's."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.cli import main

HONEST = textwrap.dedent("""
    import numpy as np

    def two_layer_forward(X, W1, b1, W2, b2):
        h = np.maximum(X.dot(W1) + b1, 0)
        s = h.dot(W2) + b2
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)

    def two_layer_backward(X, y, W1, b1, W2, b2):
        n = X.shape[0]
        z1 = X.dot(W1) + b1
        h = np.maximum(z1, 0)
        p = two_layer_forward(X, W1, b1, W2, b2)
        loss = -np.log(p[np.arange(n), y]).mean()
        d = p.copy()
        d[np.arange(n), y] -= 1
        d /= n
        dh = d.dot(W2.T) * (z1 > 0)
        return loss, X.T.dot(dh), dh.sum(0), h.T.dot(d), d.sum(0)
""")
#: Loops and float32: another honest style.
LOOPS = textwrap.dedent("""
    import numpy as np

    def two_layer_forward(X, W1, b1, W2, b2):
        X, W1, b1, W2, b2 = [np.asarray(a, dtype=np.float32) for a in (X, W1, b1, W2, b2)]
        out = np.zeros((X.shape[0], W2.shape[1]), dtype=np.float32)
        for i in range(X.shape[0]):
            h = np.maximum(X[i] @ W1 + b1, 0)
            s = h @ W2 + b2
            e = np.exp(s - s.max())
            out[i] = e / e.sum()
        return out

    def two_layer_backward(X, y, W1, b1, W2, b2):
        n = X.shape[0]
        loss, dW1, db1, dW2, db2 = 0.0, np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
        for i in range(n):
            z = X[i] @ W1 + b1
            h = np.maximum(z, 0)
            s = h @ W2 + b2
            p = np.exp(s - s.max()); p /= p.sum()
            loss += -np.log(p[y[i]]) / n
            d = p.copy(); d[y[i]] -= 1; d /= n
            dW2 += np.outer(h, d); db2 += d
            dz = (W2 @ d) * (z > 0)
            dW1 += np.outer(X[i], dz); db1 += dz
        return loss, dW1, db1, dW2, db2
""")


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main([str(a) for a in argv], out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("net")
    subs = root / "subs"
    subs.mkdir()
    variants = {
        "honest": HONEST,
        "loops": LOOPS,
        "no-relu-mask": HONEST.replace(" * (z1 > 0)", ""),
        "summed": HONEST.replace("d /= n", "pass").replace(".mean()", ".sum()"),
        "not-normalised": HONEST.replace("return e / e.sum(axis=1, keepdims=True)", "return e"),
        "uphill": HONEST.replace("d[np.arange(n), y] -= 1", "d[np.arange(n), y] -= 1\n    d = -d"),
    }
    for name, code in variants.items():
        (subs / name).mkdir()
        (subs / name / "two_layer_net.py").write_text(code)
    code, _, err = cli("grade", subs, "--out", root / "out", "--rubric", "two-layer-net", "--jobs", "2",
                       "--no-progress")
    assert code == 0, err
    return {p.parent.name: json.loads(p.read_text()) for p in (root / "out").glob("*/result.json")}


def checks(result: dict) -> dict[str, dict]:
    return {c["id"]: c for q in result["questions"] for c in q["checks"]}


@pytest.mark.parametrize("style", ["honest", "loops"])
def test_honest_styles_get_full_marks(graded, style):
    r = graded[style]
    assert r["rubric"] == "two-layer-net" and r["score"] == r["max_score"] == 17
    assert all(c["hint"] is None for c in checks(r).values())


def test_the_missing_relu_derivative_costs_only_the_first_layers_gradients_and_is_named(graded):
    c = checks(graded["no-relu-mask"])
    failed = {k for k, v in c.items() if v["status"] != "pass"}
    assert failed == {"grad_W1/small", "grad_W1/typical", "grad_W1/hidden", "grad_b1/small", "grad_b1/typical"}
    assert c["grad_W1/small"]["mistake"] == "relu-derivative-missing"


def test_a_sum_where_the_mean_is_meant_is_named(graded):
    c = checks(graded["summed"])
    assert c["loss/small"]["mistake"] == "sum-not-mean" and c["grad_W2/typical"]["mistake"] == "sum-not-mean"
    assert c["descent/step"]["status"] == "pass"  # a larger step is still downhill


def test_property_checks_judge_what_no_expected_value_could(graded):
    c = checks(graded["not-normalised"])
    assert c["forward/rows-sum-to-one"]["status"] == "fail"
    assert c["forward/rows-sum-to-one"]["message"].startswith("the rows sum to between")
    up = checks(graded["uphill"])["descent/step"]
    assert up["status"] == "fail" and up["message"].startswith("a small step against your gradients raises the loss")
    assert checks(graded["honest"])["descent/step"]["message"] == "a small step against your gradients lowers the loss."


def test_the_kit_of_the_second_assignment_checks_offline(tmp_path):
    kit = tmp_path / "kit"
    assert cli("kit", "--rubric", "two-layer-net", "--out", kit)[0] == 0
    readme = (kit / "README.md").read_text()
    assert "word2vec" not in readme.lower() and "softmax" not in readme.lower()
    sub = tmp_path / "mine"
    sub.mkdir()
    (sub / "two_layer_net.py").write_text(HONEST)
    code, out, _ = cli("check", "--kit", kit, sub, "--no-color")
    assert code == 0 and "Every check passed." in out
    # the kit's own pytest, without grader: the same verdict
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--submission={sub}"],
                       cwd=kit, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:]
    assert "word2vec" not in p.stdout.lower()


def test_rubric_check_runs_the_reference_and_grades_nobody(tmp_path):
    code, out, err = cli("rubric", "check", "two-layer-net")
    assert code == 0, err
    assert "7 questions, 17 points; 19 checks (15 public, 4 hidden)" in out
    assert "properties that hold for the reference's answer: forward/rows-sum-to-one, descent/step" in out
    assert out.endswith("the rubric can grade.\n")
    doc = json.loads(cli("rubric", "check", "two-layer-net", "--json")[1])
    assert doc["problems"] == [] and doc["cases"]["backward-small"] == "5x3, 5, 3x4, 4, 4x3, 3"


def test_rubric_check_says_what_would_make_grading_wrong(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "two-layer-net"\n\n[questions.forward.checks.wrong-property]\ncase = "forward-small"\n'
                   'compare = "property"\nproperty = "step_decreases_loss"\n')
    code, _, err = cli("rubric", "check", bad)
    assert code == 2
    assert ("error: forward/wrong-property: the property 'step_decreases_loss' failed on the reference's own answer: "
            "TypeError:") in err
    typo = tmp_path / "typo.toml"
    typo.write_text('extends = "two-layer-net"\n\n[questions.forward.checks.x]\ncase = "forward-small"\n'
                    'compare = "property"\nproperty = "rows_sum_to_on"\n')
    code, _, err = cli("rubric", "check", typo)
    assert code == 2 and "did you mean 'rows_sum_to_one'?" in err


def test_every_built_in_rubric_passes_its_own_check():
    # grade and check take a built-in rubric without running `rubric check` on it: it must pass
    from grader.authoring import check_rubric
    from grader.rubric import load_rubric

    names = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "rubrics").glob("*.toml"))
    assert len(names) >= 10
    for name in names:
        assert check_rubric(load_rubric(name)).problems == (), name


def test_a_rubric_that_rubric_check_refuses_grades_nobody(tmp_path):
    # a property that fails on the reference's own answer failed every student's check, and grade exited 0
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "two-layer-net"\n\n[questions.forward.checks.wrong-property]\ncase = "forward-small"\n'
                   'compare = "property"\nproperty = "step_decreases_loss"\n')
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(HONEST)
    said = (f"rubric {bad}: it can't grade: forward/wrong-property: the property 'step_decreases_loss' failed on the "
            "reference's own answer: TypeError:")
    for argv in (["grade", subs, "--out", tmp_path / "out"], ["check", "--rubric", bad, subs / "alice.py"],
                 ["kit", "--out", tmp_path / "kit"], ["gradescope-bundle", "--out", tmp_path / "bundle.zip"]):
        if "--rubric" not in argv:
            argv = [*argv, "--rubric", bad]
        code, out, err = cli(*argv)
        assert code == 2 and said in err and f"'grader rubric check {bad}' lists what to mend" in err, (argv, err)
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "kit").exists()
    assert not (tmp_path / "bundle.zip").exists()


def test_the_guides_example_rubric_works_as_written(tmp_path):
    """docs/rubrics.md's rubric, taken verbatim, with a reference written from the guide's contract."""
    guide = (Path(__file__).resolve().parent.parent / "docs" / "rubrics.md").read_text(encoding="utf-8")
    toml = guide.split("**3. Write the rubric** (`mynet/rubric.toml`):\n\n```toml\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "mynet"
    folder.mkdir()
    (folder / "rubric.toml").write_text(toml)
    (folder / "reference.py").write_text(textwrap.dedent("""
        import numpy as np

        def forward(X, W1, b1, W2, b2):
            z = np.maximum(X @ W1 + b1, 0) @ W2 + b2
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        def gen_forward(rng, n, d, m, c):
            X = rng.normal(size=(n, d))
            return X, rng.normal(size=(d, m)), rng.normal(size=m), rng.normal(size=(m, c)), rng.normal(size=c)

        def rows_sum_to_one(got, X, W1, b1, W2, b2):
            return bool(np.allclose(np.asarray(got).sum(axis=1), 1.0))
    """))
    code, out, err = cli("rubric", "check", folder / "rubric.toml")
    assert code == 0, err
    assert "properties that hold for the reference's answer: forward/rows" in out
    sub = tmp_path / "solution"
    sub.mkdir()
    (sub / "two_layer_net.py").write_text(HONEST)
    code, out, err = cli("check", "--rubric", folder / "rubric.toml", sub, "--no-color")
    assert code == 0 and "Every check passed." in out, out + err


SOFTMAX_REFERENCE = textwrap.dedent("""
    import numpy as np

    def gen_vec(rng, n):
        return (rng.normal(size=(n,)),)

    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    def sums_to_one(got, x):
        return np.isclose(np.sum(got, axis=-1), 1.0)  # one truth for a vector, several for a column

    def three_things(got, x):
        return True, "fine", "and more"
""")


def _softmax_rubric(folder: Path, prop: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reference.py").write_text(SOFTMAX_REFERENCE)
    rubric = folder / f"{prop}.toml"
    rubric.write_text(textwrap.dedent(f"""
        name = "sm"
        reference = "reference.py"

        [functions.sm]
        names = ["softmax"]
        params = ["x"]

        [cases.small]
        function = "sm"
        generator = "gen_vec"
        params = {{ n = 5 }}

        [questions.sm]
        title = "Softmax"
        expected = "softmax"

        [questions.sm.checks.values]
        case = "small"

        [questions.sm.checks.sums]
        case = "small"
        compare = "property"
        property = "{prop}"
    """))
    return rubric


def test_a_property_that_gives_no_single_verdict_for_an_answer_fails_that_answer_and_grades_the_rest(tmp_path):
    rubric = _softmax_rubric(tmp_path / "rubric", "sums_to_one")
    assert cli("rubric", "check", rubric)[0] == 0  # one truth for the reference's vector
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "good.py").write_text("import numpy as np\ndef softmax(x):\n    e = np.exp(x - x.max())\n"
                                  "    return e / e.sum()\n")
    (subs / "column.py").write_text("import numpy as np\ndef softmax(x):\n    e = np.exp(x - x.max())\n"
                                    "    return (e / e.sum()).reshape(-1, 1)\n")
    out = tmp_path / "out"
    code, _, err = cli("grade", subs, "--out", out, "--rubric", rubric, "--no-progress")
    assert code == 0, err
    good = json.loads((out / "good" / "result.json").read_text())
    column = json.loads((out / "column" / "result.json").read_text())
    assert good["status"] == column["status"] == "graded"
    assert good["score"] == 2
    sums = next(c for q in column["questions"] for c in q["checks"] if c["id"] == "sm/sums")
    assert sums["status"] == "fail" and "the property gave an array of shape (5,), not True or False" in sums["message"]


def test_rubric_check_refuses_a_property_that_returns_no_verdict(tmp_path):
    rubric = _softmax_rubric(tmp_path, "three_things")
    code, _, err = cli("rubric", "check", rubric)
    assert code == 2 and "Traceback" not in err
    assert "sm/sums: the property 'three_things' returned a tuple of 3 items on the reference's own answer" in err


@pytest.mark.parametrize(("body", "said"), [
    ("pass", "returned None (a missing return statement?)"),
    ("return np.full(x.shape, np.nan)", "returned NaN in 5 of its 5 values"),
    ("return x * 1j", "returned complex numbers"),
    ("return 'hello'", "returned str 'hello', not numbers"),
])
def test_rubric_check_refuses_expected_values_no_answer_can_match(tmp_path, body, said):
    rubric = _softmax_rubric(tmp_path, "sums_to_one")
    with (tmp_path / "reference.py").open("a") as f:
        f.write(f"\ndef softmax(x):\n    {body}\n")  # the last definition wins
    code, _, err = cli("rubric", "check", rubric)
    assert code == 2 and "Traceback" not in err, err
    assert f"cases.small: 'softmax' {said}" in err and "an expected value is real numbers" in err


def test_rubric_check_warns_of_a_files_entry_no_question_has_and_counts_in_words(tmp_path):
    rubric = _softmax_rubric(tmp_path, "sums_to_one")
    rubric.write_text('files = ["sm", "zz"]\n' + rubric.read_text().replace(
        '[questions.sm]\ntitle = "Softmax"', '[questions.sm]\ntitle = "Softmax"\nfile = "sm"'))
    code, out, err = cli("rubric", "check", rubric)
    assert code == 0, err
    assert "warning: files: 'zz' is listed but no question is of that file" in out
    assert "'sm' is listed" not in out
    assert "  1 question, 2 points; 2 checks (2 public, 0 hidden)\n  1 case generated," in out


@pytest.mark.parametrize("name", ["problem-set", "cs224d-2015", "cs224d-2016", "cs224n-2017", "cs224n-a2", "written"])
def test_the_built_in_rubrics_list_only_files_they_have_questions_of(name):
    code, out, err = cli("rubric", "check", name)
    assert code == 0 and "warning: files" not in out, out


STEP_REFERENCE = '''
import numpy as np

def loss_grad(w, X, y):
    r = X @ w - y
    return 0.5 * float(np.mean(r ** 2)), X.T @ r / len(y)

def grad(w, X, y):
    return loss_grad(w, X, y)[1]

def step(w, X, y, lr):
    return w - lr * loss_grad(w, X, y)[1]

def step_uphill(w, X, y, lr):
    return w + lr * loss_grad(w, X, y)[1]

def gen(rng, n, d):
    return rng.normal(size=d), rng.normal(size=(n, d)), rng.normal(size=n)

def gen_step(rng, n, d):
    return (*gen(rng, n, d), 0.1)
'''

STEP_RUBRIC = '''
name = "step"
title = "A gradient step"
reference = "reference.py"

[functions.loss_grad]
names = ["loss_grad"]
params = ["w", "X", "y"]
returns = ["loss", "grad"]

[functions.step]
names = ["step"]
params = ["w", "X", "y", "lr"]

[cases.lg]
function = "loss_grad"
generator = "gen"
params = { n = 6, d = 3 }
seed = 1

[cases.st]
function = "step"
generator = "gen_step"
params = { n = 6, d = 3 }
seed = 2

[questions.grad]
title = "The gradient"
expected = "grad"
output = "grad"
mistakes = ["sign-flipped"]

[questions.grad.checks.small]
case = "lg"

[questions.step]
title = "One step"
expected = "step"
mistakes = ["uphill"]

[questions.step.checks.small]
case = "st"

[mistakes.sign-flipped]
name = "the gradient has the wrong sign"
message = "your gradient points downhill."
detector = "sign-flipped"

[mistakes.uphill]
name = "the step goes uphill"
message = "your step moves along the gradient; a descent step moves against it."
formula = "step_uphill"
'''


def test_a_callers_mistake_that_its_callees_failure_would_explain_is_said_beside_that_cause(tmp_path):
    # a right step through a gradient of the wrong sign is exactly a step "uphill": the step's checks named
    # that mistake alone, and the TA's author was told to fix the right function
    (tmp_path / "reference.py").write_text(STEP_REFERENCE)
    (tmp_path / "rubric.toml").write_text(STEP_RUBRIC)
    sub = tmp_path / "erin.py"
    sub.write_text("import numpy as np\n\ndef loss_grad(w, X, y):\n    r = X @ w - y\n"
                   "    return 0.5 * float(np.mean(r ** 2)), -(X.T @ r) / len(y)\n\n"
                   "def step(w, X, y, lr):\n    return w - lr * loss_grad(w, X, y)[1]\n")
    code, out, err = cli("check", "--rubric", tmp_path / "rubric.toml", sub, "--json")
    assert code == 1, err
    by_id = {c["id"]: c for q in json.loads(out)["questions"] for c in q["checks"]}
    assert by_id["grad/small"]["mistake"] == "sign-flipped"
    step = by_id["step/small"]
    assert step["mistake"] == "uphill"
    assert step["message"].endswith("step calls loss_grad, which failed its own question (grad): it may be the cause, "
                                    "rather than the likely mistake named here; fix loss_grad first."), step["message"]
    # a step that is uphill of its own, beside a right gradient: its mistake alone
    sub.write_text("import numpy as np\n\ndef loss_grad(w, X, y):\n    r = X @ w - y\n"
                   "    return 0.5 * float(np.mean(r ** 2)), X.T @ r / len(y)\n\n"
                   "def step(w, X, y, lr):\n    return w + lr * loss_grad(w, X, y)[1]\n")
    code, out, err = cli("check", "--rubric", tmp_path / "rubric.toml", sub, "--json")
    step = {c["id"]: c for q in json.loads(out)["questions"] for c in q["checks"]}["step/small"]
    assert step["mistake"] == "uphill" and "which failed its own question" not in step["message"], step["message"]


def test_the_kit_says_what_it_leaves_to_the_grader_and_has_the_folders_it_names(tmp_path):
    # property checks and mistakes recognised by a formula need the reference's code: the kit dropped them
    # without a word, so that its scores and diagnoses differed from the grader's unexplained
    kit = tmp_path / "kit"
    code, out, err = cli("kit", "--rubric", "two-layer-net", "--out", kit)
    assert code == 0, err
    assert ("left out, as they need the reference's code (the kit's README says so): 2 property checks "
            "(forward/rows-sum-to-one, descent/step) and 2 named mistakes recognised by a formula "
            "(sum-not-mean, relu-derivative-missing)\n") in out, out
    readme = (kit / "README.md").read_text(encoding="utf-8")
    assert ("Not in this kit, as they need the grader's reference code: the public checks `forward/rows-sum-to-one`, "
            "`descent/step`") in readme
    assert "the likely mistakes `sum-not-mean`, `relu-derivative-missing`" in readme
    assert (kit / "starter").is_dir()  # the README's and rubric.toml's starter/, even with no stand-in in it
