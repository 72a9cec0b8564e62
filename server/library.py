"""The library folder: the only module that touches it.

Every path goes through one name check and is opened relative to the library's
directory fd with O_NOFOLLOW, so neither a symlink nor a rename of the folder
itself can make the server read or write outside it. The parent opens the folder
once (:func:`open_root`); each worker makes its own :class:`Library` from that
fd, with open files of its own (offsets are not shared across fork on purpose).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat as stat_mode
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ErrorCode, FerryError
from shared.names import check_name

from .checksums import ChecksumCache
from .fd_budget import FD_ERRNOS, OUT_OF_FDS
from .listing import FolderListing
from .uploads import Upload

log = logging.getLogger(__name__)

#: Uploads in progress live here: hidden (never listed), on the library's filesystem
#: (so publishing is an atomic rename), and swept of what nobody writes at start.
UPLOADS_DIR = ".ferry-uploads"

#: Folders with fewer entries are listed on the event loop's thread (see :attr:`Library.listing_is_quick`).
QUICK_LISTING_ENTRIES = 256

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs open()


def open_root(root: Path) -> int:
    """The library folder, created if missing, as a directory fd. The parent opens
    it once at start and every worker reopens it through that fd
    (``Library(root_fd=...)``): the path, resolved again later, could name
    another folder by then, or none."""
    root.mkdir(parents=True, exist_ok=True)
    return os.open(root, _DIR_FLAGS)


def remove_uploads_of(root_fd: int, pid: int) -> int:
    """Delete the temp files of the worker ``pid``, which has exited: the parent calls
    this when it reaps a worker, so a worker killed mid-upload leaves no stray data
    until the next start. Temp names begin with their worker's pid (see
    :meth:`Upload.create`); one that another live process holds (the same pid in
    another server's worker, after reuse) is left alone, see :func:`sweep_uploads`."""
    try:
        uploads_fd = os.open(UPLOADS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=root_fd)
    except OSError:
        return 0  # the folder went away: the next start cleans up
    try:
        return sweep_uploads(uploads_fd, prefix=f"{pid}-")
    finally:
        os.close(uploads_fd)


def sweep_uploads(uploads_fd: int, prefix: str = "") -> int:
    """Delete the temp files (those whose name starts with ``prefix``) that no
    upload is writing; return how many.

    An upload holds an exclusive ``flock`` on its temp file as long as it is open
    (uploads.py), so a file that cannot be locked is in use: by this server, by
    one still draining while its successor starts, or by another server on the
    same folder. Anything else there was left by a crash. The file is unlinked
    while the lock is held, and an upload that locks a file only after that sees
    it unlinked and starts over with a new one."""
    removed = 0
    for entry in os.scandir(uploads_fd):
        if entry.name.startswith(prefix) and _remove_if_unclaimed(uploads_fd, entry.name):
            removed += 1
    return removed


def _remove_if_unclaimed(uploads_fd: int, name: str) -> bool:
    try:
        fd: int | None = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=uploads_fd)
    except FileNotFoundError:  # its upload finished meanwhile
        return False
    except OSError:  # a symlink or a socket: nothing an upload leaves, so no lock to respect
        fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(name, dir_fd=uploads_fd)
        return True
    except BlockingIOError:
        return False  # an upload in progress
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot remove stale upload %r: %s", name, exc.strerror)
        return False
    finally:
        if fd is not None:
            os.close(fd)


