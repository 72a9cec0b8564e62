"""Implicit TLS for sessions: the handshake runs in the worker, after the plain
socket has been passed to it, so the parent never blocks on a slow or hostile
handshake. Everything, the greeting and ``busy`` included, travels inside TLS.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from pathlib import Path

from .connection import Connection

#: Bytes read from the file per TLS record batch (sendfile cannot encrypt).
TLS_FILE_CHUNK = 256 * 1024


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """Raises OSError/ssl.SSLError with the reason when the pair cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class TlsConnection(Connection):
    __slots__ = ("handshake_timeout",)
    can_splice = False  # the bytes must be decrypted here

    def __init__(self, sock, context: ssl.SSLContext, handshake_timeout: float) -> None:
        sock.setblocking(False)
        super().__init__(context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False))
        self.handshake_timeout = handshake_timeout

    async def start(self) -> None:
        """The handshake, within ``handshake_timeout`` (the header timeout): like a
        header, a handshake must complete in time, or a client trickling its
        ClientHello would hold the session for the whole idle timeout. A plaintext,
        broken or too slow client fails here with an OSError, which ends only its
        own session."""
        try:
            await asyncio.wait_for(self._handshake(), self.handshake_timeout)
        except asyncio.TimeoutError:  # not an OSError before Python 3.11
            raise ConnectionAbortedError("the TLS handshake did not complete in time") from None

    async def _handshake(self) -> None:
        await self._retry(self.sock.do_handshake, direction="read")

    def _blocked_on(self, exc: OSError, direction: str) -> str | None:
        if isinstance(exc, ssl.SSLWantReadError):
            return "read"
        if isinstance(exc, ssl.SSLWantWriteError):
            return "write"
        return None

    _EOF_ERRORS = (ConnectionResetError, ssl.SSLEOFError)

    async def send_all(self, data: bytes, more: bool = False) -> None:
        await super().send_all(data)  # TLS records: no MSG_MORE

    async def sendfile(self, file_fd: int, offset: int, count: int) -> int:
        """sendfile cannot encrypt: read a chunk and send it as records."""
        chunk = os.pread(file_fd, min(count, TLS_FILE_CHUNK), offset)
        await self.send_all(chunk)
        return len(chunk)
