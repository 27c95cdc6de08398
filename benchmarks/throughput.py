"""Throughput of `grader grade` on 500 .py submissions and 200 notebooks, against what a TA writes by hand.

Baselines, measured in the same run on the same generated batches:

- one Python process per submission that imports the student's code and asserts with
  ``np.allclose`` (``ta_check.py``, written to the temporary folder), run sequentially and
  with the grader's parallelism (``--jobs``, default the number of cores);
- nbgrader's ``autograde``, when it can be pip-installed into a throwaway venv inside the
  temporary folder (on a subset of the notebooks, as it takes seconds per notebook).

With ``--problem-set N`` it also grades N whole-problem-set submissions (folders holding
every CS224d file: the honest styles of ``tests/submissions/problem-set-q2/honest`` with the
cs224d example's q3_word2vec.py) with ``--rubric problem-set``, against a TA's whole-problem-set
script (``ta_check_ps.py``: one process per submission, every function called on a few
inputs and compared with ``np.allclose``, gradcheck and sgd on the starter's quadratic), in
the same run.  With ``--a2 N`` it grades N submissions of CS224n's assignment 2 (2019-2023:
``tests/submissions/versions/cs224n-a2``, word2vec.py and sgd.py with the starter's utils
folder) with ``--rubric cs224n-a2``, against a TA's script for it (``ta_check_a2.py``).  With
``--py2 N`` it grades N problem sets of the Python 2 style alone (CS224d's 2015-2017 classes
handed in Python 2): translation included, no TA baseline (a TA's Python 3 script cannot import them).

With ``--stubs N`` it also grades N do-nothing submissions of each rubric measured (the
built-in one with ``--py``, the problem set with ``--problem-set``): folders whose every
function raises ``NotImplementedError``, as the starter leaves it.  Each still pays for a
leader and a child, loading, a report and a result: their rate shows what the grader costs
whatever the student's code does, beside what working code costs (no TA baseline: nothing
to check).

Each problem-set submission's files end with a comment naming it, so that no two are the
same text (as in a class): the translation cache (``grader/translations.py``) helps only
where texts repeat. The grader's own modules run from cached bytecode (``PYTHONPYCACHEPREFIX``
in the work folder, one per tree measured, filled by a first run that is not counted), as they
do on a TA's machine after the first run. Each run of the grader gets a fresh, empty translation cache; with
``--regrade`` the batch is graded once more with the cache its run filled (a regrade).

With ``--baseline-ref REF`` (a git commit of this repository, e.g. ``main``) the same batches
are graded by that commit too (its tree written to the temporary folder with ``git archive``
and run with ``PYTHONPATH``), interleaved with this tree's runs over ``--rounds`` rounds
(order alternating), with the load average beside each run.  With ``--versus-jobs J`` every
batch is also graded by this tree with ``--jobs J``, interleaved the same way; the number of
cores each run kept busy (the whole machine's, from ``/proc/stat``) is shown beside its rate,
and the ratio of the two rates beside the most it can be on this machine's cores.

Usage: ``python benchmarks/throughput.py [--py 500] [--nb 200] [--problem-set 0] [--jobs N] [--nbgrader-n 20]
[--no-nbgrader] [--py2 0] [--a2 0] [--baseline-ref REF] [--rounds 1] [--regrade] [--stubs 0] [--versus-jobs J]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import (EXAMPLES, busy_seconds, cached_bytecode, checkout, grade, load_average, machine, make_batch, median, table,
                     templates, workdir)

#: The hand-written check of a TA: import the submission, compare with np.allclose, print a score.
TA_CHECK = r'''
import importlib.util, json, sys
from pathlib import Path
import numpy as np


def ref_softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def ref_cost(v, t, W):
    y = ref_softmax(W @ v)
    d = y.copy()
    d[t] -= 1
    return -np.log(y[t]), W.T @ d, np.outer(d, v)


def load(path):
    path = Path(path)
    ns = {"__name__": "submission"}
    if path.suffix == ".ipynb":
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                exec("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))), ns)
        return ns
    if path.is_dir():
        sys.path.insert(0, str(path))
        mods = [p for p in sorted(path.glob("*.py"))]
    else:
        sys.path.insert(0, str(path.parent))
        mods = [path]
    for m in mods:
        spec = importlib.util.spec_from_file_location(m.stem, m)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[m.stem] = mod
        spec.loader.exec_module(mod)
        ns.update({k: v for k, v in vars(mod).items() if not k.startswith("__")})
    return ns


score = 0
try:
    ns = load(sys.argv[1])
    rng = np.random.default_rng(0)
    softmax = ns.get("softmax")
    for x in (rng.normal(size=5), rng.normal(size=(3, 5)), np.array([1000.0, 1001.0]), np.array([[1, 2], [3, 4.0]])):
        try:
            score += bool(np.allclose(softmax(x.copy()), ref_softmax(x)))
        except Exception:
            pass
    cost = ns.get("softmaxCostAndGradient") or ns.get("naiveSoftmaxLossAndGradient")
    for _ in range(3):
        v, W, t = rng.normal(size=4), rng.normal(size=(6, 4)), int(rng.integers(6))
        try:
            got = cost(v.copy(), t, W.copy(), None)
            score += sum(bool(np.allclose(g, e)) for g, e in zip(got, ref_cost(v, t, W)))
        except Exception:
            pass
except BaseException as e:
    print("error:", type(e).__name__, e)
print(sys.argv[1], score)
'''


#: What a TA's whole-assignment scripts share: the preamble of TA_CHECK, a sigmoid, a score and
#: ``ok(f)``, which counts a check that returns True (its printing silenced, its exception a miss).
TA_WHOLE = TA_CHECK.split("score = 0")[0] + r'''
import contextlib, io, random


def sig(x):
    return 1 / (1 + np.exp(-x))


score = 0


def ok(f):
    global score
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            score += bool(f())
    except Exception:
        pass
'''

#: A TA's hand-written check of the whole problem set (q1 to q4): every function on a few inputs.
TA_CHECK_PS = TA_WHOLE + r'''

try:
    ns = load(sys.argv[1])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    ok(lambda: np.allclose(ns["softmax"](x.copy()), ref_softmax(x)))
    for _ in range(3):
        v, W, t = rng.normal(size=4), rng.normal(size=(6, 4)), int(rng.integers(6))
        ok(lambda: all(np.allclose(g, e) for g, e in zip(ns["softmaxCostAndGradient"](v.copy(), t, W.copy(), None),
                                                         ref_cost(v, t, W))))
    ok(lambda: np.allclose(ns["sigmoid"](x), sig(x)))
    ok(lambda: np.allclose(ns["sigmoid_grad"](sig(x)), sig(x) * (1 - sig(x))))
    quad = lambda z: (np.sum(z ** 2), 2 * z)
    for wrong in (False, True):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                ns["gradcheck_naive"]((lambda z: (np.sum(z ** 2), 2 * z + 0.01)) if wrong else quad, rng.normal(size=(3, 4)))
            except AssertionError:
                print("failed")
        score += ("fail" in out.getvalue().lower()) == wrong
    data, labels = rng.normal(size=(20, 10)), np.eye(10)[rng.integers(10, size=20)]
    params = rng.normal(size=(10 + 1) * 5 + (5 + 1) * 10)
    ok(lambda: np.isfinite(ns["forward_backward_prop"](data, labels, params, [10, 5, 10])[0]))
    for x0 in (0.5, 0.0, -1.5):
        ok(lambda: abs(ns["sgd"](quad, x0, 0.01, 1000, PRINT_EVERY=100)) <= 1e-6)
    f, w = rng.normal(size=(10, 6)), 0.1 * rng.normal(size=(6, 5))
    ok(lambda: np.isfinite(ns["softmaxRegression"](f, rng.integers(5, size=10), w, 1.0)[0]))
except BaseException as e:
    print("error:", type(e).__name__, e)
print(sys.argv[1], score)
'''

#: A TA's hand-written check of CS224n's assignment 2 (2019-2023: word2vec.py and sgd.py, the
#: starter's utils beside them): every function on a few inputs, compared with np.allclose.
TA_CHECK_A2 = TA_WHOLE + r"""

