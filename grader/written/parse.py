"""Parse a written answer (LaTeX or plain text) into a Document: chains of steps, each an expression tree.

The grammar is ``grammar.lark`` (LALR(1), so parsing takes time linear in the input).
Student text is never evaluated as Python: it is tokenised and parsed by lark, and only
the tree built here goes further.  Inputs are bounded (:data:`MAX_CHARS`,
:data:`MAX_TOKENS`, :data:`MAX_DEPTH`) and every problem -- an unexpected character, an
unbalanced brace, an answer that stops too early -- raises :class:`WrittenError` with a
message naming the token and its position, never a traceback.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from pathlib import Path

from .tree import (
    Apply,
    Bin,
    Card,
    Chain,
    Derivative,
    Document,
    Item,
    Neg,
    Node,
    Num,
    Power,
    Step,
    Sub,
    Sum,
    Sym,
    Transpose,
)

#: Longest answer read, in characters (a whole derivation fits in a few hundred).
MAX_CHARS = 4000
#: Most tokens in one answer.
MAX_TOKENS = 1500
#: Deepest nesting of brackets.
MAX_BRACKETS = 48
#: Deepest expression tree (a long sum of terms is as deep as it has terms); keeps every
#: recursive walk of the tree far from Python's recursion limit.
MAX_DEPTH = 200


class WrittenError(Exception):
    """A written answer that cannot be read or evaluated; ``message`` is for the student."""

    def __init__(self, message: str, line: int = 0, column: int = 0, mistake: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.mistake = mistake  #: a named mistake id the error shows (a missing transpose)


def quote(text: object) -> str:
    r"""Return student text in single quotes, as written (``repr`` would double LaTeX's backslashes).

    >>> print(quote(r"\theta"))
    '\theta'
    """
    return f"'{text}'"


def at(line: int, column: int) -> str:
    """Return "line 2, column 7" (or "" when the position is unknown)."""
    return f"line {line}, column {column}" if line else ""


@functools.lru_cache(maxsize=1)
def _parser():
    """Return the lark parser, built once per process (its LALR tables cached on disk: see _cache_file)."""
    from lark import Lark

    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    options = dict(parser="lalr", propagate_positions=True, maybe_placeholders=False)
    cache = _cache_file(grammar)
    if cache is not None:
        try:
            return Lark(grammar, cache=str(cache), **options)
        except (OSError, EOFError, ValueError):  # an unwritable or damaged cache: build without it
            pass
    return Lark(grammar, **options)


def _cache_file(grammar: str) -> Path | None:
    """Return where lark keeps the parser's tables: in the user's own cache folder (never a shared /tmp,
    as lark's cache is a pickle), named by the grammar's and lark's versions; None when there is none."""
    import hashlib
    import os

    import lark

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "grader"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None  # someone else could write there
    except OSError:
        return None
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    return folder / f"written-grammar-{digest}-lark{lark.__version__}.cache"


@functools.lru_cache(maxsize=1)
def _lexer():
    """Return a lexer over every terminal of the grammar (for the bracket check before parsing)."""
    from lark.lexer import BasicLexer

    return BasicLexer(_parser().lexer_conf)


def _tokens(text: str):
    """Yield the tokens of `text` (ignored ones left out)."""
    from lark.lexer import LexerThread

    return LexerThread.from_text(_lexer(), text).lex(None)


_OPEN = {"LPAR": ")", "LSQG": "]", "LANGLE": "⟩", "LBRACE": "}", "SUBOPEN": "}", "SUPOPEN": "}", "FUNCOPEN": ")", "SIGMAPRIME": ")", "FUNCPOW": ")", "FUNCBRACE": "}",
         "LSQB": "]", "DOTCALL": ")"}
_CLOSE = {"RPAR": ")", "RBRACE": "}", "RSQB": "]", "RANGLE": "⟩"}


def _shown(tok) -> str:
    """Return how a token is named in a message: "'{'", "'\\\\left('"."""
    return quote(str(tok).strip())


def _check_balance(tokens) -> None:
    """Raise WrittenError for the first bracket without its partner (one pass over the tokens)."""
    stack = []
    for tok in tokens:
        if tok.type in _OPEN:
            stack.append(tok)
            if len(stack) > MAX_BRACKETS:
                raise WrittenError(f"brackets are nested more than {MAX_BRACKETS} deep at {at(tok.line, tok.column)}",
                                   tok.line, tok.column)
        elif tok.type in _CLOSE:
            want = _CLOSE[tok.type]
            if not stack:
                raise WrittenError(f"unbalanced {_shown(tok)} at {at(tok.line, tok.column)}: nothing is open "
                                   "for it to close", tok.line, tok.column)
            top = stack.pop()
            if _OPEN[top.type] != want:
                raise WrittenError(f"unbalanced {_shown(top)} at {at(top.line, top.column)}: it is closed by "
                                   f"{_shown(tok)} at {at(tok.line, tok.column)}, not by "
                                   f"{quote(_OPEN[top.type])}", top.line, top.column)
    if stack:
        top = stack[-1]
        raise WrittenError(f"unbalanced {_shown(top)} at {at(top.line, top.column)}: it is never closed "
                           f"(add {quote(_OPEN[top.type])})", top.line, top.column)


#: "dJ/dv_c", "dCE/dW" in plain text: a quantity's derivative, as ∂J/∂v_c (a quantity's name is a capital).
_LEIBNIZ_SLASH = re.compile(r"(?<![A-Za-z\\])d(?=[A-Z][A-Za-z]*[ \t]*/[ \t]*d[A-Za-z\\])([A-Z][A-Za-z]*[ \t]*/[ \t]*)d")


def _leibniz_slash(text: str) -> str:
    """Return `text` with a plain-text derivative ``dJ/dv_c`` written ``∂J/∂v_c`` (columns kept).

    >>> _leibniz_slash("dJ/dv_c = U(yhat - y)"), _leibniz_slash("d * J / d")
    ('∂J/∂v_c = U(yhat - y)', 'd * J / d')
    """
    if "/" not in text:
        return text
    return _LEIBNIZ_SLASH.sub(lambda m: "\u2202" + m.group(1) + "\u2202", text)


def _normalise(text: str) -> str:
    """Return the text in Unicode NFC (so "y" + a combining hat and "ŷ" are one form) with tabs as spaces,
    without the prose a line of math may end with (see :func:`_without_prose`)."""
    text = _without_substack(unicodedata.normalize("NFC", text).replace("\t", " "))
    text = _leibniz_slash(text)
    return _without_arguments(_without_asides(_without_prose(_probabilities(_without_therefore(text)))))


#: "\therefore", "\implies", "\Rightarrow" (∴, ⇒) opening a line: a word of the argument, not a factor of its math.
_THEREFORE = re.compile(r"(?m)^(?:[ \t&]|\\q?quad(?![A-Za-z])|\\[,;: ])*"
                        r"(?:\\(?:therefore|hence|implies|Rightarrow|Longrightarrow|thus)(?![A-Za-z])|\u2234|\u21d2|\u27f9)")


def _without_therefore(text: str) -> str:
    r"""Return `text` with "\therefore" (or "\implies", "\Rightarrow") that opens a line blanked, columns kept.

    >>> _without_therefore("a = b\n\\therefore b = c")
    'a = b\n           b = c'
    """
    if "\\" not in text and "\u2234" not in text and "\u21d2" not in text and "\u27f9" not in text:
        return text
    return _THEREFORE.sub(lambda m: " " * len(m.group()), text)


#: The model's probability of a word given the center word, as the CS224n handout writes ŷ_w: P(w | c),
#: P(O = o \mid C = c), p(w \vert c); CS224d's given the predicted vector, P(w | \hat r).
_GIVEN = r"(?:C[ \t]*=[ \t]*)?(?:c|\\hat[ \t]*\{?[ \t]*r[ \t]*\}?|r\u0302)"
_BAR = r"(?:\||\\mid(?![A-Za-z])|\\vert(?![A-Za-z])|\\middle[ \t]*\|)"
_PROBABILITY = re.compile(r"(?<![A-Za-z\\])(?:P|p|\\Pr(?![A-Za-z]))[ \t]*(?:\\left[ \t]*)?\([ \t]*(?:O[ \t]*=[ \t]*)?"
                          r"(?P<word>[A-Za-z])[ \t]*" + _BAR + r"[ \t]*" + _GIVEN + r"[ \t]*(?:\\right[ \t]*)?\)")
#: Any other probability with a bar (P(o | c; θ), P(D = 1 | o, c)): one with no meaning here, said so.
_OTHER_PROBABILITY = re.compile(r"(?<![A-Za-z\\])(?:P|p|\\Pr(?![A-Za-z]))[ \t]*(?:_[ \t]*\{?[A-Za-z0-9]*\}?[ \t]*)?"
                                r"(?:\\left[ \t]*)?\((?=[^()\n]{0,80}" + _BAR + r")")
#: An expectation: \mathbb{E}, \mathbb E, \E, 𝔼, \operatorname{E}, then its subscript.
_EXPECTATION = re.compile(r"(?:\\mathbb[ \t]*\{[ \t]*E[ \t]*\}|\\mathbb[ \t]*E(?![A-Za-z])|\\E(?![A-Za-z])|\U0001d53c"
                          r"|\\(?:operatorname|mathrm)[ \t]*\{[ \t]*E[ \t]*\})[ \t]*"
                          r"(?:_[ \t]*(?:\{(?P<sub>(?:[^{}\n]|\{(?:[^{}\n]|\{[^{}\n]{0,40}\}){0,80}\}){0,120})\}|(?P<var1>[A-Za-z])))?[ \t]*"
                          r"(?P<open>(?:\\(?:left|bigg?l?|Bigg?l?)(?![A-Za-z])[ \t]*)?[\[(])")
#: An expectation's sign alone (what :data:`_EXPECTATION` did not read).
_EXPECTATION_HEAD = re.compile(r"\\mathbb[ \t]*\{[ \t]*E[ \t]*\}|\\mathbb[ \t]*E(?![A-Za-z])|\\E(?![A-Za-z])|\U0001d53c"
                               r"|\\(?:operatorname|mathrm)[ \t]*\{[ \t]*E[ \t]*\}")
#: The distribution an expectation is over, when it is the model's (ŷ): w \sim P(w|c), w \sim \hat y, w \sim p.
_MODEL = re.compile(r"^(?P<var>[A-Za-z])[ \t]*(?:\\sim(?![A-Za-z])|\u223c|~)[ \t]*(?:"
                    r"(?:P|p|\\Pr(?![A-Za-z]))(?:[ \t]*(?:\\left[ \t]*)?\([ \t]*(?:O[ \t]*=[ \t]*)?(?:(?P=var)|\\cdot(?![A-Za-z]))"
                    r"[ \t]*" + _BAR + r"[ \t]*" + _GIVEN + r"[ \t]*(?:\\right[ \t]*)?\))?"
                    r"|\\hat[ \t]*\{?[ \t]*(?:\\(?:mathbf|boldsymbol|bm)[ \t]*\{?[ \t]*)?y[ \t]*\}?\}?|\u0177)[ \t]*$")


def _position(text: str, offset: int) -> tuple[int, int]:
    """Return the line and column (from 1) of an offset of `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _probabilities(text: str) -> str:
    r"""Return `text` with the model's probabilities written as ŷ, columns kept: ``P(w \mid c)`` is ŷ_w (the
    handout's ŷ_w = P(O = w | C = c)), and an expectation under it, ``\mathbb{E}_{w \sim P(w|c)}[u_w]``, is
    ``\sum_w ŷ_w (u_w)``. An expectation that does not say it is over the model's distribution, or a probability
    of another form, raises WrittenError naming it (there is no other distribution to give it a meaning).

    >>> _probabilities(r"-u_o + \mathbb{E}_{w \sim P(w|c)}[u_w]")
    '-u_o + \\sum_{w}ŷ_w               (u_w)'
    >>> _probabilities(r"(P(o \mid c) - 1) v_c")
    '(ŷ_o         - 1) v_c'
    """
    if "P" not in text and "p" not in text and "E" not in text and "\U0001d53c" not in text:
        return text
    out = list(text)
    # (last first: a head longer than what it stands for, after 𝔼_{w∼P}, moves only what follows it)
    for m in reversed(list(_EXPECTATION.finditer(text))):
        sub = m.group("sub")
        model = _MODEL.match(sub.strip()) if sub is not None else None
        line, column = _position(text, m.start())
        shown = quote(text[m.start():m.start("open")].strip())
        if model is None:
            said = (f"is over {quote(sub.strip())}" if sub is not None and re.search(r"\\sim|\u223c|~", sub)
                    else "does not say which distribution it is over")
            raise WrittenError(f"the expectation {shown} at {at(line, column)} {said}: an expectation is read only "
                               "under the model's distribution, written \\mathbb{E}_{w \\sim P(w|c)}[...] "
                               "(the sum over w of ŷ_w times what it holds)", line, column)
        # its brackets as parentheses: [u_w] would read as an index
        opener, closer = text[m.end() - 1], {"[": "]", "(": ")"}[text[m.end() - 1]]
        depth, k = 1, m.end()
        while k < len(text) and depth:
            depth += {opener: 1, closer: -1}.get(text[k], 0)
            k += 1
        if depth == 0:
            out[m.end() - 1], out[k - 1] = "(", ")"
        var = model.group("var")
        head = f"\\sum_{{{var}}}\u0177_{var}"
        if len(head) > m.start("open") - m.start():
            head = f"\\sum_{var}\u0177_{var}"
        out[m.start():m.start("open")] = list(head.ljust(m.start("open") - m.start()))
    text = "".join(out)
    other = _EXPECTATION_HEAD.search(text)
    if other is not None:  # an expectation without its brackets, or with a subscript not read
        line, column = _position(text, other.start())
        raise WrittenError(f"the expectation {quote(other.group().strip())} at {at(line, column)} is not read: an "
                           "expectation is read only as \\mathbb{E}_{w \\sim P(w|c)}[...], with what it averages "
                           "in brackets (the sum over w of ŷ_w times it)", line, column)
    out = list(text)
    for m in _PROBABILITY.finditer(text):
        out[m.start():m.end()] = list(f"\u0177_{m.group('word')}".ljust(m.end() - m.start()))
    text = "".join(out)
    other = _OTHER_PROBABILITY.search(text)
    if other is not None:
        line, column = _position(text, other.start())
        end = text.find(")", other.end())
        shown = quote(text[other.start():end + 1 if end > 0 else other.end()].strip())
        raise WrittenError(f"the probability {shown} at {at(line, column)} is not read: a probability is read only "
                           "as the model's P(w | c), which is ŷ_w (write P(w | c) or \\hat{y}_w)", line, column)
    return text


_SUBSTACK = re.compile(r"\\substack[ \t]*\{")


def _without_substack(text: str) -> str:
    r"""Return `text` with each ``\substack{a \\ b}`` (a sum's conditions stacked) written as ``a, b`` (columns kept).

    >>> _without_substack(r"\sum_{\substack{-m \le j \le m \\ j \ne 0}} u_j")
    '\\sum_{          -m \\le j \\le m ,  j \\ne 0 } u_j'
    """
    if "substack" not in text:
        return text
    out = list(text)
    for m in _SUBSTACK.finditer(text):
        depth, k = 1, m.end()
        while k < len(text) and depth:
            if text.startswith("\\\\", k) and depth == 1:
                out[k:k + 2] = [",", " "]
                k += 2
                continue
            if text[k] == "\\":
                k += 2
                continue
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        if depth == 0:  # balanced: the command, its braces and line breaks go (an unbalanced one is reported later)
            out[m.start():m.end()] = [" "] * (m.end() - m.start())
            out[k - 1] = " "
    return "".join(out)


#: ``\text{...}`` (or ``\mbox``, ``\textrm``...); the spacing or comma before it goes with it (see _before).
_PROSE = re.compile(r"\\(?:text|textrm|textnormal|textit|textbf|mbox)\s*"
                    r"\{([^{}\n]{0,400})\}")
#: What ``\text{...}`` may hold inside the math itself: a function's name, the transpose's T, d of dx.
_MATH_WORDS = frozenset({"exp", "log", "ln", "softmax", "sigmoid", "sigma", "outer", "T", "d"})


def _brace_opener(line: str):
    """Return a function telling, for a position of `line`, whether ``line[:position]`` leaves a brace group open
    ("\\sum_{w \\in ": yes), escaped braces not counted. The line is scanned once: scanning each prefix again,
    at each match of a pattern, was quadratic (a 4,000-character answer of ``\\text{a}`` took seconds).

    >>> opened = _brace_opener(r"\\sum_{w \\in V} \\{ x")
    >>> opened(7), opened(14), opened(18)
    (True, False, False)
    """
    starts: list[int] = []
    depths: list[int] = []  # the depth after the brace starting at starts[i]
    depth = 0
    for m in re.finditer(r"\\.|[{}]", line):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth = max(depth - 1, 0)
        else:
            continue
        starts.append(m.start())
        depths.append(depth)

    def opened(position: int) -> bool:
        k = bisect.bisect_left(starts, position)  # the braces before `position`
        return k > 0 and depths[k - 1] > 0

    return opened


def _without_prose(text: str) -> str:
    r"""Return `text` with each line cut at its first ``\text{...}`` of words: the prose after the math
    ("\quad \text{where } y \text{ is one-hot}", ", \text{final}") is not the answer.

    >>> _without_prose(r"W^T(\hat y - y) \quad \text{where } y \text{ is one-hot}")
    'W^T(\\hat y - y)'
    >>> _without_prose(r"\text{softmax}(z) - y")
    '\\text{softmax}(z) - y'
    >>> _without_prose(r"\text{hence } W^T(\hat y - y)").strip()
    'W^T(\\hat y - y)'
    """
    if "\\" not in text:
        return text
    return "\n".join(_tail(line, "prose")[0] for line in text.split("\n"))


#: Where a line's math ends: its end, a LaTeX line break, the end of an environment or of the math,
#: after a sentence's period or comma.
_LINE_END = r"(?=[ \t]*(?:[.,;][ \t]*)?(?:\\\\|\\end(?![A-Za-z])|\\\]|\$|$))"
#: "\in \mathbb{R}^d" (or \R^{d}, ℝ^{|V| \times d}) after the answer: its shape, not a factor of it.
#: (Every pattern here starts with a literal and has no nested repetition: linear on any line.)
_SHAPE = re.compile(r"(?:\\in(?![A-Za-z])|\u2208)[ \t]*"
                    r"(?:\\mathbb[ \t]*\{[ \t]*R[ \t]*\}|\\mathbb[ \t]*R(?![A-Za-z])|\\mathbf[ \t]*\{[ \t]*R[ \t]*\}|\\R(?![A-Za-z])"
                    r"|\\Re(?![A-Za-z])|\\reals(?![A-Za-z])|\\mathcal[ \t]*\{[ \t]*R[ \t]*\}|\u211d"
                    r"|R(?:[d]|[ \t]*\|[ \t]*V[ \t]*\|[ \t]*(?:\u00d7|x)[ \t]*d|d[ \t]*(?:\u00d7|x)[ \t]*\|[ \t]*V[ \t]*\|)?"
                    r"(?=[ \t]*(?:\^|[.,;]|$)|[\u00b2\u00b3\u00b9\u1d43-\u1dbf\u2070-\u209c\u02e3]))"
                    r"(?:[\u00b2\u00b3\u00b9\u1d43-\u1dbf\u2070-\u209c\u02e3\u1d40]+|[ \t]*\^[ \t]*(?:\{[^{}\n]{0,80}(?:\{[^{}\n]{0,80}\}[^{}\n]{0,80})*\}|[A-Za-z0-9]|\\[A-Za-z]+))?"
                    + _LINE_END)
#: ", \quad w \neq o", "\quad (w \ne o)", "\qquad \forall w \neq o", ", w = o" after the answer: the condition
#: it holds under, not a part of it (one word index against another: no step of an answer is that).
_CONDITION = re.compile(r"(?:(?P<open>\(|\\left[ \t]*\()[ \t]*)?(?P<all>(?:\\forall(?![A-Za-z])|\u2200)[ \t]*)?"
                        r"(?<![A-Za-z\\])(?P<lhs>[A-Za-z](?:_[ \t]*(?:[A-Za-z0-9]|\{[ \t]*[A-Za-z0-9][ \t]*\}))?)[ \t]*"
                        r"(?:\\neq?(?![A-Za-z])|\u2260|!=|(?P<eq>(?<![<>!])=(?!=)))[ \t]*"
                        r"(?P<rhs>[A-Za-z0-9](?:_[ \t]*(?:[A-Za-z0-9]|\{[ \t]*[A-Za-z0-9][ \t]*\}))?)"
                        r"(?(open)[ \t]*(?:\)|\\right[ \t]*\)))" + _LINE_END)
#: ", \quad k = 1, \ldots, K" after the answer: the negative samples its index runs over (no condition on them;
#: "w = 1, \dots, |V|" is not one: for ∂J/∂u_w, w ≠ o, it would claim the answer for o too).
_RANGE = re.compile(r"(?<![A-Za-z\\])[A-Za-z][ \t]*=[ \t]*1[ \t]*,[ \t]*(?:\\[lc]?dots(?![A-Za-z])|\.\.\.|\u2026)[ \t]*,[ \t]*K"
                    + _LINE_END)
#: "w \in V \setminus \{o\}" (or \mathcal{V} \backslash \{o\}) after the answer: every word but o, the condition w ≠ o.
_EXCEPT_CONDITION = re.compile(r"(?P<open>(?!))?(?P<all>(?:\\forall(?![A-Za-z])|\u2200)[ \t]*)?(?<![A-Za-z\\])(?P<lhs>[A-Za-z])[ \t]*"
                               r"(?:\\in(?![A-Za-z])|\u2208)[ \t]*(?:\\mathcal[ \t]*\{[ \t]*V[ \t]*\}|\\mathcal[ \t]*V|V)[ \t]*"
                               r"(?:\\setminus(?![A-Za-z])|\\backslash(?![A-Za-z])|\\smallsetminus(?![A-Za-z])|\u2216|-)[ \t]*"
                               r"\\\{[ \t]*(?P<rhs>[A-Za-z])[ \t]*\\\}(?P<eq>(?!))?" + _LINE_END)


#: "for all w", "for every w", "\forall w" ending a line, with no condition: the words the line is stated for.
#: The reading drops it (no factor of the math: :func:`_tail`); the judge says whether those are the
#: question's (judge.py, on the line's prose words); a line's end "\\" kept.
FOR_EVERY = re.compile(r"(?:\\forall(?![A-Za-z])|\u2200|(?<![A-Za-z])(?:for|over)[ \t]+(?:all|every|each|any)"
                       r"(?:[ \t]+words?)?)[ \t]*(?P<var>[A-Za-z])(?![A-Za-z0-9_'{\u2032])[ \t.,;)]*"
                       r"(?P<br>\\\\[ \t]*)?$")


def _before(line: str, start: int) -> tuple[str, bool]:
    """Return the line before `start` without the spacing and comma that end it, and whether a comma or a
    space command (\\quad, \\,) was among them."""
    head, spaced = line[:start], False
    while True:
        head = head.rstrip(" \t")
        for command in ("\\qquad", "\\quad", "\\,", "\\;", "\\:", "\\!", "\\ "):
            if head.endswith(command):
                head, spaced = head[:-len(command)], True
                break
        else:
            if head.endswith(",") or head.endswith("&"):  # (an align's column, "... && w = o", spaces as \quad does)
                head, spaced = head[:-1], True
                continue
            return head, spaced


#: A word of prose after the math, written without \text (text copied from a PDF, plain text).
_WORD = re.compile(r"(?<=\S)[ \t]+(?:where|with|for|since|because|given|assuming|when|if|iff|and\s+so|unless|except)[ \t]+\S")
#: What LaTeX writes in prose but means nothing there: a \text{...} group's braces (its words kept), "$", a
#: space (~, \ , \quad...), a letter's font (\mathbf{w}).
_PROSE_MARKUP = re.compile(r"\\(?:text|textrm|textnormal|textit|textbf|mbox)[ \t]*\{([^{}\n]{0,400})\}"
                           r"|\\(?:mathbf|boldsymbol|bm|mathrm|mathit|vec)[ \t]*\{[ \t]*([A-Za-z])[ \t]*\}"
                           r"|\\q?quad(?![A-Za-z])|\\[ ,;:!]|[$~]")
#: One word index related to another, as prose states it: "w = o", "w \neq o" (letters alone: "y = e_o" is none).
_RELATION = re.compile(r"(?<![A-Za-z0-9\\_^'])(?P<lhs>[A-Za-z])[ \t]*(?:\\neq?(?![A-Za-z])|\u2260|!=|(?P<eq>(?<![<>!])=(?!=)))"
                       r"[ \t]*(?P<rhs>[A-Za-z])(?![A-Za-z0-9_^{'\u2032])")

#: ... or in words, at the prose's end: "when w is o", "if $w$ is not $o$" ("k is a sample" is none).
_IS = re.compile(r"(?<![A-Za-z0-9\\_^'])(?P<lhs>[A-Za-z])[ \t]+(?:is[ \t]+not|(?P<eq>is))[ \t]+(?P<rhs>[A-Za-z])"
                 r"(?=[ \t.,;)]*(?:\\\\|$))")


def _prose_condition(prose: str) -> re.Match | None:
    r"""Return the condition that the prose after a line's math states, its first relation of one word index to
    another: ``\text{if } w = o``, ``\text{when $w \ne o$}``, ``\text{if}~w=o``, ``\text{for the true outside word }
    (w = o)`` (as "if w = o" in plain text is); None when there is none.

    >>> _prose_condition(r"\text{if}~w = o.").group("lhs", "rhs")
    ('w', 'o')
    >>> _prose_condition(r"\text{where } y \text{ is one-hot}") is None
    True
    >>> _prose_condition(r"\text{where } y = e_o") is None
    True
    """
    words = prose
    for _ in range(2):  # and the markup inside a \text group: \text{if $w$ is $o$}
        words = _PROSE_MARKUP.sub(lambda m: f" {m.group(1) or m.group(2) or ''} ", words)
    return _RELATION.search(words) or _IS.search(words)


def prose_words(text: str) -> str:
    r"""Return prose without its LaTeX markup: a \text group's words, a bold letter, no "$" or spacing commands.

    >>> prose_words(r"\quad \text{for all } $w$").split()
    ['for', 'all', 'w']
    """
    for _ in range(2):  # and the markup inside a \text group: \text{if $w$ is $o$}
        text = _PROSE_MARKUP.sub(lambda m: f" {m.group(1) or m.group(2) or ''} ", text)
    return text


def _prose_conditions(prose: str) -> list:
    r"""Return every condition the prose after a line's math states, :func:`_prose_condition`'s first
    ("\text{if } w = o \text{ and } w \neq o" states two, which contradict each other); after "unless" or "except"
    a relation is the condition's opposite ("\text{unless } w = o" is w ≠ o).

    >>> [m.group("lhs", "eq", "rhs") for m in _prose_conditions(r"\text{if } w = o \text{ and } w \neq o")]
    [('w', '=', 'o'), ('w', None, 'o')]
    >>> [m.group("lhs", "eq", "rhs") for m in _prose_conditions(r"\text{except when } w = o")]
    [('w', None, 'o')]
    """
    first = _prose_condition(prose)
    if first is None:
        return []
    words = prose
    for _ in range(2):
        words = _PROSE_MARKUP.sub(lambda m: f" {m.group(1) or m.group(2) or ''} ", words)
    found = [first] + [m for m in (*_RELATION.finditer(words), *_IS.finditer(words)) if m.span() != first.span()]
    return [_Negated(m) if _UNLESS.search(words, 0, m.start()) else m for m in found]


#: Words after which a relation states its opposite: "unless w = o", "except when w = o".
_UNLESS = re.compile(r"(?<![A-Za-z])(?:unless|except|excluding)(?![A-Za-z])", re.IGNORECASE)


class _Negated:
    """A condition stated as its opposite ("unless w = o"): the groups of the relation, "=" and "≠" swapped."""

    def __init__(self, m: re.Match) -> None:
        self._m = m

    def group(self, *names: str):
        got = tuple(("=" if not self._m.group("eq") else None) if n == "eq" else self._m.group(n) for n in names)
        return got[0] if len(got) == 1 else got


def _without_words(text: str) -> str:
    """Return `text` with each line cut where a word of prose follows the math: "U(ŷ - y) where ŷ = ..."
    is U(ŷ - y) (no symbol is named "where"; a word inside a group is left alone).

    >>> _without_words("U(ŷ - y) where ŷ = softmax(Uᵀv_c)")
    'U(ŷ - y)'
    """
    return "\n".join(_tail(line, "words")[0] for line in text.split("\n"))


def _without_asides(text: str) -> str:
    r"""Return `text` without what a line's answer may be followed by that is not part of it: its shape
    ("\in \mathbb{R}^d") and the condition it holds under (", \quad w \neq o").

    >>> _without_asides(r"U(\hat y - y) \in \mathbb{R}^{d}")
    'U(\\hat y - y)'
    >>> _without_asides(r"\hat y_w v_c, \quad w \neq o \\ ")
    '\\hat y_w v_c \\\\ '
    >>> _without_asides(r"\hat y_w v_c \quad (w \ne o)")
    '\\hat y_w v_c'
    """
    text = _without_words(text)
    if "\\" not in text and "\u2208" not in text and "\u2260" not in text and "!=" not in text:
        return text
    return "\n".join(_tail(line, "aside")[0] for line in text.split("\n"))


def line_condition(line: str) -> tuple[str, bool, str] | None:
    r"""Return the condition a line's answer is stated under, as (index, whether "=", the other), or None.

    Found where the reading finds it (:func:`_without_prose`, :func:`_without_words`,
    :func:`_without_asides`): in the prose after the math, or after a comma or spacing.

    >>> line_condition(r"\frac{\partial J}{\partial u_w} = (\hat y_w - 1) v_c, \quad w = o \\")
    ('w', True, 'o')
    >>> line_condition(r"\hat y_w v_c \quad \text{if } w \neq o")
    ('w', False, 'o')
    >>> line_condition(r"U(\hat y - y)") is None
    True
    """
    found = line_conditions(line)
    return found[0] if found else None


def line_conditions(line: str) -> tuple[tuple[str, bool, str], ...]:
    r"""Return every condition a line's answer is stated under, as (index, whether "=", the other), in the order
    the reading finds them (:func:`line_condition`'s first); () when there is none.

    >>> line_conditions(r"\hat y_w v_c, \quad w \neq o, \quad w = o")
    (('w', True, 'o'), ('w', False, 'o'))
    >>> line_conditions(r"(\hat y_w - 1) v_c \quad \text{if } w = o \text{ and } w \neq o")
    (('w', True, 'o'), ('w', False, 'o'))
    """
    found: list[tuple[str, bool, str]] = []
    for kind in _TAILS:
        line, conditions = _tail(line, kind)
        found += [(m.group("lhs"), bool(m.group("eq")), m.group("rhs")) for m in conditions]
    return tuple(found)


def without_condition(line: str) -> str:
    r"""Return a line's math without what follows it (prose, its shape, its condition), as the reading cuts it.

    >>> without_condition(r"\hat y_w v_c, \quad w \neq o")
    '\\hat y_w v_c'
    """
    for kind in _TAILS:
        line = _tail(line, kind)[0]
    return line


#: What may follow a line's math, in the order the reading cuts it off (see :func:`_tail`).
_TAILS = ("prose", "words", "aside")


def _tail(line: str, kind: str) -> tuple[str, list[re.Match]]:
    r"""Return `line` without what of `kind` follows its math, and the conditions found in what was cut off.

    The one finder of a line's trailing condition, for the reading (:func:`_without_prose`,
    :func:`_without_words`, :func:`_without_asides`) and for the choice of a case (:func:`line_conditions`):

    - "prose": the first ``\text{...}`` of words after the math (the words of one before the math are blanked,
      columns kept); the rest of the line goes, and a condition in it ("\text{if } w = o") is kept;
    - "words": the first word of prose written without ``\text`` ("where", "for", "if"...), outside a group;
    - "aside": the answer's shape ("\in \mathbb{R}^d"), its index's range (", k = 1, \ldots, K") and a condition after
      a comma or spacing
      (", \quad w \neq o", "(w \ne o)", "\forall w \neq o", "w \in V \setminus \{o\}"), in either order.

    A condition "w = o" is put into the math that is kept (see :func:`_given`), so that it is judged with it.
    The first condition returned is the one put in.
    """
    conditions: list[re.Match] = []
    if kind == "prose":
        at = 0
        opened = _brace_opener(line)  # (blanking the words before the math changes no depth after them)
        while True:
            m = _PROSE.search(line, at)
            if m is None:
                break
            if m.group(1).strip() in _MATH_WORDS or opened(m.start()) or \
                    (len(m.group(1)) == 1 and m.group(1).isalpha()):
                # a function's name, a name inside a group (\sum_{w \in \text{Vocab}}), a letter (\text{U})
                at = m.end()
            elif not _before(line, m.start())[0].strip():  # "\text{Hence } ..." before the math: only the words go
                line = " " * m.end() + line[m.end():]  # (columns of the rest kept)
                at = m.end()
            else:  # after the math: the rest of the line is prose (and a condition in it is judged with it)
                head = _before(line, m.start())[0].rstrip()
                conditions = _prose_conditions(line[m.start():])
                line = _given(head, conditions[0]) if conditions else head
                break
    elif kind == "words":
        opened = _brace_opener(line)
        for m in _WORD.finditer(line):
            if not opened(m.start()):
                # "for w = o", "when w ≠ o": a condition, as after a comma
                conditions = _prose_conditions(line[m.start():])
                line = _given(line[:m.start()], conditions[0]) if conditions else line[:m.start()]
                break
    else:  # "aside"
        for _ in range(2):  # either order: "\in \mathbb{R}^d, \quad w \ne o"
            m = _SHAPE.search(line)
            if m is not None:
                line = _before(line, m.start())[0] + line[m.end():]
            m = _RANGE.search(line)
            if m is not None and _before(line, m.start())[1]:
                line = _before(line, m.start())[0] + line[m.end():]
            for m in (*_CONDITION.finditer(line), *_EXCEPT_CONDITION.finditer(line)):
                head, spaced = _before(line, m.start())
                if m.group("open") or m.group("all") or spaced:
                    conditions.append(m)
                    line = _given(head, m) + line[m.end():]
                    break
        m = FOR_EVERY.search(line)
        if m is not None:  # "\\forall w" alone: for which words the line is said (the judge reads it), no factor
            line = _before(line, m.start())[0] + (" \\\\" if m.group("br") else "")
    return line, conditions


def _given(math: str, condition: re.Match) -> str:
    r"""Return the math of a line under its condition: "w = o" puts o for the index w (``(\hat y_w - 1) v_c,
    \quad w = o`` is ``(\hat y_o - 1) v_c``, so that the condition is judged with the answer); "w \ne o" is what
    an index w of the question already means, or leaves w unbound."""
    lhs, rhs = condition.group("lhs"), condition.group("rhs")
    if not condition.group("eq") or len(lhs) != 1 or len(rhs) != 1 or not rhs.isalpha():
        return math
    # as a subscript (ŷ_w, ŷ_{w}) or an index in brackets (yhat[w], U[:, w])
    return re.sub(r"(_[ \t]*\{?[ \t]*|\[[ \t]*(?::[ \t]*,[ \t]*)?)" + lhs + r"(?![A-Za-z0-9'\u2032])",
                  lambda m: m.group(1) + rhs, math)


#: A quantity's name with what only names it further: a subscript in words (J_{\text{naive-softmax}},
#: J_{neg-sample}) and its arguments (J(v_c, o, U), CE(y, \hat y)), as the handouts write them.
_NAMED = re.compile(r"(?:(?<![A-Za-z\\])[A-Z][A-Za-z]*|\\(?:boldsymbol|mathbf|bm|mathcal|mathit|mathrm)[ \t]*\{[ \t]*[A-Z][ \t]*\})"
                    r"(?P<sub>_\s*\{\s*(?:\\(?:text|textrm|mathrm|rm|operatorname|mathit)\s*\{[^{}\n]{2,40}\}"
                    r"|[A-Za-z]+(?:\s*-\s*[A-Za-z]+)+)\s*\})?"
                    r"(?P<args>\s*\((?=[^()\n]*,)[^()\n]{1,120}\))?")


#: The outside word of one term of a skip-gram window, as a loss's second argument: w_{t+j}, w_{t + j}.
_WINDOW_WORD = re.compile(r"\s*w\s*_\s*\{\s*t\s*\+\s*([A-Za-z])\s*\}\s*")


def _without_arguments(text: str) -> str:
    r"""Return `text` with a quantity's subscript in words and its arguments blanked out (columns kept):
    ``J_{\text{naive-softmax}}(v_c, o, U)`` is J. Neither can be read otherwise (an argument list holds a
    comma, which a product cannot), so nothing readable is dropped.  A loss of one word of a skip-gram
    window, ``J(v_c, w_{t+j}, U)`` (a2's handout asks for the window's gradients in its terms), keeps that
    word as an index: it is ``J_{j}``, the loss of context word j.

    >>> _without_arguments(r"\frac{\partial J(v_c, o, U)}{\partial v_c}")
    '\\frac{\\partial J           }{\\partial v_c}'
    >>> _without_arguments(r"\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}")
    '\\frac{\\partial J_{j}             }{\\partial v_c}'
    """
    if "(" not in text and "_" not in text:
        return text

    def blank(m: re.Match) -> str:
        out = m.group()
        start = len(out)
        for name in ("sub", "args"):
            if m.group(name):
                a, b = m.start(name) - m.start(), m.end(name) - m.start()
                out = out[:a] + " " * (b - a) + out[b:]
                start = min(start, a)
        args = m.group("args")
        parts = args.strip()[1:-1].split(",") if args else []
        word = _WINDOW_WORD.fullmatch(parts[1]) if len(parts) >= 2 else None
        if word:
            index = f"_{{{word.group(1)}}}"
            out = out[:start] + index + out[start + len(index):]
        return out

    return _NAMED.sub(blank, text)


def parse(text: str) -> Document:
    """Parse an answer: one or more chains of ``=``-separated steps.

    Parameters
    ----------
    text : str
        LaTeX (``-w_i + \\sum_x \\hat{y}_x w_x``, an ``align`` body with ``&=`` and ``\\\\``)
        or plain text (``-W[i] + W.T @ yhat``).

    Returns
    -------
    Document

    Raises
    ------
    WrittenError
        With a message naming the token and its position.

    Examples
    --------
    >>> doc = parse(r"W^\\top(\\hat{y} - y)")
    >>> type(doc.chains[0].steps[0].expr).__name__
    'Bin'
    >>> parse("-w_i + (")
    Traceback (most recent call last):
    ...
    grader.written.parse.WrittenError: unbalanced '(' at line 1, column 8: it is never closed (add ')')
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    if len(text) > MAX_CHARS:
        raise WrittenError(f"the answer is {len(text)} characters long; at most {MAX_CHARS} are read")
    text = _normalise(text)
    if not text.strip():
        raise WrittenError("the answer is empty")
    parser = _parser()
    tokens = []
    try:
        for tok in _tokens(text):
            tokens.append(tok)
            if len(tokens) > MAX_TOKENS:
                raise WrittenError(f"the answer has more than {MAX_TOKENS} symbols; at most {MAX_TOKENS} are read")
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        raise WrittenError(f"unexpected character {quote(ch)} at {at(e.line, e.column)}", e.line, e.column) from None
    _check_balance(tokens)
    try:
        tree = parser.parse(text)
    except UnexpectedEOF:
        last = tokens[-1] if tokens else None
        where = f" (after {_shown(last)} at {at(last.line, last.column)})" if last is not None else ""
        raise WrittenError(f"the answer ends too early{where}: something is missing at its end",
                           last.line if last else 0, last.column if last else 0) from None
    except UnexpectedToken as e:
        tok = e.token
        if tok.type == "$END":
            last = tokens[-1] if tokens else None
            where = f" (after {_shown(last)} at {at(last.line, last.column)})" if last is not None else ""
            raise WrittenError(f"the answer ends too early{where}: something is missing at its end",
                               last.line if last else 0, last.column if last else 0) from None
        raise WrittenError(f"unexpected {_shown(tok)} at {at(tok.line, tok.column)}", tok.line, tok.column) from None
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        raise WrittenError(f"unexpected character {quote(ch)} at {at(e.line, e.column)}", e.line, e.column) from None
    except UnexpectedInput as e:  # pragma: no cover - lark's other input errors
        raise WrittenError(f"could not read the answer at {at(e.line, e.column)}", e.line, e.column) from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise WrittenError(f"the expression is nested more than {MAX_DEPTH} deep; write it in steps")
    return _Build(text).document(tree)


@functools.lru_cache(maxsize=512)
def parse_expression(text: str) -> Node:
    """Parse a single expression (a rubric's compact form or a label); raise WrittenError otherwise.

    Cached: the rubric's labels and compact forms are read once per process (trees are immutable).
    """
    doc = parse(text)
    steps = doc.steps()
    if len(steps) != 1:
        raise WrittenError(f"expected one expression, found {len(steps)} steps")
    return steps[0].expr


def _depth(tree) -> int:
    """Return the depth of a lark tree, without recursion."""
    from lark import Tree

    best = 0
    stack = [(tree, 1)]
    while stack:
        t, d = stack.pop()
        best = max(best, d)
        if best > MAX_DEPTH:
            return best
        for c in t.children:
            if isinstance(c, Tree):
                stack.append((c, d + 1))
    return best


# --------------------------------------------------------------------------- lark tree -> Node


_FUNCS = {"exp": "exp", "log": "log", "ln": "log", "sigma": "sigma", "sigmoid": "sigma", "σ": "sigma",
          "softmax": "softmax", "outer": "outer", "dot": "dot", "sum": "sum"}


def _fn_name(token: str) -> str:
    """Return the function a FUNC/FUNCOPEN token names: "\\exp\\left(" -> "exp"."""
    import re

    word = re.search(r"(exp|log|ln|sigmoid|sigma|softmax|outer|dot|sum|σ)", str(token))
    return _FUNCS[word.group(1)] if word else str(token)


class _Build:
    """Turn a lark parse tree into :mod:`tree` nodes (iterative in the chain, recursive in depth <= MAX_DEPTH)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def document(self, tree) -> Document:
        chains = []
        for ch in tree.children:
            if getattr(ch, "data", None) != "chain":
                continue
            steps = []
            for part in ch.children:
                if _is_token(part) and part.type == "EQ":
                    continue
                node = self.node(part)
                start, end = _span(part)
                steps.append(Step(expr=node, line=node.line, column=node.column,
                                  text=" ".join(self.text[start:end].split())))
            chains.append(Chain(steps=tuple(steps)))
        return Document(chains=tuple(chains))

    def index(self, parts: list) -> Node:
        """A subscript's index from what follows its base: ``_x`` (one character) or ``_{`` index ``}``."""
        if len(parts) == 1 and _is_token(parts[0]) and parts[0].type == "SUB1":
            tok = parts[0]
            ch = _sub_char(tok)
            return (Num(tok.line, tok.column + 1, float(ch)) if ch.isdigit()
                    else Sym(tok.line, tok.column + len(str(tok)) - 1, ch))
        return self.node(parts[1] if len(parts) > 1 else parts[0])

    def node(self, t) -> Node:
        if _is_token(t):
            return self.token(t)
        kids = [c for c in t.children]
        line, col = t.meta.line, t.meta.column
        rule = t.data
        if rule == "name":
            return self.token(kids[0])
        if rule == "font_name":  # \mathbf e_o: the font takes one letter, as in LaTeX
            tok = kids[1]
            if len(str(tok)) > 1:
                raise WrittenError(f"{quote(str(kids[0]) + ' ' + str(tok))} at {at(tok.line, tok.column)}: a font without "
                                   f"braces takes one letter only; write {quote(str(kids[0]) + '{' + str(tok) + '}')}",
                                   tok.line, tok.column)
            return self.token(tok)
        if rule == "hat_name":
            letter = unicodedata.normalize("NFD", str(kids[0]))[0]
            return Sym(line, col, letter, hat=True)
        if rule == "hat":
            return Sym(line, col, _hat_letter(kids[-1]), hat=True)
        if rule == "hat_sub":  # \hat{y_x}, as often written for \hat{y}_x: the hat's letter, subscripted
            return Sub(line, col, Sym(line, col, _hat_letter(kids[1]), hat=True), self.index(kids[2:]))
        if rule == "number":
            return Num(line, col, float(str(kids[0])))
        if rule == "group":
            inner = [c for c in kids if not _is_token(c) or c.type not in ("LPAR", "RPAR", "FONT", "LSQG", "RSQB")]
            return self.node(inner[0])
        if rule == "inner":  # ⟨a, b⟩ = aᵀb
            a, b = (self.node(c) for c in kids if not _is_token(c) or c.type not in ("LANGLE", "RANGLE", "COMMA"))
            return Bin(line, col, "juxt", Transpose(line, col, a), b)
        if rule == "frac":
            a, b = (c for c in kids if not _is_token(c) or c.type != "FRAC")
            return Bin(line, col, "frac", self.node(a), self.node(b))
        if rule == "call_power":  # \sigma^2(x): (σ(x))^2
            tok = kids[0]
            found = re.search(r"\^\s*\{?\s*([0-9]+)", str(tok))
            power = float(found.group(1) if found else str(tok).rstrip("( \t").translate(_SUPERSCRIPTS)[-1])
            call = Apply(line, col, _fn_name(tok), (self.node(kids[1]),), parens=True)
            return Power(line, col, call, Num(tok.line, tok.column, power))
        if rule == "call":
            args = tuple(self.node(c) for c in kids
                         if not (_is_token(c) and c.type in ("FUNCOPEN", "FUNCBRACE", "RPAR", "COMMA")))
            if _fn_name(kids[0]) == "dot" and len(args) == 2:  # np.dot(a, b), numpy's matrix product
                return Bin(line, col, "matmul", args[0], args[1])
            return Apply(line, col, _fn_name(kids[0]), args, parens=True)
        if rule == "apply":
            return Apply(line, col, _fn_name(kids[0]), (self.node(kids[1]),), parens=False)
        if rule == "bare_function":  # σ without its argument: no args (what it stands for is the question's)
            return Apply(line, col, _fn_name(kids[0]), (), parens=False)
        if rule == "sigma_prime":
            arg = self.node(kids[1])
            return Derivative(line, col, Apply(line, col, "sigma", (arg,)), arg, prime=True)
        if rule == "cardinality":  # |V|, |\mathcal{V}|
            return Card(line, col, str(next(c for c in kids if _is_token(c) and c.type == "NAME")))
        if rule == "derivative":
            parts = [c for c in kids if not (_is_token(c) and c.type in ("PARTIAL", "DIFF", "SLASH", "FRAC"))]
            return Derivative(line, col, self.node(parts[0]), self.node(parts[1]))
        if rule == "derivative_op":  # \frac{\partial}{\partial v_c} J: the same as ∂J/∂v_c
            wrt, of = (c for c in kids if not (_is_token(c) and c.type in ("PARTIAL", "DIFF", "FRAC")))
            return Derivative(line, col, self.node(of), self.node(wrt))
        if rule == "derivative_of_function":  # \frac{d\sigma}{dx}: the derivative of σ(x)
            fn, wrt = (c for c in kids if not (_is_token(c) and c.type in ("PARTIAL", "DIFF", "FRAC")))
            at_ = self.node(wrt)
            return Derivative(line, col, Apply(fn.line, fn.column, _fn_name(fn), (at_,)), at_)
        if rule == "gradient":  # \nabla_{\hat r} CE: the same as ∂CE/∂r̂
            if len(kids) == 3:
                tok = kids[1]
                ch = _sub_char(tok)
                wrt: Node = Sym(tok.line, tok.column + len(str(tok)) - 1, ch)
                return Derivative(line, col, self.node(kids[2]), wrt)
            return Derivative(line, col, self.node(kids[3]), self.node(kids[2]))
        if rule == "subscript":
            return Sub(line, col, self.node(kids[0]), self.index(kids[1:]))
        if rule == "hat_suffix":
            base = self.node(kids[0])
            if isinstance(base, Sym):
                return Sym(base.line, base.column, base.name, hat=True)
            return base
        if rule == "transpose":
            base = self.node(kids[0])
            prime = str(kids[1]) in ("'", "\u2032")
            if prime and isinstance(base, Apply) and base.fn == "sigma" and len(base.args) <= 1:
                # \sigma(x)': the derivative; σ' alone: of what, the question says (its rubric's bare)
                return Derivative(line, col, base, base.args[0] if base.args else base, prime=True)
            return Transpose(line, col, base, prime=prime)
        if rule == "otimes":  # a ⊗ b: the outer product
            return Apply(line, col, "outer", (self.node(kids[0]), self.node(kids[2])), parens=True)
        if rule == "power":
            base = self.node(kids[0])
            if len(kids) == 2 and kids[1].type == "SUPDIGITS":  # σ(x)²
                tok = kids[1]
                return Power(line, col, base, Num(tok.line, tok.column, float(str(tok).translate(_SUPERSCRIPTS))))
            if len(kids) == 2:
                tok = kids[1]
                ch = str(tok)[-1]
                exp: Node = Num(tok.line, tok.column, float(ch)) if ch.isdigit() else Sym(tok.line, tok.column, ch)
            else:
                exp = self.node(kids[2])
            return Power(line, col, base, exp)
        if rule in ("item", "column"):
            base = self.node(kids[0])
            idx = [c for c in kids[1:] if not (_is_token(c) and c.type in ("LSQB", "RSQB", "COLON", "COMMA"))]
            return Item(line, col, base, self.node(idx[0]), by_column=rule == "column")
        if rule == "dot_call":  # a.dot(b), numpy's matrix product
            return Bin(line, col, "matmul", self.node(kids[0]), self.node(kids[2]))
        if rule == "index_word":  # u_{w_s}: the word w_s, s a sample's index
            inner = kids[-1]
            name = _sub_char(inner) if inner.type == "SUB1" else str(inner)
            column = inner.column + len(str(inner)) - 1 if inner.type == "SUB1" else inner.column
            return Sub(line, col, self.token(kids[0]), Sym(inner.line, column, name))
        if rule == "index_plus":
            return Bin(line, col, "+", self.token(kids[0]), self.token(kids[2]))
        if rule in ("add", "sub"):
            return Bin(line, col, "+" if rule == "add" else "-", self.node(kids[0]), self.node(kids[2]))
        if rule == "neg":
            return Neg(line, col, self.node(kids[1]))
        if rule == "pos":
            return self.node(kids[1])
        if rule in ("juxt", "cdot", "star", "matmul", "div"):
            right = kids[-1]
            return Bin(line, col, rule, self.node(kids[0]), self.node(right))
        if rule == "sum":
            return self.sum(t, line, col)
        raise WrittenError(f"could not read {quote(self.text[t.meta.start_pos:t.meta.end_pos])} at {at(line, col)}",
                           line, col)  # pragma: no cover - a rule without a builder

    def token(self, tok) -> Node:
        s = str(tok)
        if tok.type in ("INT", "NUMBER") or (tok.type == "FRACARG" and s.isdigit()):
            return Num(tok.line, tok.column, float(s))
        if tok.type == "PNAME":
            return Sym(tok.line, tok.column, _primed(s))
        if tok.type == "NAME" and len(s) > 3 and s.endswith("hat"):
            return Sym(tok.line, tok.column, s[:-3], hat=True)
        return Sym(tok.line, tok.column, s)

    def sum(self, t, line: int, col: int) -> Sum:
        bounds = t.children[1]
        body = self.node(t.children[2])
        var, lower, upper, within, excluded = "", None, None, None, None
        after_sup = False
        for b in bounds.children:
            if _is_token(b) and b.type in ("SUB1", "SUP1", "SUBOPEN", "SUPOPEN"):
                if b.type == "SUB1":
                    var = _sub_char(b)
                elif b.type == "SUP1":
                    upper = self.token_char(b)
                after_sup = b.type == "SUPOPEN"
                continue
            if after_sup:
                upper = self.node(b)
            elif b.data == "range_name":
                var = _primed(str(b.children[0]))
            elif b.data == "range_from":
                var, lower = _primed(str(b.children[0])), self.node(b.children[2])
            elif b.data == "range_from_except":  # \sum_{j=-m, j \ne 0}^{m}: the window, the center left out
                kids = b.children
                if str(kids[4]) != str(kids[0]):
                    raise WrittenError(f"the sum at {at(line, col)} runs over {str(kids[0])} but leaves out a value of "
                                       f"{str(kids[4])}: write \\sum_{{{kids[0]}=..., {kids[0]} \\ne ...}}",
                                       kids[4].line, kids[4].column)
                var, lower, excluded = _primed(str(kids[0])), self.node(kids[2]), self.node(kids[6])
            elif b.data == "range_in":
                var, within = _primed(str(b.children[0])), self.node(b.children[2])
            elif b.data == "range_except":  # \sum_{j \ne i}: every word but i
                var, excluded = _primed(str(b.children[0])), self.node(b.children[2])
            elif b.data == "range_between":
                kids = b.children
                lower, var, upper = self.node(kids[0]), str(kids[2]), self.node(kids[4])
                if len(kids) > 5:
                    excluded = self.node(kids[8])
        return Sum(line, col, var, body, lower=lower, upper=upper, within=within, excluded=excluded)

    def token_char(self, tok) -> Node:
        ch = str(tok)[-1]
        return Num(tok.line, tok.column, float(ch)) if ch.isdigit() else Sym(tok.line, tok.column, ch)


#: Unicode subscript letters and digits, and the characters they stand for.
_SUBSCRIPTS = str.maketrans("\u1d62\u2c7c\u2096\u2092\u2093\u2090\u2091\u2095\u2097\u2098\u2099\u209a\u209b\u209c"
                            "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089",
                            "ijkoxaehlmnpst0123456789")


#: Unicode superscript digits and the digits they stand for.
_SUPERSCRIPTS = str.maketrans("\u00b2\u00b3\u00b9\u2070\u2074\u2075\u2076\u2077\u2078\u2079", "2310456789")


def _primed(name: str) -> str:
    """Return an index's name with its primes as "'": "w'", "w^\\prime" and "w′" are all "w'"."""
    return re.sub(r"\s*(?:'|\u2032|\^\s*(?:\\prime(?![A-Za-z])|\{\s*\\prime\s*\}))", "'", name)


def _sub_char(tok) -> str:
    """Return the index of a one-character subscript token: "_i" -> "i", "ᵢ" -> "i"."""
    return str(tok)[-1].translate(_SUBSCRIPTS)


def _hat_letter(body) -> str:
    """The letter under a hat: its body's last token (``\\hat{\\mathbf{y}}`` -> ``y``)."""
    while not _is_token(body):
        body = body.children[-1]
    return str(body)


def _is_token(x) -> bool:
    from lark import Token

    return isinstance(x, Token)


def _span(part) -> tuple[int, int]:
    """Return the start and end offsets of a lark tree or token in the text."""
    if _is_token(part):
        return part.start_pos, part.end_pos
    return part.meta.start_pos, part.meta.end_pos
