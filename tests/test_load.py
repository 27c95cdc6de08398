"""Tests for grader.load: files, notebooks, folders, zips and batches into Submissions."""

import gc
import hashlib
import inspect
import io
import os
import re
import tracemalloc
import zipfile

import nbformat
import pytest
from nbformat import v4

from grader import archive, notebook
from grader.errors import UsageError
from grader.load import load, load_batch
from grader.batch import batch_size
from grader.model import CanvasInfo, Cell, Settings, SourceFile, Submission

SOFTMAX = "import numpy as np\n\ndef softmax(x):\n    return np.exp(x) / np.sum(np.exp(x))\n"
PY2 = 'def softmax(x):\n    for i in xrange(3):\n        print "row", i\n    return x\n'


@pytest.fixture(autouse=True)
def no_ipython(monkeypatch):
    """Translate notebooks with the fallback, whatever is installed."""
    monkeypatch.setattr(notebook, "ipython_transformer", lambda: None)


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def notebook_bytes(*cells):
    nb = v4.new_notebook()
    for c in cells:
        if isinstance(c, tuple):
            nb.cells.append(v4.new_code_cell(c[0], execution_count=c[1]))
        elif c.startswith("# "):
            nb.cells.append(v4.new_markdown_cell(c))
        else:
            nb.cells.append(v4.new_code_cell(c))
    return nbformat.writes(nb).encode()


def digest(files):
    h = hashlib.sha256()
    for path in sorted(files):
        name, data = path.encode(), files[path]
        h.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def paths(sub):
    return [f.path for f in sub.files]


# --------------------------------------------------------------------------- one submission


def test_python_file(tmp_path):
    sub = load(write(tmp_path / "q1_softmax.py", SOFTMAX))
    assert sub == Submission(
        id="q1_softmax",
        source="q1_softmax.py",
        kind="module",
        files=(SourceFile(path="q1_softmax.py", text=SOFTMAX, origin="q1_softmax.py"),),
        digest=digest({"q1_softmax.py": SOFTMAX.encode()}),
    )


def test_path_that_does_not_exist_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope.py"
    with pytest.raises(UsageError, match=re.escape(
        f"{missing} does not exist; give a .py file, an .ipynb notebook, a folder or a .zip."
    ) + "$"):
        load(missing)


def test_notebook(tmp_path):
    data = notebook_bytes("# Softmax", ("%matplotlib inline\nimport numpy as np", 1), SOFTMAX[20:], ("!ls", 3))
    sub = load(write(tmp_path / "hw 1.ipynb", data))
    assert (sub.id, sub.source, sub.kind, sub.error, sub.notes) == ("hw_1", "hw 1.ipynb", "notebook", None, ())
    (f,) = sub.files
    assert (f.path, f.origin, f.translated) == ("hw 1.ipynb", "hw 1.ipynb", False)
    assert f.cells == (
        Cell(1, "cell [1]", "get_ipython().run_line_magic('matplotlib', 'inline')\nimport numpy as np\n",
             "%matplotlib inline\nimport numpy as np"),
        Cell(2, "cell #3", SOFTMAX[20:], SOFTMAX[20:]),
        Cell(3, "cell [3]", "get_ipython().system('ls')\n", "!ls"),
    )
    assert f.text == "\n".join(c.source for c in f.cells)
    assert sub.digest == digest({"hw 1.ipynb": data})


def test_notebook_definitions_mode(tmp_path):
    data = notebook_bytes(("import numpy as np\nprint(np.pi)", 1), "def f():\n    return 1\nf()")
    sub = load(write(tmp_path / "hw1.ipynb", data), Settings(notebook_mode="definitions"))
    assert [c.source for c in sub.files[0].cells] == [
        "import numpy as np\npass\n",
        "def f():\n    return 1\npass\n",
    ]
    assert [c.original for c in sub.files[0].cells] == ["import numpy as np\nprint(np.pi)", "def f():\n    return 1\nf()"]


def test_cell_that_does_not_parse_is_kept_as_it_is(tmp_path):
    sub = load(write(tmp_path / "hw1.ipynb", notebook_bytes(("def f(:\n    pass", 2))))
    assert sub.files[0].cells[0].source == "def f(:\n    pass\n"
    assert sub.error is None and sub.notes == ()


@pytest.mark.parametrize("too_large, says", [
    ("X = " + "+".join(["1"] * 300_000), "RecursionError: maximum recursion depth exceeded during compilation"),
    ("X = " + "(" * 300 + "1" + ")" * 300, "SyntaxError: too many nested parentheses (line 3)"),
])
def test_code_too_large_for_python_is_said_so_and_not_sent_to_the_python2_translator(tmp_path, monkeypatch,
                                                                                     too_large, says):
    # Python 3 refuses such a file for its size, not its grammar: it was taken for Python 2, the
    # translator failed on it as well, and the student read "this is most likely a bug in grader".
    from grader import transform

    def translator(*args, **kwargs):
        raise AssertionError("sent to the Python 2 translator")

    monkeypatch.setattr(transform, "python2", translator)
    monkeypatch.setattr(transform, "cell", translator)
    good = "def f():\n    return 1\n"
    (tmp_path / "batch").mkdir()
    write(tmp_path / "batch" / "alice.py", good + too_large + "\n")
    write(tmp_path / "batch" / "bob.py", good)
    write(tmp_path / "batch" / "carol.ipynb", notebook_bytes((good, 1), (too_large, 2)))
    alice, bob, carol = load_batch(tmp_path / "batch")
    assert (alice.error, alice.files[0].text) == (None, good + too_large + "\n")  # run as written: Python says why
    assert alice.notes == (f"alice.py is too large or too deeply nested for Python to read (Python itself says: "
                           f"{says}); it is not Python 2 code either, and was not translated. Write long expressions "
                           "as loops or numpy operations, and hand in only your code.",)
    assert (bob.error, bob.notes) == (None, ())  # the others cost nothing
    assert carol.error is None and [c.source.strip() for c in carol.files[0].cells] == [good.strip(), too_large]
    (note,) = carol.notes
    assert note.startswith("carol.ipynb, cell [2] is too large or too deeply nested for Python to read")
    assert "most likely a bug" not in note


def test_corrupt_notebook_is_an_error(tmp_path):
    sub = load(write(tmp_path / "hw1.ipynb", b'{"cells": [}'))
    assert sub.error == (
        "hw1.ipynb is not a readable notebook: it is not valid JSON (Expecting value at line 1, column 12); "
        "open it in Jupyter, save it again and hand it in again, or hand in your code as a .py file."
    )
    assert (sub.id, sub.kind, sub.files) == ("hw1", "notebook", ())


def test_notebook_without_code_is_an_error_that_says_it_has_no_code_cells(tmp_path):
    for cells in (("# only words", "   "), ()):
        sub = load(write(tmp_path / "hw1.ipynb", notebook_bytes(*cells)))
        assert sub.error == (
            "no Python code found in hw1.ipynb: it has no code cells (only Markdown cells, or no cells at all); "
            "write your code in code cells, save the notebook and hand it in again."
        )
        assert sub.notes == ()


