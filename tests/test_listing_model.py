"""The list (server/storage/listing.py), which reuses encoded lines between passes, against
a listing made from scratch (the library's own list, and a folder's list with and
without folders, whose walks share a WalkMemo), over random sequences of what happens to a library
folder: files created, deleted, renamed, replaced by rename, rewritten in place
(as an upload that reuses an inode number looks), touched, folders and symlinks
among them. Every list in between must equal what a full read of the folder gives.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile

from ferry_files.server.storage import listing
from ferry_files.server.storage.listing import FolderListing, TreeWalk, WalkMemo
from ferry_files.shared.messages import folder_entry, list_entry
from ferry_files.shared.names import name_problem
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

NAMES = st.sampled_from(["a", "b", "c", "d.txt", "é", "z z", ".hidden", "f\\g"])
SIZES = st.integers(0, 3)


def from_scratch(folder: str, *, folders: bool | None = None) -> bytes:
    """The list body of ``folder``; ``folders`` None: the version 1 list, else a 7.2 one."""
    lines = {}
    for name in os.listdir(folder):
        st_ = os.lstat(os.path.join(folder, name))
        if stat.S_ISREG(st_.st_mode) and name_problem(name) is None:
            lines[name] = list_entry(name, st_.st_size, st_.st_mtime, typed=bool(folders))
        elif stat.S_ISDIR(st_.st_mode) and folders and name_problem(name) is None:
            lines[name] = folder_entry(name, st_.st_mtime)
    return b"".join(lines[name] for name in sorted(lines))


class Folder(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = tempfile.mkdtemp(prefix="ferry-listing-model-")
        self.folder = os.path.join(self.root, "library")
        os.mkdir(self.folder)
        self.fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        self.listing = FolderListing(self.fd)

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def teardown(self) -> None:
        os.close(self.fd)
        shutil.rmtree(self.root)

    @rule(name=NAMES, size=SIZES)
    def create(self, name: str, size: int) -> None:
        if not os.path.lexists(self.path(name)):
            with open(self.path(name), "wb") as f:
                f.write(b"x" * size)

    @rule(name=NAMES)
    def delete(self, name: str) -> None:
        path = self.path(name)
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        elif os.path.lexists(path):
            os.unlink(path)

    @rule(name=NAMES, size=SIZES)
    def replace_by_rename(self, name: str, size: int) -> None:
        if os.path.isdir(self.path(name)) and not os.path.islink(self.path(name)):
            return
        temp = os.path.join(self.root, "upload.part")  # elsewhere, as Ferry's uploads folder
        with open(temp, "wb") as f:
            f.write(b"y" * size)
        os.rename(temp, self.path(name))

    @rule(name=NAMES, size=SIZES)
    def rewrite_in_place(self, name: str, size: int) -> None:
        path = self.path(name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "r+b") as f:
                f.truncate(0)
                f.write(b"z" * size)

    @rule(name=NAMES, mtime=st.integers(0, 3))
    def touch(self, name: str, mtime: int) -> None:
        path = self.path(name)
        if os.path.isfile(path) and not os.path.islink(path):
            os.utime(path, ns=(0, mtime * 500_000_000))

    @rule(source=NAMES, destination=NAMES)
    def rename(self, source: str, destination: str) -> None:
        if os.path.lexists(self.path(source)) and not os.path.lexists(self.path(destination)):
            os.rename(self.path(source), self.path(destination))

    @rule(name=NAMES)
    def make_folder(self, name: str) -> None:
        if not os.path.lexists(self.path(name)):
            os.mkdir(self.path(name))

    @rule(name=NAMES, points_to=NAMES)
    def make_symlink(self, name: str, points_to: str) -> None:
        if not os.path.lexists(self.path(name)):
            os.symlink(points_to, self.path(name))

    @invariant()
    def lists_what_is_there(self) -> None:
        count, body = self.listing.answer()
        assert body == from_scratch(self.folder)
        assert count == body.count(b"\n")


def test_the_list_always_equals_a_list_made_from_scratch():
    run_state_machine_as_test(Folder, settings=settings(derandomize=True, max_examples=150, stateful_step_count=40, deadline=None))


class FolderWalks(Folder):
    """The same changes, listed as the folder ``library`` (PROTOCOL.md 7.2) with and
    without folders, alternately, through one memo of lines (the server's walks)."""

    def __init__(self) -> None:
        super().__init__()
        self.root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        self.memo = WalkMemo()

    def teardown(self) -> None:
        os.close(self.root_fd)
        super().teardown()

    @invariant()
    def lists_what_is_there(self) -> None:
        for folders in (True, False, True):
            count, body = TreeWalk("library", folders=folders, recursive=False, memo=self.memo).answer(self.root_fd)
            assert body == from_scratch(self.folder, folders=folders)
            assert count == body.count(b"\n")


def test_a_folders_list_always_equals_a_list_made_from_scratch(monkeypatch):
    monkeypatch.setattr(listing, "MEMO_MIN_LINES", 1)  # the memo is kept for folders this small too
    run_state_machine_as_test(FolderWalks, settings=settings(derandomize=True, max_examples=150, stateful_step_count=40, deadline=None))


def test_the_walk_memo_keeps_only_walks_within_its_bounds(monkeypatch):
    """A small folder's walk leaves the memo to the large one before it, and a
    walk too large to hold (a recursive list of a huge tree) is not kept."""
    monkeypatch.setattr(listing, "MEMO_MIN_LINES", 2)
    monkeypatch.setattr(listing, "MEMO_MAX_LINES", 3)

    def lines(count: int) -> dict[str, tuple[int, int, int, bytes]]:
        return {f"n{i}": (i, 0, 0, list_entry(f"n{i}", 0, 0.0)) for i in range(count)}

    memo, large, small, huge = WalkMemo(), ("big", True, False), ("small", True, False), ("", True, True)
    memo.keep(large, lines(3))
    memo.keep(small, lines(1))
    memo.keep(huge, lines(4))
    assert memo.lines_for(small) == {} and memo.lines_for(huge) == {}
    assert memo.lines_for(large) == lines(3)
    assert memo.lines_for(("big", False, False)) == {}  # another kind of list of the same folder: other lines
