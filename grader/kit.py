"""The student kit: a rubric's public checks and their expected outputs as plain data, and loading it back.

``grader kit --out DIR`` writes what a TA hands to students::

    DIR/
      README.md        for students: how to run the checks, what is (and is not) in the kit
      rubric.toml      the public rubric: public questions, checks and cases only; no
                       reference, no hidden check or case, no seed or generator parameter
      public.json      the same checks, the functions looked for, and each public case's
                       arguments and expected values as keys into cases.npz (format "grader.kit/1")
      cases.npz        the arrays: the public cases' inputs and expected outputs
                       (numpy, loaded with allow_pickle=False)
      starter/         the stand-ins of the starter's helper modules a submission imports
                       (q2_gradcheck, utils.gradcheck...), except those that would answer a
                       graded question (a working softmax)
      conftest.py      plain-pytest plumbing (numpy and pytest only)
      recognise.py     grader/recognise.py as it is (standard library only), when the rubric has a
                       ``wording`` or sanity values of one course version: the kit's pytest
                       recognises the year as grader check does
      test_public.py   one test per public check
      pytest.ini       runs test_public.py only

The expected values are computed here from the reference module, in the TA's process;
the kit holds only their numbers for the public cases.  :func:`load_kit` reads a kit back
as a :class:`~grader.model.Rubric` and its :class:`~grader.model.Case` objects, so that
``grader check --kit DIR PATH`` grades offline without the reference.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import math
import re
import shutil
import string
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import __version__
from .errors import UsageError, cut
from .mistakes import hint_text
from .model import Built, Case, CheckSpec, CostFn, Dataset, Rubric, Settings, StarterModule

#: The format of public.json, and of the kit as a whole.
KIT_FORMAT = "grader.kit/1"
#: The environment variable the kit's pytest reads the submission path from.
SUBMISSION_ENV = "GRADER_SUBMISSION"
#: Files copied verbatim from the ``templates/kit`` folder.
TEMPLATE_FILES = ("conftest.py", "test_public.py", "pytest.ini")
#: grader/recognise.py, copied for the kit's pytest (which course version the code is written for).
RECOGNISE_FILE = "recognise.py"
#: What every self-check says.
NOT_FINAL = ("Passing the public checks is not your final grade: "
             "hidden checks on other inputs are graded after you hand in.")


@dataclass(frozen=True)
class Kit:
    """What :func:`write_kit` wrote."""

    path: Path  #: the kit's folder
    checks: tuple[str, ...]  #: ids of the public checks in it
    cases: tuple[str, ...]  #: ids of the public cases in it
    stand_ins: tuple[str, ...]  #: stand-in modules included
    withheld: tuple[str, ...]  #: stand-in modules left out because they answer a graded question
    files: tuple[str, ...]  #: every file written, relative to ``path``
    #: public "property" checks left out (they need the reference's code): only the grader judges them
    properties: tuple[str, ...] = ()
    #: named mistakes of the public checks recognised by a wrong formula (reference code): only the grader names them
    formulas: tuple[str, ...] = ()


# --------------------------------------------------------------------------- TOML writing

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    """Return a TOML key, quoted unless bare.

    >>> _toml_key("one-row"), _toml_key("a.b")
    ('one-row', '"a.b"')
    """
    return k if _BARE.match(k) else json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    """Return a TOML inline value for a string, number, boolean, list or table.

    >>> _toml_value([1, 2.5, "x", True, {"a": 1e-05}])
    '[1, 2.5, "x", true, { a = 1e-05 }]'
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and bool(v) and all(isinstance(x, Mapping) for x in v)


def toml_dumps(doc: Mapping[str, Any]) -> str:
    """Return `doc` as TOML text: scalars first, then sub-tables, then arrays of tables.

    Parameters
    ----------
    doc : mapping
        Strings, numbers, booleans, lists and nested mappings (as ``tomllib`` returns).

    Returns
    -------
    str
        TOML that ``tomllib.loads`` reads back as `doc`.

    Examples
    --------
    >>> print(toml_dumps({"name": "r", "cases": {"a": {"seed": 1}}, "starter": [{"path": "x.py"}]}), end="")
    name = "r"
    <BLANKLINE>
    [cases.a]
    seed = 1
    <BLANKLINE>
    [[starter]]
    path = "x.py"
    """
    lines: list[str] = []

    def table(t: Mapping[str, Any], path: list[str], header: str | None) -> None:
        plain = [(k, v) for k, v in t.items() if not isinstance(v, Mapping) and not _is_table_array(v)]
        subs = [(k, v) for k, v in t.items() if isinstance(v, Mapping)]
        arrays = [(k, v) for k, v in t.items() if _is_table_array(v)]
        if header is not None and (plain or not (subs or arrays)):
            if lines:
                lines.append("")
            lines.append(header)
        for k, v in plain:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in subs:
            p = path + [k]
            table(v, p, "[" + ".".join(_toml_key(x) for x in p) + "]")
        for k, v in arrays:
            p = path + [k]
            for item in v:
                if lines:
                    lines.append("")
                lines.append("[[" + ".".join(_toml_key(x) for x in p) + "]]")
                table(item, p, None)

    table(doc, [], None)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the public rubric


def public_roles(rubric: Rubric) -> set[str]:
    """Return the roles that public checks grade."""
    return {c.function for c in rubric.checks() if c.visibility == "public"}


def _public_checks(rubric: Rubric) -> list[CheckSpec]:
    """Return the checks a kit carries: the public ones, but not those judged by reference code ("property")."""
    return [c for c in rubric.checks() if c.visibility == "public" and c.compare != "property"]


