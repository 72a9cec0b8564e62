"""The library folder module, on a real filesystem, without the network."""

from __future__ import annotations

import json
import os
import time

import pytest

from server import listing as listing_module
from server.library import Library
from shared.errors import ErrorCode, FerryError
from tests.server_process import wait_for


def names(lib: Library) -> list[str]:
    count, body = lib.listing()
    entries = [json.loads(line) for line in body.splitlines()]
    assert len(entries) == count
    return [e["name"] for e in entries]


def test_new_and_removed_files_show_at_once(tmp_path):
    lib = Library(tmp_path)
    assert names(lib) == []
    for i in range(5):  # well within one timestamp tick of each other
        (tmp_path / f"f{i}").write_bytes(b"x")
        assert names(lib) == [f"f{j}" for j in range(i + 1)]
    (tmp_path / "f0").unlink()
    assert names(lib) == ["f1", "f2", "f3", "f4"]


def listed_then_grown(folder) -> Library:
    """A library listed once, then a file in it grown by an edit that keeps name,
    inode number and the folder's mtime (only a full pass sees it), 0.3 s ago."""
    (folder / "grows").write_bytes(b"x")
    lib = Library(folder)
    lib.listing()
    with open(folder / "grows", "ab") as f:
        f.write(b"more")
    time.sleep(0.3)
    return lib


def listed_size(lib: Library) -> int:
    return json.loads(lib.listing()[1])["size"]


def test_a_file_changed_in_place_shows_after_a_background_full_pass(tmp_path, monkeypatch):
    monkeypatch.setattr(listing_module, "FULL_PASS_EVERY", 0.2)
    monkeypatch.setattr(listing_module, "RACY_MARGIN", 0.0)
    lib = listed_then_grown(tmp_path)
    assert listed_size(lib) == 1  # answered at once; the full pass starts behind it
    assert wait_for(lambda: listed_size(lib) == 5, timeout=5)
    lib.close()


def test_a_list_after_a_long_quiet_waits_for_a_full_pass(tmp_path, monkeypatch):
    monkeypatch.setattr(listing_module, "FULL_PASS_EVERY", 0.05)  # so 0.3 s is five intervals and more
    assert listed_size(listed_then_grown(tmp_path)) == 5


def test_many_changes_at_once_keep_the_order(tmp_path):
    lib = Library(tmp_path)
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
    lib = Library(tmp_path)
    upload = lib.begin_upload("pending.bin", 3, overwrite=False)
    upload.write(b"abc")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    assert names(lib) == []
    upload.commit(None)
    assert names(lib) == ["pending.bin"]


def test_open_file_refuses_what_is_not_a_regular_file(tmp_path):
    lib = Library(tmp_path)
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
    lib = Library(tmp_path)
    (tmp_path / "c").write_bytes(b"one")
    first = lib.open_file("c")
    digest_one = lib.sha256(first)
    first.close()
    (tmp_path / "c").write_bytes(b"two")
    second = lib.open_file("c")
    assert lib.sha256(second) != digest_one
    second.close()


def test_failed_commit_leaves_no_temp_file(tmp_path):
    lib = Library(tmp_path)
    upload = lib.begin_upload("x", 3, overwrite=False)
    upload.write(b"abc")
    with pytest.raises(FerryError) as info:
        upload.commit("0" * 64)
    assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    assert os.listdir(tmp_path / ".ferry-uploads") == [] and not (tmp_path / "x").exists()


def test_a_file_replaced_by_rename_shows_at_once(tmp_path):
    lib = Library(tmp_path)
    (tmp_path / "doc").write_bytes(b"old")
    lib.listing()
    for size in (5, 9, 2):  # each replacement within one timestamp tick and within the TTL
        (tmp_path / "new").write_bytes(b"n" * size)
        os.rename(tmp_path / "new", tmp_path / "doc")
        _, body = lib.listing()
        assert json.loads(body)["size"] == size


def test_a_publish_elsewhere_is_seen_even_with_the_same_inode_number(tmp_path):
    """Another worker's upload can reuse a deleted file's inode number for the same
    name; its publish count tells this worker to look again (found by test_fuzz)."""
    from server.publications import record_publish

    lib = Library(tmp_path)
    path = tmp_path / "b.bin"
    path.write_bytes(b"1234567")
    assert json.loads(lib.listing()[1])["size"] == 7
    with open(path, "r+b") as f:  # same inode, new content: what inode reuse looks like here
        f.truncate(0)
    (tmp_path / "other").write_bytes(b"")  # the folder changes, as with a delete and re-create
    record_publish("b.bin")
    sizes = {e["name"]: e["size"] for e in map(json.loads, lib.listing()[1].splitlines())}
    assert sizes["b.bin"] == 0
