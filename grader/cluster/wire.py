"""What crosses between the TA's machine and a cluster worker: plain data only.

A submission goes to a worker, and its result comes back, as JSON text in which each
of ``grader.model``'s frozen dataclasses is an object tagged with its class name
(``{"__grader__": "Value", "kind": ..., ...}``), a tuple is ``{"__tuple__": [...]}``, a
mapping ``{"__dict__": [[key, value], ...]}`` and a numpy scalar
``{"__numpy__": "<f8", "value": ...}``.  Decoding builds only the dataclasses of
``grader.model`` (and numpy scalars of the numeric kinds); any other object is refused.
No object of the student's, nor any pickled class of ours, travels: Dask sends one
string per task each way, as it is, without walking a structure.

The encoding is complete (every field, every tuple kept a tuple), so that a result
decoded on the TA's machine renders exactly as it would have where it was decided:
``result.json`` alone would not do, as it leaves out what each call printed.

Decoding is done by the JSON parser's ``object_hook``, bottom up, as each object is
parsed: no second walk of the tree in Python (the TA's machine decodes every result of
the batch).  A mapping's entries travel as pairs, so that no key of a mapping (a
student's, say ``"__tuple__"``) can be taken for a tag.

>>> from grader.model import Submission, SourceFile
>>> sub = Submission("alice", "alice.py", "module", files=(SourceFile("q.py", "x = 1\\n", "q.py"),))
>>> loads(dumps(sub)) == sub
True
>>> decode(encode((1, [2.5, None], {"__tuple__": "a key, not a tag"})))
(1, [2.5, None], {'__tuple__': 'a key, not a tag'})
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Sequence

import numpy as np

from .. import model

_TAG = "__grader__"
_TUPLE = "__tuple__"
_DICT = "__dict__"
_NUMPY = "__numpy__"
#: numpy scalar kinds that may come back (bool, signed and unsigned integers, floats).
_KINDS = "biuf"
_PLAIN = (str, int, float, bool, type(None))


def _classes() -> dict[str, type]:
    return {name: obj for name, obj in vars(model).items()
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == model.__name__}


_CLASSES = _classes()
#: Each model class's field names, in order (``dataclasses.fields`` is slow to call per object).
_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _CLASSES.values()}
_KNOWN = {name: frozenset(_FIELDS[cls]) | {_TAG} for name, cls in _CLASSES.items()}


class WireError(ValueError):
    """Data that is not a valid encoding (a bug, or a worker of another grader version)."""


def encode(obj: Any) -> Any:
    """Return ``obj`` (a model dataclass, or plain values holding some) as a tree of JSON values."""
    t = type(obj)
    if t in _PLAIN:
        return obj
    if t is tuple:
        return {_TUPLE: [v if type(v) in _PLAIN else encode(v) for v in obj]}
    if t is list:
        return [v if type(v) in _PLAIN else encode(v) for v in obj]
    names = _FIELDS.get(t)
    if names is not None and _CLASSES.get(t.__name__) is t:
        d = {_TAG: t.__name__}
        for name in names:
            v = getattr(obj, name)
            d[name] = v if type(v) in _PLAIN else encode(v)
        return d
    if isinstance(obj, dict) or (hasattr(obj, "keys") and hasattr(obj, "items")):
        pairs = []
        for k, v in obj.items():
            if type(k) is not str:
                raise WireError(f"a mapping key of type {type(k).__name__} cannot be sent")
            pairs.append([k, v if type(v) in _PLAIN else encode(v)])
        return {_DICT: pairs}
    if isinstance(obj, np.generic) and obj.dtype.kind in _KINDS:
        return {_NUMPY: obj.dtype.str, "value": obj.item()}
    raise WireError(f"a {t.__module__}.{t.__name__} cannot be sent to or from a worker")


def _object(d: dict) -> Any:
    """Rebuild one tagged JSON object (its values are rebuilt already); refuse any other."""
    if len(d) == 1:
        if _TUPLE in d:
            v = d[_TUPLE]
            if type(v) is list:
                return tuple(v)
        elif _DICT in d:
            pairs = d[_DICT]
            if type(pairs) is list and all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in pairs):
                return dict(pairs)
    tag = d.get(_TAG)
    if tag is not None:
        cls = _CLASSES.get(tag) if type(tag) is str else None
        if cls is None:
            raise WireError(f"unknown class {tag!r} (a worker of another grader version?)")
        if not d.keys() <= _KNOWN[tag]:
            raise WireError(f"{tag} has unknown fields {sorted(d.keys() - _KNOWN[tag])} "
                            "(a worker of another grader version?)")
        del d[_TAG]
        try:
            return cls(**d)
        except TypeError as e:  # a required field missing
            raise WireError(f"{tag}: {e}") from None
    if _NUMPY in d and len(d) == 2 and "value" in d:
        try:
            dtype = np.dtype(d[_NUMPY])
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in _KINDS:
            raise WireError(f"numpy dtype {d[_NUMPY]!r} cannot be sent")
        return dtype.type(d["value"])
    raise WireError(f"an object without a known tag (keys {sorted(d)[:5]})")


def task_items(subs: Sequence[model.Submission], partials: Sequence[Any] | None = None) -> list:
    """A task's payload before encoding: each submission, or, for a partial regrade, (submission, questions, previous).

    ``partials`` are :class:`grader.pipeline.Partial` (or None, for a submission graded
    whole): the questions to grade again (sorted) and the earlier result (every field:
    the worker takes the other questions' verdicts from it).
    """
    if partials is None:
        return list(subs)
    if len(partials) != len(subs):
        raise ValueError(f"{len(partials)} partials for {len(subs)} submissions")
    return [s if p is None else (s, tuple(sorted(p.questions)), p.previous) for s, p in zip(subs, partials)]


def read_task(items: Any) -> list[tuple[model.Submission, frozenset[str] | None, model.SubmissionResult | None]]:
    """The decoded payload of a task as (submission, questions to grade again or None, earlier result or None)."""
    if type(items) is not list:
        raise WireError("a task's payload is not a list")
    out = []
    for item in items:
        if isinstance(item, model.Submission):
            out.append((item, None, None))
        elif (type(item) is tuple and len(item) == 3 and isinstance(item[0], model.Submission)
              and type(item[1]) is tuple and all(type(q) is str for q in item[1])
              and isinstance(item[2], model.SubmissionResult)):
            out.append((item[0], frozenset(item[1]), item[2]))
        else:
            raise WireError("a task's payload holds something other than submissions and their partial regrades")
    return out


def decode(data: Any) -> Any:
    """Rebuild what :func:`encode` made (a tree of JSON values); raise :class:`WireError` on anything else."""
    return loads(json.dumps(data))


def dumps(obj: Any) -> str:
    """Return ``obj`` encoded (:func:`encode`) as JSON text; NaN and infinities kept as JSON's extensions."""
    return json.dumps(encode(obj), ensure_ascii=False, check_circular=False)


def loads(text: str) -> Any:
    """Rebuild what :func:`dumps` made; raise :class:`WireError` on anything else."""
    if not isinstance(text, str):
        raise WireError(f"a {type(text).__name__} instead of text")
    try:
        return json.loads(text, object_hook=_object)
    except WireError:
        raise
    except (ValueError, RecursionError) as e:
        raise WireError(f"not JSON ({e})") from None
