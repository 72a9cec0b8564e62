"""Requests and responses as typed values (PROTOCOL.md sections 2, 3 and 6). No I/O.

The server validates a request in the order section 6 prescribes:
:func:`request_op` (is it an object with a known ``op``?), then its own
``unauthorized`` check, then :func:`parse_request` (field types, then names),
then its own ``read_only`` check. Clients use :func:`field` and
:func:`raise_for_error` to read responses, which are untrusted input too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import ErrorCode, FerryError
from .limits import MAX_FILE_SIZE, PROTOCOL_VERSION
from .names import check_name

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Auth:
    token: str


@dataclass(frozen=True)
class ListFiles:
    pass


@dataclass(frozen=True)
class Stat:
    name: str


@dataclass(frozen=True)
class Get:
    name: str
    offset: int = 0


@dataclass(frozen=True)
class Put:
    name: str
    size: int
    overwrite: bool = False
    sha256: str | None = None  # lowercase when present


@dataclass(frozen=True)
class Quit:
    pass


Request = Auth | ListFiles | Stat | Get | Put | Quit

OPS = ("auth", "list", "stat", "get", "put", "quit")

_MISSING = object()


def _bad(message: str) -> FerryError:
    return FerryError(ErrorCode.BAD_REQUEST, message)


def field(header: dict[str, Any], key: str, kind: type, *, optional: bool = False, default: Any = None) -> Any:
    """``header[key]`` checked to be of JSON type ``kind``, else ``bad_request``.

    Booleans are not integers, an optional field is absent rather than null, and
    integers are sizes or offsets: between 0 and :data:`MAX_FILE_SIZE`.
    """
    value = header.get(key, _MISSING)
    if value is _MISSING:
        if optional:
            return default
        raise _bad(f"missing field '{key}'")
    if kind is int:
        if type(value) is not int:
            raise _bad(f"'{key}' must be an integer")
        if not 0 <= value <= MAX_FILE_SIZE:
            raise _bad(f"'{key}' is out of range")
    elif kind is float:
        if type(value) not in (int, float):
            raise _bad(f"'{key}' must be a number")
    elif type(value) is not kind:
        raise _bad(f"'{key}' must be of type {_JSON_NAMES[kind]}")
    return value


_JSON_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


def request_op(header: Any) -> str:
    """The request's ``op``, or the first-ranked ``bad_request``/``unknown_op``."""
    if not isinstance(header, dict):
        raise _bad("a request is a JSON object")
    op = field(header, "op", str)
    if op not in OPS:
        raise FerryError(ErrorCode.UNKNOWN_OP, f"unknown op '{op[:40]}'")
    return op


def parse_request(op: str, header: dict[str, Any]) -> Request:
    """The typed request for a header whose ``op`` passed :func:`request_op`.

    Field types are checked before the name, so ``bad_request`` outranks ``bad_name``.
    """
    if op == "list":
        return ListFiles()
    if op == "quit":
        return Quit()
    if op == "auth":
        return Auth(field(header, "token", str))
    if op == "stat":
        return Stat(check_name(field(header, "name", str)))
    if op == "get":
        name = field(header, "name", str)
        offset = field(header, "offset", int, optional=True, default=0)
        return Get(check_name(name), offset)
    name = field(header, "name", str)
    size = field(header, "size", int)
    overwrite = field(header, "overwrite", bool, optional=True, default=False)
    sha256 = field(header, "sha256", str, optional=True)
    if sha256 is not None:
        if not _SHA256.fullmatch(sha256):
            raise _bad("'sha256' must be 64 hex digits")
        sha256 = sha256.lower()
    return Put(check_name(name), size, overwrite, sha256)


def encode_request(request: Request) -> dict[str, Any]:
    """The header for a request, omitting optional fields at their defaults (section 6)."""
    if isinstance(request, Auth):
        return {"op": "auth", "token": request.token}
    if isinstance(request, ListFiles):
        return {"op": "list"}
    if isinstance(request, Quit):
        return {"op": "quit"}
    if isinstance(request, Stat):
        return {"op": "stat", "name": request.name}
    if isinstance(request, Get):
        header: dict[str, Any] = {"op": "get", "name": request.name}
        if request.offset:
            header["offset"] = request.offset
        return header
    header = {"op": "put", "name": request.name, "size": request.size}
    if request.overwrite:
        header["overwrite"] = True
    if request.sha256 is not None:
        header["sha256"] = request.sha256
    return header


def list_entry(name: str, size: int, mtime: float) -> bytes:
    """One line of a ``list`` body. Built from a template rather than a dict through
    ``json.dumps``: a 100,000-file listing is mostly this function."""
    return b'{"name":%s,"size":%d,"mtime":%s}\n' % (_json_string(name).encode(), size, repr(float(mtime)).encode())


_json_string = json.JSONEncoder(ensure_ascii=False).encode  # a str becomes a quoted, escaped JSON string


def greeting(server: str, auth: bool | str, max_upload: int | None) -> dict[str, Any]:
    return {"ferry": PROTOCOL_VERSION, "server": server, "auth": auth, "max_upload": max_upload}


def raise_for_error(header: Any) -> dict[str, Any]:
    """A response header if it says ``ok: true``; the server's error as a
    :class:`FerryError` if it says ``ok: false``; ``bad_request`` if it is neither."""
    if not isinstance(header, dict) or type(header.get("ok")) is not bool:
        raise _bad("the server sent a malformed response")
    if header["ok"]:
        return header
    code = header.get("error")
    message = header.get("message")
    if not isinstance(code, str):
        raise _bad("the server sent an error without a code")
    try:
        code = ErrorCode(code)
    except ValueError:
        pass
    raise FerryError(code, message if isinstance(message, str) else "")
