"""Turning a name a server sent into a safe local path.

Names from a server are untrusted (PROTOCOL.md section 4): a client never writes
outside the folder the user chose. A valid protocol name is already a single path
component; this module also keeps it legal on Windows and refuses anything else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from .errors import ErrorCode, FerryError
from .names import name_problem

_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


def safe_local_name(name: str) -> str:
    """A local file name for remote ``name``; ``bad_name`` if it is not a valid
    protocol name (so it can never contain a separator or ``..``)."""
    problem = name_problem(name)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, f"refusing the name {name[:60]!r}: {problem}")
    local = _WINDOWS_FORBIDDEN.sub("_", name).rstrip(" .") or "_"
    if _WINDOWS_RESERVED.match(local):
        local = "_" + local
    return local


def local_path(directory: str | os.PathLike[str], name: str) -> Path:
    """``directory / safe_local_name(name)``, checked to stay inside ``directory``."""
    base = Path(directory).resolve()
    path = base / safe_local_name(name)
    if path.parent != base:  # unreachable for a valid name; kept as the last line of defence
        raise FerryError(ErrorCode.BAD_NAME, f"refusing the name {name[:60]!r}")
    return path


def numbered_name(name: str, is_taken: Callable[[str], bool]) -> str:
    """``name (1).ext``, ``name (2).ext``... the first one not taken: the
    "keep both" answer to a name conflict."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext, dot = name, "", ""
    for number in range(1, 100_000):
        candidate = f"{stem} ({number}){dot}{ext}"
        if not is_taken(candidate):
            return candidate
    raise FerryError(ErrorCode.EXISTS, f"no free name like {name!r}")
