"""Regrade after a rubric change: what each question's verdict depends on, as digests, and which questions changed.

A rubric is fixed mid-term (a tolerance too tight, a check's points, a case's seed).  Its
digest (``Rubric.digest``) then changes and every result is stale, but most verdicts
cannot have changed: a question's verdict depends only on its checks, their cases, the
calls made for them, the reference functions they use and the settings every question
shares.  :func:`digests` gives each question a digest of exactly that (the *shared*
digest apart), the gradebook keeps them per rubric digest, and :func:`plan` compares the
digests of the rubric a submission was graded with against this run's:

- the shared part changed (``[settings]``, the stand-ins, ``[sampling]``, the rubric's
  name, the reference module outside its top-level functions, classes, imports and
  constants), or the earlier digests are unknown: every question is graded again
  (``Plan.questions`` is None, ``Plan.reason`` says why);
- otherwise only the questions added and those whose digest changed are (a removed
  question goes, and changes the digests of those sharing its calls: their size bound is
  made for the outputs still read); none when nothing a verdict depends on changed (a comment, the
  title, the version).  A question added that reads another's verdict, or whose verdict
  another reads (a ``same_as`` twin, a cost function's role), changes that one's digest
  too (see below), so both are graded.

What a question's digest holds (:func:`digests`):

- the question (id, title, file, extra) and its checks, every field, in id order;
- each check's case (generator, params, seed, description, public), its function's spec,
  the ``[mistakes]`` entries it tries, and the calls made for it (timeout, size bound,
  stand-ins withheld, hidden, private), which other questions' checks on the same call
  can change;
- the reference functions it uses (expected values, conventions, property, generator,
  wrong formulas), each with every top-level name of the module it refers to, as parsed
  code (comments and layout do not count);
- the own digests of the questions its verdict reads: the questions of a ``same_as`` twin
  and those grading the role of a cost function passed to it (their verdicts are named in
  its message).

The self-consistency check is the unit ``"consistency"``: its table, function, cases and
calls (the plain calls it compares with and the numerical gradients).  What its
comparisons mean beside the checks of the same case (``grader.checks.read_consistency``:
"your cost is right, the gradient is not its derivative") is read again at every regrade
from the stored comparisons, without running them again.  Each written question is the
unit ``"written/<id>"`` (the written part's settings, its question, its mistakes, its
reference functions).

Pure: nothing here runs a student's code or the reference; the reference module's source
is read and parsed.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .model import Call, Case, CostFn, Rubric, SubmissionResult
from .pyast import parse as parse_python

#: The key of the shared digest among a rubric's digests (the gradebook's ``rubric_questions``).
SHARED = ""
#: The unit of the self-consistency check (``grader.score.CONSISTENCY_QUESTION``).
CONSISTENCY = "consistency"


@dataclass(frozen=True)
class Digests:
    """A rubric's digests: what every question shares, and what each question's verdict depends on."""

    shared: str
    questions: Mapping[str, str]  #: unit id ("softmax", "consistency", "written/grad_pred") -> digest

    def rows(self) -> dict[str, str]:
        """Return every digest by key, the shared one under :data:`SHARED` (as the gradebook stores them)."""
        return {SHARED: self.shared, **self.questions}


@dataclass(frozen=True)
class Plan:
    """What to grade again for one submission after a rubric change."""

    questions: frozenset[str] | None  #: the units to grade again; None: every question
    reason: str = ""  #: why every question (``questions`` None), or what changed

    @property
    def full(self) -> bool:
        """Whether every question is graded again."""
        return self.questions is None


def _canon(obj: Any) -> Any:
    """Return ``obj`` as plain JSON data with mappings' keys sorted by json.dumps (dataclasses by field)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _canon(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _canon(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canon(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [str(obj.dtype), list(obj.shape), hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest()]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return "nan"
    return obj


