"""A raw-socket peer for protocol tests: sends exact bytes, reads exact bytes,
so the server is checked against PROTOCOL.md and not against our own client."""

from __future__ import annotations

import json
import socket
from typing import Any


class Wire:
    def __init__(self, address: tuple[str, int], timeout: float = 10.0, greet: bool = True) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buffer = b""
        self.greeting = self.header() if greet else None

    def send(self, data: bytes | dict[str, Any]) -> None:
        if isinstance(data, dict):
            data = json.dumps(data).encode() + b"\n"
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(1 << 20)
        self.buffer += chunk
        return bool(chunk)

    def header(self) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            if not self._fill():
                raise EOFError(f"connection closed; buffered {self.buffer[:200]!r}")
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def body(self, length: int) -> bytes:
        while len(self.buffer) < length:
            if not self._fill():
                raise EOFError(f"connection closed after {len(self.buffer)} of {length} body bytes")
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return data

    def request(self, data: bytes | dict[str, Any]) -> dict[str, Any]:
        self.send(data)
        return self.header()

    def error(self, data: bytes | dict[str, Any]) -> str:
        """Send a request that must fail; return its error code."""
        response = self.request(data)
        assert response["ok"] is False, response
        assert isinstance(response.get("message"), str)
        return response["error"]

    def closed(self) -> bool:
        """True if the server has closed the connection (EOF with nothing more to read)."""
        try:
            while True:
                if not self._fill():
                    return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
