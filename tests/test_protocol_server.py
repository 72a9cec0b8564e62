"""Every request and every error code of PROTOCOL.md, over a raw socket, against
the real server subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path

import pytest
from ferry_files.server.features import IMPLEMENTED
from ferry_files.shared.messages import FEATURES

from tests.wire import Wire


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(wire: Wire) -> list[dict]:
    response = wire.request({"op": "list"})
    assert response["ok"] is True
    body = wire.body(response["length"])
    entries = [json.loads(line) for line in body.splitlines()]
    assert len(entries) == response["count"]
    return entries


def upload(wire: Wire, name: str, data: bytes, **fields) -> dict:
    ready = wire.request({"op": "put", "name": name, "size": len(data), **fields})
    assert ready == {"ok": True, "ready": True}
    wire.send(data)
    return wire.header()


# -- session ------------------------------------------------------------------


def test_greeting(server):
    with Wire(server.address) as wire:
        assert wire.greeting == {
            "ferry": 1,
            "server": wire.greeting["server"],
            "auth": False,
            "max_upload": None,
            "features": [f for f in FEATURES if f in IMPLEMENTED],  # 1.1 (section 7), in the order of FEATURES
        }
        assert wire.greeting["server"].startswith("ferry/")


def test_quit_answers_ok_then_closes(server):
    with Wire(server.address) as wire:
        assert wire.request({"op": "quit"}) == {"ok": True}
        assert wire.closed()


def test_cr_before_lf_is_ignored(server):
    with Wire(server.address) as wire:
        assert wire.request(b'{"op":"list"}\r\n')["ok"] is True


def test_two_requests_in_one_segment_are_answered_in_order(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    with Wire(server.address) as wire:
        wire.send(b'{"op":"get","name":"a.txt"}\n{"op":"stat","name":"a.txt"}\n{"op":"quit"}\n')
        first = wire.header()
        assert first["length"] == 5 and wire.body(5) == b"alpha"
        assert wire.header()["sha256"] == sha(b"alpha")
        assert wire.header() == {"ok": True}


def test_header_split_byte_by_byte(server, library):
    (library / "a.txt").write_bytes(b"alpha")
    with Wire(server.address) as wire:
        wire.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in b'{"op": "stat", "name": "a.txt"}\n':
            wire.send(bytes([byte]))
            time.sleep(0.001)
        assert wire.header()["size"] == 5


def test_put_header_and_body_in_one_segment(server, library):
    with Wire(server.address) as wire:
        wire.send(b'{"op":"put","name":"b.bin","size":3}\nxyz{"op":"list"}\n')
        assert wire.header() == {"ok": True, "ready": True}
        assert wire.header()["sha256"] == sha(b"xyz")
        assert wire.header()["count"] == 1
    assert (library / "b.bin").read_bytes() == b"xyz"


# -- list ---------------------------------------------------------------------


def test_list_shows_only_valid_regular_files_sorted_by_code_point(server, library):
    for name in ["b.txt", "a.txt", "Z.txt", "é.txt", "日本.txt"]:
        (library / name).write_bytes(name.encode())
    (library / ".hidden").write_bytes(b"h")
    (library / "folder").mkdir()
    (library / "link-in").symlink_to(library / "a.txt")
    (library / "link-out").symlink_to("/etc/passwd")
    os.mkfifo(library / "fifo")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(library / "sock"))
    os.close(os.open(os.path.join(os.fsencode(library), b"bad-\xff.txt"), os.O_CREAT | os.O_WRONLY))
    with Wire(server.address) as wire:
        entries = listing(wire)
    unix.close()
    names = [e["name"] for e in entries]
    assert names == sorted(["b.txt", "a.txt", "Z.txt", "é.txt", "日本.txt"])
    entry = entries[names.index("a.txt")]
    assert entry["size"] == len("a.txt") and isinstance(entry["mtime"], float)


def test_list_of_empty_library(server):
    with Wire(server.address) as wire:
        response = wire.request({"op": "list"})
        assert response == {"ok": True, "count": 0, "length": 0}


# -- stat and get ------------------------------------------------------------


def test_stat(server, library):
    data = os.urandom(100_000)
    (library / "r.bin").write_bytes(data)
    with Wire(server.address) as wire:
        response = wire.request({"op": "stat", "name": "r.bin"})
    assert response["ok"] is True and response["name"] == "r.bin" and response["size"] == len(data)
    assert response["sha256"] == sha(data)
    assert response["mtime"] == pytest.approx((library / "r.bin").stat().st_mtime)


def test_stat_sees_a_changed_file(server, library):
    path = library / "c.txt"
    path.write_bytes(b"one")
    with Wire(server.address) as wire:
        assert wire.request({"op": "stat", "name": "c.txt"})["sha256"] == sha(b"one")
        path.write_bytes(b"two!")
        assert wire.request({"op": "stat", "name": "c.txt"})["sha256"] == sha(b"two!")


def test_get_whole_and_from_offsets(server, library):
    data = os.urandom(300_000)
    (library / "g.bin").write_bytes(data)
    with Wire(server.address) as wire:
        for offset in (0, 1, 299_999, 300_000):
            header = {"op": "get", "name": "g.bin"} if offset == 0 else {"op": "get", "name": "g.bin", "offset": offset}
            response = wire.request(header)
            assert response["ok"] is True
            assert (response["size"], response["offset"], response["length"]) == (len(data), offset, len(data) - offset)
            assert wire.body(response["length"]) == data[offset:]
        assert wire.error({"op": "get", "name": "g.bin", "offset": 300_001}) == "bad_request"


@pytest.mark.parametrize("op", ["stat", "get"])
def test_things_that_are_not_listed_files_are_not_found(server, library, op):
    (library / "folder").mkdir()
    (library / "real.txt").write_text("x")
    (library / "link").symlink_to(library / "real.txt")
    (library / "outside").symlink_to("/etc/passwd")
    os.mkfifo(library / "fifo")
    with Wire(server.address) as wire:
        for name in ["missing", "folder", "link", "outside", "fifo"]:
            assert wire.error({"op": op, "name": name}) == "not_found", name
        assert wire.request({"op": op, "name": "real.txt"})["ok"] is True


# "a/b" is a path since 1.1 (7.1): see test_version_1_1_gate.py
@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "a//b", "a/", "a\\b", "a\x00b", "a\x01", ".hidden", "", "x" * 256, ".."])
def test_bad_names_for_every_op(server, name):
    with Wire(server.address) as wire:
        assert wire.error({"op": "stat", "name": name}) == "bad_name"
        assert wire.error({"op": "get", "name": name}) == "bad_name"
        assert wire.error({"op": "put", "name": name, "size": 1}) == "bad_name"
        assert wire.request({"op": "list"})["ok"] is True  # still usable


def test_name_of_255_bytes_works(server, library):
    name = "n" * 251 + ".txt"
    with Wire(server.address) as wire:
        assert upload(wire, name, b"long")["ok"] is True
        assert wire.request({"op": "stat", "name": name})["size"] == 4


def _drop_root_file_powers() -> None:
    """Root reads any file; without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (dropped
    from the bounding set, so exec keeps them dropped) it obeys file modes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_unreadable_file_is_listed_and_get_is_io_error(server_factory, library):
    (library / "secret.txt").write_text("s")
    (library / "secret.txt").chmod(0)
    (library / "open.txt").write_text("o")
    server = server_factory("--workers", "1", preexec_fn=_drop_root_file_powers if os.geteuid() == 0 else None)
    with Wire(server.address) as wire:
        assert [e["name"] for e in listing(wire)] == ["open.txt", "secret.txt"]
        assert wire.error({"op": "get", "name": "secret.txt"}) == "io_error"
        assert wire.error({"op": "stat", "name": "secret.txt"}) == "io_error"
        assert wire.request({"op": "get", "name": "open.txt"})["length"] == 1


