"""Judge a written answer: read it line by line, evaluate every step on random instances, name mistakes.

A step is compared with the quantity its chain is about when the chain names one on its
left (``CE = ...``, ``\\frac{\\partial CE}{\\partial \\hat{r}} = ...``), and otherwise with
the step before it.  The answer's last step must equal the question's reference quantity
on every instance.  The verdict is a :class:`~grader.model.CheckResult` with id
``written/<question>/answer`` and a :class:`~grader.model.WrittenFeedback` holding how
each line was read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any, Sequence

import numpy as np

from ..model import CheckResult, WrittenFeedback, WrittenLine, WrittenPart, WrittenQuestion
from .evaluate import Context, check_names, evaluate, sum_terms
from .parse import (FOR_EVERY, WrittenError, at, line_condition, line_conditions, parse, parse_expression,
                    prose_words, without_condition)
from .show import mathml, plain
from .tree import Apply, Bin, Chain, Derivative, Document, Node, Sub, Sum, Sym, children, rebuilt, size

#: The check of a written question, under its question ``written/<id>``.
CHECK = "answer"


def question_id(qid: str) -> str:
    """Return the result id of a written question: "written/grad_pred"."""
    return f"written/{qid}"


def draw(part: WrittenPart, reference: ModuleType) -> tuple[dict[str, Any], ...]:
    """Return the instances every answer is evaluated on (drawn from the part's seed; the same for everyone)."""
    gen = getattr(reference, part.generator)
    drawn = tuple(gen(np.random.default_rng(part.seed + n), **dict(part.params)) for n in range(part.instances))
    for inst in drawn:
        if not isinstance(inst, Mapping) or not all(isinstance(k, str) for k in inst):
            raise TypeError(f"it returned {type(inst).__name__}, not a dict of named values")
    return drawn


@dataclasses.dataclass
class _Points:
    """The points an answer is evaluated at: (instance number, instance, values of the "each" indices)."""

    items: list[tuple[int, Mapping[str, Any], dict[str, int]]]


def _call(fn: Any, inst: Mapping[str, Any], each: Mapping[str, int]) -> Any:
    """Call a reference function with the instance, and with those "each" indices it takes (CE takes none)."""
    import inspect

    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(inst, **each)
    return fn(inst, **{k: v for k, v in each.items() if k in params})


def _points(question: WrittenQuestion, instances: Sequence[Mapping[str, Any]]) -> _Points:
    each = [s for s in question.symbols.values() if s.role == "each"]
    items = []
    for n, inst in enumerate(instances):
        if not each:
            items.append((n, inst, {}))
            continue
        s = each[0]  # one "each" index per question
        target = int(inst["i"])
        for w in range(int(inst["V"])):
            if s.domain == "others" and w == target:
                continue
            items.append((n, inst, {s.name: w}))
    return _Points(items)


def _value(v: Any) -> Any:
    a = np.asarray(v, dtype=np.float64)
    return float(a) if a.ndim == 0 else a


def _same(got: Any, expected: Any, part: WrittenPart) -> bool:
    g, e = _value(got), _value(expected)
    if isinstance(g, float) or isinstance(e, float):
        if not (isinstance(g, float) and isinstance(e, float)):
            return False
    else:
        if g.shape != e.shape:
            if e.ndim == 1 and g.shape == (e.size, 1):
                g = g.reshape(-1)
            elif g.ndim == 1 and e.shape == (g.size, 1):
                e = e.reshape(-1)
            else:
                return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.isfinite(g)) and np.allclose(g, e, rtol=part.tolerance.rtol, atol=part.tolerance.atol))


def _fmt(v: Any, digits: int | None = None) -> str:
    """Return a value for a message: a number with 4 significant digits, an array's entries with 3 (or `digits`)."""
    v = _value(v)
    if isinstance(v, float):
        return f"{v:.{digits or 4}g}"
    d = digits or 3
    if v.ndim == 1 or min(v.shape) == 1:
        inner = ", ".join(f"{x:.{d}g}" for x in v.reshape(-1))
        return f"[{inner}]" + ("ᵀ" if v.ndim == 2 and v.shape[0] == 1 and v.shape[1] > 1 else "")
    return "[" + ", ".join("[" + ", ".join(f"{x:.{d}g}" for x in row) + "]" for row in v) + "]"


def _fmt_pair(a: Any, b: Any) -> tuple[str, str]:
    """Return two values that differ, for a message, with digits enough that their texts differ too.

    >>> _fmt_pair(0.0875187, 0.0875188)
    ('0.0875187', '0.0875188')
    >>> _fmt_pair(1.5, 2.5)
    ('1.5', '2.5')
    """
    sa, sb = _fmt(a), _fmt(b)
    digits = 4 if isinstance(_value(a), float) else 3
    while sa == sb and digits < 17:
        digits += 1
        sa, sb = _fmt(a, digits), _fmt(b, digits)
    return sa, sb


def describe(inst: Mapping[str, Any], each: Mapping[str, int], question: WrittenQuestion) -> str:
    """Return a short description of an instance: "|V| = 5, d = 3, i = 2"; "x = 1.184" for σ'(x)."""
    used = {s.value for s in question.symbols.values()} | set(question.indices.values())
    # The sizes, where a vector or a matrix of the question has them (σ'(x) has none).
    sized = any(s.role not in ("scalar", "quantity") for s in question.symbols.values()) or question.indices
    # word2vec's instances (see derivations.md) have these members; a TA's own written part
    # may have none of them, and is described by its sizes and scalars.
    parts = [f"|V| = {inst['V']}", f"d = {inst['d']}"] if sized and "V" in inst and "d" in inst else []
    if ({"i", "o", "y", "yhat"} & used or "i" in question.symbols or "o" in question.symbols) and "i" in inst:
        parts.append(f"{'o' if 'o' in question.symbols else 'i'} = {inst['i']}")
    if ("samples" in used or "k" in used) and "samples" in inst:
        parts.append(f"negative samples {list(inst['samples'])}")
    if "context" in used and "context" in inst:
        parts.append(f"context words {list(inst['context'])}")
    if "x" in used and _is_number(inst.get("x")):
        parts.append(f"x = {float(inst['x']):.4g}")
    if not parts:  # none of word2vec's: the instance's own sizes and numbers
        for k, v in inst.items():
            if _is_number(v) and not isinstance(v, bool):
                parts.append(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}")
            elif isinstance(v, np.ndarray) and v.ndim:
                parts.append(f"{k}: {'×'.join(str(n) for n in v.shape)}")
    parts += [f"{k} = {v}" for k, v in each.items()]
    return ", ".join(parts)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) or (isinstance(v, np.ndarray) and v.ndim == 0)


