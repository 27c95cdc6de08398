"""grader.regrade's digests: a rubric change changes the digests of the questions it can affect, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.pipeline import prepare
from grader.regrade import CONSISTENCY, SHARED, Digests, Plan, digests, module_digests, plan
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
TOML = (ROOT / "rubrics" / "word2vec.toml").read_text(encoding="utf-8")
REFERENCE = (ROOT / "reference" / "word2vec.py").read_text(encoding="utf-8")


def rubric_digests(tmp_path: Path, toml: str = TOML, reference: str = REFERENCE, name: str = "w2v"):
    """Load the word2vec rubric as edited (its reference a copy beside it) and return (rubric, digests)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "word2vec.py").write_text(reference, encoding="utf-8")
    text = (toml.replace('reference = "../reference/word2vec.py"', 'reference = "word2vec.py"')
            .replace('starter_dir = "word2vec/starter"',
                     f'starter_dir = "{(ROOT / "rubrics" / "word2vec" / "starter").as_posix()}"'))
    (folder / "word2vec.toml").write_text(text, encoding="utf-8")
    rubric = load_rubric(str(folder / "word2vec.toml"))
    job = prepare(rubric)
    return rubric, digests(rubric, job.cases, job.calls)


def changed(a: Digests, b: Digests) -> set[str]:
    keys = set(a.rows()) | set(b.rows())
    return {k for k in keys if a.rows().get(k) != b.rows().get(k)}


def test_every_question_and_the_consistency_check_have_a_digest(tmp_path):
    rubric, d = rubric_digests(tmp_path)
    assert list(d.questions) == [q.id for q in rubric.questions] + [CONSISTENCY]
    assert len(set(d.rows().values())) == len(d.rows())  # all different
    _, again = rubric_digests(tmp_path, name="again")
    assert again == d  # the same rubric elsewhere: the same digests


def test_a_tolerance_of_one_question_changes_only_its_digest(tmp_path):
    rubric, before = rubric_digests(tmp_path, name="a")
    toml = TOML.replace('[questions.softmax.checks.stable-vector]\ncase = "large-vector"\n',
                        '[questions.softmax.checks.stable-vector]\ncase = "large-vector"\nrtol = 1e-4\n')
    assert toml != TOML
    changed_rubric, after = rubric_digests(tmp_path, toml, name="b")
    assert changed_rubric.digest != rubric.digest
    assert changed(before, after) == {"softmax"}
    assert plan(before.rows(), after) == Plan(frozenset({"softmax"}), "changed: softmax")


def test_points_of_a_gradient_question_change_it_not_the_consistency_comparisons(tmp_path):
    _, before = rubric_digests(tmp_path, name="a")
    toml = TOML.replace('[questions.grad_pred.checks.typical]\ncase = "typical"\n',
                        '[questions.grad_pred.checks.typical]\ncase = "typical"\npoints = 2.0\n')
    _, after = rubric_digests(tmp_path, toml, name="b")
    # the consistency check compares on "typical" too, but its comparisons do not depend on the
    # reference checks (only their reading does, and that is redone at every regrade)
    assert changed(before, after) == {"grad_pred"}


def test_a_call_the_consistency_check_compares_with_changes_it(tmp_path):
    _, before = rubric_digests(tmp_path, name="a")
    toml = TOML.replace('[questions.cross_entropy.checks.small]\ncase = "small"\n',
                        '[questions.cross_entropy.checks.small]\ncase = "small"\ntimeout = 7.0\n')
    _, after = rubric_digests(tmp_path, toml, name="b")
    assert changed(before, after) == {"cross_entropy", "grad_pred", "grad_output", CONSISTENCY}
    _, table = rubric_digests(tmp_path, TOML.replace("sample = 40\n", "sample = 30\n"), name="c")
    assert changed(before, table) == {CONSISTENCY}


