"""What the server needs of the operating system, checked once at start.

The server is written for Linux. Elsewhere a missing call would surface in the
middle of a request (an ``internal`` error, or a worker that dies), so the
command checks first: without something it needs it refuses to start with one
line that names it; without something it can do without it logs, once, what is
off. macOS has no ``copy_file_range`` (and no splice, O_PATH, O_TMPFILE,
renameat2); FreeBSD 13+ has what is needed but is not tested; Windows has no
``fork``, ``fcntl`` or ``socket.send_fds``. docs/deploy.md says the same.

Imports only the standard library modules that every platform has, so it can
run before any module that would fail to import (``fcntl``, ``resource``).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys

#: Needed: (module, attribute or None for the module itself, what it is for).
REQUIRED: tuple[tuple[str, str | None, str], ...] = (
    ("os", "fork", "starting the worker processes"),
    ("socket", "send_fds", "handing connections to the workers"),
    ("socket", "recv_fds", "handing connections to the workers"),
    ("fcntl", None, "locking uploads in progress"),
    ("resource", None, "the file descriptor budget"),
    ("os", "sendfile", "sending downloads"),
    ("os", "pread", "reading files at an offset"),
    ("os", "pwrite", "writing files at an offset"),
    ("os", "copy_file_range", "resuming uploads"),
    ("os", "O_DIRECTORY", "opening folders without following links"),
    ("os", "O_NOFOLLOW", "opening files without following links"),
    ("os", "O_CLOEXEC", "keeping files out of child processes"),
)

#: Used when there, worked around when not: (module, attribute, what happens without it).
OPTIONAL: tuple[tuple[str, str, str], ...] = (
    ("os", "O_PATH", "a replaced large file is held open for reading instead"),
    ("os", "O_TMPFILE", "upload temp files are named before they are locked"),
    ("os", "splice", "upload bodies are copied through the server's memory"),
)


def _has(module_name: str, attribute: str | None) -> bool:
    if attribute is None:
        try:
            return importlib.util.find_spec(module_name) is not None
        except ValueError:  # a module set to None in sys.modules: imports fail
            return False
    module = {"os": os, "socket": socket}.get(module_name) or sys.modules.get(module_name)
    return module is not None and hasattr(module, attribute)


def _name(module_name: str, attribute: str | None) -> str:
    return module_name if attribute is None else f"{module_name}.{attribute}"


def missing_required() -> str | None:
    """One line naming what this system lacks that the server needs, or None."""
    lacking = [f"{_name(m, a)} ({purpose})" for m, a, purpose in REQUIRED if not _has(m, a)]
    if not lacking:
        return None
    return (
        f"this system ({sys.platform}) lacks {', '.join(lacking)}; "
        "Ferry's server runs on Linux (the clients run everywhere, see docs/deploy.md)"
    )


def workarounds() -> list[str]:
    """A line for each optional API this system lacks, saying what the server does instead."""
    return [f"without {attribute}: {instead}" for module, attribute, instead in OPTIONAL if not _has(module, attribute)]
