"""A log in a window of its own, as text to read, select and copy: the session's
transfer log (the transfers panel's "Log…") and the status bar's messages (a
click on the message, which a narrow window may cut)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk


class LogWindow(tk.Toplevel):
    """Shows the log as it was when opened or last refreshed: a live view would
    re-render thousands of lines while a batch runs. ``wrap``: long lines wrap
    at words (messages) instead of scrolling sideways (a log of names)."""

    def __init__(self, parent: tk.Misc, title: str, lines: Callable[[], list[str]], empty: str, wrap: bool = False) -> None:
        super().__init__(parent)
        self.title(f"Ferry: {title}")
        self.geometry("640x360")
        self._lines = lines
        self._empty = empty
        buttons = ttk.Frame(self, padding=(8, 6))
        buttons.pack(side="bottom", fill="x")
        ttk.Button(buttons, text="Close", command=self.destroy).pack(side="right")
        ttk.Button(buttons, text="Refresh", command=self.refresh).pack(side="right", padx=6)
        self.copy_button = ttk.Button(buttons, text="Copy all", command=self.copy_all)
        self.copy_button.pack(side="right")
        self.text = tk.Text(self, wrap="word" if wrap else "none", height=12, borderwidth=0, highlightthickness=0)
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
        self.text.insert("1.0", "\n".join(lines) if lines else self._empty)
        self.text.configure(state="disabled")  # read-only; selecting and Ctrl+C still work
        self.text.see("end")

    def contents(self) -> str:
        return self.text.get("1.0", "end-1c")

    def copy_all(self) -> None:
        self.clipboard_clear()
        self.clipboard_append(self.contents())
