"""Run the public checks of this kit on your own code, with numpy and pytest only.

This file is the plumbing of ``test_public.py``: it finds your code, loads it, calls your
functions on the kit's public cases and compares what they return with the expected
values stored in ``cases.npz``.  It needs Python 3.8 or later, numpy and pytest; the
grader itself is not needed.

Where your code is looked for, first match wins:

1. ``pytest --submission=PATH`` (a ``.py`` file, a notebook, or a folder; write the ``=``:
   without it pytest takes PATH for a test file);
2. the environment variable ``GRADER_SUBMISSION`` (same; ``W2V_SUBMISSION`` is read too);
3. this kit's own folder: copy your files next to ``test_public.py``.

Your code runs in this pytest process, as your own program would.  Passing these public
checks is not your final grade: hidden checks on other inputs are graded after you hand in.
"""

from __future__ import annotations

import __future__
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import json
import os
import random
import re
import signal
import sys
import threading
import time
import traceback
import types

import numpy as np
import pytest

KIT = os.path.dirname(os.path.abspath(__file__))
ENV = "GRADER_SUBMISSION"
#: The name earlier kits read; still honoured.
OLD_ENV = "W2V_SUBMISSION"
#: Files of the kit itself, never taken for the student's (recognise.py: the grader's recognition of course versions).
KIT_FILES = {"conftest.py", "test_public.py", "recognise.py"}
NOT_FINAL = ("Passing the public checks is not your final grade: "
             "hidden checks on other inputs are graded after you hand in.")


# --------------------------------------------------------------------------- the kit's data


