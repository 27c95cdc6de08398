"""grader.check() inside a Jupyter kernel: real notebooks executed by nbclient in a real ipykernel."""

from __future__ import annotations

import io
import json
import shutil
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader import kernel
from grader.cli import main
from grader.errors import UsageError
from grader.rubric import load_rubric

SOFTMAX = """\
import numpy as np

def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
"""
COST = """\
def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(outputVectors.dot(predicted))
    cost = -np.log(y_hat[target])
    delta = y_hat.copy()
    delta[target] -= 1
    return cost, outputVectors.T.dot(delta), np.outer(delta, predicted)
"""
TRANSPOSED = COST.replace("np.outer(delta, predicted)", "np.outer(predicted, delta)")


@pytest.fixture(autouse=True)
def _no_notebook_file(monkeypatch):
    """The kernels these tests start know no notebook file unless a test says so (not the one running pytest)."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)


def execute(cells: list[str], folder: Path, *, keep: bool = False) -> tuple[nbformat.NotebookNode, NotebookClient]:
    """Run `cells` in a fresh python3 kernel started in `folder`; stop the kernel unless `keep`."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    if keep:
        client.create_kernel_manager()
        client.start_new_kernel()
        client.start_new_kernel_client()
        for i, cell in enumerate(nb.cells):
            client.execute_cell(cell, i)
    else:
        client.execute()
    return nb, client


def check_saved(cells: list[str], folder: Path, code: int) -> dict:
    """`grader check --json` of the notebook of `cells` saved in `folder`: its exit code must be `code`."""
    saved = folder / "saved.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    saved.write_text(nbformat.writes(nb))
    out = io.StringIO()
    assert main(["check", str(saved), "--json"], out=out, err=io.StringIO()) == code
    return json.loads(out.getvalue())


def output(cell) -> dict:
    """The cell's display data (its last execute_result), or its error."""
    for o in reversed(cell.outputs):
        if o.output_type == "execute_result":
            return dict(o.data)
        if o.output_type == "error":
            return {"error": f"{o.ename}: {o.evalue}"}
    return {}