class _Question:
    """A question ready to judge answers: its labels parsed, its expected values computed."""

    def __init__(self, question: WrittenQuestion, part: WrittenPart, reference: ModuleType,
                 instances: Sequence[Mapping[str, Any]]) -> None:
        self.q = question
        self.part = part
        self.reference = reference
        self.points = _points(question, instances)
        fn = getattr(reference, question.expected)
        self.expected = [_value(_call(fn, inst, each)) for _, inst, each in self.points.items]
        self.labels = {plain(parse_expression(label)) for label in question.labels}
        self.label_text = plain(parse_expression(question.labels[0])) if question.labels else "the answer"
        self.compact = parse_expression(question.compact) if question.compact else None
        #: what a function written alone stands for (the rubric's ``bare``), parsed: {"sigma": x}
        self.bare = {fn: parse_expression(text) for fn, text in question.bare.items()}
        self.subjects = _subjects(question)
        self._quantities: dict[str, list[Any]] = {}
        self._terms: dict[tuple[str, int, int], Any] = {}
        self.budget = [0]  #: evaluation steps of the answer being judged (evaluate.MAX_EVALS in all)

    def quantity(self, name: str) -> list[Any]:
        if name not in self._quantities:
            fn = getattr(self.reference, name)
            self._quantities[name] = [_value(_call(fn, inst, each)) for _, inst, each in self.points.items]
        return self._quantities[name]

    def term(self, name: str, k: int, word: int) -> Any:
        """Return the reference function `name` of a "term" symbol at point `k`, for the word `word`."""
        key = (name, k, word)
        if key not in self._terms:
            self._terms[key] = _value(getattr(self.reference, name)(self.points.items[k][1], word))
        return self._terms[key]

    def context(self, k: int, swap: Mapping[str, str] | None = None) -> Context:
        """Return the evaluation context of point `k`."""
        _, inst, each = self.points.items[k]
        return Context(instance=inst, symbols=self.q.symbols, indices=self.q.indices, each=each,
                       quantity=lambda name: self.quantity(name)[k], term=lambda name, w: self.term(name, k, w),
                       swap=swap or {}, budget=self.budget)

    def values(self, expr: Node, swap: Mapping[str, str] | None = None) -> list[Any]:
        check_names(expr, self.q.symbols, self.q.functions, self.subjects)
        return [evaluate(expr, self.context(k, swap)) for k in range(len(self.points.items))]

    def differ(self, a: list[Any], b: list[Any]) -> int | None:
        """Return the first point where two value lists differ, or None."""
        for k, (x, y) in enumerate(zip(a, b)):
            if not _same(x, y, self.part):
                return k
        return None

    def where(self, k: int) -> str:
        n, inst, each = self.points.items[k]
        return f"instance {n + 1} ({describe(inst, each, self.q)})"

    def detail(self, k: int) -> str:
        """Return the values of point `k`'s instance, to reproduce a difference by hand: "instance 1: W = [[...]];
        r̂ = [...]" ("" when it has none beyond what :meth:`where` says: a number x)."""
        from .evaluate import shown_symbol

        n, inst, each = self.points.items[k]
        values = [f"{shown_symbol(s)} = {_fmt(inst[s.value])}" for s in self.q.symbols.values()
                  if s.role in ("matrix", "vector", "scalar") and s.value in inst
                  and not (s.value == "x" and _is_number(inst[s.value]))]  # a number x: in the description already
        # (its sizes and words are said where the verdict names the instance: its values only, here)
        return f"instance {n + 1}: " + "; ".join(values) if values else ""


def _role(question: WrittenQuestion, name: str) -> str:
    """Return the role of the question's symbol `name` ("index", "each", "vector"...), or "" when it has none."""
    return getattr(question.symbols.get(name), "role", "")


def _subjects(question: WrittenQuestion) -> tuple[str, ...]:
    """Return the indices of the word a question is about: those its labels name (o in ∂J/∂u_o, k and s
    in ∂J/∂u_k, ∂J/∂u_{w_s}) and its "each" indices (w ≠ o in ∂J/∂u_w)."""
    names = {s.name for s in question.symbols.values() if s.role == "each"}
    for label in question.labels:
        stack = [parse_expression(label)]
        while stack:
            n = stack.pop()
            if isinstance(n, Sym) and not n.hat and _role(question, n.name) in ("index", "each"):
                names.add(n.name)
            stack.extend(children(n))
    return tuple(s.name for s in question.symbols.values() if s.name in names)


#: A cases environment, or the array in braces that some write for it (\left\{ \begin{array}{ll} ... \end{array} \right.).
_CASES = re.compile(r"\\begin\s*\{\s*[dr]?cases\*?\s*\}(.{0,2000}?)\\end\s*\{\s*[dr]?cases\*?\s*\}"
                    r"|\\left\s*(?:\\\{|\\lbrace(?![A-Za-z]))\s*\\begin\s*\{\s*array\s*\}\s*\{[^{}\n]{0,20}\}(.{0,2000}?)"
                    r"\\end\s*\{\s*array\s*\}\s*\\right\s*\.", re.DOTALL)