def test_a_folder_whose_only_notebook_has_no_code_cells_names_it(tmp_path):
    write(tmp_path / "alice" / "hw1.ipynb", notebook_bytes("# only words"))
    assert load(tmp_path / "alice").error == (
        "no Python code found in alice: hw1.ipynb has no code cells (only Markdown cells, or no cells at all); "
        "write your code in code cells, save the notebook and hand it in again."
    )


def test_a_notebook_saved_as_py_is_graded_as_a_notebook_with_a_note(tmp_path):
    sub = load(write(tmp_path / "nb.py", notebook_bytes("# words", ("x = 1", 3))))
    assert sub.error is None
    (f,) = sub.files
    assert (f.path, [(c.label, c.source) for c in f.cells]) == ("nb.py", [("cell [3]", "x = 1\n")])
    assert sub.notes == ("nb.py is a Jupyter notebook (a notebook's JSON, not Python code): it was graded as one; "
                         "name it nb.ipynb.",)
    assert load(write(tmp_path / "d.py", '{"a": 1}\n')).files[0].cells is None  # a dict literal stays Python
    # the same notebook re-saved as UTF-16 (Windows Notepad's "Unicode"): still a notebook
    utf16 = load(write(tmp_path / "w.py", notebook_bytes("# words", ("x = 1", 3)).decode("utf-8").encode("utf-16")))
    assert utf16.error is None and [(c.label, c.source) for c in utf16.files[0].cells] == [("cell [3]", "x = 1\n")]
    assert utf16.notes[0].startswith("w.py is a Jupyter notebook")
    # ... and UTF-16 Python is still Python
    assert load(write(tmp_path / "p.py", "x = 1\n".encode("utf-16"))).files[0].cells is None


def test_other_file_is_an_error(tmp_path):
    sub = load(write(tmp_path / "report.pdf", b"%PDF"))
    assert sub.error == (
        "report.pdf holds no Python code: expected a .py file, an .ipynb notebook, a folder or a .zip; "
        "hand in one of those."
    )
    assert sub.id == "report"


def test_folder_keeps_relative_paths_and_strips_a_common_root(tmp_path):
    root = tmp_path / "alice"
    write(root / "assignment2" / "word2vec.py", "from utils.utils import softmax\n")
    write(root / "assignment2" / "utils" / "utils.py", SOFTMAX)
    write(root / "assignment2" / "utils" / "__init__.py", "")
    write(root / "assignment2" / "utils" / "datasets" / "data.txt", "the cat")
    write(root / "assignment2" / ".ipynb_checkpoints" / "word2vec-checkpoint.py", "old")
    write(root / "__MACOSX" / "assignment2" / "._word2vec.py", b"\x00\x05")
    write(root / "assignment2" / "__pycache__" / "word2vec.cpython-311.pyc", b"\x00")
    sub = load(root)
    assert (sub.id, sub.source, sub.kind, sub.error, sub.notes) == ("alice", "alice", "folder", None, ())
    assert paths(sub) == ["utils/__init__.py", "utils/utils.py", "word2vec.py"]
    assert [f.origin for f in sub.files] == [
        "assignment2/utils/__init__.py", "assignment2/utils/utils.py", "assignment2/word2vec.py",
    ]
    assert [f.module for f in sub.files] == ["utils", "utils.utils", "word2vec"]


def test_root_folder_imported_as_a_package_is_kept(tmp_path):
    write(tmp_path / "alice" / "hw" / "q1.py", "from hw.q2 import f\n")
    write(tmp_path / "alice" / "hw" / "q2.py", "def f(): pass\n")
    assert paths(load(tmp_path / "alice")) == ["hw/q1.py", "hw/q2.py"]


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "alice").mkdir()
    sub = load(tmp_path / "alice")
    assert sub.error == (
        "no Python code found in alice: looked for .py files and .ipynb notebooks, found nothing; "
        "hand in your .py files or your notebook."
    )


def test_folder_without_code_lists_what_it_found(tmp_path):
    for i in range(7):
        write(tmp_path / "alice" / f"f{i}.txt", "x")
    write(tmp_path / "alice" / "q1.pyc", b"\x00")
    sub = load(tmp_path / "alice")
    assert sub.error == (
        "no Python code found in alice: looked for .py files and .ipynb notebooks, found only other files "
        "(f0.txt, f1.txt, f2.txt, f3.txt, f4.txt and 3 more); hand in your .py files or your notebook."
    )
    assert sub.notes == ("q1.pyc was not graded: only .py and .ipynb files are; rename it if it is your code.",)


def test_code_handed_in_under_another_extension_gets_a_note(tmp_path):
    write(tmp_path / "alice" / "q1.py", SOFTMAX)
    write(tmp_path / "alice" / "q3_word2vec.py.txt", "x")
    write(tmp_path / "alice" / "writeup.pdf", "x")
    assert load(tmp_path / "alice").notes == (
        "q3_word2vec.py.txt was not graded: only .py and .ipynb files are; rename it if it is your code.",
    )


def test_symbolic_links_in_folders_are_not_followed(tmp_path):
    secret = write(tmp_path / "secret.py", "TOKEN = 1\n")
    write(tmp_path / "alice" / "q1.py", SOFTMAX)
    os.symlink(secret, tmp_path / "alice" / "q2.py")
    os.symlink(tmp_path, tmp_path / "alice" / "everything")
    sub = load(tmp_path / "alice")
    assert paths(sub) == ["q1.py"]
    assert sub.notes == ("alice/q2.py is a symbolic link; it was not followed.",)


def test_corrupt_notebook_next_to_good_code_is_a_note(tmp_path):
    write(tmp_path / "alice" / "q1.py", SOFTMAX)
    write(tmp_path / "alice" / "hw1.ipynb", "[]")
    sub = load(tmp_path / "alice")
    assert sub.error is None and paths(sub) == ["q1.py"]
    assert sub.notes == (
        "hw1.ipynb is not a Jupyter notebook: expected a JSON object with a 'cells' list, found a JSON array; "
        "hand in the .ipynb file that Jupyter saved, or your code as a .py file. "
        "It was skipped; the other files were graded.",
    )


def test_zip_with_nested_zip_is_read_in_place(tmp_path):
    inner = zip_bytes({"utils/utils.py": SOFTMAX})
    outer = zip_bytes({"hw/word2vec.py": "x = 1\n", "hw/utils.zip": inner, "hw/data/big.bin": b"\x00" * 10})
    sub = load(write(tmp_path / "alice.zip", outer))
    assert (sub.id, sub.kind, sub.error) == ("alice", "zip", None)
    assert paths(sub) == ["utils/utils/utils.py", "word2vec.py"]
    assert [f.origin for f in sub.files] == ["hw/utils.zip:utils/utils.py", "hw/word2vec.py"]


