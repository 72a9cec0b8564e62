"""Requests and responses as typed values (PROTOCOL.md sections 2, 3, 6 and 7). No I/O.

The server validates a request in the order section 6 prescribes:
:func:`request_op` (is it an object with a known ``op``?), then its own
``unauthorized`` check, then :func:`parse_request` (field types, then names and
paths), then its own ``read_only`` and ``forbidden`` checks (a request's
``features`` against those its greeting offered). Clients use :func:`field` and
:func:`raise_for_error` to read responses, which are untrusted input too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ErrorCode, FerryError
from .limits import MAX_FILE_SIZE, MAX_MTIME_SECONDS, PROTOCOL_VERSION
from .paths import check_path

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_UPLOAD_ID = re.compile(r"[0-9a-fA-F]{32,64}")

# -- features (PROTOCOL.md section 7) -----------------------------------------

FOLDERS = "folders"
MANAGE = "manage"
TRAILER = "trailer"
RESUME = "resume"
MTIME = "mtime"
#: Every feature this implementation knows, in the order a greeting lists them.
FEATURES = (FOLDERS, MANAGE, TRAILER, RESUME, MTIME)

_NONE: frozenset[str] = frozenset()
_FOLDERS_ONLY = frozenset({FOLDERS})


def _path_features(path: str) -> frozenset[str]:
    """Where version 1 takes a name, a name with a ``/`` is a path: feature ``folders``."""
    return _FOLDERS_ONLY if "/" in path else _NONE


# -- requests -----------------------------------------------------------------
#
# Every request type has ``features``: the features of its greeting a server must
# offer to answer it (a missing one is ``forbidden``), and ``is_version_1_1``:
# whether it uses anything of section 7 at all, so a client can tell that a server
# whose greeting has no ``features`` field would not understand it. A 1.1 field
# uses its feature whenever it is present, whatever its value (7.2: "any of the
# three fields uses feature folders"); ``None`` means absent, and absent fields
# are left out of the header again by :func:`encode_request`.


@dataclass(frozen=True)
class Auth:
    token: str
    features = _NONE
    is_version_1_1 = False


@dataclass(frozen=True)
class ListFiles:
    path: str | None = None  # a folder; "" and None are the root
    folders: bool | None = None
    recursive: bool | None = None

    @property
    def features(self) -> frozenset[str]:
        return _NONE if self.path is self.folders is self.recursive is None else _FOLDERS_ONLY

    @property
    def is_version_1_1(self) -> bool:
        return bool(self.features)


@dataclass(frozen=True)
class Stat:
    name: str  # a path

    @property
    def features(self) -> frozenset[str]:
        return _path_features(self.name)

    @property
    def is_version_1_1(self) -> bool:
        return bool(self.features)


@dataclass(frozen=True)
class Get:
    name: str  # a path
    offset: int = 0
    length: int | None = None  # at most this many bytes (7.5)

    @property
    def features(self) -> frozenset[str]:
        return _path_features(self.name)

    @property
    def is_version_1_1(self) -> bool:
        """``length`` is no feature of its own: any server whose greeting has
        ``features`` (even an empty list) honours it."""
        return bool(self.features) or self.length is not None


@dataclass(frozen=True)
class Put:
    name: str  # a path
    size: int
    overwrite: bool = False  # version 1; a policy (--no-delete) may refuse it, no feature does
    sha256: str | None = None  # lowercase when present
    trailer: bool | None = None
    upload_id: str | None = None  # lowercase when present
    mtime: float | None = None
    parents: bool | None = None

    @property
    def features(self) -> frozenset[str]:
        used = set(_path_features(self.name))
        if self.parents is not None:
            used.add(FOLDERS)
        if self.trailer is not None:
            used.add(TRAILER)
        if self.upload_id is not None:
            used.add(RESUME)
        if self.mtime is not None:
            used.add(MTIME)
        return frozenset(used)

    @property
    def is_version_1_1(self) -> bool:
        return bool(self.features)


@dataclass(frozen=True)
class Mkdir:
    path: str
    parents: bool = False
    features = _FOLDERS_ONLY
    is_version_1_1 = True


@dataclass(frozen=True)
class Delete:
    path: str
    recursive: bool = False
    features = frozenset({MANAGE})
    is_version_1_1 = True


@dataclass(frozen=True)
class Rename:
    source: str  # the wire's "from"
    target: str  # the wire's "to"
    overwrite: bool = False
    is_version_1_1 = True

    @property
    def features(self) -> frozenset[str]:
        """``manage``, and ``folders`` when either side is a path with a ``/``:
        moving between folders needs folders to exist."""
        return frozenset({MANAGE}) | _path_features(self.source) | _path_features(self.target)

    @property
    def into_itself(self) -> bool:
        """Would this move ``source`` inside itself? ``bad_request`` when ``source``
        is a folder (7.3); the server checks that before ``target``'s folder."""
        return self.target.startswith(self.source + "/")


