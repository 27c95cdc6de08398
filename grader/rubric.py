"""Load and validate a rubric TOML file into a Rubric (questions, checks, cases, functions, stand-ins).

The layout is documented in the built-in ``rubrics/word2vec.toml``.  A rubric may extend
another (``extends = "word2vec.toml"``): the files are merged into one document first (see
:func:`merge`), ``exclude_questions`` then drops whole questions, and only the merged
document is validated (``exclude_checks`` drops single checks and ``exclude_starters``
stand-ins the same way; an id with ``*`` is a pattern, which may match nothing).
Everything is checked when the rubric loads, so that a TA's mistake stops the grader before
any submission runs: each problem raises :class:`grader.errors.RubricError` naming the file, the place in it
(``questions.softmax.checks.stable``) and what is wrong, with a "did you mean" where one
applies.  The reference module is not run here: its top-level names are read with ``ast``.
"""

from __future__ import annotations

import ast
import difflib
import fnmatch
import hashlib
import importlib.resources
import math
import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import RubricError
from .model import CaseSpec, CheckSpec, FunctionSpec, Question, Rubric, Settings, StarterModule, Tolerance
from .pyast import parse as parse_python

#: The rubric graded against when none is named.
DEFAULT_RUBRIC = "word2vec"

#: Generic recognisers of named mistakes, implemented in mistakes.py.
DETECTORS = ("transposed", "sign-flipped", "column-vector", "returned-order", "modified")
#: Recognisers of what a call did (grader/behaviour.py), for compare = "behaviour" checks.
BEHAVIOUR_DETECTORS = ("random-state-not-restored", "zero-gradient-accepted")

#: Ways a check compares (CheckSpec.compare); "consistent" lives in the [consistency] table.
COMPARES = ("close", "unmodified", "behaviour", "property")
#: Judges of compare = "behaviour" (grader/behaviour.py), and what each may ``expect``.
BEHAVIOURS = {"gradcheck": ("pass", "fail")}
#: Ways a gradient check may report a failure (CheckSpec.signals).
SIGNALS = ("text", "return", "assert", "raise")
#: Shape modes (CheckSpec.shape).
SHAPES = ("strict", "squeeze", "leading", "leading-ones")
VISIBILITIES = ("public", "hidden")

#: Top-level keys that make one rubric out of others; resolved (and removed) before validation.
_CHAIN_KEYS = ("extends", "written_from", "exclude_questions", "exclude_checks", "exclude_starters")
_TOP_KEYS = ("name", "title", "version", "reference", "starter_dir", "settings", "functions", "cases",
             "files", "questions", "consistency", "mistakes", "starter", "sampling", "written", "wording")
_FUNCTION_KEYS = ("names", "modules", "params", "arities", "returns", "missing_hint", "missing_hint_notebook",
                  "shapes", "globals", "shown", "stub", "stub_names")
#: Longest missing_hint accepted, in characters (it is one sentence of a student's message).
MAX_HINT = 500
#: Values of ``settings.hints``, from what gives away least: see grader.mistakes.hint_text.
HINT_LEVELS = ("name", "explain", "fix")
#: Top-level keys holding a path relative to the file that sets them.
_PATH_KEYS = ("reference", "starter_dir")
#: Most files a chain of ``extends`` may hold.
MAX_EXTENDS = 8
#: Largest values of the rubric's limits: beyond them a limit no longer limits anything (an hour
#: per call, a terabyte of memory) and the operating system's own limits overflow, so that every
#: submission would fail and the student be blamed for it.  A check's points too: sums of points
#: near the largest float overflow to infinity, which no score file can hold.
MOST = {"timeout": 3600, "cell_timeout": 3600, "load_timeout": 3600, "memory_mb": 1 << 20,
        "max_output_kb": 1 << 20, "points": 1_000_000}
_UNITS = {"timeout": " s", "cell_timeout": " s", "load_timeout": " s", "memory_mb": " MB", "max_output_kb": " KB"}
_CASE_KEYS = ("function", "generator", "params", "seed", "description")
#: Keys a check may set, and a question may set as defaults for its checks.
_CHECK_KEYS = ("case", "compare", "output", "expected", "points", "rtol", "atol", "shape", "visibility",
               "timeout", "mistakes", "description", "behaviour", "expect", "signals", "conventions",
               "convention_by", "convention_text", "property", "same_as")
_DEFAULT_KEYS = tuple(k for k in _CHECK_KEYS if k not in ("case", "description", "same_as"))
_QUESTION_KEYS = ("title", "checks", "file", "extra") + _DEFAULT_KEYS
#: Keys of the [sampling] table (negative sampling graded on what each student drew).
_SAMPLING_KEYS = ("conventions",)
#: How draws equal to the target may be treated: rejected and drawn again (the 2017+
#: getNegativeSamples), or used as negatives (2016's wording allows it).
CONVENTIONS = ("reject", "use")
_CONSISTENCY_KEYS = ("function", "cost", "wrt", "cases", "h", "rtol", "atol", "timeout", "points", "sample",
                     "drawn")
_MISTAKE_KEYS = ("message", "detector", "formula", "name", "fix", "convention")
_STARTER_KEYS = ("module", "path", "provides")
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def builtin_rubric_path(name: str) -> Path:
    """Return the path of the built-in rubric `name` ("word2vec").

    Parameters
    ----------
    name : str
        The rubric's file name without ``.toml``.

    Returns
    -------
    pathlib.Path
        The TOML file inside the installed package ``grader.rubrics``.

    Raises
    ------
    RubricError
        When there is no such built-in rubric (the message lists those there are).
    """
    root = Path(str(importlib.resources.files("grader.rubrics")))
    path = root / f"{name}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in root.glob("*.toml"))
        raise RubricError(name, "", f"no built-in rubric {name!r}{_did_you_mean(name, known)} "
                                    f"(built-in: {', '.join(repr(k) for k in known)})")
    return path


