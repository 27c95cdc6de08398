"""The sandbox with real child processes: values, deaths, timeouts, leftovers, isolation."""

from __future__ import annotations

import errno
import os
import sys
import re
import textwrap
import time

import numpy as np
import pytest

from grader import _worker
from grader.model import Call, Cell, Dataset, FunctionSpec, Settings, SourceFile, StarterModule, Submission
from grader.sandbox import UID_BASE, Sandbox, available

LEVELS = available()
FNS = {
    "softmax": FunctionSpec(role="softmax", names=("softmax",), modules=("q1_softmax",)),
    "cost": FunctionSpec(role="cost", names=("softmaxCostAndGradient", "naiveSoftmaxLossAndGradient"),
                         params=("predicted", "target", "outputVectors", "dataset"), arities=(4, 3),
                         returns=("cost", "gradPred", "grad")),
}
FAST = Settings(load_timeout=5.0, cell_timeout=0.5)


@pytest.fixture(scope="module", params=LEVELS)
def sandbox(request):
    with Sandbox(request.param) as sb:
        yield sb


def module(src: str, name: str = "sub.py", *more: tuple[str, str]) -> Submission:
    files = [SourceFile(path=name, text=textwrap.dedent(src), origin=name)]
    files += [SourceFile(path=p, text=textwrap.dedent(t), origin=p) for p, t in more]
    return Submission(id="s", source=name, kind="module", files=tuple(files))


X = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0]])


def softmax_call(cid="softmax:x", timeout=1.0, **kw) -> Call:
    return Call(id=cid, function="softmax", args=(X,), timeout=timeout, **kw)


def translated(src: str) -> Submission:
    """A module translated from Python 2 (its `/` keeps Python 2's meaning while graded)."""
    return Submission(id="s", source="q.py", kind="module",
                      files=(SourceFile(path="q.py", text=src, origin="q.py", translated=True),))


def run(sb, sub, calls, settings=FAST, starter=()):
    return sb.run(sub, calls, functions=FNS, starter=starter, settings=settings)


GOOD = """
import numpy as np
def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""


#: Student code (a test's stand-in for a hostile submission) that writes a forged frame to
#: every pipe it holds beyond fds 0-2: its event pipe is one of them.
TO_EVERY_PIPE = """
def _to_every_pipe(frame):
    import os, stat
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                view = memoryview(frame)
                while view:
                    view = view[os.write(fd, view):]
        except OSError:
            pass
"""


# --------------------------------------------------------------------------- wire format


def test_pack_unpack_round_trip_keeps_dtype_and_shape():
    obj = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": b"\x00\xff", "s": np.float64(2.5),
           "z": np.zeros((0, 4)), "n": float("nan"), "d": np.array(3.5), "t": np.arange(6.0).reshape(2, 3).T}
    frames = _worker.FrameReader(1 << 20).feed(_worker.pack(obj))
    (header, blobs, _), = frames
    got = _worker.unpack(header, blobs)
    assert got["a"].dtype == np.float32 and got["a"].shape == (2, 3)
    assert got["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got["b"] == b"\x00\xff" and got["s"] == 2.5 and got["z"].shape == (0, 4)
    assert got["n"] != got["n"]
    assert got["d"].shape == () and got["d"] == 3.5  # a 0-d array stays 0-d
    assert got["t"].tolist() == [[0, 3], [1, 4], [2, 5]]  # a transposed view is sent in its own order


@pytest.mark.parametrize("bad, message", [
    ({"$a": 0, "dtype": "|O", "shape": [1]}, "array dtype '|O' is not a plain numeric type"),
    ({"$a": 0, "dtype": "<c16", "shape": [1]}, "array dtype '<c16' is not a plain numeric type"),
    ({"$a": 0, "dtype": "<f8", "shape": [3]}, "array byte count does not match its shape"),
    ({"$a": 5, "dtype": "<f8", "shape": [1]}, "bad array reference"),
    ({"$a": 0, "dtype": "<f8", "shape": [-1]}, "bad array shape"),
])
def test_unpack_refuses_anything_but_plain_arrays(bad, message):
    with pytest.raises(_worker.ProtocolError, match=re.escape(message)):
        _worker.unpack({"v": bad}, [b"\x00" * 8])


def _nested(levels: int, inner):
    o = inner
    for k in range(levels):
        o = [o] if k % 2 else {"k": o}
    return o


@pytest.mark.parametrize("inner", [1, "s", None, 1.5, [], {}, [1], {"a": 1}])
def test_frames_may_nest_max_depth_levels_and_no_more(inner):
    # The outermost container is at depth 0: its members at depth 1, and so on; nothing may sit
    # below MAX_DEPTH (an empty container there is fine: nothing is in it).
    deepest_ok = _worker.MAX_DEPTH if not isinstance(inner, (list, dict)) or not inner else _worker.MAX_DEPTH - 1
    ok = _nested(deepest_ok, inner)
    assert _worker.unpack(json_round_trip(ok), []) == ok
    with pytest.raises(_worker.ProtocolError, match="nested deeper than"):
        _worker.unpack(json_round_trip(_nested(deepest_ok + 1, inner)), [])


def json_round_trip(o):
    import json

    return json.loads(json.dumps(o))


class _Text(str):
    pass


def test_packing_keeps_every_kind_of_value_as_it_was():
    values = {"s": "é\u2603", "sub": _Text("t"), "i": -3, "big": 1 << 70, "b": True, "n": None, "f": 0.25,
              "nan": float("nan"), "inf": float("inf"), "minf": float("-inf"), "np": np.float32(0.5),
              "l": [1, (2, 3), {"x": np.int64(4)}], "raw": b"\x00\xff", "a": np.arange(3.0)}
    (h, b, _), = _worker.FrameReader(1 << 20).feed(_worker.pack(values))
    got = _worker.unpack(h, b)
    assert np.isnan(got.pop("nan")) and got.pop("inf") == float("inf") and got.pop("minf") == float("-inf")
    assert got.pop("a").tolist() == [0.0, 1.0, 2.0]
    assert got == {"s": "é\u2603", "sub": "t", "i": -3, "big": 1 << 70, "b": True, "n": None, "f": 0.25,
                   "np": 0.5, "l": [1, [2, 3], {"x": 4}], "raw": b"\x00\xff"}


def _f0(): pass
def _f2(a, b): pass
def _f2d(a, b=1): pass
def _fstar(a, *rest): pass
def _fkw(a, *, k): pass
def _fkwd(a, *, k=1): pass
def _fpos(a, b, /, c=2): pass
def _fall(a, b=1, *args, c=2, **kw): pass
def _fstarkw(*args, k): pass


def _fdefaults_changed(a, b, c): pass


_fdefaults_changed.__defaults__ = (7, 8, 9, 10)


@pytest.mark.parametrize("fn", [_f0, _f2, _f2d, _fstar, _fkw, _fkwd, _fpos, _fall, _fstarkw,
                                lambda x, y=2: None, lambda *a, **k: None])
def test_counting_a_plain_functions_arguments_agrees_with_inspect(fn):
    import inspect

    sig = inspect.signature(fn)
    for k in range(7):
        try:
            sig.bind(*range(k))
            binds = True
        except TypeError:
            binds = False
        assert _worker._takes(fn, k) is binds, (fn, k)


def test_wrapped_and_callable_objects_are_left_to_inspect():
    import functools
    import inspect

    @functools.wraps(_f2)
    def wrapper(*a):
        return _f2(*a)

    class Callable:
        def __call__(self, x):
            return x

    assert _worker._takes(wrapper, 5) is None and _worker._takes(Callable(), 1) is None
    assert _worker._takes(print, 1) is None and _worker._takes(functools.partial(_f2, 1), 1) is None
    assert _worker._takes(_fdefaults_changed, 0) is None  # more defaults than parameters: inspect reads it
    signed = lambda a, b: None  # noqa: E731
    signed.__signature__ = inspect.Signature([inspect.Parameter("a", inspect.Parameter.POSITIONAL_ONLY)])
    assert _worker._takes(signed, 1) is None and _worker._choose_arity(signed, 2, [2, 1], [], {}) == 1
    assert _worker._choose_arity(_fdefaults_changed, 4, [4, 3, 2], [], {}) == 3
    notes: list = []
    assert _worker._choose_arity(wrapper, 4, [4, 3, 2], notes, {"params": ["a", "b", "c", "d"]}) == 2
    assert notes == ["called with 2 arguments: your function takes no 'c', 'd' parameter"]
    assert _worker._choose_arity(Callable(), 4, [4, 1], [], {}) == 1


def test_unpack_enforces_the_element_cap():
    (h, b, _), = _worker.FrameReader(1 << 20).feed(_worker.pack({"v": np.zeros(100)}))
    with pytest.raises(_worker.ProtocolError, match="array of 100 elements exceeds the limit of 10"):
        _worker.unpack(h, b, max_elems=10)


def test_frame_reader_refuses_oversized_frames():
    with pytest.raises(_worker.ProtocolError, match="exceeds the limit of 100"):
        _worker.FrameReader(100).feed(_worker.pack({"v": np.zeros(100)}))


def test_frame_reader_splits_many_frames_in_one_chunk_and_one_frame_in_many():
    frames = [_worker.pack({"i": i, "v": np.full(i, float(i)), "b": bytes([i])}) for i in range(200)]
    stream = b"".join(frames)
    got = _worker.FrameReader(1 << 20).feed(stream)
    assert [h["i"] for h, _, _ in got] == list(range(200))
    assert [bytes(raw) for _, _, raw in got] == frames
    reader = _worker.FrameReader(1 << 20)
    one_by_one = []
    for k in range(len(frames[150])):
        one_by_one += reader.feed(frames[150][k : k + 1])
    (h, b, _), = one_by_one
    decoded = _worker.unpack(h, b)
    assert decoded["v"].tolist() == [150.0] * 150 and decoded["b"] == bytes([150])
    assert isinstance(decoded["b"], bytes) and decoded["v"].flags.writeable


def test_a_frame_written_in_parts_reads_back_whole():
    big = np.arange(300_000, dtype=np.float64).reshape(1000, 300)[:, ::3]  # not contiguous
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _worker.write_frame(w, {"big": big, "t": np.float32(1.5)})
        os._exit(0)
    os.close(w)
    reader, frames = _worker.FrameReader(1 << 24), []
    while True:
        data = os.read(r, 1 << 16)
        if not data:
            break
        frames += reader.feed(data)
    os.close(r)
    os.waitpid(pid, 0)
    (h, b, _), = frames
    got = _worker.unpack(h, b)
    assert got["big"].shape == (1000, 100) and np.array_equal(got["big"], big) and got["t"] == 1.5


# --------------------------------------------------------------------------- values


def test_honest_values_come_back_as_plain_arrays(sandbox):
    r = run(sandbox, module(GOOD), [softmax_call(echo_args=True)])
    o = r.outcomes["softmax:x"]
    assert o.status == "ok", o.message
    assert o.value.array.dtype == np.float64 and o.value.shape == (2, 3)
    np.testing.assert_allclose(o.value.array.sum(axis=1), [1.0, 1.0])
    assert o.echoed[0].array.tolist() == X.tolist()
    assert r.isolation == sandbox.level
    assert r.load.functions == {"softmax": "sub.softmax"}


def test_a_file_the_child_cannot_write_in_its_scratch_folder_is_left_out_and_the_rest_run(sandbox, tmp_path):
    # grader.load sends none of these; the child wrote them as they came, before dropping its privileges, and a
    # write that failed ended it with status 70: every call of the submission an error. One with '..' or an
    # absolute path would be written outside its scratch folder (at the process level, in the real /tmp).
    token = f"escaped_{os.getpid()}_{time.monotonic_ns()}.py"
    sub = module(GOOD, "sub.py", ("sub.py/x.py", "X = 1\n"), ("x\x00y.py", "X = 1\n"), (f"../{token}", "X = 1\n"),
                 (str(tmp_path / token), "X = 1\n"))
    r = run(sandbox, sub, [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok", r.outcomes["softmax:x"].message
    assert not (tmp_path / token).exists()
    assert not [p for p in os.listdir("/tmp") if token in p]


def test_code_too_large_to_send_is_that_submission_s_error_and_the_sandbox_goes_on(sandbox):
    # over the 4 MiB a request's header may hold (a notebook's cells are sent with its text): the leader refused it,
    # the zygote read the rest as frames and died, twice; the error said "the sandbox stopped before it could take
    # the submission", as if the grader had failed
    cells = (Cell(index=0, label="cell [1]", source=GOOD, original=GOOD),
             Cell(index=1, label="cell [2]", source=("# " + "x" * 1000 + "\n") * 4500, original=""))
    text = "".join(c.source for c in cells)
    big = Submission(id="s", source="hw.ipynb", kind="module",
                     files=(SourceFile(path="hw.ipynb", text=text, origin="hw.ipynb", cells=cells),))
    started = time.monotonic()
    r = run(sandbox, big, [softmax_call()])
    assert "its code is too large to run: 4 MiB of text with its notebooks' cells" in (r.error or ""), r.error
    r = run(sandbox, module(GOOD), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok", r.outcomes["softmax:x"].message
    assert time.monotonic() - started < 30


def test_the_run_report_counts_the_cpu_of_the_student_processes_apart_from_the_leader(sandbox):
    # A softmax that burns 0.3 s of CPU in the child (and in a grandchild it forks and waits
    # for): the children's share holds both, the leader's does not.
    busy = GOOD + """
