"""The library folder module, on a real filesystem, without the network."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import resource
import threading

import pytest
from ferry_files.server.storage import Library
from ferry_files.server.storage import uploads as uploads_module
from ferry_files.server.storage.uploads import LARGE_BYTES
from ferry_files.shared.errors import ErrorCode, FerryError


def names(lib: Library) -> list[str]:
    count, body = lib.listing()
    entries = [json.loads(line) for line in body.splitlines()]
    assert len(entries) == count
    return [e["name"] for e in entries]


def test_new_and_removed_files_show_at_once(tmp_path):
    lib = Library.at(tmp_path)
    assert names(lib) == []
    for i in range(5):  # well within one timestamp tick of each other
        (tmp_path / f"f{i}").write_bytes(b"x")
        assert names(lib) == [f"f{j}" for j in range(i + 1)]
    (tmp_path / "f0").unlink()
    assert names(lib) == ["f1", "f2", "f3", "f4"]


def listed_size(lib: Library) -> int:
    return json.loads(lib.listing()[1])["size"]


def test_a_file_changed_in_place_shows_at_once(tmp_path):
    """An edit that keeps the name, the inode number and the folder's mtime: only an
    ``lstat`` of the file sees it, and every list makes one."""
    (tmp_path / "grows").write_bytes(b"x")
    lib = Library.at(tmp_path)
    assert listed_size(lib) == 1
    with open(tmp_path / "grows", "ab") as f:
        f.write(b"more")
    assert listed_size(lib) == 5
    os.utime(tmp_path / "grows", ns=(0, 123_000_000_000))
    assert json.loads(lib.listing()[1])["mtime"] == 123.0


def test_lists_on_many_threads_at_once_each_see_every_file(tmp_path):
    """Passes on executor threads at once, as several sessions' lists run: each
    reads the folder through its own descriptor (they shared one, and each
    skipped what the other had read)."""
    expected = [f"f{i:05d}" for i in range(3000)]
    for name in expected:
        (tmp_path / name).write_bytes(b"")
    lib = Library.at(tmp_path)
    counts: list[int] = []

    def lister() -> None:
        for _ in range(5):
            counts.append(lib.listing()[0])

    threads = [threading.Thread(target=lister) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == [len(expected)] * 20
    assert names(lib) == expected


def test_many_changes_at_once_keep_the_order(tmp_path):
    lib = Library.at(tmp_path)
    for i in range(0, 600, 2):
        (tmp_path / f"n{i:04d}").write_bytes(b"")
    assert names(lib) == [f"n{i:04d}" for i in range(0, 600, 2)]
    for i in range(1, 600, 2):  # more than are placed one by one
        (tmp_path / f"n{i:04d}").write_bytes(b"")
    for i in range(0, 20, 2):
        (tmp_path / f"n{i:04d}").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "n0001").rename(tmp_path / "sub" / "moved")
    expected = sorted({f"n{i:04d}" for i in range(600)} - {f"n{i:04d}" for i in range(0, 20, 2)} - {"n0001"})
    assert names(lib) == expected


def test_uploads_in_progress_and_odd_entries_are_not_listed(tmp_path):
    lib = Library.at(tmp_path)
    upload = lib.begin_upload("pending.bin", 3, overwrite=False)
    upload.write(b"abc")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    assert names(lib) == []
    upload.commit(None)
    assert names(lib) == ["pending.bin"]


def test_open_file_refuses_what_is_not_a_regular_file(tmp_path):
    lib = Library.at(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "real").write_text("r")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for name in ("fifo", "link", "missing"):
        with pytest.raises(FerryError) as info:
            lib.open_file(name)
        assert info.value.code is ErrorCode.NOT_FOUND
    opened = lib.open_file("real")
    assert opened.size == 1
    opened.close()


def test_checksum_cache_follows_changes(tmp_path):
    lib = Library.at(tmp_path)
    (tmp_path / "c").write_bytes(b"one")
    first = lib.open_file("c")
    digest_one = asyncio.run(lib.sha256(first))
    first.close()
    (tmp_path / "c").write_bytes(b"two")
    second = lib.open_file("c")
    assert asyncio.run(lib.sha256(second)) != digest_one
    second.close()


def test_uploads_survive_a_sweep_running_all_the_time(tmp_path):
    """Another instance's start-up sweep may run at any moment, even between an
    upload creating its temp file and locking it: no upload is ever lost to it,
    and what is left unlocked (a crash) is swept."""
    lib = Library.at(tmp_path)
    sweeper = Library.at(tmp_path)  # its own fds, as another server's would be
    stop = threading.Event()
    swept = []

    def sweep() -> None:
        while not stop.is_set():
            swept.append(sweeper.remove_stale_uploads())

    thread = threading.Thread(target=sweep)
    thread.start()
    try:
        for i in range(1000):
            upload = lib.begin_upload(f"f{i}", 1, overwrite=False)
            upload.write(b"x")
            upload.commit(None)
    finally:
        stop.set()
        thread.join()
    assert names(lib) == sorted(f"f{i}" for i in range(1000))
    (tmp_path / ".ferry-uploads" / "crashed.part").write_bytes(b"half")
    assert sweeper.remove_stale_uploads() == 1
    assert os.listdir(tmp_path / ".ferry-uploads") == []


@pytest.mark.parametrize("unnamed_first", [True, False], ids=["O_TMPFILE", "named-then-locked"])
def test_a_sweep_leaves_an_upload_in_progress_alone(tmp_path, monkeypatch, unnamed_first):
    """Both ways a temp file is made and locked: unnamed and locked before it is
    linked in, and (where the filesystem has no O_TMPFILE) named, then locked."""
    if not unnamed_first:
        monkeypatch.setattr(uploads_module, "_locked_before_named", lambda uploads_fd, temp_name: None)
    lib = Library.at(tmp_path)
    sweeper = Library.at(tmp_path)
    upload = lib.begin_upload("f", 3, overwrite=False)
    upload.write(b"abc")
    assert len(os.listdir(tmp_path / ".ferry-uploads")) == 1
    assert sweeper.remove_stale_uploads() == 0
    assert upload.commit(None) == hashlib.sha256(b"abc").hexdigest()
    assert names(lib) == ["f"] and (tmp_path / "f").read_bytes() == b"abc"
    assert os.listdir(tmp_path / ".ferry-uploads") == []


def test_failed_commit_leaves_no_temp_file(tmp_path):
    lib = Library.at(tmp_path)
    upload = lib.begin_upload("x", 3, overwrite=False)
    upload.write(b"abc")
    with pytest.raises(FerryError) as info:
        upload.commit("0" * 64)
    assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    assert os.listdir(tmp_path / ".ferry-uploads") == [] and not (tmp_path / "x").exists()


def test_an_upload_whose_digest_gets_no_fd_is_io_error_and_leaves_nothing(tmp_path):
    """A large upload needs a second fd (the digest thread's dup). When the process
    has only one left, the upload is refused with a clear error, and its temp file
    and first fd are given back (they leaked, and the session closed silently)."""
    lib = Library.at(tmp_path)

    async def begin_with_one_fd_left() -> FerryError:
        first, second = os.open(os.devnull, os.O_RDONLY), os.open(os.devnull, os.O_RDONLY)
        os.close(first)
        os.close(second)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (second, hard))  # only fd numbers below `second`
        try:
            with pytest.raises(FerryError) as info:
                lib.begin_upload("big", LARGE_BYTES, overwrite=False)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        probe = os.open(os.devnull, os.O_RDONLY)
        os.close(probe)
        assert probe == first, "the temp file's fd was not closed"
        return info.value

    error = asyncio.run(begin_with_one_fd_left())
    assert error.code is ErrorCode.IO_ERROR and "try again" in error.message
    assert os.listdir(tmp_path / ".ferry-uploads") == []


def test_a_file_replaced_by_rename_shows_at_once(tmp_path):
    lib = Library.at(tmp_path)
    (tmp_path / "doc").write_bytes(b"old")
    lib.listing()
    for size in (5, 9, 2):  # each replacement within one timestamp tick and within the TTL
        (tmp_path / "new").write_bytes(b"n" * size)
        os.rename(tmp_path / "new", tmp_path / "doc")
        _, body = lib.listing()
        assert json.loads(body)["size"] == size


def test_a_file_rewritten_in_place_with_its_inode_number_is_seen(tmp_path):
    """What another worker's upload looks like when it reuses a deleted file's inode
    number for the same name (found by test_fuzz against the old listing cache)."""
    lib = Library.at(tmp_path)
    path = tmp_path / "b.bin"
    path.write_bytes(b"1234567")
    assert json.loads(lib.listing()[1])["size"] == 7
    with open(path, "r+b") as f:
        f.truncate(0)
    sizes = {e["name"]: e["size"] for e in map(json.loads, lib.listing()[1].splitlines())}
    assert sizes["b.bin"] == 0
