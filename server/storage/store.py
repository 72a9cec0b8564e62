"""What the parts of storage share: the open library folder and a worker's means.

Uploads, listings and the library all work from the folder's directory fd and
its hidden uploads folder, under one fsync policy, with one digest cache, and
(in a worker) one splice pipe and one group commit. Holding them here lets each
part take what it needs without reaching back into :class:`~.library.Library`,
which is the one way in for everything outside this package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import splicing
from .checksums import ChecksumCache
from .commits import GroupCommit
from .partials import open_resume_dir

#: Uploads in progress live here: hidden (never listed), on the library's filesystem
#: (so publishing is an atomic rename), and swept of what nobody writes at start.
UPLOADS_DIR = ".ferry-uploads"

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def open_root(root: Path) -> int:
    """The library folder, created if missing, as a directory fd. The parent opens
    it once at start and every worker reopens it through that fd: the path,
    resolved again later, could name another folder by then, or none."""
    root.mkdir(parents=True, exist_ok=True)
    return os.open(root, DIR_FLAGS)


def open_uploads(dir_fd: int) -> int:
    """The uploads folder inside the library ``dir_fd``, created if missing."""
    try:
        os.mkdir(UPLOADS_DIR, 0o700, dir_fd=dir_fd)
    except FileExistsError:
        pass
    return os.open(UPLOADS_DIR, DIR_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)


@dataclass
class Store:
    dir_fd: int  # the library folder: every path is opened relative to it
    uploads_fd: int  # its uploads folder
    fsync: bool
    keep_partials: float = 3600.0  # seconds an interrupted resumable upload is kept (--resume-hours)
    checksums: ChecksumCache = field(default_factory=ChecksumCache)
    # Made now, not at first use: a worker counts the fds it holds before its
    # first session as its base (fd_budget.py).
    pipe: splicing.SplicePipe | None = field(default_factory=lambda: splicing.SplicePipe() if splicing.available else None)
    _commits: GroupCommit | None = None
    _resume_fd: int = -1
    partials_swept_at: float = 0.0  # time.monotonic() of the last sweep of expired partials (uploads.py)

    def group_commit(self) -> GroupCommit | None:
        """The worker's committing thread with fsync on (made at first use, on the
        event loop, whose futures it settles); None without fsync."""
        if self._commits is None and self.fsync:
            self._commits = GroupCommit()
        return self._commits

    def resume_fd(self) -> int:
        """The folder of partial uploads (partials.py), made at the first resumable
        upload: until then the uploads folder holds only temp files."""
        if self._resume_fd < 0:
            self._resume_fd = open_resume_dir(self.uploads_fd)
        return self._resume_fd

    def close(self) -> None:
        self.checksums.close()
        if self._resume_fd >= 0:
            os.close(self._resume_fd)
        if self.pipe is not None:
            self.pipe.close()
        os.close(self.uploads_fd)
        os.close(self.dir_fd)
