"""The blocking client library: transfers, resume, cancel, errors, and a
malicious server that must not make it write outside the chosen folder."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from ferry_files.shared.client import ConnectionLost, FerryClient, TransferCancelled
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.partial_downloads import TEMP_PREFIX, TEMP_SUFFIX

from tests.fake_server import EvilServer, header, replies
from tests.server_process import wait_for
from tests.terminal_support import http_server


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
    assert os.listdir(out) == ["source.bin"]  # no temp file left


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
        assert bool(hidden(tmp_path)) is resume
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
    from ferry_files.shared.local_names import local_path, numbered_name, safe_local_name

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


# -- temp files and resume records (issue 10, items 4 and 5) ------------------------


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("order", [["x", "x.part"], ["x.part", "x"]])
def test_a_batch_of_x_and_x_part_downloads_both_intact(client, library, tmp_path, order):
    (library / "x").write_bytes(b"the file x")
    (library / "x.part").write_bytes(b"the file x.part, not a partial x")
    out = tmp_path / "out"
    out.mkdir()
    for name in order:
        for resume in (False, True):
            client.get(name, out, resume=resume, verify=resume)
    assert listing(out) == {"x": b"the file x", "x.part": b"the file x.part, not a partial x"}


@pytest.mark.parametrize("resume", [False, True])
def test_a_users_unrelated_part_file_is_never_touched(client, library, tmp_path, resume):
    data = os.urandom(200_000)
    (library / "report.pdf").write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "report.pdf.part"
    mine.write_bytes(b"my own notes, nothing to do with Ferry")
    os.utime(mine, (1_600_000_000, 1_600_000_000))
    assert client.get("report.pdf", out, resume=resume, verify=True).read_bytes() == data
    assert mine.read_bytes() == b"my own notes, nothing to do with Ferry"
    assert mine.stat().st_mtime == 1_600_000_000
    assert sorted(os.listdir(out)) == ["report.pdf", "report.pdf.part"]


@pytest.mark.parametrize("name", ["n" * 251 + ".txt", "é" * 127 + "x"], ids=["ascii", "two-byte"])
def test_a_name_of_255_bytes_is_listed_and_downloads(client, library, tmp_path, name):
    assert len(name.encode()) == 255
    (library / name).write_bytes(b"long name")
    assert [f.name for f in client.list()] == [name]
    out = tmp_path / "out"
    out.mkdir()
    for resume in (False, True):
        assert client.get(name, out, resume=resume, verify=True).read_bytes() == b"long name"
    assert os.listdir(out) == [name]


def interrupted(server, name: str, out: Path) -> int:
    """Start a resumable download of ``name`` and cancel it after its first bytes;
    returns the bytes kept."""
    cancel = threading.Event()
    kept = [0]

    def progress(done: int, total: int) -> None:
        if done > 0:
            kept[0] = done
            cancel.set()

    with FerryClient.connect(*server.address) as c, pytest.raises(TransferCancelled):
        c.get(name, out, resume=True, progress=progress, cancel=cancel)
    return kept[0]


def hidden(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


def interrupted_download(server, library: Path, tmp_path: Path) -> tuple[bytes, Path, str, int]:
    """An 8 MiB ``r.bin`` whose resumable download into ``tmp_path/out`` was
    cancelled after its first bytes: (its data, the folder, the temp file's name,
    the bytes kept)."""
    data = os.urandom(1 << 20) * 8
    (library / "r.bin").write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    kept = interrupted(server, "r.bin", out)
    [temp] = hidden(out)
    return data, out, temp, kept


def test_resume_continues_the_download_the_client_recorded(server, client, library, tmp_path, state_home):
    data, out, temp, kept = interrupted_download(server, library, tmp_path)
    assert 0 < kept < len(data)
    assert temp.startswith(TEMP_PREFIX) and temp.endswith(TEMP_SUFFIX) and len(temp) < 40
    [record] = (state_home / "ferry" / "partial-downloads").iterdir()
    done = json.loads(record.read_text())["done"]
    assert done == (out / temp).stat().st_size >= kept
    seen: list[int] = []
    path = client.get("r.bin", out, resume=True, verify=True, progress=lambda d, t: seen.append(d))
    assert path.read_bytes() == data
    assert seen[0] == done  # continued, not started again
    assert os.listdir(out) == ["r.bin"]
    assert os.listdir(state_home / "ferry" / "partial-downloads") == []


def test_a_recorded_partial_of_an_older_version_is_not_resumed(server, client, library, tmp_path):
    _, out, _, _ = interrupted_download(server, library, tmp_path)
    newer = os.urandom(3_000_000)
    (library / "r.bin").write_bytes(newer)  # another size and mtime: the kept bytes are of another file
    seen: list[int] = []
    assert client.get("r.bin", out, resume=True, progress=lambda d, t: seen.append(d)).read_bytes() == newer
    assert seen[0] == 0
    assert os.listdir(out) == ["r.bin"]


def test_a_recorded_temp_file_replaced_by_another_file_is_not_adopted(server, client, library, tmp_path):
    data, out, temp, _ = interrupted_download(server, library, tmp_path)
    os.unlink(out / temp)
    (out / temp).write_bytes(b"someone else's file" * 100_000)  # same name, another file
    seen: list[int] = []
    assert client.get("r.bin", out, resume=True, progress=lambda d, t: seen.append(d)).read_bytes() == data
    assert seen[0] == 0
    assert (out / temp).read_bytes() == b"someone else's file" * 100_000


def test_resume_from_a_corrupt_partial_fails_verification_and_removes_it(server, client, library, tmp_path, state_home):
    _, out, temp, kept = interrupted_download(server, library, tmp_path)
    written = (out / temp).stat()
    with open(out / temp, "r+b") as f:  # the same file, damaged in place, its time put back
        f.write(b"\0" * kept)
    os.utime(out / temp, ns=(written.st_atime_ns, written.st_mtime_ns))
    with pytest.raises(FerryError) as info:
        client.get("r.bin", out, resume=True, verify=True)
    assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    assert os.listdir(out) == []
    assert os.listdir(state_home / "ferry" / "partial-downloads") == []


def test_a_recorded_partial_written_to_since_is_not_adopted(server, client, library, tmp_path):
    data, out, temp, _ = interrupted_download(server, library, tmp_path)
    with open(out / temp, "ab") as f:  # bytes written after the record was made
        f.write(os.urandom(500_000))
    seen: list[int] = []
    assert client.get("r.bin", out, resume=True, progress=lambda d, t: seen.append(d)).read_bytes() == data
    assert seen[0] == 0


# -- the wrong server (issue 12) ----------------------------------------------------


def connect_error(host: str, port: int, **kwargs) -> tuple[FerryError, float]:
    started = time.monotonic()
    with pytest.raises(FerryError) as info:
        FerryClient.connect(host, port, **kwargs)
    return info.value, time.monotonic() - started


def test_an_http_server_is_not_a_ferry_server(tmp_path):
    with http_server(tmp_path) as (host, port):
        error, elapsed = connect_error(host, port, timeout=1)
    assert (error.code, error.message) == ("not_ferry", "this is not a Ferry server: it said nothing within 1 s")
    assert elapsed < 10, elapsed  # not the 60 s of a lost connection


def test_a_server_whose_first_words_are_not_json():
    other = EvilServer(lambda conn, reader: None, greeting=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    error, _ = connect_error(*other.address)
    other.close()
    assert (error.code, error.message) == ("not_ferry", "this is not a Ferry server: it sent 'HTTP/1.1 400 Bad Request'")


def test_a_tls_server_reached_without_tls(server_factory, certs):
    cert, key = certs
    tls_server = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))
    error, elapsed = connect_error(*tls_server.address, timeout=1)
    assert (error.code, error.message) == ("needs_tls", "the server speaks TLS")
    assert elapsed < 10, elapsed