@dataclass(frozen=True)
class Quit:
    features = _NONE
    is_version_1_1 = False


Request = Auth | ListFiles | Stat | Get | Put | Mkdir | Delete | Rename | Quit

OPS = ("auth", "list", "stat", "get", "put", "mkdir", "delete", "rename", "quit")
#: Requests that change the library: ``read_only`` refuses them, and on an
#: ``"auth": "write"`` server they need ``auth`` (sections 2 and 7.3).
WRITE_OPS = frozenset({"put", "mkdir", "delete", "rename"})

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


def _hex_field(header: dict[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    """An optional hex field, lowercase: both are compared without case."""
    value = field(header, key, str, optional=True)
    if value is None:
        return None
    if not pattern.fullmatch(value):
        raise _bad(f"'{key}' must be {what}")
    return value.lower()


def _sha256_field(header: dict[str, Any]) -> str | None:
    return _hex_field(header, "sha256", _SHA256, "64 hex digits")


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

    Every field's type and range is checked before any name or path, so
    ``bad_request`` outranks ``bad_name`` (section 6).
    """
    return _PARSERS[op](header)


def _parse_auth(header: dict[str, Any]) -> Auth:
    return Auth(field(header, "token", str))


def _parse_quit(header: dict[str, Any]) -> Quit:
    return Quit()


def _parse_list(header: dict[str, Any]) -> ListFiles:
    path = field(header, "path", str, optional=True)
    folders = field(header, "folders", bool, optional=True)
    recursive = field(header, "recursive", bool, optional=True)
    if path is not None:
        check_path(path, root_allowed=True)
    return ListFiles(path, folders, recursive)


def _parse_stat(header: dict[str, Any]) -> Stat:
    return Stat(check_path(field(header, "name", str)))


def _parse_get(header: dict[str, Any]) -> Get:
    name = field(header, "name", str)
    offset = field(header, "offset", int, optional=True, default=0)
    length = field(header, "length", int, optional=True)
    return Get(check_path(name), offset, length)


def _parse_put(header: dict[str, Any]) -> Put:
    name = field(header, "name", str)
    size = field(header, "size", int)
    overwrite = field(header, "overwrite", bool, optional=True, default=False)
    sha256 = _sha256_field(header)
    trailer = field(header, "trailer", bool, optional=True)
    upload_id = _hex_field(header, "upload_id", _UPLOAD_ID, "32 to 64 hex digits")
    mtime = field(header, "mtime", float, optional=True)
    if mtime is not None and not -MAX_MTIME_SECONDS <= mtime <= MAX_MTIME_SECONDS:
        raise _bad("'mtime' is out of range")
    parents = field(header, "parents", bool, optional=True)
    if trailer and sha256 is not None:
        raise _bad("'sha256' and 'trailer' exclude each other: the digest comes either before or after the body")
    return Put(check_path(name), size, overwrite, sha256, trailer, upload_id, mtime, parents)


def _parse_mkdir(header: dict[str, Any]) -> Mkdir:
    path = field(header, "path", str)
    parents = field(header, "parents", bool, optional=True, default=False)
    return Mkdir(check_path(path), parents)


def _parse_delete(header: dict[str, Any]) -> Delete:
    path = field(header, "path", str)
    recursive = field(header, "recursive", bool, optional=True, default=False)
    return Delete(check_path(path), recursive)


def _parse_rename(header: dict[str, Any]) -> Rename:
    source = field(header, "from", str)
    target = field(header, "to", str)
    overwrite = field(header, "overwrite", bool, optional=True, default=False)
    return Rename(check_path(source), check_path(target), overwrite)


_PARSERS = {
    "auth": _parse_auth,
    "list": _parse_list,
    "stat": _parse_stat,
    "get": _parse_get,
    "put": _parse_put,
    "mkdir": _parse_mkdir,
    "delete": _parse_delete,
    "rename": _parse_rename,
    "quit": _parse_quit,
}


def parse_trailer(header: Any) -> str:
    """The digest of a ``put`` trailer (7.4), ``{"sha256": "<64 hex>"}``, lowercase;
    ``bad_request`` for anything else. Other fields are ignored, as in any header."""
    if not isinstance(header, dict):
        raise _bad("a trailer is a JSON object")
    digest = _sha256_field(header)
    if digest is None:
        raise _bad("missing field 'sha256' in the trailer")
    return digest


def encode_trailer(sha256: str) -> dict[str, Any]:
    return {"sha256": sha256}


def _put_optional(header: dict[str, Any], key: str, value: Any, default: Any = None) -> None:
    if value is not None and value != default:
        header[key] = value


def encode_request(request: Request) -> dict[str, Any]:
    """The header for a request. Optional fields are left out when absent (None) or,
    for version 1's and the new ops' plain booleans and numbers, at their defaults
    (section 6): a version 1 request encodes exactly as before."""
    header: dict[str, Any]
    if isinstance(request, Auth):
        return {"op": "auth", "token": request.token}
    if isinstance(request, Quit):
        return {"op": "quit"}
    if isinstance(request, ListFiles):
        header = {"op": "list"}
        _put_optional(header, "path", request.path)
        _put_optional(header, "folders", request.folders)
        _put_optional(header, "recursive", request.recursive)
        return header
    if isinstance(request, Stat):
        return {"op": "stat", "name": request.name}
    if isinstance(request, Get):
        header = {"op": "get", "name": request.name}
        _put_optional(header, "offset", request.offset, 0)
        _put_optional(header, "length", request.length)
        return header
    if isinstance(request, Put):
        header = {"op": "put", "name": request.name, "size": request.size}
        _put_optional(header, "overwrite", request.overwrite, False)
        _put_optional(header, "sha256", request.sha256)
        _put_optional(header, "trailer", request.trailer)
        _put_optional(header, "upload_id", request.upload_id)
        _put_optional(header, "mtime", request.mtime)
        _put_optional(header, "parents", request.parents)
        return header
    if isinstance(request, Mkdir):
        header = {"op": "mkdir", "path": request.path}
        _put_optional(header, "parents", request.parents, False)
        return header
    if isinstance(request, Delete):
        header = {"op": "delete", "path": request.path}
        _put_optional(header, "recursive", request.recursive, False)
        return header
    header = {"op": "rename", "from": request.source, "to": request.target}
    _put_optional(header, "overwrite", request.overwrite, False)
    return header


def list_entry(name: str, size: int, mtime: float, *, typed: bool = False) -> bytes:
    """One line of a ``list`` body; ``typed`` (``folders: true``, 7.2) adds
    ``"type": "file"``. Built from a template rather than a dict through
    ``json.dumps``: a 100,000-file listing is mostly this function."""
    template = b'{"name":%s,"type":"file","size":%d,"mtime":%s}\n' if typed else b'{"name":%s,"size":%d,"mtime":%s}\n'
    return template % (_json_string(name).encode(), size, repr(float(mtime)).encode())


def folder_entry(name: str, mtime: float) -> bytes:
    """The ``list`` line of a folder (with ``folders: true``, 7.2): no ``size``."""
    return b'{"name":%s,"type":"dir","mtime":%s}\n' % (_json_string(name).encode(), repr(float(mtime)).encode())


_json_string = json.JSONEncoder(ensure_ascii=False).encode  # a str becomes a quoted, escaped JSON string


def greeting(server: str, auth: bool | str, max_upload: int | None, features: Iterable[str]) -> dict[str, Any]:
    """The greeting of a 1.1 server: ``features`` is always there, possibly empty,
    because its presence alone tells a client that ``get`` takes ``length`` (7.5).
    Listed in :data:`FEATURES` order; a name this implementation does not know is a bug."""
    offered = set(features)
    unknown = offered.difference(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}")
    return {
        "ferry": PROTOCOL_VERSION,
        "server": server,
        "auth": auth,
        "max_upload": max_upload,
        "features": [name for name in FEATURES if name in offered],
    }


def offered_features(greeting: dict[str, Any]) -> frozenset[str] | None:
    """The features a server's greeting offers, or None for a version 1 server (no
    ``features`` field, or one that is not a list: a client then uses none of 1.1).
    Names this implementation does not know, and entries that are not strings, are
    ignored (section 7), so a newer server's additions cost nothing."""
    features = greeting.get("features")
    if not isinstance(features, list):
        return None
    return frozenset(name for name in features if isinstance(name, str) and name in FEATURES)


def can_send(request: Request, offered: frozenset[str] | None) -> bool:
    """May a client send ``request`` to a server that offered ``offered``
    (:func:`offered_features`)? Anything else would be ``forbidden``, or not
    understood by a version 1 server."""
    if offered is None:
        return not request.is_version_1_1
    return request.features <= offered


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
