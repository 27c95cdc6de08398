"""The student kit: what it holds (and never holds), grader check --kit, and plain pytest inside it."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest

from grader import cases as _cases
from grader.cli import main
from grader.kit import KIT_FORMAT, load_kit, toml_dumps
from grader.model import Dataset
from grader.rubric import load_rubric
from support import kit_pytest_alone

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOT_FINAL = "not your final grade"

COST_LOG10 = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        cost = -np.log10(y_hat[target])
        delta = y_hat.copy()
        delta[target] -= 1
        return cost, outputVectors.T.dot(delta), np.outer(delta, predicted)
""")


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def built(rubric):
    """Every case of the built-in rubric, hidden ones included, computed from the reference."""
    return _cases.build(rubric, _cases.load_reference(rubric))


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kit") / "word2vec-kit"
    code, stdout, err = run(["kit", "--out", str(out)])
    assert code == 0, err
    assert f"wrote the student kit of rubric word2vec-softmax to {out}: 23 public checks on 13 cases" in stdout
    assert "left out, as they would answer a graded question: q1_softmax, utils.utils" in stdout
    assert NOT_FINAL in stdout
    # the TA who gave no --rubric is told that a class of one course version is graded by that version's rubric
    assert ("note: this is the kit of the default rubric; a class of one course version is graded (by 'grader grade', "
            "unless --rubric says otherwise) by that version's rubric: write its kit with --rubric cs224d-2015, "
            "cs224d-2016, cs224n-2017, cs224n-a2 (or problem-set)") in err
    return out


def kit_files(kit: Path) -> dict[str, bytes]:
    return {p.relative_to(kit).as_posix(): p.read_bytes() for p in sorted(kit.rglob("*")) if p.is_file()}


