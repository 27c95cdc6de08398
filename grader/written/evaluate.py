"""Evaluate a parsed expression on an instance: names checked first, then numbers computed with numpy.

Vectors are columns (n × 1) and ``^T`` makes a row, so that a product whose shapes do not
fit -- a missing transpose -- is an error that says so (|V| ≠ d in every instance).  The
plain-text ``@`` follows numpy instead: a vector on either side is one-dimensional
(``yhat @ W`` is Wᵀŷ).

Every name is checked against the question's symbols before anything is computed
(:func:`check_names`): an unknown symbol, or an index used outside its sum, raises
:class:`WrittenError` naming the token and its position.  Evaluation is bounded: at most
:data:`MAX_EVALS` nodes are evaluated per expression and instance.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ..model import WrittenSymbol
from .parse import WrittenError, at, quote
from .show import plain
from .tree import Apply, Bin, Card, Derivative, Item, Neg, Node, Num, Power, Sub, Sum, Sym, Transpose

#: Most nodes evaluated for one whole answer, every line and instance together (sums multiply
#: their body's count); a right answer to any built-in question takes a few thousand.
MAX_EVALS = 50_000

#: What a role is, for messages.
ROLES = {"vector": "a vector", "matrix": "a matrix", "scalar": "a number", "onehot": "a one-hot vector",
         "family": "a family of vectors", "onehots": "a family of one-hot vectors", "index": "an index",
         "each": "an index", "size": "a count", "quantity": "a quantity", "term": "one word's derivative"}

Value = Any  # float, or a 2-D numpy array (a column vector is n x 1)

_FN_SHOWN = {"sigma": "σ"}


def shown_symbol(s: WrittenSymbol) -> str:
    """Return how a symbol is written in messages: "ŷ", "w_j", "v_c", "W"."""
    name = s.name
    if name.endswith("hat") and len(name) > 3:
        base = name[:-3]
        name = "ŷ" if base == "y" else base + "\u0302"
    if s.role in ("family", "onehots"):
        return f"{name}_j"
    if s.role == "term":  # ∂J/∂v_c: ∂J_j/∂v_c, the loss of word j (J(v_c, w_{t+j}, U))
        return name.replace("/", "_j/", 1)
    return name


def _known(symbols: Mapping[str, WrittenSymbol]) -> str:
    return ", ".join(shown_symbol(s) for s in symbols.values())


# --------------------------------------------------------------------------- names


def _sum_vars(node: Node, out: dict[str, Sum]) -> dict[str, Sum]:
    """Collect the index of every sum in a tree (name -> first sum binding it)."""
    from .tree import children

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Sum) and n.var:
            out.setdefault(n.var, n)
        stack.extend(children(n))
    return out


def check_names(expr: Node, symbols: Mapping[str, WrittenSymbol], functions: tuple[str, ...] = (),
                subjects: tuple[str, ...] = ()) -> None:
    """Raise WrittenError for the first unknown symbol, misused index, misplaced derivative or function not
    among `functions` (when given) in `expr`.

    `subjects` are the indices of the word the question is about (o in ∂J/∂u_o, w in ∂J/∂u_w): an index
    used outside any sum is advised to be one of them, and only when there are some (in ∂J/∂v_c, writing
    o for an unbound w would not make the answer right: it needs the sum).
    """
    sums = _sum_vars(expr, {})
    _check(expr, symbols, frozenset(), sums, functions, subjects)


def _unknown(sym: Sym, symbols: Mapping[str, WrittenSymbol]) -> WrittenError:
    shown = plain(sym)
    near = difflib.get_close_matches(sym.key, list(symbols), n=1, cutoff=0.6)
    hint = f"; did you mean {quote(shown_symbol(symbols[near[0]]))}?" if near else ""
    if not sym.hat and len(sym.name) > 1 and all(ch in symbols for ch in sym.name):
        # "Wr": letters written together are one name; a product needs a space
        hint = f"; for a product, put a space between the letters: {quote(' '.join(sym.name))}"
    if sym.hat and sym.name == "y":  # P(w | c) is read as ŷ_w: say so where the question has no ŷ (negative sampling)
        hint += "; ŷ (as P(w | c) is read) is the softmax's prediction, which this question does not use"
    return WrittenError(f"unknown symbol {quote(shown)} at {at(sym.line, sym.column)}{hint} "
                        f"(this question's symbols: {_known(symbols)})", sym.line, sym.column)


def _check_index(index: Node, symbols, bound: frozenset, sums: Mapping[str, Sum], subjects: tuple[str, ...] = ()) -> None:
    if isinstance(index, Sub) and isinstance(index.base, Sym) and isinstance(index.index, Sym):
        index = index.index  # u_{w_s}: the word w_s, named by its index s
    if isinstance(index, Sym) and not index.hat:
        if index.name in bound:
            return
        s = symbols.get(index.name)
        if s is not None and s.role in ("index", "each"):
            return
        if index.name in sums:
            where = sums[index.name]
            raise WrittenError(f"index {quote(index.name)} at {at(index.line, index.column)} is used outside its sum "
                               f"(the sum over {index.name} at {at(where.line, where.column)} does not reach it)",
                               index.line, index.column)
        fixed = [shown_symbol(s) for s in symbols.values() if s.role in ("index", "each") and s.name in subjects]
        known = f", or use {', '.join(repr(f) for f in fixed)}" if fixed else ""
        raise WrittenError(f"index {quote(index.name)} at {at(index.line, index.column)} is used outside any sum: "
                           f"bind it with a sum (\\sum_{index.name}){known}", index.line, index.column)
    raise WrittenError(f"the subscript {quote(plain(index))} at {at(index.line, index.column)} is not an index: "
                       "write a word's index by its letter (w_j, u_o)", index.line, index.column)


def _check_bounds(n: Sum, symbols, bound: frozenset, sums) -> None:
    """Raise WrittenError when a sum's bounds name something that has no value (``\\sum_{j=1}^{n}``)."""
    for what, node in (("lower bound", n.lower), ("upper bound", n.upper), ("excluded term", n.excluded)):
        if node is None:
            continue
        if what == "excluded term" and isinstance(node, Sym) and not node.hat and (
                node.name in bound or getattr(symbols.get(node.name), "role", "") in ("index", "each")):
            continue  # \sum_{j \ne i}: a word
        try:
            _check(node, symbols, bound, sums)
        except WrittenError as e:
            raise WrittenError(f"the {what} of the sum over {n.var} at {at(n.line, n.column)} can't be "
                               f"evaluated: {e.message}", e.line, e.column) from None