def printed(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


# --------------------------------------------------------------------------- in a real kernel


def test_a_notebook_with_correct_functions_passes_every_public_check(tmp_path):
    nb, _ = execute(["%load_ext autoreload", SOFTMAX, COST, "import grader\ngrader.check()"], tmp_path)
    shown = output(nb.cells[-1])
    text, html = shown["text/plain"], shown["text/html"]
    assert "Every check passed." in text
    rubric = load_rubric()
    public = [c for c in rubric.checks() if c.visibility == "public"]
    assert f"Total          {len(public)} / {len(public)}" in text
    assert '<div class="grader-check">' in html and "Every check passed." in html
    assert "<script" not in html


def test_a_mistake_is_named_under_the_cell(tmp_path):
    nb, _ = execute([SOFTMAX, TRANSPOSED, "import grader\ngrader.check()"], tmp_path)
    shown = output(nb.cells[-1])
    assert "Likely mistake: grad is transposed" in shown["text/plain"]
    assert "<strong>Likely mistake:</strong> grad is transposed" in shown["text/html"]


def test_only_the_questions_whose_functions_are_defined_are_checked(tmp_path):
    nb, _ = execute([SOFTMAX, "import grader\nr = grader.check()\nprint([q.id for q in r.result.questions])"],
                    tmp_path)
    assert printed(nb.cells[-1]).strip() == "['softmax']"


def test_one_question_and_a_misspelt_one(tmp_path):
    nb, _ = execute([SOFTMAX, COST,
                     "import grader\nr = grader.check('grad_output')\nprint([q.id for q in r.result.questions], r.passed)",
                     "grader.check('grad_outptu')"], tmp_path)
    assert printed(nb.cells[-2]).strip() == "['grad_output'] True"
    err = output(nb.cells[-1])["error"]
    assert err.startswith("UsageError: no question 'grad_outptu' in word2vec-softmax; did you mean 'grad_output'?")


def test_the_verdicts_are_those_of_grader_check_on_the_saved_notebook(tmp_path):
    cells = ["%load_ext autoreload", SOFTMAX.replace("x - np.max(x, axis=-1, keepdims=True)", "x"), TRANSPOSED,
             "print(open('not-there.txt').read())"]
    nb, _ = execute(cells + ["import grader, json\nr = grader.check()\n"
                             "print(json.dumps({c.id: c.status for c in r.result.checks()}))"], tmp_path)
    in_kernel = json.loads(printed(nb.cells[-1]).strip().splitlines()[-1])
    on_file = {c["id"]: c["status"] for q in check_saved(cells, tmp_path, 1)["questions"] for c in q["checks"]}
    assert in_kernel == on_file
    assert "fail" in in_kernel.values()


def test_helper_modules_of_the_working_folder_are_handed_in_with_the_cells(tmp_path):
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    nb, _ = execute(["from q1_softmax import softmax\nimport numpy as np", COST,
                     "import grader\nr = grader.check()\nprint(r.passed, r.result.load.functions['softmax'])"],
                    tmp_path)
    assert printed(nb.cells[-1]).strip() == "True q1_softmax.softmax"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_the_second_check_uses_the_warm_sandbox_and_the_kernel_leaves_none_behind(tmp_path):
    nb, client = execute([SOFTMAX, "import grader\ngrader.check()",
                          "import grader.kernel as k\n(sb,) = k._warm.values()\nprint(sb.proc.pid, sb.starts)",
                          "grader.check()\nprint(sb.proc.pid, sb.starts)"], tmp_path, keep=True)
    try:
        first = printed(nb.cells[2]).split()
        second = printed(nb.cells[3]).split()
        assert first == second  # the same zygote, not started again
        pid = int(first[0])
        assert _alive(pid)
    finally:
        client._cleanup_kernel()
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the kernel's sandbox outlived it"


# --------------------------------------------------------------------------- pieces


def test_outside_a_kernel_the_message_says_to_give_a_path():
    with pytest.raises(UsageError, match="give a path: grader.check"):
        kernel.check()


def test_cells_are_taken_once_each_the_grader_lines_kept_whole():
    history = ["", "import numpy as np", "def f(x):\n    return x", "import grader, json\nr = grader.check()\nr",
               "def f(x):\n    return 2 * x", "x = f(1)  # grader.check('f') later", "import numpy as np"]
    assert kernel.kernel_cells(history) == [
        "def f(x):\n    return x", "import grader, json\nr = grader.check()\nr", "def f(x):\n    return 2 * x",
        "x = f(1)  # grader.check('f') later", "import numpy as np"]


def test_talking_to_the_grader_costs_nothing_in_the_kernel_or_from_disk(tmp_path):
    # `import grader, numpy as np` holds the student's numpy import; `r = grader.check()` then `r`,
    # a call over two lines and `from grader import check`: none is the student's error.
    no_import = SOFTMAX.replace("import numpy as np\n", "")
    cells = ["import grader, numpy as np", no_import, COST, "from grader import check",
             "r = grader.check(\n    'softmax')\nr", "import grader\nr = grader.check()\nr"]
    nb, _ = execute(cells, tmp_path)
    text = output(nb.cells[-1])["text/plain"]
    assert text.startswith("this notebook: 16 / 16") and "While loading" not in text, text
    doc = check_saved(cells, tmp_path, 0)
    assert doc["score"] == doc["max_score"] == 16 and doc["errors"] == []
    assert not [n for n in doc.get("notes", []) if "grader" in n]


def test_only_the_student_modules_imported_are_taken(tmp_path):
    (tmp_path / "q1_softmax.py").write_text("def softmax(x): return x\n")
    (tmp_path / "unrelated.py").write_text("secret = 1\n")
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "utils.py").write_text("def softmax(x): return x\n")
    files = kernel.kernel_submission_files(["from q1_softmax import softmax\nimport utils.utils\nimport numpy"],
                                           tmp_path)
    assert sorted(files) == ["notebook.ipynb", "q1_softmax.py", "utils/__init__.py", "utils/utils.py"]
    cells = nbformat.reads(files["notebook.ipynb"].decode(), as_version=4).cells
    # the cell as it was run (its In[n]), after the definitions pass (no In[n]; see kernel_runs)
    assert [c.source for c in cells if c.execution_count is not None] == [
        "from q1_softmax import softmax\nimport utils.utils\nimport numpy"]


def test_a_question_is_checked_only_when_its_functions_are_defined():
    rubric = load_rubric()
    names = {"softmax": lambda x: x, "softmaxCostAndGradient": 3}  # not callable: not defined
    assert kernel.defined_questions(rubric, names) == ["softmax"]
    names["naiveSoftmaxLossAndGradient"] = lambda *a: a
    assert kernel.defined_questions(rubric, names) == ["softmax", "cross_entropy", "grad_pred", "grad_output"]
    assert kernel.only(rubric, ["softmax"]).consistency == {}
    assert kernel.only(rubric, ["grad_pred"]).consistency == rubric.consistency


