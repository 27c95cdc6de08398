"""Cost of `grader similarity` on generated batches, against copydetect's own all-pairs pipeline.

Submissions are generated from the solution variants of ``tests/similarity_corpus.py`` (this
project's own code): each picks one of three implementations per function at random, gets
random small edits (temporaries, asserts, ``pass``) and random renames, and wraps the course
skeleton written for the tests; a few are planted copies (verbatim, renamed and reordered, or
copied from a reference file).  The reference files (``--against``) are generated the same way,
half of them written as Python 2.

Measured, in the same run:

- ``grader similarity`` (one process; its stages' seconds from ``--json``-less runs' progress);
- copydetect's ``CopyDetector`` (files on disk, every pair compared, its HTML report off) on
  the same files, on the smaller sizes only (it compares all pairs: O(N²)).

With ``--baseline-ref REF`` (a git commit of this repository) ``grader similarity`` of that
commit (its tree written to a temporary folder, see ``_common.checkout``) runs on the same
files before this tree's, and both rows are printed with their peak resident memory (the
grader's own process, forked workers excluded).

Usage: ``python benchmarks/similarity.py [--sizes 150,300,600] [--sources 300] [--copydetect-max 300] [--rate 0.3]
[--baseline-ref REF]``
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

import os

from _common import GRADER, GRADER_RSS, ROOT, checkout, machine, table, timed, workdir

sys.path.insert(0, str(ROOT / "tests"))
import similarity_corpus as corpus  # noqa: E402


#: Probability that a line of a generated solution gets a small edit (lower: students' code more alike).
RATE = 0.3


def one(rng: random.Random) -> str:
    """Return one generated solution file: the skeleton with a random solution filled in."""
    choice = {n: rng.randrange(3) for n in corpus.ORDER}
    order = list(corpus.ORDER)
    if rng.random() < 0.3:
        rng.shuffle(order)
    return corpus.mutated(corpus.STARTER + "\n" + corpus.solution(choice, tuple(order)), rng, RATE)


def make(folder: Path, n: int, n_sources: int, seed: int = 1) -> tuple[Path, Path, Path, dict[str, str]]:
    """Write a batch of `n` submissions, `n_sources` reference files and the starter; return the planted copies."""
    rng = random.Random(seed)
    batch, against, starter = folder / f"batch{n}", folder / f"against{n_sources}", folder / "starter"
    for d in (batch, against, starter):
        d.mkdir(parents=True, exist_ok=True)
    (starter / "q3_word2vec.py").write_text(corpus.STARTER)
    refs = []
    for i in range(n_sources):
        text = one(rng)
        refs.append(text)
        (against / f"repo{i:04d}_q3_word2vec.py").write_text(corpus.py2(text) if i % 2 else text)
    texts = [one(rng) for _ in range(n)]
    planted = {}
    texts[1] = texts[0]
    planted["s00001"] = "s00000 (verbatim)"
    texts[3] = corpus.renamed(texts[2], corpus.RENAMES)
    planted["s00003"] = "s00002 (renamed)"
    texts[5] = refs[7]
    planted["s00005"] = "repo0007 (from a source)"
    for i, t in enumerate(texts):
        (batch / f"s{i:05d}.py").write_text(t)
    return batch, against, starter, planted


def cpu() -> float:
    """Return the CPU seconds (user + system) used so far by finished child processes."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_grader(batch: Path, against: Path, starter: Path, out: Path,
               tree: Path | None = None) -> tuple[float, str, str, int]:
    """Run ``grader similarity`` (of `tree`, a checkout, when given) and return (seconds, its stage
    lines, its first result lines, its own process's peak RSS in KiB)."""
    rss = out.parent / f"{out.name}.rss"
    env = {**os.environ, "BENCH_RSS_FILE": str(rss)}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    dt, p = timed([*GRADER_RSS, "similarity", str(batch), "--out", str(out), "--against", str(against),
                   "--starter", str(starter)], env=env)
    return dt, p.stderr.strip(), "\n".join(p.stdout.splitlines()[:4]), int(rss.read_text())


def run_copydetect(batch: Path, against: Path, starter: Path, out: Path) -> float:
    """Run copydetect's own pipeline (all pairs of the batch, and each file against the sources)."""
    code = (
        "import sys, logging; logging.disable(logging.WARNING)\n"
        "from copydetect import CopyDetector\n"
        f"d = CopyDetector(test_dirs=[{str(batch)!r}], ref_dirs=[{str(batch)!r}, {str(against)!r}], "
        f"boilerplate_dirs=[{str(starter)!r}], extensions=['py'], display_t=0.5, silent=True, autoopen=False, "
        f"out_file={str(out / 'copydetect.html')!r})\n"
        "d.run()\n"
    )
    dt, _ = timed([sys.executable, "-c", code])
    return dt


def main() -> None:
    global RATE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="150,300,600")
    ap.add_argument("--sources", type=int, default=300)
    ap.add_argument("--copydetect-max", type=int, default=300, help="largest size also run through CopyDetector")
    ap.add_argument("--rate", type=float, default=0.3,
                    help="share of lines edited in each generated solution (default %(default)s; 0.05: much alike)")
    ap.add_argument("--baseline-ref", metavar="REF", default=None,
                    help="also run grader similarity of this git commit on the same files, first")
    args = ap.parse_args()
    RATE = args.rate
    root = workdir()
    print(machine())
    trees: list[tuple[str, Path | None]] = [("this tree", ROOT)]
    if args.baseline_ref:
        trees.insert(0, (args.baseline_ref, checkout(args.baseline_ref, root / "baseline")))
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        batch, against, starter, planted = make(root, n, args.sources)
        for name, tree in trees:
            c0 = cpu()
            dt, stages, top, rss = run_grader(batch, against, starter, root / f"out{n}-{len(rows)}", tree)
            c1 = cpu()
            print(f"\n--- grader similarity ({name}), {n} submissions, {args.sources} sources: {dt:.1f} s, "
                  f"CPU {c1 - c0:.1f} s, peak RSS {rss / 1024:.0f} MiB\n{stages}\n{top}")
            rows.append([n, args.sources, name, f"{dt:.1f} s (CPU {c1 - c0:.1f} s)", f"{rss / 1024:.0f} MiB"])
        if n <= args.copydetect_max:
            c1 = cpu()
            cd = run_copydetect(batch, against, starter, root / f"out{n}-cd")
            rows.append([n, args.sources, "copydetect CopyDetector", f"{cd:.1f} s (CPU {cpu() - c1:.1f} s)", ""])
    print()
    print(table(rows, ["submissions", "sources", "run", "wall (CPU)", "peak RSS (grader's process)"]))


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(benchmark ran {time.perf_counter() - t0:.0f} s)")
