"""Tests of rubric loading: the built-in rubric, every validation message, and a TA's own rubric."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader import cases as cases_mod
from grader import checks
from grader.errors import ExitCode, RubricError
from grader.model import Settings, Tolerance
from grader.rubric import DETECTORS, builtin_rubric_path, load_rubric
from support import value_of

# --------------------------------------------------------------------------- the built-in rubric


def test_builtin_rubric_loads_with_the_question_ids_of_the_contract():
    r = load_rubric()
    assert r.name == "word2vec-softmax"
    assert [q.id for q in r.questions] == ["softmax", "cross_entropy", "grad_pred", "grad_output"]
    assert r.max_score == 20.0
    assert [q.max_score for q in r.questions] == [6.0, 4.0, 5.0, 5.0]
    assert all(c.id == f"{c.question}/{c.id.split('/')[1]}" for c in r.checks())
    assert r.functions["cost_and_grad"].arities == (4, 3)
    assert r.functions["cost_and_grad"].returns == ("cost", "gradPred", "grad")
    assert r.functions["softmax"].modules == ("q1_softmax", "word2vec", "q3_word2vec", "utils.utils")
    assert Path(r.reference_path).name == "word2vec.py" and Path(r.reference_path).is_file()
    assert re.fullmatch(r"[0-9a-f]{64}", r.digest)


def test_builtin_rubric_by_name_and_by_path_is_the_same():
    a, b, c = load_rubric(), load_rubric("word2vec"), load_rubric(str(builtin_rubric_path("word2vec")))
    assert a.digest == b.digest == c.digest
    assert a == b


def test_builtin_rubric_shape_modes_visibility_and_checks():
    r = load_rubric()
    by_id = {c.id: c for c in r.checks()}
    assert {c.shape for c in r.checks() if c.question == "softmax"} == {"leading"}
    assert {c.shape for c in r.checks() if c.question != "softmax"} == {"squeeze"}
    assert by_id["softmax/unmodified"].compare == "unmodified"
    assert by_id["softmax/unmodified"].expected == "" and by_id["softmax/unmodified"].mistakes == ("modified-input",)
    assert by_id["cross_entropy/inputs-unmodified"].compare == "unmodified"
    assert by_id["grad_output/small"].output == "grad" and by_id["grad_output/small"].expected == "grad_output"
    assert by_id["grad_pred/extreme"].tolerance == Tolerance(1e-4, 1e-4)
    assert by_id["softmax/wide"].timeout == 5.0
    hidden = {c.id for c in r.checks() if c.visibility == "hidden"}
    assert hidden == {"softmax/hidden-matrix", "softmax/hidden-mixed", "cross_entropy/hidden", "grad_pred/hidden",
                      "grad_output/hidden"}
    assert not r.cases["hidden-mixed"].public and r.cases["mixed-offsets"].public
    assert r.cases["large-vocab"].params == {"vocab": 5000, "dim": 50, "scale": 0.5}


def test_builtin_rubric_mistakes_starter_settings_and_consistency():
    r = load_rubric()
    used = {m for c in r.checks() for m in c.mistakes}
    assert used == set(r.mistakes)
    assert all(m["message"] for m in r.mistakes.values())
    assert {m["detector"] for m in r.mistakes.values() if "detector" in m} == set(DETECTORS)
    starter = {s.module: s for s in r.starter}
    assert set(starter) == {"q1_softmax", "q2_gradcheck", "q2_sigmoid", "utils", "utils.utils", "utils.gradcheck",
                            "utils.treebank", "cs224d", "cs224d.data_utils"}
    assert starter["q1_softmax"].provides == ("softmax",) and starter["utils.utils"].provides == ("softmax",)
    assert starter["utils.utils"].path == "utils/utils.py" and "def softmax" in starter["utils.utils"].text
    assert r.settings.allow_packages == ("numpy",) and r.settings.consistency_points is False
    assert isinstance(r.settings, Settings)
    assert r.consistency["wrt"] == {"gradPred": "predicted", "grad": "outputVectors"}
    assert r.consistency["cases"] == ("small", "typical")


def test_starter_stand_ins_use_only_the_standard_library_and_numpy():
    allowed = {"numpy", "random", "math"}
    for s in load_rubric().starter:
        imported = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", s.text, re.M))
        assert imported <= allowed, (s.module, imported - allowed)


def test_unknown_builtin_rubric_names_the_known_ones():
    with pytest.raises(RubricError, match=re.escape(
            "rubric word2vek: no built-in rubric 'word2vek'; did you mean 'word2vec'? "
            "(built-in: 'cs224d-2015', 'cs224d-2016', 'cs224d-2016-written', 'cs224n', 'cs224n-2017', 'cs224n-a2', 'cs224n-a2-written', 'problem-set', 'two-layer-net', 'word2vec', 'written')")) as e:
        load_rubric("word2vek")
    assert e.value.exit_code == ExitCode.USAGE


# --------------------------------------------------------------------------- a TA's own rubric

TA_REFERENCE = '''"""A TA's reference: squares."""
import numpy as np


