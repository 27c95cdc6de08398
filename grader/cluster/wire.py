"""What crosses between the TA's machine and a cluster worker: plain data only.

A submission goes to a worker, and its result comes back, as trees of ``str``, ``int``,
``float``, ``bool``, ``None``, lists and dicts, in which each of ``grader.model``'s
frozen dataclasses is a dict tagged with its class name.  Decoding builds only the
dataclasses of ``grader.model`` (and numpy scalars of the numeric kinds); anything
else is refused.  No object of the student's, nor any pickled class of ours, travels:
Dask pickles these trees of built-in values, nothing more.

The encoding is complete (every field, every tuple kept a tuple), so that a result
decoded on the TA's machine renders exactly as it would have where it was decided:
``result.json`` alone would not do, as it leaves out what each call printed.

>>> from grader.model import Submission, SourceFile
>>> sub = Submission("alice", "alice.py", "module", files=(SourceFile("q.py", "x = 1\\n", "q.py"),))
>>> decode(encode(sub)) == sub
True
>>> loads(dumps(sub)) == sub
True

What travels is the JSON text of that tree (:func:`dumps`, :func:`loads`): one string per
task each way, which Dask sends as it is, without walking a structure.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from .. import model

_TAG = "__grader__"
_TUPLE = "__tuple__"
_NUMPY = "__numpy__"
#: numpy scalar kinds that may come back (bool, signed and unsigned integers, floats).
_KINDS = "biuf"


def _classes() -> dict[str, type]:
    return {name: obj for name, obj in vars(model).items()
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == model.__name__}


_CLASSES = _classes()


class WireError(ValueError):
    """Data that is not a valid encoding (a bug, or a worker of another grader version)."""


def encode(obj: Any) -> Any:
    """Return ``obj`` (a model dataclass, or plain values holding some) as plain data."""
    t = type(obj)
    if obj is None or t in (str, int, float, bool, bytes):
        return obj
    if t is tuple:
        return {_TUPLE: [encode(v) for v in obj]}
    if t is list:
        return [encode(v) for v in obj]
    if isinstance(obj, dict) or (hasattr(obj, "keys") and hasattr(obj, "items")):
        items = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise WireError(f"a mapping key of type {type(k).__name__} cannot be sent")
            items[k] = encode(v)
        return {"__dict__": items}
    if t.__name__ in _CLASSES and _CLASSES[t.__name__] is t:
        return {_TAG: t.__name__, "fields": {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, np.generic) and obj.dtype.kind in _KINDS:
        return {_NUMPY: obj.dtype.str, "value": obj.item()}
    raise WireError(f"a {t.__module__}.{t.__name__} cannot be sent to or from a worker")


def decode(data: Any) -> Any:
    """Rebuild what :func:`encode` made; raise :class:`WireError` on anything else."""
    t = type(data)
    if data is None or t in (str, int, float, bool, bytes):
        return data
    if t is list:
        return [decode(v) for v in data]
    if t is not dict:
        raise WireError(f"unexpected {t.__name__} in the data")
    if _TUPLE in data:
        return tuple(decode(v) for v in data[_TUPLE])
    if "__dict__" in data:
        return {str(k): decode(v) for k, v in data["__dict__"].items()}
    if _TAG in data:
        cls = _CLASSES.get(data[_TAG])
        if cls is None:
            raise WireError(f"unknown class {data[_TAG]!r} (a worker of another grader version?)")
        fields = data.get("fields")
        if type(fields) is not dict:
            raise WireError(f"{data[_TAG]} without fields")
        known = {f.name for f in dataclasses.fields(cls)}
        if set(fields) - known:
            raise WireError(f"{data[_TAG]} has unknown fields {sorted(set(fields) - known)} "
                            "(a worker of another grader version?)")
        return cls(**{k: decode(v) for k, v in fields.items()})
    if _NUMPY in data:
        dtype = np.dtype(data[_NUMPY])
        if dtype.kind not in _KINDS:
            raise WireError(f"numpy dtype {dtype} cannot be sent")
        return dtype.type(data["value"])
    raise WireError("a dict without a known tag")


def dumps(obj: Any) -> str:
    """Return ``obj`` encoded (:func:`encode`) as JSON text; NaN and infinities kept as JSON's extensions."""
    return json.dumps(encode(obj), ensure_ascii=False)  # key order kept: mappings render in order


def loads(text: str) -> Any:
    """Rebuild what :func:`dumps` made; raise :class:`WireError` on anything else."""
    if not isinstance(text, str):
        raise WireError(f"a {type(text).__name__} instead of text")
    try:
        data = json.loads(text)
    except ValueError as e:
        raise WireError(f"not JSON ({e})") from None
    return decode(data)
