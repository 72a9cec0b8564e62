"""Unfinished downloads: the temp files they write to, and the client's record of them.

A download is written to a temp file the client creates itself, exclusively
(``O_CREAT | O_EXCL``), with a short random hidden name: ``.ferry-<16 hex>.part``.
The name never depends on the remote name, so it cannot collide with a file the
batch downloads (``x`` and ``x.part``) nor grow past 255 bytes with a long one.

To continue a download later the client must know which temp file holds which
remote file's first bytes. It never guesses that from a file name: a user's own
``report.pdf.part`` is theirs. A small JSON record in the user's state folder
says it: the server, the remote name and the local target it belongs to, the
remote file's size and mtime when the bytes came, the temp file's name, device
and inode, and how many bytes it holds. Only a temp file that a record points to,
still the same file, unchanged, of a remote file with the same size and mtime, is adopted.

Taking a record removes it, so two clients never continue the same temp file;
a download that fails again records it again.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .state_records import RecordFolder, state_folder

#: The temp files' names: nothing a server can send (names never start with a
#: dot), and what a record must point to.
TEMP_PREFIX, TEMP_SUFFIX = ".ferry-", ".part"
_TEMP_NAME = re.compile(r"\.ferry-[0-9a-f]{16}\.part")
#: Tries at a free random name: with 64 random bits, one is all it ever takes.
_NAME_TRIES = 100


@dataclass(frozen=True)
class Partial:
    """What a record says about one unfinished download."""

    origin: str  # the server, as host:port
    remote: str  # the remote name
    final: str  # the local file it becomes (an absolute path)
    temp: str  # the temp file's name, in the folder of ``final``
    device: int  # the temp file's identity when the record was made: a file put
    inode: int  # in its place (even on a reused inode) or written to since is not adopted
    written_ns: int  # its st_mtime_ns
    size: int  # the remote file's size and mtime when the bytes came
    mtime: float
    done: int  # bytes in the temp file

    @property
    def temp_path(self) -> Path:
        return Path(self.final).parent / self.temp


_FIELD_TYPES = {
    "origin": str,
    "remote": str,
    "final": str,
    "temp": str,
    "device": int,
    "inode": int,
    "written_ns": int,
    "size": int,
    "mtime": float,
    "done": int,
}


class TempFile:
    """A download's temp file, known by name before it exists.

    Ctrl+C raises ``KeyboardInterrupt`` between any two bytecodes, also the one
    right after ``os.open`` returns and the ones around a rename. A ``try`` that
    starts after the file is made, or a flag that says "published" before the
    rename, leaves a window in which the file is made but nothing removes it (the
    flaky ``get -r`` Ctrl+C test). So the caller holds this object in its
    ``try``/``finally`` *before* :meth:`create`: the name is set before the file
    can exist and cleared only once the file is renamed away, and
    :meth:`discard` in the ``finally`` removes whatever is there, whichever
    bytecode the interrupt landed on."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.fd = -1

    def create(self, folder: Path) -> int:
        """Make a new, empty temp file in ``folder``, open for reading and writing;
        its descriptor. ``O_EXCL`` makes it ours: an existing file of that name, or
        a symlink planted there, makes the open fail and another name is drawn."""
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        for _ in range(_NAME_TRIES):
            self.path = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
            try:
                self.fd = os.open(self.path, flags, 0o644)
                return self.fd
            except FileExistsError:
                self.path = None  # not ours: never discarded
        raise FileExistsError(f"no free temp file name in {folder}")

    def adopt(self, fd: int, path: Path) -> None:
        """Take over a recorded temp file (open_recorded) to continue it."""
        self.fd, self.path = fd, path

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def publish(self, final: Path, mtime: float) -> None:
        """Give the complete download the remote file's mtime, then rename it into
        place: the file appears whole and already dated, as the server had it. A
        time the local system cannot store (a hostile server's 1e300) leaves the
        file dated now."""
        assert self.path is not None
        self.close()
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(self.path, (mtime, mtime))
        os.replace(self.path, final)
        self.path = None

    def keep(self) -> None:
        """Leave the file where it is (it is recorded, to be continued): only close it."""
        self.close()
        self.path = None

    def discard(self) -> None:
        """Close and delete the file, if it was made and is still here (an
        interrupt right after the rename finds the name gone: nothing to do)."""
        self.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            self.path = None


def open_recorded(partial: Partial) -> int | None:
    """The recorded temp file opened for reading and writing, or None when it is
    gone or is no longer exactly what the client left (another file, written since)."""
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(partial.temp_path, flags)
    except OSError:
        return None
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size) == (
        partial.device,
        partial.inode,
        partial.written_ns,
        partial.done,
    ):
        return fd
    os.close(fd)
    return None


def remove_recorded(partial: Partial) -> None:
    """Delete the recorded temp file, only if it is still the one the client wrote."""
    fd = open_recorded(partial)
    if fd is not None:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(partial.temp_path)


class PartialRecords:
    """The records, one JSON file each, in one folder (state_records.py)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._records = RecordFolder(folder)

    @staticmethod
    def _key(origin: str, remote: str, final: Path) -> list[str]:
        return [origin, remote, os.fspath(final)]

    def take(self, origin: str, remote: str, final: Path) -> Partial | None:
        """The record of this download, removed from the folder; None if there is
        none (or it is unreadable, or another client took it first)."""
        partial = _parse(self._records.take(self._key(origin, remote, final)))
        if partial is None or (partial.origin, partial.remote, partial.final) != (origin, remote, os.fspath(final)):
            return None
        return partial

    def any(self) -> bool:
        """Whether there may be any record at all (one look at the folder: a
        batch without any needs no look per file)."""
        try:
            with os.scandir(self.folder) as entries:
                return next(entries, None) is not None
        except OSError:
            return False

    def has(self, origin: str, remote: str, final: Path) -> bool:
        """Whether a record of this download may be there, left in place (a
        download without one needs no resume path)."""
        return self._records.read(self._key(origin, remote, final)) is not None

    def save(self, partial: Partial) -> bool:
        """Record ``partial``; False if the state folder cannot be written (the
        download then cannot be continued, and its temp file should go)."""
        return self._records.save(self._key(partial.origin, partial.remote, Path(partial.final)), asdict(partial))

    def discard(self, origin: str, remote: str, final: Path) -> None:
        """Forget this download's record and delete its temp file (a cancelled download)."""
        partial = self.take(origin, remote, final)
        if partial is not None:
            remove_recorded(partial)


def _parse(fields: dict[str, Any] | None) -> Partial | None:
    """A record read back, each field type-checked; None for anything else. The
    temp name must be one :meth:`TempFile.create` makes, so a damaged record cannot
    point the client at another file."""
    if fields is None or set(fields) != set(_FIELD_TYPES):
        return None
    if type(fields["mtime"]) is int:
        fields["mtime"] = float(fields["mtime"])
    if any(type(fields[name]) is not kind for name, kind in _FIELD_TYPES.items()):
        return None
    if not _TEMP_NAME.fullmatch(fields["temp"]) or not os.path.isabs(fields["final"]):
        return None
    return Partial(**fields)


def default_records() -> PartialRecords:
    """The records of this user: ``ferry/partial-downloads`` in the state folder."""
    return PartialRecords(state_folder("partial-downloads"))
