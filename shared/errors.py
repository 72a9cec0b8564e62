"""The protocol's error codes (PROTOCOL.md sections 5 and 7.6) and the exception that carries one."""

from __future__ import annotations

import enum


class ErrorCode(str, enum.Enum):
    BAD_REQUEST = "bad_request"
    UNKNOWN_OP = "unknown_op"
    HEADER_TOO_LARGE = "header_too_large"
    UNAUTHORIZED = "unauthorized"
    BAD_NAME = "bad_name"
    NOT_FOUND = "not_found"
    EXISTS = "exists"
    TOO_LARGE = "too_large"
    NO_SPACE = "no_space"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    READ_ONLY = "read_only"
    IO_ERROR = "io_error"
    BUSY = "busy"
    TIMEOUT = "timeout"
    INTERNAL = "internal"
    # version 1.1 (section 7.6); the connection stays open after either
    NOT_EMPTY = "not_empty"
    FORBIDDEN = "forbidden"

    def __str__(self) -> str:
        return self.value


#: After sending one of these the server closes the connection.
CLOSING_CODES = frozenset({ErrorCode.HEADER_TOO_LARGE, ErrorCode.BUSY, ErrorCode.TIMEOUT})


class FerryError(Exception):
    """An error with a protocol code: raised by the protocol layer, sent by the server,
    and raised again by the client library when a server answers with one.

    ``code`` is an :class:`ErrorCode` when the code is one this version knows, else
    the raw string a (newer) server sent, so callers can still show it.
    """

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_wire(self) -> dict[str, object]:
        return {"ok": False, "error": str(self.code), "message": self.message}
