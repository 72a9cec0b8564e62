"""What a file name may be (PROTOCOL.md section 4), checked once for every request."""

from __future__ import annotations

from .errors import ErrorCode, FerryError
from .limits import MAX_NAME_BYTES


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid protocol name, or None when it is."""
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
    for char in name:
        if char in "/\\":
            return "name contains a path separator"
        if char < " " or char == "\x7f":
            return "name contains a control character"
    return None


def check_name(name: str) -> str:
    """Return ``name`` if it is valid, else raise ``bad_name``."""
    problem = name_problem(name)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, problem)
    return name