import os, time
def _burn(s):
    t = time.process_time()
    while time.process_time() - t < s:
        pass
_softmax = softmax
def softmax(x):
    pid = os.fork()
    if pid == 0:
        _burn(0.15)
        os._exit(0)
    os.waitpid(pid, 0)
    _burn(0.15)
    return _softmax(x)
"""
    r = run(sandbox, module(busy), [softmax_call(timeout=5.0)])
    assert r.outcomes["softmax:x"].status == "ok", r.outcomes["softmax:x"].message
    assert set(r.cpu) == {"leader", "children"}
    assert 0.3 <= r.cpu["children"] < 3.0
    assert 0.0 < r.cpu["leader"] < 0.15
    light = run(sandbox, module(GOOD), [softmax_call()])
    assert 0.0 < light.cpu["children"] < 0.2 and 0.0 < light.cpu["leader"] < 0.15


@pytest.mark.parametrize("cpu, kept", [
    ({"leader": 0.01, "children": 0.02}, {"leader": 0.01, "children": 0.02}),
    ({"leader": -1, "children": float("nan")}, {}),
    ({"leader": True, "children": "0.5", "other": 1.0}, {}),
    ([0.1, 0.2], {}),
])
def test_only_finite_non_negative_cpu_figures_are_added(cpu, kept):
    from grader.sandbox import _add_cpu, _Events

    ev = _Events()
    _add_cpu(ev, cpu)
    _add_cpu(ev, cpu)
    assert (ev.cpu or {}) == {k: 2 * v for k, v in kept.items()}


def test_returned_tuple_lists_and_scalars_are_described():
    pass_src = """
    import numpy as np
    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        return 1.5, [1, 2, 3], np.float32(2.0), "text"
    """
    with Sandbox(LEVELS[0]) as sb:
        r = run(sb, module(pass_src), [Call(id="c", function="cost", args=(np.ones(3), 0, np.ones((4, 3)), Dataset(4)))])
    v = r.outcomes["c"].value
    assert v.type == "tuple" and v.shape == (4,)
    assert [i.type for i in v.items] == ["float", "list", "float32", "str"]
    assert v.items[1].array.tolist() == [1, 2, 3]
    assert v.items[2].dtype == "<f4"
    assert v.items[3].array is None and v.items[3].repr == "'text'"


def test_a_function_without_dataset_is_called_with_three_arguments(sandbox):
    src = """
    import numpy as np
    def softmaxCostAndGradient(predicted, target, outputVectors):
        return float(target), predicted, outputVectors
    """
    r = run(sandbox, module(src), [Call(id="c", function="cost", args=(np.ones(3), 2, np.ones((4, 3)), Dataset(4)))])
    o = r.outcomes["c"]
    assert o.status == "ok"
    assert o.value.items[0].array == 2.0
    assert o.notes == ("called with 3 arguments: your function takes no 'dataset' parameter",)


def test_a_huge_return_value_is_not_sent(sandbox):
    src = "import numpy as np\ndef softmax(x):\n    return np.zeros(10**6)\n"
    r = run(sandbox, module(src), [softmax_call(max_elems=100)])
    v = r.outcomes["softmax:x"].value
    assert v.array is None and v.shape == (1_000_000,) and v.repr == "(too large: 1000000 values)"


# --------------------------------------------------------------------------- loading


def test_failing_top_level_code_is_recorded_and_the_rest_still_loads(sandbox):
    src = """
    import numpy as np
    print("loading")
    test_softmax()          # top-level test code, defined below: NameError
    def softmax(x):
        return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    if __name__ == "__main__":
        print("MAIN RAN")
    """
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    (u,) = r.load.unit_errors
    assert u.where == "sub.py, line 4"
    assert u.error.type == "NameError" and u.error.frames[0].code == "test_softmax()          # top-level test code, defined below: NameError"
    assert "loading" in r.load.output and "MAIN RAN" not in r.load.output


def test_a_syntax_error_in_test_code_does_not_lose_the_functions(sandbox):
    src = "import numpy as np\ndef softmax(x):\n    return x / x.sum()\n\nprint 'done'\n"
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    (u,) = r.load.unit_errors
    assert u.where == "sub.py, line 5" and u.error.type == "SyntaxError"


def test_a_file_that_does_not_parse_is_split_around_its_multi_line_strings(sandbox):
    # a notebook downloaded as .py (Colab): its docstring's lines start at column 0, its shell line is IPython's
    src = ('''# -*- coding: utf-8 -*-\n"""a2.ipynb\n\nAutomatically generated by Colaboratory.\n\n'''
           '''Original file is located at\n    https://colab.research.google.com/drive/1abc\n"""\n\n'''
           '''!pip install -q numpy\nimport numpy as np\nx = """\ndef not_code(:\n"""\n'''
           "def softmax(x):\n    return x / x.sum()\n")
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    assert [(u.where, u.error.type) for u in r.load.unit_errors] == [("sub.py, line 10", "SyntaxError")]
    assert r.load.unit_errors[0].error.message.startswith(
        "invalid syntax: '!pip install -q numpy' is IPython syntax (a shell command), which Python does not run in "
        "a .py file; delete it or make it a comment"), r.load.unit_errors[0].error.message


