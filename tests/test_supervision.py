"""The process model: fd passing to a supervised pool, replacement of dead
workers, graceful SIGTERM, no zombies, no fd leaks."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import threading
import time

import pytest
from ferry_files.shared.client import ConnectionLost, FerryClient

from tests.server_process import ServerProcess, children_of, process_state, wait_for
from tests.wire import Wire

BIG = 32 * 1024 * 1024


@pytest.fixture
def big_file(library):
    data = os.urandom(1024 * 1024) * (BIG // (1024 * 1024))
    (library / "big.bin").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


class PausedDownload(threading.Thread):
    """A download that stops after its first chunk until ``go`` is set, so a test
    can act while the transfer is surely in flight."""

    def __init__(self, address, go: threading.Event) -> None:
        super().__init__(daemon=True)
        self.client = FerryClient.connect(*address)
        self.go = go
        self.started = threading.Event()
        self.digest: str | None = None
        self.error: Exception | None = None

    def _progress(self, done: int, total: int) -> None:
        if done > 0 and not self.started.is_set():
            self.started.set()
            self.go.wait(30)

    def run(self) -> None:
        hasher = hashlib.sha256()

        class Sink:
            write = staticmethod(hasher.update)

        try:
            self.client.get_into("big.bin", Sink, progress=self._progress)
            self.digest = hasher.hexdigest()
            self.client.quit()
        except Exception as exc:  # recorded for the test to judge
            self.error = exc


def no_zombies(pid: int) -> bool:
    return all(process_state(child) not in ("Z", None) for child in children_of(pid))


def test_workers_are_children_and_serve_in_parallel(server):
    workers = server.children()
    assert len(workers) == 2
    assert all(process_state(pid) in ("S", "R") for pid in workers)


def test_killed_worker_is_replaced_and_other_clients_are_unaffected(server, big_file):
    go = threading.Event()
    downloads = [PausedDownload(server.address, go) for _ in range(4)]
    for d in downloads:
        d.start()
    assert all(d.started.wait(10) for d in downloads)
    before = set(server.children())
    victim = min(before)
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: len(set(server.children()) - before) == 1, timeout=1.0), "no replacement within a second"
    assert time.monotonic() - killed_at <= 1.0
    assert victim not in server.children() and process_state(victim) is None  # reaped: no zombie
    go.set()
    for d in downloads:
        d.join(30)
    finished = [d for d in downloads if d.error is None]
    failed = [d for d in downloads if d.error is not None]
    assert finished and failed, [d.error for d in downloads]
    assert all(d.digest == big_file for d in finished)
    assert all(isinstance(d.error, ConnectionLost) for d in failed)
    with FerryClient.connect(*server.address) as client:  # the pool serves again
        assert [f.name for f in client.list()] == ["big.bin"]
    assert len(server.children()) == 2 and no_zombies(server.pid)


def test_repeated_worker_deaths_leave_no_zombies(server):
    for _ in range(5):
        victim = server.children()[0]
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda victim=victim: len(server.children()) == 2 and victim not in server.children(), timeout=2)
    assert no_zombies(server.pid)
    with Wire(server.address) as wire:
        assert wire.request({"op": "list"})["ok"] is True


def test_sigterm_drains_transfers_closes_idle_sessions_and_exits_zero(server_factory, big_file):
    server = server_factory("--workers", "2", "--grace", "20")
    workers = server.children()
    go = threading.Event()
    download = PausedDownload(server.address, go)
    download.start()
    assert download.started.wait(10)
    idle = Wire(server.address)
    server.send_signal(signal.SIGTERM)
    assert idle.closed(), "an idle session must be closed at once"

    def refused() -> bool:
        try:
            socket.create_connection(server.address, timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    assert wait_for(refused, timeout=5), "the server must stop accepting"
    go.set()
    download.join(30)
    assert download.error is None and download.digest == big_file
    assert server.proc.wait(20) == 0
    assert all(process_state(pid) is None for pid in workers)


def test_grace_period_ends_a_stalled_transfer(server_factory, big_file):
    server = server_factory("--workers", "1", "--grace", "1")
    workers = server.children()
    stalled = Wire(server.address)
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.send({"op": "get", "name": "big.bin"})  # and never read the body
    time.sleep(0.3)
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    assert server.proc.wait(10) == 0
    assert time.monotonic() - started < 5
    assert all(process_state(pid) is None for pid in workers)
    stalled.close()


def test_sigint_drains_too(server_factory):
    server = server_factory("--workers", "2")
    workers = server.children()
    server.send_signal(signal.SIGINT)
    assert server.proc.wait(10) == 0
    assert all(process_state(pid) is None for pid in workers)


def test_parent_killed_workers_exit_and_free_the_port(server_factory):
    server = server_factory("--workers", "2")
    workers = server.children()
    idle = Wire(server.address)
    server.proc.kill()
    server.proc.wait()
    assert wait_for(lambda: all(process_state(pid) in (None, "Z") for pid in workers), timeout=15)
    assert idle.closed()
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.bind(server.address)  # nobody keeps the port
    probe.close()


def test_parent_fd_count_is_stable_after_a_thousand_connections(server):
    baseline = server.fd_count()
    for _ in range(20):
        wires = [Wire(server.address) for _ in range(50)]
        for wire in wires[::2]:
            wire.request({"op": "quit"})
        for wire in wires:
            wire.close()

    def settled() -> bool:
        return server.fd_count() == baseline

    assert wait_for(settled, timeout=10), (baseline, server.fd_count())
    with Wire(server.address) as wire:
        assert wire.request({"op": "list"})["ok"] is True


def test_stale_uploads_are_removed_at_start(library, tmp_path):
    uploads = library / ".ferry-uploads"
    uploads.mkdir()
    (uploads / "dead.part").write_bytes(b"half an upload")
    with ServerProcess(library) as server:  # __enter__ starts it (a second start() leaked a server)
        assert os.listdir(uploads) == []
        with Wire(server.address) as wire:
            assert wire.request({"op": "list"})["count"] == 0


def test_crash_mid_upload_leaves_nothing_after_restart(library):
    server = ServerProcess(library, "--workers", "1").start()
    wire = Wire(server.address)
    assert wire.request({"op": "put", "name": "crash.bin", "size": 10_000_000})["ready"] is True
    wire.send(b"x" * 3_000_000)  # more than one 1 MiB block: the pipelined receiver stores whole blocks
    assert wait_for(lambda: any(f.stat().st_size > 0 for f in (library / ".ferry-uploads").iterdir()), timeout=5)
    workers = server.children()
    server.proc.kill()
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    server.stop()
    wire.close()
    with ServerProcess(library) as again:
        assert os.listdir(library / ".ferry-uploads") == []
        with Wire(again.address) as check:
            assert check.request({"op": "list"})["count"] == 0