_CASE_CONDITION = re.compile(r"^(?:\\(?:text|textrm|mathrm)\s*\{\s*(?:if|for|when)?\s*\}|if|for|when|\\forall|\\quad|\\qquad|[\s,(])*"
                             r"([A-Za-z])\s*(=|\\neq?(?![A-Za-z])|\u2260|!=)\s*([A-Za-z])[\s.,)]*$")
_OTHERWISE = re.compile(r"^(?:\\(?:text|textrm|mathrm)\s*\{\s*(?:otherwise|else|else where|elsewhere)\.?\s*\}|otherwise|else)"
                        r"[\s.,]*$")


#: One letter equated with another, alone (not a subscript, not in a group): "o = w", a condition.
_EQUATED = re.compile(r"(?<![A-Za-z0-9_{\\'\u2032])([A-Za-z])([ \t]*(?<![<>!=])=(?!=)[ \t]*)([A-Za-z])(?![A-Za-z0-9_{'\u2032])")


def _index_first(text: str, question: WrittenQuestion) -> str:
    """Return `text` with each condition that names a fixed index of the question first ("o = w") written with
    the other index first ("w = o"), as the parser reads a condition: the first index is put for the second's
    place, and "o = w" would have put w for o (leaving ŷ_w v_c, \\quad o = w true of every w ≠ o)."""
    def swap(m: re.Match) -> str:
        a, eq, b = m.groups()
        return f"{b}{eq}{a}" if _role(question, a) == "index" and _role(question, b) != "index" else m.group()

    return _EQUATED.sub(swap, text) if "=" in text else text


def _case_fits(lhs: str, equal: bool, rhs: str, question: WrittenQuestion,
               subjects: tuple[str, ...]) -> tuple[str, str] | None:
    """Return the case's condition as (the answer's index, the word it is compared with) when it is the case this
    question asks for, else None. "w = o" (or "o = w") fits a question about the word o, o being a fixed index of
    the question and w none; "w ≠ o" (or "o ≠ w") fits a question about every other word w, w being that
    question's "each" index and o one of its fixed indices ("w ≠ c", c no index, fits none)."""
    for a, b in ((lhs, rhs), (rhs, lhs)):
        if a == b:
            continue
        if equal and b in subjects and _role(question, b) == "index" and _role(question, a) not in ("index", "each"):
            return a, b
        if not equal and a in subjects and _role(question, a) == "each" and _role(question, b) == "index":
            return a, b
    return None


def _case_asked(text: str, question: WrittenQuestion, subjects: tuple[str, ...]) -> str:
    r"""Return `text` with a ``cases`` environment replaced by its case that this question asks for, with that
    case's condition after it (``\frac{\partial J}{\partial u_w} = \begin{cases} (\hat y_w - 1) v_c & w = o \\
    \hat y_w v_c & w \ne o \end{cases}`` answers ∂J/∂u_o with its first case and ∂J/∂u_w, w ≠ o, with its
    second). A case fits when its condition names the question's word (w = o for o; w ≠ o for an index w of
    the question); "otherwise" fits when no other case does. Lines are kept, so that positions stay true;
    when no case fits, the text is left as it is (and reported as not read)."""
    m = _CASES.search(text)
    if m is None:
        return text
    rows = []
    for row in re.split(r"\\\\", m.group(1) or m.group(2)):
        if not row.strip():
            continue
        expr, sep, cond = row.partition("&")
        if not sep and line_condition(row) is not None:  # "(\hat y_w - 1) v_c, \quad w = o": no column of its own
            lhs, equal, rhs = line_condition(row)
            expr, sep, cond = without_condition(row), "&", f"{lhs} {'=' if equal else '≠'} {rhs}"
        cond = cond.strip()
        found = _CASE_CONDITION.match(cond)
        if found is not None:
            lhs, op, rhs = found.groups()
            fits = _case_fits(lhs, op == "=", rhs, question, subjects)
            if fits is not None:  # written as the index of the answer first: "w = o" (o put for w), "w \ne o"
                lhs, rhs = fits
            relation = "=" if op == "=" else "\\ne"
            rows.append((expr, f", \\quad {lhs} {relation} {rhs}", fits is not None))
        elif _OTHERWISE.match(cond) or not sep:
            rows.append((expr, "", None))
        else:
            return text  # a condition not understood: no case is picked
    chosen = [r for r in rows if r[2]] or [r for r in rows if r[2] is None and not any(x[2] for x in rows)]
    if len(chosen) != 1:
        return text
    expr, cond, _ = chosen[0]
    picked = " ".join(expr.split()) + cond
    return text[:m.start()] + picked + "\n" * m.group().count("\n") + text[m.end():]


#: What may follow an answer's last line: nothing, the end of its environment or of the math.
_CLOSING = re.compile(r"^\s*(?:\\end\s*\{[^{}]*\}|\\\]|\$\$?|```)?\s*$")


def _last_conditions(lines: list[str]):
    """Yield (line index, condition) for the lines at the end of an answer that each state a condition, the last
    line first; blank lines and the end of an environment between them are passed over."""
    for n in range(len(lines) - 1, -1, -1):
        if _CLOSING.match(lines[n]):
            continue
        cond = line_condition(lines[n])
        if cond is None:
            return
        yield n, cond


