"""Tests for grader.translate: Python 2 code recognised, translated with fissix, described."""

import subprocess
import sys
import textwrap

import pytest

from grader.translate import python2, syntax_error

PY2 = textwrap.dedent(
    """\
    import numpy as np

    def softmax(x):
        for i in xrange(x.shape[0]):
            x[i] -= np.max(x[i])
        print "softmax of", x.shape
        return np.exp(x) / np.sum(np.exp(x))
    """
)


def test_python3_code_is_left_alone():
    assert python2("def f(x):\n    return x / 2\n", "q1.py") is None


def test_code_that_is_neither_python_2_nor_3_is_left_alone():
    assert python2("def f(:\n    pass\n", "q1.py") is None
    assert python2('print "a" +\n', "q1.py") is None


def test_python2_is_translated_and_described():
    found = python2(PY2, "q1_softmax.py")
    assert found.translated
    assert found.text == PY2.replace("xrange(x.shape[0])", "range(x.shape[0])").replace(
        'print "softmax of", x.shape', 'print("softmax of", x.shape)'
    )
    assert found.constructs == ("xrange", "print statements")
    assert (found.first_line, found.first) == (4, "xrange")
    assert syntax_error(found.text) is None
    assert found.diff.splitlines()[:2] == [
        "--- q1_softmax.py (as handed in)",
        "+++ q1_softmax.py (translated to Python 3)",
    ]
    assert '-    print "softmax of", x.shape\n' in found.diff
    assert '+    print("softmax of", x.shape)\n' in found.diff
    assert found.divisions == ()


def test_not_translating_names_the_first_python2_construct():
    found = python2('x = 1\n\nprint "hi"\nprint "again"\n', "q1.py", translate=False)
    assert not found.translated
    assert found.text == 'x = 1\n\nprint "hi"\nprint "again"\n'
    assert found.diff == ""
    assert (found.first_line, found.first) == (3, "print statement")


@pytest.mark.parametrize(
    ("source", "constructs", "first"),
    [
        ("try:\n    pass\nexcept ValueError, e:\n    pass\n", ("'except E, e:' clauses",), "'except E, e:' clause"),
        ("raise ValueError, 'bad'\n", ("'raise E, V' statements",), "'raise E, V' statement"),
        ("if 1 <> 2:\n    pass\n", ("'<>' operators",), "'<>' operator"),
        ("x = `1`\n", ("backquotes",), "backquotes"),
        ("exec 'x = 1'\n", ("exec statements",), "exec statement"),
        ("x = 0777\n", ("Python 2 number literals",), "Python 2 number literal"),
        ("def f((a, b)):\n    return a\n", ("tuple parameters",), "tuple parameter"),
        ("d = {}\nfor k, v in d.iteritems(): print k\n",
         ("dict.iteritems/iterkeys/itervalues", "print statements"), "dict.iteritems/iterkeys/itervalues"),
    ],
)
def test_constructs_are_named(source, constructs, first):
    found = python2(source, "q.py")
    assert found.constructs == constructs
    assert found.first == first
    assert syntax_error(found.text) is None


def test_changes_that_are_also_python3_are_applied_but_not_named():
    found = python2('print "x"\nfor k in d.keys(): pass\ny = map(f, x)\n', "q.py")
    assert found.text == 'print("x")\nfor k in list(d.keys()): pass\ny = list(map(f, x))\n'
    assert found.constructs == ("print statements",)


def test_integer_division_is_not_changed_but_index_uses_are_listed():
    source = textwrap.dedent(
        """\
        print "start"
        half = x[:, : n / 2]
        ok = x[int(n / 2)]
        also_ok = a / b
        r = range(n / 2)
        z = np.zeros((n / 2, 3))
        w = W.reshape(n / 2, -1)
        p = probs[i] / total
        q = x[f(a / b)]
        """
    )
    found = python2(source, "q.py")
    assert "n / 2" in found.text and "//" not in found.text
    assert found.divisions == (2, 5, 6, 7)