# -- put ----------------------------------------------------------------------


def test_put_then_get(server, library):
    data = os.urandom(2_000_000)
    with Wire(server.address) as wire:
        final = upload(wire, "new.bin", data, sha256=sha(data).upper())
        assert final == {"ok": True, "name": "new.bin", "size": len(data), "sha256": sha(data)}
        response = wire.request({"op": "get", "name": "new.bin"})
        assert wire.body(response["length"]) == data
    assert (library / "new.bin").read_bytes() == data
    assert os.listdir(library / ".ferry-uploads") == []


def test_empty_upload(server, library):
    with Wire(server.address) as wire:
        assert upload(wire, "empty", b"")["sha256"] == sha(b"")
    assert (library / "empty").read_bytes() == b""


def test_put_existing_name_is_exists_unless_overwrite(server, library):
    (library / "x.txt").write_bytes(b"old")
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "x.txt", "size": 3}) == "exists"
        assert (library / "x.txt").read_bytes() == b"old"
        assert upload(wire, "x.txt", b"new", overwrite=True)["ok"] is True
    assert (library / "x.txt").read_bytes() == b"new"


def test_overwrite_onto_a_folder_is_exists(server, library):
    (library / "dir").mkdir()
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "dir", "size": 1, "overwrite": True}) == "exists"
        assert wire.error({"op": "put", "name": "dir", "size": 1}) == "exists"


