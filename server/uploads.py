"""One upload in progress: a temp file that becomes a library file only when whole.

The bytes go to a uniquely named file in the library's hidden uploads folder
while sha256 is computed on the way (inline, or on a trailing thread for large
uploads: digests.py), written by ``os.write`` or moved in by ``splice``. :meth:`Upload.commit` checks the digest,
fsyncs, and publishes with one atomic call: ``link`` when the name must not
exist (so two racing uploads cannot both win), ``rename`` when it may be
replaced (readers see the old file or the new one, never a mix). Every failure
path unlinks the temp file. The temp file is locked while it is written, and
only temp files nobody holds a lock on are ever swept.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from shared.errors import ErrorCode, FerryError

from .digests import InlineDigest, TrailingDigest
from .fd_budget import FD_ERRNOS

if TYPE_CHECKING:
    from .library import Library
    from .splicing import SplicePipe

_SPACE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

#: From this size on, an upload is hashed by a trailing thread (and so may be
#: spliced), commits off the event loop, and a file it replaces is freed on the
#: releaser thread. Below it, each of those costs more than it saves.
LARGE_BYTES = 8 << 20
_releaser: ThreadPoolExecutor | None = None
#: New temp files tried before giving up, should sweeps keep taking them.
_CLAIM_ATTEMPTS = 3


def _release_later(fd: int) -> None:
    """Close ``fd``, the last reference to a replaced file, on a thread of its own.

    The kernel frees a file's pages when its last reference goes: inside
    ``rename`` when nothing holds it, which took 140 ms for a 128 MiB file here,
    with the event loop and the client both waiting. Holding it open across the
    rename moves that work here, after the answer."""
    global _releaser
    if _releaser is None:  # made lazily, in the worker that needs it (never before a fork)
        _releaser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ferry-release")
    _releaser.submit(os.close, fd)


def _claimed(fd: int) -> bool:
    """Lock the new temp file ``fd`` for as long as it is open here.

    Sweeps (at start-up, and after a worker dies) remove only temp files they can
    lock, so an upload in progress is never removed: not by a restarted server
    starting while this one drains, nor by a second server on the same folder.
    The lock is the kernel's, so it goes with the process, whatever pid comes
    next. False when a sweep locked the file between its creation and now: it
    has unlinked it (or is about to), so the caller starts over."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return os.fstat(fd).st_nlink > 0


def _discard(library: Library, temp_name: str, fd: int) -> None:
    os.close(fd)
    try:
        os.unlink(temp_name, dir_fd=library.uploads_fd)
    except OSError:
        pass


def storage_error(exc: OSError | RuntimeError, name: str) -> FerryError:
    """The protocol error for a failed write: ``no_space`` when the disk (or a
    quota, or a file size limit) is full, ``io_error`` otherwise, saying so
    when the server is short of fds or threads (the client may try again)."""
    if isinstance(exc, OSError) and exc.errno in _SPACE_ERRORS:
        return FerryError(ErrorCode.NO_SPACE, f"no space left to store {name!r}")
    reason = exc.strerror if isinstance(exc, OSError) else str(exc)
    if not isinstance(exc, OSError) or exc.errno in FD_ERRNOS:
        return FerryError(ErrorCode.IO_ERROR, f"cannot store {name!r}: the server is short of resources ({reason}); try again later")
    return FerryError(ErrorCode.IO_ERROR, f"cannot store {name!r}: {reason}")