def test_tabs_mixed_with_spaces_are_expanded_as_python2_read_them():
    source = "def f(x):\n        y = x\n\treturn y\n"
    found = python2(source, "q.py")
    assert found.text == "def f(x):\n        y = x\n        return y\n"
    assert found.constructs == ("tabs mixed with spaces",)
    assert found.first_line == 3


def test_print_function_future_import_is_understood():
    source = "from __future__ import print_function\nprint('x', end='')\nexcept_ = 1\nx = 0777\n"
    found = python2(source, "q.py")
    # The __future__ import is kept (valid Python 3): `from __future__ import division` says how `/` divides.
    assert found.text == "from __future__ import print_function\nprint('x', end='')\nexcept_ = 1\nx = 0o777\n"


def test_missing_final_newline_is_kept():
    assert python2('print "x"', "q.py").text == 'print("x")'


def test_imports_between_submission_files_stay_absolute(tmp_path, monkeypatch):
    # 2to3's "import" fixer would write "from . import q1_softmax" when such a
    # file exists in the current folder; submissions' files are top-level modules.
    (tmp_path / "q1_softmax.py").write_text("")
    monkeypatch.chdir(tmp_path)
    found = python2('import q1_softmax\nprint "x"\n', "q3_word2vec.py")
    assert found.text == 'import q1_softmax\nprint("x")\n'


def test_syntax_error_reports_without_running():
    assert syntax_error("x = 1\n") is None
    assert syntax_error("import os; os._exit(3)\n") is None
    err = syntax_error("x = 1\nprint 'a'\n", "q1.py")
    assert (err.filename, err.lineno) == ("q1.py", 2)
    assert isinstance(syntax_error("x = '\0'\n"), SyntaxError)  # null bytes: ValueError in 3.11


def test_fissix_is_imported_only_for_code_that_needs_it():
    code = (
        "import sys, grader.translate as t\n"
        "t.python2('x = 1\\n', 'a.py')\n"
        "before = 'fissix' in sys.modules\n"
        "t.python2('print 1\\n', 'a.py')\n"
        "print(before, 'fissix' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "False True\n"


#: Python 2 files that need the fixers skipped for texts that do not name what they rewrite.
GATED_TEXTS = {
    "sorted": "def f(xs):\n    print 'x'\n    xs.sort(lambda a, b: cmp(b, a))\n    return sorted(xs, None, len)\n",
    "asserts": "import unittest\nclass T(unittest.TestCase):\n    def test(self):\n"
               "        print 'x'\n        self.assertEquals(1, 1)\n        self.failUnless(True)\n",
    "imports": "import cPickle\nimport Queue as q\nprint cPickle.dumps(1), q.Queue\n",
    "imports2": "import anydbm\nprint anydbm.open\n",
    "urllib": "import urllib2\nprint urllib2.urlopen, urllib.quote('a b')\nimport urllib\n",
    "none": "import numpy as np\ndef softmax(x):\n    print 'shape', x.shape\n    return np.exp(x) / np.sum(np.exp(x))\n",
}


def test_fixers_skipped_for_a_text_that_names_nothing_they_rewrite_would_change_nothing(monkeypatch):
    from grader import translate

    gated = {k: python2(t, f"{k}.py") for k, t in GATED_TEXTS.items()}
    assert translate._off >= {"sorted", "asserts", "imports", "imports2", "urllib"}  # the last text names none
    for k in ("sorted", "asserts", "imports", "imports2", "urllib"):
        python2(GATED_TEXTS[k], f"{k}.py")
        assert k not in translate._off
        assert gated[k].text != GATED_TEXTS[k].replace("print '", "print('")  # the fixer did rewrite it
    monkeypatch.setattr(translate, "_needed", {})  # every fixer on every text
    every = {k: python2(t, f"{k}.py") for k, t in GATED_TEXTS.items()}
    assert not translate._off
    assert gated == every
