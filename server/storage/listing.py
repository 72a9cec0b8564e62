"""The ``list`` body of the library folder: read afresh for every request.

Every answer comes from its own ``readdir`` of the folder and an ``lstat`` of each
entry, made after the request arrived. That is what makes it exact (PROTOCOL.md
section 3, docs/protocol.md): a file that exists unchanged through the request is
in it with its size and mtime, an upload acknowledged before the request is in
it, and a file removed before the request is not.

Each pass opens the folder anew, so it has a read position of its own:
``scandir(fd)`` reads through a duplicate that shares the position of ``fd``, and
two passes over one descriptor at once (two sessions' lists on executor threads)
each skipped the entries the other had read.

Sessions that list at once on the worker's threads share passes
(coalescing.py), only ever taking a pass that started after they asked.

The one thing kept between passes is each file's encoded line, reused while the
file's inode number, size and mtime are what they were: it saves the JSON
encoding, which is most of the cost, and cannot make an answer wrong because a
line is only used for the very ``lstat`` result it was made from.

An earlier version kept the whole answer and patched it from ``readdir`` entries
without an ``lstat``, refreshing sizes by a full pass every few seconds; under
concurrent lists, uploads and outside changes it left out untouched files and
showed sizes seconds old (docs/performance.md says what that speed cost).

A list of another folder, with folders, or of a whole subtree (PROTOCOL.md 7.2)
is a :class:`TreeWalk`: the same fresh ``readdir`` and ``lstat`` of every folder
it covers, so each folder's part is exact by the same rule. The lines of the last
large walk are kept by the same rule too (:class:`WalkMemo`), so opening a large
folder again costs its ``lstat`` calls, not its encoding. It goes
down one ``openat`` (``O_NOFOLLOW | O_DIRECTORY``) at a time from the folder
above, holding one fd per level, so a folder swapped for a symlink meanwhile is
skipped, never followed.
"""

from __future__ import annotations

import errno
import os
import stat

from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.limits import MAX_PATH_BYTES, MAX_PATH_NAMES
from ferry_files.shared.messages import folder_entry, list_entry
from ferry_files.shared.names import name_problem
from ferry_files.shared.paths import path_names

from .coalescing import Coalesced
from .folder_locks import hold_for_reading
from .folders import FOLDER_FLAGS, open_folder

#: What :attr:`FolderListing.entries_seen` says before the first pass: unknown, so large.
UNKNOWN_SIZE = 1 << 62

#: A listed file's encoded line and what it was made from: (inode number, size, mtime in ns, line).
_Line = tuple[int, int, int, bytes]


class FolderListing:
    """The ``list`` answer of one folder. Thread-safe: passes share nothing but
    the cache of lines, which each replaces whole when it is done."""

    def __init__(self, dir_fd: int) -> None:
        self._dir_fd = dir_fd
        self._lines: dict[str, _Line] = {}
        self._entries_seen = UNKNOWN_SIZE
        self._shared = Coalesced(self.answer_now)

    @property
    def entries_seen(self) -> int:
        """How many entries the folder had at the last pass (before the first: very many)."""
        return self._entries_seen

    def answer(self) -> tuple[int, bytes]:
        """(count, body) of the ``list`` response, from a pass shared with the
        threads that ask at the same time. Blocking: for executor threads."""
        return self._shared.get()

    def answer_now(self) -> tuple[int, bytes]:
        """(count, body) from a pass of this caller's own, which never waits for
        another thread's: for the event loop's thread."""
        try:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self._dir_fd)
        except OSError as exc:
            raise _io_error(exc) from None
        try:
            hold_for_reading(fd)  # no rename in the folder while the pass runs (folder_locks.py)
            entries, lines = self._pass(fd)
        finally:
            os.close(fd)
        self._lines = lines
        self._entries_seen = entries
        names = sorted(lines)
        return len(names), b"".join([lines[name][3] for name in names])

    def _pass(self, fd: int) -> tuple[int, dict[str, _Line]]:
        # It checks only names it has not listed before, in one pass with no list in
        # between (a shared helper returning a list cost 30 % more at 100,000 files:
        # 460 -> 600 ms in process).
        previous = self._lines
        lines: dict[str, _Line] = {}
        entries = 0
        try:
            scan = os.scandir(fd)
        except OSError as exc:
            raise _io_error(exc) from None
        with scan:
            for entry in scan:
                entries += 1
                name = entry.name
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed since readdir
                    continue
                except OSError as exc:
                    raise _io_error(exc) from None
                if not stat.S_ISREG(st.st_mode):  # replaced by a folder or a link since readdir
                    continue
                cached = previous.get(name)
                if cached is not None and cached[0] == st.st_ino and cached[1] == st.st_size and cached[2] == st.st_mtime_ns:
                    lines[name] = cached
                elif name_problem(name) is None:
                    lines[name] = (st.st_ino, st.st_size, st.st_mtime_ns, list_entry(name, st.st_size, st.st_mtime))
        return entries, lines