def test_the_api_reads_an_existing_path_as_a_file_even_if_it_looks_like_a_question(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "softmax").mkdir()
    (tmp_path / "softmax" / "q1_softmax.py").write_text(SOFTMAX)
    import grader

    result = grader.check("softmax")
    assert result.submission == "softmax" and all(c.status == "pass" for c in result.checks()
                                                   if c.question == "softmax")
    assert not os.environ.get("GRADER_KIT")


def test_a_written_answer_is_shown_under_the_cell_as_rendered_math(tmp_path):
    nb, _ = execute(["import grader\ngrader.check_written('grad_pred', r'-w_i + \\sum_x \\hat{y}_x w_x')",
                     "r = grader.check_written('grad_pred', r'W^\\top(y - \\hat{y})')\nprint(r.result.score)\nr"],
                    tmp_path)
    right = output(nb.cells[0])
    assert "<math" in right["text/html"] and "<script" not in right["text/html"]
    assert "written/grad_pred/answer: pass" in right["text/html"] and "Compact form" in right["text/html"]
    assert "written/grad_pred/answer: pass" in right["text/plain"]
    wrong = output(nb.cells[1])
    assert printed(nb.cells[1]).strip() == "0.0"
    assert "written/grad_pred/answer: fail" in wrong["text/html"] and "Likely mistake" in wrong["text/html"]


def test_cells_run_out_of_order_are_checked_as_the_kernel_holds_them(tmp_path):
    # the cost's default argument names softmax: run before softmax's cell, it fails; run again after it,
    # it works. The student then runs softmax's cell once more. The kernel holds working functions.
    with_default = COST.replace("dataset):", "dataset, normalise=softmax):").replace(
        "y_hat = softmax(", "y_hat = normalise(")
    cells = ["import grader", SOFTMAX, with_default, "1 / 0", "grader.check()"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel(cwd=str(tmp_path)):
        for i in (0, 2, 1, 2, 1, 3, 4):  # In[1] .. In[7]
            client.execute_cell(nb.cells[i], i)
    assert [o.ename for o in nb.cells[3].outputs if o.output_type == "error"] == ["ZeroDivisionError"]
    text = output(nb.cells[4])["text/plain"]
    assert text.startswith("this notebook: 16 / 16"), text
    assert "cell [6]: ZeroDivisionError" in text  # named as Jupyter showed it: In[6]
    assert "NameError" not in text  # the first run of the cost's cell failed, and was run again since


A2_NAIVE = """\
import numpy as np

def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    y_hat = softmax(outsideVectors.dot(centerWordVec))
    loss = -np.log(y_hat[outsideWordIdx])
    y_hat[outsideWordIdx] -= 1
    return loss, outsideVectors.T.dot(y_hat), np.outer(y_hat, centerWordVec)
"""


def test_a_question_of_the_whole_assignment_asked_early_is_checked_and_a_wrong_one_is_one_line(tmp_path):
    cells = ["import grader", A2_NAIVE, "grader.check('skipgram_cost')", "grader.check('skipgramm')"]
    nb, _ = execute(cells, tmp_path)
    text = output(nb.cells[2])["text/plain"]
    assert "word2vec-cs224n-a2" in text and "skipgram" in text and "defines no function 'skipgram'" in text, text
    (err,) = [o for o in nb.cells[3].outputs if o.output_type == "error"]
    assert err.ename == "UsageError" and len(err.traceback) == 1  # no trace through grader's own code
    assert "no question 'skipgramm'" in err.traceback[0] and "did you mean 'skipgram_cost'?" in err.traceback[0]


def test_a_kernel_session_of_reruns_and_edits_is_checked_as_the_kernel_holds_it(tmp_path):
    softmax_and_test = SOFTMAX + "\nprint(softmax(np.array([1.0, 2.0])))\n"  # a definition and a test line
    with_default = COST.replace("dataset):", "dataset, normalise=softmax):").replace(
        "y_hat = softmax(", "y_hat = normalise(")
    typo = "x = softmax(np.array([dleta]))"
    fixed = "delta = 1.0\nx = softmax(np.array([delta]))"
    cells = ["import numpy as np\nnp.random.seed(314)", softmax_and_test, with_default, typo, fixed,
             "import grader\ngrader.check()", "grader.check()"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    # the imports run again late; softmax's cell (with its test line) run again after the cost that uses it;
    # a cell with a typo, then its edited version; the check cell run, a second check cell, the first again
    with client.setup_kernel(cwd=str(tmp_path)):
        for i in (0, 1, 2, 1, 3, 4, 0, 5, 6, 5):
            client.execute_cell(nb.cells[i], i)
    assert [o.ename for o in nb.cells[3].outputs if o.output_type == "error"] == ["NameError"]  # (its own run)
    for cell in (nb.cells[5], nb.cells[6]):
        text = output(cell)["text/plain"]
        assert text.startswith("this notebook: 16 / 16"), text
        assert "While loading" not in text and "NameError" not in text, text


def test_the_definitions_of_a_timed_cell_are_recognised_as_from_the_saved_notebook(tmp_path):
    # IPython's In holds a %%time cell as a string for run_cell_magic: the cell as written is read
    cells = ["%%time\n" + SOFTMAX + "\n" + COST, "import grader\ngrader.check()"]
    nb, _ = execute(cells, tmp_path)
    text = output(nb.cells[-1])["text/plain"]
    assert "Rubric word2vec-softmax: word2vec: this notebook defines softmaxCostAndGradient" in text, text
    on_file = check_saved(cells, tmp_path, 0)
    assert "saved.ipynb defines softmaxCostAndGradient" in on_file["rubric_reason"]
    assert text.split("\n")[1].split(" defines ", 1)[1] == on_file["rubric_reason"].split(" defines ", 1)[1]


def test_the_notebook_is_called_this_notebook_when_its_name_is_unknown(tmp_path):
    nb, _ = execute([SOFTMAX, COST, "1 / 0", "import grader\ngrader.check()"], tmp_path)
    shown = output(nb.cells[-1])
    text = shown["text/plain"]
    assert text.startswith("this notebook: 16 / 16"), text
    assert "this notebook defines softmaxCostAndGradient" in text and "this notebook, cell [3]: ZeroDivisionError" in text
    assert "notebook.ipynb" not in text and "notebook.ipynb" not in shown["text/html"]


def test_the_notebook_is_called_by_its_file_name_when_jupyter_told_the_kernel(tmp_path, monkeypatch):
    (tmp_path / "q3_word2vec.ipynb").write_text("{}")  # the file the server started the kernel for
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "q3_word2vec.ipynb"))
    nb, _ = execute([SOFTMAX, TRANSPOSED.replace("cost = ", "cost = 1 / 0 + "), "import grader\ngrader.check()"],
                    tmp_path)
    text = output(nb.cells[-1])["text/plain"]
    assert text.startswith("q3_word2vec: 5 / 16"), text
    assert "q3_word2vec.ipynb, cell [2], line 3, in softmaxCostAndGradient" in text, text
    # renamed since the kernel started: the old name is not said
    (tmp_path / "q3_word2vec.ipynb").rename(tmp_path / "mine.ipynb")
    assert kernel.notebook_name({"__session__": str(tmp_path / "q3_word2vec.ipynb")}, tmp_path) is None
    assert kernel.notebook_name({"__vsc_ipynb_file__": str(tmp_path / "mine.ipynb")}, tmp_path) == "mine.ipynb"


