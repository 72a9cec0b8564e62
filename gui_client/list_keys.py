"""The file list by keyboard: a visible focus row, and keys that select.

ttk's Treeview moves nothing until a row has the keyboard focus (none has at
first, so the arrows did nothing), ``space`` opens tree nodes instead of
selecting, and Ctrl+A, Home and End are not bound. This gives the list the keys
of a file manager's: Up/Down (Shift extends, Ctrl moves the focus only), Home,
End, Page Up/Down, Space toggles the focus row, Ctrl+A selects every row shown.

The focus row is drawn with the ``cursor`` tag, a tinted background, while the
list has the keyboard focus: the theme's own focus ring is invisible.
"""

from __future__ import annotations

from tkinter import ttk
from typing import Any

CURSOR_TAG = "cursor"
CURSOR_BACKGROUND = "#e6effa"  # lighter than the selection: the focus row is not a selected row

#: The row that should have the focus: the focus row if it is shown, else the
#: first selected row, else the first row ("" when none is shown). In Tcl: handing
#: 100,000 row ids to Python to look for one took 20..40 ms after every listing.
_CURSOR_PROC = "ferry_cursor_row"
_CURSOR_SCRIPT = """
proc ferry_cursor_row {tree} {
    set rows [$tree children {}]
    if {![llength $rows]} { return "" }
    set focus [$tree focus]
    if {$focus ne "" && [lsearch -exact $rows $focus] >= 0} { return $focus }
    set selected [$tree selection]
    if {[llength $selected]} { return [lindex $selected 0] }
    return [lindex $rows 0]
}
"""


class ListKeys:
    def __init__(self, tree: ttk.Treeview) -> None:
        self.tree = tree
        self._anchor = ""
        self._marked = ""
        tree.tag_configure(CURSOR_TAG, background=CURSOR_BACKGROUND)
        if not tree.tk.call("info", "commands", _CURSOR_PROC):
            tree.tk.eval(_CURSOR_SCRIPT)
        for sequence, step in (("<Up>", -1), ("<Down>", 1), ("<Prior>", -10), ("<Next>", 10)):
            tree.bind(sequence, lambda e, step=step: self.move(step, e))
            tree.bind(f"<Shift-{sequence[1:]}", lambda e, step=step: self.move(step, e, extend=True))
            tree.bind(f"<Control-{sequence[1:]}", lambda e, step=step: self.move(step, e, focus_only=True))
        tree.bind("<Home>", lambda e: self.move_to(0, e))
        tree.bind("<End>", lambda e: self.move_to(-1, e))
        tree.bind("<Shift-Home>", lambda e: self.move_to(0, e, extend=True))
        tree.bind("<Shift-End>", lambda e: self.move_to(-1, e, extend=True))
        tree.bind("<space>", lambda _e: self.toggle())
        tree.bind("<Control-space>", lambda _e: self.toggle())
        tree.bind("<Control-a>", lambda _e: self.select_all())
        tree.bind("<Control-A>", lambda _e: self.select_all())
        tree.bind("<FocusIn>", lambda _e: self.show_cursor(), add="+")
        tree.bind("<FocusOut>", lambda _e: self._mark(""), add="+")
        tree.bind("<<TreeviewSelect>>", lambda _e: self.show_cursor(), add="+")

    def rows(self) -> tuple[str, ...]:
        return self.tree.get_children("")

    def move(self, step: int, _event: Any = None, extend: bool = False, focus_only: bool = False) -> str:
        rows = self.rows()
        if rows:
            current = self.tree.focus()
            index = rows.index(current) + step if current in rows else (0 if step > 0 else len(rows) - 1)
            self._go(rows, max(0, min(len(rows) - 1, index)), extend, focus_only)
        return "break"

    def move_to(self, index: int, _event: Any = None, extend: bool = False) -> str:
        rows = self.rows()
        if rows:
            self._go(rows, index % len(rows), extend, False)
        return "break"

    def toggle(self) -> str:
        row = self.tree.focus()
        if row:
            self.tree.selection_toggle(row)
            self._anchor = row
        return "break"

    def select_all(self) -> str:
        rows = self.rows()
        if rows:
            self.tree.selection_set(rows)
        return "break"

    def show_cursor(self) -> None:
        """Give the list a focus row if it has none, and draw it while the list has the focus."""
        tree = self.tree
        row = str(tree.tk.call(_CURSOR_PROC, tree))
        if not row:
            self._mark("")
            return
        if row != tree.focus():
            tree.focus(row)
        self._mark(row if tree.focus_get() is tree else "")

    def _go(self, rows: tuple[str, ...], index: int, extend: bool, focus_only: bool) -> None:
        tree, row = self.tree, rows[index]
        tree.focus(row)
        tree.see(row)
        if focus_only:
            self._mark(row)
            return
        if extend:
            anchor = self._anchor if self._anchor in rows else row
            first, last = sorted((rows.index(anchor), index))
            tree.selection_set(rows[first : last + 1])
        else:
            self._anchor = row
            tree.selection_set(row)
        self._mark(row)

    def _mark(self, row: str) -> None:
        tree = self.tree
        if self._marked and self._marked != row and tree.exists(self._marked):
            tree.item(self._marked, tags=())
        self._marked = row
        if row:
            tree.item(row, tags=(CURSOR_TAG,))