def test_a_timeout_raised_on_a_shared_call_changes_every_question_that_reads_the_call(tmp_path):
    _, before = rubric_digests(tmp_path, name="a")
    toml = TOML.replace('[questions.cross_entropy.checks.extreme]\ncase = "extreme"\n',
                        '[questions.cross_entropy.checks.extreme]\ncase = "extreme"\ntimeout = 7.0\n')
    _, after = rubric_digests(tmp_path, toml, name="b")
    # cross_entropy, grad_pred and grad_output read one call on "extreme": its timeout is the
    # largest of theirs
    assert changed(before, after) == {"cross_entropy", "grad_pred", "grad_output"}


def test_a_question_removed_changes_the_questions_sharing_its_calls(tmp_path):
    # grad_output's checks read the cost function's calls with cross_entropy's and grad_pred's: once
    # it is gone, those calls return less, under a smaller size bound (docs/rubrics.md says so).
    rubric = load_rubric("word2vec")
    job = prepare(rubric)
    before = digests(rubric, job.cases, job.calls)
    (tmp_path / "drop.toml").write_text('name = "word2vec-softmax"\ntitle = "t"\nversion = "1"\n'
                                        'extends = "word2vec"\nexclude_questions = ["grad_output"]\n')
    dropped = load_rubric(str(tmp_path / "drop.toml"))
    job = prepare(dropped)
    after = digests(dropped, job.cases, job.calls)
    assert changed(before, after) == {"cross_entropy", "grad_pred", "grad_output"}
    assert plan(before.rows(), after) == Plan(frozenset({"cross_entropy", "grad_pred"}),
                                              "changed: cross_entropy, grad_pred; removed: grad_output")
    docs = (ROOT / "docs" / "rubrics.md").read_text(encoding="utf-8")
    assert "| a question removed | nothing" not in docs and "removing `grad_output` grades `cross_entropy`" in docs


def test_a_case_seed_changes_the_questions_graded_on_that_case(tmp_path):
    _, before = rubric_digests(tmp_path, name="a")
    toml = TOML.replace("seed = 101\n", "seed = 1101\n")  # the case "vector" (softmax)
    _, after = rubric_digests(tmp_path, toml, name="b")
    assert changed(before, after) == {"softmax"}


def test_reordered_keys_comments_title_and_version_change_no_digest(tmp_path):
    rubric, before = rubric_digests(tmp_path, name="a")
    block = ('title = "Softmax"\nexpected = "softmax"\nshape = "leading"\nrtol = 1e-5\natol = 1e-8\npoints = 0.5\n')
    assert block in TOML
    reordered = TOML.replace(block, 'points = 0.5\natol = 1e-8\nrtol = 1e-5\nshape = "leading"\n'
                                    'expected = "softmax"\ntitle = "Softmax"\n')
    # two check tables of softmax swapped
    a = '[questions.softmax.checks.vector]\ncase = "vector"\n\n'
    b = '[questions.softmax.checks.matrix]\ncase = "matrix"\n\n'
    assert a + b in reordered
    reordered = reordered.replace(a + b, b + a)
    reordered = re.sub(r'^title = "[^"]*"', 'title = "Word2vec (fixed)"', reordered, count=1, flags=re.M)
    reordered = re.sub(r'^version = "[^"]*"', 'version = "2"', reordered, count=1, flags=re.M)
    reordered = "# fixed after the first week\n" + reordered.replace("# names      accepted names", "# names   the names")
    other, after = rubric_digests(tmp_path, reordered, name="b")
    assert other.digest != rubric.digest
    assert after == before
    assert plan(before.rows(), after) == Plan(frozenset(), "no question's checks changed")


