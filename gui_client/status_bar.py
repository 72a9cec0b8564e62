"""The bottom line: server, file count and size, transfers running, and the last
message, which ends with "…" when the window is too narrow for it (cut again
whenever the label's width changes)."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from ferry_files.shared.escaping import escape_text

from .text_fit import show_fitted
from .theme import set_label_style


class StatusBar(ttk.Frame):
    def __init__(self, parent: tk.Misc) -> None:
        super().__init__(parent, padding=(8, 3))
        self.server = ttk.Label(self, text="Not connected")
        self.server.pack(side="left")
        ttk.Separator(self, orient="vertical").pack(side="left", fill="y", padx=8)
        self.files = ttk.Label(self, text="")
        self.files.pack(side="left")
        ttk.Separator(self, orient="vertical").pack(side="left", fill="y", padx=8)
        self.transfers = ttk.Label(self, text="No transfers")
        self.transfers.pack(side="left")
        self.message = ttk.Label(self, text="", anchor="e")
        self.message.pack(side="right", fill="x", expand=True)
        self.message.bind("<Configure>", lambda _event: self._fit(), add="+")
        self.full_message = ""

    def show_message(self, text: str, error: bool = False) -> None:
        """``text`` on one line: a message may quote what a server sent."""
        self.full_message = escape_text(text)
        set_label_style(self.message, "Error.TLabel" if error else "TLabel")
        self._fit()

    def _fit(self) -> None:
        show_fitted(self.message, self.full_message)
