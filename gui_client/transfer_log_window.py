"""The transfer log's window: the session's log as text to read, select and copy."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk


class TransferLogWindow(tk.Toplevel):
    """Shows the log as it was when opened or last refreshed: a live view would
    re-render thousands of lines while a batch runs."""

    def __init__(self, parent: tk.Misc, lines: Callable[[], list[str]]) -> None:
        super().__init__(parent)
        self.title("Ferry: transfer log")
        self.geometry("640x360")
        self._lines = lines
        buttons = ttk.Frame(self, padding=(8, 6))
        buttons.pack(side="bottom", fill="x")
        ttk.Button(buttons, text="Close", command=self.destroy).pack(side="right")
        ttk.Button(buttons, text="Refresh", command=self.refresh).pack(side="right", padx=6)
        self.copy_button = ttk.Button(buttons, text="Copy all", command=self.copy_all)
        self.copy_button.pack(side="right")
        self.text = tk.Text(self, wrap="none", height=12, borderwidth=0, highlightthickness=0)
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(fill="both", expand=True, padx=(8, 0), pady=(8, 0))
        self.bind("<Escape>", lambda _e: self.destroy())
        self.refresh()

    def refresh(self) -> None:
        lines = self._lines()
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.insert("1.0", "\n".join(lines) if lines else "Nothing has been transferred yet.")
        self.text.configure(state="disabled")  # read-only; selecting and Ctrl+C still work
        self.text.see("end")

    def contents(self) -> str:
        return self.text.get("1.0", "end-1c")

    def copy_all(self) -> None:
        self.clipboard_clear()
        self.clipboard_append(self.contents())