class Upload:
    def __init__(self, library: Library, name: str, size: int, overwrite: bool, temp_name: str, fd: int, replaces: int) -> None:
        self.library = library
        self.replaces = replaces  # the size of the file under the name when the upload began
        self.name = name
        self.size = size
        self.overwrite = overwrite
        self.temp_name = temp_name
        self.fd = fd
        self.received = 0
        self.digest = TrailingDigest(fd) if size >= LARGE_BYTES else InlineDigest()

    @staticmethod
    def fds_needed(size: int) -> int:
        """The fds an upload of ``size`` bytes holds: its temp file, and from
        :data:`LARGE_BYTES` the trailing digest's duplicate of it."""
        return 2 if size >= LARGE_BYTES else 1

    @property
    def large(self) -> bool:
        return self.size >= LARGE_BYTES

    @property
    def commit_may_block(self) -> bool:
        """Commit waits for the disk: fsync, or ext4 starting writeback of a large
        file renamed over another (its auto_da_alloc), some 50 ms per 128 MiB here."""
        return self.library.fsync or self.large

    @property
    def takes_splice(self) -> bool:
        """Bytes may be spliced in: the digest reads them from the file."""
        return self.digest.reads_file

    @classmethod
    def create(cls, library: Library, name: str, size: int, overwrite: bool, replaces: int) -> Upload:
        """Open a new temp file and claim it (see :func:`_claimed`)."""
        for _ in range(_CLAIM_ATTEMPTS):
            # The worker's pid leads the name: when a worker dies, the parent
            # sweeps the temp files named for it (library.remove_uploads_of).
            temp_name = f"{os.getpid()}-{secrets.token_hex(8)}.part"
            try:
                # Readable too: a trailing digest maps the pages it hashes.
                fd = os.open(temp_name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=library.uploads_fd)
            except OSError as exc:
                raise storage_error(exc, name) from None
            try:
                if _claimed(fd):
                    return cls(library, name, size, overwrite, temp_name, fd, replaces)
            except (OSError, RuntimeError) as exc:  # a dup or a thread the digest could not have
                _discard(library, temp_name, fd)
                raise storage_error(exc, name) from None
            os.close(fd)  # a sweep took it between our open and our lock, and removes it
        raise FerryError(ErrorCode.IO_ERROR, f"cannot store {name!r}: its temp files kept being removed")

    def write(self, data: bytes | memoryview) -> None:
        """Store the next bytes; raises ``no_space``/``io_error`` (the caller then
        discards the rest of the body and aborts)."""
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                self.digest.wrote(view[:written])
                view = view[written:]
                self.received += written
        except OSError as exc:
            raise storage_error(exc, self.name) from None

    def splice_from(self, pipe: SplicePipe, count: int) -> None:
        """Store the ``count`` bytes waiting in ``pipe``; errors as :meth:`write`."""
        try:
            pipe.drain_into(self.fd, count)
        except OSError as exc:
            raise storage_error(exc, self.name) from None
        self.received += count
        self.digest.stored(count)

    async def finish_digest(self) -> None:
        """Wait until every stored byte is hashed (at once unless a thread trails)."""
        try:
            await self.digest.wait()
        except OSError as exc:
            raise FerryError(ErrorCode.IO_ERROR, f"cannot read {self.name!r} back to hash it: {exc.strerror}") from None

    def commit(self, expected_sha256: str | None, sync_folder: bool = True) -> str:
        """Verify, make durable, publish; return the sha256. Call after
        :meth:`finish_digest`, and off the event loop when :attr:`commit_may_block`.
        Without ``sync_folder`` the caller fsyncs the folder before it answers
        (commits.py does, once for a batch). Aborts the upload on any failure."""
        try:
            digest = self.digest.hexdigest()
            if expected_sha256 is not None and digest != expected_sha256:
                raise FerryError(ErrorCode.CHECKSUM_MISMATCH, f"received bytes have sha256 {digest}, not {expected_sha256}")
            try:
                if self.library.fsync:
                    os.fsync(self.fd)
                self._publish()
                if not self.overwrite:  # drop the temp link now, so the cached stat below stays current
                    os.unlink(self.temp_name, dir_fd=self.library.uploads_fd)
                if self.library.fsync and sync_folder:
                    os.fsync(self.library.dir_fd)
            except FileExistsError:
                raise FerryError(ErrorCode.EXISTS, f"{self.name!r} was created by another upload meanwhile") from None
            except IsADirectoryError:
                raise FerryError(ErrorCode.EXISTS, f"{self.name!r} is a folder") from None
            except OSError as exc:
                raise storage_error(exc, self.name) from None
            self.library.checksums.remember(os.fstat(self.fd), digest)
            return digest
        finally:
            self.abort()

    def _publish(self) -> None:
        lib = self.library
        if self.overwrite:
            replaced = self._hold_large(self.name) if self.replaces >= LARGE_BYTES else None
            try:
                os.rename(self.temp_name, self.name, src_dir_fd=lib.uploads_fd, dst_dir_fd=lib.dir_fd)
            finally:
                if replaced is not None:
                    _release_later(replaced)
        else:
            os.link(self.temp_name, self.name, src_dir_fd=lib.uploads_fd, dst_dir_fd=lib.dir_fd, follow_symlinks=False)

    def _hold_large(self, name: str) -> int | None:
        """An ``O_PATH`` fd on ``name`` when it is a large regular file (see
        :func:`_release_later`); None otherwise, or if it cannot be had."""
        try:
            fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.library.dir_fd)
        except OSError:
            return None
        try:
            held = os.fstat(fd)
        except OSError:
            held = None
        if held is None or not stat.S_ISREG(held.st_mode) or held.st_size < LARGE_BYTES:
            os.close(fd)
            return None
        return fd

    def abort(self) -> None:
        """Close and remove the temp file (after a publish, only the link that is left)."""
        if self.fd < 0:
            return
        self.digest.cancel()
        os.close(self.fd)
        self.fd = -1
        try:
            os.unlink(self.temp_name, dir_fd=self.library.uploads_fd)
        except FileNotFoundError:  # renamed into place
            pass
