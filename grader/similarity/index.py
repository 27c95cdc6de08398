"""An inverted index of fingerprints: which documents share which, without comparing every pair.

Every document's fingerprints (:mod:`grader.similarity.fingerprint`) are sorted into one
table of (hash, document) entries.  What is not the student's own is taken out first:

- **starter code**: fingerprints found in the starter's text (the rubric's stand-ins and the
  ``--starter`` files);
- **common code**: fingerprints found in more than `max_sharing` submissions (code that many
  students wrote alike, or starter code nobody passed): MOSS's ``-m`` rule.  Fingerprints of
  ``--against`` files count neither way here, so a public solution stays findable as long as
  at most `max_sharing` students copied it.

Then, for each document, the documents sharing its fingerprints are counted by walking the
entries of its fingerprints only (:meth:`Index.sides`): the cost is the number of
(fingerprint, document) entries met, i.e. the sum over fingerprints of how many documents
hold each (at most `max_sharing` submissions), not the number of pairs.  The counts choose
the candidate pairs whose exact share is computed (:mod:`grader.similarity.match`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .fingerprint import K, FileFingerprints, covered, spans


@dataclass(frozen=True)
class DocPrints:
    """A document's fingerprints: per file, and the distinct ones kept for comparing."""

    files: tuple[FileFingerprints, ...]
    kept: np.ndarray  #: sorted distinct int64 hashes, starter and common code taken out
    coverage: int  #: filtered characters covered by kept fingerprints: the code that counts


def _unique(files: tuple[FileFingerprints, ...]) -> np.ndarray:
    """Return the sorted distinct hashes of a document's files."""
    if not files:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([f.hashes for f in files]))