def test_a_cell_asserting_its_own_check_passed_is_no_error_when_the_notebook_is_graded(tmp_path):
    cells = [SOFTMAX, COST, "import grader\nassert grader.check().passed",
             "r = grader.check('softmax')\nif not r.passed:\n    raise RuntimeError('fix softmax first')\nr"]
    doc = check_saved(cells, tmp_path, 0)
    assert doc["score"] == doc["max_score"] == 16 and doc["errors"] == [], doc["errors"]
    assert not [u for u in (doc.get("load") or {}).get("unit_errors", [])], doc.get("load")


def test_a_cell_printing_and_comparing_its_own_checks_score_is_no_error_when_the_notebook_is_graded(tmp_path):
    # what runs in the kernel (the real result's numbers) is no error while grading either: it said
    # "TypeError: unsupported format string passed to _Checked.__format__", then an AssertionError
    said = ("import grader\nr = grader.check()\nprint(f'{r.result.score:.1f} / {r.result.max_score:g}')\n"
            "assert r.result.score == r.result.max_score and r.result.score >= 16, r\n"
            "print(round(100 * r.result.score / r.result.max_score), '%')")
    nb, _ = execute([SOFTMAX, COST, said], tmp_path)
    assert printed(nb.cells[-1]).startswith("16.0 / 16\n100 %"), nb.cells[-1].outputs
    doc = check_saved([SOFTMAX, COST, said], tmp_path, 0)
    assert doc["score"] == doc["max_score"] == 16 and doc["errors"] == [], doc["errors"]
    assert not [u for u in (doc.get("load") or {}).get("unit_errors", [])], doc.get("load")


