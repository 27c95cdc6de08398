"""Show how an expression was read: plain text for the terminal, MathML for report.html.

The reading makes every grouping explicit where a student might have meant another one:
a function written without parentheses is shown with them (``\\log \\sum_j x_j`` reads
``log(Σ_j x_j)``), so a misreading is visible at once.  The MathML is presentation
MathML, which browsers render without any script; every piece of text in it is escaped.

>>> from grader.written.parse import parse_expression
>>> plain(parse_expression(r"-w_i + \\sum_x \\hat{y}_x w_x"))
'-w_i + Σ_x ŷ_x w_x'
>>> plain(parse_expression(r"W^\\top(\\hat{y} - y)"))
'Wᵀ(ŷ - y)'
>>> plain(parse_expression(r"\\log \\sum_j \\exp(w_j^T \\hat r)"))
'log(Σ_j exp(w_jᵀ r̂))'
"""

from __future__ import annotations

from html import escape

from .tree import Apply, Bin, Card, Derivative, Item, Neg, Node, Num, Power, Sub, Sum, Sym, Transpose

_FN = {"sigma": "σ", "exp": "exp", "log": "log", "softmax": "softmax", "outer": "outer", "sum": "sum"}
_HATTED = {"y": "ŷ"}

# Binding strength: a child weaker than its parent is put in parentheses.
_ADD, _NEG, _MUL, _PREFIX, _POST, _ATOM = 1, 2, 3, 4, 5, 6


def _level(node: Node) -> int:
    if isinstance(node, Bin):
        return _ADD if node.op in ("+", "-") else (_ATOM if node.op == "frac" else _MUL)
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, Sum) or (isinstance(node, Apply) and not node.parens):
        return _PREFIX
    if isinstance(node, (Sub, Transpose, Power, Item)):
        return _POST
    if isinstance(node, Num) and node.value < 0:
        return _NEG
    return _ATOM


def symbol_text(sym: Sym) -> str:
    """Return a symbol as printed: "ŷ", "r̂", "W", "CE"."""
    if sym.hat:
        return _HATTED.get(sym.name, sym.name + "\u0302")
    return sym.name


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


# --------------------------------------------------------------------------- plain text


def plain(node: Node) -> str:
    """Return the expression in plain Unicode text, parenthesised as it was read."""
    return _plain(node)


def _wrap(node: Node, at_least: int) -> str:
    s = _plain(node)
    return f"({s})" if _level(node) < at_least else s


def _index(node: Node) -> str:
    s = _plain(node)
    return s if len(s) == 1 or isinstance(node, (Sym, Num)) and "_" not in s else "{" + s + "}"


def _plain(node: Node) -> str:
    if isinstance(node, Num):
        return _num(node.value)
    if isinstance(node, Sym):
        return symbol_text(node)
    if isinstance(node, Card):
        return f"|{node.name}|"
    if isinstance(node, Sub):
        return f"{_wrap(node.base, _POST)}_{_index(node.index)}"
    if isinstance(node, Item):
        inner = f":, {_plain(node.index)}" if node.by_column else _plain(node.index)
        return f"{_wrap(node.base, _POST)}[{inner}]"
    if isinstance(node, Transpose):
        return f"{_wrap(node.arg, _POST)}ᵀ"
    if isinstance(node, Power):
        e = _plain(node.exponent)
        return f"{_wrap(node.arg, _ATOM)}^{e if len(e) == 1 else '(' + e + ')'}"
    if isinstance(node, Neg):
        return f"-{_wrap(node.arg, _MUL)}"
    if isinstance(node, Bin):
        if node.op in ("+", "-"):
            right = _wrap(node.right, _NEG if node.op == "+" else _MUL)
            return f"{_wrap(node.left, _ADD)} {node.op} {right}"
        if node.op == "frac":
            return f"{_wrap(node.left, _POST)} / {_wrap(node.right, _PREFIX)}"
        sep = {"juxt": " ", "cdot": " · ", "star": " ⊙ ", "matmul": " @ ", "div": " / "}[node.op]
        right_min = _POST if node.op == "div" else _MUL + 1
        left = f"({_plain(node.left)})" if _ends_with_prefix(node.left) or _is_frac(node.left) else _wrap(node.left, _MUL)
        right = _wrap(node.right, right_min if not _is_prefix(node.right) else _PREFIX)
        if _is_frac(node.right):
            right = f"({right})"
        if node.op == "juxt" and right.startswith("(") and not left.endswith(")"):
            sep = ""
        return f"{left}{sep}{right}"
    if isinstance(node, Sum):
        return f"Σ{_bounds_plain(node)} {_wrap(node.body, _MUL)}"
    if isinstance(node, Apply):
        name = _FN.get(node.fn, node.fn)
        if not node.args:  # written without its argument
            return name
        return f"{name}({', '.join(_plain(a) for a in node.args)})"
    if isinstance(node, Derivative):
        if node.prime:
            return f"σ'({_plain(node.wrt)})"
        return f"∂{_wrap(node.of, _POST)}/∂{_wrap(node.wrt, _POST)}"
    return "?"  # pragma: no cover - every node type is handled above


