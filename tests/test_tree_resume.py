"""A tree transfer run again (``skip_present``: the desktop app's Resume and Retry
of a folder row) leaves alone each file already there as it would send it (same
size and mtime) and transfers the rest, the way rsync's quick check does. A file
left alone keeps its inode; a file sent again is a new one (renamed into place)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

OLD = 1_600_000_000.25


@pytest.fixture
def client(folders_client):
    return folders_client


def write(path: Path, data: bytes, mtime: float = OLD) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def inodes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def test_get_tree_again_fetches_only_what_is_missing_or_differs(client, library, tmp_path):
    for name in ("a.bin", "sub/b.bin", "sub/c.bin", "sub/d.bin", "e.bin"):
        write(library / "album" / name, os.urandom(3000))
    out = tmp_path / "out"
    assert client.get_tree("album", out).ok
    before = inodes(out)
    (out / "sub" / "b.bin").unlink()  # missing: fetched
    write(out / "sub" / "c.bin", b"short")  # another size: fetched
    write(out / "e.bin", (library / "album" / "e.bin").read_bytes(), OLD + 5)  # another mtime: fetched
    write(library / "album" / "sub" / "d.bin", os.urandom(3000), OLD + 9)  # changed on the server: fetched

    report = client.get_tree("album", out, skip_present=True)

    assert report.ok, report.lines()
    assert sorted(report.done) == ["e.bin", "sub/b.bin", "sub/c.bin", "sub/d.bin"]
    assert report.present == ["a.bin"]
    assert inodes(out)["a.bin"] == before["a.bin"]
    for name in ("a.bin", "sub/b.bin", "sub/c.bin", "sub/d.bin", "e.bin"):
        assert (out / name).read_bytes() == (library / "album" / name).read_bytes(), name


def test_put_tree_again_sends_only_what_the_server_lacks_or_has_otherwise(client, library, tmp_path):
    source = tmp_path / "source"
    for name in ("a.bin", "sub/b.bin", "sub/c.bin", "d.bin"):
        write(source / name, os.urandom(3000))
    assert client.put_tree(source, "up").ok
    before = inodes(library / "up")
    (library / "up" / "sub" / "b.bin").unlink()  # missing on the server: sent
    write(library / "up" / "sub" / "c.bin", b"partial")  # another size: sent
    write(source / "d.bin", os.urandom(3000), OLD + 7)  # changed here: sent

    progress = []
    report = client.put_tree(source, "up", overwrite=True, skip_present=True, progress=progress.append)

    assert report.ok, report.lines()
    assert sorted(report.done) == ["d.bin", "sub/b.bin", "sub/c.bin"]
    assert report.present == ["a.bin"]
    assert inodes(library / "up")["a.bin"] == before["a.bin"]
    for name in ("a.bin", "sub/b.bin", "sub/c.bin", "d.bin"):
        assert (library / "up" / name).read_bytes() == (source / name).read_bytes(), name
    last = progress[-1]
    assert (last.files_done, last.files_total) == (4, 4)  # a file left alone counts as done
    assert last.bytes_done == last.bytes_total == sum(p.stat().st_size for p in source.rglob("*") if p.is_file())


def test_put_tree_again_into_a_folder_not_there_sends_everything(client, library, tmp_path):
    source = tmp_path / "source"
    write(source / "a.bin", b"abc")
    report = client.put_tree(source, "fresh", skip_present=True)
    assert report.ok and report.done == ["a.bin"] and report.present == []
    assert (library / "fresh" / "a.bin").read_bytes() == b"abc"
