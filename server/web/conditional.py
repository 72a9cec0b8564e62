"""A file's validators and what a request's conditions and ``Range`` make of
them (RFC 9110 sections 8.8, 13 and 14): pure functions, no I/O.

The ETag is strong and names the inode, size and mtime in ns: an upload
publishes a new inode, so any change gives a new tag, and a download resumed
with ``If-Range`` never mixes two versions of a file. One range per request
(the page, curl and download managers ask for one); a request for several is
answered with the whole file, which the RFC allows.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote


def etag_of(st: os.stat_result) -> bytes:
    return b'"%x-%x-%x"' % (st.st_ino, st.st_size, st.st_mtime_ns)


def http_date(seconds: float) -> bytes:
    return formatdate(seconds, usegmt=True).encode()


def _parse_date(value: bytes) -> float | None:
    try:
        return parsedate_to_datetime(value.decode("latin-1")).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _tags(value: bytes) -> list[bytes]:
    return [tag.strip().removeprefix(b"W/") for tag in value.split(b",") if tag.strip()]


def not_modified(headers: dict[bytes, bytes], etag: bytes, mtime: float) -> bool:
    """304 for a GET or HEAD: ``If-None-Match`` (weak comparison) wins over
    ``If-Modified-Since``, which is compared in whole seconds (a date's precision)."""
    if b"if-none-match" in headers:
        tags = _tags(headers[b"if-none-match"])
        return b"*" in tags or etag in tags
    since = _parse_date(headers.get(b"if-modified-since", b""))
    return since is not None and int(mtime) <= since


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as Content-Range writes it

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """416: the range starts past the end of the file."""


def requested_range(headers: dict[bytes, bytes], size: int, etag: bytes, mtime: float) -> ByteRange | None:
    """The one range to send, or None for the whole file (no ``Range``, one we
    do not serve, or an ``If-Range`` the file no longer matches); raises
    :class:`Unsatisfiable` for a range wholly past the end."""
    value = headers.get(b"range")
    if value is None or not value.startswith(b"bytes="):
        return None
    if b"if-range" in headers and not _if_range_holds(headers[b"if-range"], etag, mtime):
        return None
    spec = value[6:].strip()
    if b"," in spec or b"-" not in spec:
        return None
    first, last = (part.strip() for part in spec.split(b"-", 1))
    if not (first.isdigit() or first == b"") or not (last.isdigit() or last == b"") or first == last == b"":
        return None
    if first == b"":  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable()
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = size - 1 if last == b"" else min(int(last), size - 1)
    if last != b"" and int(last) < start:
        return None  # invalid: ignored, the whole file
    if start >= size:
        raise Unsatisfiable()
    return ByteRange(start, end)


def _if_range_holds(value: bytes, etag: bytes, mtime: float) -> bool:
    if value.startswith(b'"'):
        return value.strip() == etag  # strong comparison
    date = _parse_date(value)
    return date is not None and int(mtime) == date


def content_type(name: str) -> bytes:
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if guessed is None or encoding is not None:  # a .gz is bytes to a browser, not gzip-encoded text
        return b"application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/json", "application/javascript"):
        return f"{guessed}; charset=utf-8".encode()
    return guessed.encode()


def content_disposition(name: str, attachment: bool) -> bytes:
    """RFC 6266: an ASCII ``filename`` for old clients (non-ASCII and quotes made
    ``_``) and the exact name as ``filename*`` in UTF-8."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%' else "_" for c in name)
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}".encode()