def _term(n: Derivative, symbols: Mapping[str, WrittenSymbol]) -> WrittenSymbol | None:
    """Return the question's "term" symbol a derivative is (∂J_j/∂v_c, J(v_c, w_{t+j}, U) as parse.py reads it, is
    the term ∂J/∂v_c of word j), or None."""
    if n.prime:
        return None
    of = n.of.base if isinstance(n.of, Sub) and isinstance(n.of.base, Sym) else n.of
    if not isinstance(of, Sym):
        return None
    s = symbols.get(plain(Derivative(n.line, n.column, of, n.wrt)))
    return s if s is not None and s.role == "term" else None


def _basis(base: Sym, symbols: Mapping[str, WrittenSymbol]) -> bool:
    """Whether ``e_x`` (``\\mathbf{e}_o``) is the one-hot vector of word x: e is no symbol of the question, and the
    question has a vocabulary (|V|) whose words the one-hot vectors pick (y = e_o)."""
    return base.key == "e" and not base.hat and "e" not in symbols and any(
        s.role in ("onehot", "onehots") or (s.role == "size" and s.value == "V") for s in symbols.values())


def _check(node: Node, symbols, bound: frozenset, sums, functions: tuple[str, ...] = (),
           subjects: tuple[str, ...] = ()) -> None:
    stack = [(node, bound)]
    while stack:
        n, b = stack.pop()
        if isinstance(n, Sym):
            s = symbols.get(n.key)
            if s is None and n.key == "e":  # Euler's number, e^{-x}
                continue
            if s is None:
                if n.name in b and not n.hat:
                    raise WrittenError(f"index {quote(n.name)} at {at(n.line, n.column)} stands alone: an index is a "
                                       f"subscript (w_{n.name}, ŷ_{n.name})", n.line, n.column)
                raise _unknown(n, symbols)
            if s.role in ("index", "each"):
                raise WrittenError(f"{quote(n.name)} at {at(n.line, n.column)} is an index: it can only be a subscript "
                                   f"(w_{n.name}, ŷ_{n.name})", n.line, n.column)
            if s.role in ("family", "onehots"):
                raise WrittenError(f"{quote(plain(n))} at {at(n.line, n.column)} needs an index: {plain(n)}_j is one "
                                   f"of the vectors it names", n.line, n.column)
        elif isinstance(n, Sub):
            if isinstance(n.base, Sym) and isinstance(n.index, Sym) and f"{n.base.key}_{n.index.name}" in symbols:
                continue
            if isinstance(n.base, Sym):
                s = symbols.get(n.base.key)
                if s is None and _basis(n.base, symbols):
                    _check_index(n.index, symbols, b, sums, subjects)
                    continue
                if s is None:
                    raise _unknown(n.base, symbols)
                if s.role not in ("family", "onehots", "vector", "onehot"):
                    raise WrittenError(f"{quote(plain(n.base))} at {at(n.base.line, n.base.column)} is "
                                       f"{ROLES.get(s.role, s.role)}: it takes no subscript", n.line, n.column)
            else:
                stack.append((n.base, b))
            _check_index(n.index, symbols, b, sums, subjects)
        elif isinstance(n, Item):
            stack.append((n.base, b))
            _check_index(n.index, symbols, b, sums, subjects)
        elif isinstance(n, Sum):
            if not n.var:
                raise WrittenError(f"the sum at {at(n.line, n.column)} names no index: write \\sum_j",
                                   n.line, n.column)
            _check_bounds(n, symbols, b, sums)
            stack.append((n.body, b | {n.var}))
        elif isinstance(n, Derivative):
            term = _term(n, symbols)
            if term is not None and isinstance(n.of, Sub):
                _check_index(n.of.index, symbols, b, sums, subjects)
                continue
            if term is not None:
                raise WrittenError(f"{quote(plain(n))} at {at(n.line, n.column)} names no outside word: a term of the "
                                   "window's sum is one word's loss, written with its word as J(v_c, w_{t+j}, U) "
                                   f"(read {quote(shown_symbol(term))}) in a sum over j", n.line, n.column)
            raise WrittenError(f"{quote(plain(n))} at {at(n.line, n.column)} is a derivative not worked out, so it is "
                               "not evaluated: a derivative can only name the quantity a line is about, on the left "
                               "of '='", n.line, n.column)
        elif isinstance(n, Card):
            s = symbols.get(n.name)
            if s is None or s.role != "size":
                raise WrittenError(f"unknown set {quote(n.name)} in |{n.name}| at {at(n.line, n.column)}",
                                   n.line, n.column)
        elif isinstance(n, Power):
            stack.append((n.exponent, b))  # (pushed last to first: the first in reading order is checked first)
            stack.append((n.arg, b))
        elif isinstance(n, Bin):
            stack.append((n.right, b))
            stack.append((n.left, b))
        elif isinstance(n, Transpose) and n.prime and isinstance(n.arg, Sym) and \
                getattr(symbols.get(n.arg.key), "role", "") in ("quantity", "scalar"):
            # J', x': a prime on a number is a derivative (a transpose would change nothing)
            primed = quote(plain(n.arg) + "\u2032")
            raise WrittenError(f"{primed} at {at(n.line, n.column)} reads as a derivative, which "
                               f"is not worked out, so it is not evaluated: name a derivative as "
                               f"\\frac{{\\partial {plain(n.arg)}}}{{\\partial ...}}", n.line, n.column)
        elif isinstance(n, (Neg, Transpose)):
            stack.append((n.arg, b))
        elif isinstance(n, Apply):
            if not n.args:  # σ alone, where the question does not say what it stands for
                raise WrittenError(f"{_FN_SHOWN.get(n.fn, n.fn)} at {at(n.line, n.column)} is written without its "
                                   f"argument: write {_FN_SHOWN.get(n.fn, n.fn)}(...) with what it is applied to",
                                   n.line, n.column)
            if functions and n.fn not in functions:
                allowed = ", ".join(_FN_SHOWN.get(f, f) for f in functions)
                raise WrittenError(f"{_FN_SHOWN.get(n.fn, n.fn)} at {at(n.line, n.column)} is not one of this "
                                   f"question's functions ({allowed})", n.line, n.column)
            stack.extend((a, b) for a in reversed(n.args))


