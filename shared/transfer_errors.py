"""The errors of a transfer that are not the server's answer: the connection
went, or the user cancelled. Both leave the connection closed."""

from __future__ import annotations

from .errors import FerryError


class ConnectionLost(FerryError):
    """The connection failed or closed before the server finished answering."""

    def __init__(self, message: str) -> None:
        super().__init__("connection_lost", message)


class TransferCancelled(FerryError):
    def __init__(self) -> None:
        super().__init__("cancelled", "the transfer was cancelled")