def _load_kit():
    """Return the kit description (public.json) and its arrays (cases.npz, no pickles)."""
    with open(os.path.join(KIT, "public.json"), encoding="utf-8") as f:
        spec = json.load(f)
    with np.load(os.path.join(KIT, "cases.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return spec, arrays


SPEC, ARRAYS = _load_kit()


class Dataset:
    """A deterministic stand-in for the course's ``dataset`` argument (as the grader hands it).

    With a script (negative sampling), ``sampleTokenIdx()`` returns the scripted indices in
    order, then random ones, and records every draw in ``drawn``.
    """

    def __init__(self, vocab, seed=0, script=()):
        self._rng = random.Random(seed)
        self._vocab = vocab
        self._script = [int(i) for i in script]
        self.drawn = []

    def sampleTokenIdx(self):  # noqa: N802 - the course's name
        n = len(self.drawn)
        i = self._script[n] if n < len(self._script) else self._rng.randrange(self._vocab)
        if self._script and n <= 10000:
            self.drawn.append(i)
        return i

    def tokens(self):
        return {"w%d" % i: i for i in range(self._vocab)}

    def getRandomContext(self, C=5):  # noqa: N802, N803
        words = ["w%d" % self._rng.randrange(self._vocab) for _ in range(2 * C + 1)]
        return words[C], words[:C] + words[C + 1:]


def _costfn_word(role):
    """How the course calls the function passed to skip-gram: "cost function", "loss function" (a2)."""
    fn = SPEC.get("functions", {}).get(role or "cost_and_grad", {})
    return "%s function" % ((fn.get("shown") or {}).get("cost") or "cost")


class TableCost:
    """The grader's cost function for one skip-gram/CBOW case: it answers only that case's calls."""

    def __init__(self, spec):
        self.word = _costfn_word(spec.get("role"))
        self.entries = [(np.asarray(ARRAYS[e["predicted"]], dtype=np.float64), int(e["target"]), float(e["cost"]),
                         ARRAYS[e["gradPred"]], ARRAYS[e["grad"]]) for e in spec["table"]]
        self.outputs = spec.get("outputs", "")
        self.calls = 0

    def __call__(self, predicted, target, outputVectors, *rest, **kwargs):  # noqa: N803
        import hashlib

        self.calls += 1
        why = "the function the grader passed answers only the calls expected on this case"
        w = np.ascontiguousarray(np.asarray(outputVectors, dtype=np.float64))
        if hashlib.sha256(w.tobytes()).hexdigest() != self.outputs:
            raise ValueError(why + ": the output (outside) vectors passed to it are not the ones your function was given")
        r = np.asarray(predicted, dtype=np.float64).reshape(-1)
        for pred, t, cost, grad_pred, grad in self.entries:
            if int(np.asarray(target).reshape(-1)[0]) == t and r.shape == pred.shape and np.allclose(
                    r, pred, rtol=1e-6, atol=1e-9):
                return cost, np.array(grad_pred, dtype=np.float64), np.array(grad, dtype=np.float64)
        raise ValueError(why + ": no call with this vector and word index is expected (skip-gram passes the center "
                         "word's vector with each outside (context) word's index in turn; CBOW the sum of the context "
                         "words' vectors with the center word's index)")


def _arg(a, probes=None, patches=None, harness=None):
    """Return a fresh argument from its kit description (a writable copy for arrays).

    A "built" argument (a function f, a postprocessing, tokens, a sentence, a list) is made
    here as the grader makes it in your process; what it observes during the call (how often
    it was called, with how many random states) goes into ``probes``.
    """
    if "array" in a:
        v = np.array(ARRAYS[a["array"]], copy=True)
        return v.item() if a.get("item") else v
    if "dataset" in a:
        d = a["dataset"]
        return Dataset(int(d["vocab"]), int(d.get("seed", 0)), d.get("script", ()))
    if "costfn" in a:
        if "table" in a["costfn"]:
            return TableCost(a["costfn"])
        fn, why = harness.find(a["costfn"]["role"]) if harness is not None else (None, "")
        if fn is None:
            def missing(*args, **kwargs):
                raise NameError("the kit found no %s of yours to pass: %s" % (_costfn_word(a["costfn"]["role"]), why))
            return missing
        return fn
    if a.get("none"):
        return None
    if "list" in a:
        return [_arg(v) for v in a["list"]]
    if "built" in a:
        return _built(a["built"], {k: _arg(v) for k, v in a.get("data", {}).items()},
                      probes if probes is not None else [], patches if patches is not None else [])
    import copy

    return copy.deepcopy(a["value"])


def _draws(case, args):
    """Return (key of the expected values for what was drawn, a line saying what was drawn) or (None, None).

    Negative sampling: the kit has the expected values of the draws an implementation
    that draws its K samples once makes (rejecting the target, or using it).
    """
    ds = next((x for x in args if isinstance(x, Dataset) and x._script), None)
    if ds is None:
        return None, None
    target = next((int(x) for x in args[1:2]), 0)
    k = int(args[4]) if len(args) > 4 and isinstance(args[4], int) else 10
    drawn = list(ds.drawn)
    others = sum(1 for d in drawn if d != target)
    conventions = SPEC.get("sampling", {}).get("conventions", ["reject"]) or ["reject"]
    first = drawn  # the draws the expected values are those of
    if others == k:
        convention = "reject"
    elif len(drawn) == k:
        convention = "use" if "use" in conventions else "reject"
    elif others > k:
        # Drawn again (between the cost and the gradient): the expected values are those of the
        # first K, as the grader computes them, under the rubric's first convention.
        convention = conventions[0]
        first = drawn[:k] if convention == "use" else _through_kth_other(drawn, target, k)
    else:
        convention = ""
    line = "drawn: " + ", ".join("%d (the target)" % d if d == target else str(d) for d in drawn[:40])
    if len(drawn) == k and others < k and convention == "reject":
        line += ("; a draw equal to the target was used as a negative sample: reject it and draw again "
                 "(as getNegativeSamples does)")
    if others > k:
        line += ("; you drew %d samples, %d of them not the target: more than K = %d (do you sample again "
                 "between the cost and the gradient?)" % (len(drawn), others, k))
    elif others < k and len(drawn) != k:
        line += "; you drew %d samples, fewer than K = %d" % (len(drawn), k)
    return ("%s:%s" % (convention, ",".join(str(d) for d in first)) if convention else ""), line


def _through_kth_other(drawn, target, k):
    """The draws up to the k-th one that is not the target: what one call rejecting the target draws."""
    seen = 0
    for i, d in enumerate(drawn):
        seen += d != target
        if seen == k:
            return drawn[:i + 1]
    return drawn


def _built(kind, d, probes, patches):
    """Build one argument the grader hands over (the kit's copy of the grader's builder)."""
    if kind == "list":
        return np.asarray(d.get("values", [])).tolist()
    if kind == "tokens":
        return {"w%d" % i: i for i in range(int(d.get("vocab", 0)))}
    if kind == "words":
        return ["w%d" % int(i) for i in np.asarray(d.get("indices", [])).reshape(-1)]
    if kind == "postprocess":
        rec = {"kind": kind, "calls": 0}
        probes.append(rec)

        def postprocessing(x):
            rec["calls"] += 1
            return x * float(d.get("factor", 1.0))

        return postprocessing
    if kind == "use-saved":
        x = np.asarray(d.get("x", 0.0), dtype=np.float64)
        patches.append(("load_saved_params", lambda: (int(d.get("start", 0)), x.copy() if x.ndim else float(x), None)))
        patches.append(("save_params", lambda it, params: None))
        return True
    if kind == "function":
        a, c = np.asarray(d.get("a", 1.0), dtype=np.float64), np.asarray(d.get("c", 0.0), dtype=np.float64)
        noise = float(d.get("noise", 0.0))
        rec = {"kind": kind, "calls": 0, "must_call": True, "states": 0}
        seen = set()
        probes.append(rec)

        def f(x):
            rec["calls"] += 1
            if noise:
                seen.add(hash(random.getstate()))
                rec["states"] = len(seen)
            diff = x - c
            cost = 0.5 * np.sum(a * diff * diff) + (noise * random.random() if noise else 0.0)
            if d.get("grad") == "zeros":
                return cost, np.zeros_like(a * diff)
            grad = np.array(a * diff, dtype=np.float64)
            if d.get("grad") == "wrong":
                grad.reshape(-1)[int(d.get("index", 0)) % max(1, grad.size)] += float(d.get("perturb", 0.0))
            return cost, grad

        return f
    return None


# --------------------------------------------------------------------------- finding the student's code


def _submission_root(config):
    """Return (root folder, list of (module name, file path)) of the student's code."""
    path = config.getoption("submission") or os.environ.get(ENV) or os.environ.get(OLD_ENV) or KIT
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(path):
        raise pytest.UsageError("no such file or folder: %r (from %s)" % (
            path, "--submission" if config.getoption("submission") else ENV))
    if os.path.isfile(path):
        root = os.path.dirname(path)
        files = [path]
    else:
        root = path
        files = []
        for dirpath, dirnames, filenames in os.walk(path):
            here = os.path.abspath(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__"))
                                 and not (here == KIT and d == "starter"))
            for fn in sorted(filenames):
                if not fn.endswith((".py", ".ipynb")):
                    continue
                if here == KIT and fn in KIT_FILES:
                    continue  # the kit's own files
                if root != KIT and (KIT + os.sep).startswith(root + os.sep) \
                        and (here + os.sep).startswith(KIT + os.sep):
                    continue  # a kit copied inside the submission folder (not a submission inside the kit)
                files.append(os.path.join(dirpath, fn))
    modules = []
    for f in files:
        rel = os.path.relpath(f, root).replace(os.sep, "/")
        name = rel.rsplit(".", 1)[0]
        if name.endswith("/__init__"):
            name = name[: -len("/__init__")]
        modules.append((name.replace("/", "."), f))
    return root, _unflattened(modules)


# "from P.M import ..." or "import P.M" at the start of a line (of a .py file, or in a notebook's JSON).
_DOTTED_IMPORT = re.compile(r'^[ \t]*"?[ \t]*(?:from[ \t]+([A-Za-z_]\w*)\.([A-Za-z_]\w*)[ \t]+import\b'
                            r'|import[ \t]+([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b)', re.MULTILINE)


def _unflattened(modules):
    """Return the modules with those of a package handed in flat put back in it, as the grader does.

    An upload keeps files, not folders: a2's utils/utils.py arrives as utils.py beside
    word2vec.py, whose "from utils.utils import ..." then fails.  When the code imports P.M,
    P.py is at the top (so P is no package), no folder P/ is there, and M.py is at the top
    too, M.py is the module P.M.
    """
    top = {m: f for m, f in modules if "." not in m and f.endswith(".py")}
    if len(top) < 2:
        return modules
    folders = {m.split(".")[0] for m, _ in modules if "." in m}
    moved = {}
    for _, f in modules:
        try:
            with open(f, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        for m in _DOTTED_IMPORT.finditer(text):
            package, module = m.group(1) or m.group(3), m.group(2) or m.group(4)
            if package in top and package not in folders and module in top and module not in moved:
                moved[module] = "%s.%s" % (package, module)
    return [(moved.get(m, m), f) for m, f in modules]


def _notebook_cells(path):
    """Return the code cells of a notebook as [(label, Python source)], labelled as Jupyter shows them.

    A cell is "cell [N]" (its stored execution count) or, when counts are missing or do not
    tell cells apart, "cell #N" (its position), as the grader names them; IPython ``%``/``!``
    lines are left out (each becomes ``pass``, so that line numbers stay the cell's), but for
    those that change the cell's names, kept as the grader keeps them: ``%time STATEMENT`` runs
    its statement, ``%run q2_sigmoid.py`` leaves the module's names in the notebook.
    """
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    cells = nb.get("cells")
    if cells is None:  # nbformat 3: cells inside worksheets, the source under "input"
        cells = [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
    out = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        src = "".join(src) if isinstance(src, list) else src
        if not isinstance(src, str) or not src.strip():
            continue
        lines = []
        for line in src.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                line = line[: len(line) - len(stripped)] + _magic_line(stripped)
            lines.append(line)
        count = cell.get("execution_count", cell.get("prompt_number"))
        numbered = isinstance(count, int) and not isinstance(count, bool)
        out.append((count if numbered else None, index, "\n".join(lines) + "\n"))
    counts = [c for c, _, _ in out if c is not None]
    by_position = len(set(counts)) < len(counts)
    return [("cell #%d" % (i + 1) if by_position or c is None else "cell [%d]" % c, src) for c, i, src in out]


def _magic_line(magic):
    """One IPython ``%``/``!`` line as Python on one line (see :func:`_notebook_cells`)."""
    name, _, rest = magic.partition(" ")
    rest = rest.strip()
    if name == "%time" and rest:
        return rest
    if name == "%run":
        words = [w for w in rest.split() if not w.startswith("-")]
        m = re.match(r"(?:\./)?([A-Za-z_]\w*)(?:\.py)?$", words[0]) if words else None
        if m:
            # (a file that is not there: nothing, as IPython only prints an error for it)
            return ("__import__('importlib.util').util.find_spec(%r) is None or globals().update("
                    "{k: v for k, v in vars(__import__(%r)).items() if not k.startswith('__')})  # %s"
                    % (m.group(1), m.group(1), magic))
    return "pass  # " + magic


class _StudentLoader(importlib.abc.Loader):
    """Run a student file statement by statement: a failing statement is recorded, the rest still runs."""

    def __init__(self, harness, name, path):
        self.harness, self.name, self.path = harness, name, path

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = self.path
        shown = os.path.relpath(self.path, self.harness.root)
        if self.path.endswith(".ipynb"):
            # One cell at a time, as Jupyter ran them: a cell that does not parse costs only itself.
            units = [("%s, %s" % (shown, label), src) for label, src in _notebook_cells(self.path)]
        else:
            with open(self.path, encoding="utf-8") as f:
                units = [(shown, f.read())]
        flags = 0
        for where, source in units:
            flags = self.exec_unit(module, where, source, flags)

    def exec_unit(self, module, where, source, flags):
        """Run one file or cell statement by statement; return the ``__future__`` flags in force after it."""
        try:
            tree = ast.parse(source, self.path)
        except SyntaxError as e:
            why = "%s, line %s: SyntaxError: %s" % (where, e.lineno, e.msg)
            if "Missing parentheses in call to" in str(e.msg):
                why += (" (Python 2 code: pytest runs it as Python 3; port it, or use 'grader check --kit', "
                        "which translates it)")
            self.harness.load_errors.append(why)
            return flags
        budget = float(SPEC.get("settings", {}).get("cell_timeout", 5.0))
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                for alias in stmt.names:
                    feature = getattr(__future__, alias.name, None)
                    flags |= getattr(feature, "compiler_flag", 0)
            try:
                code = compile(ast.Module(body=[stmt], type_ignores=[]), self.path, "exec", flags=flags,
                               dont_inherit=True)
                with _time_limit(budget):
                    exec(code, module.__dict__)
            except _Timeout:
                self.harness.load_errors.append(
                    "%s, line %d: this code ran longer than %g s and was stopped; the code after it still ran"
                    % (where, stmt.lineno, budget))
            except BaseException as e:  # noqa: BLE001 - the student's code may raise anything
                if isinstance(e, KeyboardInterrupt):
                    raise
                why = "%s, line %d: %s: %s" % (where, stmt.lineno, type(e).__name__, e)
                missing = getattr(e, "name", None) if isinstance(e, ImportError) else None
                if (missing and missing not in self.harness.files
                        and any(missing == m or missing.startswith(m + ".") or m.startswith(missing + ".")
                                for m in SPEC.get("withheld", []))):
                    why += (" (the kit does not supply %r: it would answer a graded question; keep your own "
                            "copy with your files)" % missing)
                self.harness.load_errors.append(why)
        return flags


class _GraderStandIn(importlib.abc.Loader):
    """``import grader`` in the student's code: calls of it (``grader.check()``) do nothing, as when graded."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        def __getattr__(attr):  # noqa: N807
            if attr.startswith("__"):
                raise AttributeError(attr)
            return _Quiet()

        module.__getattr__ = __getattr__
        module.__path__ = []


class _Quiet(object):
    """What the stand-ins give: every call, attribute and item is another, true (``assert grader.check().passed``)."""

    def __call__(self, *args, **kwargs):
        return _Quiet()

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Quiet()

    def __getitem__(self, key):
        return _Quiet()

    def __iter__(self):
        return iter(())

    def __repr__(self):
        return "<not run here>"

    def __format__(self, spec):  # print(f"{r.result.score:.1f}")
        return repr(self)

    def _true(self, other):
        return True

    # (r.result.score == r.result.max_score, score >= 20: true, as the grader's own stand-in)
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _true
    __hash__ = object.__hash__

    def _same(self, *other):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __neg__ = __abs__ = __round__ = _same


class _ColabFinder(importlib.abc.MetaPathFinder):
    """Last resort for Colab's ``google.colab`` (``drive.mount(...)``) off Colab: a stand-in, as when graded."""

    def find_spec(self, name, path=None, target=None):
        if name == "google" or name == "google.colab" or name.startswith("google.colab."):
            return importlib.util.spec_from_loader(name, _GraderStandIn(), is_package=True)
        return None


class _StudentFinder(importlib.abc.MetaPathFinder):
    """Import the student's modules through :class:`_StudentLoader`, the kit's stand-ins otherwise."""

    def __init__(self, harness):
        self.harness = harness

    def find_spec(self, name, path=None, target=None):
        h = self.harness
        if name in h.files:
            f = h.files[name]
            is_pkg = f.endswith("__init__.py")
            spec = importlib.util.spec_from_loader(name, _StudentLoader(h, name, f), origin=f, is_package=is_pkg)
            if is_pkg:
                spec.submodule_search_locations = h.package_path(name)
            return spec
        if name.split(".")[0] == "grader" and not any(m.split(".")[0] == "grader" for m in h.files):
            # The notebook's own self-check: not run here (the grader's sandbox gives it the same stand-in).
            return importlib.util.spec_from_loader(name, _GraderStandIn(), is_package=True)
        prefix = name + "."
        if any(m.startswith(prefix) for m in h.files):
            # A folder of the student's without __init__.py: a package spanning it and the stand-ins.
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = h.package_path(name)
            return spec
        return None


def _recognised(modules):
    """Return the course version the code looks like, as the grader recognises it ("" when nothing tells).

    The kit carries the grader's own recognition (recognise.py: regular expressions on the text,
    nothing run); the files are read as handed in, a notebook's cells as the student wrote them.
    """
    path = os.path.join(KIT, "recognise.py")
    if not os.path.isfile(path):
        return ""
    try:
        package = types.ModuleType("_kit_grader")
        package.__path__ = []
        model = types.ModuleType("_kit_grader.model")

        class Recognition(object):
            def __init__(self, version, reason, whole=""):
                self.version, self.reason, self.whole = version, reason, whole

        model.Recognition, model.Submission = Recognition, object
        sys.modules.setdefault("_kit_grader", package)
        sys.modules.setdefault("_kit_grader.model", model)
        spec = importlib.util.spec_from_file_location("_kit_grader.recognise", path)
        recognise = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = recognise
        spec.loader.exec_module(recognise)
        files = []
        for name, f in modules:
            cells = None
            if f.endswith(".ipynb"):
                with open(f, encoding="utf-8") as fh:
                    nb = json.load(fh)
                raw = nb.get("cells")
                if raw is None:
                    raw = [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
                cells = []
                for c in raw:
                    if isinstance(c, dict) and c.get("cell_type") == "code":
                        src = c.get("source", c.get("input", ""))
                        cells.append(types.SimpleNamespace(original="".join(src) if isinstance(src, list) else str(src)))
                text = ""
            else:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            files.append(types.SimpleNamespace(path=name.replace(".", "/") + os.path.splitext(f)[1], origin="",
                                               text=text, cells=cells, translated=False, python2=False))
        return recognise.recognise(types.SimpleNamespace(error=None, files=files)).version
    except Exception:  # noqa: BLE001 - not recognised: the kit's own words, the sanity values as they are
        return ""


def _reword(version):
    """Show the kit in the words of `version`'s course where the rubric's ``wording`` names a rubric for it.

    An a2 student checked with the whole problem set's kit reads loss, centerWordVec and
    naiveSoftmaxLossAndGradient, as the grader shows them; what is checked stays the same.
    """
    wording = SPEC.get("wording") or {}
    words = (wording.get("words") or {}).get((wording.get("versions") or {}).get(version, ""))
    if not isinstance(words, dict):
        return
    for role, fn in (words.get("functions") or {}).items():
        if role in SPEC["functions"]:
            SPEC["functions"][role] = dict(fn)
    for cid, text in (words.get("cases") or {}).items():
        if cid in SPEC["cases"]:
            SPEC["cases"][cid]["description"] = text
    for q in SPEC.get("questions", []):
        q.update((words.get("questions") or {}).get(q["id"], {}))
    for c in SPEC["checks"]:
        if c["id"] in (words.get("checks") or {}):
            c["description"] = words["checks"][c["id"]]
    SPEC["mistakes"].update(words.get("mistakes") or {})


class Harness:
    """The student's code, loaded once per pytest session, and the calls made on it."""

    def __init__(self, config):
        self.root, modules = _submission_root(config)
        self.files = dict(modules)
        self.order = [m for m, _ in modules]
        self.version = _recognised(modules)
        _reword(self.version)
        self.starter_dir = os.path.join(KIT, "starter")
        self.load_errors = []
        self.loaded = {}
        self.failed = {}
        self.outcomes = {}
        self.results = {}  # check id -> True (passed) / False
        sys.dont_write_bytecode = True
        if self.root not in sys.path:
            sys.path.insert(0, self.root)
        if os.path.isdir(self.starter_dir):
            sys.path.append(self.starter_dir)  # after the student's own files: theirs win
        sys.meta_path.insert(0, _StudentFinder(self))
        sys.meta_path.append(_ColabFinder())

    def package_path(self, name):
        """Return the folders of package ``name``: the student's, then the stand-ins'."""
        parts = name.split(".")
        return [os.path.join(d, *parts) for d in (self.root, self.starter_dir)
                if os.path.isdir(os.path.join(d, *parts))]

    def module(self, name):
        """Import one student module (once); None when importing it failed."""
        if name in self.loaded:
            return self.loaded[name]
        if name in self.failed:
            return None
        try:
            mod = importlib.import_module(name)
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, KeyboardInterrupt):
                raise
            self.failed[name] = "%s: %s" % (type(e).__name__, e)
            self.load_errors.append("importing %s failed: %s" % (self.files.get(name, name), self.failed[name]))
            return None
        self.loaded[name] = mod
        return mod

    def is_stand_in(self, fn):
        """Return True when ``fn`` comes from one of the kit's stand-ins rather than the student."""
        f = getattr(sys.modules.get(getattr(fn, "__module__", None) or ""), "__file__", None) or ""
        return os.path.abspath(f).startswith(self.starter_dir + os.sep)

    def find(self, role):
        """Return (function, "module.name") for ``role``, or (None, why)."""
        spec = SPEC["functions"][role]
        names = spec.get("names") or [role]
        preferred = [m for m in spec.get("modules", []) if m in self.files]
        rest = [m for m in self.order if m not in preferred]
        for name in preferred + rest:
            mod = self.module(name)
            if mod is None:
                continue
            for n in names:
                fn = getattr(mod, n, None)
                if fn is not None and callable(fn) and not self.is_stand_in(fn):
                    return fn, "%s.%s" % (name, n)
        searched = ", ".join(os.path.relpath(self.files[m], self.root) for m in preferred + rest) or "(no .py file)"
        why = "no function %s in %s" % (" or ".join(repr(n) for n in names), searched)
        if self.failed:
            why += "; these failed to import: " + "; ".join("%s (%s)" % kv for kv in self.failed.items())
        return None, why

    def shown(self, where):
        """Return the file of "module.function", relative to the submission's folder."""
        module = where.rsplit(".", 1)[0]
        return os.path.relpath(self.files[module], self.root) if module in self.files else module

    def raised(self, e, where, stub_names=()):
        """Return the one-line message of an exception raised by the student's function.

        `stub_names`: names the year's starter leaves for the student to set and then uses
        (2015's ``numgrad``, ``gradW1``): a NameError on one of them, never set, is its placeholder.
        """
        fname = where.rsplit(".", 1)[-1]
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(self.root + os.sep)]
        at = " (%s, line %d)" % (os.path.relpath(frames[-1].filename, self.root), frames[-1].lineno) if frames else ""
        if isinstance(e, NotImplementedError):
            inner = frames[-1].name if frames else ""
            if inner and inner not in (fname, "<module>"):
                return ("%s still raises NotImplementedError%s, from %s, which it calls: the starter placeholder is "
                        "still there." % (fname, at, inner))
            return "%s still raises NotImplementedError%s: the starter placeholder is still there." % (fname, at)
        unset, inner = _placeholder_return(e)
        if unset and inner != fname:
            return ("%s calls %s, which returns %s without ever setting it (the starter's placeholder is still "
                    "there?)." % (fname, inner, unset))
        if unset:
            return "%s returns %s, which it never sets (the starter's placeholder is still there?)." % (fname, unset)
        used = _placeholder_used(e, stub_names)
        if used:
            return "%s uses %s, which it never sets (the starter's placeholder is still there?)." % (fname, used)
        return "%s raised %s%s: %s" % (fname, type(e).__name__, at, e)

    def call(self, role, case_id, timeout):
        """Call the student's function for ``role`` on a case (once) and return the outcome dict."""
        key = (role, case_id)
        if key in self.outcomes:
            return self.outcomes[key]
        fn, where = self.find(role)
        if fn is None:
            out = {"status": "missing", "message": where}
            self.outcomes[key] = out
            return out
        spec = SPEC["functions"][role]
        case = SPEC["cases"][case_id]
        probes, patches = [], []
        args = [_arg(a, probes, patches, self) for a in case["args"]]
        notes = []
        full = args  # every argument, as the case has them (the draws are read from its dataset)
        args, spec = _as_globals(fn, args, spec, patches, notes)
        n = _choose_arity(fn, len(args), spec.get("arities") or [len(args)], spec.get("params", []), notes)
        g = getattr(fn, "__globals__", {})
        saved = [(name, name in g, g.get(name)) for name, _ in patches]
        g.update(dict(patches))
        printed = _Tee()
        try:
            with _time_limit(timeout), printed:
                value = fn(*args[:n])
            out = {"status": "ok", "value": value, "args": full, "where": where, "notes": notes,
                   "probes": probes, "printed": printed.text()}
            key, drawn = _draws(case, full)
            if drawn:
                out["draws"], out["notes"] = key, notes + [drawn]
        except _Timeout:
            out = {"status": "timeout", "where": where,
                   "message": "%s did not return within %g s (the grader's limit for this case)" % (
                       where.rsplit(".", 1)[-1], timeout)}
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, KeyboardInterrupt):
                raise
            out = {"status": "raised", "where": where, "message": self.raised(e, where, spec.get("stub_names") or ()),
                   "exception": type(e).__name__,
                   "probes": probes, "printed": printed.text()}
            tb = traceback.format_exception(type(e), e, e.__traceback__)
            student = [ln for ln in tb if self.root in ln or not ln.startswith("  File ")]
            out["traceback"] = "".join(student[-12:])
        finally:
            for name, had, old in saved:
                if had:
                    g[name] = old
                else:
                    g.pop(name, None)
        self.outcomes[key] = out
        return out


class _Tee:
    """Keep what the code inside prints (and still show it)."""

    def __enter__(self):
        self._parts, self._old = [], sys.stdout
        tee = self

        class _Out:
            def write(self, text):
                tee._parts.append(text)
                return tee._old.write(text)

            def flush(self):
                tee._old.flush()

        sys.stdout = _Out()
        return self

    def __exit__(self, *exc):
        sys.stdout = self._old
        return False

    def text(self):
        return "".join(getattr(self, "_parts", []))


class _Timeout(BaseException):
    """Raised in the main thread when a call runs past its time limit."""


class _time_limit:  # noqa: N801 - used as a context manager
    """Stop the code inside after ``seconds`` where signals allow it (the main thread on Unix); else no limit.

    Limits nest (a statement importing another module of yours, whose statements have their
    own limit): the inner one gets at most what is left of the outer one, and gives the rest back.
    """

    def __init__(self, seconds):
        self.seconds = float(seconds)
        self.armed = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread())

    @staticmethod
    def _fire(signum, frame):
        raise _Timeout()

    def __enter__(self):
        if self.armed:
            self.outer = signal.getitimer(signal.ITIMER_REAL)[0]
            self.started = time.monotonic()
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, min(self.seconds, self.outer) if self.outer else self.seconds)
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
            if self.outer:
                signal.setitimer(signal.ITIMER_REAL, max(0.001, self.outer - (time.monotonic() - self.started)))
        return False