# --------------------------------------------------------------------------- values


@dataclass
class Context:
    """One instance and what the names of a question mean on it."""

    instance: Mapping[str, Any]
    symbols: Mapping[str, WrittenSymbol]
    indices: Mapping[str, str] = field(default_factory=dict)  #: sum index -> domain
    each: Mapping[str, int] = field(default_factory=dict)  #: "each" index -> its value now
    quantity: Callable[[str], Any] | None = None  #: reference function name -> value
    term: Callable[[str, int], Any] | None = None  #: (reference function name, word) -> value, of a "term" symbol
    swap: Mapping[str, str] = field(default_factory=dict)  #: symbol key -> key read instead (mistake detection)
    budget: list[int] = field(default_factory=lambda: [0])  #: nodes evaluated so far, shared by an answer's lines

    def domain(self, var: str) -> list[int]:
        """Return the word indices a sum over `var` runs through."""
        kind = self.indices.get(var.rstrip("'"), "vocab")  # k' runs where k does
        inst = self.instance
        if kind == "samples":
            return list(inst["samples"])
        if kind == "context":
            return list(inst["context"])
        if kind == "others":
            return [w for w in range(int(inst["V"])) if w != int(inst["i"])]
        return list(range(int(inst["V"])))

    def positions(self, var: str) -> list[int]:
        """Return how a sum's bounds number the terms of ``domain(var)``: 1, 2, ..., n (for a skip-gram
        window, the offsets -m, ..., -1, 1, ..., m, as in ``\\sum_{-m \\le j \\le m, j \\ne 0}``)."""
        n = len(self.domain(var))
        if self.indices.get(var.rstrip("'")) == "context":
            m = n // 2
            return [p for p in range(-m, m + 1) if p != 0]
        return list(range(1, n + 1))