def _line_case_asked(text: str, question: WrittenQuestion, subjects: tuple[str, ...]) -> str:
    r"""Return `text` with the answer's cases written one a line (``... = (\hat y_w - 1) v_c, \quad w = o``, then
    ``... = \hat y_w v_c, \quad w \ne o``) reduced to the line of the case this question asks for, the lines of
    the other cases left blank (so that positions stay true).  Only at the end of the answer: two or more lines
    in a row (blank lines and the end of an environment between them aside), each stating a condition, exactly
    one fitting the question, and not the last (the last line is the answer already).  Else `text` as it is."""
    lines = text.split("\n")
    cased = [(n, _case_fits(*cond, question, subjects) is not None)  # (line, fits this question), last first
             for n, cond in _last_conditions(lines)]
    fitting = [n for n, fits in cased if fits]
    if len(cased) < 2 or len(fitting) != 1 or fitting[0] == cased[0][0]:
        return text
    for n, _ in cased:
        if n != fitting[0]:
            lines[n] = ""
    return "\n".join(lines)


def _shown_condition(lhs: str, equal: bool, rhs: str) -> str:
    return f"{lhs} {'=' if equal else '≠'} {rhs}"


def _same_condition(a: tuple[str, bool, str], b: tuple[str, bool, str]) -> bool:
    """Whether two conditions say the same ("w = o" and "o = w" do)."""
    return a[1] == b[1] and {a[0], a[2]} == {b[0], b[2]}


def _cases_problem(text: str, question: WrittenQuestion, subjects: tuple[str, ...]) -> str | None:
    """Return what is wrong with the answer's cases, in a ``cases`` environment or one a line at the answer's end,
    or None: two cases stated for one condition (they contradict each other), or, for a question about a word,
    no case of that word's when one of them names another word (``w \\ne c`` where w ≠ o is asked for)."""
    stated: list[tuple[tuple[str, bool, str], str]] = []  # (condition, where)
    otherwise = False
    m = _CASES.search(text)
    if m is not None:
        first_line = text.count("\n", 0, m.start()) + 1
        for row in re.split(r"\\\\", m.group(1) or m.group(2)):
            expr, sep, cond = row.partition("&")
            if not sep and line_condition(row) is not None:  # the condition after a comma, no column of its own
                lhs, equal, rhs = line_condition(row)
                expr, sep, cond = without_condition(row), "&", f"{lhs} {'=' if equal else '≠'} {rhs}"
            found = _CASE_CONDITION.match(cond.strip())
            if found is not None:
                lhs, op, rhs = found.groups()
                stated.append(((lhs, op == "=", rhs), f"the cases environment at line {first_line}"))
            elif expr.strip() and (_OTHERWISE.match(cond.strip()) or not sep):
                otherwise = True
    else:
        stated = [(cond, f"line {n + 1}") for n, cond in reversed(list(_last_conditions(text.split("\n"))))]
        if len(stated) < 2:
            return None  # one line's condition: judged with the final step (see _condition_problem)
    for k, (cond, where) in enumerate(stated):
        for other, where2 in stated[k + 1:]:
            if _same_condition(cond, other):
                at_ = where if where == where2 else f"lines {where[5:]} and {where2[5:]}"
                return (f"two cases are stated for the same condition {_shown_condition(*cond)} ({at_}), "
                        "each with its own formula: they cannot both hold, and the other case is not given")
    if not subjects or otherwise or any(_case_fits(*cond, question, subjects) for cond, _ in stated):
        return None
    judged = [_judge_condition(cond, where, question, subjects) for cond, where in stated]
    return next((said for kind, said in filter(None, judged) if kind == "wrong-word"), None)


def _condition_problem(text: str, first: int, last: int, question: WrittenQuestion,
                       subjects: tuple[str, ...]) -> str | None:
    r"""Return what is wrong with the conditions the answer's final step (lines `first` to `last` of `text`, the
    case already chosen) is stated under, or None: two that contradict each other ("w = o" and "w \ne o"), or,
    for a question about a word (o in ∂J/∂u_o, every w ≠ o in ∂J/∂u_w), one that is not that word's case --
    the other case, or a case of another word ("w \ne c")."""
    lines = text.split("\n")
    for n in range(max(first, 1), min(last, len(lines)) + 1):
        conditions = line_conditions(lines[n - 1])
        for k, a in enumerate(conditions):
            for b in conditions[k + 1:]:
                if a[0::2] in (b[0::2], b[2::-2]) and a[1] != b[1]:
                    return (f"line {n} states contradictory conditions, {_shown_condition(*a)} and "
                            f"{_shown_condition(*b)}: no word is both")
        if not subjects:
            continue
        for cond in conditions:
            judged = _judge_condition(cond, f"line {n}", question, subjects)
            if judged is not None:
                return judged[1]
        every = FOR_EVERY.search(prose_words(lines[n - 1]))
        if every is not None and not conditions:
            letter = every.group("var")
            each = question.symbols.get(letter)
            if each is not None and each.role == "each" and each.domain == "others":
                expected, word = _case_expected(question, subjects, letter, letter)
                return (f"line {n} states the answer for every {letter}, {word} included: this question asks for the case "
                        f"{expected} (for {letter} = {word} the gradient is another formula)")
    return None



def _judge_condition(cond: tuple[str, bool, str], where: str, question: WrittenQuestion,
                     subjects: tuple[str, ...]) -> tuple[str, str] | None:
    """Return ("other", why) when a condition states the other case of the question's word, ("wrong-word", why) when
    it names another word, None when it is the question's case (or a fact about two fixed words, k ≠ o)."""
    lhs, equal, rhs = cond
    if len(lhs) != 1 or len(rhs) != 1 or _case_fits(lhs, equal, rhs, question, subjects) is not None:
        return None
    if _role(question, lhs) == "index" and _role(question, rhs) == "index":
        return None  # a fact about two fixed words of the question (k ≠ o)
    shown = _shown_condition(lhs, equal, rhs)
    expected, word = _case_expected(question, subjects, lhs, rhs)
    if word in (lhs, rhs):
        return "other", f"the condition {shown} ({where}) is the other case: this question asks for the case {expected}"
    bad = next((x for x in (rhs, lhs) if _role(question, x) not in ("index", "each")), rhs)
    return "wrong-word", (f"the condition {shown} ({where}) names the wrong word: {bad} where the case asks for "
                          f"{word} (this question asks for the case {expected})")