def _as_globals(fn, args, spec, patches, notes):
    """Leave out of the call the arguments the function reads as globals of its module (as the grader does).

    ``spec["globals"]`` names params a year's signature may lack (CS224d 2015's notebook: negative
    sampling reads ``dataset``, forward_backward_prop ``dimensions``).  Such an argument is passed
    as usual when the function can take every argument or has a parameter of that name; otherwise
    it is added to `patches`, set as that global of the function's module for this call only.
    Returns the arguments to pass and the spec with those params left out (arities counted without them).
    """
    names = spec.get("globals") or []
    params = list(spec.get("params") or [])
    if not names or not params:
        return args, spec
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return args, spec
    try:
        sig.bind(*range(len(args)))
        return args, spec  # it takes every argument: all are passed
    except TypeError:
        pass
    moved = [i for i, p in enumerate(params[:len(args)]) if p in names and p not in sig.parameters]
    if not moved:
        return args, spec
    for i in moved:
        patches.append((params[i], args[i]))

    def shift(k):
        return k - sum(1 for i in moved if i < k)

    spec = dict(spec, params=[p for i, p in enumerate(params) if i not in moved],
                arities=[shift(k) for k in (spec.get("arities") or [len(args)])])
    gone = ", ".join(repr(params[i]) for i in moved)
    notes.append("your function takes no %s parameter: %s was set as a global of your module while it ran"
                 % (gone, gone))
    return [a for i, a in enumerate(args) if i not in moved], spec