class WalkMemo:
    """The encoded lines of the last large :class:`TreeWalk`, for the next walk of
    the same folder: the same rule as :class:`FolderListing`'s lines (a line is
    reused only for the very ``lstat`` result it was made from, so it cannot make
    an answer wrong), saving the encoding and name checks that were half of a
    100,000-file folder's walk. One walk's lines at most, and only a walk of
    :data:`MEMO_MIN_LINES` to :data:`MEMO_MAX_LINES` replaces them: opening a
    small folder in between does not throw away a large one's, and a recursive
    walk of a huge tree is not held in memory (a line costs about 250 bytes kept).
    Thread-safe: a walk reads the kept lines once and replaces them whole when it
    is done."""

    def __init__(self) -> None:
        self._kept: tuple[tuple[str, bool, bool], dict[str, _Line]] = (("", False, False), {})

    def lines_for(self, key: tuple[str, bool, bool]) -> dict[str, _Line]:
        kept_key, lines = self._kept
        return lines if kept_key == key else {}

    def keep(self, key: tuple[str, bool, bool], lines: dict[str, _Line]) -> None:
        if MEMO_MIN_LINES <= len(lines) <= MEMO_MAX_LINES:
            self._kept = (key, lines)


#: A walk with fewer lines is quick without the memo and leaves it as it is.
MEMO_MIN_LINES = 1000
#: A walk with more lines is not kept: about 50 MB per worker at most.
MEMO_MAX_LINES = 200_000


class TreeWalk:
    """One ``list`` of the folder ``path`` with ``folders`` and ``recursive`` (7.2).

    Names are relative to that folder; an entry whose path from the library's
    root would break 7.1's limits (4,096 bytes, 64 names) is left out, since no
    request could name it. Blocking: for executor threads."""

    def __init__(self, path: str, *, folders: bool, recursive: bool, memo: WalkMemo | None = None) -> None:
        self.path = path
        self.folders = folders
        self.recursive = recursive
        self._memo = memo if memo is not None else WalkMemo()
        self._key = (path, folders, recursive)
        self._previous: dict[str, _Line] = {}
        self._lines: dict[str, _Line] = {}

    @staticmethod
    def fds_needed(path: str, recursive: bool) -> int:
        """Fds a walk holds at most: one per level it may go down, and ``scandir``'s duplicate."""
        return 2 + (MAX_PATH_NAMES - len(path_names(path)) if recursive else 0)

    def answer(self, root_fd: int) -> tuple[int, bytes]:
        """(count, body) of the ``list`` response; ``not_found`` when ``path`` is not a folder."""
        depth = len(path_names(self.path))
        self._previous = self._memo.lines_for(self._key)
        with open_folder(root_fd, self.path) as fd:
            self._folder(fd, "", depth, len(self.path.encode()) + 1 if depth else 0)
        lines = self._lines
        self._memo.keep(self._key, lines)
        names = sorted(lines)  # names are unique: only they are compared, by code point
        return len(names), b"".join([lines[name][3] for name in names])

    def _folder(self, fd: int, prefix: str, depth: int, path_bytes: int) -> None:
        """List the folder ``fd``, whose path is ``depth`` names and ``path_bytes``
        bytes with its trailing ``/``; then, when recursive, each folder in it."""
        if depth >= MAX_PATH_NAMES:
            return
        hold_for_reading(fd)  # this walk's own open file: no rename in the folder while it is read
        previous, lines, typed = self._previous, self._lines, self.folders
        below: list[str] = []
        try:
            scan = os.scandir(fd)
        except OSError as exc:
            raise _io_error(exc) from None
        with scan:  # one loop, like FolderListing._pass: a second one over a list cost a fifth more
            for entry in scan:
                try:
                    if not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed since readdir
                    continue
                except OSError as exc:
                    raise _io_error(exc) from None
                name = entry.name
                shown = prefix + name
                if stat.S_ISREG(st.st_mode):
                    cached = previous.get(shown)
                    if cached is not None and cached[0] == st.st_ino and cached[1] == st.st_size and cached[2] == st.st_mtime_ns:
                        lines[shown] = cached  # listed at this very path before: its name and length passed
                    elif _listable(name, path_bytes):
                        lines[shown] = (st.st_ino, st.st_size, st.st_mtime_ns, list_entry(shown, st.st_size, st.st_mtime, typed=typed))
                elif stat.S_ISDIR(st.st_mode) and _listable(name, path_bytes):
                    if typed:
                        lines[shown] = (st.st_ino, -1, 0, folder_entry(shown, st.st_mtime))  # size -1: never reused
                    if self.recursive and depth + 1 < MAX_PATH_NAMES:
                        below.append(name)
        for name in below:
            try:
                inner = os.open(name, FOLDER_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                    continue  # removed, or swapped for something else, since readdir
                raise _io_error(exc) from None
            try:
                self._folder(inner, f"{prefix}{name}/", depth + 1, path_bytes + len(name.encode()) + 1)
            finally:
                os.close(inner)


def _listable(name: str, path_bytes: int) -> bool:
    """Is ``name`` valid, and within 7.1's limit in a folder whose path is ``path_bytes`` long?"""
    if path_bytes + 4 * len(name) > MAX_PATH_BYTES and path_bytes + len(name.encode()) > MAX_PATH_BYTES:
        return False
    return name_problem(name) is None


def _io_error(exc: OSError) -> FerryError:
    return FerryError(ErrorCode.IO_ERROR, f"cannot read the library folder: {exc.strerror}")