def is_builtin(name: str) -> bool:
    """Whether `name` is a built-in rubric's name."""
    return (Path(str(importlib.resources.files("grader.rubrics"))) / f"{name}.toml").is_file()


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load, validate and return a rubric.

    Parameters
    ----------
    path : str or path-like, optional
        A TOML file; or the bare name of a built-in rubric ("word2vec"); None means the
        built-in ``word2vec`` rubric.  A bare name (no folder, no ``.toml``) that is a
        built-in's is the built-in, whatever the working folder holds (a class folder named
        ``cs224d-2016``); ``./cs224d-2016`` is the file there.

    Returns
    -------
    Rubric
        With ``reference_path`` and ``path`` absolute, the stand-ins' text read, and
        ``digest`` the sha256 of the TOML, the reference module and the stand-ins.

    Raises
    ------
    RubricError
        For anything wrong in the file: ``rubric w2v.toml: questions.softmax.checks.stable:
        rtol can't be negative (-1e-05)``.
    """
    if path is None:
        path = builtin_rubric_path(DEFAULT_RUBRIC)
        shown = path.name
    else:
        shown = str(path)
        p = Path(path)
        bare = p.suffix != ".toml" and "/" not in shown and "\\" not in shown
        if bare and (not p.exists() or is_builtin(shown)):
            path = builtin_rubric_path(shown)
            shown = path.name
    return _Loader(Path(path), shown).load()


# --------------------------------------------------------------------------- helpers


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Return the TOML document `over` merged over `base` (the rule of ``extends``).

    Tables merge key by key, recursively (inline tables such as ``params = {...}`` are
    tables too); any other value -- a string, a number, an array, an array of tables like
    ``[[starter]]`` -- replaces the base's value as a whole.  Neither argument is changed.

    >>> merge({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3]}, "c": 2})
    {'a': {'x': 1, 'y': [3]}, 'b': 1, 'c': 2}
    """
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def _did_you_mean(word: str, choices) -> str:
    """Return "; did you mean 'x'?" for the closest of `choices`, or ""."""
    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def _quoted(items) -> str:
    """Return "'a', 'b'" for the items."""
    return ", ".join(repr(i) for i in items)


