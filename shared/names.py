"""What a file name may be (PROTOCOL.md section 4), checked once for every request."""

from __future__ import annotations

import re

from .errors import ErrorCode, FerryError
from .limits import MAX_NAME_BYTES

_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f]")


#: Matches exactly the names that pass every rule but the length: one C call for
#: the common case (a listing checks every name it receives). Surrogates are
#: excluded because they cannot be UTF-8.
_VALID = re.compile(r"[^./\\\x00-\x1f\x7f\ud800-\udfff][^/\\\x00-\x1f\x7f\ud800-\udfff]*")
#: Many valid names joined by "/", which no valid name holds (see :func:`all_valid_names`).
_VALID_JOINED = re.compile(rf"{_VALID.pattern}(?:/{_VALID.pattern})*")
#: A name of at most this many characters is at most MAX_NAME_BYTES of UTF-8.
_SURELY_SHORT = MAX_NAME_BYTES // 4


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid protocol name, or None when it is."""
    if _VALID.fullmatch(name) is not None and (len(name) <= _SURELY_SHORT or len(name.encode("utf-8")) <= MAX_NAME_BYTES):
        return None
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "name is not valid UTF-8"
    if size == 0:
        return "name is empty"
    if size > MAX_NAME_BYTES:
        return f"name is longer than {MAX_NAME_BYTES} bytes"
    if name.startswith("."):
        return "name starts with '.'"
    bad = _FORBIDDEN.search(name)
    if bad is not None:
        return "name contains a path separator" if bad.group() in "/\\" else "name contains a control character"
    return None


def all_valid_names(names: list[str]) -> bool:
    """True when every name in ``names`` is valid: two C calls for a whole listing
    instead of one :func:`name_problem` per name. Joined by ``/``, the names match
    the pattern only if each does, provided no name holds a ``/`` itself, which
    the count of ``/`` shows."""
    if not names:
        return True
    joined = "/".join(names)
    return max(map(len, names)) <= _SURELY_SHORT and joined.count("/") == len(names) - 1 and _VALID_JOINED.fullmatch(joined) is not None


def check_name(name: str) -> str:
    """Return ``name`` if it is valid, else raise ``bad_name``."""
    problem = name_problem(name)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, problem)
    return name