@pytest.mark.parametrize("edit, why", [
    (lambda t: t.replace("memory_mb = 1024", "memory_mb = 900"), "settings"),
    (lambda t: t.replace("cell_timeout = 5.0", "cell_timeout = 8.0"), "settings"),
    (lambda t: t.replace('name = "word2vec-softmax"', 'name = "word2vec-fixed"', 1), "name"),
])
def test_shared_settings_change_the_shared_digest_and_regrade_every_question(tmp_path, edit, why):
    _, before = rubric_digests(tmp_path, name="a")
    toml = edit(TOML)
    assert toml != TOML, why
    _, after = rubric_digests(tmp_path, toml, name="b")
    assert changed(before, after) == {SHARED}
    p = plan(before.rows(), after)
    assert p.full and p.questions is None and "[settings]" in p.reason


def test_the_reference_module_function_by_function(tmp_path):
    _, before = rubric_digests(tmp_path, name="a")
    # a generator used by softmax's cases only
    gen = REFERENCE.replace("def gen_softmax(rng, shape, scale=1.0, offset=0.0, row_offsets=None):\n",
                            "def gen_softmax(rng, shape, scale=1.0, offset=0.0, row_offsets=None):\n    rng = rng\n")
    assert gen != REFERENCE
    _, after = rubric_digests(tmp_path, reference=gen, name="b")
    assert changed(before, after) == {"softmax"}
    # comments and blank lines count for nothing
    _, same = rubric_digests(tmp_path, reference="# reviewed\n\n" + REFERENCE.replace("\n\n\n", "\n\n\n\n"),
                             name="c")
    assert same == before
    # module-level code outside any function may change anything: every question
    _, anew = rubric_digests(tmp_path, reference=REFERENCE + "\nif np.pi < 3:\n    raise SystemExit\n", name="d")
    assert changed(before, anew) == {SHARED}


def test_the_reference_softmax_is_read_by_every_question_that_calls_it(tmp_path):
    _, before = rubric_digests(tmp_path, name="a")
    ref = REFERENCE.replace("def softmax(x):\n", "def softmax(x):\n    x = x\n", 1)
    assert ref != REFERENCE
    _, after = rubric_digests(tmp_path, reference=ref, name="b")
    # the reference's gradients call its softmax (its cost does not)
    assert changed(before, after) == {"softmax", "grad_pred", "grad_output"}


def test_module_digests_follow_helpers_and_constants():
    src = "import numpy as np\nEPS = 1e-8\n\ndef f(x):\n    return _h(x)\n\ndef _h(x):\n    return x + EPS\n\ndef g(x):\n    return x\n"
    a = module_digests(src)
    b = module_digests(src.replace("EPS = 1e-8", "EPS = 1e-9"))
    assert (a.names["f"] != b.names["f"], a.names["_h"] != b.names["_h"], a.names["g"] == b.names["g"]) == (True,) * 3
    assert a.rest == b.rest
    assert module_digests("def f(:\n") .names == {}


def test_plan_of_unknown_digests_and_of_an_added_or_removed_question():
    # An added question is graded alone, like a changed one; a removed one just goes.
    now = Digests("s", {"a": "1", "b": "2"})
    assert plan(None, now).full and plan({}, now).full
    assert "not in the gradebook" in plan(None, now).reason
    added = plan({SHARED: "s", "a": "1"}, now)
    assert added == Plan(frozenset({"b"}), "added: b")
    assert plan({SHARED: "s", "a": "0", "c": "3"}, now) == Plan(frozenset({"a", "b"}), "added: b; changed: a; removed: c")
    removed = plan({SHARED: "s", "a": "1", "b": "2", "c": "3"}, now)
    assert removed == Plan(frozenset(), "removed: c")


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "rubrics").glob("*.toml")))
def test_every_builtin_rubric_has_a_digest_per_question(name):
    rubric = load_rubric(name)
    job = prepare(rubric)
    d = digests(rubric, job.cases, job.calls)
    units = [q.id for q in rubric.questions] + ([CONSISTENCY] if rubric.consistency else []) + (
        [f"written/{q.id}" for q in rubric.written.questions] if rubric.written is not None else [])
    assert list(d.questions) == units
    assert d == digests(rubric, job.cases, job.calls)
    assert plan(d.rows(), d) == Plan(frozenset(), "no question's checks changed")
