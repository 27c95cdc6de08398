"""Exact shares of matched code for the candidate pairs, the regions to highlight, and the ranking.

For a pair (a, b), the fingerprints both hold (starter and common code taken out) mark the
matched code of each side: every run of filtered characters covered by shared k-grams
(copydetect's ``get_copied_slices``).  A side's *share* is its matched characters over its
code that counts (its :attr:`~grader.similarity.index.DocPrints.coverage`): how much of
what this student wrote is also in the other.  A pair of submissions is ranked by the larger
of its two shares (a short piece copied into a long file is a lead for the short side); a
submission and an --against source by the submission's share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .fingerprint import covered, spans, to_text
from .index import Index


@dataclass(frozen=True)
class Side:
    """One side of a pair: a document, how much of it matched, and where."""

    doc: int  #: document number in the batch
    share: float  #: matched code over the code that counts, 0..1
    matched: int  #: matched filtered characters (tokens, roughly)
    regions: tuple[tuple[int, tuple[tuple[int, int], ...]], ...] = ()  #: (file number, ((start, end), ...)) in the text


@dataclass(frozen=True)
class Pair:
    """Two documents that share code: a lead for a person to review."""

    a: Side  #: always a submission
    b: Side  #: a submission, or an --against source
    kind: Literal["submission", "source"]  #: what b is
    share: float  #: the share the pair is ranked by


def _matched(index: Index, doc: int, shared: np.ndarray, regions: bool) -> Side:
    """Return the side of `doc` in a pair sharing the fingerprints `shared`."""
    total = 0
    where = []
    for fi, f in enumerate(index.docs[doc].files):
        m = np.isin(f.hashes, shared)
        if not m.any():
            continue
        pos = f.positions[m]
        total += covered(pos)
        if regions:
            s = to_text(spans(pos), f.offsets)
            where.append((fi, tuple((int(a), int(b)) for a, b in zip(s[0], s[1]))))
    cov = index.docs[doc].coverage
    return Side(doc=doc, share=min(1.0, total / cov) if cov else 0.0, matched=total, regions=tuple(where))


def compare(index: Index, a: int, b: int, *, regions: bool = False) -> Pair:
    """Return the exact pair of documents `a` (a submission) and `b`, optionally with the regions to highlight."""
    shared = np.intersect1d(index.docs[a].kept, index.docs[b].kept, assume_unique=True)
    sa = _matched(index, a, shared, regions)
    sb = _matched(index, b, shared, regions)
    source = bool(index.is_source[b])
    share = sa.share if source else max(sa.share, sb.share)
    return Pair(a=sa, b=sb, kind="source" if source else "submission", share=share)


def candidates(index: Index, *, threshold: float, min_shared: int) -> list[tuple[int, int]]:
    """Return the pairs (submission, other) whose share reaches `threshold`, each once.

    A pair is a candidate when it shares at least `min_shared` kept fingerprints and its
    exact share (each side's, from :meth:`Index.sides`; a pair of submissions by the larger
    of the two, a submission and a source by the submission's) reaches `threshold`: no pair
    at or above it is left out, however its matched code is cut into short runs.
    """
    # Only the sides at or above the threshold are kept: a pair is a candidate when one of its
    # sides is (keeping every side met, most far below it, grew with the pairs: 1.1 GB for 5,000
    # submissions of much-alike code).
    out: set[tuple[int, int]] = set()
    for i in range(len(index.docs)):
        if index.is_source[i] or len(index.docs[i].kept) == 0:  # a source's own share is never used
            continue
        js, shares = index.sides(i, min_shared)
        for j in js[shares >= threshold].tolist():
            out.add((i, j) if index.is_source[j] or i < j else (j, i))
    return sorted(out)