def _left_to_grader(rubric: Rubric, checks: list[CheckSpec]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return what of the public checks a kit cannot carry, as it needs the reference's code: the "property"
    checks, and the named mistakes recognised by a wrong formula."""
    properties = tuple(c.id for c in rubric.checks() if c.visibility == "public" and c.compare == "property")
    used = {m for c in checks for m in c.mistakes}
    return properties, tuple(mid for mid, e in rubric.mistakes.items() if mid in used and "detector" not in e)


def _kit_mistakes(rubric: Rubric, checks: list[CheckSpec]) -> dict[str, dict[str, Any]]:
    """Return the named mistakes a kit can recognise without the reference: generic detectors."""
    # The message is written as the rubric's hint level has it; the kit then shows it as is.
    used = {m for c in checks for m in c.mistakes}
    return {mid: {"message": hint_text(mid, e, rubric.settings.hints), "detector": e["detector"]}
            for mid, e in rubric.mistakes.items() if mid in used and "detector" in e}


def _kit_consistency(rubric: Rubric, public_cases: set[str]) -> dict[str, Any]:
    """Return the [consistency] table restricted to public cases ({} when none is left)."""
    con = dict(rubric.consistency)
    if not con:
        return {}
    ids = [c for c in con["cases"] if c in public_cases]
    if not ids:
        return {}
    tol = con["tolerance"]
    return {"function": con["function"], "cost": con["cost"], "wrt": dict(con["wrt"]), "cases": ids,
            "h": con["h"], "rtol": tol.rtol, "atol": tol.atol, "timeout": con["timeout"], "points": con["points"],
            **({"sample": con["sample"]} if con.get("sample") else {})}


def public_toml(rubric: Rubric, *, stand_ins: tuple[StarterModule, ...], public_cases: list[str],
                sampled: bool = False, samples: Mapping[str, list[list[int]]] | None = None) -> str:
    """Return the public rubric of `rubric` as TOML: public checks and cases only, no reference.

    Every check is written with all its settings (no question defaults), so the file says
    exactly what is checked.  Cases keep their function, generator name and description
    but not their seed or parameters: their inputs are in ``cases.npz``, and the elements the
    self-consistency check samples (drawn with the seed) are in its table as ``drawn``.  Only the named
    mistakes that need no reference (generic detectors) are kept.

    Parameters
    ----------
    rubric : Rubric
        The full rubric.
    stand_ins : tuple of StarterModule
        The stand-ins the kit carries (under ``starter/``).
    public_cases : list of str
        The cases the kit carries.
    sampled : bool
        Whether one of them is negative sampling's (scripted draws): the [sampling] table is kept.
    samples : mapping, optional
        Case id -> the flat indices the self-consistency check samples per ``wrt`` argument
        (``[]``: every element), as the grader draws them with the case's seed.

    Returns
    -------
    str
        TOML text loadable by :func:`load_kit`.
    """
    checks = _public_checks(rubric)
    mistakes = _kit_mistakes(rubric, checks)
    s = asdict(rubric.settings)
    settings = {f.name: list(s[f.name]) if isinstance(s[f.name], tuple) else s[f.name] for f in fields(Settings)}
    settings["hints"] = "explain"  # the kit's messages already say what the rubric's level lets them say
    roles = [r for r in rubric.functions if any(c.function == r for c in checks)]
    functions = {}
    for role in roles:
        fn = rubric.functions[role]
        t: dict[str, Any] = {"names": list(fn.names), "modules": list(fn.modules), "params": list(fn.params)}
        if fn.arities:
            t["arities"] = list(fn.arities)
        if fn.returns:
            t["returns"] = list(fn.returns)
        if fn.globals:
            t["globals"] = list(fn.globals)
        if fn.shapes:
            t["shapes"] = dict(fn.shapes)
        if fn.shown:  # messages name arguments and returned values as the course does (a2's gradCenterVec)
            t["shown"] = dict(fn.shown)
        if fn.missing_hint:  # where the course keeps it ("sgd belongs in sgd.py"), as grader check says
            t["missing_hint"] = fn.missing_hint
        if fn.missing_hint_notebook:
            t["missing_hint_notebook"] = fn.missing_hint_notebook
        if fn.stub:  # what the year's starter stub returns: "Not implemented" with the kit too
            t["stub"] = fn.stub
        if fn.stub_names:
            t["stub_names"] = list(fn.stub_names)
        functions[role] = t
    cases = {}
    for cid in public_cases:
        cs = rubric.cases[cid]
        cases[cid] = {"function": cs.function, "generator": cs.generator, "description": cs.description}
    questions: dict[str, Any] = {}
    for q in rubric.questions:
        qchecks = {}
        for c in q.checks:
            if c.visibility != "public" or c.compare == "property":  # a property needs the reference's code
                continue
            t = {"case": c.case, "compare": c.compare}
            if c.compare == "close":
                if c.output is not None:
                    t["output"] = c.output
                t["expected"] = c.expected
            if c.compare == "behaviour":
                t.update(behaviour=c.behaviour, expect=c.expect, signals=list(c.signals))
            if c.conventions:
                t["conventions"] = {n: dict(conv) for n, conv in c.conventions.items()}
            if c.convention_text:
                t["convention_text"] = dict(c.convention_text)
            if c.convention_by:
                t["convention_by"] = c.convention_by
            t.update(points=c.points, rtol=c.tolerance.rtol, atol=c.tolerance.atol, shape=c.shape,
                     visibility=c.visibility, timeout=c.timeout, mistakes=[m for m in c.mistakes if m in mistakes])
            if c.description:
                t["description"] = c.description
            if c.same_as and any(o.id == c.same_as and o.visibility == "public" for o in q.checks):
                t["same_as"] = c.same_as.split("/", 1)[1]
            qchecks[c.id.split("/", 1)[1]] = t
        if qchecks:
            questions[q.id] = {"title": q.title, **({"file": q.file} if q.file else {}),
                               **({"extra": True} if q.extra else {}), "checks": qchecks}
    doc: dict[str, Any] = {"name": rubric.name, "title": rubric.title, "version": rubric.version,
                           "starter_dir": "starter", "settings": settings, "functions": functions,
                           "cases": cases, "questions": questions}
    con = _kit_consistency(rubric, set(public_cases))
    if con:
        if samples:
            con["drawn"] = {cid: samples[cid] for cid in con["cases"] if cid in samples}
        doc["consistency"] = con
    if sampled and rubric.sampling:
        doc["sampling"] = {"conventions": list(rubric.sampling.get("conventions", ("reject",)))}
    if mistakes:
        doc["mistakes"] = mistakes
    if stand_ins:
        # A stand-in's provides names only roles the kit has: a role of the full rubric that no
        # public check grades (CS224n's softmax, given in utils) is not one of the kit's functions.
        doc["starter"] = [{"module": s.module, "path": s.path,
                           **({"provides": provided} if (provided := [r for r in s.provides if r in functions]) else {})}
                          for s in stand_ins]
    head = (f"# The public rubric of {rubric.title!r} (version {rubric.version}), for the student kit.\n"
            f"# Written by grader {__version__}: public checks and cases only; their inputs and expected\n"
            f"# values are in cases.npz.  {NOT_FINAL}\n\n")
    return head + toml_dumps(doc)


# --------------------------------------------------------------------------- writing a kit


def _template(name: str) -> str:
    """Return the text of one file of the ``grader.templates`` package's ``kit`` folder."""
    return importlib.resources.files("grader.templates").joinpath("kit", name).read_text(encoding="utf-8")


def _encode_arg(a: Any, key: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Return the public.json form of one argument, storing arrays in `arrays` under `key`."""
    if isinstance(a, Dataset):
        d = {"vocab": int(a.vocab), "seed": int(a.seed)}
        if a.script:
            d["script"] = [int(i) for i in a.script]
        return {"dataset": d}
    if isinstance(a, CostFn):
        if not a.table:
            return {"costfn": {"role": a.role}}
        entries = []
        for n, (pred, target, cost, grad_pred, grad) in enumerate(a.table):
            for part, arr in (("predicted", pred), ("gradPred", grad_pred), ("grad", grad)):
                arrays[f"{key}.{n}.{part}"] = np.array(arr, dtype=np.float64, order="C")
            entries.append({"predicted": f"{key}.{n}.predicted", "target": int(target), "cost": float(cost),
                            "gradPred": f"{key}.{n}.gradPred", "grad": f"{key}.{n}.grad"})
        return {"costfn": {"outputs": a.outputs, "table": entries, **({"role": a.role} if a.role else {})}}
    if isinstance(a, dict):
        return {"value": a}  # tokens: JSON as they are
    if a is None:
        return {"none": True}
    if isinstance(a, Built):
        return {"built": a.kind, "data": {str(k): _encode_arg(v, f"{key}.{k}", arrays) for k, v in a.data.items()}}
    if isinstance(a, str):
        return {"value": a}
    if isinstance(a, (list, tuple)):
        return {"list": [_encode_arg(v, f"{key}.{i}", arrays) for i, v in enumerate(a)]}
    if isinstance(a, np.ndarray):
        arrays[key] = np.array(a, order="C")
        return {"array": key}
    if isinstance(a, (bool, np.bool_)):
        return {"value": bool(a)}
    if isinstance(a, (int, np.integer)):
        return {"value": int(a)}
    if isinstance(a, (float, np.floating)) and math.isfinite(float(a)):
        return {"value": float(a)}
    arrays[key] = np.asarray(a)
    return {"array": key, "item": True}


def _decode_arg(d: Mapping[str, Any], arrays: Mapping[str, np.ndarray], where: str) -> Any:
    """Return one argument from its public.json form (arrays read-only)."""
    if "dataset" in d:
        return Dataset(vocab=int(d["dataset"]["vocab"]), seed=int(d["dataset"].get("seed", 0)),
                       script=tuple(int(i) for i in d["dataset"].get("script", ())))
    if "costfn" in d:
        c = d["costfn"]
        if "table" not in c:
            return CostFn(role=str(c.get("role", "")))
        try:
            table = tuple((np.array(arrays[e["predicted"]]), int(e["target"]), float(e["cost"]),
                           np.array(arrays[e["gradPred"]]), np.array(arrays[e["grad"]])) for e in c["table"])
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"{where}: a cost function's table is incomplete; the kit is damaged") from None
        return CostFn(table=table, outputs=str(c.get("outputs", "")))
    if d.get("none"):
        return None
    if "built" in d:
        data = d.get("data") if isinstance(d.get("data"), Mapping) else {}
        return Built(kind=str(d["built"]), data={k: _decode_arg(v, arrays, where) for k, v in data.items()})
    if isinstance(d.get("list"), list):
        return [_decode_arg(v, arrays, where) for v in d["list"]]
    if "array" in d:
        if d["array"] not in arrays:
            raise UsageError(f"{where}: cases.npz has no array {d['array']!r}; the kit is damaged")
        a = np.array(arrays[d["array"]], copy=True)
        if d.get("item"):
            return a.item()
        a.setflags(write=False)
        return a
    if "value" in d:
        return d["value"]
    raise UsageError(f"{where}: an argument of unknown form {sorted(d)!r}; the kit is damaged")


def _check_out(out: Path) -> None:
    """Refuse to write a kit over a folder that holds something other than a kit."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "public.json").is_file():
        raise UsageError(f"--out {str(out)!r} is not empty and holds no kit; choose a new folder")


def write_kit(rubric: Rubric, out: Path, *, reference: ModuleType | None = None,
              cases: Mapping[str, Case] | None = None, include: tuple[str, ...] = ()) -> Kit:
    """Write the student kit of `rubric` to folder `out`.

    Only public checks go in, with the cases they use: their arguments and the expected
    values those checks compare with, computed from the reference in this process.  No
    hidden check, hidden case (inputs, parameters, seed), reference code or wrong formula
    is written.  Stand-ins of the starter that provide a role a public check grades (a
    working softmax) are left out too: they would hand out an answer.

    Parameters
    ----------
    rubric : Rubric
        A loaded rubric (with its reference).
    out : pathlib.Path
        The kit's folder: created if missing; an earlier kit there is replaced; any other
        non-empty folder is refused.
    reference : module, optional
        The reference module (loaded from the rubric when None).
    cases : mapping, optional
        Ready-made cases (built from the reference when None).
    include : tuple of str, optional
        Stand-in modules to ship although they provide a graded role (the TA's choice:
        ``utils.utils`` is part of the CS224n starter students already have).

    Returns
    -------
    Kit
        What was written.

    Raises
    ------
    UsageError
        When `out` is not a kit folder and not empty, the rubric has no public check, or
        `include` names a module that is not a stand-in of the rubric.
    """
    from . import cases as _cases

    checks = _public_checks(rubric)
    if not checks:
        raise UsageError(f"rubric {rubric.name!r} has no public check: there is nothing to put in a kit")
    _check_out(out)
    if cases is None:
        cases = _cases.build(rubric, reference if reference is not None else _cases.load_reference(rubric))
    public_cases: list[str] = []
    for c in checks:
        if c.case not in public_cases:
            public_cases.append(c.case)
    roles = public_roles(rubric)
    unknown = [m for m in include if m not in {s.module for s in rubric.starter}]
    if unknown:
        raise UsageError(f"--include-stand-in {unknown[0]!r}: the rubric has no such stand-in "
                         f"(it has {', '.join(s.module for s in rubric.starter) or 'none'})")
    stand_ins = tuple(s for s in rubric.starter if not (set(s.provides) & roles) or s.module in include)
    withheld = tuple(s.module for s in rubric.starter if s not in stand_ins)

    arrays: dict[str, np.ndarray] = {}
    case_docs: dict[str, Any] = {}
    from . import sampling as _sampling
    from .mistakes import Memo

    memo = Memo()
    for cid in public_cases:
        case = cases[cid]
        wanted = [c.expected for c in checks if c.case == cid and c.compare == "close"]
        wanted += [f for c in checks if c.case == cid for conv in c.conventions.values() for f in conv.values()]
        expected = {}
        if _cases.scripted(case.args) is not None:
            # Negative sampling: the expected values of the draws an honest implementation makes
            # (rejecting the target, or using it), keyed by those draws; the kit has no reference.
            ref = reference if reference is not None else _cases.load_reference(rubric)
            for drawn in _sampling.honest_draws(case, rubric):
                draws = _sampling.read(case, drawn, rubric)
                resolved = _sampling.resolve(case, draws, rubric, ref, memo)
                conv = _sampling.scoring_convention(draws, rubric)
                for name in dict.fromkeys(wanted):
                    ek = _sampling.expected_key(name, conv, drawn)
                    key = f"{cid}.expected.{ek}"
                    arrays[key] = np.array(resolved.expected[name], dtype=np.float64, order="C")
                    expected[ek] = key
        for name in dict.fromkeys(wanted) if _cases.scripted(case.args) is None else ():
            key = f"{cid}.expected.{name}"
            arrays[key] = np.array(case.expected[name], dtype=np.float64, order="C")
            expected[name] = key
        case_docs[cid] = {
            "function": case.spec.function,
            "description": case.spec.description,
            "args": [_encode_arg(a, f"{cid}.arg{i}", arrays) for i, a in enumerate(case.args)],
            "expected": expected,
        }
    mistakes = _kit_mistakes(rubric, checks)
    functions = _functions_doc(rubric, roles)
    public_doc = {
        "format": KIT_FORMAT,
        "grader_version": __version__,
        "rubric": {"name": rubric.name, "title": rubric.title, "version": rubric.version},
        "functions": functions,
        "questions": [{"id": q.id, "title": q.title, "file": q.file,
                       "checks": [c.id for c in q.checks if c.visibility == "public"],
                       **({"extra": True} if q.extra else {})}
                      for q in rubric.questions if any(c.visibility == "public" for c in q.checks)],
        "sampling": {"conventions": list(rubric.sampling.get("conventions", ("reject",)))},
        "course_values": _course_values(rubric, reference, {c.id for c in checks}),
        "course_values_title": _course_values_title(rubric, reference),
        "course_values_versions": _course_values_versions(rubric, reference),
        "checks": [{"id": c.id, "question": c.question, "case": c.case, "function": c.function,
                    "compare": c.compare, "output": c.output, "expected": c.expected, "points": c.points,
                    "rtol": c.tolerance.rtol, "atol": c.tolerance.atol, "shape": c.shape, "timeout": c.timeout,
                    "mistakes": [m for m in c.mistakes if m in mistakes], "description": c.description,
                    "behaviour": c.behaviour, "expect": c.expect, "signals": list(c.signals),
                    "conventions": {n: dict(conv) for n, conv in c.conventions.items()},
                    "convention_by": c.convention_by}
                   for c in checks],
        "cases": case_docs,
        "mistakes": mistakes,
        # a submission of a course version the rubric's `wording` names reads that version's words
        **({"wording": _wording_doc(rubric, roles)} if rubric.wording else {}),
        "stand_ins": [s.module for s in stand_ins],
        "withheld": list(withheld),
        "submission_env": SUBMISSION_ENV,
        "settings": {"cell_timeout": rubric.settings.cell_timeout,
                     "not_implemented": rubric.settings.not_implemented},
    }

    out.mkdir(parents=True, exist_ok=True)
    if (out / "starter").is_dir():
        shutil.rmtree(out / "starter")  # an earlier kit's stand-ins
    (out / "starter").mkdir()  # (the README and rubric.toml name it, stand-ins or not)
    written: list[str] = []

    def write(rel: str, data: str | bytes) -> None:
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            p.write_text(data, encoding="utf-8")
        else:
            p.write_bytes(data)
        written.append(rel)

    sampled = any(_cases.scripted(cases[cid].args) is not None for cid in public_cases)
    samples = {}
    if rubric.consistency.get("sample"):  # the grader's sample, drawn with the seed the kit does not carry
        fn = rubric.functions[rubric.consistency["function"]]
        for cid in rubric.consistency["cases"]:
            if cid in public_cases:
                picked = _cases.sample_indices(rubric.consistency, fn.params, cases[cid])
                if picked is not None:
                    samples[cid] = [p if p is not None else [] for p in picked]
    write("rubric.toml", public_toml(rubric, stand_ins=stand_ins, public_cases=public_cases, sampled=sampled,
                                     samples=samples))
    write("public.json", json.dumps(public_doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    with open(out / "cases.npz", "wb") as f:
        np.savez_compressed(f, **arrays)
    written.append("cases.npz")
    for s in stand_ins:
        write(f"starter/{s.path}", s.text)
    for name in TEMPLATE_FILES:
        write(name, _template(name))
    if rubric.wording or (public_doc["course_values"] and public_doc["course_values_versions"]):
        # grader's own recognition of course versions (regular expressions, standard library only),
        # for the kit's pytest: it chooses the wording and whether the course's sanity values apply
        from . import recognise

        write(RECOGNISE_FILE, Path(recognise.__file__).read_text(encoding="utf-8"))
    properties, formulas = _left_to_grader(rubric, checks)
    write("README.md", _readme(rubric, checks, public_cases, cases, stand_ins, withheld, properties, formulas))
    return Kit(path=out, checks=tuple(c.id for c in checks), cases=tuple(public_cases),
               stand_ins=tuple(s.module for s in stand_ins), withheld=withheld, files=tuple(written),
               properties=properties, formulas=formulas)


def _functions_doc(rubric: Rubric, roles: set[str]) -> dict[str, Any]:
    """Return public.json's ``functions``: how the kit finds, calls and names the functions of `roles`."""
    functions = {}
    for role in rubric.functions:
        if role in roles:
            fn = rubric.functions[role]
            functions[role] = {"names": list(fn.names), "modules": list(fn.modules), "params": list(fn.params),
                               "arities": list(fn.arities), "returns": list(fn.returns),
                               "globals": list(fn.globals),
                               # how the course names them in messages (a2: the cost is a "loss")
                               **({"shown": dict(fn.shown)} if fn.shown else {}),
                               **({"missing_hint": fn.missing_hint} if fn.missing_hint else {}),
                               **({"missing_hint_notebook": fn.missing_hint_notebook}
                                  if fn.missing_hint_notebook else {}),
                               # what the year's starter stub returns (zeros: said "Not implemented")
                               **({"stub": fn.stub} if fn.stub else {}),
                               **({"stub_names": list(fn.stub_names)} if fn.stub_names else {})}
    return functions


def _wording_doc(rubric: Rubric, roles: set[str]) -> dict[str, Any]:
    """Return public.json's ``wording``: the rubric's ``wording`` table (recognised version -> rubric)
    and, per rubric it names, the kit's texts in that rubric's words (grader.rubric.reworded): what
    ``grader check --kit`` and the kit's pytest show a submission recognised as that version.
    Only texts: what is checked, on which inputs and for how many points stays the kit's."""
    from .rubric import load_rubric, reworded

    words: dict[str, Any] = {}
    for name in dict.fromkeys(rubric.wording.values()):
        rw = reworded(rubric, load_rubric(name))
        checks = _public_checks(rw)
        used = {c.case for c in checks}
        words[name] = {
            "functions": _functions_doc(rw, roles),
            "cases": {cid: rw.cases[cid].description for cid in rw.cases if cid in used},
            "questions": {q.id: {"title": q.title, "file": q.file} for q in rw.questions
                          if any(c.visibility == "public" for c in q.checks)},
            "checks": {c.id: c.description for c in checks},
            "mistakes": _kit_mistakes(rw, checks),
        }
    return {"versions": dict(rubric.wording), "words": words}


def kit_words(path: Path, rubric: Rubric) -> dict[str, Rubric]:
    """Return the kit's `rubric` in each wording its public.json carries: rubric name -> the kit's
    rubric with that rubric's texts (``{}`` for a kit without ``wording``, or a damaged one).

    ``grader check --kit`` grades with them as ``grader check`` grades with
    :func:`grader.rubric.reworded` (grader.pipeline.reworded): the kit brings its words, so that
    they are those the TA's rubric gave when the kit was written, at the rubric's hint level."""
    from dataclasses import replace

    try:
        doc = json.loads((Path(path) / "public.json").read_text(encoding="utf-8")).get("wording") or {}
        words = dict(doc.get("words") or {})
    except (OSError, ValueError, AttributeError, TypeError):
        return {}
    out = {}
    for name, w in words.items():
        if not isinstance(w, dict):
            continue
        functions = {}
        for role, fn in rubric.functions.items():
            t = (w.get("functions") or {}).get(role)
            functions[role] = fn if not isinstance(t, dict) else replace(
                fn, names=tuple(t.get("names") or fn.names), shown=dict(t.get("shown") or {}),
                missing_hint=str(t.get("missing_hint") or ""),
                missing_hint_notebook=str(t.get("missing_hint_notebook") or ""))
        texts = w.get("cases") or {}
        cases = {cid: replace(c, description=str(texts[cid])) if cid in texts else c
                 for cid, c in rubric.cases.items()}
        qs, described = w.get("questions") or {}, w.get("checks") or {}
        questions = tuple(replace(q, title=str((qs.get(q.id) or {}).get("title") or q.title),
                                  file=str((qs.get(q.id) or {}).get("file") or q.file),
                                  checks=tuple(replace(c, description=str(described[c.id])) if c.id in described
                                               else c for c in q.checks))
                          for q in rubric.questions)
        theirs = w.get("mistakes") or {}
        mistakes = {mid: {**m, **theirs[mid]} if isinstance(theirs.get(mid), dict) else m
                    for mid, m in rubric.mistakes.items()}
        out[str(name)] = replace(rubric, functions=functions, cases=cases, questions=questions, mistakes=mistakes)
    return out


def kit_wording(path: Path) -> dict[str, str]:
    """Return the kit's ``wording`` table (recognised version -> rubric name), ``{}`` when it has none."""
    try:
        doc = json.loads((Path(path) / "public.json").read_text(encoding="utf-8")).get("wording") or {}
        return {str(k): str(v) for k, v in (doc.get("versions") or {}).items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _reference_or_none(rubric: Rubric, reference: ModuleType | None) -> ModuleType | None:
    """The rubric's reference module (`reference` when given), or None when it does not load."""
    from . import cases as _cases

    try:
        return reference if reference is not None else _cases.load_reference(rubric)
    except Exception:  # noqa: BLE001 - a kit without the course's values is still a kit
        return None


def _course_values(rubric: Rubric, reference: ModuleType | None, public: set[str]) -> list[dict[str, str]]:
    """The course's own sanity values the reference lists (``COURSE_VALUES``), each with the public check reproducing it.

    The kit prints them beside its verdicts; a value no check reproduces is printed as such.
    """
    out = []
    for entry in getattr(_reference_or_none(rubric, reference), "COURSE_VALUES", ()) or ():
        if isinstance(entry, (tuple, list)) and len(entry) == 2:
            text, check = str(entry[0]), str(entry[1])
            out.append({"text": text, "check": check if check in public else ""})
    return out if any(v["check"] for v in out) else []  # none reproduced: a rubric without the course's checks


#: How the sanity values are introduced when the reference does not say whose they are.
DEFAULT_VALUES_TITLE = "The course's own sanity values"


def _course_values_title(rubric: Rubric, reference: ModuleType | None) -> str:
    """Whose sanity values the reference lists (``COURSE_VALUES_TITLE``), "" when it does not say."""
    return str(getattr(_reference_or_none(rubric, reference), "COURSE_VALUES_TITLE", "") or "")


def _course_values_versions(rubric: Rubric, reference: ModuleType | None) -> list[str]:
    """The course versions whose starter printed the sanity values (``COURSE_VALUES_VERSIONS``); [] = any."""
    return [str(v) for v in getattr(_reference_or_none(rubric, reference), "COURSE_VALUES_VERSIONS", ()) or ()]


def course_values_text(result: Any, kit: Path | None, reference: ModuleType | None, rubric: Rubric,
                       version: str = "", code: bool = True) -> str:
    """The course's own sanity values (a kit's, else the reference's ``COURSE_VALUES``) beside this result's verdicts.

    Returns "" when there are none (a rubric whose reference lists none), when the submission
    was recognised as a course version (`version`, grader/recognise.py) other than those whose
    starter printed them (``COURSE_VALUES_VERSIONS``: a CS224d set graded with the whole problem
    set's rubric), and when it has no code (`code` False: a folder of written answers only).
    """
    values: list[dict[str, str]] = []
    title, versions = "", []
    if not code:
        return ""
    if kit is not None:
        try:
            public = json.loads((kit / "public.json").read_text(encoding="utf-8"))
            values = list(public.get("course_values", []))
            title = str(public.get("course_values_title", ""))
            versions = [str(v) for v in public.get("course_values_versions", []) or []]
        except (OSError, ValueError, AttributeError, TypeError):
            values, title = [], ""
    elif reference is not None:
        values = _course_values(rubric, reference, {c.id for c in rubric.checks()})
        title = _course_values_title(rubric, reference)
        versions = _course_values_versions(rubric, reference)
    if version and versions and version not in versions:
        return ""  # another year's starter: it printed other values, or none
    status = {c.id: c.status for c in result.checks()}
    if not any(isinstance(v, dict) and v.get("check") in status for v in values):
        return ""  # a rubric without the course's checks (the four-question one)
    lines = [f"{title or DEFAULT_VALUES_TITLE}, beside the grader's verdicts:"]
    for v in values:
        if not isinstance(v, dict):
            continue
        check = str(v.get("check", ""))
        if not check:
            verdict = "not reproducible here (it depends on the starter's whole sequence of random calls)"
        elif check not in status:
            verdict = "not checked"
        elif status[check] == "pass":
            verdict = f"reproduced by your code ({check} passed)"
        else:
            verdict = f"not reproduced ({check}: {status[check]})"
        lines.append(f"  {v.get('text', '')}: {verdict}")
    return "\n".join(lines) + "\n\n"


def _worth(rubric: Rubric, checks: list[CheckSpec]) -> str:
    """What the public checks are worth: "48 points", or "48 points (and 3 of extra credit)" (never in the maximum)."""
    extra = {q.id for q in rubric.questions if q.extra}
    bonus = sum(c.points for c in checks if c.question in extra)
    worth = f"{sum(c.points for c in checks) - bonus:g} points"
    return f"{worth} (and {bonus:g} of extra credit)" if bonus else worth


def written_note(rubric: Rubric) -> str:
    """The kit README's section on the rubric's written questions, which no kit checks ("" when none)."""
    from .rubric import builtin_rubric_path

    part = rubric.written
    if part is None or not part.questions:
        return ""
    ids = ", ".join(f"`written/{q.id}`" for q in part.questions)
    builtin = rubric.path and Path(rubric.path).resolve().parent == builtin_rubric_path("written").resolve().parent
    which = f" --rubric {Path(rubric.path).stem}" if builtin else ""
    return ("\n## Written questions\n\n"
            f"This kit checks code only. The rubric's written questions ({ids}) are graded from your "
            "`written.md` or `written.tex` (a section headed by each id) when you hand in. With the grader "
            f"installed, `grader check{which} PATH` checks them with your code, and `grader check{which} "
            "--written ID ANSWER` one answer alone.\n")


def _readme(rubric: Rubric, checks: list[CheckSpec], public_cases: list[str], cases: Mapping[str, Case],
            stand_ins: tuple[StarterModule, ...], withheld: tuple[str, ...], properties: tuple[str, ...] = (),
            formulas: tuple[str, ...] = ()) -> str:
    """Return the kit's README.md for students."""
    rows = []
    for c in checks:
        said = rubric.functions[c.function].said if c.function in rubric.functions else str
        what = c.description or (f"`{said(c.output)}`" if c.output else
                                 "its verdict" if c.compare == "behaviour" else "the returned value")
        if c.compare == "close":
            how = f"rtol={c.tolerance.rtol:g}, atol={c.tolerance.atol:g}, shape {c.shape}"
            if c.conventions:
                how += "; accepted: " + " or ".join(c.convention_text.get(n, n) for n in c.conventions)
        elif c.compare == "behaviour":
            how = f"reports {'a pass' if c.expect == 'pass' else 'a failure'} ({', '.join(c.signals)})"
        else:
            how = "inputs unchanged"
        cells = [f"`{c.id}`", what, cases[c.case].spec.description or c.case, how, f"{c.points:g}"]
        rows.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    fns = []
    for role in rubric.functions:
        if role in public_roles(rubric):
            fn = rubric.functions[role]
            names = " or ".join(f"`{n}`" for n in fn.names)
            where = ", ".join(f"`{m}`" for m in fn.modules) or "any of your files"
            fns.append(f"- {names}, looked for in {where} first, then in your other files")
    if withheld:
        left_out = ("Not included, because they would answer a graded question: "
                    + ", ".join(f"`{m}`" for m in withheld)
                    + ". Keep your own versions of these files next to the others.")
    else:
        left_out = ""
    judged = []
    if properties:
        judged.append("the public checks " + ", ".join(f"`{c}`" for c in properties)
                      + " (each a property of your answer, tried by the grader's own code)")
    if formulas:
        judged.append("the likely mistakes " + ", ".join(f"`{m}`" for m in formulas)
                      + " (each recognised by computing that mistake: your checks fail the same, without the name)")
    not_here = ("\nNot in this kit, as they need the grader's reference code: " + "; and ".join(judged)
                + ". The grader judges and names them when your work is graded.\n") if judged else ""
    files = sorted({m.replace(".", "/") + ".py" for role in public_roles(rubric)
                    for m in rubric.functions[role].modules})
    kinds = {type(a).__name__ for cid in public_cases for a in cases[cid].args}
    given = ["numpy arrays (float64)"]
    if kinds & {"int", "float"}:
        given.append("plain numbers")
    if "Dataset" in kinds:
        given.append("a `dataset` stand-in (a `sampleTokenIdx()` that draws from a fixed seed)")
    return string.Template(_template("README.md.in")).substitute(
        written=written_note(rubric),
        files=", ".join(f"`{f}`" for f in files) or "your `.py` files",
        given=", ".join(given[:-1]) + (" and " if len(given) > 1 else "") + given[-1],
        title=rubric.title,
        name=rubric.name,
        version=rubric.version,
        grader_version=__version__,
        not_final=NOT_FINAL,
        n_checks=len(checks),
        points=_worth(rubric, checks),
        checks="\n".join(rows),
        functions="\n".join(fns),
        stand_ins=", ".join(f"`{s.module}`" for s in stand_ins) or "none",
        left_out=left_out,
        not_here=not_here,
        env=SUBMISSION_ENV,
    )


# --------------------------------------------------------------------------- reading a kit back


class _AnyName:
    """Stands for the reference's names when a kit is loaded: there is no reference to check them against."""

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self):
        return iter(())


def _kit_rubric(path: Path) -> Rubric:
    """Load a kit's rubric.toml: the rubric loader's checks, without a reference module."""
    from . import rubric as _rubric

    class _KitLoader(_rubric._Loader):
        def load(self) -> Rubric:
            raw = self.path.read_bytes()
            try:
                doc = tomllib.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise self.fail("", f"not valid TOML: {cut(str(e))}") from None
            if "reference" in doc:
                raise self.fail("reference", "a kit's rubric names no reference module")
            self.keys(doc, tuple(k for k in _rubric._TOP_KEYS if k != "reference"), "(top level)",
                      required=("name", "functions", "cases", "questions"))
            self.ref_names = _AnyName()
            name = self.string(doc, "name", "name")
            settings = self.settings(doc.get("settings", {}))
            functions = self.functions(self.table(doc["functions"], "functions"))
            cases = self.cases(self.table(doc["cases"], "cases"), functions)
            mistakes = self.mistakes(self.table(doc.get("mistakes", {}), "mistakes"))
            questions = self.questions(self.table(doc["questions"], "questions"), functions, cases, mistakes)
            if any(c.visibility != "public" for q in questions for c in q.checks):
                raise self.fail("questions", "a kit holds public checks only")
            consistency = self.consistency(doc.get("consistency"), functions, cases)
            starter, starter_bytes = self.starter(doc, functions)
            sampling = self.sampling(doc.get("sampling"))
            cases = {cid: _rubric._replace_public(c, True) for cid, c in cases.items()}
            h = hashlib.sha256()
            for part in (raw, *starter_bytes):
                h.update(len(part).to_bytes(8, "big"))
                h.update(part)
            return Rubric(name=name, title=self.string(doc, "title", "title", name),
                          version=str(doc.get("version", "")), questions=questions, functions=functions,
                          cases=cases, starter=starter, settings=settings, mistakes=mistakes, reference_path="",
                          path=str(self.path.resolve()), digest=h.hexdigest(), consistency=consistency,
                          sampling=sampling)

    return _KitLoader(path, str(path)).load()


def load_kit(path: Path) -> tuple[Rubric, dict[str, Case]]:
    """Read a student kit back: its public rubric and its cases with their expected values.

    Parameters
    ----------
    path : pathlib.Path
        The kit's folder (written by :func:`write_kit`).

    Returns
    -------
    tuple
        ``(rubric, cases)``: the public rubric (``reference_path`` empty) and case id ->
        Case, whose ``expected`` values come from ``cases.npz``.

    Raises
    ------
    UsageError
        When `path` is not a kit, or the kit is damaged (a check without its case or
        expected value).
    RubricError
        When the kit's rubric.toml is not a valid rubric.
    """
    path = Path(path)
    doc_path = path / "public.json"
    if not path.is_dir() or not doc_path.is_file() or not (path / "rubric.toml").is_file():
        raise UsageError(f"--kit {str(path)!r} is not a student kit (no public.json and rubric.toml); "
                         "write one with 'grader kit --out DIR'")
    try:
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{doc_path}: not valid JSON ({cut(str(e))}); the kit is damaged") from None
    if not isinstance(doc, dict) or doc.get("format") != KIT_FORMAT:
        raise UsageError(f"{doc_path}: format {doc.get('format') if isinstance(doc, dict) else None!r} "
                         f"is not {KIT_FORMAT!r}; write the kit again with this grader")
    rubric = _kit_rubric(path / "rubric.toml")
    try:
        with np.load(path / "cases.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise UsageError(f"{path / 'cases.npz'}: can't be read ({cut(str(e))}); the kit is damaged") from None
    out: dict[str, Case] = {}
    for cid, spec in rubric.cases.items():
        d = doc.get("cases", {}).get(cid)
        where = f"{doc_path}: cases.{cid}"
        if not isinstance(d, dict):
            raise UsageError(f"{where}: missing; the kit is damaged")
        args = tuple(_decode_arg(a, arrays, where) for a in d.get("args", []))
        expected = {}
        for name, key in d.get("expected", {}).items():
            if key not in arrays:
                raise UsageError(f"{where}: cases.npz has no array {key!r}; the kit is damaged")
            a = np.array(arrays[key], dtype=np.float64, copy=True)
            a.setflags(write=False)
            expected[name] = a
        out[cid] = Case(spec=spec, args=args, expected=expected)
    for c in rubric.checks():
        ahead = any(k.startswith(f"{c.expected}@") for k in out[c.case].expected)  # negative sampling's
        if c.compare == "close" and c.expected not in out[c.case].expected and not ahead:
            raise UsageError(f"{doc_path}: no expected value {c.expected!r} for check {c.id}; the kit is damaged")
    from dataclasses import replace

    # which course versions read the kit in other words (kit_words: the texts, carried by the kit)
    wording = {v: n for v, n in kit_wording(path).items() if isinstance((doc.get("wording") or {}).get("words", {}).get(n), dict)}
    return replace(rubric, wording=wording), out


__all__ = ["KIT_FORMAT", "Kit", "write_kit", "load_kit", "public_toml", "toml_dumps", "NOT_FINAL"]
