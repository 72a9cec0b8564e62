"""Folders deleted at once, removed later: the library's trash.

A recursive ``delete`` must make a folder disappear from every request at once
and entirely (PROTOCOL.md 7.3), however many files it holds. Removing them one by
one would show readers a folder half gone and keep the client waiting, so the
folder is renamed into the hidden ``.ferry-trash/`` folder of the library (the same
filesystem, so that is one atomic step) and its content removed afterwards by one
thread per worker, never the event loop's.

What a crash leaves there is garbage by construction: nothing in the trash is
ever used again. Each worker sweeps the trash when it starts (a server restarted,
a worker replaced) and after each delete. A remover holds an exclusive ``flock``
on the folder it is emptying, and a sweep skips folders it cannot lock, so a second
server on the folder, or a new instance starting while the old one drains, never
works on a folder another process is emptying. Should two ever meet on one
anyway (a folder is locked only once its remover opens it), each just finds
some entries already gone: removal tolerates that everywhere.

Emptying never recurses: a sub-folder is moved up into the trash as an entry of
its own and emptied in turn, so a tree of any depth costs two fds and no stack.
Nothing is followed: entries are opened with ``O_NOFOLLOW`` relative to their
folder's fd, and a symlink is removed as a name.
"""

from __future__ import annotations

import enum
import fcntl
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

TRASH_DIR = ".ferry-trash"

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_ENTRY_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs open()


def _trash_name() -> str:
    return secrets.token_hex(8)


class _Outcome(enum.Enum):
    REMOVED = "removed"
    HELD = "held by another process, which removes it"
    NOT_REMOVED = "gone already, or could not be removed (logged)"


class Trash:
    """One per :class:`~.library.Library`. The folder is made at the first delete
    that needs it (a library nobody deletes from never has one); the remover
    thread at the first sweep, in the worker (never before a fork)."""

    def __init__(self, dir_fd: int) -> None:
        self._dir_fd = dir_fd
        self._fd: int | None = None
        self._lock = threading.Lock()  # the fields below
        self._remover: ThreadPoolExecutor | None = None
        self._sweep_pending = False
        self._closed = False

    def take(self, parent_fd: int, name: str) -> None:
        """Move the entry ``name`` of the folder ``parent_fd`` into the trash, then
        have it removed in the background. OSError if it cannot be moved (the entry
        is then untouched)."""
        os.rename(name, _trash_name(), src_dir_fd=parent_fd, dst_dir_fd=self._folder(create=True))
        self.sweep_later()

    def sweep_later(self) -> None:
        """Remove everything in the trash that no other process is removing, on the
        remover thread. Sweeps asked for while one waits to start are that one."""
        with self._lock:
            if self._sweep_pending or self._closed:
                return
            if self._remover is None:
                self._remover = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ferry-trash")
            self._sweep_pending = True
            self._remover.submit(self._sweep_logged)

    def close(self) -> None:
        """Stop removing (what is left waits for the next sweep) and close the folder."""
        with self._lock:
            self._closed = True
            remover = self._remover
        if remover is not None:
            remover.shutdown(wait=True, cancel_futures=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _folder(self, *, create: bool) -> int:
        with self._lock:
            if self._fd is None:
                if create:
                    try:
                        os.mkdir(TRASH_DIR, 0o700, dir_fd=self._dir_fd)
                    except FileExistsError:
                        pass
                self._fd = os.open(TRASH_DIR, _FOLDER_FLAGS, dir_fd=self._dir_fd)
            return self._fd

    def _sweep_logged(self) -> None:
        with self._lock:
            self._sweep_pending = False
        try:
            removed, busy = self.sweep()
        except Exception:
            log.exception("emptying the trash failed")
            return
        if busy:
            log.info("trash: removed %d entries, left %d that another process is removing", removed, busy)
        elif removed:
            log.debug("trash: removed %d entries", removed)

    def sweep(self) -> tuple[int, int]:
        """Remove every entry of the trash nobody else holds, now: (how many were
        removed, how many were left to another process)."""
        try:
            trash_fd = self._folder(create=False)
        except FileNotFoundError:
            return 0, 0
        except OSError as exc:
            log.warning("cannot open the trash folder %s: %s", TRASH_DIR, exc.strerror)
            return 0, 0
        outcomes = {outcome: 0 for outcome in _Outcome}
        pending = os.listdir(trash_fd)
        while pending and not self._closed:
            outcomes[self._remove(trash_fd, pending.pop(), pending)] += 1
        return outcomes[_Outcome.REMOVED], outcomes[_Outcome.HELD]

    def _remove(self, trash_fd: int, name: str, pending: list[str]) -> _Outcome:
        """Remove the trash entry ``name``; the sub-folders it moves up into the
        trash go onto ``pending``, to be removed next."""
        try:
            fd = os.open(name, _ENTRY_FLAGS, dir_fd=trash_fd)
        except FileNotFoundError:
            return _Outcome.NOT_REMOVED
        except OSError:  # a symlink, a socket, a FIFO without a writer: a name to unlink
            return self._unlink(trash_fd, name, os.unlink)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return _Outcome.HELD
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                return self._unlink(trash_fd, name, os.unlink)
            pending += self._empty(trash_fd, fd)
            if self._closed:
                return _Outcome.NOT_REMOVED
            return self._unlink(trash_fd, name, os.rmdir)
        finally:
            os.close(fd)

    def _empty(self, trash_fd: int, folder_fd: int) -> list[str]:
        """Unlink every non-folder in ``folder_fd``; move each sub-folder up into the
        trash under a new name. Returns those names."""
        moved_up: list[str] = []
        with os.scandir(folder_fd) as entries:
            for entry in entries:
                if self._closed:
                    break
                try:
                    if entry.is_dir(follow_symlinks=False):
                        new_name = _trash_name()
                        os.rename(entry.name, new_name, src_dir_fd=folder_fd, dst_dir_fd=trash_fd)
                        moved_up.append(new_name)
                    else:
                        os.unlink(entry.name, dir_fd=folder_fd)
                except FileNotFoundError:  # another remover was here first
                    pass
                except OSError as exc:
                    log.warning("cannot remove %r from the trash: %s", entry.name, exc.strerror)
        return moved_up

    @staticmethod
    def _unlink(trash_fd: int, name: str, remove: Callable[..., None]) -> _Outcome:
        try:
            remove(name, dir_fd=trash_fd)
            return _Outcome.REMOVED
        except FileNotFoundError:
            return _Outcome.NOT_REMOVED
        except OSError as exc:
            log.warning("cannot remove %r from the trash: %s", name, exc.strerror)
            return _Outcome.NOT_REMOVED