def kit_pytest(kit: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run plain pytest inside the kit, as a student would, in a child process."""
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=kit, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook whose code cells are `cells`, numbered as run from the top; return its path."""
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": i + 1}
                    for i, c in enumerate(cells)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


# --------------------------------------------------------------------------- what is in a kit


def test_kit_layout(kit: Path):
    files = set(kit_files(kit))
    assert {"README.md", "rubric.toml", "public.json", "cases.npz", "conftest.py", "test_public.py",
            "pytest.ini"} <= files
    assert {f for f in files if f.startswith("starter/")} == {
        "starter/q2_gradcheck.py", "starter/q2_sigmoid.py", "starter/utils/__init__.py",
        "starter/utils/gradcheck.py", "starter/utils/treebank.py", "starter/cs224d/__init__.py",
        "starter/cs224d/data_utils.py"}
    doc = json.loads((kit / "public.json").read_text())
    assert doc["format"] == KIT_FORMAT
    assert doc["withheld"] == ["q1_softmax", "utils.utils"]
    readme = (kit / "README.md").read_text()
    assert "Passing the public checks is not your final grade" in readme
    assert "pytest --submission=PATH" in readme and "GRADER_SUBMISSION" in readme
    assert "| `softmax/stable-large` | the returned value | scores near +1000" in readme
    assert "| `cross_entropy/small` | `cost` | \\|V\\| = 5, d = 3 | rtol=1e-05, atol=1e-06, shape squeeze | 0.5 |" in readme


def test_kit_arrays_load_without_pickle(kit: Path):
    with np.load(kit / "cases.npz", allow_pickle=False) as z:
        assert all(z[k].dtype.kind in "biuf" for k in z.files)


#: Lines any numpy code has, which say nothing of an answer: a type coercion, silencing warnings.
GENERIC = (r"\w+ = np\.asarray\(\w+(, dtype=np\.float\d+)?\)", r"with np\.errstate\(all=\"ignore\"\):")


def _reference_lines(path: Path) -> set[str]:
    """Return the significant source lines of every function body of the reference module."""
    tree = ast.parse(path.read_text())
    src = path.read_text().splitlines()
    lines: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            body = body[1:]  # the docstring
        for stmt in body:
            for line in src[stmt.lineno - 1: stmt.end_lineno]:
                s = line.strip()
                if len(s) < 12 or s.startswith("#"):
                    continue
                if any(re.fullmatch(g, s) for g in GENERIC):
                    continue
                lines.add(s)
    return lines


def test_kit_holds_no_reference_code(kit: Path, rubric):
    lines = _reference_lines(Path(rubric.reference_path))
    assert len(lines) > 40
    texts = {name: data.decode("utf-8", "replace") for name, data in kit_files(kit).items()}
    found = [(name, line) for name, text in texts.items() for line in lines if line in text]
    assert found == []
    # The search is not vacuous: the stand-ins the kit leaves out would have been found.
    q1 = next(s for s in rubric.starter if s.module == "q1_softmax")
    assert any(line in q1.text for line in lines)
    # No wrong formula of the reference is named either.
    formulas = set()
    for m in rubric.mistakes.values():
        f = m.get("formula")
        formulas |= set(f.values()) if isinstance(f, dict) else ({f} if f else set())
    assert formulas
    assert [f for f in formulas if any(f in t for t in texts.values())] == []
    assert "reference" not in tomllib.loads((kit / "rubric.toml").read_text())


def _seeds(obj) -> list[int]:
    if isinstance(obj, dict):
        return [v for k, v in obj.items() if k == "seed" and isinstance(v, int)] + [
            s for v in obj.values() for s in _seeds(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _seeds(v)]
    return []


def test_kit_holds_no_hidden_case(kit: Path, rubric, built):
    hidden = [cid for cid, cs in rubric.cases.items() if not cs.public]
    assert sorted(hidden) == ["hidden-matrix", "hidden-mixed", "hidden-typical"]
    files = kit_files(kit)
    text = "\n".join(d.decode("utf-8", "replace") for d in files.values())
    for cid in hidden:
        assert cid not in text
    hidden_checks = [c.id for c in rubric.checks() if c.visibility == "hidden"]
    assert hidden_checks and [c for c in hidden_checks if c in text] == []

    # Their seeds: no seed is written at all, except the dataset stand-in's.
    hidden_seeds = {rubric.cases[c].seed for c in hidden}
    assert _seeds(tomllib.loads(files["rubric.toml"].decode())) == []
    assert set(_seeds(json.loads(files["public.json"]))) & hidden_seeds == set()
    for seed in hidden_seeds:
        assert not re.search(rf"seed\W+{seed}\b", text)

    # Their inputs: no array (nor its first values) in any file, nor inside the npz.
    with np.load(kit / "cases.npz", allow_pickle=False) as z:
        blobs = [z[k].tobytes() for k in z.files] + list(files.values())
    hidden_arrays = [a for c in hidden for a in built[c].args if isinstance(a, np.ndarray)]
    assert len(hidden_arrays) == 4
    for a in hidden_arrays:
        head = np.ascontiguousarray(a).reshape(-1)[:4].tobytes()
        for form in (a.tobytes(), head, a.astype(np.float32).reshape(-1)[:4].tobytes()):
            assert not any(form in b for b in blobs)
    # And the hidden checks' expected values.
    for c in hidden:
        for value in built[c].expected.values():
            assert not any(np.asarray(value).reshape(-1)[:4].tobytes() in b for b in blobs)


def test_load_kit_gives_the_public_rubric_and_cases(kit: Path, rubric, built):
    kr, kc = load_kit(kit)
    assert kr.reference_path == ""
    assert kr.name == rubric.name and kr.version == rubric.version
    assert [c.id for c in kr.checks()] == [c.id for c in rubric.checks() if c.visibility == "public"]
    by_id = {c.id: c for c in rubric.checks()}
    for c in kr.checks():
        assert (c.tolerance, c.shape, c.points, c.timeout, c.output, c.expected) == (
            by_id[c.id].tolerance, by_id[c.id].shape, by_id[c.id].points, by_id[c.id].timeout,
            by_id[c.id].output, by_id[c.id].expected)
    assert set(kc) == {c.case for c in kr.checks()}
    for cid, case in kc.items():
        ref = built[cid]
        assert len(case.args) == len(ref.args)
        for a, b in zip(case.args, ref.args):
            if isinstance(b, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b) and not a.flags.writeable
            else:
                assert a == b and type(a) is type(b) or isinstance(b, Dataset) and a == b
        for name, value in case.expected.items():
            assert np.array_equal(value, ref.expected[name])
    assert {s.module for s in kr.starter} == {s.module for s in rubric.starter} - {"q1_softmax", "utils.utils"}
    assert kr.consistency["cases"] == ("small", "typical")
    assert kr.consistency["sample"] == rubric.consistency["sample"] == 40  # the kit samples as the grader does


def test_toml_dumps_reads_back():
    doc = {"name": "r", "n": 3, "x": 1e-05, "flag": True, "inf": float("inf"), "list": ["a", 'q"uote', "é"],
           "t": {"one-row": {"shape": [1, 7]}, "a.b": {"wrt": {"gradPred": "predicted"}}},
           "starter": [{"module": "m", "path": "m.py"}, {"module": "n.o", "path": "n/o.py", "provides": ["f"]}]}
    assert tomllib.loads(toml_dumps(doc)) == doc


# --------------------------------------------------------------------------- grader check --kit


def test_check_kit_passes_a_correct_submission(kit: Path):
    code, out, err = run(["check", "--kit", str(kit), str(EXAMPLES / "cs224d_correct"), "--no-color"])
    assert code == 0, out + err
    assert out.startswith("cs224d_correct: 16 / 16\n")
    assert "Every check passed." in out
    assert NOT_FINAL in out


def test_check_kit_fails_a_wrong_submission_with_the_mismatch(kit: Path, tmp_path: Path):
    code, out, _ = run(["check", "--kit", str(kit), str(EXAMPLES / "mistake_transposed_grad.py"), "--no-color"])
    assert code == 1
    assert "grad_output/small: fail (0 / 1)\nThe returned 'grad' has shape (3, 5), expected (5, 3)." in out
    assert "Likely mistake: grad is transposed" in out
    assert NOT_FINAL in out

    (tmp_path / "q3_word2vec.py").write_text(COST_LOG10)
    code, out, _ = run(["check", "--kit", str(kit), str(tmp_path / "q3_word2vec.py"), "--no-color"])
    assert code == 1
    assert ("cross_entropy/small: fail (0 / 0.5)\nNot within tolerance (rtol=1e-05, atol=1e-06) of the "
            "expected values.\nMismatched elements: 1 / 1 (100%)") in out


def test_check_kit_with_a_rubric_too_is_exit_2(kit: Path):
    code, _, err = run(["check", "--kit", str(kit), "--rubric", "cs224n", str(EXAMPLES / "cs224d_correct")])
    assert (code, err) == (2, "error: --kit holds its own rubric: give --kit or --rubric, not both\n")


def test_check_kit_json_has_no_hidden_check(kit: Path):
    code, out, _ = run(["check", "--kit", str(kit), str(EXAMPLES / "cs224d_correct"), "--json"])
    assert code == 0
    doc = json.loads(out)
    assert {c["visibility"] for q in doc["questions"] for c in q["checks"]} == {"public"}
    assert doc["score"] == doc["max_score"] == 16


def test_kit_errors(kit: Path, tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run(["kit", "--out", str(tmp_path)])
    assert code == 2
    assert f"error: --out {str(tmp_path)!r} is not empty and holds no kit; choose a new folder" in err
    code, _, err = run(["check", "--kit", str(tmp_path), str(EXAMPLES / "cs224d_correct")])
    assert code == 2
    assert "is not a student kit (no public.json and rubric.toml)" in err
    code, _, err = run(["kit", "--out", str(tmp_path / "k"), "--include-stand-in", "q9"])
    assert code == 2
    assert "--include-stand-in 'q9': the rubric has no such stand-in" in err
    damaged = tmp_path / "damaged"
    shutil.copytree(kit, damaged)
    doc = json.loads((damaged / "public.json").read_text())
    doc["format"] = "grader.kit/0"
    (damaged / "public.json").write_text(json.dumps(doc))
    code, _, err = run(["check", "--kit", str(damaged), str(EXAMPLES / "cs224d_correct")])
    assert code == 2
    assert "format 'grader.kit/0' is not 'grader.kit/1'; write the kit again with this grader" in err


# --------------------------------------------------------------------------- plain pytest in the kit


def test_pytest_in_the_kit_passes_a_correct_submission_with_numpy_only(kit: Path, tmp_path: Path):
    # A `grader` that cannot be imported shadows the real one: the kit must not need it.
    poison = tmp_path / "poison"
    poison.mkdir()
    (poison / "grader.py").write_text("raise ImportError('the kit must not import grader')\n")
    r = kit_pytest(kit, f"--submission={EXAMPLES / 'cs224d_correct'}", env={"PYTHONPATH": str(poison)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "23 passed" in r.stdout
    assert "23 of 23 public checks passed: 16 / 16 points of the public checks." in r.stdout
    assert "Passing the public checks is not your final grade" in r.stdout
    for f in ("conftest.py", "test_public.py"):
        tree = ast.parse((kit / f).read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert imported - set(sys.stdlib_module_names) <= {"numpy", "pytest"}


def test_pytest_in_the_kit_fails_a_wrong_submission_with_the_mismatch(kit: Path, tmp_path: Path):
    r = kit_pytest(kit, f"--submission={EXAMPLES / 'mistake_transposed_grad.py'}")
    assert r.returncode == 1
    assert "4 failed, 19 passed" in r.stdout
    assert ("grad_output/small: fail (0 / 1), on |V| = 5, d = 3\n"
            "The returned 'grad' has shape (3, 5), expected (5, 3).\n"
            "Likely mistake: grad is transposed") in r.stdout
    assert "19 of 23 public checks passed: 12 / 16 points of the public checks." in r.stdout

    (tmp_path / "q3_word2vec.py").write_text(COST_LOG10)
    r = kit_pytest(kit, env={"W2V_SUBMISSION": str(tmp_path)})  # the environment variable this time
    assert r.returncode == 1
    assert ("cross_entropy/small: fail (0 / 0.5), on |V| = 5, d = 3\n"
            "Not within tolerance (rtol=1e-05, atol=1e-06) of the expected values.\n"
            "Mismatched elements: 1 / 1 (100.0%)\n"
            "  index  got       expected  allowed ±\n"
            "  ()     0.071958  0.165689  2.7e-06\n") in r.stdout
    assert "Passing the public checks is not your final grade" in r.stdout


def test_pytest_in_the_kit_says_once_that_the_public_checks_are_not_the_final_grade(kit: Path):
    # Four failing checks: each failure explains itself; the reminder comes once, in the summary,
    # in pytest's quiet mode (no header) as in its default mode (a header).
    for args in (["-q"], []):
        r = kit_pytest(kit, *args, "-p", "no:cacheprovider", f"--submission={EXAMPLES / 'mistake_transposed_grad.py'}")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "4 failed, 19 passed" in r.stdout
        assert r.stdout.count("not your final grade") == 1, r.stdout
        summary = r.stdout.split("public checks of the")[1]
        assert "Passing the public checks is not your final grade" in summary


def test_pytest_in_the_kit_with_files_next_to_it(kit: Path, tmp_path: Path, rubric):
    # CS224n: word2vec.py with the starter's utils/ folder, copied into (a copy of) the kit.
    here = tmp_path / "kit"
    shutil.copytree(kit, here)
    shutil.copy(EXAMPLES / "cs224n_correct" / "word2vec.py", here / "word2vec.py")
    r = kit_pytest(here)
    assert r.returncode == 1
    assert ("No module named 'utils.utils' (the kit does not supply 'utils.utils': it would answer a graded "
            "question; keep your own copy with your files)") in r.stdout
    for s in rubric.starter:
        if s.module.startswith("utils"):
            (here / s.path).parent.mkdir(exist_ok=True)
            (here / s.path).write_text(s.text)
    r = kit_pytest(here)
    assert r.returncode == 0, r.stdout
    assert "23 passed" in r.stdout


def test_pytest_in_the_kit_stops_a_hanging_call_and_reads_notebooks(kit: Path, tmp_path: Path):
    src1 = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text()
    src3 = (EXAMPLES / "cs224d_correct" / "q3_word2vec.py").read_text().replace("from q1_softmax import softmax", "")
    hang = src1.replace("def softmax(x):\n", "def softmax(x):\n    while x.ndim == 1 and x.min() > 900:\n        pass\n", 1)
    assert hang != src1
    cells = [["%matplotlib inline\n", "!pip install numpy\n", "import numpy as np\n"], hang, src3]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                    for c in cells] + [{"cell_type": "markdown", "source": "# notes", "metadata": {}}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "hw1.ipynb").write_text(json.dumps(nb))
    r = kit_pytest(kit, f"--submission={tmp_path / 'hw1.ipynb'}")
    assert r.returncode == 1
    assert "1 failed, 22 passed" in r.stdout
    assert ("softmax/stable-vector: error (0 / 0.5), on a vector of 6 scores near +1000\n"
            "softmax did not return within 2 s (the grader's limit for this case)") in r.stdout


def test_pytest_in_the_kit_runs_a_notebook_cell_by_cell_and_its_grader_calls_do_nothing(kit: Path, tmp_path: Path):
    src1 = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text().replace("import numpy as np\n", "")
    src3 = (EXAMPLES / "cs224d_correct" / "q3_word2vec.py").read_text().replace("from q1_softmax import softmax", "")
    cells = ["import grader, numpy as np", src1, "def unfinished(:\n    pass", src3, "r = grader.check()\nr"]
    write_notebook(tmp_path / "hw1.ipynb", cells)
    r = kit_pytest(kit, f"--submission={tmp_path / 'hw1.ipynb'}")
    assert r.returncode == 0, r.stdout
    assert "23 of 23 public checks passed: 16 / 16 points" in r.stdout
    loading = next(line for line in r.stdout.splitlines() if line.startswith("While loading your code: "))
    assert loading == "While loading your code: hw1.ipynb, cell [3], line 1: SyntaxError: invalid syntax"


def test_pytest_in_the_kit_takes_a_cell_printing_and_comparing_its_own_checks_score_for_no_error(kit: Path,
                                                                                                 tmp_path: Path):
    src1 = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text()
    said = ("import grader\nr = grader.check()\nprint(f'{r.result.score:.1f} / {r.result.max_score:g}')\n"
            "assert r.result.score == r.result.max_score and r.result.score >= 16, r")
    write_notebook(tmp_path / "hw1.ipynb", [src1, said])
    r = kit_pytest(kit, f"--submission={tmp_path / 'hw1.ipynb'}", "-k", "softmax")
    assert "While loading your code" not in r.stdout, r.stdout[-3000:]
    assert "10 of 10 public checks passed" in r.stdout, r.stdout[-3000:]


def test_pytest_in_the_kit_does_not_blame_itself_for_a_module_the_student_handed_in(kit: Path, tmp_path: Path):
    broken = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text().replace("def softmax(x):", "def softmax(x)")
    (tmp_path / "q1_softmax.py").write_text(broken)
    shutil.copy(EXAMPLES / "cs224d_correct" / "q3_word2vec.py", tmp_path / "q3_word2vec.py")
    r = kit_pytest(kit, f"--submission={tmp_path}")
    assert r.returncode == 1
    assert "q1_softmax.py, line " in r.stdout and "SyntaxError" in r.stdout
    assert "the kit does not supply" not in r.stdout


# --------------------------------------------------------------------------- every built-in rubric


BUILTIN = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "rubrics").glob("*.toml"))


@pytest.mark.parametrize("name", BUILTIN)
def test_the_kit_of_every_builtin_rubric_can_be_used(name: str, tmp_path: Path):
    # A stand-in of the starter may provide a function the full rubric grades no public check of
    # (CS224n's utils gives softmax): the kit's rubric must still be one that loads.
    out = tmp_path / "kit"
    code, stdout, err = run(["kit", "--out", str(out), "--rubric", name])
    assert code == 0, stdout + err
    kit_rubric, cases = load_kit(out)
    assert kit_rubric.questions and set(cases)
    for s in kit_rubric.starter:
        assert set(s.provides) <= set(kit_rubric.functions)


@pytest.mark.parametrize("name", ["cs224n", "cs224n-a2"])
def test_a_cs224n_kit_checks_as_its_rubric_does(name: str, tmp_path: Path):
    out = tmp_path / "kit"
    assert run(["kit", "--out", str(out), "--rubric", name])[0] == 0
    by_kit = run(["check", "--kit", str(out), str(EXAMPLES / "cs224n_correct"), "--json"])
    by_rubric = run(["check", "--rubric", name, str(EXAMPLES / "cs224n_correct"), "--json"])
    assert by_kit[0] == by_rubric[0] in (0, 1), by_kit[2]

    def points(stdout: str) -> dict:
        return {q["id"]: (q["score"], q["max_score"]) for q in json.loads(stdout)["questions"]}

    assert points(by_kit[1]) == points(by_rubric[1])
    assert sum(score for score, _ in points(by_kit[1]).values()) > 0


def test_a_kit_counts_extra_credit_in_the_score_never_in_the_maximum(tmp_path: Path):
    out = tmp_path / "kit"
    assert run(["kit", "--out", str(out), "--rubric", "cs224n-2017"])[0] == 0
    sub = Path(__file__).resolve().parent / "submissions" / "versions" / "cs224n-2017"
    doc = json.loads(run(["check", "--kit", str(out), str(sub), "--json"])[1])
    bonus = sum(q["max_score"] for q in doc["questions"] if q["id"].startswith("cbow_"))
    assert bonus > 0 and doc["score"] > doc["max_score"]  # this submission does CBOW too
    worth = f"worth {doc['max_score']:g} points (and {bonus:g} of extra credit)"
    assert worth in " ".join((out / "README.md").read_text().split())
    r = kit_pytest(out, f"--submission={sub}")
    assert (f"public checks passed: {doc['score']:g} / {doc['max_score']:g} points of the public checks "
            f"(extra credit, beyond the maximum: up to {bonus:g}).") in r.stdout, r.stdout


def test_the_kit_samples_the_gradient_as_the_grader_does_and_names_it_as_the_course(tmp_path):
    versions = Path(__file__).resolve().parent / "submissions" / "versions"
    kit = tmp_path / "kit"
    assert run(["kit", "--rubric", "cs224n-a2", "--out", str(kit)])[0] == 0
    full = load_rubric("cs224n-a2")
    toml = tomllib.loads((kit / "rubric.toml").read_text(encoding="utf-8"))
    kit_rubric, kit_cases = load_kit(kit)
    fn = full.functions[full.consistency["function"]]
    built = _cases.build(full, _cases.load_reference(full))
    for cid in kit_rubric.consistency["cases"]:  # the elements sampled: the grader's, drawn with the seed
        assert _cases.sample_indices(kit_rubric.consistency, fn.params, kit_cases[cid]) == \
            _cases.sample_indices(full.consistency, fn.params, built[cid])
    assert not any("seed" in t for t in toml["cases"].values())  # (the seed itself stays with the grader)
    assert toml["functions"]["cost_and_grad"]["shown"]["grad"] == "gradOutsideVecs"
    # the outside vectors' gradient without the outside word's own term: wrong in its row only
    sub = tmp_path / "mine"
    shutil.copytree(versions / "cs224n-a2", sub)
    text = (sub / "word2vec.py").read_text()
    wrong = text.replace("    y_hat[outsideWordIdx] -= 1\n    gradCenterVec = outsideVectors.T @ y_hat\n"
                         "    gradOutsideVecs = np.outer(y_hat, centerWordVec)\n",
                         "    gradOutsideVecs = np.outer(y_hat, centerWordVec)\n    y_hat[outsideWordIdx] -= 1\n"
                         "    gradCenterVec = outsideVectors.T @ y_hat\n")
    assert wrong != text
    (sub / "word2vec.py").write_text(wrong)

    def consistency(out: str) -> str:
        return out.split("Does your gradient match your own loss (naiveSoftmaxLossAndGradient)?", 1)[1].split("\n\n", 1)[0]  # a2: a loss

    with_kit = run(["check", "--kit", str(kit), str(sub), "--no-color"])[1]
    without = run(["check", "--rubric", "cs224n-a2", str(sub), "--no-color"])[1]
    assert consistency(with_kit) == consistency(without), (with_kit, without)
    assert "gradOutsideVecs on case" in consistency(with_kit)


def test_the_kits_own_pytest_says_not_implemented_of_a2s_stubs_as_the_grader_does(tmp_path):
    from test_version_conventions import A2_STUBS

    versions = Path(__file__).resolve().parent / "submissions" / "versions"
    kit = tmp_path / "kit"
    assert run(["kit", "--rubric", "cs224n-a2", "--out", str(kit)])[0] == 0
    sub = tmp_path / "midway"
    shutil.copytree(versions / "cs224n-a2", sub)
    text = (sub / "word2vec.py").read_text()
    (sub / "word2vec.py").write_text(A2_STUBS.split("def typo", 1)[0] + "\n\n"
                                     + text[text.index("def getNegativeSamples"):text.index("def skipgram")])
    said = kit_pytest_alone(kit, f"--submission={sub}")
    assert "Not implemented: naiveSoftmaxLossAndGradient returns loss, which it never sets" in said, said[-3000:]
    assert "Not implemented: sigmoid returns s, which it never sets" in said
    assert "Not implemented: negSamplingLossAndGradient calls sigmoid, which returns s without ever setting it" in said
    assert "Not implemented: skipgram returned zeros without calling the loss function it was given" in said  # a2
    assert "raised NameError" not in said


def test_pytest_in_the_kit_runs_a_notebooks_magics_and_colab_cells_as_grader_check_does(kit: Path, tmp_path: Path):
    src1 = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text()
    src3 = (EXAMPLES / "cs224d_correct" / "q3_word2vec.py").read_text().replace("from q1_softmax import softmax", "")
    (tmp_path / "q1_softmax.py").write_text(src1)
    cells = ["from google.colab import drive\ndrive.mount('/content/drive')", "%run ./q1_softmax.py", "%run not_here.py",
             "%time probs = softmax(np.array([1.0, 2.0]))", "print(probs.sum())", src3,
             "import grader\nassert grader.check().passed"]
    write_notebook(tmp_path / "hw1.ipynb", cells)
    r = kit_pytest(kit, f"--submission={tmp_path / 'hw1.ipynb'}")
    assert r.returncode == 0, r.stdout
    assert "23 of 23 public checks passed: 16 / 16 points" in r.stdout
    assert "While loading your code" not in r.stdout, r.stdout
    out = io.StringIO()
    assert main(["check", str(tmp_path / "hw1.ipynb"), "--kit", str(kit), "--json"], out=out, err=io.StringIO()) == 0
    assert json.loads(out.getvalue())["load"]["unit_errors"] == []


@pytest.mark.parametrize("version, own", [
    ("cs224n-a2", {"sgd.py", "word2vec.py"}),
    ("cs224d-2016", {"q1_softmax.py", "q2_gradcheck.py", "q2_neural.py", "q2_sigmoid.py", "q3_sgd.py",
                     "q3_word2vec.py", "q4_softmaxreg.py"}),
    ("cs224d-2015", {"wordvec_sentiment.py"}),  # (its one notebook, or a file of that name)
])
def test_the_kits_readme_names_that_years_files_and_values(tmp_path, version, own):
    kit = tmp_path / "kit"
    assert run(["kit", "--rubric", version, "--out", str(kit)])[0] == 0
    readme = (kit / "README.md").read_text()
    where = readme.split("(the checks look in ", 1)[1].split(" first", 1)[0]
    assert set(re.findall(r"`([^`]+)`", where)) == own, where  # no other year's file (q3_word2vec.py, utils/...)
    if version == "cs224n-a2":  # a2's names of the returned values: the loss, not CS224d's cost
        assert "| `loss` |" in readme and "| `cost` |" not in readme
        assert not re.search(r"\bq[1-4]_\w+\.py", readme), readme  # nor CS224d's files, even as an example
        assert "| `gradCenterVec` |" in readme
    if version == "cs224d-2015":  # one notebook: none of the later years' files, nor their starters' helpers
        assert not re.search(r"\bq[1-4]_|\butils\b", readme), readme


def test_pytest_in_the_kit_grades_a_package_handed_in_flat_as_grader_does(tmp_path: Path):
    # An upload keeps files, not folders: a2's utils/utils.py and utils/gradcheck.py beside word2vec.py.
    # grader grade puts them back in utils/; the kit's pytest failed 22 checks on "from utils.utils import".
    kit = tmp_path / "kit"
    assert run(["kit", "--rubric", "cs224n-a2", "--out", str(kit)])[0] == 0
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in (Path(__file__).resolve().parent / "submissions" / "versions" / "cs224n-a2").rglob("*.py"):
        if f.name != "__init__.py":
            shutil.copy(f, flat / f.name)
    assert sorted(p.name for p in flat.iterdir()) == ["gradcheck.py", "sgd.py", "utils.py", "word2vec.py"]
    said = kit_pytest_alone(kit, f"--submission={flat}")
    assert " failed" not in said and " passed" in said, said
    code, out, _ = run(["check", str(flat), "--kit", str(kit)])
    assert code == 0, out


def test_pytest_in_the_kit_reads_a_submission_folder_kept_inside_the_kit(tmp_path: Path):
    # A student who keeps their work in KIT/mywork/: it was taken for a kit copied inside a submission
    # and skipped ("no .py file"), while a kit inside the submission folder is still left out.
    kit = tmp_path / "kit"
    assert run(["kit", "--rubric", "cs224n-a2", "--out", str(kit)])[0] == 0
    mine = kit / "mywork"
    shutil.copytree(Path(__file__).resolve().parent / "submissions" / "versions" / "cs224n-a2", mine)
    said = kit_pytest_alone(kit, f"--submission={mine}")
    assert " failed" not in said and " passed" in said, said
    outer = tmp_path / "outer"
    shutil.copytree(mine, outer)
    shutil.copytree(kit, outer / "kit")  # the kit inside the submission: its files are not the student's
    shutil.rmtree(outer / "kit" / "mywork")
    said = kit_pytest_alone(outer / "kit", f"--submission={outer}")
    assert " failed" not in said and " passed" in said, said


def test_check_html_against_the_kit_says_so(kit, tmp_path):
    # the report of `grader check --kit KIT --html` says the checks were the kit's, as the page of a
    # kit check does (it said "public checks only", as a check against the grader's reference)
    sub = tmp_path / "cost.py"
    sub.write_text(COST_LOG10)
    page = tmp_path / "report.html"
    code, out, err = run(["check", "--kit", str(kit), "--html", str(page), str(sub)])
    assert code == 1, err
    html = page.read_text(encoding="utf-8")
    assert "self-check against the student kit" in html and "public checks</strong> of the student kit" in html


def test_pytest_in_the_2015_kit_sets_the_notebooks_globals_as_grader_does(tmp_path: Path):
    # 2015's notebook: negative sampling reads a global `dataset`, forward_backward_prop a global `dimensions`,
    # skipgram takes the cost function 7th. The kit's pytest passed them as arguments: K was the dataset.
    kit = tmp_path / "kit"
    assert run(["kit", "--rubric", "cs224d-2015", "--out", str(kit)])[0] == 0
    sub = tmp_path / "wordvec_sentiment.py"  # Python 3 (the kit's pytest translates no Python 2)
    shutil.copy(Path(__file__).resolve().parent / "submissions" / "versions-py3" / "cs224d-2015.py", sub)
    code, out, _ = run(["check", str(sub), "--kit", str(kit), "--json"])
    doc = json.loads(out)
    graded = [c for q in doc["questions"] for c in q["checks"] if q["id"].startswith(("negsamp", "neural", "skipgram"))]
    assert len(graded) > 30 and all(c["status"] == "pass" for c in graded)
    said = kit_pytest_alone(kit, f"--submission={sub}", "-k", "negsamp or neural or skipgram")
    assert " failed" not in said and f"{len(graded)} passed" in said, said[-3000:]
