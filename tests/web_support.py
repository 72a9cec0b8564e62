"""Helpers for the HTTP tests: a raw-socket HTTP peer (exact bytes in and out,
so nothing a client library normalizes hides a bug) and curl."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names lowercased
    body: bytes = b""

    def json(self):
        return json.loads(self.body)


class Peer:
    """One HTTP/1.1 connection to the server, read and written by hand."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.port = port
        self._pending = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"", *, head: bool = False
    ) -> Response:
        self.send(encode_request(method, target, self.port, headers, body))
        return self.response(head=head or method == "HEAD")

    def _fill(self) -> bool:
        data = self.sock.recv(1 << 20)
        self._pending += data
        return bool(data)

    def response(self, *, head: bool = False) -> Response:
        while b"\r\n\r\n" not in self._pending:
            if not self._fill():
                raise ConnectionError(f"closed before a full response head: {self._pending!r}")
        head_bytes, self._pending = self._pending.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        response = Response(status, headers)
        if head or status in (204, 304) or 100 <= status < 200:
            return response
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self._pending) < length:
                if not self._fill():
                    raise ConnectionError("closed in the middle of a body")
            response.body, self._pending = self._pending[:length], self._pending[length:]
        elif headers.get("transfer-encoding") == "chunked":
            response.body = self._chunked()
        else:
            while self._fill():
                pass
            response.body, self._pending = self._pending, b""
        return response

    def _chunked(self) -> bytes:
        return b"".join(self.chunks(head_read=True))

    def chunks(self, head_read: bool = False) -> Iterator[bytes]:
        """A chunked body's chunks as they come (after reading the response head,
        unless the caller has), for bodies too large to hold."""
        if not head_read:
            while b"\r\n\r\n" not in self._pending:
                if not self._fill():
                    raise ConnectionError("closed before a full response head")
            head, self._pending = self._pending.split(b"\r\n\r\n", 1)
            assert b"transfer-encoding: chunked" in head.lower(), head
        while True:
            while b"\r\n" not in self._pending:
                if not self._fill():
                    raise ConnectionError("closed in a chunked body")
            size_line, self._pending = self._pending.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self._pending) < size + 2:
                if not self._fill():
                    raise ConnectionError("closed in a chunk")
            chunk, self._pending = self._pending[:size], self._pending[size + 2 :]
            if size == 0:
                return
            yield chunk

    def closed_by_server(self) -> bool:
        """True once the server has closed the connection (EOF, or a reset)."""
        try:
            return self.sock.recv(1 << 16) == b""
        except ConnectionResetError:
            return True


def encode_request(method: str, target: str, port: int, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    all_headers = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if body and "Content-Length" not in all_headers and "Transfer-Encoding" not in all_headers:
        all_headers["Content-Length"] = str(len(body))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers.items()) + "\r\n"
    return head.encode("latin-1") + body


def request(port: int, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Response:
    """One request on a connection of its own."""
    with Peer(port) as peer:
        return peer.request(method, target, headers, body)


def changing(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers of a request that changes something: the anti-CSRF header (docs/security.md)."""
    return {"X-Ferry": "1", **(headers or {})}


def curl(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["curl", "--silent", "--show-error", *args], capture_output=True, timeout=timeout)
