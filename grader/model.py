"""The data passed between stages: Submission, rubric specs, Call, CallOutcome, results.

Data flows one way::

    load -> Submission
    rubric -> Rubric (Question, CheckSpec, CaseSpec, FunctionSpec)
    cases -> Case (inputs, expected values; computed in the grader's process only)
    sandbox -> RunReport (LoadReport + one CallOutcome per Call)
    checks/mistakes -> CheckResult
    score -> SubmissionResult
    render/export -> files

Every class here is a frozen dataclass of plain values (and numpy arrays that the
grader itself built or decoded from raw bytes).  Nothing here runs student code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

import numpy as np

SCHEMA = "grader.result/1"

#: Status of one check, as in result.json.
CheckStatus = Literal["pass", "fail", "error"]
#: Status of one submission, as in result.json.
SubmissionStatus = Literal["graded", "error"]
#: What happened to one call in the student's process.
CallStatus = Literal["ok", "raised", "timeout", "crashed", "exited", "missing", "rejected", "skipped"]
#: Who may see a check's details.
Visibility = Literal["public", "hidden"]


# --------------------------------------------------------------------------- load


@dataclass(frozen=True)
class Cell:
    """One code cell of a notebook, after IPython syntax was translated to Python."""

    index: int  #: position among the notebook's cells, 0-based, markdown cells included
    label: str  #: how Jupyter shows it to the student: "cell [3]" (execution count) or "cell #5"
    source: str  #: Python source to run
    original: str  #: the cell as the student wrote it


@dataclass(frozen=True)
class SourceFile:
    """One file of a submission, as the student's process will see it."""

    path: str  #: posix path relative to the submission root: "q3_word2vec.py", "utils/utils.py"
    text: str  #: Python 3 source to run (after translation, for a notebook the cells joined)
    origin: str  #: name of the file as handed in: "hw1.ipynb", "q3_word2vec.py"
    cells: tuple[Cell, ...] | None = None  #: for a notebook: its code cells, run one by one
    translated: bool = False  #: True when translated from Python 2
    #: True when it runs with Python 2's `/` without being translated: a notebook saved from a Python 2
    #: kernel whose cells all parse as Python 3 (a translated file runs so too)
    python2: bool = False
    translation_diff: str = ""  #: unified diff of what the translator changed

    @property
    def module(self) -> str:
        """Dotted module name: "utils/utils.py" -> "utils.utils"; a notebook -> its stem.

        The extension is read in any case, as the loader reads it ("Q1.PY" is module "Q1").
        """
        p = self.path
        for ext in (".py", ".ipynb"):
            if p.lower().endswith(ext):
                p = p[: -len(ext)]
        if p.endswith("/__init__"):
            p = p[: -len("/__init__")]
        return p.replace("/", ".")


@dataclass(frozen=True)
class TextFile:
    """Prose of a submission, where written answers are: written.md, written.tex, a notebook's Markdown cells."""

    path: str  #: posix path relative to the submission root
    text: str  #: the text (a notebook's Markdown cells joined by blank lines)
    origin: str  #: name as handed in
    cells: tuple[tuple[int, str], ...] = ()  #: a notebook's Markdown cells: (offset in text, "cell #4")


@dataclass(frozen=True)
class CanvasInfo:
    """What a Canvas bulk download says about a submission."""

    name: str  #: the student's name as Canvas wrote it ("smithjohn")
    user_id: str  #: the student's Canvas user id ("" in an anonymously graded download)
    submission_id: str  #: Canvas's id of the newest file graded (its attachment id; "" for a text entry or a link)
    anonymous_id: str = ""  #: an anonymously graded download's anonymous id ("Xy3Kp", of "anon_Xy3Kp"), else ""
    #: the other user id a file name of the submission reads as (``park_12_2005_6006_q3.py``: user 12, read so,
    #: or park_12, user 2005), when nothing in the download told which (:func:`grader.canvas.read_download`), else ""
    other_user_id: str = ""


@dataclass(frozen=True)
class Submission:
    """One student's work, loaded into memory; no code has run yet."""

    id: str  #: safe as a folder name and in HTML; unique within a batch
    source: str  #: where it came from, for display ("alice.zip", "canvas.zip:alice_LATE_1_2_q1.py")
    kind: str  #: "module", "notebook", "folder", "zip", "canvas"
    files: tuple[SourceFile, ...] = ()
    late: bool = False
    canvas: CanvasInfo | None = None
    notes: tuple[str, ...] = ()  #: what the loader adapted, in the student's terms
    error: str | None = None  #: set when nothing could be loaded: the submission's status is "error"
    digest: str = ""  #: sha256 of the content, for the gradebook
    texts: tuple[TextFile, ...] = ()  #: prose files and notebook Markdown (written answers); never run


# --------------------------------------------------------------------------- recognise


@dataclass(frozen=True)
class Recognition:
    """The course version a submission looks like (grader/recognise.py), and why."""

    version: str  #: a built-in rubric name ("cs224d-2016", "cs224n-a2", "word2vec"...), "" when nothing tells
    reason: str  #: what it was based on: "word2vec.py defines naiveSoftmaxLossAndGradient; it imports utils.utils"
    #: when `version` is a four-question rubric (nothing else defined yet): the whole assignment's of that flavour
    whole: str = ""


# --------------------------------------------------------------------------- rubric


@dataclass(frozen=True)
class Tolerance:
    """|got - expected| <= atol + rtol * |expected|  (numpy.isclose's rule; expected is the reference).

    >>> Tolerance(rtol=1e-5, atol=1e-8).allowed(np.array([0.0, 2.0])).round(12).tolist()
    [1e-08, 2.001e-05]
    """

    rtol: float
    atol: float

    def allowed(self, expected: np.ndarray) -> np.ndarray:
        """Return the allowed absolute difference for each expected element."""
        with np.errstate(over="ignore", invalid="ignore"):  # huge tolerances: inf allowed, not a warning
            return self.atol + self.rtol * np.abs(expected)


