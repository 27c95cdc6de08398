"""The similarity check, through the command line on generated batches, and its pieces.

Every solution here is this project's own (tests/similarity_corpus.py).  A batch holds
each kind of entry (.py, folder, notebook, zip; a Canvas download in its own test): a
verbatim copy, a copy with renamed variables and reordered functions, a copy of an
--against file written in Python 2, two independent solutions and two untouched starters.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

import similarity_corpus as corpus
from grader import render
from grader.cli import main
from grader.export import gradescope_results
from grader.model import SimilarityMatch, SubmissionResult
from grader.rubric import load_rubric
from grader.similarity import documents, find
from grader.similarity.fingerprint import FileFingerprints
from grader.similarity.index import Index
from grader.similarity.report import segments

RUBRIC = load_rubric(None)
STAND_INS = Path(RUBRIC.path).parent / "word2vec" / "starter"


def _cli(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main([str(a) for a in argv], out=out, err=err), out.getvalue(), err.getvalue()


def _notebook(blocks: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# word2vec\n\nMy answers below."))
    nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline"))
    for i, b in enumerate(blocks):
        cell = nbformat.v4.new_code_cell(b.strip("\n"))
        cell.execution_count = i + 1
        nb.cells.append(cell)
    return nbformat.writes(nb)


#: Implementation 0 of every function, then 1, then 2: independent solutions of each other.
ORIGINAL = corpus.solution(0)
OTHER_1, OTHER_2 = corpus.solution(1), corpus.solution(2)
#: A public solution (reference file), written in Python 2: its own mix of implementations.
PUBLIC = corpus.py2(corpus.solution(3, extra='\nif __name__ == "__main__":\n    for i in range(3):\n'
                                          '        print("check %d" % i)\n'))


#: A source file that no submission resembles.
UNRELATED = """
import numpy as np


def gradcheck_naive(f, x, h=1e-4):
    fx, grad = f(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        plus = f(x)[0]
        x[ix] = old - h
        minus = f(x)[0]
        x[ix] = old
        numgrad = (plus - minus) / (2 * h)
        if abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix])) > 1e-5:
            return False
        it.iternext()
    return True
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict[str, Path]:
    """Write the batch, the --against folder and the starter folder."""
    root = tmp_path_factory.mktemp("similarity")
    b, against, starter = root / "batch", root / "against", root / "starter"
    for d in (b, against, starter):
        d.mkdir()
    (starter / "q3_word2vec.py").write_text(corpus.STARTER)
    (against / "someone-cs224d").mkdir()
    (against / "someone-cs224d" / "q3_word2vec.py").write_text(PUBLIC)
    (against / "other-repo.py").write_text(UNRELATED)
    # alice: a .py file; bob: a folder holding a verbatim copy of it, with the rubric's stand-ins
    (b / "alice.py").write_text(ORIGINAL)
    (b / "bob").mkdir()
    (b / "bob" / "q3_word2vec.py").write_text(ORIGINAL)
    (b / "bob" / "q1_softmax.py").write_text((STAND_INS / "q1_softmax.py").read_text())
    # carol: a notebook; her copy of alice's code has renamed variables and functions in another order
    hidden = corpus.renamed(corpus.solution(0, corpus.ORDER[::-1]), corpus.RENAMES)
    (b / "carol.ipynb").write_text(_notebook(hidden.split("\n\n\n")))
    # dave: a zip holding the public solution as it is (Python 2)
    with zipfile.ZipFile(b / "dave.zip", "w") as z:
        z.writestr("hw1/q3_word2vec.py", PUBLIC)
    # erin and frank: independent correct solutions
    (b / "erin.py").write_text(OTHER_1)
    (b / "frank").mkdir()
    (b / "frank" / "q3_word2vec.py").write_text(OTHER_2)
    # gina and hank: untouched starters (the --starter skeleton, and the rubric's stand-ins)
    (b / "gina").mkdir()
    (b / "gina" / "q3_word2vec.py").write_text(corpus.STARTER)
    for f in ("q1_softmax.py", "q2_sigmoid.py", "q2_gradcheck.py"):
        (b / "gina" / f).write_text((STAND_INS / f).read_text())
    (b / "hank").mkdir()
    (b / "hank" / "q3_word2vec.py").write_text(corpus.STARTER)
    for f in ("q1_softmax.py", "q2_sigmoid.py", "q2_gradcheck.py"):
        (b / "hank" / f).write_text((STAND_INS / f).read_text())
    return {"batch": b, "against": against, "starter": starter, "root": root}


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((out / "similarity.csv").open(encoding="utf-8")))


def _pairs(rows) -> list[frozenset[str]]:
    return [frozenset((r["submission"], r["other"])) for r in rows]


@pytest.fixture(scope="module")
def found(batch) -> tuple[Path, list[dict[str, str]], str]:
    out = batch["root"] / "out"
    code, stdout, err = _cli(["similarity", batch["batch"], "--out", out, "--against", batch["against"],
                              "--starter", batch["starter"]])
    assert code == 0, err
    return out, _rows(out), stdout


