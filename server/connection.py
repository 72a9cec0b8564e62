"""A client socket driven by the worker's event loop, with the few operations a
session needs: receive into a buffer, send all, sendfile.

The syscalls run in the session's own coroutine, only the waiting is left to the
loop: so a receive buffer shared by all sessions of a worker is safe (no other
session runs between a ``recv_into`` and the code that consumes it), and an idle
session costs no buffer at all. ``last_progress`` feeds the idle watchdog.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .storage.splicing import SplicePipe

#: Linux moves at most this much per sendfile() call; asking for more has
#: overflowed in some CPython releases.
SENDFILE_MAX = 0x7FFFF000


class Connection:
    __slots__ = ("sock", "fd", "last_progress", "_loop", "_reading")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        # Headers and bodies go out as separate sends; with Nagle on, the second
        # waits for the client's delayed ACK, some 40 ms per request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.fd = sock.fileno()
        self.last_progress = time.monotonic()
        self._loop = asyncio.get_running_loop()
        self._reading = False

    async def start(self) -> None:
        """Whatever must happen before the greeting (the TLS handshake, in a subclass)."""

    def _progress(self) -> None:
        self.last_progress = time.monotonic()

    # Which way to wait after a non-blocking call could not proceed, or None if the
    # error is a real one. A plain socket waits for the direction it was going;
    # TLS may need to read in order to write and the other way round (tls.py).
    def _blocked_on(self, exc: OSError, direction: str) -> str | None:
        return direction if isinstance(exc, BlockingIOError) else None

    #: Errors that mean the peer is gone, read as EOF.
    _EOF_ERRORS: tuple[type[OSError], ...] = (ConnectionResetError,)

    async def _wait(self, direction: str) -> None:
        waiter = self._loop.create_future()
        if direction == "read":
            self.on_readable(_wake, waiter)
        else:
            self._loop.add_writer(self.fd, _wake, waiter)
        try:
            await waiter
        finally:
            if direction == "read":
                self.stop_reading()
            else:
                self._loop.remove_writer(self.fd)

    async def _retry(self, call: Callable[..., Any], *args: Any, direction: str) -> Any:
        """``call(*args)``, waiting on the loop each time it would block."""
        while True:
            try:
                return call(*args)
            except OSError as exc:
                wait = self._blocked_on(exc, direction)
                if wait is None:
                    raise
            await self._wait(wait)

    # The fd stays registered with the loop between a session's requests: taking it
    # out and putting it back cost two epoll_ctl calls and the loop's bookkeeping
    # per request. While nobody waits, a readable fd unregisters itself, so data
    # that arrives while the session is busy elsewhere cannot make the loop spin.

    def on_readable(self, callback: Callable[..., None], *args: Any) -> None:
        """Call ``callback(*args)`` when data (or EOF) is there: how a parked session
        waits. Re-pointing a registered fd is no syscall."""
        self._loop.add_reader(self.fd, callback, *args)
        self._reading = True

    def stop_reading(self) -> None:
        """No more callbacks (the registration lingers, see above)."""
        if self._reading:
            self._loop.add_reader(self.fd, self._unregister)

    def _unregister(self) -> None:
        if self._reading:
            self._loop.remove_reader(self.fd)
            self._reading = False

    def recv_now(self, view: memoryview) -> int | None:
        """Receive what is there without waiting: None if nothing is, 0 at EOF."""
        try:
            received = self.sock.recv_into(view)
        except self._EOF_ERRORS:
            return 0
        except OSError as exc:
            if self._blocked_on(exc, "read") is None:
                raise
            return None
        self._progress()
        return received

    async def recv_into(self, view: memoryview) -> int:
        """Receive at least one byte into ``view``; 0 means the peer closed."""
        try:
            received = await self._retry(self.sock.recv_into, view, direction="read")
        except self._EOF_ERRORS:
            return 0
        self._progress()
        return received

    #: ``splice`` reads the socket itself: only a plain TCP connection can be spliced.
    can_splice = True

    async def splice_into(self, pipe: SplicePipe, count: int) -> int:
        """Move at least one waiting byte (up to ``count``) into ``pipe``; 0 means the peer closed."""
        try:
            moved = await self._retry(pipe.fill_from, self.fd, count, direction="read")
        except self._EOF_ERRORS:
            return 0
        self._progress()
        return moved

    async def send_all(self, data: bytes, more: bool = False) -> None:
        """Send everything; ``more`` says more data follows at once (MSG_MORE), so a
        header and the start of its body can share a segment."""
        view = memoryview(data)
        flags = (socket.MSG_MORE,) if more else ()
        while view:
            sent = await self._retry(self.sock.send, view, *flags, direction="write")
            view = view[sent:]
            self._progress()

    async def sendfile(self, file_fd: int, offset: int, count: int) -> int:
        """Send up to ``count`` bytes of the file from ``offset`` without copying them
        through Python; returns how many went (0: the file ended early)."""
        sent = await self._retry(os.sendfile, self.fd, file_fd, offset, min(count, SENDFILE_MAX), direction="write")
        self._progress()
        return sent

    def try_send(self, data: bytes) -> None:
        """Best effort, never blocks: for a last word before closing."""
        try:
            self.sock.send(data)
        except OSError:
            pass

    def close(self) -> None:
        self._unregister()
        self.sock.close()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