def kind(v: Value) -> str:
    """Describe a value's shape for messages: "a number", "a 3×1 vector", "a 1×3 row vector", "a 5×3 matrix"."""
    if not isinstance(v, np.ndarray):
        return "a number"
    m, n = v.shape
    if n == 1:
        return f"a {m}×1 vector"
    if m == 1:
        return f"a 1×{n} row vector"
    return f"a {m}×{n} matrix"


def _col(x: Any) -> Value:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        return float(a)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def _scalar(v: Value) -> bool:
    return not isinstance(v, np.ndarray)


def _shrink(v: Value) -> Value:
    if isinstance(v, np.ndarray) and v.shape == (1, 1):
        return float(v[0, 0])
    return v


def evaluate(expr: Node, ctx: Context) -> Value:
    """Return the value of `expr` on ``ctx.instance``: a float, or a 2-D array (vectors are columns)."""
    with np.errstate(all="ignore"):
        try:
            return _ev(expr, ctx, {})
        except (ArithmeticError, ValueError) as e:  # numbers out of range: a verdict, never a traceback
            raise WrittenError(f"the answer could not be computed ({type(e).__name__}: {e})") from None


def _symbol_value(key: str, ctx: Context, node: Node) -> Value:
    key = ctx.swap.get(key, key)
    s = ctx.symbols[key]
    if s.role == "quantity":
        return _col(ctx.quantity(s.value)) if ctx.quantity else 0.0
    v = ctx.instance[s.value]
    if s.role in ("scalar", "size"):
        return float(v)
    return _col(v)