# --------------------------------------------------------------------------- what is found


def test_copies_are_found_at_the_top_and_nothing_else_is_listed(found):
    _, rows, stdout = found
    expected = {frozenset(("alice", "bob")), frozenset(("alice", "carol")), frozenset(("bob", "carol")),
                frozenset(("dave", "against/someone-cs224d/q3_word2vec.py"))}
    assert set(_pairs(rows)) == expected
    assert all(float(r["share"]) >= 0.95 for r in rows)
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
    assert "dave  ~  source against/someone-cs224d/q3_word2vec.py" in stdout


def test_an_against_file_given_itself_is_named_once(batch, tmp_path):
    out = tmp_path / "out"
    public = batch["against"] / "someone-cs224d" / "q3_word2vec.py"
    code, stdout, err = _cli(["similarity", batch["batch"], "--out", out, "--against", public])
    assert code == 0, err
    assert frozenset(("dave", "q3_word2vec.py")) in _pairs(_rows(out))
    assert "dave  ~  source q3_word2vec.py\n" in stdout


def test_a_verbatim_copy_is_a_complete_match(found):
    _, rows, _ = found
    row = next(r for r in rows if _pairs([r])[0] == {"alice", "bob"})
    assert float(row["submission_share"]) == float(row["other_share"]) == 1.0


def test_renamed_variables_and_reordered_functions_do_not_hide_a_copy(found):
    _, rows, _ = found
    row = next(r for r in rows if _pairs([r])[0] == {"alice", "carol"})
    assert float(row["share"]) >= 0.95


def test_independent_solutions_and_untouched_starters_are_not_listed(found):
    _, rows, _ = found
    listed = set().union(*_pairs(rows))
    assert not listed & {"erin", "frank", "gina", "hank"}


def test_files_with_nothing_of_their_own_are_said_and_not_counted_as_compared(tmp_path):
    starter = tmp_path / "starter"
    starter.mkdir()
    (starter / "q3_word2vec.py").write_text(corpus.STARTER)
    b = tmp_path / "b"
    b.mkdir()
    (b / "alice.py").write_text(ORIGINAL)
    (b / "bob.py").write_text(OTHER_1)
    (b / "empty.py").write_text("")
    (b / "notes.py").write_text("# I will finish this later\n# really\n")
    (b / "untouched.py").write_text(corpus.STARTER)
    against = tmp_path / "against"
    against.mkdir()
    (against / "__init__.py").write_text("")
    (against / "public.py").write_text(PUBLIC)
    out = tmp_path / "out"
    code, _, err = _cli(["similarity", b, "--out", out, "--starter", starter, "--against", against])
    assert code == 0, err
    assert "among 2 submissions and 1 source file (leads" in err
    assert ("note: 3 submissions had nothing of their own to compare (empty, comments only, or only the starter's "
            "code) and are not counted as compared: empty, notes, untouched") in err
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "<b>2</b> submissions compared" in page and "<b>1</b> source file (--against)" in page
    assert "1 --against file had nothing of its own to compare and is not counted." in page
    assert "empty, notes, untouched" in page
    code, stdout, _ = _cli(["similarity", b, "--out", out, "--starter", starter, "--json"])
    doc = json.loads(stdout)
    assert doc["submissions"] == 2 and doc["nothing_to_compare"] == ["empty", "notes", "untouched"]


def test_one_pair_is_said_as_one_pair(tmp_path):
    b = tmp_path / "b"
    b.mkdir()
    (b / "alice.py").write_text(ORIGINAL)
    (b / "bob.py").write_text(ORIGINAL)
    out = tmp_path / "out"
    code, _, err = _cli(["similarity", b, "--out", out])
    assert code == 0, err
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "similar code, 1 pair to review</title>" in page and "<b>1</b> pair at or above 50%" in page


def test_without_the_starter_the_untouched_starters_would_be_listed(batch):
    # the control of the test above: it is --starter that takes the skeleton out
    out = batch["root"] / "no-starter"
    code, _, err = _cli(["similarity", batch["batch"], "--out", out])
    assert code == 0, err
    assert frozenset(("gina", "hank")) in _pairs(_rows(out))


def test_the_rubric_stand_ins_alone_are_boilerplate(tmp_path):
    for who in ("ivan", "judy"):
        (tmp_path / who).mkdir()
        for f in ("q1_softmax.py", "q2_sigmoid.py", "q2_gradcheck.py"):
            (tmp_path / who / f).write_text((STAND_INS / f).read_text())
    (tmp_path / "kim.py").write_text(ORIGINAL)
    f = find(tmp_path, rubric=RUBRIC)
    assert f.pairs == ()
    g = find(tmp_path, rubric=None)  # without the rubric, the same files are a complete match
    assert [(g.documents[p.a.doc].id, g.documents[p.b.doc].id) for p in g.pairs] == [("ivan", "judy")]


def test_python_2_files_are_compared_as_written(found):
    out, _, _ = found
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert 'print &#34;check %d&#34; % i' in page  # dave's side, untranslated
    assert "xrange(" in page


