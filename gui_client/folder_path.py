"""Paths of server folders as the app walks them: ``""`` is the library's root,
``photos/2024`` a folder in it (PROTOCOL.md 7.1). Pure string work, no I/O."""

from __future__ import annotations


def join(folder: str, name: str) -> str:
    """The path of ``name`` inside ``folder``."""
    return f"{folder}/{name}" if folder else name


def parent(path: str) -> str:
    """The folder that holds ``path`` (the root's parent is the root)."""
    return path.rpartition("/")[0]


def last_name(path: str) -> str:
    return path.rpartition("/")[2]


def crumbs(path: str) -> list[tuple[str, str]]:
    """``(shown name, path)`` for the root and every folder down to ``path``:
    what the path bar shows, one button each."""
    result = [("Library", "")]
    if path:
        parts = path.split("/")
        result += [(name, "/".join(parts[: i + 1])) for i, name in enumerate(parts)]
    return result


def is_inside(path: str, folder: str) -> bool:
    """True when ``path`` is ``folder`` or below it: a folder cannot move into itself."""
    return path == folder or path.startswith(folder + "/")
