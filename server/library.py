"""The library folder: the only module that touches it.

Every path goes through one name check and is opened relative to the library's
directory fd with O_NOFOLLOW, so neither a symlink nor a rename of the folder
itself can make the server read or write outside it. Each process opens its own
:class:`Library` (fds are not shared across fork on purpose).
"""

from __future__ import annotations

import errno
import logging
import os
import stat as stat_mode
import time
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ErrorCode, FerryError
from shared.messages import list_entry
from shared.names import check_name, name_problem

from .checksums import ChecksumCache
from .publications import changed_slots, slot_of, snapshot
from .uploads import Upload

log = logging.getLogger(__name__)

#: Uploads in progress live here: hidden (never listed), on the library's filesystem
#: (so publishing is an atomic rename), and emptied at start.
UPLOADS_DIR = ".ferry-uploads"

#: Longest a file changed in place (same name, same inode) may show its old size in ``list``.
LISTING_TTL = 2.0
#: An answer is only reused if made this long after the folder's last change
#: (timestamps are coarse: two changes within one tick leave the same mtime).
RACY_MARGIN = 1.0

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs open()


def remove_uploads_of(root: Path, pid: int) -> int:
    """Delete the temp files of the worker ``pid``, which has exited: the parent calls
    this when it reaps a worker, so a worker killed mid-upload leaves no stray data
    until the next start. Temp names begin with their worker's pid (see
    :meth:`Upload.create`); the pid cannot be reused before this runs, because the
    replacement worker is started after it."""
    prefix = f"{pid}-"
    removed = 0
    try:
        uploads_fd = os.open(root / UPLOADS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return 0  # the folder moved or went away: the next start cleans up
    try:
        for entry in os.scandir(uploads_fd):
            if entry.name.startswith(prefix):
                try:
                    os.unlink(entry.name, dir_fd=uploads_fd)
                    removed += 1
                except OSError as exc:
                    log.warning("cannot remove %r left by a dead worker: %s", entry.name, exc.strerror)
    finally:
        os.close(uploads_fd)
    return removed


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
    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.fsync = fsync
        self.dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.mkdir(UPLOADS_DIR, 0o700, dir_fd=self.dir_fd)
        except FileExistsError:
            pass
        self.uploads_fd = os.open(UPLOADS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.dir_fd)
        self.checksums = ChecksumCache()
        self._lines: dict[str, tuple[int, int, int, int, bytes]] = {}  # name -> (inode, publish slot, size, mtime_ns, line)
        self._published_seen = snapshot()
        self._answer: tuple[tuple[int, int], tuple[int, bytes]] | None = None  # (folder inode and mtime, answer)
        self._full_scan_at = 0.0

    def close(self) -> None:
        os.close(self.uploads_fd)
        os.close(self.dir_fd)

    def remove_stale_uploads(self) -> int:
        """Delete what uploads interrupted by a crash left behind; run once at start,
        before any worker serves."""
        removed = 0
        for entry in os.scandir(self.uploads_fd):
            try:
                os.unlink(entry.name, dir_fd=self.uploads_fd)
                removed += 1
            except OSError as exc:
                log.warning("cannot remove stale upload %r: %s", entry.name, exc.strerror)
        return removed

    def listing(self) -> tuple[int, bytes]:
        """The ``list`` body: one line per regular file directly in the folder with a
        valid name, sorted by code point; and how many lines.

        After the folder changes, only entries with a new inode number, or whose
        name an upload has published since (:func:`record_publish`), cost an
        ``lstat``; the rest come from cache. So every upload through Ferry shows at
        once in every worker, even when its inode number once belonged to a
        deleted file of the same name. Changes by other programs that keep both
        name and inode number (an edit in place; a delete and re-create that
        reuses the number) show at the next full pass, at most
        :data:`LISTING_TTL` later. Git's
        "racily clean" rule covers the coarse timestamp: a whole answer is reused
        only if it was made well after the folder last changed.
        """
        try:
            folder = os.fstat(self.dir_fd)
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot read the library folder: {exc.strerror}") from None
        now = time.time()
        key = (folder.st_ino, folder.st_mtime_ns)
        full = now - self._full_scan_at >= LISTING_TTL
        if not full and self._answer is not None and self._answer[0] == key:
            return self._answer[1]
        answer = self._scan(full)
        if full:
            self._full_scan_at = now
        self._answer = (key, answer) if now - folder.st_mtime > RACY_MARGIN else None
        return answer

    def _scan(self, full: bool) -> tuple[int, bytes]:
        """Read the folder; ``lstat`` every file on a ``full`` pass, else only those
        whose inode number is new or whose name's publish counter moved. A file's
        encoded line is reused while its inode, size and mtime stand."""
        try:
            entries = os.scandir(self.dir_fd)
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot read the library folder: {exc.strerror}") from None
        previous, current = self._lines, {}
        published = snapshot()
        moved = changed_slots(self._published_seen, published)
        with entries:
            for entry in entries:
                name = entry.name
                cached = previous.get(name)
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    if not full and cached is not None and cached[0] == entry.inode() and cached[1] not in moved:
                        current[name] = cached
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:  # removed since readdir
                    continue
                if cached is not None and (cached[0], cached[2], cached[3]) == (st.st_ino, st.st_size, st.st_mtime_ns):
                    current[name] = cached
                elif name_problem(name) is None:
                    current[name] = (st.st_ino, slot_of(name), st.st_size, st.st_mtime_ns, list_entry(name, st.st_size, st.st_mtime))
        self._lines = current
        self._published_seen = published
        return len(current), b"".join([current[name][4] for name in sorted(current)])

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
            raise FerryError(ErrorCode.IO_ERROR, f"cannot read {name!r}: {exc.strerror}") from None
        st = os.fstat(fd)
        if not stat_mode.S_ISREG(st.st_mode):
            os.close(fd)
            raise FerryError(ErrorCode.NOT_FOUND, f"no file named {name!r}")
        os.set_blocking(fd, True)
        return OpenFile(name, fd, st.st_size, st.st_mtime, st)

    def sha256(self, opened: OpenFile) -> str:
        """The file's sha256, cached by inode and change time. Blocking: reads the
        whole file on a cache miss, so callers run it off the event loop."""
        return self.checksums.get(opened.fd, opened.stat)

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
        return Upload.create(self, name, size, overwrite)