class Draws:
    # A dataset whose sampleTokenIdx() cycles through fixed indices (the target among them).
    def __init__(self, seq):
        self.seq, self.i = list(seq), 0

    def sampleTokenIdx(self):
        self.i += 1
        return self.seq[(self.i - 1) % len(self.seq)]


def ref_negsamp(v, o, U, draws, K):
    ks, it = [], iter(draws * 10)
    while len(ks) < K:
        k = next(it)
        if k != o:
            ks.append(k)
    s_o = sig(U[o] @ v)
    loss = -np.log(s_o) - sum(np.log(sig(-U[k] @ v)) for k in ks)
    gv = (s_o - 1) * U[o] + sum((1 - sig(-U[k] @ v)) * U[k] for k in ks)
    gU = np.zeros_like(U)
    gU[o] += (s_o - 1) * v
    for k in ks:
        gU[k] += (1 - sig(-U[k] @ v)) * v
    return loss, gv, gU


try:
    ns = load(sys.argv[1])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    ok(lambda: np.allclose(ns["sigmoid"](x), sig(x)))
    for _ in range(3):
        v, U, o = rng.normal(size=4), rng.normal(size=(6, 4)), int(rng.integers(6))
        ok(lambda: all(np.allclose(g, e) for g, e in zip(
            ns["naiveSoftmaxLossAndGradient"](v.copy(), o, U.copy(), None), ref_cost(v, o, U))))
        draws = [int(k) for k in rng.integers(6, size=12)] + [o]
        ok(lambda: all(np.allclose(g, e) for g, e in zip(
            ns["negSamplingLossAndGradient"](v.copy(), o, U.copy(), Draws(draws), K=5),
            ref_negsamp(v, o, U, draws, 5))))
    tokens = {w: i for i, w in enumerate("abcde")}
    C, U = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    want = [0.0, np.zeros_like(C), np.zeros_like(U)]
    for w in "bd":
        loss, gv, gU = ref_cost(C[0], tokens[w], U)
        want[0] += loss
        want[1][0] += gv
        want[2] += gU
    ok(lambda: all(np.allclose(g, e) for g, e in zip(
        ns["skipgram"]("a", 1, ["b", "d"], tokens, C.copy(), U.copy(), None, ns["naiveSoftmaxLossAndGradient"]),
        want)))
    quad = lambda z: (np.sum(z ** 2), 2 * z)
    for x0 in (0.5, 0.0, -1.5):
        ok(lambda: abs(ns["sgd"](quad, x0, 0.01, 1000, PRINT_EVERY=100)) <= 1e-6)
