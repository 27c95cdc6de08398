"""Tests for grader.notebook: code cells read without running anything, IPython syntax made Python."""

import json
import re
import sys

import nbformat
import pytest
from nbformat import v3, v4

from grader import notebook
from grader.notebook import NotebookError, RawCell, keep_definitions, read_cells, to_python


def nb_bytes(*cells, minor=None):
    """Return a notebook's file content with these cells (str: code cell, tuple: (type, source[, count]))."""
    nb = v4.new_notebook()
    for c in cells:
        if isinstance(c, str):
            nb.cells.append(v4.new_code_cell(c))
        elif c[0] == "code":
            nb.cells.append(v4.new_code_cell(c[1], execution_count=c[2] if len(c) > 2 else None))
        elif c[0] == "markdown":
            nb.cells.append(v4.new_markdown_cell(c[1]))
        else:
            nb.cells.append(v4.new_raw_cell(c[1]))
    if minor is not None:
        nb.nbformat_minor = minor
    return nbformat.writes(nb).encode()


@pytest.fixture
def fallback(monkeypatch):
    """Translate without IPython."""
    monkeypatch.setattr(notebook, "ipython_transformer", lambda: None)


# --------------------------------------------------------------------------- reading


def test_code_cells_are_read_with_jupyters_labels():
    data = nb_bytes(
        ("markdown", "# Softmax"),
        ("code", "import numpy as np", 1),
        ("raw", "raw text"),
        ("code", "def softmax(x):\n    return x"),
        ("code", "   \n"),
        ("code", "softmax(1)", 12),
    )
    assert read_cells(data, "hw1.ipynb") == [
        RawCell(1, "cell [1]", "import numpy as np"),
        RawCell(3, "cell #4", "def softmax(x):\n    return x"),
        RawCell(5, "cell [12]", "softmax(1)"),
    ]


@pytest.mark.parametrize("minor", [0, 1, 2, 4, 5])
def test_any_nbformat_4_minor_version_is_read(minor):
    assert [c.source for c in read_cells(nb_bytes("x = 1", minor=minor), "hw1.ipynb")] == ["x = 1"]


def test_sources_stored_as_lists_of_lines_are_joined():
    data = json.dumps({
        "nbformat": 4, "nbformat_minor": 2, "metadata": {},
        "cells": [{"cell_type": "code", "source": ["x = 1\n", "y = 2"], "execution_count": 3,
                   "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi"]}]}],
    }).encode()
    assert read_cells(data, "hw1.ipynb") == [RawCell(0, "cell [3]", "x = 1\ny = 2")]


def test_outputs_and_metadata_are_never_used():
    nb = v4.new_notebook(metadata={"kernelspec": {"name": "evil", "display_name": "evil"}})
    nb.cells.append(v4.new_code_cell("x = 1", outputs=[v4.new_output("stream", text="import os; os.system('rm')")]))
    assert [c.source for c in read_cells(nbformat.writes(nb).encode(), "hw1.ipynb")] == ["x = 1"]


def test_old_nbformat_3_notebooks_are_converted():
    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_text_cell("markdown", source="# hi"),
        v3.new_code_cell(input="x = 1", prompt_number=4),
        v3.new_code_cell(input="y = 2"),
    ])])
    data = nbformat.writes(nb, version=3).encode()
    assert read_cells(data, "old.ipynb") == [RawCell(1, "cell [4]", "x = 1"), RawCell(2, "cell #3", "y = 2")]


def ipython2_notebook(code: str, markdown: str) -> bytes:
    """An nbformat 3 notebook as IPython 2 saved it: every text field a list of lines, a heading cell."""
    lines = lambda text: text.splitlines(keepends=True)  # noqa: E731
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "PS1"}, "worksheets": [{
        "metadata": {}, "cells": [
            {"cell_type": "heading", "level": 1, "source": ["PS1"], "metadata": {}},
            {"cell_type": "markdown", "source": lines(markdown), "metadata": {}},
            {"cell_type": "code", "language": "python", "input": lines(code), "outputs": [
                {"output_type": "stream", "stream": "stdout", "text": ["ok\n"]}],
             "collapsed": False, "metadata": {}, "prompt_number": 3}]}]}).encode()


def test_nbformat_3_notebook_with_text_as_lists_of_lines_reads_as_its_nbformat_4_twin():
    code, markdown = "import numpy as np\nx = np.ones(2)\n", "## grad_pred\n\n$$-w_i$$\n"
    old = ipython2_notebook(code, markdown)
    twin = nb_bytes(("markdown", "# PS1"), ("markdown", markdown), ("code", code, 3))
    assert read_cells(old, "PS1.ipynb") == read_cells(twin, "PS1.ipynb") == [RawCell(2, "cell [3]", code)]
    assert notebook.markdown_cells(old) == notebook.markdown_cells(twin) == [
        ("cell #1", "# PS1"), ("cell #2", markdown)]


