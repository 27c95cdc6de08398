"""Tests for grader.archive: zips read into memory, and everything refused before it is read."""

import io
import re
import stat
import zipfile

import pytest

from grader.archive import MAX_BYTES, Archive, ArchiveError, Budget, Member
from grader.errors import LoadError


def make_zip(path, members):
    """Write a zip of {name: bytes or (ZipInfo-tweak callable, bytes)}."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if isinstance(data, tuple):
                tweak, data = data
                tweak(info)
            z.writestr(info, data)
    return path


def refused(path, message, **kwargs):
    with pytest.raises(ArchiveError, match=re.escape(message) + "$"):
        Archive(path, "alice.zip", **kwargs)


def test_members_are_listed_sorted_and_read_into_memory(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"b/q3.py": b"x = 3\n", "a.py": b"x = 1\n", "b/": b""})
    with Archive(path, "alice.zip") as archive:
        assert [m.name for m in archive] == ["a.py", "b/q3.py"]
        budget = Budget()
        assert archive.read(archive.members[1], budget) == b"x = 3\n"
        assert budget.used == 6


def test_archive_from_bytes(tmp_path):
    data = make_zip(tmp_path / "a.zip", {"q1.py": b"pass\n"}).read_bytes()
    with Archive(data, "outer.zip:inner.zip") as archive:
        assert archive.read(archive.members[0], Budget()) == b"pass\n"


def test_backslashes_and_dots_are_normalised(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"hw\\utils\\utils.py": b"", "./hw/q1.py": b""})
    with Archive(path, "alice.zip") as archive:
        assert [m.name for m in archive] == ["hw/q1.py", "hw/utils/utils.py"]


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/etc/evil.py", "C:/evil.py", "a\\..\\..\\evil.py"])
def test_paths_outside_the_archive_are_refused(tmp_path, name):
    path = make_zip(tmp_path / "a.zip", {"ok.py": b"", name: b""})
    refused(
        path,
        f"alice.zip was refused: the member {name!r} points outside the archive (an absolute path or '..'); "
        "re-create the zip from inside your assignment folder.",
    )


def test_symlinks_are_refused(tmp_path):
    def link(info):
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16

    path = make_zip(tmp_path / "a.zip", {"q1.py": (link, b"/etc/passwd")})
    refused(
        path,
        "alice.zip was refused: the member 'q1.py' is a symbolic link; zip the files themselves, not links to them.",
    )


def test_encrypted_members_are_refused(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"q1.py": b"secret"})
    data = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flags
        data[data.index(signature) + at] |= 0x1  # bit 0: encrypted
    path.write_bytes(bytes(data))
    refused(path, "alice.zip was refused: the member 'q1.py' is encrypted; hand in a zip without a password.")


def test_control_characters_in_names_are_refused(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"q1\x07.py": b""})
    refused(
        path,
        "alice.zip was refused: the member name 'q1\\x07.py' contains control characters; "
        "rename the file and re-create the zip.",
    )


def test_too_many_members_are_refused_before_reading(tmp_path):
    path = make_zip(tmp_path / "a.zip", {f"f{i}.py": b"" for i in range(6)})
    refused(
        path,
        "alice.zip was refused: it lists 6 files and folders, more than 5; "
        "hand in only your code (.py or .ipynb files).",
        max_members=5,
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not a zip at all", "File is not a zip file"),
        (b"", "File is not a zip file"),
    ],
)
def test_corrupt_archives_are_refused(tmp_path, content, reason):
    path = tmp_path / "a.zip"
    path.write_bytes(content)
    refused(
        path,
        f"alice.zip could not be read as a zip archive ({reason}); re-create it with a zip tool and hand it in again.",
    )


def test_truncated_archive_is_refused(tmp_path):
    data = make_zip(tmp_path / "a.zip", {"q1.py": b"x = 1\n" * 100}).read_bytes()
    path = tmp_path / "cut.zip"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=r"^alice\.zip could not be read as a zip archive \("):
        Archive(path, "alice.zip")


def test_damaged_member_data_is_reported(tmp_path):
    data = bytearray(make_zip(tmp_path / "a.zip", {"q1.py": b"x = 1\n" * 1000}).read_bytes())
    data[40:60] = b"\xff" * 20  # inside the deflated data
    path = tmp_path / "bad.zip"
    path.write_bytes(bytes(data))
    with Archive(path, "alice.zip") as archive:
        with pytest.raises(ArchiveError, match=r"^alice\.zip: 'q1\.py' could not be decompressed \(.+\); "
                           r"re-create the zip with a zip tool and hand it in again\.$"):
            archive.read(archive.members[0], Budget())


def test_declared_sizes_over_the_budget_are_refused_before_decompressing(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"big.py": b"0" * 5000})
    with Archive(path, "alice.zip") as archive:
        budget = Budget(limit=1024)
        with pytest.raises(LoadError, match=re.escape(
            "alice.zip was refused: its code files hold more than 1 KiB (counted as read, after decompression); "
            "hand in only your .py and .ipynb files, without large outputs."
        ) + "$"):
            archive.read(archive.members[0], budget)


def test_decompressed_bytes_are_counted_not_declared_sizes(tmp_path):
    # A zip bomb declares small sizes: the count must come from the data itself.
    path = make_zip(tmp_path / "a.zip", {"bomb.py": b"0" * 300_000})
    with Archive(path, "alice.zip") as archive:
        real = archive.members[0]
        lying = Member(real.name, 10, real.info)
        budget = Budget(limit=100_000)
        with pytest.raises(LoadError, match=r"more than 100000 bytes"):
            archive.read(lying, budget)
        assert budget.limit < budget.used <= budget.limit + 2**16  # stopped within one chunk


def test_budget_is_shared_across_reads(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"a.py": b"a" * 600, "b.py": b"b" * 600})
    with Archive(path, "alice.zip") as archive:
        budget = Budget(limit=1000)
        archive.read(archive.members[0], budget)
        with pytest.raises(LoadError, match="more than 1000 bytes"):
            archive.read(archive.members[1], budget)


def test_default_budget():
    assert Budget().limit == MAX_BYTES == 64 * 2**20


def test_unreadable_compression_method_is_reported(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"q1.py": b"x"})
    with Archive(path, "alice.zip") as archive:
        archive.members[0].info.compress_type = 9
        with pytest.raises(ArchiveError, match=re.escape(
            "alice.zip: 'q1.py' is compressed with method 9 (Deflate64), which cannot be read; "
            "re-create the zip with ordinary (deflate) compression."
        ) + "$"):
            archive.read(archive.members[0], Budget())


def _patch_name(path, old, new):
    """Replace a member name's bytes in the local header and the central directory."""
    data = path.read_bytes()
    assert data.count(old) == 2 and len(old) == len(new)
    path.write_bytes(data.replace(old, new))


def test_utf8_names_without_the_flag_are_read_as_utf8(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"XX.py": b""})
    _patch_name(path, b"XX.py", "é.py".encode("utf-8"))  # Info-ZIP style: UTF-8 bytes, flag not set
    with Archive(path, "alice.zip") as archive:
        assert [m.name for m in archive] == ["é.py"]


def test_cp437_names_are_read_as_zipfile_does(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"X.py": b""})
    _patch_name(path, b"X.py", b"\x82.py")  # 'é' in cp437, not valid UTF-8
    with Archive(path, "alice.zip") as archive:
        assert [m.name for m in archive] == ["é.py"]


def test_repeated_names_keep_the_last(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("q1.py", b"first")
        with pytest.warns(UserWarning):
            z.writestr("q1.py", b"second")
    with Archive(buf.getvalue(), "alice.zip") as archive:
        assert [archive.read(m, Budget()) for m in archive] == [b"second"]