def _index_value(index: Node, ctx: Context, env: Mapping[str, int]) -> int:
    if isinstance(index, Sub):  # u_{w_s}: a sum over s binds s to the word w_s itself
        index = index.index
    assert isinstance(index, Sym)
    if index.name in env:
        return env[index.name]
    s = ctx.symbols[index.name]
    if s.role == "each":
        return int(ctx.each[index.name])
    return int(ctx.instance[s.value])


def _ev(n: Node, ctx: Context, env: dict[str, int]) -> Value:
    ctx.budget[0] += 1
    if ctx.budget[0] > MAX_EVALS:
        raise WrittenError(f"the answer takes more than {MAX_EVALS} operations to evaluate; simplify it")
    if isinstance(n, Num):
        return float(n.value)
    if isinstance(n, Sym):
        if n.key == "e" and "e" not in ctx.symbols:
            return float(np.e)
        return _symbol_value(n.key, ctx, n)
    if isinstance(n, Card):
        return float(ctx.instance[ctx.symbols[n.name].value])
    if isinstance(n, Sub):
        if isinstance(n.base, Sym) and isinstance(n.index, Sym) and f"{n.base.key}_{n.index.name}" in ctx.symbols:
            return _symbol_value(f"{n.base.key}_{n.index.name}", ctx, n)
        idx = _index_value(n.index, ctx, env)
        if isinstance(n.base, Sym) and _basis(n.base, ctx.symbols):
            e = np.zeros((int(ctx.instance["V"]), 1))
            e[idx, 0] = 1.0
            return e
        if isinstance(n.base, Sym):
            key = ctx.swap.get(n.base.key, n.base.key)
            s = ctx.symbols[key]
            if s.role == "family":
                m = np.asarray(ctx.instance[s.value], dtype=np.float64)
                return (m[idx] if s.axis == "row" else m[:, idx]).reshape(-1, 1)
            if s.role == "onehots":
                e = np.zeros((int(ctx.instance["V"]), 1))
                e[idx, 0] = 1.0
                return e
        return _entry(_ev(n.base, ctx, env), idx, n)
    if isinstance(n, Item):
        base = _ev(n.base, ctx, env)
        idx = _index_value(n.index, ctx, env)
        if isinstance(base, np.ndarray) and min(base.shape) > 1:
            if not 0 <= idx < (base.shape[1] if n.by_column else base.shape[0]):
                raise WrittenError(f"index out of range in {quote(plain(n))} at {at(n.line, n.column)}", n.line, n.column)
            return (base[:, idx] if n.by_column else base[idx]).reshape(-1, 1)
        return _entry(base, idx, n)
    if isinstance(n, Transpose):
        v = _ev(n.arg, ctx, env)
        if n.prime and _scalar(v):
            # (σ(x) - σ(x)²)': a prime on a number is a derivative (a transpose would change nothing)
            raise WrittenError(f"{quote(_operand(n.arg) + chr(0x2032))} at {at(n.line, n.column)} is a number with a "
                               "prime, which reads as a derivative: it is not worked out, so it is not evaluated",
                               n.line, n.column)
        return v if _scalar(v) else v.T
    if isinstance(n, Neg):
        return -_ev(n.arg, ctx, env)
    if isinstance(n, Power):
        base, e = _ev(n.arg, ctx, env), _ev(n.exponent, ctx, env)
        if isinstance(n.arg, Sym) and n.arg.key == "e" and "e" not in ctx.symbols and not _scalar(e) \
                and e.shape[1] == 1:
            return np.exp(e)  # e^{W r̂}: the exponential of each entry, as exp(W r̂) is
        if not (_scalar(base) and _scalar(e)):
            raise WrittenError(f"{quote(plain(n))} at {at(n.line, n.column)} raises {kind(base)} to {kind(e)}; "
                               "only numbers have powers here", n.line, n.column)
        return float(np.float64(base) ** e)
    if isinstance(n, Bin):
        return _binary(n, _ev(n.left, ctx, env), _ev(n.right, ctx, env))
    if isinstance(n, Sum):
        total: Value = 0.0
        first = True
        for w in sum_terms(n, ctx, env)[0]:
            env2 = dict(env)
            env2[n.var] = w
            v = _ev(n.body, ctx, env2)
            if first:
                total, first = v, False
            else:
                total = total + v
        return total
    if isinstance(n, Apply):
        args = [_ev(a, ctx, env) for a in n.args]
        return _apply(n, args)
    if isinstance(n, Derivative) and isinstance(n.of, Sub) and (term := _term(n, ctx.symbols)) is not None:
        word = _index_value(n.of.index, ctx, env)
        return _col(ctx.term(term.value, word)) if ctx.term else 0.0
    raise WrittenError(f"{quote(plain(n))} at {at(n.line, n.column)} has no value", n.line, n.column)


