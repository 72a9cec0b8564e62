"""One upload, whole: receive the body, compute its digest, commit and publish.

The bytes go to a uniquely named file in the library's hidden uploads folder
while sha256 is computed on the way (inline, or on a trailing thread for large
uploads: digests.py), written by ``os.write`` or moved in by ``splice``
(:meth:`Upload.receive` decides). :meth:`Upload.finish` checks the digest,
fsyncs, and publishes with one atomic call: ``link`` when the name must not
exist (so two racing uploads cannot both win), ``rename`` when it may be
replaced (readers see the old file or the new one, never a mix); where that runs
(group commit, a thread, inline) is its decision too. The session only speaks
the protocol around it. Every failure path unlinks the temp file. The temp file
is locked while it is written, and only temp files nobody holds a lock on are
ever swept (:func:`sweep_uploads`).

It owns the 1.1 parts of a transfer too (PROTOCOL.md 7.4): the trailing digest
header after the body, the modification time set before publishing, and resumable
uploads, which write into a partial kept across interruptions (partials.py) and
move it to the temp folder only to publish it.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import secrets
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from ferry_files.shared.errors import CLOSING_CODES, ErrorCode, FerryError
from ferry_files.shared.framing import decode_header
from ferry_files.shared.messages import parse_trailer

from ..fd_budget import FD_ERRNOS
from . import partials
from .digests import InlineDigest, TrailingDigest
from .splicing import SplicePipe
from .store import UPLOADS_DIR, Store

log = logging.getLogger(__name__)

_SPACE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

#: From this size on, an upload is hashed by a trailing thread (and so may be
#: spliced), commits off the event loop, and a file it replaces is freed on the
#: releaser thread. Below it, each of those costs more than it saves.
LARGE_BYTES = 8 << 20
#: How a replaced large file is held open: ``O_PATH`` (Linux) reads nothing and
#: needs no permission; elsewhere a non-blocking read-only open holds the inode
#: just as well (non-blocking: a FIFO swapped in must not hang the worker).
_HOLD_FLAGS = getattr(os, "O_PATH", os.O_RDONLY | os.O_NONBLOCK) | os.O_NOFOLLOW | os.O_CLOEXEC
_releaser: ThreadPoolExecutor | None = None
#: New temp files tried before giving up, should sweeps keep taking them.
_CLAIM_ATTEMPTS = 3
#: A resumable upload checks this often (in bytes received) that no newer upload
#: of its id took its partial over: a ``stat`` per MiB costs nothing measurable.
_OWNER_CHECK_BYTES = 1 << 20
#: Expired partials are swept at most this often, at the start of an upload.
_PARTIAL_SWEEP_SECONDS = 60.0


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


def _locked_before_named(uploads_fd: int, temp_name: str) -> int | None:
    """A new temp file that is locked before it has a name, so no sweep can ever
    take it: made unnamed (``O_TMPFILE``), locked, then linked in under
    ``temp_name``. None where the filesystem (or a missing /proc) does not allow
    that; the caller then names it first and locks it after (:func:`_claimed`)."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        fd = os.open(".", os.O_RDWR | flag | os.O_CLOEXEC, 0o644, dir_fd=uploads_fd)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else can reach it yet
        os.link(f"/proc/self/fd/{fd}", temp_name, dst_dir_fd=uploads_fd)
    except FileNotFoundError:  # no /proc
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove_temp(store: Store, temp_name: str, fd: int) -> None:
    os.close(fd)
    try:
        os.unlink(temp_name, dir_fd=store.uploads_fd)
    except OSError:
        pass


def sweep_uploads(uploads_fd: int, prefix: str = "") -> int:
    """Delete the temp files (those whose name starts with ``prefix``) that no
    upload is writing; return how many.

    An upload holds an exclusive ``flock`` on its temp file as long as it is open
    (:func:`_claimed`), so a file that cannot be locked is in use: by this server,
    by one still draining while its successor starts, or by another server on the
    same folder. Anything else there was left by a crash. The file is unlinked
    while the lock is held, and an upload that locks a file only after that sees
    it unlinked and starts over with a new one."""
    removed = 0
    for entry in os.scandir(uploads_fd):
        if entry.name == partials.RESUME_DIR:  # kept partials: only sweep_partials removes those
            continue
        if entry.name.startswith(prefix) and _remove_if_unclaimed(uploads_fd, entry.name):
            removed += 1
    return removed


