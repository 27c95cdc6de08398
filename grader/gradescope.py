"""Build the autograder.zip a TA uploads to Gradescope: setup.sh, run_autograder, the rubric, its reference and grader's source.

Gradescope's "Autograder Specifications" (gradescope-autograders.readthedocs.io/en/latest/specs/)
ask for a zip with ``setup.sh`` and ``run_autograder`` at its root.  Gradescope unpacks it
in ``/autograder/source``, runs ``setup.sh`` once as root while building the image (with
network), and for every submission runs ``run_autograder`` from ``/autograder``, with the
student's files in ``/autograder/submission``; ``/autograder/results/results.json`` must
exist afterwards.  The bundle::

    autograder.zip
      setup.sh           installs Python >= 3.11 and grader from grader-src/ into /opt/grader/venv
      run_autograder     grader gradescope --submission /autograder/submission
                                           --results /autograder/results/results.json
                                           --rubric /autograder/source/assignment/<rubric>.toml
                         under a time limit; writes a results.json saying what went wrong when
                         grader could not (AUTOGRADER_ROOT replaces /autograder)
      assignment/        the rubric TOML, its reference module and its stand-ins, byte for byte,
                         at the same places relative to each other
      grader-src/        a copy of grader's source: pyproject.toml, grader/ with its reference,
                         rubrics and templates, installable with pip
      bundle.json        what was bundled: grader's version, the rubric's name, version, digest and path
      README.md          for the TA: how to upload it and check it locally
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import io
import json
import os
import shlex
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import __version__
from .errors import UsageError
from .model import Rubric

#: Seconds run_autograder lets grading take before it stops it (under Gradescope's default
#: limit of 10 minutes, so that results.json is still written); GRADER_TIME_LIMIT overrides it.
TIME_LIMIT = 540
#: Subpackages of grader that hold data: copied into grader-src/ with the code.
DATA_PACKAGES = ("reference", "rubrics", "templates")
#: A fixed time for every zip entry, so that the same inputs give the same zip.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SKIP = ("__pycache__", ".pytest_cache")


@dataclass(frozen=True)
class Bundle:
    """What :func:`build_bundle` wrote."""

    path: Path  #: the zip
    rubric: str  #: the rubric's path inside the zip ("assignment/rubrics/word2vec.toml")
    files: tuple[str, ...]  #: every entry, in zip order


def _template(name: str) -> str:
    """Return the text of one file of the ``grader.templates`` package's ``gradescope`` folder."""
    return importlib.resources.files("grader.templates").joinpath("gradescope", name).read_text(encoding="utf-8")