def test_zip_of_a_zip_is_unwrapped(tmp_path):
    outer = zip_bytes({"submission.zip": zip_bytes({"q1.py": SOFTMAX, "q3.py": "x = 1\n"})})
    sub = load(write(tmp_path / "alice.zip", outer))
    assert paths(sub) == ["q1.py", "q3.py"]


def test_zip_inside_a_folder_is_read_in_place(tmp_path):
    write(tmp_path / "alice" / "hw1.zip", zip_bytes({"q1.py": SOFTMAX, "notes.txt": "x"}))
    sub = load(tmp_path / "alice")
    assert [(f.path, f.origin) for f in sub.files] == [("q1.py", "hw1.zip:q1.py")]


def test_same_code_has_the_same_digest_in_a_folder_and_a_zip(tmp_path):
    write(tmp_path / "alice" / "sub" / "q1.py", SOFTMAX)
    zipped = load(write(tmp_path / "alice.zip", zip_bytes({"q1.py": SOFTMAX})))
    assert load(tmp_path / "alice").digest == zipped.digest == digest({"q1.py": SOFTMAX.encode()})
    other = load(write(tmp_path / "bob.zip", zip_bytes({"q1.py": SOFTMAX + "\n"})))
    assert other.digest != zipped.digest


def test_zips_nested_too_deep_are_refused(tmp_path):
    data = zip_bytes({"q1.py": SOFTMAX})
    for name in ("c.zip", "b.zip", "a.zip"):
        data = zip_bytes({name: data})
    sub = load(write(tmp_path / "alice.zip", data))
    assert sub.error == (
        "alice.zip:a.zip:b.zip:c.zip was refused: zips inside zips are read 3 levels deep at most; "
        "hand in one zip of your code."
    )


def test_corrupt_zip_is_an_error(tmp_path):
    sub = load(write(tmp_path / "alice.zip", b"PK\x03\x04 not really"))
    assert sub.error == (
        "alice.zip could not be read as a zip archive (File is not a zip file); "
        "re-create it with a zip tool and hand it in again."
    )
    assert (sub.id, sub.kind) == ("alice", "zip")


def test_zip_with_traversal_is_an_error(tmp_path):
    sub = load(write(tmp_path / "alice.zip", zip_bytes({"q1.py": SOFTMAX, "../../evil.py": "x"})))
    assert sub.error == (
        "alice.zip was refused: the member '../../evil.py' points outside the archive (an absolute path or '..'); "
        "re-create the zip from inside your assignment folder."
    )


def test_zip_holding_a_file_and_a_folder_of_one_name_keeps_the_first(tmp_path):
    # no folder can hold a.py and a.py/b.py; a zip can, and the student's process could not write both:
    # every check of that submission was an error (the process exited with status 70)
    sub = load(write(tmp_path / "alice.zip", zip_bytes({"q1.py": SOFTMAX, "q1.py/evil.py": "x = 1\n"})))
    assert sub.error is None
    assert [f.path for f in sub.files] == ["q1.py"]
    assert "q1.py/evil.py was not graded: q1.py has its path as a file or a folder (q1.py); one path cannot be both." \
        in sub.notes, sub.notes
    sub = load(write(tmp_path / "bob.zip", zip_bytes({"q1.py/evil.py": "x = 1\n", "q1.py": SOFTMAX})))
    assert len(sub.files) == 1 and [n for n in sub.notes if "one path cannot be both" in n], sub.notes


def test_zip_bomb_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_BYTES", 4096)
    sub = load(write(tmp_path / "alice.zip", zip_bytes({"q1.py": "#" * 100_000})))
    assert sub.error == (
        "alice.zip was refused: its code files hold more than 4 KiB (counted as read, after decompression); "
        "hand in only your .py and .ipynb files, without large outputs."
    )


def test_a_huge_file_in_a_class_zip_is_refused_by_its_own_name_not_the_zips(tmp_path, monkeypatch):
    # one student's large notebook in a Canvas download: "bz1.zip was refused", as if the whole class's zip were
    from grader.load import load_batch

    monkeypatch.setattr(archive, "MAX_BYTES", 4096)
    batch = write(tmp_path / "class.zip", zip_bytes({"alice_1_11_q1.py": "#" * 5000, "bob_2_22_q1.py": SOFTMAX}))
    subs = {s.id: s for s in load_batch(batch)}
    assert subs["1"].error.startswith("class.zip:alice_1_11_q1.py was refused: its code files hold more than 4 KiB")
    assert subs["2"].error is None


def test_huge_file_on_disk_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_BYTES", 4096)
    sub = load(write(tmp_path / "q1.py", "#" * 5000))
    assert sub.error == (
        "q1.py was refused: its code files hold more than 4 KiB (counted as read, after decompression); "
        "hand in only your .py and .ipynb files, without large outputs."
    )


def test_empty_zip_is_an_error(tmp_path):
    sub = load(write(tmp_path / "alice.zip", zip_bytes({})))
    assert sub.error == (
        "no Python code found in alice.zip: looked for .py files and .ipynb notebooks, found nothing; "
        "hand in your .py files or your notebook."
    )


# --------------------------------------------------------------------------- encodings


def test_encodings(tmp_path):
    write(tmp_path / "a" / "bom.py", "\ufeffx = 'é'\r\n".encode("utf-8"))
    write(tmp_path / "a" / "latin.py", "# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1"))
    write(tmp_path / "a" / "windows.py", "x = '’'\n".encode("cp1252"))
    sub = load(tmp_path / "a")
    assert [f.text for f in sub.files] == [
        "x = 'é'\n",
        "# -*- coding: latin-1 -*-\nx = 'é'\n",
        "x = '’'\n",
    ]
    assert sub.notes == ("windows.py is not UTF-8 text; it was read as Windows-1252 (cp1252).",)


# --------------------------------------------------------------------------- Python 2


def test_python2_file_is_translated_with_a_note(tmp_path):
    sub = load(write(tmp_path / "q1_softmax.py", PY2))
    (f,) = sub.files
    assert f.translated
    assert f.text == 'def softmax(x):\n    for i in range(3):\n        print("row", i)\n    return x\n'
    assert f.translation_diff.startswith("--- q1_softmax.py (as handed in)\n+++ q1_softmax.py (translated to Python 3)\n")
    assert sub.notes == (
        "q1_softmax.py was Python 2 code; it was translated to Python 3 (xrange, print statements) before grading.",
    )
    assert sub.digest == digest({"q1_softmax.py": PY2.encode()})  # of what was handed in


def test_python2_integer_division_used_as_an_index_gets_a_note(tmp_path):
    sub = load(write(tmp_path / "q3.py", 'print "x"\nh = x[: n / 2]\ny = x / 2\nr = range(n / 2)\n'))
    assert sub.files[0].text == 'print("x")\nh = x[: n / 2]\ny = x / 2\nr = list(range(n / 2))\n'
    assert sub.notes[1] == (
        "q3.py: the `/` on lines 2, 4 is used as an index or a size; Python 2 divided integers rounding down "
        "(7 / 2 == 3), Python 3 does not (7 / 2 == 3.5). While grading, `/` in this translated file kept its "
        "Python 2 meaning; in Python 3, write `//` where you mean integer division."
    )


