"""Every failure as one plain sentence for a person: never a traceback."""

from __future__ import annotations

import errno

from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.wrong_server import NEEDS_TLS, NOT_FERRY

_CODES = {
    "connection_failed": "The server is unreachable",
    "connection_lost": "The connection to the server was lost",
    "cancelled": "Cancelled",
    ErrorCode.UNAUTHORIZED: "The server needs a valid token: enter it in the Token field and connect again",
    ErrorCode.BUSY: "The server is busy; try again in a moment",
    ErrorCode.NOT_FOUND: "The file is no longer on the server",
    ErrorCode.EXISTS: "A file with that name already exists on the server",
    ErrorCode.TOO_LARGE: "The file is larger than the server accepts",
    ErrorCode.NO_SPACE: "The server's disk is full",
    ErrorCode.READ_ONLY: "The server is read-only: uploads are refused",
    ErrorCode.CHECKSUM_MISMATCH: "The file was damaged on the way (checksum mismatch)",
    ErrorCode.IO_ERROR: "The server could not read or write the file",
    ErrorCode.BAD_NAME: "The name is not allowed",
    ErrorCode.TIMEOUT: "The server gave up waiting",
    ErrorCode.FORBIDDEN: "The server does not allow this",
    ErrorCode.NOT_EMPTY: "The folder is not empty",
}

#: Codes whose message adds nothing a person can use (the server's words are for
#: programs: "send 'auth' with the server's token first").
_LEAD_ONLY = frozenset({"exists", "unauthorized", "read_only"})

#: Codes that the same request meets again however often it is sent: the window
#: offers no Retry for them.
FINAL_CODES = frozenset({ErrorCode.READ_ONLY.value, ErrorCode.FORBIDDEN.value, ErrorCode.TOO_LARGE.value})

#: How the resolver says a host name does not exist (glibc, macOS, musl).
_NO_SUCH_HOST = ("Name or service not known", "nodename nor servname", "No address associated", "Name does not resolve")

#: What OpenSSL says when the other end answers a TLS hello in plain text.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure", "packet length too long", "unknown protocol")

_ERRNOS = {
    errno.ENOSPC: "The disk is full",
    errno.EDQUOT: "The disk quota is full",
    errno.EACCES: "Permission denied",
    errno.EPERM: "Permission denied",
    errno.EROFS: "The folder is on a read-only disk",
    errno.ENOENT: "The file or folder does not exist",
    errno.EISDIR: "That is a folder, not a file",
    errno.ENAMETOOLONG: "The name is too long for this disk",
}


def describe(exc: BaseException) -> str:
    """``exc`` as a sentence (no trailing period), without a traceback."""
    if isinstance(exc, FerryError):
        code = exc.code.value if isinstance(exc.code, ErrorCode) else str(exc.code)
        lead = _CODES.get(exc.code) or _CODES.get(code)
        if code in ("connection_failed", "connection_lost", "cancelled"):
            return lead or exc.message
        if lead:
            return f"{lead} ({exc.message})" if exc.message and code not in _LEAD_ONLY else lead
        return exc.message or code
    if isinstance(exc, OSError):
        lead = _ERRNOS.get(exc.errno or 0)
        where = f": {exc.filename}" if exc.filename else ""
        if lead:
            return lead + where
        return (exc.strerror or str(exc)) + where
    return f"Unexpected error: {exc}"


def error_code(exc: BaseException) -> str:
    """The protocol code of ``exc`` as a string; "" for a local error."""
    return str(exc.code) if isinstance(exc, FerryError) else ""


def connect_problem(address: str, has_token: bool, exc: BaseException) -> str:
    """Why connecting to ``address`` (``host:port``) failed, telling apart what a
    person fixes differently: a missing or wrong token, the TLS box, a host name
    that does not exist, and a server that does not answer."""
    code = error_code(exc)
    message = exc.message if isinstance(exc, FerryError) else ""
    if code == ErrorCode.UNAUTHORIZED:
        if has_token:
            return "The server refused this token: check the Token field and connect again"
        return "This server needs a token: enter it in the Token field and connect again"
    if code == NEEDS_TLS:
        return f"The server at {address} speaks TLS: tick TLS and connect again"
    if code == NOT_FERRY:
        return f"{address} is not a Ferry server ({message.split(': ', 1)[-1]}): check the address and port"
    if code != "connection_failed":
        return describe(exc)
    if any(sign in message for sign in _NOT_TLS):
        return f"The server at {address} does not speak TLS: untick TLS and connect again"
    if any(sign in message for sign in _NO_SUCH_HOST):
        host = address.rsplit(":", 1)[0].strip("[]")
        return f"No computer called {host} was found: check the address"
    if message.startswith("TLS with"):
        return message[:1].upper() + message[1:]
    return f"No server answers at {address}: check the address and that the server is running"
