"""Fingerprint what a student wrote: copydetect's token filter and k-gram hashes, kept as numpy arrays.

The tokenizer and the hashing are copydetect's (``copydetect.utils``): pygments lexes the
code, :func:`copydetect.utils.filter_code` drops whitespace and comments and turns every
identifier into one letter (a variable or attribute ``V``, a defined function ``F``, a class
``O``) and every string into ``S``, so renaming variables changes nothing;
:func:`copydetect.utils.hashed_kgrams` hashes each run of `K` filtered characters, and
:func:`copydetect.utils.winnow` keeps the fingerprints (all of them with the default window
of 1, copydetect's own default).  What copydetect keeps per file as a dict of lists is kept
here as two flat arrays (hashes, positions), so that hundreds of files fit in memory and
the index (:mod:`grader.similarity.index`) is built with numpy.

Hashes come from Python's ``hash()`` (copydetect's choice): they are the same within one
process, which is all that is needed, since every fingerprint of a run is made in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..errors import UsageError

#: Length of a fingerprinted run of filtered characters (copydetect's "noise threshold",
#: its default).  A filtered statement such as ``V=-V.V(V[V])`` is about 12 characters, so
#: a match needs about two statements in a row.
K = 25
#: Winnowing window (copydetect's ``guarantee_threshold - noise_threshold + 1``; 1 keeps every k-gram).
WINDOW = 1
#: The lexer used for every file: Python 2 and 3 code are tokenized alike (``print x`` and
#: ``print(x)`` differ only by parentheses).
LANGUAGE = "python"

INSTALL_HINT = ("the similarity check needs the copydetect package; install it with: "
                "pip install 'grader[similarity]' (or: pip install copydetect)")


def require() -> None:
    """Raise a UsageError (exit 2) saying how to install copydetect when it is missing."""
    try:
        import copydetect.utils  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


@dataclass(frozen=True)
class FileFingerprints:
    """The fingerprints of one file: hashes and where each starts in the filtered text."""

    hashes: np.ndarray  #: int64, one per kept k-gram, in text order
    positions: np.ndarray  #: int32, start of each k-gram in the filtered text
    offsets: np.ndarray  #: copydetect's (filtered index, characters removed so far) pairs, to map back to the text
    length: int  #: characters of the filtered text


_EMPTY = np.zeros(0, dtype=np.int64)


def fingerprint(text: str, k: int = K, window: int = WINDOW) -> FileFingerprints:
    """Return the fingerprints of one file's code.

    Parameters
    ----------
    text : str
        The code as written.
    k : int
        Length of a fingerprinted run of filtered characters.
    window : int
        Winnowing window (1: every k-gram is a fingerprint).
    """
    from copydetect import utils

    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)  # copydetect logs a warning per file it cannot lex; none here
    try:
        filtered, offsets = utils.filter_code(text, "code.py", LANGUAGE)
    finally:
        logger.setLevel(level)
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    if len(filtered) < k:
        return FileFingerprints(_EMPTY, np.zeros(0, dtype=np.int32), offsets, len(filtered))
    hashes = np.asarray(utils.hashed_kgrams(filtered, k), dtype=np.int64)
    hashes, idx = utils.winnow(hashes, window, remove_duplicates=False)
    return FileFingerprints(np.asarray(hashes, dtype=np.int64), np.asarray(idx, dtype=np.int32), offsets,
                            len(filtered))


def spans(positions: np.ndarray, k: int = K) -> np.ndarray:
    """Return the filtered-text spans covered by k-grams starting at `positions`: a 2×n array of starts and ends.

    Overlapping or touching k-grams make one span (copydetect's ``get_copied_slices``).

    >>> spans(np.array([0, 1, 2, 40]), 5).tolist()
    [[0, 40], [7, 45]]
    """
    from copydetect import utils

    if len(positions) == 0:
        return np.zeros((2, 0), dtype=np.int64)
    return np.asarray(utils.get_copied_slices(np.asarray(positions, dtype=np.int64), k), dtype=np.int64)


def covered(positions: np.ndarray, k: int = K) -> int:
    """Return how many filtered characters the k-grams starting at `positions` cover.

    >>> covered(np.array([0, 1, 2, 40]), 5)
    12
    """
    s = spans(positions, k)
    return int((s[1] - s[0]).sum())


def to_text(s: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Map spans of the filtered text back to spans of the code as written (copydetect's ``compare_files``)."""
    s = s.copy()
    if len(offsets) > 0 and s.size:
        s += offsets[:, 1][np.clip(np.searchsorted(offsets[:, 0], s), 0, offsets.shape[0] - 1)]
    return s
