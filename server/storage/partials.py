"""Partial uploads kept for a resume (PROTOCOL.md 7.4, ``upload_id``).

A resumable upload writes straight into its partial file,
``.ferry-uploads/resume/<upload_id>.<size>.<digest of the path>``: the name is
the key (upload id, path, size), so nothing beside the file has to agree with
it, and a worker killed or a server restarted mid-upload leaves the bytes it had
written exactly where the next ``put`` with that key looks. The crash sweeps of
uploads.py leave this folder alone; only :func:`~.uploads.sweep_partials` removes
partials, once expired and not locked.

The upload sending into a partial holds an exclusive ``flock`` on it. A newer
``put`` of the same key that finds it locked wins (7.4): it copies the older
file's bytes, up to a 1 MiB boundary, into a new file of its own and renames
that over the name. The older upload checks now and then (:func:`owns`), and
before it publishes (:func:`claim`), that the name is still its file; once it is
not, it ends with ``io_error`` and never touches the name again.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
from dataclasses import dataclass

#: The partials' folder, inside the uploads folder.
RESUME_DIR = "resume"
#: A newer upload takes over a still-sending older one's bytes up to a multiple
#: of this: the older may be writing the last ones while they are copied.
TAKEOVER_GRAIN = 1 << 20
_OPEN_ATTEMPTS = 3


def open_resume_dir(uploads_fd: int) -> int:
    """The partials' folder as a directory fd, created if missing (first resumable upload)."""
    try:
        os.mkdir(RESUME_DIR, 0o700, dir_fd=uploads_fd)
    except FileExistsError:
        pass
    return os.open(RESUME_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=uploads_fd)


def partial_name(upload_id: str, path: str, size: int) -> str:
    """The key as a file name; ``upload_id`` is lowercase already (messages.py)."""
    path_digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{upload_id}.{size}.{path_digest}"


@dataclass
class Held:
    """A partial this upload now writes: ``fd`` is locked; its first ``offset``
    bytes are kept ones, still to be copied from ``source`` when that is set."""

    name: str
    fd: int
    ino: int
    offset: int
    source: int | None = None


def hold(resume_fd: int, upload_id: str, name: str, size: int) -> Held:
    """Take the partial ``name`` (of ``size`` bytes when whole) for a new upload.

    Partials of ``upload_id`` under another key are removed first: the client
    started that upload again with another path or size. Raises ``OSError``."""
    prefix = f"{upload_id}."
    for entry in os.scandir(resume_fd):
        if entry.name.startswith(prefix) and entry.name != name:
            _unlink(resume_fd, entry.name)  # a sender of it sees its name gone and stops
    for _ in range(_OPEN_ATTEMPTS):
        try:
            fd = os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=resume_fd)
        except FileNotFoundError:
            return _fresh(resume_fd, name, offset=0)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another connection is still sending it: the newer put wins
            kept = min(os.fstat(fd).st_size, size)
            taken = _fresh(resume_fd, name, offset=kept - kept % TAKEOVER_GRAIN)
            taken.source = fd
            return taken
        except BaseException:
            os.close(fd)
            raise
        st = os.fstat(fd)
        if owns(resume_fd, name, st.st_ino):
            if st.st_size <= size:
                return Held(name, fd, st.st_ino, st.st_size)
            os.ftruncate(fd, 0)  # longer than the file it is a part of: not a prefix, start over
            return Held(name, fd, st.st_ino, 0)
        os.close(fd)  # published, swept or taken over between our open and our lock
    raise OSError(errno.EAGAIN, "the partial upload kept changing hands")


def _fresh(resume_fd: int, name: str, offset: int) -> Held:
    """A new empty partial under ``name``, locked before it has the name (so no
    sweep and no other upload can take it half-made), replacing what was there."""
    temp = f"new-{os.getpid()}-{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=resume_fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(temp, name, src_dir_fd=resume_fd, dst_dir_fd=resume_fd)
    except BaseException:
        os.close(fd)
        _unlink(resume_fd, temp)
        raise
    return Held(name, fd, os.fstat(fd).st_ino, offset)


def copy_prefix(source: int, target: int, count: int) -> None:
    """The first ``count`` bytes of ``source`` into ``target`` (in the kernel where it can)."""
    done = 0
    while done < count:
        try:
            moved = os.copy_file_range(source, target, count - done, done, done)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            moved = os.pwrite(target, os.pread(source, min(count - done, 1 << 20), done), done)
        if not moved:
            raise OSError(errno.EIO, "the partial upload shrank while it was taken over")
        done += moved


def owns(resume_fd: int, name: str, ino: int) -> bool:
    """Is ``name`` still the partial with inode ``ino`` (not taken over, not swept)?"""
    try:
        return os.stat(name, dir_fd=resume_fd, follow_symlinks=False).st_ino == ino
    except FileNotFoundError:
        return False


def claim(resume_fd: int, held: Held, uploads_fd: int, temp_name: str) -> bool:
    """Move the finished partial out of the resume folder to ``temp_name`` in the
    uploads folder, from where it is published like any upload; False when it is
    no longer this upload's (a newer one took it over), which is then left alone."""
    if not owns(resume_fd, held.name, held.ino):
        return False
    try:
        os.rename(held.name, temp_name, src_dir_fd=resume_fd, dst_dir_fd=uploads_fd)
    except FileNotFoundError:
        return False
    if os.stat(temp_name, dir_fd=uploads_fd, follow_symlinks=False).st_ino == held.ino:
        return True
    # A newer upload's file slipped in between the check and the rename: give it back.
    os.rename(temp_name, held.name, src_dir_fd=uploads_fd, dst_dir_fd=resume_fd)
    return False


def _unlink(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
