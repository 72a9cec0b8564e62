"""The bottom line: server, file count and size, transfers running, and the last
message, which ends with "…" when the window is too narrow for it (cut again
whenever the label's width changes). A click on the message opens the session's
messages, whole: a cut one (a certificate error naming the file to edit) can
always be read to its end, and copied."""

from __future__ import annotations

import time
import tkinter as tk
from collections import deque
from tkinter import ttk

from ferry_files.shared.escaping import escape_text

from .log_window import LogWindow
from .text_fit import show_fitted
from .theme import set_label_style

#: Messages kept for the messages window; older ones are dropped.
KEPT_MESSAGES = 500


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
        self.message = ttk.Label(self, text="", anchor="e", cursor="hand2")
        self.message.pack(side="right", fill="x", expand=True)
        self.message.bind("<Configure>", lambda _event: self._fit(), add="+")
        self.message.bind("<Button-1>", lambda _event: self.open_messages(), add="+")
        self.full_message = ""
        self._history: deque[str] = deque(maxlen=KEPT_MESSAGES)
        self.messages_window: LogWindow | None = None

    def show_message(self, text: str, error: bool = False) -> None:
        """``text`` on one line: a message may quote what a server sent."""
        self.full_message = escape_text(text)
        if self.full_message:
            self._history.append(f"{time.strftime('%H:%M:%S')}  {self.full_message}")
        set_label_style(self.message, "Error.TLabel" if error else "TLabel")
        self._fit()

    def open_messages(self) -> None:
        """The session's messages in a window, newest last, wrapped at words."""
        if self.messages_window is not None and self.messages_window.winfo_exists():
            self.messages_window.refresh()
            self.messages_window.lift()
            return
        self.messages_window = LogWindow(self, "messages", lambda: list(self._history), "No messages yet.", wrap=True)

    def _fit(self) -> None:
        show_fitted(self.message, self.full_message)
