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
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.paths import path_names

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: What ``openat`` says when a name on the way is not a folder it may enter.
_NOT_A_FOLDER = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)


def _not_found(path: str) -> FerryError:
    return FerryError(ErrorCode.NOT_FOUND, f"no folder on the way to {path!r}")


def _enter(fd: int, name: str, path: str, create: bool, sync: bool) -> int:
    """Open the folder ``name`` inside ``fd`` (made first when ``create``; and then,
    with ``sync``, made durable by an fsync of ``fd``, which holds its entry).

    A symbolic link is ``not_found`` even with ``create`` (7.1: no path passes
    through one); another entry that is not a folder is ``exists`` with ``create``
    (as ``mkdir`` of that name would be), ``not_found`` without. So is a folder
    ``fd`` that was removed meanwhile."""
    if create:
        try:
            os.mkdir(name, 0o755, dir_fd=fd)
            if sync:
                os.fsync(fd)
        except FileExistsError:
            pass
        except FileNotFoundError:  # fd's folder was removed
            raise _not_found(path) from None
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot make a folder on the way to {path!r}: {exc.strerror}") from None
    try:
        return os.open(name, FOLDER_FLAGS, dir_fd=fd)
    except OSError as exc:
        if exc.errno in _NOT_A_FOLDER:
            if create and exc.errno != errno.ENOENT and _is_other(fd, name):
                raise FerryError(ErrorCode.EXISTS, f"{name!r} on the way to {path!r} is not a folder") from None
            raise _not_found(path) from None
        raise FerryError(ErrorCode.IO_ERROR, f"cannot open a folder on the way to {path!r}: {exc.strerror}") from None


def _is_other(fd: int, name: str) -> bool:
    """Is ``name`` in ``fd`` (still) there, and neither a folder nor a symlink? What
    failed to open as a folder may have been swapped meanwhile: only an entry seen
    to be something else is ``exists``."""
    try:
        mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
    except OSError:
        return False
    return not (stat.S_ISLNK(mode) or stat.S_ISDIR(mode))


@contextmanager
def open_folder(root_fd: int, path: str) -> Iterator[int]:
    """An fd of the folder ``path`` names (``""``: the library itself), its own
    open file (so its read position is its own), closed after the block.
    ``not_found`` when any name of it is missing or not a folder."""
    fd = os.open(".", FOLDER_FLAGS, dir_fd=root_fd)
    try:
        for name in path_names(path):
            inner = _enter(fd, name, path, create=False, sync=False)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def enter_parent(root_fd: int, path: str, *, create: bool = False, sync: bool = False) -> tuple[int | None, str]:
    """(fd of the folder that holds ``path``'s last name, that name). The fd is the
    caller's to close; None when the folder is the library itself, ``root_fd``
    (no open at all: version 1 requests cost what they did). ``create`` makes
    missing folders on the way (``put``'s and ``mkdir``'s ``parents``), each
    made durable with ``sync``."""
    names = path_names(path)
    if len(names) == 1:
        return None, names[0]
    fd = _enter(root_fd, names[0], path, create, sync)
    try:
        for name in names[1:-1]:
            inner = _enter(fd, name, path, create, sync)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd, names[-1]


@contextmanager
def parent_of(root_fd: int, path: str, *, create: bool = False, sync: bool = False) -> Iterator[tuple[int, str]]:
    """:func:`enter_parent` for the block: (folder fd, last name), the fd closed after."""
    fd, name = enter_parent(root_fd, path, create=create, sync=sync)
    try:
        yield (root_fd if fd is None else fd), name
    finally:
        if fd is not None:
            os.close(fd)