def _top_level_names(source: str) -> set[str]:
    """Return the names a module defines at top level (defs, classes, assignments, imports)."""
    names: set[str] = set()
    for node in parse_python(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                names.add((a.asname or a.name).split(".")[0])
    return names


def _module_of(path: str) -> str:
    """Return the dotted module name of a stand-in path: "utils/__init__.py" -> "utils"."""
    p = path[: -len(".py")] if path.endswith(".py") else path
    if p.endswith("/__init__"):
        p = p[: -len("/__init__")]
    return p.replace("/", ".")


class _Loader:
    """One rubric file being loaded: the parsed TOML, its folder, and error helpers."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        self.dir = path.resolve().parent
        #: path key -> (folder, shown name) of the file whose value of it won the merge
        self.origin: dict[str, tuple[Path, str]] = {}
        self.written_only = False  #: a rubric of written questions only (set by load)

    def fail(self, where: str, why: str) -> RubricError:
        """Return the error to raise for a problem at `where`."""
        return RubricError(self.shown, where, why)

    # ---------------------------------------------------------------- typed getters

    def table(self, d: Any, where: str) -> dict:
        if not isinstance(d, dict):
            raise self.fail(where, f"must be a table, not {_type_name(d)}")
        return d

    def keys(self, d: dict, allowed, where: str, required=()) -> None:
        for k in d:
            if k not in allowed:
                raise self.fail(where, f"unknown key {k!r}{_did_you_mean(k, allowed)}")
        for k in required:
            if k not in d:
                raise self.fail(where, f"missing key {k!r}")

    def string(self, d: dict, key: str, where: str, default: str | None = None) -> str:
        v = d.get(key, default)
        if not isinstance(v, str):
            raise self.fail(where, f"{key} must be a string, not {_type_name(v)}")
        return v

    def strings(self, d: dict, key: str, where: str, default=()) -> tuple[str, ...]:
        v = d.get(key, list(default))
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise self.fail(where, f"{key} must be a list of strings")
        return tuple(v)

    def number(self, d: dict, key: str, where: str, default: float, *, positive: bool = False,
               most: int | None = None) -> float:
        v = d.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.fail(where, f"{key} must be a number, not {v!r}")
        if v < 0:
            raise self.fail(where, f"{key} can't be negative ({v!r})")
        if positive and v == 0:
            raise self.fail(where, f"{key} must be more than 0")
        if most is not None and v > most:
            raise self.fail(where, f"{key} must be at most {most}{_UNITS.get(key, '')} ({v!r})")
        return float(v)

    def integer(self, d: dict, key: str, where: str, default: int) -> int:
        v = d.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(where, f"{key} must be an integer, not {v!r}")
        return v

    def choice(self, d: dict, key: str, where: str, default: str, choices) -> str:
        v = self.string(d, key, where, default)
        if v not in choices:
            raise self.fail(where, f"{key} must be one of {_quoted(choices)}, not {v!r}{_did_you_mean(v, choices)}")
        return v

    def ident(self, name: str, where: str, what: str) -> None:
        if not _ID.match(name):
            raise self.fail(where, f"{what} ids may contain only letters, digits, '_', '-' and '.' (got {name!r})")

    # ---------------------------------------------------------------- the whole file

    def read(self, path: Path, shown: str) -> tuple[dict, bytes]:
        """Return one file's TOML document and its bytes."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise RubricError(shown, "", "file not found") from None
        except OSError as e:
            raise RubricError(shown, "", f"can't be read ({e.strerror or e})") from None
        try:
            return tomllib.loads(raw.decode("utf-8")), raw
        except UnicodeDecodeError:
            raise RubricError(shown, "", "not UTF-8 text") from None
        except tomllib.TOMLDecodeError as e:
            raise RubricError(shown, "", f"not valid TOML: {e}") from None

    def document(self) -> tuple[dict, list[bytes]]:
        """Return the merged document of this file and the files it extends, and every file's bytes."""
        dropped: set[str] = set()
        doc, raws = self.resolve(self.path, self.shown, (), dropped)
        # Cases only the excluded questions used are dropped with them.
        questions = doc.get("questions")
        cases = doc.get("cases")
        if dropped and isinstance(questions, dict) and isinstance(cases, dict):
            used = _cases_of(questions)
            consistency = doc.get("consistency")
            if isinstance(consistency, dict) and isinstance(consistency.get("cases"), list):
                used |= {c for c in consistency["cases"] if isinstance(c, str)}
            doc["cases"] = {cid: c for cid, c in cases.items() if cid in used or cid not in dropped}
        return doc, raws

    def resolve(self, path: Path, shown: str, chain: tuple[Path, ...], dropped: set[str]) -> tuple[dict, list[bytes]]:
        """Read `path`, merge it over the file it extends, drop its excluded questions."""
        doc, raw = self.read(path, shown)
        real = path.resolve()
        raws = [raw]
        own = set(doc)
        # [written].reference is relative to the file that sets it, like the top-level paths.
        own_written = isinstance(doc.get("written"), dict) and "reference" in doc["written"]
        extends = doc.pop("extends", None)
        written_from = doc.pop("written_from", None)
        excluded = doc.pop("exclude_questions", None)
        excluded_checks = doc.pop("exclude_checks", None)
        excluded_starters = doc.pop("exclude_starters", None)
        if extends is not None:
            if not isinstance(extends, str) or not extends.strip():
                raise RubricError(shown, "extends", "must be the path of a rubric file (relative to this one) "
                                                    "or the name of a built-in rubric")
            parent, parent_shown = self.locate(extends, real.parent, shown)
            if parent.resolve() in chain + (real,):
                raise RubricError(shown, "extends", f"{extends!r} extends this file again (a cycle)")
            if len(chain) + 2 > MAX_EXTENDS:
                raise RubricError(shown, "extends", f"more than {MAX_EXTENDS} files extend one another")
            base, base_raws = self.resolve(parent, parent_shown, chain + (real,), dropped)
            doc = merge(base, doc)
            raws += base_raws
        if written_from is not None:
            # The written part of another rubric (its [written] table only, as that file's chain
            # merges it), under this file's own [written] keys: a course version's code questions
            # with the derivations of written.toml, which extends another rubric than this one.
            if not isinstance(written_from, str) or not written_from.strip():
                raise RubricError(shown, "written_from", "must be the path of a rubric file (relative to this one) "
                                                         "or the name of a built-in rubric")
            source, source_shown = self.locate(written_from, real.parent, shown, key="written_from")
            if source.resolve() in chain + (real,):
                raise RubricError(shown, "written_from", f"{written_from!r} is this file, or a file that extends it (a cycle)")
            kept = dict(self.origin)  # only the written part's reference is taken from there
            other, other_raws = self.resolve(source, source_shown, chain + (real,), set())
            written = other.get("written")
            if not isinstance(written, dict):
                raise RubricError(shown, "written_from", f"{written_from!r} has no [written] part")
            where = self.origin.get("written.reference")
            self.origin.clear()
            self.origin.update(kept)
            if where is not None and not own_written:
                self.origin["written.reference"] = where
            doc["written"] = merge(written, doc["written"]) if isinstance(doc.get("written"), dict) else written
            raws += other_raws
        for key in _PATH_KEYS:
            if key in own:
                self.origin[key] = (real.parent, shown)
        if own_written:
            self.origin["written.reference"] = (real.parent, shown)
        if excluded is not None:
            self.exclude(doc, excluded, shown, dropped)
        if excluded_checks is not None:
            self.exclude_checks(doc, excluded_checks, shown, dropped)
        if excluded_starters is not None:
            self.exclude_starters(doc, excluded_starters, shown)
        return doc, raws

    def locate(self, extends: str, folder: Path, shown: str, key: str = "extends") -> tuple[Path, str]:
        """Return the file `extends` names (and how to show it): a path relative to `folder`, or a built-in."""
        p = folder / extends
        if p.is_file():
            return p, str(Path(shown).parent / extends)
        if "/" not in extends and "\\" not in extends:
            # A built-in's name; or its file's name, as the built-ins extend one another, in a copy of one.
            try:
                p = builtin_rubric_path(extends.removesuffix(".toml"))
            except RubricError as e:
                if p.suffix != ".toml":
                    raise RubricError(shown, key, e.why) from None
            else:
                return p, p.name
        raise RubricError(shown, key, f"file not found: {extends!r} (relative to the rubric file)")

    def exclude(self, doc: dict, excluded: Any, shown: str, dropped: set[str]) -> None:
        """Remove the questions `excluded` names from `doc`; add the cases they used to `dropped`."""
        if not isinstance(excluded, list) or not all(isinstance(q, str) for q in excluded):
            raise RubricError(shown, "exclude_questions", "must be a list of question ids")
        questions = doc.get("questions")
        questions = dict(questions) if isinstance(questions, dict) else {}
        for qid in excluded:
            if qid.startswith("written/"):  # a written question: [written.questions.<id>]
                written = doc.get("written")
                wq = dict(written.get("questions", {})) if isinstance(written, dict) else {}
                if qid.removeprefix("written/") not in wq:
                    raise RubricError(shown, "exclude_questions", f"no written question {qid!r} to exclude"
                                                                  f"{_did_you_mean(qid, [f'written/{w}' for w in wq])}")
                del wq[qid.removeprefix("written/")]
                doc["written"] = {**written, "questions": wq}
                continue
            for q in _matching(qid, questions, shown, "exclude_questions", "question"):
                dropped |= _cases_of({q: questions.pop(q)})
        doc["questions"] = questions

    def exclude_checks(self, doc: dict, excluded: Any, shown: str, dropped: set[str]) -> None:
        """Remove the checks `excluded` names ("question/check", patterns allowed) from `doc`.

        A question left without checks goes too; the cases only removed checks used are
        added to `dropped`.
        """
        if not isinstance(excluded, list) or not all(isinstance(c, str) and "/" in c for c in excluded):
            raise RubricError(shown, "exclude_checks", "must be a list of check ids (\"question/check\")")
        questions = doc.get("questions")
        questions = dict(questions) if isinstance(questions, dict) else {}
        ids = [f"{q}/{c}" for q, t in questions.items() if isinstance(t, dict) and isinstance(t.get("checks"), dict)
               for c in t["checks"]]
        for cid in excluded:
            for full in _matching(cid, ids, shown, "exclude_checks", "check"):
                qid, check = full.split("/", 1)
                q = dict(questions[qid])
                checks = dict(q["checks"])
                removed = checks.pop(check)
                dropped |= _cases_of({qid: {"checks": {check: removed}}})
                q["checks"] = checks
                if checks:
                    questions[qid] = q
                else:
                    del questions[qid]
        doc["questions"] = questions

    def exclude_starters(self, doc: dict, excluded: Any, shown: str) -> None:
        """Remove the stand-ins whose module `excluded` names (patterns allowed) from `doc`."""
        if not isinstance(excluded, list) or not all(isinstance(m, str) for m in excluded):
            raise RubricError(shown, "exclude_starters", "must be a list of module names")
        entries = doc.get("starter")
        entries = list(entries) if isinstance(entries, list) else []
        modules = [(t.get("module") or _module_of(str(t.get("path", "")))) if isinstance(t, dict) else ""
                   for t in entries]
        gone: set[str] = set()
        for m in excluded:
            gone.update(_matching(m, modules, shown, "exclude_starters", "stand-in"))
        doc["starter"] = [t for t, m in zip(entries, modules) if m not in gone]

    def load(self) -> Rubric:
        doc, raws = self.document()
        # A rubric of written questions only (derivations, no code) needs no functions, cases or questions.
        self.written_only = doc.get("written") is not None and not any(doc.get(k) for k in ("functions", "questions"))
        code = () if self.written_only else ("functions", "cases", "questions")
        self.keys(doc, _CHAIN_KEYS + _TOP_KEYS, "(top level)", required=("name", "reference", *code))
        name = self.string(doc, "name", "name")
        if not name:
            raise self.fail("name", "can't be empty")
        title = self.string(doc, "title", "title", name)
        version = doc.get("version", "")
        if isinstance(version, (int, float)) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str):
            raise self.fail("version", f"must be a string, not {_type_name(version)}")

        ref_rel = self.string(doc, "reference", "reference")
        ref_dir, ref_file = self.origin.get("reference", (self.dir, self.shown))
        ref_path = (ref_dir / ref_rel).resolve()
        if not ref_path.is_file():
            of = "the rubric file" if ref_file == self.shown else ref_file
            raise self.fail("reference", f"file not found: {ref_rel!r} (relative to {of})")
        ref_bytes = ref_path.read_bytes()
        try:
            self.ref_names = _top_level_names(ref_bytes.decode("utf-8"))
        except (SyntaxError, UnicodeDecodeError) as e:
            raise self.fail("reference", f"{ref_rel!r} is not valid Python ({e})") from None

        settings = self.settings(doc.get("settings", {}))
        functions = self.functions(self.table(doc.get("functions", {}), "functions"))
        cases = self.cases(self.table(doc.get("cases", {}), "cases"), functions)
        mistakes = self.mistakes(self.table(doc.get("mistakes", {}), "mistakes"))
        questions = self.questions(self.table(doc.get("questions", {}), "questions"), functions, cases, mistakes)
        questions = self.file_order(doc.get("files"), questions)
        consistency = self.consistency(doc.get("consistency"), functions, cases)
        starter, starter_bytes = self.starter(doc, functions)
        sampling = self.sampling(doc.get("sampling"))
        written, written_bytes = None, b""
        if doc.get("written") is not None:
            from .written.spec import load_part

            ref_dir = self.origin.get("written.reference", (self.dir, self.shown))[0]
            written, written_bytes = load_part(self, doc["written"], ref_dir)

        used_public = {c.case for q in questions for c in q.checks if c.visibility == "public"}
        cases = {cid: _replace_public(c, cid in used_public) for cid, c in cases.items()}

        h = hashlib.sha256()
        for part in (*raws, ref_bytes, *starter_bytes, *((written_bytes,) if written is not None else ())):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        wording = self.table(doc.get("wording", {}), "wording")
        from .recognise import FOUR_QUESTIONS, VERSIONS

        versions = (*VERSIONS, *FOUR_QUESTIONS)
        for recognised, words in wording.items():
            if not isinstance(words, str) or not words:
                raise self.fail(f"wording.{recognised}", f"must name a built-in rubric, not {words!r}")
            if recognised not in versions:  # (it would never apply)
                raise self.fail(f"wording.{recognised}", "not a course version grader recognises "
                                                         f"({_quoted(versions)})")
            try:  # (checked here: named at grading time, it was every such submission's error)
                builtin_rubric_path(words)
            except RubricError as e:
                raise self.fail(f"wording.{recognised}", e.why) from None
        return Rubric(
            name=name, title=title, version=version, questions=questions, functions=functions, cases=cases,
            starter=starter, settings=settings, mistakes=mistakes, reference_path=str(ref_path),
            path=str(self.path.resolve()), digest=h.hexdigest(), consistency=consistency, sampling=sampling,
            written=written, files=tuple(doc.get("files") or ()), wording=dict(wording))

    # ---------------------------------------------------------------- sections

    def settings(self, d: Any) -> Settings:
        d = self.table(d, "settings")
        known = {f.name: f for f in fields(Settings)}
        self.keys(d, tuple(known), "settings")
        values: dict[str, Any] = {}
        base = Settings()
        for k, v in d.items():
            default = getattr(base, k)
            if isinstance(default, bool):
                if not isinstance(v, bool):
                    raise self.fail("settings", f"{k} must be true or false, not {v!r}")
                values[k] = v
            elif isinstance(default, tuple):
                values[k] = self.strings(d, k, "settings")
            elif isinstance(default, int):
                n = self.integer(d, k, "settings", default)
                if n <= 0:
                    raise self.fail("settings", f"{k} must be more than 0 ({n!r})")
                if k in MOST and n > MOST[k]:
                    raise self.fail("settings", f"{k} must be at most {MOST[k]}{_UNITS.get(k, '')} ({n!r})")
                values[k] = n
            elif isinstance(default, float):
                values[k] = self.number(d, k, "settings", default, positive=True, most=MOST.get(k))
            elif k == "notebook_mode":
                values[k] = self.choice(d, k, "settings", default, ("all", "definitions"))
            elif k == "not_implemented":
                values[k] = self.choice(d, k, "settings", default, ("error", "fail"))
            elif k == "hints":
                values[k] = self.choice(d, k, "settings", default, HINT_LEVELS)
            else:  # pragma: no cover - a Settings field of a new type
                values[k] = v
        return Settings(**values)

    def functions(self, d: dict) -> dict[str, FunctionSpec]:
        out = {}
        if not d and not self.written_only:
            raise self.fail("functions", "the rubric defines no function (a rubric of written questions only "
                                         "has no functions, cases or questions tables)")
        for role, t in d.items():
            where = f"functions.{role}"
            self.ident(role, where, "function")
            t = self.table(t, where)
            self.keys(t, _FUNCTION_KEYS, where, required=("names",))
            names = self.strings(t, "names", where)
            if not names:
                raise self.fail(where, "names can't be empty")
            for n in names:
                if not _IDENT.match(n):
                    raise self.fail(where, f"{n!r} is not a Python function name")
            modules = self.strings(t, "modules", where)
            for m in modules:
                if not _MODULE.match(m):
                    raise self.fail(where, f"{m!r} is not a Python module name")
            params = self.strings(t, "params", where)
            if "arities" in t:
                arities = t["arities"]
                if not isinstance(arities, list) or not arities or not all(
                        isinstance(a, int) and not isinstance(a, bool) for a in arities):
                    raise self.fail(where, "arities must be a non-empty list of integers")
                for a in arities:
                    if not 0 <= a <= len(params):
                        raise self.fail(where, f"arity {a} is not between 0 and the {len(params)} params")
                arities = tuple(arities)
            else:
                arities = ()
            returns = self.strings(t, "returns", where)
            for group, what in ((params, "params"), (returns, "returns")):
                dup = {x for x in group if group.count(x) > 1}
                if dup:
                    raise self.fail(where, f"duplicate name {sorted(dup)[0]!r} in {what}")
            hint = self.string(t, "missing_hint", where, "").strip()
            if "missing_hint" in t and not hint:
                raise self.fail(where, "missing_hint can't be empty")
            if len(hint) > MAX_HINT:
                raise self.fail(where, f"missing_hint is {len(hint)} characters long; at most {MAX_HINT} are shown")
            nb_hint = self.string(t, "missing_hint_notebook", where, "").strip()
            if "missing_hint_notebook" in t and not nb_hint:
                raise self.fail(where, "missing_hint_notebook can't be empty")
            if len(nb_hint) > MAX_HINT:
                raise self.fail(where, f"missing_hint_notebook is {len(nb_hint)} characters long; "
                                       f"at most {MAX_HINT} are shown")
            shapes = self.table(t.get("shapes", {}), f"{where}.shapes")
            for param, text in shapes.items():
                if param not in params:
                    raise self.fail(f"{where}.shapes", f"{param!r} is not one of the params ({_quoted(params)})"
                                                       f"{_did_you_mean(param, params)}")
                if not isinstance(text, str) or not text.strip() or len(text) > 200:
                    raise self.fail(f"{where}.shapes", f"{param} must be a short description of its shape")
            as_globals = self.strings(t, "globals", where)
            for g in as_globals:
                if g not in params:
                    raise self.fail(where, f"globals: {g!r} is not one of the params ({_quoted(params)})"
                                           f"{_did_you_mean(g, params)}")
            if len(set(as_globals)) != len(as_globals):
                raise self.fail(where, "duplicate name in globals")
            shown = self.table(t.get("shown", {}), f"{where}.shown")
            for name, text in shown.items():
                if name not in params and name not in returns:
                    known = (*params, *returns)
                    raise self.fail(f"{where}.shown", f"{name!r} is not one of the params or returns "
                                                      f"({_quoted(known)}){_did_you_mean(name, known)}")
                if not isinstance(text, str) or not _ID.match(text):
                    raise self.fail(f"{where}.shown", f"{name} must be shown as a name such as 'gradCenterVec', "
                                                      f"not {text!r}")
            stub = self.string(t, "stub", where, "")
            if stub not in ("", "returns-input", "returns-zeros"):
                raise self.fail(where, f"stub must be \"returns-input\" (the starter's placeholder returns its "
                                       f"first argument unchanged) or \"returns-zeros\" (zeros, never calling the "
                                       f"function it was given), not {stub!r}")
            if stub and not params:
                raise self.fail(where, "stub = \"returns-input\" needs params (the first one is the input)")
            stub_names = self.strings(t, "stub_names", where)
            for name in stub_names:
                if not _ID.match(name):
                    raise self.fail(where, f"stub_names: {name!r} is not a Python name")
            out[role] = FunctionSpec(role=role, names=names, modules=modules, params=params, arities=arities,
                                     returns=returns, missing_hint=hint, missing_hint_notebook=nb_hint,
                                     shapes=dict(shapes), globals=as_globals, shown=dict(shown), stub=stub,
                                     stub_names=tuple(stub_names))
        return out

    def reference_name(self, name: str, where: str, what: str) -> None:
        if name not in self.ref_names:
            raise self.fail(where, f"the reference module defines no {what} {name!r}"
                                   f"{_did_you_mean(name, self.ref_names)}")

    def cases(self, d: dict, functions: Mapping[str, FunctionSpec]) -> dict[str, CaseSpec]:
        out = {}
        for cid, t in d.items():
            where = f"cases.{cid}"
            self.ident(cid, where, "case")
            t = self.table(t, where)
            self.keys(t, _CASE_KEYS, where, required=("function", "generator"))
            role = self.string(t, "function", where)
            if role not in functions:
                raise self.fail(where, f"unknown function {role!r}{_did_you_mean(role, functions)}")
            generator = self.string(t, "generator", where)
            self.reference_name(generator, where, "generator")
            params = self.table(t.get("params", {}), f"{where}.params")
            seed = self.integer(t, "seed", where, 0)
            if seed < 0:
                raise self.fail(where, f"seed can't be negative ({seed!r})")
            description = self.string(t, "description", where, "")
            out[cid] = CaseSpec(id=cid, function=role, generator=generator, params=params, seed=seed,
                                description=description)
        return out

    def mistakes(self, d: dict) -> dict[str, dict[str, Any]]:
        out = {}
        for mid, t in d.items():
            where = f"mistakes.{mid}"
            self.ident(mid, where, "mistake")
            t = self.table(t, where)
            self.keys(t, _MISTAKE_KEYS, where, required=("message",))
            message = self.string(t, "message", where)
            if not message.strip():
                raise self.fail(where, "message can't be empty")
            if ("detector" in t) == ("formula" in t):
                raise self.fail(where, "needs exactly one of 'detector' and 'formula'")
            entry: dict[str, Any] = {"message": message}
            for k in ("name", "fix"):
                if k in t:
                    text = self.string(t, k, where).strip()
                    if not text:
                        raise self.fail(where, f"{k} can't be empty")
                    entry[k] = text
            if "convention" in t:  # this mistake is a negative-sampling convention the rubric does not accept
                entry["convention"] = self.choice(t, "convention", where, "", CONVENTIONS)
            if "detector" in t:
                entry["detector"] = self.choice(t, "detector", where, "", DETECTORS + BEHAVIOUR_DETECTORS)
            else:
                f = t["formula"]
                if isinstance(f, str):
                    self.reference_name(f, where, "formula")
                    entry["formula"] = f
                elif isinstance(f, dict) and f:
                    for expected, formula in f.items():
                        self.reference_name(expected, f"{where}.formula", "function")
                        if not isinstance(formula, str):
                            raise self.fail(f"{where}.formula", f"{expected} must be a string, not {_type_name(formula)}")
                        self.reference_name(formula, f"{where}.formula", "formula")
                    entry["formula"] = dict(f)
                else:
                    raise self.fail(where, "formula must be a function name or a table {expected function = formula}")
            out[mid] = entry
        return out

    def questions(self, d: dict, functions, cases, mistakes) -> tuple[Question, ...]:
        if not d and not self.written_only:
            raise self.fail("questions", "the rubric has no questions")
        out = []
        for qid, t in d.items():
            where = f"questions.{qid}"
            self.ident(qid, where, "question")
            t = self.table(t, where)
            self.keys(t, _QUESTION_KEYS, where, required=("title", "checks"))
            title = self.string(t, "title", where)
            file = self.string(t, "file", where, "")
            if "file" in t and not _ID.match(file):
                raise self.fail(where, f"file must be a short name such as 'q2' (letters, digits, '_', '-', '.'), not {file!r}")
            defaults = {k: t[k] for k in _DEFAULT_KEYS if k in t}
            checks_t = self.table(t["checks"], f"{where}.checks")
            if not checks_t:
                raise self.fail(where, "the question has no checks")
            checks = tuple(self.check(qid, cid, self.table(c, f"{where}.checks.{cid}"), defaults, functions, cases,
                                      mistakes) for cid, c in checks_t.items())
            extra = t.get("extra", False)
            if not isinstance(extra, bool):
                raise self.fail(where, f"extra must be true or false, not {extra!r}")
            for c in checks:
                twin = c.same_as.split("/", 1)[-1]
                if c.same_as and twin not in checks_t:
                    raise self.fail(f"{where}.checks.{c.id.split('/', 1)[1]}",
                                    f"same_as names no check of this question: {twin!r}"
                                    f"{_did_you_mean(twin, checks_t)}")
            out.append(Question(id=qid, title=title, checks=checks, file=file, extra=extra))
        return tuple(out)

    def file_order(self, files: Any, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        """Group the questions by starter file: the order of results, reports, grades.csv and the kit.

        The top-level ``files`` list, when given, puts its files first, in its order; any other
        file follows (a rubric extending this one may add questions of its own), in order of
        first appearance, as every file does without the list (a rubric that extends another
        lists the parent's questions first: the problem set's q3 questions would otherwise be
        split around q2's).  Within a file the order stays the rubric's; without ``file`` keys
        the order is the rubric's.
        """
        if files is not None:
            if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                raise self.fail("files", f"must be a list of file names such as [\"q1\", \"q2\"], not {files!r}")
            for f in files:
                if not _ID.match(f):
                    raise self.fail("files", f"{f!r} is not a short name such as 'q2' (letters, digits, '_', '-', '.')")
            if len(set(files)) != len(files):
                raise self.fail("files", f"names a file twice: {sorted(f for f in set(files) if files.count(f) > 1)}")
        rank = {f: i for i, f in enumerate(files or ())}
        for q in questions:
            rank.setdefault(q.file, len(rank))
        return tuple(sorted(questions, key=lambda q: rank[q.file]))  # stable: the rubric's order within a file

    def sampling(self, d: Any) -> dict[str, Any]:
        """The [sampling] table: which conventions of drawing negatives score (default: rejecting the target)."""
        if d is None:
            return {"conventions": ("reject",)}
        d = self.table(d, "sampling")
        self.keys(d, _SAMPLING_KEYS, "sampling")
        conventions = self.strings(d, "conventions", "sampling", ("reject",))
        if not conventions:
            raise self.fail("sampling", "conventions can't be empty")
        for c in conventions:
            if c not in CONVENTIONS:
                raise self.fail("sampling", f"conventions: {c!r} is not one of {_quoted(CONVENTIONS)}"
                                            f"{_did_you_mean(c, CONVENTIONS)}")
        return {"conventions": tuple(conventions)}

    def check(self, qid: str, cid: str, t: dict, defaults: dict, functions, cases, mistakes) -> CheckSpec:
        where = f"questions.{qid}.checks.{cid}"
        self.ident(cid, where, "check")
        self.keys(t, _CHECK_KEYS, where, required=("case",))
        d = {**defaults, **t}
        case_id = self.string(d, "case", where)
        if case_id not in cases:
            raise self.fail(where, f"unknown case {case_id!r}{_did_you_mean(case_id, cases)}")
        role = cases[case_id].function
        fn = functions[role]
        compare = self.choice(d, "compare", where, "close", COMPARES)
        output: str | None = None
        expected = ""
        if compare == "close":
            if fn.returns:
                if "output" not in d:
                    raise self.fail(where, f"missing key 'output' (one of {_quoted(fn.returns)})")
                output = self.string(d, "output", where)
                if output not in fn.returns:
                    raise self.fail(where, f"output {output!r} is not one of the values {role} returns "
                                           f"({_quoted(fn.returns)}){_did_you_mean(output, fn.returns)}")
            elif "output" in d:
                raise self.fail(where, f"output is set, but {role} returns one value")
            if "expected" not in d:
                raise self.fail(where, "missing key 'expected' (the reference function to compare with)")
            expected = self.string(d, "expected", where)
            self.reference_name(expected, where, "function")
        prop = ""
        if compare == "property":
            if "property" not in d:
                raise self.fail(where, "missing key 'property' (the reference function that judges the answer)")
            prop = self.string(d, "property", where)
            self.reference_name(prop, where, "property function")
            if "output" in d:
                output = self.string(d, "output", where)
                if output not in fn.returns:
                    raise self.fail(where, f"output {output!r} is not one of the values {role} returns "
                                           f"({_quoted(fn.returns)}){_did_you_mean(output, fn.returns)}")
        elif "property" in t:
            raise self.fail(where, "property is set, but compare is not \"property\"")
        ids = self.strings(d, "mistakes", where)
        for m in ids:
            if m not in mistakes:
                raise self.fail(where, f"unknown mistake {m!r}{_did_you_mean(m, mistakes)}")
        behaviour, expect, signals = "", "", ()
        if compare == "behaviour":
            behaviour = self.choice(d, "behaviour", where, "", tuple(BEHAVIOURS))
            expect = self.choice(d, "expect", where, "", BEHAVIOURS[behaviour])
            signals = self.strings(d, "signals", where, SIGNALS)
            for sig in signals:
                if sig not in SIGNALS:
                    raise self.fail(where, f"unknown signal {sig!r} (one of {_quoted(SIGNALS)}){_did_you_mean(sig, SIGNALS)}")
            if not signals:
                raise self.fail(where, "signals can't be empty: name how a failure may be reported")
        else:
            for k in ("behaviour", "expect", "signals"):
                if k in d:
                    raise self.fail(where, f"{k} is set, but compare is {compare!r}, not 'behaviour'")
        conventions = self.conventions(d, where, fn) if "conventions" in d else {}
        convention_by = self.string(d, "convention_by", where, "")
        if convention_by and (not fn.returns or convention_by not in fn.returns):
            raise self.fail(where, f"convention_by {convention_by!r} is not one of the values {role} returns "
                                   f"({_quoted(fn.returns)})")
        if convention_by and any(convention_by not in c for c in conventions.values()):
            raise self.fail(where, f"every convention must name an expected function for {convention_by!r}")
        convention_text = self.table(d.get("convention_text", {}), f"{where}.convention_text")
        for name, text in convention_text.items():
            if name not in conventions:
                raise self.fail(f"{where}.convention_text", f"{name!r} is not one of the conventions "
                                                             f"({_quoted(conventions)})")
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{where}.convention_text.{name}", "must be a sentence students read")
        return CheckSpec(
            behaviour=behaviour, expect=expect, signals=signals, conventions=conventions,
            convention_by=convention_by, convention_text=dict(convention_text),
            id=f"{qid}/{cid}", question=qid, case=case_id, function=role, compare=compare, output=output,
            expected=expected,
            points=self.number(d, "points", where, 1.0, most=MOST["points"]),
            tolerance=Tolerance(rtol=self.number(d, "rtol", where, 1e-5), atol=self.number(d, "atol", where, 1e-8)),
            shape=self.choice(d, "shape", where, "squeeze", SHAPES),
            visibility=self.choice(d, "visibility", where, "public", VISIBILITIES),
            timeout=self.number(d, "timeout", where, 2.0, positive=True, most=MOST["timeout"]),
            mistakes=ids,
            description=self.string(t, "description", where, ""),
            property=prop,
            same_as=f"{qid}/{self.string(t, 'same_as', where)}" if t.get("same_as") else "",
        )

    def conventions(self, d: dict, where: str, fn: FunctionSpec) -> dict[str, dict[str, str]]:
        """Read a check's ``conventions``: name -> {output -> expected function} (one value: {"" -> function})."""
        t = self.table(d["conventions"], f"{where}.conventions")
        out: dict[str, dict[str, str]] = {}
        for name, conv in t.items():
            w = f"{where}.conventions.{name}"
            self.ident(name, w, "convention")
            if isinstance(conv, str):
                conv = {d.get("output") or "": conv}
            conv = self.table(conv, w)
            for output, f in conv.items():
                if output and output not in fn.returns:
                    raise self.fail(w, f"{output!r} is not one of the values {fn.role} returns ({_quoted(fn.returns)})")
                if not isinstance(f, str):
                    raise self.fail(w, f"{output} must be the name of a reference function, not {_type_name(f)}")
                self.reference_name(f, w, "function")
            out[name] = dict(conv)
        if "accept" in out:
            raise self.fail(f"{where}.conventions", "'accept' is not a convention name")
        return out

    def consistency(self, d: Any, functions, cases) -> dict[str, Any]:
        if d is None:
            return {}
        where = "consistency"
        d = self.table(d, where)
        self.keys(d, _CONSISTENCY_KEYS, where, required=("function", "cost", "wrt", "cases"))
        role = self.string(d, "function", where)
        if role not in functions:
            raise self.fail(where, f"unknown function {role!r}{_did_you_mean(role, functions)}")
        fn = functions[role]
        cost = self.string(d, "cost", where)
        if cost not in fn.returns:
            raise self.fail(where, f"cost {cost!r} is not one of the values {role} returns ({_quoted(fn.returns)})")
        wrt = self.table(d["wrt"], f"{where}.wrt")
        if not wrt:
            raise self.fail(where, "wrt can't be empty")
        for grad, param in wrt.items():
            if grad not in fn.returns:
                raise self.fail(f"{where}.wrt", f"{grad!r} is not one of the values {role} returns "
                                                f"({_quoted(fn.returns)}){_did_you_mean(grad, fn.returns)}")
            if not isinstance(param, str) or param not in fn.params:
                raise self.fail(f"{where}.wrt", f"{param!r} is not one of the params of {role} "
                                                f"({_quoted(fn.params)}){_did_you_mean(param, fn.params)}")
        ids = self.strings(d, "cases", where)
        for cid in ids:
            if cid not in cases:
                raise self.fail(where, f"unknown case {cid!r}{_did_you_mean(cid, cases)}")
            if cases[cid].function != role:
                raise self.fail(where, f"case {cid!r} calls {cases[cid].function}, not {role}")
        sample = None
        if "sample" in d:
            sample = self.integer(d, "sample", where, 0)
            if sample < 1:
                raise self.fail(where, f"sample must be at least 1 (elements per argument), not {sample!r}")
        # a student kit's: the elements the grader drew with the seed the kit does not carry
        drawn = self.table(d.get("drawn", {}), f"{where}.drawn")
        for cid, per in drawn.items():
            if cid not in ids or not isinstance(per, list) or len(per) != len(wrt) or not all(
                    isinstance(p, list) and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in p)
                    for p in per):
                raise self.fail(f"{where}.drawn", f"{cid!r}: a list of index lists, one per wrt, for a case of cases")
        return {
            "function": role, "cost": cost, "wrt": dict(wrt), "cases": ids, "sample": sample,
            **({"drawn": {cid: [list(p) for p in per] for cid, per in drawn.items()}} if drawn else {}),
            "h": self.number(d, "h", where, 1e-4, positive=True),
            "tolerance": Tolerance(rtol=self.number(d, "rtol", where, 1e-3), atol=self.number(d, "atol", where, 1e-6)),
            "timeout": self.number(d, "timeout", where, 10.0, positive=True, most=MOST["timeout"]),
            "points": self.number(d, "points", where, 0.0, most=MOST["points"]),
        }

    def starter(self, doc: dict, functions) -> tuple[tuple[StarterModule, ...], list[bytes]]:
        entries = doc.get("starter", [])
        if not isinstance(entries, list):
            raise self.fail("starter", "must be an array of tables ([[starter]])")
        if not entries:
            return (), []
        root_dir = self.origin.get("starter_dir", (self.dir, self.shown))[0]
        root = (root_dir / self.string(doc, "starter_dir", "starter_dir", ".")).resolve()
        out: list[StarterModule] = []
        blobs: list[bytes] = []
        seen: dict[str, int] = {}
        for i, t in enumerate(entries):
            where = f"starter[{i}]"
            t = self.table(t, where)
            self.keys(t, _STARTER_KEYS, where, required=("path",))
            rel = self.string(t, "path", where)
            if rel.startswith("/") or ".." in Path(rel).parts or not rel.endswith(".py"):
                raise self.fail(where, f"path must be a relative .py path inside starter_dir, not {rel!r}")
            module = self.string(t, "module", where, _module_of(rel))
            if module != _module_of(rel):
                raise self.fail(where, f"module {module!r} does not match its path {rel!r} "
                                       f"(expected {_module_of(rel)!r})")
            if module in seen:
                raise self.fail(where, f"duplicate module {module!r} (also starter[{seen[module]}])")
            seen[module] = i
            provides = self.strings(t, "provides", where)
            for role in provides:
                if role not in functions:
                    raise self.fail(where, f"provides unknown function {role!r}{_did_you_mean(role, functions)}")
            file = root / rel
            if not file.is_file():
                raise self.fail(where, f"file not found: {rel!r} (in starter_dir)")
            data = file.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail(where, f"{rel!r} is not UTF-8 text") from None
            blobs.append(rel.encode() + b"\0" + data)
            out.append(StarterModule(module=module, path=rel, text=text, provides=provides))
        return tuple(out), blobs