def test_overwrite_replaces_a_symlink_without_following_it(server, library, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    (library / "link").symlink_to(outside)
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "link", "size": 1}) == "exists"
        assert upload(wire, "link", b"Z", overwrite=True)["ok"] is True
    assert outside.read_bytes() == b"keep me"
    assert not (library / "link").is_symlink() and (library / "link").read_bytes() == b"Z"


def test_checksum_mismatch_stores_nothing_and_session_goes_on(server, library):
    with Wire(server.address) as wire:
        final = upload(wire, "bad.bin", b"abc", sha256=sha(b"abd"))
        assert final["ok"] is False and final["error"] == "checksum_mismatch"
        assert listing(wire) == []
    assert os.listdir(library) == [".ferry-uploads"]
    assert os.listdir(library / ".ferry-uploads") == []


def test_read_only(server_factory, library):
    server = server_factory("--read-only")
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "a", "size": 1}) == "read_only"
        assert wire.error({"op": "put", "name": "../a", "size": 1}) == "bad_name"  # bad_name outranks read_only
        assert wire.error({"op": "put", "name": "a", "size": -1}) == "bad_request"


def test_too_large(server_factory):
    server = server_factory("--max-upload", "10")
    with Wire(server.address) as wire:
        assert wire.greeting["max_upload"] == 10
        assert wire.error({"op": "put", "name": "a", "size": 11}) == "too_large"
        assert upload(wire, "a", b"0123456789")["ok"] is True


def test_no_space_before_ready(server):
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "huge", "size": 2**62}) == "no_space"


def test_no_space_during_upload_discards_the_rest_and_keeps_the_session(server_factory, library):
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    server = server_factory("--workers", "1", preexec_fn=limit_file_size)
    data = os.urandom(3_000_000)
    with Wire(server.address) as wire:
        final = upload(wire, "big.bin", data)
        assert final["ok"] is False and final["error"] == "no_space"
        assert upload(wire, "small.bin", b"fits")["ok"] is True
    assert sorted(os.listdir(library)) == [".ferry-uploads", "small.bin"]
    assert os.listdir(library / ".ferry-uploads") == []


# -- malformed requests -------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"\n",
        b"   \n",
        b"not json\n",
        b"[1,2]\n",
        b'"list"\n',
        b"{}\n",
        b'{"op": 5}\n',
        b'{"op": "list", "op": "list"}\n',
        b'{"op": "get", "name": "a", "offset": NaN}\n',
        b'{"op": "get", "name": "a", "offset": 1e999}\n',
        b'{"op": "get", "name": "a", "offset": true}\n',
        b'{"op": "get", "name": "a", "offset": null}\n',
        b'{"op": "put", "name": "a", "size": 1.0}\n',
        b'{"op": "put", "name": "a", "size": -5}\n',
        b'{"op": "put", "name": "a", "size": 1, "sha256": "xyz"}\n',
        b'{"op": "list", "junk": "\xff"}\n',
        b"[" * 60_000 + b"\n",
    ],
)
def test_malformed_requests_are_bad_request_and_the_session_survives(server, line):
    with Wire(server.address) as wire:
        assert wire.error(line) == "bad_request"
        assert wire.request({"op": "list"})["ok"] is True


def test_unknown_op_and_unknown_fields(server):
    with Wire(server.address) as wire:
        assert wire.error({"op": "chmod", "name": "a"}) == "unknown_op"
        assert wire.request({"op": "list", "future": {"x": [1]}})["ok"] is True


def test_header_too_large_closes(server):
    with Wire(server.address) as wire:
        wire.send(b'{"op":"list","pad":"' + b"x" * 70_000)
        response = wire.header()
        assert response["error"] == "header_too_large"
        assert wire.closed()


# -- limits -------------------------------------------------------------------


def test_idle_timeout_closes_with_timeout(server_factory):
    server = server_factory("--idle-timeout", "1")
    with Wire(server.address) as wire:
        wire.send(b'{"op":"li')  # a header that never completes still times out
        started = time.monotonic()
        assert wire.header()["error"] == "timeout"
        assert wire.closed()
        assert time.monotonic() - started < 5


def test_stalled_upload_body_times_out_and_leaves_nothing(server_factory, library):
    server = server_factory("--idle-timeout", "1")
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "slow", "size": 100})["ready"] is True
        wire.send(b"x" * 10)
        assert wire.header()["error"] == "timeout"
        assert wire.closed()
    assert os.listdir(library) == [".ferry-uploads"]
    assert os.listdir(library / ".ferry-uploads") == []