def _choose_arity(fn, n, arities, params, notes):
    """Pick the largest accepted argument count the function's signature can take (as the grader does)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return min(n, arities[0])
    for k in arities:
        if k > n:
            continue
        try:
            sig.bind(*range(k))
        except TypeError:
            continue
        if k != arities[0]:
            dropped = ", ".join(repr(p) for p in params[k:arities[0]]) or "%d argument(s)" % (arities[0] - k)
            notes.append("called with %d arguments: your function takes no %s parameter" % (k, dropped))
        return k
    return min(n, arities[0])


# --------------------------------------------------------------------------- comparing


def _fmt(x):
    """Return a number the way the grader's reports show it."""
    if x is None:
        return "-"
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return "%.6g" % x


def _shape_ok(got, expected, mode):
    """Return True when shape ``got`` is accepted for ``expected`` in the rubric's shape mode.

    "strict": equal; "squeeze": equal once singleton dimensions are removed; "leading":
    ``expected`` with leading 1s added; "leading-ones": leading 1s added or dropped.
    """
    got, expected = tuple(got), tuple(expected)
    if got == expected:
        return True
    if mode == "squeeze":
        return tuple(d for d in got if d != 1) == tuple(d for d in expected if d != 1)
    if mode == "leading":
        k = len(got) - len(expected)
        return k > 0 and got[:k] == (1,) * k and got[k:] == expected
    if mode == "leading-ones":  # leading 1s added or dropped: (n,) and (1, n) are one shape
        return _no_leading_ones(got) == _no_leading_ones(expected)
    return False


