"""What passes between the parent and one worker.

Messages travel on a SOCK_SEQPACKET Unix socket pair, so every ``send`` is one
message; a connection travels as an SCM_RIGHTS fd attached to a two-byte
message: what to do with it, and the protocol it speaks. The worker's load and its heartbeat are not messages: they live in
:class:`LoadCounters`, memory both processes share, so a session starting or
ending costs no syscall and never wakes the parent, and a worker too stuck to
send anything is noticed all the same.
"""

from __future__ import annotations

import mmap
import socket

#: How often a worker's loop bumps its heartbeat counter.
HEARTBEAT_INTERVAL = 0.5

# parent -> worker
SERVE = b"S"  # with an fd: serve this client
REFUSE = b"B"  # with an fd: tell this client "busy" and close (inside TLS, once there is TLS)
DRAIN = b"D"  # stop: close idle sessions, finish transfers, exit
# the second byte of SERVE and REFUSE: which protocol the client speaks (its listener's)
FERRY = b"f"  # the native protocol (session.py)
HTTP = b"h"  # HTTP/1.1 on --http-port (web/session.py)
# worker -> parent
READY = b"R"  # the worker's event loop runs


def control_pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


class LoadCounters:
    """A worker's connections received so far, sessions open now, and heartbeats,
    in an anonymous shared mapping made by the parent before the fork. The worker
    writes, the parent reads when it dispatches and when it checks liveness.

    The worker stores ``active`` before ``received``: a read between the two
    stores can only see one session too many for a moment, never one too few, so
    ``--max-connections`` holds."""

    def __init__(self) -> None:
        self._cells = memoryview(mmap.mmap(-1, 24)).cast("Q")

    def store(self, received: int, active: int) -> None:
        self._cells[1] = active
        self._cells[0] = received

    def read(self) -> tuple[int, int]:
        return self._cells[0], self._cells[1]

    def beat(self) -> None:
        """Called by the worker's loop every :data:`HEARTBEAT_INTERVAL`: only a loop
        that runs can call it."""
        self._cells[2] += 1

    def beats(self) -> int:
        return self._cells[2]
