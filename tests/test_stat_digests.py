"""``stat`` of an uncached file (issue 10, item 10): concurrent requests for one
file share one sha256 computation, and hashing never holds up small requests."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from ferry_files.server.storage.checksums import INLINE_HASH

from tests.hardening_support import cpu_seconds
from tests.wire import Wire

BIG = 256 << 20
CONCURRENT = 12


def _write_big(path: Path, seed: bytes) -> str:
    """A file of :data:`BIG` bytes whose content starts with ``seed``; its sha256."""
    block = hashlib.sha512(seed).digest() * ((1 << 20) // 64)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for _ in range(BIG // len(block)):
            out.write(block)
            digest.update(block)
    return digest.hexdigest()


def _stat(address: tuple[str, int], name: str, answers: list[dict]) -> None:
    with Wire(address, timeout=60) as wire:
        answers.append(wire.request({"op": "stat", "name": name}))


def test_concurrent_stats_of_one_file_hash_it_once_and_list_stays_fast(server_factory, library):
    reference = _write_big(library / "reference.bin", b"reference")
    expected = _write_big(library / "big.bin", b"big")
    (library / "small.txt").write_bytes(b"small")
    server = server_factory("--workers", "1")

    # What one hash costs this server, on a file of the same size.
    before = cpu_seconds(server.pid)
    one: list[dict] = []
    _stat(server.address, "reference.bin", one)
    one_hash = cpu_seconds(server.pid) - before
    assert one[0]["sha256"] == reference

    answers: list[dict] = []
    threads = [threading.Thread(target=_stat, args=(server.address, "big.bin", answers)) for _ in range(CONCURRENT)]
    before = cpu_seconds(server.pid)
    for thread in threads:
        thread.start()
    time.sleep(0.1)  # the hashing has begun
    with Wire(server.address) as wire:
        started = time.monotonic()
        listed = wire.request({"op": "list"})
        list_took = time.monotonic() - started
        assert listed["ok"] is True, listed
        wire.body(listed["length"])
    for thread in threads:
        thread.join(120)
    used = cpu_seconds(server.pid) - before

    assert [a.get("sha256") for a in answers] == [expected] * CONCURRENT, answers
    assert used < 3 * one_hash, f"{CONCURRENT} concurrent stats cost {used:.2f} CPU s, one hash {one_hash:.2f}"
    assert list_took < 0.5, f"a small list took {list_took:.2f} s while a file was hashed"


def test_a_stat_during_a_long_hash_of_another_file_is_not_refused(server_factory, library):
    """Hashing is bounded, not exclusive: a stat of a cached or small file answers
    while a large one is hashed, and the large one's answer is right."""
    expected = _write_big(library / "big.bin", b"big")
    (library / "small.txt").write_bytes(b"small")
    server = server_factory("--workers", "1")
    answers: list[dict] = []
    thread = threading.Thread(target=_stat, args=(server.address, "big.bin", answers))
    thread.start()
    time.sleep(0.05)
    with Wire(server.address) as wire:
        started = time.monotonic()
        small = wire.request({"op": "stat", "name": "small.txt"})
        took = time.monotonic() - started
    thread.join(120)
    assert small["sha256"] == hashlib.sha256(b"small").hexdigest()
    assert answers[0]["sha256"] == expected
    assert took < 0.5, f"a small stat waited {took:.2f} s behind a large hash"


def test_small_and_large_files_digests_follow_every_rewrite(server_factory, library):
    """Files up to INLINE_HASH are hashed on the event loop, larger ones on the
    hashing threads: both give the file's sha256, and a rewrite in place that
    keeps the size and puts the old mtime back is never answered from the cache."""
    sizes = [0, 1, 4096, INLINE_HASH, INLINE_HASH + 1, 3 * INLINE_HASH]
    server = server_factory("--workers", "1")
    with Wire(server.address, timeout=60) as wire:
        for round_number in range(3):
            for size in sizes:
                path = library / f"f{size}.bin"
                content = bytes([round_number + 1]) * size if size else b""
                kept = path.stat().st_mtime_ns if path.exists() else None
                path.write_bytes(content)
                if kept is not None:
                    os.utime(path, ns=(kept, kept))  # only the change time tells
                answer = wire.request({"op": "stat", "name": path.name})
                assert answer["sha256"] == hashlib.sha256(content).hexdigest(), (size, round_number)
                assert wire.request({"op": "stat", "name": path.name})["sha256"] == answer["sha256"]  # cached or not, the same


def test_a_file_rewritten_in_place_while_stats_hash_it_is_never_answered_stale(server_factory, library):
    """The cache against another process writing the file: a client stats a small
    file (hashed inline) in a loop while this process rewrites it in place as
    fast as it can, same size, the old mtime put back each time; once the writes
    stop, ``stat`` gives the digest of what the file holds."""
    path = library / "busy.bin"
    path.write_bytes(bytes(4096))
    mtime = path.stat().st_mtime_ns
    server = server_factory("--workers", "1")
    for trial in range(10):
        stop = threading.Event()

        def stat_in_a_loop(stop: threading.Event = stop) -> None:
            with Wire(server.address, timeout=30) as wire:
                while not stop.is_set():
                    wire.request({"op": "stat", "name": "busy.bin"})

        statter = threading.Thread(target=stat_in_a_loop)
        statter.start()
        fd = os.open(path, os.O_WRONLY)
        try:
            deadline, version = time.monotonic() + 0.2, 0
            while time.monotonic() < deadline:
                version += 1
                os.pwrite(fd, b"%04d%04d" % (trial, version % 10_000) * 512, 0)
                os.utime(fd, ns=(mtime, mtime))
        finally:
            os.close(fd)
            stop.set()
            statter.join()
        with Wire(server.address, timeout=30) as wire:
            answer = wire.request({"op": "stat", "name": "busy.bin"})
        assert answer["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), f"stale after trial {trial}"