def _walk(root, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    """Yield (relative posix path, bytes) of every file under a Traversable, caches left out."""
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name in _SKIP or entry.name.endswith((".pyc", ".pyo")):
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _walk(entry, rel + "/")
        elif entry.is_file():
            yield rel, entry.read_bytes()


def _dependencies() -> list[str]:
    """Return grader's runtime requirements: from the checkout's pyproject.toml, else the installed metadata."""
    import grader

    checkout = Path(grader.__file__).resolve().parent.parent / "pyproject.toml"
    if checkout.is_file():
        doc = tomllib.loads(checkout.read_text(encoding="utf-8"))
        if doc.get("project", {}).get("name") == "grader":
            return list(doc["project"].get("dependencies", []))
    try:
        reqs = importlib.metadata.requires("grader") or []
    except importlib.metadata.PackageNotFoundError:
        raise UsageError("grader's requirements are unknown: it is neither installed nor a source checkout") from None
    return [r for r in reqs if "extra ==" not in r.replace("extra==", "extra ==")]


def source_files() -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) of an installable copy of grader's source, rooted at its pyproject.toml.

    The copy is assembled from the running grader, installed or checked out alike: the
    ``grader`` package's modules, then its data packages (``grader.reference``,
    ``grader.rubrics``, ``grader.templates``) as folders inside it, and a pyproject.toml
    with the same name, version, requirements and console script.
    """
    import grader

    pkg = Path(grader.__file__).resolve().parent
    for f in sorted(pkg.glob("*.py")):
        yield f"grader/{f.name}", f.read_bytes()
    # Subpackages (grader.written, grader.similarity...) with every file they hold (a grammar, say).
    subpackages = sorted(d.name for d in pkg.iterdir() if d.is_dir() and (d / "__init__.py").is_file()
                         and d.name not in DATA_PACKAGES)
    for name in subpackages:
        for f in sorted((pkg / name).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                yield f"grader/{name}/{f.relative_to(pkg / name).as_posix()}", f.read_bytes()
    for name in DATA_PACKAGES:
        yield from ((f"grader/{name}/{rel}", data)
                    for rel, data in _walk(importlib.resources.files(f"grader.{name}")))
    deps = ", ".join(json.dumps(d) for d in _dependencies())
    names = [*DATA_PACKAGES, *subpackages]
    packages = ", ".join(json.dumps(p) for p in ["grader", *(f"grader.{n}" for n in names)])
    data = "\n".join(f'{json.dumps(f"grader.{n}")} = ["**/*"]' for n in names)
    yield "pyproject.toml", (
        "# A copy of grader's source for the Gradescope bundle, written by 'grader gradescope-bundle'.\n"
        "[build-system]\n"
        'requires = ["setuptools>=64"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        'name = "grader"\n'
        f'version = "{__version__}"\n'
        'requires-python = ">=3.11"\n'
        f"dependencies = [{deps}]\n\n"
        "[project.scripts]\n"
        'grader = "grader.cli:console_main"\n\n'
        "[tool.setuptools]\n"
        f"packages = [{packages}]\n\n"
        "[tool.setuptools.package-data]\n"
        f"{data}\n"
    ).encode()


def _extends_chain(toml: Path) -> list[Path]:
    """Return the rubric file and every file it ``extends``, leaf first (resolved as the loader does)."""
    from .rubric import MAX_EXTENDS, builtin_rubric_path

    out: list[Path] = []
    path: Path | None = toml
    while path is not None and len(out) < MAX_EXTENDS:
        out.append(path.resolve())
        extends = tomllib.loads(path.read_text(encoding="utf-8")).get("extends")
        if not isinstance(extends, str):
            break
        near = path.parent / extends
        path = near if near.is_file() else builtin_rubric_path(extends.removesuffix(".toml"))
    return out


def _chain(toml: Path) -> list[Path]:
    """Return the rubric file and every file it ``extends``, leaf first, then the files whose written
    part a file of that chain takes (``written_from``) with their own ``extends`` chains."""
    from .rubric import builtin_rubric_path

    out = _extends_chain(toml)
    for path in list(out):
        source = tomllib.loads(path.read_text(encoding="utf-8")).get("written_from")
        if isinstance(source, str):
            near = path.parent / source
            found = near if near.is_file() else builtin_rubric_path(source.removesuffix(".toml"))
            out += [p for p in _extends_chain(found) if p not in out]
    return out


def rubric_files(rubric: Rubric) -> tuple[str, list[tuple[str, bytes]]]:
    """Return the rubric's TOML path and its files (TOMLs of its ``extends`` chain, references, stand-ins),
    relative to their common folder.

    The files are copied byte for byte, so the TOML's relative ``reference`` and
    ``starter_dir`` still point at them and the rubric's digest is unchanged.

    Parameters
    ----------
    rubric : Rubric
        A rubric loaded from a file.

    Returns
    -------
    tuple
        ``(toml_relative_path, [(relative_path, bytes), ...])``, posix paths.
    """
    toml = Path(rubric.path)
    chain = _chain(toml)
    # starter_dir is relative to the file of the chain that sets it (the nearest to the leaf)
    setter = next((p for p in _extends_chain(toml) if "starter_dir" in tomllib.loads(p.read_text(encoding="utf-8"))), toml)
    starter_dir = (setter.parent / tomllib.loads(setter.read_text(encoding="utf-8")).get("starter_dir", ".")).resolve()
    paths = [*chain, Path(rubric.reference_path).resolve()]
    written = getattr(rubric, "written", None)
    if written is not None and getattr(written, "reference_path", ""):
        paths.append(Path(written.reference_path).resolve())
    paths += [(starter_dir / s.path).resolve() for s in rubric.starter]
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))
    files = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in dict.fromkeys(paths)]
    return toml.resolve().relative_to(root).as_posix(), files


def _readme(rubric: Rubric, rubric_path: str) -> str:
    """Return the bundle's README.md for the TA."""
    return (
        f"# Gradescope autograder: {rubric.title}\n\n"
        f"Built by grader {__version__} from rubric `{rubric.name}` ({f'version {rubric.version}, ' if rubric.version else ''}"
        f"digest `{rubric.digest[:16]}`).\n\n"
        "Upload this zip as the autograder of a Gradescope programming assignment (Docker image: "
        "Ubuntu; `setup.sh` installs Python 3.11+ and grader, with network, while the image is built). "
        "For every submission, `run_autograder` grades the student's files with all checks, public and "
        "hidden, and writes `results.json`: hidden checks are shown to students only after the grades "
        "are published.\n\n"
        "Try it locally before uploading (grader installed, no root needed):\n\n"
        "```sh\n"
        "mkdir -p ag/source ag/submission ag/results\n"
        "unzip autograder.zip -d ag/source\n"
        "cp q1_softmax.py q3_word2vec.py ag/submission/\n"
        "AUTOGRADER_ROOT=$PWD/ag ag/source/run_autograder && cat ag/results/results.json\n"
        "```\n\n"
        f"Inside: `setup.sh`, `run_autograder`, `{rubric_path}` (the rubric, its reference module and "
        "stand-ins under `assignment/`), `grader-src/` (grader's source), `bundle.json`.\n"
    )


