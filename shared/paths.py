"""What a path may be (PROTOCOL.md 7.1): names (section 4) joined by ``/``.

A path is checked here once, as text, and handed on as its names: the server
resolves them one at a time (``openat`` from the library's folder), so no string
with a ``/`` in it ever reaches the filesystem.
"""

from __future__ import annotations

from .errors import ErrorCode, FerryError
from .limits import MAX_PATH_BYTES, MAX_PATH_NAMES
from .names import name_problem

#: The components of the library's root folder: the ``""`` path of ``list``.
ROOT: tuple[str, ...] = ()


def split_path(path: str, *, root_allowed: bool = False) -> tuple[tuple[str, ...], str | None]:
    """``path``'s names and None, or ``()`` and why ``path`` is not a valid path.

    ``""`` is the root (no names) only where ``root_allowed`` (``list``'s ``path``);
    elsewhere it is invalid. A version 1 name is a path of one name.
    """
    if not path:
        return (ROOT, None) if root_allowed else (ROOT, "path is empty")
    try:
        size = len(path.encode("utf-8"))
    except UnicodeEncodeError:
        return ROOT, "path is not valid UTF-8"
    if size > MAX_PATH_BYTES:
        return ROOT, f"path is longer than {MAX_PATH_BYTES} bytes"
    names = tuple(path.split("/"))
    if len(names) > MAX_PATH_NAMES:
        return ROOT, f"path has more than {MAX_PATH_NAMES} names"
    for name in names:
        problem = name_problem(name)
        if problem is not None:
            return ROOT, problem if len(names) == 1 else f"{problem} in path ({name[:40]!r})"
    return names, None


def path_problem(path: str, *, root_allowed: bool = False) -> str | None:
    """Why ``path`` is not a valid path, or None when it is."""
    return split_path(path, root_allowed=root_allowed)[1]


def check_path(path: str, *, root_allowed: bool = False) -> str:
    """Return ``path`` if it is valid, else raise ``bad_name``."""
    problem = path_problem(path, root_allowed=root_allowed)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, problem)
    return path


def path_names(path: str) -> tuple[str, ...]:
    """The names of a path that already passed :func:`check_path` (``""``: the root)."""
    return tuple(path.split("/")) if path else ROOT
