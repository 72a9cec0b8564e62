"""Hardening matrix, a malicious server on the client side (issue 5): hostile
names, bodies shorter or longer than announced, absurd numbers, endless or
deeply nested headers. The client library raises a FerryError, never anything
else, never hangs past its timeout, and never writes outside the folder the user
chose (tests/test_client.py has the first rows; these extend them).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
from ferry_files.shared.client import ConnectionLost, FerryClient, RemoteFile, RemoteFolder
from ferry_files.shared.errors import ErrorCode, FerryError

from tests.fake_server import EvilServer, header, replies


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """(the chosen download folder, a folder beside it that must stay untouched)."""
    chosen, beside = tmp_path / "downloads", tmp_path / "beside"
    chosen.mkdir()
    beside.mkdir()
    (beside / "precious.txt").write_bytes(b"precious")
    return chosen, beside


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def untouched(tmp_path: Path, chosen: Path, allowed: list[str]) -> None:
    assert tree(tmp_path) == sorted(["beside", "beside/precious.txt", "downloads", *[f"downloads/{n}" for n in allowed]])
    assert (tmp_path / "beside" / "precious.txt").read_bytes() == b"precious"


def get_reply(name: str, body: bytes, *, size: int | None = None, length: int | None = None, offset: int = 0) -> bytes:
    size = len(body) if size is None else size
    length = size - offset if length is None else length
    return header({"ok": True, "name": name, "size": size, "mtime": 0.0, "offset": offset, "length": length}) + body


# -- names ----------------------------------------------------------------------------------

HOSTILE_NAMES = ["../../x", "../x", "/etc/passwd", "/abs", "..", ".", "a/b", "a\\b", "a\u0000b", "a\nb", ".bashrc", "\ud800", "x" * 256, ""]


def test_hostile_names_in_a_listing_are_dropped_and_valid_ones_land_inside(tmp_path, sandbox):
    chosen, _ = sandbox
    names = HOSTILE_NAMES + ["ok.txt", "CON", "a:b?.txt", "trailing. "]
    body = b"".join(json.dumps({"name": n, "size": 2, "mtime": 0.0}).encode() + b"\n" for n in names)
    listing = header({"ok": True, "count": len(names), "length": len(body)}) + body
    valid = ["ok.txt", "CON", "a:b?.txt", "trailing. "]
    fake = EvilServer(replies(listing, *[get_reply(n, b"ok") for n in valid]))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        listed = [f.name for f in client.list()]
        assert listed == valid
        for name in listed:
            path = client.get(name, chosen)
            assert path.parent == chosen.resolve()
    fake.close()
    untouched(tmp_path, chosen, ["_CON", "a_b_.txt", "ok.txt", "trailing"])


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n)[:20])
def test_a_hostile_name_is_refused_before_anything_is_sent_or_written(tmp_path, sandbox, name):
    chosen, _ = sandbox
    fake = EvilServer(replies(get_reply("x", b"evil")))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.get(name, chosen)
        assert info.value.code is ErrorCode.BAD_NAME
    fake.close()
    untouched(tmp_path, chosen, [])


def test_the_name_in_a_get_response_is_never_used_as_a_path(tmp_path, sandbox):
    chosen, _ = sandbox
    fake = EvilServer(replies(get_reply("../beside/precious.txt", b"overwritten!"), get_reply("/tmp/evil", b"abs")))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        assert client.get("a.txt", chosen).read_bytes() == b"overwritten!"
        assert client.get("b.txt", chosen).read_bytes() == b"abs"
    fake.close()
    untouched(tmp_path, chosen, ["a.txt", "b.txt"])
    assert not Path("/tmp/evil").exists()


def test_a_symlink_at_the_final_name_is_replaced_not_written_through(tmp_path, sandbox):
    chosen, beside = sandbox
    os.symlink(beside / "precious.txt", chosen / "f.txt")
    fake = EvilServer(replies(get_reply("f.txt", b"new")))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        client.get("f.txt", chosen)
    fake.close()
    assert not (chosen / "f.txt").is_symlink() and (chosen / "f.txt").read_bytes() == b"new"
    assert (beside / "precious.txt").read_bytes() == b"precious"


def test_a_symlink_at_the_old_part_name_is_left_alone(tmp_path, sandbox):
    chosen, beside = sandbox
    os.symlink(beside / "precious.txt", chosen / "f.txt.part")
    fake = EvilServer(replies(get_reply("f.txt", b"new")))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        assert client.get("f.txt", chosen).read_bytes() == b"new"
    fake.close()
    assert os.readlink(chosen / "f.txt.part") == str(beside / "precious.txt")
    assert (beside / "precious.txt").read_bytes() == b"precious"


# -- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("resume", [False, True])
def test_body_shorter_than_announced_is_a_failed_transfer(tmp_path, sandbox, resume):
    chosen, _ = sandbox
    fake = EvilServer(replies(get_reply("f", b"x" * 1000, size=5000)))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(ConnectionLost):
            client.get("f", chosen, resume=resume)
    fake.close()
    kept = os.listdir(chosen)
    untouched(tmp_path, chosen, kept)
    assert len(kept) == resume  # a resumable partial only, never "f"
    if resume:
        assert kept[0].startswith(".ferry-") and (chosen / kept[0]).read_bytes() == b"x" * 1000


def test_huge_announced_size_then_close_leaves_nothing(tmp_path, sandbox):
    chosen, _ = sandbox
    fake = EvilServer(replies(get_reply("f", b"tiny", size=2**62)))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(ConnectionLost):
            client.get("f", chosen)
    fake.close()
    untouched(tmp_path, chosen, [])


def test_body_longer_than_announced_is_cut_at_length_and_the_rest_is_refused(tmp_path, sandbox):
    chosen, _ = sandbox
    fake = EvilServer(replies(get_reply("f", b"exact") + b"SURPLUS BYTES\n"))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        assert client.get("f", chosen).read_bytes() == b"exact"
        with pytest.raises(FerryError) as info:
            client.list()  # the surplus is read as the next header: not a response
        assert info.value.code is ErrorCode.BAD_REQUEST
    fake.close()
    untouched(tmp_path, chosen, ["f"])


@pytest.mark.parametrize(
    "reply",
    [
        header({"ok": True, "name": "f", "size": -1, "mtime": 0.0, "offset": 0, "length": -1}),
        header({"ok": True, "name": "f", "size": True, "mtime": 0.0, "offset": 0, "length": True}) + b"x",
        header({"ok": True, "name": "f", "size": 1.5, "mtime": 0.0, "offset": 0, "length": 1.5}) + b"xx",
        header({"ok": True, "name": "f", "size": "9", "mtime": 0.0, "offset": 0, "length": "9"}) + b"x" * 9,
        header({"ok": True, "name": "f", "size": 10, "mtime": 0.0, "offset": 5, "length": 5}) + b"x" * 5,
        header({"ok": True, "name": "f", "size": 10, "mtime": 0.0, "offset": 0, "length": 20}) + b"x" * 20,
        header({"ok": True, "name": "f", "size": 2**64, "mtime": 0.0, "offset": 0, "length": 2**64}),
        header({"ok": True}),
        header({"ok": "yes", "length": 1}) + b"x",
        b'{"ok": true, "ok": true, "size": 1, "offset": 0, "length": 1}\nx',
        b'{"ok": true, "size": NaN, "offset": 0, "length": NaN}\n',
        b"[1, 2, 3]\n",
        b"\xff\xfe\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
    ],
    ids=lambda r: r[:40].decode(errors="replace"),
)
def test_malformed_get_responses_are_ferry_errors_and_write_nothing(tmp_path, sandbox, reply):
    chosen, _ = sandbox
    fake = EvilServer(replies(reply))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError):
            client.get("f", chosen)
    fake.close()
    untouched(tmp_path, chosen, [])


# -- headers --------------------------------------------------------------------------------


def endless(conn: socket.socket, reader) -> None:
    reader.readline()
    chunk = b"x" * 65536
    for _ in range(160):  # 10 MiB without an LF, unless the client hangs up first
        conn.sendall(chunk)


@pytest.mark.parametrize(
    "greeting, code",
    [
        # Each opens a JSON object: first bytes that do not are refused before any parsing (wrong_server.py).
        (b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", ErrorCode.HEADER_TOO_LARGE),
        (b'{"x":' + b"[" * 60_000 + b"]" * 60_000 + b"}\n", ErrorCode.HEADER_TOO_LARGE),
        (b'{"x":' + b"[" * 30_000 + b"]" * 30_000 + b"}\n", ErrorCode.BAD_REQUEST),
        (b'{"ferry":1,"x":' + b"[" * 30_000 + b"\n", ErrorCode.BAD_REQUEST),
        (b'{"ferry":2,"server":"future"}\n', ErrorCode.BAD_REQUEST),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "not_ferry"),
        (b'{"ferry":1,"ferry":1}\n', ErrorCode.BAD_REQUEST),
        (b'{"ferry":1,"max_upload":1e999}\n', ErrorCode.BAD_REQUEST),
        (b"{" + b"x" * 200_000, ErrorCode.HEADER_TOO_LARGE),
    ],
    ids=lambda g: repr(g)[:30],
)
def test_hostile_greetings_are_ferry_errors(greeting, code):
    fake = EvilServer(lambda conn, reader: None, greeting=greeting)
    with pytest.raises(FerryError) as info:
        FerryClient.connect(*fake.address, timeout=5)
    assert info.value.code == code
    fake.close()


def test_an_endless_response_header_is_cut_off_at_the_header_limit(tmp_path, sandbox):
    chosen, _ = sandbox
    fake = EvilServer(endless)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.get("f", chosen)
        assert info.value.code is ErrorCode.HEADER_TOO_LARGE
    fake.close()
    untouched(tmp_path, chosen, [])


@pytest.mark.parametrize(
    "body",
    [
        b"not json\n",
        b'{"name":"a","size":-1,"mtime":0}\n',
        b'{"name":"a","size":1,"mtime":"yesterday"}\n',
        b'{"name":5,"size":1,"mtime":0}\n',
        b"[]\n",
        b"\xff\n",
        b'{"name":"a","size":1,"mtime":0,"name":"b"}\n',
        b'{"name":"a","name":"b","size":1,"mtime":0}\n',
        b'{"size":1,"name":"a","mtime":0,"size":2}\n',
        b'[["name","a"],["size",1],["mtime",0.5]]\n',
        b'{"name":"a","size":1,"mtime":NaN}\n',
        b'{"name":"a","size":1,"mtime":1e999}\n',
        b'{"name":"a","size":1,"mtime":-1e999}\n',
        b'{"name":"a","size":1,"mtime":1' + b"0" * 400 + b"}\n",
        b'{"name":"a","size":true,"mtime":0}\n',
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
    ],
    ids=lambda b: repr(b[:30]),
)
def test_malformed_list_entries_are_a_ferry_error(body):
    fake = EvilServer(replies(header({"ok": True, "count": 1, "length": len(body)}) + body))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.list()
        assert info.value.code is ErrorCode.BAD_REQUEST
    fake.close()


FOLDERS_GREETING = b'{"ferry":1,"server":"evil","auth":false,"max_upload":null,"features":["folders"]}\n'


@pytest.mark.parametrize(
    "body",
    [  # the field order of a Ferry server's folder listing (the client's fast path), with wrong values
        b'{"name":"a","type":"file","size":-1,"mtime":0}\n',
        b'{"name":"a","type":"file","size":1.5,"mtime":0}\n',
        b'{"name":"a","type":"file","size":false,"mtime":0}\n',
        b'{"name":"a","type":"file","size":1,"mtime":"now"}\n',
        b'{"name":"a","type":"file","size":1,"mtime":1e999}\n',
        b'{"name":["a"],"type":"file","size":1,"mtime":0}\n',
        b'{"name":"a","type":"dir","mtime":null}\n',
        b'{"name":"a","type":"dir","mtime":1' + b"0" * 400 + b"}\n",
        b'{"name":7,"type":"dir","mtime":0}\n',
        b'{"name":"a","type":"file","size":1,"mtime":0,"name":"b"}\n',
        b'{"name":"a","type":"dir","mtime":0,"type":"file"}\n',
        b'{"name":"a","type":"file","mtime":0}\n',
        b'{"name":"a","type":5,"size":1,"mtime":0}\n',
    ],
    ids=lambda b: repr(b[:50]),
)
def test_malformed_folder_listing_entries_are_a_ferry_error(body):
    fake = EvilServer(replies(header({"ok": True, "count": 1, "length": len(body)}) + body), greeting=FOLDERS_GREETING)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.list("", folders=True)
        assert info.value.code is ErrorCode.BAD_REQUEST
    fake.close()


def test_a_folder_listing_keeps_valid_names_and_drops_the_rest():
    """One hostile name among valid ones costs only that entry (the names are
    checked all at once first, one by one only when that fails)."""
    names = ["a", "a/b", "..", ".hidden", "b\nc", "x" * 256, "é" * 60, "d"]
    body = b"".join(json.dumps({"name": n, "type": "file", "size": 1, "mtime": 0.5}).encode() + b"\n" for n in names)
    body += b'{"name":"sub","type":"dir","mtime":2.5}\n{"name":"sub/x","type":"dir","mtime":2.5}\n'
    fake = EvilServer(replies(header({"ok": True, "count": len(names) + 2, "length": len(body)}) + body), greeting=FOLDERS_GREETING)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        listed = client.list("", folders=True)
    fake.close()
    assert listed == [RemoteFile("a", 1, 0.5), RemoteFile("é" * 60, 1, 0.5), RemoteFile("d", 1, 0.5), RemoteFolder("sub", 2.5)]


def test_list_entries_in_any_key_order_with_unknown_fields_are_read():
    body = (
        b'{"mtime":1.5,"size":3,"name":"b","owner":{"k":1,"k":2},"tags":[1,2]}\n'
        b'{"name":"a","size":0,"mtime":7}\n'
        b'{"name":"c","extra":null,"size":9,"mtime":2.25}\n'
    )
    fake = EvilServer(replies(header({"ok": True, "count": 3, "length": len(body)}) + body))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        listed = client.list()
    fake.close()
    assert [(f.name, f.size, f.mtime) for f in listed] == [("b", 3, 1.5), ("a", 0, 7.0), ("c", 9, 2.25)]
    assert all(type(f.mtime) is float for f in listed)


def test_a_list_body_shorter_than_announced_is_connection_lost():
    fake = EvilServer(replies(header({"ok": True, "count": 1, "length": 1000}) + b'{"name":"a"'))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(ConnectionLost):
            client.list()
    fake.close()


def test_unknown_error_codes_and_odd_messages_still_raise_ferry_error():
    fake = EvilServer(replies(header({"ok": False, "error": "evil_code", "message": ["not", "text"]}), header({"ok": False, "error": 7})))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.stat("a")
        assert info.value.code == "evil_code" and info.value.message == ""
        with pytest.raises(FerryError) as info:
            client.stat("a")
        assert info.value.code is ErrorCode.BAD_REQUEST
    fake.close()


def test_a_server_that_stores_other_bytes_is_caught_by_the_checksum(tmp_path):
    source = tmp_path / "up.bin"
    source.write_bytes(b"what I sent")

    def lying(conn: socket.socket, reader) -> None:
        request = json.loads(reader.readline())
        conn.sendall(header({"ok": True, "ready": True}))
        reader.read(request["size"])
        conn.sendall(header({"ok": True, "name": request["name"], "size": request["size"], "sha256": "0" * 64}))

    fake = EvilServer(lying)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.put(source)
        assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    fake.close()


def test_a_download_that_does_not_match_the_servers_own_sha256_is_deleted(tmp_path, sandbox):
    chosen, _ = sandbox
    stat = header({"ok": True, "name": "f", "size": 4, "mtime": 0.0, "sha256": "f" * 64})
    fake = EvilServer(replies(stat, get_reply("f", b"evil")))
    with FerryClient.connect(*fake.address, timeout=5) as client:
        with pytest.raises(FerryError) as info:
            client.get("f", chosen, verify=True)
        assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    fake.close()
    untouched(tmp_path, chosen, [])


def test_a_server_that_goes_silent_is_a_timeout_not_a_hang(tmp_path, sandbox):
    chosen, _ = sandbox
    gate = threading.Event()
    fake = EvilServer(lambda conn, reader: gate.wait(10))
    with FerryClient.connect(*fake.address, timeout=1) as client:
        with pytest.raises(ConnectionLost):
            client.get("f", chosen)
    gate.set()
    fake.close()
    untouched(tmp_path, chosen, [])