def test_a_module_imported_by_an_imported_helper_is_the_students_own_in_the_kernel_and_on_disk(tmp_path):
    # the notebook imports q3_word2vec.py; q3_word2vec.py imports the student's q1_softmax.py (not a stand-in)
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    (tmp_path / "q3_word2vec.py").write_text("import numpy as np\nfrom q1_softmax import softmax\n\n" + COST)
    cells = ["from q3_word2vec import *", "import grader\nr = grader.check()\nprint(r.passed)\nr"]
    nb, _ = execute(cells, tmp_path)
    assert printed(nb.cells[-1]).strip() == "True", output(nb.cells[-1])
    text = output(nb.cells[-1])["text/plain"]
    assert "stand-in" not in text
    assert "Note: this notebook imports or runs q1_softmax.py, q3_word2vec.py, of its folder: they were checked " \
           "with the notebook." in text
    doc = check_saved(cells, tmp_path, 0)  # `grader check saved.ipynb`: the same files, the same verdicts
    assert doc["score"] == doc["max_score"] == 16 and doc["errors"] == []
    assert "saved.ipynb imports or runs q1_softmax.py, q3_word2vec.py, of its folder: they were checked with " \
           "the notebook." in doc["notes"]


def test_a_helper_run_with_percent_run_is_handed_in_and_its_names_are_the_cells(tmp_path):
    # `%run q1_softmax.py` leaves softmax and np in the kernel; a later cell uses them at top level
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX + "\nif __name__ == '__main__':\n    print('TESTING')\n")
    cells = ["%run q1_softmax.py", COST, "p = softmax(np.array([1.0, 2.0]))",
             "import grader, json\nr = grader.check()\nprint(json.dumps({c.id: c.status for c in r.result.checks()}))\nr"]
    nb, _ = execute(cells, tmp_path)
    assert printed(nb.cells[0]).strip() == "TESTING"
    in_kernel = json.loads(printed(nb.cells[-1]).strip().splitlines()[-1])
    text = output(nb.cells[-1])["text/plain"]
    assert text.startswith("this notebook: 16 / 16") and "While loading" not in text, text
    doc = check_saved(cells, tmp_path, 0)
    assert {c["id"]: c["status"] for q in doc["questions"] for c in q["checks"]} == in_kernel
    assert doc["load"]["unit_errors"] == [] and "TESTING" not in doc["load"]["output"]  # (its __main__ tests)


def test_a_py2_notebooks_imports_are_found_in_cells_that_do_not_parse_as_python_3(tmp_path):
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    assert kernel._imported(["from q1_softmax import softmax\nprint softmax(3)"]) == {"q1_softmax"}
    assert sorted(kernel.helper_files(tmp_path, {"q1_softmax", "numpy"})) == ["q1_softmax.py"]


def test_the_cells_html_says_the_rubric_and_the_notes_as_the_text_does(tmp_path):
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    nb, _ = execute(["from q1_softmax import softmax\nimport numpy as np", COST, "import grader\ngrader.check()"],
                    tmp_path)
    shown = output(nb.cells[-1])
    text, html = shown["text/plain"], shown["text/html"]
    rubric = next(line for line in text.splitlines() if line.startswith("Rubric "))
    note = next(line for line in text.splitlines() if line.startswith("Note: "))
    assert f'<p class="muted">{rubric}</p>' in html, html
    assert f"<p>{note}</p>" in html, html


def test_a_colab_notebooks_drive_and_files_cells_are_no_error_when_graded(tmp_path):
    cells = ["!pip install -q numpy", "from google.colab import drive\ndrive.mount('/content/drive')",
             "%cd /content/drive/MyDrive/cs224n", "import google.colab.files as files\nfor f in files.upload(): print(f)",
             SOFTMAX, COST, "import google.protobuf"]
    doc = check_saved(cells, tmp_path, 0)
    assert doc["score"] == doc["max_score"] == 16
    # Colab's own module stands in quietly; another of google's packages is missing, as it is
    assert [(u["where"], u["error"]["message"]) for u in doc["load"]["unit_errors"]] == [
        ("saved.ipynb, cell #7", "No module named 'google.protobuf'")]
    assert not [n for n in doc["notes"] if "google" in n]


SCRATCH = "def softmax(x):\n    return np.exp(x) / np.sum(np.exp(x))  # a first try\nout = softmax(np.ones(3))"


