"""Hostile clients for the fairness tests, run as their own process
(``python -m tests.pipelining_flood HOST PORT SECONDS CONNECTIONS REQUEST``) so
their threads never compete with the measuring test for its GIL. They stop after
SECONDS or when stdin closes, whichever comes first.

Each connection writes the same request over and over, in batches, while a
second thread reads (and drops) the answers as fast as they come: the server
always has a complete request waiting and never a full send buffer, the
conditions under which a session that never yields holds its worker's loop
forever. Prints how many answer bytes each connection read.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable

BATCH = 256


def _flood(sock: socket.socket, running: Callable[[], bool], request: bytes, received: list[int], index: int) -> None:
    batch = request * BATCH

    def write() -> None:
        try:
            while running():
                sock.sendall(batch)
        except OSError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        while running():
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received[index] += len(chunk)
    except OSError:
        pass
    sock.close()
    writer.join(3)


def main(argv: list[str]) -> None:
    host, port, seconds, connections, request = argv[0], int(argv[1]), float(argv[2]), int(argv[3]), argv[4]
    deadline = time.monotonic() + seconds
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

    def running() -> bool:
        return time.monotonic() < deadline and not stop.is_set()

    received = [0] * connections
    socks = [socket.create_connection((host, port), timeout=2.0) for _ in range(connections)]
    threads = [threading.Thread(target=_flood, args=(sock, running, request.encode() + b"\n", received, i)) for i, sock in enumerate(socks)]
    for thread in threads:
        thread.start()
    sys.stdout.write("started\n")
    sys.stdout.flush()
    for thread in threads:
        thread.join(seconds + 5)
    sys.stdout.write(" ".join(str(n) for n in received) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