def _matching(pattern: str, ids, shown: str, key: str, what: str) -> list[str]:
    """Return the ids `pattern` names: itself, or those it matches when it holds a ``*``.

    A plain id that is not there is an error (a typo); a pattern may match nothing (the
    parent may not have those questions yet, or no longer).
    """
    ids = list(ids)
    if "*" in pattern:
        return [i for i in ids if fnmatch.fnmatchcase(i, pattern)]
    if pattern not in ids:
        raise RubricError(shown, key, f"no {what} {pattern!r} to exclude{_did_you_mean(pattern, ids)}")
    return [pattern]


def _type_name(v: Any) -> str:
    """Return the TOML name of a value's type, for messages."""
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
            float: "a float"}.get(type(v), type(v).__name__)


def _cases_of(questions: Mapping[str, Any]) -> set[str]:
    """Return the case ids the checks of `questions` (a raw [questions] table) name."""
    out: set[str] = set()
    for q in questions.values():
        checks = q.get("checks") if isinstance(q, dict) else None
        for c in checks.values() if isinstance(checks, dict) else ():
            if isinstance(c, dict) and isinstance(c.get("case"), str):
                out.add(c["case"])
    return out


def _replace_public(case: CaseSpec, public: bool) -> CaseSpec:
    """Return `case` with ``public`` set (True when a public check uses it)."""
    from dataclasses import replace

    return replace(case, public=public)