@dataclass(frozen=True)
class FunctionSpec:
    """A function the rubric calls, and how to find it in a submission."""

    role: str  #: the rubric's name for it: "softmax", "cost_and_grad"
    names: tuple[str, ...]  #: accepted names, tried in order ("softmaxCostAndGradient", ...)
    modules: tuple[str, ...] = ()  #: modules searched first, in order; then every other student module
    params: tuple[str, ...] = ()  #: the rubric's names for the positional arguments, in order
    arities: tuple[int, ...] = ()  #: accepted argument counts, most preferred first; () = len(params)
    returns: tuple[str, ...] = ()  #: names of the returned values when it returns a tuple; () = one value
    missing_hint: str = ""  #: appended to the message when a submission defines none of the names; "" = none
    missing_hint_notebook: str = ""  #: said instead of missing_hint to a notebook; "" = missing_hint
    #: param -> the shape the course gives it ("(d,)"), named in messages when a call fails on shapes
    shapes: Mapping[str, str] = field(default_factory=dict)
    #: params a year's signature may lack because its function reads them as globals of its
    #: module (CS224d 2015: ``dataset``, ``dimensions``): when the student's function can't
    #: take every argument and has no parameter of that name, the argument is left out of
    #: the call and set as that global of the function's module for the call (``_worker``)
    globals: tuple[str, ...] = ()
    #: param or return name -> how messages name it in this course ("gradPred" -> "gradCenterVec" in a2);
    #: names not in it are shown as they are
    shown: Mapping[str, str] = field(default_factory=dict)
    #: what the year's starter stub of this function does, when it neither raises NotImplementedError
    #: nor returns a name it never sets: "returns-input" (CS224d 2015's ``return x`` after an empty
    #: ``### YOUR CODE HERE``), "returns-zeros" (zeros without calling the cost function it was
    #: given: CBOW's extra credit in 2016-2018, a2's skip-gram); "" = nothing more than those
    stub: str = ""
    #: names the year's starter leaves for the student to set and then uses (2015's
    #: forward_backward_prop stacks ``gradW1``...; its gradcheck_naive compares ``numgrad``): a
    #: NameError on one of them, never set in the function, is the starter's placeholder
    stub_names: tuple[str, ...] = ()

    def said(self, name: str) -> str:
        """Return how messages name the param or returned value `name` ("gradCenterVec" for a2's gradPred)."""
        return self.shown.get(name, name)

    @property
    def returns_said(self) -> tuple[str, ...]:
        """The returned values as messages name them (:meth:`said`)."""
        return tuple(self.said(r) for r in self.returns)


@dataclass(frozen=True)
class CaseSpec:
    """How to make one input case: a generator in the reference module, its parameters and seed."""

    id: str  #: "small", "large-vocab", ...
    function: str  #: the role called with this case
    generator: str  #: name of the generator function in the reference module
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    description: str = ""  #: for the report: "|V| = 5000, d = 50, scores around ±30"
    public: bool = True  #: False when only hidden checks use it (never put in the student kit)


@dataclass(frozen=True)
class CheckSpec:
    """One scored comparison: a case's output (or part of it) against the reference."""

    id: str  #: "question/check", as in result.json
    question: str
    case: str  #: CaseSpec.id
    function: str  #: role
    compare: str = "close"  #: "close" (output vs reference), "unmodified" (inputs after the call), "property" (judged by a reference function)
    output: str | None = None  #: which returned value ("cost", "gradPred"...), None for the whole value
    expected: str = ""  #: reference function computing the expected value from the case's inputs
    points: float = 1.0
    tolerance: Tolerance = Tolerance(1e-5, 1e-8)
    shape: str = "squeeze"  #: "strict", "squeeze" (singleton dims may differ), "leading" (only leading ones may be added)
    visibility: Visibility = "public"
    timeout: float = 2.0  #: seconds of wall-clock time for the call
    mistakes: tuple[str, ...] = ()  #: mistake ids to try when the check fails
    description: str = ""
    #: the id of a check of the same question that makes the same call with a cost function
    #: supplied by the grader (this one passes the student's own): when this one fails and that
    #: one passes, the message names the cost function's questions as the cause
    same_as: str = ""
    #: compare "behaviour": the grader's judge deciding from the call's outcome (behaviour.py)
    behaviour: str = ""
    #: for a behaviour judge: what the call must show ("pass"/"fail" for a gradient check)
    expect: str = ""
    #: for a gradient check: the ways a failure may be reported ("text", "return", "assert", "raise")
    signals: tuple[str, ...] = ()
    #: accepted conventions: name -> {output -> expected function} (e.g. summed or averaged over
    #: a batch); the check passes when its output matches the convention the call followed
    conventions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: the output whose match decides the call's convention (the others must follow it); "" = each on its own
    convention_by: str = ""
    #: convention name -> how messages say it ("python3-division" -> "... as Python 3 does (true division)");
    #: a name not in it is said as it is ("summed"); notes keep the name ("convention: python3-division")
    convention_text: Mapping[str, str] = field(default_factory=dict)
    #: for compare "property": the reference function judging the answer, ``f(got, *case args)``
    #: -> True/False or (bool, message); it runs in the grader's process, on plain arrays
    property: str = ""


