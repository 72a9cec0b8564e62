"""A yes-or-no question in its own small window (delete these? quit during a
transfer?), and the keys every Ferry dialog answers to.

Keyboard first: the default button has the focus when the dialog opens, Enter
presses the button that has the focus (ttk buttons only answer Space by
themselves), Escape and the window's close button are the cautious answer.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk


def bind_dialog_keys(dialog: tk.Toplevel, default: ttk.Button, cancel: Callable[[], None]) -> None:
    """Enter presses the focused button (else ``default``); Escape and closing call ``cancel``.
    Puts the focus on ``default`` once the dialog is on screen."""

    def enter(_event: tk.Event) -> str:
        focused = dialog.focus_get()
        (focused if isinstance(focused, ttk.Button) else default).invoke()
        return "break"

    dialog.bind("<Return>", enter)
    dialog.bind("<KP_Enter>", enter)
    dialog.bind("<Escape>", lambda _e: cancel())
    dialog.protocol("WM_DELETE_WINDOW", cancel)
    default.focus_set()
    # The window manager hands the focus to a new window when it maps it, not
    # before: ask for it on the default button once the dialog is visible.
    dialog.bind("<Map>", lambda _e: default.focus_force(), add="+")


def grab_safely(dialog: tk.Toplevel) -> None:
    """Keep clicks in the main window out while the question is open."""
    try:
        dialog.grab_set()
    except tk.TclError:
        pass  # not viewable yet on some window managers; the dialog still works


class ConfirmDialog(tk.Toplevel):
    def __init__(self, parent: tk.Misc, title: str, message: str, yes: str, answer: Callable[[bool], None]) -> None:
        super().__init__(parent)
        self._answer = answer
        self._answered = False
        self.title(title)
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        body = ttk.Frame(self, padding=16)
        body.pack(fill="both", expand=True)
        self.message = ttk.Label(body, text=message, wraplength=420, justify="left")
        self.message.pack(anchor="w", pady=(0, 12))
        buttons = ttk.Frame(body)
        buttons.pack(fill="x")
        self.no_button = ttk.Button(buttons, text="Cancel", command=lambda: self.choose(False))
        self.no_button.pack(side="right")
        self.default_button = self.yes_button = ttk.Button(buttons, text=yes, style="Accent.TButton", command=lambda: self.choose(True))
        self.yes_button.pack(side="right", padx=6)
        bind_dialog_keys(self, self.default_button, lambda: self.choose(False))
        grab_safely(self)

    def message_text(self) -> str:
        return str(self.message.cget("text"))

    def choose(self, yes: bool) -> None:
        if self._answered:
            return
        self._answered = True
        try:
            self.grab_release()
        except tk.TclError:
            pass
        self.destroy()
        self._answer(yes)
