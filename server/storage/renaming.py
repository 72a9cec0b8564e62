"""Rename without replacing: ``renameat2(RENAME_NOREPLACE)``, which Python lacks.

A check that the target is free, then a ``rename``, lets two racing renames both
pass the check, and the second silently replaces what the first put there. With
``RENAME_NOREPLACE`` the kernel does the check and the move as one step, so of two
renames onto one name exactly one wins (PROTOCOL.md 7.3). It is reached through
``ctypes``: glibc's ``renameat2`` (2.28 and later), else the raw system call by its
number. Where neither works (no ctypes, an old kernel or C library, a filesystem
that refuses the flag), a file is moved by ``link`` then ``unlink`` instead, which
is just as exclusive (``link`` fails if the name exists) though for a moment the
file has both names; a folder cannot be linked, so :exc:`NoReplaceUnavailable`.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import platform
from collections.abc import Callable

log = logging.getLogger(__name__)

RENAME_NOREPLACE = 1
#: ``SYS_renameat2`` where glibc may be too old to have the wrapper.
_SYSCALL_NUMBERS = {"x86_64": 316, "aarch64": 276, "i686": 353, "i386": 353, "armv7l": 382, "ppc64le": 357, "s390x": 347, "riscv64": 276}
#: What renameat2 says when the kernel or the filesystem lacks it or the flag.
_UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP)

Renameat2 = Callable[[int, str, int, str, int], None]


class NoReplaceUnavailable(OSError):
    """This system cannot rename a folder without the risk of replacing another."""


def _bind() -> Renameat2 | None:
    """``renameat2`` as a Python function raising OSError, or None without a way to call it."""
    try:
        import ctypes
    except ImportError:  # a Python built without ctypes
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    call = getattr(libc, "renameat2", None)
    if call is None:
        number = _SYSCALL_NUMBERS.get(platform.machine())
        if number is None or not hasattr(libc, "syscall"):
            return None
        call = functools.partial(libc.syscall, ctypes.c_long(number))

    def renameat2(src_dir: int, src: str, dst_dir: int, dst: str, flags: int) -> None:
        args = (ctypes.c_int(src_dir), os.fsencode(src), ctypes.c_int(dst_dir), os.fsencode(dst), ctypes.c_uint(flags))
        if call(*args) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return renameat2


_renameat2: Renameat2 | None = _bind()


def rename_no_replace(src_dir: int, src: str, dst_dir: int, dst: str) -> None:
    """Move ``src`` to ``dst`` if nothing is there (``FileExistsError`` if anything
    is), in one step; :exc:`NoReplaceUnavailable` where the system cannot."""
    if _renameat2 is None:
        raise NoReplaceUnavailable(errno.ENOSYS, "renameat2 is not available")
    try:
        _renameat2(src_dir, src, dst_dir, dst, RENAME_NOREPLACE)
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            raise NoReplaceUnavailable(exc.errno, f"renameat2 with RENAME_NOREPLACE: {exc.strerror}") from None
        raise


def move_file_no_replace(src_dir: int, src: str, dst_dir: int, dst: str) -> None:
    """Move the file ``src`` to ``dst`` unless something is there (``FileExistsError``):
    :func:`rename_no_replace`, else ``link`` + ``unlink``."""
    try:
        rename_no_replace(src_dir, src, dst_dir, dst)
        return
    except NoReplaceUnavailable as exc:
        log.debug("moving %r by link and unlink: %s", src, exc.strerror)
    os.link(src, dst, src_dir_fd=src_dir, dst_dir_fd=dst_dir, follow_symlinks=False)
    try:
        os.unlink(src, dir_fd=src_dir)
    except FileNotFoundError:  # removed or moved meanwhile: the file is at dst, as asked
        pass
    except OSError:
        os.unlink(dst, dir_fd=dst_dir)  # back to one name, the old one
        raise
