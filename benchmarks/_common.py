"""Shared helpers of the benchmarks: generated batches, timed commands, the machine's description.

The benchmarks are scripts, not tests: each one builds its inputs in a temporary folder
from the example submissions (``examples/``), measures the grader against a baseline
in the same run, and prints the figures and their ratios.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: How to run the grader's command line with this interpreter (no console script needed).
GRADER = [sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())"]
#: The same, writing the peak resident memory of the grader's own process (KiB, children excluded)
#: to the file named by $BENCH_RSS_FILE at exit.
GRADER_RSS = [sys.executable, "-c",
              "import os, resource, sys\n"
              "from grader.cli import main\n"
              "rc = main()\n"
              "open(os.environ['BENCH_RSS_FILE'], 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
              "sys.exit(rc)"]


def machine() -> str:
    """Return one line describing the machine: cores, CPU model, Python, OS."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"nproc {os.cpu_count()}, CPU {cpu or 'unknown'}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def cached_bytecode(env: dict[str, str], cache: Path) -> dict[str, str]:
    """``env`` with the grader's bytecode cached in ``cache``, as on a machine after its first run.

    This machine's environment may say not to write bytecode (``PYTHONDONTWRITEBYTECODE``): every
    measured run would then compile the grader's modules.  Each tree measured gets its own cache.
    """
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(cache)
    return out


def workdir(keep: bool = False) -> Path:
    """Return a fresh temporary folder (removed at exit unless ``keep``)."""
    d = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    if not keep:
        import atexit

        atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


# --------------------------------------------------------------------------- inputs


def templates(examples: Path = EXAMPLES) -> list[Path]:
    """Return the example submissions (entries of ``examples/``): .py files and folders holding .py files."""
    if not examples.is_dir():
        sys.exit(f"no examples folder at {examples}")
    found = [p for p in sorted(examples.iterdir())
             if not p.name.startswith((".", "_")) and (p.suffix == ".py" or (p.is_dir() and any(p.rglob("*.py"))))]
    if not found:
        sys.exit(f"{examples} holds no example submission (.py files or folders of .py files)")
    return found


def code_of(template: Path) -> str:
    """Return the Python code of a template, as one text (a folder's files joined, helpers first)."""
    if template.is_file():
        return template.read_text(encoding="utf-8")
    files = sorted(template.rglob("*.py"), key=lambda p: (len(p.relative_to(template).parts) == 1, str(p)))
    # Helper modules of a folder (utils/...) are the starter's: the rubric's stand-ins answer their imports.
    main = [p for p in files if len(p.relative_to(template).parts) == 1]
    return "\n\n".join(p.read_text(encoding="utf-8") for p in (main or files))


def notebook_text(code: str) -> str:
    """Return an .ipynb holding ``code``, one code cell per top-level block, with Jupyter noise added."""
    import nbformat

    blocks: list[list[str]] = [[]]
    for line in code.splitlines():
        if line.startswith(("def ", "class ", "if __name__")) and any(s.strip() for s in blocks[-1]):
            blocks.append([])
        blocks[-1].append(line)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Assignment 1: word2vec\n\nFill in the functions below."))
    nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\n%load_ext autoreload\n%autoreload 2"))
    for i, block in enumerate(blocks):
        cell = nbformat.v4.new_code_cell("\n".join(block).strip("\n"))
        cell.execution_count = i + 1
        nb.cells.append(cell)
    return nbformat.writes(nb)


def make_batch(folder: Path, n_py: int, n_nb: int = 0, examples: Path = EXAMPLES) -> Path:
    """Write ``n_py`` submissions copied from the examples (cycling) and ``n_nb`` notebooks built from their code."""
    folder.mkdir(parents=True, exist_ok=True)
    ts = templates(examples)
    for i in range(n_py):
        t = ts[i % len(ts)]
        name = f"py{i:05d}-{t.stem}"
        if t.is_file():
            shutil.copyfile(t, folder / f"{name}.py")
        else:
            shutil.copytree(t, folder / name)
    for i in range(n_nb):
        t = ts[i % len(ts)]
        (folder / f"nb{i:05d}-{t.stem}.ipynb").write_text(notebook_text(code_of(t)), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- running


def timed(argv: Sequence[str], *, env: dict | None = None, check: bool = True,
          cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``argv``; return its wall time in seconds and the completed process."""
    t0 = time.perf_counter()
    p = subprocess.run(list(argv), capture_output=True, text=True, env=env, cwd=cwd)
    dt = time.perf_counter() - t0
    if check and p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(map(str, argv))}\n{p.stderr[-3000:]}")
    return dt, p


def grade(batch: Path, out: Path, *extra: str, rss: bool = False,
          env: dict | None = None) -> tuple[float, int | None, str]:
    """Run ``grader grade BATCH --out OUT --force`` and return (seconds, peak RSS in KiB or None, final line).

    ``env``: the environment (default this process's); a ``PYTHONPATH`` there picks another
    copy of the grader (see :func:`checkout`).
    """
    argv = [*(GRADER_RSS if rss else GRADER), "grade", str(batch), "--out", str(out), "--force", "--no-progress",
            *extra]
    if not rss:
        dt, p = timed(argv, env=env)
        return dt, None, p.stderr.strip().splitlines()[-1]
    peak_file = out.parent / f".{out.name}.rss"
    dt, p = timed(argv, env={**(env or os.environ), "BENCH_RSS_FILE": str(peak_file)})
    return dt, int(peak_file.read_text()), p.stderr.strip().splitlines()[-1]


def median(xs: Sequence[float]) -> float:
    """Return the median."""
    return statistics.median(xs)


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """Return a Markdown table."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    fmt = "| " + " | ".join(f"{{:{w}}}" for w in widths) + " |"
    lines = [fmt.format(*header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt.format(*r) for r in cells]
    return "\n".join(lines)


def checkout(ref: str, dest: Path) -> Path:
    """Write the tree of git commit ``ref`` of this repository into ``dest`` (``git archive``; the
    repository is not changed) and return it: run the grader from there with ``PYTHONPATH=dest``
    (the installed dependencies are shared)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"git archive {ref} failed: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + sys, own and reaped children's) of ``pid`` and its live descendants."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = sum(int(x) for x in fields[11:15]) / _TICK
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                total += tree_cpu(int(child))
    except OSError:
        pass
    return total


def busy_seconds() -> float | None:
    """Core-seconds the whole machine has been busy since boot (``/proc/stat``: all but idle and
    iowait), or None where there is no ``/proc/stat``.  The difference over a run, divided by
    its wall time, is the number of cores it kept busy (other load included)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / _TICK


def load_average() -> str:
    """Return the 1-minute load average, as text ("?" where there is none)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"