def test_python2_integer_literals_divided_to_zero_get_a_note(tmp_path):
    # `cost += 1/2 * reg * ...` is 0 in Python 2 (and while graded): nothing said why the cost lost its term
    sub = load(write(tmp_path / "q3.py", 'print "x"\ncost = 1/2 * reg * w\nhalf = 1.0/2\nk = 3/2\n'))
    assert sub.notes[1] == (
        "q3.py: `1/2` on line 2 is 0 in Python 2, which divided integers rounding down, and kept that meaning while "
        "grading (your code divides as Python 2 ran it); write 0.5, or 1.0 / 2, where you mean a fraction.")
    sub = load(write(tmp_path / "q4.py", 'from __future__ import division\nprint "x"\ncost = 1/2 * reg * w\n'))
    assert not [n for n in sub.notes if "is 0 in Python 2" in n]


def test_python2_that_imports_division_from_future_keeps_the_import_and_gets_no_division_note(tmp_path):
    sub = load(write(tmp_path / "q3.py", 'from __future__ import division\nprint "x"\nr = range(n / 2)\n'))
    assert sub.files[0].text == 'from __future__ import division\nprint("x")\nr = list(range(n / 2))\n'
    assert sub.notes == (
        "q3.py was Python 2 code; it was translated to Python 3 (print statements, xrange) before grading.",)


def test_python2_notebook_cells_after_a_division_import_from_future_get_no_division_note(tmp_path):
    data = notebook_bytes(('print "a"\nr = range(n / 2)', 1), ("from __future__ import division", 2),
                          ('print "b"\nr = range(n / 2)', 3))
    sub = load(write(tmp_path / "nb.ipynb", data))
    assert [n for n in sub.notes if "index or a size" in n] == [
        "nb.ipynb, cell [1]: the `/` on line 2 is used as an index or a size; Python 2 divided integers rounding "
        "down (7 / 2 == 3), Python 3 does not (7 / 2 == 3.5). While grading, `/` in this translated file kept its "
        "Python 2 meaning; in Python 3, write `//` where you mean integer division."]


def test_nbformat_3_notebook_saved_by_ipython_2_loads_as_its_nbformat_4_twin_written_answers_included(tmp_path):
    import json

    code, answer = "def f(x):\n    return x\n", "## grad_pred\n\n$$-w_i$$\n"
    lines = lambda text: text.splitlines(keepends=True)  # noqa: E731
    old = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"metadata": {}, "cells": [
        {"cell_type": "heading", "level": 1, "source": ["PS1"], "metadata": {}},
        {"cell_type": "markdown", "source": lines(answer), "metadata": {}},
        {"cell_type": "code", "language": "python", "input": lines(code), "outputs": [], "metadata": {},
         "prompt_number": 1}]}]})
    a = load(write(tmp_path / "v3" / "PS1.ipynb", old))
    b = load(write(tmp_path / "v4" / "PS1.ipynb", notebook_bytes("# PS1", "# placeholder", (code, 1))
                   .replace(b"# placeholder", json.dumps(answer)[1:-1].encode())))
    assert a.files == b.files and a.texts == b.texts and a.notes == b.notes
    assert "$$-w_i$$" in a.texts[0].text


def test_python2_is_only_named_when_translation_is_off(tmp_path):
    sub = load(write(tmp_path / "q1_softmax.py", PY2), Settings(translate_py2=False))
    assert sub.files == (SourceFile(path="q1_softmax.py", text=PY2, origin="q1_softmax.py"),)
    assert sub.notes == (
        "q1_softmax.py is Python 2 code (line 2: xrange); it was not translated because the rubric sets "
        "translate_py2 = false, so Python 3 cannot run it.",
    )


def test_python2_notebook_cells_are_translated(tmp_path):
    data = notebook_bytes(("import numpy as np", 1), ('print "hi"', 2), "x = 1", ("for i in xrange(2): print i", 4))
    sub = load(write(tmp_path / "hw1.ipynb", data))
    (f,) = sub.files
    assert [c.source for c in f.cells] == ["import numpy as np\n", 'print("hi")\n', "x = 1\n", "for i in range(2): print(i)\n"]
    assert f.translated
    assert "--- hw1.ipynb, cell [2] (as handed in)\n" in f.translation_diff
    assert "--- hw1.ipynb, cell [4] (as handed in)\n" in f.translation_diff
    assert sub.notes == (
        "hw1.ipynb (cell [2], cell [4]) was Python 2 code; it was translated to Python 3 "
        "(print statements, xrange) before grading.",
    )


def test_python2_notebook_untranslated_names_the_cell(tmp_path):
    data = notebook_bytes(("x = 1", 1), ("y = 2\nprint 'hi'", 2))
    sub = load(write(tmp_path / "hw1.ipynb", data), Settings(translate_py2=False))
    assert sub.files[0].cells[1].source == "y = 2\nprint 'hi'\n"
    assert sub.notes == (
        "hw1.ipynb, cell [2] is Python 2 code (line 2: print statement); it was not translated because the rubric "
        "sets translate_py2 = false, so Python 3 cannot run it.",
    )


# --------------------------------------------------------------------------- batches


def test_batch_folder(tmp_path):
    batch = tmp_path / "subs"
    write(batch / "alice.py", SOFTMAX)
    write(batch / "alice.zip", zip_bytes({"alice/q1.py": SOFTMAX}))
    write(batch / "bob" / "hw" / "q1.py", SOFTMAX)
    write(batch / "carol.ipynb", notebook_bytes(("x = 1", 1)))
    write(batch / "dave.zip", b"garbage")
    write(batch / "erin.pdf", b"%PDF")
    write(batch / ".DS_Store", b"\x00")
    write(batch / "__MACOSX" / "._alice.py", b"\x00")
    write(batch / "Thumbs.db", b"\x00")
    subs = list(load_batch(batch))
    assert [(s.id, s.source, s.kind, paths(s)) for s in subs] == [
        ("alice", "subs/alice.py", "module", ["alice.py"]),
        ("alice-2", "subs/alice.zip", "zip", ["q1.py"]),
        ("bob", "subs/bob", "folder", ["q1.py"]),
        ("carol", "subs/carol.ipynb", "notebook", ["carol.ipynb"]),
        ("dave", "subs/dave.zip", "zip", []),
        ("erin", "subs/erin.pdf", "file", []),
    ]
    assert [s.error is None for s in subs] == [True, True, True, True, False, False]
    assert subs[4].error == (
        "dave.zip could not be read as a zip archive (File is not a zip file); "
        "re-create it with a zip tool and hand it in again."
    )