def test_busy_at_connection_limit(server_factory):
    server = server_factory("--max-connections", "2", "--workers", "1")
    first, second = Wire(server.address), Wire(server.address)
    with Wire(server.address, greet=False) as third:
        response = third.header()
        assert response["ok"] is False and response["error"] == "busy"
        assert third.closed()
    first.close()
    second.close()

    def can_connect() -> bool:
        with Wire(server.address, greet=False) as again:
            return "ferry" in again.header()

    deadline = time.monotonic() + 5
    while not can_connect():
        assert time.monotonic() < deadline
        time.sleep(0.05)


# -- auth ---------------------------------------------------------------------


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("s3cret-tökén\n")
    path.chmod(0o600)
    return path


def test_auth_required(server_factory, token_file, library):
    (library / "a.txt").write_text("a")
    server = server_factory("--token-file", str(token_file))
    with Wire(server.address) as wire:
        assert wire.greeting["auth"] is True
        assert wire.error({"op": "list"}) == "unauthorized"
        assert wire.error({"op": "nope"}) == "unknown_op"  # unknown_op outranks unauthorized
        assert wire.error({"op": "stat", "name": 5}) == "unauthorized"  # ... which outranks field errors
        assert wire.request({"op": "auth", "token": "s3cret-tökén"}) == {"ok": True}
        assert wire.request({"op": "stat", "name": "a.txt"})["ok"] is True
    assert "s3cret" not in server.log()


def test_three_wrong_tokens_close_the_connection(server_factory, token_file):
    server = server_factory("--token-file", str(token_file))
    with Wire(server.address) as wire:
        assert wire.error({"op": "auth", "token": "wrong"}) == "unauthorized"
        assert wire.error({"op": "auth", "token": "\ud800"}) == "unauthorized"
        assert wire.error({"op": "auth", "token": ""}) == "unauthorized"
        assert wire.closed()


def test_success_does_not_reset_the_failure_count(server_factory, token_file):
    server = server_factory("--token-file", str(token_file))
    with Wire(server.address) as wire:
        assert wire.error({"op": "auth", "token": "a"}) == "unauthorized"
        assert wire.error({"op": "auth", "token": "b"}) == "unauthorized"
        assert wire.request({"op": "auth", "token": "s3cret-tökén"})["ok"] is True
        assert wire.error({"op": "auth", "token": "c"}) == "unauthorized"
        assert wire.closed()


def test_token_for_write_only(server_factory, token_file, library):
    (library / "a.txt").write_text("a")
    server = server_factory("--token-file", str(token_file), "--token-for", "write")
    with Wire(server.address) as wire:
        assert wire.greeting["auth"] == "write"
        assert wire.request({"op": "get", "name": "a.txt"})["ok"] is True
        wire.body(1)
        assert wire.error({"op": "put", "name": "b", "size": 1}) == "unauthorized"
        assert wire.request({"op": "auth", "token": "s3cret-tökén"})["ok"] is True
        assert upload(wire, "b", b"b")["ok"] is True


def test_token_from_environment(server_factory):
    server = server_factory(env={**os.environ, "FERRY_TOKEN": "envtoken"})
    with Wire(server.address) as wire:
        assert wire.greeting["auth"] is True
        assert wire.request({"op": "auth", "token": "envtoken"})["ok"] is True


def test_auth_on_a_server_without_token_succeeds(server):
    with Wire(server.address) as wire:
        assert wire.request({"op": "auth", "token": "anything"}) == {"ok": True}


def test_token_file_readable_by_others_gets_a_warning(server_factory, tmp_path):
    loose = tmp_path / "loose-token"
    loose.write_text("t0ken")
    loose.chmod(0o644)
    server = server_factory("--token-file", str(loose))
    assert "can be read by other users" in server.log()
    assert "t0ken" not in server.log()


def test_missing_token_file_is_a_clear_startup_error(tmp_path, library):
    from tests.server_process import ServerProcess

    server = ServerProcess(library, "--token-file", str(tmp_path / "nope"))
    with pytest.raises(RuntimeError):
        server.start()
    assert server.proc.wait(10) == 2
    assert "cannot read token file" in server.log()


def test_uploads_without_fsync_are_just_as_atomic(server_factory, library):
    server = server_factory("--no-fsync", "--workers", "1")
    with Wire(server.address) as wire:
        assert upload(wire, "quick.bin", b"q" * 5000)["sha256"] == sha(b"q" * 5000)
        assert wire.error({"op": "put", "name": "quick.bin", "size": 1}) == "exists"
        final = upload(wire, "bad.bin", b"abc", sha256=sha(b"abd"))
        assert final["error"] == "checksum_mismatch"
        assert upload(wire, "quick.bin", b"new", overwrite=True)["ok"] is True
    assert (library / "quick.bin").read_bytes() == b"new"
    assert sorted(os.listdir(library)) == [".ferry-uploads", "quick.bin"]
    assert os.listdir(library / ".ferry-uploads") == []