def test_a_canvas_download_takes_part(tmp_path):
    download = tmp_path / "canvas.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("smithjohn_1001_5001_q3_word2vec.py", ORIGINAL)
        z.writestr("doejane_LATE_1002_5002_q3_word2vec.py", corpus.renamed(ORIGINAL, corpus.RENAMES))
        z.writestr("roeric_1003_5003_q3_word2vec.py", OTHER_1)
    out = tmp_path / "out"
    code, stdout, err = _cli(["similarity", download, "--out", out])
    assert code == 0, err
    rows = _rows(out)
    assert _pairs(rows) == [frozenset(("1001", "1002"))]
    # the students' names, as grades.csv gives them (the download's names), beside their ids
    assert {rows[0]["submission_name"], rows[0]["other_name"]} == {"smithjohn", "doejane"}
    assert "1001 (smithjohn)  ~  submission 1002 (doejane)" in stdout
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert '<td class="id">1001 (smithjohn)</td>' in page and "<h3>1002 (doejane) " in page
    # the headings go down one level at a time (a screen reader's outline: h1, h2, then each side's h3)
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    code, stdout, _ = _cli(["similarity", download, "--out", out, "--json"])
    pair = json.loads(stdout)["pairs"][0]
    assert (pair["submission_name"], pair["other_name"]) == ("smithjohn", "doejane")


def test_a_fingerprint_in_more_submissions_than_max_sharing_is_common_code(tmp_path):
    shared = corpus.IMPLEMENTATIONS["negSamplingCostAndGradient"][1]
    for i in range(4):  # four students' own code, and one function all four wrote alike
        own = corpus.solution({n: (i + j) % 3 for j, n in enumerate(corpus.ORDER)})
        (tmp_path / f"s{i}.py").write_text(own.replace(corpus.IMPLEMENTATIONS["softmax"][i % 3], shared))
    common = find(tmp_path, rubric=RUBRIC, threshold=0.05, max_sharing=3)
    counted = find(tmp_path, rubric=RUBRIC, threshold=0.05, max_sharing=4)
    assert common.n_common > 0 and counted.n_common == 0
    share = {frozenset((f.documents[p.a.doc].id, f.documents[p.b.doc].id)): p.share
             for f in (counted,) for p in f.pairs}
    share_common = {frozenset((common.documents[p.a.doc].id, common.documents[p.b.doc].id)): p.share
                    for p in common.pairs}
    pair = frozenset(("s0", "s1"))
    assert share[pair] > share_common.get(pair, 0.0)


# --------------------------------------------------------------------------- what the TA gets


def test_similarity_html_shows_both_sides_with_the_matched_code_marked(found):
    out, _, _ = found
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "leads for a person to review, not verdicts" in page
    assert page.count('<details class="pair"') == 4
    assert 'id="pair-alice--carol"' in page
    assert '<mark class="match">' in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")


def test_the_cell_lines_the_grader_writes_into_a_notebook_are_never_marked_as_matched(found):
    out, _, _ = found
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "# cell [2]" in page  # carol's notebook is shown, cell by cell
    marked = re.findall(r'<mark class="match">(.*?)</mark>', page, re.S)
    assert marked and not [m for m in marked if "# cell [" in m]


def test_grade_with_similarity_writes_matches_into_results_and_a_summary_section(batch):
    out = batch["root"] / "graded"
    code, stdout, err = _cli(["grade", batch["batch"], "--out", out, "--similarity", "--against", batch["against"],
                              "--starter", batch["starter"], "--no-progress", "--jobs", "2"])
    assert code == 0, err
    assert (out / "similarity.html").is_file() and (out / "similarity.csv").is_file()
    alice = json.loads((out / "alice" / "result.json").read_text())
    assert alice["schema"] == "grader.result/1"
    assert {m["other"] for m in alice["similarity"]} == {"bob", "carol"}
    assert all(m["kind"] == "submission" and m["share"] >= 0.95 for m in alice["similarity"])
    dave = json.loads((out / "dave" / "result.json").read_text())
    assert dave["similarity"] == [{"other": "against/someone-cs224d/q3_word2vec.py", "kind": "source", "share": 1.0}]
    assert "similarity" not in json.loads((out / "erin" / "result.json").read_text())
    assert SubmissionResult.from_dict(alice).similarity[0].other in ("bob", "carol")
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert 'id="similarity"' in summary and 'href="similarity.html#pair-alice--bob"' in summary
    # what students see: their report, their line in the terminal
    for sid in ("alice", "bob", "carol", "dave"):
        report = (out / sid / "report.html").read_text(encoding="utf-8")
        assert "similar" not in report.lower() and "someone-cs224d" not in report
    assert not any("bob" in line or "similar" in line for line in stdout.splitlines() if line.startswith("alice"))


