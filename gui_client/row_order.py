"""Putting a long list's rows in a new order without blocking the Tk loop.

A filter keystroke or a sort reorders the file list's rows. With 100,000 rows
one ``set_children`` call took 30 ms on a fresh tree and 100..160 ms once the
tree had been filled and emptied a few times (Tk's rows then lie scattered in
memory), all in one turn of the Tk loop. So the first :data:`REORDER_CHUNK`
rows go in at once, which is everything anyone sees, and the rest are appended
a chunk per turn (``ferry_append_rows``), with the keys typed meanwhile handled
in between. A new order replaces a pass still running; whatever reads the rows
or the selection first finishes the pass (:meth:`RowOrder.settle`), so no
action ever sees half a list.
"""

from __future__ import annotations

from collections.abc import Callable
from tkinter import ttk

#: Rows attached per turn of the Tk loop: 10 to 50 ms of Tk's time.
REORDER_CHUNK = 10_000

_APPEND_PROC = "ferry_append_rows"
_APPEND_SCRIPT = """
proc ferry_append_rows {tree rows} {
    foreach row $rows { $tree move $row {} end }
}
"""


class RowOrder:
    """Sets the top-level rows of ``tree`` to an order, a chunk per turn, and
    calls ``on_done`` with that order once every row is in place."""

    def __init__(self, tree: ttk.Treeview, on_done: Callable[[list[str]], None]) -> None:
        self.tree = tree
        self._on_done = on_done
        self._rows: list[str] = []
        self._next = 0  # the first of _rows not attached yet
        self._after: str | None = None
        if not tree.tk.call("info", "commands", _APPEND_PROC):
            tree.tk.eval(_APPEND_SCRIPT)

    @property
    def pending(self) -> bool:
        """True while some rows of the last order are still to be attached."""
        return self._after is not None

    def show(self, rows: list[str], *, at_once: bool = False) -> None:
        """Make ``rows`` the tree's rows, in this order (the others are detached):
        the first chunk now, the rest on the next turns, or all now with ``at_once``.
        Replaces a pass still pending."""
        self.cancel()
        head = len(rows) if at_once else REORDER_CHUNK
        self.tree.set_children("", *rows[:head])
        self._rows, self._next = rows, min(head, len(rows))
        self._go_on()

    def settle(self) -> None:
        """Attach every row still to come, now: call before reading the rows or the selection."""
        if self._after is not None:
            self.tree.after_cancel(self._after)
            self._after = None
            self._append(len(self._rows))
            self._go_on()

    def cancel(self) -> None:
        """Drop a pending pass without finishing it (its rows are replaced or deleted)."""
        if self._after is not None:
            self.tree.after_cancel(self._after)
            self._after = None
        self._rows, self._next = [], 0

    def _step(self) -> None:
        self._after = None
        self._append(self._next + REORDER_CHUNK)
        self._go_on()

    def _append(self, end: int) -> None:
        end = min(end, len(self._rows))
        self.tree.tk.call(_APPEND_PROC, self.tree, tuple(self._rows[self._next : end]))
        self._next = end

    def _go_on(self) -> None:
        if self._next < len(self._rows):
            self._after = self.tree.after(1, self._step)
            return
        rows, self._rows, self._next = self._rows, [], 0
        self._on_done(rows)