def _no_leading_ones(shape):
    k = 0
    while k < len(shape) - 1 and shape[k] == 1:
        k += 1
    return shape[k:]


def _what(expected):
    """Return what was expected, in words: "a number" or "an array of shape (3,)"."""
    return "a number" if expected.ndim == 0 else "an array of shape %s" % (tuple(expected.shape),)


def _article(name):
    """Return "a list", "an int"."""
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _table(flat, g, e, allowed):
    """Return the lines of the worst elements' table (index, got, expected, allowed ±)."""
    rows = [("index", "got", "expected", "allowed ±")]
    for i in flat[:5]:
        idx = tuple(int(k) for k in np.unravel_index(int(i), e.shape))
        rows.append((str(idx), _fmt(g.flat[i]), _fmt(e.flat[i]), "%.1e" % allowed.flat[i]))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def compare_close(value, expected, rtol, atol, shape_mode, subject="Your function", returned=True):
    """Return None when ``value`` is within tolerance of ``expected``, else the lines explaining why not.

    Tried in order, as the grader does, the first failure winning: the type (a number or an
    array of numbers), the shape (in the check's shape mode), finiteness (nan or inf where
    the expected value is finite never passes), then the values, by numpy.isclose's rule
    with the expected value as the reference: ``|got - expected| <= atol + rtol * |expected|``.
    """
    e = np.asarray(expected, dtype=np.float64)
    verb = "returned" if returned else "is"
    if value is None:
        return ["%s %s None, expected %s." % (subject, verb, _what(e))]
    try:
        a = np.asarray(value)
    except Exception:  # noqa: BLE001 - a value numpy cannot take
        a = None
    if a is None or a.dtype.kind not in "biuf":
        return ["%s %s %s, expected %s." % (subject, verb, _article(type(value).__name__), _what(e))]
    if not _shape_ok(a.shape, e.shape, shape_mode):
        return ["%s %s shape %s, expected %s." % (subject, "returned" if returned else "has", tuple(a.shape),
                                                 tuple(e.shape))]
    g = a.astype(np.float64).reshape(e.shape)
    allowed = atol + rtol * np.abs(e)
    n_total = int(e.size)
    fin_g, fin_e = np.isfinite(g), np.isfinite(e)
    same = (g == e) | (np.isnan(g) & np.isnan(e))
    nonfinite = (~fin_g & fin_e) | (~fin_e & ~same)
    if nonfinite.any():
        flat = np.flatnonzero(nonfinite)
        return (["%s %s nan or inf in %d of %d values; expected finite values." % (
            subject, "returned" if returned else "has", flat.size, n_total)] + _table(flat, g, e, allowed))
    with np.errstate(all="ignore"):
        diff = np.where(fin_e, np.abs(g - e), 0.0)
    bad = diff > allowed
    if not bad.any():
        return None
    flat = np.flatnonzero(bad)
    order = flat[np.argsort(-diff.flat[flat], kind="stable")]
    lines = ["Not within tolerance (rtol=%g, atol=%g) of the expected values." % (rtol, atol),
             "Mismatched elements: %d / %d (%.1f%%)" % (flat.size, n_total, 100.0 * flat.size / n_total)]
    lines += _table(order, g, e, allowed)
    lines.append("Max absolute difference among mismatches: %s" % _fmt(diff.flat[order[0]]))
    nonzero = flat[e.flat[flat] != 0]
    if nonzero.size:
        rel = float(np.max(diff.flat[nonzero] / np.abs(e.flat[nonzero])))
        lines.append("Max relative difference among mismatches: %s (relative to expected)" % _fmt(rel))
    return lines