def _case_expected(question: WrittenQuestion, subjects: tuple[str, ...], lhs: str, rhs: str) -> tuple[str, str]:
    """Return the case the question asks for ("w ≠ o", "w = o") and the fixed word it names (o)."""
    fixed = [s.name for s in question.symbols.values() if s.role == "index"]
    for name in subjects:
        if _role(question, name) == "each":
            other = "o" if "o" in question.symbols else (fixed[0] if fixed else "o")
            return f"{name} ≠ {other}", other
    word = next((x for x in subjects if _role(question, x) == "index"), subjects[0])
    free = next((x for x in (lhs, rhs) if _role(question, x) not in ("index", "each")), "w")
    return f"{free} = {word}", word


def prepare(question: WrittenQuestion, part: WrittenPart, reference: ModuleType,
            instances: Sequence[Mapping[str, Any]]) -> _Question:
    """Return the question ready to judge answers: its labels parsed and expected values computed."""
    return _Question(question, part, reference, instances)


def _line(step_line: int, source: str, expr: Node | None, status: str, message: str = "") -> WrittenLine:
    return WrittenLine(line=step_line, source=source, read=plain(expr) if expr is not None else "",
                       mathml=mathml(expr) if expr is not None else "", status=status, message=message)


def missing(question: WrittenQuestion, message: str) -> CheckResult:
    """Return the result of a written question without an answer."""
    return CheckResult(id=f"{question_id(question.id)}/{CHECK}", question=question_id(question.id), status="fail",
                       score=0.0, max_score=question.points, message=message)


def judge(question: WrittenQuestion, text: str, part: WrittenPart, reference: ModuleType,
          instances: Sequence[Mapping[str, Any]], *, where: str = "") -> CheckResult:
    """Judge one answer to a written question.

    Parameters
    ----------
    question : WrittenQuestion
    text : str
        The answer as written (LaTeX or plain text; one expression or a derivation).
    part : WrittenPart
        The rubric's written part (tolerance, mistakes).
    reference : module
        The written reference module (expected values, wrong formulas).
    instances : sequence of mappings
        From :func:`draw`.
    where : str
        Where the answer was found ("written.md", "hw.ipynb, cell #4"), for the message.

    Returns
    -------
    CheckResult
        ``pass`` with full points when the last step equals the quantity on every instance,
        ``fail`` otherwise; never raises for anything in `text`.
    """
    qid = question_id(question.id)
    base = dict(id=f"{qid}/{CHECK}", question=qid, max_score=question.points)
    prep = prepare(question, part, reference, instances)
    contradiction = _cases_problem(text, question, prep.subjects)
    text = _index_first(_line_case_asked(_case_asked(text, question, prep.subjects), question, prep.subjects),
                        question)
    lines = text.split("\n")
    try:
        doc, unread = _read(text)
        doc = _bare_read(doc, prep.bare)
    except WrittenError as e:
        src = lines[e.line - 1].strip() if 0 < e.line <= len(lines) else text.strip()[:200]
        fb = WrittenFeedback(lines=(WrittenLine(line=max(e.line, 1), source=src, read="", mathml="", status="error",
                                                message=e.message),))
        return CheckResult(**base, status="fail", score=0.0, message=f"Could not read your answer: {e.message}.",
                           written=fb)
    out: list[WrittenLine] = []
    first_wrong: int | None = None
    wrong_where = ""
    final: tuple[Node, list[Any] | None, WrittenError | None] | None = None
    chains = list(doc.chains)
    after: list[Chain] = []  # "where ŷ = softmax(Uᵀv_c)" after the answer: prose, not its last step
    while len(chains) > 1 and _defines_a_symbol(chains[-1], question, prep):
        after.insert(0, chains.pop())
    for chain in chains:
        steps = list(chain.steps)
        if len(steps) > 1 and plain(steps[-1].expr) in prep.labels and not isinstance(steps[0].expr, Derivative) \
                and plain(steps[0].expr) not in prep.labels:
            steps.reverse()  # "U(ŷ - y) = ∂J/∂v_c": the quantity named last, read as named first
        head = steps[0].expr
        target: list[Any] | None = None
        target_name = ""
        if len(steps) > 1 and (plain(head) in prep.labels or isinstance(head, Derivative)):
            if plain(head) in prep.labels:
                target, target_name = prep.expected, plain(head)
                out.append(_line(steps[0].line, steps[0].text, head, "label"))
            else:
                out.append(_line(steps[0].line, steps[0].text, head, "label",
                                 f"this question asks for {prep.label_text}; the steps after "
                                 f"{plain(head)} are compared with one another"))
            steps = steps[1:]
        elif len(steps) > 1 and isinstance(head, Sym) and head.key in question.symbols \
                and question.symbols[head.key].role == "quantity":
            target, target_name = prep.quantity(question.symbols[head.key].value), plain(head)
            out.append(_line(steps[0].line, steps[0].text, head, "label"))
            steps = steps[1:]
        if target is None and chain is doc.chains[-1] and len(steps) > 1:
            # An unnamed chain that ends on the answer is about the answer: each step is compared with it.
            try:
                last = prep.values(steps[-1].expr)
            except WrittenError:
                last = None
            if last is not None and prep.differ(last, prep.expected) is None:
                target, target_name = prep.expected, prep.label_text
        prev: list[Any] | None = None
        prev_ok = True
        for step in steps:
            skipped = _unread_in(step.expr)
            if skipped:  # a line that could not be parsed: as one with an unknown symbol, not read
                why = "; ".join(unread[n] for n in skipped)
                e = WrittenError(f"line {skipped[0]} could not be read: {why}", skipped[0])
                first_line = min(step.line, skipped[0])  # a wrapped step starts on the line before
                src = " ".join(lines[n - 1].strip() for n in range(first_line, skipped[-1] + 1))
                out.append(WrittenLine(line=first_line, source=src, read="", mathml="", status="error",
                                       message=f"could not be read: {why}"))
                final = (step.expr, None, e)
                prev, prev_ok = None, False
                continue
            try:
                vals = prep.values(step.expr)
            except WrittenError as e:
                out.append(_line(step.line, step.text, step.expr, "error", e.message))
                final = (step.expr, None, e)
                prev, prev_ok = None, False
                continue
            final = (step.expr, vals, None)
            if target is not None:
                k = prep.differ(vals, target)
                if k is None:
                    msg = f"equals {target_name}"
                    if prev is not None and not prev_ok:
                        msg += " (the line before it does not)"
                    out.append(_line(step.line, step.text, step.expr, "right", msg))
                    prev, prev_ok = vals, True
                    continue
                back = prev if prev is not None else None
                kb = prep.differ(vals, back) if back is not None else None
                if back is not None and kb is not None and prev_ok:
                    at_k = kb
                    before, now = _fmt_pair(back[kb], vals[kb])
                    msg = (f"does not equal the line before it: on {prep.where(kb)}, the line before gives "
                           f"{before}, this line gives {now}")
                else:
                    at_k = k
                    then, now = _fmt_pair(target[k], vals[k])
                    msg = (f"does not equal {target_name}: on {prep.where(k)}, {target_name} is "
                           f"{then}, this line gives {now}")
                out.append(_line(step.line, step.text, step.expr, "wrong", msg))
                if first_wrong is None:
                    first_wrong, wrong_where = step.line, prep.detail(at_k)
                prev, prev_ok = vals, False
                continue
            if prev is None:
                out.append(_line(step.line, step.text, step.expr, "start"))
                prev, prev_ok = vals, True
                continue
            kb = prep.differ(vals, prev)
            if kb is None:
                out.append(_line(step.line, step.text, step.expr, "right", "equals the line before it"))
            else:
                before, now = _fmt_pair(prev[kb], vals[kb])
                out.append(_line(step.line, step.text, step.expr, "wrong",
                                 f"does not equal the line before it: on {prep.where(kb)}, the line before gives "
                                 f"{before}, this line gives {now}"))
                if first_wrong is None:
                    first_wrong, wrong_where = step.line, prep.detail(kb)
                prev_ok = False
            prev = vals
    defined = [_line(chain.steps[0].line, " = ".join(st.text for st in chain.steps), chain.steps[0].expr, "label",
                     f"defines {plain(chain.steps[0].expr)} after the answer: not judged, and not the answer")
               for chain in after]
    # (the verdict marks the answer's own last line, not a definition after it)
    verdict = _verdict(prep, base, out, first_wrong, wrong_where, final, where)
    if defined and verdict.written is not None:
        verdict = dataclasses.replace(verdict, written=dataclasses.replace(
            verdict.written, lines=verdict.written.lines + tuple(defined)))
    if final is not None:
        last_line = after[0].steps[0].line - 1 if after else len(lines)
        problem = contradiction or _condition_problem(text, final[0].line, last_line, question, prep.subjects)
        if problem is not None:
            return _wrong_condition(verdict, problem, prep, where)
    return verdict


