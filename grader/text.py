"""Student text made safe: encodable where it enters the grader, visible escapes where it is shown.

Two steps, each done in one place:

- **At entry** (:func:`encodable`, :func:`encodable_tree`): every string that comes from a
  submission -- file and folder names, zip members, notebook fields, Canvas names, and
  everything the sandbox sends back (messages, tracebacks, printed output) -- has its lone
  surrogates replaced by visible text: an undecodable byte that ``os.fsdecode`` kept as
  ``U+DC80..U+DCFF`` becomes ``\\xNN``, any other lone surrogate ``\\udXXX``.  After that,
  every writer (HTML, JSON, CSV, XML, SQLite, a terminal) can encode every string as UTF-8.
  :func:`grader.load.load_batch` applies it to each Submission it builds, and
  :meth:`grader.sandbox.Sandbox.run` to each RunReport.
- **On display** (:func:`line`, :func:`block`): characters that change how text looks or
  where it goes -- C0 and C1 controls (ANSI escape sequences start with one), DEL, Unicode
  format characters (bidi controls and isolates, zero-width characters, the BOM, the Arabic
  letter mark, tag characters U+E0000..U+E007F, ...), line and paragraph separators and lone
  surrogates -- are shown as escapes (``\\x1b``, ``\\u202e``, ``\\U000e0041``).  A one-line
  field (a message, a name, an id) also shows its newlines and tabs escaped (``\\n``), so it
  stays one line and cannot print a fake verdict under it; a multi-line field (a traceback,
  printed output) keeps ``\\n`` and ``\\t``.  The terminal, the HTML reports (jinja2's
  ``finalize``) and the exports all use these two functions.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")

#: Every character shown as an escape: Cc (C0, DEL, C1), Cf (format: soft hyphen, Arabic
#: number signs and letter mark, Syriac abbreviation mark, Mongolian vowel separator,
#: zero-width space/joiners, LRM/RLM, bidi embeddings/overrides/isolates, invisible
#: operators, BOM, interlinear annotations, and the Cf of the supplementary planes), Zl/Zp
#: (U+2028, U+2029), lone surrogates (Cs) and the whole tag block U+E0000..U+E007F.
#: tests/test_text.py checks it against :mod:`unicodedata` for every code point.
_SHOWN = (
    "\x00-\x1f\x7f-\x9f\xad"
    "\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f"
)
_ONE_LINE = re.compile(f"[{_SHOWN}]")
_MULTI_LINE = re.compile(f"(?![\n\t])[{_SHOWN}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def encodable(text: str) -> str:
    r"""Return ``text`` with every lone surrogate replaced by visible text, so UTF-8 can encode it.

    ``U+DC80..U+DCFF`` (an undecodable byte kept by ``os.fsdecode``'s surrogateescape)
    becomes ``\xNN``; any other lone surrogate becomes ``\udXXX``.  Other text is returned
    as it is (the same object).

    >>> encodable("caf\udce9.py"), encodable("a\ud800b"), encodable("plain")
    ('caf\\xe9.py', 'a\\ud800b', 'plain')
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_surrogate_escape, text)


def _surrogate_escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"


def encodable_tree(obj: Any) -> Any:
    """Return ``obj`` with :func:`encodable` applied to every string inside it.

    Walks frozen dataclasses, tuples, lists and dicts (keys too); anything else (numbers,
    numpy arrays, None) is kept.  An object in which nothing changed is returned as it is.
    """
    t = type(obj)
    if t is str:
        return obj if obj.isascii() else encodable(obj)
    if t in _KEPT:
        return obj
    if isinstance(obj, str):
        return encodable(obj)
    if isinstance(obj, (tuple, list)):
        new = [encodable_tree(x) for x in obj]
        if all(a is b for a, b in zip(new, obj)):
            return obj
        return type(obj)(new) if isinstance(obj, list) or type(obj) is tuple else type(obj)(*new)
    if isinstance(obj, dict):
        items = [(encodable_tree(k), encodable_tree(v)) for k, v in obj.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(items, obj.items())):
            return obj
        return dict(items)
    names = _FIELDS.get(t)
    if names is None:
        names = tuple(f.name for f in fields(obj) if f.init) if is_dataclass(obj) and not isinstance(obj, type) else ()
        _FIELDS[t] = names
    if not names:
        return obj
    changes = {}
    for name in names:
        value = getattr(obj, name)
        new = encodable_tree(value)
        if new is not value:
            changes[name] = new
    return replace(obj, **changes) if changes else obj


#: Types :func:`encodable_tree` keeps as they are without a look inside (exactly these types).
_KEPT: set = {int, float, bool, complex, bytes, type(None)}
#: Per class: the names of its dataclass fields that __init__ takes ((): not a dataclass instance).
_FIELDS: dict[type, tuple[str, ...]] = {}


def line(text: Any) -> str:
    r"""Return ``text`` for a one-line field: every control and format character shown as an escape.

    Newlines and tabs too: the result is always one line.

    >>> line("bad\nEvery check passed.\x1b[2J\u202e")
    'bad\\nEvery check passed.\\x1b[2J\\u202e'
    """
    text = encodable(str(text))
    return _ONE_LINE.sub(_escape, text) if not text.isprintable() else text


def block(text: Any) -> str:
    r"""Return ``text`` for a multi-line field: like :func:`line`, but ``\n`` and ``\t`` are kept.

    A carriage return is escaped (it would let a line overwrite itself in a terminal).

    >>> block("Traceback\n\tline 3\r\u2028x\U000e0041")
    'Traceback\n\tline 3\\r\\u2028x\\U000e0041'
    """
    text = encodable(str(text))
    return _MULTI_LINE.sub(_escape, text) if not text.isprintable() else text


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    c = ord(ch)
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def said_in(line_message: str, message: str) -> bool:
    """Whether a written answer's line message is already said by its check's message.

    A one-line answer's verdict is the check's: "Could not read your answer: unbalanced '{' ..."
    above the table need not be followed by "could not be read: unbalanced '{' ..." in it.

    >>> said_in("does not equal X: on instance 1, X is [1], this line gives [2]",
    ...         "Wrong (written.tex): your answer does not equal X: on instance 1, X is [1], your answer gives [2].")
    True
    >>> said_in("unbalanced '{' at line 1", "Wrong: line 2 does not follow from line 1.")
    False
    """
    if not line_message or not message:
        return False
    said = " ".join(message.split()).casefold()
    line = " ".join(line_message.split()).casefold().rstrip(".")
    return line in said or line.replace("this line", "your answer") in said