def _hash(*parts: Any) -> str:
    """Return the sha256 of ``parts`` as canonical JSON (key order never matters)."""
    text = json.dumps(_canon(parts), sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the reference module's functions


@dataclass(frozen=True)
class ModuleDigests:
    """Digests of a reference module: each top-level name with what it refers to, and the rest."""

    rest: str  #: the top-level statements that define no name (module-level code); "" when the module can't be read
    names: Mapping[str, str]  #: name -> digest of its definition and of every top-level name it refers to


def _defined(node: ast.stmt) -> tuple[str, ...]:
    """Return the top-level names a statement defines, or () for module-level code of another kind."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,)
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        return tuple(t.id for t in node.targets)  # type: ignore[attr-defined]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return (node.target.id,)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return tuple((a.asname or a.name).split(".")[0] for a in node.names)
    return ()


def module_digests(source: str) -> ModuleDigests:
    """Return the digests of a reference module's top-level names, each with the names it refers to.

    A name's digest covers its parsed definition (comments and layout do not count) and,
    transitively, those of the module's top-level names it uses: an expected-value function
    changes when a helper it calls, or a constant it reads, changes.  Statements that define
    no name (an ``if``, a call at module level) are the ``rest``: a change there may affect
    any function.  The module's docstring counts for nothing.

    Examples
    --------
    >>> src = "import numpy as np\\nK = 2\\ndef f(x):\\n    return g(x) * K\\ndef g(x):\\n    return x\\ndef h(x):\\n    return -x\\n"
    >>> a = module_digests(src)
    >>> b = module_digests(src.replace("return x", "return x + 1"))
    >>> [a.names[n] == b.names[n] for n in ("f", "g", "h")]
    [False, False, True]
    >>> module_digests(src.replace("K = 2", "K = 3")).names["h"] == a.names["h"], a.rest == b.rest
    (True, True)
    """
    try:
        tree = parse_python(source)  # (one thread at a time: a batch's loaders parse meanwhile)
    except (SyntaxError, ValueError):
        return ModuleDigests(rest="", names={})
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    own: dict[str, list[str]] = {}
    uses: dict[str, set[str]] = {}
    rest: list[str] = []
    for node in body:
        names = _defined(node)
        dumped = ast.dump(node)
        if not names:
            rest.append(dumped)
            continue
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for name in names:
            own.setdefault(name, []).append(dumped)  # a name defined twice: both definitions count
            uses.setdefault(name, set()).update(used)
    digests = {}
    for name in own:
        seen: set[str] = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n in seen or n not in own:
                continue
            seen.add(n)
            todo.extend(uses[n])
        digests[name] = _hash([(n, own[n]) for n in sorted(seen)])
    return ModuleDigests(rest=_hash(rest), names=digests)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _strings(obj: Any) -> Iterable[str]:
    """Yield every string inside a (nested) rubric value: the names of reference functions it may give."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


# ---------------------------------------------------------------- a rubric's digests


def _call_meta(call: Call) -> dict[str, Any]:
    """What of a call its verdicts may depend on, its inputs apart (their case and generator are digested)."""
    return {"id": call.id, "function": call.function, "timeout": call.timeout, "echo_args": call.echo_args,
            "max_elems": call.max_elems, "withhold": list(call.withhold), "hidden": call.hidden,
            "private": call.private, "kind": call.kind, "numgrad": _canon(call.numgrad)}


def digests(rubric: Rubric, cases: Mapping[str, Case], calls: Sequence[Call]) -> Digests:
    """Return the digests of `rubric`: the shared one, and one per question (see the module's docstring).

    Parameters
    ----------
    rubric : Rubric
        The rubric a batch grades with.
    cases : mapping
        Its cases, built (``grader.pipeline.Job.cases``): a case's cost-function argument
        names the role whose questions its verdicts read.
    calls : sequence of Call
        The calls planned for it (``Job.calls``).

    Returns
    -------
    Digests
    """
    ref = module_digests(_read(rubric.reference_path)) if rubric.reference_path else ModuleDigests("", {})
    shared = _hash({
        "name": rubric.name,
        "settings": rubric.settings,
        "starter": rubric.starter,
        "sampling": rubric.sampling,
        "reference": ref.rest,
    })
    by_call = {c.id: c for c in calls}

    def ref_names(names: Iterable[str]) -> dict[str, str]:
        return {n: ref.names[n] for n in sorted(set(names)) if n in ref.names}

    def case_part(cid: str) -> dict[str, Any]:
        cs = rubric.cases.get(cid)
        if cs is None:
            return {"missing": cid}
        roles = sorted({a.role for a in cases[cid].args if isinstance(a, CostFn) and a.role}) if cid in cases else []
        return {"spec": cs, "generator": ref_names([cs.generator]),
                "functions": {r: rubric.functions.get(r) for r in [cs.function, *roles]}}

    own: dict[str, str] = {}
    needs: dict[str, set[str]] = {}
    graders_of: dict[str, set[str]] = {}  # role -> questions with checks on it
    for q in rubric.questions:
        for c in q.checks:
            graders_of.setdefault(c.function, set()).add(q.id)
    question_of = {c.id: q.id for q in rubric.questions for c in q.checks}
    for q in rubric.questions:
        checks = sorted(q.checks, key=lambda c: c.id)
        parts = []
        deps: set[str] = set()
        for c in checks:
            names = [c.expected, c.property, *(f for conv in c.conventions.values() for f in conv.values())]
            mistakes = {m: rubric.mistakes.get(m) for m in c.mistakes}
            names += list(_strings(mistakes))
            call = by_call.get(f"{c.function}:{c.case}")
            parts.append({"check": c, "case": case_part(c.case), "mistakes": mistakes, "reference": ref_names(names),
                          "call": _call_meta(call) if call is not None else None})
            if c.same_as and c.same_as in question_of:
                deps.add(question_of[c.same_as])
            for a in cases[c.case].args if c.case in cases else ():
                if isinstance(a, CostFn) and a.role:
                    deps |= graders_of.get(a.role, set())
        own[q.id] = _hash({"id": q.id, "title": q.title, "file": q.file, "extra": q.extra}, parts)
        needs[q.id] = deps - {q.id}
    out = {qid: _hash(own[qid], {d: own[d] for d in sorted(needs[qid])}) for qid in own}

    con = rubric.consistency
    if con:
        # The comparisons themselves; how they read beside the checks of the same case (their
        # verdicts) is read again from the stored comparisons at every regrade.
        role = con.get("function", "")
        numgrad = sorted((_call_meta(c) for c in calls if c.kind == "numgrad"), key=lambda m: m["id"])
        plain = [_call_meta(by_call[f"{role}:{cid}"]) for cid in con.get("cases", ()) if f"{role}:{cid}" in by_call]
        out[CONSISTENCY] = _hash({"table": con, "function": rubric.functions.get(role),
                                  "cases": {cid: case_part(cid) for cid in con.get("cases", ())},
                                  "calls": numgrad + plain})

    if rubric.written is not None:
        part = rubric.written
        wref = module_digests(part.reference_source or _read(part.reference_path))
        common = {f.name: getattr(part, f.name) for f in fields(part)
                  if f.name not in ("questions", "reference_source", "reference_path", "mistakes")}
        for wq in part.questions:
            mistakes = {m: part.mistakes.get(m) for m in wq.mistakes}
            names = [wq.expected, part.generator, *_strings(mistakes)]
            out[f"written/{wq.id}"] = _hash(common, wq, mistakes, wref.rest,
                                            {n: wref.names[n] for n in sorted(set(names)) if n in wref.names})
    return Digests(shared=shared, questions=out)


# ---------------------------------------------------------------- what to grade again


def plan(previous: Mapping[str, str] | None, current: Digests) -> Plan:
    """Return what to grade again, given the digests of the rubric a submission was graded with.

    Parameters
    ----------
    previous : mapping or None
        The earlier rubric's digests (:meth:`Digests.rows`, from the gradebook); None or
        empty when the gradebook does not have them.
    current : Digests
        This run's.

    Examples
    --------
    >>> now = Digests("s", {"a": "1", "b": "2"})
    >>> plan({"": "s", "a": "1", "b": "0"}, now)
    Plan(questions=frozenset({'b'}), reason='changed: b')
    >>> p = plan({"": "s", "a": "0"}, now)  # a set's order depends on the hash seed: sorted
    >>> sorted(p.questions), p.reason
    (['a', 'b'], 'added: b; changed: a')
    >>> plan({"": "x", "a": "1", "b": "2"}, now).full
    True
    """
    if not previous or SHARED not in previous:
        return Plan(None, "the digests of the rubric it was graded with are not in the gradebook")
    if previous[SHARED] != current.shared:
        return Plan(None, "what every question shares changed ([settings], the stand-ins, [sampling], the "
                          "rubric's name, or the reference module's code outside its functions)")
    added = sorted(set(current.questions) - set(previous))
    changed = sorted(q for q, d in current.questions.items() if q in previous and previous[q] != d)
    removed = sorted(set(previous) - set(current.questions) - {SHARED})
    said = []
    if added:
        said.append(f"added: {', '.join(added)}")
    if changed:
        said.append(f"changed: {', '.join(changed)}")
    if removed:
        said.append(f"removed: {', '.join(removed)}")
    return Plan(frozenset(added + changed), "; ".join(said) or "no question's checks changed")


def usable(previous: SubmissionResult, rubric: Rubric, questions: frozenset[str]) -> str:
    """Return why `previous` cannot supply the verdicts of the questions not graded again ("" when it can).

    Every check of every other question must be in it (same question, same check ids).
    """
    if previous.status != "graded":
        return "its previous result was not graded"
    if previous.public_only:
        return "its previous result holds the public checks only"
    have = {q.id: {c.id for c in q.checks} for q in previous.questions}
    for q in rubric.questions:
        if q.id not in questions and have.get(q.id) != {c.id for c in q.checks}:
            return f"its previous result lacks the checks of {q.id}"
    if rubric.written is not None:
        for wq in rubric.written.questions:
            if f"written/{wq.id}" not in questions and f"written/{wq.id}" not in have:
                return f"its previous result lacks written/{wq.id}"
    return ""


def calls_for(rubric: Rubric, calls: Sequence[Call], questions: frozenset[str]) -> tuple[Call, ...]:
    """Return the calls of `calls` that grading `questions` needs, in their planned order.

    The calls of their checks; for :data:`CONSISTENCY`, the consistency table's calls
    (plain and numerical-gradient ones).
    """
    wanted = {f"{c.function}:{c.case}" for q in rubric.questions if q.id in questions for c in q.checks}
    if CONSISTENCY in questions and rubric.consistency:
        role = rubric.consistency["function"]
        for cid in rubric.consistency.get("cases", ()):
            wanted |= {f"{role}:{cid}", f"numgrad:{role}:{cid}"}
    return tuple(c for c in calls if c.id in wanted)