def _wrong_condition(verdict: CheckResult, problem: str, prep: "_Question", where: str) -> CheckResult:
    """Return the verdict of an answer whose conditions are wrong (see :func:`_condition_problem`): no points, the
    problem said first; the formula's own verdict after it when it is right or wrong on the numbers (when it
    could not be evaluated, the condition is why: a word it names is no word of the question)."""
    src = f" ({where})" if where else ""
    message = f"Wrong{src}: {problem}."
    if verdict.status == "pass":
        message += f" The formula alone equals {prep.label_text}."
    elif verdict.message.startswith("Wrong"):
        message += " The formula is wrong too" + verdict.message[len(f"Wrong{src}"):]
    return dataclasses.replace(verdict, status="fail", score=0.0, message=message)


def _defines_a_symbol(chain: Chain, question: WrittenQuestion, prep: "_Question") -> bool:
    """Whether `chain` defines one of the question's given symbols ("ŷ = softmax(Uᵀv_c)", "y_o = 1").

    Such a chain after the answer is where the student says what a symbol means; a name the
    question does not give ("grad = ...", "g = ...") or its own quantity is a step of the answer.
    """
    if len(chain.steps) < 2:
        return False
    head = chain.steps[0].expr
    base = head.base if isinstance(head, Sub) else head
    if not isinstance(base, Sym) or plain(head) in prep.labels:
        return False
    symbol = question.symbols.get(base.key)
    return symbol is not None and symbol.role != "quantity"


#: What stands for a line that could not be read, so that the lines around it are parsed as they were
#: written (a LaTeX command no student writes; the judge reports that line as not read).
_UNREAD = "\\graderunreadline"
#: Lines set aside at most: each is found by parsing the answer again (hundreds of lines of ")" took seconds
#: a question); an answer with more unreadable lines is not read, with its first error.
MAX_UNREAD = 10


def _placed(node: Node, line: int, column: int) -> Node:
    """Return `node` (read from the rubric) as if written at `line`, `column` of the answer, for messages."""
    return dataclasses.replace(rebuilt(node, lambda n: _placed(n, line, column)), line=line, column=column)