def test_a_function_defined_in_two_cells_is_said_in_the_kernel_and_on_disk(tmp_path):
    # the right softmax first in the notebook, a scratch version below it; run bottom-up in the kernel
    cells = [SOFTMAX, COST, SCRATCH, "import grader\ngrader.check()"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel(cwd=str(tmp_path)):
        for i in (2, 1, 0, 3):  # In[1] scratch, In[2] cost, In[3] softmax, In[4] the check
            client.execute_cell(nb.cells[i], i)
    text = output(nb.cells[3])["text/plain"]
    assert text.startswith("this notebook: 16 / 16"), text
    assert ("Note: softmax was defined by 2 runs (In[1], In[3]); the kernel holds the last, In[3], and it was "
            "checked. If these are different cells, grading the saved notebook takes the last of them in the "
            "notebook") in text, text
    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)  # as Jupyter saves it: the cells in their places, their In[n]
    out = io.StringIO()
    assert main(["check", str(saved), "--json"], out=out, err=io.StringIO()) == 1
    doc = json.loads(out.getvalue())
    assert "softmax is defined in 2 cells of saved.ipynb (cell [3] and cell [1]); the cells run from top to " \
           "bottom, so the last, cell [1], was graded" in " ".join(doc["notes"])


def test_the_functions_of_an_imported_helper_module_are_checked_as_on_disk(tmp_path):
    # `import q3_word2vec` (2016's notebooks call q3_word2vec.test_word2vec()): no name in the kernel's namespace
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    (tmp_path / "q3_word2vec.py").write_text("import numpy as np\nfrom q1_softmax import softmax\n\n" + COST
                                             + "\nif __name__ == '__main__':\n    print 'a Python 2 test'\n")
    cells = ["import q1_softmax", "import grader\nr = grader.check()\nprint([q.id for q in r.result.questions])\nr"]
    nb, _ = execute(cells, tmp_path)
    assert printed(nb.cells[-1]).strip() == "['softmax']", output(nb.cells[-1])
    nb, _ = execute(["import q3_word2vec as w2v", cells[1]], tmp_path)  # (Python 2: its import fails in the kernel)
    assert printed(nb.cells[-1]).strip() == "['softmax', 'cross_entropy', 'grad_pred', 'grad_output']", \
        output(nb.cells[-1])
    assert output(nb.cells[-1])["text/plain"].startswith("this notebook: 16 / 16")
    assert check_saved(["import q3_word2vec as w2v"], tmp_path, 0)["score"] == 16


def test_a_function_the_notebook_redefines_after_importing_its_file_is_the_notebooks_in_the_kernel_and_on_disk(
        tmp_path):
    # the kernel holds the notebook's own definition: it is the one checked, not the helper file's
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    (tmp_path / "q3_word2vec.py").write_text("import numpy as np\nfrom q1_softmax import softmax\n\n" + COST)
    cells = ["from q3_word2vec import *", TRANSPOSED]
    nb, _ = execute([*cells, "import grader\nr = grader.check()\nr"], tmp_path)
    kernel_said = output(nb.cells[-1])["text/plain"]
    doc = check_saved(cells, tmp_path, 1)
    q = {x["id"]: x for x in doc["questions"]}
    assert q["grad_output"]["score"] == 0 and q["grad_pred"]["score"] == q["grad_pred"]["max_score"], q["grad_output"]
    assert kernel_said.startswith(f"this notebook: {doc['score']:g} / 16"), kernel_said
    note = ("softmaxCostAndGradient is defined in saved.ipynb and in q3_word2vec.py, whose names the notebook takes "
            "(import or %run): the notebook's own softmaxCostAndGradient was graded, as its kernel holds it.")
    assert note in doc["notes"], doc["notes"]
    # the same files handed in as a folder: the file the rubric names for it is graded, as before
    out = io.StringIO()
    assert main(["check", str(tmp_path), "--json"], out=out, err=io.StringIO()) == 0
    assert note not in json.loads(out.getvalue())["notes"]
    # imported after its own definition: the file's is the kernel's, and the one graded
    assert check_saved([TRANSPOSED, cells[0]], tmp_path, 0)["score"] == 16
    # softmax's file (q1_softmax.py), whose names the notebook takes through q3_word2vec's
    no_shift = "def softmax(x):\n    e = np.exp(x)\n    return e / np.sum(e, axis=-1, keepdims=True)"
    q = {x["id"]: x for x in check_saved([cells[0], no_shift], tmp_path, 1)["questions"]}
    assert q["softmax"]["score"] < q["softmax"]["max_score"], q["softmax"]