def test_batch_is_streamed_one_submission_at_a_time(tmp_path):
    batch = tmp_path / "subs"
    write(batch / "alice.py", "x = 1\n")
    write(batch / "bob.py", "x = 2\n")
    subs = load_batch(batch)
    assert inspect.isgenerator(subs)
    assert next(subs).files[0].text == "x = 1\n"
    write(batch / "bob.py", "x = 3\n")  # read only when its turn comes
    assert next(subs).files[0].text == "x = 3\n"
    assert next(subs, None) is None


def test_batch_zip_with_one_top_folder(tmp_path):
    data = zip_bytes({
        "submissions/alice.py": SOFTMAX,
        "submissions/bob/q1.py": SOFTMAX,
        "submissions/bob/q3.py": "from q1 import softmax\n",
        "submissions/carol.zip": zip_bytes({"q1.py": SOFTMAX}),
        "__MACOSX/submissions/._alice.py": b"\x00",
    })
    subs = list(load_batch(write(tmp_path / "batch.zip", data)))
    assert [(s.id, s.source, s.kind, paths(s), s.error) for s in subs] == [
        ("alice", "batch.zip:alice.py", "module", ["alice.py"], None),
        ("bob", "batch.zip:bob", "folder", ["q1.py", "q3.py"], None),
        ("carol", "batch.zip:carol.zip", "zip", ["q1.py"], None),
    ]


def test_bad_entry_in_a_batch_zip_does_not_stop_the_batch(tmp_path):
    data = zip_bytes({
        "alice.zip": zip_bytes({"../evil.py": "x"}),
        "bob.py": SOFTMAX,
        "carol.ipynb": "not json",
    })
    subs = list(load_batch(write(tmp_path / "batch.zip", data)))
    assert [s.id for s in subs] == ["alice", "bob", "carol"]
    assert subs[0].error == (
        "batch.zip:alice.zip was refused: the member '../evil.py' points outside the archive "
        "(an absolute path or '..'); re-create the zip from inside your assignment folder."
    )
    assert subs[1].error is None
    assert subs[2].error.startswith("carol.ipynb is not a readable notebook")


def test_a_batch_zip_member_named_outside_it_costs_its_own_entry_only(tmp_path):
    # The whole batch was refused, with a message for a student ("re-create the zip from inside
    # your assignment folder"): one hostile or broken member cost every student their grade.
    with zipfile.ZipFile(tmp_path / "batch.zip", "w") as z:
        z.writestr("alice.py", SOFTMAX)
        z.writestr("../evil.py", "x")
        z.writestr("carol/q1.py", SOFTMAX)
        z.writestr("carol/../../x.py", "x")
        link = zipfile.ZipInfo("dave/q1.py")
        link.external_attr = 0o120777 << 16
        z.writestr(link, "../../reference/word2vec.py")
        z.writestr("dave/q3.py", SOFTMAX)
    subs = {s.source: s for s in load_batch(tmp_path / "batch.zip")}
    assert sorted(subs) == ["batch.zip:../evil.py", "batch.zip:alice.py", "batch.zip:carol", "batch.zip:dave"]
    assert subs["batch.zip:alice.py"].error is None
    assert subs["batch.zip:../evil.py"].error == (
        "batch.zip: its member '../evil.py' points outside the archive (an absolute path or '..'), so it was not "
        "graded (the batch's other submissions were); extract the batch, give that file a plain name inside its "
        "student's entry (or delete it), and zip the batch again.")
    assert subs["batch.zip:carol"].error == (
        "batch.zip: its member 'carol/../../x.py' points outside the archive (an absolute path or '..'), so this "
        "submission was not graded (the batch's other submissions were); extract the batch, give that file a plain "
        "name inside its student's entry (or delete it), and zip the batch again.")
    assert subs["batch.zip:dave"].error.startswith("batch.zip: its member 'dave/q1.py' is a symbolic link, so this "
                                                   "submission was not graded")
    assert not any(f.text == "x" for s in subs.values() for f in s.files)  # nothing of them was read


def test_corrupt_batch_zip_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=re.escape(
        "batch.zip could not be read as a zip archive (File is not a zip file); "
        "re-create it with a zip tool and hand it in again."
    )):
        list(load_batch(write(tmp_path / "batch.zip", b"nope")))


def test_batch_of_something_else_is_a_usage_error(tmp_path):
    path = write(tmp_path / "grades.csv", "a,b")
    with pytest.raises(UsageError, match=re.escape(f"{path} is not a folder or a .zip of submissions.") + "$"):
        list(load_batch(path))
    with pytest.raises(UsageError, match=re.escape(
        f"{tmp_path / 'nope'} does not exist; give a folder or a .zip of submissions."
    ) + "$"):
        list(load_batch(tmp_path / "nope"))


def test_single_file_is_a_batch_of_one(tmp_path):
    (sub,) = load_batch(write(tmp_path / "q1.py", SOFTMAX))
    assert (sub.id, sub.kind) == ("q1", "module")


def test_ids_are_unique_and_safe(tmp_path):
    batch = tmp_path / "subs"
    write(batch / "Zoë Smith.py", "x = 1\n")
    write(batch / "zoe_smith.py", "x = 1\n")
    write(batch / "<b>.py", "x = 1\n")
    write(batch / "CON.py", "x = 1\n")
    subs = list(load_batch(batch))
    assert sorted((s.id, s.source) for s in subs) == [
        ("CON_", "subs/CON.py"),
        ("Zoe_Smith-2", "subs/Zoë Smith.py"),  # a name that is already an id keeps it: zoe_smith.py's
        ("_b_", "subs/<b>.py"),
        ("zoe_smith", "subs/zoe_smith.py"),
    ]


# --------------------------------------------------------------------------- Canvas


def canvas_zip(tmp_path):
    return write(tmp_path / "submissions.zip", zip_bytes({
        "smithjohn_123_456_q1_softmax.py": "def softmax(x): return x\n",
        "smithjohn_123_457_q1_softmax-1.py": SOFTMAX,
        "smithjohn_LATE_123_458_q3_word2vec.py": "from q1_softmax import softmax\n",
        "doejane_77_900_hw1.ipynb": notebook_bytes(("x = 1", 1)),
        "doejane_77_901_writeup.pdf": b"%PDF",
        "leeann_5_6_a2.zip": zip_bytes({"a2/word2vec.py": "x = 1\n", "a2/utils/utils.py": SOFTMAX}),
        "stray.py": "x = 1\n",
    }))


