"""The library folder: the one way into storage for the rest of the server.

Every path goes through one name check and is opened relative to the library's
directory fd with O_NOFOLLOW, so neither a symlink nor a rename of the folder
itself can make the server read or write outside it. The parent opens the folder
once (:func:`~.store.open_root`); each worker makes its own :class:`Library`
from that fd, with open files of its own (offsets are not shared across fork on
purpose).
"""

from __future__ import annotations

import errno
import logging
import os
import stat as stat_mode
from dataclasses import dataclass
from pathlib import Path

from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.paths import check_path

from ..fd_budget import FD_ERRNOS, OUT_OF_FDS
from . import manage
from .folders import enter_parent, open_folder, parent_of
from .listing import FolderListing, TreeWalk, WalkMemo
from .store import DIR_FLAGS, Store, open_root, open_uploads
from .trash import Trash
from .uploads import Destination, Upload, sweep_partials, sweep_uploads

log = logging.getLogger(__name__)

#: Folders with fewer entries are listed on the event loop's thread (see :attr:`Library.listing_is_quick`).
QUICK_LISTING_ENTRIES = 256

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs open()


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
    def __init__(self, root_fd: int, *, fsync: bool = True, resume_hours: float = 1.0) -> None:
        """``root_fd`` is the folder already open (the parent's, which a worker
        inherits): it is reopened through the fd, never through a path, so a
        folder renamed meanwhile is still the one served. Reopening gives this
        process its own open file, so its directory reads never move another
        process's offset."""
        dir_fd = os.open(".", DIR_FLAGS, dir_fd=root_fd)
        try:
            self._store = Store(dir_fd, open_uploads(dir_fd), fsync, keep_partials=resume_hours * 3600)
        except BaseException:
            os.close(dir_fd)
            raise
        self._listing = FolderListing(dir_fd)
        self._walk_memo = WalkMemo()
        self._trash = Trash(dir_fd)

    @classmethod
    def at(cls, root: Path, *, fsync: bool = True) -> Library:
        """The library at ``root``, created if missing: for tests and tools. The
        server opens its root once and hands the fd on (inherited.py)."""
        root_fd = open_root(root)
        try:
            return cls(root_fd, fsync=fsync)
        finally:
            os.close(root_fd)

    def close(self) -> None:
        self._trash.close()
        self._store.close()

    def remove_stale_uploads(self) -> int:
        """Delete what uploads interrupted by a crash left behind; run once at start,
        before any worker serves. Uploads in progress (of an instance still
        draining, or of another server on this folder) are left alone, and so are
        partial uploads kept for a resume until they expire."""
        store = self._store
        return sweep_uploads(store.uploads_fd) + sweep_partials(store.uploads_fd, store.keep_partials)

    def listing(self) -> tuple[int, bytes]:
        """The ``list`` body: one line per regular file directly in the folder with a
        valid name, sorted by code point, read afresh (listing.py says why); and how
        many lines. Blocking, and shares passes with other threads: run it on the
        executor. When :attr:`listing_is_quick`, :meth:`listing_now` on the loop."""
        return self._listing.answer()

    def listing_now(self) -> tuple[int, bytes]:
        """The same, from a pass of its own that never waits for a thread's."""
        return self._listing.answer_now()

    def list_folder(self, path: str, *, folders: bool, recursive: bool) -> tuple[int, bytes]:
        """The ``list`` body of the folder ``path`` (``""``: the library) with
        ``folders`` and ``recursive`` (PROTOCOL.md 7.2), from a pass of its own.
        Blocking: run it on the executor, counting :meth:`list_fds_needed`."""
        walk = TreeWalk(check_path(path, root_allowed=True), folders=folders, recursive=recursive, memo=self._walk_memo)
        return walk.answer(self._store.dir_fd)

    def is_folder(self, path: str) -> bool:
        """Is ``path`` a folder of the library (reached without a symlink)?"""
        try:
            with open_folder(self._store.dir_fd, check_path(path, root_allowed=True)):
                return True
        except FerryError:
            return False

    @staticmethod
    def list_fds_needed(path: str, recursive: bool) -> int:
        return TreeWalk.fds_needed(path, recursive)

    @property
    def listing_is_quick(self) -> bool:
        """Cheap enough for the event loop: a small folder, whose pass takes about
        a millisecond, less than the hop to a thread and back."""
        return self._listing.entries_seen < QUICK_LISTING_ENTRIES

    def open_file(self, path: str) -> OpenFile:
        """Open a listed file for reading: ``not_found`` for anything that is not a
        regular file (symlinks, FIFOs, folders...) or a path whose folder is not
        there, ``io_error`` if it cannot be read."""
        with parent_of(self._store.dir_fd, check_path(path)) as (folder_fd, name):
            try:
                fd = os.open(name, _OPEN_FLAGS, dir_fd=folder_fd)
            except (FileNotFoundError, NotADirectoryError):
                raise FerryError(ErrorCode.NOT_FOUND, f"no file named {path!r}") from None
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENXIO):  # a symlink; a socket or FIFO without a writer
                    raise FerryError(ErrorCode.NOT_FOUND, f"no file named {path!r}") from None
                if exc.errno in FD_ERRNOS:
                    raise FerryError(ErrorCode.IO_ERROR, f"cannot read {path!r}: {OUT_OF_FDS}") from None
                raise FerryError(ErrorCode.IO_ERROR, f"cannot read {path!r}: {exc.strerror}") from None
        st = os.fstat(fd)
        if not stat_mode.S_ISREG(st.st_mode):
            os.close(fd)
            raise FerryError(ErrorCode.NOT_FOUND, f"no file named {path!r}")
        os.set_blocking(fd, True)
        return OpenFile(path, fd, st.st_size, st.st_mtime, st)

    async def sha256(self, opened: OpenFile) -> str:
        """The file's sha256, cached by inode and change times; on a miss computed on
        the worker's hashing threads, once however many ask (checksums.py)."""
        return await self._store.checksums.sha256(opened.fd, opened.stat)

    def mkdir(self, path: str, parents: bool) -> None:
        """Make the folder ``path`` (PROTOCOL.md 7.3): ``exists`` when anything is
        there, except a folder with ``parents``; a missing folder on the way is
        ``not_found`` without ``parents``, made with it. Blocks on fsync: for the executor."""
        sync = self._store.fsync
        with parent_of(self._store.dir_fd, check_path(path), create=parents, sync=sync) as (folder_fd, name):
            try:
                os.mkdir(name, 0o755, dir_fd=folder_fd)
                if sync:
                    os.fsync(folder_fd)
            except FileExistsError:
                if parents and _is_folder(folder_fd, name):
                    return
                raise FerryError(ErrorCode.EXISTS, f"{path!r} already exists") from None
            except FileNotFoundError:  # the folder it goes in was removed meanwhile
                raise FerryError(ErrorCode.NOT_FOUND, f"the folder of {path!r} was removed") from None
            except OSError as exc:
                raise FerryError(ErrorCode.IO_ERROR, f"cannot make the folder {path!r}: {exc.strerror}") from None

    def make_parents(self, path: str) -> None:
        """Make the missing folders on the way to ``path``, as ``mkdir`` with
        ``parents`` (``put``'s ``parents``, 7.4). Blocks on fsync: for the executor."""
        with parent_of(self._store.dir_fd, check_path(path), create=True, sync=self._store.fsync):
            pass

    def begin_upload(
        self,
        path: str,
        size: int,
        overwrite: bool,
        *,
        upload_id: str | None = None,
        trailer: bool = False,
        mtime: float | None = None,
    ) -> Upload:
        """Check that ``path`` can take ``size`` bytes and open its temp file (with
        ``upload_id``, its kept partial: then only the bytes still to come must
        fit). The upload keeps the fd of the folder it publishes into
        (``not_found`` when that folder is not there) until it is done.

        Without ``overwrite`` any existing entry under the name is ``exists``; with it
        only a folder is (a file or link is replaced, never followed).
        """
        folder_fd, name = enter_parent(self._store.dir_fd, check_path(path))
        destination = Destination(folder_fd, name, path)
        try:
            replaces = self._replaces(destination, overwrite)
            if upload_id is None:
                self._check_space(size)
            upload = Upload.create(self._store, destination, size, overwrite, replaces, upload_id=upload_id, trailer=trailer, mtime=mtime)
        except BaseException:
            if folder_fd is not None:
                os.close(folder_fd)
            raise
        if upload_id is not None:  # from here the upload owns the folder's fd
            try:  # kept partials are on the disk already: free space counts them
                self._check_space(size - upload.offset)
            except FerryError:
                upload.abort()
                raise
        return upload

    def _replaces(self, destination: Destination, overwrite: bool) -> int:
        """The size of the file the upload would replace (0 if none); ``exists``
        when it may not."""
        folder_fd = self._store.dir_fd if destination.fd is None else destination.fd
        try:
            existing = os.stat(destination.name, dir_fd=folder_fd, follow_symlinks=False)
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot check {destination.path!r}: {exc.strerror}") from None
        if not overwrite or stat_mode.S_ISDIR(existing.st_mode):
            raise FerryError(ErrorCode.EXISTS, f"{destination.path!r} already exists")
        return existing.st_size if stat_mode.S_ISREG(existing.st_mode) else 0

    def _check_space(self, needed: int) -> None:
        try:
            fs = os.fstatvfs(self._store.uploads_fd)
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot check free space: {exc.strerror}") from None
        if needed > fs.f_bavail * fs.f_frsize:
            raise FerryError(ErrorCode.NO_SPACE, f"not enough free space for {needed} bytes")

    def delete(self, path: str, recursive: bool) -> None:
        """Delete a file, an empty folder, or with ``recursive`` a folder and all it
        holds (gone at once, its space freed in the background). Blocking (with
        fsync, the folder's): run it on the executor."""
        manage.delete(self._store.dir_fd, self._trash, path, recursive, self._store.fsync)

    def rename(self, source: str, target: str, overwrite: bool) -> None:
        """Move a file or folder in one step; only a file replaces, and only a file.
        Blocking (with fsync, the folders'): run it on the executor."""
        manage.rename(self._store.dir_fd, source, target, overwrite, self._store.fsync)

    def resume_removals(self) -> None:
        """Have the background remover finish what earlier deletes left in the trash
        (a crash, a worker killed): once in each worker, as it starts."""
        self._trash.sweep_later()


def _is_folder(folder_fd: int, name: str) -> bool:
    try:
        return stat_mode.S_ISDIR(os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
