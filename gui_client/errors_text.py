"""Every failure as one plain sentence for a person: never a traceback."""

from __future__ import annotations

import errno

from shared.errors import ErrorCode, FerryError

_CODES = {
    "connection_failed": "The server is unreachable",
    "connection_lost": "The connection to the server was lost",
    "cancelled": "Cancelled",
    ErrorCode.UNAUTHORIZED: "The server needs a valid token",
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
}

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
            return f"{lead} ({exc.message})" if exc.message and code not in ("exists",) else lead
        return exc.message or code
    if isinstance(exc, OSError):
        lead = _ERRNOS.get(exc.errno or 0)
        where = f": {exc.filename}" if exc.filename else ""
        if lead:
            return lead + where
        return (exc.strerror or str(exc)) + where
    return f"Unexpected error: {exc}"