def _bare_read(doc: Document, meant: Mapping[str, Node]) -> Document:
    r"""Return `doc` with each function the question lets students write alone (`meant`, from its rubric's
    ``bare``, ``{sigma = "x"}``) given its argument: ``\sigma - \sigma^2`` is read σ(x) - σ(x)², and a σ applied to a
    group that holds a σ written alone is read as a product, ``\sigma(1 - \sigma)`` as σ(x)(1 - σ(x)), as a person
    reads it.  The reading is shown back to the student.  Without ``bare``, a σ alone is an error that says to
    write its argument (:func:`grader.written.evaluate.check_names`)."""
    if not meant:
        return doc

    def alone(n: Node) -> bool:
        return isinstance(n, Apply) and not n.args and n.fn in meant

    def holds_alone(n: Node) -> bool:
        return alone(n) or any(holds_alone(c) for c in children(n))

    def applied(fn: str, at: Node) -> Apply:
        """``fn`` applied to what it stands for, written where `at` is."""
        return Apply(at.line, at.column, fn, (_placed(meant[fn], at.line, at.column),), parens=True)

    def fix(n: Node) -> Node:
        if isinstance(n, Derivative) and n.prime and alone(n.of):  # σ' = ...: σ'(x)
            own = applied(n.of.fn, n)
            return Derivative(n.line, n.column, own, own.args[0], prime=True)
        if alone(n):
            return applied(n.fn, n)
        if isinstance(n, Apply) and n.fn in meant and len(n.args) == 1 and holds_alone(n.args[0]):
            return Bin(n.line, n.column, "juxt", applied(n.fn, n), fix(n.args[0]))
        return rebuilt(n, fix)

    return Document(chains=tuple(
        Chain(steps=tuple(dataclasses.replace(step, expr=fix(step.expr)) for step in chain.steps))
        for chain in doc.chains))


def _read(text: str) -> tuple[Document, dict[int, str]]:
    """Parse an answer; a line that cannot be parsed, other than the last, is set aside and the others read.

    Returns the document and, for each line set aside, the parser's message.  A line set aside
    is judged as one with an unknown symbol: reported as not read, the answer judged on the
    other lines.  When the last line cannot be read either, or more than :data:`MAX_UNREAD` lines cannot,
    the first error is raised.
    """
    lines = text.split("\n")
    last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
    unread: dict[int, str] = {}
    first: WrittenError | None = None
    while True:
        try:
            return parse("\n".join(lines)), unread
        except WrittenError as e:
            first = first or e
            if not 0 < e.line < last or e.line in unread or len(unread) >= min(last, MAX_UNREAD):
                raise first from None
            unread[e.line] = e.message
            lines[e.line - 1] = _set_aside(lines[e.line - 1])


def _set_aside(line: str) -> str:
    """Return what stands for an unreadable line: the placeholder, with the "=" or sign that opens the line and
    the "=" or "\\\\" that ends it, so that it keeps its place in its chain."""
    import re

    head = re.match(r"\s*&?\s*(=|[+\-\u2212])?", line)
    tail = re.search(r"(=|\\\\)\s*$", line)
    return (f"{head.group(1) or ''} {_UNREAD}" if head else _UNREAD) + (f" {tail.group(1)}" if tail else "")


def _unread_in(expr: Node) -> list[int]:
    """Return the lines set aside (unreadable) that a step holds."""
    out, stack = [], [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, Sym) and n.name == _UNREAD:
            out.append(n.line)
        stack.extend(children(n))
    return sorted(set(out))


def _verdict(prep: _Question, base: dict, out: list[WrittenLine], first_wrong: int | None, wrong_where: str,
             final, where: str) -> CheckResult:
    q = prep.q
    name = prep.label_text
    src = f" ({where})" if where else ""
    if final is None:  # pragma: no cover - a parsed document has at least one step
        return CheckResult(**base, status="fail", score=0.0, message=f"No step to judge{src}.")
    expr, vals, error = final
    # The last line's status is its verdict against the question's quantity.
    last = out[-1]
    compact = compact_ml = ""
    instance = wrong_where
    if error is not None:
        mistake = error.mistake
        hint = _hint(prep, mistake)
        fb = WrittenFeedback(lines=tuple(out), first_wrong=first_wrong, instance=instance)
        return CheckResult(**base, status="fail", score=0.0, mistake=mistake, hint=hint,
                           message=f"Your answer{src} could not be evaluated: {error.message}.", written=fb)
    k = prep.differ(vals, prep.expected)
    if k is None:
        if last.status in ("start", "wrong") and first_wrong == last.line:
            first_wrong = None
            instance = ""  # the line it was taken for is right after all
        if last.status != "right" or not last.message.startswith(f"equals {name}"):
            out[-1] = dataclasses.replace(last, status="right", message=f"equals {name}")
        if prep.compact is not None and size(expr) > size(prep.compact):
            compact, compact_ml = plain(prep.compact), mathml(prep.compact)
        n = len({p[0] for p in prep.points.items})
        each = [s for s in q.symbols.values() if s.role == "each"]
        every = f" for every {each[0].name}{' ≠ ' + ('o' if 'o' in q.symbols else 'i') if each[0].domain == 'others' else ''}" if each else ""
        message = f"Right{src}: your answer equals {name}{every} on {n} random instances."
        if first_wrong is not None:
            message += f" An earlier step is wrong (line {first_wrong})."
        # (the compact form is shown once, under the lines as read: WrittenFeedback.compact)
        fb = WrittenFeedback(lines=tuple(out), first_wrong=first_wrong, compact=compact, compact_mathml=compact_ml,
                             instance=instance)
        return CheckResult(**base, status="pass", score=q.points, message=message, written=fb)
    mistake = _detect(prep, expr, vals)
    got, exp = vals[k], prep.expected[k]
    shown_exp, shown_got = _fmt_pair(exp, got)
    shaped = _shape(got) == _shape(exp)
    detail = (f"on {prep.where(k)}, {name} is {shown_exp}, your answer gives {shown_got}" if shaped else
              f"your answer is {_kind(got)}, {name} is {_kind(exp)}{_shape_of(prep)}")
    ranges = ""
    if mistake is not None and prep.part.mistakes.get(mistake, {}).get("detector") == "sum-range":
        ranges = " " + " ".join(f"{s[0].upper()}{s[1:]}." for s in _left_out(prep, expr, k))
    if last.status != "wrong":
        out[-1] = dataclasses.replace(last, status="wrong", message=f"does not equal {name}: {detail}")
        if first_wrong is None:
            first_wrong = last.line
    elif shaped and last.message.endswith(f"the line before gives {shown_exp}, this line gives {shown_got}"):
        # the line before gives what the answer should, on the instance the verdict shows: its values, said once
        out[-1] = dataclasses.replace(last, message=f"does not equal the line before it, which gives {name} "
                                                    "(the values are above)")
    if shaped or first_wrong != last.line:  # (a shape differs on every instance: no values to redo by hand)
        instance = instance or prep.detail(k)
    fb = WrittenFeedback(lines=tuple(out), first_wrong=first_wrong, instance=instance)
    return CheckResult(**base, status="fail", score=0.0, mistake=mistake, hint=_hint(prep, mistake),
                       message=f"Wrong{src}: your answer does not equal {name}: {detail}.{ranges}", written=fb)


