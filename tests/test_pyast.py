"""grader.pyast: submissions' text is parsed one thread at a time in the grader's process (CPython gh-106905)."""

from __future__ import annotations

import ast
import threading
import time

import pytest

from grader import notebook, pyast, translate


@pytest.fixture
def overlap(monkeypatch) -> list[int]:
    """``ast.parse`` watched: the list's one item is the most calls that were ever running at once."""
    inside, most = [0], [0]
    count = threading.Lock()
    real = ast.parse

    def watched(*args, **kwargs):
        with count:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # long enough for the other threads to try
        try:
            return real(*args, **kwargs)
        finally:
            with count:
                inside[0] -= 1

    monkeypatch.setattr(pyast.ast, "parse", watched)
    return most


def test_parses_in_several_threads_never_overlap(overlap):
    """Slots load submissions in threads; the AST constructor must never run in two at once."""
    start = threading.Barrier(4)

    def load(i: int) -> None:
        start.wait()
        for _ in range(3):
            # What loading a submission does: the syntax check, the Python 2 checks, a notebook's cells.
            assert translate.syntax_error(f"x{i} = 1\n") is None
            translate.runtime_python2(f"for k in xrange({i}):\n    pass\n")
            notebook.keep_definitions(f"def f{i}():\n    return 1\nf{i}()\n")

    threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [1]


def test_the_rubrics_readers_take_the_same_turns_as_the_loaders(overlap):
    """A batch computes its rubric's digests (and a slot may load a rubric's wording) while loaders parse."""
    from grader import regrade, rubric
    from grader.written import spec

    start = threading.Barrier(4)
    readers = [lambda i: regrade.module_digests(f"def f{i}(x):\n    return x\n"),
               lambda i: rubric._top_level_names(f"K{i} = 1\n"),
               lambda i: spec._names(f"def g{i}():\n    pass\n"),
               lambda i: translate.syntax_error(f"x{i} = 1\n")]

    def read(i: int) -> None:
        start.wait()
        for _ in range(3):
            readers[i](i)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [1]


def test_syntax_errors_are_still_reported():
    err = translate.syntax_error("def f(:\n", "q.py")
    assert isinstance(err, SyntaxError) and err.filename == "q.py" and err.lineno == 1
    with pytest.raises(SyntaxError):
        pyast.parse("def f(:\n")


# --------------------------------------------------------------------------- pyast.definitions: the one reader


CELL = '''import numpy as np
from utils.treebank import StanfordSentiment
%run q2_sigmoid.py

@functools.lru_cache(maxsize=2)
def softmax(x):
    import q1_helpers
    return np.exp(x) / shift(x).sum()

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def softmax(x):  # the cell's second version: the one that counts
    e = np.exp(x - np.max(x))
    return e / e.sum()

class Model:
    pass

dims, (a, b) = [3, 5], (1, 2)
n: int = 4
x = softmax(np.zeros(dims))
'''


def test_definitions_names_what_a_text_defines_at_top_level():
    from grader.notebook import to_python

    d = pyast.definitions(to_python(CELL))
    assert d.parsed
    assert d.functions == ("softmax", "sigmoid", "softmax")
    # the last def of softmax; calls by name and attribute; not the first version's shift
    assert d.calls == {"softmax": {"exp", "max", "sum"}, "sigmoid": {"exp"}}
    assert d.names == {"np", "StanfordSentiment", "softmax", "sigmoid", "Model", "dims", "a", "b", "n", "x"}
    assert d.imports == {"numpy", "utils", "q2_sigmoid", "q1_helpers"}  # (the sandbox's rule: %run too)
    assert d.statements.split("\n\n")[:3] == [
        "import numpy as np", "from utils.treebank import StanfordSentiment",
        "@functools.lru_cache(maxsize=2)\ndef softmax(x):\n    import q1_helpers\n    return np.exp(x) / shift(x).sum()"]
    assert d.statements.endswith("class Model:\n    pass")


def test_definitions_of_a_text_that_does_not_parse_are_empty():
    d = pyast.definitions("def f():\n    print 'x'\n")
    assert not d.parsed and d.functions == () and d.names == frozenset() and d.statements == ""


def test_a_text_is_parsed_once_by_every_reader_of_a_submission(monkeypatch):
    """The callers' causes, the note on a function defined in several cells or files, and the kernel's
    history reading all take a text's definitions from one reader: each text is parsed once."""
    from grader import kernel, pipeline
    from grader.model import Cell, SourceFile, Submission

    parsed: list[str] = []
    real = pyast.parse
    monkeypatch.setattr(pyast, "parse", lambda text, *a, **k: parsed.append(text) or real(text, *a, **k))
    sources = [f"def softmax(x):\n    return x * {time.monotonic_ns()}\n",
               f"def word2vec(x):\n    return softmax(x) + {time.monotonic_ns()}\n",
               f"def softmax(x):\n    return x - {time.monotonic_ns()}\n"]
    cells = tuple(Cell(i, f"cell [{i + 1}]", s, s) for i, s in enumerate(sources))
    helper = f"def softmax(x):\n    return {time.monotonic_ns()}\n"
    sub = Submission("s", "s", "notebook", files=(
        SourceFile("hw.ipynb", "\n".join(sources), "hw.ipynb", cells=cells),
        SourceFile("helpers.py", helper, "helpers.py")))
    found = {"softmax": "hw.softmax", "w2v": "hw.word2vec"}

    assert pipeline._calls_between(sub, found) == {"softmax": set(), "w2v": {"softmax"}}
    notes = pipeline.cell_duplicate_notes(sub, {"softmax": None, "w2v": None}, found, {"softmax"})
    assert len(notes) == 1 and "softmax is defined in 2 cells of hw.ipynb (cell [1] and cell [3])" in notes[0]
    assert kernel._defined_names(sources[1]) == {"word2vec"} and kernel._functions_of(helper.encode()) == {"softmax"}
    assert sorted(parsed) == sorted(sources + [helper])