@dataclass
class OpenFile:
    """A regular file opened for reading; its content stays what it was at open time
    even if an upload replaces the name (the rename leaves this inode alone)."""

    name: str
    fd: int
    size: int
    mtime: float
    stat: os.stat_result

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Library:
    def __init__(self, root: Path, *, fsync: bool = True, root_fd: int | None = None) -> None:
        """``root_fd`` is the folder already open (the parent's, which a worker
        inherits): it is reopened through the fd, never through ``root``, so a
        folder renamed meanwhile is still the one served. Reopening gives this
        process its own open file, so its directory reads never move another
        process's offset."""
        self.root = root
        self.fsync = fsync
        self.dir_fd = open_root(root) if root_fd is None else os.open(".", _DIR_FLAGS, dir_fd=root_fd)
        try:
            os.mkdir(UPLOADS_DIR, 0o700, dir_fd=self.dir_fd)
        except FileExistsError:
            pass
        self.uploads_fd = os.open(UPLOADS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.dir_fd)
        self.checksums = ChecksumCache()
        self._listing = FolderListing(self.dir_fd)

    def close(self) -> None:
        self.checksums.close()
        os.close(self.uploads_fd)
        os.close(self.dir_fd)

    def remove_stale_uploads(self) -> int:
        """Delete what uploads interrupted by a crash left behind; run once at start,
        before any worker serves. Uploads in progress (of an instance still
        draining, or of another server on this folder) are left alone."""
        return sweep_uploads(self.uploads_fd)

    def listing(self) -> tuple[int, bytes]:
        """The ``list`` body: one line per regular file directly in the folder with a
        valid name, sorted by code point, read afresh (listing.py says why); and how
        many lines. Blocking, and shares passes with other threads: run it on the
        executor. When :attr:`listing_is_quick`, :meth:`listing_now` on the loop."""
        return self._listing.answer()

    def listing_now(self) -> tuple[int, bytes]:
        """The same, from a pass of its own that never waits for a thread's."""
        return self._listing.answer_now()

    @property
    def listing_is_quick(self) -> bool:
        """Cheap enough for the event loop: a small folder, whose pass takes about
        a millisecond, less than the hop to a thread and back."""
        return self._listing.entries_seen < QUICK_LISTING_ENTRIES

    def open_file(self, name: str) -> OpenFile:
        """Open a listed file for reading: ``not_found`` for anything that is not a
        regular file (symlinks, FIFOs, folders...), ``io_error`` if it cannot be read."""
        check_name(name)
        try:
            fd = os.open(name, _OPEN_FLAGS, dir_fd=self.dir_fd)
        except (FileNotFoundError, NotADirectoryError):
            raise FerryError(ErrorCode.NOT_FOUND, f"no file named {name!r}") from None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENXIO):  # a symlink; a socket or FIFO without a writer
                raise FerryError(ErrorCode.NOT_FOUND, f"no file named {name!r}") from None
            if exc.errno in FD_ERRNOS:
                raise FerryError(ErrorCode.IO_ERROR, f"cannot read {name!r}: {OUT_OF_FDS}") from None
            raise FerryError(ErrorCode.IO_ERROR, f"cannot read {name!r}: {exc.strerror}") from None
        st = os.fstat(fd)
        if not stat_mode.S_ISREG(st.st_mode):
            os.close(fd)
            raise FerryError(ErrorCode.NOT_FOUND, f"no file named {name!r}")
        os.set_blocking(fd, True)
        return OpenFile(name, fd, st.st_size, st.st_mtime, st)

    async def sha256(self, opened: OpenFile) -> str:
        """The file's sha256, cached by inode and change times; on a miss computed on
        the worker's hashing threads, once however many ask (checksums.py)."""
        return await self.checksums.sha256(opened.fd, opened.stat)

    def begin_upload(self, name: str, size: int, overwrite: bool) -> Upload:
        """Check that ``name`` can take ``size`` bytes and open its temp file.

        Without ``overwrite`` any existing entry under the name is ``exists``; with it
        only a folder is (a file or link is replaced, never followed).
        """
        check_name(name)
        try:
            existing = os.stat(name, dir_fd=self.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot check {name!r}: {exc.strerror}") from None
        if existing is not None and (not overwrite or stat_mode.S_ISDIR(existing.st_mode)):
            raise FerryError(ErrorCode.EXISTS, f"{name!r} already exists")
        try:
            fs = os.fstatvfs(self.uploads_fd)
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot check free space: {exc.strerror}") from None
        if size > fs.f_bavail * fs.f_frsize:
            raise FerryError(ErrorCode.NO_SPACE, f"not enough free space for {size} bytes")
        replaces = existing.st_size if existing is not None and stat_mode.S_ISREG(existing.st_mode) else 0
        return Upload.create(self, name, size, overwrite, replaces)
