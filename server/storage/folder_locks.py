"""A folder's list passes and the renames in it exclude each other.

A rename is atomic, but a list pass is a ``readdir`` and an ``lstat`` of each
entry, not a snapshot: a name renamed while the pass runs can be gone when its
``lstat`` comes (or before ``readdir`` reaches it) while the new name lands where
``readdir`` has already been, and the entry is under neither name in the answer.
PROTOCOL.md 7.3 promises exactly one. So a pass holds a shared ``flock`` on the
folder and a rename an exclusive one on the folder(s) it changes, just for the
rename call. The locks are the kernel's, on the folder's inode: they hold between
workers, and between two servers on one folder.

A rename never holds one folder's lock while it waits for the other's (it takes
the first, tries the second, and else lets go and starts from the other), so a
pass only ever waits for a rename call itself, never for another pass: that is
what lets a small folder be listed on the event loop's thread.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def hold_for_reading(own_fd: int) -> None:
    """Lock the folder open as ``own_fd`` (an open file of this pass's own: a lock
    belongs to the open file) for reading, until the fd is closed."""
    try:
        fcntl.flock(own_fd, fcntl.LOCK_SH)
    except OSError:  # a filesystem without flock: lists as before, renames unguarded too
        pass


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
        try:
            _lock_all(list(own.values()))
        except OSError:  # a filesystem without flock (see hold_for_reading)
            pass
        yield
    finally:
        for fd in own.values():
            os.close(fd)  # and with it the lock


def _lock_all(fds: list[int]) -> None:
    while True:
        fcntl.flock(fds[0], fcntl.LOCK_EX)
        for fd in fds[1:]:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                for held in fds:
                    fcntl.flock(held, fcntl.LOCK_UN)
                fds = [fd] + [other for other in fds if other != fd]  # wait for the busy one, holding nothing
                break
        else:
            return
