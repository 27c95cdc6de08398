"""Recognise which course version a submission was written for, statically: Submission -> Recognition.

Nothing is run or imported: the submission's file names are looked at once, and its text
is scanned with regular expressions, within bounds (`MAX_FILES` files, `MAX_CHARS`
characters of each, `MAX_TOTAL` in all), so that a batch pays little for it and a huge
or hostile file costs no more than a small one.  The text may be as handed in (Python 2
included: nothing is parsed) or translated; a notebook's cells are read as the student
wrote them.

What tells the versions apart (facts of the public starters of each year, see
shared/assignment.md):

- CS224n a2 (2019-2023): ``naiveSoftmaxLossAndGradient`` / ``negSamplingLossAndGradient``,
  ``skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, ...)``, imports of the
  starter's ``utils`` package (``from utils.utils import softmax``), ``word2vec.py`` beside a
  ``utils/`` folder, ``sgd`` in a file named ``sgd.py`` (a2's; the earlier years' is ``q3_sgd.py``);
- CS224d 2015 (one notebook): ``softmaxCostAndGradient(predicted, target, outputVectors)``
  without ``dataset``; ``skipgram``/``negSamplingCostAndGradient`` without it;
  ``forward_backward_prop(data, labels, params)`` without ``dimensions``;
- CS224n 2017/2018 (assignment 1): ``getNegativeSamples`` given in q3_word2vec.py (unless q4's
  functions of 2016 are there too: a 2016 student's own helper),
  softmax's docstring "You are allowed to modify x in-place";
- CS224d 2016: q4's ``softmaxRegression`` / ``getSentenceFeature`` (gone in 2017), and by
  default the CS224d layout (``q1_softmax.py``, ``q3_word2vec.py``, ``softmaxCostAndGradient``)
  when nothing above is found.

A submission that defines no function beyond the word2vec part (CS224d: nothing of q2, sgd
or q4; a2: only the naive softmax cost) is graded with the four-question rubric of its
flavour (``word2vec``, or ``cs224n`` for a2), which is what a class that set only those uses.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from .model import Recognition, Submission

#: Built-in rubric names of the course versions, oldest first, and how reports name them.
VERSIONS = {
    "cs224d-2015": "CS224d 2015",
    "cs224d-2016": "CS224d 2016",
    "cs224n-2017": "CS224n 2017/2018 (assignment 1)",
    "cs224n-a2": "CS224n assignment 2 (2019-2023)",
}
#: The four-question rubrics (softmax and the naive-softmax cost only), and how reports name them.
FOUR_QUESTIONS = {"word2vec": "the four word2vec questions (CS224d names)",
                  "cs224n": "the three word2vec cost questions (CS224n a2 names)"}
#: The rubric used when nothing is recognised.
DEFAULT = "word2vec"

#: Files looked at per submission, characters read per file, characters read in all.
MAX_FILES = 64
MAX_CHARS = 256 * 1024
MAX_TOTAL = 1 << 20

#: Functions that make a CS224d/CS224n assignment-1 submission the whole problem set: those of
#: q2, sgd and q4 (a class that set only the word2vec part hands in q1 and q3 alone).
BEYOND = frozenset({"sigmoid", "sigmoid_grad", "gradcheck_naive", "forward_backward_prop", "sgd",
                    "getSentenceFeature", "softmaxRegression"})
#: q3's functions beyond the four questions: graded by a version's whole rubric only (said when present).
Q3_OTHERS = ("normalizeRows", "negSamplingCostAndGradient", "skipgram", "cbow")
#: The same for CS224n a2, whose word2vec.py holds sigmoid, negative sampling and skip-gram.
BEYOND_A2 = frozenset({"sigmoid", "negSamplingLossAndGradient", "skipgram", "sgd"})

_DEF = re.compile(r"^[ \t]*def[ \t]+([A-Za-z_]\w*)[ \t]*\(([^)]{0,400})\)", re.MULTILINE)
_UTILS_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+utils(?:\.(\w+))?[ \t]+import\b|import[ \t]+utils\b)", re.MULTILINE)
_PRINT2 = re.compile(r"^[ \t]*print[ \t]+[\"'A-Za-z0-9_%]", re.MULTILINE)
_IN_PLACE = re.compile(r"allowed to modify x in[- ]place", re.IGNORECASE)


@dataclass(frozen=True)
class _Def:
    """A function definition found in the text."""

    where: str  #: the file (a notebook's name)
    params: tuple[str, ...]  #: parameter names, without *args / **kwargs / defaults

    def signature(self, name: str) -> str:
        return f"{name}({', '.join(self.params)})"


def _params(text: str) -> tuple[str, ...]:
    """Return the parameter names of a def's parameter list: "x, K=10, *a" -> ("x", "K")."""
    out = []
    for part in text.split(","):
        name = part.split("=")[0].split(":")[0].strip()
        if name and not name.startswith("*") and name != "/" and name.isidentifier():
            out.append(name)
    return tuple(out)


