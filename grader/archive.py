"""Read zip archives into memory safely: never extract, refuse what could harm or exhaust the grader."""

from __future__ import annotations

import io
import os
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from .errors import LoadError

#: Most members (files and folders) one archive may list; a batch archive may list `MAX_BATCH_MEMBERS`.
MAX_MEMBERS = 10_000
#: Most members a batch archive (one entry per student) may list.
MAX_BATCH_MEMBERS = 200_000
#: Most bytes, after decompression, read for one submission (all its archives and files), in bytes.
MAX_BYTES = 64 * 2**20
#: Most archives inside archives inside a submission (a zip in a zip is depth 2).
MAX_DEPTH = 3
#: Chunk size when decompressing, in bytes: the budget is checked after each chunk.
_CHUNK = 2**16

# Compression methods the standard library can decompress.
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_METHOD_NAMES = {9: "Deflate64", 98: "PPMd", 99: "AES encryption", 93: "Zstandard", 95: "XZ"}


class ArchiveError(LoadError):
    """An archive the grader refuses or cannot read; the message says why and what to do."""


class Budget:
    """Bytes one submission may still read, counted as they are decompressed (never from headers).

    Parameters
    ----------
    limit : int, optional
        Bytes allowed in total; None: `MAX_BYTES` (read when the budget is made).
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_BYTES if limit is None else limit
        self.used = 0

    def take(self, n: int, what: str) -> None:
        """Count `n` more bytes read from `what`; raise LoadError past the limit."""
        self.used += n
        if self.used > self.limit:
            raise LoadError(
                f"{what} was refused: its code files hold more than {_size(self.limit)} "
                "(counted as read, after decompression); "
                "hand in only your .py and .ipynb files, without large outputs."
            )


@dataclass(frozen=True)
class Member:
    """One file listed in an archive, under its checked, normalised name."""

    name: str  #: posix path inside the archive, never absolute, never with ".."
    size: int  #: size as the archive declares it (not trusted: reading counts real bytes)
    info: zipfile.ZipInfo


class Archive:
    """A zip archive whose listing was checked; members are read into memory on demand.

    Opening checks the whole listing before anything is decompressed, and refuses
    (raises ArchiveError) a corrupt archive, more than `max_members` members, a
    member whose path is absolute or has a ``..`` part, a symbolic link, an
    encrypted member, or a name with control characters.  Folders are not
    members.  Nothing is ever written to disk.

    Parameters
    ----------
    source : path or bytes
        The archive's file, or its content (an archive inside an archive).
    label : str
        How messages name it: ``"alice.zip"``, ``"batch.zip:alice.zip"``.
    max_members : int
        `MAX_MEMBERS` for a student's archive, `MAX_BATCH_MEMBERS` for a batch.
    batch : bool
        A batch archive (the TA's, one entry per student): a member refused for its name
        or kind is listed in `refused`, not a refusal of the whole archive.
    """

    def __init__(self, source: str | os.PathLike[str] | bytes, label: str, max_members: int = MAX_MEMBERS,
                 *, batch: bool = False) -> None:
        self.label = label
        #: with `batch`: the members refused for their name or kind, (name as written, what it is),
        #: left out of `members` instead of refusing the whole archive (one student's member
        #: must not cost the others)
        self.refused: list[tuple[str, str]] = []
        #: names that more than one member has (a zip appended to, two tools' output), with their count:
        #: the last of them is the one read, as unzip leaves it
        self.repeated: dict[str, int] = {}
        stream: str | os.PathLike[str] | BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
        try:
            self._zip = zipfile.ZipFile(stream)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise ArchiveError(
                f"{label} could not be read as a zip archive ({_reason(exc)}); "
                "re-create it with a zip tool and hand it in again."
            ) from None
        if len(infos) > max_members:
            self._zip.close()
            raise ArchiveError(
                f"{label} was refused: it lists {len(infos)} files and folders, more than {max_members}; "
                "hand in only your code (.py or .ipynb files)."
            )
        members: dict[str, Member] = {}
        try:
            for info in infos:
                problem = member_problem(info) if batch else None
                if problem is not None:
                    self.refused.append((_raw_name(info), problem[0]))
                    continue
                name = _checked_name(info, label)
                if info.is_dir() or not name:
                    continue
                if name in members:
                    self.repeated[name] = self.repeated.get(name, 1) + 1
                members[name] = Member(name, info.file_size, info)  # a repeated name: the last one wins, as unzip
        except ArchiveError:
            self._zip.close()
            raise
        self.members: list[Member] = sorted(members.values(), key=lambda m: m.name)

    def read(self, member: Member, budget: Budget, what: str = "") -> bytes:
        """Return a member's bytes, counting each decompressed chunk against `budget`; `what` names the submission
        the budget is of where that is the member (one student's file in a class's zip), not the archive.

        Raises
        ------
        ArchiveError
            The budget ran out (a zip bomb declares small sizes), or the member
            is damaged or compressed with a method Python cannot read.
        """
        method = member.info.compress_type
        if method not in _READABLE:
            label = _METHOD_NAMES.get(method, "unknown")
            raise ArchiveError(
                f"{self.label}: {member.name!r} is compressed with method {method} ({label}), "
                "which cannot be read; re-create the zip with ordinary (deflate) compression."
            )
        what = what or self.label
        if member.size > budget.limit - budget.used:
            budget.take(member.size, what)  # refuse before decompressing anything
        chunks = []
        try:
            with self._zip.open(member.info) as f:
                while chunk := f.read(_CHUNK):
                    budget.take(len(chunk), what)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
            raise ArchiveError(
                f"{self.label}: {member.name!r} could not be decompressed ({_reason(exc)}); "
                "re-create the zip with a zip tool and hand it in again."
            ) from None
        return b"".join(chunks)

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)


def _checked_name(info: zipfile.ZipInfo, label: str) -> str:
    """Return a member's name as a relative posix path, or raise ArchiveError (addressed to a student)."""
    raw = _raw_name(info)
    problem = member_problem(info)
    if problem is not None:
        what, fix = problem
        if what.startswith("name "):  # the member name 'q1\\x07.py' contains...
            raise ArchiveError(f"{label} was refused: the member name {raw!r} {what[5:]}; {fix}.")
        raise ArchiveError(f"{label} was refused: the member {raw!r} {what}; {fix}.")
    name = raw.replace("\\", "/")
    return "/".join(p for p in name.split("/") if p not in ("", "."))


def _raw_name(info: zipfile.ZipInfo) -> str:
    """Return a member's name as its maker wrote it (UTF-8 preferred when the flag is missing)."""
    raw = info.filename
    if not info.flag_bits & 0x800:
        # Without the UTF-8 flag zipfile decodes names as cp437, but many tools
        # (Info-ZIP, old macOS) write UTF-8 without setting it: prefer UTF-8 when it decodes.
        try:
            raw = raw.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return raw


def member_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    """Return why a member cannot be read (what it is, what a student does about it), or None."""
    raw = _raw_name(info)
    if any(unicodedata.category(c) == "Cc" for c in raw):
        return "name contains control characters", "rename the file and re-create the zip"
    parts = raw.replace("\\", "/").split("/")
    if raw.replace("\\", "/").startswith("/") or (len(parts[0]) == 2 and parts[0][1] == ":") or ".." in parts:
        return ("points outside the archive (an absolute path or '..')",
                "re-create the zip from inside your assignment folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link", "zip the files themselves, not links to them"
    if info.flag_bits & 0x1:
        return "is encrypted", "hand in a zip without a password"
    return None


def _reason(exc: BaseException) -> str:
    """Return an exception as a short reason: its message, else its type's name."""
    return str(exc) or type(exc).__name__


def _size(n: int) -> str:
    """Return a byte count as text: 64 MiB, 512 KiB, 100 bytes."""
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"
