"""Messages on the Unix socket between the parent and one worker.

It is a SOCK_SEQPACKET pair, so every ``send`` is one message; a connection
travels as an SCM_RIGHTS fd attached to a one-byte message.
"""

from __future__ import annotations

import socket
import struct

# parent -> worker
SERVE = b"S"  # with an fd: serve this client
REFUSE = b"B"  # with an fd: tell this client "busy" and close (inside TLS, once there is TLS)
DRAIN = b"D"  # stop: close idle sessions, finish transfers, exit
# worker -> parent
READY = b"R"  # the worker's event loop runs
LOAD = b"L"  # followed by _LOAD: connections received so far, sessions open now

_LOAD = struct.Struct("!QI")


def control_pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def pack_load(received: int, active: int) -> bytes:
    return LOAD + _LOAD.pack(received, active)


def unpack_load(message: bytes) -> tuple[int, int]:
    received, active = _LOAD.unpack(message[1:])
    return received, active