def test_a_timed_statement_keeps_its_names_as_in_jupyter(tmp_path):
    cells = [SOFTMAX, COST, "%time probs = softmax(np.array([1.0, 2.0]))", "print(probs.sum())\n%timeit -n 1 -r 1 softmax(probs)",
             "x = 1\n%time y = x + not_defined"]
    nb, _ = execute(cells + ["import grader\ngrader.check()"], tmp_path)
    assert [o.ename for c in nb.cells[:5] for o in c.outputs if o.output_type == "error"] == ["NameError"]
    text = output(nb.cells[-1])["text/plain"]
    assert "While loading your code:\n  this notebook, cell [5]: NameError: name 'not_defined' is not defined\n" in text
    doc = check_saved(cells, tmp_path, 0)
    assert [(u["where"], u["error"]["message"]) for u in doc["load"]["unit_errors"]] == [
        ("saved.ipynb, cell #5", "name 'not_defined' is not defined")]


def test_percent_run_of_a_path_written_as_students_write_it(tmp_path):
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    for line in ("%run ./q1_softmax.py", "%run -i q1_softmax", "%run q1_softmax.py --quick"):
        doc = check_saved([line, COST, "p = softmax(np.ones(2))"], tmp_path, 0)
        assert doc["score"] == 16 and doc["load"]["unit_errors"] == [], (line, doc["load"])


def test_the_rubric_is_recognised_from_the_helpers_of_a_long_cell_as_in_the_kernel(tmp_path):
    # a cell longer than a peek reads (a pasted data table), its import at the end
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    (tmp_path / "q3_word2vec.py").write_text("import numpy as np\nfrom q1_softmax import softmax\n\n" + COST)
    from grader.load import PEEK_CHARS

    cell = "table = '''\n" + "0.5 " * (PEEK_CHARS // 4 + 10) + "\n'''\nfrom q3_word2vec import *"
    doc = check_saved([cell], tmp_path, 0)
    assert doc["rubric_reason"].startswith("word2vec: q1_softmax.py, q3_word2vec.py: the CS224d names"), \
        doc["rubric_reason"]


def test_an_ipython_session_in_a_terminal_is_called_this_session(tmp_path):
    import subprocess
    import sys

    def session(typed: str) -> str:  # IPython comes with ipykernel, a test dependency: no skip
        run = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--simple-prompt", "--HistoryManager.enabled=False"],
                             input=typed, text=True, capture_output=True, cwd=tmp_path, timeout=180,
                             env={**os.environ, "IPYTHONDIR": str(tmp_path / ".ipython")})
        return run.stdout + run.stderr

    said = session(SOFTMAX + "\nimport grader\nr = grader.check()\nprint(repr(r).splitlines()[0])\n")
    assert "this session: 5 / 5" in said, said
    # a module of the working folder it imports: checked with the session's code (there is no notebook)
    (tmp_path / "q1_softmax.py").write_text(SOFTMAX)
    said = session("from q1_softmax import softmax\nimport grader\nr = grader.check()\nprint(repr(r))\n")
    assert "this session: 5 / 5" in said, said
    assert ("Note: this session imports or runs q1_softmax.py, of the working folder: it was checked with the "
            "session's code.") in said, said
    assert "notebook" not in said, said


def test_a_function_defined_in_two_cells_of_the_saved_notebook_is_said_by_the_kernel_that_knows_its_file(
        tmp_path, monkeypatch):
    # the scratch cell below the right one was run first: the kernel took the right one's run as an edit of it
    cells = [SOFTMAX, COST, "def softmax(x):\n    return np.exp(x) / np.sum(np.exp(x))  # a first try",
             "import grader\ngrader.check()"]
    saved = tmp_path / "a2.ipynb"
    monkeypatch.setenv("JPY_SESSION_NAME", str(saved))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel(cwd=str(tmp_path)):
        for i in (2, 1, 0):
            client.execute_cell(nb.cells[i], i)
        nbformat.write(nb, saved)  # Jupyter's autosave
        client.execute_cell(nb.cells[3], 3)
    text = output(nb.cells[3])["text/plain"]
    assert text.startswith("a2: 16 / 16"), text
    # the check used the kernel's run (In[3]), grading takes the scratch cell below it: said, once
    assert ("Note: softmax is defined in 2 cells of a2.ipynb as last saved (cell [3] and cell [1]); the cells run "
            "from top to bottom, so grading it takes cell [1] (the last), not the kernel's last run of it, In[3], "
            "which this check used: the grade may differ from this check. Delete the versions") in text, text
    assert text.count("is defined in") == 1 and "was defined by" not in text, text
    out = io.StringIO()
    assert main(["check", str(saved)], out=out, err=io.StringIO()) == 1
    assert "Note: softmax is defined in 2 cells of a2.ipynb (cell [3] and cell [1]); the cells run from top to " \
           "bottom, so the last, cell [1], was graded; cell [3] was run after it in the notebook's kernel (its " \
           "number is higher): that kernel held cell [3]'s softmax, so what it showed may differ from this " \
           "grade." in out.getvalue()


