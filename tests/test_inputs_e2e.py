"""Real inputs through the CLI and the real sandbox: notebooks, folders, zips, Canvas, Python 2, shapes, imports.

Every submission is built here in tmp_path (notebooks with nbformat, archives with zipfile)
and graded with ``grader.cli.main(["grade", ...])``; the tests read what a TA and a student
read: ``result.json``, ``report.html``, ``grades.csv``.  Most submissions share one batch
(one ``grade`` call), so the sandboxes start once.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import stat
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
Q1 = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text()
Q3 = (EXAMPLES / "cs224d_correct" / "q3_word2vec.py").read_text()
CS224N = EXAMPLES / "cs224n_correct"

SOFTMAX = textwrap.dedent("""
    def softmax(x):
        x = x - np.max(x, axis=-1, keepdims=True)
        e = np.exp(x)
        return e / np.sum(e, axis=-1, keepdims=True)
""")
COST = textwrap.dedent("""
    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        cost = -np.log(y_hat[target])
        delta = y_hat.copy()
        delta[target] -= 1.0
        return cost, outputVectors.T.dot(delta), np.outer(delta, predicted)
""")
MODULE = "import numpy as np\n" + SOFTMAX + COST


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


TRANSPOSED_COST = _replace(COST, "np.outer(delta, predicted)", "np.outer(predicted, delta)")

#: Python 2: print statements in the graded functions and the test code, xrange, iteritems, and
#: an integer division used as an index (line 16).
PY2 = '''import numpy as np

def softmax(x):
    print "softmax of shape", x.shape
    if len(x.shape) > 1:
        out = np.zeros(x.shape)
        for i in xrange(x.shape[0]):
            e = np.exp(x[i] - np.max(x[i]))
            out[i] = e / np.sum(e)
        return out
    e = np.exp(x - np.max(x))
    return e / np.sum(e)

def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(outputVectors.dot(predicted))
    middle = y_hat[outputVectors.shape[0] / 2]
    seen = {}
    for k, v in {"target": target}.iteritems():
        seen[k] = v
    cost = -np.log(y_hat[seen["target"]])
    delta = y_hat.copy()
    delta[target] -= 1.0
    print "cost", cost
    return cost, outputVectors.T.dot(delta), np.outer(delta, predicted)

if __name__ == "__main__":
    print "testing softmax"
    print softmax(np.array([1.0, 2.0]))
'''

#: Singleton dimensions: softmax of a vector as a (1, n) row, the cost as (1,), gradPred as (1, d).
SHAPES_ROW = "import numpy as np\n" + textwrap.dedent("""
    def softmax(x):
        if x.ndim == 1:
            x = x.reshape(1, -1)
        x = x - np.max(x, axis=1, keepdims=True)
        e = np.exp(x)
        return e / np.sum(e, axis=1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted)).ravel()
        cost = -np.log(y_hat[[target]])
        delta = y_hat.copy()
        delta[target] -= 1.0
        return cost, outputVectors.T.dot(delta).reshape(1, -1), np.outer(delta, predicted)
