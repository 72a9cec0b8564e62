"""Uploads are atomic: never a partial file visible, nothing left behind,
readers see the whole old file or the whole new one."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tests.server_process import wait_for
from tests.wire import Wire


def visible(library) -> list[str]:
    return sorted(n for n in os.listdir(library) if not n.startswith("."))


def temp_files(library) -> list[str]:
    return os.listdir(library / ".ferry-uploads")


def test_interrupted_upload_leaves_nothing(server, library):
    wire = Wire(server.address)
    assert wire.request({"op": "put", "name": "cut.bin", "size": 5_000_000})["ready"] is True
    wire.send(os.urandom(1_000_000))
    assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
    assert visible(library) == []
    wire.close()
    assert wait_for(lambda: temp_files(library) == [], timeout=5)
    assert visible(library) == []
    with Wire(server.address) as other:
        assert other.request({"op": "list"})["count"] == 0


def test_more_bytes_than_declared_are_the_next_request(server, library):
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "a", "size": 3})["ready"] is True
        wire.send(b"abcEXTRA\n")
        assert wire.header()["ok"] is True
        assert wire.header()["error"] == "bad_request"
        assert wire.request({"op": "list"})["count"] == 1
    assert (library / "a").read_bytes() == b"abc"


def test_overwrite_during_download_gives_the_reader_the_whole_old_file(server, library):
    old = os.urandom(1024 * 1024) * 16
    new = os.urandom(1024 * 1024) * 2
    (library / "doc.bin").write_bytes(old)
    reader = Wire(server.address)
    reader.sock.setsockopt(os.sys.modules["socket"].SOL_SOCKET, os.sys.modules["socket"].SO_RCVBUF, 65536)
    response = reader.request({"op": "get", "name": "doc.bin"})
    first = reader.body(65536)
    with Wire(server.address) as writer:
        assert writer.request({"op": "put", "name": "doc.bin", "size": len(new), "overwrite": True})["ready"]
        writer.send(new)
        assert writer.header()["ok"] is True
    rest = reader.body(response["length"] - len(first))
    assert first + rest == old
    response = reader.request({"op": "get", "name": "doc.bin"})
    assert reader.body(response["length"]) == new
    reader.close()


def test_two_uploads_of_one_name_without_overwrite_one_wins_whole(server, library):
    a, b = Wire(server.address), Wire(server.address)
    data_a, data_b = b"A" * 1_000_000, b"B" * 1_000_000
    assert a.request({"op": "put", "name": "race", "size": len(data_a)})["ready"]
    assert b.request({"op": "put", "name": "race", "size": len(data_b)})["ready"]
    a.send(data_a)
    final_a = a.header()
    b.send(data_b)
    final_b = b.header()
    assert final_a["ok"] is True
    assert final_b["ok"] is False and final_b["error"] == "exists"
    assert (library / "race").read_bytes() == data_a
    assert wait_for(lambda: temp_files(library) == [], timeout=5)
    a.close()
    b.close()


def test_concurrent_overwrites_leave_one_whole_file(server, library):
    payloads = [bytes([65 + i]) * 2_000_000 for i in range(6)]
    results = []

    def put(data: bytes) -> None:
        with Wire(server.address) as wire:
            assert wire.request({"op": "put", "name": "same", "size": len(data), "overwrite": True})["ready"]
            wire.send(data)
            results.append(wire.header()["ok"])

    threads = [threading.Thread(target=put, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [True] * len(payloads)
    assert (library / "same").read_bytes() in payloads
    assert temp_files(library) == []


def test_uploaded_file_has_the_announced_digest_in_stat(server, library):
    data = os.urandom(123_457)
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "d", "size": len(data)})["ready"]
        wire.send(data)
        assert wire.header()["sha256"] == hashlib.sha256(data).hexdigest()
        assert wire.request({"op": "stat", "name": "d"})["sha256"] == hashlib.sha256(data).hexdigest()


def _traced(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(line for line in status.splitlines() if line.startswith("TracerPid:")).split()[1] != "0"


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_publish_tries_no_unlink_that_cannot_succeed(server, library, tmp_path):
    # A published temp file is gone (renamed into place, or its link dropped right
    # after the link): the cleanup must not try to remove it again.
    log = tmp_path / "unlinks.txt"
    workers = server.children()
    attach = [arg for pid in workers for arg in ("-p", str(pid))]
    tracer = subprocess.Popen(["strace", "-f", "-e", "trace=unlinkat", "-o", str(log), *attach], stderr=subprocess.DEVNULL)
    try:
        if not wait_for(lambda: all(_traced(pid) for pid in workers), timeout=10):
            pytest.skip("strace cannot attach to the workers here")
        with Wire(server.address) as wire:
            for overwrite in (False, True):  # a link then an unlink; a rename
                assert wire.request({"op": "put", "name": "a", "size": 3, "overwrite": overwrite})["ready"] is True
                wire.send(b"abc")
                assert wire.header()["ok"] is True
    finally:
        tracer.terminate()
        tracer.wait(10)
    unlinks = [line for line in log.read_text().splitlines() if "unlinkat(" in line and ".part" in line]
    assert len(unlinks) >= 1, unlinks  # the non-overwriting publish drops its temp link
    assert [line for line in unlinks if "= -1" in line] == []


def _fadvise_calls_during_a_large_upload(server, library: Path, tmp_path: Path) -> list[str]:
    """The fadvise64 calls the workers make while a 40 MiB upload (hashed on its
    trailing thread, several windows) is received; the file must arrive whole."""
    log = tmp_path / "fadvise.txt"
    workers = server.children()
    attach = [arg for pid in workers for arg in ("-p", str(pid))]
    tracer = subprocess.Popen(["strace", "-f", "-e", "trace=fadvise64", "-o", str(log), *attach], stderr=subprocess.DEVNULL)
    body = os.urandom(40 << 20)
    try:
        if not wait_for(lambda: all(_traced(pid) for pid in workers), timeout=10):
            pytest.skip("strace cannot attach to the workers here")
        with Wire(server.address) as wire:
            assert wire.request({"op": "put", "name": "big.bin", "size": len(body)})["ready"] is True
            wire.send(body)
            assert wire.header()["sha256"] == hashlib.sha256(body).hexdigest()
    finally:
        tracer.terminate()
        tracer.wait(10)
    assert (library / "big.bin").read_bytes() == body
    return [line for line in log.read_text().splitlines() if "fadvise64(" in line]


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_large_fsynced_upload_starts_the_disk_while_it_arrives(server, library, tmp_path):
    # The commit's fsync then finds most of the file on disk already.
    calls = _fadvise_calls_during_a_large_upload(server, library, tmp_path)
    started = [line for line in calls if "POSIX_FADV_DONTNEED" in line and "= 0" in line]
    assert len(started) >= 2, calls


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_without_fsync_an_upload_leaves_writeback_to_the_kernel(server_factory, library, tmp_path):
    calls = _fadvise_calls_during_a_large_upload(server_factory("--no-fsync"), library, tmp_path)
    assert calls == []