#: The keys of a named mistake that are words (its detector or formula is the grader's own).
_MISTAKE_WORDS = ("name", "message", "fix")


def reworded(rubric: Rubric, words: Rubric) -> Rubric:
    """Return `rubric` in the words of `words` (a course version's rubric): what is graded and how
    many points it carries stay `rubric`'s; what students read of it is taken from `words` wherever
    `words` grades the same function, case, question, check or mistake.

    The texts: functions' ``shown``, ``missing_hint``, ``missing_hint_notebook`` and the order of
    their ``names`` (messages say the first); cases' descriptions; questions' titles and files (a
    question of `words` is in its file; a file of `rubric` most of whose questions `words` puts in
    one file is renamed so: CS224d's q3 is a2's word2vec); checks' descriptions; mistakes' name,
    message and fix.  Functions, cases and mistakes `words` grades nothing with (a2's sigmoid_grad,
    left from the years before) keep `rubric`'s words.  The rubric's name, title and digest stay
    its own: results name the rubric that graded them.
    """
    used = [c for q in words.questions for c in q.checks]
    roles = {c.function for c in used}
    case_ids = {c.case for c in used}
    mistake_ids = {m for c in used for m in c.mistakes}
    functions = {}
    for role, fn in rubric.functions.items():
        w = words.functions.get(role)
        if w is None or role not in roles:
            functions[role] = fn
            continue
        names = tuple(n for n in w.names if n in fn.names) + tuple(n for n in fn.names if n not in w.names)
        functions[role] = replace(fn, names=names, shown=dict(w.shown), missing_hint=w.missing_hint,
                                  missing_hint_notebook=w.missing_hint_notebook)
    # a case of `rubric` only (CBOW's, with "your own softmaxCostAndGradient") names the functions as `words` does
    renamed = {fn.names[0]: functions[role].names[0] for role, fn in rubric.functions.items()
               if fn.names and functions[role].names[0] != fn.names[0]}

    def said(text: str) -> str:
        for old, new in renamed.items():
            text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        return text

    cases = {cid: replace(c, description=words.cases[cid].description if cid in words.cases and cid in case_ids
                          else said(c.description)) for cid, c in rubric.cases.items()}
    theirs = {q.id: q for q in words.questions}
    mapped: dict[str, set[str]] = {}
    counts: dict[str, list[int]] = {}
    for q in rubric.questions:
        n = counts.setdefault(q.file, [0, 0])
        n[1] += 1
        if q.id in theirs and theirs[q.id].file:
            n[0] += 1
            mapped.setdefault(q.file, set()).add(theirs[q.id].file)
    files = {f: next(iter(to)) for f, to in mapped.items() if len(to) == 1 and 2 * counts[f][0] > counts[f][1]}
    their_checks = {c.id: c for c in used}
    questions = []
    for q in rubric.questions:
        checks = tuple(replace(c, description=their_checks[c.id].description) if c.id in their_checks else c
                       for c in q.checks)
        mine = theirs.get(q.id)
        questions.append(replace(q, title=mine.title if mine else q.title, checks=checks,
                                 file=mine.file if mine and mine.file else files.get(q.file, q.file)))
    mistakes = {}
    for mid, m in rubric.mistakes.items():
        w = words.mistakes.get(mid) if mid in mistake_ids else None
        mistakes[mid] = m if w is None else {**{k: v for k, v in m.items() if k not in _MISTAKE_WORDS},
                                             **{k: w[k] for k in _MISTAKE_WORDS if k in w}}
    return replace(rubric, functions=functions, cases=cases, questions=tuple(questions), mistakes=mistakes,
                   files=tuple(dict.fromkeys(files.get(f, f) for f in rubric.files)))
