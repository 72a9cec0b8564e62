"""Sending a local file as an upload's body, hashing it on the way when asked.

Where the system has ``os.sendfile`` and ``os.pread`` (Linux, macOS) and the
socket is plain TCP, the kernel copies the file to the socket and a thread
hashes the same pages right behind it, so hashing overlaps sending instead of
coming before it (docs/performance.md: 256 MiB to a loopback sink, about 1,550
MB/s against 900 for hash-then-sendfile and 1,200 for read-hash-send in one thread).
The thread reads only what was already sent, so the file is never read ahead
(a body of one ``sendfile`` call is hashed right after it, without a thread);
bytes that change between the two reads make the server's digest differ from
ours, which the caller turns into ``checksum_mismatch``.

Elsewhere (Windows has no ``os.sendfile``; TLS must encrypt in Python) the body
is read, hashed and sent in one loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import FerryError
from .transfer_errors import TransferCancelled

#: Bytes per sendfile() call or read: progress and cancel are looked at between them.
SEND_CHUNK = 1 << 22
#: The copying loop's block: large enough for sendall, small enough for cache.
COPY_CHUNK = 1 << 20

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) as a transfer moves."""


def file_sha256(path: Path | int, limit: int | None = None, cancel: threading.Event | None = None) -> hashlib._Hash:
    """A sha256 fed with the file's first ``limit`` bytes (all of it when None):
    the version 1 way, before the request, and a resumed download's kept part.
    ``path`` may be an open fd, read from its current position and left open."""
    digest = hashlib.sha256()
    if limit == 0:
        return digest
    with open(path, "rb", closefd=not isinstance(path, int)) as f:
        remaining = limit
        while chunk := f.read(COPY_CHUNK if remaining is None else min(COPY_CHUNK, remaining)):
            if cancel is not None and cancel.is_set():
                raise TransferCancelled()
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return digest


def can_splice(sock: socket.socket) -> bool:
    """May the body go by ``os.sendfile``? Not through TLS, and not where the
    system lacks it (Windows) or lacks ``pread`` for the hashing thread."""
    return not isinstance(sock, ssl.SSLSocket) and hasattr(os, "sendfile") and hasattr(os, "pread")


def _shrank() -> FerryError:
    return FerryError("local_io", "the local file shrank while it was being sent")


class _HashBehind:
    """A thread that hashes ``fd`` from its first byte up to what the sender says
    it has sent. A resumed upload starts sending at ``start``: the bytes before it
    (already on the server) are hashed at once, while the rest goes out."""

    def __init__(self, fd: int, start: int, hasher: hashlib._Hash) -> None:
        self._fd, self._done, self._hasher = fd, 0, hasher
        self._sent = start
        self._finished = False
        self._error: BaseException | None = None
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="ferry-hash", daemon=True)
        self._thread.start()

    def advance(self, sent: int) -> None:
        with self._wake:
            self._sent = sent
            self._wake.notify()

    def finish(self) -> None:
        """Wait until everything sent is hashed; a read error is raised here. Also
        ends the thread after a failed send (the caller's error then wins)."""
        with self._wake:
            self._finished = True
            self._wake.notify()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        read = _reader(self._fd)  # one buffer for the thread's life
        try:
            while True:
                with self._wake:
                    while self._sent <= self._done and not self._finished:
                        self._wake.wait()
                    upto, finished = self._sent, self._finished
                if self._done < upto:
                    _hash_range(read, self._done, upto, self._hasher)
                    self._done = upto
                if finished:
                    return
        except BaseException as exc:  # handed to finish(), in the sender's thread
            self._error = exc


