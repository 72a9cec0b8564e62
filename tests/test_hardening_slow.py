"""Hardening matrix, slow and stalled clients (issue 5): headers trickled at one
byte per second (slowloris) and a download nobody reads. The slow ones time
out; everyone else keeps full speed meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time

import pytest

from tests.hardening_support import sha, still_serving
from tests.server_process import wait_for
from tests.wire import Wire

BIG = 48 * 1024 * 1024


class Trickler(threading.Thread):
    """Sends a valid header one byte per ``interval`` seconds; records when the
    server answered and what."""

    def __init__(self, address, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.wire = Wire(address, timeout=30)
        self.wire.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.interval = interval
        self.answer: dict | None = None
        self.closed = False
        self.started_at = time.monotonic()
        self.ended_at: float | None = None

    def run(self) -> None:
        self.wire.sock.settimeout(self.interval)
        for byte in b'{"op":"list","padding":"' + b"p" * 100 + b'"}\n':
            try:
                self.wire.send(bytes([byte]))
            except OSError:
                break
            try:
                chunk = self.wire.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            self.wire.buffer += chunk
            break  # the server spoke (or closed): stop trickling
        self.wire.sock.settimeout(10)
        try:
            self.answer = self.wire.header()
        except (EOFError, OSError):
            self.answer = None
        self.closed = self.wire.closed()
        self.ended_at = time.monotonic()
        self.wire.close()


def timed_download(address, name: str) -> tuple[float, str]:
    with Wire(address) as wire:
        started = time.monotonic()
        response = wire.request({"op": "get", "name": name})
        hasher = hashlib.sha256()
        remaining = response["length"]
        hasher.update(wire.buffer[:remaining])
        remaining -= len(wire.buffer[:remaining])
        wire.buffer = b""
        while remaining:
            chunk = wire.sock.recv(min(remaining, 1 << 20))
            assert chunk
            hasher.update(chunk)
            remaining -= len(chunk)
        return time.monotonic() - started, hasher.hexdigest()


@pytest.fixture
def big(library) -> str:
    data = os.urandom(1 << 20) * (BIG >> 20)
    (library / "big.bin").write_bytes(data)
    return sha(data)


def test_one_byte_per_second_headers_time_out_while_others_keep_full_speed(server_factory, big):
    """Twenty slowloris clients on one worker: each gets ``timeout`` and a close at
    --header-timeout (not the much longer idle timeout), and a 48 MiB download meanwhile
    runs at the speed it has on an idle server."""
    server = server_factory("--workers", "1", "--header-timeout", "3", "--idle-timeout", "60")
    baseline, digest = timed_download(server.address, "big.bin")
    assert digest == big
    slow = [Trickler(server.address) for _ in range(20)]
    for t in slow:
        t.start()
    time.sleep(0.5)
    during = []
    for _ in range(3):
        seconds, digest = timed_download(server.address, "big.bin")
        assert digest == big
        during.append(seconds)
        with Wire(server.address) as quick:
            started = time.monotonic()
            assert quick.request({"op": "stat", "name": "big.bin"})["sha256"] == big
            assert time.monotonic() - started < 0.5
    for t in slow:
        t.join(15)
    assert min(during) < max(3 * baseline, 0.5), (baseline, during)
    for t in slow:
        assert t.answer is not None and t.answer.get("error") == "timeout", t.answer
        assert t.closed
        assert 2.5 < t.ended_at - t.started_at < 8, t.ended_at - t.started_at
    assert still_serving(server.address)


def test_a_reader_that_never_reads_its_download_times_out(server_factory, big):
    """The body stops moving once the socket buffers are full: after --idle-timeout
    the server closes the session (its socket leaves the worker's fd table, and the
    client can never get the whole announced body). Others download at full speed
    meanwhile."""
    server = server_factory("--workers", "1", "--idle-timeout", "2")
    (worker,) = server.children()

    def worker_fds() -> int:
        return len(os.listdir(f"/proc/{worker}/fd"))

    baseline = worker_fds()
    stalled = Wire(server.address, timeout=30)
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    response = stalled.request({"op": "get", "name": "big.bin"})
    assert response["length"] == BIG
    started = time.monotonic()
    assert worker_fds() >= baseline + 1
    seconds, digest = timed_download(server.address, "big.bin")
    assert digest == big and seconds < 10
    assert worker_fds() >= baseline + 1, "the stalled session is still open before its timeout"
    assert wait_for(lambda: worker_fds() == baseline, timeout=10), "the stalled session was never closed"
    assert 1.5 < time.monotonic() - started < 10
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    stalled.close()
    assert still_serving(server.address)


def test_a_slow_but_steady_upload_is_not_cut_off(server_factory, library):
    """The idle timeout is about progress, not total time: a body that keeps moving,
    slowly, past the idle timeout still completes."""
    server = server_factory("--workers", "1", "--idle-timeout", "1")
    data = os.urandom(30)
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "steady.bin", "size": len(data)})["ready"] is True
        for i in range(0, len(data), 3):
            wire.send(data[i : i + 3])
            time.sleep(0.25)  # 2.5 s in all, never 1 s without progress
        assert wire.header()["sha256"] == sha(data)
    assert (library / "steady.bin").read_bytes() == data