def sweep_partials(uploads_fd: int, keep_seconds: float) -> int:
    """Delete the partial uploads (partials.py) untouched for over ``keep_seconds``
    that no upload holds; return how many. Run at start-up and, at most every
    :data:`_PARTIAL_SWEEP_SECONDS` (or a quarter of ``keep_seconds``), at the start
    of an upload (:func:`_sweep_partials_now_and_then`). A partial being sent is
    locked, and its mtime moves with every write, so only abandoned ones go."""
    try:
        resume_fd = os.open(partials.RESUME_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=uploads_fd)
    except FileNotFoundError:
        return 0  # no resumable upload yet
    removed = 0
    try:
        now = time.time()
        for entry in os.scandir(resume_fd):
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue
            if age > keep_seconds and _remove_if_unclaimed(resume_fd, entry.name):
                removed += 1
    finally:
        os.close(resume_fd)
    return removed


def _sweep_partials_now_and_then(store: Store) -> None:
    now = time.monotonic()
    if now - store.partials_swept_at < min(_PARTIAL_SWEEP_SECONDS, store.keep_partials / 4):
        return
    store.partials_swept_at = now
    try:
        removed = sweep_partials(store.uploads_fd, store.keep_partials)
    except OSError as exc:
        log.warning("cannot sweep expired partial uploads: %s", exc.strerror)
        return
    if removed:
        log.info("removed %d partial uploads kept past --resume-hours", removed)


def remove_uploads_of(root_fd: int, pid: int) -> int:
    """Delete the temp files of the worker ``pid``, which has exited: the parent calls
    this when it reaps a worker, so a worker killed mid-upload leaves no stray data
    until the next start. Temp names begin with their worker's pid (see
    :meth:`Upload.create`); one that another live process holds (the same pid in
    another server's worker, after reuse) is left alone."""
    try:
        uploads_fd = os.open(UPLOADS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=root_fd)
    except OSError:
        return 0  # the folder went away: the next start cleans up
    try:
        return sweep_uploads(uploads_fd, prefix=f"{pid}-")
    finally:
        os.close(uploads_fd)


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


def _copy_and_close(source: int, target: int, count: int) -> None:
    try:
        partials.copy_prefix(source, target, count)
    finally:
        os.close(source)
        os.close(target)


class BodyStream(Protocol):
    """Where an upload's body comes from: bytes the session has already buffered,
    then its connection (the session's adapter, see session.py)."""

    buffer: memoryview  # the worker's receive buffer, free while the body is read
    can_splice: bool  # a plain TCP socket, whose bytes can go to a pipe unseen

    def take(self, limit: int) -> bytes | memoryview: ...

    async def header(self) -> bytes:
        """The next header line (a ``put`` trailer), read as every request is."""
        ...

    async def recv_into(self, view: memoryview) -> int: ...

    async def splice_into(self, pipe: SplicePipe, count: int) -> int: ...


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


@dataclass
class Destination:
    """Where an upload publishes: ``name`` in the folder ``fd``, which the upload
    holds open until it is done, so the file lands in the folder its path named
    when it began, whatever is renamed or swapped on the way meanwhile. ``fd`` is
    None for the library folder itself (not the upload's to close). ``path`` is
    what the client sent, for messages."""

    fd: int | None
    name: str
    path: str