def _reader(fd: int) -> Callable[[int, int], memoryview | bytes]:
    """``read(count, offset)`` of ``fd``: into one reused buffer with ``preadv``
    where the system has it (a fresh ``pread`` buffer per block cost a third of
    the hashing thread's speed in page faults), else ``pread``."""
    if not hasattr(os, "preadv"):
        return lambda count, offset: os.pread(fd, count, offset)
    buffer = memoryview(bytearray(COPY_CHUNK))

    def read(count: int, offset: int) -> memoryview:
        return buffer[: os.preadv(fd, [buffer[:count]], offset)]

    return read


def send_file(
    sock: socket.socket,
    fd: int,
    start: int,
    size: int,
    *,
    hasher: hashlib._Hash | None,
    progress: Progress | None,
    cancel: threading.Event | None,
    wait_writable: Callable[[], None],
) -> None:
    """Send bytes ``start`` to ``size`` of the open file ``fd``, feeding ``hasher``
    (a fresh hashlib object, or None) with the whole file, bytes 0 to ``size``: the
    first ``start`` are the part of a resumed upload the server already holds. ``wait_writable`` is called when a
    send would block (the kernel's send timeout, or a non-blocking socket)."""
    if progress:
        progress(start, size)
    if can_splice(sock):
        _send_spliced(sock, fd, start, size, hasher, progress, cancel, wait_writable)
    else:
        _send_copied(sock, fd, start, size, hasher, progress, cancel)


def _send_spliced(
    sock: socket.socket,
    fd: int,
    start: int,
    size: int,
    hasher: hashlib._Hash | None,
    progress: Progress | None,
    cancel: threading.Event | None,
    wait_writable: Callable[[], None],
) -> None:
    # A thread only pays where there is something to overlap: a body that one
    # sendfile call moves is hashed here after it (a thread per small upload cost
    # more than the hashing itself).
    overlap = hasher is not None and size - start > SEND_CHUNK
    behind = _HashBehind(fd, start, hasher) if overlap else None
    out, sent = sock.fileno(), start
    try:
        while sent < size:
            if cancel is not None and cancel.is_set():
                raise TransferCancelled()
            try:
                n = os.sendfile(out, fd, sent, min(SEND_CHUNK, size - sent))
            except BlockingIOError:
                wait_writable()
                continue
            if n == 0:
                raise _shrank()
            sent += n
            if progress:  # before the hashing thread may read these bytes: a test changes them here
                progress(sent, size)
            if behind is not None:
                behind.advance(sent)
    except BaseException:
        if behind is not None:
            with contextlib.suppress(BaseException):
                behind.finish()
        raise
    if behind is not None:
        behind.finish()
    elif hasher is not None:
        _hash_range(_reader(fd), 0, size, hasher)


def _hash_range(read: Callable[[int, int], memoryview | bytes], start: int, end: int, hasher: hashlib._Hash) -> None:
    """Feed ``hasher`` with bytes ``start`` to ``end`` read by ``read`` (a :func:`_reader`)."""
    while start < end:
        block = read(min(COPY_CHUNK, end - start), start)
        if not block:
            raise _shrank()
        hasher.update(block)
        start += len(block)


def _send_copied(
    sock: socket.socket,
    fd: int,
    start: int,
    size: int,
    hasher: hashlib._Hash | None,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> None:
    buffer = memoryview(bytearray(min(COPY_CHUNK, max(size, 1))))
    source = os.fdopen(os.dup(fd), "rb", buffering=0)  # its own position: the caller's fd is untouched
    with source:
        if hasher is not None:  # the part the server holds: hashed, not sent
            done = 0
            while done < start:
                n = source.readinto(buffer[: min(len(buffer), start - done)])
                if not n:
                    raise _shrank()
                hasher.update(buffer[:n])
                done += n
        source.seek(start)
        sent = start
        while sent < size:
            if cancel is not None and cancel.is_set():
                raise TransferCancelled()
            n = source.readinto(buffer[: min(len(buffer), size - sent)])
            if not n:
                raise _shrank()
            block = buffer[:n]
            if hasher is not None:
                hasher.update(block)
            sock.sendall(block)
            sent += n
            if progress:
                progress(sent, size)
