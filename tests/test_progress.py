"""Tests of the progress reporter with an injected clock (nothing sleeps)."""

from __future__ import annotations

import doctest
import io

import grader.progress
from grader.progress import Progress, duration, summary_line


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_doctests():
    assert doctest.testmod(grader.progress).failed == 0


def test_plain_lines_every_tenth_and_no_more():
    clock, out = Clock(), io.StringIO()
    p = Progress(100, out, clock=clock, every=1e9)
    assert not p.tty
    for _ in range(100):
        clock.t += 0.01
        p.done()
    lines = out.getvalue().splitlines()
    # one line at each tenth from 10 % to 90 %; 100 % is left to the final line
    assert [line.split(",")[0] for line in lines] == [f"progress: {n}/100 ({n}%)" for n in range(10, 100, 10)]
    assert lines[0] == "progress: 10/100 (10%), 100.0/s, about 0:01 left"
    assert "\r" not in out.getvalue()


def test_plain_lines_every_few_seconds_on_a_slow_batch():
    clock, out = Clock(), io.StringIO()
    p = Progress(1000, out, clock=clock, every=5.0)
    for _ in range(30):  # one submission every 2 s: a line every 5 s (every third submission)
        clock.t += 2.0
        p.done()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1] == "progress: 30/1000 (3%), 0.5/s, about 32:20 left"


def test_terminal_bar_is_redrawn_in_place_and_throttled():
    clock, out = Clock(), Tty()
    p = Progress(4, out, clock=clock)
    assert p.tty
    clock.t += 1
    p.done("a")
    clock.t += 0.01
    p.done("b")  # within REDRAW of the last draw: not drawn
    clock.t += 1
    p.done("c", error=True)
    text = out.getvalue()
    assert "\n" not in text
    frames = text.split("\r")[1:]
    assert len(frames) == 2
    assert frames[0] == "[######··················]  1/4  25%  1.0/s  ETA 0:03\x1b[K"
    assert frames[1].startswith("[##################······]  3/4  75%  ")
    assert "1 error" in frames[1] and "ETA 0:01" in frames[1]
    clock.t += 0.01
    p.done("d")  # the last one is always drawn
    assert out.getvalue().split("\r")[-1].startswith("[########################]  4/4 100%")


def test_clear_and_finish_erase_the_bar():
    clock, out = Clock(), Tty()
    p = Progress(2, out, clock=clock)
    clock.t += 1
    p.done()
    p.clear()
    assert out.getvalue().endswith("\r\x1b[K")
    p.clear()  # nothing on screen: nothing written
    assert out.getvalue().count("\r\x1b[K") == 1
    clock.t += 0.001
    p.done()  # comes back at once after a clear, throttle or not
    p.finish("graded 2")
    assert out.getvalue().endswith("\r\x1b[Kgraded 2\n")


def test_skipped_count_toward_progress_but_not_the_rate():
    clock, out = Clock(), io.StringIO()
    p = Progress(10, out, clock=clock, every=1e9)
    for _ in range(5):
        p.skipped("x")
    clock.t += 2
    p.done()
    assert p.count == 6
    assert p.rate() == 0.5
    assert p.eta() == 8.0
    assert p.line() == "progress: 6/10 (60%), 0.5/s, 5 unchanged, about 0:08 left"


def test_unknown_total_shows_count_and_rate_only():
    clock, out = Clock(), Tty()
    p = Progress(None, out, clock=clock)
    clock.t += 4
    p.done()
    p.done()
    assert p.eta() is None
    assert p.bar() == "2 done  0.5/s"
    assert Progress(None, io.StringIO(), clock=clock).line() == "progress: 0"


def test_a_short_estimate_grows():
    clock, out = Clock(), io.StringIO()
    p = Progress(2, out, clock=clock)
    for _ in range(3):
        clock.t += 1
        p.done()
    assert p.total == 3


def test_disabled_writes_only_the_final_line():
    clock, out = Clock(), Tty()
    p = Progress(3, out, clock=clock, enabled=False)
    for _ in range(3):
        clock.t += 1
        p.done()
    p.finish("done")
    assert out.getvalue() == "done\n"


def test_no_rate_before_the_first_result():
    clock = Clock()
    p = Progress(3, io.StringIO(), clock=clock)
    assert p.rate() == 0.0 and p.eta() is None
    assert p.line() == "progress: 0/3 (0%)"


def test_duration_and_summary_line():
    assert duration(0) == "0:00"
    assert duration(59.6) == "1:00"
    assert duration(-3) == "0:00"
    assert summary_line(graded=0, errors=0, skipped=7, seconds=0.3) == "graded 0, errors 0, unchanged 7 in 0.3 s"
    line = summary_line(graded=700, errors=0, skipped=0, seconds=7.0, slowest=[(2.0, "slow1")], isolation="bwrap",
                        results="out")
    assert line == "graded 700, errors 0, unchanged 0 in 7.0 s (100.0/s, isolation: bwrap); results in out; slowest: slow1 2.00 s"


# --------------------------------------------------------------------------- the batch's size, for the total


def test_batch_size_counts_entries_like_the_loader(tmp_path):
    import zipfile

    from grader.batch import batch_size
    from grader.load import load_batch

    folder = tmp_path / "plain"
    (folder / "carol").mkdir(parents=True)
    (folder / "carol" / "q1_softmax.py").write_text("x = 1\n")
    for name in ("alice.py", "bob.ipynb", "dave.zip", "notes.txt", ".hidden.py", "Thumbs.db"):
        (folder / name).write_text("x = 1\n")
    (folder / "__MACOSX").mkdir()
    assert batch_size(folder) == 5 == sum(1 for _ in load_batch(folder))

    canvas = tmp_path / "canvas"
    canvas.mkdir()
    for name in ("smithjohn_123_456_q1_softmax.py", "smithjohn_123_456_q3_word2vec.py",
                 "smithjohn_LATE_123_789_q3_word2vec-1.py", "doejane_77_88_q3_word2vec.py", "extra.py"):
        (canvas / name).write_text("x = 1\n")
    assert batch_size(canvas) == 3 == sum(1 for _ in load_batch(canvas))

    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("alice.py", "bob/q1_softmax.py", "bob/q3_word2vec.py", "__MACOSX/._alice.py"):
            z.writestr(f"downloads/{name}", "x = 1\n")
    assert batch_size(archive) == 2 == sum(1 for _ in load_batch(archive))

    (tmp_path / "one.py").write_text("x = 1\n")
    assert batch_size(tmp_path / "one.py") == 1
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    assert batch_size(tmp_path / "broken.zip") is None
    assert batch_size(tmp_path / "missing") is None