def test_canvas_download_is_grouped_by_user_id(tmp_path):
    subs = {s.id: s for s in load_batch(canvas_zip(tmp_path))}
    assert sorted(subs) == ["123", "5", "77", "stray"]
    john = subs["123"]
    assert (john.kind, john.late, john.canvas, john.error) == ("canvas", True, CanvasInfo("smithjohn", "123", "458"), None)
    assert [(f.path, f.origin, f.text) for f in john.files] == [
        ("q1_softmax.py", "q1_softmax.py", SOFTMAX),
        ("q3_word2vec.py", "q3_word2vec.py", "from q1_softmax import softmax\n"),
    ]
    assert john.notes == (
        "q1_softmax.py was handed in 2 times; graded the newest, smithjohn_123_457_q1_softmax-1.py "
        "(Canvas file id 457, the highest), not smithjohn_123_456_q1_softmax.py.",
    )
    assert john.source == (
        "submissions.zip:smithjohn_123_456_q1_softmax.py, smithjohn_123_457_q1_softmax-1.py, "
        "smithjohn_LATE_123_458_q3_word2vec.py"
    )
    jane = subs["77"]
    assert (jane.late, jane.canvas, paths(jane), jane.notes) == (
        False, CanvasInfo("doejane", "77", "901"), ["hw1.ipynb"], (),
    )
    lee = subs["5"]
    assert [(f.path, f.origin) for f in lee.files] == [
        ("utils/utils.py", "a2.zip:a2/utils/utils.py"),
        ("word2vec.py", "a2.zip:a2/word2vec.py"),
    ]
    assert (subs["stray"].kind, subs["stray"].canvas, subs["stray"].source) == ("module", None, "submissions.zip:stray.py")


def test_canvas_names_with_marks_and_anonymous_downloads_are_grouped_per_student(tmp_path):
    # A Devanagari name holds combining marks (Canvas keeps them); an anonymously graded
    # assignment's download names each file [LATE_]anon_<id>_<file id>_<name>. Each student's
    # files are one submission, not one per file.
    subs = {s.id: s for s in load_batch(write(tmp_path / "b.zip", zip_bytes({
        "शर्माप्रिया_1001_5001_q1_softmax.py": SOFTMAX,
        "शर्माप्रिया_1001_5002_q3_word2vec.py": "x = 1\n",
        "anon_Xy3Kp_5003_q1_softmax.py": SOFTMAX,
        "LATE_anon_Xy3Kp_5004_q3_word2vec.py": "x = 1\n",
        "anon_Ab4Cd_5005_q1_softmax.py": SOFTMAX,
    })))}
    assert {i: paths(s) for i, s in subs.items()} == {
        "1001": ["q1_softmax.py", "q3_word2vec.py"],
        "anon_Xy3Kp": ["q1_softmax.py", "q3_word2vec.py"],
        "anon_Ab4Cd": ["q1_softmax.py"],
    }
    assert subs["1001"].canvas == CanvasInfo("शर्माप्रिया", "1001", "5002")
    # an anonymous id is not a Canvas user id: nothing for a gradebook import to place, but the
    # anonymous id Canvas's API takes for an anonymous submission
    assert (subs["anon_Xy3Kp"].late, subs["anon_Xy3Kp"].canvas) == (True, CanvasInfo("", "", "5004", "Xy3Kp"))
    assert (subs["anon_Ab4Cd"].late, subs["anon_Ab4Cd"].canvas) == (False, CanvasInfo("", "", "5005", "Ab4Cd"))


def test_canvas_names_holding_underscores_are_grouped_per_student(tmp_path):
    # Canvas keeps "_" in a sortable name ("de_la Cruz, Ana" is de_la_cruzana); a name of symbols only is empty
    subs = {s.id: s for s in load_batch(write(tmp_path / "b.zip", zip_bytes({
        "de_la_cruzana_1001_5001_q1_softmax.py": SOFTMAX,
        "de_la_cruzana_LATE_1001_5002_q3_word2vec.py": "x = 1\n",
        "o_neil_mary_1002_5003_q1_softmax.py": SOFTMAX,
        "_1003_5004_q1_softmax.py": SOFTMAX,
    })))}
    assert {i: paths(s) for i, s in subs.items()} == {
        "1001": ["q1_softmax.py", "q3_word2vec.py"],
        "1002": ["q1_softmax.py"],
        "1003": ["q1_softmax.py"],
    }
    assert (subs["1001"].canvas, subs["1001"].late) == (CanvasInfo("de_la_cruzana", "1001", "5002"), True)
    assert subs["1002"].canvas == CanvasInfo("o_neil_mary", "1002", "5003")


def test_canvas_text_entries_and_links_are_the_students_not_code(tmp_path):
    # Canvas writes a page for a text entry (<name>_<userid>_text.html) and a URL (..._link.html), with no file id
    subs = {s.id: s for s in load_batch(write(tmp_path / "b.zip", zip_bytes({
        "de_la_cruzana_1001_text.html": "<p>def softmax(x): return x</p>",
        "smithjohn_LATE_1002_link.html": "<meta http-equiv=refresh content='0; url=https://example.org/'>",
        "LATE_anon_Xy3Kp_text.html": "<p>x</p>",
        "doejane_1003_5001_q1_softmax.py": SOFTMAX,
        "doejane_1003_text.html": "<p>see my file</p>",
    })))}
    assert sorted(subs) == ["1001", "1002", "1003", "anon_Xy3Kp"]
    ana = subs["1001"]
    assert (ana.kind, ana.files, ana.canvas) == ("canvas", (), CanvasInfo("de_la_cruzana", "1001", ""))
    assert ana.error == (
        "no Python code to grade: de_la_cruzana_1001_text.html is a text entry typed on Canvas, not a file, "
        "and the grader reads only files (it does not follow links or run code typed into a page). "
        "Hand in your .py files or your .ipynb notebook as a file upload.")
    assert subs["1002"].late and "smithjohn_LATE_1002_link.html is a website URL handed in on Canvas" in subs["1002"].error
    assert subs["anon_Xy3Kp"].error.startswith("no Python code to grade: LATE_anon_Xy3Kp_text.html is a text entry")
    jane = subs["1003"]
    assert (paths(jane), jane.error) == (["q1_softmax.py"], None)
    assert jane.notes == ("doejane_1003_text.html (a text entry typed on Canvas) was not graded: "
                          "only the files you uploaded are.",)



def test_a_canvas_text_entry_unchanged_is_not_graded_again(tmp_path):
    # it has a digest, as an unreadable file has: a rerun passes over it while the page is the same
    def digest(page):
        (sub,) = load_batch(write(tmp_path / "b.zip", zip_bytes({"smithjohn_1002_text.html": page})))
        return sub.digest

    assert digest("<p>a</p>") == digest("<p>a</p>") != ""
    assert digest("<p>b</p>") != digest("<p>a</p>")


def test_canvas_grades_the_file_canvas_received_last(tmp_path):
    # the highest file id is the newest upload: q1_softmax.py was deleted and handed in again,
    # after a q1_softmax-1.py that now is older
    (sub,) = load_batch(write(tmp_path / "b.zip", zip_bytes({
        "smithjohn_1_4000_q1_softmax-1.py": "old = 1\n",
        "smithjohn_1_5003_q1_softmax.py": "new = 1\n",
    })))
    assert [(f.path, f.text) for f in sub.files] == [("q1_softmax.py", "new = 1\n")]
    assert sub.canvas == CanvasInfo("smithjohn", "1", "5003")
    assert sub.notes == ("q1_softmax.py was handed in 2 times; graded the newest, smithjohn_1_5003_q1_softmax.py "
                         "(Canvas file id 5003, the highest), not smithjohn_1_4000_q1_softmax-1.py.",)