""")
#: The cost as (1, 1), gradPred as a (d, 1) column.
SHAPES_COLUMN = _replace(MODULE, "return cost, outputVectors.T.dot(delta), np.outer(delta, predicted)",
                         "return np.array([[cost]]), outputVectors.T.dot(delta).reshape(-1, 1), "
                         "np.outer(delta, predicted)")
#: softmax of a vector as an (n, 1) column, and the gradient for the output vectors transposed.
COLUMN_TRANSPOSED = _replace(_replace(_replace(
    MODULE, "    return e / np.sum(e, axis=-1, keepdims=True)",
    "    out = e / np.sum(e, axis=-1, keepdims=True)\n    return out.reshape(-1, 1) if x.ndim == 1 else out"),
    "y_hat = softmax(outputVectors.dot(predicted))", "y_hat = softmax(outputVectors.dot(predicted)).ravel()"),
    "np.outer(delta, predicted)", "np.outer(predicted, delta)")
IMPORTS = "import sklearn\nimport torch\nfrom sklearn.linear_model import LogisticRegression\n" + MODULE


# --------------------------------------------------------------------------- building inputs


def notebook(cells: list, metadata: dict | None = None) -> str:
    nb = new_notebook(metadata=metadata or {})
    nb.cells = cells
    return nbformat.writes(nb)


def code(source: str, count: int | None, outputs: tuple = ()) -> nbformat.NotebookNode:
    return new_code_cell(source, execution_count=count, outputs=list(outputs))


def zip_bytes(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def magics_notebook() -> str:
    """Magics, a function redefined in a later cell, a failing cell [7] (line 3) and a syntax error in [4]."""
    return notebook([
        new_markdown_cell("# Assignment 1, question 3"),
        code("%matplotlib inline\n!pip install numpy\nimport numpy as np", 1),
        code("def softmax(x):\n    return np.exp(x) / np.sum(np.exp(x))  # first try, redefined below", 2),
        code("x = np.array([1.0, 2.0])\nprint(softmax(x))\nprint(undefined_name)", 7),
        code("def broken(:\n    pass", 4),
        code("%%time\n" + SOFTMAX, 5),
        code(COST, 6),
        code("%timeit softmax(np.zeros(3))", 8),
    ])


def forever_notebook() -> str:
    """Correct definitions, then a training loop that never ends."""
    return notebook([code("import numpy as np\n" + SOFTMAX, 1), code(COST, 2),
                     code("for epoch in range(10 ** 12):\n    W = np.zeros(3)\n", 3)])


def hostile_notebook() -> str:
    """Metadata that claims full points, stored outputs with <script>, and a transposed gradient."""
    html = new_output("display_data", data={"text/html": "<script>alert('output')</script><b>Score: 20/20</b>"})
    stream = new_output("stream", name="stdout", text="<script>alert('stream')</script>\n")
    meta = {"grader": {"points": 20, "score": 20}, "nbgrader": {"grade": True, "points": 20, "score": 20}}
    return notebook([code("import numpy as np\n" + SOFTMAX, 1, (html,)),
                     code("# <script>alert('source')</script>\n" + TRANSPOSED_COST, 2, (stream,))], meta)


#: Submission id of each hostile archive -> how its refusal begins.
REFUSALS = {
    "traversal": "traversal.zip was refused: the member '../q3_word2vec.py' points outside the archive",
    "absolute": "absolute.zip was refused: the member '/tmp/q3_word2vec.py' points outside the archive",
    "symlink": "symlink.zip was refused: the member 'q3_word2vec.py' is a symbolic link",
    "bomb": "bomb.zip was refused: its code files hold more than 64 MiB (counted as read, after decompression)",
    "badname": "badname.zip could not be read as a zip archive ('utf-8' codec can't decode byte 0xff",
}


def hostile_archives(subs: Path) -> None:
    """Write one archive per attack of REFUSALS."""
    symlink = zipfile.ZipInfo("q3_word2vec.py")
    symlink.external_attr = (stat.S_IFLNK | 0o777) << 16
    (subs / "traversal.zip").write_bytes(zip_bytes({"q1_softmax.py": Q1, "../q3_word2vec.py": Q3}))
    (subs / "absolute.zip").write_bytes(zip_bytes({"q1_softmax.py": Q1, "/tmp/q3_word2vec.py": Q3}))
    (subs / "symlink.zip").write_bytes(zip_bytes({"q1_softmax.py": Q1, symlink: "/etc/passwd"}))
    # 100 MiB of spaces compress to ~100 KiB; the limit is 64 MiB, counted as decompressed
    (subs / "bomb.zip").write_bytes(zip_bytes({"q1_softmax.py": Q1, "q3_word2vec.py": Q3 + "#" + " " * (100 << 20)}))
    # a name flagged as UTF-8 whose bytes are not UTF-8
    data = zip_bytes({"q1_softmax.py": Q1, "\u00e9\u00e9.py": Q3})
    assert data.count("\u00e9\u00e9".encode()) == 2
    (subs / "badname.zip").write_bytes(data.replace("\u00e9\u00e9".encode(), b"\xff\xfe\xff\xfe"))


@dataclass
class Graded:
    out: Path
    results: dict[str, dict]
    stderr: str

    def report(self, sid: str) -> str:
        return (self.out / sid / "report.html").read_text()

    def checks(self, sid: str) -> dict[str, dict]:
        return {c["id"]: c for q in self.results[sid]["questions"] for c in q["checks"]}

    def questions(self, sid: str) -> dict[str, tuple[float, float]]:
        return {q["id"]: (q["score"], q["max_score"]) for q in self.results[sid]["questions"]}

    def full(self, sid: str) -> bool:
        r = self.results[sid]
        return r["status"] == "graded" and r["score"] == r["max_score"] > 0


def grade(subs: Path, out: Path, *extra: str) -> Graded:
    err = io.StringIO()
    code_ = main(["grade", str(subs), "--out", str(out), "--jobs", "4", *extra], out=io.StringIO(), err=err)
    assert code_ == 0, err.getvalue()
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    return Graded(out=out, results=results, stderr=err.getvalue())


def body(html: str) -> str:
    """The report after its <head> (where the report's own style lives)."""
    return html.split("</head>", 1)[1]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Graded:
    """One batch holding every submission graded with the built-in rubric."""
    root = tmp_path_factory.mktemp("inputs")
    subs = root / "subs"
    subs.mkdir()
    # issue 3: notebooks
    (subs / "nb_magics.ipynb").write_text(magics_notebook())
    (subs / "as_module.py").write_text(MODULE)
    (subs / "nb_forever.ipynb").write_text(forever_notebook())
    (subs / "nb_hostile.ipynb").write_text(hostile_notebook())
    # issue 3: a folder and a zip of the CS224d layout, and hostile archives
    (subs / "folder").mkdir()
    (subs / "folder" / "q1_softmax.py").write_text(Q1)
    (subs / "folder" / "q3_word2vec.py").write_text(Q3)
    (subs / "nested.zip").write_bytes(zip_bytes({"assignment1/q1_softmax.py": Q1, "assignment1/q3_word2vec.py": Q3,
                                                 "assignment1/notes.txt": "my notes"}))
    hostile_archives(subs)
    # issue 8
    (subs / "py2.py").write_text(PY2)
    (subs / "nb2015.ipynb").write_text(notebook([
        code("import numpy as np", 1), code(SOFTMAX, 2),
        code(_replace(COST, "outputVectors, dataset)", "outputVectors)"), 3)]))
    (subs / "shapes_row.py").write_text(SHAPES_ROW)
    (subs / "shapes_column.py").write_text(SHAPES_COLUMN)
    (subs / "column_transposed.py").write_text(COLUMN_TRANSPOSED)
    (subs / "imports.py").write_text(IMPORTS)
    (subs / "helper").mkdir()
    (subs / "helper" / "q1_softmax.py").write_text(Q1)
    (subs / "helper" / "q3_word2vec.py").write_text(Q3)
    (subs / "helper" / "q2_gradcheck.py").write_text("def gradcheck_naive(f, x)\n    pass\n")
    # CS224n: a lone word2vec.py, and the folder a student works in (word2vec.py + utils/)
    (subs / "cs224n_lone").mkdir()
    shutil.copy(CS224N / "word2vec.py", subs / "cs224n_lone" / "word2vec.py")
    shutil.copytree(CS224N, subs / "cs224n_folder", ignore=shutil.ignore_patterns("__pycache__"))
    graded = grade(subs, root / "results")
    # nothing of any archive was written next to the submissions
    assert sorted(p.name for p in root.iterdir()) == ["results", "subs"]
    return graded


# --------------------------------------------------------------------------- issue 3: notebooks


def test_a_notebook_with_magics_and_broken_cells_scores_like_the_same_code_as_a_module(batch):
    assert batch.full("as_module") and batch.full("nb_magics")
    same = {cid: (c["status"], c["score"]) for cid, c in batch.checks("as_module").items()}
    assert {cid: (c["status"], c["score"]) for cid, c in batch.checks("nb_magics").items()} == same
    # the later definition of softmax is the one graded, not the first try
    assert batch.results["nb_magics"]["load"]["functions"]["softmax"] == "nb_magics.softmax"


def test_the_report_names_a_failing_cell_as_jupyter_shows_it_and_its_line(batch):
    units = {u["where"]: u["error"] for u in batch.results["nb_magics"]["load"]["unit_errors"]}
    assert set(units) == {"nb_magics.ipynb, cell [7]", "nb_magics.ipynb, cell [4]"}
    assert units["nb_magics.ipynb, cell [7]"]["type"] == "NameError"
    assert [(f["where"], f["line"], f["code"]) for f in units["nb_magics.ipynb, cell [7]"]["frames"]] == [
        ("nb_magics.ipynb, cell [7]", 3, "print(undefined_name)")]
    assert units["nb_magics.ipynb, cell [4]"]["type"] == "SyntaxError"
    html = batch.report("nb_magics")
    assert "<strong>nb_magics.ipynb, cell [7]</strong>: NameError: name &#39;undefined_name&#39; is not defined" in html
    assert "nb_magics.ipynb, cell [7], line 3\n    print(undefined_name)" in html
    assert "<strong>nb_magics.ipynb, cell [4]</strong>: SyntaxError" in html


def test_a_cell_that_runs_forever_does_not_cost_the_definitions(batch):
    assert batch.full("nb_forever")
    (unit,) = batch.results["nb_forever"]["load"]["unit_errors"]
    assert unit["where"] == "nb_forever.ipynb, cell [3]" and unit["error"]["type"] == "Timeout"
    assert "ran longer than 5 s and was stopped" in unit["error"]["message"]
    assert "nb_forever.ipynb, cell [3]" in batch.report("nb_forever")


def test_claimed_points_and_stored_markup_are_ignored_and_never_reach_the_report(batch):
    r = batch.results["nb_hostile"]
    assert r["status"] == "graded" and r["score"] == 15.0  # its own code: a transposed gradient
    q = batch.questions("nb_hostile")
    assert q["grad_output"] == (0.0, 5.0) and all(s == m for k, (s, m) in q.items() if k != "grad_output")
    assert "alert" not in json.dumps(r) and "20/20" not in json.dumps(r)
    html = batch.report("nb_hostile")
    assert "<script" not in body(html).lower()
    for html in (html, (batch.out / "summary.html").read_text()):  # the summary has a sorting script of its own
        assert "alert" not in html and "20/20" not in html


def test_a_folder_and_a_nested_zip_of_the_cs224d_layout_get_full_marks(batch):
    assert batch.full("folder") and batch.full("nested")
    assert batch.results["nested"]["load"]["functions"] == {
        "softmax": "q1_softmax.softmax", "cost_and_grad": "q3_word2vec.softmaxCostAndGradient"}


def test_each_hostile_archive_is_refused_with_a_clear_message_and_the_rest_is_graded(batch):
    for sid, message in REFUSALS.items():
        r = batch.results[sid]
        assert (r["status"], r["score"]) == ("error", 0.0), sid
        assert len(r["errors"]) == 1 and r["errors"][0].startswith(message), (sid, r["errors"])
        assert message.split(" was refused")[0].split(" could not")[0] in batch.report(sid)
    rows = {row["id"]: row for row in csv.DictReader((batch.out / "grades.csv").open())}
    assert {sid for sid, row in rows.items() if row["status"] == "error"} == set(REFUSALS)
    assert len(rows) == len(batch.results) == 20
    assert f"graded {len(rows) - 5}, errors 5" in batch.stderr


@pytest.fixture(scope="module")
def canvas(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("canvas")
    transposed = _replace(Q3, "grad = np.outer(delta, predicted)", "grad = np.outer(predicted, delta)")
    members = {
        "smithjohn_LATE_1234_5678_q1_softmax.py": Q1,
        "smithjohn_LATE_1234_5678_q3_word2vec.py": Q3,
        "doejane_2345_6789_q1_softmax.py": Q1,
        "doejane_2345_6789_q3_word2vec.py": transposed,  # the first try ...
        "doejane_2345_6790_q3_word2vec-1.py": Q3,  # ... handed in again: Canvas adds "-1"
        "leejun_3456_7891_assignment1.zip": zip_bytes({"assignment1/q1_softmax.py": Q1,
                                                       "assignment1/q3_word2vec.py": Q3}),
        "parkmin_4567_8912_hw1.zip": zip_bytes({"q1_softmax.py": Q1, "../q3_word2vec.py": Q3}),
    }
    (root / "submissions.zip").write_bytes(zip_bytes(members))
    return grade(root / "submissions.zip", root / "results")


def test_a_canvas_download_is_graded_per_user_with_late_and_the_latest_resubmission(canvas):
    assert set(canvas.results) == {"1234", "2345", "3456", "4567"}
    assert canvas.full("1234") and canvas.full("2345") and canvas.full("3456")
    assert canvas.results["1234"]["late"] is True and canvas.results["2345"]["late"] is False
    assert canvas.results["1234"]["canvas"] == {"name": "smithjohn", "user_id": "1234", "submission_id": "5678",
                                                "anonymous_id": "", "other_user_id": ""}
    assert canvas.results["2345"]["canvas"]["submission_id"] == "6790"
    assert ("q3_word2vec.py was handed in 2 times; graded the newest, doejane_2345_6790_q3_word2vec-1.py "
            "(Canvas file id 6790, the highest), not doejane_2345_6789_q3_word2vec.py."
            in canvas.results["2345"]["notes"])
    bad = canvas.results["4567"]
    assert bad["status"] == "error" and "the member '../q3_word2vec.py' points outside the archive" in bad["errors"][0]
    rows = {row["id"]: row for row in csv.DictReader((canvas.out / "grades.csv").open())}
    assert {k: (row["status"], row["late"]) for k, row in rows.items()} == {
        "1234": ("graded", "true"), "2345": ("graded", "false"), "3456": ("graded", "false"),
        "4567": ("error", "false")}


# --------------------------------------------------------------------------- issue 8: Python 2, signatures, shapes


def test_python2_code_is_translated_and_gets_full_marks_with_the_diff_in_the_report(batch):
    r = batch.results["py2"]
    assert batch.full("py2") and r["translated"] == ["py2.py"]
    assert any(n.startswith("py2.py was Python 2 code; it was translated to Python 3") for n in r["notes"])
    assert any("the `/` on line 16 is used as an index" in n for n in r["notes"])
    html = batch.report("py2")
    assert "<h2>Translated from Python 2</h2>" in html
    assert '<span class="del">-    print &#34;softmax of shape&#34;, x.shape</span>' in html
    assert '<span class="add">+    print(&#34;softmax of shape&#34;, x.shape)</span>' in html
    assert '<span class="add">+        for i in range(x.shape[0]):</span>' in html


@pytest.fixture(scope="module")
def py3_only(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("py3only")
    subs = root / "subs"
    subs.mkdir()
    (subs / "py2.py").write_text(PY2)
    (subs / "py2_notebook.ipynb").write_text(notebook([
        code("import numpy as np", 1), code(SOFTMAX, 2), code('print "hello"\n' + COST, 3)]))
    (root / "py3only.toml").write_text('extends = "word2vec"\nname = "word2vec-py3"\n\n'
                                       "[settings]\ntranslate_py2 = false\n")
    return grade(subs, root / "results", "--rubric", str(root / "py3only.toml"))


def test_without_translation_the_first_python2_construct_and_its_line_are_named(py3_only):
    r = py3_only.results["py2"]
    assert r["rubric"] == "word2vec-py3" and r["translated"] == [] and r["score"] == 0.0
    note = ("py2.py is Python 2 code (line 4: print statement); it was not translated because the rubric "
            "sets translate_py2 = false, so Python 3 cannot run it.")
    assert note in r["notes"]
    assert "py2.py is Python 2 code (line 4: print statement)" in py3_only.report("py2")
    nb = py3_only.results["py2_notebook"]
    assert any(n.startswith("py2_notebook.ipynb, cell [3] is Python 2 code (line 1: print statement)")
               for n in nb["notes"])
    assert py3_only.questions("py2_notebook")["softmax"] == (6.0, 6.0)  # the cells that parse still count


def test_the_2015_signature_without_dataset_gets_full_marks(batch):
    assert batch.full("nb2015")
    assert batch.results["nb2015"]["load"]["functions"]["cost_and_grad"] == "nb2015.softmaxCostAndGradient"


def test_the_report_says_the_2015_signature_was_called_with_3_arguments(batch):
    note = "softmaxCostAndGradient: called with 3 arguments: your function takes no 'dataset' parameter"
    assert note in batch.results["nb2015"]["notes"]
    assert "called with 3 arguments: your function takes no &#39;dataset&#39; parameter" in batch.report("nb2015")


def test_singleton_dimensions_get_full_marks_with_a_note(batch):
    assert batch.full("shapes_row") and batch.full("shapes_column")
    row, column = batch.checks("shapes_row"), batch.checks("shapes_column")
    assert row["softmax/vector"]["notes"] == ["shape (1, 5) accepted as (5,)"]
    assert row["cross_entropy/small"]["notes"] == ["shape (1,) accepted as ()"]
    assert row["grad_pred/small"]["notes"] == ["shape (1, 3) accepted as (3,)"]
    assert column["cross_entropy/small"]["notes"] == ["shape (1, 1) accepted as ()"]
    assert column["grad_pred/small"]["notes"] == ["shape (3, 1) accepted as (3,)"]
    assert "shape (1, 5) accepted as (5,)" in batch.report("shapes_row")
    assert "shape (3, 1) accepted as (3,)" in batch.report("shapes_column")


def test_a_column_softmax_and_a_transposed_gradient_still_fail(batch):
    checks = batch.checks("column_transposed")
    assert (checks["softmax/vector"]["status"], checks["softmax/vector"]["mistake"]) == ("fail", "softmax-column")
    assert checks["softmax/vector"]["message"] == "softmax returned shape (5, 1), expected (5,)."
    assert checks["softmax/matrix"]["status"] == "pass"  # only vectors come back as columns
    small = checks["grad_output/small"]
    assert (small["status"], small["mistake"]) == ("fail", "grad-output-transposed")
    assert small["message"] == "The returned 'grad' has shape (3, 5), expected (5, 3)."
    q = batch.questions("column_transposed")
    assert q["grad_output"][0] == 0 and q["cross_entropy"] == (4.0, 4.0) and q["grad_pred"] == (5.0, 5.0)


def test_unused_imports_of_missing_packages_do_not_zero_a_student(batch):
    r = batch.results["imports"]
    assert batch.full("imports")
    assert ("module 'sklearn' is not available here; an empty stand-in was used (allowed by the rubric)"
            in r["notes"])
    (unit,) = r["load"]["unit_errors"]
    assert unit["where"] == "imports.py, line 2"
    assert (unit["error"]["type"], unit["error"]["message"]) == ("ModuleNotFoundError", "No module named 'torch'")
    html = batch.report("imports")
    assert "module &#39;sklearn&#39; is not available here" in html
    assert "<strong>imports.py, line 2</strong>: ModuleNotFoundError: No module named &#39;torch&#39;" in html


def test_a_broken_student_helper_does_not_cost_the_graded_functions(batch):
    assert batch.full("helper")


def test_a_broken_student_helper_falls_back_to_the_stand_in_with_a_note(batch):
    note = ("q2_gradcheck.py does not parse (line 1: expected ':'); the supplied stand-in for 'q2_gradcheck' "
            "was used instead")
    assert note in batch.results["helper"]["notes"]
    assert "q2_gradcheck.py does not parse" in batch.report("helper")


def test_a_broken_student_helper_is_not_said_to_be_missing(batch):
    notes = batch.results["helper"]["notes"]
    assert "'q2_sigmoid' was not in the submission; the supplied stand-in was used" in notes  # truly missing
    assert "'q2_gradcheck' was not in the submission; the supplied stand-in was used" not in notes


# --------------------------------------------------------------------------- CS224n's softmax


def test_a_lone_cs224n_word2vec_is_told_where_softmax_comes_from(batch):
    q = batch.questions("cs224n_lone")
    assert q["softmax"] == (0.0, 6.0) and all(s == m for k, (s, m) in q.items() if k != "softmax")
    message = batch.checks("cs224n_lone")["softmax/vector"]["message"]
    assert message.startswith("word2vec.py defines no function 'softmax'")
    assert message.endswith("in CS224n assignment 2 it comes with the starter code (utils/utils.py): hand in your "
                            "utils/ folder next to word2vec.py.")
    assert "Teaching staff" not in batch.report("cs224n_lone")  # text for staff never reaches a student
    assert "hand in your utils/ folder next to word2vec.py" in batch.report("cs224n_lone")
    # the folder the student works in, with the starter's utils/, gets full marks on its own softmax
    assert batch.full("cs224n_folder")
    assert batch.results["cs224n_folder"]["load"]["functions"]["softmax"] == "word2vec.softmax"


def test_the_cs224n_rubric_by_bare_name_grades_a_lone_word2vec_without_softmax(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(CS224N / "word2vec.py", subs / "alice.py")
    graded = grade(subs, tmp_path / "results", "--rubric", "cs224n")
    r = graded.results["alice"]
    assert r["rubric"] == "word2vec-cs224n" and graded.full("alice") and r["max_score"] == 14.0
    assert [q["id"] for q in r["questions"]] == ["cross_entropy", "grad_pred", "grad_output"]
    out = io.StringIO()
    assert main(["check", str(subs / "alice.py"), "--rubric", "cs224n", "--json"], out=out, err=io.StringIO()) == 0
    doc = json.loads(out.getvalue())
    assert doc["rubric"] == "word2vec-cs224n" and doc["score"] == doc["max_score"] > 0
    assert [q["id"] for q in doc["questions"]] == ["cross_entropy", "grad_pred", "grad_output"]


def test_a_graded_function_defined_in_two_files_is_noted_with_the_files_and_the_one_graded(tmp_path):
    # A stale draft beside the notebook: the draft's name sorts first, so its wrong softmax is
    # graded (the documented rule); the result says so, naming both files.
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "AAA_draft.py").write_text("import numpy as np\ndef softmax(x):\n    return x\n")
    (sub / "PS1.ipynb").write_text(notebook([code("import numpy as np", 1), code(SOFTMAX, 2), code(COST, 3)]))
    out = io.StringIO()
    assert main(["check", str(sub), "--json"], out=out, err=io.StringIO()) == 1
    doc = json.loads(out.getvalue())
    assert doc["load"]["functions"]["softmax"] == "AAA_draft.softmax"
    assert ("softmax is defined in 2 files (AAA_draft.py, PS1.ipynb); the one in AAA_draft.py was graded (a file the "
            "rubric names for it comes first, then files in the order of their names), not the one in PS1.ipynb: "
            "remove or rename the copy you did not mean to hand in.") in doc["notes"]
    assert not [n for n in doc["notes"] if n.startswith("softmaxCostAndGradient is defined")]



def test_python2_in_a_time_cell_magic_is_translated_and_its_errors_name_the_cell_and_line(tmp_path):
    nb = tmp_path / "misc.ipynb"
    nb.write_text(notebook([code("import numpy as np", 1), code(SOFTMAX, 2),
                            code("%%time\nfor i in xrange(3):\n    print i\n", 3),
                            code("%%time\nx = 1\nprint(undefined_name)\n", 4)]))
    out, html = io.StringIO(), tmp_path / "report.html"
    main(["check", str(nb), "--json", "--html", str(html)], out=out, err=io.StringIO())
    doc = json.loads(out.getvalue())
    units = {u["where"]: u["error"] for u in doc["load"]["unit_errors"]}
    assert set(units) == {"misc.ipynb, cell [4]"}, units
    assert units["misc.ipynb, cell [4]"]["type"] == "NameError"
    assert [(f["where"], f["line"], f["code"]) for f in units["misc.ipynb, cell [4]"]["frames"]] == [
        ("misc.ipynb, cell [4]", 3, "print(undefined_name)")]
    assert any(n.startswith("misc.ipynb (cell [3]) was Python 2 code") for n in doc["notes"]), doc["notes"]
    report = html.read_text()
    assert "misc.ipynb, cell [4], line 3\n    print(undefined_name)" in report
    assert "/run-" not in report and "line 3\n    get_ipython().run_cell_magic" not in report


def test_an_error_in_a_time_line_magic_shows_its_line_once(tmp_path):
    """``%time y = f(x)`` runs its statement in the cell's namespace, on the cell's line: the traceback
    shows that line once, then the student's function, as a ``%%time`` cell's does."""
    nb = tmp_path / "timed.ipynb"
    nb.write_text(notebook([code("import numpy as np", 1), code(SOFTMAX, 2),
                            code("def boom(x):\n    return x[5]\n", 3),
                            code("%time y = boom([1, 2])\n", 4), code("z = %time boom([1])\n", 5),
                            code("%%time\nw = boom([1])\n", 6)]))
    out, html = io.StringIO(), tmp_path / "report.html"
    main(["check", str(nb), "--json", "--html", str(html)], out=out, err=io.StringIO())
    doc = json.loads(out.getvalue())
    units = {u["where"]: u["error"] for u in doc["load"]["unit_errors"]}
    assert set(units) == {f"timed.ipynb, cell [{n}]" for n in (4, 5, 6)}, units
    for n, line in ((4, 1), (5, 1), (6, 2)):
        frames = [(f["where"], f["line"], f["function"]) for f in units[f"timed.ipynb, cell [{n}]"]["frames"]]
        assert frames == [(f"timed.ipynb, cell [{n}]", line, "<module>"), ("timed.ipynb, cell [3]", 2, "boom")], frames
        assert units[f"timed.ipynb, cell [{n}]"]["traceback"].count(f"timed.ipynb, cell [{n}], line") == 1
    report = html.read_text()
    assert report.count("timed.ipynb, cell [4], line 1") == 1, report
    # the line as the student wrote it, not as translated to run (get_ipython().run_line_magic('time', ...))
    assert [units[f"timed.ipynb, cell [{n}]"]["frames"][0]["code"] for n in (4, 5, 6)] == [
        "%time y = boom([1, 2])", "z = %time boom([1])", "w = boom([1])"]
    assert "timed.ipynb, cell [5], line 1\n    z = %time boom([1])" in units["timed.ipynb, cell [5]"]["traceback"]


SCRATCH = "def softmax(x):\n    return np.exp(x) / np.sum(np.exp(x))  # a first try\n"


@pytest.mark.parametrize("counts", [(3, 2, 1), (1, 2, 3)])
def test_a_function_defined_in_two_cells_says_once_which_was_graded_and_which_the_kernel_ran_last(tmp_path, counts):
    # the right softmax above a scratch one; (3, 2, 1): the right one was run last, the notebook's outputs are its
    nb = tmp_path / "hw.ipynb"
    nb.write_text(notebook([code("import numpy as np\n" + SOFTMAX, counts[0]), code(COST, counts[1]),
                            code(SCRATCH, counts[2])]))
    out = io.StringIO()
    assert main(["check", str(nb)], out=out, err=io.StringIO()) == 1
    said = " ".join(out.getvalue().split())
    first, last = f"cell [{counts[0]}]", f"cell [{counts[2]}]"
    assert said.count(" is defined in ") == 1, said
    assert (f"Note: softmax is defined in 2 cells of hw.ipynb ({first} and {last}); the cells run from top to bottom, "
            f"so the last, {last}, was graded") in said, said
    later = (f"{first} was run after it in the notebook's kernel (its number is higher): that kernel held "
             f"{first}'s softmax, so what it showed may differ from this grade. Delete the versions")
    assert (later in said) == (counts == (3, 2, 1)), said


def test_a_module_a_notebook_writes_with_writefile_is_graded_when_not_handed_in(tmp_path):
    # %%writefile q1_softmax.py, then `from q1_softmax import softmax`: running the notebook writes the module
    nb = tmp_path / "hw" / "a1.ipynb"
    nb.parent.mkdir()
    nb.write_text(notebook([code("%%writefile q1_softmax.py\nimport numpy as np\n", 1),
                            code("%%writefile -a q1_softmax.py\n" + SOFTMAX, 2),
                            code("from q1_softmax import softmax\nimport numpy as np", 3), code(COST, 4)]))
    out = io.StringIO()
    assert main(["check", str(nb), "--json"], out=out, err=io.StringIO()) == 0, out.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["score"] == doc["max_score"] == 16
    assert "q1_softmax.py was not handed in: it was taken from a1.ipynb, cell [1] and cell [2], whose %%writefile " \
           "cells write it when the notebook runs." in doc["notes"], doc["notes"]
    # a module handed in is the one graded: the cell only says what was written once
    (nb.parent / "q1_softmax.py").write_text(SOFTMAX.replace("np.max(x, axis=-1, keepdims=True)", "0"))
    out = io.StringIO()
    assert main(["check", str(nb), "--json"], out=out, err=io.StringIO()) == 1
    doc = json.loads(out.getvalue())
    assert not [n for n in doc["notes"] if "%%writefile" in n], doc["notes"]


def test_line_magics_written_without_their_percent_run_as_in_jupyter(tmp_path):
    # IPython's automagic (on in Jupyter and Colab): `pip install`, `cd` and `ls` are magics there
    nb = tmp_path / "colab.ipynb"
    nb.write_text(notebook([code("pip install -q tqdm", 1), code("ls", 2),
                            code("cd /content/drive/MyDrive/cs224d\nimport numpy as np\n" + SOFTMAX, 3), code(COST, 4)]))
    out = io.StringIO()
    assert main(["check", str(nb), "--json"], out=out, err=io.StringIO()) == 0, out.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["score"] == doc["max_score"] == 16 and not doc["load"]["unit_errors"], doc["load"]


PYTHON2_KERNEL = {"kernelspec": {"name": "python2", "display_name": "Python 2", "language": "python"},
                  "language_info": {"name": "python", "version": "2.7.12"}}


@pytest.mark.parametrize("python2", [True, False])
def test_a_notebook_saved_from_a_python_2_kernel_divides_as_python_2_did(tmp_path, python2):
    # every cell parses as Python 3, but `len(y) / 2` is an index: an int in the kernel the notebook ran in
    cost = COST.replace("cost = -np.log(y_hat[target])", "half = len(y_hat) / 2\n    _ = y_hat[half]\n"
                        "    cost = -np.log(y_hat[target])")
    nb = tmp_path / "hw.ipynb"
    nb.write_text(notebook([code("import numpy as np\n" + SOFTMAX, 1), code(cost, 2)],
                           metadata=PYTHON2_KERNEL if python2 else None))
    out = io.StringIO()
    main(["check", str(nb), "--json"], out=out, err=io.StringIO())
    doc = json.loads(out.getvalue())
    assert (doc["score"] == 16) == python2, doc["score"]
    said = [n for n in doc["notes"] if "Python 2 kernel" in n]
    assert said == ([f"hw.ipynb was saved from a Python 2 kernel (its metadata): while grading, `/` of two integers "
                     "kept Python 2's meaning in its cells (7 / 2 == 3), as it had there; in Python 3, write `//` "
                     "where you mean integer division."] if python2 else []), doc["notes"]


def test_a_python_2_kernel_notebook_is_not_said_to_be_translated(tmp_path):
    """Nothing was translated: the report says what happened (the note on `/`), once, without an empty diff."""
    nb = tmp_path / "hw.ipynb"
    nb.write_text(notebook([code("import numpy as np\n" + SOFTMAX, 1), code(COST, 2)], metadata=PYTHON2_KERNEL))
    out, html = io.StringIO(), tmp_path / "report.html"
    main(["check", str(nb), "--json", "--html", str(html)], out=out, err=io.StringIO())
    doc = json.loads(out.getvalue())
    assert doc["translated"] == [], doc["translated"]
    report = html.read_text()
    assert "Translated from Python 2" not in report and "translated it to Python 3" not in report
    assert report.count("was saved from a Python 2 kernel (its metadata)") == 1


def test_a_module_a_python_2_notebook_writes_keeps_python_2_division(tmp_path):
    # the kernel that wrote q1_softmax.py imported it as Python 2: `x.shape[-1] / 2` an int there; graded as
    # Python 3 it was a float, and every check of the module an error
    nb = tmp_path / "hw" / "a1.ipynb"
    nb.parent.mkdir()
    halves = _replace(SOFTMAX, "    e = np.exp(x)\n", "    e = np.exp(x)\n    list(range(x.shape[-1] / 2))\n")
    nb.write_text(notebook([code("%%writefile q1_softmax.py\nimport numpy as np\n" + halves, 1),
                            code("from q1_softmax import softmax\nimport numpy as np", 2), code(COST, 3)],
                           metadata={"kernelspec": {"name": "python2", "display_name": "Python 2"}}))
    out = io.StringIO()
    assert main(["check", str(nb), "--json"], out=out, err=io.StringIO()) == 0, out.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["score"] == doc["max_score"] == 16
    assert [n for n in doc["notes"] if n.startswith("q1_softmax.py was written by a notebook that ran as Python 2")]


def test_a_writefile_cell_no_file_could_come_from_costs_only_that_cell(tmp_path):
    # a NUL in its name, or a module under a file handed in (q1_softmax.py/x.py): IPython's cell fails and the
    # other cells run; here the student's process could not write the submission's files: every check an error
    nb = tmp_path / "hw" / "a1.ipynb"
    nb.parent.mkdir()
    for bad in ("x\x00y.py", "q1_softmax.py/x.py"):
        nb.write_text(notebook([code("%%writefile q1_softmax.py\nimport numpy as np\n" + SOFTMAX, 1),
                                code(f"%%writefile {bad}\nX = 1\n", 2),
                                code("from q1_softmax import softmax\nimport numpy as np", 3), code(COST, 4)]))
        out = io.StringIO()
        assert main(["check", str(nb), "--json"], out=out, err=io.StringIO()) == 0, out.getvalue()
        doc = json.loads(out.getvalue())
        assert doc["score"] == doc["max_score"] == 16, bad
        assert not [n for n in doc["notes"] if bad in n or "X = 1" in n], doc["notes"]


def test_a_copy_of_a_function_beside_the_file_the_rubric_names_for_it_gets_no_note(tmp_path):
    sub = tmp_path / "bob"
    sub.mkdir()
    (sub / "q1_softmax.py").write_text("import numpy as np\n" + SOFTMAX)
    (sub / "helpers.py").write_text("import numpy as np\n" + SOFTMAX)
    out = io.StringIO()
    main(["check", str(sub), "--json"], out=out, err=io.StringIO())
    doc = json.loads(out.getvalue())
    assert doc["load"]["functions"]["softmax"] == "q1_softmax.softmax"
    assert not [n for n in doc["notes"] if " is defined in " in n], doc["notes"]


def test_a_module_whose_extension_is_upper_case_is_imported_by_its_name(tmp_path: Path):
    # Q1_SOFTMAX.PY from a Windows machine: the loader reads it as Python, and q3_word2vec's
    # `from q1_softmax import softmax` must get it, not the stand-in with a note that it is missing.
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "q1_softmax.PY").write_text((EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text())
    (folder / "q3_word2vec.py").write_text((EXAMPLES / "cs224d_correct" / "q3_word2vec.py").read_text())
    out = io.StringIO()
    assert main(["check", str(folder), "--json"], out=out, err=io.StringIO()) == 0
    result = json.loads(out.getvalue())
    assert "q1_softmax" in result["load"]["modules"]
    assert not any("'q1_softmax' was not in the submission" in n for n in result["notes"]), result["notes"]


@pytest.mark.parametrize("layout", ["utils/ without __init__.py", "utils/ handed in flat"])
def test_a_package_handed_in_without_its_init_is_not_said_to_be_missing(tmp_path: Path, layout: str):
    # Python 3 imports utils/ without utils/__init__.py; the student's utils.utils and utils.gradcheck
    # were graded, so "'utils' was not in the submission" was false.
    a2 = Path(__file__).resolve().parent / "submissions" / "versions" / "cs224n-a2"
    folder = tmp_path / "hw"
    shutil.copytree(a2, folder)
    (folder / "utils" / "__init__.py").unlink()
    if layout == "utils/ handed in flat":
        for f in (folder / "utils").iterdir():
            f.rename(folder / f.name)
        (folder / "utils").rmdir()
    out = io.StringIO()
    assert main(["check", str(folder), "--json"], out=out, err=io.StringIO()) == 0
    notes = json.loads(out.getvalue())["notes"]
    assert not any("was not in the submission" in n for n in notes), notes
    next(folder.rglob("gradcheck.py")).unlink()  # a module truly missing is still said
    out = io.StringIO()
    main(["check", str(folder), "--json"], out=out, err=io.StringIO())
    notes = json.loads(out.getvalue())["notes"]
    assert "'utils.gradcheck' was not in the submission; the supplied stand-in was used" in notes, notes


def test_a_zip_holding_two_files_of_one_name_says_which_was_graded(tmp_path: Path):
    # `zip -u` on an old zip, or two tools' output: two members named q1_softmax.py. The last is read
    # (as unzip leaves it); the student is told, not left to guess why their other copy was not graded.
    correct = (EXAMPLES / "cs224d_correct" / "q1_softmax.py").read_text()
    path = tmp_path / "hw.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("q1_softmax.py", "def softmax(x):\n    return x\n")
        z.writestr("q3_word2vec.py", (EXAMPLES / "cs224d_correct" / "q3_word2vec.py").read_text())
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr("q1_softmax.py", correct)
    out = io.StringIO()
    assert main(["check", str(path), "--json"], out=out, err=io.StringIO()) == 0  # the last copy: right
    notes = json.loads(out.getvalue())["notes"]
    assert "hw.zip holds 2 files named 'q1_softmax.py'; the last of them in the zip was graded (as unzip leaves it)." \
        in notes, notes


def test_a_file_saved_as_utf16_is_read_as_utf16(tmp_path):
    """Windows Notepad's "Unicode" is UTF-16 with its byte-order mark: read as cp1252 it was NUL bytes
    and 15 alike syntax errors, and every check a missing function."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "notepad.py").write_bytes(("# café\n" + MODULE).encode("utf-16"))
    (subs / "notepad_be.py").write_bytes(b"\xfe\xff" + ("# café\n" + MODULE).encode("utf-16-be"))
    g = grade(subs, tmp_path / "out")
    for sid in ("notepad", "notepad_be"):
        r = g.results[sid]
        assert r["score"] == r["max_score"], r["notes"]
        assert f"{sid}.py is UTF-16 text (as Windows Notepad saves \"Unicode\"); it was read as such." in r["notes"]
        assert not any("UTF-8" in n for n in r["notes"])


def test_a_nul_byte_in_a_file_is_a_syntax_error_at_its_line(tmp_path):
    """A file with NUL bytes (a download cut short and patched): CPython names no line for them;
    the load error said "line None" and the function on that line was called missing."""
    subs = tmp_path / "subs"
    subs.mkdir()
    source = MODULE.replace("def softmaxCostAndGradient", "\0\0def softmaxCostAndGradient")
    (subs / "nul.py").write_text(source)
    r = grade(subs, tmp_path / "out").results["nul_"]
    line = source[:source.index("\0")].count("\n") + 1
    assert [u["where"] for u in r["load"]["unit_errors"]] == [f"nul.py, line {line}"]
    cost = next(q for q in r["questions"] if q["id"] == "cross_entropy")["checks"][0]["message"]
    assert f"'softmaxCostAndGradient' is in code that does not compile: nul.py, line {line}" in cost, cost


def test_a_module_a_python_2_kernel_notebook_writes_is_not_said_to_be_translated(tmp_path):
    """Nothing was translated in the module either: no entry in `translated`, the division note once."""
    nb = tmp_path / "hw" / "a1.ipynb"
    nb.parent.mkdir()
    nb.write_text(notebook([code("%%writefile q1_softmax.py\nimport numpy as np\n" + SOFTMAX, 1),
                            code("from q1_softmax import softmax\nimport numpy as np", 2), code(COST, 3)],
                           metadata=PYTHON2_KERNEL))
    out = io.StringIO()
    assert main(["check", str(nb), "--json"], out=out, err=io.StringIO()) == 0, out.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["translated"] == [], doc["translated"]
    assert len([n for n in doc["notes"] if n.startswith("q1_softmax.py was written by a notebook that ran as Python 2")]) == 1


def test_a_submission_whose_code_files_are_empty_or_only_comments_is_an_error_that_says_so(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "empty.py").write_text("")
    (subs / "comments.py").write_text("# TODO: softmax\n\n   # later\n")
    (subs / "folder").mkdir()
    (subs / "folder" / "q3_word2vec.py").write_text("\n\n")
    (subs / "folder" / "__init__.py").write_text("")
    (subs / "ok").mkdir()  # an empty helper beside real code is fine
    (subs / "ok" / "__init__.py").write_text("")
    (subs / "ok" / "q3_word2vec.py").write_text(Q3)
    (subs / "ok" / "q1_softmax.py").write_text(Q1)
    out = tmp_path / "out"
    assert main(["grade", str(subs), "--out", str(out), "--no-progress"], out=io.StringIO(), err=io.StringIO()) == 0
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    assert results["empty"]["status"] == "error"
    assert results["empty"]["errors"][0].endswith("empty.py: it is empty (or only comments); save your code in "
                                                  "the file and hand it in again.")
    assert results["comments"]["status"] == "error"
    assert results["folder"]["status"] == "error"
    assert "__init__.py, q3_word2vec.py are empty (or only comments)" in results["folder"]["errors"][0]
    assert results["ok"]["status"] == "graded" and results["ok"]["score"] == results["ok"]["max_score"]
    rows = {r["id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["empty"]["status"] == "error"
    # the student's self-check: nothing could be read as code, exit 2
    err = io.StringIO()
    assert main(["check", str(subs / "empty.py")], out=io.StringIO(), err=err) == 2
    assert "it is empty (or only comments)" in err.getvalue()
