"""A TCP relay on 127.0.0.1 that delays every chunk by a fixed time each way,
as a link with a round trip of twice that would: loopback has almost none, so
a client that waits for each answer before its next request looks as fast as
one that pipelines. Bandwidth is not limited, only latency added."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def latency_proxy(target: tuple[str, int], delay: float) -> Iterator[tuple[str, int]]:
    """Relay connections to ``target``, ``delay`` seconds late each way; yields the relay's address."""
    listener = socket.create_server(("127.0.0.1", 0))
    sockets: list[socket.socket] = [listener]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                inner, _ = listener.accept()
            except OSError:
                return
            outer = socket.create_connection(target)
            for sock in (inner, outer):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sockets.extend((inner, outer))
            _relay(inner, outer, delay)
            _relay(outer, inner, delay)

    threading.Thread(target=accept, name="latency-proxy", daemon=True).start()
    try:
        yield listener.getsockname()[:2]
    finally:
        stop.set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _relay(source: socket.socket, sink: socket.socket, delay: float) -> None:
    """Copy ``source`` to ``sink``, each chunk ``delay`` seconds after it came."""
    due: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                data = source.recv(1 << 20)
            except OSError:
                data = b""
            due.put((time.monotonic() + delay, data))
            if not data:
                return

    def write() -> None:
        while True:
            at, data = due.get()
            time.sleep(max(0.0, at - time.monotonic()))
            try:
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
            except OSError:
                return

    threading.Thread(target=read, name="latency-read", daemon=True).start()
    threading.Thread(target=write, name="latency-write", daemon=True).start()
