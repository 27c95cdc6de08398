"""grader.pyast: submissions' text is parsed one thread at a time in the grader's process (CPython gh-106905)."""

from __future__ import annotations

import ast
import threading
import time

import pytest

from grader import notebook, pyast, translate


def test_parses_in_several_threads_never_overlap(monkeypatch):
    """Slots load submissions in threads; the AST constructor must never run in two at once."""
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
    assert most[0] == 1


def test_syntax_errors_are_still_reported():
    err = translate.syntax_error("def f(:\n", "q.py")
    assert isinstance(err, SyntaxError) and err.filename == "q.py" and err.lineno == 1
    with pytest.raises(SyntaxError):
        pyast.parse("def f(:\n")
