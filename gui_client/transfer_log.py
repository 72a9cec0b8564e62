"""The session's transfer log: what happened to each transfer, as lines a person
can read and copy (the window's "Log" dialog).

An entry is recorded when a transfer ends (done, failed, cancelled) or is paused
or resumed, not for each progress report. Entries keep the snapshot and the time
and become text only when shown, so a 100,000-file session costs a few
megabytes; past ``MAX_ENTRIES`` the oldest are dropped and the log says so.
File transfers and folder rows (folder_transfers.py) record into the same log
from their own threads, so it has a lock of its own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from ferry_files.shared.escaping import escape_name, escape_text
from ferry_files.shared.sizes import human_size

if TYPE_CHECKING:
    from .transfers import TransferView

#: Entries kept; older ones are dropped (and counted).
MAX_ENTRIES = 100_000


#: An entry: what its line needs, in strings and numbers only, as a plain
#: tuple (time, direction, name, state, done, total, error, state before). The
#: garbage collector stops tracking an exact tuple of those, so 100,000 entries
#: add nothing to the full collection of "Clear finished"; a snapshot holds enum
#: members, and a named tuple is never untracked: with those, that collection
#: grew by 15 ms per 20,000 entries.
_Entry = tuple[float, str, str, str, int, int, str, str]


class TransferLog:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: deque[_Entry] = deque(maxlen=max_entries)
        self.dropped = 0
        self._lock = threading.Lock()

    def record(self, view: TransferView, before: str) -> None:
        """``view`` just changed state; ``before`` is the state it left. Only the
        changes a person asks about later are kept."""
        state = view.state  # a str enum: compared as the str it is, without its .value
        if state == "running" or (state == "queued" and before in ("", "queued")):
            return
        entry = (time.time(), view.direction.value, view.name, state.value, view.done, view.total, view.error, before)
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self.dropped += 1
            self._entries.append(entry)

    def lines(self) -> list[str]:
        with self._lock:
            dropped, entries = self.dropped, list(self._entries)
        head = [f"({dropped:,} earlier entries not kept)"] if dropped else []
        return head + [_line(entry) for entry in entries]


def _line(entry: _Entry) -> str:
    at, direction, name, state, done, total, error, before = entry
    clock = time.strftime("%H:%M:%S", time.localtime(at))
    verb = "Download" if direction == "download" else "Upload"
    name = escape_name(name)
    if state == "done":
        past = "Downloaded" if direction == "download" else "Uploaded"
        return f"{clock}  {past} {name} ({human_size(total)})"
    if state == "failed":
        return f"{clock}  {verb} of {name} failed: {escape_text(error)}"
    if state == "cancelled":
        return f"{clock}  {verb} of {name} cancelled"
    if state == "paused":
        return f"{clock}  {verb} of {name} paused at {human_size(done)} of {human_size(total)}"
    again = "resumed" if before == "paused" else "queued again"
    return f"{clock}  {verb} of {name} {again}"
