"""Similar code in a batch: pairs of submissions, and submissions and --against files, that share code.

One module per stage, data flowing one way::

    documents.py    batch / --against folders / starter -> Document (code as the student wrote it)
    fingerprint.py  code -> FileFingerprints (copydetect's token filter and k-gram hashes)
    index.py        fingerprints -> Index (starter and common code out; inverted index by hash)
    match.py        Index -> candidate pairs -> Pair (exact shares, regions to highlight)
    run.py          the above for a batch -> Findings (ranked pairs); top matches per submission
    report.py       Findings -> similarity.html, similarity.csv, result.json's "similarity"

Results are leads for the teaching staff to review, never verdicts, and never shown to
students.  copydetect is an optional dependency (``pip install 'grader[similarity]'``);
without it :func:`find` raises a UsageError saying how to install it.
"""

from .run import DEFAULT_THRESHOLD, Findings, default_max_sharing, find, top_matches

__all__ = ["find", "top_matches", "Findings", "DEFAULT_THRESHOLD", "default_max_sharing"]