@dataclass(frozen=True)
class Question:
    """A graded question: a group of checks whose points add up."""

    id: str  #: "softmax", "cross_entropy", "grad_pred", "grad_output"
    title: str
    checks: tuple[CheckSpec, ...]
    file: str = ""  #: the starter file it belongs to ("q1", "q2", "q3", "sgd", "q4"): reports and the kit group by it
    extra: bool = False  #: extra credit: its points add to the score, never to the maximum

    @property
    def max_score(self) -> float:
        """Return the sum of the checks' points."""
        return float(sum(c.points for c in self.checks))


@dataclass(frozen=True)
class StarterModule:
    """A stand-in for a starter helper a submission may import without handing in."""

    module: str  #: "q2_gradcheck", "utils.utils"
    path: str  #: file path relative to the stand-in root, "utils/utils.py"
    text: str
    provides: tuple[str, ...] = ()  #: roles it would answer (withheld while those roles are graded)


@dataclass(frozen=True)
class Settings:
    """Rubric-wide options (the [settings] table)."""

    translate_py2: bool | None = True  #: translate Python 2 code with fissix; False: report the first py2 construct; None: read code as written, not looked at (the similarity check)
    notebook_mode: str = "all"  #: "all": run every cell with a per-cell budget; "definitions": only defs/imports/assignments
    cell_timeout: float = 5.0  #: seconds a notebook cell or top-level statement may take before it is abandoned
    load_timeout: float = 20.0  #: seconds for loading a submission (all its top-level code)
    stub_modules: tuple[str, ...] = ()  #: modules replaced by an empty stand-in when missing (sklearn...)
    allow_packages: tuple[str, ...] = ("numpy",)  #: distributions visible in the sandbox
    memory_mb: int = 1024  #: address-space limit of the student's process
    max_output_kb: int = 64  #: stdout+stderr kept per process; the rest is counted and dropped
    consistency_points: bool = False  #: whether the self-consistency gradient check scores
    #: a starter's stub (NotImplementedError, None returned, the given function never called):
    #: "error" (the call's error, as for any exception) or "fail" (0 points, "Not implemented")
    not_implemented: str = "error"
    #: how much a named mistake's hint gives away: "name" (what the mistake is), "explain" (and
    #: why it is wrong, what the right rule is), "fix" (and the code that fixes it, the mistake's ``fix``)
    hints: str = "explain"


@dataclass(frozen=True)
class WrittenSymbol:
    """A symbol students may use in a written answer, and what it stands for on an instance."""

    name: str  #: as students write it, in plain form: "W", "rhat" (r̂), "w" (w_j), "v_c", "CE"
    #: "vector", "matrix", "scalar", "onehot" (y; y_k its entries), "family" (w_j: row j of W),
    #: "onehots" (y_j: the one-hot vector of word j), "index" (i: a fixed word), "each" (w: the
    #: answer must hold for every word), "size" (V, K: a count), "quantity" (CE: a reference value)
    role: str
    value: str = ""  #: the instance's key ("W", "r", "i"); for a quantity, a reference function
    axis: str = "row"  #: family: "row" (w_j = W[j]) or "column" (u_w = U[:, w])
    domain: str = "vocab"  #: each: "vocab" (every word) or "others" (every word but the target)
    text: str = ""  #: what it is, for messages: "r̂, the predicted word vector (d)"


@dataclass(frozen=True)
class WrittenQuestion:
    """A written question: an expression (or a derivation) that must equal a reference quantity."""

    id: str  #: "grad_pred"; results name it "written/grad_pred"
    title: str
    expected: str  #: reference function of the instance (and of the "each" indices) giving the value
    symbols: Mapping[str, WrittenSymbol] = field(default_factory=dict)
    labels: tuple[str, ...] = ()  #: how the quantity is written on the left of "=": "\frac{\partial CE}{\partial \hat{r}}"
    compact: str = ""  #: the compact form shown when a right answer is longer ("W^\top(\hat{y} - y)")
    points: float = 1.0
    indices: Mapping[str, str] = field(default_factory=dict)  #: sum index -> "vocab", "samples", "context"
    mistakes: tuple[str, ...] = ()  #: ids of [written.mistakes] tried when the answer is wrong
    prompt: str = ""  #: the question as asked (the rubric's documentation of it)
    functions: tuple[str, ...] = ()  #: functions students may use ("exp", "log", "sigma", "softmax"...); () = all
    #: functions a student may write without their argument, and what it is: {"sigma": "x"} reads σ(1 - σ) as
    #: σ(x)(1 - σ(x)), as a person would where σ'(x) is asked for "in terms of σ(x)"
    bare: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenPart:
    """The written questions of a rubric and how their instances are drawn."""

    questions: tuple[WrittenQuestion, ...]
    reference_path: str  #: absolute path of the reference module of the written part
    generator: str = "instance"  #: reference function gen(rng, **params) -> {name: value}
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    instances: int = 3  #: random instances every line is evaluated on
    tolerance: Tolerance = Tolerance(1e-6, 1e-9)
    mistakes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  #: id -> {message, detector...}
    notations: Mapping[str, Mapping[str, WrittenSymbol]] = field(default_factory=dict)
    #: the reference module's source, so that a process without the file (a cluster worker) can load it
    reference_source: str = field(default="", repr=False)

    def question(self, qid: str) -> WrittenQuestion | None:
        """Return the question `qid` ("grad_pred" or "written/grad_pred"), or None."""
        qid = qid.removeprefix("written/")
        return next((q for q in self.questions if q.id == qid), None)


