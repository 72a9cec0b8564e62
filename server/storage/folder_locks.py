"""A folder's list passes and the renames in it exclude each other.

A rename is atomic, but a list pass is a ``readdir`` and an ``lstat`` of each
entry, not a snapshot: a name renamed while the pass runs can be gone when its
``lstat`` comes (or before ``readdir`` reaches it) while the new name lands where
``readdir`` has already been, and the entry is under neither name in the answer.
PROTOCOL.md 7.3 promises exactly one. So a pass holds a shared ``flock`` on the
folder and a rename an exclusive one on the folder(s) it changes, just for the
rename call. The locks are the kernel's, on the folder's inode: they hold between
workers, and between two servers on one folder.

Neither waits without bound: nothing of Ferry's holds a folder's lock for long
(a rename for one call; a pass for as long as it reads), but another program may
take one and keep it, and a list on the event loop's thread must not hang on
that. A pass waits at most :data:`READ_WAIT`, a rename :data:`RENAME_WAIT` (also
its bound under a storm of overlapping passes, which a waiting exclusive lock
does not hold back); then each goes on without the lock, as it would on a
filesystem without ``flock``. A rename never holds one folder while it waits for
the other, so a pass never waits for another pass.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
#: Longest a list pass waits for its folder: a rename holds it for one call.
READ_WAIT = 0.005
#: Longest a rename waits for its folders' passes to end.
RENAME_WAIT = 2.0
_POLL = 0.0002


def hold_for_reading(own_fd: int) -> None:
    """Lock the folder open as ``own_fd`` (an open file of this pass's own: a lock
    belongs to the open file) for reading, until the fd is closed."""
    if not _wait_for(lambda: fcntl.flock(own_fd, fcntl.LOCK_SH | fcntl.LOCK_NB), READ_WAIT):
        log.info("listing a folder that another program keeps locked, without waiting for it")


@contextmanager
def renaming(*dir_fds: int) -> Iterator[None]:
    """Hold the folders ``dir_fds`` (one or two; the same folder counts once) for a
    rename: no list pass of them runs meanwhile."""
    own: dict[tuple[int, int], int] = {}
    try:
        for dir_fd in dir_fds:
            fd = os.open(".", _FLAGS, dir_fd=dir_fd)
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) in own:
                os.close(fd)
            else:
                own[st.st_dev, st.st_ino] = fd
        if not _wait_for(lambda: _lock_all(list(own.values())), RENAME_WAIT):
            log.warning("renaming in a folder that stayed locked for %s s, without waiting longer", RENAME_WAIT)
        yield
    finally:
        for fd in own.values():
            os.close(fd)  # and with it the lock


def _lock_all(fds: list[int]) -> None:
    """Lock every one of ``fds`` or, holding none, raise BlockingIOError."""
    held: list[int] = []
    try:
        for fd in fds:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held.append(fd)
    except BlockingIOError:
        for fd in held:
            fcntl.flock(fd, fcntl.LOCK_UN)
        raise


def _wait_for(try_lock: Callable[[], None], wait: float) -> bool:
    """Call ``try_lock`` until it does not raise BlockingIOError, for at most
    ``wait`` seconds; False if it never succeeded (or the filesystem has no flock)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            try_lock()
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)
        except OSError:  # a filesystem without flock: lists and renames go on unguarded
            return True
