"""A function that computes nothing earns no points for leaving its arguments alone."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from factories import CORRECT_SOURCE, cli

RETURNS_ARGUMENT = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        ### YOUR CODE HERE
        ### END YOUR CODE
        return x

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        raise NotImplementedError
""")

ZEROS = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        return np.zeros_like(x)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
""")

# right answers of softmax, a cost function that is wrong everywhere but leaves its inputs alone
SOFTMAX_ONLY = CORRECT_SOURCE.replace("return -np.log(y_hat[target])", "return 0.0 * -np.log(y_hat[target])").replace(
    "outputVectors.T.dot(delta), np.outer(delta, predicted)", "0 * predicted, 0 * outputVectors")

UNMODIFIED = ("softmax/unmodified", "cross_entropy/inputs-unmodified")


def _graded(tmp_path: Path, sources: dict[str, str]) -> dict[str, dict]:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, text in sources.items():
        (subs / f"{name}.py").write_text(text)
    code, _, err = cli("grade", subs, "--out", tmp_path / "out", "--rubric", "word2vec", "--no-progress")
    assert code == 0, err
    return {name: {c["id"]: c for q in json.loads((tmp_path / "out" / name / "result.json").read_text())["questions"]
                   for c in q["checks"]}
            for name in sources}


def test_code_that_answers_nothing_right_gets_no_points_for_leaving_its_arguments_alone(tmp_path):
    got = _graded(tmp_path, {"stub": RETURNS_ARGUMENT, "zeros": ZEROS, "honest": CORRECT_SOURCE,
                             "softmax-only": SOFTMAX_ONLY})
    for name in ("stub", "zeros"):
        assert sum(c["score"] for c in got[name].values()) == 0, name
    z = got["zeros"]
    for cid in UNMODIFIED:
        assert z[cid]["status"] == "fail" and z[cid]["score"] == 0
        assert z[cid]["message"].startswith("Not credited: ") and "none of its answers was right" in z[cid]["message"]
    assert "softmax left its arguments unchanged" in z["softmax/unmodified"]["message"]
    assert "softmaxCostAndGradient left" in z["cross_entropy/inputs-unmodified"]["message"]
    # a working function keeps them, and so does each function by its own answers only
    for cid in UNMODIFIED:
        assert got["honest"][cid]["status"] == "pass" and got["honest"][cid]["score"] > 0
    s = got["softmax-only"]
    assert s["softmax/unmodified"]["status"] == "pass" and s["softmax/unmodified"]["score"] > 0
    assert s["cross_entropy/inputs-unmodified"]["status"] == "fail", s["cross_entropy/inputs-unmodified"]


def test_the_student_sees_why_in_the_self_check(tmp_path):
    path = tmp_path / "zeros.py"
    path.write_text(ZEROS)
    code, out, _ = cli("check", path, "--rubric", "word2vec", "--json")
    assert code == 1
    result = json.loads(out)
    c = next(c for q in result["questions"] for c in q["checks"] if c["id"] == "softmax/unmodified")
    assert c["status"] == "fail" and c["message"].startswith("Not credited: ")


def test_the_kits_pytest_credits_leaving_the_arguments_alone_as_the_grader_does(tmp_path):
    # the kit's own pytest gave the "unmodified" checks' points to code that computes nothing
    import subprocess
    import sys

    kit = tmp_path / "kit"
    assert cli("kit", "--out", kit, "--rubric", "word2vec")[0] == 0
    for name, text in (("zeros", ZEROS), ("honest", CORRECT_SOURCE)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "q3_word2vec.py").write_text(text)
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            f"--submission={tmp_path / name}", "-k", "unmodified"],
                           cwd=kit, capture_output=True, text=True, timeout=120)
        if name == "zeros":
            assert r.returncode == 1 and "2 failed" in r.stdout, r.stdout[-2000:]
            assert "softmax/unmodified: fail" in r.stdout and "Not credited: softmax left its arguments unchanged" in r.stdout
        else:
            assert r.returncode == 0 and "2 passed" in r.stdout, r.stdout[-2000:]
