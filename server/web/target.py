"""A request target as the library sees it: a file's URL is its path
(``/photos/a.jpg``), a folder's ends with ``/`` (``/photos/``), as in every
static file server, so curl and wget need no page.

The path is percent-decoded as UTF-8 once and checked by the protocol's own
rule (shared/paths.py): no ``.``/``..`` step, no dotfile, no control character,
so ``/../etc/passwd`` and ``/.ferry-uploads/`` are ``bad_name`` before any
syscall, and the library resolves it one name at a time (no symlink followed).
Names starting with ``.`` cannot be library paths, which is why the page's own
files live under ``/.ferry/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.paths import check_path

#: The page's own URLs (index, script, style, login, info): never a library path.
APP_PREFIX = "/.ferry/"


@dataclass(frozen=True)
class Target:
    path: str  # the library path, "" for the library itself
    folder: bool  # the URL ended with "/"
    query: dict[str, str]  # first value of each parameter; a bare "?zip" is {"zip": ""}
    app: str | None = None  # the name after /.ferry/, for the page's own URLs

    def flag(self, name: str) -> bool:
        """A query switch: present and not "0"/"false"."""
        return name in self.query and self.query[name].lower() not in ("0", "false", "no")


def parse_target(raw: bytes) -> Target:
    """``bad_request`` for a target that is not an absolute path of UTF-8,
    ``bad_name`` for a path the protocol would refuse."""
    try:
        parts = urlsplit(raw.decode("ascii"))
    except UnicodeDecodeError:
        raise FerryError(ErrorCode.BAD_REQUEST, "the request target is not ASCII") from None
    if not parts.path.startswith("/") or parts.scheme or parts.netloc:
        raise FerryError(ErrorCode.BAD_REQUEST, "the request target must be a path starting with /")
    try:
        path = unquote_to_bytes(parts.path).decode("utf-8")
    except UnicodeDecodeError:
        raise FerryError(ErrorCode.BAD_NAME, "the path is not valid UTF-8") from None
    query = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    if path.startswith(APP_PREFIX):
        return Target("", False, query, app=path[len(APP_PREFIX) :])
    folder = path.endswith("/")
    inner = path.strip("/") if folder else path[1:]
    check_path(inner, root_allowed=folder)
    return Target(inner, folder, query)