class Index:
    """The fingerprints of a batch, with starter and common code taken out, indexed by hash.

    Parameters
    ----------
    docs : list of tuple of FileFingerprints
        Each document's files' fingerprints.
    is_source : sequence of bool
        True for a source file of an --against folder, False for a submission.
    boilerplate : ndarray of int64
        Fingerprints of the starter code.
    max_sharing : int
        A fingerprint found in more submissions than this is common code.
    """

    def __init__(self, docs: list[tuple[FileFingerprints, ...]], is_source: list[bool], boilerplate: np.ndarray,
                 max_sharing: int) -> None:
        self.is_source = np.asarray(is_source, dtype=bool)
        n = len(docs)
        boilerplate = np.unique(np.asarray(boilerplate, dtype=np.int64))
        # a k-gram that runs into starter code ("return indices" + the student's first line) is not
        # the student's either: only k-grams wholly outside the starter's count
        docs = [tuple(_off_the_starter(f, boilerplate) for f in files) for files in docs]
        distinct = [_unique(files) for files in docs]
        distinct = [d[~np.isin(d, boilerplate, assume_unique=True)] for d in distinct]
        #: per document: whether any fingerprint is its own (an empty or comment-only file, or
        #: one holding only starter code, has none: nothing of it was compared)
        self.own = np.array([len(d) > 0 for d in distinct], dtype=bool)
        subs = [distinct[i] for i in range(n) if not self.is_source[i]]
        if subs:
            h, counts = np.unique(np.concatenate(subs), return_counts=True)
            self.common = h[counts > max_sharing]
        else:
            self.common = np.zeros(0, dtype=np.int64)
        #: fingerprints that never count: starter code and common code
        self.ignored = np.union1d(boilerplate, self.common)
        kept = [d[~np.isin(d, self.common, assume_unique=True)] for d in distinct]
        self.docs: list[DocPrints] = []
        for files, k in zip(docs, kept):
            cov = sum(covered(f.positions[np.isin(f.hashes, k)]) for f in files)
            self.docs.append(DocPrints(files=files, kept=k, coverage=cov))
        # The inverted index: entries sorted by hash; doc_of[i] is the document of entry i.
        sizes = np.array([len(k) for k in kept], dtype=np.int64)
        hashes = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), sizes)
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.doc_of = owner[order]
        self.entries = len(self.hashes)

    def _entries(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the index entries of document `i`'s kept fingerprints (one array), and how many each has."""
        mine = self.docs[i].kept
        lo = np.searchsorted(self.hashes, mine, side="left")
        hi = np.searchsorted(self.hashes, mine, side="right")
        lengths = hi - lo
        # the entries lo[j]..hi[j] of every fingerprint j, as one array of entry numbers
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return starts + np.arange(int(lengths.sum())), lengths

    def shared_counts(self, i: int) -> np.ndarray:
        """Return, for every document, how many kept fingerprints it shares with document `i`.

        Only the index entries of `i`'s own fingerprints are read.
        """
        entries, _ = self._entries(i)
        counts = np.bincount(self.doc_of[entries], minlength=len(self.docs))
        counts[i] = 0
        return counts

    def sides(self, i: int, min_shared: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the documents sharing at least `min_shared` kept fingerprints with document `i`, and
        `i`'s exact share of each such pair (as :func:`grader.similarity.match.compare` computes it).

        The share is computed for all of them at once from the index: the positions of `i`'s
        k-grams whose fingerprint the other document holds, per other document, merged into
        the spans they cover.  Only `i`'s own fingerprints' entries and positions are read.
        """
        entries, lengths = self._entries(i)
        others = self.doc_of[entries]
        counts = np.bincount(others, minlength=len(self.docs))
        counts[i] = 0
        wanted = counts >= max(min_shared, 1)
        cov = self.docs[i].coverage
        keep = wanted[others]
        if not keep.any() or not cov:
            js = np.flatnonzero(wanted)
            return js, np.zeros(len(js))
        # every (other document, position in i) of a shared fingerprint
        starts, positions = _occurrences(self.docs[i])
        fp = np.repeat(np.arange(len(lengths)), lengths)[keep]  # the fingerprint of each kept entry
        others = others[keep]
        n_at = starts[fp + 1] - starts[fp]
        first = np.repeat(starts[fp], n_at)
        offset = np.arange(int(n_at.sum())) - np.repeat(np.cumsum(n_at) - n_at, n_at)
        pos = positions[first + offset]
        who = np.repeat(others, n_at)
        order = np.lexsort((pos, who))
        pos, who = pos[order], who[order]
        # spans of k-grams: each covers K characters, overlapping or touching ones merge
        step = np.minimum(np.diff(pos), K)
        last = np.ones(len(pos), dtype=bool)
        last[:-1] = who[1:] != who[:-1]
        covered = np.where(last, K, np.concatenate((step, [K])))
        per = np.bincount(who, weights=covered, minlength=len(self.docs))
        js = np.flatnonzero(wanted)
        return js, np.minimum(1.0, per[js] / cov)


def _off_the_starter(f: FileFingerprints, boilerplate: np.ndarray) -> FileFingerprints:
    """Return `f` without the k-grams that overlap its starter code (the spans its starter k-grams cover)."""
    starter = np.isin(f.hashes, boilerplate)
    if not starter.any():
        return f
    starts, ends = spans(f.positions[starter])  # sorted, disjoint
    last = np.searchsorted(starts, f.positions.astype(np.int64) + K, side="left") - 1  # the last span before its end
    overlaps = (last >= 0) & (ends[np.clip(last, 0, None)] > f.positions)
    return replace(f, hashes=f.hashes[~overlaps], positions=f.positions[~overlaps])


def _occurrences(d: DocPrints) -> tuple[np.ndarray, np.ndarray]:
    """Where each kept fingerprint of `d` occurs: CSR (starts, positions) in the order of ``d.kept``.

    Positions of the document's files are numbered one after another with a gap of K, so that
    spans never join across files.
    """
    if not len(d.kept):
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    hashes, positions, base = [], [], 0
    for f in d.files:
        hashes.append(f.hashes)
        positions.append(f.positions.astype(np.int64) + base)
        base += int(f.length) + K
    h = np.concatenate(hashes)
    p = np.concatenate(positions)
    m = np.isin(h, d.kept, assume_unique=False)
    h, p = h[m], p[m]
    order = np.lexsort((p, h))
    h, p = h[order], p[order]
    starts = np.searchsorted(h, d.kept, side="left")
    return np.concatenate((starts, [len(h)])), p