except BaseException as e:
    print("error:", type(e).__name__, e)
print(sys.argv[1], score)
"""

#: Honest whole-problem-set styles (q1, q2, sgd, q4 files), completed with the q3 example.
PS_STYLES = Path(__file__).resolve().parent.parent / "tests" / "submissions" / "problem-set-q2" / "honest"


def make_stub_batch(folder: Path, n: int, rubric: str) -> Path:
    """Write `n` do-nothing submissions of `rubric`: folders holding each module of its functions,
    every function raising ``NotImplementedError`` as the starter leaves it (a comment names each)."""
    from grader.rubric import load_rubric

    modules: dict[str, list[str]] = {}
    for spec in load_rubric(rubric).functions.values():
        modules.setdefault(spec.modules[0], []).append(
            f"def {spec.names[0]}({', '.join(spec.params)}):\n    raise NotImplementedError\n")
    for i in range(n):
        sub = folder / f"stub{i:05d}"
        sub.mkdir(parents=True, exist_ok=True)
        for module, defs in modules.items():
            (sub / (module.replace(".", "/") + ".py")).write_text(
                "import numpy as np\n\n\n" + "\n\n".join(defs) + f"\n# stub {i}\n")
    return folder


def make_problem_set_batch(folder: Path, n: int, examples: Path, only: str | None = None) -> Path:
    """Write ``n`` whole-problem-set submissions: the CS224d styles in turn (``only``: that one), each with the example's q3_word2vec.py."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    styles = [p for p in sorted(PS_STYLES.iterdir()) if (p / "q2_sigmoid.py").is_file() and only in (None, p.name)]
    q3 = examples / "cs224d_correct" / "q3_word2vec.py"
    for i in range(n):
        style = styles[i % len(styles)]
        dest = folder / f"ps{i:05d}-{style.name}"
        shutil.copytree(style, dest)
        if q3.is_file():
            shutil.copyfile(q3, dest / "q3_word2vec.py")
        for f in dest.rglob("*.py"):  # every submission's text its own, as in a class
            f.write_text(f.read_text(encoding="utf-8") + f"\n# submission {i:05d}\n", encoding="utf-8")
    return folder


