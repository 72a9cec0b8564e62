"""Worker liveness (issue 10, item 3): a worker that stops (SIGSTOP, or a loop
stuck in a bug) stops beating; the parent sends it no more clients, and kills
and replaces it once it has been silent for ``--worker-timeout``."""

from __future__ import annotations

import os
import signal
import time

from tests.hardening_support import still_serving
from tests.server_process import ServerProcess, process_state, wait_for
from tests.test_supervision import no_zombies
from tests.wire import Wire


def _served_at_once(server: ServerProcess, clients: int = 10) -> list[float]:
    """Seconds each of ``clients`` fresh clients took to be greeted and listed."""
    took = []
    for _ in range(clients):
        started = time.monotonic()
        assert still_serving(server.address)
        took.append(time.monotonic() - started)
    return took


def test_stopped_worker_gets_no_clients_and_is_replaced_after_the_timeout(server_factory):
    server = server_factory("--workers", "2", "--worker-timeout", "4")
    stopped = min(server.children())
    os.kill(stopped, signal.SIGSTOP)
    try:
        assert server.logged(rf"worker \d \(pid {stopped}\) .*late", timeout=4), server.log()
        took = _served_at_once(server)
        assert max(took) < 1.0, took  # all by the other worker: none waits for the stopped one
        assert server.logged(rf"worker \d \(pid {stopped}\) .*killing it", timeout=5), server.log()
        assert wait_for(lambda: stopped not in server.children() and len(server.children()) == 2, timeout=3)
    finally:
        if process_state(stopped) not in (None, "Z"):
            os.kill(stopped, signal.SIGCONT)
    assert process_state(stopped) is None  # reaped, not a zombie
    assert no_zombies(server.pid)
    assert max(_served_at_once(server)) < 1.0


def test_a_worker_that_comes_back_before_the_timeout_is_used_again(server_factory):
    server = server_factory("--workers", "2", "--worker-timeout", "60")
    first, second = sorted(server.children())
    os.kill(first, signal.SIGSTOP)
    try:
        assert server.logged(rf"worker \d \(pid {first}\) .*late", timeout=4), server.log()
    finally:
        os.kill(first, signal.SIGCONT)
    assert server.logged(rf"worker \d \(pid {first}\) .*beating again", timeout=4), server.log()
    os.kill(second, signal.SIGSTOP)  # now only the first one can serve
    try:
        assert server.logged(rf"worker \d \(pid {second}\) .*late", timeout=4), server.log()
        assert max(_served_at_once(server)) < 1.0
    finally:
        os.kill(second, signal.SIGCONT)
    assert sorted(server.children()) == [first, second]  # nobody was replaced


def test_a_worker_busy_hashing_still_beats(server_factory, library):
    """Slow work runs on threads, so the loop keeps beating: a short timeout must
    not kill a worker that is only busy."""
    with open(library / "sparse.bin", "wb") as sparse:
        sparse.truncate(5 << 29)  # hashing it takes seconds; reading it costs no disk
    server = server_factory("--workers", "1", "--worker-timeout", "1")
    (worker,) = server.children()
    with Wire(server.address, timeout=120) as wire:
        started = time.monotonic()
        assert wire.request({"op": "stat", "name": "sparse.bin"})["ok"] is True
        took = time.monotonic() - started
    assert took > 1.5, f"hashed in {took:.2f}s: too quick to show anything"
    assert server.children() == [worker]
    assert "late" not in server.log() and "killing" not in server.log(), server.log()
