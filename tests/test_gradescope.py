"""The Gradescope bundle: its layout, and run_autograder against a fake /autograder tree, as Gradescope runs it."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import pytest

import grader
from grader.cli import main
from grader.export import GRADESCOPE_SCHEMA
from grader.gradescope import build_bundle
from grader.rubric import load_rubric

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: The folder of the Python running the tests: its `grader` stands in for the one setup.sh installs.
VENV_BIN = Path(sys.executable).parent


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def unzip(zip_path: Path, dest: Path) -> None:
    """Extract like unzip(1): with the permissions stored in the zip."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(dest / info.filename, mode)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bundle")
    code, out, err = run(["gradescope-bundle", "--out", str(d / "autograder.zip")])
    assert code == 0, err
    assert out.startswith(f"wrote {d / 'autograder.zip'}: rubric word2vec-softmax (version 1) at "
                          "assignment/rubrics/word2vec.toml")
    return d / "autograder.zip"


@pytest.fixture(scope="module")
def source(bundle: Path, tmp_path_factory) -> Path:
    """The bundle unpacked, as Gradescope puts it in /autograder/source."""
    d = tmp_path_factory.mktemp("source")
    unzip(bundle, d)
    return d


def autograder(tmp_path: Path, source: Path, files: dict[str, str], *, env: dict | None = None,
               path: str | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    """Run run_autograder on `files` in a fake /autograder tree; return results.json and the process."""
    root = tmp_path / "autograder"
    for d in ("submission", "results"):
        (root / d).mkdir(parents=True)
    if source != root / "source":
        (root / "source").symlink_to(source)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    environ = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_VENV": str(tmp_path / "no-venv"),
               "PATH": path or f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    proc = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=environ, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(doc, GRADESCOPE_SCHEMA)
    return doc, proc


def example(*names: str) -> dict[str, str]:
    out = {}
    for n in names:
        p = EXAMPLES / n
        for f in ([p] if p.is_file() else sorted(p.glob("*.py"))):
            out[f.name] = f.read_text()
    return out


# --------------------------------------------------------------------------- the zip


def test_bundle_layout(bundle: Path, source: Path):
    rubric = load_rubric()
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
    assert names[:4] == ["setup.sh", "run_autograder", "README.md", "bundle.json"]  # at the root of the zip
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(source / script)]).returncode == 0
    # The rubric, its reference and stand-ins, byte for byte: the same rubric, the same digest.
    bundled = load_rubric(source / "assignment" / "rubrics" / "word2vec.toml")
    assert bundled.digest == rubric.digest
    assert (source / "assignment" / "reference" / "word2vec.py").read_bytes() == Path(rubric.reference_path).read_bytes()
    meta = json.loads((source / "bundle.json").read_text())
    assert meta["rubric"] == "assignment/rubrics/word2vec.toml" and meta["digest"] == rubric.digest
    run_text = (source / "run_autograder").read_text()
    assert ('--submission "$ROOT/submission" --results "$RESULTS" --rubric "$RUBRIC"' in run_text
            and 'RUBRIC="$SOURCE/assignment/rubrics/word2vec.toml"' in run_text)
    setup_text = (source / "setup.sh").read_text()
    assert 'pip install "$SOURCE/grader-src"' in setup_text and "sys.version_info < (3, 11)" in setup_text
    assert "@@" not in run_text + setup_text
    # every subpackage of grader's, with all its files (a grammar too), not only grader/*.py
    pkg = Path(grader.__file__).resolve().parent
    for sub in (d for d in pkg.iterdir() if (d / "__init__.py").is_file() and d.name not in ("reference", "rubrics",
                                                                                             "templates")):
        for f in sub.rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                rel = f.relative_to(pkg).as_posix()
                assert (source / "grader-src" / "grader" / rel).read_bytes() == f.read_bytes(), rel


