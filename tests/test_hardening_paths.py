"""Hardening matrix, path tricks (issue 5): names that try to leave the library,
names on disk the protocol cannot carry, and things in the folder that are not
regular files. None is ever served or written through, none blocks a worker,
and the server keeps serving.
"""

from __future__ import annotations

import os
import socket
import stat as stat_mode
import threading
import time
from pathlib import Path

import pytest

from tests.hardening_support import listing, no_temp_files, sha, still_serving, temp_files, upload, visible
from tests.server_process import ServerProcess
from tests.wire import Wire

SECRET = b"outside secret: never served\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file and a folder beside the library that no request may reach."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_bytes(SECRET)
    return folder


# -- names from clients -----------------------------------------------------------

TRICK_NAMES = [
    "..",
    ".",
    "../secret.txt",
    "../outside/secret.txt",
    "/etc/passwd",
    "//etc/passwd",
    "a/../a.txt",
    "a.txt/",
    "..\\secret.txt",
    "a\\b",
    "C:\\Windows\\win.ini",
    "a\x00.txt",
    "a.txt\x00",
    "\x00",
    "a\nb",
    "a\rb",
    "\tname",
    "a\x1b[31m",
    "del\x7f",
    ".hidden",
    ".ferry-uploads",
    ".ferry-uploads/x.part",
    "é" * 128,
    "x" * 256,
    "",
]


def test_trick_names_are_bad_name_for_every_op_and_nothing_is_written(server, library, outside):
    (library / "a.txt").write_bytes(b"a")
    with Wire(server.address) as wire:
        for name in TRICK_NAMES:
            for request in (
                {"op": "stat", "name": name},
                {"op": "get", "name": name},
                {"op": "get", "name": name, "offset": 0},
                {"op": "put", "name": name, "size": 1},
                {"op": "put", "name": name, "size": 1, "overwrite": True},
            ):
                assert wire.error(request) == "bad_name", request
        assert [e["name"] for e in listing(wire)] == ["a.txt"]
    assert visible(library) == ["a.txt"]
    assert temp_files(library) == []
    assert os.listdir(outside) == ["secret.txt"] and (outside / "secret.txt").read_bytes() == SECRET
    assert sorted(p.name for p in library.parent.iterdir()) == ["library", "outside"]  # nothing new beside it


def test_longest_multibyte_name_works_and_one_byte_more_does_not(server, library):
    name = "é" * 127 + "x"  # 255 bytes
    with Wire(server.address) as wire:
        assert upload(wire, name, b"ok")["ok"] is True
        assert wire.error({"op": "put", "name": "é" * 128, "size": 1}) == "bad_name"  # 256 bytes
        assert wire.request({"op": "stat", "name": name})["size"] == 2
    assert visible(library) == [name]


# -- what lies in the folder -----------------------------------------------------------


def test_symlinks_pointing_in_and_out_are_never_listed_or_served(server, library, outside):
    (library / "real.txt").write_bytes(b"inside")
    (library / "sub").mkdir()
    (library / "sub" / "deep.txt").write_bytes(b"deep")
    links = {
        "in-file": library / "real.txt",
        "in-relative": Path("real.txt"),
        "in-dir": library / "sub",
        "in-deep": library / "sub" / "deep.txt",
        "out-file": outside / "secret.txt",
        "out-dir": outside,
        "out-relative": Path("..") / "outside" / "secret.txt",
        "dangling": library / "missing",
        "loop": Path("loop"),
        "to-root": Path("/"),
        "to-proc": Path("/proc/self/environ"),
    }
    for name, target in links.items():
        os.symlink(target, library / name)
    with Wire(server.address) as wire:
        assert [e["name"] for e in listing(wire)] == ["real.txt"]
        for name in links:
            assert wire.error({"op": "stat", "name": name}) == "not_found", name
            assert wire.error({"op": "get", "name": name}) == "not_found", name
            assert wire.error({"op": "put", "name": name, "size": 1}) == "exists", name
        response = wire.request({"op": "get", "name": "real.txt"})
        assert wire.body(response["length"]) == b"inside"
    assert (outside / "secret.txt").read_bytes() == SECRET


def test_overwrite_through_a_link_to_outside_replaces_the_link_not_the_target(server, library, outside):
    os.symlink(outside / "secret.txt", library / "out.txt")
    os.symlink(outside, library / "out-dir")
    with Wire(server.address) as wire:
        assert upload(wire, "out.txt", b"new", overwrite=True)["ok"] is True
        assert upload(wire, "out-dir", b"dir?", overwrite=True)["ok"] is True
    assert (outside / "secret.txt").read_bytes() == SECRET
    assert os.listdir(outside) == ["secret.txt"]
    assert not (library / "out.txt").is_symlink() and (library / "out.txt").read_bytes() == b"new"
    assert (library / "out-dir").read_bytes() == b"dir?"