def test_not_json():
    with pytest.raises(NotebookError, match=re.escape(
        "hw1.ipynb is not a readable notebook: it is not valid JSON (Expecting value at line 1, column 1); "
        "open it in Jupyter, save it again and hand it in again, or hand in your code as a .py file."
    ) + "$"):
        read_cells(b"def softmax(x):\n    pass\n", "hw1.ipynb")


def test_truncated_json():
    with pytest.raises(NotebookError, match=r"^hw1\.ipynb is not a readable notebook: it is not valid JSON \("):
        read_cells(nb_bytes("x = 1")[:-20], "hw1.ipynb")


def test_binary_garbage():
    with pytest.raises(NotebookError, match=re.escape(
        "hw1.ipynb is not a readable notebook: it is not JSON text (UnicodeDecodeError); "
        "open it in Jupyter, save it again and hand it in again, or hand in your code as a .py file."
    ) + "$"):
        read_cells(b"\x80\x81\xfe PK", "hw1.ipynb")


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b'{"metadata": {}}', "a JSON object without a 'cells' list"),
        (b'{"cells": "x = 1"}', "a JSON object without a 'cells' list"),
        (b"[1, 2]", "a JSON array"),
        (b'"x"', "a JSON string"),
        (b"null", "a JSON null"),
    ],
)
def test_json_that_is_not_a_notebook(content, found):
    with pytest.raises(NotebookError, match=re.escape(
        f"hw1.ipynb is not a Jupyter notebook: expected a JSON object with a 'cells' list, found {found}; "
        "hand in the .ipynb file that Jupyter saved, or your code as a .py file."
    ) + "$"):
        read_cells(content, "hw1.ipynb")


# --------------------------------------------------------------------------- IPython syntax

# Each expected string is what IPython 8.12's TransformerManager().transform_cell returns:
# the fallback must produce exactly the same Python.
IPYTHON_TABLE = [
    ('%matplotlib inline\nimport numpy as np',
     "get_ipython().run_line_magic('matplotlib', 'inline')\nimport numpy as np\n"),
    ('%load_ext autoreload\n%autoreload 2\n',
     "get_ipython().run_line_magic('load_ext', 'autoreload')\nget_ipython().run_line_magic('autoreload', '2')\n"),
    ('!pip install numpy\n',
     "get_ipython().system('pip install numpy')\n"),
    ('x = !ls -la\n',
     "x = get_ipython().getoutput('ls -la')\n"),
    ('files = !!ls\n',
     "files = get_ipython().getoutput('!ls')\n"),
    ('x = %timeit -o f()\n',
     "x = get_ipython().run_line_magic('timeit', '-o f()')\n"),
    ('np.sum?\n',
     "get_ipython().run_line_magic('pinfo', 'np.sum')\n"),
    ('np.sum??\n',
     "get_ipython().run_line_magic('pinfo2', 'np.sum')\n"),
    ('?np.sum\n',
     "get_ipython().run_line_magic('pinfo', 'np.sum')\n"),
    ('%timeit?\n',
     "get_ipython().run_line_magic('pinfo', '%timeit')\n"),
    ('a = 5 % 3\ns = \'%d\' % a\nt = "%s%%" % (s,)\n',
     'a = 5 % 3\ns = \'%d\' % a\nt = "%s%%" % (s,)\n'),
    ('def f():\n    %time x = 1\n    !ls\n    return 2\n',
     "def f():\n    get_ipython().run_line_magic('time', 'x = 1')\n    get_ipython().system('ls')\n    return 2\n"),
    ("print('!hi')  # %magic?\n%time f(1)\n",
     "print('!hi')  # %magic?\nget_ipython().run_line_magic('time', 'f(1)')\n"),
    ("s = '''\n%not magic\n!neither\n?nor\n'''\n",
     "s = '''\n%not magic\n!neither\n?nor\n'''\n"),
    ('y = (a\n%b)\n',
     'y = (a\n%b)\n'),
    ('x = 1  # why?\n',
     'x = 1  # why?\n'),
    ("d['k'] = !ls\n",
     "d['k'] = get_ipython().getoutput('ls')\n"),
    ('x == 1\nx != 2\nx += 3\n',
     'x == 1\nx != 2\nx += 3\n'),
    ('!ls \\\n  -la\n',
     "get_ipython().system('ls    -la')\n"),
    ("%config InlineBackend.figure_format = 'retina'\n",
     'get_ipython().run_line_magic(\'config\', "InlineBackend.figure_format = \'retina\'")\n'),
    ('  %matplotlib inline\n  x = 1\n',
     "get_ipython().run_line_magic('matplotlib', 'inline')\nx = 1\n"),
    ('>>> x = 1\n>>> y = 2\n',
     'x = 1\ny = 2\n'),
    ('In [1]: x = 1\n',
     'x = 1\n'),
    ('/f 1 2\n',
     'f(1, 2)\n'),
    (',f a b\n',
     'f("a", "b")\n'),
    (';f a b\n',
     'f("a b")\n'),
    ('?\n',
     'get_ipython().show_usage()\n'),
    ('x, y = !ls\n',
     "x, y = get_ipython().getoutput('ls')\n"),
    ("r'\\'' ; x = 1\n!ls\n",
     "r'\\'' ; x = 1\nget_ipython().system('ls')\n"),
    ('%%time\nx = 1\n',
     "get_ipython().run_cell_magic('time', '', '')\nx = 1\n"),
    ('%%bash\necho hi\n',
     "get_ipython().run_cell_magic('bash', '', 'echo hi\\n')\n"),
    ('%%writefile q1.py\nimport os\n',
     "get_ipython().run_cell_magic('writefile', 'q1.py', 'import os\\n')\n"),
]