def test_bundled_source_builds_and_grades(source: Path, tmp_path: Path):
    """grader-src/ is a complete copy: setuptools' build_py (what pip installs) gets code and data, and it grades."""
    src = tmp_path / "grader-src"
    shutil.copytree(source / "grader-src", src)
    doc = tomllib.loads((src / "pyproject.toml").read_text())
    assert doc["project"]["name"] == "grader" and doc["project"]["scripts"] == {"grader": "grader.cli:console_main"}
    packages = {".".join(p.parent.relative_to(src).parts) for p in (src / "grader").rglob("__init__.py")}
    packages = {p for p in packages if "starter" not in p}
    assert packages == set(doc["tool"]["setuptools"]["packages"])
    build = tmp_path / "build"
    r = subprocess.run([sys.executable, "-c", "import sys; from setuptools import setup; "
                        "sys.argv = ['setup.py', '-q', 'build_py', '--build-lib', sys.argv[1]]; setup()", str(build)],
                       cwd=src, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for f in ("cli.py", "_worker.py", "templates/report.html.j2", "templates/style.css", "rubrics/word2vec.toml",
              "rubrics/word2vec/starter/q1_softmax.py", "reference/word2vec.py", "templates/kit/conftest.py"):
        assert (build / "grader" / f).is_file(), f
    # The built copy (not the checkout) grades a submission.
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLES / "cs224d_correct", sub)
    results = tmp_path / "results.json"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import grader, grader.cli; "
            "assert grader.__file__.startswith(sys.argv[1]), grader.__file__; "
            "sys.exit(grader.cli.main(['gradescope', '--submission', sys.argv[2], '--results', sys.argv[3]]))")
    r = subprocess.run([sys.executable, "-c", code, str(build), str(sub), str(results)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(results.read_text())["score"] == load_rubric().max_score


def test_bundle_errors(tmp_path: Path):
    code, _, err = run(["gradescope-bundle", "--out", str(tmp_path)])
    assert code == 2
    assert f"error: --out {str(tmp_path)!r} is a folder; name the zip to write, e.g. autograder.zip" in err
    code, _, err = run(["gradescope-bundle", "--out", str(tmp_path / "missing" / "a.zip")])
    assert code == 2
    assert "does not exist" in err


# --------------------------------------------------------------------------- run_autograder


def test_correct_submission_scores_full(source: Path, tmp_path: Path):
    rubric = load_rubric()
    doc, _ = autograder(tmp_path, source, example("cs224d_correct"))
    assert doc["score"] == rubric.max_score == 20
    tests = {t["name"]: t for t in doc["tests"]}
    assert list(tests) == [c.id for c in rubric.checks()]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests.values())
    for c in rubric.checks():
        assert tests[c.id]["visibility"] == ("after_published" if c.visibility == "hidden" else "visible")
    assert {"softmax/hidden-matrix", "cross_entropy/hidden"} <= {c for c, t in tests.items()
                                                                  if t["visibility"] == "after_published"}
    assert doc["extra_data"]["isolation"] in ("bwrap", "bwrap-userns", "process")


def test_wrong_submission_shows_public_failures(source: Path, tmp_path: Path):
    doc, _ = autograder(tmp_path, source, example("mistake_transposed_grad.py"))
    failed = {t["name"]: t for t in doc["tests"] if t["status"] == "failed"}
    assert set(failed) == {"grad_output/small", "grad_output/typical", "grad_output/large-vocab",
                           "grad_output/extreme", "grad_output/hidden"}
    assert doc["score"] == 20 - 5
    assert "The returned 'grad' has shape (3, 5), expected (5, 3)." in failed["grad_output/small"]["output"]
    assert failed["grad_output/hidden"]["visibility"] == "after_published"


def test_a_submission_cannot_write_its_own_results(source: Path, tmp_path: Path):
    target = tmp_path / "autograder" / "results" / "results.json"
    cheat = example("mistake_transposed_grad.py")
    cheat["q3_word2vec.py"] = textwrap.dedent(f"""
        try:
            with open({str(target)!r}, "w") as f:
                f.write('{{"score": 1000}}')
        except OSError:
            pass
    """) + cheat.pop("mistake_transposed_grad.py")
    doc, _ = autograder(tmp_path, source, cheat)
    assert doc["score"] == 15


def test_a_hanging_submission_still_gets_results(source: Path, tmp_path: Path):
    files = example("cs224d_correct")
    files["q3_word2vec.py"] = "while True:\n    pass\n\n" + files["q3_word2vec.py"]
    doc, _ = autograder(tmp_path, source, files)
    assert "q3\\_word2vec\\.py, line 1: Timeout: this code ran longer than 5 s and was stopped" in doc["output"]
    assert doc["score"] == 20  # the definitions after the loop still ran


def test_grading_stopped_at_the_time_limit_still_writes_results(source: Path, tmp_path: Path):
    files = example("cs224d_correct")
    files["q3_word2vec.py"] = "while True:\n    pass\n"
    doc, proc = autograder(tmp_path, source, files, env={"GRADER_TIME_LIMIT": "1"})
    assert doc["score"] == 0 and doc["tests"] == []
    assert doc["extra_data"] == {"error": "timeout", "exit_status": 124}
    assert doc["output"].startswith("**This submission could not be graded:** grading did not finish within "
                                    "1 seconds and was stopped.")
    assert 'under `if __name__ == "__main__":`' in doc["output"]
    assert "grader exited with status 124" in proc.stderr


def test_a_failing_grader_still_writes_results(source: Path, tmp_path: Path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "grader").write_text("#!/bin/sh\necho 'error: this is a bug in grader' >&2\nexit 3\n")
    (fake / "grader").chmod(0o755)
    doc, _ = autograder(tmp_path, source, example("cs224d_correct"), path=f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert doc["score"] == 0
    assert doc["extra_data"] == {"error": "autograder-failed", "exit_status": 3}
    assert "This score of 0 is not your grade" in doc["output"]


def test_student_code_cannot_read_the_rubric_or_the_reference(bundle: Path):
    """Without bubblewrap (Gradescope's container), the student's code runs under another uid: the source is root's only."""
    top = Path(tempfile.mkdtemp(prefix="grader-gradescope-"))  # traversable by others, as /autograder is
    try:
        top.chmod(0o755)
        source = top / "autograder" / "source"
        unzip(bundle, source)
        reference = source / "assignment" / "reference" / "word2vec.py"
        assert reference.stat().st_mode & 0o044  # readable by anyone as unpacked
        files = example("cs224d_correct")
        files["q1_softmax.py"] = textwrap.dedent(f"""
            import numpy as np

            def softmax(x):
                try:
                    with open({str(reference)!r}) as f:
                        f.read()
                    return np.zeros_like(x)  # it could read the reference: every softmax check fails
                except OSError:
                    pass
                e = np.exp(x - np.max(x, axis=-1, keepdims=True))
                return e / np.sum(e, axis=-1, keepdims=True)
        """)
        doc, _ = autograder(top, source, files, env={"GRADER_ISOLATION": "process"})
        assert doc["extra_data"]["isolation"] == "process"
        for p in [source, *source.rglob("*")]:
            assert stat.S_IMODE(p.lstat().st_mode) & 0o077 == 0, p
        if os.geteuid() == 0:  # as on Gradescope: grader drops the student's code to another uid
            assert doc["score"] == 20
    finally:
        shutil.rmtree(top)


@pytest.mark.parametrize("name", ["problem-set", "written"])
def test_a_rubric_that_extends_others_is_bundled_with_its_whole_chain(tmp_path: Path, name: str):
    rubric = load_rubric(name)
    out = tmp_path / "ag.zip"
    bundle = build_bundle(rubric, out)
    with zipfile.ZipFile(out) as z:
        z.extractall(tmp_path / "ag")
    bundled = load_rubric(str(tmp_path / "ag" / bundle.rubric))
    assert bundled.digest == rubric.digest  # every file of the chain, byte for byte


def test_extra_credit_tests_add_nothing_to_the_maximum(tmp_path: Path):
    # cs224n-2017's CBOW is extra credit: Gradescope shows it as a score above a max_score of 0.
    sub = Path(__file__).resolve().parent / "submissions" / "versions" / "cs224n-2017"
    results = tmp_path / "results.json"
    code = main(["gradescope", "--submission", str(sub), "--results", str(results), "--rubric", "cs224n-2017"],
                out=io.StringIO(), err=io.StringIO())
    assert code == 0
    doc = json.loads(results.read_text())
    extra = [t for t in doc["tests"] if t["name"].startswith("cbow_")]
    assert extra and all(t["max_score"] == 0 and t["name"].endswith(" (extra credit)") for t in extra)
    assert all("extra credit" in t["tags"] and t["extra_data"]["extra_credit"] for t in extra)
    assert sum(t["score"] for t in extra) > 0  # this submission does CBOW: points above the maximum
    stated = float(doc["output"].split(" / ", 1)[1].split("**", 1)[0])  # of the checks shown now
    assert sum(t["max_score"] for t in doc["tests"] if t["visibility"] == "visible") == pytest.approx(stated)
    assert doc["output"].startswith("**Score of the checks shown now: ")
    assert sum(t["score"] for t in doc["tests"]) == pytest.approx(doc["score"])


def test_files_translated_from_python_2_are_said_in_one_note_in_check_and_gradescope(tmp_path: Path):
    """A CS224d 2016 folder of Python 2 files: one note for them all, as report.html says it, not a line per file."""
    folder = Path(__file__).parent / "submissions" / "versions" / "cs224d-2016"
    out, err = io.StringIO(), io.StringIO()
    main(["check", str(folder)], out=out, err=err)
    said = [n for n in out.getvalue().splitlines() if "Python 2 code" in n]
    assert len(said) == 1 and "q1_softmax.py" in said[0] and "q3_word2vec.py" in said[0], said
    results = tmp_path / "results.json"
    assert main(["gradescope", "--submission", str(folder), "--results", str(results)],
                out=io.StringIO(), err=io.StringIO()) == 0
    output = json.loads(results.read_text())["output"]
    assert output.count("Python 2 code") == 1, output


def test_a_cost_still_raising_the_starters_not_implemented_says_nothing_of_its_own_gradient(tmp_path: Path):
    """Under a rubric where a stub's checks are errors (the built-in word2vec rubric), as where they fail:
    its checks say "the starter placeholder is still there", and no report adds that its gradient could
    not be compared with its own cost (the terminal never said it)."""
    stub = tmp_path / "sub"
    stub.mkdir()
    (stub / "q3_word2vec.py").write_text(
        "import numpy as np\n\ndef softmax(x):\n    raise NotImplementedError\n\n"
        "def softmaxCostAndGradient(predicted, target, outputVectors, dataset):\n    raise NotImplementedError\n")
    results = tmp_path / "results.json"
    assert main(["gradescope", "--submission", str(stub), "--results", str(results)],
                out=io.StringIO(), err=io.StringIO()) == 0
    output = json.loads(results.read_text())["output"]
    assert "placeholder is still there" in json.loads(results.read_text())["tests"][0]["output"]
    assert "could not be compared" not in output and "gradient match" not in output, output
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "sub"), "--out", str(out), "--no-progress"],
                out=io.StringIO(), err=io.StringIO()) == 0
    report = next(out.glob("*/report.html")).read_text(encoding="utf-8")
    assert "could not be compared" not in report
    r = json.loads(next(out.glob("*/result.json")).read_text())
    assert {c["verdict"] for c in r["consistency"]} == {"stub"}
