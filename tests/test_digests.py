"""The trailing sha256 (server/storage/digests.py) against hashlib, on a real file written
in blocks that straddle its page-aligned windows."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading

from ferry_files.server.storage.digests import InlineDigest, TrailingDigest


def test_trailing_digest_equals_hashlib_for_odd_block_sizes(tmp_path):
    data = os.urandom(41 * 1024 * 1024 + 12_345)  # several windows and a partial page at the end

    async def write_and_hash() -> str:
        fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
        digest = TrailingDigest(fd)
        view, position = memoryview(data), 0
        for size in (1, 4095, 4097, 3 << 20, 5 << 20):  # then the rest in big steps
            os.write(fd, view[position : position + size])
            digest.stored(size)
            position += size
        while position < len(data):
            block = view[position : position + (7 << 20) + 3]
            os.write(fd, block)
            digest.wrote(block)
            position += len(block)
        await digest.wait()
        os.close(fd)
        return digest.hexdigest()

    assert asyncio.run(write_and_hash()) == hashlib.sha256(data).hexdigest()


def test_trailing_digest_of_nothing_and_inline_digest(tmp_path):
    async def empty() -> str:
        fd = os.open(tmp_path / "e", os.O_RDWR | os.O_CREAT, 0o600)
        digest = TrailingDigest(fd)
        os.close(fd)  # the digest works on its own copy of the fd
        await digest.wait()
        return digest.hexdigest()

    assert asyncio.run(empty()) == hashlib.sha256(b"").hexdigest()
    inline = InlineDigest()
    inline.wrote(memoryview(b"abc"))
    asyncio.run(inline.wait())
    assert inline.hexdigest() == hashlib.sha256(b"abc").hexdigest()


def test_cancelled_trailing_digest_ends_its_thread_and_closes_its_fd(tmp_path):
    async def start_and_cancel() -> int:
        fd = os.open(tmp_path / "c", os.O_RDWR | os.O_CREAT, 0o600)
        os.write(fd, os.urandom(9 << 20))
        digest = TrailingDigest(fd)
        digest.stored(9 << 20)
        os.close(fd)
        digest.cancel()
        return len(os.listdir("/proc/self/fd"))

    before = len(os.listdir("/proc/self/fd"))
    asyncio.run(start_and_cancel())
    deadline = threading.Event()
    for _ in range(100):
        if not any(t.name == "ferry-sha256" for t in threading.enumerate()):
            break
        deadline.wait(0.05)
    assert not any(t.name == "ferry-sha256" for t in threading.enumerate())
    assert len(os.listdir("/proc/self/fd")) == before
