"""Header lines on a byte stream (PROTOCOL.md section 1): no I/O, bytes in, headers out.

TCP has no message boundaries, so a reader feeds whatever ``recv()`` returned
into a :class:`HeaderBuffer` and asks it for complete header lines; the bytes
after a header that announced a body are taken back out with :meth:`take`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import ErrorCode, FerryError
from .limits import MAX_HEADER_BYTES


def _bad(message: str) -> FerryError:
    return FerryError(ErrorCode.BAD_REQUEST, message)


class HeaderBuffer:
    """Buffers received bytes and splits them into header lines by LF."""

    __slots__ = ("_buf", "_scanned", "_max")

    def __init__(self, max_header: int = MAX_HEADER_BYTES) -> None:
        self._buf = bytearray()
        self._scanned = 0  # bytes already searched for LF, so a slow header costs O(n)
        self._max = max_header

    def __len__(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._buf += data

    def next_header(self) -> bytes | None:
        """The next complete header line without its LF (a trailing CR is kept for
        :func:`decode_header`), or None if no complete line is buffered yet.

        Raises ``header_too_large`` as soon as the buffered line cannot fit any more,
        so a peer cannot make us hold more than one maximal header.
        """
        end = self._buf.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buf)
            if self._scanned >= self._max:
                raise FerryError(ErrorCode.HEADER_TOO_LARGE, f"a header is at most {self._max} bytes")
            return None
        if end + 1 > self._max:
            raise FerryError(ErrorCode.HEADER_TOO_LARGE, f"a header is at most {self._max} bytes")
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        self._scanned = 0
        return line

    def take(self, limit: int) -> bytes:
        """Remove and return up to ``limit`` buffered bytes (the start of a body)."""
        if limit <= 0 or not self._buf:
            return b""
        chunk = bytes(self._buf[:limit])
        del self._buf[:limit]
        self._scanned = 0
        return chunk


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _bad("duplicate key in header")
    return obj


def _reject_constant(name: str) -> Any:
    raise _bad(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _bad(f"number {text[:20]} is out of range")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicate_keys,
    parse_constant=_reject_constant,
    parse_float=_finite_float,
)


#: For bodies of many objects: each object comes out as a tuple of its (key, value)
#: pairs, built in C. The dict of ``_DECODER`` is built by a Python hook per object,
#: which was 40 % of parsing a listing.
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=tuple, parse_constant=_reject_constant)

#: Made once: json.dumps with options builds a new encoder for every header.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_ENCODE_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def decode_header(line: bytes) -> Any:
    """Parse one header line into a JSON value (usually a dict; callers check).

    Every way a line can be malformed becomes ``bad_request``: invalid UTF-8,
    invalid JSON, duplicate keys, NaN/Infinity/1e999, absurd nesting.
    """
    if line.endswith(b"\r"):
        line = line[:-1]
    return _decode(line, _DECODER, "header")


def decode_pairs(data: bytes) -> Any:
    """Parse a JSON text whose objects come out as tuples of (key, value) pairs:
    for a body of many entries (a listing). Malformed text is ``bad_request`` as in
    :func:`decode_header`, but duplicate keys and numbers that overflow to infinity
    are left to the caller, which looks at every entry's fields anyway."""
    return _decode(data, _PAIRS_DECODER, "body")


def _decode(data: bytes, decoder: json.JSONDecoder, what: str) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(f"{what} is not valid UTF-8") from None
    try:
        return decoder.decode(text)
    except FerryError:
        raise
    except RecursionError:
        raise _bad(f"{what} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and int strings past the digit limit
        raise _bad(f"{what} is not valid JSON: {str(exc)[:80]}") from None


def encode_header(obj: dict[str, Any]) -> bytes:
    """One header line: compact JSON and LF. JSON escapes control characters, so
    the line holds no raw LF.

    A str holding a lone surrogate (a peer can send ``"\\ud800"`` as a JSON escape,
    and error messages quote what the peer sent) cannot be encoded as UTF-8: such a
    header goes out ASCII-only, with the surrogate as a ``\\uXXXX`` escape, instead
    of failing the session without an answer."""
    try:
        return _ENCODE(obj).encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        return _ENCODE_ASCII(obj).encode("ascii") + b"\n"