def square(x):
    return np.asarray(x, dtype=float) ** 2


def cube(x):
    return np.asarray(x, dtype=float) ** 3


def gen_vec(rng, n):
    return (rng.normal(size=n) + 2.0,)
'''

TA_RUBRIC = '''name = "squares"
title = "Squares"
reference = "ref.py"

[functions.square]
names = ["square", "sq"]
params = ["x"]

[cases.small]
function = "square"
generator = "gen_vec"
params = { n = 3 }
seed = 1
description = "three numbers"

[questions.square]
title = "Square"
expected = "square"
mistakes = ["cubed"]

[questions.square.checks.small]
case = "small"
points = 2

[mistakes.cubed]
message = "you cubed"
formula = "cube"
'''


def write(tmp_path: Path, rubric: str = TA_RUBRIC, reference: str = TA_REFERENCE) -> Path:
    (tmp_path / "ref.py").write_text(reference)
    p = tmp_path / "squares.toml"
    p.write_text(rubric)
    return p


def test_a_ta_rubric_with_its_own_reference_grades(tmp_path):
    r = load_rubric(write(tmp_path))
    assert r.name == "squares" and r.max_score == 2.0 and r.reference_path == str(tmp_path / "ref.py")
    ref = cases_mod.load_reference(r)
    built = cases_mod.build(r, ref)
    (x,) = built["small"].args
    np.testing.assert_array_equal(built["small"].expected["square"], x ** 2)
    (call,) = cases_mod.plan(r, built)
    assert call.id == "square:small" and call.withhold == () and call.kind == "call"
    spec = r.checks()[0]
    from grader.model import CallOutcome

    ok = checks.judge(spec, built["small"], CallOutcome("square:small", "ok", value_of(x ** 2)), r, ref)
    assert (ok.status, ok.score) == ("pass", 2.0)
    bad = checks.judge(spec, built["small"], CallOutcome("square:small", "ok", value_of(x ** 3)), r, ref)
    assert (bad.status, bad.mistake, bad.hint) == ("fail", "cubed", "you cubed")


def test_digest_covers_the_reference(tmp_path):
    a = load_rubric(write(tmp_path)).digest
    b = load_rubric(write(tmp_path, reference=TA_REFERENCE + "\n# changed\n")).digest
    assert a != b


def replace_once(old: str, new: str):
    def patch(text: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)
    return patch


def append(extra: str):
    return lambda text: text + extra


CHECK = "questions.square.checks.small"
ERRORS = [
    (replace_once("points = 2", "points = 2\nrtol = -1e-05"), CHECK, "rtol can't be negative (-1e-05)"),
    (replace_once("points = 2", "points = -2"), CHECK, "points can't be negative (-2)"),
    (replace_once("points = 2", 'points = 2\nrtoll = 1e-3'), CHECK, "unknown key 'rtoll'; did you mean 'rtol'?"),
    (replace_once("points = 2", 'points = 2\nrtol = "1e-5"'), CHECK, "rtol must be a number, not '1e-5'"),
    (replace_once("points = 2", "points = 2\ntimeout = 0"), CHECK, "timeout must be more than 0"),
    (replace_once("points = 2", 'points = 2\nshape = "loose"'), CHECK,
     "shape must be one of 'strict', 'squeeze', 'leading', 'leading-ones', not 'loose'"),
    (replace_once("points = 2", 'points = 2\nvisibility = "hiden"'), CHECK,
     "visibility must be one of 'public', 'hidden', not 'hiden'; did you mean 'hidden'?"),
    (replace_once("points = 2", 'points = 2\noutput = "cost"'), CHECK, "output is set, but square returns one value"),
    (replace_once('case = "small"\n', ""), CHECK, "missing key 'case'"),
    (replace_once('case = "small"', 'case = "smal"'), CHECK, "unknown case 'smal'; did you mean 'small'?"),
    (replace_once('expected = "square"', 'expected = "squar"'), CHECK,
     "the reference module defines no function 'squar'; did you mean 'square'?"),
    (replace_once('mistakes = ["cubed"]', 'mistakes = ["cube"]'), CHECK,
     "unknown mistake 'cube'; did you mean 'cubed'?"),
    (replace_once('name = "squares"', 'name = "squares"\nnmae = "x"'), "(top level)",
     "unknown key 'nmae'; did you mean 'name'?"),
    (replace_once('generator = "gen_vec"', 'generator = "gen_vek"'), "cases.small",
     "the reference module defines no generator 'gen_vek'; did you mean 'gen_vec'?"),
    (replace_once('function = "square"', 'function = "sqaure"'), "cases.small",
     "unknown function 'sqaure'; did you mean 'square'?"),
    (replace_once("seed = 1", "seed = -1"), "cases.small", "seed can't be negative (-1)"),
    (replace_once('reference = "ref.py"', 'reference = "nope.py"'), "reference",
     "file not found: 'nope.py' (relative to the rubric file)"),
    (replace_once('params = ["x"]', 'params = ["x"]\narities = [2]'), "functions.square",
     "arity 2 is not between 0 and the 1 params"),
    (replace_once('names = ["square", "sq"]', 'names = ["square", "s q"]'), "functions.square",
     "'s q' is not a Python function name"),
    (replace_once('formula = "cube"', 'formula = "cube"\ndetector = "transposed"'), "mistakes.cubed",
     "needs exactly one of 'detector' and 'formula'"),
    (replace_once('formula = "cube"', 'detector = "transpose"'), "mistakes.cubed",
     "detector must be one of 'transposed', 'sign-flipped', 'column-vector', 'returned-order', 'modified', "
     "'random-state-not-restored', 'zero-gradient-accepted', not 'transpose'; did you mean 'transposed'?"),
    (replace_once('formula = "cube"', 'formula = "cubes"'), "mistakes.cubed",
     "the reference module defines no formula 'cubes'; did you mean 'cube'?"),
    (replace_once('message = "you cubed"', 'message = " "'), "mistakes.cubed", "message can't be empty"),
    (replace_once('formula = "cube"', 'formula = "cube"\nconvention = "used"'), "mistakes.cubed",
     "convention must be one of 'reject', 'use', not 'used'; did you mean 'use'?"),
    (append("[settings]\nmemroy_mb = 5\n"), "settings", "unknown key 'memroy_mb'; did you mean 'memory_mb'?"),
    (append("[settings]\nmemory_mb = 0\n"), "settings", "memory_mb must be more than 0 (0)"),
    (append('[settings]\nnotebook_mode = "some"\n'), "settings",
     "notebook_mode must be one of 'all', 'definitions', not 'some'"),
    (append('[settings]\ntranslate_py2 = "yes"\n'), "settings", "translate_py2 must be true or false, not 'yes'"),
    # Limits past which the operating system's own overflow (every submission would fail, blamed on the student)
    (append("[settings]\nload_timeout = 1e300\n"), "settings", "load_timeout must be at most 3600 s (1e+300)"),
    (append("[settings]\ncell_timeout = 3601\n"), "settings", "cell_timeout must be at most 3600 s (3601)"),
    (append("[settings]\nmemory_mb = 99999999999999999\n"), "settings",
     "memory_mb must be at most 1048576 MB (99999999999999999)"),
    (append("[settings]\nmax_output_kb = 2000000\n"), "settings",
     "max_output_kb must be at most 1048576 KB (2000000)"),
    (replace_once("points = 2", "points = 2\ntimeout = 1e300"), CHECK, "timeout must be at most 3600 s (1e+300)"),
    # Points whose sums overflow to infinity (no score file can hold it): the batch stopped at its end
    (replace_once("points = 2", "points = 1e308"), CHECK, "points must be at most 1000000 (1e+308)"),
    (replace_once("[questions.square.checks.small]", "[questions.square.checks.a/b]"), "",
     None),  # not even TOML: a bare key can't hold '/'
    (replace_once("[questions.square.checks.small]", '[questions.square.checks."a/b"]'),
     'questions.square.checks.a/b', "check ids may contain only letters, digits, '_', '-' and '.' (got 'a/b')"),
    (append('[[starter]]\npath = "helper.py"\n[[starter]]\npath = "helper.py"\n'), "starter[1]",
     "duplicate module 'helper' (also starter[0])"),
    (append('[[starter]]\npath = "missing.py"\n'), "starter[0]", "file not found: 'missing.py' (in starter_dir)"),
    (append('[[starter]]\npath = "../ref.py"\n'), "starter[0]",
     "path must be a relative .py path inside starter_dir, not '../ref.py'"),
    (append('[[starter]]\nmodule = "help"\npath = "helper.py"\n'), "starter[0]",
     "module 'help' does not match its path 'helper.py' (expected 'helper')"),
    (append('[[starter]]\npath = "helper.py"\nprovides = ["sqare"]\n'), "starter[0]",
     "provides unknown function 'sqare'; did you mean 'square'?"),
    (append('[consistency]\nfunction = "square"\ncost = "c"\nwrt = {}\ncases = []\n'), "consistency",
     "cost 'c' is not one of the values square returns ()"),
]


@pytest.mark.parametrize("patch,where,why", ERRORS, ids=[f"{i}-{w}" for i, (_, w, _) in enumerate(ERRORS)])
def test_each_validation_error_names_the_place_and_the_reason(tmp_path, patch, where, why):
    (tmp_path / "helper.py").write_text("def helper():\n    return 1\n")
    p = write(tmp_path, patch(TA_RUBRIC))
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    if why is None:
        assert str(e.value).startswith(f"rubric {p}: not valid TOML: ")
    else:
        assert str(e.value) == f"rubric {p}: {where}: {why}"
        assert (e.value.where, e.value.why) == (where, why)


def test_duplicate_check_ids_are_refused(tmp_path):
    p = write(tmp_path, TA_RUBRIC + '\n[questions.square.checks.small]\ncase = "small"\n')
    with pytest.raises(RubricError, match=re.escape(f"rubric {p}: not valid TOML: Cannot declare "
                                                    "('questions', 'square', 'checks', 'small') twice")):
        load_rubric(p)


def test_missing_file_and_broken_reference(tmp_path):
    with pytest.raises(RubricError, match=re.escape(f"rubric {tmp_path / 'none.toml'}: file not found")):
        load_rubric(tmp_path / "none.toml")
    p = write(tmp_path, reference="def square(x:\n")
    with pytest.raises(RubricError, match=re.escape(f"rubric {p}: reference: 'ref.py' is not valid Python")):
        load_rubric(p)


def test_a_rubric_without_questions_or_checks_is_refused(tmp_path):
    text = TA_RUBRIC.split("[questions.square]")[0] + "[questions]\n"
    with pytest.raises(RubricError, match=re.escape("questions: the rubric has no questions")):
        load_rubric(write(tmp_path, text))
    text = TA_RUBRIC.replace('[questions.square.checks.small]\ncase = "small"\npoints = 2\n',
                             "[questions.square.checks]\n")
    with pytest.raises(RubricError, match=re.escape("questions.square: the question has no checks")):
        load_rubric(write(tmp_path, text))


def test_consistency_spec_is_validated(tmp_path):
    multi = TA_RUBRIC.replace('params = ["x"]', 'params = ["x"]\nreturns = ["value", "grad"]').replace(
        'expected = "square"', 'expected = "square"\noutput = "value"')
    good = multi + '[consistency]\nfunction = "square"\ncost = "value"\nwrt = { grad = "x" }\ncases = ["small"]\n'
    r = load_rubric(write(tmp_path, good))
    assert r.consistency["wrt"] == {"grad": "x"} and r.consistency["h"] == 1e-4
    assert r.consistency["tolerance"] == Tolerance(1e-3, 1e-6)
    bad = good.replace('wrt = { grad = "x" }', 'wrt = { grad = "y" }')
    with pytest.raises(RubricError, match=re.escape("consistency.wrt: 'y' is not one of the params of square ('x')")):
        load_rubric(write(tmp_path, bad))
    bad = good.replace('cases = ["small"]', 'cases = ["smal"]')
    with pytest.raises(RubricError, match=re.escape("consistency: unknown case 'smal'; did you mean 'small'?")):
        load_rubric(write(tmp_path, bad))
    with pytest.raises(RubricError, match=re.escape("consistency: points must be at most 1000000 (1e+300)")):
        load_rubric(write(tmp_path, good + "points = 1e300\n"))


# --------------------------------------------------------------------------- extends, exclude_questions, missing_hint


def test_the_cs224n_rubric_is_word2vec_without_softmax():
    w, n = load_rubric(), load_rubric("cs224n")
    assert n.name == "word2vec-cs224n" and n.title != w.title
    assert [q.id for q in n.questions] == ["cross_entropy", "grad_pred", "grad_output"]
    assert n.max_score == 14.0
    assert n.questions == w.questions[1:]  # every check, tolerance and mistake list unchanged
    assert n.functions == w.functions and n.mistakes == w.mistakes and n.starter == w.starter
    assert n.settings == w.settings and n.consistency == w.consistency
    assert n.reference_path == w.reference_path
    # the cases only softmax used went with it; the others are the same cases
    assert set(n.cases) == {"small", "typical", "large-vocab", "extreme", "hidden-typical"}
    assert all(n.cases[c] == w.cases[c] for c in n.cases)
    assert n.digest != w.digest
    assert load_rubric(str(builtin_rubric_path("cs224n"))).digest == n.digest


def test_missing_hint_is_read_for_the_function_that_has_one():
    r = load_rubric()
    assert "utils/utils.py" in r.functions["softmax"].missing_hint
    assert "Teaching staff" not in r.functions["softmax"].missing_hint  # a student reads it
    assert r.functions["cost_and_grad"].missing_hint == ""


CHILD = '''extends = "../squares.toml"
name = "squares-2"