def _ends_with_prefix(node: Node) -> bool:
    """Return whether a node, written out, ends with a sum or a function without parentheses (which would
    swallow what follows it)."""
    while True:
        if _is_prefix(node):
            return True
        if isinstance(node, Bin) and node.op not in ("+", "-", "frac"):
            node = node.right
        elif isinstance(node, Neg):
            node = node.arg
        else:
            return False


def _is_frac(node: Node) -> bool:
    return isinstance(node, Bin) and node.op == "frac"


def _is_prefix(node: Node) -> bool:
    return isinstance(node, Sum) or (isinstance(node, Apply) and not node.parens)


def _bounds_plain(node: Sum) -> str:
    if node.lower is not None and node.excluded is None and node.within is None:
        low = f"{node.var}={_plain(node.lower)}"
    elif node.within is not None:
        low = f"{node.var}∈{_plain(node.within)}"
    elif node.excluded is not None and node.lower is None:
        low = f"{node.var}≠{_plain(node.excluded)}"
    elif node.excluded is not None:
        low = f"{_plain(node.lower)}≤{node.var}≤{_plain(node.upper)}, {node.var}≠{_plain(node.excluded)}"
    else:
        low = node.var
    out = f"_{low}" if len(low) == 1 else (f"_{{{low}}}" if low else "")
    if node.upper is not None and node.excluded is None:
        up = _plain(node.upper)
        out += f"^{up}" if len(up) == 1 else f"^{{{up}}}"
    return out


# --------------------------------------------------------------------------- MathML


def mathml(node: Node) -> str:
    """Return the expression as a ``<math>`` element (presentation MathML, escaped)."""
    return f'<math display="inline"><mrow>{_ml(node)}</mrow></math>'


def _mi(s: str) -> str:
    return f"<mi>{escape(s)}</mi>"


def _mo(s: str) -> str:
    return f"<mo>{escape(s)}</mo>"


def _paren(inner: str) -> str:
    return f"<mrow><mo>(</mo>{inner}<mo>)</mo></mrow>"


def _mlwrap(node: Node, at_least: int) -> str:
    s = _ml(node)
    return _paren(s) if _level(node) < at_least else f"<mrow>{s}</mrow>"


def _ml_symbol(sym: Sym) -> str:
    if sym.hat:  # the letter with its hat as one glyph: placed as in running text
        return _mi(symbol_text(sym))
    if len(sym.name) > 1 and not sym.name.startswith("\\"):
        return f'<mi mathvariant="normal">{escape(sym.name)}</mi>'
    return _mi(sym.name)


