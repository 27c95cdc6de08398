"""The expression tree of a written answer: frozen dataclasses, one per construct of the notation.

Both notations (LaTeX and plain text) parse to the same tree, so that everything after
the parser -- checking names, evaluating, showing the reading back -- handles one form.
Every node keeps where it starts in the student's text (1-based line and column), for
messages.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Callable


@dataclass(frozen=True)
class Node:
    """Base of every node: where it starts in the student's text."""

    line: int
    column: int


@dataclass(frozen=True)
class Num(Node):
    """A number: ``1``, ``0.5``."""

    value: float


@dataclass(frozen=True)
class Sym(Node):
    """A letter or name: ``W``, ``\\hat{y}`` (name "y", hat), ``CE``, ``\\theta`` (unknown)."""

    name: str
    hat: bool = False

    @property
    def key(self) -> str:
        """The name a rubric gives it: "y", "yhat", "W"."""
        return self.name + ("hat" if self.hat else "")


@dataclass(frozen=True)
class Sub(Node):
    """A subscript: ``w_j``, ``\\hat{y}_x``, ``v_c``; ``index`` is a Sym or a Num."""

    base: Node
    index: Node


@dataclass(frozen=True)
class Item(Node):
    """Plain-text indexing: ``W[i]`` (a row; ``column``: ``U[:, o]``)."""

    base: Node
    index: Node
    by_column: bool = False


@dataclass(frozen=True)
class Transpose(Node):
    """``x^T``, ``x^\\top``, ``xᵀ``, ``x.T``, ``x'`` (``prime``: written with a prime)."""

    arg: Node
    prime: bool = False


@dataclass(frozen=True)
class Power(Node):
    """``x^2``, ``x^{-1}``."""

    arg: Node
    exponent: Node


@dataclass(frozen=True)
class Neg(Node):
    """``-x``."""

    arg: Node


#: Binary operators: "+", "-", "juxt" (written side by side), "cdot", "star" (elementwise),
#: "matmul" (``@``), "div" (``/``), "frac" (``\\frac{a}{b}``).
BINARY = ("+", "-", "juxt", "cdot", "star", "matmul", "div", "frac")


@dataclass(frozen=True)
class Bin(Node):
    """A binary operation; ``op`` is one of :data:`BINARY`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Sum(Node):
    """``\\sum_{j=1}^{|V|} body``: ``var`` is the bound index ("" when the sum names none)."""

    var: str
    body: Node
    lower: Node | None = None  #: ``1`` in ``j=1``, ``-m`` in ``-m \\le j \\le m``
    upper: Node | None = None  #: ``|V|``, ``K``, ``m``
    within: Node | None = None  #: ``V`` in ``x \\in V``
    excluded: Node | None = None  #: ``0`` in ``j \\ne 0``


@dataclass(frozen=True)
class Apply(Node):
    """A function applied: ``\\exp(x)``, ``\\log \\sum_j ...``, ``\\sigma(x)``, ``outer(a, b)``."""

    fn: str  #: "exp", "log", "sigma", "softmax", "outer"
    args: tuple[Node, ...]
    parens: bool = True


@dataclass(frozen=True)
class Card(Node):
    """``|V|``: the number of elements of a set."""

    name: str


@dataclass(frozen=True)
class Derivative(Node):
    """``\\frac{\\partial CE}{\\partial \\hat{r}}``, ``∂CE/∂r̂``, ``\\sigma'(x)``: names a quantity."""

    of: Node
    wrt: Node
    prime: bool = False  #: written σ'(x)


@dataclass(frozen=True)
class Step:
    """One expression of a chain, with where it starts and the text it was read from."""

    expr: Node
    line: int
    column: int
    text: str


@dataclass(frozen=True)
class Chain:
    """``a = b = c``: steps each meant to equal the one before."""

    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Document:
    """A whole answer: one chain, or several (a derivation that moves on to a new quantity)."""

    chains: tuple[Chain, ...]

    def steps(self) -> tuple[Step, ...]:
        """Return every step, in reading order."""
        return tuple(s for c in self.chains for s in c.steps)


def children(node: Node) -> tuple[Node, ...]:
    """Return the nodes directly under `node`."""
    if isinstance(node, (Sub, Item)):
        return (node.base, node.index)
    if isinstance(node, (Transpose, Neg)):
        return (node.arg,)
    if isinstance(node, Power):
        return (node.arg, node.exponent)
    if isinstance(node, Bin):
        return (node.left, node.right)
    if isinstance(node, Sum):
        return tuple(n for n in (node.lower, node.upper, node.within, node.excluded, node.body) if n is not None)
    if isinstance(node, Apply):
        return node.args
    if isinstance(node, Derivative):
        return (node.of, node.wrt)
    return ()


def rebuilt(node: Node, f: Callable[[Node], Node]) -> Node:
    """Return `node` with `f` applied to each node directly under it (:func:`children`); the same node when
    `f` changed none of them."""
    changes: dict[str, object] = {}
    for fld in fields(node):
        value = getattr(node, fld.name)
        if isinstance(value, Node):
            new = f(value)
            if new is not value:
                changes[fld.name] = new
        elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            new_t = tuple(f(v) for v in value)
            if any(a is not b for a, b in zip(new_t, value)):
                changes[fld.name] = new_t
    return replace(node, **changes) if changes else node


def size(node: Node) -> int:
    """Return the number of nodes of a tree (how long an answer is; a sum's bounds do not count)."""
    if isinstance(node, Sum):
        return 1 + size(node.body)
    return 1 + sum(size(c) for c in children(node))