def test_check_help_says_a_notebook_is_checked_with_the_modules_it_imports(capsys):
    assert main(["check", "--help"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "a notebook (with the modules beside it that it imports or %runs, as its kernel runs them)" in said


def test_helper_modules_are_never_read_through_a_link(tmp_path):
    # grader check alice/hw.ipynb, alice's zip unpacked with its links: a package folder linked to bob's, or
    # a link inside her own package, would hand in files that are not hers
    bob, alice = tmp_path / "bob", tmp_path / "alice"
    (bob / "utils").mkdir(parents=True)
    (bob / "utils" / "__init__.py").write_text("")
    (bob / "utils" / "utils.py").write_text(SOFTMAX)
    (bob / "q1_softmax.py").write_text(SOFTMAX)
    (alice / "mine").mkdir(parents=True)
    (alice / "mine" / "__init__.py").write_text("")
    (alice / "mine" / "theirs").symlink_to(bob / "utils")
    (alice / "utils").symlink_to(bob / "utils")
    (alice / "q1_softmax.py").symlink_to(bob / "q1_softmax.py")
    assert sorted(kernel.helper_files(alice, {"utils", "mine", "q1_softmax"})) == ["mine/__init__.py"]


def test_grader_check_of_a_notebook_in_a_canvas_download_hands_in_no_other_students_file(tmp_path):
    # the files beside a Canvas-named notebook are the class's (and the TA's): none is handed in with it
    nb = tmp_path / "alice_12_345_hw.ipynb"
    nb.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from bob_99_777_q1_softmax import softmax\nimport q3_sgd\nimport numpy as np")])))
    (tmp_path / "bob_99_777_q1_softmax.py").write_text(SOFTMAX)
    (tmp_path / "q3_sgd.py").write_text("x = 1\n")  # the TA's, beside the download
    from grader.load import load

    sub = kernel.with_helpers(nb, load(str(nb)))
    assert [f.path for f in sub.files] == [nb.name]


def test_the_a2_course_values_are_shown_under_the_cell_as_grader_check_prints_them(tmp_path):
    a2 = Path(__file__).parent / "submissions" / "versions" / "cs224n-a2"
    shutil.copytree(a2 / "utils", tmp_path / "utils")
    nb, _ = execute([(a2 / "word2vec.py").read_text(), "import grader\ngrader.check()"], tmp_path)
    shown = output(nb.cells[-1])
    text, html = shown["text/plain"], shown["text/html"]
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "word2vec.py").write_text((a2 / "word2vec.py").read_text())
    shutil.copytree(a2 / "utils", saved / "utils")
    out = io.StringIO()
    main(["check", str(saved), "--no-color"], out=out, err=io.StringIO())
    values = out.getvalue()[out.getvalue().index("CS224n assignment 2's own sanity values"):].strip()
    assert "skipgram('c', 3, [a, b, e, d, b, c]) with the naive softmax: loss 11.16610900153398: reproduced by your code" \
        in values
    assert text.endswith(values), text
    assert "<strong>CS224n assignment 2&#39;s own sanity values (2019-2023; its starter prints them), beside the " \
           "grader&#39;s verdicts:</strong>" in html, html
    assert "loss 10.810758628593335: reproduced by your code (skipgram_cost/course-a passed)</p>" in html


def test_a_cs224d_years_kernel_checked_under_the_problem_set_is_not_shown_a2s_values(tmp_path):
    d16 = Path(__file__).parent / "submissions" / "versions" / "cs224d-2016"
    for f in d16.glob("*.py"):
        shutil.copy(f, tmp_path / f.name)
    nb, _ = execute(["from q3_word2vec import *", "import grader\ngrader.check('skipgram_cost', rubric='problem-set')"],
                    tmp_path)
    shown = output(nb.cells[-1])
    assert "skipgram_cost" in shown["text/plain"], shown
    assert "sanity values" not in shown["text/plain"] and "sanity values" not in shown["text/html"]
