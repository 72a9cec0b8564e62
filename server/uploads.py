"""One upload in progress: a temp file that becomes a library file only when whole.

The bytes go to a uniquely named file in the library's hidden uploads folder
while sha256 is computed on the way. :meth:`Upload.commit` checks the digest,
fsyncs, and publishes with one atomic call: ``link`` when the name must not
exist (so two racing uploads cannot both win), ``rename`` when it may be
replaced (readers see the old file or the new one, never a mix). Every failure
path unlinks the temp file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from typing import TYPE_CHECKING

from shared.errors import ErrorCode, FerryError

from .publications import record_publish

if TYPE_CHECKING:
    from .library import Library

_SPACE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def storage_error(exc: OSError, name: str) -> FerryError:
    """The protocol error for a failed write: ``no_space`` when the disk (or a
    quota, or a file size limit) is full, ``io_error`` otherwise."""
    if exc.errno in _SPACE_ERRORS:
        return FerryError(ErrorCode.NO_SPACE, f"no space left to store {name!r}")
    return FerryError(ErrorCode.IO_ERROR, f"cannot store {name!r}: {exc.strerror}")


class Upload:
    def __init__(self, library: Library, name: str, size: int, overwrite: bool, temp_name: str, fd: int) -> None:
        self.library = library
        self.name = name
        self.size = size
        self.overwrite = overwrite
        self.temp_name = temp_name
        self.fd = fd
        self.received = 0
        self.hasher = hashlib.sha256()

    @classmethod
    def create(cls, library: Library, name: str, size: int, overwrite: bool) -> Upload:
        # The worker's pid leads the name: when a worker dies without cleaning up
        # (SIGKILL, OOM killer), the parent removes exactly its temp files, leaving
        # other workers' uploads in progress alone (library.remove_uploads_of).
        temp_name = f"{os.getpid()}-{secrets.token_hex(8)}.part"
        try:
            fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=library.uploads_fd)
        except OSError as exc:
            raise storage_error(exc, name) from None
        return cls(library, name, size, overwrite, temp_name, fd)

    def write(self, data: bytes | memoryview) -> None:
        """Store the next bytes; raises ``no_space``/``io_error`` (the caller then
        discards the rest of the body and aborts)."""
        self.hasher.update(data)
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
                self.received += written
        except OSError as exc:
            raise storage_error(exc, self.name) from None

    def commit(self, expected_sha256: str | None) -> str:
        """Verify, make durable, publish; return the sha256. Blocking (fsync): run it
        off the event loop. Aborts the upload on any failure."""
        try:
            digest = self.hasher.hexdigest()
            if expected_sha256 is not None and digest != expected_sha256:
                raise FerryError(ErrorCode.CHECKSUM_MISMATCH, f"received bytes have sha256 {digest}, not {expected_sha256}")
            try:
                if self.library.fsync:
                    os.fsync(self.fd)
                self._publish()
                if not self.overwrite:  # drop the temp link now, so the cached stat below stays current
                    os.unlink(self.temp_name, dir_fd=self.library.uploads_fd)
                if self.library.fsync:
                    os.fsync(self.library.dir_fd)
                record_publish(self.name)
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
            os.rename(self.temp_name, self.name, src_dir_fd=lib.uploads_fd, dst_dir_fd=lib.dir_fd)
        else:
            os.link(self.temp_name, self.name, src_dir_fd=lib.uploads_fd, dst_dir_fd=lib.dir_fd, follow_symlinks=False)

    def abort(self) -> None:
        """Close and remove the temp file (after a publish, only the link that is left)."""
        if self.fd < 0:
            return
        os.close(self.fd)
        self.fd = -1
        try:
            os.unlink(self.temp_name, dir_fd=self.library.uploads_fd)
        except FileNotFoundError:  # renamed into place
            pass