def sum_terms(n: Sum, ctx: Context, env: Mapping[str, int]) -> tuple[list[int], list[str]]:
    """Return the words a sum runs over, as its bounds say, and the terms of its index's domain it leaves out
    ("j = 1", "j = i").

    Bounds are positions in the domain (1 to |V| for the vocabulary, 1 to K for the negative
    samples, or from 0, to |V| - 1 and K - 1, when the lower bound is 0; -m to m for a window), evaluated on the
    instance; ``j \\ne i`` leaves the word i
    out.  A sum without bounds, or with ``j \\in V``, runs over the whole domain.
    """
    # Σ_{j=1}^{K}: K is the number of negative samples, so the sum runs over them whatever its
    # index is called (j, i, l), as a reader of the handout would read it.
    var = n.var
    if var not in ctx.indices and isinstance(n.upper, Sym) and n.upper.key == "K":
        var = next((v for v, k in ctx.indices.items() if k == "samples"), var)
    words = ctx.domain(var)
    positions = ctx.positions(var)
    if n.within is not None and ctx.indices.get(var.rstrip("'")) in ("samples", "context") and _vocabulary(n.within, ctx):
        # \sum_{k \in V}: every word of the vocabulary, whatever the index's letter means elsewhere (not the samples)
        words = list(range(int(ctx.instance["V"])))
        positions = list(range(1, len(words) + 1))
    low = _bound(n, n.lower, "lower bound", ctx, env) if n.lower is not None else positions[0] if positions else 1
    if low == 0 and positions and positions[0] == 1:  # numbered from 0, as in code: \sum_{w=0}^{|V|-1}
        positions = [p - 1 for p in positions]
    high = _bound(n, n.upper, "upper bound", ctx, env) if n.upper is not None else positions[-1] if positions else 0
    for b, what in ((low, "lower bound"), (high, "upper bound")):
        if positions and not positions[0] <= b <= positions[-1]:
            raise WrittenError(f"the {what} of the sum over {n.var} at {at(n.line, n.column)} is {b}, outside "
                               f"its range ({n.var} runs from {positions[0]} to {positions[-1]} here)",
                               n.line, n.column)
    excluded_word: int | None = None
    excluded_pos: int | None = None
    shown_excluded = ""
    if n.excluded is not None:
        x = n.excluded
        if isinstance(x, Sym) and not x.hat and (x.name in env or
                                                 getattr(ctx.symbols.get(x.name), "role", "") in ("index", "each")):
            excluded_word, shown_excluded = _index_value(x, ctx, env), x.name
        else:
            excluded_pos = _bound(n, x, "excluded term", ctx, env)
            shown_excluded = str(excluded_pos)
    if positions and positions[0] < 0 < positions[-1] and (n.lower is not None or n.upper is not None) \
            and low <= 0 <= high and excluded_pos != 0:
        # -m ≤ j ≤ m without j ≠ 0: the window holds the center word itself (y_0), which the loss leaves out
        raise WrittenError(f"the sum over {n.var} at {at(n.line, n.column)} runs from {low} to {high} and so takes "
                           f"{n.var} = 0, the center word itself, which the window leaves out: add {n.var} \\ne 0",
                           n.line, n.column)
    kept, left_out = [], []
    for p, w in zip(positions, words):
        if not low <= p <= high:
            left_out.append(f"{n.var} = {p}")
        elif p == excluded_pos:
            if excluded_pos in positions:
                left_out.append(f"{n.var} = {shown_excluded}")
        elif w == excluded_word:
            left_out.append(f"{n.var} = {shown_excluded}")
        else:
            kept.append(w)
    return kept, left_out