def compare_unmodified(before, after, params, subject):
    """Return None when every array argument is unchanged after the call, else the line saying which changed."""
    changed = []
    for i, (b, a) in enumerate(zip(before, after)):
        if not isinstance(b, np.ndarray):
            continue
        if not (isinstance(a, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)):
            changed.append(repr(params[i]) if i < len(params) else "argument %d" % (i + 1))
    if not changed:
        return None
    return ["%s modified its argument%s %s in place; the caller's arrays must stay unchanged." % (
        subject, "" if len(changed) == 1 else "s", " and ".join(changed))]


# --------------------------------------------------------------------------- named mistakes


def _matches(got, candidate, rtol, atol):
    """Return True when ``got`` is ``candidate`` within tolerance, nan/inf at the same places."""
    c, g = np.asarray(candidate), np.asarray(got)
    if c.dtype.kind not in "biuf" or g.dtype.kind not in "biuf":
        return False
    if tuple(d for d in g.shape if d != 1) != tuple(d for d in c.shape if d != 1):
        return False
    g = g.astype(np.float64).reshape(c.shape)
    c = c.astype(np.float64)
    fg, fc = np.isfinite(g), np.isfinite(c)
    if not np.array_equal(fg, fc):
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(g[fg] - c[fc]) <= atol + rtol * np.abs(c[fc])))


def _detect(detector, arr, expected, check, case):
    """Return True when the generic mistake ``detector`` explains ``arr`` (as the grader's detectors do)."""
    rtol, atol = float(check["rtol"]), float(check["atol"])
    if detector == "transposed":
        if expected.ndim != 2 or min(expected.shape) < 2 or arr.shape != expected.shape[::-1]:
            return False
        if expected.shape[0] == expected.shape[1] and _matches(expected.T, expected, rtol, atol):
            return False
        return _matches(arr.T, expected, rtol, atol)
    if detector == "sign-flipped":
        return not _matches(-expected, expected, rtol, atol) and _matches(-arr.astype(np.float64), expected, rtol, atol)
    if detector == "column-vector":
        n = expected.size
        return expected.ndim == 1 and n > 1 and arr.shape == (n, 1) and _matches(arr[:, 0], expected, rtol, atol)
    if detector == "returned-order":
        for other in SPEC["checks"]:
            if (other["function"] == check["function"] and other["compare"] == "close"
                    and other["output"] != check["output"] and other["expected"] in case["expected"]):
                value = ARRAYS[case["expected"][other["expected"]]]
                if not _matches(value, expected, rtol, atol) and _matches(arr, value, rtol, atol):
                    return True
    return False


