"""The ``list`` body of the library folder, kept current without rereading every file.

A 100,000-file folder takes about a second to ``lstat`` file by file, so that
happens only in a *full pass*; between full passes a *quick pass* reads just the
folder's entries (name and inode number, no ``lstat``) and compares them with the
previous ones as two lists, then, between their common start and end, as two
sets, in C. Only names that appeared, got a new inode number, or were published
by an upload since (their counter in publications.py moved, which also covers
an inode number reused for the same name) are looked at. When nothing listed changed, the sorted body is reused as
is. So new, deleted, renamed and uploaded files show at once.

What only a full pass sees is a file changed in place by another program (same
name, same inode number, new size). While clients keep listing, a full pass runs
on a background thread, started after the answer that finds one due, and its
result is used from the next list on. One is due :data:`FULL_PASS_EVERY` seconds
after the previous one started, or ten times the previous one's duration if that
is longer, so full passes never take more than a tenth of a core (a 100,000-file
folder: one about every 10 s). Such an edit shows within that interval plus one
pass. A list that comes after :data:`STALE_FACTOR` intervals without a full pass
waits for one instead.

A whole answer is reused while the folder's mtime stands, but only if made well
after that mtime (Git's "racily clean" rule: timestamps are coarse, two changes
within one tick leave the same mtime).
"""

from __future__ import annotations

import bisect
import logging
import math
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from itertools import compress, count, islice
from operator import ne

from shared.errors import ErrorCode, FerryError
from shared.messages import list_entry
from shared.names import name_problem

from .publications import changed_slots, slot_of, snapshot

log = logging.getLogger(__name__)

#: A full pass is due this long after the previous one started (at least)...
FULL_PASS_EVERY = 2.0
#: ...or this many times the previous one's duration, whichever is longer.
FULL_PASS_SHARE = 10
#: A list made this many intervals after the last full pass started waits for a new one.
STALE_FACTOR = 5
#: A whole answer is only reused if made this long after the folder's last change.
RACY_MARGIN = 1.0
#: What :attr:`FolderListing.entries_seen` says before the first pass: unknown, so large.
QUICK_UNKNOWN = 1 << 62
#: Up to this many changed names are placed by bisection; more, and the names are sorted again.
_BISECT_MAX = 256

#: A listed file: inode number, publish slot, size, mtime in ns, its encoded line.
Line = tuple[int, int, int, int, bytes]


def _io_error(exc: OSError) -> FerryError:
    return FerryError(ErrorCode.IO_ERROR, f"cannot read the library folder: {exc.strerror}")


@dataclass
class _View:
    """What one pass saw: every entry of the folder, the listed files, the body.

    A quick pass changes a view in place by the names that changed, so its parts
    are kept in the forms that make that cheap: the body's lines in a list beside
    the sorted names (one C join makes the body), and the listed names by publish
    slot (a publish rechecks only the names in its slot). A list after one upload
    to a 101-file folder: 300 -> 220 us."""

    entries: list[tuple[str, int]] = field(default_factory=list)  # (name, inode number) in readdir order
    published: bytes = field(default_factory=snapshot)  # the publish counters, read before the entries
    lines: dict[str, Line] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # the listed names, sorted
    parts: list[bytes] = field(default_factory=list)  # their lines, in the same order
    body: bytes = b""
    _by_slot: dict[int, set[str]] | None = None  # the listed names by publish slot, made when first needed

    def index(self) -> None:
        """Sort the names and make the body afresh, from :attr:`lines`."""
        self.names = sorted(self.lines)
        self.parts = [self.lines[name][4] for name in self.names]
        self.body = b"".join(self.parts)
        self._by_slot = None

    def names_in_slot(self, slot: int) -> set[str]:
        """The listed names that publish into ``slot``. The index is made at the
        first publish a view sees: a folder nobody uploads to never pays for it."""
        if self._by_slot is None:
            self._by_slot = {}
            for name, line in self.lines.items():
                self._by_slot.setdefault(line[1], set()).add(name)
        return self._by_slot.get(slot, set())

    def index_name(self, name: str, slot: int, listed: bool) -> None:
        """Keep the slot index (if made) in step with a name listed or no longer listed."""
        if self._by_slot is not None:
            if listed:
                self._by_slot.setdefault(slot, set()).add(name)
            else:
                self._by_slot.get(slot, set()).discard(name)