def test_a_file_name_canvas_shortened_is_said(tmp_path):
    cut = ("smithjohn_1_2_q3_word2vec_" + "x" * 200)[:175 - len("....py")] + "....py"
    (sub,) = load_batch(write(tmp_path / "b.zip", zip_bytes({cut: "x = 1\n", "smithjohn_1_3_q1_softmax.py": SOFTMAX})))
    original = cut[len("smithjohn_1_2_"):]
    assert paths(sub) == sorted(["q1_softmax.py", original])
    assert sub.notes == (f"Canvas shortened the name of {cut} (a name longer than 180 characters is cut to 175): "
                         f"it was graded as {original}, a name your other files cannot import; "
                         "hand it in under a shorter name.",)


def test_a_package_handed_in_flat_is_graded_in_its_folder(tmp_path):
    # Canvas keeps files, not folders: a2's utils/utils.py and utils/gradcheck.py arrive as utils.py
    # and gradcheck.py beside word2vec.py, which imports utils.utils and utils.gradcheck.
    word2vec = "from utils.gradcheck import gradcheck_naive\nfrom utils.utils import softmax\nx = 1\n"
    subs = {s.id: s for s in load_batch(write(tmp_path / "b.zip", zip_bytes({
        "smithjohn_1001_5001_word2vec.py": word2vec,
        "smithjohn_1001_5002_utils.py": SOFTMAX,
        "smithjohn_1001_5003_gradcheck.py": "def gradcheck_naive(f, x): pass\n",
        "smithjohn_1001_5004_sgd.py": "import utils\n",
        # a utils.py of one's own, imported as a module: left where it is
        "doejane_1002_5005_word2vec.py": "from utils import softmax\nimport helpers.extra\n",
        "doejane_1002_5006_utils.py": SOFTMAX,
    })))}
    john = subs["1001"]
    assert [(f.path, f.origin) for f in john.files] == [
        ("sgd.py", "sgd.py"),
        ("utils/gradcheck.py", "gradcheck.py"),
        ("utils/utils.py", "utils.py"),
        ("word2vec.py", "word2vec.py"),
    ]
    assert ("utils.py was graded as utils/utils.py: your code imports utils.utils, and the folder utils/ was not "
            "handed in (an upload keeps files, not folders).") in john.notes
    assert any(n.startswith("gradcheck.py was graded as utils/gradcheck.py") for n in john.notes)
    jane = subs["1002"]
    assert paths(jane) == ["utils.py", "word2vec.py"] and not any("was graded as" in n for n in jane.notes)
    # a folder that has utils/ already is left as it is
    folder = tmp_path / "alice"
    write(folder / "word2vec.py", word2vec)
    write(folder / "utils.py", SOFTMAX)
    write(folder / "utils" / "gradcheck.py", "def gradcheck_naive(f, x): pass\n")
    assert paths(load(folder)) == ["utils.py", "utils/gradcheck.py", "word2vec.py"]


def test_canvas_file_and_zip_with_the_same_name_keep_the_first(tmp_path):
    data = zip_bytes({
        "smithjohn_1_2_a2.zip": zip_bytes({"q1_softmax.py": "from_zip = 1\n"}),
        "smithjohn_1_3_q1_softmax.py": "loose = 1\n",
    })
    (sub,) = load_batch(write(tmp_path / "b.zip", data))
    assert [(f.path, f.text) for f in sub.files] == [("q1_softmax.py", "from_zip = 1\n")]
    assert sub.notes == ("q1_softmax.py was not graded: a2.zip:q1_softmax.py has the same path (q1_softmax.py).",)


def test_canvas_folder_is_grouped_too(tmp_path):
    batch = tmp_path / "subs"
    write(batch / "smithjohn_123_456_q1_softmax.py", SOFTMAX)
    write(batch / "smithjohn_123_457_q3_word2vec.py", "x = 1\n")
    write(batch / "doejane_77_900_q1_softmax.py", SOFTMAX)
    subs = list(load_batch(batch))
    assert [(s.id, paths(s)) for s in subs] == [
        ("123", ["q1_softmax.py", "q3_word2vec.py"]),
        ("77", ["q1_softmax.py"]),
    ]


def test_a_canvas_students_zip_unpacked_where_it_lay_is_theirs(tmp_path):
    # unpacking the download, then each student's zip beside it, makes doejane_77_901_a2/
    batch = tmp_path / "subs"
    write(batch / "doejane_77_901_a2" / "a2" / "word2vec.py", "x = 1\n")
    write(batch / "doejane_77_901_a2" / "a2" / "q1_softmax.py", SOFTMAX)
    write(batch / "doejane_77_900_writeup.pdf", b"%PDF")
    write(batch / "smithjohn_123_456_q1_softmax.py", SOFTMAX)
    (batch / "alice").mkdir()
    write(batch / "alice" / "q1_softmax.py", SOFTMAX)  # a folder not named so: its own submission
    subs = {s.id: s for s in load_batch(batch)}
    assert sorted(subs) == ["123", "77", "alice"]
    jane = subs["77"]
    assert (jane.kind, jane.canvas, jane.error) == ("canvas", CanvasInfo("doejane", "77", "901"), None)
    assert [(f.path, f.origin) for f in jane.files] == [
        ("q1_softmax.py", "a2:a2/q1_softmax.py"), ("word2vec.py", "a2:a2/word2vec.py")]
    assert batch_size(batch) == 3  # the progress bar's count, from the names alone


def test_a_folder_named_for_another_student_out_of_a_students_zip_is_not_theirs(tmp_path):
    # alice's zip holds one folder named as Canvas names bob's files, with a file id above bob's: unpacked
    # where it lay (Archive Utility keeps its one folder's name), it was graded as bob's newest upload
    batch = tmp_path / "subs"
    write(batch / "alice_12_345_hw.zip", b"PK\x05\x06" + b"\0" * 18)
    write(batch / "bob_99_999999_hw" / "q1_softmax.py", "def softmax(x):\n    return x\n")
    write(batch / "bob_99_777_q1_softmax.py", SOFTMAX)
    # beside its own zip, or for a student with no graded file, a Canvas-named folder is still theirs
    write(batch / "doejane_77_901_a2" / "q1_softmax.py", SOFTMAX)
    write(batch / "doejane_77_901_a2.zip", b"PK\x05\x06" + b"\0" * 18)
    write(batch / "doejane_77_902_notes.txt", "hi")
    write(batch / "roe_55_903_a2" / "q1_softmax.py", SOFTMAX)
    write(batch / "roe_55_900_writeup.pdf", b"%PDF")
    subs = {s.id: s for s in load_batch(batch)}
    assert sorted(subs) == ["12", "55", "77", "99", "bob_99_999999_hw"]
    assert [(f.path, f.text) for f in subs["99"].files] == [("q1_softmax.py", SOFTMAX)]
    assert subs["bob_99_999999_hw"].canvas is None
    assert "q1_softmax.py" in [f.path for f in subs["77"].files]
    assert [f.path for f in subs["55"].files] == ["q1_softmax.py"]
    assert batch_size(batch) == len(subs)  # the progress bar's count, from the names alone

