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