[settings]
cell_timeout = 1.5

[functions.square]
names = ["squared"]
missing_hint = "  Name it squared.  "

[questions.square.checks.small]
points = 3
'''


def child(tmp_path: Path, text: str = CHILD, parent: str = TA_RUBRIC) -> Path:
    write(tmp_path, parent)
    (tmp_path / "more").mkdir(exist_ok=True)
    p = tmp_path / "more" / "child.toml"
    p.write_text(text)
    return p


def test_a_child_merges_its_tables_over_the_parent(tmp_path):
    parent = load_rubric(write(tmp_path))
    r = load_rubric(child(tmp_path))
    assert r.name == "squares-2" and r.title == "Squares"  # its own name, the parent's title
    assert r.reference_path == str(tmp_path / "ref.py")  # relative to the parent, which set it
    assert r.path == str(tmp_path / "more" / "child.toml")
    assert r.settings.cell_timeout == 1.5 and r.settings.load_timeout == Settings().load_timeout
    fn = r.functions["square"]
    assert fn.names == ("squared",)  # an array replaces the parent's
    assert fn.params == ("x",)  # a key the child does not set stays
    assert fn.missing_hint == "Name it squared."
    (check,) = r.checks()
    assert check.points == 3 and check.case == "small" and check.mistakes == ("cubed",)
    assert r.cases == parent.cases and r.mistakes == parent.mistakes


def test_the_digest_covers_every_file_of_the_chain(tmp_path):
    p = child(tmp_path)
    a = load_rubric(p).digest
    write(tmp_path, TA_RUBRIC + "\n# a comment in the parent\n")
    assert load_rubric(p).digest != a
    write(tmp_path)
    assert load_rubric(p).digest == a


def test_a_rubric_may_extend_a_builtin_by_name_and_its_paths_stay_the_builtins(tmp_path):
    p = tmp_path / "py3only.toml"
    p.write_text('extends = "word2vec"\nname = "py3only"\n[settings]\ntranslate_py2 = false\n')
    r, w = load_rubric(p), load_rubric()
    assert r.settings.translate_py2 is False and r.name == "py3only"
    assert r.reference_path == w.reference_path and r.starter == w.starter and r.questions == w.questions
    # a chain: a file extending cs224n.toml by path keeps softmax excluded
    p.write_text(f'extends = {str(builtin_rubric_path("cs224n"))!r}\nname = "mine"\n')
    assert [q.id for q in load_rubric(p).questions] == ["cross_entropy", "grad_pred", "grad_output"]


def test_a_copy_of_a_builtin_that_extends_another_by_file_name_loads_as_the_builtin(tmp_path):
    # The built-ins extend one another by file name ("cs224n-2017.toml"): a TA's copy of one, in a
    # folder of their own, finds the built-in it extends.
    copy = tmp_path / "cs224n-a2.toml"
    shutil.copy(builtin_rubric_path("cs224n-a2"), copy)
    assert 'extends = "cs224n-2017.toml"' in copy.read_text()
    mine, builtin = load_rubric(copy), load_rubric("cs224n-a2")
    assert mine.questions == builtin.questions and mine.reference_path == builtin.reference_path
    # a file of that name beside the copy is the one extended
    (tmp_path / "cs224n-2017.toml").write_text('extends = "cs224d-2016"\n')
    assert load_rubric(copy).questions != builtin.questions


TWO_QUESTIONS = TA_RUBRIC + '''
[cases.big]
function = "square"
generator = "gen_vec"
params = { n = 30 }