def _shape(v: Any) -> tuple[int, ...]:
    v = _value(v)
    if isinstance(v, float):
        return ()
    return (v.size,) if v.ndim == 2 and v.shape[1] == 1 else tuple(v.shape)


def _shape_of(prep: _Question) -> str:
    """Return " (the shape of r̂)" for a gradient whose label names what it is taken with respect to, else ""."""
    label = parse_expression(prep.q.labels[0]) if prep.q.labels else None
    if isinstance(label, Derivative) and not label.prime:
        return f" (the shape of {plain(label.wrt)})"
    return ""


def _kind(v: Any) -> str:
    s = _shape(v)
    if not s:
        return "a number"
    if len(s) == 1:
        return f"a {s[0]}×1 column vector"
    if s[0] == 1:
        return f"a 1×{s[1]} row vector"
    return f"a {s[0]}×{s[1]} matrix"


def _transposed(got: Any, expected: Any) -> Any:
    """Return the transpose of `got` in the shape of `expected` (a row vector for a vector too), or None."""
    g, e = _value(got), _value(expected)
    if isinstance(g, float) or isinstance(e, float) or g.ndim != 2:
        return None
    if e.ndim == 2 and g.shape == e.shape[::-1] and e.shape[0] != e.shape[1]:
        return g.T
    if e.ndim == 1 and g.shape == (1, e.size) and e.size > 1:
        return g.reshape(-1)
    return None


def _hint(prep: _Question, mistake: str | None) -> str | None:
    if mistake is None:
        return None
    entry = prep.part.mistakes.get(mistake)
    return str(entry["message"]) if entry else None


def _detect(prep: _Question, expr: Node, vals: list[Any]) -> str | None:
    """Return the id of the first of the question's named mistakes that explains a wrong final value."""
    exp = prep.expected
    for mid in prep.q.mistakes:
        entry = prep.part.mistakes.get(mid, {})
        detector = entry.get("detector")
        if detector == "sign-flipped":
            if prep.differ(vals, [-_value(e) for e in exp]) is None:
                return mid
        elif detector == "transposed":
            flipped = [_transposed(v, e) for v, e in zip(vals, exp)]
            if all(f is not None for f in flipped) and prep.differ(flipped, exp) is None:
                return mid
        elif detector == "swap":
            a, b = entry.get("swap", ("y", "yhat"))
            try:
                swapped = prep.values(expr, swap={a: b, b: a})
            except WrittenError:
                continue
            if prep.differ(swapped, exp) is None:
                return mid
        elif detector == "sum-range":
            if not _bounded_sums(expr):
                continue
            try:
                whole = prep.values(_whole_sums(expr))
            except WrittenError:
                continue
            if prep.differ(whole, exp) is None:
                return mid
        elif "formula" in entry:
            formula = entry["formula"]
            if isinstance(formula, Mapping):
                formula = formula.get(prep.q.expected)
            if formula is None:
                continue
            wrong = prep.quantity(formula)
            if prep.differ(vals, wrong) is None:
                return mid
    return None


def _bounded_sums(expr: Node) -> list[Sum]:
    """Return the sums of `expr` that have bounds (or leave a term out), in reading order."""
    out, stack = [], [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, Sum) and (n.lower is not None or n.upper is not None or n.excluded is not None):
            out.append(n)
        stack.extend(reversed(children(n)))
    return out


def _whole_sums(node: Node) -> Node:
    """Return `node` with every sum running over its index's whole domain (its bounds dropped)."""
    if isinstance(node, Sum):
        return dataclasses.replace(node, body=_whole_sums(node.body), lower=None, upper=None, within=None,
                                   excluded=None)
    changes = {}
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if isinstance(v, Node):
            changes[f.name] = _whole_sums(v)
        elif isinstance(v, tuple) and v and all(isinstance(a, Node) for a in v):
            changes[f.name] = tuple(_whole_sums(a) for a in v)
    return dataclasses.replace(node, **changes) if changes else node


def _left_out(prep: _Question, expr: Node, k: int) -> list[str]:
    """Return, for each sum of `expr` whose bounds leave terms of its domain out on point `k`,
    "the sum over j at line 1, column 8 leaves out j = 1"."""
    out = []
    ctx = prep.context(k)
    for n in _bounded_sums(expr):
        try:
            _, left = sum_terms(n, ctx, {})
        except (WrittenError, KeyError):
            continue  # bounds that depend on an outer sum's index
        if left:
            out.append(f"the sum over {n.var} at {at(n.line, n.column)} leaves out {', '.join(left)}")
    return out
