"""``delete`` and ``rename`` (PROTOCOL.md 7.3, feature ``manage``): each one step that
readers see whole.

Both resolve their paths one name at a time (:func:`~.folders.parent_of`) and act
relative to the folder that holds the last name, never through a path string.
What the last name is decides what may happen: a regular file or a folder can be
deleted and renamed; anything else (a symlink, a FIFO...) is ``not_found``, as in
version 1. The check and the act are two syscalls: an entry swapped between them
by a local process may be acted on as it is then, never anything outside the
library, and the guarantees that matter come from the act itself:

- a file is unlinked, an empty folder removed with ``rmdir`` (which fails on any
  entry, hidden ones too: ``not_empty``), a folder with ``recursive`` moved into
  the trash in one rename and emptied later (trash.py);
- a rename that must not replace anything is ``renameat2(RENAME_NOREPLACE)``
  (renaming.py), so of two racing renames onto one name exactly one wins; one
  that may replace a file is ``rename``, which the kernel refuses between a file
  and a folder either way.

With fsync on, the folders changed are fsynced before the answer, as an upload's
folder is.
"""

from __future__ import annotations

import errno
import os
import stat

from ferry_files.shared.errors import ErrorCode, FerryError

from .folder_locks import renaming
from .folders import parent_of
from .renaming import NoReplaceUnavailable, move_file_no_replace, rename_no_replace
from .trash import Trash


def _mode(dir_fd: int, name: str, path: str) -> int | None:
    """The ``st_mode`` of the entry (not followed), None when there is none."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FerryError(ErrorCode.IO_ERROR, f"cannot look at {path!r}: {exc.strerror}") from None


def _file_or_folder(dir_fd: int, name: str, path: str) -> bool:
    """True for a folder, False for a regular file; ``not_found`` for anything else."""
    mode = _mode(dir_fd, name, path)
    if mode is None or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise FerryError(ErrorCode.NOT_FOUND, f"no file or folder named {path!r}")
    return stat.S_ISDIR(mode)


def _failed(what: str, exc: OSError, path: str) -> FerryError:
    if exc.errno == errno.ENOENT:  # gone meanwhile
        return FerryError(ErrorCode.NOT_FOUND, f"no file or folder named {path!r}")
    if exc.errno == errno.EXDEV:
        return FerryError(ErrorCode.IO_ERROR, f"cannot {what} {path!r}: it is on another filesystem")
    return FerryError(ErrorCode.IO_ERROR, f"cannot {what} {path!r}: {exc.strerror}")


def _make_durable(*dir_fds: int) -> None:
    try:
        for fd in dict.fromkeys(dir_fds):
            os.fsync(fd)
    except OSError as exc:
        raise FerryError(ErrorCode.IO_ERROR, f"the change is made but could not be written to disk: {exc.strerror}") from None


def delete(root_fd: int, trash: Trash, path: str, recursive: bool, fsync: bool) -> None:
    with parent_of(root_fd, path) as (parent, name):
        is_folder = _file_or_folder(parent, name, path)
        try:
            if not is_folder:
                os.unlink(name, dir_fd=parent)
            elif recursive:
                trash.take(parent, name)
            else:
                os.rmdir(name, dir_fd=parent)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise FerryError(
                    ErrorCode.NOT_EMPTY, f"the folder {path!r} is not empty; delete it with 'recursive' to delete its content too"
                ) from None
            raise _failed("delete", exc, path) from None
        if fsync:
            _make_durable(parent)


def rename(root_fd: int, source: str, target: str, overwrite: bool, fsync: bool) -> None:
    with parent_of(root_fd, source) as (source_parent, source_name):
        is_folder = _file_or_folder(source_parent, source_name, source)
        if is_folder and target.startswith(source + "/"):
            raise FerryError(ErrorCode.BAD_REQUEST, f"cannot move the folder {source!r} into itself")
        if source == target:
            return
        with parent_of(root_fd, target) as (target_parent, target_name):
            replaced = _open_to_replace(target_parent, target_name, target) if overwrite and not is_folder else None
            try:
                with renaming(source_parent, target_parent):
                    _move(source_parent, source_name, target_parent, target_name, is_folder, replaced is not None, source, target)
            finally:
                if replaced is not None:
                    os.close(replaced)  # a replaced file's space is freed here, not while the folders are held
            if fsync:
                _make_durable(target_parent, source_parent)


def _open_to_replace(dir_fd: int, name: str, path: str) -> int | None:
    """The file a rename with ``overwrite`` would replace, open (so the rename does
    not free its blocks: that waits for the close), or None when nothing is there.
    ``exists`` when what is there is not a regular file: only a file is replaced."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):  # a symlink; a socket or FIFO without a writer
            raise FerryError(ErrorCode.EXISTS, f"{path!r} already exists") from None
        raise FerryError(ErrorCode.IO_ERROR, f"cannot look at {path!r}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FerryError(ErrorCode.EXISTS, f"{path!r} already exists")
    return fd


def _move(
    source_parent: int, source_name: str, target_parent: int, target_name: str, is_folder: bool, replace: bool, source: str, target: str
) -> None:
    """The rename itself: ``replace`` only when a file is to replace the file there."""
    try:
        if replace:
            os.rename(source_name, target_name, src_dir_fd=source_parent, dst_dir_fd=target_parent)
        elif is_folder:
            rename_no_replace(source_parent, source_name, target_parent, target_name)
        else:
            move_file_no_replace(source_parent, source_name, target_parent, target_name)
    except NoReplaceUnavailable as exc:
        reason = f"this system cannot rename without the risk of replacing ({exc.strerror})"
        raise FerryError(ErrorCode.IO_ERROR, f"cannot rename the folder {source!r}: {reason}") from None
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):  # the kernel's own refusals
            raise FerryError(ErrorCode.EXISTS, f"{target!r} already exists") from None
        raise _failed("rename", exc, source) from None