@dataclass(frozen=True)
class Rubric:
    """A whole assignment: questions, functions, cases, stand-ins, settings."""

    name: str  #: "word2vec-softmax" (result.json's "rubric")
    title: str
    version: str
    questions: tuple[Question, ...]
    functions: Mapping[str, FunctionSpec]
    cases: Mapping[str, CaseSpec]
    starter: tuple[StarterModule, ...] = ()
    settings: Settings = Settings()
    mistakes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  #: id -> {message, ...}
    reference_path: str = ""  #: absolute path of the reference module (loaded in the grader only)
    path: str = ""  #: the TOML file
    digest: str = ""  #: sha256 of the TOML, reference and stand-ins
    #: the [consistency] table: {"function", "cost", "wrt": {gradient: param}, "cases", "h",
    #: "tolerance", "timeout", "points", "sample" (int or None)}; {} when the rubric has none
    #: (see rubric.py)
    consistency: Mapping[str, Any] = field(default_factory=dict)
    written: WrittenPart | None = None  #: the [written] part: questions answered by an expression

    #: the [sampling] table (negative sampling): {"conventions": ("reject", ...)}; see rubric.py
    sampling: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()  #: the top-level ``files`` list as written (the questions are in its order)
    #: recognised course version -> the built-in rubric whose words a submission of that version
    #: reads (the ``wording`` table: problem-set's a2 students read a2's names; rubric.reworded)
    wording: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        """Return the sum of the questions' maximum scores (written questions' points included,
        extra-credit questions left out)."""
        written = sum(q.points for q in self.written.questions) if self.written is not None else 0.0
        return float(sum(q.max_score for q in self.questions if not q.extra) + written)

    def checks(self) -> tuple[CheckSpec, ...]:
        """Return every check, in rubric order."""
        return tuple(c for q in self.questions for c in q.checks)


@dataclass(frozen=True)
class Case:
    """A case made real: inputs generated from the seed (sent to the student) and expected values (never sent)."""

    spec: CaseSpec
    args: tuple[Any, ...]  #: positional arguments: np.ndarray, int, float, or Dataset
    expected: Mapping[str, np.ndarray]  #: reference function name -> expected value; grader side only


@dataclass(frozen=True)
class Built:
    """Marker argument: built in the student's process from plain data (``_worker._build``).

    ``kind`` is one of "function" (f(x) -> (cost, gradient) of a quadratic, recording its
    calls), "postprocess" (x -> factor * x, recording its calls), "use-saved" (True, with the
    starter's saved-parameter helpers replaced for the call), "list" (a Python list of the
    numbers in ``data["values"]``), "tokens" ({"w0": 0, ...} for ``data["vocab"]`` words) and
    "words" (["w3", "w1", ...] for ``data["indices"]``).  ``data`` holds only numbers, strings,
    lists and arrays: nothing the grader knows of the expected values.
    """

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """Marker argument: the harness hands the student a deterministic stand-in for `dataset`.

    With a ``script``, its ``sampleTokenIdx()`` returns those indices in order (then draws
    from ``random.Random(seed)``) and records every draw; the draws come back with the
    call's outcome (``CallOutcome.draws``).  In the grader's process only, a case is
    *resolved* on what one student drew: ``drawn`` holds the draws and ``convention`` how
    draws equal to the target were treated ("reject" or "use"), for the reference's
    expected values and wrong formulas (see ``grader.sampling``).
    """

    vocab: int
    seed: int = 0
    script: tuple[int, ...] = ()  #: the scripted draws (the target and duplicates in them on purpose)
    drawn: tuple[int, ...] | None = None  #: grader side only: what one student drew
    convention: str = ""  #: grader side only: "reject" or "use"


@dataclass(frozen=True, eq=False)  # its table holds arrays: compared (and hashed) by identity
class CostFn:
    """Marker argument: a cost function passed to skip-gram or CBOW (``word2vecCostAndGradient``).

    Either ``role``: the student's own function of that role (``"cost_and_grad"``), or
    ``table``: a function of the grader's that answers only the exact calls of one case,
    from values the grader chose for them.  Each entry of the table is ``(predicted,
    target, cost, gradPred, grad)``, and ``outputs`` the sha256 of the outputVectors (float64
    bytes) every call must pass.  A call carrying a table is ``private``: its arguments
    travel with that call only, and it is made after every other call.
    """

    role: str = ""
    table: tuple[tuple[Any, ...], ...] = ()
    outputs: str = ""


# --------------------------------------------------------------------------- sandbox


@dataclass(frozen=True)
class Call:
    """One call the student's process is asked to make."""

    id: str  #: "<role>:<case>", unique in a run
    function: str  #: role
    args: tuple[Any, ...]
    timeout: float = 2.0
    echo_args: bool = False  #: send the array arguments back after the call (in-place modification check)
    max_elems: int = 1_000_000  #: the most numbers accepted back for this call
    kind: str = "call"  #: "call", or "numgrad": central differences of the student's own cost
    withhold: tuple[str, ...] = ()  #: stand-in modules not offered during this call
    #: for kind "numgrad": {"output": 0, "wrt": [0, 2], "h": 1e-4}, and optionally "sample": one entry
    #: per wrt argument, a list of flat (C-order) indices to differentiate only (the result for it is
    #: then 1-D, in that order) or None for every element
    numgrad: Mapping[str, Any] = field(default_factory=dict)
    #: its arguments are sent with the call only (never preloaded in the warm process that
    #: every submission's process is forked from): a grader-supplied cost function's table
    private: bool = False
    #: the call's case is used by hidden checks only: it is made in a process of its own, after
    #: every public call, and nothing of that process the student controls is shown (SECURITY.md)
    hidden: bool = False


@dataclass(frozen=True)
class Value:
    """What a call returned, as the grader received it: plain arrays or a description."""

    type: str  #: the Python type's name in the student's process: "ndarray", "tuple", "float", "list", "matrix"
    dtype: str | None = None  #: numpy dtype of the array, None for tuples and non-numeric values
    shape: tuple[int, ...] | None = None
    array: np.ndarray | None = None  #: decoded from raw bytes; None for tuples and non-numeric values
    items: tuple["Value", ...] | None = None  #: for a returned tuple/list of values
    repr: str | None = None  #: capped repr for a non-numeric value


