"""The listening socket: open it, accept in batches, and back off instead of
spinning when the process runs out of file descriptors."""

from __future__ import annotations

import errno
import logging
import socket
import time

log = logging.getLogger(__name__)

#: Accepts per wake-up: enough to empty a burst, few enough to keep supervising.
ACCEPT_BATCH = 64
#: Errors that say "no resources now": pause accepting (connections wait in the backlog).
_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_MIN_BACKOFF, _MAX_BACKOFF = 0.05, 1.0


def open_listener(host: str, port: int, backlog: int = 4096) -> socket.socket:
    """Bind and listen; raises OSError with the system's reason."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(backlog)
    except OSError:
        listener.close()
        raise
    listener.setblocking(False)
    return listener


def format_address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Acceptor:
    def __init__(self, listener: socket.socket, protocol: bytes) -> None:
        self.listener = listener
        self.protocol = protocol  # control.FERRY or control.HTTP: the tag its connections travel with
        self.paused_until = 0.0
        self._backoff = _MIN_BACKOFF

    def accept_batch(self) -> list[socket.socket]:
        """Up to :data:`ACCEPT_BATCH` new connections. On fd exhaustion, sets
        ``paused_until``: the caller stops watching the listener until then."""
        accepted: list[socket.socket] = []
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = self.listener.accept()
            except ConnectionAbortedError:  # the client gave up while queued
                continue
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno not in _RESOURCE_ERRORS:
                    raise
                log.warning("cannot accept (%s); pausing for %.2fs", exc.strerror, self._backoff)
                self.paused_until = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, _MAX_BACKOFF)
                break
            accepted.append(conn)
            self._backoff = _MIN_BACKOFF
        return accepted

    def close(self) -> None:
        self.listener.close()
