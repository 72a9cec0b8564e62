"""The blocking client library: transfers, resume, cancel, errors, and a
malicious server that must not make it write outside the chosen folder."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from pathlib import Path

import pytest

from shared.client import PART_SUFFIX, ConnectionLost, FerryClient, TransferCancelled
from shared.errors import ErrorCode, FerryError
from tests.fake_server import EvilServer, header, replies
from tests.server_process import wait_for


@pytest.fixture
def client(server):
    with FerryClient.connect(*server.address) as c:
        yield c


def test_round_trip_with_progress(client, tmp_path, library):
    data = os.urandom(3_000_000)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    seen: list[tuple[int, int]] = []
    uploaded = client.put(source, progress=lambda done, total: seen.append((done, total)))
    assert uploaded.sha256 == hashlib.sha256(data).hexdigest()
    assert seen[0] == (0, len(data)) and seen[-1] == (len(data), len(data))
    out = tmp_path / "out"
    out.mkdir()
    seen.clear()
    path = client.get("source.bin", out, verify=True, progress=lambda d, t: seen.append((d, t)))
    assert path == out / "source.bin" and path.read_bytes() == data
    assert seen[-1] == (len(data), len(data))
    assert not (out / ("source.bin" + PART_SUFFIX)).exists()


def test_server_errors_carry_code_and_message(client, tmp_path):
    with pytest.raises(FerryError) as info:
        client.stat("missing")
    assert info.value.code is ErrorCode.NOT_FOUND and "missing" in info.value.message
    (tmp_path / "x").write_bytes(b"x")
    client.put(tmp_path / "x")
    with pytest.raises(FerryError) as info:
        client.put(tmp_path / "x")
    assert info.value.code is ErrorCode.EXISTS
    assert client.put(tmp_path / "x", overwrite=True).size == 1


def test_bad_names_are_refused_before_sending(client, tmp_path):
    for name in ("../x", "/etc/passwd", ".hidden"):
        with pytest.raises(FerryError) as info:
            client.get(name, tmp_path)
        assert info.value.code is ErrorCode.BAD_NAME
    assert client.list() == []  # the session is still fine


def test_resume_continues_a_partial_download(client, library, tmp_path):
    data = os.urandom(2_000_000)
    (library / "r.bin").write_bytes(data)
    (tmp_path / ("r.bin" + PART_SUFFIX)).write_bytes(data[:700_000])
    seen: list[int] = []
    path = client.get("r.bin", tmp_path, resume=True, verify=True, progress=lambda d, t: seen.append(d))
    assert path.read_bytes() == data
    assert seen[0] == 700_000


def test_resume_from_a_corrupt_partial_fails_verification_and_removes_it(client, library, tmp_path):
    data = os.urandom(100_000)
    (library / "r.bin").write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    (out / ("r.bin" + PART_SUFFIX)).write_bytes(b"\0" * 50_000)
    with pytest.raises(FerryError) as info:
        client.get("r.bin", out, resume=True, verify=True)
    assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    assert os.listdir(out) == []


def test_a_partial_file_longer_than_the_remote_one_is_cut_back(client, library, tmp_path):
    data = os.urandom(300_000)
    (library / "r.bin").write_bytes(data)
    (tmp_path / ("r.bin" + PART_SUFFIX)).write_bytes(os.urandom(500_000))  # from an older, larger version
    assert client.get("r.bin", tmp_path, resume=True, verify=True).read_bytes() == data


class _Trickle:
    """A sink that takes at most ``most`` bytes per write, as a raw file may."""

    def __init__(self, most: int) -> None:
        self.most, self.data = most, bytearray()

    def write(self, block) -> int:
        taken = bytes(block[: self.most])
        self.data += taken
        return len(taken)


def test_get_into_a_sink_that_takes_fewer_bytes_than_offered(client, library):
    data = os.urandom(1_500_000)
    (library / "t.bin").write_bytes(data)
    sink = _Trickle(70_001)
    client.get_into("t.bin", sink)
    assert bytes(sink.data) == data
    with pytest.raises(FerryError) as info:
        client.get_into("t.bin", _Trickle(0))
    assert info.value.code == "local_io"


def test_cancelled_download_leaves_no_partial_file_unless_resumable(server, library, tmp_path):
    (library / "big.bin").write_bytes(os.urandom(1 << 20) * 64)
    for resume in (False, True):
        cancel = threading.Event()
        with FerryClient.connect(*server.address) as client:
            with pytest.raises(TransferCancelled):
                client.get("big.bin", tmp_path, resume=resume, cancel=cancel, progress=lambda d, t, cancel=cancel: d > 0 and cancel.set())
        assert (tmp_path / ("big.bin" + PART_SUFFIX)).exists() is resume
        assert not (tmp_path / "big.bin").exists()


def test_cancelled_upload_leaves_nothing_on_the_server(server, library, tmp_path):
    source = tmp_path / "up.bin"
    source.write_bytes(os.urandom(1 << 20) * 64)
    cancel = threading.Event()
    with FerryClient.connect(*server.address) as client:
        with pytest.raises(TransferCancelled):
            client.put(source, cancel=cancel, progress=lambda d, t, cancel=cancel: d > 0 and cancel.set())
    assert wait_for(lambda: os.listdir(library / ".ferry-uploads") == [], timeout=5)
    assert [n for n in os.listdir(library) if not n.startswith(".")] == []


def never_answers(conn, reader) -> None:
    """A server script: take requests and say nothing."""
    while reader.readline():
        pass


def test_abort_from_another_thread_interrupts_a_blocked_call():
    silent = EvilServer(never_answers)
    client = FerryClient.connect(*silent.address)
    threading.Timer(0.2, client.abort).start()
    with pytest.raises(TransferCancelled):
        client.list()  # the server never answers
    silent.close()


def test_unreachable_server_is_a_clear_error():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(FerryError) as info:
        FerryClient.connect("127.0.0.1", port)
    assert info.value.code == "connection_failed" and str(port) in info.value.message


def test_hostile_list_names_are_dropped(tmp_path):
    body = b"".join(header({"name": n, "size": 1, "mtime": 0.0}) for n in ["../../x", "/abs", "ok.txt", "a/b"])
    fake = EvilServer(replies(header({"ok": True, "count": 4, "length": len(body)}) + body))
    with FerryClient.connect(*fake.address) as client:
        assert [f.name for f in client.list()] == ["ok.txt"]
    fake.close()


def test_short_body_is_a_failed_transfer_and_nothing_is_written(tmp_path):
    reply = header({"ok": True, "name": "f", "size": 100, "mtime": 0.0, "offset": 0, "length": 100}) + b"x" * 40
    fake = EvilServer(replies(reply))
    client = FerryClient.connect(*fake.address)
    with pytest.raises(ConnectionLost):
        client.get("f", tmp_path)
    assert os.listdir(tmp_path) == []
    fake.close()


def test_inconsistent_length_is_refused(tmp_path):
    reply = header({"ok": True, "name": "f", "size": 10, "mtime": 0.0, "offset": 0, "length": 99}) + b"x" * 99
    fake = EvilServer(replies(reply))
    client = FerryClient.connect(*fake.address)
    with pytest.raises(FerryError) as info:
        client.get("f", tmp_path)
    assert info.value.code is ErrorCode.BAD_REQUEST
    assert os.listdir(tmp_path) == []
    fake.close()


def test_windows_reserved_and_forbidden_characters_are_made_safe(tmp_path):
    from shared.local_names import local_path, numbered_name, safe_local_name

    assert safe_local_name("CON.txt") == "_CON.txt"
    assert safe_local_name("a:b*c?.txt") == "a_b_c_.txt"
    assert safe_local_name("trailing. ") == "trailing"
    assert local_path(tmp_path, "ok.txt") == Path(tmp_path).resolve() / "ok.txt"
    with pytest.raises(FerryError):
        local_path(tmp_path, "..")
    assert numbered_name("photo.jpg", lambda n: n == "photo (1).jpg") == "photo (2).jpg"
    assert numbered_name("README", lambda n: False) == "README (1)"


def test_a_silent_server_times_out_with_a_clear_error():
    silent = EvilServer(never_answers)
    client = FerryClient.connect(*silent.address, timeout=0.5)
    with pytest.raises(ConnectionLost) as info:
        client.list()
    assert "did not answer in time" in info.value.message
    client.close()
    silent.close()


def test_an_upload_to_a_server_that_stops_reading_times_out_with_a_clear_error(tmp_path):
    stop = threading.Event()

    def ready_then_deaf(conn, reader) -> None:
        reader.readline()
        conn.sendall(header({"ok": True, "ready": True}))
        stop.wait(30)  # reads nothing more: the client's send buffer fills up

    source = tmp_path / "big.bin"
    with open(source, "wb") as f:
        f.truncate(256 << 20)  # sparse: far more than loopback's socket buffers hold
    deaf = EvilServer(ready_then_deaf)
    client = FerryClient.connect(*deaf.address, timeout=0.5)
    with pytest.raises(ConnectionLost) as info:
        client.put(source, checksum=False)
    assert "did not answer in time" in info.value.message
    stop.set()
    deaf.close()
