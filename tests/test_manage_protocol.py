"""Feature ``manage`` (PROTOCOL.md 7.3): ``delete`` and ``rename`` over raw sockets,
against the real server: every answer and error, their precedence, and the races
the contract calls atomic.

Requests with a ``/`` in ``rename`` also use feature ``folders``; those tests run
once the server offers it (they are skipped, saying so, before)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.hardening_support import listing, upload
from tests.server_process import ServerProcess, wait_for
from tests.wire import Wire

TRASH = ".ferry-trash"


def names(wire: Wire) -> list[str]:
    return [entry["name"] for entry in listing(wire)]


def needs_folders(wire: Wire) -> None:
    if "folders" not in wire.greeting["features"]:
        pytest.skip("rename with a '/' uses feature 'folders', which this server does not offer yet")


def trash_entries(library: Path) -> list[str]:
    trash = library / TRASH
    return os.listdir(trash) if trash.exists() else []


def make_tree(folder: Path, folders: int, files_each: int, data: bytes = b"") -> None:
    for i in range(folders):
        sub = folder / f"d{i:03d}"
        sub.mkdir(parents=True)
        for j in range(files_each):
            (sub / f"f{j:04d}").write_bytes(data)


# -- greeting and policy --------------------------------------------------------


def test_the_greeting_offers_manage(server):
    with Wire(server.address) as wire:
        assert "manage" in wire.greeting["features"]


def test_no_delete_refuses_delete_and_rename_and_changes_nothing(server_factory, library):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "f").mkdir()
    server = server_factory("--workers", "1", "--no-delete")
    with Wire(server.address) as wire:
        assert "manage" not in wire.greeting["features"]
        for request in [
            {"op": "delete", "path": "a.txt"},
            {"op": "delete", "path": "f", "recursive": True},
            {"op": "delete", "path": "missing"},  # forbidden outranks not_found
            {"op": "rename", "from": "a.txt", "to": "b.txt"},
            {"op": "rename", "from": "a.txt", "to": "a.txt"},
        ]:
            response = wire.request(request)
            assert response["ok"] is False and response["error"] == "forbidden", (request, response)
            assert "manage" in response["message"]
        assert wire.error({"op": "delete", "path": ".a"}) == "bad_name"  # bad_name outranks forbidden
        assert wire.error({"op": "delete", "path": 1}) == "bad_request"
        assert upload(wire, "new.txt", b"new")["ok"] is True  # new uploads still work
    assert (library / "a.txt").read_bytes() == b"alpha" and (library / "f").is_dir()


def test_read_only_refuses_both_after_bad_request_and_bad_name(server_factory, library):
    (library / "a.txt").write_bytes(b"alpha")
    server = server_factory("--workers", "1", "--read-only", "--no-delete")
    with Wire(server.address) as wire:
        assert wire.error({"op": "delete", "path": "a.txt"}) == "read_only"  # read_only outranks forbidden
        assert wire.error({"op": "delete", "path": "missing"}) == "read_only"
        assert wire.error({"op": "rename", "from": "a.txt", "to": "b.txt"}) == "read_only"
        assert wire.error({"op": "rename", "from": "a.txt", "to": ".b"}) == "bad_name"
        assert wire.error({"op": "rename", "from": ".a", "to": 3}) == "bad_request"
    assert (library / "a.txt").read_bytes() == b"alpha"


def test_auth_write_needs_auth_for_both(server_factory, library, tmp_path):
    (library / "a.txt").write_bytes(b"alpha")
    (tmp_path / "token").write_text("s3cret")
    server = server_factory("--workers", "1", "--token-file", str(tmp_path / "token"), "--token-for", "write")
    with Wire(server.address) as wire:
        assert wire.error({"op": "delete", "path": "a.txt"}) == "unauthorized"
        assert wire.error({"op": "rename", "from": "a.txt", "to": "b.txt"}) == "unauthorized"
        assert wire.error({"op": "rename", "from": ".a"}) == "unauthorized"  # outranks field errors
        assert wire.error({"op": "remove", "path": "a.txt"}) == "unknown_op"  # outranks unauthorized
        assert wire.request({"op": "auth", "token": "s3cret"}) == {"ok": True}
        assert wire.request({"op": "rename", "from": "a.txt", "to": "b.txt"}) == {"ok": True, "from": "a.txt", "to": "b.txt"}
        assert wire.request({"op": "delete", "path": "b.txt"}) == {"ok": True}
    assert os.listdir(library) == [".ferry-uploads"]


# -- delete -----------------------------------------------------------------------


def test_delete_a_file(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "b.txt").write_bytes(b"beta")
    with Wire(server.address) as wire:
        assert wire.request({"op": "delete", "path": "a.txt"}) == {"ok": True}
        assert names(wire) == ["b.txt"]
        assert wire.error({"op": "stat", "name": "a.txt"}) == "not_found"
        assert wire.error({"op": "get", "name": "a.txt"}) == "not_found"
        assert wire.error({"op": "delete", "path": "a.txt"}) == "not_found"
        assert wire.request({"op": "delete", "path": "b.txt", "recursive": True}) == {"ok": True}  # recursive: any entry
        assert names(wire) == []
    assert os.listdir(library) == [".ferry-uploads"]


def test_delete_in_a_folder_and_of_folders(server, library):
    (library / "a" / "b").mkdir(parents=True)
    (library / "a" / "b" / "c.txt").write_bytes(b"c")
    (library / "empty").mkdir()
    (library / "hidden").mkdir()
    (library / "hidden" / ".dot").write_bytes(b"")
    with Wire(server.address) as wire:
        assert wire.error({"op": "delete", "path": "a"}) == "not_empty"
        assert wire.error({"op": "delete", "path": "a/b"}) == "not_empty"
        assert wire.error({"op": "delete", "path": "hidden"}) == "not_empty"  # hidden entries count
        assert wire.request({"op": "delete", "path": "a/b/c.txt"}) == {"ok": True}
        assert not (library / "a" / "b" / "c.txt").exists()
        assert wire.request({"op": "delete", "path": "a/b"}) == {"ok": True}
        assert wire.request({"op": "delete", "path": "a", "recursive": False}) == {"ok": True}
        assert wire.request({"op": "delete", "path": "empty"}) == {"ok": True}
        assert wire.request({"op": "delete", "path": "hidden", "recursive": True}) == {"ok": True}
        assert wire.error({"op": "delete", "path": "hidden"}) == "not_found"
    assert sorted(os.listdir(library)) == [".ferry-trash", ".ferry-uploads"]
    assert wait_for(lambda: trash_entries(library) == [], timeout=10)


def test_delete_of_what_is_not_a_file_or_folder_is_not_found(server, library, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    (library / "real").mkdir()
    (library / "real" / "x").write_bytes(b"x")
    os.symlink(outside / "secret", library / "file-link")
    os.symlink(outside, library / "folder-link")
    os.symlink("real", library / "inner-link")
    os.mkfifo(library / "fifo")
    with Wire(server.address) as wire:
        for path in ["missing", "file-link", "folder-link", "inner-link", "fifo", "nowhere/a", "real/missing", "real/x/y"]:
            for recursive in (False, True):
                response = wire.request({"op": "delete", "path": path, "recursive": recursive})
                assert response["ok"] is False and response["error"] == "not_found", (path, response)
        for path in ["folder-link/secret", "inner-link/x"]:  # a symlink on the way
            assert wire.error({"op": "delete", "path": path}) == "not_found"
    assert (outside / "secret").read_bytes() == b"secret"
    assert (library / "real" / "x").read_bytes() == b"x"
    assert sorted(os.listdir(library)) == [".ferry-uploads", "fifo", "file-link", "folder-link", "inner-link", "real"]


def test_delete_precedence(server):
    with Wire(server.address) as wire:
        assert wire.error({"op": "delete"}) == "bad_request"
        assert wire.error({"op": "delete", "path": None}) == "bad_request"
        assert wire.error({"op": "delete", "path": "a", "recursive": None}) == "bad_request"
        assert wire.error({"op": "delete", "path": "a", "recursive": 1}) == "bad_request"
        assert wire.error({"op": "delete", "path": ".a", "recursive": "yes"}) == "bad_request"  # fields before names
        for path in ["", "/a", "a/", "a//b", "a/../b", "a/.x", ".ferry-uploads", ".ferry-trash", "a\\b"]:
            assert wire.error({"op": "delete", "path": path}) == "bad_name", path
        assert wire.error({"op": "delete", "path": "missing"}) == "not_found"


def test_a_big_folder_is_gone_at_once_and_freed_later(server, library):
    """5,000 files in 50 folders: the answer comes at once, after which nothing of
    the folder is reachable; its space is freed in the background."""
    make_tree(library / "big", 50, 100, b"x" * 100)
    (library / "big" / ".hidden").write_bytes(b"h")
    with Wire(server.address) as wire:
        assert wire.request({"op": "delete", "path": "big", "recursive": True}) == {"ok": True}
        assert not (library / "big").exists()
        assert wire.error({"op": "delete", "path": "big"}) == "not_found"
        assert wire.error({"op": "delete", "path": "big/d000/f0000"}) == "not_found"
        assert wire.error({"op": "rename", "from": "big", "to": "back"}) == "not_found"
    assert wait_for(lambda: trash_entries(library) == [], timeout=30)
    assert sorted(os.listdir(library)) == [TRASH, ".ferry-uploads"]


def test_the_answer_does_not_wait_for_the_removal(server_factory, library):
    """Another process holding the folder (as a server removing it would) keeps the
    server's remover off it: the delete is answered anyway, with every file still in
    the trash. The next start removes it once nobody holds it."""
    make_tree(library / "big", 10, 100)
    held = os.open(library / "big", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        server = server_factory("--workers", "1")
        with Wire(server.address) as wire:
            assert wire.request({"op": "delete", "path": "big", "recursive": True}) == {"ok": True}
        assert not (library / "big").exists()
        [entry] = trash_entries(library)
        assert server.logged(r"left 1 .* another process", timeout=10)
        assert sum(len(files) for _, _, files in os.walk(library / TRASH / entry)) == 1000
        server.stop()
    finally:
        os.close(held)
    server_factory("--workers", "2")
    assert wait_for(lambda: trash_entries(library) == [], timeout=10)


def test_a_crash_leftover_in_the_trash_is_removed_at_start(server_factory, library, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"keep")
    make_tree(library / TRASH / "0123456789abcdef", 5, 20)
    os.symlink(outside, library / TRASH / "0123456789abcdef" / "d000" / "link")
    (library / TRASH / "a-file").write_bytes(b"half")
    os.symlink(outside, library / TRASH / "a-link")  # removed, never followed
    server_factory("--workers", "2")
    assert wait_for(lambda: trash_entries(library) == [], timeout=10)
    assert os.listdir(outside) == ["keep"]


def test_a_download_in_progress_survives_a_delete(server, library):
    data = os.urandom(48 << 20)
    (library / "big.bin").write_bytes(data)
    with Wire(server.address) as reader, Wire(server.address) as other:
        reader.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        header = reader.request({"op": "get", "name": "big.bin"})
        assert header["length"] == len(data)
        first = reader.body(1 << 20)
        assert other.request({"op": "delete", "path": "big.bin"}) == {"ok": True}
        assert other.error({"op": "stat", "name": "big.bin"}) == "not_found"
        assert not (library / "big.bin").exists()
        rest = reader.body(len(data) - len(first))
        assert hashlib.sha256(first + rest).digest() == hashlib.sha256(data).digest()


def test_a_download_in_progress_survives_a_delete_of_its_folder(server, library):
    data = os.urandom(48 << 20)
    (library / "f").mkdir()
    (library / "f" / "big.bin").write_bytes(data)
    with Wire(server.address) as reader, Wire(server.address) as other:
        needs_folders(reader)
        reader.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        header = reader.request({"op": "get", "name": "f/big.bin"})
        first = reader.body(1 << 20)
        assert other.request({"op": "delete", "path": "f", "recursive": True}) == {"ok": True}
        assert other.error({"op": "stat", "name": "f/big.bin"}) == "not_found"
        assert wait_for(lambda: trash_entries(library) == [], timeout=10)  # unlinked while being sent
        rest = reader.body(header["length"] - len(first))
        assert hashlib.sha256(first + rest).digest() == hashlib.sha256(data).digest()


# -- rename -----------------------------------------------------------------------


def test_rename_a_file_and_a_folder(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "f").mkdir()
    (library / "f" / "inner").write_bytes(b"inner")
    with Wire(server.address) as wire:
        assert wire.request({"op": "rename", "from": "a.txt", "to": "b.txt"}) == {"ok": True, "from": "a.txt", "to": "b.txt"}
        assert names(wire) == ["b.txt"]
        assert wire.error({"op": "stat", "name": "a.txt"}) == "not_found"
        assert wire.request({"op": "rename", "from": "f", "to": "g"})["ok"] is True
        assert wire.request({"op": "delete", "path": "g/inner"}) == {"ok": True}  # reached under its new name
    assert (library / "b.txt").read_bytes() == b"alpha"
    assert sorted(os.listdir(library)) == [".ferry-uploads", "b.txt", "g"] and os.listdir(library / "g") == []


def test_rename_onto_an_existing_entry(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "b.txt").write_bytes(b"beta")
    (library / "f").mkdir()
    (library / "empty").mkdir()
    os.symlink("a.txt", library / "link")
    with Wire(server.address) as wire:
        for overwrite in (False, True):
            for source, target in [("a.txt", "f"), ("f", "a.txt"), ("f", "empty"), ("a.txt", "link")]:
                response = wire.request({"op": "rename", "from": source, "to": target, "overwrite": overwrite})
                assert response["ok"] is False and response["error"] == "exists", (source, target, overwrite, response)
        assert wire.error({"op": "rename", "from": "a.txt", "to": "b.txt"}) == "exists"
        assert wire.error({"op": "rename", "from": "a.txt", "to": "b.txt", "overwrite": False}) == "exists"
        assert (library / "b.txt").read_bytes() == b"beta"
        assert wire.request({"op": "rename", "from": "a.txt", "to": "b.txt", "overwrite": True})["ok"] is True
        assert names(wire) == ["b.txt"]
        assert wire.request({"op": "get", "name": "b.txt"})["size"] == 5
        assert wire.body(5) == b"alpha"
        assert wire.request({"op": "rename", "from": "b.txt", "to": "c.txt", "overwrite": True})["ok"] is True  # nothing to replace
    assert sorted(os.listdir(library)) == [".ferry-uploads", "c.txt", "empty", "f", "link"]


def test_rename_onto_itself_changes_nothing(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "f").mkdir()
    before = {name: os.lstat(library / name) for name in ("a.txt", "f")}
    with Wire(server.address) as wire:
        for name in ("a.txt", "f"):
            for overwrite in (False, True):
                assert wire.request({"op": "rename", "from": name, "to": name, "overwrite": overwrite}) == {
                    "ok": True,
                    "from": name,
                    "to": name,
                }
        assert wire.error({"op": "rename", "from": "missing", "to": "missing"}) == "not_found"
    assert {name: os.lstat(library / name) for name in ("a.txt", "f")} == before


def test_rename_of_what_is_not_there_is_not_found(server, library, tmp_path):
    (library / "real").mkdir()
    os.symlink(tmp_path, library / "folder-link")
    os.symlink("real", library / "file-link")
    os.mkfifo(library / "fifo")
    with Wire(server.address) as wire:
        for source in ["missing", "folder-link", "file-link", "fifo"]:
            assert wire.error({"op": "rename", "from": source, "to": "new"}) == "not_found", source
    assert sorted(os.listdir(library)) == [".ferry-uploads", "fifo", "file-link", "folder-link", "real"]


def test_rename_precedence(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    with Wire(server.address) as wire:
        assert wire.error({"op": "rename", "from": "a.txt"}) == "bad_request"
        assert wire.error({"op": "rename", "to": "a.txt"}) == "bad_request"
        assert wire.error({"op": "rename", "from": "a.txt", "to": None}) == "bad_request"
        assert wire.error({"op": "rename", "from": "a.txt", "to": "b", "overwrite": None}) == "bad_request"
        assert wire.error({"op": "rename", "from": ".a", "to": "b", "overwrite": "no"}) == "bad_request"
        for source, target in [(".a", "b"), ("a.txt", ".b"), ("a.txt", ""), ("", "a.txt"), ("a.txt", "x/../b"), ("a.txt", "b/")]:
            assert wire.error({"op": "rename", "from": source, "to": target}) == "bad_name", (source, target)
        assert wire.error({"op": "rename", "from": "missing", "to": "a.txt"}) == "not_found"  # not exists
    assert sorted(os.listdir(library)) == [".ferry-uploads", "a.txt"]


def test_rename_across_folders(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "old").mkdir()
    (library / "f" / "g").mkdir(parents=True)
    with Wire(server.address) as wire:
        needs_folders(wire)
        assert wire.request({"op": "rename", "from": "a.txt", "to": "old/a.txt"}) == {"ok": True, "from": "a.txt", "to": "old/a.txt"}
        assert wire.request({"op": "rename", "from": "old/a.txt", "to": "f/g/b.txt"})["ok"] is True
        assert wire.request({"op": "rename", "from": "f/g", "to": "old/g"})["ok"] is True
        assert wire.error({"op": "rename", "from": "old/g/b.txt", "to": "nowhere/b.txt"}) == "not_found"
        assert wire.error({"op": "rename", "from": "old/g/b.txt", "to": "old/g/b.txt/c"}) == "not_found"  # a file is no folder
        assert wire.error({"op": "rename", "from": "old/missing", "to": "b.txt"}) == "not_found"
    assert (library / "old" / "g" / "b.txt").read_bytes() == b"alpha"
    assert os.listdir(library / "f") == []


def test_moving_a_folder_into_itself_is_bad_request_before_its_folder_is_looked_for(server, library):
    (library / "f" / "g").mkdir(parents=True)
    with Wire(server.address) as wire:
        needs_folders(wire)
        assert wire.error({"op": "rename", "from": "f", "to": "f/x"}) == "bad_request"
        assert wire.error({"op": "rename", "from": "f", "to": "f/g"}) == "bad_request"  # not exists
        assert wire.error({"op": "rename", "from": "f", "to": "f/missing/x"}) == "bad_request"  # not not_found
        assert wire.error({"op": "rename", "from": "f/g", "to": "f/g/h/i"}) == "bad_request"
        assert wire.error({"op": "rename", "from": "f", "to": "f/.x"}) == "bad_name"
        assert wire.request({"op": "rename", "from": "f/g", "to": "fg"})["ok"] is True  # a prefix, not inside
        assert wire.request({"op": "rename", "from": "fg", "to": "f/g"})["ok"] is True  # into its parent's subtree
    assert os.listdir(library / "f") == ["g"]


# -- races ------------------------------------------------------------------------


def _race(address: tuple[str, int], requests: list[dict]) -> list[dict]:
    """Send each request on its own connection at the same moment; their answers."""
    wires = [Wire(address) for _ in requests]
    try:
        for wire in wires:
            wire.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = threading.Barrier(len(wires))
        answers: list[dict] = [{} for _ in wires]

        def run(i: int) -> None:
            start.wait()
            answers[i] = wires[i].request(requests[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(wires))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return answers
    finally:
        for wire in wires:
            wire.close()


def test_two_renames_to_one_name_exactly_one_wins(server, library):
    deadline = time.monotonic() + 20
    for round_ in range(60):
        for side in ("a", "b"):
            (library / side).write_bytes(f"{side}{round_}".encode())
        answers = _race(server.address, [{"op": "rename", "from": side, "to": "target"} for side in ("a", "b")])
        winners = [side for side, answer in zip(("a", "b"), answers, strict=True) if answer["ok"]]
        assert len(winners) == 1, answers
        [loser] = [answer for answer in answers if not answer["ok"]]
        assert loser["error"] == "exists"
        [left] = {"a", "b"} - set(winners)
        assert (library / "target").read_bytes() == f"{winners[0]}{round_}".encode()
        assert (library / left).read_bytes() == f"{left}{round_}".encode()
        assert not (library / winners[0]).exists()
        os.unlink(library / "target")
        os.unlink(library / left)
        assert time.monotonic() < deadline


def test_a_renamed_file_is_in_every_list_under_exactly_one_name(server, library):
    (library / "x").write_bytes(b"moving")
    (library / "still").write_bytes(b"still")
    stop = threading.Event()
    renames = [0]

    def rename_back_and_forth() -> None:
        with Wire(server.address) as wire:
            names_ = ("x", "y")
            while not stop.is_set():
                source, target = names_[renames[0] % 2], names_[(renames[0] + 1) % 2]
                assert wire.request({"op": "rename", "from": source, "to": target})["ok"] is True
                renames[0] += 1

    thread = threading.Thread(target=rename_back_and_forth)
    thread.start()
    try:
        lists = 0
        deadline = time.monotonic() + 3
        with Wire(server.address) as wire:
            while time.monotonic() < deadline or lists < 50:
                seen = names(wire)
                assert seen in (["still", "x"], ["still", "y"]), seen
                lists += 1
                if lists > 5000:
                    break
    finally:
        stop.set()
        thread.join()
    assert renames[0] > 20


def test_two_servers_on_one_folder_race_renames_too(server_factory, library):
    """The guard is the filesystem's (RENAME_NOREPLACE), not a lock in one process."""
    first = server_factory("--workers", "1")
    second = ServerProcess(library, "--workers", "1").start()
    try:
        for round_ in range(20):
            (library / "a").write_bytes(b"a")
            (library / "b").write_bytes(b"b")
            wires = [Wire(first.address), Wire(second.address)]
            try:
                for wire, side in zip(wires, ("a", "b"), strict=True):
                    wire.send({"op": "rename", "from": side, "to": "t"})
                answers = [wire.header() for wire in wires]
            finally:
                for wire in wires:
                    wire.close()
            assert sorted(answer["ok"] for answer in answers) == [False, True], (round_, answers)
            assert sorted(os.listdir(library)) in ([".ferry-uploads", "a", "t"], [".ferry-uploads", "b", "t"])
            for name in ("a", "b", "t"):
                if (library / name).exists():
                    os.unlink(library / name)
    finally:
        second.__exit__(None, None, None)


