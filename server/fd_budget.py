"""A worker's file descriptors: what its sessions hold, and whether it can afford more.

``RLIMIT_NOFILE`` caps a worker's fds, and running out is silent where it hurts
most: a connection the parent hands over is lost in transit (``MSG_CTRUNC``) when
the worker has no fd left to receive it, and its client is dropped without a
word. Thirty-eight large uploads once did that to every later client of a worker
limited to 128 fds, because the parent counts sessions and an upload holds three.
So each worker counts what its sessions really hold and refuses early, with an
answer, while it still has the fds to give one:

==========================================  ====
what                                        fds
==========================================  ====
a session (plain, or TLS in its handshake)  1
a ``get`` or a ``stat``: the file open      +1, and +1 while a ``stat`` hashes
an upload: its temp file                    +1, and +1 from 8 MiB (the digest thread's dup)
a TLS client being told ``busy``            1, until it is told or cut off
==========================================  ====

A new session (and a TLS client waiting for its ``busy``) is taken only while
twice :data:`WORK_HEADROOM` fds would stay free; a request's files only while
:data:`WORK_HEADROOM` would: so admitted sessions keep room to work that new
arrivals cannot take, and the last fds are always there to receive a connection
and refuse it.
"""

from __future__ import annotations

import errno
import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager

from ferry_files.shared.errors import ErrorCode, FerryError

#: Always left free, for what is not counted: receiving a connection to refuse,
#: a pass over the folder for ``list``, an fd held across a rename. (A quarter
#: of the spare fds when a worker has fewer than 64 to spare.)
WORK_HEADROOM = 16
#: When ``/proc/self/fd`` cannot be read: the fds a worker holds before any session.
_BASE_GUESS = 32

OUT_OF_FDS = "the server is out of file descriptors; try again later"
#: The process (EMFILE) or the whole system (ENFILE) has no fd left.
FD_ERRNOS = (errno.EMFILE, errno.ENFILE)


class FdBudget:
    """Counted on the event loop's thread only."""

    def __init__(self, limit: int, base: int) -> None:
        self.limit = limit
        self.base = base  # held before any session: stdio, log, loop, control socket, library...
        self.held = 0  # counted since: sessions, their files, pending refusals
        self._work_headroom = min(WORK_HEADROOM, max(0, limit - base) // 4)
        # New sessions stop twice as far from the limit: those admitted keep room for their files.
        self._admit_headroom = 2 * self._work_headroom

    @classmethod
    def of_this_process(cls) -> FdBudget:
        """Measured once the worker is set up, before its first session."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = soft if soft != resource.RLIM_INFINITY else 1 << 20
        try:
            base = len(os.listdir("/proc/self/fd"))
        except OSError:
            base = _BASE_GUESS
        return cls(limit, base)

    def _affords(self, count: int, headroom: int) -> bool:
        return self.base + self.held + count <= self.limit - headroom

    def admit(self) -> bool:
        """Take one fd for a new connection if the worker can hold it; False: refuse it."""
        if not self._affords(1, self._admit_headroom):
            return False
        self.held += 1
        return True

    @contextmanager
    def holding(self, count: int) -> Iterator[None]:
        """Count ``count`` fds for a request's files while it runs; ``io_error`` at
        once (the session goes on, the client may try again) when they would eat
        into the headroom."""
        if not self._affords(count, self._work_headroom):
            raise FerryError(ErrorCode.IO_ERROR, OUT_OF_FDS)
        self.held += count
        try:
            yield
        finally:
            self.held -= count

    def release(self, count: int = 1) -> None:
        """Give back what :meth:`admit` took, when its connection is closed."""
        self.held -= count
