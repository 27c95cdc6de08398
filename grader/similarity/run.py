"""Find the pairs of a batch that share code: read, fingerprint, index, compare, rank."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from ..canvas import student_name
from ..ids import IdMemory
from ..model import Rubric, Settings, SimilarityMatch, Submission
from . import documents, fingerprint
from .documents import Document
from .index import Index
from .match import Pair, candidates, compare

#: Share of a submission's code (or of either submission's, for a pair of them) at and above
#: which a pair is listed as a lead.  Two independent solutions of the homework written for
#: the tests share about 20 % (function signatures, the same numpy calls); copies share 90-100 %.
DEFAULT_THRESHOLD = 0.5
#: Fewest matched filtered characters for a pair to be listed: about five statements; a
#: shorter match is what any two solutions may have in common.
MIN_MATCHED = 60
#: Fewest shared distinct fingerprints for a pair to be compared exactly.
MIN_SHARED = 10
#: Pairs shown with both sides in similarity.html (their regions are computed); similarity.csv lists them all.
MAX_PAIRS_SHOWN = 200
#: Matches written into each result.json, best first.
TOP_MATCHES = 3


def _fingerprint_docs(texts: list[tuple[str, ...]]) -> list[tuple[fingerprint.FileFingerprints, ...]]:
    """Fingerprint the files of some documents (run in a forked worker, or in this process)."""
    return [tuple(fingerprint.fingerprint(t) for t in files) for files in texts]


def fingerprint_all(docs: list[Document], jobs: int = 1) -> list[tuple[fingerprint.FileFingerprints, ...]]:
    """Return the fingerprints of every document's files, on `jobs` processes.

    Workers are *forked* from this process, so that Python's ``hash()`` (copydetect's
    k-gram hash, randomised per interpreter) is the same in all of them; where fork is
    not available, or for few documents, everything runs here.  Tokenizing is most of the
    check's cost (pygments, about 2 ms per KiB of code).
    """
    import multiprocessing

    texts = [tuple(f.text for f in d.files) for d in docs]
    if jobs <= 1 or len(docs) < 64 or "fork" not in multiprocessing.get_all_start_methods():
        return _fingerprint_docs(texts)
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, len(texts) // (jobs * 8))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return [fp for part in pool.map(_fingerprint_docs, chunks) for fp in part]


def default_max_sharing(n_submissions: int) -> int:
    """Return how many submissions may hold a fingerprint before it is common code: 10 % of them, at least 10.

    >>> default_max_sharing(8), default_max_sharing(600)
    (10, 60)
    """
    return max(10, math.ceil(0.1 * n_submissions))


@dataclass(frozen=True)
class Findings:
    """What the similarity check found in a batch: leads for a person to review, never verdicts."""

    documents: tuple[Document, ...]  #: submissions first, then --against sources
    pairs: tuple[Pair, ...]  #: listed pairs, best first (share >= threshold, enough matched)
    threshold: float
    max_sharing: int
    k: int = fingerprint.K
    unreadable: tuple[str, ...] = ()  #: ids of submissions with no code to compare
    #: documents (by number) with nothing of their own to compare: empty or comment-only files, or
    #: only the starter's code; they are in `documents` but not counted as compared
    blank: tuple[int, ...] = ()
    unread_sources: tuple[str, ...] = ()  #: --against files that could not be read: "<path>: <why>"
    n_candidates: int = 0  #: pairs compared exactly
    n_entries: int = 0  #: (fingerprint, document) entries of the index
    n_common: int = 0  #: fingerprints taken out as common code
    n_starter: int = 0  #: starter files and stand-ins taken out
    skeleton: bool = True  #: the course's skeleton was given (--starter); without it, it counts as the students' code
    seconds: dict[str, float] = field(default_factory=dict)  #: per stage: read, fingerprint, index, compare
    #: the student's name of each submission of a Canvas download, by id (as grades.csv's "name" column)
    names: dict[str, str] = field(default_factory=dict)

    def who(self, sid: str) -> str:
        """Return a submission's id with the student's name Canvas gave it: "1001 (smithjohn)"; else the id."""
        name = self.names.get(sid)
        return f"{sid} ({name})" if name else sid

    @property
    def n_submissions(self) -> int:
        """Return how many submissions were compared: those with code of their own (see `blank`)."""
        return sum(d.kind == "submission" for d in self.documents) - len(self.blank_submissions)

    @property
    def n_sources(self) -> int:
        """Return how many --against source files were compared (their groups are not counted again; nor are
        files with nothing of their own, see `blank`)."""
        blank = set(self.blank)
        return sum(d.kind == "source" and not d.members and n not in blank for n, d in enumerate(self.documents))

    @property
    def blank_submissions(self) -> tuple[str, ...]:
        """Return the ids of the submissions with nothing of their own to compare (see `blank`)."""
        return tuple(self.documents[n].id for n in self.blank if self.documents[n].kind == "submission")

    @property
    def n_blank_sources(self) -> int:
        """Return how many --against source files had nothing of their own to compare (groups not counted)."""
        return sum(self.documents[n].kind == "source" and not self.documents[n].members for n in self.blank)


def find(batch: str | os.PathLike[str] | Iterable[Document | Submission], *, settings: Settings = Settings(),
         rubric: Rubric | None = None, against: Sequence[str | os.PathLike[str]] = (),
         starter: Sequence[str | os.PathLike[str]] = (), threshold: float = DEFAULT_THRESHOLD,
         max_sharing: int | None = None, jobs: int = 1,
         progress: Callable[[str], None] | None = None, ids: IdMemory | None = None) -> Findings:
    """Compare every pair of submissions of a batch, and each with every --against source file.

    Parameters
    ----------
    batch : path-like, or iterable of Document / Submission
        The submissions folder or zip (read with :func:`grader.load.load_batch`), or documents.
    settings : Settings
        Loading settings (the rubric's); code is read as written whatever they say.
    rubric : Rubric, optional
        Its starter stand-ins are boilerplate, and so are those of every built-in rubric
        unless `rubric` is None.
    against : sequence of path-like
        Folders (or files) of earlier terms' or public solutions, each code file one source.
    starter : sequence of path-like
        The course's starter code (folders, zips, files): boilerplate.
    threshold : float
        Share at and above which a pair is listed (0..1).
    max_sharing : int, optional
        A fingerprint in more submissions than this is common code (default
        :func:`default_max_sharing`).
    jobs : int
        Processes that fingerprint the documents (see :func:`fingerprint_all`).
    progress : callable, optional
        Called with a line of text at each stage.
    ids : IdMemory, optional
        The ids a results folder gave the batch's entries (the ids its result.json files have).

    Returns
    -------
    Findings

    Raises
    ------
    UsageError
        copydetect is not installed, or an --against or --starter path does not exist.
    """
    fingerprint.require()
    say = progress or (lambda line: None)
    t = {"start": time.monotonic()}
    texts = documents.starter_texts(rubric, starter, settings, builtin=rubric is not None)
    docs: list[Document] = []
    unreadable: list[str] = []
    names: dict[str, str] = {}
    items = documents.submissions(batch, settings, ids=ids) if isinstance(batch, (str, os.PathLike)) else batch
    for item in items:
        if isinstance(item, Submission):
            doc = documents.from_submission(item)
            if doc is None:
                unreadable.append(item.id)
                if student_name(item):
                    names[item.id] = student_name(item)
                continue
            item = doc
        if item.name:
            names[item.id] = item.name
        docs.append(item)
    unread_sources: list[str] = []
    docs += list(documents.sources(against, settings, unread_sources))
    docs.sort(key=lambda d: d.kind == "source")  # submissions first (stable: their order is kept)
    t["read"] = time.monotonic()
    n_read = sum(d.kind == "submission" for d in docs)
    say(f"similarity: read {n_read} submission{'' if n_read == 1 else 's'}, "
        f"{sum(d.kind == 'source' for d in docs)} source files, {len(texts)} starter files")

    boiler = [fingerprint.fingerprint(x).hashes for x in texts]
    prints = fingerprint_all(docs, jobs)
    for group, members in documents.groups(docs):  # an earlier student's folder or zip, as one source too
        docs.append(group)
        prints.append(tuple(fp for n in members for fp in prints[n]))
    t["fingerprint"] = time.monotonic()
    n_subs = sum(d.kind == "submission" for d in docs)
    cap = default_max_sharing(n_subs) if max_sharing is None else max_sharing
    index = Index(prints, [d.kind == "source" for d in docs],
                  np.concatenate(boiler) if boiler else np.zeros(0, dtype=np.int64), cap)
    del prints
    t["index"] = time.monotonic()
    cands = candidates(index, threshold=threshold, min_shared=MIN_SHARED)
    say(f"similarity: {index.entries} fingerprints indexed, {len(cands)} pair{'' if len(cands) == 1 else 's'} to compare")
    pairs = [p for p in (compare(index, a, b) for a, b in cands)
             if p.share >= threshold and max(p.a.matched, p.b.matched) >= MIN_MATCHED]
    # best first; a source is ranked by what the submission shares with it, and of equal ones the
    # smaller (a file before its folder) comes first (see _said_once)
    pairs.sort(key=lambda p: (-p.share, -(p.a.matched if p.kind == "source" else max(p.a.matched, p.b.matched)),
                              len(docs[p.b.doc].members), docs[p.a.doc].id, docs[p.b.doc].id))
    pairs = _said_once(pairs, docs)
    listed = tuple(compare(index, p.a.doc, p.b.doc, regions=True) if rank < MAX_PAIRS_SHOWN else p
                   for rank, p in enumerate(pairs))
    t["compare"] = time.monotonic()
    seconds = {k: round(t[k] - t[prev], 3) for prev, k in zip(["start", "read", "fingerprint", "index"],
                                                               ["read", "fingerprint", "index", "compare"])}
    say("similarity: seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    return Findings(documents=tuple(docs), pairs=listed, threshold=threshold, max_sharing=cap,
                    unreadable=tuple(unreadable), unread_sources=tuple(unread_sources), n_candidates=len(cands), n_entries=index.entries,
                    n_common=len(index.common), n_starter=len(texts), seconds=seconds, skeleton=bool(starter),
                    names=names, blank=tuple(int(n) for n in np.flatnonzero(~index.own)))


def _said_once(pairs: list[Pair], docs: Sequence[documents.Document]) -> list[Pair]:
    """Keep one listing of one copy: of a submission's pairs with --against files and with the groups
    holding them (an earlier student's folder or zip), a pair is left out when a listed one holds
    its files, or when a listed one among its files explains as large a share.

    `pairs` are best first, and among equal shares the smaller group first (see :func:`find`): a
    whole earlier submission copied is listed as its folder, one file copied as that file.
    """
    listed: dict[int, list[tuple[frozenset[str], float]]] = {}
    out = []
    for p in pairs:
        if p.kind == "source":
            b = docs[p.b.doc]
            files = frozenset(b.members or (b.id,))
            mine = listed.setdefault(p.a.doc, [])
            if any(files <= held or (held <= files and share >= p.share - 1e-9) for held, share in mine):
                continue
            mine.append((files, p.share))
        out.append(p)
    return out


def top_matches(findings: Findings, n: int = TOP_MATCHES) -> dict[str, tuple[SimilarityMatch, ...]]:
    """Return each submission's best listed matches (at most `n`, best first), by submission id."""
    docs = findings.documents
    out: dict[str, list[SimilarityMatch]] = {}
    for p in findings.pairs:  # already best first
        a, b = docs[p.a.doc], docs[p.b.doc]
        out.setdefault(a.id, []).append(SimilarityMatch(other=b.id, kind=p.kind, share=round(p.share, 4)))
        if p.kind == "submission":
            out.setdefault(b.id, []).append(SimilarityMatch(other=a.id, kind="submission", share=round(p.share, 4)))
    return {sid: tuple(ms[:n]) for sid, ms in out.items()}
