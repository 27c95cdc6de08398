"""Find the answer to each written question in a submission's prose: written.md, written.tex, notebook Markdown cells.

A section belongs to question ``grad_pred`` when its heading names it (Markdown ``## grad_pred``
or ``## written/grad_pred: ∂CE/∂r̂``, LaTeX ``\\section*{grad\\_pred}`` at any level, starred or not,
the id in ``\\texttt`` or not) or an HTML comment
marks it (``<!-- grad_pred -->``).  The section runs to the next heading.  Its answer is the
math in it -- ``$$ ... $$``, ``\\[ ... \\]``, an ``align`` or ``equation`` environment, a fenced
code block, or ``$ ... $`` -- the blocks joined line by line (in LaTeX display math, a line ends at ``\\\\`` only); a section without any of these
is read whole.  Inline math is the answer only in a section without display math, and then
without the fragments that only name or define a symbol (``$\\hat y$``, ``$\\hat y = softmax(z)$``,
``$W \\in R^{V \\times d}$``): those are the prose around the answer.  Everything here is text handling in the grader's process, bounded by
:data:`MAX_FILE_CHARS`; nothing is run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ..model import TextFile

#: Most characters of one prose file (or one notebook's Markdown) that are looked at.
MAX_FILE_CHARS = 256 * 1024

#: Most characters of one section that are searched for math (an answer is at most 4,000).
MAX_SECTION_CHARS = 8 * 1024

# Every pattern is linear in the text: no lazy group is followed by an unbounded repeat that
# could match the same characters (a heading of 20,000 spaces, "<!--" without "-->").
_MD_HEADING = re.compile(r"^[ ]{0,3}#{1,6}[ \t]+([^\n]*)$", re.M)
# Any sectioning level, starred or not, with an optional short title; the title may hold one level
# of braces (\texttt{grad\_pred}).
_TEX_HEADING = re.compile(r"\\(?:part|chapter|(?:sub){0,2}section|(?:sub)?paragraph)\*?[ \t]*(?:\[[^\]\n]{0,200}\])?"
                          r"[ \t]*\{((?:[^{}\n]|\{[^{}\n]{0,200}\}){0,200})\}")
#: LaTeX (and Markdown) markup around a question id in a heading: "\texttt{grad\_pred}", "grad\_pred".
_HEADING_MARKUP = re.compile(r"\\[A-Za-z]+\*?|[{}]")
_MARKER = re.compile(r"<!--([^<>\n]{0,200}?)-->")
# Hats, fonts and braces, left out when telling whether inline math only names a symbol.
_DECORATION = re.compile(r"\\(?:hat|widehat|mathbf|boldsymbol|bm|vec|mathrm|mathit)(?![A-Za-z])|[{}]")
# A lone symbol, as prose names one ("y", "y_i", "v_c", "u_w_s", "|V|", "\sigma", "r̂"), every pattern without
# two ways to match the same text (the fragment is student text).
_SYMBOL = r"(?:\\[A-Za-z]+|[A-Za-z\u0370-\u03ff]+\u0302?|\u0177|\|[A-Za-z]\|)(?:_(?:[A-Za-z0-9]+|\\[A-Za-z]+))*"
#: Inline math that only names or defines a symbol ("$\hat y$", "$\hat y = softmax(z)$", "$W \in R^{V \times d}$",
#: "$\sigma(x) = 1 / (1 + e^{-x})$"): prose around an answer, not the answer.
_NAMES_A_SYMBOL = re.compile(
    rf"{_SYMBOL}(?:\^[A-Za-z0-9]+)?(?:\s*\(\s*{_SYMBOL}\s*\))?"
    r"(?:\s*(?::=|=|\\in(?![A-Za-z])|\u2208|\\sim(?![A-Za-z])|\\coloneqq(?![A-Za-z])).*)?", re.S)
_MATH = re.compile(
    r"\$\$(?P<dd>.{1,4000}?)\$\$"
    r"|\\\[(?P<br>.{1,4000}?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>align\*?|aligned|equation\*?|eqnarray\*?|gather\*?|multline\*?)\}.{1,4000}?\\end\{(?P=name)\})"
    r"|^[ ]{0,3}```[^\n]{0,40}\n(?P<fence>.{0,4000}?)^[ ]{0,3}```"
    r"|(?<![\\$])\$(?P<d>[^$\n]{1,1000}?)\$",
    re.S | re.M)


@dataclass(frozen=True)
class Answer:
    """The answer found for one question, and where."""

    question: str
    text: str
    where: str  #: "written.md", "written.tex", "hw1.ipynb, cell #4"
    also: tuple[str, ...] = ()  #: other places that answer it too (not graded), in the order looked at
    line: int = 0  #: the line of its file where its section starts (said where the file answers it twice)


def _names(heading: str, qid: str) -> bool:
    """Return whether a heading names question `qid` (as a whole word, with or without "written/"), its
    underscores escaped or not, in \\texttt or not.

    >>> _names(r"\\texttt{written/grad\\_pred}: the gradient", "grad_pred"), _names("grad_predict", "grad_pred")
    (True, False)
    """
    heading = _HEADING_MARKUP.sub("", heading.replace("\\_", "_"))
    return re.search(rf"(?<![A-Za-z0-9_/])(?:written/)?{re.escape(qid)}(?![A-Za-z0-9_])", heading) is not None


def extract_math(body: str) -> str:
    """Return the math of a section: its math blocks joined by newlines, or the whole body when it has none.

    >>> extract_math("My answer:\\n$$ -w_i + \\\\sum_x \\\\hat{y}_x w_x $$\\n")
    '-w_i + \\\\sum_x \\\\hat{y}_x w_x'
    >>> extract_math("W^T(yhat - y)")
    'W^T(yhat - y)'
    >>> extract_math("where $y$ is the target:\\n$$ W^T(yhat - y) $$")
    'W^T(yhat - y)'
    >>> extract_math("The gradient is $W^T(\\\\hat{y} - y)$, where $\\\\hat y = softmax(z)$ and $y$ is one-hot.")
    'W^T(\\\\hat{y} - y)'
    """
    display, inline = [], []
    for m in _MATH.finditer(body):
        if m.group("d") is not None:
            inline.append(m.group("d").strip())
        else:
            if m.group("fence") is not None:
                display.append(m.group("fence").strip())
            else:  # LaTeX display math: a line ends at "\\" only; a line break is a space there
                display.append(_latex_lines(next(g for g in (m.group("dd"), m.group("br"), m.group("env"))
                                                 if g is not None)).strip())
    # Display math is the answer; "$...$" in the prose around it only names things.  Without display
    # math, the inline math is the answer, less the fragments that only name or define a symbol
    # ("where $\hat y$ is the softmax output"), unless that is all there is.
    if not display:
        inline = [m for m in inline if not _NAMES_A_SYMBOL.fullmatch(_DECORATION.sub("", m).strip())] or inline
    if display or inline:
        return "\n".join(display or inline)
    return "\n".join(line for line in body.strip().splitlines() if line.strip())


def _latex_lines(math: str) -> str:
    r"""Return display math with its lines as LaTeX reads them: a line break in the source is a space, and
    only ``\\`` ends a line (a long equation broken across source lines is one step).

    >>> _latex_lines("\\frac{a}{b} = -u_o +\n\\sum_w y_w\n")
    '\\frac{a}{b} = -u_o + \\sum_w y_w '
    >>> _latex_lines("a &= b \\\\\n&= c")
    'a &= b \\\\\n&= c'
    """
    out = []
    for line in math.split("\n"):
        out.append(line)
        out.append("\n" if line.rstrip().endswith("\\\\") else " ")
    return "".join(out[:-1])


#: A LaTeX comment: from an unescaped ``%`` to the end of its line.
_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
#: The line opening (or closing) a Markdown code fence.
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})", re.M)


def _fenced(text: str) -> list[tuple[int, int]]:
    """Return the spans of a Markdown text's fenced code blocks, as CommonMark reads them.

    A fence closes on a line opening with at least as many of its characters; one never
    closed runs to the end of the text.

    >>> _fenced("a\\n```python\\n# not a heading\\n```\\n## grad_pred\\n")
    [(2, 31)]
    """
    spans: list[tuple[int, int]] = []
    opening: re.Match[str] | None = None
    for m in _FENCE.finditer(text):
        if opening is None:
            opening = m
        elif m.group(1)[0] == opening.group(1)[0] and len(m.group(1)) >= len(opening.group(1)):
            spans.append((opening.start(), m.end()))
            opening = None
    if opening is not None:
        spans.append((opening.start(), len(text)))
    return spans


def _cut(text: str, opening: str, closing: str, *, only_multiline: bool = False) -> str:
    """Return `text` without what runs from each `opening` to the next `closing` (to the end when none
    follows); with `only_multiline`, a run on one line stays.  Linear in the text.

    >>> bs = chr(92)
    >>> _cut(f"a {bs}iffalse b {bs}fix {bs}fi c", f"{bs}iffalse", f"{bs}fi")
    'a  c'
    >>> _cut("<!-- grad_pred -->x<!--" + chr(10) + "old" + chr(10) + "-->y", "<!--", "-->", only_multiline=True)
    '<!-- grad_pred -->xy'
    """
    out, at = [], 0
    while True:
        i = text.find(opening, at)
        if i < 0:
            break
        j = text.find(closing, i + len(opening))
        while j >= 0 and closing[-1].isalpha() and text[j + len(closing):j + len(closing) + 1].isalpha():
            j = text.find(closing, j + 1)  # "\\fi", not the start of "\\fix"
        end = len(text) if j < 0 else j + len(closing)
        if only_multiline and "\n" not in text[i:end]:
            out.append(text[at:end])
        else:
            out.append(text[at:i])
        at = end
    out.append(text[at:])
    return "".join(out)


def _sections(text: str, latex: bool) -> list[tuple[str, int, int]]:
    """Return (heading text, body start, body end) of every section of a document.

    A Markdown heading or marker inside a fenced code block (``# a comment`` of Python) is code, not a heading.
    """
    marks = [(m.group(1).strip(" \t#"), m.start(), m.end())
             for m in (_TEX_HEADING if latex else _MD_HEADING).finditer(text)]
    marks += [(m.group(1).strip(), m.start(), m.end()) for m in _MARKER.finditer(text)]
    if not latex:
        fences = _fenced(text)
        if fences:
            marks = [t for t in marks if not any(a <= t[1] < b for a, b in fences)]
    marks.sort(key=lambda t: t[1])
    out = []
    for n, (head, start, end) in enumerate(marks):
        stop = marks[n + 1][1] if n + 1 < len(marks) else len(text)
        out.append((head, end, stop))
    return out


def find(texts: Iterable[TextFile], ids: Sequence[str]) -> dict[str, Answer]:
    """Return the answer to each question of `ids` that the submission's prose holds (the first one found).

    Parameters
    ----------
    texts : iterable of TextFile
        ``Submission.texts``: prose files and notebooks' Markdown cells.
    ids : sequence of str
        Written question ids ("grad_pred").

    Returns
    -------
    dict
        Question id -> Answer, the first found (a file named ``written.*`` looked at first); the
        other places answering it are in its ``also``.  Questions without an answer are left out.
    """
    found: dict[str, Answer] = {}
    # A file named written.* (a Canvas download's "..._written-1.tex" too) is read first: the one the
    # handout asks for, before notes or scratch files; then the others in the order of their paths.
    texts = sorted(texts, key=lambda tf: "written" not in tf.path.rsplit("/", 1)[-1].lower())
    for tf in texts:
        text = tf.text[:MAX_FILE_CHARS]
        latex = tf.path.lower().endswith(".tex")
        if latex:  # a commented-out attempt is not an answer
            text = _TEX_COMMENT.sub("", text)
            text = _cut(_cut(text, "\\begin{comment}", "\\end{comment}"), "\\iffalse", "\\fi")
        else:  # nor is one in an HTML comment over several lines (a one-line one may be a <!-- grad_pred --> marker)
            text = _cut(text, "<!--", "-->", only_multiline=True)
        for head, start, stop in _sections(text, latex):
            for qid in ids:
                if not _names(head, qid):
                    continue
                math = extract_math(text[start:min(stop, start + MAX_SECTION_CHARS)])
                if not math.strip():
                    continue
                where = _where(tf, start)
                line = text.count("\n", 0, start) + 1
                if qid not in found:
                    found[qid] = Answer(question=qid, text=math, where=where, line=line)
                elif where == found[qid].where and not tf.cells:  # a second section of the same file
                    also = f"{where}, line {line}"
                    if also not in found[qid].also:
                        found[qid] = replace(found[qid], also=found[qid].also + (also,))
                elif where != found[qid].where and where not in found[qid].also:
                    found[qid] = replace(found[qid], also=found[qid].also + (where,))
    return found


def _where(tf: TextFile, offset: int) -> str:
    """Return where an answer is: the file, or the notebook cell holding `offset`."""
    if not tf.cells:
        return tf.origin
    label = tf.cells[0][1]
    for start, name in tf.cells:
        if start > offset:
            break
        label = name
    return f"{tf.origin}, {label}"
