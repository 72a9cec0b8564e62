"""Moving upload bytes from a socket into a file without copying them through Python.

``splice`` moves socket data into a pipe by reference and from the pipe into the
file's pages: one copy in the kernel, against two (``recv`` into a buffer, then
``write``) plus the interpreter's work per block. On this machine that receives
1.6 to 1.9 GiB/s at 0.5 CPU s/GiB, where ``recv_into`` + ``write`` reach 1.1 to 1.5
GiB/s at 0.65 (docs/performance.md). It needs a plain TCP socket (TLS must
decrypt in user space) and a digest that reads the file (digests.py).
"""

from __future__ import annotations

import fcntl
import os

#: Asked for; the kernel may give less (/proc/sys/fs/pipe-max-size).
_PIPE_BYTES = 1 << 20

available = hasattr(os, "splice")


class SplicePipe:
    """One kernel pipe per worker, empty between uses: sessions take turns on it
    because a session never waits while bytes are in it (see :meth:`drain_into`)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.fcntl(self._write, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except OSError:  # an unprivileged process past its pipe quota keeps the default
            pass
        self.capacity: int = fcntl.fcntl(self._write, fcntl.F_GETPIPE_SZ)

    def fill_from(self, sock_fd: int, count: int) -> int:
        """Move up to ``count`` bytes (at most :attr:`capacity`) that are waiting on
        the non-blocking socket into the pipe; 0 at EOF, BlockingIOError when none are there."""
        return os.splice(sock_fd, self._write, min(count, self.capacity), flags=os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK)

    def drain_into(self, fd: int, count: int) -> None:
        """Write the ``count`` bytes in the pipe to ``fd``; on failure the pipe is
        emptied anyway, so the next user finds it clean."""
        try:
            while count:
                count -= os.splice(self._read, fd, count, flags=os.SPLICE_F_MOVE)
        except OSError:
            self._empty()
            raise

    def _empty(self) -> None:
        try:
            while os.read(self._read, self.capacity):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)
