"""Ctrl+A selects all in every text field of the app.

Tk's entry bindings come from Emacs, where Ctrl+A goes to the line's start;
people expect "select all" from every other application on their desktop.
"""

from __future__ import annotations

import tkinter as tk
from typing import Any

#: The widget classes whose text Ctrl+A selects.
TEXT_CLASSES = ("TEntry", "Entry", "TCombobox", "TSpinbox", "Spinbox")


def _select_all(event: Any) -> str:
    widget = event.widget
    widget.selection_range(0, "end")
    widget.icursor("end")
    return "break"


def bind_select_all(root: tk.Misc) -> None:
    for widget_class in TEXT_CLASSES:
        for sequence in ("<Control-a>", "<Control-A>"):
            root.bind_class(widget_class, sequence, _select_all)
