"""Hardening matrix, fd exhaustion (issue 5): the server under a low
RLIMIT_NOFILE with far more clients than it has fds. It answers every client
(the greeting or ``busy``, never a silent drop), never spins on the CPU while
saturated, serves the sessions it took (files included), and takes new clients
again once the old ones leave.
"""

from __future__ import annotations

import hashlib
import os
import resource
import socket
import threading
import time

import pytest
from ferry_files.server.supervisor import FD_RESERVE

from tests.hardening_support import cpu_seconds, greets, sha
from tests.server_process import wait_for

#: Sessions a worker can hold under :func:`fd_limit` (``FD_RESERVE`` is kept for files and plumbing).
CAPACITY = 20


def fd_limit(n: int):
    """preexec_fn: soft and hard RLIMIT_NOFILE to ``n`` (the server cannot raise it back)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))

    return apply


def first_words(sock: socket.socket) -> str:
    """'greeting', 'busy' or 'dropped' (closed without a word)."""
    data = b""
    while b"\n" not in data:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return "dropped"
        if not chunk:
            return "dropped"
        data += chunk
    if b'"ferry"' in data:
        return "greeting"
    return "busy" if b'"busy"' in data else "other"


def tally(socks: list[socket.socket]) -> dict[str, list[socket.socket]]:
    result: dict[str, list[socket.socket]] = {"greeting": [], "busy": [], "dropped": [], "other": []}
    for sock in socks:
        result[first_words(sock)].append(sock)
    return result


class Knocker(threading.Thread):
    """New clients at a steady pace while the server is full: each must hear ``busy``."""

    def __init__(self, address, per_second: int = 50) -> None:
        super().__init__(daemon=True)
        self.address = address
        self.pause = 1 / per_second
        self.stop = threading.Event()
        self.answers: dict[str, int] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            with socket.create_connection(self.address, timeout=5) as sock:
                word = first_words(sock)
            self.answers[word] = self.answers.get(word, 0) + 1
            time.sleep(self.pause)


def test_more_clients_than_fds_busy_no_spin_and_recovery(server_factory, library):
    data = os.urandom(4 * 1024 * 1024)
    (library / "f.bin").write_bytes(data)
    server = server_factory("--workers", "1", preexec_fn=fd_limit(CAPACITY + FD_RESERVE))
    crowd = [socket.create_connection(server.address, timeout=10) for _ in range(200)]
    answers = tally(crowd)
    counts = {k: len(v) for k, v in answers.items()}
    assert counts["dropped"] == counts["other"] == 0, counts
    assert 1 <= counts["greeting"] <= CAPACITY and counts["greeting"] + counts["busy"] == 200, counts

    # Saturated: every fd a session can have is taken, and new clients keep knocking.
    knocker = Knocker(server.address)
    knocker.start()
    time.sleep(0.3)
    before, started = cpu_seconds(server.pid), time.monotonic()
    time.sleep(1.0)
    used = (cpu_seconds(server.pid) - before) / (time.monotonic() - started)
    assert used < 0.5, f"the server used {used:.0%} of a CPU while saturated"

    # The sessions it took are fully served, each with a file open at once (the reserve).
    def download(sock: socket.socket, results: list[str]) -> None:
        sock.sendall(b'{"op":"get","name":"f.bin"}\n')
        reader = sock.makefile("rb")
        header = reader.readline()
        assert b'"ok":true' in header, header
        results.append(hashlib.sha256(reader.read(len(data))).hexdigest())

    results: list[str] = []
    threads = [threading.Thread(target=download, args=(s, results)) for s in answers["greeting"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [sha(data)] * counts["greeting"]

    knocker.stop.set()
    knocker.join(10)
    assert set(knocker.answers) == {"busy"}, knocker.answers
    for sock in crowd:
        sock.close()

    # Recovery: once the crowd is gone, a full worker's worth of new sessions again.
    def full_capacity_again() -> bool:
        socks = [socket.create_connection(server.address, timeout=10) for _ in range(CAPACITY)]
        try:
            return len(tally(socks)["greeting"]) == CAPACITY
        finally:
            for sock in socks:
                sock.close()

    assert wait_for(full_capacity_again, timeout=10, interval=0.2)
    assert "Traceback" not in server.log()


def test_a_tiny_fd_limit_makes_the_acceptor_back_off_not_spin(server_factory):
    """So few fds that the parent's accept() itself hits EMFILE in a burst: it pauses
    instead of spinning, the queued clients are answered when it resumes, and the
    server is usable afterwards."""
    server = server_factory("--workers", "1", preexec_fn=fd_limit(24))
    before = cpu_seconds(server.pid)
    started = time.monotonic()
    crowd = [socket.create_connection(server.address, timeout=10) for _ in range(300)]
    answers = tally(crowd)
    counts = {k: len(v) for k, v in answers.items()}
    assert counts["dropped"] == counts["other"] == 0, counts
    assert counts["greeting"] >= 1, counts
    elapsed = time.monotonic() - started
    assert (cpu_seconds(server.pid) - before) / elapsed < 0.9
    idle_before = cpu_seconds(server.pid)
    time.sleep(1.0)  # full, clients connected, nothing to do: no CPU at all
    assert cpu_seconds(server.pid) - idle_before < 0.2
    for sock in crowd:
        sock.close()
    assert wait_for(lambda: greets(server.address), timeout=10, interval=0.2)  # once its one session slot frees up


@pytest.mark.parametrize("workers", ["1", "2"])
def test_max_connections_below_the_fd_capacity_still_counts_exactly(server_factory, workers):
    """Repeated fill-and-leave cycles: the parent's count of each worker's load must
    not drift (a drift shows up as busy for a server that is empty)."""
    server = server_factory("--workers", workers, "--max-connections", "10")

    def fill_and_leave() -> bool:
        socks = [socket.create_connection(server.address, timeout=10) for _ in range(30)]
        counts = {k: len(v) for k, v in tally(socks).items()}
        for sock in socks:
            sock.close()
        assert counts["dropped"] == counts["other"] == 0, counts
        return counts["greeting"] == 10 and counts["busy"] == 20

    for _ in range(5):  # the closes of a round take a moment to reach the worker
        assert wait_for(fill_and_leave, timeout=5, interval=0.1)