def test_an_error_names_the_submissions_files_as_handed_in_not_where_they_ran(sandbox):
    # `from utils import normalizeRows` finds the utils package, which has none: Python names its file by its path
    src = GOOD + "from utils import normalizeRows\n"
    r = run(sandbox, module(src, "sub.py", ("utils/__init__.py", ""), ("utils/utils.py", "def normalizeRows(x):\n    return x\n")),
            [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    (u,) = r.load.unit_errors
    assert u.error.message == "cannot import name 'normalizeRows' from 'utils' (utils/__init__.py)", u.error.message
    assert u.error.traceback.endswith("ImportError: cannot import name 'normalizeRows' from 'utils' (utils/__init__.py)")


def _raised(fn):
    try:
        fn()
    except BaseException as e:  # noqa: BLE001
        return e
    raise AssertionError("nothing was raised")


_TB_MODULE = """
def inner(x):
    return 1 / x

def middle(x):
    return [inner(v) for v in x]

def deep(n):
    return deep(n - 1) if n else {}["missing"]
"""


@pytest.mark.parametrize("limit", [None, 30, 3, 0])
def test_traceback_frames_are_extract_tbs_without_the_columns(tmp_path, monkeypatch, limit):
    import importlib.util
    import traceback

    monkeypatch.delattr(sys, "tracebacklimit", raising=False)
    path = tmp_path / "tb_module.py"
    path.write_text(_TB_MODULE)
    spec = importlib.util.spec_from_file_location("tb_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for e in (_raised(lambda: mod.middle([1, 0])), _raised(lambda: mod.deep(40)), _raised(lambda: eval("1 +* 2"))):
        want = traceback.extract_tb(e.__traceback__)
        want = want[-limit:] if limit else (want if limit is None else [])
        got = _worker._tb_frames(e.__traceback__, limit)
        assert [(f.filename, f.lineno, f.name, f.line) for f in got] == \
            [(f.filename, f.lineno, f.name, f.line) for f in want]


def test_a_student_setting_tracebacklimit_still_gets_the_line_that_failed(sandbox):
    # traceback.extract_tb obeys sys.tracebacklimit: the harness's own description must not
    src = "import sys\nsys.tracebacklimit = 0\ndef softmax(x):\n    return x / undefined_name\n"
    r = run(sandbox, module(src), [softmax_call()])
    o = r.outcomes["softmax:x"]
    assert o.status == "raised"
    assert [(f.where, f.line, f.function) for f in o.error.frames] == [("sub.py", 4, "softmax")]
    assert "sub.py, line 4, in softmax" in o.error.traceback


def test_an_exception_without_a_message_ends_its_traceback_as_python_does(sandbox):
    src = "def softmax(x):\n    raise ValueError()\n"
    o = run(sandbox, module(src), [softmax_call()]).outcomes["softmax:x"]
    assert o.error.traceback.splitlines()[-1] == "ValueError"  # not "ValueError: "
    assert o.message == "softmax raised ValueError (sub.py, line 2).", o.message
    src = "def softmax(x):\n    raise ValueError('no')\n"
    o = run(sandbox, module(src), [softmax_call()]).outcomes["softmax:x"]
    assert o.error.traceback.splitlines()[-1] == "ValueError: no"


def test_missing_function_says_what_was_found(sandbox):
    src = "def Softmax(x):\n    return x\ndef test_softmax():\n    pass\n"
    r = run(sandbox, module(src, "q1_softmax.py"), [softmax_call()])
    o = r.outcomes["softmax:x"]
    assert o.status == "missing"
    assert o.message == ("q1_softmax.py defines no function 'softmax' (found 'Softmax', 'test_softmax'). "
                         "Did you mean 'Softmax'?")


def test_a_missing_function_is_not_offered_another_short_name_it_merely_shares_letters_with():
    from grader.model import Call
    from grader.sandbox import _message

    call = Call(id="sgd:x", function="sgd", args=())
    missing = {"names": ["sgd"], "searched": ["word2vec.py"], "candidates": ["sigmoid", "sigmoid_grad"]}
    said = _message(call, {"status": "missing"}, "", None, missing)
    assert said == "word2vec.py defines no function 'sgd' (found 'sigmoid', 'sigmoid_grad')."
    missing = {"names": ["gradcheck_naive"], "searched": ["q2_gradcheck.py"], "candidates": ["gradcheck"]}
    assert _message(call, {"status": "missing"}, "", None, missing).endswith(" Did you mean 'gradcheck'?")


def test_a_missing_function_names_the_files_searched_in_one_order_and_speaks_grammatically():
    from grader.model import Call
    from grader.sandbox import _message

    call = Call(id="sigmoid:x", function="sigmoid", args=())
    said = [_message(call, {"status": "missing"}, "", None, {"names": ["sigmoid"], "searched": searched})
            for searched in (["q3_word2vec.py", "q1_softmax.py"], ["q1_softmax.py", "q3_word2vec.py"], [])]
    assert said[0] == said[1] == "q1_softmax.py, q3_word2vec.py define no function 'sigmoid'."
    assert said[2] == "the submission (no Python file was found) defines no function 'sigmoid'."


def test_not_implemented_placeholder_is_named(sandbox):
    src = "def softmax(x):\n    ### YOUR CODE HERE\n    raise NotImplementedError\n"
    r = run(sandbox, module(src, "q1_softmax.py"), [softmax_call()])
    assert r.outcomes["softmax:x"].message == (
        "softmax still raises NotImplementedError (q1_softmax.py, line 3): the starter placeholder is still there.")


def test_a_return_of_a_name_never_set_is_recognised_as_the_starters_stub_at_every_level(sandbox):
    # Telling the stub from a typo imports difflib: after the drop to the slot's uid, on a machine whose
    # interpreter that uid cannot read (the process level), the import failed and killed the child.
    src = "def softmax(x):\n    ### YOUR CODE HERE\n    ### END YOUR CODE\n    return probs\n"
    o = run(sandbox, module(src, "q1_softmax.py"), [softmax_call()]).outcomes["softmax:x"]
    assert o.status == "raised" and o.error.type == "NameError"
    assert {"kind": "stub", "returns": "probs", "in": "softmax"} in o.probes

def test_missing_import_names_module_and_line_and_can_be_stubbed(sandbox):
    src = "import numpy as np\nfrom sklearn.utils import shuffle\n" + GOOD
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    (u,) = r.load.unit_errors
    assert u.where == "sub.py, line 2" and u.error.message == "No module named 'sklearn'"
    stubbed = Settings(load_timeout=5.0, cell_timeout=0.5, stub_modules=("sklearn",))
    r = run(sandbox, module(src), [softmax_call()], settings=stubbed)
    assert r.load.unit_errors == ()
    assert "module 'sklearn' is not available here; an empty stand-in was used (allowed by the rubric)" in r.load.notes


def test_the_stand_ins_used_for_several_modules_are_said_in_one_note(sandbox):
    # (modules no test environment has: a process-isolated child sees the grader's own packages)
    src = ("import numpy as np\nimport seaborn as sns\nfrom sklearn.utils import shuffle\nimport pandas, torch\n"
           + GOOD)
    stubbed = Settings(load_timeout=5.0, cell_timeout=0.5, stub_modules=("sklearn", "pandas", "torch", "seaborn"))
    r = run(sandbox, module(src), [softmax_call()], settings=stubbed)
    assert [n for n in r.load.notes if "stand-in" in n] == [
        "module 'seaborn' is not available here; a stand-in that accepts every call and draws or shows nothing was "
        "used (allowed by the rubric)",
        "modules 'sklearn', 'pandas' and 'torch' are not available here; empty stand-ins were used (allowed by the "
        "rubric)"]


STANDIN = StarterModule(module="q1_softmax", path="q1_softmax.py", provides=("softmax",),
                        text="import numpy as np\ndef softmax(x):\n    e = np.exp(x - x.max(-1, keepdims=True))\n"
                             "    return e / e.sum(-1, keepdims=True)\n")
GRADCHECK = StarterModule(module="q2_gradcheck", path="q2_gradcheck.py", text="def gradcheck_naive(f, x):\n    pass\n")


def test_stand_ins_are_used_but_withheld_while_their_role_is_graded(sandbox):
    q3 = """
    import numpy as np
    from q1_softmax import softmax
    from q2_gradcheck import gradcheck_naive
    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y = softmax(outputVectors @ predicted)
        return -np.log(y[target]), None, None
    """
    calls = [softmax_call(withhold=("q1_softmax",)),
             Call(id="c", function="cost", args=(np.ones(3), 1, np.ones((4, 3)), Dataset(4)))]
    r = run(sandbox, module(q3, "q3_word2vec.py"), calls, starter=(STANDIN, GRADCHECK))
    assert r.outcomes["c"].status == "ok"
    assert r.outcomes["c"].value.items[0].array == pytest.approx(np.log(4))
    assert r.outcomes["softmax:x"].status == "missing"
    assert "'q2_gradcheck' was not in the submission; the supplied stand-in was used" in r.load.notes


def test_a_broken_student_helper_falls_back_to_the_stand_in(sandbox):
    q3 = "from q2_gradcheck import gradcheck_naive\n" + GOOD
    r = run(sandbox, module(q3, "q3_word2vec.py", ("q2_gradcheck.py", "def gradcheck_naive(f, x)\n    pass\n")),
            [softmax_call()], starter=(GRADCHECK,))
    assert r.outcomes["softmax:x"].status == "ok"
    assert r.load.unit_errors == ()
    assert ("q2_gradcheck.py does not parse (line 1: expected ':'); the supplied stand-in for 'q2_gradcheck' "
            "was used instead") in r.load.notes


def test_notebook_cells_run_one_by_one_with_a_budget(sandbox):
    cells = (
        Cell(0, "cell [1]", "import numpy as np\nget_ipython().run_line_magic('matplotlib', 'inline')", "%matplotlib inline"),
        Cell(1, "cell [2]", "1 / 0", "1 / 0"),
        Cell(2, "cell [3]", "def softmax(x):\n    return x\n", ""),
        Cell(3, "cell [4]", "while True:\n    pass\n", ""),
        Cell(4, "cell [5]", GOOD, GOOD),
    )
    nb = SourceFile(path="hw1.ipynb", text="", origin="hw1.ipynb", cells=cells)
    sub = Submission(id="nb", source="hw1.ipynb", kind="notebook", files=(nb,))
    r = run(sandbox, sub, [softmax_call()])
    o = r.outcomes["softmax:x"]
    assert o.status == "ok" and o.value.array.sum() == pytest.approx(2.0)  # the redefinition in cell [5] won
    wheres = [u.where for u in r.load.unit_errors]
    assert wheres == ["hw1.ipynb, cell [2]", "hw1.ipynb, cell [4]"]
    assert r.load.unit_errors[0].error.frames[0].where == "hw1.ipynb, cell [2]"
    assert r.load.unit_errors[1].error.message == (
        "this code ran longer than 0.5 s and was stopped; the code after it still ran")


# --------------------------------------------------------------------------- deaths


@pytest.mark.parametrize("body, status, message", [
    ("while True:\n        pass", "timeout",
     "softmax did not return within 0.5 s on this input; it was stopped, this check scored 0 and the other checks still ran."),
    ("import signal, time\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(60)", "timeout",
     "softmax did not return within 0.5 s on this input; it was stopped, this check scored 0 and the other checks still ran."),
    ("import os\n    os._exit(0)", "exited",
     "the process running softmax exited (exit status 0, e.g. os._exit); this check scored 0 and the other checks ran in a fresh process."),
    ("import ctypes\n    ctypes.string_at(0)", "crashed",
     "the process running softmax died (a segmentation fault (SIGSEGV)); this check scored 0 and the other checks ran in a fresh process."),
    ("import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "crashed",
     "the process running softmax died (killed (out of memory or a limit) (SIGKILL)); this check scored 0 and the other checks ran in a fresh process."),
    ("sys.exit(3)", "raised", "softmax called sys.exit (sub.py, line 4); this check scored 0."),
    ("return np.ones(10**10)", "raised", "softmax ran out of memory (sub.py, line 4) (the limit is set by the rubric)."),
    ("return softmax(x)", "raised", "softmax recursed too deeply (sub.py, line 4)."),
])
def test_a_death_costs_only_its_own_call(sandbox, body, status, message):
    src = f"import numpy as np\nimport sys\ndef softmax(x):\n    {body}\n"
    calls = [softmax_call("softmax:a", timeout=0.5), softmax_call("softmax:b", timeout=0.5)]
    good_after = Call(id="after", function="cost", args=(np.ones(2), 0, np.ones((2, 2)), Dataset(2)), timeout=2.0)
    cost = "\ndef softmaxCostAndGradient(p, t, W, d):\n    return 1.0, p, W\n"
    t0 = time.monotonic()
    r = run(sandbox, module(src + cost), calls + [good_after])
    assert time.monotonic() - t0 < 10
    assert r.outcomes["softmax:a"].status == status
    assert r.outcomes["softmax:a"].message == message
    assert r.outcomes["softmax:b"].status == status  # a fresh child, the same fate
    assert r.outcomes["after"].status == "ok"  # and the next function still graded
    # The slot is healthy for the next submission.
    assert run(sandbox, module(GOOD), [softmax_call()]).outcomes["softmax:x"].status == "ok"


def test_output_floods_are_capped(sandbox):
    src = GOOD + "\nimport sys\nfor i in range(200000):\n    print('spam' * 20)\n"
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    assert 60_000 < len(r.load.output) <= 64 * 1024


def test_closing_stdout_and_stderr_does_not_break_the_channel(sandbox):
    src = GOOD + "\nimport os\nos.close(1)\nos.close(2)\n"
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"


def test_a_hung_import_costs_the_load_unit_only(sandbox):
    src = GOOD + "\nimport signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(30)\n"
    settings = Settings(load_timeout=1.0, cell_timeout=0.3)
    t0 = time.monotonic()
    r = run(sandbox, module(src), [softmax_call()], settings=settings)
    assert time.monotonic() - t0 < 8
    assert r.outcomes["softmax:x"].status == "ok"
    (ue,) = [u for u in r.load.unit_errors if "it was skipped in a fresh process" in u.error.message]
    assert ue.error.type == "Timeout"
    assert ue.where == "sub.py, line 9"
    assert ue.error.message == "loading ran out of time in this code; it was skipped in a fresh process and the rest was graded"


def notebook(*sources: str, name: str = "nb.ipynb") -> Submission:
    cells = tuple(Cell(index=i, label=f"cell [{i + 1}]", source=textwrap.dedent(src), original="")
                  for i, src in enumerate(sources))
    return Submission(id="s", source=name, kind="notebook",
                      files=(SourceFile(path=name, text="", origin=name, cells=cells),))


def test_long_running_cells_past_the_load_timeout_are_each_reported_and_the_calls_still_made(sandbox):
    # Each cell is stopped at cell_timeout; once load_timeout is spent, the cells left make only
    # their definitions (a function defined after them is still graded), and every cell is named.
    spin = "for it in range(10**12):\n    pass\n"
    late = "def softmax(x):\n    return _real(x)\nfor it in range(10**12):\n    pass\n"
    sub = notebook(GOOD.replace("def softmax(x):", "def _real(x):"), *[spin] * 5, late)
    t0 = time.monotonic()
    r = run(sandbox, sub, [softmax_call()], settings=Settings(load_timeout=1.0, cell_timeout=0.3))
    assert time.monotonic() - t0 < 5
    assert r.outcomes["softmax:x"].status == "ok"
    errors = [(u.where, u.error.type, u.error.message) for u in r.load.unit_errors]
    assert errors[:3] == [(f"nb.ipynb, cell [{n}]", "Timeout",
                           "this code ran longer than 0.3 s and was stopped; the code after it still ran")
                          for n in (2, 3, 4)]
    assert errors[3] == ("nb.ipynb, cell [5]", "Timeout",
                         "this code was stopped when loading the submission had taken its whole 1 s (load_timeout)")
    assert errors[4] == ("nb.ipynb, cell [6]", "Timeout",
                         "not run: loading the submission had taken its whole 1 s (load_timeout) before it; in nb.ipynb, "
                         "cell [6], cell [7] were not run but for their definitions (def, class, import)")
    assert len(errors) == 5


def test_top_level_code_that_kills_the_process_is_named_by_file_and_line_and_earlier_errors_are_kept(sandbox):
    src = GOOD + "x = int('nope')\nimport os\nos._exit(3)\ny = 1\n"
    r = run(sandbox, module(src), [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    errors = [(u.where, u.error.type, u.error.message) for u in r.load.unit_errors]
    assert errors == [
        ("sub.py, line 6", "ValueError", "invalid literal for int() with base 10: 'nope'"),
        ("sub.py, line 8", "Crash",
         "loading died (exit status 3) in this code; it was skipped in a fresh process and the rest was graded"),
    ]
    # said once: not again in a note that the fresh process did not run it
    assert not any("sub.py, line 8" in n for n in r.load.notes), r.load.notes


def test_load_failures_do_not_say_the_rest_was_graded_when_the_budget_ran_out_first(sandbox):
    hang = "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(30)\n"
    r = run(sandbox, module(GOOD + hang + hang), [softmax_call(timeout=0.5)],
            settings=Settings(load_timeout=1.0, cell_timeout=0.3))
    assert r.outcomes["softmax:x"].status == "skipped"
    messages = [u.error.message for u in r.load.unit_errors if u.error.type == "Timeout"]
    assert messages and all(m.endswith("the submission's time budget ran out before its functions could be graded")
                            for m in messages), messages


# --------------------------------------------------------------------------- leftovers and poisoning


def _pids_of_uid(uid: int) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as f:
                    for line in f:
                        if line.startswith("Uid:") and int(line.split()[1]) == uid:
                            pids.append(int(name))
            except OSError:
                pass
    return pids


@pytest.mark.skipif(os.geteuid() != 0, reason="per-slot uids exist only when the grader runs as root")
def test_daemons_and_fork_bombs_are_killed_with_their_submission(sandbox):
    daemon = GOOD + textwrap.dedent("""
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    """)
    bomb = GOOD + textwrap.dedent("""
    import os
    def softmaxCostAndGradient(p, t, W, d):
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    assert sandbox.uid is not None
    run(sandbox, module(daemon), [softmax_call()])
    assert _pids_of_uid(sandbox.uid) == []
    t0 = time.monotonic()
    r = run(sandbox, module(bomb), [Call(id="c", function="cost", args=(np.ones(2), 0, np.ones((2, 2)), Dataset(2)), timeout=1.0)])
    assert r.outcomes["c"].status == "timeout"
    assert time.monotonic() - t0 < 15
    assert _pids_of_uid(sandbox.uid) == []


def test_a_poisoned_interpreter_does_not_reach_the_next_submission(sandbox):
    poison = GOOD + textwrap.dedent("""
    import numpy, builtins, sys
    numpy.exp = lambda x: 0 * x
    numpy.allclose = lambda *a, **k: True
    builtins.print = None
    sys.modules['numpy'].sum = None
    open('left_behind.txt', 'w').write('x')
    """)
    run(sandbox, module(poison), [softmax_call()])
    probe = GOOD + textwrap.dedent("""
    import os
    LEFT = os.path.exists('left_behind.txt')
    def softmaxCostAndGradient(p, t, W, d):
        return float(LEFT), np.exp(p), np.ones(1) * np.sum(p)
    """)
    r = run(sandbox, module(probe), [Call(id="c", function="cost", args=(np.zeros(2), 0, np.ones((2, 2)), Dataset(2)))])
    items = r.outcomes["c"].value.items
    assert items[0].array == 0.0
    assert items[1].array.tolist() == [1.0, 1.0]
    assert items[2].array.tolist() == [0.0]


# --------------------------------------------------------------------------- isolation (bubblewrap only)


ISOLATED = [lv for lv in LEVELS if lv.startswith("bwrap")]


@pytest.mark.parametrize("level", ISOLATED)
def test_the_student_sees_no_grader_no_reference_and_no_network(level, tmp_path):
    import grader

    secret = tmp_path / "results"
    secret.mkdir()
    (secret / "grades.csv").write_text("alice,10\n")
    probe = textwrap.dedent(f"""
    import os, socket, sys
    import numpy as np
    found = []
    for root, dirs, files in os.walk('/'):
        if root.startswith(('/proc', '/sys', '/dev')):
            dirs[:] = []
            continue
        if {{'sandbox.py', 'pipeline.py', '_worker.py'}} <= set(files):
            found.append(root)  # the grader package
        for f in files:
            if f in ('word2vec.toml', 'grades.csv') or (f == 'word2vec.py' and 'reference' in root):
                found.append(os.path.join(root, f))
    def net():
        try:
            socket.create_connection(('127.0.0.1', 22), timeout=1)
            return 'connected'
        except OSError as e:
            return type(e).__name__
    def softmax(x):
        return np.array([len(found), os.getuid(), len(os.listdir('/proc'))], dtype=float)
    NET = net()
    try:
        import grader as g  # the quiet stand-in of a notebook's grader.check(): no file behind it
        IMPORTED = 1.0 if getattr(g, '__file__', None) or getattr(g, '__spec__').origin else 0.0
        from grader import sandbox as g_sandbox
        IMPORTED += 1.0 if hasattr(g_sandbox, 'Sandbox') and getattr(g_sandbox, '__file__', None) else 0.0
    except ImportError:
        IMPORTED = 0.0
    def softmaxCostAndGradient(p, t, W, d):
        return IMPORTED, np.frombuffer(NET.encode(), dtype=np.uint8), np.array(found[:3] and [1.0] or [0.0])
    """)
    with Sandbox(level, hide=[str(secret), os.path.dirname(grader.__file__)]) as sb:
        # The probe walks the whole filesystem at load: give its statements room (not the 0.5 s of FAST).
        roomy = Settings(load_timeout=30.0, cell_timeout=15.0)
        r = run(sb, module(probe), [softmax_call(), Call(id="c", function="cost", args=(np.ones(2), 0, np.ones((2, 2)), Dataset(2)))],
                settings=roomy)
        slot_uid = sb.uid
    assert r.outcomes["c"].status == "ok", (r.outcomes["c"].message, r.load.unit_errors)
    n_found, uid, n_proc = r.outcomes["softmax:x"].value.array.tolist()
    assert n_found == 0, r.load.output
    if level == "bwrap":
        assert uid == slot_uid >= UID_BASE
    items = r.outcomes["c"].value.items
    assert items[0].array == 0.0  # `import grader` finds only the stand-in inside
    assert bytes(items[1].array).decode() in ("OSError", "ConnectionRefusedError") or "Network" in bytes(items[1].array).decode()
    assert bytes(items[1].array).decode() != "connected"


@pytest.mark.skipif(os.geteuid() != 0, reason="per-slot uids exist only when the grader runs as root")
def test_concurrent_slots_never_share_a_uid():
    a, b = Sandbox(LEVELS[0], slot=0), Sandbox(LEVELS[0], slot=0)
    try:
        assert a.uid != b.uid
    finally:
        a.release()
        b.release()


STARVED = """
import os, signal, time
import numpy as np

def softmax(x):
    # three processes spinning on the one core this call runs on: it waits for the core most of the time
    core = {min(os.sched_getaffinity(0))}
    os.sched_setaffinity(0, core)
    kids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            os.sched_setaffinity(0, core)
            while True:
                pass
        kids.append(pid)
    t = time.process_time()
    while time.process_time() - t < %s:
        pass
    for k in kids:
        os.kill(k, signal.SIGKILL)
        os.waitpid(k, 0)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""


def test_a_calls_clock_is_held_back_while_it_waits_for_a_core(sandbox):
    # a neighbour's processes (in the batch: another submission's) kept an honest call from the core, and
    # it was stopped at its wall-clock timeout with half a second of its own work done
    r = run(sandbox, module(STARVED % "0.5"), [softmax_call(timeout=1.0)])
    o = r.outcomes["softmax:x"]
    assert o.status == "ok", o
    # held back at most MAX_WAITED times its timeout: a call that never ends is still stopped
    r = run(sandbox, module(STARVED % "1e9"), [softmax_call(timeout=0.5)])
    assert r.outcomes["softmax:x"].status == "timeout"


def test_translated_python2_keeps_integer_division(sandbox):
    src = "import numpy as np\ndef softmax(x):\n    n = len(x) / 2\n    half = x[n]\n    n /= 1\n    return np.array([n, 7 / 2.0, half[0]])\n"
    sub = translated(src)
    r = run(sandbox, sub, [softmax_call()])
    assert r.outcomes["softmax:x"].value.array.tolist() == [1.0, 3.5, 1000.0]


def test_translated_python2_divides_in_place_where_its_target_is_an_array_or_a_view(sandbox):
    # `for row in x: row /= s` normalised x's rows in Python 2 and 3; rewritten to `row = __py2_div__(row, s)`,
    # it rebound the loop's name and left x as it was (a right normalizeRows scored 0). An integer array
    # divided in place by an integer is floor-divided, as numpy did under Python 2 (Python 3 refuses it).
    src = ("import numpy as np\n"
           "def softmax(x):\n"
           "    x = np.array(x, dtype=float)\n"
           "    for row in x:\n"
           "        row /= 2\n"
           "    v = x[0]\n"
           "    v /= 5\n"
           "    k = np.array([7, 9])\n"
           "    k /= 2\n"
           "    n = 7\n"
           "    n /= 2\n"
           "    f = 7.0\n"
           "    f /= 2\n"
           "    return np.array([x[0, 0], x[1, 0], k[0], k[1], n, f])\n")
    sub = translated(src)
    r = run(sandbox, sub, [softmax_call()])
    got = r.outcomes["softmax:x"].value.array
    x = np.asarray(softmax_call().args[0], dtype=float)
    assert got.tolist() == [x[0, 0] / 2 / 5, x[1, 0] / 2, 3.0, 4.0, 3.0, 3.5]


def test_translated_python2_keeps_integer_division_in_every_statement_that_divides_and_only_there(sandbox):
    # Statements with no "/" in their text are not walked; one that spans lines and divides on its
    # last line, a decorator's, a class body's and a default argument's are still rewritten.
    src = ("import numpy as np\n"
           "K = 7\n"
           "def twice(f):\n"
           "    return f\n"
           "@twice\n"
           "def softmax(x,\n"
           "            d=K / 2):\n"
           "    class C:\n"
           "        q = K / 2\n"
           "    n = len(x) / 2\n"
           "    return np.array([n, d, C.q, Q, 7 / 2.0])\n"
           "Q = (1 +\n"
           "     K / 2)\n")
    sub = translated(src)
    r = run(sandbox, sub, [softmax_call()])
    assert r.outcomes["softmax:x"].value.array.tolist() == [1.0, 3.0, 3.0, 4.0, 3.5]


def test_translated_python2_that_imports_division_from_future_keeps_true_division(sandbox):
    src = ("from __future__ import division\nimport numpy as np\n"
           "def softmax(x):\n    n = 7\n    n /= 2\n    return np.array([(1 / 2) * 2, n])\n")
    sub = translated(src)
    r = run(sandbox, sub, [softmax_call()])
    assert r.outcomes["softmax:x"].value.array.tolist() == [1.0, 3.5]


def test_translated_python2_notebook_keeps_integer_division_until_a_cell_imports_true_division(sandbox):
    cells = (Cell(index=0, label="cell [1]", source="import numpy as np\nA = 7 / 2", original=""),
             Cell(index=1, label="cell [2]", source="from __future__ import division\nB = 7 / 2", original=""),
             Cell(index=2, label="cell [3]", source="def softmax(x):\n    return np.array([A, B, 7 / 2])", original=""))
    sub = Submission(id="s", source="nb.ipynb", kind="notebook",
                     files=(SourceFile(path="nb.ipynb", text="", origin="nb.ipynb", cells=cells, translated=True),))
    r = run(sandbox, sub, [softmax_call()])
    assert r.outcomes["softmax:x"].value.array.tolist() == [3.0, 3.5, 3.5]


SLOW_AND_FORGING = GOOD.replace("def softmax(x):", "def _real(x):") + TO_EVERY_PIPE + textwrap.dedent("""
    import json, struct, time

    def _forge(cid):
        head = json.dumps({"ev": "outcome", "call": cid, "status": "raised",
                           "error": {"type": "X", "message": "forged", "frames": []}, "$blobs": []}).encode()
        _to_every_pipe(struct.pack(">IQ", len(head), 0) + head)

    def softmax(x):
        if x[0, 0] == 9.0:  # answers later calls while it spins: its own clock must still run out
            t0 = time.monotonic()
            while time.monotonic() - t0 < 20:
                _forge("softmax:f%d" % int((time.monotonic() - t0) * 5))
                time.sleep(0.2)
        if x[0, 0] < 5.0:
            time.sleep(0.5)
        return _real(x)
    """)


def test_each_call_has_its_own_clock_from_the_answer_before_it(sandbox):
    # No event marks a call's start: its clock starts when the call before it is answered.
    # Three calls of 0.5 s under a timeout of 0.8 s each all finish.
    calls = [Call(id=f"softmax:{k}", function="softmax", args=(X + k,), timeout=0.8) for k in range(3)]
    r = run(sandbox, module(SLOW_AND_FORGING), calls)
    assert [r.outcomes[c.id].status for c in calls] == ["ok", "ok", "ok"], [r.outcomes[c.id].message for c in calls]


def test_answers_forged_for_later_calls_do_not_give_the_call_in_progress_more_time(sandbox):
    # The spinning call answers (forged) the calls after it every 0.2 s: the clock of the call
    # in progress is never started again, and it times out at its own 1 s.
    spin = Call(id="softmax:spin", function="softmax", args=(X * 0 + 9.0,), timeout=1.0)
    later = [Call(id=f"softmax:f{k}", function="softmax", args=(X + 5.0,), timeout=1.0) for k in range(100)]
    t0 = time.monotonic()
    r = run(sandbox, module(SLOW_AND_FORGING), [spin, *later])
    assert r.outcomes["softmax:spin"].status == "timeout"
    assert time.monotonic() - t0 < 8.0  # not the 20 s it spins for, nor the submission's budget
    forged = [c.id for c in later if r.outcomes[c.id].status == "raised"]
    assert 2 <= len(forged) <= 10  # (answers for its own later calls are its own to forge)


def test_a_function_that_keeps_hanging_is_given_up_after_two_timeouts(sandbox):
    src = "import numpy as np\ndef softmax(x):\n    while True:\n        pass\n"
    calls = [softmax_call(f"softmax:{i}", timeout=0.5) for i in range(6)]
    t0 = time.monotonic()
    r = run(sandbox, module(src), calls)
    assert time.monotonic() - t0 < 4  # two timeouts, not six
    assert [r.outcomes[f"softmax:{i}"].status for i in range(6)] == ["timeout"] * 6
    assert r.outcomes["softmax:5"].message == (
        "softmax was not called on this input: it already ran out of time on 2 other inputs; this check scored 0.")


# --------------------------------------------------------------------------- one process per submission


Q1 = GOOD
LAZY_COST = """
import numpy as np
def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    from q1_softmax import softmax          # asked for only when called
    y = softmax(outputVectors @ predicted)
    return -np.log(y[target]), None, None
"""


def cost_call(cid="c") -> Call:
    return Call(id=cid, function="cost", args=(np.ones(3), 1, np.ones((4, 3)), Dataset(4)))


def test_one_process_makes_every_call_when_no_withheld_stand_in_is_asked_for(sandbox):
    # The student's top-level code runs once: softmax (its stand-in withheld) and the cost
    # share one process, because the submission has its own q1_softmax.
    q3 = "print('loading q3')\nfrom q1_softmax import softmax\n" + LAZY_COST
    sub = module(q3, "q3_word2vec.py", ("q1_softmax.py", "print('loading q1')\n" + Q1))
    r = run(sandbox, sub, [softmax_call(withhold=("q1_softmax",)), cost_call()], starter=(STANDIN,))
    assert r.outcomes["softmax:x"].status == "ok" and r.outcomes["c"].status == "ok"
    assert r.load.output.count("loading q1") == 1 and r.load.output.count("loading q3") == 1
    assert r.load.notes == ()  # no stand-in was used


def test_a_withheld_stand_in_asked_for_during_a_call_sends_that_call_to_a_process_that_has_it(sandbox):
    # No q1_softmax.py: the cost imports it lazily. In the process where softmax is graded
    # the stand-in is absent, so the cost is made again where the stand-in is offered.
    calls = [softmax_call(withhold=("q1_softmax",)), cost_call("c1"), softmax_call("softmax:y", withhold=("q1_softmax",)),
             cost_call("c2")]
    r = run(sandbox, module(LAZY_COST, "q3_word2vec.py"), calls, starter=(STANDIN,))
    assert r.outcomes["softmax:x"].status == "missing" and r.outcomes["softmax:y"].status == "missing"
    for c in ("c1", "c2"):
        assert r.outcomes[c].status == "ok"
        assert r.outcomes[c].value.items[0].array == pytest.approx(np.log(4))


def test_inputs_travel_once_per_zygote_and_again_after_a_restart(level_sandbox):
    sb = level_sandbox
    sent = []
    real_send = sb._send
    # (what a request shares with the other requests of a batch is sent as it was encoded once)
    sb._send = lambda obj, shared=None: (sent.append({**obj, **(shared.obj if shared else {})}),
                                         real_send(obj, shared))[1]
    calls = [softmax_call()]
    first = run(sb, module(GOOD), calls)
    second = run(sb, module(GOOD), calls)
    ops = [o["op"] for o in sent if o.get("op", "config") != "config"]
    assert ops == ["inputs", "next", "run", "next", "run"]
    runs = [o for o in sent if o.get("op") == "run"]
    assert all(c["args"] is None for o in runs for c in o["calls"])  # referred to, not resent
    sb.proc.kill()
    sb.proc.wait()
    third = run(sb, module(GOOD), calls)
    assert [o.get("op") for o in sent][-5:] == ["config", "inputs", None, "next", "run"]  # None: the inputs themselves
    expect = np.exp(X - X.max(1, keepdims=True)) / np.exp(X - X.max(1, keepdims=True)).sum(1, keepdims=True)
    for r in (first, second, third):
        assert np.allclose(r.outcomes["softmax:x"].value.array, expect)


@pytest.fixture(params=LEVELS)
def level_sandbox(request):
    with Sandbox(request.param) as sb:
        yield sb


def test_a_sampled_numerical_gradient_differentiates_only_the_given_elements(sandbox):
    src = """
    import numpy as np
    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        return 0.5 * np.sum(outputVectors ** 2) + np.sum(predicted), np.ones_like(predicted), outputVectors
    """
    W = np.arange(12.0).reshape(4, 3) / 7
    call = Call(id="numgrad:c", function="cost", args=(np.zeros(3), 1, W, Dataset(4)), kind="numgrad",
                numgrad={"output": 0, "wrt": [0, 2], "h": 1e-4, "sample": [None, [11, 0, 5]]})
    r = run(sandbox, module(src), [call])
    assert r.outcomes["numgrad:c"].status == "ok"
    full, picked = r.outcomes["numgrad:c"].value.items
    assert full.shape == (3,) and np.allclose(full.array, 1.0)
    assert picked.shape == (3,) and np.allclose(picked.array, W.reshape(-1)[[11, 0, 5]], atol=1e-6)


def test_printed_output_goes_to_the_call_that_printed_it_on_every_run(sandbox):
    src = """
    import numpy as np
    def softmax(x):
        print("softmax of shape", x.shape)
        e = np.exp(x)                 # overflows on the last input: a warning on stderr
        return e / e.sum()
    """
    calls = [Call(id=f"s{i}", function="softmax", args=(np.full(i + 1, 1000.0 * (i == 2)),)) for i in range(3)]
    for _ in range(8):
        r = run(sandbox, module(src), calls)
        assert r.outcomes["s0"].output == "softmax of shape (1,)\n"
        assert r.outcomes["s1"].output == "softmax of shape (2,)\n"
        assert r.outcomes["s2"].output.startswith("softmax of shape (3,)\n")
        assert "RuntimeWarning: overflow" in r.outcomes["s2"].output
        assert r.load.output == ""


# --------------------------------------------------------------------------- outcomes held back and sent together


def _held_pipe(page=None):
    r, w = os.pipe()
    os.set_blocking(r, False)
    return r, w, _worker._Held(w, True, page, w if page is not None else None)


def _frames_in(fd) -> list:
    try:
        data = os.read(fd, 1 << 20)
    except BlockingIOError:
        return []
    return [f[0] for f in _worker.FrameReader(1 << 20).feed(data)]


def test_a_child_holds_quick_calls_outcomes_and_sends_them_together_before_anything_else():
    r, w, held = _held_pipe()
    try:
        for k in range(3):
            held.start(k, {"id": f"c{k}", "timeout": 1.0})
            assert held.hold({"ev": "outcome", "call": f"c{k}", "status": "ok"})
        assert _frames_in(r) == []  # nothing written yet: three quick calls
        held.send()  # what the child sends next (a print, the end) goes after them
        assert [h["call"] for h in _frames_in(r)] == ["c0", "c1", "c2"]
    finally:
        os.close(r)
        os.close(w)


def test_a_child_sends_what_it_holds_before_a_call_that_may_take_longer_or_once_the_calls_took_long():
    r, w, held = _held_pipe()
    try:
        held.start(0, {"id": "a", "timeout": 1.0})
        held.hold({"ev": "outcome", "call": "a", "status": "ok"})
        held.start(1, {"id": "b", "timeout": 5.0})  # the leader would time b with a's clock
        assert [h["call"] for h in _frames_in(r)] == ["a"]
        held.hold({"ev": "outcome", "call": "b", "status": "ok"})
        held.start(2, {"id": "c", "timeout": 1.0})
        time.sleep(_worker.HOLD_SECONDS * 1.5)  # c takes longer than the calls may be held
        held.hold({"ev": "outcome", "call": "c", "status": "ok"})
        assert [h["call"] for h in _frames_in(r)] == ["b", "c"]
        held.start(3, {"id": "d", "timeout": 1.0})
        assert not held.hold({"ev": "outcome", "call": "d", "status": "ok", "big": "x" * _worker.HOLD_FRAME})
        assert not _worker._Held(w, False).hold({"ev": "outcome", "call": "e", "status": "ok"})
    finally:
        os.close(r)
        os.close(w)


def test_a_child_marks_the_call_it_is_making_and_the_bytes_written_to_its_fds_1_and_2_before_it():
    import mmap

    page = mmap.mmap(-1, _worker.UNIT_PAGE)
    r, w, held = _held_pipe(page=page)
    try:
        assert _worker._marked_call(page) == (None, 0)
        os.write(w, b"abc")  # unread by the leader: in the pipe
        _worker._U64.pack_into(page, _worker._RAW_SEQ_AT, 2)
        _worker._U64.pack_into(page, _worker._RAW_READ_AT, 10)  # the leader read 10 before
        assert held.raw() == 13  # as counted when the child sent its last event (an outcome)
        held.start(4, {"id": "x", "timeout": 1.0})
        assert _worker._marked_call(page) == (4, 13)
    finally:
        os.close(r)
        os.close(w)


def test_the_bytes_written_are_read_only_while_the_leader_is_not_reading():
    import mmap

    page = mmap.mmap(-1, _worker.UNIT_PAGE)
    r, w = os.pipe()
    try:
        os.write(w, b"abcd")
        _worker._U64.pack_into(page, _worker._RAW_READ_AT, 100)
        _worker._U64.pack_into(page, _worker._RAW_SEQ_AT, 7)  # odd: a read under way
        assert _worker._raw_written(page, w) is None  # never settled: unknown, not a torn figure
        _worker._U64.pack_into(page, _worker._RAW_SEQ_AT, 8)
        assert _worker._raw_written(page, w) == 104
    finally:
        os.close(r)
        os.close(w)


HANGS_OR_DIES_ON_THE_FOURTH = """
import os, time
import numpy as np
def softmax(x):
    if x[0, 0] == 4.0:
        {fate}
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""


@pytest.mark.parametrize("fate, status", [("time.sleep(60)", "timeout"), ("os._exit(3)", "exited")])
def test_a_call_that_hangs_or_dies_after_quick_ones_is_blamed_and_not_the_quick_ones_before_it(sandbox, fate, status):
    # The quick calls' outcomes are held back when the fourth one starts: the leader must blame
    # the call the child was making, and make the quick ones again (not lose them).
    calls = [Call(id=f"s{k}", function="softmax", args=(X * 0 + k + 1,), timeout=0.5) for k in range(5)]
    r = run(sandbox, module(HANGS_OR_DIES_ON_THE_FOURTH.format(fate=fate)), calls)
    assert [r.outcomes[c.id].status for c in calls] == ["ok", "ok", "ok", status, "ok"], \
        [r.outcomes[c.id].message for c in calls]


WRITES_TO_FD_1 = """
import os, time
import numpy as np
def softmax(x):
    k = int(x[0, 0])
    if k % 2:
        os.write(1, b"raw %d\\n" % k)
    if k == {hang}:
        time.sleep(60)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""


@pytest.mark.parametrize("hang", [0, 5])
def test_what_held_calls_write_to_fd_1_goes_to_the_call_that_wrote_it_on_every_run(sandbox, hang):
    calls = [Call(id=f"s{k}", function="softmax", args=(X * 0 + k,), timeout=0.5) for k in range(1, 7)]
    for _ in range(3 if hang else 6):
        r = run(sandbox, module(WRITES_TO_FD_1.format(hang=hang)), calls)
        assert [r.outcomes[c.id].output for c in calls] == ["raw 1\n", "", "raw 3\n", "", "raw 5\n", ""]
        assert [r.outcomes[c.id].status for c in calls] == ["ok"] * 4 + ["timeout" if hang else "ok", "ok"]
        assert r.load.output == ""


def test_what_a_call_prints_and_writes_to_fd_1_comes_in_the_order_it_did_it_on_every_run(sandbox):
    src = """
    import os
    import numpy as np
    def softmax(x):
        print("before")
        os.write(1, b"raw\\n")
        print("after")
        return np.ones_like(x) / x.shape[-1]
    """
    calls = [Call(id=f"s{k}", function="softmax", args=(X,), timeout=1.0) for k in range(3)]
    for _ in range(5):
        r = run(sandbox, module(src), calls)
        assert [r.outcomes[c.id].output for c in calls] == ["before\nraw\nafter\n"] * 3


# --------------------------------------------------------------------------- the zygote's program


def test_the_zygote_runs_its_code_compiled_once_into_a_private_cache(tmp_path, monkeypatch):
    from grader import sandbox as sandbox_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    sandbox_mod._worker_program.cache_clear()
    try:
        here, inside = sandbox_mod._worker_program()
        assert inside == "/sandbox/worker.pyc"
        assert os.path.dirname(here) == str(tmp_path / "grader")
        assert os.stat(tmp_path / "grader").st_mode & 0o777 == 0o700
        with Sandbox(LEVELS[0]) as sb:
            r = run(sb, module(GOOD), [softmax_call()])
        assert r.outcomes["softmax:x"].status == "ok"
        # A folder others may write to is not trusted: the source is run instead.
        os.chmod(tmp_path / "grader", 0o777)
        sandbox_mod._worker_program.cache_clear()
        assert sandbox_mod._worker_program() == (str(sandbox_mod._WORKER), "/sandbox/worker.py")
    finally:
        sandbox_mod._worker_program.cache_clear()


def test_a_forged_event_with_a_huge_header_is_refused_by_the_leader(sandbox):
    # Decoding a multi-MiB JSON header costs the grader about a second; the leader refuses
    # any event but the load report whose header is over 256 KiB, and blames the call.
    src = GOOD.replace("def softmax(x):", "def _real(x):") + TO_EVERY_PIPE + textwrap.dedent("""
    import json, struct
    def softmax(x):
        head = json.dumps({"ev": "outcome", "call": "softmax:x", "status": "ok",
                           "pad": "x" * 400000, "$blobs": []}).encode()
        _to_every_pipe(struct.pack(">IQ", len(head), 0) + head)
        return _real(x)
    """)
    r = run(sandbox, module(src), [softmax_call(), softmax_call("softmax:y")])
    assert r.outcomes["softmax:x"].status == "rejected"
    assert r.outcomes["softmax:y"].status in ("rejected", "ok")  # its own forged frame names softmax:x


CUT_SHORT = GOOD.replace("def softmax(x):", "def _real(x):") + TO_EVERY_PIPE + textwrap.dedent("""
    import json, os, struct, time
    import numpy as np

    def _forge(x, end):
        # An outcome frame of this call, holding the right values, with a 1 MiB blob after
        # them: large enough that the leader splices it on rather than gathering it.
        right = np.ascontiguousarray(_real(x), dtype="<f8")
        pad = 1 << 20
        head = json.dumps({"ev": "outcome", "call": "softmax:" + CALL[float(x[0, 0])], "status": "ok",
                           "value": {"type": "ndarray", "dtype": "<f8", "shape": list(right.shape),
                                     "data": {"$a": 0, "dtype": "<f8", "shape": list(right.shape)}},
                           "notes": [], "seconds": 0.0, "pad": {"$b": 1}, "$blobs": [right.nbytes, pad]}).encode()
        frame = struct.pack(">IQ", len(head), right.nbytes + pad) + head + right.tobytes() + bytes(pad)
        if end != "whole":
            frame = frame[: len(frame) - pad + (100 << 10)]  # the values and 100 KiB of the blob
        _to_every_pipe(frame)
        if end == "hang":
            time.sleep(30)
        elif end == "die":
            os._exit(3)

    CALL = {1.0: "x", 2.0: "y", 3.0: "z"}

    def softmax(x):
        x = np.asarray(x, dtype=float)
        if x[0, 0] == 1.0:
            _forge(x, END)
        if x[0, 0] == 3.0:
            _forge(x, "whole")  # the control: a whole forged frame of its own call is its answer
            return np.zeros_like(x)
        return _real(x)
    """)


@pytest.mark.parametrize("end,status", [("hang", "timeout"), ("die", "exited")])
def test_a_large_outcome_cut_short_is_never_used_and_the_next_calls_are_read_whole(sandbox, end, status):
    # The leader passes a large outcome on to the grader as the child writes it; when the
    # child stops in the middle, the leader completes the frame with zeros and voids it.
    # Here the zeros would complete a frame holding the right values: used, it would pass.
    calls = [softmax_call("softmax:x"), Call(id="softmax:y", function="softmax", args=(X + 1.0,), timeout=1.0),
             Call(id="softmax:z", function="softmax", args=(X + 2.0,), timeout=1.0)]
    r = run(sandbox, module(CUT_SHORT.replace("_forge(x, END)", f"_forge(x, {end!r})")), calls)
    assert r.outcomes["softmax:x"].status == status
    assert r.outcomes["softmax:x"].value is None
    want = {cid: np.exp(a - a.max(axis=-1, keepdims=True)) / np.exp(a - a.max(axis=-1, keepdims=True)).sum(-1, keepdims=True)
            for cid, a in (("softmax:y", X + 1.0), ("softmax:z", X + 2.0))}
    for cid in ("softmax:y", "softmax:z"):  # z: the control, a whole forged frame is read as sent
        assert r.outcomes[cid].status == "ok", (cid, r.outcomes[cid])
        np.testing.assert_allclose(r.outcomes[cid].value.array, want[cid])


@pytest.mark.parametrize("splice_works", [True, False])
def test_a_leader_moves_the_rest_of_a_large_outcome_pipe_to_pipe(monkeypatch, splice_works):
    # The rest of a large outcome goes from the child's pipe to the grader's by splice (the
    # leader never holds it); where splice cannot be used, by reads and writes, bytes intact.
    body = np.random.default_rng(0).bytes(300_000)
    spliced = []
    real_splice = os.splice

    def splice(src, dst, count, *a, **kw):
        if not splice_works:
            raise OSError(errno.EINVAL, "not here")
        n = real_splice(src, dst, count, *a, **kw)
        spliced.append(n)
        return n

    monkeypatch.setattr(os, "splice", splice)
    child_r, child_w = os.pipe()
    grader_r, grader_w = os.pipe()
    _worker._grow_pipe(child_w)
    _worker._grow_pipe(grader_w)
    zygote = _worker.Zygote({}, {}, grader_w)
    moving = _worker._Moving(len(body), "c", True)
    got = bytearray()
    os.write(child_w, body[:100_000])
    while moving.rest:
        if moving.rest == len(body) - 100_000:
            os.write(child_w, body[100_000:])
        assert zygote._move(child_r, moving)
        got += os.read(grader_r, 1 << 20) if select_ready(grader_r) else b""
    while select_ready(grader_r):
        got += os.read(grader_r, 1 << 20)
    assert bytes(got) == body
    assert (sum(spliced) == len(body)) if splice_works else (spliced == [] and not moving.splice)
    os.write(child_w, b"x")
    os.close(child_w)
    dropped = _worker._Moving(5, None, False)
    assert zygote._move(child_r, dropped) and dropped.rest == 4 and not select_ready(grader_r)
    assert not zygote._move(child_r, dropped)  # end of file
    for fd in (child_r, grader_r, grader_w):
        os.close(fd)


def select_ready(fd) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])


def test_the_load_unit_a_dead_child_wrote_is_read_only_when_well_formed():
    import mmap

    page = mmap.mmap(-1, _worker.UNIT_PAGE)
    assert _worker._unit_of(page) is None  # nothing written: the leader keeps what events said
    h = _worker.Harness({}, [], [], "/tmp", -1, False)
    h.unit_page = page
    h.mark_unit("q3_word2vec", 7, "q3_word2vec.py, line 12")
    assert _worker._unit_of(page) == ["q3_word2vec", 7, "q3_word2vec.py, line 12"]  # where the student sees it
    page[:] = b"\x00" * len(page)
    page[:25] = b"\x00\x00\x00\x15[\"q3_word2vec\",7,3.5]"
    assert _worker._unit_of(page) == ["q3_word2vec", 7]  # a where that is not text is dropped
    for junk in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x05[1,2]", b"\x00\x00\x00\x07{\"a\":1}", b"\x00\x00\x00\x03[[[",
                 b"\x00\x00\x00\x0a[\"m\",1.5]  ", b"\x00\x00\x00\x08[\"m\",true]"):
        page[: len(junk)] = junk
        assert _worker._unit_of(page) is None, junk
    r, w = os.pipe()
    try:  # a name too long for the page goes as an event, as before
        h.wfd = w
        h.mark_unit("m" * 5000, 1)
        (header, _, _), = _worker.FrameReader(1 << 20).feed(os.read(r, 1 << 16))
        assert header == {"ev": "unit", "module": "m" * 5000, "i": 1, "where": ""}
    finally:
        os.close(r)
        os.close(w)


def test_a_leader_reader_hands_back_the_start_of_a_large_outcome():
    small = _worker.pack({"ev": "unit", "i": 0})
    big = _worker.pack({"ev": "outcome", "call": "c", "g": np.arange(20_000, dtype=np.float64)})
    big_other = _worker.pack({"ev": "print", "g": np.arange(20_000, dtype=np.float64)})
    for size in (100, 4096, 1 << 16):
        reader = _worker.FrameReader(1 << 24, splice_min=1 << 16)
        got, stream, k = [], small + big, 0
        while k < len(stream) and not (got and isinstance(got[-1], _worker.Started)):
            got += reader.feed(stream[k : k + size])
            k += size
        assert got[0][0] == {"ev": "unit", "i": 0}
        start = got[-1]
        assert isinstance(start, _worker.Started) and start.header["call"] == "c"
        assert bytes(start.head) == big[: len(start.head)] and len(start.head) + start.rest == len(big)
        # The caller moves the rest itself; the reader then starts afresh at the next frame.
        assert [h for h, _, _ in reader.feed(small)] == [{"ev": "unit", "i": 0}]
    reader = _worker.FrameReader(1 << 24, splice_min=1 << 16)
    got = []
    for k in range(0, len(big_other), 4096):
        got += reader.feed(big_other[k : k + 4096])
    assert len(got) == 1 and not isinstance(got[0], _worker.Started)  # any other event is gathered whole
    assert np.array_equal(_worker.unpack(got[0][0], got[0][1])["g"], np.arange(20_000, dtype=np.float64))


FORGED_SURROGATES = GOOD.replace("def softmax(x):", "def _real(x):") + TO_EVERY_PIPE + textwrap.dedent("""
    import json, struct

    def _header(cid, how):
        obj = {"ev": "outcome", "call": cid, "status": "raised",
               "error": {"type": "ValueError", "message": "forged-" + how + " \\udc80 here", "frames": []},
               "$blobs": []}
        if how == "escape":  # the JSON escape of a lone surrogate, in plain ASCII
            return json.dumps(obj).encode()
        text = json.dumps(obj, ensure_ascii=how == "utf16esc")
        if how == "utf8":  # the surrogate's own three bytes (json.loads reads bytes with surrogatepass)
            return text.encode("utf-8", "surrogatepass")
        # UTF-16-LE (json.loads takes it too): the surrogate as its code unit, or its escape
        # in ASCII characters that each come with a NUL byte
        return b"".join(struct.pack("<H", ord(c)) for c in text)

    HOW = {1.0: "escape", 2.0: "utf8", 3.0: "utf16", 4.0: "utf16esc"}

    def softmax(x):
        how = HOW[float(x[0, 0])]
        head = _header("softmax:" + how, how)
        _to_every_pipe(struct.pack(">IQ", len(head), 0) + head)
        return _real(x)
    """)


def _strings(obj):
    import dataclasses

    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _strings(getattr(obj, f.name))


def test_every_string_a_child_sends_is_encodable_however_its_header_was_written(sandbox):
    # The run report skips the walk that escapes lone surrogates when every header read was
    # plain ASCII with no surrogate escape; a header that is not (an escape, the raw bytes of
    # a surrogate, a UTF-16 header, an escape in UTF-16) still gets it.
    calls = [Call(id=f"softmax:{how}", function="softmax", args=(X + k,), timeout=1.0)
             for k, how in enumerate(("escape", "utf8", "utf16", "utf16esc"))]
    for call in calls:
        r = run(sandbox, module(FORGED_SURROGATES), [call])
        message = r.outcomes[call.id].error.message
        assert message.startswith("forged-" + call.id.split(":")[1]), message  # the forged outcome was read
        assert " \\x80 here" in message and "\udc80" not in message  # shown as the byte it stands for
        for text in _strings(r):
            text.encode("utf-8")  # would raise on a lone surrogate
    plain = run(sandbox, module(GOOD), [softmax_call()])
    assert plain.outcomes["softmax:x"].status == "ok"


#: Levels that can tell a submission's IPC objects apart: the sandbox's own IPC namespace, or
#: the slot's own uid (as root).  A plain process without one shares the host's namespace
#: and uid with everything else, so nothing there is the submission's to remove.
IPC_LEVELS = [lv for lv in LEVELS if lv.startswith("bwrap") or os.geteuid() == 0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="System V IPC through /proc/sysvipc")
@pytest.mark.parametrize("level", IPC_LEVELS)
def test_system_v_ipc_objects_do_not_outlive_their_submission(level):
    make = GOOD + textwrap.dedent("""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    SHM = libc.shmget(4242, 4096, 0o1666)   # IPC_CREAT | 0666
    MSG = libc.msgget(4243, 0o1666)
    SEM = libc.semget(4244, 1, 0o1666)
    def softmaxCostAndGradient(p, t, W, d):
        return float(min(SHM, MSG, SEM) >= 0), p, W
    """)
    look = make.replace("0o1666)", "0)").replace("4096, 0)", "0, 0)").replace("1, 0)", "0, 0)")
    call = [Call(id="c", function="cost", args=(np.zeros(2), 0, np.ones((2, 2)), Dataset(2)))]
    with Sandbox(level) as sandbox:
        made = run(sandbox, module(make), call)
        seen = run(sandbox, module(look), call)
    assert made.outcomes["c"].value.items[0].array == 1.0  # the first submission could create them
    assert seen.outcomes["c"].value.items[0].array == 0.0  # the next one finds none of them


def test_members_encoded_once_decode_as_if_packed_with_the_rest_of_the_frame():
    shared = _worker.share({"calls": [{"id": "a", "x": np.arange(3.0)}], "starter": [{"data": b"code"}],
                            "nan": float("nan")})
    for k in range(3):  # one encoding, many frames, each with blobs of its own after the shared ones
        frame = _worker.pack({"op": "run", "files": [{"data": bytes([k]) * 5}], "v": np.full(2, k)}, shared)
        (h, b, _), = _worker.FrameReader(1 << 20).feed(frame)
        got = _worker.unpack(h, b)
        assert got["calls"][0]["id"] == "a" and got["calls"][0]["x"].tolist() == [0.0, 1.0, 2.0]
        assert got["starter"][0]["data"] == b"code" and got["files"][0]["data"] == bytes([k]) * 5
        assert got["v"].tolist() == [k, k] and got["op"] == "run" and got["nan"] != got["nan"]
    with pytest.raises(ValueError, match="also in the frame"):
        _worker.pack({"calls": []}, shared)
    with pytest.raises(ValueError):
        _worker.share({})


def test_a_request_encodes_what_the_rubric_gives_it_once_per_batch(monkeypatch):
    shares = []
    real = _worker.share
    monkeypatch.setattr(_worker, "share", lambda obj: (shares.append(sorted(obj)), real(obj))[1])
    calls = [softmax_call(), softmax_call("softmax:y")]
    other = Settings(load_timeout=5.0, cell_timeout=0.5)
    with Sandbox(LEVELS[0]) as sb:
        runs = [run(sb, module(GOOD), calls), run(sb, module(GOOD.replace("return e /", "return 0.5 * e /")), calls),
                run(sb, module(GOOD), calls)]
        assert len(shares) == 1  # three submissions, one encoding
        runs.append(run(sb, module(GOOD), calls, settings=other))  # another rubric's settings: encoded again
        assert len(shares) == 2 and shares[0] == ["calls", "functions", "settings", "starter", "withheld"]
        sb.proc.kill()
        sb.proc.wait()
        runs.append(run(sb, module(GOOD), calls))  # a fresh zygote: the inputs are sent again, and the calls
    halves = [np.round(r.outcomes["softmax:x"].value.array.sum(axis=1), 12).tolist() for r in runs]
    assert halves == [[1.0, 1.0], [0.5, 0.5], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    assert all(r.outcomes["softmax:y"].status == "ok" for r in runs)


def test_encoding_and_decoding_a_frame_leave_no_reference_cycle():
    # A cycle would keep each multi-MiB frame alive until a gc pass: the grader's heap
    # fragments and its memory grows with the batch.
    import gc

    raw = _worker.pack({"a": np.arange(1000.0), "b": b"xyz", "n": [{"x": 1}]})
    (h, b, _), = _worker.FrameReader(1 << 20).feed(raw)
    gc.collect()
    gc.disable()
    try:
        _worker.unpack(h, b)
        _worker.pack_parts({"a": np.arange(10.0), "b": b"x"})
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_run_leaves_no_reference_cycle(sandbox):
    # Frames and outcomes are freed as soon as the report is built, not at a later gc pass.
    import gc

    calls = [softmax_call(), softmax_call("softmax:y", echo_args=True)]
    run(sandbox, module(GOOD), calls)
    gc.collect()
    gc.disable()
    try:
        run(sandbox, module(GOOD), calls)
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("populate_max", [0, 1 << 24])
def test_a_large_frame_reads_back_whole_whether_its_pages_are_mapped_at_once_or_as_filled(monkeypatch, populate_max):
    monkeypatch.setattr(_worker, "POPULATE_MAX", populate_max)
    big = np.arange(300_000, dtype=np.float64)
    frame = _worker.pack({"g": big})
    reader, got = _worker.FrameReader(1 << 24), []
    for k in range(0, len(frame), 1 << 16):
        got += reader.feed(frame[k : k + (1 << 16)])
    assert len(got) == 1 and not isinstance(got[0][2], bytes)
    assert np.array_equal(_worker.unpack(got[0][0], got[0][1])["g"], big)


def test_a_large_frame_is_read_into_one_buffer_whatever_the_chunks():
    big = np.arange(100_000, dtype=np.float64).reshape(400, 250)
    frames = b"".join([_worker.pack({"i": 0}), _worker.pack({"i": 1, "g": big, "b": b"ab"}), _worker.pack({"i": 2})])
    for size in (1, 7, 4096, 1 << 20, len(frames)):
        reader, got = _worker.FrameReader(1 << 24), []
        for k in range(0, len(frames), size):
            got += reader.feed(frames[k : k + size])
        assert [h["i"] for h, _, _ in got] == [0, 1, 2], size
        decoded = _worker.unpack(got[1][0], got[1][1])
        assert np.array_equal(decoded["g"], big) and decoded["b"] == b"ab"
        assert decoded["g"].flags.writeable
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _worker.write_frame(w, {"g": big})
        _worker.write_frame(w, {"after": 1})
        os._exit(0)
    os.close(w)
    reader, got = _worker.FrameReader(1 << 24), []
    while True:
        more = reader.read_from(r, 1 << 16)
        if more is None:
            break
        got += more
    os.close(r)
    os.waitpid(pid, 0)
    assert len(got) == 2 and not isinstance(got[0][2], bytes)  # the large one: its own buffer
    g = _worker.unpack(got[0][0], got[0][1])["g"]
    assert np.array_equal(g, big) and g.flags.writeable and got[1][0] == {"after": 1}


@pytest.mark.parametrize("level", LEVELS)
def test_standard_modules_students_use_import_at_every_level(level):
    # At the process level the student's process runs as the slot's uid with no mount namespace:
    # an interpreter installed in a private home (pyenv under /root) is not readable there, and
    # `import copy` failed, as did the harness's own deep copy of dict and list arguments (the
    # problem set's skip-gram calls: 7.5 points lost by every honest submission).
    src = ("import copy, json, fractions, collections, statistics, functools, itertools, random, time\n"
           "from copy import deepcopy\n"
           "import numpy as np\n"
           "def softmax(x, tokens=None):\n"
           "    return np.array([float(len(deepcopy([1, 2]))), statistics.mean([1, 3])])\n")
    call = Call(id="softmax:x", function="softmax", args=(np.array([1.0]), {"a": 0, "b": 1}))
    with Sandbox(level) as sb:
        r = run(sb, module(src), [call])
    assert r.load.unit_errors == ()
    o = r.outcomes["softmax:x"]
    assert o.status == "ok", o.message
    assert o.value.array.tolist() == [2.0, 2.0]


def test_display_is_a_quiet_builtin_as_in_a_jupyter_kernel(sandbox):
    sub = notebook(GOOD + "display(softmax(X_))\n".replace("X_", "np.ones((1, 2))"), "y = display('a', raw=True)\n")
    r = run(sandbox, sub, [softmax_call()])
    assert r.outcomes["softmax:x"].status == "ok"
    assert r.load.unit_errors == () and r.load.output == ""


def test_the_definitions_made_after_the_load_timeout_do_not_eat_the_calls_time(sandbox):
    # The load spends its whole load_timeout, then the next cell's definitions take most of their
    # grace (min(3 s, load_timeout / 4)): the submission's budget still leaves the call its time.
    spin = "for it in range(10**12):\n    pass\n"
    slow_def = "import time\ndef later(a=time.sleep(2.7)):\n    return a\n"
    sub = notebook(GOOD, spin, slow_def)
    r = run(sandbox, sub, [softmax_call(timeout=0.2)], settings=Settings(load_timeout=12.0, cell_timeout=12.0))
    assert r.outcomes["softmax:x"].status == "ok", r.outcomes["softmax:x"].message


def test_output_past_the_cap_is_said_with_what_was_printed_before_any_hidden_input(sandbox):
    from dataclasses import replace

    src = GOOD + "\nprint('x' * 3000)\n" + textwrap.dedent("""
        _softmax = softmax
        def softmax(x):
            print('y' * 500)
            return _softmax(x)
    """)
    small = replace(FAST, max_output_kb=2)  # 2048 characters kept
    r = run(sandbox, module(src), [softmax_call()], settings=small)
    (note,) = [n for n in r.load.notes if "printed more than" in n]
    # 3001 printed while loading, 2048 of them kept; the call's 501 kept beyond the cap (its own allowance)
    assert note.startswith("your code printed more than the 2 KiB of output kept per submission: the 953 "
                           "characters printed after that were not kept")
    assert r.outcomes["softmax:x"].output == "y" * 500 + "\n"
    # printed once hidden inputs are in the process: dropped, never counted for the student
    r = run(sandbox, module(src), [softmax_call(), softmax_call("softmax:h", hidden=True)], settings=small)
    (note,) = [n for n in r.load.notes if "printed more than" in n]
    assert "the 953 characters" in note


def test_a_placeholder_raised_in_a_function_the_graded_one_calls_is_named_where_it_is():
    from grader.model import ErrorInfo, Frame
    from grader.sandbox import _message

    call = Call(id="skipgram:small", function="skipgram", args=())
    raised = ErrorInfo("NotImplementedError", "", frames=(
        Frame("word2vec.py", 61, "loss, gc, go = word2vecLossAndGradient(...)", "skipgram"),
        Frame("word2vec.py", 28, "raise NotImplementedError", "naiveSoftmaxLossAndGradient")))
    said = _message(call, {"status": "raised"}, "skipgram", raised, {})
    assert said == ("skipgram still raises NotImplementedError (word2vec.py, line 28), from "
                    "naiveSoftmaxLossAndGradient, which it calls: the starter placeholder is still there.")
    # through the cost function it was given: said, as skipgram calls softmax only through it
    through = ErrorInfo("NotImplementedError", "", frames=(
        Frame("q3_word2vec.py", 61, "cost, gp, g = word2vecCostAndGradient(...)", "skipgram"),
        Frame("q3_word2vec.py", 15, "probs = softmax(scores)", "softmaxCostAndGradient"),
        Frame("q1_softmax.py", 9, "raise NotImplementedError", "softmax")))
    assert _message(call, {"status": "raised"}, "skipgram", through, {}) == (
        "skipgram still raises NotImplementedError (q1_softmax.py, line 9), from softmax, which it calls through "
        "softmaxCostAndGradient: the starter placeholder is still there.")
    own = ErrorInfo("NotImplementedError", "", frames=(Frame("word2vec.py", 70, "raise NotImplementedError", "skipgram"),))
    assert _message(call, {"status": "raised"}, "skipgram", own, {}) == (
        "skipgram still raises NotImplementedError (word2vec.py, line 70): the starter placeholder is still there.")