A2 = Path(__file__).resolve().parent.parent / "tests" / "submissions" / "versions" / "cs224n-a2"


def make_a2_batch(folder: Path, n: int) -> Path:
    """Write ``n`` CS224n assignment 2 submissions: word2vec.py and sgd.py with the starter's utils, each its own text."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        dest = folder / f"a2-{i:05d}"
        shutil.copytree(A2, dest)
        for f in dest.glob("*.py"):  # the student's two files; the given utils as handed out
            f.write_text(f.read_text(encoding="utf-8") + f"\n# submission {i:05d}\n", encoding="utf-8")
    return folder


def run_ta(script: Path, subs: list[Path], jobs: int) -> float:
    """Run the TA's check on each submission, ``jobs`` at a time; return the wall time."""
    def one(p: Path) -> None:
        subprocess.run([sys.executable, str(script), str(p)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=p.parent, timeout=120)

    t0 = time.perf_counter()
    if jobs == 1:
        for p in subs:
            one(p)
    else:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(one, subs))
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- nbgrader

NBGRADER_CONFIG = """c = get_config()
c.CourseDirectory.course_id = "bench"
c.CourseDirectory.root = {root!r}
c.Exchange.root = {exchange!r}
c.ExecutePreprocessor.timeout = 60
"""


def nbgrader_cell(source: str, **meta) -> dict:
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "solution": False, "grade": False,
                                 "task": False, **meta}
    return cell


