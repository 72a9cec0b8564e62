"""The question "this name already exists: Overwrite, Keep both or Skip?", and
its variants for a name that is one file with another (a twin by the folder's
rules, or an earlier file of the same batch).

Not modal in the blocking sense: the Tk loop keeps running (progress bars move,
the bridge drains) and the answer arrives through a callback.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ferry_files.shared.escaping import escape_name, escape_text

from .confirm_dialog import bind_dialog_keys, grab_safely
from .conflicts import Choice, Conflict


class ConflictDialog(tk.Toplevel):
    def __init__(self, parent: tk.Misc, conflict: Conflict, answer: Callable[[Choice | None, bool], None]) -> None:
        super().__init__(parent)
        self._answer = answer
        self._answered = False
        self.conflict = conflict
        self.title("Ferry: name already exists")
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        body = ttk.Frame(self, padding=16)
        body.pack(fill="both", expand=True)
        heading, question = _wording(conflict)
        self.heading = ttk.Label(body, text=heading, style="Heading.TLabel", wraplength=460)
        self.heading.pack(anchor="w")
        ttk.Label(body, text=question, wraplength=460).pack(anchor="w", pady=(6, 10))
        self.apply_to_all = tk.BooleanVar(self, False)
        self.apply_check = ttk.Checkbutton(
            body, text=f"Do this for the other conflicts too ({conflict.remaining - 1} more)", variable=self.apply_to_all
        )
        if conflict.remaining > 1:
            self.apply_check.pack(anchor="w", pady=(0, 10))
        buttons = ttk.Frame(body)
        buttons.pack(fill="x")
        self.skip_button = ttk.Button(buttons, text="Skip", command=lambda: self.choose(Choice.SKIP))
        self.skip_button.pack(side="right")
        # Keep both is the default (Enter): the one answer that loses nothing.
        self.keep_both_button = ttk.Button(buttons, text="Keep both", style="Accent.TButton", command=lambda: self.choose(Choice.KEEP_BOTH))
        self.keep_both_button.pack(side="right", padx=6)
        self.overwrite_button = ttk.Button(buttons, text="Overwrite", command=lambda: self.choose(Choice.OVERWRITE))
        self.overwrite_button.pack(side="right")
        bind_dialog_keys(self, self.keep_both_button, lambda: self.choose(None))
        grab_safely(self)  # keeps clicks in the main window from starting a second batch meanwhile

    def choose(self, choice: Choice | None) -> None:
        if self._answered:
            return
        self._answered = True
        apply_to_all = bool(self.apply_to_all.get())
        try:
            self.grab_release()
        except tk.TclError:
            pass
        self.destroy()
        self._answer(choice, apply_to_all)


def _wording(conflict: Conflict) -> tuple[str, str]:
    """The dialog's heading and question: what the name clashes with, and why.
    Names may come from the server: escaped, so none can reorder or split the text."""
    choices = "Replace it, keep both (the new one gets a number), or skip this file?"
    name, where = escape_name(conflict.name), escape_text(conflict.where)
    if conflict.other == conflict.name or not conflict.other:
        if conflict.in_batch:
            return f"Another file of this batch also goes to “{name}” {where}.", choices
        return f"“{name}” already exists {where}.", choices
    also = ", which this batch also downloads" if conflict.in_batch else ""
    heading = f"“{name}” would be the same file as “{escape_name(conflict.other)}” {where}{also}."
    return heading, f"The folder {conflict.why}, so one would replace the other. {choices}"