class Upload:
    def __init__(
        self,
        store: Store,
        destination: Destination,
        size: int,
        overwrite: bool,
        temp_name: str,
        fd: int,
        replaces: int,
        partial: partials.Held | None = None,
    ) -> None:
        self.store = store
        self.replaces = replaces  # the size of the file under the name when the upload began
        self.destination = destination
        self.name = destination.path
        self.size = size
        self.overwrite = overwrite
        self.temp_name = temp_name
        self.fd = fd
        self._temp_named = True  # False once the publish took the name away: nothing left to unlink
        self.received = 0
        self.digest = TrailingDigest(fd, start_writeback=store.fsync) if size >= LARGE_BYTES else InlineDigest()
        self._committing = False  # from then on the commit owns the upload and cleans up after it
        # Resumable: the kept partial written (fd is its file) until the commit moves it to temp_name.
        self.partial = partial
        self.offset = partial.offset if partial is not None else 0  # bytes kept from before, not sent again
        self._owner_checked = 0
        self.trailer = False  # the digest comes in a header after the body
        self._trailer_sha256: str | None = None
        self.mtime: float | None = None  # the published file's, if the client gave one

    @staticmethod
    def fds_needed(size: int, in_folder: bool = False, resumable: bool = False) -> int:
        """The fds an upload of ``size`` bytes holds: its temp file, from
        :data:`LARGE_BYTES` the trailing digest's duplicate of it, ``in_folder``
        (a path with a ``/``) the folder it publishes into (:class:`Destination`),
        and for a resumable one the partial it may take over and the copying
        thread's duplicate of its own (partials.py)."""
        return 1 + (size >= LARGE_BYTES) + in_folder + 2 * resumable

    @property
    def folder_fd(self) -> int:
        """The folder the file is published into, and whose fsync makes that durable."""
        return self.store.dir_fd if self.destination.fd is None else self.destination.fd

    @property
    def large(self) -> bool:
        return self.size >= LARGE_BYTES

    @property
    def commit_may_block(self) -> bool:
        """Commit waits for the disk: fsync, or ext4 starting writeback of a large
        file renamed over another (its auto_da_alloc), some 50 ms per 128 MiB here."""
        return self.store.fsync or self.large

    @property
    def takes_splice(self) -> bool:
        """Bytes may be spliced in: the digest reads them from the file."""
        return self.digest.reads_file

    @classmethod
    def create(
        cls,
        store: Store,
        destination: Destination,
        size: int,
        overwrite: bool,
        replaces: int,
        *,
        upload_id: str | None = None,
        trailer: bool = False,
        mtime: float | None = None,
    ) -> Upload:
        """The upload's file: with ``upload_id`` its kept partial (:attr:`offset`
        bytes long), else a new temp file; locked while this upload has it. From
        its return on, the upload owns ``destination.fd``."""
        _sweep_partials_now_and_then(store)
        if upload_id is None:
            upload = cls._create_temp(store, destination, size, overwrite, replaces)
        else:
            upload = cls._create_resumable(store, destination, size, overwrite, replaces, upload_id)
        upload.trailer = trailer
        upload.mtime = mtime
        return upload

    @classmethod
    def _create_resumable(cls, store: Store, destination: Destination, size: int, overwrite: bool, replaces: int, upload_id: str) -> Upload:
        # Named now, used when the finished partial is moved here to be published:
        # from then on the crash sweeps treat it as the temp file it is.
        name = destination.path
        temp_name = f"{os.getpid()}-{secrets.token_hex(8)}.part"
        try:
            held = partials.hold(store.resume_fd(), upload_id, partials.partial_name(upload_id, name, size), size)
        except OSError as exc:
            raise storage_error(exc, name) from None
        try:
            return cls(store, destination, size, overwrite, temp_name, held.fd, replaces, held)
        except (OSError, RuntimeError) as exc:
            for fd in (held.fd, held.source):
                if fd is not None:
                    os.close(fd)
            raise storage_error(exc, name) from None

    @classmethod
    def _create_temp(cls, store: Store, destination: Destination, size: int, overwrite: bool, replaces: int) -> Upload:
        """Open a new temp file, locked while this upload has it (see :func:`_claimed`)."""
        name = destination.path
        for _ in range(_CLAIM_ATTEMPTS):
            # The worker's pid leads the name: when a worker dies, the parent
            # sweeps the temp files named for it (remove_uploads_of).
            temp_name = f"{os.getpid()}-{secrets.token_hex(8)}.part"
            try:
                fd = _locked_before_named(store.uploads_fd, temp_name)
                if fd is None:
                    # Readable too: a trailing digest maps the pages it hashes.
                    fd = os.open(temp_name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=store.uploads_fd)
                    if not _claimed(fd):
                        os.close(fd)  # a sweep took it between our open and our lock, and removes it
                        continue
            except OSError as exc:
                raise storage_error(exc, name) from None
            try:
                return cls(store, destination, size, overwrite, temp_name, fd, replaces)
            except (OSError, RuntimeError) as exc:  # a dup or a thread the digest could not have
                _remove_temp(store, temp_name, fd)
                raise storage_error(exc, name) from None
        raise FerryError(ErrorCode.IO_ERROR, f"cannot store {name!r}: its temp files kept being removed")

    async def receive(self, body: BodyStream) -> FerryError | None:
        """Read the body, :attr:`size` less :attr:`offset` bytes, from ``body`` and
        store them, then the trailer if there is one; the error that stopped
        storing, if any. The rest is still read (and dropped) after a failure, so
        the session stays in step; a client that leaves is ``ConnectionResetError``.

        Large uploads on plain TCP are spliced socket -> pipe -> file, their sha256
        computed by a trailing thread (digests.py); the rest is received into the
        worker's buffer, hashed and written here."""
        failure = await self._take_kept()
        remaining = self.size - self.offset
        buffer = body.buffer
        pipe = self.store.pipe if self.takes_splice and body.can_splice else None
        while remaining:
            chunk: bytes | memoryview = body.take(remaining)
            if not chunk and pipe is not None and failure is None:
                moved = await body.splice_into(pipe, remaining)
                if not moved:
                    raise ConnectionResetError("client left in the middle of an upload")
                remaining -= moved
                try:
                    self.splice_from(pipe, moved)
                except FerryError as exc:
                    failure = self._store_failed(exc)
                failure = failure or self._taken_over()
                continue
            if not chunk:
                received = await body.recv_into(buffer[: min(remaining, len(buffer))])
                if not received:
                    raise ConnectionResetError("client left in the middle of an upload")
                chunk = buffer[:received]
            remaining -= len(chunk)
            if failure is None:
                try:
                    self.write(chunk)
                except FerryError as exc:
                    failure = self._store_failed(exc)
                failure = failure or self._taken_over()
        if self.trailer:
            try:
                self._trailer_sha256 = parse_trailer(decode_header(await body.header()))
            except FerryError as exc:
                if exc.code in CLOSING_CODES:  # header_too_large: the session ends, the partial stays
                    raise
                failure = failure or exc
        return failure

    async def _take_kept(self) -> FerryError | None:
        """Bring in the :attr:`offset` bytes kept from before: copied from the partial
        of an upload this one took over (on a thread), hashed, and the file
        positioned after them. The error, if that fails."""
        held = self.partial
        if held is None:
            return None
        try:
            if held.source is not None:
                source, held.source = held.source, None
                try:
                    target = os.dup(self.fd)  # the thread's own: this upload may close its fd meanwhile
                except OSError:
                    os.close(source)
                    raise
                await asyncio.get_running_loop().run_in_executor(None, _copy_and_close, source, target, self.offset)
            if self.digest.reads_file:
                self.digest.stored(self.offset)
            else:  # small (< LARGE_BYTES): read back here
                position = 0
                while position < self.offset:
                    block = os.pread(self.fd, min(self.offset - position, 1 << 20), position)
                    if not block:
                        raise OSError(errno.EIO, "the kept part of the upload is shorter than it was")
                    self.digest.wrote(memoryview(block))
                    position += len(block)
            os.lseek(self.fd, self.offset, os.SEEK_SET)
        except OSError as exc:
            return self._store_failed(storage_error(exc, self.name))
        return None

    def _taken_over(self) -> FerryError | None:
        """``io_error`` once a newer upload of the same ``upload_id`` has taken this
        one's partial (partials.py): checked every :data:`_OWNER_CHECK_BYTES`."""
        held = self.partial
        if held is None or self.received - self._owner_checked < _OWNER_CHECK_BYTES:
            return None
        self._owner_checked = self.received
        if partials.owns(self.store.resume_fd(), held.name, held.ino):
            return None
        return self._store_failed(self._superseded())

    def _superseded(self) -> FerryError:
        return FerryError(ErrorCode.IO_ERROR, f"a newer upload of {self.name!r} with the same upload_id took over")

    def _store_failed(self, exc: FerryError) -> FerryError:
        log.warning("upload of %r failed: %s", self.name, exc.message)
        return exc

    async def finish(self, expected_sha256: str | None) -> str:
        """Wait for the digest, then commit (see :meth:`commit`) where it costs
        least: small durable commits in the worker's batches (commits.py), those
        that wait for the disk on a thread, a bare link or rename right here.
        Always leaves the upload closed, published or discarded."""
        try:
            await self.finish_digest()
        except BaseException:
            self._discard()
            raise
        # A session ended meanwhile (the drain's grace ran out) must not close the
        # fd under the thread that is committing it: abort() is a no-op from here.
        self._committing = True
        commits = self.store.group_commit()
        if commits is not None and not self.large:
            return await commits.commit(self, expected_sha256)
        if self.commit_may_block:
            return await asyncio.get_running_loop().run_in_executor(None, self.commit, expected_sha256)
        return self.commit(expected_sha256)

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
        """Verify, make durable, publish; return the sha256. :meth:`finish` calls it
        after the digest is done, off the event loop when :attr:`commit_may_block`.
        Without ``sync_folder`` the caller fsyncs :attr:`folder_fd` before it
        answers, then calls :meth:`release_folder` (commits.py does, once per
        folder for a batch). ``expected_sha256`` None means the trailer's, if any.
        Aborts the upload on any failure."""
        try:
            if self.partial is not None:
                self._claim()
            digest = self.digest.hexdigest()
            if expected_sha256 is None:
                expected_sha256 = self._trailer_sha256
            if expected_sha256 is not None and digest != expected_sha256:
                raise FerryError(ErrorCode.CHECKSUM_MISMATCH, f"received bytes have sha256 {digest}, not {expected_sha256}")
            try:
                if self.mtime is not None:  # before the fsync, which makes it durable with the bytes
                    os.utime(self.fd, (time.time(), self.mtime))
                if self.store.fsync:
                    os.fsync(self.fd)
                self._publish()
                if self.store.fsync and sync_folder:
                    os.fsync(self.folder_fd)
            except FileExistsError:
                raise FerryError(ErrorCode.EXISTS, f"{self.name!r} was created by another upload meanwhile") from None
            except IsADirectoryError:
                raise FerryError(ErrorCode.EXISTS, f"{self.name!r} is a folder") from None
            except FileNotFoundError:  # the folder it goes in (the temp file is locked, never swept)
                raise FerryError(ErrorCode.IO_ERROR, f"cannot store {self.name!r}: its folder was removed meanwhile") from None
            except OSError as exc:
                raise storage_error(exc, self.name) from None
            self.store.checksums.remember(os.fstat(self.fd), digest)
            return digest
        finally:
            self._discard(keep_folder=not sync_folder)

    def _claim(self) -> None:
        """Take the finished partial out of the resume folder into :attr:`temp_name`,
        to be published (or, failing that, discarded) as any temp file is."""
        assert self.partial is not None
        try:
            claimed = partials.claim(self.store.resume_fd(), self.partial, self.store.uploads_fd, self.temp_name)
        except OSError as exc:
            raise storage_error(exc, self.name) from None
        if not claimed:
            raise self._superseded()
        self.partial = None

    def _publish(self) -> None:
        """Into the folder's fd: the uploads folder is the library's, on its
        filesystem, so a rename or link into any folder of it is atomic. Either
        way the temp name is gone afterwards."""
        uploads_fd, folder_fd, name = self.store.uploads_fd, self.folder_fd, self.destination.name
        if self.overwrite:
            replaced = self._hold_large(name) if self.replaces >= LARGE_BYTES else None
            try:
                os.rename(self.temp_name, name, src_dir_fd=uploads_fd, dst_dir_fd=folder_fd)
            finally:
                if replaced is not None:
                    _release_later(replaced)
        else:
            os.link(self.temp_name, name, src_dir_fd=uploads_fd, dst_dir_fd=folder_fd, follow_symlinks=False)
            # Drop the temp link now, so the stat cached after the commit stays current.
            os.unlink(self.temp_name, dir_fd=uploads_fd)
        self._temp_named = False

    def _hold_large(self, name: str) -> int | None:
        """An fd on ``name`` (``O_PATH``, see :data:`_HOLD_FLAGS`) when it is a large
        regular file (see :func:`_release_later`); None otherwise, or if it cannot be had."""
        try:
            fd = os.open(name, _HOLD_FLAGS, dir_fd=self.folder_fd)
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
        """Give the upload up: its bytes are never published. Once :meth:`finish`
        has begun to commit, the commit cleans up instead and this does nothing."""
        if not self._committing:
            self._discard()

    def release_folder(self) -> None:
        """Close the folder's fd, if the upload holds one (see :class:`Destination`)."""
        fd, self.destination.fd = self.destination.fd, None
        if fd is not None:
            os.close(fd)

    def _discard(self, keep_folder: bool = False) -> None:
        """Close and remove the temp file (unless published: then its name is
        gone already), and close the folder unless ``keep_folder`` (its fsync is to come).
        A partial not yet claimed stays: for a resume, or it is the newer
        upload's that took it over."""
        if not keep_folder:
            self.release_folder()
        if self.fd < 0:
            return
        self.digest.cancel()
        os.close(self.fd)
        self.fd = -1
        if self.partial is not None:
            if self.partial.source is not None:
                os.close(self.partial.source)
                self.partial.source = None
            return
        if self._temp_named:
            self._temp_named = False
            try:
                os.unlink(self.temp_name, dir_fd=self.store.uploads_fd)
            except FileNotFoundError:  # removed by hand meanwhile: what this was to do
                pass