def diagnose(check, case, value, expected):
    """Return the message of the first of the check's named mistakes that explains ``value``, or None."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001
        return None
    if arr.dtype.kind not in "biuf":
        return None
    for mid in check.get("mistakes", []):
        entry = SPEC["mistakes"].get(mid, {})
        if entry.get("detector") and _detect(entry["detector"], arr, np.asarray(expected), check, case):
            return entry["message"]
    return None


def _placeholder_used(e, names):
    """The name of `names` (the rubric's ``stub_names``) a NameError is about, never set in its function; or ""."""
    name = getattr(e, "name", None)
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if type(e) is not NameError or name not in names or tb is None:
        return ""
    code = tb.tb_frame.f_code
    return "" if name in code.co_varnames or code.co_name.startswith("<") else name


def _returns_its_input(check, case, out):
    """Whether the call returned its first argument unchanged where the year's starter stub did
    (``stub = "returns-input"``: 2015's ``return x``), and that argument is not the right answer."""
    fn = SPEC.get("functions", {}).get(check["function"], {})
    if fn.get("stub") != "returns-input" or out.get("status") != "ok" or not case["args"] \
            or "array" not in case["args"][0]:
        return False
    first = np.asarray(ARRAYS[case["args"][0]["array"]])
    try:
        got = np.asarray(out["value"])
        same = got.shape == first.shape and got.dtype.kind in "biuf" and np.array_equal(got, first)
    except (TypeError, ValueError):
        return False
    name = case.get("expected", {}).get(check.get("expected") or "")
    right = ARRAYS[name] if name is not None else None
    return same and not (right is not None and np.shape(right) == first.shape and np.allclose(right, first))


def _placeholder_return(e):
    """(the name a starter's stub returns without setting it, that function's name), or ("", "").

    As the grader reads it: a NameError on a ``return`` line none of whose names the function
    sets (a2's empty ``### YOUR CODE HERE`` before ``return loss, ...``), not a typo of a name it sets.
    """
    import ast
    import difflib
    import linecache

    name = getattr(e, "name", None)
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if type(e) is not NameError or not isinstance(name, str) or tb is None:
        return "", ""
    code = tb.tb_frame.f_code
    if name in code.co_varnames or code.co_name.startswith("<"):
        return "", ""
    line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
    if not re.match(r"return\b", line):
        return "", ""
    try:
        returned = {n.id for n in ast.walk(ast.parse(line.rstrip(";"))) if isinstance(n, ast.Name)}
    except SyntaxError:
        return "", ""
    if name not in returned or returned & set(code.co_varnames):
        return "", ""
    if difflib.get_close_matches(name.lower(), [v.lower() for v in code.co_varnames], n=1, cutoff=0.75):
        return "", ""
    return name, code.co_name


def _zeros(value):
    """Whether a returned value (or each of a returned tuple) is numbers, every one 0."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    try:
        arrays = [np.asarray(v, dtype=np.float64) for v in items]
    except (TypeError, ValueError):
        return False
    return bool(arrays) and all(not np.any(a) for a in arrays)


def run_check(harness, check):
    """Judge one check; return None when it passes, else the text explaining the failure."""
    case = SPEC["cases"][check["case"]]
    points = _fmt(check["points"])
    head = "%s: %%s (0 / %s), on %s" % (check["id"], points, case.get("description") or check["case"])
    if check.get("description"):
        head += "\n(%s)" % check["description"]
    out = harness.call(check["function"], check["case"], float(check["timeout"]))
    fn_spec = SPEC.get("functions", {}).get(check["function"], {})
    stub = out.get("status") == "raised" and "(the starter's placeholder is still there?)" in out.get("message", "")
    # zeros, never calling the function it was given: the starter's placeholder where the year's returned
    # that (a2's skipgram, CBOW's extra credit); elsewhere a wrong answer
    zeros = (SPEC.get("functions", {}).get(check["function"], {}).get("stub") == "returns-zeros"
             and out.get("status") == "ok" and _zeros(out.get("value")) and any(
                 isinstance(a, TableCost) and a.calls == 0 for a in out.get("args", ())))
    if zeros:  # the starter's skipgram: its zeros, never calling the cost function it was given
        word = next(a.word for a in out.get("args", ()) if isinstance(a, TableCost))
        out = dict(out, message="%s returned zeros without calling the %s it was given (the starter's "
                                "placeholder is still there?)." % (out["where"].rsplit(".", 1)[-1], word))
    if _returns_its_input(check, case, out):
        param = (fn_spec.get("shown") or {}).get(fn_spec["params"][0], fn_spec["params"][0]) if fn_spec.get(
            "params") else "its argument"
        out = dict(out, message="%s returns its argument %s unchanged (the starter's `return %s` after an empty "
                                "### YOUR CODE HERE is still there?)." % (out["where"].rsplit(".", 1)[-1], param, param))
        stub = True
    if SPEC.get("settings", {}).get("not_implemented") == "fail" and (
            out.get("exception") == "NotImplementedError" or stub or zeros
            or any(p.get("kind") == "function" and p.get("calls") == 0 for p in out.get("probes", []))):
        return "\n".join([head % "fail", "Not implemented: " + out.get("message", "%s never called the function it "
                                                                   "was given." % out["where"].rsplit(".", 1)[-1])])
    if check["compare"] == "behaviour" and out["status"] in ("ok", "raised"):
        return _judge_gradcheck(check, out, head)
    if out["status"] != "ok":
        lines = [head % "error", out["message"]]
        if out.get("traceback"):
            lines.append(out["traceback"].rstrip())
        if harness.load_errors:
            lines.append("While loading your code: " + "; ".join(harness.load_errors))
        return "\n".join(lines)
    fname = out["where"].rsplit(".", 1)[-1]
    fn = SPEC["functions"][check["function"]]
    hint = None
    if check["compare"] == "unmodified":
        before = [_arg(a) for a in case["args"]]
        problems = compare_unmodified(before, out["args"], fn.get("params", []), fname)
        if problems and any(SPEC["mistakes"].get(m, {}).get("detector") == "modified" for m in check["mistakes"]):
            hint = next(SPEC["mistakes"][m]["message"] for m in check["mistakes"]
                        if SPEC["mistakes"].get(m, {}).get("detector") == "modified")
    else:
        value = out["value"]
        returns = fn.get("returns") or []
        subject, returned = fname, True
        if check.get("output") and len(returns) > 1:
            if not isinstance(value, (tuple, list)) or len(value) != len(returns):
                got = ("%d values" % len(value)) if isinstance(value, (tuple, list)) else _article(type(value).__name__)
                return "\n".join([head % "fail", "%s returned %s; expected %d: (%s)." % (
                    fname, got, len(returns), ", ".join(returns))])
            value = value[returns.index(check["output"])]
            subject, returned = "The returned %r" % check["output"], False
        names = [check["expected"]]
        if check.get("conventions"):
            names = _conventions(check, case, out["value"], returns)
        if "draws" in out:  # negative sampling: the expected values of what was drawn, if the kit has them
            ahead = case["expected"].get("%s@%s" % (check["expected"], out["draws"]))
            if ahead is None:
                return "\n".join([head % "fail", "This check can't be made offline on your draws: the kit has the "
                                  "expected values only for an implementation that draws its K samples once "
                                  "(rejecting the target, or using it)."] + ["Note: %s" % n for n in out["notes"]])
            names = ["%s@%s" % (check["expected"], out["draws"])]
        for name in names:
            expected = ARRAYS[case["expected"][name]]
            problems = compare_close(value, expected, float(check["rtol"]), float(check["atol"]), check["shape"],
                                     subject, returned)
            if problems is None:
                break
        if problems:
            hint = diagnose(check, case, value, expected)
    if problems is None and check["compare"] == "unmodified" and not _answered(harness, check["function"]):
        # as the grader credits it: leaving the arguments alone earns these points beside a right answer only
        return "\n".join([head % "fail", "Not credited: %s left its arguments unchanged, but none of its answers was "
                           "right; leaving them alone earns these points beside a working function only." % fname])
    if problems is None:
        return None
    unused = next((a for a in out.get("args", ()) if isinstance(a, TableCost) and a.calls == 0), None)
    if unused is not None and out.get("value") is not None and check["compare"] != "unmodified":
        # (where zeros are no starter's placeholder, said as the grader says it: a wrong answer, and why)
        problems = ["%s %s never called the %s it was given as an argument: its %s and gradients must come from "
                    "that function." % (problems[0], fname, unused.word, unused.word[: -len(" function")])] + problems[1:]
    lines = [head % "fail"] + problems
    if hint:
        lines.append("Likely mistake: " + hint)
    lines += ["Note: %s" % n for n in out.get("notes", [])]
    lines.append("(your %s, in %s)" % (fname, harness.shown(out["where"])))
    return "\n".join(lines)


def _answered(harness, function):
    """Whether one of the public "close" checks of `function` passes (True where it has none)."""
    closes = [c for c in SPEC["checks"] if c["function"] == function and c["compare"] == "close"]
    if not closes:
        return True
    for c in closes:
        if c["id"] not in harness.results:
            harness.results[c["id"]] = run_check(harness, c) is None
        if harness.results[c["id"]]:
            return True
    return False


def _conventions(check, case, whole, returns):
    """The expected values this check's output may match: the convention its ``convention_by`` output follows, or any."""
    key = check.get("output") or ""
    by = check.get("convention_by")
    names = [conv[key] for conv in check["conventions"].values() if key in conv]
    if by and isinstance(whole, (tuple, list)) and by in returns and len(whole) == len(returns):
        got = whole[returns.index(by)]
        for conv in check["conventions"].values():
            if compare_close(got, ARRAYS[case["expected"][conv[by]]], float(check["rtol"]), float(check["atol"]),
                             check["shape"]) is None:
                return [conv[key]]
    return names


def _judge_gradcheck(check, out, head):
    """A gradient check's verdict, read from what it printed, returned or raised (as the grader reads it)."""
    signals = check.get("signals") or ["text", "return", "assert", "raise"]
    said = None
    if out["status"] == "raised":
        kind = "assert" if out.get("exception") == "AssertionError" else "raise"
        said = "fail" if kind in signals else None
    if said is None and "text" in signals:
        text = out.get("printed", "").lower()
        if "fail" in text or "error found" in text:
            said = "fail"
        elif "pass" in text:
            said = "pass"
    if said is None and "return" in signals and out["status"] == "ok" and isinstance(out.get("value"), bool):
        said = "pass" if out["value"] else "fail"
    if said == check["expect"]:
        return None
    lines = [head % "fail", "%s said %s, but the gradient handed to it is %s." % (
        out["where"].rsplit(".", 1)[-1], said or "nothing that tells pass from fail",
        "right" if check["expect"] == "pass" else "wrong")]
    states = [p.get("states", 0) for p in out.get("probes", []) if p.get("kind") == "function"]
    for mid in check.get("mistakes", []):
        entry = SPEC["mistakes"].get(mid, {})
        if entry.get("detector") == "random-state-not-restored" and states and states[0] > 1:
            lines.append("Likely mistake: " + entry["message"])
        if entry.get("detector") == "zero-gradient-accepted" and said == "pass" and check["expect"] == "fail":
            lines.append("Likely mistake: " + entry["message"])
    return "\n".join(lines)


# --------------------------------------------------------------------------- pytest hooks


def pytest_addoption(parser):
    """Add ``--submission=PATH``."""
    parser.addoption("--submission", default=None, metavar="PATH",
                     help="your code: a .py file, a notebook or a folder (default: $%s, else this kit's folder)" % ENV)


def pytest_configure(config):
    """Start without a harness: the student's code is loaded by the first check."""
    config._w2v_harness = None


def _harness(config):
    """Return the session's Harness, creating it on first use."""
    if config._w2v_harness is None:
        config._w2v_harness = Harness(config)
    return config._w2v_harness


def pytest_report_header(config):
    """Say which rubric and which code (that these checks are not the final grade is said once, at the end)."""
    r = SPEC["rubric"]
    lines = ["%s (rubric %s, version %s): %d public checks" % (r["title"], r["name"], r["version"],
                                                               len(SPEC["checks"]))]
    try:
        root, modules = _submission_root(config)
        lines.append("your code: %s (%s)" % (root, ", ".join(os.path.relpath(f, root) for _, f in modules) or
                                             "no .py or .ipynb file found"))
    except pytest.UsageError as e:
        lines.append(str(e))
    return lines


def pytest_generate_tests(metafunc):
    """Make one test per public check, named by the check's id."""
    if "check" in metafunc.fixturenames:
        metafunc.parametrize("check", SPEC["checks"], ids=[c["id"] for c in SPEC["checks"]])


@pytest.fixture(scope="session")
def harness(request):
    """The student's code, loaded once."""
    return _harness(request.config)


@pytest.fixture
def judge(harness):
    """Return a function that judges one check: it fails the test with the explanation, or passes."""

    def run(check):
        problem = run_check(harness, check)
        harness.results[check["id"]] = problem is None
        if problem is not None:
            pytest.fail(problem, pytrace=False)  # (NOT_FINAL: once, in the summary)

    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Sum up the public checks passed and their points; say again that this is not the final grade."""
    h = config._w2v_harness
    tr = terminalreporter
    tr.section("public checks of the %s kit" % SPEC.get("rubric", {}).get("name", "grader"))
    if h is not None and h.results:
        points = {c["id"]: float(c["points"]) for c in SPEC["checks"]}
        extra = {q["id"] for q in SPEC.get("questions", []) if q.get("extra")}
        question = {c["id"]: c["question"] for c in SPEC["checks"]}
        got = sum(points[i] for i, ok in h.results.items() if ok)
        # Extra credit counts in the score, never in the maximum (as the grader counts it).
        bonus = sum(points[i] for i in h.results if question[i] in extra)
        tr.write_line("%d of %d public checks passed: %s / %s points of the public checks%s." % (
            sum(1 for ok in h.results.values() if ok), len(h.results), _fmt(got),
            _fmt(sum(points[i] for i in h.results) - bonus),
            " (extra credit, beyond the maximum: up to %s)" % _fmt(bonus) if bonus else ""))
        if h.load_errors:
            tr.write_line("While loading your code: " + "; ".join(h.load_errors))
    versions = SPEC.get("course_values_versions") or []
    if h is not None and h.version and versions and h.version not in versions:
        pass  # another year's code (recognised as grader check recognises it): its starter printed other values
    elif SPEC.get("course_values"):
        # the course's title, as grader check prints it ("CS224n assignment 2's own sanity values (2019-2023; ...)")
        tr.write_line("%s, beside the kit's verdicts:" % (SPEC.get("course_values_title") or "The course's own sanity values"))
        for v in SPEC["course_values"]:
            ok = h.results.get(v["check"]) if h is not None and v["check"] else None
            verdict = ("not reproducible here (it depends on the starter's whole sequence of random calls)"
                       if not v["check"] else "not run" if ok is None else
                       "reproduced by your code (%s passed)" % v["check"] if ok else "%s failed" % v["check"])
            tr.write_line("  %s: %s" % (v["text"], verdict))
    tr.write_line(NOT_FINAL)
