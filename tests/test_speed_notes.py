"""Notes of the grader's side that need the student's code parsed parse it only when they can be said.

A problem set's files were parsed (``ast.parse``, in the grader's process) for every
submission to find functions defined in two files, although a note is possible only for a
function graded from a file the rubric does not name for it.  These tests pin both sides:
no parse when every function is graded from its own file, and the same notes as before
when one is not.
"""

from __future__ import annotations

import pytest

from grader import load, pyast
from grader.pipeline import duplicate_notes
from grader.rubric import load_rubric


def _problem_set(extra: dict[str, str] | None = None):
    files = {
        "q1_softmax.py": "import numpy as np\n\ndef softmax(x):\n    return x\n",
        "q2_sigmoid.py": "import numpy as np\n\ndef sigmoid(x):\n    return x\n\ndef sigmoid_grad(f):\n    return f\n",
        "helper.py": "def softmax(x):\n    return x\n",
    }
    files.update(extra or {})
    return load.load_files("ps", {k: v.encode() for k, v in files.items()})


@pytest.fixture
def parses(monkeypatch):
    seen: list[str] = []
    real = pyast.parse

    def counted(text, *a, **k):
        seen.append(text)
        return real(text, *a, **k)

    monkeypatch.setattr(pyast, "parse", counted)
    return seen


def test_no_file_is_parsed_when_every_function_is_graded_from_the_file_the_rubric_names(parses):
    functions = load_rubric("problem-set").functions
    sub = _problem_set()
    parses.clear()
    found = {"softmax": "q1_softmax.softmax", "sigmoid": "q2_sigmoid.sigmoid", "sigmoid_grad": "q2_sigmoid.sigmoid_grad"}
    assert duplicate_notes(sub, functions, found) == []
    assert parses == []


def test_a_function_graded_from_another_file_is_still_said_to_be_defined_twice(parses):
    functions = load_rubric("problem-set").functions
    # softmax found outside q1_softmax (say the student's q1 file lacks it): helper.py and a copy.
    sub = _problem_set({"q1_softmax.py": "import numpy as np\n", "another.py": "def softmax(x):\n    return 2 * x\n"})
    parses.clear()
    notes = duplicate_notes(sub, functions, {"softmax": "another.softmax", "sigmoid": "q2_sigmoid.sigmoid"})
    assert parses, "the files must be read to find the copies"
    assert notes == ["softmax is defined in 2 files (another.py, helper.py); the one in another.py was graded "
                     "(a file the rubric names for it comes first, then files in the order of their names), "
                     "not the one in helper.py: remove or rename the copy you did not mean to hand in."]
