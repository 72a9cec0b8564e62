"""The server a command talks to, and the one connection it uses.

A :class:`Connection` opens lazily and comes back after a failure that cost the
connection (the server went away, a transfer broke off): a command working
through many files gets a fresh connection for the next file instead of failing
them all. If the server cannot be reached again, :class:`CannotConnect` ends the
command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ferry_files.shared.client import ConnectionLost, FerryClient, TransferCancelled
from ferry_files.shared.errors import CLOSING_CODES, ErrorCode, FerryError
from ferry_files.shared.tls import TlsSettings

T = TypeVar("T")

#: Seconds to wait for the server before a request fails with ``connection_lost``
#: (the default of ``--timeout``).
TIMEOUT = 60.0


class CannotConnect(FerryError):
    """Connecting (or authenticating) failed: nothing more can be done with this server."""

    def __init__(self, error: FerryError) -> None:
        super().__init__(error.code, error.message)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    token: str | None = field(default=None, repr=False)
    tls: TlsSettings | None = None
    timeout: float = TIMEOUT

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def connect(self) -> FerryClient:
        try:
            return FerryClient.connect(self.host, self.port, token=self.token, tls=self.tls, timeout=self.timeout)
        except FerryError as exc:
            raise CannotConnect(self.explain(exc)) from None

    def explain(self, error: FerryError) -> FerryError:
        """Add what to do about an ``unauthorized`` answer when no token was given."""
        if error.code == ErrorCode.UNAUTHORIZED and self.token is None:
            return FerryError(error.code, f"{error.message} (this server needs a token: use --token or FERRY_TOKEN)")
        return error


def _connection_survives(exc: BaseException) -> bool:
    """Whether the connection can take the next request after ``exc``: only after
    an answer from the server (or a request refused before it was sent). After
    anything else, a local file error included, the connection may be in the
    middle of a body, so it is not trusted again."""
    if isinstance(exc, (ConnectionLost, TransferCancelled)) or not isinstance(exc, FerryError):
        return False
    # Protocol codes are answers (or a name refused before sending); the library's
    # own codes (local_io...) can come from the middle of a body. The library also
    # closes the connection when a reply is malformed (bad_request).
    return isinstance(exc.code, ErrorCode) and exc.code not in CLOSING_CODES and exc.code != ErrorCode.BAD_REQUEST


class Connection:
    """The current :class:`FerryClient` to ``server``, reopened when a failure closed it."""

    def __init__(self, server: Server, connect: Callable[[], FerryClient] | None = None) -> None:
        self.server = server
        self._connect = connect or server.connect
        self._client: FerryClient | None = None

    def open(self) -> FerryClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def run(self, operation: Callable[[FerryClient], T]) -> T:
        """``operation(client)``; a FerryError comes back explained (see :meth:`Server.explain`)."""
        client = self.open()
        try:
            return operation(client)
        except BaseException as exc:
            if not _connection_survives(exc):
                self._client = None
                client.close()
            if isinstance(exc, FerryError) and (explained := self.server.explain(exc)) is not exc:
                raise explained from None
            raise

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.quit()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:
            self.close()
        elif self._client is not None:
            self._client.close()
            self._client = None