def _texts(sub: Submission) -> Iterable[tuple[str, str]]:
    """Yield (file, text) for the submission's files, within the bounds."""
    total = 0
    for f in sub.files[:MAX_FILES]:
        if f.cells is not None:
            text = "\n".join(c.original for c in f.cells)
        else:
            text = f.text
        text = text[: min(MAX_CHARS, MAX_TOTAL - total)]
        total += len(text)
        yield f.origin or f.path, text
        if total >= MAX_TOTAL:
            return


def recognise(sub: Submission) -> Recognition:
    """Return the course version `sub` looks like, the rubric to grade it with, and why.

    Parameters
    ----------
    sub : Submission
        As loaded (or peeked at: :func:`grader.load.peek`); a submission that could not be
        loaded is recognised as nothing.

    Returns
    -------
    Recognition
        ``version``: a key of `VERSIONS`, of `FOUR_QUESTIONS`, or ``""`` when nothing
        tells (the default rubric then); ``reason``: what it was based on, in a sentence.

    Examples
    --------
    >>> from grader.model import SourceFile, Submission
    >>> code = "def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):\\n"
    >>> code += "def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, c, o, dataset):\\n"
    >>> r = recognise(Submission("a", "a", "folder", (SourceFile("word2vec.py", code, "word2vec.py"),)))
    >>> r.version, r.reason
    ('cs224n-a2', 'word2vec.py defines naiveSoftmaxLossAndGradient and skipgram(currentCenterWord, ...)')
    """
    if sub.error or not sub.files:
        return Recognition("", "nothing could be read in it")
    paths = [f.path for f in sub.files]
    defs: dict[str, _Def] = {}
    utils_imports: list[str] = []
    in_place = py2 = False
    for where, text in _texts(sub):
        for m in _DEF.finditer(text):
            defs.setdefault(m.group(1), _Def(where, _params(m.group(2))))
        for m in _UTILS_IMPORT.finditer(text):
            # utils.treebank is 2017's too (q4_sentiment.py, q3_run.py): only a2's helpers count
            mod = f"utils.{m.group(1)}" if m.group(1) else "utils"
            if mod in ("utils.utils", "utils.gradcheck") and mod not in utils_imports:
                utils_imports.append(mod)
        in_place = in_place or bool(_IN_PLACE.search(text))
        py2 = py2 or bool(_PRINT2.search(text))
    py2 = py2 or any(f.translated or f.python2 for f in sub.files)
    notebook = any(f.cells is not None for f in sub.files)
    names = set(defs)

    def said(*fns: str) -> str:
        found = [n for n in fns if n in defs]
        where = sorted({defs[n].where for n in found})
        listed = found[0] if len(found) == 1 else f"{', '.join(found[:-1])} and {found[-1]}"
        return f"{', '.join(where)} define{'s' if len(where) == 1 else ''} {listed}"

    # CS224n a2
    evidence: list[str] = []
    a2_fns = [n for n in ("naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient") if n in defs]
    sg = defs.get("skipgram")
    a2_skipgram = sg is not None and ("currentCenterWord" in sg.params or "word2Ind" in sg.params)
    if a2_fns or a2_skipgram:
        fns = a2_fns + (["skipgram"] if a2_skipgram else [])
        text = said(*fns)
        if a2_skipgram:
            text = text.replace("skipgram", "skipgram(currentCenterWord, ...)")
        evidence.append(text)
    if utils_imports:
        evidence.append(f"it imports {', '.join(utils_imports[:3])} (the a2 starter's helpers)")
    if not evidence and any(p.rsplit("/", 1)[-1] == "word2vec.py" for p in paths) and \
            any(p.startswith("utils/") or "/utils/" in p for p in paths):
        evidence.append("word2vec.py is handed in beside a utils/ folder")
    if not evidence and "sgd" in defs and any(p.rsplit("/", 1)[-1] == "sgd.py" for p in paths):
        # a2's sgd.py checked or handed in alone (the earlier years' file is q3_sgd.py)
        evidence.append("sgd.py defines sgd (a2's file; CS224d and CS224n 2017/2018 name it q3_sgd.py)")
    if evidence:
        return _four_or("cs224n-a2", "cs224n", names, "; ".join(evidence))

    # CS224d 2015: the notebook's signatures without `dataset`
    cost = defs.get("softmaxCostAndGradient")
    old = []
    if cost is not None and len(cost.params) == 3:
        old.append(f"{cost.signature('softmaxCostAndGradient')} has no dataset parameter")
    neg = defs.get("negSamplingCostAndGradient")
    if neg is not None and "dataset" not in neg.params and len(neg.params) >= 3:
        old.append(f"{neg.signature('negSamplingCostAndGradient')} has no dataset parameter")
    if sg is not None and "dataset" not in sg.params and len(sg.params) >= 6:
        old.append("skipgram has no dataset parameter")
    fb = defs.get("forward_backward_prop")
    if fb is not None and len(fb.params) == 3:
        old.append(f"{fb.signature('forward_backward_prop')} has no dimensions parameter")
    if old:
        where = sorted({d.where for n, d in defs.items() if n in ("softmaxCostAndGradient",
                        "negSamplingCostAndGradient", "skipgram", "forward_backward_prop")})
        text = f"in {', '.join(where)}, " + "; ".join(old) + " (the 2015 signatures)"
        if notebook and py2:
            text += "; a Python 2 notebook"
        return _four_or("cs224d-2015", "word2vec", names, text)

    # CS224d 2016's q4 (gone from 2017): before 2017's evidence, since a 2016 student may write a
    # getNegativeSamples helper of their own, and 2017 has no softmaxRegression to grade
    q4 = [n for n in ("softmaxRegression", "getSentenceFeature") if n in defs]
    if q4 or any(p.rsplit("/", 1)[-1] == "q4_softmaxreg.py" for p in paths):
        text = said(*q4) if q4 else "q4_softmaxreg.py is handed in"
        text += " (q4 of 2016; gone from 2017)"
        if "getNegativeSamples" in defs:
            text += "; its getNegativeSamples is a helper of its own (2017 gave one)"
        return _four_or("cs224d-2016", "word2vec", names, text)

    # CS224n 2017/2018
    new = []
    if "getNegativeSamples" in defs:
        new.append(f"{said('getNegativeSamples')} (given from 2017)")
    if in_place:
        new.append("softmax's docstring says \"You are allowed to modify x in-place\" (2017)")
    if new:
        return _four_or("cs224n-2017", "word2vec", names, "; ".join(new))
    layout = [p for p in paths if p.rsplit("/", 1)[-1] in ("q1_softmax.py", "q2_sigmoid.py", "q2_neural.py",
                                                            "q3_word2vec.py", "q3_sgd.py")]
    if layout or "softmaxCostAndGradient" in defs:
        what = ", ".join(layout[:3]) if layout else said("softmaxCostAndGradient")
        text = (f"{what}: the CS224d names, and nothing of 2015 (no dataset-less signature) or of "
                "2017/2018 (no getNegativeSamples)")
        if py2:
            text += "; Python 2 code"
        return _four_or("cs224d-2016", "word2vec", names, text)
    return Recognition("", "no function or file of any course version's starter was found")


