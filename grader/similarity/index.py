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
entries of its fingerprints only (:meth:`Index.shared_counts`): the cost is the number of
(fingerprint, document) entries met, i.e. the sum over fingerprints of how many documents
hold each (at most `max_sharing` submissions), not the number of pairs.  The counts choose
the candidate pairs whose exact share is computed (:mod:`grader.similarity.match`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fingerprint import FileFingerprints, covered


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
        distinct = [_unique(files) for files in docs]
        boilerplate = np.unique(np.asarray(boilerplate, dtype=np.int64))
        distinct = [d[~np.isin(d, boilerplate, assume_unique=True)] for d in distinct]
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

    def shared_counts(self, i: int) -> np.ndarray:
        """Return, for every document, how many kept fingerprints it shares with document `i`.

        Only the index entries of `i`'s own fingerprints are read.
        """
        mine = self.docs[i].kept
        lo = np.searchsorted(self.hashes, mine, side="left")
        hi = np.searchsorted(self.hashes, mine, side="right")
        lengths = hi - lo
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(len(self.docs), dtype=np.int64)
        # the entries lo[j]..hi[j] of every fingerprint j, as one array of entry numbers
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        entries = starts + np.arange(total)
        counts = np.bincount(self.doc_of[entries], minlength=len(self.docs))
        counts[i] = 0
        return counts
