"""Rename in place: an entry laid over the name of a row, as in a file manager.

Enter renames, Escape leaves the name as it was; clicking elsewhere renames
when the new name is different. The stem is selected, not the extension, so
typing replaces "report" in "report.pdf". A name the server would refuse is
said at once and the entry stays open for another try.
"""

from __future__ import annotations

from collections.abc import Callable
from tkinter import ttk

#: ``commit(new_name)`` returns why the name cannot be used, or None when it was sent.
Commit = Callable[[str], str | None]


class RenameEditor(ttk.Entry):
    def __init__(self, tree: ttk.Treeview, iid: str, name: str, indent: int, commit: Commit, closed: Callable[[], None]) -> None:
        """``indent``: pixels from the cell's left edge to the name (past the icon)."""
        super().__init__(tree)
        self._tree = tree
        self._name = name
        self._commit = commit
        self._closed = closed
        self._open = True
        self.insert(0, name)
        stem, dot, _ = name.rpartition(".")
        self.selection_range(0, len(stem) if dot and stem else "end")
        self.icursor(len(stem) if dot and stem else "end")
        x, y, width, height = tree.bbox(iid, "#0")
        self.place(x=x + indent, y=y, width=max(width - indent, 80), height=height)
        self.bind("<Return>", lambda _e: self.finish(keep=True))
        self.bind("<KP_Enter>", lambda _e: self.finish(keep=True))
        self.bind("<Escape>", lambda _e: self.finish(keep=False))
        self.bind("<FocusOut>", lambda _e: self.finish(keep=self.get().strip() != name, quiet=True))
        self.focus_set()

    def finish(self, keep: bool, quiet: bool = False) -> str:
        """Rename (``keep``) or not, and close. A refused name keeps the entry
        open, unless the focus left (``quiet``): then the old name stays."""
        if not self._open:
            return "break"
        if keep:
            problem = self._commit(self.get())
            if problem is not None and not quiet:
                self.selection_range(0, "end")
                return "break"
        self._open = False
        self._tree.focus_set()
        self.destroy()
        self._closed()
        return "break"