def _vocabulary(node: Node, ctx: Context) -> bool:
    """Whether a sum's set (``j \\in V``, ``\\mathcal{V}``, ``\\text{Vocab}``) is the vocabulary."""
    if not isinstance(node, Sym) or node.hat or "V" not in ctx.instance:
        return False
    s = ctx.symbols.get(node.key)
    return (s is not None and s.role == "size" and s.value == "V") or node.key in ("V", "Vocab", "vocab", "vocabulary")


def _bound(n: Sum, node: Node, what: str, ctx: Context, env: Mapping[str, int]) -> int:
    """Return the value of a sum's bound: a whole number, or a WrittenError that says which bound."""
    where = f"the {what} of the sum over {n.var} at {at(n.line, n.column)}"
    try:
        v = _ev(node, ctx, dict(env))
    except (KeyError, WrittenError) as e:
        why = e.message if isinstance(e, WrittenError) else f"{quote(plain(node))} has no value here"
        raise WrittenError(f"{where} can't be evaluated: {why}", n.line, n.column) from None
    if not _scalar(v) or not float(v).is_integer():
        got = kind(v) if not _scalar(v) else f"{v:g}"
        raise WrittenError(f"{where} is {got}, not a whole number", n.line, n.column)
    return int(v)


def _entry(v: Value, idx: int, n: Node) -> Value:
    if _scalar(v) or min(v.shape) != 1:
        raise WrittenError(f"{quote(plain(n))} at {at(n.line, n.column)} takes an entry of {kind(v)}; only a vector "
                           "has entries", n.line, n.column)
    flat = v.reshape(-1)
    if not 0 <= idx < flat.size:
        raise WrittenError(f"index out of range in {quote(plain(n))} at {at(n.line, n.column)}", n.line, n.column)
    return float(flat[idx])


def _apply(n: Apply, args: list) -> Value:
    if n.fn == "outer":
        if len(args) != 2 or any(_scalar(a) for a in args):
            raise WrittenError(f"outer at {at(n.line, n.column)} takes two vectors", n.line, n.column)
        return np.outer(args[0].reshape(-1), args[1].reshape(-1))
    if len(args) != 1:
        raise WrittenError(f"{n.fn} at {at(n.line, n.column)} takes one argument, not {len(args)}", n.line, n.column)
    x = args[0]
    if n.fn == "exp":
        return _same(np.exp(x))
    if n.fn == "log":
        return _same(np.log(x))
    if n.fn == "sigma":
        return _same(1.0 / (1.0 + np.exp(-np.asarray(x))))
    if n.fn == "sum":  # plain text sum(v): the sum of a vector's entries
        if not _scalar(x) and min(x.shape) != 1:
            raise WrittenError(f"sum at {at(n.line, n.column)} adds up a vector's entries, not {kind(x)}'s",
                               n.line, n.column)
        return float(np.sum(x))
    if n.fn == "softmax":
        if _scalar(x) or min(x.shape) != 1:
            raise WrittenError(f"softmax at {at(n.line, n.column)} takes a vector, not {kind(x)}", n.line, n.column)
        e = np.exp(x - x.max())
        return e / e.sum()
    raise WrittenError(f"unknown function {quote(n.fn)} at {at(n.line, n.column)}", n.line, n.column)  # pragma: no cover


