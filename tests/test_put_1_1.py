"""put's 1.1 fields over raw sockets (PROTOCOL.md 7.4): ``trailer``, ``upload_id``
(resume) and ``mtime``, with their errors and precedence.

Resumes are tested after each kind of interruption the issue names (the client
killed, the worker killed, the server restarted): the result is always the whole
file with the right digest, and nothing partial is ever visible."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.hardening_support import listing, sha, still_serving, visible
from tests.server_process import ServerProcess, wait_for
from tests.wire import Wire

MiB = 1 << 20
#: Body sizes that take each receive path: written and hashed inline; spliced
#: with sha256 on a trailing thread (>= 8 MiB, uploads.LARGE_BYTES).
BODY_SIZES = [pytest.param(3 * MiB + 12345, id="inline"), pytest.param(12 * MiB + 777, id="spliced")]
ID_A = "0123456789abcdef0123456789abcdef"
ID_B = "fedcba9876543210fedcba9876543210"


def ready(wire: Wire, **request) -> dict:
    response = wire.request({"op": "put", **request})
    assert response["ok"] is True and response["ready"] is True, response
    return response


def partials(library: Path) -> list[Path]:
    folder = library / ".ferry-uploads" / "resume"
    return sorted(folder.iterdir()) if folder.exists() else []


def partial_size(library: Path) -> int:
    return sum(p.stat().st_size for p in partials(library))


def unlocked(library: Path) -> bool:
    """No upload holds a partial: the interrupted session has ended in the server."""
    for path in partials(library):
        with open(path, "rb") as held:
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(held, fcntl.LOCK_UN)
    return True


def nothing_visible(address: tuple[str, int], library: Path, name: str) -> None:
    with Wire(address) as wire:
        assert [e["name"] for e in listing(wire)] == [n for n in visible(library) if n != name]
        assert wire.error({"op": "stat", "name": name}) == "not_found"
    assert name not in visible(library)


def resume(address: tuple[str, int], name: str, data: bytes, upload_id: str, *, sent: int, **fields) -> dict:
    """Put ``data`` again with ``upload_id``: the server holds at most ``sent``
    bytes and at least ``sent`` less 1 MiB (7.4); send the rest; the final answer."""
    with Wire(address) as wire:
        offset = ready(wire, name=name, size=len(data), upload_id=upload_id, **fields)["offset"]
        assert sent - MiB <= offset <= sent, (offset, sent)
        wire.send(data[offset:])
        if fields.get("trailer"):
            wire.send({"sha256": sha(data)})
        final = wire.header()
        assert wire.request({"op": "list"})["ok"] is True  # still usable
    return final


_CLIENT = textwrap.dedent(
    """
    import json, socket, sys, time
    host, port, request, sent = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
    data = open(sys.argv[5], "rb").read()
    sock = socket.create_connection((host, port))
    reader = sock.makefile("rb")
    json.loads(reader.readline())
    sock.sendall(json.dumps(request).encode() + b"\\n")
    assert json.loads(reader.readline())["ready"] is True
    sock.sendall(data[:sent])
    print("sent", flush=True)
    time.sleep(120)
    """
)


def hanging_client(address, tmp_path: Path, request: dict, data: bytes, sent: int) -> subprocess.Popen:
    """A client in its own process that sends ``sent`` bytes of ``data`` and hangs."""
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLIENT, address[0], str(address[1]), json.dumps(request), str(sent), str(source)],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"sent\n"  # type: ignore[union-attr]
    return proc


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()  # type: ignore[union-attr]


# -- the greeting ---------------------------------------------------------------------


def test_greeting_offers_trailer_resume_and_mtime(server):
    with Wire(server.address) as wire:
        assert {"trailer", "resume", "mtime"} <= set(wire.greeting["features"])


# -- trailer --------------------------------------------------------------------------


@pytest.mark.parametrize("size", BODY_SIZES)
def test_trailer_digest_after_the_body(server, library, size):
    data = os.urandom(size)
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "t.bin", "size": size, "trailer": True}) == {"ok": True, "ready": True}
        wire.send(data + json.dumps({"sha256": sha(data).upper()}).encode() + b"\r\n" + b'{"op":"stat","name":"t.bin"}\n')
        assert wire.header() == {"ok": True, "name": "t.bin", "size": size, "sha256": sha(data)}
        assert wire.header()["sha256"] == sha(data)  # the pipelined stat, read from the same buffer
    assert (library / "t.bin").read_bytes() == data


def test_trailer_arriving_a_byte_at_a_time(server, library):
    with Wire(server.address) as wire:
        ready(wire, name="slow.txt", size=5, trailer=True)
        wire.send(b"hello")
        for byte in json.dumps({"sha256": sha(b"hello"), "extra": [1]}).encode() + b"\n":
            wire.send(bytes([byte]))
        assert wire.header()["ok"] is True
    assert (library / "slow.txt").read_bytes() == b"hello"


@pytest.mark.parametrize("size", BODY_SIZES)
def test_trailer_with_the_wrong_digest_is_checksum_mismatch(server, library, size):
    with Wire(server.address) as wire:
        ready(wire, name="bad.bin", size=size, trailer=True)
        wire.send(b"x" * size + json.dumps({"sha256": sha(b"other")}).encode() + b"\n")
        assert wire.error(b"") == "checksum_mismatch"  # sends nothing more, reads the final answer
        assert listing(wire) == []
    assert visible(library) == [] and os.listdir(library / ".ferry-uploads") == []


@pytest.mark.parametrize(
    "trailer",
    [
        b"\n",
        b"[1]\n",
        b"null\n",
        b"not json\n",
        b'{"sha256": "abc"}\n',
        b'{"sha256": 5}\n',
        b'{"digest": "00"}\n',
        b'{"sha256":"%s","sha256":"%s"}\n',
    ],
    ids=["blank", "array", "null", "not-json", "short-hex", "number", "missing", "duplicate"],
)
def test_malformed_trailer_is_bad_request_and_publishes_nothing(server, library, trailer):
    if b"%s" in trailer:
        trailer = trailer % (sha(b"abc").encode(), sha(b"abc").encode())
    with Wire(server.address) as wire:
        ready(wire, name="m.txt", size=3, trailer=True)
        wire.send(b"abc" + trailer)
        assert wire.error(b"") == "bad_request"
        assert listing(wire) == []  # the connection stays usable
        assert wire.request({"op": "put", "name": "m.txt", "size": 1})["ready"] is True  # and the name free
        wire.send(b"!")
        assert wire.header()["ok"] is True
    assert visible(library) == ["m.txt"]


def test_trailer_together_with_sha256_is_bad_request_before_ready(server, library):
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "a", "size": 1, "trailer": True, "sha256": sha(b"a")}) == "bad_request"
        assert wire.error({"op": "put", "name": "a", "size": 1, "trailer": "yes"}) == "bad_request"
        assert wire.error({"op": "put", "name": "a", "size": 1, "trailer": None}) == "bad_request"
        assert listing(wire) == []
    assert visible(library) == []


def test_trailer_false_is_a_version_1_put(server, library):
    with Wire(server.address) as wire:
        ready(wire, name="v1", size=2, trailer=False)
        wire.send(b"ok")
        assert wire.header() == {"ok": True, "name": "v1", "size": 2, "sha256": sha(b"ok")}


def test_oversized_trailer_is_header_too_large_and_closes(server, library):
    with Wire(server.address) as wire:
        ready(wire, name="big-trailer", size=1, trailer=True)
        wire.send(b"z" + b"{" + b" " * 70_000)
        assert wire.header()["error"] == "header_too_large"
        assert wire.closed()
    assert visible(library) == []
    assert still_serving(server.address)


# -- mtime ----------------------------------------------------------------------------


@pytest.mark.parametrize("fsync", [True, False], ids=["fsync", "no-fsync"])
@pytest.mark.parametrize("size", [pytest.param(10, id="small"), *BODY_SIZES])
def test_mtime_is_the_published_files(server_factory, library, fsync, size):
    server = server_factory("--workers", "1", *(() if fsync else ("--no-fsync",)))
    mtime = 1234567890.5
    data = os.urandom(size)
    with Wire(server.address) as wire:
        ready(wire, name="old.bin", size=size, mtime=mtime)
        wire.send(data)
        assert wire.header()["sha256"] == sha(data)
        assert wire.request({"op": "stat", "name": "old.bin"})["mtime"] == mtime
        assert [(e["name"], e["mtime"]) for e in listing(wire)] == [("old.bin", mtime)]
        ready(wire, name="old.bin", size=3, mtime=-86400.25, overwrite=True)  # replaced, before the epoch
        wire.send(b"new")
        assert wire.header()["ok"] is True
        assert wire.request({"op": "get", "name": "old.bin"})["mtime"] == -86400.25
    assert (library / "old.bin").stat().st_mtime == -86400.25


def test_without_mtime_the_file_is_dated_now(server, library):
    with Wire(server.address) as wire:
        ready(wire, name="now", size=1)
        wire.send(b"n")
        assert wire.header()["ok"] is True
    assert abs((library / "now").stat().st_mtime - time.time()) < 60


def test_mtime_errors_and_precedence(server_factory, library):
    server = server_factory("--workers", "1")
    with Wire(server.address) as wire:
        for bad in ("1", None, True, 1e300, [1]):
            assert wire.error({"op": "put", "name": "a", "size": 1, "mtime": bad}) == "bad_request"
        # bad_request (a field) before bad_name, bad_name before exists
        assert wire.error({"op": "put", "name": ".a", "size": 1, "mtime": "x"}) == "bad_request"
        assert wire.error({"op": "put", "name": ".a", "size": 1, "mtime": 5}) == "bad_name"
    read_only = server_factory("--workers", "1", "--read-only")
    with Wire(read_only.address) as wire:
        assert wire.error({"op": "put", "name": ".a", "size": 1, "mtime": 5, "trailer": True}) == "bad_name"
        assert wire.error({"op": "put", "name": "a", "size": 1, "mtime": 5, "trailer": True, "upload_id": ID_A}) == "read_only"


# -- resume: offsets ------------------------------------------------------------------


def test_upload_id_gets_offset_zero_and_plain_put_none(server, library):
    data = b"fresh" * 1000
    with Wire(server.address) as wire:
        request = {"op": "put", "name": "f", "size": len(data), "upload_id": ID_A.upper()}
        assert wire.request(request) == {"ok": True, "ready": True, "offset": 0}
        wire.send(data)
        assert wire.header() == {"ok": True, "name": "f", "size": len(data), "sha256": sha(data)}
    assert partials(library) == []  # a finished upload keeps nothing


def test_upload_id_errors_and_precedence(server, library):
    (library / "taken").write_bytes(b"t")
    with Wire(server.address) as wire:
        for bad in ("0" * 31, "0" * 65, "g" * 32, 5, None, ""):
            assert wire.error({"op": "put", "name": "a", "size": 1, "upload_id": bad}) == "bad_request"
        assert wire.error({"op": "put", "name": "a/../b", "size": 1, "upload_id": "nothex"}) == "bad_request"
        assert wire.error({"op": "put", "name": "a/../b", "size": 1, "upload_id": ID_A}) == "bad_name"
        assert wire.error({"op": "put", "name": "taken", "size": 1, "upload_id": ID_A}) == "exists"
    assert partials(library) == []  # refused before ready: nothing kept


def interrupt(address, library: Path, name: str, data: bytes, upload_id: str, sent: int) -> None:
    """Send ``sent`` bytes of ``data`` with ``upload_id``, then hang up."""
    with Wire(address) as wire:
        assert ready(wire, name=name, size=len(data), upload_id=upload_id)["offset"] == 0
        wire.send(data[:sent])
        assert wait_for(lambda: partial_size(library) == sent, timeout=10)
    assert wait_for(lambda: unlocked(library), timeout=10)


@pytest.mark.parametrize("size", BODY_SIZES)
def test_client_hanging_up_then_resume(server, library, size):
    data = os.urandom(size)
    sent = size // 2
    interrupt(server.address, library, "r.bin", data, ID_A, sent)
    nothing_visible(server.address, library, "r.bin")
    final = resume(server.address, "r.bin", data, ID_A.upper(), sent=sent, sha256=sha(data))
    assert final == {"ok": True, "name": "r.bin", "size": size, "sha256": sha(data)}
    assert (library / "r.bin").read_bytes() == data
    assert partials(library) == [] and os.listdir(library / ".ferry-uploads") == ["resume"]


@pytest.mark.parametrize("size", BODY_SIZES)
def test_resume_into_a_folder_made_with_parents(server, library, size):
    """The features together: a resumable put into folders it makes, interrupted,
    then resumed with a trailer and an mtime, lands whole in its folder."""
    data = os.urandom(size)
    sent = size // 2
    with Wire(server.address) as wire:
        assert ready(wire, name="d/e/r.bin", size=size, upload_id=ID_B, parents=True)["offset"] == 0
        wire.send(data[:sent])
        assert wait_for(lambda: partial_size(library) == sent, timeout=10)
    assert wait_for(lambda: unlocked(library), timeout=10)
    assert not (library / "d" / "e" / "r.bin").exists()
    final = resume(server.address, "d/e/r.bin", data, ID_B, sent=sent, trailer=True, mtime=1_600_000_000, parents=True)
    assert final == {"ok": True, "name": "d/e/r.bin", "size": size, "sha256": sha(data)}
    published = library / "d" / "e" / "r.bin"
    assert published.read_bytes() == data and published.stat().st_mtime == 1_600_000_000
    assert partials(library) == []


def test_resume_with_trailer_and_mtime_and_a_wrong_digest(server, library):
    data = os.urandom(2 * MiB)
    interrupt(server.address, library, "w.bin", data, ID_A, MiB)
    with Wire(server.address) as wire:  # the whole file's digest is checked, kept bytes included
        assert ready(wire, name="w.bin", size=len(data), upload_id=ID_A, trailer=True)["offset"] == MiB
        wire.send(data[MiB:] + json.dumps({"sha256": sha(data[MiB:])}).encode() + b"\n")
        assert wire.error(b"") == "checksum_mismatch"
    assert partials(library) == []  # bytes that do not make the file are not kept
    interrupt(server.address, library, "w.bin", data, ID_A, MiB)
    assert resume(server.address, "w.bin", data, ID_A, sent=MiB, trailer=True, mtime=1e9)["sha256"] == sha(data)
    assert (library / "w.bin").read_bytes() == data and (library / "w.bin").stat().st_mtime == 1e9


def test_a_bad_trailer_keeps_the_bytes_for_a_retry(server, library):
    data = os.urandom(100_000)
    with Wire(server.address) as wire:
        ready(wire, name="k.bin", size=len(data), upload_id=ID_A, trailer=True)
        wire.send(data + b"{}\n")
        assert wire.error(b"") == "bad_request"
        assert ready(wire, name="k.bin", size=len(data), upload_id=ID_A, trailer=True)["offset"] == len(data)
        wire.send({"sha256": sha(data)})  # no body bytes left to send
        assert wire.header()["sha256"] == sha(data)
    assert (library / "k.bin").read_bytes() == data


def test_another_size_path_or_id_holds_nothing(server, library):
    data = os.urandom(3 * MiB)
    for other in ({"size": len(data) + 1}, {"name": "elsewhere.bin"}, {"upload_id": ID_B}):
        interrupt(server.address, library, "p.bin", data, ID_A, MiB)
        with Wire(server.address) as wire:
            request = {"name": "p.bin", "size": len(data), "upload_id": ID_A, **other}
            assert ready(wire, **request)["offset"] == 0
        assert wait_for(lambda: unlocked(library), timeout=10)
        with Wire(server.address) as wire:  # the same id under another key: the first is gone
            expected = MiB if "upload_id" in other else 0
            assert ready(wire, name="p.bin", size=len(data), upload_id=ID_A)["offset"] == expected
        assert wait_for(lambda: unlocked(library), timeout=10)
        for path in partials(library):
            path.unlink()
    assert visible(library) == []


# -- resume: interruptions ------------------------------------------------------------


@pytest.mark.parametrize("size", BODY_SIZES)
def test_client_killed_then_resume(server, library, tmp_path, size):
    data = os.urandom(size)
    sent = size * 2 // 3
    proc = hanging_client(server.address, tmp_path, {"op": "put", "name": "k.bin", "size": size, "upload_id": ID_A}, data, sent)
    try:
        assert wait_for(lambda: partial_size(library) == sent, timeout=10)
        nothing_visible(server.address, library, "k.bin")
    finally:
        kill(proc)
    assert wait_for(lambda: unlocked(library), timeout=10)
    assert resume(server.address, "k.bin", data, ID_A, sent=sent, trailer=True)["sha256"] == sha(data)
    assert (library / "k.bin").read_bytes() == data and partials(library) == []


@pytest.mark.parametrize("size", BODY_SIZES)
def test_worker_killed_then_resume(server, library, size):
    data = os.urandom(size)
    sent = size // 3
    wire = Wire(server.address)
    ready(wire, name="w.bin", size=size, upload_id=ID_A)
    wire.send(data[:sent])
    assert wait_for(lambda: partial_size(library) == sent, timeout=10)
    workers = server.children()
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    assert wire.closed()
    wire.close()
    assert wait_for(lambda: len(server.children()) == 2 and not set(workers) & set(server.children()), timeout=10)
    nothing_visible(server.address, library, "w.bin")
    assert partial_size(library) == sent  # not swept as a crash leftover
    assert resume(server.address, "w.bin", data, ID_A, sent=sent, sha256=sha(data))["sha256"] == sha(data)
    assert (library / "w.bin").read_bytes() == data and partials(library) == []


@pytest.mark.parametrize("size", BODY_SIZES)
def test_server_restarted_then_resume(server_factory, library, size):
    server = server_factory("--workers", "2", "--grace", "0.2")
    data = os.urandom(size)
    sent = size // 2
    wire = Wire(server.address)
    ready(wire, name="s.bin", size=size, upload_id=ID_A)
    wire.send(data[:sent])
    assert wait_for(lambda: partial_size(library) == sent, timeout=10)
    server.stop(signal.SIGTERM)
    wire.close()
    restarted = server_factory("--workers", "2")
    nothing_visible(restarted.address, library, "s.bin")
    assert partial_size(library) == sent  # the start-up sweep keeps what has not expired
    assert resume(restarted.address, "s.bin", data, ID_A, sent=sent, trailer=True)["sha256"] == sha(data)
    assert (library / "s.bin").read_bytes() == data and partials(library) == []


# -- resume: two connections, one upload_id -------------------------------------------


@pytest.mark.parametrize("size", BODY_SIZES)
def test_newer_put_wins_over_a_still_sending_one(server, library, size):
    data = os.urandom(size)
    sent = 2 * MiB + 1000
    older = Wire(server.address)
    ready(older, name="n.bin", size=size, upload_id=ID_A)
    older.send(data[:sent])
    assert wait_for(lambda: partial_size(library) == sent, timeout=10)
    with Wire(server.address) as newer:
        offset = ready(newer, name="n.bin", size=size, upload_id=ID_A)["offset"]
        assert offset == 2 * MiB  # what the older had, to a 1 MiB boundary
        older.send(b"\0" * (size - sent))  # the older goes on, with other bytes: they must not count
        assert older.error(b"") == "io_error"
        assert older.request({"op": "list"})["ok"] is True  # and its connection stays usable
        assert visible(library) == []  # it published nothing
        newer.send(data[offset:])
        assert newer.header() == {"ok": True, "name": "n.bin", "size": size, "sha256": sha(data)}
    older.close()
    assert (library / "n.bin").read_bytes() == data and partials(library) == []


def test_newer_put_wins_over_a_stalled_one(server, library):
    data = os.urandom(3 * MiB)
    with Wire(server.address) as older, Wire(server.address) as newer:
        ready(older, name="st.bin", size=len(data), upload_id=ID_A)
        older.send(data[: MiB + 5])
        assert wait_for(lambda: partial_size(library) == MiB + 5, timeout=10)
        assert ready(newer, name="st.bin", size=len(data), upload_id=ID_A, mtime=7.0)["offset"] == MiB
        newer.send(data[MiB:])
        assert newer.header()["sha256"] == sha(data)
        older.send(data[MiB + 5 :])  # the stalled one wakes up: too late
        assert older.error(b"") == "io_error"
    assert (library / "st.bin").read_bytes() == data and (library / "st.bin").stat().st_mtime == 7.0
    assert wait_for(lambda: partials(library) == [], timeout=5)


# -- expiry ---------------------------------------------------------------------------


def test_expired_partials_are_swept(server_factory, library):
    server = server_factory("--workers", "1", "--resume-hours", "0.0003")  # about a second
    data = os.urandom(2 * MiB)
    interrupt(server.address, library, "e.bin", data, ID_A, MiB)
    time.sleep(1.5)
    assert partial_size(library) == MiB  # swept by the next upload, not by a clock
    with Wire(server.address) as wire:
        assert ready(wire, name="e.bin", size=len(data), upload_id=ID_A)["offset"] == 0
    assert wait_for(lambda: unlocked(library), timeout=10)
    interrupt(server.address, library, "e2.bin", data, ID_B, MiB)
    server.stop()
    time.sleep(1.5)
    ServerProcess(library, "--resume-hours", "0.0003").start().stop()  # and at start-up
    assert partials(library) == []


def test_resume_hours_must_be_positive(library):
    for bad in ("0", "-1", "x"):
        done = subprocess.run(
            [sys.executable, "-S", "run_server.py", "--root", str(library), "--port", "0", "--resume-hours", bad],
            capture_output=True,
            timeout=30,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert done.returncode == 2 and b"--resume-hours" in done.stderr
