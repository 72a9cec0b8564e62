"""The loopback limit: the least work a sender and a receiver can do over 127.0.0.1.

A helper process (the "server" of the pair, like Ferry's worker) serves one
file with ``sendfile`` for downloads, and for uploads receives with ``recv_into``
into one reused buffer and writes to a file (optionally fsyncing it). This
process is the client, with the same primitives and one reused buffer. Nothing
is parsed, hashed or allocated per chunk: no Python program moves bytes faster.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import struct
from pathlib import Path

CHUNK = 1 << 20
_COMMAND = struct.Struct("!cQ?")  # kind (D download, U upload, Q quit), size, fsync


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise ConnectionError("peer closed")
        data += more
    return data


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view) :]


def _serve(listener: socket.socket, path: str, scratch: str) -> None:
    buffer = memoryview(bytearray(CHUNK))
    source = os.open(path, os.O_RDONLY)
    size = os.fstat(source).st_size
    while True:
        conn, _ = listener.accept()
        with conn:
            kind, count, fsync = _COMMAND.unpack(_recv_exact(conn, _COMMAND.size))
            if kind == b"Q":
                return
            if kind == b"D":
                offset = 0
                while offset < size:
                    offset += os.sendfile(conn.fileno(), source, offset, size - offset)
            elif kind == b"U":
                target = os.path.join(scratch, "limit-upload.tmp")
                out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                remaining = count
                while remaining:
                    received = conn.recv_into(buffer[: min(CHUNK, remaining)])
                    if not received:
                        break
                    _write_all(out, buffer[:received])
                    remaining -= received
                if fsync:
                    os.fsync(out)
                os.close(out)
                os.unlink(target)
                conn.sendall(b"k")


class LimitPair:
    """The helper process plus the client half of every limit measurement."""

    def __init__(self, source: Path, scratch: Path) -> None:
        self.source = source
        self.scratch = scratch
        self.size = source.stat().st_size
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(self.listener, str(source), str(scratch)), name="bench-limit", daemon=True
        )
        self._buffer = memoryview(bytearray(CHUNK))

    def start(self) -> LimitPair:
        self.process.start()
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def _connect(self, kind: bytes, size: int = 0, fsync: bool = False) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(_COMMAND.pack(kind, size, fsync))
        return sock

    def download(self, to_file: bool = False, fsync: bool = False) -> int:
        """Receive the whole file into the reused buffer (and into a file)."""
        out = os.open(self.scratch / "limit-download.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if to_file else -1
        done, view = 0, self._buffer
        try:
            with self._connect(b"D") as sock:
                recv_into = sock.recv_into
                while done < self.size:
                    received = recv_into(view)
                    if not received:
                        raise ConnectionError("limit sender closed early")
                    if out >= 0:
                        _write_all(out, view[:received])
                    done += received
            if fsync:
                os.fsync(out)
        finally:
            if out >= 0:
                os.close(out)
                os.unlink(self.scratch / "limit-download.tmp")
        return done

    def upload(self, fsync: bool) -> int:
        """sendfile the whole file; the helper writes it (and fsyncs) and acks."""
        with open(self.source, "rb") as f, self._connect(b"U", self.size, fsync) as sock:
            offset = 0
            while offset < self.size:
                offset += os.sendfile(sock.fileno(), f.fileno(), offset, self.size - offset)
            if sock.recv(1) != b"k":
                raise ConnectionError("limit receiver failed")
        return self.size

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self._connect(b"Q").close()
            except OSError:
                pass
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.listener.close()
