""" "Open" and "Show in folder" for the last finished download, in the status bar."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

from .local_open import open_path, show_in_folder


class DownloadActions(ttk.Frame):
    def __init__(self, parent: tk.Misc, after: tk.Misc, report: Callable[[str, bool], None]) -> None:
        """Shown in ``parent`` right after the widget ``after``, ahead of the
        message: a long message must not squeeze the buttons away."""
        super().__init__(parent)
        self._after = after
        self._report = report
        self.path: Path | None = None
        self.open_button = ttk.Button(self, text="Open", style="Toolbutton", command=self.open)
        self.open_button.pack(side="left")
        self.show_button = ttk.Button(self, text="Show in folder", style="Toolbutton", command=self.show)
        self.show_button.pack(side="left", padx=(4, 0))

    def offer(self, path: Path) -> None:
        """Offer the two actions for ``path``, a file or folder just downloaded."""
        self.path = path
        if not self.winfo_manager():
            self.pack(side="left", after=self._after, padx=(8, 0))

    def open(self) -> None:
        if self.path is not None and (problem := open_path(self.path)) is not None:
            self._report(problem, True)

    def show(self) -> None:
        if self.path is not None and (problem := show_in_folder(self.path)) is not None:
            self._report(problem, True)
