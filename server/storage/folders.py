"""Paths resolved one name at a time from the library's folder (PROTOCOL.md 7.1).

A path is never handed to the filesystem as a string: each folder on the way is
opened with ``openat`` relative to the one before, with ``O_NOFOLLOW |
O_DIRECTORY``, so a symbolic link anywhere on the way (even one swapped in for a
folder while a request runs) fails the open instead of leading outside the
library. What the request then does happens relative to the last folder's fd,
which stays the folder it was when it was opened, whatever is renamed meanwhile.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import ErrorCode, FerryError
from shared.paths import path_names

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: What ``openat`` says when a name on the way is not a folder it may enter.
_NOT_A_FOLDER = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)


def _not_found(path: str) -> FerryError:
    return FerryError(ErrorCode.NOT_FOUND, f"no folder on the way to {path!r}")


def _enter(fd: int, name: str, path: str, create: bool) -> int:
    """Open the folder ``name`` inside ``fd`` (made first when ``create``)."""
    if create:
        try:
            os.mkdir(name, 0o755, dir_fd=fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot make a folder on the way to {path!r}: {exc.strerror}") from None
    try:
        return os.open(name, FOLDER_FLAGS, dir_fd=fd)
    except OSError as exc:
        if exc.errno in _NOT_A_FOLDER:
            if create and exc.errno != errno.ENOENT:
                raise FerryError(ErrorCode.EXISTS, f"{name!r} on the way to {path!r} is not a folder") from None
            raise _not_found(path) from None
        raise FerryError(ErrorCode.IO_ERROR, f"cannot open a folder on the way to {path!r}: {exc.strerror}") from None


@contextmanager
def open_folder(root_fd: int, path: str) -> Iterator[int]:
    """An fd of the folder ``path`` names (``""``: the library itself), its own
    open file (so its read position is its own), closed after the block.
    ``not_found`` when any name of it is missing or not a folder."""
    fd = os.open(".", FOLDER_FLAGS, dir_fd=root_fd)
    try:
        for name in path_names(path):
            inner = _enter(fd, name, path, create=False)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


@contextmanager
def parent_of(root_fd: int, path: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
    """(fd of the folder that holds ``path``'s last name, that name), for the
    block. The fd is ``root_fd`` itself for a path of one name (no open at all:
    version 1 requests cost what they did). ``create`` makes missing folders on
    the way (``put``'s and ``mkdir``'s ``parents``)."""
    names = path_names(path)
    if len(names) == 1:
        yield root_fd, names[0]
        return
    fd = _enter(root_fd, names[0], path, create)
    try:
        for name in names[1:-1]:
            inner = _enter(fd, name, path, create)
            os.close(fd)
            fd = inner
        yield fd, names[-1]
    finally:
        os.close(fd)