@pytest.mark.parametrize(("cell", "expected"), IPYTHON_TABLE)
def test_fallback_translates_as_ipython_does(fallback, cell, expected):
    assert to_python(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), IPYTHON_TABLE)
def test_translations_are_python(fallback, cell, expected):
    compile(to_python(cell), "cell", "exec")


def test_python_cell_magic_bodies_are_translated_too(fallback):
    cell = "%%time\n!ls\nfiles = !ls\nx = '%d' % 3\n"
    body = "get_ipython().system('ls')\nfiles = get_ipython().getoutput('ls')\nx = '%d' % 3\n"
    assert to_python(cell) == "get_ipython().run_cell_magic('time', '', '')\n" + body


def test_other_cell_magic_bodies_are_kept(fallback):
    assert to_python("%%bash\n!ls\n") == "get_ipython().run_cell_magic('bash', '', '!ls\\n')\n"


def test_leading_blank_lines_are_kept_so_line_numbers_match(fallback):
    assert to_python("\n\n%matplotlib inline\n1 / 0\n") == (
        "\n\nget_ipython().run_line_magic('matplotlib', 'inline')\n1 / 0\n"
    )
    assert to_python("\n  \n%%time\nx = 1") == "\n\nget_ipython().run_cell_magic('time', '', '')\nx = 1\n"


def test_windows_newlines(fallback):
    assert to_python("%matplotlib inline\r\nx = 1\r\n") == (
        "get_ipython().run_line_magic('matplotlib', 'inline')\nx = 1\n"
    )


def test_unterminated_strings_do_not_swallow_later_lines(fallback):
    assert to_python("s = 'abc\n!ls\n") == "s = 'abc\nget_ipython().system('ls')\n"
    assert to_python("s = '''abc\n!ls\n") == "s = '''abc\n!ls\n"


class FakeIPython:
    """Stands in for IPython's TransformerManager: records what it is given."""

    def __init__(self, fail=False):
        self.given = []
        self.fail = fail

    def transform_cell(self, cell):
        self.given.append(cell)
        if self.fail:
            raise SyntaxError("IPython gave up")
        return "# by IPython\n" + cell


def test_ipython_is_used_when_importable(monkeypatch):
    fake = FakeIPython()
    monkeypatch.setattr(notebook, "ipython_transformer", lambda: fake)
    assert to_python("\n\n  !ls\n  x = 1") == "\n\n# by IPython\n!ls\nx = 1\n"
    assert fake.given == ["!ls\nx = 1\n"]


def test_cell_magics_are_handled_before_ipython_and_their_body_goes_through_it(monkeypatch):
    fake = FakeIPython()
    monkeypatch.setattr(notebook, "ipython_transformer", lambda: fake)
    assert to_python("%%time\n!ls\n") == (
        "get_ipython().run_cell_magic('time', '', '')\n# by IPython\n!ls\n"
    )
    assert fake.given == ["!ls\n"]


def test_when_ipython_fails_the_fallback_translates(monkeypatch):
    monkeypatch.setattr(notebook, "ipython_transformer", lambda: FakeIPython(fail=True))
    assert to_python("!ls\n") == "get_ipython().system('ls')\n"