def build_bundle(rubric: Rubric, out: Path, *, time_limit: int = TIME_LIMIT) -> Bundle:
    """Write the Gradescope autograder zip for `rubric` to `out`.

    Parameters
    ----------
    rubric : Rubric
        A rubric loaded from a file (its TOML, reference and stand-ins are bundled).
    out : pathlib.Path
        The zip to write (replaced); its folder must exist.
    time_limit : int, optional
        Seconds run_autograder lets grading take (default :data:`TIME_LIMIT`).

    Returns
    -------
    Bundle
        The zip's path, the rubric's path inside it, and its entries.

    Raises
    ------
    UsageError
        When `out`'s folder does not exist or `out` is a folder.
    """
    if out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a folder; name the zip to write, e.g. autograder.zip")
    if not out.parent.is_dir():
        raise UsageError(f"--out {str(out)!r}: the folder {str(out.parent)!r} does not exist")
    toml_rel, files = rubric_files(rubric)
    rubric_path = f"assignment/{toml_rel}"
    quoted = shlex.quote(rubric_path)
    if quoted != rubric_path:
        raise UsageError(f"the rubric's path {rubric_path!r} has characters a shell script can't hold; rename it")
    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", _template("setup.sh").replace("@@RUBRIC@@", rubric_path).encode(), 0o755),
        ("run_autograder", _template("run_autograder").replace("@@RUBRIC@@", rubric_path)
         .replace("@@TIME_LIMIT@@", str(int(time_limit))).encode(), 0o755),
        ("README.md", _readme(rubric, rubric_path).encode(), 0o644),
        ("bundle.json", (json.dumps({
            "grader_version": __version__, "rubric": rubric_path, "name": rubric.name, "title": rubric.title,
            "version": rubric.version, "digest": rubric.digest, "time_limit": int(time_limit)},
            indent=2, ensure_ascii=False) + "\n").encode(), 0o644),
    ]
    entries += [(f"assignment/{rel}", data, 0o644) for rel, data in files]
    entries += [(f"grader-src/{rel}", data, 0o644) for rel, data in source_files()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, out)
    return Bundle(path=out, rubric=rubric_path, files=tuple(n for n, _, _ in entries))