@dataclass(frozen=True)
class Frame:
    """One line of a traceback, in the student's terms."""

    where: str  #: "q3_word2vec.py" or "hw1.ipynb, cell [4]"
    line: int
    code: str = ""
    function: str = ""


@dataclass(frozen=True)
class ErrorInfo:
    """An exception raised (or a death suffered) in the student's process."""

    type: str  #: "ValueError", "Timeout", "Crash", "SystemExit", "NotImplementedError"
    message: str
    frames: tuple[Frame, ...] = ()  #: student frames only, innermost last
    traceback: str = ""  #: the student-frame traceback as text, capped

    def only_repeats(self, message: str) -> bool:
        """True when this error says nothing ``message`` does not.

        The sandbox describes a missing function, a timeout or a crash with the same
        sentence as the check's message (no traceback, no frames); and the starter's bare
        ``raise NotImplementedError``, raised where the function itself is, with a message
        that names the exception, its file and its line (a traceback would only add the
        placeholder's ``raise`` line).  Renderers show such an error once.

        >>> ErrorInfo("Timeout", "f did not return.").only_repeats("f did not return.")
        True
        >>> ErrorInfo("ValueError", "bad", traceback="  x.py, line 3").only_repeats("bad")
        False
        >>> stub = ErrorInfo("NotImplementedError", "", (Frame("q1.py", 5, "raise NotImplementedError", "softmax"),),
        ...                  "  q1.py, line 5, in softmax")
        >>> stub.only_repeats("Not implemented: softmax still raises NotImplementedError (q1.py, line 5): ...")
        True
        >>> stub.only_repeats("softmax raised NotImplementedError.")
        False
        """
        if (self.type == "NotImplementedError" and not self.message.strip() and len(self.frames) == 1
                and self.traceback.count(", line ") <= 1):  # (the text names no other frame either)
            f = self.frames[0]
            return f"NotImplementedError ({f.where}, line {f.line})" in message
        return bool(self.message) and self.message in message and not self.frames and not self.traceback.strip()


@dataclass(frozen=True)
class CallOutcome:
    """What happened to one Call."""

    call: str  #: Call.id
    status: CallStatus
    value: Value | None = None
    echoed: tuple[Value | None, ...] = ()  #: the arguments after the call (echo_args)
    error: ErrorInfo | None = None
    message: str = ""  #: one line in the student's terms when status != "ok"
    notes: tuple[str, ...] = ()  #: adaptations made ("called with 3 arguments: no `dataset` parameter")
    output: str = ""  #: what the student's code printed during the call, capped
    seconds: float = 0.0
    draws: tuple[int, ...] | None = None  #: what a scripted dataset's sampleTokenIdx() returned, in order
    costfn_calls: int | None = None  #: how many times the grader-supplied cost function was called
    #: what the call's built arguments recorded (model.Built): one mapping of plain numbers,
    #: strings and lists each, e.g. {"kind": "function", "calls": 13, "states": 1}
    probes: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class UnitError:
    """A top-level statement or notebook cell that failed while loading; the rest still ran."""

    where: str  #: "hw1.ipynb, cell [3]" or "q3_word2vec.py, line 88"
    error: ErrorInfo


@dataclass(frozen=True)
class LoadReport:
    """How loading the submission's code went in the student's process."""

    modules: tuple[str, ...] = ()  #: student modules loaded
    functions: Mapping[str, str] = field(default_factory=dict)  #: role -> "module.name" found
    unit_errors: tuple[UnitError, ...] = ()
    notes: tuple[str, ...] = ()  #: stand-ins used, stubs, fallbacks, skipped cells
    output: str = ""  #: printed while loading, capped