[cases.spare]
function = "square"
generator = "gen_vec"
params = { n = 2 }

[questions.big]
title = "Big"
expected = "square"

[questions.big.checks.big]
case = "big"

[questions.big.checks.small-again]
case = "small"
'''


def test_excluded_questions_take_only_their_own_cases_with_them(tmp_path):
    p = child(tmp_path, 'extends = "../squares.toml"\nexclude_questions = ["big"]\n', TWO_QUESTIONS)
    r = load_rubric(p)
    assert [q.id for q in r.questions] == ["square"]
    # "big" went with its question; "small" is still used; "spare" was never used and stays
    assert set(r.cases) == {"small", "spare"}
    p.write_text('extends = "../squares.toml"\nexclude_questions = ["square"]\n')
    r = load_rubric(p)
    assert [q.id for q in r.questions] == ["big"] and set(r.cases) == {"small", "big", "spare"}


def test_the_files_list_orders_the_questions_by_their_file(tmp_path):
    files = '[questions.square]\nfile = "b"\n[questions.big]\nfile = "a"\n'
    p = child(tmp_path, 'extends = "../squares.toml"\n' + files, TWO_QUESTIONS)
    assert [q.id for q in load_rubric(p).questions] == ["square", "big"]  # the rubric's order without files
    p.write_text('extends = "../squares.toml"\nfiles = ["a", "b"]\n' + files)
    assert [(q.id, q.file) for q in load_rubric(p).questions] == [("big", "a"), ("square", "b")]
    p.write_text('extends = "../squares.toml"\nfiles = ["a"]\n' + files)  # files not listed come after
    assert [(q.id, q.file) for q in load_rubric(p).questions] == [("big", "a"), ("square", "b")]
    for text, why in [('files = ["a", "b", "a"]\n', "files: names a file twice: ['a']"),
                      ('files = "a"\n', 'files: must be a list of file names such as ["q1", "q2"], not \'a\''),
                      ('files = ["a", "b c"]\n', "files: 'b c' is not a short name such as 'q2' (letters, "
                                                  "digits, '_', '-', '.')")]:
        p.write_text('extends = "../squares.toml"\n' + text + files)
        with pytest.raises(RubricError) as e:
            load_rubric(p)
        assert str(e.value) == f"rubric {p}: {why}"


def test_the_problem_set_lists_each_starter_file_once_in_the_starters_order():
    for name, order in [("problem-set", ["q1", "q2", "q3", "sgd", "q4"]), ("cs224d-2015", ["q1", "q2", "q3", "sgd", "q4"]),
                        ("cs224d-2016", ["q1", "q2", "q3", "sgd", "q4"]), ("cs224n-2017", ["q1", "q2", "q3", "sgd"]),
                        ("cs224n-a2", ["word2vec", "sgd"])]:
        files = [q.file for q in load_rubric(name).questions]
        runs = [f for i, f in enumerate(files) if i == 0 or files[i - 1] != f]
        assert runs == order, (name, runs)
        # the softmax cost is a function of q3_word2vec.py (a2: word2vec.py), as the contract's table says
        assert {q.id: q.file for q in load_rubric(name).questions}["grad_pred"] == ("word2vec" if "word2vec" in order else "q3")


EXTENDS_ERRORS = [
    ('extends = "../nope.toml"\n', "extends", "file not found: '../nope.toml' (relative to the rubric file)"),
    ('extends = "nope.toml"\n', "extends", "file not found: 'nope.toml' (relative to the rubric file)"),
    ('extends = "word2vek"\n', "extends",
     "no built-in rubric 'word2vek'; did you mean 'word2vec'? (built-in: 'cs224d-2015', 'cs224d-2016', 'cs224d-2016-written', 'cs224n', 'cs224n-2017', 'cs224n-a2', 'cs224n-a2-written', 'problem-set', 'two-layer-net', 'word2vec', 'written')"),
    ("extends = 3\n", "extends",
     "must be the path of a rubric file (relative to this one) or the name of a built-in rubric"),
    ('extends = "child.toml"\n', "extends", "'child.toml' extends this file again (a cycle)"),
    ('extends = "../squares.toml"\nexclude_questions = ["sqare"]\n', "exclude_questions",
     "no question 'sqare' to exclude; did you mean 'square'?"),
    ('extends = "../squares.toml"\nexclude_questions = "square"\n', "exclude_questions",
     "must be a list of question ids"),
    ('extends = "../squares.toml"\nexclude_questions = ["square"]\n', "questions", "the rubric has no questions"),
    ('extends = "../squares.toml"\n[functions.square]\nmissing_hint = " "\n', "functions.square",
     "missing_hint can't be empty"),
    ('extends = "../squares.toml"\n[functions.square]\nmissing_hint = 1\n', "functions.square",
     "missing_hint must be a string, not an integer"),
    ('extends = "../squares.toml"\n[functions.square]\nmissing_hint = "%s"\n' % ("x" * 501), "functions.square",
     "missing_hint is 501 characters long; at most 500 are shown"),
    ('extends = "../squares.toml"\n[questions.square.checks.small]\nrtol = -1.0\n',
     "questions.square.checks.small", "rtol can't be negative (-1.0)"),  # the merged result is validated
]


@pytest.mark.parametrize("text,where,why", EXTENDS_ERRORS,
                         ids=[f"{i}-{w}" for i, (_, w, _) in enumerate(EXTENDS_ERRORS)])
def test_each_extends_error_names_the_file_the_place_and_the_reason(tmp_path, text, where, why):
    p = child(tmp_path, text)
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert str(e.value) == f"rubric {p}: {where}: {why}"


def test_a_cycle_through_two_files_and_a_broken_parent_are_named(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(RubricError, match=re.escape(f"rubric {tmp_path / 'b.toml'}: extends: 'a.toml' extends "
                                                    "this file again (a cycle)")):
        load_rubric(tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text("not = = toml")
    with pytest.raises(RubricError, match=re.escape(f"rubric {tmp_path / 'b.toml'}: not valid TOML")):
        load_rubric(tmp_path / "a.toml")