def _unix_socket(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.listen(1)
    return sock


def test_fifos_and_sockets_are_never_served_and_never_block(server_factory, library):
    """A FIFO with no writer, one with a writer holding it open, a listening socket:
    not listed, not_found, and answered at once (a worker that blocked in open() or
    read() would stall every session it holds: one worker makes that visible)."""
    server = server_factory("--workers", "1")
    (library / "real.txt").write_bytes(b"inside")
    os.mkfifo(library / "fifo-idle")
    os.mkfifo(library / "fifo-busy")
    writer = os.open(library / "fifo-busy", os.O_RDWR)  # keeps a writer (and reader) on it
    os.write(writer, b"data in the pipe")
    unix = _unix_socket(library / "sock")
    try:
        with Wire(server.address, timeout=5) as wire:
            started = time.monotonic()
            assert [e["name"] for e in listing(wire)] == ["real.txt"]
            for name in ("fifo-idle", "fifo-busy", "sock"):
                assert wire.error({"op": "stat", "name": name}) == "not_found", name
                assert wire.error({"op": "get", "name": name}) == "not_found", name
                assert wire.error({"op": "put", "name": name, "size": 1}) == "exists", name
            assert time.monotonic() - started < 3
            assert upload(wire, "fifo-idle", b"replaced", overwrite=True)["ok"] is True
        assert stat_mode.S_ISREG(os.lstat(library / "fifo-idle").st_mode)
        assert os.read(writer, 100) == b"data in the pipe"  # nobody drained the pipe
    finally:
        os.close(writer)
        unix.close()


needs_mknod = pytest.mark.skipif(os.geteuid() != 0, reason="creating device files needs root")


@needs_mknod
def test_device_files_are_never_served_and_never_block(server_factory, library):
    """Copies of /dev/null, /dev/zero and /dev/urandom in the root: /dev/zero served
    would be an endless body, a read of a tty could block forever."""
    server = server_factory("--workers", "1")
    (library / "real.txt").write_bytes(b"inside")
    devices = {"null": "/dev/null", "zero": "/dev/zero", "urandom": "/dev/urandom", "tty": "/dev/tty"}
    made = []
    for name, source in devices.items():
        try:
            rdev = os.stat(source).st_rdev
        except OSError:
            continue
        os.mknod(library / name, stat_mode.S_IFCHR | 0o666, rdev)
        made.append(name)
    assert "zero" in made
    with Wire(server.address, timeout=5) as wire:
        started = time.monotonic()
        assert [e["name"] for e in listing(wire)] == ["real.txt"]
        for name in made:
            assert wire.error({"op": "stat", "name": name}) == "not_found", name
            assert wire.error({"op": "get", "name": name}) == "not_found", name
            assert wire.error({"op": "put", "name": name, "size": 1}) == "exists", name
        assert time.monotonic() - started < 3
        assert upload(wire, "null", b"a file now", overwrite=True)["ok"] is True  # replaces the node, writes nothing into it
    assert stat_mode.S_ISREG(os.lstat(library / "null").st_mode)
    assert os.stat("/dev/null").st_size == 0 and stat_mode.S_ISCHR(os.stat("/dev/null").st_mode)


def test_names_on_disk_the_protocol_cannot_carry_are_skipped(server, library):
    """Not valid UTF-8, surrogates encoded, control characters, backslashes, dotfiles:
    list skips them (and the rest still lists), and no request can reach them."""
    good = ["good.txt", "ünïcödé.txt", "with space.txt", "x" * 255]
    for name in good:
        (library / name).write_bytes(name.encode()[:10])
    raw_names = [
        b"bad-\xff.txt",
        b"\xc0\xaf",
        b"\xed\xa0\x80.txt",
        b"latin1-caf\xe9",
        b"a\nb",
        b"tab\there",
        b"back\\slash",
        b"esc\x1b",
        b"del\x7f",
        b".dot",
        b"\x80",
    ]
    base = os.fsencode(library)
    for raw in raw_names:
        with open(os.path.join(base, raw), "wb") as f:
            f.write(b"hidden content")
    with Wire(server.address) as wire:
        assert [e["name"] for e in listing(wire)] == sorted(good)
        for name in ["bad-\udcff.txt", "a\nb", "back\\slash", ".dot", "latin1-caf\udce9", "\udc80"]:
            assert wire.error({"op": "get", "name": name}) == "bad_name", repr(name)
        assert wire.error({"op": "get", "name": "latin1-café"}) == "not_found"  # the UTF-8 spelling is another name
    log = server.log()
    assert "Traceback" not in log


def test_the_uploads_folder_as_a_symlink_out_stops_the_server(tmp_path, outside):
    """Someone replaced .ferry-uploads by a link to elsewhere: the server must not
    write uploads (or delete 'stale' ones) there; it refuses to start."""
    library = tmp_path / "library"
    library.mkdir()
    (outside / "keep.part").write_bytes(b"not ferry's")
    os.symlink(outside, library / ".ferry-uploads")
    server = ServerProcess(library)
    with pytest.raises(RuntimeError):
        server.start()
    assert server.proc.wait(10) == 2
    assert "cannot use" in server.log()
    assert sorted(os.listdir(outside)) == ["keep.part", "secret.txt"]
    os.unlink(server.log_file.name)


def test_symlink_swapped_in_and_out_during_downloads_never_leaks(server, library, outside):
    """One thread flips ``swap.txt`` between a regular file and a link to a secret
    outside, as fast as it can; many downloads and stats meanwhile. Every answer is
    the inside content or not_found, never the secret."""
    inside = b"inside content " * 1000
    (outside / "secret.txt").write_bytes(SECRET * 500)
    swap = library / "swap.txt"
    staged_file, staged_link = library / ".staged-file", library / ".staged-link"
    stop = threading.Event()
    flips = [0]

    def flipper() -> None:
        while not stop.is_set():
            staged_file.write_bytes(inside)
            os.replace(staged_file, swap)
            os.symlink(outside / "secret.txt", staged_link)
            os.replace(staged_link, swap)
            flips[0] += 1

    leaks: list[bytes] = []
    counts = {"served": 0, "not_found": 0}

    deadline = time.monotonic() + 20

    def downloader() -> None:
        """At least 150 rounds, and on until both states were seen often (bounded)."""
        with Wire(server.address) as wire:
            rounds = 0
            while rounds < 150 or (min(counts.values()) < 20 and time.monotonic() < deadline):
                rounds += 1
                response = wire.request({"op": "get", "name": "swap.txt"})
                if response["ok"]:
                    body = wire.body(response["length"])
                    if body != inside:
                        leaks.append(body[:64])
                    counts["served"] += 1
                else:
                    assert response["error"] == "not_found", response
                    counts["not_found"] += 1
                stat = wire.request({"op": "stat", "name": "swap.txt"})
                if stat["ok"] and stat["sha256"] != sha(inside):
                    leaks.append(b"stat:" + stat["sha256"].encode())

    thread = threading.Thread(target=flipper, daemon=True)
    thread.start()
    readers = [threading.Thread(target=downloader) for _ in range(4)]
    for r in readers:
        r.start()
    for r in readers:
        r.join(60)
    stop.set()
    thread.join(10)
    assert leaks == []
    assert flips[0] > 10, flips
    assert counts["served"] >= 20 and counts["not_found"] >= 20, counts  # both states were really hit
    assert still_serving(server.address)


def test_library_folder_renamed_while_serving_keeps_serving_its_own_fd(server, library, tmp_path):
    """The server holds the folder by fd: a rename (or a link put where it was)
    cannot redirect it to another folder."""
    (library / "a.txt").write_bytes(b"original")
    moved = tmp_path / "moved"
    library.rename(moved)
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "a.txt").write_bytes(SECRET)
    os.symlink(decoy, library)
    try:
        with Wire(server.address) as wire:
            response = wire.request({"op": "get", "name": "a.txt"})
            assert wire.body(response["length"]) == b"original"
            assert upload(wire, "b.txt", b"bee")["ok"] is True
        assert (moved / "b.txt").read_bytes() == b"bee" and not (decoy / "b.txt").exists()
        assert no_temp_files(moved)
    finally:
        os.unlink(library)
        moved.rename(library)


def test_uploads_folder_deleted_while_serving_is_io_error_not_a_crash(server, library):
    """Someone removes the hidden uploads folder under a running server: uploads are
    a clear io_error (until a restart recreates it), reads go on, nothing appears."""
    import shutil

    (library / "a.txt").write_bytes(b"still here")
    shutil.rmtree(library / ".ferry-uploads")
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "new.bin", "size": 3}) == "io_error"
        response = wire.request({"op": "get", "name": "a.txt"})
        assert wire.body(response["length"]) == b"still here"
    assert visible(library) == ["a.txt"]
    assert "Traceback" not in server.log()