def _ml(node: Node) -> str:
    if isinstance(node, Num):
        return f"<mn>{escape(_num(node.value))}</mn>"
    if isinstance(node, Sym):
        return _ml_symbol(node)
    if isinstance(node, Card):
        return f"<mo>|</mo>{_mi(node.name)}<mo>|</mo>"
    if isinstance(node, Sub):
        return f"<msub>{_mlwrap(node.base, _POST)}<mrow>{_ml(node.index)}</mrow></msub>"
    if isinstance(node, Item):
        inner = f"<mo>:</mo><mo>,</mo>{_ml(node.index)}" if node.by_column else _ml(node.index)
        return f"{_mlwrap(node.base, _POST)}<mo>[</mo>{inner}<mo>]</mo>"
    if isinstance(node, Transpose):
        return f"<msup>{_mlwrap(node.arg, _POST)}<mi>T</mi></msup>"
    if isinstance(node, Power):
        return f"<msup>{_mlwrap(node.arg, _ATOM)}<mrow>{_ml(node.exponent)}</mrow></msup>"
    if isinstance(node, Neg):
        return f"<mo>-</mo>{_mlwrap(node.arg, _MUL)}"
    if isinstance(node, Bin):
        if node.op in ("+", "-"):
            right = _mlwrap(node.right, _NEG if node.op == "+" else _MUL)
            return f"{_mlwrap(node.left, _ADD)}{_mo(node.op)}{right}"
        if node.op == "frac":
            return f"<mfrac><mrow>{_ml(node.left)}</mrow><mrow>{_ml(node.right)}</mrow></mfrac>"
        sep = {"juxt": "<mo>&#x2062;</mo>", "cdot": _mo("·"), "star": _mo("⊙"), "matmul": _mo("@"),
               "div": _mo("/")}[node.op]
        right_min = _POST if node.op == "div" else _MUL + 1
        right = _mlwrap(node.right, right_min if not _is_prefix(node.right) else _PREFIX)
        left = _paren(_ml(node.left)) if _ends_with_prefix(node.left) else _mlwrap(node.left, _MUL)
        return f"{left}{sep}{right}"
    if isinstance(node, Sum):
        under = _ml_lower(node)
        op = "<mo>∑</mo>"
        if node.upper is not None and node.excluded is None:
            head = f"<munderover>{op}<mrow>{under}</mrow><mrow>{_ml(node.upper)}</mrow></munderover>"
        elif under:
            head = f"<munder>{op}<mrow>{under}</mrow></munder>"
        else:
            head = op
        return f"{head}{_mlwrap(node.body, _MUL)}"
    if isinstance(node, Apply):
        name = _FN.get(node.fn, node.fn)
        if not node.args:  # written without its argument
            return _mi(name)
        args = "<mo>,</mo>".join(_ml(a) for a in node.args)
        return f"{_mi(name)}<mo>&#x2061;</mo>{_paren(args)}"
    if isinstance(node, Derivative):
        if node.prime:
            return f"<msup>{_mi('σ')}<mo>′</mo></msup><mo>&#x2061;</mo>{_paren(_ml(node.wrt))}"
        return (f"<mfrac><mrow><mo>∂</mo>{_ml(node.of)}</mrow>"
                f"<mrow><mo>∂</mo>{_ml(node.wrt)}</mrow></mfrac>")
    return "<merror><mtext>?</mtext></merror>"  # pragma: no cover


def _ml_lower(node: Sum) -> str:
    v = _mi(node.var) if node.var else ""
    if node.within is not None:
        return f"{v}<mo>∈</mo>{_ml(node.within)}"
    if node.excluded is not None and node.lower is None:
        return f"{v}<mo>≠</mo>{_ml(node.excluded)}"
    if node.excluded is not None:
        return (f"{_ml(node.lower)}<mo>≤</mo>{v}<mo>≤</mo>{_ml(node.upper)}<mo>,</mo>{v}<mo>≠</mo>"
                f"{_ml(node.excluded)}")
    if node.lower is not None:
        return f"{v}<mo>=</mo>{_ml(node.lower)}"
    return v