def _same(a) -> Value:
    a = np.asarray(a, dtype=np.float64)
    return float(a) if a.ndim == 0 else a


def _binary(n: Bin, a: Value, b: Value) -> Value:
    op = n.op
    where = at(n.line, n.column)
    if op in ("+", "-"):
        if _scalar(a) != _scalar(b) or (not _scalar(a) and a.shape != b.shape):
            verb = "add" if op == "+" else "subtract"
            # (one term the other's transpose: a transpose missing or misplaced in one of them, said here;
            # not "the answer is the transpose of the gradient", which the answer as a whole is not)
            flipped = not _scalar(a) and not _scalar(b) and a.shape == b.shape[::-1]
            raise WrittenError(f"can't {verb} {kind(a)} ({plain(n.left)}) and {kind(b)} ({plain(n.right)}) "
                               f"at {where}: the shapes differ"
                               + ("; one is the other's transpose, so a transpose is missing or misplaced in one "
                                  "of them" if flipped else ""), n.line, n.column)
        return a + b if op == "+" else a - b
    if op in ("div", "frac"):
        if not _scalar(b):
            raise WrittenError(f"can't divide by {kind(b)} ({plain(n.right)}) at {where}", n.line, n.column)
        return _same(np.divide(a, b))  # 1/0 is inf, as in numpy, not an exception
    if _scalar(a) or _scalar(b):
        return a * b
    if op == "star":
        if a.shape != b.shape:
            raise WrittenError(f"can't multiply {kind(a)} ({plain(n.left)}) and {kind(b)} ({plain(n.right)}) "
                               f"element by element at {where}: the shapes differ", n.line, n.column)
        return a * b
    if op == "matmul":
        if a.shape[1] == b.shape[0]:  # as written: (ŷ - y) @ r̂ᵀ, a column times a row, is their outer product
            return _shrink(a @ b)
        # numpy's reading of a vector as 1-D: yhat @ W (a column's entries times W's rows)
        x = a.reshape(-1) if a.shape[1] == 1 else a
        y = b.reshape(-1) if b.shape[1] == 1 else b
        if x.shape[-1] != y.shape[0]:
            raise _misfit(n, a, b, x.shape[-1], y.shape[0])
        r = x @ y
        return _same(r) if np.ndim(r) != 1 else r.reshape(-1, 1)
    if op == "cdot" and a.shape == b.shape and a.shape[1] == 1:
        return float((a.T @ b)[0, 0])
    if a.shape[1] != b.shape[0]:
        raise _misfit(n, a, b, a.shape[1], b.shape[0])
    return _shrink(a @ b)


def _operand(node: Node) -> str:
    """Return an operand in plain text, in parentheses unless it is a single symbol."""
    s = plain(node)
    return s if isinstance(node, (Sym, Sub, Num, Item)) else f"({s})"


def _transpose_fix(factor: Node, side: str) -> str:
    """Return what a shape mismatch says about the factor a transpose would fix: missing, or one too many."""
    if isinstance(factor, Transpose):
        return f"; the transpose on the {side} factor, {plain(factor)}, does not fit here"
    return f"; a transpose is missing on the {side} factor, {_operand(factor)}"


def _misfit(n: Bin, a: np.ndarray, b: np.ndarray, p: int, q: int) -> WrittenError:
    """Return the error for a product whose shapes do not fit, naming a missing transpose when one fixes it."""
    left, right = _operand(n.left), _operand(n.right)
    fix = ""
    # Name the factor to look at, never the product rewritten: for a one-product answer that
    # would be the answer itself (Wᵀ(ŷ - y)).
    if a.shape[0] == b.shape[0]:
        fix = _transpose_fix(n.left, "left")
    elif a.shape[1] == b.shape[1]:
        fix = _transpose_fix(n.right, "right")
    return WrittenError(f"{left} times {right} at {at(n.line, n.column)}: {kind(a)} times {kind(b)}, the shapes do "
                        f"not fit ({p} ≠ {q}){fix}", n.line, n.column, mistake="missing-transpose" if fix else None)