def test_a_folder_holding_only_an_unzipped_canvas_download_is_read_from_inside_it(tmp_path):
    # unzipping the download makes submissions/; the TA gives the folder around it
    batch = tmp_path / "hw1"
    write(batch / "submissions" / "smithjohn_123_456_q1_softmax.py", SOFTMAX)
    write(batch / "submissions" / "smithjohn_123_457_q3_word2vec.py", "x = 1\n")
    write(batch / "submissions" / "doejane_77_900_q1_softmax.py", SOFTMAX)
    subs = list(load_batch(batch))
    assert [(s.id, paths(s)) for s in subs] == [("123", ["q1_softmax.py", "q3_word2vec.py"]),
                                               ("77", ["q1_softmax.py"])]
    assert subs[1].source == "hw1/submissions/doejane_77_900_q1_softmax.py"
    # one student's Canvas files in a folder: a batch of one, as before
    one = tmp_path / "one"
    write(one / "smithjohn" / "smithjohn_123_456_q1_softmax.py", SOFTMAX)
    write(one / "smithjohn" / "smithjohn_123_457_q3_word2vec.py", "x = 1\n")
    assert [s.id for s in load_batch(one)] == ["smithjohn"]


def test_canvas_naming_is_ignored_when_most_names_do_not_follow_it(tmp_path):
    batch = tmp_path / "subs"
    write(batch / "alice.py", SOFTMAX)
    write(batch / "bob.py", SOFTMAX)
    write(batch / "smith_1_2_x.py", SOFTMAX)
    assert [s.id for s in load_batch(batch)] == ["alice", "bob", "smith_1_2_x"]


def test_canvas_student_with_a_bad_zip_gets_an_error(tmp_path):
    data = zip_bytes({"smithjohn_1_2_hw.zip": b"garbage", "doejane_3_4_q1.py": SOFTMAX})
    subs = list(load_batch(write(tmp_path / "b.zip", data)))
    assert [(s.id, s.error is None) for s in subs] == [("1", False), ("3", True)]
    assert subs[0].canvas == CanvasInfo("smithjohn", "1", "2")
    assert subs[0].error == (
        "b.zip:smithjohn_1_2_hw.zip could not be read as a zip archive (File is not a zip file); "
        "re-create it with a zip tool and hand it in again."
    )


def test_load_batch_order_is_deterministic(tmp_path):
    path = canvas_zip(tmp_path)
    first = [(s.id, s.digest) for s in load_batch(path)]
    assert first == [(s.id, s.digest) for s in load_batch(path)]
    assert [i for i, _ in first] == sorted(i for i, _ in first)


def test_a_link_at_the_top_of_a_batch_is_refused_not_followed(tmp_path):
    secret = tmp_path / "reference"
    secret.mkdir()
    (secret / "word2vec.py").write_text("def softmax(x):\n    return x\n")
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "alice.py").write_text("def softmax(x):\n    return x\n")
    (batch / "mallory").symlink_to(secret, target_is_directory=True)
    (batch / "trudy.py").symlink_to(secret / "word2vec.py")
    subs = {s.id: s for s in load_batch(batch)}
    assert subs["alice"].error is None
    for sid in ("mallory", "trudy"):
        assert subs[sid].files == ()
        assert subs[sid].error.endswith("is a symbolic link; links in a batch are not followed, so that a submission "
                                        "cannot point at files that are not its own. Put the files themselves in the batch.")


# --------------------------------------------------------------------------- memory of a batch


def _batch_folder(root, n, canvas_names=False):
    root.mkdir()
    for i in range(n):
        name = f"student{i:04d}_{1000 + i}_{5000 + i}_q1.py" if canvas_names else f"student{i:04d}.py"
        (root / name).write_text(SOFTMAX)
    return root


def _batch_zip(path, n):
    path.write_bytes(zip_bytes({f"student{i:04d}/q1.py": SOFTMAX for i in range(n)} | {"top.py": SOFTMAX}))
    return path


def _entries_alive():
    from grader import load as load_module

    gc.collect()
    return sum(isinstance(o, load_module._Entry) for o in gc.get_objects())


@pytest.mark.parametrize("kind", ["folder", "canvas", "zip"])
def test_load_batch_makes_each_entry_when_its_submission_is_yielded(tmp_path, kind):
    path = _batch_zip(tmp_path / "b.zip", 30) if kind == "zip" else _batch_folder(tmp_path / "b", 30, kind == "canvas")
    it = load_batch(path)
    first = next(it)
    assert first.id == ("1000" if kind == "canvas" else "student0000") and first.error is None
    assert _entries_alive() == 0  # none made for the others, none kept of the first
    rest = list(it)
    assert len(rest) == (30 if kind == "zip" else 29)
    assert _entries_alive() == 0


def _held_by_batch(path) -> int:
    """Return the memory held by a batch's iterator once its first submission was yielded and let go."""
    list(load_batch(path))  # imports and caches warmed up
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        it = load_batch(path)
        next(it)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("canvas_names", [False, True])
def test_load_batch_holds_only_the_names_for_the_whole_batch(tmp_path, canvas_names):
    small = _held_by_batch(_batch_folder(tmp_path / "small", 200, canvas_names))
    large = _held_by_batch(_batch_folder(tmp_path / "large", 2000, canvas_names))
    # each entry's name and id (about 60 bytes each) and a few indices; an entry made up
    # front with its closures held 1.3 KiB (1.8 KiB for a Canvas file)
    assert large - small < 1800 * 320, (small, large)


def test_thousands_of_writefile_append_cells_are_joined_in_linear_time():
    # each `%%writefile -a` cell copied the module written so far: 8,000 cells of 1 KB took 19 s of the grader's
    # process (a 14 MiB notebook: 52 s to load); the note names the first cells and counts the others
    from grader.load import _written_files

    body = "# " + "x" * 1000 + "\n"
    cells = tuple(Cell(index=i, label=f"cell [{i + 1}]", source="", original="%%writefile -a q1_softmax.py\n" + body)
                  for i in range(5000))
    out = _written_files([SourceFile(path="hw.ipynb", text="", origin="hw.ipynb", cells=cells)], {})  # timed by
    # benchmarks/hostile_inputs.py
    text, where, _ = out["q1_softmax.py"]
    assert text == body.encode() * 5000
    assert where == "hw.ipynb, cell [1] and cell [2] and cell [3] and cell [4] and cell [5] and 4995 more cells"
