"""``delete`` and ``rename`` in storage, on a real filesystem without the network:
what the wire tests cannot reach (a system without ``renameat2``, the trash's
sweep, paths while the server does not offer ``folders`` yet)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading

import pytest
from ferry_files.server.storage import Library, renaming
from ferry_files.server.storage.trash import TRASH_DIR, Trash
from ferry_files.shared.errors import ErrorCode, FerryError

from tests.server_process import wait_for


@pytest.fixture
def lib(tmp_path):
    library = Library.at(tmp_path)
    yield library
    library.close()


def code_of(call, *args) -> ErrorCode:
    with pytest.raises(FerryError) as caught:
        call(*args)
    return caught.value.code


def _raising(code: int):
    def renameat2(*args: object) -> None:
        raise OSError(code, os.strerror(code))

    return renameat2


#: The ways a system lacks a usable renameat2: no ctypes or symbol; an old kernel; a
#: filesystem that refuses the flag.
WITHOUT_RENAMEAT2 = [None, _raising(errno.ENOSYS), _raising(errno.EINVAL)]


def test_renameat2_is_there_and_refuses_to_replace(tmp_path):
    assert renaming._renameat2 is not None  # glibc >= 2.28 here: the real thing is tested
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        (tmp_path / "a").write_bytes(b"a")
        (tmp_path / "b").write_bytes(b"b")
        with pytest.raises(FileExistsError):
            renaming.rename_no_replace(fd, "a", fd, "b")
        renaming.rename_no_replace(fd, "a", fd, "c")
    finally:
        os.close(fd)
    assert sorted(os.listdir(tmp_path)) == ["b", "c"] and (tmp_path / "c").read_bytes() == b"a"


@pytest.mark.parametrize("missing", WITHOUT_RENAMEAT2, ids=["no-symbol", "ENOSYS", "EINVAL"])
def test_without_renameat2_files_move_by_link_and_folders_are_refused(tmp_path, lib, monkeypatch, missing):
    monkeypatch.setattr(renaming, "_renameat2", missing)
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    (tmp_path / "f").mkdir()
    assert code_of(lib.rename, "a", "b", False) == ErrorCode.EXISTS
    assert code_of(lib.rename, "a", "f", False) == ErrorCode.EXISTS
    lib.rename("a", "c", False)
    assert sorted(os.listdir(tmp_path)) == [".ferry-uploads", "b", "c", "f"]
    assert (tmp_path / "c").read_bytes() == b"a" and os.stat(tmp_path / "c").st_nlink == 1
    lib.rename("c", "b", True)  # overwrite needs no renameat2
    assert (tmp_path / "b").read_bytes() == b"a"
    with pytest.raises(FerryError) as caught:
        lib.rename("f", "g", False)
    assert caught.value.code == ErrorCode.IO_ERROR and "cannot rename the folder 'f'" in caught.value.message
    assert sorted(os.listdir(tmp_path)) == [".ferry-uploads", "b", "f"]


def at_once(*calls) -> list[object]:
    """Run the calls on threads released together; what each returned or raised."""
    start = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = calls[i]()
        except (FerryError, OSError) as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _remove(folder, *names: str) -> None:
    for name in names:
        if (folder / name).exists():
            os.unlink(folder / name)


@pytest.mark.parametrize("available", [True, False], ids=["renameat2", "link-fallback"])
def test_racing_renames_onto_one_name_one_wins(tmp_path, lib, monkeypatch, available):
    if not available:
        monkeypatch.setattr(renaming, "_renameat2", None)
    for round_ in range(200):
        for side in ("a", "b"):
            (tmp_path / side).write_bytes(side.encode())
        outcomes = at_once(lambda: lib.rename("a", "t", False), lambda: lib.rename("b", "t", False))
        winners = [side for side, outcome in zip("ab", outcomes, strict=True) if outcome is None]
        assert len(winners) == 1, (round_, outcomes)
        assert [o.code for o in outcomes if o is not None] == [ErrorCode.EXISTS]
        assert (tmp_path / "t").read_bytes() == winners[0].encode()
        _remove(tmp_path, "a", "b", "t")


def test_rename_across_folders_and_into_itself(tmp_path, lib):
    """The path logic of rename, before the server offers ``folders`` on the wire."""
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "f" / "g").mkdir(parents=True)
    (tmp_path / "file").write_bytes(b"")
    lib.rename("a.txt", "f/g/a.txt", False)
    assert (tmp_path / "f" / "g" / "a.txt").read_bytes() == b"a"
    assert code_of(lib.rename, "f", "f/missing/x", False) == ErrorCode.BAD_REQUEST  # before its folder
    assert code_of(lib.rename, "f", "f/g", False) == ErrorCode.BAD_REQUEST  # before exists
    assert code_of(lib.rename, "f/g", "f/g/h", False) == ErrorCode.BAD_REQUEST
    assert code_of(lib.rename, "missing", "missing/x", False) == ErrorCode.NOT_FOUND
    assert code_of(lib.rename, "file", "file/x", False) == ErrorCode.NOT_FOUND  # a file holds nothing
    assert code_of(lib.rename, "f/g/a.txt", "nowhere/a.txt", False) == ErrorCode.NOT_FOUND
    lib.rename("f/g", "g", False)
    lib.rename("g", "f/g", False)  # into its old parent's subtree: fine
    lib.rename("f/g/a.txt", "f/g/a.txt", True)
    lib.delete("f/g/a.txt", False)
    assert code_of(lib.delete, "f", False) == ErrorCode.NOT_EMPTY
    lib.delete("f", True)
    assert sorted(os.listdir(tmp_path)) == [".ferry-trash", ".ferry-uploads", "file"]


def test_a_symlink_on_the_way_is_not_followed(tmp_path, lib):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    (outside / "f").mkdir(parents=True)
    (outside / "x").write_bytes(b"x")
    os.symlink(outside, tmp_path / "out")
    (tmp_path / "in").write_bytes(b"in")
    assert code_of(lib.delete, "out/x", False) == ErrorCode.NOT_FOUND
    assert code_of(lib.delete, "out/f", True) == ErrorCode.NOT_FOUND
    assert code_of(lib.rename, "out/x", "x", False) == ErrorCode.NOT_FOUND
    assert code_of(lib.rename, "in", "out/in", False) == ErrorCode.NOT_FOUND
    assert sorted(os.listdir(outside)) == ["f", "x"] and (tmp_path / "in").exists()


def _trash(tmp_path) -> list[str]:
    return os.listdir(tmp_path / TRASH_DIR)


def test_the_trash_sweep_removes_any_tree_and_follows_nothing(tmp_path, lib):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"keep")
    deep = tmp_path / "deep"
    folder = deep
    for i in range(300):  # deeper than any path may be, and than a recursive remover's stack
        folder = folder / "d"
        (folder).mkdir(parents=True)
        (folder / f"f{i}").write_bytes(b"x")
    os.symlink(outside, folder / "link-out")
    os.symlink(outside / "keep", deep / "file-link")
    os.mkfifo(deep / "fifo")
    lib.delete("deep", True)
    assert not deep.exists()
    assert wait_for(lambda: _trash(tmp_path) == [], timeout=10)  # on the library's remover thread
    assert os.listdir(outside) == ["keep"]


def test_the_sweep_leaves_what_another_process_holds(tmp_path):
    (tmp_path / TRASH_DIR).mkdir()
    (tmp_path / TRASH_DIR / "held" / "sub").mkdir(parents=True)
    (tmp_path / TRASH_DIR / "held" / "f").write_bytes(b"")
    (tmp_path / TRASH_DIR / "free").mkdir()
    (tmp_path / TRASH_DIR / "free" / "f").write_bytes(b"")
    held = os.open(tmp_path / TRASH_DIR / "held", os.O_RDONLY | os.O_DIRECTORY)
    dir_fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    trash = Trash(dir_fd)  # as a second server's would be
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert trash.sweep() == (1, 1)
        assert _trash(tmp_path) == ["held"] and sorted(os.listdir(tmp_path / TRASH_DIR / "held")) == ["f", "sub"]
        os.close(held)
        assert trash.sweep() == (2, 0)  # the folder, and its sub-folder moved up
        assert _trash(tmp_path) == []
    finally:
        trash.close()
        os.close(dir_fd)


def test_a_list_never_misses_a_file_being_renamed(tmp_path, lib):
    """The list pass and the rename exclude each other (folder_locks.py); without
    that a pass saw neither name every few hundred renames here."""
    for i in range(300):
        (tmp_path / f"other{i:03d}").write_bytes(b"")
    (tmp_path / "x").write_bytes(b"x")
    stop = threading.Event()

    def rename_back_and_forth() -> None:
        names = ("x", "y")
        i = 0
        while not stop.is_set():
            lib.rename(names[i % 2], names[(i + 1) % 2], False)
            i += 1

    thread = threading.Thread(target=rename_back_and_forth)
    thread.start()
    try:
        for _ in range(300):
            count, body = lib.listing_now()
            moving = [json.loads(line)["name"] for line in body.splitlines() if not line.startswith(b'{"name":"other')]
            assert count == 301 and moving in (["x"], ["y"]), moving
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("available", [True, False], ids=["renameat2", "link-fallback"])
def test_a_rename_never_replaces_what_appears_meanwhile(tmp_path, lib, monkeypatch, available):
    """Against a writer that takes no lock of the server's (an upload's publish,
    another program): the kernel refuses, not a check made before."""
    if not available:
        monkeypatch.setattr(renaming, "_renameat2", None)
    for round_ in range(300):
        (tmp_path / "a").write_bytes(b"a")
        (tmp_path / "b").write_bytes(b"b")
        renamed, linked = at_once(lambda: lib.rename("a", "t", False), lambda: os.link(tmp_path / "b", tmp_path / "t"))
        if renamed is None:
            assert isinstance(linked, FileExistsError), (round_, linked)
            assert (tmp_path / "t").read_bytes() == b"a"
        else:
            assert linked is None and renamed.code == ErrorCode.EXISTS, (round_, renamed, linked)
            assert (tmp_path / "t").read_bytes() == b"b"
        _remove(tmp_path, "a", "b", "t")


def test_a_trash_folder_planted_as_a_symlink_is_never_followed(tmp_path, lib):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / TRASH_DIR)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "x").write_bytes(b"x")
    with pytest.raises(FerryError) as caught:
        lib.delete("f", True)
    assert caught.value.code == ErrorCode.IO_ERROR and "cannot delete 'f'" in caught.value.message
    assert (tmp_path / "f" / "x").read_bytes() == b"x" and os.listdir(outside) == []
    lib.delete("f/x", False)  # what needs no trash still works
    lib.delete("f", False)