def test_ipython_transformer_is_none_when_ipython_cannot_be_imported(monkeypatch):
    # every IPython module, not only the package: a submodule already imported (by another test) would be found
    for name in [m for m in sys.modules if m == "IPython" or m.startswith("IPython.")] + ["IPython"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(notebook, "_ipython", [])
    assert notebook.ipython_transformer() is None
    assert notebook.ipython_transformer() is None  # cached, not retried
    assert notebook._ipython == [None]


# --------------------------------------------------------------------------- definitions mode


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import numpy as np\nfrom q1 import softmax\n", "import numpy as np\nfrom q1 import softmax\n"),
        (
            "def f(x):\n    return x\n\nprint(f(1))\nclass A:\n    pass\n",
            "def f(x):\n    return x\n\npass\nclass A:\n    pass\n",
        ),
        (
            "W = np.zeros((3, 2))\nW[0] += 1\nn: int = 3\nfor i in range(3):\n    print(i)\nz = 1\n",
            "W = np.zeros((3, 2))\nW[0] += 1\nn: int = 3\npass\n\nz = 1\n",
        ),
        (
            'if __name__ == "__main__":\n    test()\n    test2()\n',
            "pass\n\n\n",
        ),
        ("x = 1; f(x); y = 2\n", "x = 1; pass; y = 2\n"),
        ("f(1,\n  2); y = 2\nz = 3\n", "pass; y = 2\n\nz = 3\n"),
        (
            "try:\n    import matplotlib\nexcept ImportError:\n    pass\n",
            "try:\n    import matplotlib\nexcept ImportError:\n    pass\n",
        ),
        ("try:\n    run()\nexcept Exception:\n    pass\n", "pass\n\n\n\n"),
        ("@decorate\ndef f():\n    pass\nf()\n", "@decorate\ndef f():\n    pass\npass\n"),
        ("s = 'é'; print(s)\n", "s = 'é'; pass\n"),
        ("get_ipython().run_line_magic('matplotlib', 'inline')\n", "pass\n"),
        ("def broken(:\n", "def broken(:\n"),
    ],
)
def test_keep_definitions(source, expected):
    assert keep_definitions(source) == expected


def test_a_control_character_in_the_json_is_said_once():
    with pytest.raises(NotebookError, match=re.escape(
        "hw1.ipynb is not a readable notebook: it is not valid JSON (Invalid control character at line 1, column 13)")):
        read_cells(b'{"cells": ["\x01"]}', "hw1.ipynb")


AUTOMAGIC = [
    # IPython's automagic (on by default in Jupyter and Colab): a line magic's name without its %
    ("pip install -q tqdm\n", "get_ipython().run_line_magic('pip', 'install -q tqdm')\n"),
    ("import os\ncd /content/drive\nx = 1\n", "import os\nget_ipython().run_line_magic('cd', '/content/drive')\nx = 1\n"),
    ("ls -la data\n", "get_ipython().run_line_magic('ls', '-la data')\n"),
    ("if True:\n    cd ..\n", "if True:\n    get_ipython().run_line_magic('cd', '..')\n"),
    # Python stays Python: names that are code, and a cell that parses is never touched
    ("ls = [1]\ncd(ls)\nls - 1\n", "ls = [1]\ncd(ls)\nls - 1\n"),
    ("import time\nt0 = time.time()\ntime - t0\nx = '''\ncd into it\n'''\n",
     "import time\nt0 = time.time()\ntime - t0\nx = '''\ncd into it\n'''\n"),
    ("pwd\nx = 1\n", "get_ipython().run_line_magic('pwd', '')\nx = 1\n"),
    ("pip install tqdm\nprint 'x'\n", "get_ipython().run_line_magic('pip', 'install tqdm')\nprint 'x'\n"),
]


@pytest.mark.parametrize("ipython", [True, False])
@pytest.mark.parametrize(("cell", "expected"), AUTOMAGIC)
def test_a_line_magic_written_without_its_percent_is_one_as_in_jupyter(monkeypatch, ipython, cell, expected):
    if not ipython:
        monkeypatch.setattr(notebook, "ipython_transformer", lambda: None)
    elif notebook.ipython_transformer() is None:
        pytest.skip("IPython is not installed")
    assert to_python(cell) == expected


def test_a_line_magic_with_a_long_run_of_blanks_inside_is_read_in_linear_time():
    # automagic runs in the grader's process on every cell that parses: its line pattern took time quadratic
    # in a run of blanks inside the arguments (40,000 blanks: 10 s of a batch, holding the GIL)
    cell = "ls - a" + " " * 50_000 + "- b   \n"
    out = notebook.automagic(cell)  # timed by benchmarks/hostile_inputs.py
    assert out == "get_ipython().run_line_magic('ls', " + repr("- a" + " " * 50_000 + "- b") + ")\n"
    assert notebook.automagic("cd /content/drive \t \n") == "get_ipython().run_line_magic('cd', '/content/drive')\n"