class FolderListing:
    """The ``list`` answer of one folder, for one worker. Thread-safe: lists are
    answered on executor threads, and a full pass runs on a thread of its own."""

    def __init__(self, dir_fd: int) -> None:
        self._dir_fd = dir_fd
        self._lock = threading.Lock()  # held by every pass that changes _view, never while waiting on a client
        self._view = _View()
        self._answer: tuple[tuple[int, int], tuple[int, bytes]] | None = None  # (folder inode and mtime, answer)
        self._full_started = -math.inf  # time.monotonic() of the last full pass's start: none yet
        self._full_seconds = 0.0  # how long the last full pass took
        self._background: threading.Thread | None = None

    def answer(self) -> tuple[int, bytes]:
        """(count, body) of the ``list`` response. Blocking (reads the folder)."""
        try:
            folder = os.stat(self._dir_fd)
        except OSError as exc:
            raise _io_error(exc) from None
        key = (folder.st_ino, folder.st_mtime_ns)
        with self._lock:
            since_full = time.monotonic() - self._full_started
            interval = max(FULL_PASS_EVERY, FULL_PASS_SHARE * self._full_seconds)
            stale = since_full >= STALE_FACTOR * interval
            if stale:
                self._full_started = time.monotonic()
                self._view = self._full_pass(self._view.lines)
                self._answer = None
            elif self._answer is None or self._answer[0] != key:
                self._quick_pass()
                self._answer = None
            if self._answer is None:
                answer = (len(self._view.names), self._view.body)
                self._answer = (key, answer) if time.time() - folder.st_mtime > RACY_MARGIN else None
            else:
                answer = self._answer[1]
            if interval <= since_full and not stale:
                self._start_background_pass()  # after this answer is made: the pass competes for the GIL
            return answer

    @property
    def entries_seen(self) -> int:
        """How many entries the folder had at the last pass (a first list counts as large)."""
        return len(self._view.entries) if self._full_started > -math.inf else QUICK_UNKNOWN

    def close(self) -> None:
        """Wait for a running full pass, which reads the folder's fd."""
        if self._background is not None:
            self._background.join()

    # -- full pass -------------------------------------------------------------

    def _full_pass(self, previous: dict[str, Line]) -> _View:
        """Read and ``lstat`` everything. ``previous`` lends the encoded lines of
        files that did not change; it is only read (another thread may own it)."""
        started = time.monotonic()
        view = _View()
        try:
            scan = os.scandir(self._dir_fd)
        except OSError as exc:
            raise _io_error(exc) from None
        with scan:
            for entry in scan:
                name = entry.name
                try:
                    view.entries.append((name, entry.inode()))
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:  # removed since readdir
                    continue
                line = _line_for(name, st, previous.get(name))
                if line is not None:
                    view.lines[name] = line
        view.index()
        self._full_seconds = time.monotonic() - started
        return view

    def _start_background_pass(self) -> None:
        if self._background is not None and self._background.is_alive():
            return
        self._full_started = time.monotonic()
        self._background = threading.Thread(target=self._run_background_pass, args=(self._view.lines,), name="ferry-list", daemon=True)
        self._background.start()

    def _run_background_pass(self, previous: dict[str, Line]) -> None:
        try:
            view = self._full_pass(previous)
        except FerryError as exc:
            log.warning("full pass over the library failed: %s", exc.message)
            return
        with self._lock:
            # Older than any quick pass since it began, but complete: a quick pass
            # from this view picks up what changed meanwhile (entries and publish
            # counters were read before the files were looked at).
            self._view = view
            self._answer = None

    # -- quick pass ------------------------------------------------------------

    def _quick_pass(self) -> None:
        view = self._view
        published = snapshot()
        try:
            with os.scandir(self._dir_fd) as scan:
                entries = [(entry.name, entry.inode()) for entry in scan]
        except OSError as exc:
            raise _io_error(exc) from None
        recheck: set[str] = set()
        vanished: set[str] = set()
        if entries != view.entries:
            now, before = _changed_stretches(entries, view.entries)
            recheck = {name for name, _ in now - before}
            vanished = {name for name, _ in before - now} - recheck
        for slot in changed_slots(view.published, published):
            recheck.update(view.names_in_slot(slot))
        view.entries, view.published = entries, published
        changed: dict[str, Line | None] = {}  # name -> its line before, for the names whose line changed
        for name in vanished:
            before_line = view.lines.pop(name, None)
            if before_line is not None:
                changed[name] = before_line
        for name in recheck:
            before_line = view.lines.get(name)
            try:
                st = os.stat(name, dir_fd=self._dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            except OSError as exc:
                raise _io_error(exc) from None
            line = _line_for(name, st, before_line) if st is not None and stat.S_ISREG(st.st_mode) else None
            if line is None:
                view.lines.pop(name, None)
            else:
                view.lines[name] = line
            if line is not before_line:
                changed[name] = before_line
        if changed:
            _place(view, changed)


def _changed_stretches(new: list[tuple[str, int]], old: list[tuple[str, int]]) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The entries of ``new`` and of ``old`` between their common start and common
    end, as sets. ``readdir`` keeps its order across most changes (a rename over a
    name changes that entry in place, a new name goes in at one spot), so these
    are a handful of entries, found by C-level comparisons instead of two sets of
    the whole folder (a list after an upload to 100,000 files: 90 ms of set
    differences). Entries are unique, so one that sits in the common start or end
    is in both lists and cannot be among the differences."""
    shortest = min(len(new), len(old))
    start = next(compress(count(), map(ne, new, old)), shortest)
    room = shortest - start
    end = next(compress(count(), map(ne, islice(reversed(new), room), islice(reversed(old), room))), room)
    return set(new[start : len(new) - end]), set(old[start : len(old) - end])


def _line_for(name: str, st: os.stat_result, cached: Line | None) -> Line | None:
    """The cached line while inode, size and mtime stand; a new one otherwise;
    None for a name no client could ask for."""
    if cached is not None and (cached[0], cached[2], cached[3]) == (st.st_ino, st.st_size, st.st_mtime_ns):
        return cached
    if name_problem(name) is not None:
        return None
    return (st.st_ino, slot_of(name), st.st_size, st.st_mtime_ns, list_entry(name, st.st_size, st.st_mtime))


def _place(view: _View, changed: dict[str, Line | None]) -> None:
    """Bring the view's names, lines of the body and slot index in line with
    ``view.lines`` after the names in ``changed`` (mapped to their lines before)
    changed, and make the body anew."""
    if len(changed) > _BISECT_MAX:
        view.index()
        return
    names, parts = view.names, view.parts
    for name, before in changed.items():
        line = view.lines.get(name)
        at = bisect.bisect_left(names, name)
        listed = at < len(names) and names[at] == name
        if line is None:
            if listed:
                del names[at]
                del parts[at]
            if before is not None:
                view.index_name(name, before[1], listed=False)
        elif listed:
            parts[at] = line[4]
        else:
            names.insert(at, name)
            parts.insert(at, line[4])
            view.index_name(name, line[1], listed=True)
    view.body = b"".join(parts)