def test_another_program_locking_the_folder_hangs_neither_lists_nor_renames(server_factory, library):
    """The lock that keeps renames and list passes apart is the kernel's, so any
    program may take it; the server then waits a moment and goes on without it."""
    (library / "a.txt").write_bytes(b"alpha")
    server = server_factory("--workers", "1")
    held = os.open(library, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        with Wire(server.address) as wire:
            started = time.monotonic()
            assert names(wire) == ["a.txt"]
            assert time.monotonic() - started < 1
            assert wire.request({"op": "rename", "from": "a.txt", "to": "b.txt"})["ok"] is True
            assert names(wire) == ["b.txt"]
        assert server.logged("without waiting", timeout=5)
    finally:
        os.close(held)


def test_racing_deletes_and_a_rename_of_one_folder_exactly_one_succeeds(server, library):
    deadline = time.monotonic() + 20
    for round_ in range(30):
        make_tree(library / "f", 2, 20)
        answers = _race(
            server.address,
            [
                {"op": "delete", "path": "f", "recursive": True},
                {"op": "delete", "path": "f", "recursive": True},
                {"op": "rename", "from": "f", "to": "g"},
            ],
        )
        assert sorted(answer["ok"] for answer in answers) == [False, False, True], (round_, answers)
        assert {answer["error"] for answer in answers if not answer["ok"]} == {"not_found"}
        assert not (library / "f").exists()
        if answers[2]["ok"]:
            assert sorted(os.listdir(library / "g")) == ["d000", "d001"]
            assert wire_delete(server.address, "g")
        assert time.monotonic() < deadline
    assert wait_for(lambda: trash_entries(library) == [], timeout=10)


def wire_delete(address: tuple[str, int], path: str) -> bool:
    with Wire(address) as wire:
        return wire.request({"op": "delete", "path": path, "recursive": True})["ok"]
