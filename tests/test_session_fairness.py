"""Fairness (issue 10, item 2): a session answering pipelined requests yields to
its worker's loop between requests, so clients that never stop sending cannot
keep a fresh client from its greeting."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.server_process import REPO
from tests.wire import Wire

#: How long the hostile clients run; the samples are taken well inside it.
FLOOD_SECONDS = 10.0
SAMPLES = 30
#: A fresh client that waits longer than this counts as never served.
SAMPLE_TIMEOUT = 2.0


def _fresh_client_seconds(address: tuple[str, int]) -> float:
    """Greeting plus one ``list``, timed from connect; inf if it does not come."""
    started = time.monotonic()
    try:
        with Wire(address, timeout=SAMPLE_TIMEOUT) as wire:
            response = wire.request({"op": "list"})
    except (OSError, EOFError):  # a timeout is an OSError
        return float("inf")
    assert response.get("ok") is True or response.get("error") == "unauthorized", response
    return time.monotonic() - started


def _measure_under_flood(address: tuple[str, int], connections: int, request: str) -> tuple[list[float], list[int]]:
    flood = subprocess.Popen(
        [sys.executable, "-m", "tests.pipelining_flood", *map(str, address), str(FLOOD_SECONDS), str(connections), request],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert flood.stdout is not None and flood.stdout.readline() == "started\n"
        time.sleep(0.5)  # the flood is in full swing
        ends = time.monotonic() + FLOOD_SECONDS - 2 * SAMPLE_TIMEOUT
        samples = []
        while len(samples) < SAMPLES and time.monotonic() < ends:
            samples.append(_fresh_client_seconds(address))
            time.sleep(0.02)
        still_flooding = flood.poll() is None
        out, _ = flood.communicate("", timeout=FLOOD_SECONDS + 10)  # closing stdin stops it
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
    assert still_flooding, "the flood ended before the samples did: the test measured nothing"
    received = [int(n) for n in out.split()]
    return samples, received


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("kind", ["unauthorized list", "cached stat"])
def test_fresh_client_is_served_while_pipelining_clients_run(server_factory, library: Path, workers: int, kind: str):
    if kind == "unauthorized list":
        server = server_factory("--workers", str(workers), env={**os.environ, "FERRY_TOKEN": "secret"})
        request = '{"op": "list"}'
    else:
        (library / "cached.txt").write_bytes(b"hello\n")
        server = server_factory("--workers", str(workers))
        request = '{"op": "stat", "name": "cached.txt"}'  # hashed (on a thread) by its first stat, then cached
    samples, received = _measure_under_flood(server.address, 2 * workers, request)
    median = statistics.median(samples)
    assert median < 0.050, f"median {median * 1000:.1f} ms; samples {sorted(samples)}"
    assert max(samples) < 1.0, f"slowest {max(samples):.3f} s; samples {sorted(samples)}"
    assert len(samples) == SAMPLES
    assert all(n > 100_000 for n in received), f"a hostile client was barely served: {received}"


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_client_that_pipelines_and_never_reads_is_held_by_backpressure(server_factory, library: Path):
    """Answers fill the client's receive buffer, then the server's send buffer; the
    session waits to send and reads nothing more, so requests pile up in kernel
    buffers of fixed size, never in the worker's memory."""
    (library / "cached.txt").write_bytes(b"hello\n")
    server = server_factory("--workers", "1")
    (worker,) = server.children()
    with Wire(server.address) as warm:
        assert warm.request({"op": "stat", "name": "cached.txt"})["ok"] is True
    before = _rss_bytes(worker)
    hostile = Wire(server.address)
    hostile.sock.setblocking(False)
    batch = b'{"op": "stat", "name": "cached.txt"}\n' * 4096
    sent = 0
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        try:
            sent += hostile.sock.send(batch)
        except BlockingIOError:
            time.sleep(0.01)
    assert sent < 64 << 20, f"{sent} bytes accepted: nothing pushed back"
    assert _rss_bytes(worker) - before < 16 << 20, (before, _rss_bytes(worker))
    assert _fresh_client_seconds(server.address) < SAMPLE_TIMEOUT
    hostile.close()
