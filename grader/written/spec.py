"""Load and validate a rubric's ``[written]`` part into a WrittenPart (called by rubric.py).

Layout (see ``rubrics/written.toml``)::

    [written]
    reference = "../reference/written.py"   # relative to the file that sets it
    generator = "instance"                  # gen(rng, **params) -> {name: value}
    params = {vocab = 5, dim = 3}
    seed = 2015                             # instance n is drawn from seed + n
    instances = 3
    rtol = 1e-6
    atol = 1e-9

    [written.notations.<name>]              # symbols students may use, shared by questions
    W = {role = "matrix", value = "W", text = "..."}

    [written.questions.<id>]                # result id "written/<id>"
    title, prompt, notation, symbols (more symbols, or overrides), expected, labels,
    compact, points, indices ({k = "samples"}), mistakes, functions, bare ({sigma = "x"})

    [written.mistakes.<id>]
    message = "..."
    detector = "sign-flipped" | "transposed" | "swap" | "missing-transpose" | "sum-range"   (or formula = ...)
    swap = ["y", "yhat"]

Every problem raises RubricError naming the place (``written.questions.grad_pred``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ..model import Tolerance, WrittenPart, WrittenQuestion, WrittenSymbol
from ..pyast import parse as parse_python
from ..rubric import MOST

ROLES = ("vector", "matrix", "scalar", "onehot", "family", "onehots", "index", "each", "size", "quantity", "term")
DOMAINS = ("vocab", "samples", "context", "others")
DETECTORS = ("sign-flipped", "transposed", "swap", "missing-transpose", "sum-range")
_PART_KEYS = ("reference", "generator", "params", "seed", "instances", "rtol", "atol", "notations", "questions",
              "mistakes")
_QUESTION_KEYS = ("title", "prompt", "notation", "symbols", "expected", "labels", "compact", "points", "indices",
                  "mistakes", "functions", "bare")
#: Functions of the notation (parse.py's names for them).
FUNCTIONS = ("exp", "log", "sigma", "softmax", "outer", "dot", "sum")
_SYMBOL_KEYS = ("role", "value", "axis", "domain", "text")
_MISTAKE_KEYS = ("message", "detector", "formula", "swap")
#: Most instances an answer is evaluated on.
MAX_INSTANCES = 10


def _names(source: str) -> set[str]:
    return {n.name for n in parse_python(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def load_part(loader: Any, t: Any, ref_dir: Path) -> tuple[WrittenPart, bytes]:
    """Return the WrittenPart of a ``[written]`` table and the bytes of its reference module.

    `loader` is rubric.py's loader (its typed getters raise RubricError with the file's name).
    """
    from .parse import WrittenError, parse_expression

    where = "written"
    t = loader.table(t, where)
    loader.keys(t, _PART_KEYS, where, required=("reference", "questions"))
    rel = loader.string(t, "reference", where)
    path = (ref_dir / rel).resolve()
    if not path.is_file():
        raise loader.fail(f"{where}.reference", f"file not found: {rel!r}")
    data = path.read_bytes()
    try:
        names = _names(data.decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError) as e:
        raise loader.fail(f"{where}.reference", f"{rel!r} is not valid Python ({e})") from None

    def need(name: str, at: str, what: str) -> None:
        if name not in names:
            from difflib import get_close_matches

            near = get_close_matches(name, sorted(names), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise loader.fail(at, f"the written reference module defines no {what} {name!r}{hint}")

    generator = loader.string(t, "generator", where, "instance")
    need(generator, where, "generator")
    params = loader.table(t.get("params", {}), f"{where}.params")
    seed = loader.integer(t, "seed", where, 0)
    instances = loader.integer(t, "instances", where, 3)
    if not 1 <= instances <= MAX_INSTANCES:
        raise loader.fail(where, f"instances must be between 1 and {MAX_INSTANCES} (got {instances})")
    tol = Tolerance(rtol=loader.number(t, "rtol", where, 1e-6), atol=loader.number(t, "atol", where, 1e-9))

    notations: dict[str, dict[str, WrittenSymbol]] = {}
    for name, table in loader.table(t.get("notations", {}), f"{where}.notations").items():
        notations[name] = _symbols(loader, loader.table(table, f"{where}.notations.{name}"),
                                   f"{where}.notations.{name}", need)

    mistakes: dict[str, dict[str, Any]] = {}
    for mid, m in loader.table(t.get("mistakes", {}), f"{where}.mistakes").items():
        at = f"{where}.mistakes.{mid}"
        m = loader.table(m, at)
        loader.keys(m, _MISTAKE_KEYS, at, required=("message",))
        entry: dict[str, Any] = {"message": loader.string(m, "message", at)}
        if ("detector" in m) == ("formula" in m):
            raise loader.fail(at, "needs exactly one of 'detector' and 'formula'")
        if "detector" in m:
            entry["detector"] = loader.choice(m, "detector", at, "", DETECTORS)
            if entry["detector"] == "swap":
                pair = loader.strings(m, "swap", at)
                if len(pair) != 2:
                    raise loader.fail(at, "swap must name two symbols")
                entry["swap"] = pair
        else:
            f = m["formula"]
            if isinstance(f, str):
                need(f, at, "formula")
                entry["formula"] = f
            elif isinstance(f, dict):
                for fn in f.values():
                    if not isinstance(fn, str):
                        raise loader.fail(at, "formula must map expected functions to formula names")
                    need(fn, at, "formula")
                entry["formula"] = dict(f)
            else:
                raise loader.fail(at, "formula must be a function name or a table {expected function = formula}")
        mistakes[mid] = entry

    questions = []
    qtable = loader.table(t["questions"], f"{where}.questions")
    for qid, q in qtable.items():
        at = f"{where}.questions.{qid}"
        loader.ident(qid, at, "question")
        q = loader.table(q, at)
        loader.keys(q, _QUESTION_KEYS, at, required=("title", "expected"))
        symbols: dict[str, WrittenSymbol] = {}
        if "notation" in q:
            nname = loader.string(q, "notation", at)
            if nname not in notations:
                raise loader.fail(at, f"unknown notation {nname!r} (defined: {', '.join(map(repr, notations))})")
            symbols.update(notations[nname])
        symbols.update(_symbols(loader, loader.table(q.get("symbols", {}), f"{at}.symbols"), f"{at}.symbols", need))
        if not symbols:
            raise loader.fail(at, "the question declares no symbols (set notation or symbols)")
        if sum(1 for s in symbols.values() if s.role == "each") > 1:
            raise loader.fail(at, "at most one symbol may have the role 'each'")
        expected = loader.string(q, "expected", at)
        need(expected, at, "function")
        labels = loader.strings(q, "labels", at)
        compact = loader.string(q, "compact", at, "")
        for text in labels + ((compact,) if compact else ()):
            try:
                parse_expression(text)
            except WrittenError as e:
                raise loader.fail(at, f"'{text}' can't be read: {e.message}") from None
        indices = loader.table(q.get("indices", {}), f"{at}.indices")
        for var, dom in indices.items():
            if dom not in DOMAINS:
                raise loader.fail(f"{at}.indices", f"{var} must be one of {', '.join(map(repr, DOMAINS))}, not {dom!r}")
        ids = loader.strings(q, "mistakes", at)
        for m in ids:
            if m not in mistakes:
                raise loader.fail(at, f"unknown mistake {m!r} (defined in [written.mistakes]: "
                                      f"{', '.join(map(repr, mistakes))})")
        functions = loader.strings(q, "functions", at)
        for fn in functions:
            if fn not in FUNCTIONS:
                raise loader.fail(at, f"unknown function {fn!r} (known: {', '.join(map(repr, FUNCTIONS))})")
        bare = loader.table(q.get("bare", {}), f"{at}.bare")
        for fn, arg in bare.items():
            if fn != "sigma":  # (the notation knows σ alone: grammar.lark's BARESIGMA)
                raise loader.fail(f"{at}.bare", f"only sigma may be written without its argument, not {fn!r}")
            if not isinstance(arg, str):
                raise loader.fail(f"{at}.bare", f"{fn} must be the expression it stands for (a string)")
            try:
                parse_expression(arg)
            except WrittenError as e:
                raise loader.fail(f"{at}.bare", f"'{arg}' can't be read: {e.message}") from None
        questions.append(WrittenQuestion(
            id=qid, title=loader.string(q, "title", at), expected=expected, symbols=symbols, labels=labels,
            compact=compact, points=loader.number(q, "points", at, 1.0, most=MOST["points"]), indices=dict(indices), mistakes=ids,
            prompt=loader.string(q, "prompt", at, ""), functions=functions, bare=dict(bare)))
    if not questions:
        raise loader.fail(where, "the written part has no questions")
    part = WrittenPart(questions=tuple(questions), reference_path=str(path), generator=generator, params=dict(params),
                       seed=seed, instances=instances, tolerance=tol, mistakes=mistakes, notations=notations,
                       reference_source=data.decode("utf-8"))
    return part, data


def _symbols(loader: Any, t: dict, where: str, need) -> dict[str, WrittenSymbol]:
    out = {}
    for name, s in t.items():
        at = f"{where}.{name}"
        s = loader.table(s, at)
        loader.keys(s, _SYMBOL_KEYS, at, required=("role",))
        role = loader.choice(s, "role", at, "", ROLES)
        value = loader.string(s, "value", at, name if role != "each" else "")
        if role in ("quantity", "term"):
            need(value, at, "function")
        if role == "term":
            name = _term_name(loader, name, at)
        out[name] = WrittenSymbol(name=name, role=role, value=value,
                                  axis=loader.choice(s, "axis", at, "row", ("row", "column")),
                                  domain=loader.choice(s, "domain", at, "vocab", ("vocab", "others")),
                                  text=loader.string(s, "text", at, ""))
    return out


def _term_name(loader: Any, name: str, at: str) -> str:
    r"""Return how a "term" symbol is keyed: its derivative as read (``\frac{\partial J}{\partial v_c}`` is
    "∂J/∂v_c"), which must be the derivative of a quantity named by a letter."""
    from .parse import WrittenError, parse_expression
    from .show import plain
    from .tree import Derivative, Sym

    try:
        d = parse_expression(name)
    except WrittenError as e:
        raise loader.fail(at, f"'{name}' can't be read: {e.message}") from None
    if not isinstance(d, Derivative) or d.prime or not isinstance(d.of, Sym):
        raise loader.fail(at, f"a term is named by a derivative of a quantity (\\frac{{\\partial J}}{{\\partial v_c}}), "
                              f"not '{name}'")
    return plain(d)