def _four_or(version: str, four: str, names: set[str], reason: str) -> Recognition:
    """Return `version`, or the four-question rubric `four` when `names` has none of the problem set's others."""
    if version == "cs224n-a2":
        if names & BEYOND_A2:
            return Recognition(version, reason)
        return Recognition(four, f"{reason}; it defines none of a2's other functions (sigmoid, "
                                 f"negSamplingLossAndGradient, skipgram, sgd), so it is graded on {FOUR_QUESTIONS[four]}", whole=version)
    if names & BEYOND:
        return Recognition(version, reason)
    others = [n for n in Q3_OTHERS if n in names]
    ungraded = (f" (not its {', '.join(others)}: --rubric {version} grades the whole problem set, q2 and sgd "
                "included)") if others else ""
    return Recognition(four, f"{reason}; it defines no function of q2, sgd or q4 (sigmoid, gradcheck_naive, "
                             f"forward_backward_prop, sgd...), so it is graded on {FOUR_QUESTIONS[four]}{ungraded}",
                       whole=version)


def label(version: str) -> str:
    """Return how reports name a version or rubric: "CS224d 2016"; the name itself when unknown."""
    return VERSIONS.get(version) or FOUR_QUESTIONS.get(version) or version or "no version"


@dataclass(frozen=True)
class BatchChoice:
    """The rubric a batch is graded under: its most common recognised version."""

    version: str  #: the built-in rubric name chosen
    count: int  #: how many submissions were recognised as it
    total: int  #: how many submissions of the batch look like a course version (any)
    kept: bool = False  #: chosen when the batch was first graded, and kept for its later runs
    #: the other versions as many submissions look like (a tie, broken by :func:`choose`'s order)
    tied: tuple[str, ...] = ()

    def how_chosen(self, of: str = "") -> str:
        """Why this version, for a batch that looks like course versions: the most common, or a tie broken
        (``of``: whose submissions, " of this batch")."""
        if not self.tied:
            return (f"the version most submissions{of} look like ({self.count} of the {self.total} that look like a "
                    "course version)")
        with_ = ", ".join(self.tied)
        rule = ("the default rubric" if self.version == DEFAULT else
                "the four-question rubric" if self.version in FOUR_QUESTIONS else "the newest version")
        return (f"in a tie with {with_} ({self.count} each of the {self.total} that look like a course version), "
                f"broken for {rule}")

    def differs(self, own: Recognition) -> bool:
        """True when a submission recognised as `own` looks like another version than the one chosen."""
        return bool(own.version) and own.version != self.version

    def reason(self, own: Recognition) -> str:
        """Return a submission's ``rubric_reason``, given its own recognition."""
        if self.kept:
            base = (f"graded under {self.version} ({label(self.version)}), the version of the earlier runs of this "
                    "batch (kept, so that one scale grades the whole batch)")
        elif not self.total:
            base = f"graded under {self.version} ({label(self.version)}), the default: no submission of this batch " \
                   "looks like a course version"
        else:
            base = f"graded under {self.version} ({label(self.version)}), {self.how_chosen(' of this batch')}"
        if not own.version:
            return f"{base}; this one: {own.reason}"
        if not self.differs(own):
            return f"{base}; this one: {own.reason}"
        return f"{base}; this one looks like {own.version or 'no version'} ({label(own.version)}): {own.reason}"


