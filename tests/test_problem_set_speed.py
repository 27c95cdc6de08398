"""The whole problem set's speed work (issue 13) keeps its isolation promises.

- An honest whole-problem-set submission is graded in one sandbox request (a leader and a
  child): public calls, then hidden ones, then the calls with the grader's cost-function
  tables, whose inputs are not in the request (they come once every other call is made).
  It was four or five requests (one per set of stand-ins withheld), then two (the tables
  in a request of their own). Its grades are unchanged.
- The first request withholds every stand-in any of its calls withholds: a student's code
  that needs one (a module it did not hand in) gets it only in a later request, where no
  call of the role it answers is made, and the calls built on it are still graded.
- The grader's tables are never in the process of the other calls (hidden ones included).
- A Python 2 statement too deep for the translator's tree rewrite and for compile() of a tree
  (a sum of 1,200 terms) is compiled from its text: the file loads, as a shorter one did.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from grader import sandbox
from grader.cli import main

HERE = Path(__file__).parent
HONEST = HERE / "submissions" / "problem-set-q2" / "honest"
Q3 = HERE.parent / "examples" / "cs224d_correct" / "q3_word2vec.py"


@pytest.fixture
def requests(monkeypatch):
    """Record each sandbox request: (stand-ins withheld, number of calls, of which private, its calls)."""
    seen = []
    real = sandbox.Sandbox._run_group

    def counted(self, request, group, *a, **k):
        try:
            return real(self, request, group, *a, **k)
        finally:
            seen.append((tuple(request["withheld"]), len(group), sum(c.private for c in group),
                         list(zip(group, request.get("calls", [])))))

    monkeypatch.setattr(sandbox.Sandbox, "_run_group", counted)
    return seen


def _grade(tmp_path: Path, subs: dict[str, Path | dict[str, str]], *more: str) -> dict[str, dict]:
    root = tmp_path / "subs"
    for name, content in subs.items():
        dest = root / name
        if isinstance(content, Path):
            shutil.copytree(content, dest)
            shutil.copyfile(Q3, dest / "q3_word2vec.py")
        else:
            dest.mkdir(parents=True)
            for f, text in content.items():
                (dest / f).write_text(text)
    out = tmp_path / "out"
    err = io.StringIO()
    code = main(["grade", str(root), "--out", str(out), "--rubric", "problem-set", "--jobs", "1", "--no-progress",
                 *more], out=io.StringIO(), err=err)
    assert code == 0, err.getvalue()
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def _questions(r: dict) -> dict[str, dict]:
    return {q["id"]: q for q in r["questions"]}


@pytest.mark.parametrize("style", ["loops", "py2"])
def test_an_honest_problem_set_takes_one_request_and_keeps_full_marks(tmp_path, requests, style):
    r = _grade(tmp_path, {style: HONEST / style})[style]
    assert r["score"] == r["max_score"] == 69
    (only,) = requests
    assert set(only[0]) == {"q1_softmax", "utils.utils", "q2_sigmoid", "q2_gradcheck", "utils.gradcheck"}
    assert only[2] > 0  # the grader's tables are made in it ...
    kinds = [(c.private, c.hidden) for c, _ in only[3]]
    assert kinds == sorted(kinds) and kinds[-1][0]  # ... after every other call (public, then hidden) ...
    sent = {c.id: d for c, d in only[3]}
    assert all(sent[c.id]["args"] is None for c, _ in only[3] if c.private or c.hidden)  # ... given late
    assert all(sent[c.id].get("private") is True for c, _ in only[3] if c.private)


@pytest.mark.parametrize("level", sandbox.available())
def test_an_honest_problem_set_keeps_full_marks_at_every_isolation_level(tmp_path, level):
    # At the process level the skip-gram calls (dict and list arguments, deep-copied by the
    # harness) died in a harness that could not import `copy` when Python's files were not
    # readable by the slot's uid: 61.5 / 69 for an honest submission.
    more = ["--isolation", level] + (["--allow-unsandboxed"] if level == "process" else [])
    r = _grade(tmp_path, {"vectorised": HONEST / "vectorised"}, *more)["vectorised"]
    assert r["isolation"] == level
    assert r["score"] == r["max_score"] == 69, [c["message"] for q in r["questions"] for c in q["checks"]
                                                 if c["status"] == "error" and not q["id"].startswith("cbow")][:3]


def test_a_stand_in_the_student_needs_comes_in_a_later_request_and_the_calls_on_it_are_graded(tmp_path, requests):
    # No q2_sigmoid.py: q2_neural.py imports the starter's, which is withheld where sigmoid is graded.
    files = {p.name: p.read_text() for p in (HONEST / "loops").glob("*.py") if p.name != "q2_sigmoid.py"}
    r = _grade(tmp_path, {"nosigmoid": files})["nosigmoid"]
    q = _questions(r)
    assert q["neural_cost"]["score"] == q["neural_cost"]["max_score"] > 0
    assert q["neural_grad"]["score"] == q["neural_grad"]["max_score"] > 0
    assert q["sigmoid"]["score"] == 0 and q["sigmoid_grad"]["score"] == 0  # the stand-in is not the student's
    # The report says once what happened: the stand-in was used. The import that failed in the
    # process where it was withheld is no error of the student's and is not listed as one.
    assert "'q2_sigmoid' was not in the submission; the supplied stand-in was used" in r["notes"]
    load_errors = [u["error"]["message"] for u in r["load"]["unit_errors"]]
    assert not [m for m in load_errors if "q2_sigmoid" in m], load_errors
    assert "q2_sigmoid" in requests[0][0]
    later = [w for w, n, private, _ in requests[1:]]
    assert later and all("q2_sigmoid" not in w for w in later)  # offered there, and only there


#: A q1 module that looks, in each call of its functions, for a grader's table among the objects
#: of its process: normalizeRows (public and hidden calls) answers wrongly if it finds one.
PROBE_Q3 = '''
import gc

import numpy as np


def _table_in_memory():
    for o in gc.get_objects():
        if isinstance(o, dict) and o.get("$costfn") and "table" in o:
            return True
        if type(o).__name__ == "_TableCost":
            return True
    return False


def normalizeRows(x):
    if _table_in_memory():
        return x
    return x / np.sqrt(np.sum(x ** 2, axis=1, keepdims=True))
'''


def test_no_table_is_in_the_process_of_the_other_calls_hidden_ones_included(tmp_path, requests):
    r = _grade(tmp_path, {"probe": {"q3_word2vec.py": PROBE_Q3}})["probe"]
    q = _questions(r)
    checks = q["normalize_rows"]["checks"]
    assert any(c["visibility"] == "hidden" for c in checks)
    assert all(c["status"] == "pass" for c in checks), [c["message"] for c in checks]


def test_a_python2_sum_of_1200_terms_compiles_from_its_text(tmp_path):
    terms = " + ".join(str(i % 7) for i in range(1200))
    (tmp_path / "long.py").write_text(
        "import numpy as np\n\n"
        "print 'loaded'\n"
        f"TOTAL = {terms}\n"
        "HALF = 7 / 2\n\n"
        "def softmax(x):\n"
        "    x = np.asarray(x, dtype=float) + 0 * TOTAL * HALF\n"
        "    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
        "    return e / e.sum(axis=-1, keepdims=True)\n")
    out = io.StringIO()
    code = main(["check", str(tmp_path / "long.py"), "--json"], out=out, err=io.StringIO())
    r = json.loads(out.getvalue())
    assert code in (0, 1)
    assert not any("RecursionError" in json.dumps(e) for e in r.get("load", {}).get("unit_errors", []))
    assert "RecursionError" not in out.getvalue()
    q = _questions(r)
    assert q["softmax"]["score"] == q["softmax"]["max_score"]  # defined after the long statement, and right