def try_nbgrader(tmp: Path, notebooks: list[Path], n: int) -> dict | str:
    """Install nbgrader in a throwaway venv and autograde ``n`` of the notebooks; return figures or why not."""
    import nbformat

    venv = tmp / "nbgrader-venv"
    print(f"nbgrader: installing into a throwaway venv ({venv}) ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        pip = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                              "nbgrader", "numpy"], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as e:
        return f"could not create a venv: {e}"
    if pip.returncode != 0:
        return "pip install nbgrader failed: " + (pip.stderr.strip().splitlines() or ["(no message)"])[-1]
    nbg = str(venv / "bin" / "nbgrader")
    course = tmp / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (tmp / "exchange").mkdir()
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course), exchange=str(tmp / "exchange")))
    tests = (
        "import numpy as np\n"
        "def _ref(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n"
        "x = np.array([[1.0, 2, 3], [1000, 1001, 1002]])\n"
        "assert np.allclose(softmax(x), _ref(x))\n"
    )
    ref = "import numpy as np\ndef softmax(x):\n    ### BEGIN SOLUTION\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n    ### END SOLUTION\n"
    src = nbformat.v4.new_notebook()
    src.cells = [nbgrader_cell(ref, solution=True, grade_id="answer"),
                 nbgrader_cell(tests, grade=True, grade_id="test_softmax", points=1, locked=True)]
    src.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(src, str(course / "source" / "ps1" / "ps1.ipynb"))
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
    r = subprocess.run([nbg, "generate_assignment", "ps1", "--force"], cwd=course, capture_output=True, text=True,
                       env=env, timeout=300)
    if r.returncode != 0:
        return "nbgrader generate_assignment failed: " + r.stderr.strip()[-500:]
    release = nbformat.read(str(course / "release" / "ps1" / "ps1.ipynb"), as_version=4)
    for i, nb_path in enumerate(notebooks[:n]):
        student = nbformat.read(str(nb_path), as_version=4)
        code = "\n\n".join(c.source for c in student.cells if c.cell_type == "code")
        code = "\n".join(line for line in code.splitlines() if not line.startswith("%"))  # no matplotlib there
        nb = nbformat.from_dict(json.loads(nbformat.writes(release)))
        nb.cells[0].source = code  # the student's code in the answer cell, as a student would write it
        folder = course / "submitted" / f"s{i:04d}" / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / "ps1.ipynb"))
    t0 = time.perf_counter()
    r = subprocess.run([nbg, "autograde", "ps1", "--force"], cwd=course, capture_output=True, text=True, env=env,
                       timeout=3600)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        return "nbgrader autograde failed: " + r.stderr.strip()[-500:]
    graded = len(list((course / "autograded").glob("*/ps1/ps1.ipynb")))
    version = subprocess.run([nbg, "--version"], capture_output=True, text=True, env=env).stdout.strip()
    version = version.splitlines()[-1].replace("nbgrader version", "").strip() if version else "?"
    return {"version": version, "n": graded, "seconds": dt}


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--py", type=int, default=500, help=".py submissions (default 500)")
    ap.add_argument("--nb", type=int, default=200, help="notebooks (default 200)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallelism (default: the cores)")
    ap.add_argument("--isolation", default="auto", help="grader's --isolation (default auto: the strongest)")
    ap.add_argument("--nbgrader-n", type=int, default=20, help="notebooks given to nbgrader (default 20)")
    ap.add_argument("--no-nbgrader", action="store_true", help="skip the nbgrader baseline")
    ap.add_argument("--no-sequential", action="store_true", help="skip the sequential TA baseline (slowest part)")
    ap.add_argument("--examples", type=Path, default=EXAMPLES, help="example submissions (default: examples/)")
    ap.add_argument("--problem-set", type=int, default=0, metavar="N",
                    help="also grade N whole-problem-set submissions with --rubric problem-set (default 0)")
    ap.add_argument("--py2", type=int, default=0, metavar="N",
                    help="also grade N Python 2 problem sets (the py2 style alone, as CS224d's 2015-2017 classes "
                         "hand in) with --rubric problem-set; no TA baseline (default 0)")
    ap.add_argument("--a2", type=int, default=0, metavar="N",
                    help="also grade N CS224n assignment 2 submissions (word2vec.py, sgd.py) with --rubric cs224n-a2 "
                         "(default 0)")
    ap.add_argument("--baseline-ref", metavar="REF", default=None,
                    help="also grade every batch with this git commit of the grader, interleaved (default: none)")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of interleaved runs (default 1)")
    ap.add_argument("--versus-jobs", type=int, action="append", default=[], metavar="J",
                    help="also grade every batch with --jobs J, interleaved (repeatable; default: none)")
    ap.add_argument("--stubs", type=int, default=0, metavar="N",
                    help="also grade N do-nothing submissions (the starter's stubs) of each rubric measured: "
                         "what grading costs whatever the code does (default 0)")
    ap.add_argument("--regrade", action="store_true",
                    help="grade the problem set once more per round with its run's translation cache filled")
    args = ap.parse_args()
    for name in ("py", "nb", "problem_set", "py2", "a2", "stubs"):
        if getattr(args, name) < 0:
            ap.error(f"--{name.replace('_', '-')} must be 0 or more")
    if any(j < 1 for j in args.versus_jobs):
        ap.error("--versus-jobs must be 1 or more")

    tmp = workdir()
    print(f"machine: {machine()}")
    print(f"templates: {', '.join(t.name for t in templates(args.examples))}; work folder {tmp}", flush=True)
    py = make_batch(tmp / "py", args.py, 0, args.examples)
    nb = make_batch(tmp / "nb", 0, args.nb, args.examples)
    script = tmp / "ta_check.py"
    script.write_text(TA_CHECK)
    extra = ["--isolation", args.isolation]
    if args.isolation == "process":
        extra.append("--allow-unsandboxed")

    stubs = make_stub_batch(tmp / "stubs", args.stubs if args.py else 0, "word2vec")
    ps_stubs = make_stub_batch(tmp / "ps-stubs", args.stubs if args.problem_set else 0, "problem-set")
    ps = make_problem_set_batch(tmp / "ps", args.problem_set, args.examples)
    script_ps = tmp / "ta_check_ps.py"
    script_ps.write_text(TA_CHECK_PS)
    ps2 = make_problem_set_batch(tmp / "ps2", args.py2, args.examples, only="py2")
    a2 = make_a2_batch(tmp / "a2", args.a2)
    script_a2 = tmp / "ta_check_a2.py"
    script_a2.write_text(TA_CHECK_A2)

    # Variant -> (environment, --jobs): this tree; another commit; this tree with other --jobs.
    variants = {"this tree": (dict(os.environ), args.jobs)}
    if args.baseline_ref:
        base = checkout(args.baseline_ref, tmp / "baseline")
        variants[f"{args.baseline_ref}"] = ({**os.environ, "PYTHONPATH": str(base)}, args.jobs)
    for jobs in args.versus_jobs:
        variants[f"--jobs {jobs}"] = (dict(os.environ), jobs)
    caches = iter(range(1 << 30))
    busy: dict[str, dict[Path, list]] = {v: {} for v in variants}  # cores kept busy (the whole machine) per run

    def run(variant: str, batch: Path, more: list[str], cache: Path | None = None) -> tuple[float, Path, str]:
        # Each tree its own bytecode cache, filled by the warm-up run.
        env = cached_bytecode(variants[variant][0], tmp / f"pycache-{list(variants).index(variant)}")
        jobs = variants[variant][1]
        cache = cache or tmp / f"translations-{next(caches)}"  # fresh: nothing translated before
        env["GRADER_TRANSLATION_CACHE"] = str(cache)
        load = load_average()
        b0 = busy_seconds()
        dt, _, _ = grade(batch, tmp / "out", "--jobs", str(jobs), *extra, *more, env=env)
        b1 = busy_seconds()
        busy[variant].setdefault(batch, []).append((b1 - b0) / dt if b0 is not None and b1 is not None else None)
        return dt, cache, load

    rows = []
    ratios: list[str] = []
    figures = {}
    for label, batch, n in ((".py", py, args.py), ("notebook", nb, args.nb), ("problem set", ps, args.problem_set),
                            ("problem set, Python 2", ps2, args.py2), ("assignment 2", a2, args.a2),
                            ("stub", stubs, args.stubs if args.py else 0),
                            ("problem-set stub", ps_stubs, args.stubs if args.problem_set else 0)):
        if n == 0:
            continue
        more = (["--rubric", "problem-set"] if label.startswith("problem")
                else ["--rubric", "cs224n-a2"] if label == "assignment 2" else [])
        for variant in variants:
            run(variant, batch, more)  # warm the page cache and the bytecode
        subs = sorted(batch.iterdir())
        # A stub: nothing to check; Python 2: the TA's Python 3 script cannot import it.
        ta = (None if label.endswith("stub") or label.endswith("Python 2") else script_ps if label == "problem set"
              else script_a2 if label == "assignment 2" else script)
        times: dict[str, list[float]] = {v: [] for v in variants}
        regrades: list[float] = []
        pars: list[float] = []
        for r in range(args.rounds):
            order = list(variants) if r % 2 == 0 else list(reversed(variants))
            for variant in order:
                dt, cache, load = run(variant, batch, more)
                times[variant].append(dt)
                b = busy[variant][batch][-1]
                print(f"round {r + 1} grader ({variant}) {label}: {n / dt:.1f}/s ({dt:.1f} s), load {load}"
                      + ("" if b is None else f", cores busy {b:.2f}"), flush=True)
                if args.regrade and label == "problem set" and variant == "this tree":
                    dt2, _, load = run(variant, batch, more, cache)
                    regrades.append(dt2)
                    print(f"round {r + 1} grader ({variant}) {label}, regrade: {n / dt2:.1f}/s ({dt2:.1f} s), "
                          f"load {load}", flush=True)
            if ta is None:
                continue
            load = load_average()
            par = run_ta(ta, subs, args.jobs)
            pars.append(par)
            print(f"round {r + 1} TA script {label}: {n / par:.1f}/s ({par:.1f} s), load {load}", flush=True)
        par = median(pars) if pars else None
        seq = None if args.no_sequential or ta is None else run_ta(ta, subs, 1)
        for variant in variants:
            dt = median(times[variant])
            name = label if variant == "this tree" else f"{label} ({variant})"
            figures.setdefault(label, (n, dt, par, seq))
            b = [x for x in busy[variant][batch][1:] if x is not None]  # the warm-up run apart
            cores = f"{median(b):.2f}" if b else "?"
            if variant.startswith("--jobs") and b:
                ratio = median(times[variant]) / median(times["this tree"])
                ratios.append(f"{label}: --jobs {args.jobs} is {ratio:.2f}× {variant}; {variant} keeps {median(b):.2f} "
                              f"cores busy, so on {os.cpu_count()} cores --jobs {args.jobs} can be at most "
                              f"{(os.cpu_count() or 1) / median(b):.2f}× it")
            rows.append([f"{name} × {n}", f"{dt:.1f} s", f"{n / dt:.1f}/s", cores,
                         "—" if par is None else f"{par:.1f} s ({n / par:.1f}/s)",
                         "—" if par is None else f"{par / dt:.1f}×",
                         "—" if seq is None else f"{seq:.1f} s ({n / seq:.1f}/s)",
                         "—" if seq is None else f"{seq / dt:.1f}×"])
        if regrades:
            dt = median(regrades)
            rows.append([f"{label}, regrade × {n}", f"{dt:.1f} s", f"{n / dt:.1f}/s", "?",
                         f"{par:.1f} s ({n / par:.1f}/s)", f"{par / dt:.1f}×", "—", "—"])

    print()
    print(f"medians of {args.rounds} round(s)")
    print(table(rows, ["batch", "grader grade", "rate", "cores busy", f"TA script, {args.jobs} at a time",
                       "grader faster by",
                       "TA script, one at a time", "grader faster by"]))
    for line in ratios:
        print(line)
    for label, target in ((".py", 100), ("notebook", 50), ("problem set", 25), ("assignment 2", 25)):
        if label in figures:
            n, dt = figures[label][:2]
            print(f"target {label}: at least {target}/s: {n / dt:.0f}/s {'met' if n / dt >= target else 'NOT met'}")

    if args.no_nbgrader or args.nb == 0:
        return
    res = try_nbgrader(tmp, sorted(nb.glob("*.ipynb")), args.nbgrader_n)
    if isinstance(res, str):
        print(f"nbgrader baseline skipped: {res}")
        return
    n, dt = figures["notebook"][:2]
    per = res["seconds"] / max(1, res["n"])
    print(f"nbgrader {res['version']} autograde: {res['n']} notebooks in {res['seconds']:.1f} s "
          f"({per:.2f} s per notebook, start included); grader: {dt / n * 1000:.1f} ms per notebook; "
          f"grader faster by {per / (dt / n):.0f}× per notebook")


if __name__ == "__main__":
    main()