def choose(counts: Mapping[str, int]) -> BatchChoice:
    """Return the rubric for a batch from how many submissions were recognised as each version.

    Submissions recognised as nothing (key ``""``) do not vote; with no vote at all, the
    default rubric is chosen.  Ties go to the default rubric (what the batch was graded
    under before versions were recognised), then to the other four-question rubric, then
    to the newest version.

    >>> choose({"cs224d-2016": 3, "cs224n-a2": 3, "word2vec": 1})
    BatchChoice(version='cs224n-a2', count=3, total=7, kept=False, tied=('cs224d-2016',))
    >>> choose({"cs224n-2017": 1, "word2vec": 1}).version
    'word2vec'
    >>> choose({}).version
    'word2vec'
    """
    merged: Counter[str] = Counter({v: n for v, n in counts.items() if v and n > 0})
    total = sum(merged.values())
    if not merged:
        return BatchChoice(DEFAULT, 0, 0)
    order = list(VERSIONS) + [v for v in FOUR_QUESTIONS if v != DEFAULT] + [DEFAULT]
    version = max(merged, key=lambda v: (merged[v], order.index(v) if v in order else -1))
    tied = tuple(sorted((v for v in merged if v != version and merged[v] == merged[version]),
                        key=lambda v: -(order.index(v) if v in order else -1)))
    return BatchChoice(version, merged[version], total, tied=tied)
