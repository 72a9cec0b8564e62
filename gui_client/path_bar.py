"""The breadcrumb path bar: one button per folder from the library's root down
to the folder shown, and an Up button. Clicking a crumb shows that folder."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ferry_files.shared.escaping import escape_name

from .folder_path import crumbs, parent

#: Crumbs shown at most; deeper paths elide the middle ("Library › … › b › c").
MAX_CRUMBS = 6


class PathBar(ttk.Frame):
    def __init__(self, parent_widget: tk.Misc, on_go: Callable[[str], None]) -> None:
        super().__init__(parent_widget, padding=(8, 0, 8, 4))
        self._on_go = on_go
        self.path = ""
        self.up_button = ttk.Button(self, text="↑", width=3, command=lambda: on_go(parent(self.path)))
        self.up_button.pack(side="left", padx=(0, 8))
        self._crumbs = ttk.Frame(self)
        self._crumbs.pack(side="left", fill="x", expand=True)
        self.buttons: list[ttk.Button] = []
        self._targets: dict[str, str] = {}  # a crumb button's Tk name -> its folder's path
        self.show("")

    def show(self, path: str) -> None:
        """Show the crumbs of ``path`` (names from the server are escaped)."""
        self.path = path
        for widget in self._crumbs.winfo_children():
            widget.destroy()
        self.buttons = []
        self._targets = {}
        shown = crumbs(path)
        if len(shown) > MAX_CRUMBS:
            shown = shown[:1] + [("…", "")] + shown[-(MAX_CRUMBS - 2) :]
        for index, (name, target) in enumerate(shown):
            if index:
                ttk.Label(self._crumbs, text="›").pack(side="left", padx=2)
            if name == "…" and not target:
                ttk.Label(self._crumbs, text="…").pack(side="left")
                continue
            last = index == len(shown) - 1
            button = ttk.Button(
                self._crumbs,
                text=escape_name(name),
                style="Accent.TButton" if last else "Toolbutton",
                command=lambda target=target: self._on_go(target),
            )
            button.pack(side="left")
            self.buttons.append(button)
            self._targets[str(button)] = target
        self.up_button.state(["disabled"] if not path else ["!disabled"])

    def folder_at(self, x_root: int, y_root: int) -> str | None:
        """The folder of the crumb under the screen point, if any: rows dragged
        there move to that folder."""
        widget = self.winfo_containing(x_root, y_root)
        return self._targets.get(str(widget)) if widget is not None else None