@dataclass(frozen=True)
class RunReport:
    """Everything the sandbox returns for one submission."""

    load: LoadReport
    outcomes: Mapping[str, CallOutcome]  #: Call.id -> outcome
    isolation: str  #: "bwrap", "bwrap-userns", "process": the isolation level used
    seconds: float = 0.0
    error: str | None = None  #: the sandbox itself failed for this submission (grader-side problem)
    #: CPU seconds in the sandbox, summed over the run's requests, as each leader measured them:
    #: "leader" (the per-request leaders themselves) and "children" (every process a leader
    #: reaped: the student's processes, harness included). Diagnostic only: no verdict reads it.
    cpu: Mapping[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Element:
    """One mismatching element: where, what came, what was expected, how far it may be off."""

    index: tuple[int, ...]
    got: float
    expected: float
    allowed: float


@dataclass(frozen=True)
class Mismatch:
    """Why a value failed, as data; text and HTML are two renderings of it."""

    reason: Literal["type", "shape", "nonfinite", "values"]  #: tried in this order; the first one wins
    summary: str  #: "shape (3, 1), expected (3,)"
    n_bad: int = 0  #: over all elements, like numpy
    n_total: int = 0
    worst: tuple[Element, ...] = ()  #: up to 5, largest |got - expected| first
    max_abs: float | None = None  #: among mismatches only
    max_rel: float | None = None  #: among mismatches, relative to |expected|
    heat: tuple[tuple[float, ...], ...] | None = None  #: small grid (<= 16x16) of mismatch share, for matrices


@dataclass(frozen=True)
class Shown:
    """The shape/dtype of a value, as shown beside the expected one."""

    type: str
    dtype: str | None
    shape: tuple[int, ...] | None


@dataclass(frozen=True)
class WrittenLine:
    """How one line (one step) of a written answer was read and judged."""

    line: int  #: line in the student's answer, 1-based
    source: str  #: as the student wrote it
    read: str  #: how it was read, in plain text ("log(Σ_j exp(w_jᵀ r̂))")
    mathml: str  #: the same reading as MathML (rendered without any script)
    status: str  #: "right", "wrong", "error", "start" (first step, judged by what follows), "label"
    message: str = ""


@dataclass(frozen=True)
class WrittenFeedback:
    """A written answer's reading, line by line, and what the judge found."""

    lines: tuple[WrittenLine, ...] = ()
    first_wrong: int | None = None  #: line of the first step that does not equal the step before
    compact: str = ""  #: the rubric's compact form, shown when the right answer is longer
    compact_mathml: str = ""
    instance: str = ""  #: the instance where a wrong step differs: "|V| = 5, d = 3, i = 2"


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one check."""

    id: str
    question: str
    status: CheckStatus
    score: float
    max_score: float
    message: str  #: one line: "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values."
    hint: str | None = None  #: named-mistake explanation, None when no known mistake matched
    mistake: str | None = None  #: stable mistake id ("softmax-no-max-shift")
    visibility: Visibility = "public"
    case: str = ""  #: the case's description
    got: Shown | None = None
    expected: Shown | None = None
    mismatch: Mismatch | None = None
    error: ErrorInfo | None = None
    notes: tuple[str, ...] = ()  #: e.g. "shape (1, 3) accepted as (3,)"
    output: str = ""  #: what the call printed
    written: WrittenFeedback | None = None  #: a written question's line-by-line reading

    def to_dict(self) -> dict[str, Any]:
        """Return the result.json form of this check (contract fields first)."""
        d = {
            "id": self.id,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "hint": self.hint,
            "mistake": self.mistake,
            "visibility": self.visibility,
            "case": self.case,
            "notes": list(self.notes),
        }
        if self.got is not None:
            d["got"] = _plain(self.got)
        if self.expected is not None:
            d["expected"] = _plain(self.expected)
        if self.mismatch is not None:
            d["mismatch"] = _plain(self.mismatch)
        if self.error is not None:
            d["error"] = _plain(self.error)
        if self.written is not None:
            d["written"] = _plain(self.written)
        return d


@dataclass(frozen=True)
class QuestionResult:
    """A question's checks and their sum."""

    id: str
    title: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]
    file: str = ""  #: the starter file it belongs to (Question.file); "" when the rubric does not say
    extra: bool = False  #: extra credit: the submission's max_score leaves it out

    def to_dict(self) -> dict[str, Any]:
        """Return the result.json form of this question."""
        d = {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.extra:
            d["extra"] = True
        if self.file:
            d["file"] = self.file
        return d


@dataclass(frozen=True)
class Consistency:
    """Self-consistency: does the student's gradient match their own cost (central differences)?"""

    case: str
    wrt: str  #: "gradPred" or "grad"
    status: Literal["consistent", "inconsistent", "error"]
    max_abs: float | None = None
    max_rel: float | None = None
    message: str = ""  #: the facts of this comparison: largest difference, elements checked
    #: what the comparison means once read with the reference checks of the same case
    #: (:func:`grader.checks.read_consistency`): "right", "gradient-wrong", "cost-wrong",
    #: "cost-wrong-gradient-derived", "both-wrong", ...; "" until it is read
    verdict: str = ""
    headline: str = ""  #: the verdict in one sentence for the student
    said: str = ""  #: how the course names `wrt` ("gradCenterVec" in a2), "" when as `wrt`
    cost_said: str = ""  #: how the course names the cost ("loss" in a2), "" for "cost"
    #: the student's function differentiated, as found ("naiveSoftmaxLossAndGradient"), "" when unknown:
    #: a whole problem set has several gradients, and this says which one was compared
    function: str = ""

    @property
    def named(self) -> str:
        """The gradient's name as the student's course writes it."""
        return self.said or self.wrt

    @property
    def cost_named(self) -> str:
        """The cost as the student's course calls it: "cost" (CS224d), "loss" (CS224n a2)."""
        return self.cost_said or "cost"

    @property
    def question(self) -> str:
        """The heading of the comparison, as every view says it.

        >>> Consistency("small", "gradPred", "consistent").question
        'Does your gradient match your own cost?'
        >>> Consistency("small", "gradPred", "consistent", cost_said="loss", function="naiveSoftmaxLossAndGradient").question
        'Does your gradient match your own loss (naiveSoftmaxLossAndGradient)?'
        """
        return f"Does your gradient match your own {self.cost_named}{f' ({self.function})' if self.function else ''}?"


@dataclass(frozen=True)
class SimilarityMatch:
    """A lead from the similarity check (``grader similarity``): code this submission shares with another.

    For the TA only: never shown in the student's report, terminal or Gradescope output.
    """

    other: str  #: the other submission's id, or the --against source ("folder/path")
    kind: Literal["submission", "source"]  #: what `other` is
    share: float  #: share of matched code, 0..1, as ranked in similarity.html


@dataclass(frozen=True)
class Override:
    """A person's adjustment of a score, kept in the gradebook and applied over every regrade.

    The automatic score it replaced is kept beside it; when a regrade gives another
    automatic score (a rubric fix, say), the override still holds and ``review`` says a
    person should look at it again.
    """

    question: str  #: the question id; "" overrides the submission's total
    score: float  #: the score a person set
    auto_score: float  #: the automatic score it replaces, as graded now
    note: str = ""  #: why, in the person's words (shown to the student)
    by: str = ""  #: who
    at: str = ""  #: when, ISO 8601 UTC
    review: bool = False  #: the automatic score is no longer the one the person saw when setting it


@dataclass(frozen=True)
class Regrade:
    """How a result came from an earlier one after a rubric change (``grader grade`` under a changed rubric).

    The submission's files were unchanged; the rubric was not.  Where the change could be
    traced to some questions, only those were graded again and the other questions'
    verdicts were taken from the earlier result (``full`` False); otherwise every question
    was (``full`` True, ``reason`` says why).
    """

    previous_score: float  #: the score before the rubric change (people's overrides included, as shown then)
    previous_max_score: float
    previous_status: str  #: "graded" or "error"
    previous_rubric: str  #: ``Rubric.digest`` of the rubric the earlier result was graded with
    questions: tuple[str, ...] = ()  #: the questions graded again (every question's id when ``full``)
    full: bool = False  #: every question was graded again
    reason: str = ""  #: why every question was (``full``), or what changed ("" otherwise)


@dataclass(frozen=True)
class SubmissionResult:
    """Everything decided about one submission; reporters only render it."""

    submission: str
    rubric: str
    status: SubmissionStatus
    score: float
    max_score: float
    questions: tuple[QuestionResult, ...] = ()
    errors: tuple[str, ...] = ()  #: submission-level problems, in the student's terms
    notes: tuple[str, ...] = ()  #: adaptations (translation, shapes accepted, stand-ins used)
    load: LoadReport | None = None
    consistency: tuple[Consistency, ...] = ()
    isolation: str = ""
    late: bool = False
    source: str = ""
    canvas: CanvasInfo | None = None
    files: tuple[SourceFile, ...] = ()  #: kept for the report (code, translation diffs)
    seconds: float = 0.0
    grader_version: str = ""
    rubric_reason: str = ""  #: why this rubric: recognised from the submission (or the batch), or given
    looks_like: str = ""  #: the course version the submission looks like when it is not the rubric's; "" otherwise
    similarity: tuple[SimilarityMatch, ...] = ()  #: the similarity check's best matches (TA only); () when not run
    #: a student's self-check: only the public checks ran, and max_score counts only theirs
    public_only: bool = False
    #: scores a person set (grader override); the questions' and the total's scores already include them
    overrides: tuple[Override, ...] = ()
    #: set when this result regraded an unchanged submission after a rubric change (the score before it)
    regrade: Regrade | None = None

    schema: str = SCHEMA

    def checks(self) -> tuple[CheckResult, ...]:
        """Return every check result, in rubric order."""
        return tuple(c for q in self.questions for c in q.checks)

    def extra_checks(self) -> tuple[CheckResult, ...]:
        """Return the check results of the extra-credit questions, in rubric order."""
        return tuple(c for q in self.questions if q.extra for c in q.checks)

    def by_file(self) -> bool:
        """Return whether the questions are grouped by starter file: a File column says something only for two or more."""
        return len({q.file for q in self.questions}) > 1

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> "SubmissionResult":
        """Rebuild a result from its result.json document (sources and diffs are not in it)."""
        return result_from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        """Return the result.json document (schema "grader.result/1").

        ``similarity`` is there only when the similarity check found matches (an optional
        field: documents without it are as valid as before).
        """
        d = {
            "schema": self.schema,
            "submission": self.submission,
            "rubric": self.rubric,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "questions": [q.to_dict() for q in self.questions],
            "errors": list(self.errors),
            "notes": list(self.notes),
            "late": self.late,
            "isolation": self.isolation,
            "source": self.source,
            "canvas": _plain(self.canvas) if self.canvas else None,
            "load": _plain(self.load) if self.load else None,
            "consistency": [{k: v for k, v in _plain(c).items() if k not in ("said", "cost_said", "function") or v}
                            for c in self.consistency],
            "translated": [f.path for f in self.files if f.translated],
            "seconds": round(self.seconds, 4),
            "grader_version": self.grader_version,
            "rubric_reason": self.rubric_reason,
            "looks_like": self.looks_like,
            **({"public_only": True} if self.public_only else {}),
            **({"overrides": [_plain(o) for o in self.overrides]} if self.overrides else {}),
            **({"regrade": _plain(self.regrade)} if self.regrade is not None else {}),
        }
        if self.similarity:
            d["similarity"] = [_plain(m) for m in self.similarity]
        return d


#: Field names of the dataclasses :func:`_plain` has met, in declaration order.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_INFINITIES = (float("inf"), float("-inf"))


def _plain(obj: Any) -> Any:
    """Turn dataclasses, tuples, numpy scalars and mappings into JSON-ready values.

    A dataclass becomes a dict of its fields in declaration order (what
    ``dataclasses.asdict`` gives, without its deep copies).

    >>> _plain(Shown("ndarray", "float64", (2, 3)))
    {'type': 'ndarray', 'dtype': 'float64', 'shape': [2, 3]}
    >>> _plain({"a": (1.5, float("nan")), "b": np.float32(0.5), "c": np.arange(2)})
    {'a': [1.5, None], 'b': 0.5, 'c': [0, 1]}
    """
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is float:
        return None if obj != obj or obj in _INFINITIES else obj  # NaN and infinities are not JSON
    if t is tuple or t is list:
        return [_plain(v) for v in obj]
    if t is dict:
        return {str(k): _plain(v) for k, v in obj.items()}
    names = _FIELD_NAMES.get(t)
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELD_NAMES.setdefault(t, tuple(f.name for f in fields(obj)))
    if names is not None:
        return {name: _plain(getattr(obj, name)) for name in names}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None  # NaN and infinities are not JSON
    return obj


# --------------------------------------------------------------------------- reading result.json back


def _shown(d: Any) -> Shown | None:
    if not isinstance(d, Mapping):
        return None
    shape = d.get("shape")
    return Shown(type=str(d.get("type", "")), dtype=d.get("dtype"),
                 shape=tuple(shape) if isinstance(shape, list) else None)


def _error_info(d: Any) -> ErrorInfo | None:
    if not isinstance(d, Mapping):
        return None
    frames = tuple(Frame(where=f.get("where", ""), line=int(f.get("line", 0)), code=f.get("code", ""),
                         function=f.get("function", "")) for f in d.get("frames", []))
    return ErrorInfo(type=d.get("type", ""), message=d.get("message", ""), frames=frames,
                     traceback=d.get("traceback", ""))


def _mismatch(d: Any) -> Mismatch | None:
    if not isinstance(d, Mapping):
        return None
    worst = tuple(Element(index=tuple(e.get("index", ())), got=e.get("got"), expected=e.get("expected"),
                          allowed=e.get("allowed")) for e in d.get("worst", []))
    heat = d.get("heat")
    return Mismatch(reason=d.get("reason", "values"), summary=d.get("summary", ""), n_bad=d.get("n_bad", 0),
                    n_total=d.get("n_total", 0), worst=worst, max_abs=d.get("max_abs"), max_rel=d.get("max_rel"),
                    heat=tuple(tuple(r) for r in heat) if isinstance(heat, list) else None)


def _written(d: Any) -> WrittenFeedback | None:
    if not isinstance(d, Mapping):
        return None
    lines = tuple(WrittenLine(**{k: ln.get(k, "") for k in ("line", "source", "read", "mathml", "status", "message")})
                  for ln in d.get("lines", ()) if isinstance(ln, Mapping))
    return WrittenFeedback(lines=lines, first_wrong=d.get("first_wrong"), compact=d.get("compact", ""),
                           compact_mathml=d.get("compact_mathml", ""), instance=d.get("instance", ""))


def check_from_dict(d: Mapping[str, Any], question: str) -> CheckResult:
    """Rebuild a CheckResult from its result.json form."""
    return CheckResult(
        id=d["id"], question=question, status=d["status"], score=float(d["score"]),
        max_score=float(d["max_score"]), message=d.get("message", ""), hint=d.get("hint"),
        mistake=d.get("mistake"), visibility=d.get("visibility", "public"), case=d.get("case", ""),
        got=_shown(d.get("got")), expected=_shown(d.get("expected")), mismatch=_mismatch(d.get("mismatch")),
        error=_error_info(d.get("error")), notes=tuple(d.get("notes", ())), written=_written(d.get("written")))


def result_from_dict(d: Mapping[str, Any]) -> SubmissionResult:
    """Rebuild a SubmissionResult from result.json (sources and diffs are not in it)."""
    questions = tuple(
        QuestionResult(id=q["id"], title=q.get("title", q["id"]), score=float(q["score"]), file=str(q.get("file", "")),
                       max_score=float(q["max_score"]),
                       checks=tuple(check_from_dict(c, q["id"]) for c in q.get("checks", ())),
                       extra=bool(q.get("extra", False)))
        for q in d.get("questions", ()))
    load = d.get("load")
    load_report = None
    if isinstance(load, Mapping):
        load_report = LoadReport(
            modules=tuple(load.get("modules", ())), functions=dict(load.get("functions", {})),
            unit_errors=tuple(UnitError(where=u.get("where", ""), error=_error_info(u.get("error")))
                              for u in load.get("unit_errors", ())),
            notes=tuple(load.get("notes", ())), output=load.get("output", ""))
    canvas = d.get("canvas")
    return SubmissionResult(
        submission=d["submission"], rubric=d.get("rubric", ""), status=d["status"], score=float(d["score"]),
        max_score=float(d["max_score"]), questions=questions, errors=tuple(d.get("errors", ())),
        notes=tuple(d.get("notes", ())), load=load_report,
        consistency=tuple(Consistency(**c) for c in d.get("consistency", ())),
        isolation=d.get("isolation", ""), late=bool(d.get("late", False)), source=d.get("source", ""),
        canvas=CanvasInfo(**canvas) if isinstance(canvas, Mapping) else None,
        seconds=float(d.get("seconds", 0.0)), grader_version=d.get("grader_version", ""),
        rubric_reason=str(d.get("rubric_reason") or ""), looks_like=str(d.get("looks_like") or ""),
        public_only=bool(d.get("public_only", False)), similarity=_similarity(d.get("similarity")),
        overrides=tuple(Override(**o) for o in d.get("overrides", ()) if isinstance(o, Mapping)),
        regrade=_regrade(d.get("regrade")), schema=d.get("schema", SCHEMA))


def _regrade(d: Any) -> Regrade | None:
    """Read result.json's optional ``regrade`` block; a malformed one is left out."""
    if not isinstance(d, Mapping):
        return None
    try:
        return Regrade(previous_score=float(d["previous_score"]), previous_max_score=float(d["previous_max_score"]),
                       previous_status=str(d.get("previous_status", "graded")),
                       previous_rubric=str(d.get("previous_rubric", "")),
                       questions=tuple(str(q) for q in d.get("questions", ())), full=bool(d.get("full", False)),
                       reason=str(d.get("reason", "")))
    except (KeyError, TypeError, ValueError):
        return None


def _similarity(items: Any) -> tuple[SimilarityMatch, ...]:
    """Read result.json's optional ``similarity`` list; anything malformed is left out."""
    if not isinstance(items, list):
        return ()
    out = []
    for m in items:
        if isinstance(m, Mapping) and isinstance(m.get("other"), str) and m.get("kind") in ("submission", "source"):
            try:
                out.append(SimilarityMatch(other=m["other"], kind=m["kind"], share=float(m.get("share", 0.0))))
            except (TypeError, ValueError):
                continue
    return tuple(out)

