"""sha256 of library files for ``stat``: remembered, computed once, and bounded.

The key is the inode plus size and change times: any write, truncate or
replacement changes one of them, so a stale digest is never served.

A miss of a small file (up to ``INLINE_HASH``) is hashed right away on the
event loop: a read and a hash of at most 64 KiB cost less than handing it to a
thread (the desktop app verifies each of 20,000 small downloads with a
``stat``: 5,000 a second went through the threads). ``get`` sends such a file
from the loop too. A larger miss is hashed on the worker's own small pool of
hashing threads, never on the event loop's default pool: list, get and put of small files hop to that pool
too, and twelve hashes of large files once filled it for seconds. Requests for
a file whose digest is being computed wait for that computation instead of
starting their own (twelve concurrent stats of one 256 MiB file cost six to
seven hashes before). Both hold per worker: two workers asked for the same
uncached file each hash it once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

_READ_CHUNK = 1 << 20
#: Files up to this size are hashed on the event loop, not on a hashing thread.
INLINE_HASH = 64 * 1024
#: Files hashed at once per worker: each is a CPU busy for seconds per GiB.
HASH_THREADS = 2
_Key = tuple[int, int, int, int, int]


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class _Stopped(Exception):
    """The worker is exiting: nobody waits for this digest."""


def _hash_and_close(fd: int, stop: threading.Event) -> str:
    """The sha256 of the whole file ``fd``; closes ``fd``. Gives up when ``stop`` is
    set: a worker exiting must not wait seconds for a large file's digest."""
    try:
        hasher = hashlib.sha256()
        offset = 0
        while chunk := os.pread(fd, _READ_CHUNK, offset):
            if stop.is_set():
                raise _Stopped()
            hasher.update(chunk)
            offset += len(chunk)
        return hasher.hexdigest()
    finally:
        os.close(fd)


class ChecksumCache:
    def __init__(self, capacity: int = 4096) -> None:
        self._digests: OrderedDict[_Key, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()  # uploads remember digests from commit threads
        self._computing: dict[_Key, asyncio.Future[str]] = {}  # on the event loop's thread only
        self._hashers: ThreadPoolExecutor | None = None
        self._stop = threading.Event()

    def lookup(self, st: os.stat_result) -> str | None:
        key = _key(st)
        with self._lock:
            digest = self._digests.get(key)
            if digest is not None:
                self._digests.move_to_end(key)
            return digest

    def remember(self, st: os.stat_result, digest: str) -> None:
        self._remember(_key(st), digest)

    def _remember(self, key: _Key, digest: str) -> None:
        with self._lock:
            self._digests[key] = digest
            self._digests.move_to_end(key)
            while len(self._digests) > self._capacity:
                self._digests.popitem(last=False)

    async def sha256(self, fd: int, st: os.stat_result) -> str:
        """The digest of the open file ``fd`` whose stat is ``st``: from the cache,
        from a computation already running for the same file, or from a new one.
        Raises OSError when the file cannot be read (or no fd is left to read it)."""
        digest = self.lookup(st)
        if digest is not None:
            return digest
        key = _key(st)
        if st.st_size <= INLINE_HASH:
            data = os.pread(fd, INLINE_HASH + 1, 0)
            if len(data) <= INLINE_HASH:  # else it grew meanwhile: hashed on a thread, as a large file
                digest = hashlib.sha256(data).hexdigest()
                if _key(os.fstat(fd)) == key:  # unchanged while it was read: worth remembering
                    self._remember(key, digest)
                return digest
        computing = self._computing.get(key)
        if computing is None:
            computing = self._compute(fd, key)
        # Shielded: a requester that goes away (its session ended) leaves the
        # computation to the others, and to the cache.
        return await asyncio.shield(computing)

    def _compute(self, fd: int, key: _Key) -> asyncio.Future[str]:
        # The computation reads its own duplicate: the requester that started it
        # closes its fd when it answers, or when its session ends first.
        own = os.dup(fd)
        try:
            computing = asyncio.get_running_loop().run_in_executor(self._executor(), _hash_and_close, own, self._stop)
        except BaseException:
            os.close(own)
            raise
        self._computing[key] = computing
        computing.add_done_callback(lambda done: self._finished(key, done))
        return computing

    def _finished(self, key: _Key, done: asyncio.Future[str]) -> None:
        del self._computing[key]
        if not done.cancelled() and done.exception() is None:
            self._remember(key, done.result())

    def close(self) -> None:
        """Stop hashing: the threads drop what they hash and exit (no waiting here)."""
        self._stop.set()
        if self._hashers is not None:
            self._hashers.shutdown(wait=False, cancel_futures=True)

    def _executor(self) -> ThreadPoolExecutor:
        if self._hashers is None:  # made lazily, in the worker that hashes (never before a fork)
            self._hashers = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="ferry-hash")
        return self._hashers
