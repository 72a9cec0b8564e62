"""The protocol's error codes (shared/errors.py) as HTTP statuses: one table, so
the web answers every failure the storage reports the way the native protocol
names it (the code travels in the JSON body too)."""

from __future__ import annotations

from ferry_files.shared.errors import ErrorCode

STATUS_OF: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.UNKNOWN_OP: 400,
    ErrorCode.HEADER_TOO_LARGE: 431,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.BAD_NAME: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.EXISTS: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.NO_SPACE: 507,
    ErrorCode.CHECKSUM_MISMATCH: 422,
    ErrorCode.READ_ONLY: 403,
    ErrorCode.IO_ERROR: 500,
    ErrorCode.BUSY: 503,
    ErrorCode.TIMEOUT: 408,
    ErrorCode.INTERNAL: 500,
    ErrorCode.NOT_EMPTY: 409,
    ErrorCode.FORBIDDEN: 403,
}


def status_of(code: ErrorCode | str) -> int:
    return STATUS_OF.get(code, 500) if isinstance(code, ErrorCode) else 500
