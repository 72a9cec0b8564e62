"""Paths resolved one name at a time (server/storage/folders.py), on a real folder."""

from __future__ import annotations

import os

import pytest
from ferry_files.server.storage.folders import open_folder, parent_of
from ferry_files.shared.errors import ErrorCode, FerryError


@pytest.fixture
def root(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.txt").write_bytes(b"x")
    (tmp_path / "file").write_bytes(b"y")
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "link")
    os.symlink("b", tmp_path / "a" / "inner-link")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def test_a_path_resolves_to_its_folder_and_name(root):
    with parent_of(root, "a/b/f.txt") as (fd, name):
        assert name == "f.txt" and os.stat(name, dir_fd=fd).st_size == 1
    with parent_of(root, "file") as (fd, name):
        assert fd == root and name == "file"
    with open_folder(root, "a/b") as fd:
        assert os.listdir(fd) == ["f.txt"]
    with open_folder(root, "") as fd:
        assert "a" in os.listdir(fd)


@pytest.mark.parametrize("path", ["link/x", "a/inner-link/f.txt", "file/x", "missing/x", "a/missing/x"])
def test_links_files_and_missing_folders_on_the_way_are_not_found(root, path):
    with pytest.raises(FerryError) as info, parent_of(root, path):
        pass
    assert info.value.code is ErrorCode.NOT_FOUND
    folder = path.rsplit("/", 1)[0]
    with pytest.raises(FerryError) as info, open_folder(root, folder):
        pass
    assert info.value.code is ErrorCode.NOT_FOUND


def test_create_makes_the_missing_folders_but_never_through_a_link_or_a_file(root, tmp_path):
    with parent_of(root, "new/deeper/x", create=True) as (fd, name):
        assert name == "x"
    assert (tmp_path / "new" / "deeper").is_dir()
    for path, code in (("link/x", ErrorCode.NOT_FOUND), ("a/inner-link/x", ErrorCode.NOT_FOUND), ("file/x", ErrorCode.EXISTS)):
        with pytest.raises(FerryError) as info, parent_of(root, path, create=True):
            pass
        assert info.value.code is code, path  # a link on the way is not_found (7.1); a file is what mkdir finds
    assert os.listdir(tmp_path / "outside") == []


def fds_into(folder) -> int:
    """This process's fds open on ``folder`` or inside it (other tests' threads may
    open and close fds of their own meanwhile: only these count)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder))
        except OSError:
            pass
    return count


def test_fds_are_closed_after_the_block_even_on_errors(root, tmp_path):
    before = fds_into(tmp_path)
    for _ in range(50):
        with parent_of(root, "a/b/f.txt"):
            pass
        with pytest.raises(FerryError), parent_of(root, "a/missing/x"):
            pass
        with open_folder(root, "a/b"):
            pass
    assert fds_into(tmp_path) == before
