"""Lean load generators: one small-operations cycle spoken straight on sockets,
for Ferry and for FTP alike.

On two cores the generator shares the machine with the server it measures.
Through the client libraries (Ferry's client, ftplib) it took 1.4 to 2.6 ms of
CPU per cycle, as much as the servers themselves, so the figure said as much
about the clients as about the servers. These do the same requests with as
little client work as each protocol allows: requests encoded once, a reused
receive buffer, the uploaded file read and hashed once per process. Every
answer is still checked, lists included (they must name the files known to
exist); a wrong one fails the cycle and is counted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

from .files import SMALL_NAME

_PASV = re.compile(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


class WireError(Exception):
    """The server answered something else than the cycle expects."""


class _Stream:
    """A connected socket with a reusable receive buffer, read as lines or counted bytes."""

    __slots__ = ("sock", "_pending", "_buffer")

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = b""
        self._buffer = memoryview(bytearray(1 << 16))

    def line(self) -> bytes:
        while (end := self._pending.find(b"\n")) < 0:
            received = self.sock.recv_into(self._buffer)
            if not received:
                raise WireError("the server closed the connection")
            self._pending += self._buffer[:received]
        line, self._pending = self._pending[:end], self._pending[end + 1 :]
        return line

    def read(self, length: int) -> bytes:
        """Exactly ``length`` bytes (a body)."""
        while len(self._pending) < length:
            received = self.sock.recv_into(self._buffer)
            if not received:
                raise WireError("the server closed the connection in the middle of a body")
            self._pending += self._buffer[:received]
        body, self._pending = self._pending[:length], self._pending[length:]
        return body

    def skip(self, length: int) -> None:
        """Read and drop ``length`` bytes (a body)."""
        taken = min(length, len(self._pending))
        self._pending = self._pending[taken:]
        length -= taken
        while length:
            received = self.sock.recv_into(self._buffer[: min(length, len(self._buffer))])
            if not received:
                raise WireError("the server closed the connection in the middle of a body")
            length -= received

    def drain(self) -> None:
        """Read until the peer closes (an FTP data connection)."""
        while self.sock.recv_into(self._buffer):
            pass

    def read_all(self) -> bytes:
        """Everything until the peer closes (an FTP listing)."""
        parts = [self._pending]
        while received := self.sock.recv_into(self._buffer):
            parts.append(bytes(self._buffer[:received]))
        return b"".join(parts)

    def close(self) -> None:
        self.sock.close()


@functools.lru_cache(maxsize=4)
def _upload(local: str) -> tuple[bytes, str]:
    data = Path(local).read_bytes()
    return data, hashlib.sha256(data).hexdigest()


# -- Ferry ------------------------------------------------------------------

_LIST = b'{"op":"list"}\n'
_GET = b'{"op":"get","name":"' + SMALL_NAME.encode() + b'"}\n'
_QUIT = b'{"op":"quit"}\n'


def _ferry_answer(stream: _Stream) -> dict:
    header = json.loads(stream.line())
    if header.get("ok") is not True:
        raise WireError(f"ferry said {header}")
    return header


def check_listed(names: tuple[str, ...], found: Callable[[str], bool]) -> None:
    missing = [name for name in names if not found(name)]
    if missing:
        raise WireError(f"the list lacks {', '.join(missing)}, known to exist")


def ferry_cycle(port: int, local: Path, name: str, must_list: tuple[str, ...]) -> None:
    data, sha256 = _upload(str(local))
    stream = _Stream(port)
    try:
        if json.loads(stream.line()).get("ferry") != 1:
            raise WireError("not a Ferry greeting")
        stream.sock.sendall(_LIST)
        body = stream.read(_ferry_answer(stream)["length"])
        check_listed(must_list, lambda listed: b'{"name":"%s",' % listed.encode() in body)
        stream.sock.sendall(_GET)
        stream.skip(_ferry_answer(stream)["length"])
        put = {"op": "put", "name": name, "size": len(data), "overwrite": True, "sha256": sha256}
        stream.sock.sendall(json.dumps(put).encode() + b"\n")
        if _ferry_answer(stream).get("ready") is not True:
            raise WireError("no ready for the put")
        stream.sock.sendall(data)
        if _ferry_answer(stream).get("sha256") != sha256:
            raise WireError("the put's sha256 differs")
        stream.sock.sendall(_QUIT)
        _ferry_answer(stream)
    finally:
        stream.close()


# -- FTP --------------------------------------------------------------------


def _reply(stream: _Stream, expected: bytes) -> bytes:
    """The server's next reply (its last line, multi-line replies skipped through);
    its code must start with one of the digits in ``expected``."""
    line = stream.line()
    if line[3:4] == b"-":  # multi-line: ends with the same code and a space
        while not stream.line().startswith(line[:3] + b" "):
            pass
    if not line[:1] or line[:1] not in expected:
        raise WireError(f"ftp said {line[:80]!r}")
    return line


def _command(stream: _Stream, command: bytes, expected: bytes) -> bytes:
    stream.sock.sendall(command + b"\r\n")
    return _reply(stream, expected)


def _data_connection(control: _Stream) -> _Stream:
    match = _PASV.search(_command(control, b"PASV", b"2"))
    if match is None:
        raise WireError("no address in the PASV reply")
    numbers = [int(n) for n in match.groups()]
    return _Stream(numbers[4] * 256 + numbers[5])


def ftp_cycle(port: int, local: Path, name: str, must_list: tuple[str, ...]) -> None:
    data, _ = _upload(str(local))
    control = _Stream(port)
    try:
        _reply(control, b"2")
        _command(control, b"USER anonymous", b"23")
        _command(control, b"PASS anonymous@", b"2")
        _command(control, b"TYPE I", b"2")
        for command in (b"NLST", b"RETR " + SMALL_NAME.encode()):
            channel = _data_connection(control)
            try:
                _command(control, command, b"1")
                if command == b"NLST":
                    names = channel.read_all().decode().splitlines()
                    check_listed(must_list, names.__contains__)
                else:
                    channel.drain()
            finally:
                channel.close()
            _reply(control, b"2")
        channel = _data_connection(control)
        try:
            _command(control, b"STOR " + name.encode(), b"1")
            channel.sock.sendall(data)
        finally:
            channel.close()
        _reply(control, b"2")
        _command(control, b"QUIT", b"2")
    finally:
        control.close()