def test_grade_without_similarity_has_no_section(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.py").write_text(ORIGINAL)
    (tmp_path / "b" / "y.py").write_text(ORIGINAL)
    code, _, err = _cli(["grade", tmp_path / "b", "--out", tmp_path / "out", "--no-progress", "--jobs", "1"])
    assert code == 0, err
    assert 'id="similarity"' not in (tmp_path / "out" / "summary.html").read_text()
    assert not (tmp_path / "out" / "similarity.html").exists()
    assert "similarity" not in json.loads((tmp_path / "out" / "x" / "result.json").read_text())


def test_a_students_report_terminal_and_gradescope_output_never_show_matches():
    r = SubmissionResult("alice", "word2vec-softmax", "graded", 20.0, 20.0,
                         similarity=(SimilarityMatch("copycat-bob", "submission", 0.97),))
    assert r.to_dict()["similarity"] == [{"other": "copycat-bob", "kind": "submission", "share": 0.97}]
    shown = [render.report(r), render.terminal(r, color=False), json.dumps(gradescope_results(r, execution_time=1.0))]
    for text in shown:
        assert "copycat-bob" not in text and "97" not in text and "similar" not in text.lower()


def test_the_json_output_lists_the_pairs(batch):
    code, stdout, err = _cli(["similarity", batch["batch"], "--out", batch["root"] / "j", "--json",
                              "--against", batch["against"], "--starter", batch["starter"]])
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["schema"] == "grader.similarity/1" and len(doc["pairs"]) == 4
    assert doc["pairs"][0]["share"] == 1.0


# --------------------------------------------------------------------------- bad input and missing package


@pytest.mark.parametrize("argv, message", [
    (["--against", "{root}/nowhere"], "--against '{root}/nowhere' does not exist; give a folder of .py files, notebooks or zips"),
    (["--starter", "{root}/nowhere"], "--starter '{root}/nowhere' does not exist; give the starter code's folder, zip or file"),
    (["--threshold", "1.5"], "--threshold must be a share above 0 and at most 1, such as 0.5 (got 1.5)"),
    (["--threshold", "0"], "--threshold must be a share above 0 and at most 1, such as 0.5 (got 0.0)"),
    (["--max-sharing", "0"], "--max-sharing must be at least 1 (got 0)"),
])
def test_bad_options_exit_2_with_a_message(tmp_path, argv, message):
    (tmp_path / "b").mkdir()
    argv = [a.format(root=tmp_path) for a in argv]
    code, _, err = _cli(["similarity", tmp_path / "b", "--out", tmp_path / "o", *argv])
    assert code == 2
    assert err == f"error: {message.format(root=tmp_path)}\n"


def test_similarity_on_a_folder_with_no_submission_is_exit_2_as_grade_is(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / ".DS_Store").write_text("hidden: skipped")
    for command in ("similarity", "grade"):
        code, _, err = _cli([command, tmp_path / "b", "--out", tmp_path / "o"])
        assert code == 2 and f"SUBMISSIONS {str(tmp_path / 'b')!r} holds no submission" in err, (command, err)
    assert not (tmp_path / "o").exists()


def test_an_against_file_that_cannot_be_read_is_said_not_dropped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.py").write_text(ORIGINAL)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "good.py").write_text(OTHER_1)
    (earlier / "broken.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    code, out, err = _cli(["similarity", tmp_path / "b", "--out", tmp_path / "o", "--against", earlier, "--json"])
    assert code == 0, err
    assert f"warning: 1 --against file could not be read and was not compared: {earlier / 'broken.zip'}: " in err
    doc = json.loads(out)
    assert doc["sources"] == 1 and [s.split(": ")[0] for s in doc["unread_sources"]] == [str(earlier / "broken.zip")]
    assert "could not be read and was not compared" in (tmp_path / "o" / "similarity.html").read_text()


def test_similarity_options_without_similarity_exit_2(tmp_path):
    (tmp_path / "b").mkdir()
    code, _, err = _cli(["grade", tmp_path / "b", "--out", tmp_path / "o", "--against", tmp_path])
    assert code == 2 and "add --similarity" in err


def test_without_copydetect_the_command_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "copydetect", None)  # import copydetect raises ImportError
    monkeypatch.setitem(sys.modules, "copydetect.utils", None)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.py").write_text(ORIGINAL)
    for argv in (["similarity", tmp_path / "b", "--out", tmp_path / "o"],
                 ["grade", tmp_path / "b", "--out", tmp_path / "o", "--similarity"]):
        code, _, err = _cli(argv)
        assert code == 2
        assert "pip install 'grader[similarity]'" in err
    assert not (tmp_path / "o" / "x").exists()  # said before grading anything


# --------------------------------------------------------------------------- pieces


def _fp(hashes) -> FileFingerprints:
    h = np.asarray(hashes, dtype=np.int64)
    return FileFingerprints(h, np.arange(len(h), dtype=np.int32), np.zeros((1, 2), dtype=np.int64), len(h) + 25)


def test_finding_candidates_keeps_no_memory_per_pair_below_the_threshold():
    # 300 submissions, every two sharing 30 fingerprints of their 1,030: every pair is met, none
    # reaches the threshold, so what is kept must not grow with the pairs (45,000 of them)
    import tracemalloc

    from grader.similarity.match import candidates

    shared = np.arange(30)
    docs = [(_fp(np.concatenate((shared, 10_000 + 1_000 * i + np.arange(1_000)))),) for i in range(300)]
    index = Index(docs, [False] * 300, np.zeros(0, dtype=np.int64), max_sharing=300)
    tracemalloc.start()
    try:
        assert candidates(index, threshold=0.5, min_shared=10) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # keeping each side met took 15 MB
    assert candidates(index, threshold=0.02, min_shared=10)[:2] == [(0, 1), (0, 2)]  # the control: all are met


def test_the_index_counts_shared_fingerprints_like_comparing_every_pair():
    rng = np.random.default_rng(5)
    docs = [(_fp(rng.integers(0, 400, size=rng.integers(0, 120))),) for _ in range(40)]
    is_source = [i >= 30 for i in range(40)]
    index = Index(docs, is_source, np.array([1, 2, 3], dtype=np.int64), max_sharing=8)
    kept = [d.kept for d in index.docs]
    for i in range(40):
        brute = [0 if j == i else len(np.intersect1d(kept[i], kept[j])) for j in range(40)]
        assert index.shared_counts(i).tolist() == brute
    # nothing common or boilerplate is kept, and what is common is in more than 8 submissions
    # (of the k-grams clear of the starter's: one that overlaps a boilerplate k-gram is not counted)
    from grader.similarity.index import _off_the_starter

    bp = np.array([1, 2, 3], dtype=np.int64)
    subs = np.concatenate([np.unique(_off_the_starter(d[0], bp).hashes) for d, s in zip(docs, is_source) if not s])
    h, n = np.unique(subs, return_counts=True)
    assert set(index.common.tolist()) == set(h[n > 8].tolist()) - {1, 2, 3}
    assert not any(np.isin(k, index.ignored).any() for k in kept)


def test_the_index_gives_each_side_the_share_that_comparing_the_pair_gives():
    from grader.similarity.fingerprint import fingerprint
    from grader.similarity.match import compare

    import random

    rng = random.Random(11)
    texts = []
    for _ in range(24):
        choice = {n: rng.randrange(3) for n in corpus.ORDER}
        texts.append(corpus.mutated(corpus.solution(choice), rng))
    # a copy cut into short runs by a dead statement after each line, and one split over two files
    texts.append("\n".join(f"{line}\n_dead = 0" if line.strip() and not line.startswith((" ", "\t", "def", "@"))
                          else line for line in texts[0].splitlines()))
    half = len(texts[1]) // 2
    docs = [(fingerprint(t),) for t in texts] + [(fingerprint(texts[1][:half]), fingerprint(texts[1][half:]))]
    index = Index(docs, [False] * len(docs), np.zeros(0, dtype=np.int64), max_sharing=len(docs))
    checked = 0
    for i in range(len(docs)):
        js, shares = index.sides(i, 1)
        assert set(js.tolist()) == {j for j in range(len(docs)) if j != i and index.shared_counts(i)[j] >= 1}
        for j, share in zip(js.tolist(), shares.tolist()):
            assert share == pytest.approx(compare(index, i, j).a.share, abs=1e-12), (i, j)
            checked += 1
    assert checked > 100


def test_a_copy_cut_into_short_runs_is_listed_at_the_threshold_its_share_reaches(tmp_path):
    import random

    rng = random.Random(4)
    for i in range(6):
        choice = {n: rng.randrange(3) for n in corpus.ORDER}
        (tmp_path / f"s{i}.py").write_text(corpus.mutated(corpus.solution(choice), rng))
    original = (tmp_path / "s0.py").read_text()
    # a dead statement after every statement: the copied runs are short, most fingerprints differ
    padded = "\n".join(line + ("\n" + line[:len(line) - len(line.lstrip())] + "_unused = [0] * 3"
                               if line.strip() and not line.rstrip().endswith((":", ",", "(", "[", "\\"))
                               and not line.lstrip().startswith(("return", "@", "#")) else "")
                       for line in original.splitlines())
    (tmp_path / "copier.py").write_text(padded)
    low = find(tmp_path, rubric=RUBRIC, threshold=0.2)
    share = next(p.share for p in low.pairs if {low.documents[p.a.doc].id, low.documents[p.b.doc].id} == {"s0", "copier"})
    assert share >= 0.3
    at = find(tmp_path, rubric=RUBRIC, threshold=share - 1e-9)
    assert any({at.documents[p.a.doc].id, at.documents[p.b.doc].id} == {"s0", "copier"} for p in at.pairs)


def test_a_k_gram_running_into_starter_code_is_not_the_students():
    from grader.similarity.fingerprint import K
    from grader.similarity.index import _off_the_starter

    # positions 0..99; the starter's k-grams start at 40..49, so they cover 40..(49 + K)
    f = FileFingerprints(np.arange(100, 200, dtype=np.int64), np.arange(100, dtype=np.int32),
                         np.zeros((1, 2), dtype=np.int64), 100 + K)
    kept = _off_the_starter(f, np.arange(140, 150, dtype=np.int64))
    # kept: the k-grams ending at or before 40, and those starting at or after 49 + K
    assert kept.positions.tolist() == list(range(0, 40 - K + 1)) + list(range(49 + K, 100))
    assert _off_the_starter(f, np.array([7], dtype=np.int64)) is f  # no starter: unchanged


def test_starter_lines_beside_a_students_code_are_not_highlighted(tmp_path):
    starter, subs = tmp_path / "starter", tmp_path / "subs"
    starter.mkdir()
    subs.mkdir()
    (starter / "q3_word2vec.py").write_text(corpus.STARTER)
    for name, choice in (("a", 0), ("b", 1)):  # independent solutions, each after the course's skeleton
        (subs / f"{name}.py").write_text(corpus.STARTER + "\n" + corpus.solution(choice))
    f = find(subs, rubric=RUBRIC, starter=[starter], threshold=0.0)
    (p,) = f.pairs
    assert p.share < 0.2
    text = f.documents[p.a.doc].files[0].text
    highlighted = "\n".join(text[a:b] for _, regions in p.a.regions for a, b in regions)
    # the skeleton's own last lines, next to the first line of the student's code, are not theirs
    assert 'if __name__ == "__main__":' not in highlighted and "test_word2vec()" not in highlighted


def test_independent_submissions_are_not_all_compared(tmp_path):
    import random

    rng = random.Random(3)
    for i in range(40):
        choice = {n: rng.randrange(3) for n in corpus.ORDER}
        (tmp_path / f"s{i:02d}.py").write_text(corpus.mutated(corpus.solution(choice), rng))
    f = find(tmp_path, rubric=RUBRIC)
    assert f.n_candidates < 40 * 39 // 2 // 4  # only pairs sharing enough fingerprints are compared


def test_a_notebook_counts_by_its_code_cells_as_written(tmp_path):
    nb = tmp_path / "n.ipynb"
    nb.write_text(_notebook(["x = 1  # first", "print 'hello'"]))
    doc = next(iter(documents.submissions(nb, RUBRIC.settings)))
    # code cells only (no markdown), as written: the magic untranslated, Python 2 untranslated
    assert doc.files[0].text == "# cell #2\n%matplotlib inline\n\n# cell [1]\nx = 1  # first\n\n# cell [2]\nprint 'hello'\n"


def test_segments_cut_long_files_and_say_so():
    segs, more = segments("a+" * 5, ((2, 4), (8, 12)), limit=6)
    assert [(s.text, s.matched) for s in segs] == [("a+", False), ("a+", True), ("a+", False)]
    assert more == 4


def test_similarity_on_a_results_folder_adds_matches_and_the_summary_section(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.py").write_text(ORIGINAL)
    (tmp_path / "b" / "y.py").write_text(corpus.renamed(ORIGINAL, corpus.RENAMES))
    (tmp_path / "b" / "z.py").write_text(OTHER_1)
    out = tmp_path / "out"
    assert _cli(["grade", tmp_path / "b", "--out", out, "--no-progress", "--jobs", "1"])[0] == 0
    assert 'id="similarity"' not in (out / "summary.html").read_text()
    code, _, err = _cli(["similarity", tmp_path / "b", "--out", out])
    assert code == 0, err
    assert json.loads((out / "x" / "result.json").read_text())["similarity"][0]["other"] == "y"
    assert "similarity" not in json.loads((out / "z" / "result.json").read_text())
    assert 'href="similarity.html#pair-x--y"' in (out / "summary.html").read_text()


def test_similarity_into_a_graded_folder_keeps_the_rubric_the_batch_was_graded_under(tmp_path):
    # a CS224d 2016 batch, graded without --rubric (cs224d-2016 chosen): `grader similarity` into its
    # results folder rewrites summary.html, and must not retitle it with the default rubric's words
    versions = Path(__file__).parent / "submissions" / "versions" / "cs224d-2016"
    b, out = tmp_path / "b", tmp_path / "out"
    for who in ("ann", "ben"):
        shutil.copytree(versions, b / who)
    assert _cli(["grade", b, "--out", out, "--no-progress", "--jobs", "1"])[0] == 0
    title = re.search(r"<title>([^<]*)", (out / "summary.html").read_text())[1]
    assert "CS224d 2016" in title
    code, _, err = _cli(["similarity", b, "--out", out])
    assert code == 0, err
    assert re.search(r"<title>([^<]*)", (out / "summary.html").read_text())[1] == title
    assert "CS224d 2016" in re.search(r"<title>([^<]*)", (out / "similarity.html").read_text())[1]
    # and a fresh folder: the version the submissions look like, as grade chooses it
    code, _, err = _cli(["similarity", b, "--out", tmp_path / "fresh"])
    assert code == 0, err
    assert "CS224d 2016" in re.search(r"<title>([^<]*)", (tmp_path / "fresh" / "similarity.html").read_text())[1]


def test_a_later_similarity_run_leaves_no_match_of_an_earlier_one_behind(tmp_path):
    b, out = tmp_path / "b", tmp_path / "out"
    b.mkdir()
    (b / "x.py").write_text(ORIGINAL)
    (b / "y.py").write_text(corpus.renamed(ORIGINAL, corpus.RENAMES))
    (b / "z.py").write_text(OTHER_1)
    assert _cli(["grade", b, "--out", out, "--no-progress", "--jobs", "1", "--similarity"])[0] == 0
    assert json.loads((out / "y" / "result.json").read_text())["similarity"][0]["other"] == "x"
    # the same folder again, y left out (handed in by mistake, say): y's match was that run's
    (tmp_path / "again").mkdir()
    for name in ("x.py", "z.py"):
        (tmp_path / "again" / name).write_text((b / name).read_text())
    code, _, err = _cli(["similarity", tmp_path / "again", "--out", out])
    assert code == 0, err
    for sid in ("x", "y", "z"):
        assert "similarity" not in json.loads((out / sid / "result.json").read_text()), sid
    summary = (out / "summary.html").read_text()
    assert "similarity.html#pair-x--y" not in summary


def test_similarity_names_submissions_by_the_ids_the_results_folder_gave_them(tmp_path):
    # "a b.py" was graded first, as a_b; "a_b.py" came later and is a_b-2 there. The matches go
    # into each student's own result.json, by those ids, not by the ids a fresh batch would give.
    b, out = tmp_path / "b", tmp_path / "out"
    b.mkdir()
    (b / "a b.py").write_text(ORIGINAL)
    (b / "c.py").write_text(corpus.renamed(ORIGINAL, corpus.RENAMES))
    assert _cli(["grade", b, "--out", out, "--no-progress", "--jobs", "1"])[0] == 0
    (b / "a_b.py").write_text(OTHER_1)
    assert _cli(["grade", b, "--out", out, "--no-progress", "--jobs", "1"])[0] == 0
    assert json.loads((out / "a_b-2" / "result.json").read_text())["source"] == "b/a_b.py"
    code, _, err = _cli(["similarity", b, "--out", out])
    assert code == 0, err
    assert [m["other"] for m in json.loads((out / "a_b" / "result.json").read_text())["similarity"]] == ["c"]
    assert [m["other"] for m in json.loads((out / "c" / "result.json").read_text())["similarity"]] == ["a_b"]
    assert "similarity" not in json.loads((out / "a_b-2" / "result.json").read_text())


def test_fingerprinting_on_forked_processes_finds_the_same_pairs(tmp_path):
    import random

    rng = random.Random(7)
    for i in range(70):  # enough documents for the process pool
        choice = {n: rng.randrange(4) for n in corpus.ORDER}
        (tmp_path / f"s{i:02d}.py").write_text(corpus.mutated(corpus.solution(choice), rng, rate=0.5))
    (tmp_path / "s70.py").write_text((tmp_path / "s05.py").read_text())
    one, two = (find(tmp_path, rubric=RUBRIC, jobs=j) for j in (1, 2))
    pairs = [[(f.documents[p.a.doc].id, f.documents[p.b.doc].id, round(p.share, 6)) for p in f.pairs]
             for f in (one, two)]
    assert pairs[0] == pairs[1]
    assert ("s05", "s70", 1.0) in pairs[0]


def test_a_code_copied_by_many_is_common_unless_max_sharing_says_otherwise_and_long_lists_are_cut(tmp_path):
    for i in range(21):
        (tmp_path / "b" / f"s{i:02d}").mkdir(parents=True)
        (tmp_path / "b" / f"s{i:02d}" / "q3_word2vec.py").write_text(ORIGINAL)
    code, _, err = _cli(["similarity", tmp_path / "b", "--out", tmp_path / "o1"])
    assert code == 0, err
    assert _rows(tmp_path / "o1") == []  # in 21 submissions, more than the default 10: common code
    code, _, err = _cli(["similarity", tmp_path / "b", "--out", tmp_path / "o2", "--max-sharing", "21"])
    assert code == 0, err
    assert len(_rows(tmp_path / "o2")) == 21 * 20 // 2
    page = (tmp_path / "o2" / "similarity.html").read_text(encoding="utf-8")
    assert page.count('<details class="pair"') == 200
    assert "… 10 more pairs are not shown here; similarity.csv lists all 210." in page


def test_the_stand_ins_of_every_built_in_rubric_are_boilerplate():
    texts = documents.builtin_stand_ins()
    for name in ("word2vec", "cs224n"):
        assert {s.text for s in load_rubric(name).starter} <= set(texts)
    assert len(texts) == len(set(texts))
    assert set(texts) <= set(documents.starter_texts(load_rubric("cs224n"), (), RUBRIC.settings))


def test_an_earlier_students_whole_folder_or_zip_copied_is_listed_once_at_its_share(tmp_path):
    honest = Path(__file__).parent / "submissions" / "problem-set-q2" / "honest"
    term, now = tmp_path / "fall2016", tmp_path / "now"
    shutil.copytree(honest / "loops", term / "oldstudent")
    with zipfile.ZipFile(term / "other.zip", "w") as z:  # another earlier student, handed in as a zip
        for f in sorted((honest / "vectorised").glob("*.py")):
            z.write(f, f.name)
    shutil.copytree(honest / "loops", now / "copier")  # the whole earlier submission, unchanged
    shutil.copytree(honest / "vectorised", now / "zipcopier")
    shutil.copytree(honest / "float32", now / "honest")
    shutil.copy(honest / "loops" / "q2_sigmoid.py", now / "onefile.py")  # one file of it
    f = find(now, rubric=RUBRIC, against=[term])
    listed = {(f.documents[p.a.doc].id, f.documents[p.b.doc].id): p.share for p in f.pairs if p.kind == "source"}
    assert listed[("copier", "fall2016/oldstudent/")] == pytest.approx(1.0)
    assert listed[("zipcopier", "fall2016/other.zip")] == pytest.approx(1.0)
    assert listed[("onefile", "fall2016/oldstudent/q2_sigmoid.py")] == pytest.approx(1.0)  # the file, not the folder
    # said once: not again as each of the files of the folder it is listed with
    assert [b for a, b in listed if a == "copier"] == ["fall2016/oldstudent/"]
    assert [b for a, b in listed if a == "onefile"] == ["fall2016/oldstudent/q2_sigmoid.py"]
    assert f.n_sources == len(list((honest / "loops").glob("*.py"))) + len(list((honest / "vectorised").glob("*.py")))
    # the --against folder itself (a whole term) is never one earlier submission
    assert not any(b == "fall2016/" for _, b in listed)
    page = (tmp_path / "out")
    code, _, err = _cli(["similarity", str(now), "--out", str(page), "--against", str(term)])
    assert code == 0, err
    assert "earlier submission (6 source files)" in (page / "similarity.html").read_text(encoding="utf-8")


def test_without_the_skeleton_the_ta_is_told_that_it_counts_as_the_students_code(batch, tmp_path):
    code, _, err = _cli(["similarity", batch["batch"], "--out", tmp_path / "bare"])
    assert code == 0 and "warning: no --starter was given: the course's skeleton" in err
    assert 'id="no-skeleton"' in (tmp_path / "bare" / "similarity.html").read_text(encoding="utf-8")
    code, _, err = _cli(["similarity", batch["batch"], "--out", tmp_path / "given", "--starter", batch["starter"]])
    assert code == 0 and "no --starter" not in err
    assert 'id="no-skeleton"' not in (tmp_path / "given" / "similarity.html").read_text(encoding="utf-8")


def test_an_earlier_student_inside_a_term_zip_is_one_earlier_submission(tmp_path):
    honest = Path(__file__).parent / "submissions" / "problem-set-q2" / "honest"
    with zipfile.ZipFile(tmp_path / "term.zip", "w") as z:  # a whole earlier term, a folder per student
        for student, style in (("oldA", "loops"), ("oldB", "vectorised")):
            for f in sorted((honest / style).glob("*.py")):
                z.write(f, f"{student}/{f.name}")
    now = tmp_path / "now"
    shutil.copytree(honest / "loops", now / "copier")
    shutil.copytree(honest / "float32", now / "honest")
    f = find(now, rubric=RUBRIC, against=[tmp_path / "term.zip"])
    listed = [(f.documents[p.a.doc].id, f.documents[p.b.doc].id, p.share) for p in f.pairs if p.kind == "source"]
    assert ("copier", "term.zip:oldA/", pytest.approx(1.0)) in listed
    assert not any(a == "copier" and b.startswith("term.zip:oldA/q") for a, b, _ in listed)  # said once
    # the term's zip as a whole is no earlier submission: it holds its students' folders, no file of its own
    assert not any(b == "term.zip" for _, b, _ in listed)
    assert all(d.id != "term.zip" for d in f.documents)


def test_a_similarity_run_is_refused_while_another_process_writes_the_results_folder(tmp_path):
    # 'grader similarity --out RESULTS' writes the matches into the result.json files and
    # summary.html: beside a 'grader grade' into the same RESULTS it replaced files being written.
    import os

    from grader.gradebook import results_lock

    for who in ("ivan", "judy"):
        (tmp_path / "subs").mkdir(exist_ok=True)
        (tmp_path / "subs" / f"{who}.py").write_text(ORIGINAL)
    out = tmp_path / "out"
    out.mkdir()
    with results_lock(out, "grader grade"):  # a grade run, writing
        code, _, err = _cli(["similarity", tmp_path / "subs", "--out", out])
        assert code == 2
        assert err.endswith(f"error: RESULTS {str(out)!r} is being written by grader grade (process {os.getpid()}); "
                            "let it finish (or stop it), then run this again\n")
    assert sorted(p.name for p in out.iterdir()) == []  # nothing was written
    code, _, err = _cli(["similarity", tmp_path / "subs", "--out", out])  # let go: it goes on
    assert code == 0, err
    assert (out / "similarity.csv").is_file() and not (out / ".grader.lock").exists()
