"""Parse argv, pick prose or --json output, map errors to exit codes. No grading logic here."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence, TextIO

from . import __version__
from .errors import ExitCode, GraderError, IsolationError, OutputClosed, RubricError, Terminated, UsageError, bug_traceback

EPILOG = """exit codes: 0 done (check: every public check passed); 1 check: a public check failed;
2 bad arguments, rubric or input path (grade: no submission in it; check: nothing in it could be
read as code); 3 a bug in grader; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM: kill, a job
scheduler's stop); 141 the output was closed (a pipe into head)."""
#: Each command's own footer: only the exit codes it can give.
_BAD = "2 bad arguments, rubric or input path (the message says which{also}); 3 a bug in grader"
EPILOGS = {
    "grade": "exit codes: 0 every submission got a result, whatever the scores; "
             + _BAD.format(also=": also SUBMISSIONS holding no submission, or RESULTS a file or inside SUBMISSIONS")
             + "; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM: kill, a job scheduler's stop), 141 the "
               "output was closed (--json into head): the results written are kept, and the same command "
               "finishes the batch.",
    "check": "exit codes: 0 every public check passed (--written: the answer is right); 1 one did not; "
             + _BAD.format(also=": also nothing in PATH could be read as code")
             + "; 141 the output was closed (a pipe into head).",
}
_DONE = f"exit codes: 0 done; {_BAD.format(also='')}."


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (exit 2 with our message format) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def similarity_options(p: argparse.ArgumentParser, *, grade: bool) -> None:
    """Add the similarity check's options (to ``grade``, with ``--similarity`` to turn it on)."""
    if grade:
        p.add_argument("--similarity", action="store_true",
                       help="also compare the submissions with each other and with --against files "
                            "(similarity.html, leads for the teaching staff; needs grader[similarity])")
    p.add_argument("--against", action="append", default=[], metavar="FOLDER",
                   help="earlier terms' or public solutions: every code file under FOLDER is compared with "
                        "each submission, and each earlier student's folder or zip in it as one submission "
                        "(repeatable; give the term's folder)")
    p.add_argument("--starter", action="append", default=[], metavar="PATH",
                   help="the course's starter code (folder, zip or file): not counted as the students' own "
                        "(repeatable; the rubric's stand-ins always are)")
    p.add_argument("--threshold", type=float, default=None, metavar="SHARE",
                   help="list pairs sharing at least this share of code, above 0 and at most 1 (default: 0.5)")
    p.add_argument("--max-sharing", type=int, default=None, metavar="N",
                   help="code found in more than N submissions is common code, not counted "
                        "(default: 10%% of the submissions, at least 10)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="grader", description="Grade numerical homework in isolation, with feedback that teaches.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--rubric", default=None, metavar="RUBRIC",
                        help="rubric TOML file or built-in name (default: the course version the submissions "
                             "look like: cs224d-2015, cs224d-2016, cs224n-2017, cs224n-a2; else word2vec)")
        sp.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "bwrap-userns", "process"],
                        help="how to isolate student code (default: the strongest available)")
        sp.add_argument("--json", action="store_true", help="print results as JSON on standard output")

    g = sub.add_parser("grade", help="grade a batch: a folder or .zip of submissions (or a Canvas download)",
                       description="Grade a batch: every entry of a folder or .zip is one submission (a .py file, a "
                                   "notebook, a folder or a .zip), or the files of a Canvas bulk download, grouped "
                                   "per student. Writes RESULTS/<id>/result.json and report.html, grades.csv, "
                                   "summary.html and gradebook.sqlite; a rerun grades only what is new or changed.",
                       epilog=EPILOGS["grade"], formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("submissions", metavar="SUBMISSIONS", help="folder or .zip whose entries are one submission each")
    g.add_argument("-o", "--out", required=True, metavar="RESULTS", help="results folder (created if missing)")
    g.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="parallel slots (default: the number of cores this process may use: its CPU affinity, "
                        "bounded by its cgroup's CPU quota; never more than the submissions, at most 8 a core)")
    g.add_argument("--allow-unsandboxed", action="store_true",
                   help="grade even where no filesystem isolation is available (student code could read your files)")
    g.add_argument("--junit", metavar="FILE", help="also write JUnit XML for the batch")
    g.add_argument("--force", action="store_true",
                   help="grade every submission again, every question (default: skip those already graded and "
                        "unchanged, as recorded in RESULTS/gradebook.sqlite, and after a rubric change grade only "
                        "the questions it affects)")
    g.add_argument("--only", action="append", metavar="ID",
                   help="grade only this submission id, again even if unchanged (repeatable); "
                        "grades.csv and summary.html still list every result in RESULTS")
    g.add_argument("--cluster", metavar="ADDRESS",
                   help="grade on a Dask cluster: a running scheduler's address (tcp://host:8786), or local:N "
                        "(N worker processes started for the batch); needs pip install 'grader[dask]'. "
                        "With it, --jobs is the number of submissions in flight (default: twice the workers' "
                        "threads times 8, each task carrying up to 8 submissions)")
    g.add_argument("--no-progress", action="store_true",
                   help="no progress bar or progress lines on standard error (the final line is still written)")
    similarity_options(g, grade=True)
    common(g)


    c = sub.add_parser("check", help="a student's self-check of one submission (public checks only)",
                       description="Check one submission with the public checks only and say, in the terminal, "
                                   "what passed, what did not and why (the hidden checks are graded after you "
                                   "hand in). With --written, check one written answer instead.",
                       epilog=EPILOGS["check"], formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("path", metavar="PATH", nargs="?",
                   help="a .py file, a notebook (with the modules beside it that it imports or %%runs, as its "
                        "kernel runs them), a folder or a .zip")
    c.add_argument("--written", nargs=2, metavar=("ID", "ANSWER"),
                   help="check one written answer instead (LaTeX or plain text; '-' reads it from standard "
                        "input), e.g. --written grad_pred '-w_i + \\sum_x \\hat{y}_x w_x'; no code is run")
    c.add_argument("--html", metavar="FILE", help="also write the HTML feedback report to FILE")
    c.add_argument("--kit", metavar="DIR", help="check against a student kit (offline, no reference needed)")
    c.add_argument("--no-color", action="store_true", help="no ANSI colours (also: NO_COLOR is set)")
    common(c)

    gs = sub.add_parser("gradescope", help="grade one submission inside Gradescope's autograder container",
                        description="What the bundle's run_autograder runs: grade the submission Gradescope "
                                    "handed in, with every check, and write Gradescope's results.json.",
                        epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    gs.add_argument("--submission", default="/autograder/submission", metavar="DIR",
                    help="the student's files (default: %(default)s)")
    gs.add_argument("--results", default="/autograder/results/results.json", metavar="FILE",
                    help="where results.json goes (default: %(default)s)")
    gs.add_argument("--rubric", default=None, metavar="RUBRIC",
                    help="rubric TOML file or built-in name (default: the built-in word2vec rubric)")
    gs.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "bwrap-userns", "process"],
                    help="how to isolate student code (default: the strongest available)")

    o = sub.add_parser("override", help="set (or remove) a person's score for a question or a submission's total",
                       description="Record a person's score in RESULTS/gradebook.sqlite, with who and when: it holds "
                                   "over every regrade (flagged for review when the automatic score changes) and "
                                   "appears in report.html, summary.html, grades.csv and every export.",
                       epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    o.add_argument("results", metavar="RESULTS", help="the results folder of 'grader grade'")
    o.add_argument("submission", metavar="SUBMISSION", help="the submission id (its folder in RESULTS)")
    o.add_argument("question", metavar="QUESTION", nargs="?", default=None,
                   help="a question id (default: the submission's total)")
    o.add_argument("--score", type=float, default=None, metavar="X",
                   help="the score to set: 0 to the question's maximum; for the total, up to the maximum and any "
                        "extra credit")
    o.add_argument("--note", default="", metavar="TEXT", help="why: shown in the student's report")
    o.add_argument("--by", default=None, metavar="NAME", help="who (default: the user running grader)")
    o.add_argument("--remove", action="store_true", help="remove the override: the automatic score comes back")
    o.add_argument("--json", action="store_true", help="print the submission's result as JSON")

    k = sub.add_parser("kit", help="write the student kit: public checks and their expected outputs, no reference",
                       description="Write the student kit: the rubric's public checks, their cases' inputs and "
                                   "expected outputs (never the reference code, never a hidden case), and the "
                                   "pytest files that run them offline with numpy and pytest only.",
                       epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("-o", "--out", required=True, metavar="DIR", help="the kit's folder (created; an earlier kit is replaced)")
    k.add_argument("--rubric", default=None, metavar="RUBRIC",
                   help="rubric TOML file or built-in name (default: the built-in word2vec rubric)")
    k.add_argument("--include-stand-in", action="append", default=[], metavar="MODULE",
                   help="also ship this stand-in although it answers a graded question (repeatable; "
                        "e.g. utils.utils, which the CS224n starter gives students anyway)")

    gb = sub.add_parser("gradescope-bundle", help="build the autograder.zip to upload to Gradescope",
                        description="Build the zip a TA uploads as a Gradescope autograder: setup.sh, "
                                    "run_autograder, the rubric (with every file it extends), its reference and "
                                    "stand-ins, and grader's source.",
                        epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    gb.add_argument("-o", "--out", default="autograder.zip", metavar="FILE.zip", help="the zip to write (default: %(default)s)")
    gb.add_argument("--rubric", default=None, metavar="RUBRIC",
                    help="rubric TOML file or built-in name (default: the built-in word2vec rubric)")

    rb = sub.add_parser("rubric", help="a rubric author's tools: check a rubric without grading anyone",
                        description="Tools for writing an assignment of your own (docs/rubrics.md).",
                        epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    rsub = rb.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    rc = rsub.add_parser("check", help="validate a rubric and run its reference on every case",
                         description="Load the rubric (every key is validated), generate every case, compute every "
                                     "expected value with the reference module, try each property check on the "
                                     "reference's own answer and each named mistake's formula on its cases. "
                                     "Nobody is graded. Exit 0 when the rubric can grade, 2 when it cannot.",
                         epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    rc.add_argument("file", metavar="RUBRIC", help="a rubric TOML file, or a built-in rubric's name")
    rc.add_argument("--json", action="store_true", help="print the findings as JSON")

    e = sub.add_parser("export", help="export a batch's results to an LMS format",
                       description="Write a batch's results (a RESULTS folder of 'grader grade') in an LMS's format.",
                       epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    esub = e.add_subparsers(dest="format", metavar="FORMAT", parser_class=_Parser)
    ec = esub.add_parser("canvas", help="Canvas gradebook import CSV",
                         description="Write the CSV that Canvas's gradebook import takes: one row per student, "
                                     "matched by Canvas id (a Canvas download) or through --roster.",
                         epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    ec.add_argument("results", metavar="RESULTS", help="results folder written by 'grader grade'")
    ec.add_argument("-o", "--out", required=True, metavar="FILE.csv", help="the CSV to write (replaced)")
    ec.add_argument("--roster", metavar="CSV", help="a gradebook CSV exported from Canvas, to fill student columns")
    ec.add_argument("--assignment", default=None, metavar="NAME",
                    help="the assignment's name in Canvas; with --roster, its 'Name (id)' column is found there "
                         "(default: the rubric's title)")
    ec.add_argument("--missing", choices=["blank", "zero"], default="blank",
                    help="grade written for a roster student without a submission: blank (Canvas keeps their "
                         "grade) or zero (default: blank)")
    ej = esub.add_parser("junit", help="JUnit XML", description="Write JUnit XML: one test suite per submission, "
                         "one test case per check.", epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    ej.add_argument("results", metavar="RESULTS", help="results folder written by 'grader grade'")
    ej.add_argument("-o", "--out", required=True, metavar="FILE.xml", help="the XML file to write (replaced)")

    sm = sub.add_parser("similarity", help="find similar code in a batch (leads for the teaching staff, not verdicts)",
                        description="Compare every pair of submissions, and each with the --against files, on "
                                    "what the students wrote (starter code left out, names normalised); write "
                                    "similarity.html and similarity.csv. Scores are leads for a person to review.",
                        epilog=_DONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sm.add_argument("submissions", metavar="SUBMISSIONS", help="folder or .zip whose entries are one submission each")
    sm.add_argument("-o", "--out", required=True, metavar="DIR",
                    help="where similarity.html and similarity.csv go (a results folder: its result.json files "
                         "get their matches)")
    sm.add_argument("--rubric", default=None, metavar="RUBRIC",
                    help="rubric whose starter stand-ins are boilerplate, besides those of every built-in rubric "
                         "(default: the built-in word2vec rubric)")
    sm.add_argument("--json", action="store_true", help="print the pairs as JSON on standard output")
    sm.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                    help="processes that tokenize the code (default: the number of cores this process may use)")
    similarity_options(sm, grade=False)
    return p


# --------------------------------------------------------------------------- commands


def _output_file(value: str, option: str, example: str, *, not_at: Sequence[tuple[Path, str]] = ()) -> Path:
    """Check, before any work is done, that FILE can be written by the command; return it.

    FILE must not be a folder, nor lie under a file, nor be one of ``not_at`` (a path the
    command reads or writes otherwise, named for the message). A missing parent folder is
    made when the file is written; that something can be written there is tried at once (a
    folder made and removed in the nearest folder there is: /proc, a read-only disk), so that
    nothing is graded or printed before the refusal.
    """
    path = Path(value)
    try:
        if path.is_dir():
            raise UsageError(f"{option} {value!r} is a folder; give a file name, such as {str(path / example)!r}")
        for parent in path.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    raise UsageError(f"{option} {value!r} cannot be written: {str(parent)!r} is a file, not a folder")
                import tempfile

                os.rmdir(tempfile.mkdtemp(prefix=".grader-probe-", dir=parent))
                break
        for other, what in not_at:
            if path.absolute() == other.absolute() or (path.exists() and other.exists() and path.samefile(other)):
                raise UsageError(f"{option} {value!r} is {what}; give another file")
    except OSError as e:  # a name too long, a loop of symbolic links
        raise UsageError(f"{option} {value!r} cannot be written: {e.strerror or e}") from None
    return path


@contextlib.contextmanager
def _writing(option: str, path: Path):
    """Turn a failure to write a file the user named (no permission, disk full) into exit 2 with a message."""
    try:
        yield
    except OSError as e:
        raise UsageError(f"{option} {str(path)!r} could not be written: {e.strerror or e}") from None


#: Most sandboxes --jobs may run at once for each core the process may use (a batch graded here).
MAX_SLOTS_PER_CORE = 8


def _rubric(name: str | None, *, checked: bool = False):
    """Load the rubric `name`; `checked`: refuse one that ``grader rubric check`` refuses (a property that fails on
    the reference's own answer, a named mistake's formula that raises...), which would cost every student its
    points.  The built-in rubrics pass that check (their tests say so), so only a file given is checked."""
    from .rubric import is_builtin, load_rubric

    rubric = load_rubric(name)
    if checked and name is not None and not is_builtin(name):
        from .authoring import check_rubric

        problems = check_rubric(rubric).problems
        if problems:
            more = f" (and {_count(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
            raise RubricError(name, "", f"it can't grade: {problems[0]}{more}; 'grader rubric check {name}' "
                                        "lists what to mend")
    return rubric


def _cmd_grade(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    results = Path(args.out)
    try:
        before: set[str] | None = set(os.listdir(results)) if results.is_dir() else None
    except OSError:  # a folder that can't be listed: what it held is unknown, so nothing is removed
        before = {"?"}
    try:
        return _grade(args, out, err, not before)
    except GraderError as e:
        # bad input found after RESULTS was made (or written into while empty: an --only id not in
        # the batch, an unreadable zip, a cluster that can't be reached): a failed command leaves nothing behind
        if not before and e.exit_code == ExitCode.USAGE:
            _remove_unused(results, made=before is None)
        raise


def _remove_unused(results: Path, *, made: bool) -> None:
    """Remove the batch files this run wrote into an empty RESULTS (and RESULTS when it ``made`` it), while it holds no result."""
    from .gradebook import LOCK_FILENAME
    from .ids import RESULTS_FILES

    try:
        if not results.is_dir() or any(results.glob("*/result.json")):
            return
        for name in (*RESULTS_FILES, LOCK_FILENAME):
            with contextlib.suppress(FileNotFoundError):
                (results / name).unlink()
        if made:
            results.rmdir()  # only when nothing else is in it
    except OSError:
        pass


def _grade(args: argparse.Namespace, out: TextIO, err: TextIO, fresh: bool) -> int:
    from .heap import steady_heap

    steady_heap()  # before numpy and the rest are imported: see grader.heap
    from . import batch, render, sandbox
    from .export import json_line, write_junit
    from .gradebook import known_ids, open_gradebook, results_lock
    from .ids import IdMemory
    from .load import given_other_id, pending_batch
    from .pipeline import UNREAD_PROSE, prepare
    from .progress import Progress, summary_line
    from .score import question_ids

    src = Path(args.submissions)
    if not src.exists():
        raise UsageError(f"SUBMISSIONS {str(src)!r} does not exist")
    if not (src.is_dir() or src.suffix.lower() == ".zip"):
        raise UsageError(f"SUBMISSIONS {str(src)!r} is neither a folder nor a .zip")
    if args.similarity:
        _similarity_ready(args)  # before grading: a missing package or folder is said at once
    elif args.against or args.starter or args.threshold is not None or args.max_sharing is not None:
        raise UsageError("--against, --starter, --threshold and --max-sharing belong to the similarity check: "
                         "add --similarity (or run 'grader similarity')")
    results = Path(args.out)
    _check_results_folder(src, results)
    junit = _output_file(args.junit, "--junit", "junit.xml", not_at=[(results, "the results folder (--out)"),
                                                                      (src, "SUBMISSIONS")]) if args.junit else None
    if batch.batch_size(src) == 0:
        raise UsageError(f"SUBMISSIONS {str(src)!r} holds no submission (no .py, .ipynb, folder or .zip entry; "
                         "hidden entries are skipped); nothing was graded")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {args.jobs})")
    if args.jobs is not None and args.cluster is None and args.jobs > MAX_SLOTS_PER_CORE * batch.usable_cores():
        most = MAX_SLOTS_PER_CORE * batch.usable_cores()
        raise UsageError(f"--jobs {args.jobs} is more than {MAX_SLOTS_PER_CORE} sandboxes for each of the "
                         f"{batch.usable_cores()} cores this process may use: more would only wait for the cores, "
                         f"each holding its memory; use at most {most}")
    if args.cluster is not None:
        from .cluster import runner as cluster_runner

        cluster_runner.check_spec(args.cluster)  # Dask installed, a well-formed address: before any work
        level = args.isolation  # student code runs on the workers: each picks (and checks) its own level
    else:
        level = sandbox.choose(args.isolation)
    if args.cluster is None and level == "process" and not args.allow_unsandboxed:
        if args.isolation == "process":  # asked for: bubblewrap may well be here
            raise IsolationError(
                "--isolation process gives student code no filesystem isolation, so it could read and write "
                "your files; pass --allow-unsandboxed as well to grade this way, or leave --isolation out "
                "(the strongest isolation available)")
        raise IsolationError(
            "no filesystem isolation is available here (bubblewrap is missing or namespaces are disabled), "
            "so student code could read and write your files; install bubblewrap, "
            "or pass --allow-unsandboxed to grade anyway")
    # Every argument is checked before anything is said (the rubric chosen, below): a --rubric
    # given is loaded, and RESULTS made, first.
    rubric = _rubric(args.rubric, checked=True) if args.rubric is not None else None
    try:
        results.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {str(results)!r} cannot be made a folder ({e.strerror or e})") from None
    known = known_ids(results)  # the ids earlier runs gave: each entry keeps its own
    choice, annotate = _batch_version(args, src, err, known)
    if rubric is None:
        rubric = _rubric(choice.version)
    job = prepare(rubric)
    only = set(args.only or ())
    found: set[str] = set()

    def submissions_of(gradebook):
        submissions = pending_batch(src, rubric.settings, ids=IdMemory(known, gradebook.remember_ids))
        if not only:
            return submissions

        def selected(subs):
            for s in subs:
                if s.id in only:
                    found.add(s.id)
                    yield s

        return selected(submissions)
    bar = Progress(len(only) if only else batch.batch_size(src), err, enabled=not args.no_progress)
    shared_terminal = bar.tty and getattr(out, "isatty", lambda: False)()

    listed: set[str] = set()  # the ids of this run's entries, graded or passed over

    unread: list[str] = []  # graded here with written answers the rubric does not read
    renamed: list[str] = []  # "dup.py (dup-2)": entries whose name gave another's id

    def named(sid: str, source: str, canvas) -> None:
        entry = given_other_id(sid, source) if canvas is None else None
        if entry is not None:
            renamed.append(f"{entry} ({sid})")

    def on_result(r) -> None:
        listed.add(r.submission)
        named(r.submission, r.source, r.canvas)
        if any(UNREAD_PROSE in n for n in r.notes):
            unread.append(r.submission)
        try:
            if shared_terminal:
                bar.clear()
            out.write((json_line(r) if args.json else render.terminal_batch_line(r)) + "\n")
            out.flush()
            bar.done(r.submission, error=r.status == "error")
        except BrokenPipeError:  # (the result is written: the batch stops, as a pipe's writer does)
            raise OutputClosed() from None

    def on_skip(s, kept) -> None:
        listed.add(s.id)
        named(s.id, s.source, s.canvas)
        try:
            bar.skipped(s.id)
            if args.json:
                # A script reading the batch's results from standard output gets every submission's,
                # those left unchanged too (their result.json, as written before).
                if kept is not None:
                    if shared_terminal:
                        bar.clear()
                    out.write(json_line(kept) + "\n")
                    out.flush()
        except BrokenPipeError:
            raise OutputClosed() from None

    # One writer at a time: a second run into RESULTS is refused while this one writes it.
    with results_lock(results, "grader grade"):
        try:
            with open_gradebook(results, rubric.digest, __version__) as gradebook, contextlib.ExitStack() as stack:
                # The version graded under, for the next run without --rubric to keep (_batch_version).
                gradebook.set_meta("version", args.rubric if choice is None else choice.version)
                # (never more sandboxes than submissions: each would be started for nothing)
                jobs, slots, chunk = max(1, min(args.jobs or batch.usable_cores(), bar.total or 1)), None, 1
                if args.cluster is not None:
                    runner = stack.enter_context(cluster_runner.ClusterRunner(
                        args.cluster, job, isolation=args.isolation, allow_unsandboxed=args.allow_unsandboxed,
                        hide=[str(results.resolve()), str(src.resolve())], in_flight=args.jobs))
                    jobs, slots, chunk, level = runner.jobs, runner.slot, runner.chunk, runner.isolation_levels
                stats = batch.grade_batch(submissions_of(gradebook), results, job, jobs=jobs, isolation=level,
                                          hide=[str(src.resolve())], on_result=on_result,
                                          on_skip=on_skip, gradebook=gradebook,
                                          force=args.force or bool(only), slots=slots, chunk=chunk, expected=bar.total,
                                          annotate=annotate, batch_files=not args.similarity)
        except BaseException:
            bar.clear()
            raise
        if args.similarity:
            bar.clear()
            try:
                _run_similarity(args, src, rubric, results, err, quiet=args.no_progress)
            finally:
                # Written once, here: summary.html gets its similarity section (and a failed
                # similarity check still leaves the batch's files).
                batch.finish(results, rubric_title=rubric.title, questions=question_ids(rubric))
        if junit is not None:
            with _writing("--junit", junit), batch.atomic_path(junit) as tmp:
                write_junit(batch.iter_results(results), tmp)
        if only and not found:
            bar.clear()  # nothing was graded: the error alone says what happened
        else:
            bar.finish(summary_line(graded=stats.graded, errors=stats.errors, skipped=stats.skipped,
                                    seconds=stats.seconds, slowest=stats.slowest, isolation=level,
                                    results=str(results), regraded=(stats.regraded, stats.regraded_in_part)))
        if not only:
            _warn_removed(results, listed, err)
        if renamed:
            n = len(renamed)
            err.write(f"warning: {n} entr{'y' if n == 1 else 'ies'} of SUBMISSIONS got {'an id' if n == 1 else 'ids'} "
                      f"other than {'its name gives' if n == 1 else 'their names give'}, as another entry "
                      f"(or a file of the results folder) has that name: {', '.join(sorted(renamed)[:20])}"
                      f"{' ...' if n > 20 else ''} (grades.csv's source column names each entry)\n")
        if unread:
            err.write(_unread_warning(args.rubric if choice is None else choice.version, unread) + "\n")
        hidden = _hidden_submissions(src)
        if hidden:
            n = len(hidden)
            err.write(f"warning: {n} hidden entr{'y' if n == 1 else 'ies'} of SUBMISSIONS {'was' if n == 1 else 'were'} "
                      f"not graded (a name starting with '.' is skipped): {', '.join(map(repr, hidden[:20]))}"
                      f"{' ...' if n > 20 else ''}; rename {'it' if n == 1 else 'them'} to grade {'it' if n == 1 else 'them'}\n")
        missing = sorted(only - found)
        if missing:
            listed_in = "" if fresh and not found else f"; see {results}/grades.csv"  # (none written)
            raise UsageError(f"--only: no submission with id {', '.join(map(repr, missing))} in {str(src)!r} "
                             f"(ids are entry names without their extension, and a Canvas download's user ids"
                             f"{listed_in})")
        return ExitCode.OK


def _builtin(name: str) -> bool:
    """Whether `name` is a built-in rubric's name."""
    from .rubric import is_builtin

    return is_builtin(name)


def _written_rubric(rubric: str) -> str:
    """The built-in rubric that grades `rubric`'s code and its written part ("cs224n-a2-written"), or ""."""
    if not rubric or "/" in rubric or "\\" in rubric or rubric.endswith(".toml"):
        return ""  # a rubric file: the TA's own
    name = "written" if rubric == "problem-set" else f"{rubric}-written"
    return name if _builtin(name) else ""


def _unread_warning(rubric: str, ids: list[str]) -> str:
    """The batch's line for submissions whose written answers the rubric did not read."""
    n = len(ids)
    shown = ", ".join(ids[:20]) + (" ..." if n > 20 else "")
    written = _written_rubric(rubric)
    how = (f"--rubric {written} grades the code and the written answers" if written else
           "a rubric with a [written] part grades them (written_from, docs/rubrics.md)")
    return (f"warning: {n} submission{'' if n == 1 else 's'} graded here hand{'s' if n == 1 else ''} in written "
            f"answers (written.md, .tex) that --rubric {rubric} does not read: {shown}; {how}")


def _check_results_folder(src: Path, results: Path) -> None:
    """Refuse a results path that is a file, or that lies inside the submissions folder (exit 2).

    Results inside the submissions would be an entry of the batch: graded as a student's
    folder on every later run.  They are refused, not skipped, so that nothing depends on
    recognising a results folder.
    """
    if results.exists() and not results.is_dir():
        raise UsageError(f"--out {str(results)!r} exists and is not a folder; give a folder for the results "
                         "(created if missing)")
    if src.is_dir():
        inside, folder = results.resolve(), src.resolve()
        if inside == folder or folder in inside.parents:
            raise UsageError(f"--out {str(results)!r} is inside SUBMISSIONS {str(src)!r}: later runs would grade "
                             "the results as a submission; give a results folder outside the submissions")


def _similarity_ready(args: argparse.Namespace) -> None:
    """Check the similarity options and that copydetect is installed; raise UsageError otherwise."""
    from .similarity import fingerprint

    if args.threshold is not None and not 0 < args.threshold <= 1:
        raise UsageError(f"--threshold must be a share above 0 and at most 1, such as 0.5 (got {args.threshold})")
    if args.max_sharing is not None and args.max_sharing < 1:
        raise UsageError(f"--max-sharing must be at least 1 (got {args.max_sharing})")
    for folder in args.against:
        if not Path(folder).exists():
            raise UsageError(f"--against {folder!r} does not exist; give a folder of .py files, notebooks or zips")
    for path in args.starter:
        if not Path(path).exists():
            raise UsageError(f"--starter {path!r} does not exist; give the starter code's folder, zip or file")
    fingerprint.require()


def _run_similarity(args: argparse.Namespace, src: Path, rubric, results: Path, err: TextIO, *, quiet: bool):
    """Run the similarity check on a batch; write similarity.html/.csv and the matches into result.json files."""
    from . import batch, similarity
    from .gradebook import known_ids
    from .ids import IdMemory
    from .similarity import report

    findings = similarity.find(
        src, ids=IdMemory(known_ids(results)), settings=rubric.settings, rubric=rubric, against=args.against,
        starter=args.starter,
        threshold=similarity.DEFAULT_THRESHOLD if args.threshold is None else args.threshold,
        max_sharing=args.max_sharing, jobs=args.jobs or batch.usable_cores(), progress=None if quiet else (lambda line: err.write(line + "\n")))
    page, _ = report.write(findings, results, title=rubric.title)
    report.update_results(findings, results)
    if findings.unread_sources:
        n = len(findings.unread_sources)
        err.write(f"warning: {n} --against file{'' if n == 1 else 's'} could not be read and "
                  f"{'was' if n == 1 else 'were'} not compared: " + "; ".join(findings.unread_sources[:10])
                  + (" ..." if n > 10 else "") + "\n")
    if not findings.skeleton:
        err.write(f"warning: {NO_SKELETON}\n")
    blank = findings.blank_submissions
    if blank:
        n = len(blank)
        err.write(f"note: {n} submission{'' if n == 1 else 's'} had nothing of {'its' if n == 1 else 'their'} own to "
                  f"compare (empty, comments only, or only the starter's code) and {'is' if n == 1 else 'are'} not "
                  "counted as compared: " + ", ".join(map(findings.who, blank[:20])) + (" ..." if n > 20 else "") + "\n")
    err.write(f"similarity: {len(findings.pairs)} pair{'' if len(findings.pairs) == 1 else 's'} at or above "
              f"{findings.threshold:.0%} among {findings.n_submissions} submission{'' if findings.n_submissions == 1 else 's'} and {findings.n_sources} "
              f"source file{'' if findings.n_sources == 1 else 's'} (leads to review, not verdicts): {page}\n")
    return findings


#: Said when no --starter was given (the terminal and similarity.html say the same).
NO_SKELETON = ("no --starter was given: the course's skeleton (its docstrings, tests and given code) counts as "
               "each student's own code, so independent solutions look alike; give the skeleton's files with "
               "--starter")


def _similarity_rubric(args: argparse.Namespace, src: Path, results: Path):
    """The rubric whose title and questions similarity.html (and summary.html, rewritten) go by.

    --rubric when given; else the one the batch in RESULTS was graded under (so that a summary
    of a CS224d 2016 batch keeps its title), else the version most submissions look like, as
    ``grade`` chooses it.
    """
    import io

    from .gradebook import recorded_meta

    if args.rubric is not None:
        return _rubric(args.rubric)
    earlier = recorded_meta(results, "version") if results.is_dir() else ""
    if earlier:
        try:
            return _rubric(earlier)
        except GraderError:
            pass  # a rubric file moved since: chosen as grade would
    choice, _ = _batch_version(args, src, io.StringIO(), {})
    return _rubric(choice.version)


def _cmd_similarity(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import batch
    from .gradebook import results_lock
    from .score import question_ids
    from .similarity import report
    from .terminal import clean

    src = Path(args.submissions)
    if not src.exists():
        raise UsageError(f"SUBMISSIONS {str(src)!r} does not exist")
    if not (src.is_dir() or src.suffix.lower() in (".zip", ".py", ".ipynb")):
        raise UsageError(f"SUBMISSIONS {str(src)!r} is neither a folder nor a .zip")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {args.jobs})")
    _similarity_ready(args)
    results = Path(args.out)
    _check_results_folder(src, results)
    rubric = _similarity_rubric(args, src, results)
    if batch.batch_size(src) == 0:  # as for grade: nothing to compare is bad input, not a clean result
        raise UsageError(f"SUBMISSIONS {str(src)!r} holds no submission (no .py, .ipynb, folder or .zip entry; "
                         "hidden entries are skipped); nothing was compared")
    try:
        results.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {str(results)!r} cannot be made a folder ({e.strerror or e})") from None
    # It writes into the result.json files and summary.html: not while a grade or an override writes them.
    with results_lock(results, "grader similarity"):
        findings = _run_similarity(args, src, rubric, results, err, quiet=args.json)
        if (results / "summary.html").is_file():
            batch.finish(results, rubric_title=rubric.title, questions=question_ids(rubric))
    docs = findings.documents
    if args.json:
        out.write(json.dumps(report.to_json(findings), ensure_ascii=False) + "\n")
    else:
        for rank, p in enumerate(findings.pairs[:10], start=1):
            what = "source" if p.kind == "source" else "submission"
            other = findings.who(docs[p.b.doc].id) if p.kind == "submission" else docs[p.b.doc].id
            out.write(clean(f"{rank:>3}. {report.share_pct(p.share):>4}  {findings.who(docs[p.a.doc].id)}  ~  {what} "
                            f"{other}") + "\n")
        if len(findings.pairs) > 10:
            out.write(f"     ... {len(findings.pairs) - 10} more in {results / 'similarity.csv'}\n")
    return ExitCode.OK


def _cmd_check_written(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # A student waits for this: no sandbox, no jinja2 unless --html, numpy and lark only.
    from .written.grading import check_answer

    qid, text = args.written
    html = _output_file(args.html, "--html", "report.html") if args.html else None
    if text == "-":
        text = sys.stdin.read()
    rubric = _rubric(args.rubric) if args.rubric is not None else None
    rubric, result = check_answer(rubric, qid, text)
    check = result.checks()[0]
    if html is not None:
        from . import render
        from .batch import write_atomic

        with _writing("--html", html):
            write_atomic(html, render.report(result, rubric_title=rubric.title))
    if args.json:
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        from .terminal import terminal_written

        color = not args.no_color and "NO_COLOR" not in os.environ and out.isatty()
        out.write(terminal_written(check, color=color))
        if args.html:
            out.write(f"report written to {args.html}\n")
    return ExitCode.OK if check.status == "pass" else ExitCode.CHECK_FAILED


def _hidden_submissions(src: Path) -> list[str]:
    """The files of a SUBMISSIONS folder that would be submissions but for a name starting with "." (``.bob.py``):
    skipped, as editors' and systems' files are (``.DS_Store``, ``.ipynb_checkpoints/``: not listed)."""
    from .load import submission_kind

    try:
        return sorted(n for n in os.listdir(src) if n.startswith(".") and submission_kind(n)) if src.is_dir() else []
    except OSError:
        return []


def _warn_removed(results: Path, listed: set[str], err: TextIO) -> None:
    """Say which results of RESULTS belong to entries no longer in the batch (they stay in its files)."""
    from .batch import result_ids

    gone = [sid for sid in result_ids(results) if sid not in listed]
    if gone:
        one = len(gone) == 1
        shown = ", ".join(gone[:20]) + (" ..." if len(gone) > 20 else "")
        err.write(f"warning: {len(gone)} result{'' if one else 's'} in {results} {'is' if one else 'are'} of "
                  f"{'an entry' if one else 'entries'} no longer in SUBMISSIONS, kept in grades.csv, summary.html and "
                  f"the exports: {shown} (delete {'its folder' if one else 'their folders'} in {results}, then run "
                  f"the same command, to drop {'it' if one else 'them'})\n")


def _batch_version(args: argparse.Namespace, src: Path, err: TextIO, known: dict[str, str]):
    """Choose the batch's rubric when none is given: the version most submissions look like.

    One cheap pass over the batch (files peeked at, not translated: grader/recognise.py).
    Returns ``(choice, annotate)``: the BatchChoice and the function that writes
    ``rubric_reason`` (and ``looks_like``) into each result; ``(None, None)`` when --rubric
    was given (the grader chose nothing, and says nothing of it).  The
    submissions that look like another version are listed on ``err``, by the ids the results
    folder gives them (``known``: the ids of earlier runs).
    """
    from dataclasses import replace

    from .gradebook import recorded_meta
    from .model import Recognition
    from .recognise import FOUR_QUESTIONS, VERSIONS, BatchChoice, choose, label, recognise

    if args.rubric is not None:
        # The grader chose nothing: rubric_reason stays empty (the contract); the submissions that
        # look like another version are said, and marked (looks_like: their line, summary.html).
        others = _versions_beside(args.rubric, src, err, known)
        if not others:
            return None, None

        def mark(sub, result):
            version = others.get(result.submission, "")
            return replace(result, looks_like=version) if version else result

        from dataclasses import replace

        return None, mark
    from .load import peek_batch

    by_version: dict[str, list[str]] = {}
    try:
        from .ids import IdMemory

        for sub in peek_batch(src, ids=IdMemory(known)):
            by_version.setdefault(recognise(sub).version, []).append(sub.id)
            del sub
    except GraderError:
        raise  # the batch itself cannot be read: said as for grading
    except Exception as e:  # noqa: BLE001 - a submission the peek did not foresee: choose from the others
        err.write(f"warning: looking at the submissions to choose the rubric stopped ({type(e).__name__}); "
                  "the rubric is chosen from those seen before\n")
    choice = choose({v: len(ids) for v, ids in by_version.items()})
    earlier = recorded_meta(args.out, "version")  # what the batch's last run graded under
    if (earlier in VERSIONS or earlier in FOUR_QUESTIONS) and earlier != choice.version:
        majority = choice
        choice = BatchChoice(earlier, len(by_version.get(earlier, [])), majority.total, kept=True)
        err.write(f"rubric: {choice.version} ({label(choice.version)}), as for the earlier runs of this batch "
                  f"(kept, so that one scale grades the whole batch; {choice.count} of {choice.total} recognised "
                  f"look like it, {majority.count} like {majority.version}); --rubric {majority.version} grades "
                  "the batch again under that one\n")
    elif choice.total:
        err.write(f"rubric: {choice.version} ({label(choice.version)}), {choice.how_chosen()}; "
                  "--rubric chooses another\n")
    else:
        err.write(f"rubric: {choice.version}, the default (no submission looks like a course version)\n")
    others = sorted((sid, v) for v, ids in by_version.items() if v and v != choice.version for sid in ids)
    if others:
        shown = ", ".join(f"{sid} ({v})" for sid, v in others[:50]) + (" ..." if len(others) > 50 else "")
        one = len(others) == 1
        err.write(f"warning: {len(others)} submission{'' if one else 's'} look{'s' if one else ''} like another "
                  f"version and {'is' if one else 'are'} graded under {choice.version} all the same (one scale "
                  f"for the batch): {shown}\n")
    del by_version

    def annotate(sub, result):
        try:
            own = recognise(sub)
        except Exception as e:  # noqa: BLE001 - never costs the submission its result
            own = Recognition("", f"it could not be looked at ({type(e).__name__})")
        return replace(result, rubric_reason=choice.reason(own),
                       looks_like=own.version if choice.differs(own) else "")

    return choice, annotate


#: Rubrics of a whole problem set, each graded by one course version's rules (``problem-set``:
#: the generic one): a submission of another version loses points there that its own forgives
#: (a2's given utils, 2016's softmax allowed to modify its input).  The four-question rubrics
#: are not among them: a class that grades only those questions means to.
WHOLE_SET_RUBRICS = ("problem-set", "written")


def _code_version(rubric: str) -> str:
    """The built-in rubric whose code questions `rubric` grades: a version's "-written" rubric grades
    its version's code (and derivations); ``written`` the generic problem set's."""
    from .recognise import VERSIONS

    if rubric == "written":
        return "problem-set"
    base = rubric.removesuffix("-written")
    return base if base in VERSIONS else rubric


def _fitting(rubric: str, version: str) -> str:
    """The built-in rubric to suggest for a submission of `version` in place of `rubric`: the
    version's own, with its written part when `rubric` had one and the version has such a rubric."""
    return f"{version}-written" if rubric.endswith("written") and _builtin(f"{version}-written") else version


def _looks_other(rubric: str, version: str) -> bool:
    """True when a submission recognised as `version` is not of the built-in rubric `rubric`'s version."""
    from .recognise import VERSIONS

    rubric = _code_version(rubric)
    whole = rubric in VERSIONS or rubric in WHOLE_SET_RUBRICS
    return whole and version in VERSIONS and version != rubric


def _versions_beside(rubric: str, src: Path, err: TextIO, known: dict[str, str]) -> dict[str, str]:
    """Warn on `err` when submissions look like another course version than the --rubric given;
    return their ids, each with the version it looks like.

    Only for a built-in whole-problem-set rubric (a rubric file is the TA's own, and a
    four-question rubric grades what it grades by design).  Nothing in the results changes
    (``rubric_reason`` stays empty: the grader chose nothing); the TA reads, before grades go
    out, which submissions the rubric's version does not fit, and the --rubric that fits them.
    """
    from .recognise import VERSIONS, recognise

    if _code_version(rubric) not in (*VERSIONS, *WHOLE_SET_RUBRICS):
        return {}
    from .ids import IdMemory
    from .load import peek_batch

    by_version: dict[str, list[str]] = {}
    seen = 0
    try:
        for sub in peek_batch(src, ids=IdMemory(known)):
            seen += 1
            version = recognise(sub).version
            if _looks_other(rubric, version):
                by_version.setdefault(version, []).append(sub.id)
            del sub
    except Exception:  # noqa: BLE001 - a warning only: the batch is read (and its errors said) by grading
        return {}
    n = sum(len(ids) for ids in by_version.values())
    if not n:
        return {}
    shown = "; ".join(f"{len(ids)} like {v} ({', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''}; "
                      f"--rubric {_fitting(rubric, v)} grades {'it' if len(ids) == 1 else 'them'} as that version)"
                      for v, ids in sorted(by_version.items(), key=lambda kv: (-len(kv[1]), kv[0])))
    err.write(f"warning: {n} of {seen} submission{'' if seen == 1 else 's'} look{'s' if n == 1 else ''} like another "
              f"course version than --rubric {rubric}, and {'is' if n == 1 else 'are'} graded under it as asked: "
              f"{shown}\n")
    return {sid: v for v, ids in by_version.items() for sid in ids}


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.written:
        if args.path is not None or args.kit:
            raise UsageError("--written checks one answer: give no PATH and no --kit with it")
        return _cmd_check_written(args, out, err)
    if args.path is None:
        raise UsageError("check needs PATH (a .py file, a notebook, a folder or a .zip), or --written ID ANSWER")
    if args.kit and args.rubric is not None:
        raise UsageError("--kit holds its own rubric: give --kit or --rubric, not both")
    # Latency matters here (a student waits): the zygote is spawned first, before the
    # grader itself imports numpy, so the two imports overlap; a rubric that allows more
    # packages than numpy gets a zygote of its own.
    from .sandbox import Sandbox

    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"PATH {str(path)!r} does not exist")
    if not path.is_dir() and path.suffix.lower() not in (".py", ".ipynb", ".zip"):
        raise UsageError(f"PATH {str(path)!r} is not a .py file, an .ipynb notebook, a folder or a .zip")
    html = _output_file(args.html, "--html", "report.html",
                        not_at=[(path, "the submission being checked (PATH)")]) if args.html else None
    sb = Sandbox(args.isolation)
    from . import transform

    helper = transform.Helper()  # for Python 2 and IPython syntax (grader.transform)
    try:
        sb.spawn()
        reason, own = "", None
        if path.is_dir() or path.suffix.lower() in (".ipynb", ".zip"):
            helper.start(notebooks=True)  # likely needed: its start overlaps the grader's own
        if args.kit:
            from .kit import load_kit

            rubric, cases = load_kit(Path(args.kit))
        elif args.rubric is None:
            from .load import peek
            from .recognise import DEFAULT, VERSIONS, label, recognise

            from .kernel import with_helpers

            own = recognise(with_helpers(path, peek(path)) if path.suffix.lower() == ".ipynb" else peek(path))
            version = own.version or DEFAULT
            rubric, cases = _rubric(version), None
            if own.version in VERSIONS:
                reason = f"recognised as {version} ({label(version)}): {own.reason}"
            elif own.version:
                reason = f"{version}: {own.reason}"
            else:
                reason = f"{version}, the default: {own.reason}"
        else:
            rubric, cases = _rubric(args.rubric, checked=True), None
        if set(rubric.settings.allow_packages) - {"numpy"}:
            sb.release()
            sb = Sandbox(args.isolation, allow=rubric.settings.allow_packages)
            sb.spawn()
        from .load import load
        from .pipeline import UNREAD_PROSE, grade, no_written_answers, prepare, written_only

        if args.kit:  # the kit's texts in the words of the course versions its rubric's `wording` names
            from .kit import kit_words

            job = prepare(rubric, public_only=True, cases=cases, words=kit_words(Path(args.kit), rubric))
        else:
            job = prepare(rubric, public_only=True, cases=cases)
        with transform.using(helper):
            submission = load(path, job.rubric.settings)
            if path.is_file() and path.suffix.lower() == ".ipynb":  # with the modules beside it it imports
                from .kernel import with_helpers

                submission = with_helpers(path, submission, job.rubric.settings)
            elif args.kit and path.is_file() and path.suffix.lower() == ".py":
                # with its own modules beside it, as the kit's pytest imports them (a kit leaves out
                # the stand-ins that answer a graded question: a2's utils/utils.py in the problem set's)
                from .kernel import with_beside

                submission = with_beside(path, submission, job.rubric.settings)
        if submission.error is not None and not written_only(submission, job):  # nothing to check: bad input
            from .text import line

            if args.json:  # a script reading standard output gets the result as `grade` writes it: status "error"
                out.write(json.dumps(grade(submission, job, None).to_dict(), indent=2, ensure_ascii=False) + "\n")
            raise UsageError(line(no_written_answers(submission, job) or submission.error))
        result = grade(submission, job, sb)
        if own is None:  # whose sanity values apply (below): statically, cheaply
            from .load import peek
            from .recognise import recognise

            try:
                own = recognise(peek(path))
            except Exception:  # noqa: BLE001 - not recognised: the values are shown as before
                own = None
        if reason:
            from dataclasses import replace

            result = replace(result, rubric_reason=reason)
        # (reason: chosen by the grader; other: the --rubric given does not fit the code's version)
        other = args.rubric is not None and own is not None and _looks_other(args.rubric, own.version)
        if other:
            from .recognise import label

            fits = _fitting(args.rubric, own.version)
            err.write(f"note: {path.name} looks like {own.version} ({label(own.version)}): {own.reason}; checked "
                      f"under --rubric {args.rubric} as asked (--rubric {fits}{', or none,' if fits == own.version else ''} "
                      "checks it as that version)\n")
        if not args.kit and any(UNREAD_PROSE in n for n in result.notes):
            from .recognise import DEFAULT

            used = args.rubric if args.rubric is not None else (own.version if own is not None and own.version else DEFAULT)
            if other:
                used = own.version  # the version it looks like (said above): its written rubric
            if written := _written_rubric(used):
                err.write(f"note: grader check --rubric {written} checks your written answers with your code\n")
    finally:
        helper.close()
        sb.release()
    from .kit import course_values_text  # the course's own sanity values, beside the verdicts

    values = course_values_text(result, Path(args.kit) if args.kit else None, job.reference, job.rubric,
                                version=own.version if own is not None else "", code=submission.error is None)
    if html is not None:
        from . import render  # jinja2: only for the HTML report
        from .batch import write_atomic

        with _writing("--html", html):  # the same sanity values as the terminal's, below the questions
            write_atomic(html, render.report(result, rubric_title=job.rubric.title, kit=bool(args.kit),
                                             course_values=values))
    if args.json:
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        color = not args.no_color and "NO_COLOR" not in os.environ and out.isatty()
        from .terminal import terminal

        out.write(terminal(result, color=color))
        out.write(values)
        if args.html:
            out.write(f"report written to {args.html}\n")
    passed = result.status == "graded" and all(c.status == "pass" for c in result.checks())
    return ExitCode.OK if passed else ExitCode.CHECK_FAILED


def _cmd_gradescope(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .export import gradescope_results
    from .load import load
    from .pipeline import grade, prepare
    from .sandbox import Sandbox

    t0 = time.monotonic()
    sub_dir = Path(args.submission)
    if not sub_dir.exists():
        raise UsageError(f"--submission {str(sub_dir)!r} does not exist")
    results_file = _output_file(args.results, "--results", "results.json",
                                not_at=[(sub_dir, "the submission (--submission)")])
    job = prepare(_rubric(args.rubric, checked=True))
    submission = load(sub_dir, job.rubric.settings)
    with Sandbox(args.isolation, allow=job.rubric.settings.allow_packages, hide=[str(Path(args.results).parent)]) as sb:
        result = grade(submission, job, sb)
    doc = gradescope_results(result, execution_time=time.monotonic() - t0)
    from .batch import write_atomic

    with _writing("--results", results_file):
        write_atomic(results_file, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    err.write(f"score {result.score:g} / {result.max_score:g}; results written to {args.results}\n")
    return ExitCode.OK


def _cmd_override(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .api import override
    from .terminal import num

    if args.remove and args.score is not None:
        raise UsageError("--remove takes no --score")
    result = override(args.results, args.submission, args.question, score=args.score, note=args.note, by=args.by,
                      remove=args.remove)
    if args.json:
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return ExitCode.OK
    what = args.question or "total"
    if args.remove:
        out.write(f"{result.submission}: the override of {what} is removed\n")
    for o in result.overrides:
        out.write(f"{result.submission}: {o.question or 'total'} set to {num(o.score)} by {o.by} "
                  f"(automatic: {num(o.auto_score)}){'; to review: the automatic score changed' if o.review else ''}\n")
    out.write(f"{result.submission}: {num(result.score)} / {num(result.max_score)}; "
              f"{args.results}/grades.csv and summary.html rewritten\n")
    return ExitCode.OK


def _count(n: int, word: str) -> str:
    """Return "1 question" or "3 questions"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cmd_rubric(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .authoring import check_rubric
    from .terminal import num

    if args.action is None:
        raise UsageError("rubric needs an ACTION: check (see 'grader rubric --help')")
    found = check_rubric(_rubric(args.file))
    if args.json:
        out.write(json.dumps(found.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(f"{found.name}: {found.title}\n")
        if found.questions:
            out.write(f"  {_count(found.questions, 'question')}, {num(found.points)} points"
                      + (f" (+{num(found.extra)} extra credit)" if found.extra else "") + "; "
                      f"{_count(found.checks, 'check')} ({found.public} public, {found.hidden} hidden)\n")
            out.write(f"  {_count(len(found.cases), 'case')} generated, every expected value computed:\n")
            for cid, shapes in found.cases.items():
                out.write(f"    {cid}: {shapes}\n")
            if found.properties:
                out.write(f"  properties that hold for the reference's answer: {', '.join(found.properties)}\n")
            out.write(f"  wrong formulas of named mistakes run and differ from the expected values: {found.formulas}\n")
        else:
            out.write(f"  written questions only, {num(found.points)} points: no code is run\n")
        if found.written:
            out.write(f"  written questions whose compact form equals their reference quantity: {found.written}\n")
        for w in found.warnings:
            out.write(f"  warning: {w}\n")
    for p in found.problems:
        err.write(f"error: {p}\n")
    if found.problems:
        return ExitCode.USAGE
    if not args.json:
        out.write("the rubric can grade.\n")
    return ExitCode.OK


def _cmd_kit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .kit import NOT_FINAL, write_kit

    rubric = _rubric(args.rubric, checked=True)
    kit = write_kit(rubric, Path(args.out), include=tuple(args.include_stand_in))
    written = len(rubric.written.questions) if rubric.written is not None else 0
    out.write(f"wrote the student kit of rubric {rubric.name} to {args.out}: {len(kit.checks)} public checks on "
              f"{len(kit.cases)} cases"
              + (f"; the rubric's {written} written question{'s' if written > 1 else ''} {'are' if written > 1 else 'is'} "
                 "not in it (its README says how students check them)" if written else "") + "\n")
    if kit.withheld:
        out.write(f"left out, as they would answer a graded question: {', '.join(kit.withheld)} "
                  "(--include-stand-in MODULE ships one anyway)\n")
    if kit.properties or kit.formulas:
        parts = ([f"{_count(len(kit.properties), 'property check')} ({', '.join(kit.properties)})"]
                 if kit.properties else []) + ([f"{_count(len(kit.formulas), 'named mistake')} recognised by a "
                                                f"formula ({', '.join(kit.formulas)})"] if kit.formulas else [])
        out.write(f"left out, as they need the reference's code (the kit's README says so): {' and '.join(parts)}\n")
    out.write(f"students run: cd {args.out} && pytest --submission=PATH   (or: grader check --kit {args.out} PATH)\n")
    if args.rubric is None:
        from .recognise import VERSIONS

        # 'grader grade' without --rubric grades a class by the course version its code looks like, whose
        # policies may differ (2017's softmax may change its input): the kit should check what grades them
        err.write("note: this is the kit of the default rubric; a class of one course version is graded (by "
                  "'grader grade', unless --rubric says otherwise) by that version's rubric: write its kit with "
                  f"--rubric {', '.join(VERSIONS)} (or problem-set), so that students check offline what they "
                  "are graded by\n")
    out.write(NOT_FINAL + "\n")
    return ExitCode.OK


def _cmd_gradescope_bundle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .gradescope import build_bundle

    rubric = _rubric(args.rubric, checked=True)
    bundle = build_bundle(rubric, Path(args.out))
    out.write(f"wrote {args.out}: rubric {rubric.name}{f' (version {rubric.version})' if rubric.version else ''} at {bundle.rubric}, "
              f"{len(bundle.files)} files; upload it as the Gradescope autograder\n")
    return ExitCode.OK


def _cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .batch import atomic_path, iter_results
    from .export import write_canvas_csv, write_junit
    from .gradebook import writer_of

    if args.format is None:
        raise UsageError("export needs a FORMAT: canvas or junit (see 'grader export --help')")
    results = Path(args.results)
    if not results.is_dir():
        raise UsageError(f"RESULTS {str(results)!r} is not a results folder")
    if not any(results.glob("*/result.json")):
        raise UsageError(f"RESULTS {str(results)!r} holds no result.json; run 'grader grade' first")
    target = _output_file(args.out, "--out", "grades.csv" if args.format == "canvas" else "junit.xml",
                          not_at=[(results, "the results folder (RESULTS)")]
                          + ([(Path(args.roster), "the roster (--roster)")] if getattr(args, "roster", None) else []))
    unreadable: list[str] = []
    writer = writer_of(results)  # a batch still grading: what is written so far, said
    if args.format == "canvas":
        # Named after the rubric that graded the batch (as its run recorded it), else the built-in one's.
        assignment = args.assignment or _recorded_title(results) or _rubric(None).title
        if args.roster and Path(args.roster).is_dir():
            raise UsageError(f"--roster {args.roster!r} is a folder; give the gradebook CSV exported from Canvas")
        if args.roster and not Path(args.roster).exists():  # (a pipe, <(...), is read as a file)
            raise UsageError(f"--roster {args.roster!r} does not exist")
        with _writing("--out", target), atomic_path(target) as tmp:
            report = write_canvas_csv(iter_results(results, unreadable), tmp, assignment=assignment,
                                      roster=args.roster, missing=args.missing)
        if report.new_column:
            err.write(f"warning: the roster has no column {report.assignment!r}: Canvas will create a new "
                      "assignment on import; pass --assignment with the name as Canvas shows it, or its "
                      "'Name (id)' column from the roster\n")
        written = "blank: Canvas keeps their grade" if args.missing == "blank" else "0"
        for label, ids in ((("submission", "with no Canvas id and no roster row (left out)"), report.unmatched),
                           (("submission", "of an anonymously graded assignment, which names no Canvas user (left out: "
                             "post it with Canvas's API by the canvas.anonymous_id in its result.json)"),
                            report.anonymous),
                           (("submission", "whose Canvas id is not in the roster"), report.not_in_roster),
                           (("submission", "that could not be graded (written as 0)"), report.ungraded),
                           (("roster student", f"without a submission (written {written})"), report.missing),
                           (("submission", "whose Canvas file names read as either of two users' (a name ending "
                             "in _<digits>), written under the first: check it in Canvas (its result.json's notes "
                             "say how to grade it as the other)"), report.ambiguous),
                           (("submission", "whose Canvas file names read as either of two users', placed on the "
                             "one in the roster"), report.resolved)):
            if ids:
                what = label[0] + ("" if len(ids) == 1 else "s")
                err.write(f"warning: {len(ids)} {what} {label[1]}: {', '.join(map(str, list(ids)[:20]))}"
                          + (" ..." if len(ids) > 20 else "") + "\n")
    else:
        with _writing("--out", target), atomic_path(target) as tmp:
            write_junit(iter_results(results, unreadable), tmp)
    if unreadable:
        err.write(_unreadable_results(unreadable, args.out))
    if writer is not None:
        err.write(f"warning: RESULTS {str(results)!r} was being written by {writer} while it was exported: "
                  f"{args.out} holds the results written so far; export again when it has finished\n")
    err.write(f"wrote {args.out}\n")
    return ExitCode.OK


def _recorded_title(results: Path) -> str:
    """The title of the rubric the batch in ``results`` was graded under, as its run recorded it ("" when unknown)."""
    from .gradebook import recorded_meta

    try:
        return recorded_meta(results, "rubric_title")
    except GraderError:  # a damaged gradebook: the export goes on, named after the built-in rubric
        return ""


def _unreadable_results(ids: Sequence[str], written: str) -> str:
    """The warning for results whose result.json could not be read: left out of ``written``."""
    what = "result.json" if len(ids) == 1 else f"{len(ids)} result.json files"
    return (f"warning: {what} could not be read as results (changed or damaged since grader wrote them), "
            f"so {'this submission is' if len(ids) == 1 else 'these submissions are'} not in {written}: "
            f"{', '.join(list(ids)[:20])}{' ...' if len(ids) > 20 else ''}; run the same 'grader grade' again, "
            "which grades them anew, then export\n")


COMMANDS = {"grade": _cmd_grade, "check": _cmd_check, "gradescope": _cmd_gradescope, "export": _cmd_export,
            "kit": _cmd_kit, "override": _cmd_override, "rubric": _cmd_rubric, "gradescope-bundle": _cmd_gradescope_bundle,
            "similarity": _cmd_similarity}


def _take_written(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Take ``--written ID ANSWER`` out of argv before argparse sees it: an answer such as
    ``-W[i]+yhat@W`` starts with '-' and argparse would read it as an option."""
    if "--written" not in argv or "--" in argv[: argv.index("--written")]:
        return argv, None
    i = argv.index("--written")
    if len(argv) < i + 3:
        return argv, None  # argparse says what is missing
    return argv[:i] + argv[i + 3 :], argv[i + 1 : i + 3]


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """While a command runs, SIGTERM (``kill``, Slurm's or a container's stop) stops it as Ctrl-C does.

    It raises :class:`~grader.errors.Terminated` (a KeyboardInterrupt) in the main thread, so
    that a batch keeps what it wrote and a cluster started for it is closed, and the command
    says so and exits 143.  A process forked from this one (similarity's helpers) is stopped
    by the signal as before.  Outside the main thread nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a forked helper: die of the signal, as without this handler
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the ``grader`` command; return its exit code (never raises, never calls sys.exit).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    out, err : text streams, optional
        Where results and messages go (default: standard output and error).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    args = None
    try:
        argv, written = _take_written(list(sys.argv[1:] if argv is None else argv))
        args = parser.parse_args(argv)
        if written is not None:
            if args.command != "check":
                raise UsageError("--written belongs to 'grader check' (see 'grader check --help')")
            args.written = written
        if args.command is None:
            parser.print_help(out)
            return ExitCode.USAGE
        with _sigterm_stops():
            return int(COMMANDS[args.command](args, out, err))
    except GraderError as e:
        err.write(f"error: {e.format_message()}\n")
        return int(e.exit_code)
    except KeyboardInterrupt as e:
        said = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
        if getattr(args, "command", None) == "grade":
            # the batch's files are written when it ends: those there now are an earlier whole run's
            try:
                earlier = any((Path(args.out) / name).is_file() for name in ("grades.csv", "summary.html"))
            except (OSError, TypeError, ValueError):
                earlier = False
            err.write(f"{said}: results written so far are kept; run the same command again to finish"
                      + (" (grades.csv and summary.html are still those of the last whole run until then)"
                         if earlier else "") + "\n")
        else:
            err.write(f"{said}\n")
        return ExitCode.TERMINATED if isinstance(e, Terminated) else ExitCode.INTERRUPTED
    except SystemExit as e:  # --help and --version
        return int(e.code or 0)
    except (BrokenPipeError, OutputClosed):
        # The reader of the output went away (a pipe into head): stop, quietly.  Standard output is
        # pointed at /dev/null so that the interpreter's last flush of it raises nothing more.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        if getattr(args, "command", None) == "grade":  # (a batch stopped midway: said where it can be)
            try:
                err.write("output closed: results written so far are kept; run the same command again to finish\n")
                err.flush()
            except (OSError, ValueError):
                pass
        return ExitCode.OUTPUT_CLOSED
    except BaseException as e:  # noqa: BLE001 - a bug: say so, with the traceback
        # The traceback's frames, then the exception said once, on the line that says it is a bug.
        # Each exception's text cut: it can hold student code or whole findings.
        frames = bug_traceback(e)
        err.write("".join(frames[:-1]))
        err.write(f"error: this is a bug in grader {__version__}: {frames[-1].strip()}\n")
        return ExitCode.BUG


def console_main() -> None:
    """Entry point of the ``grader`` console script."""
    for stream in (sys.stdout, sys.stderr):
        try:  # a terminal that is not UTF-8 shows what it cannot encode as escapes, never a traceback
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    sys.exit(main())
