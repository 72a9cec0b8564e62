"""Text cut to a width in pixels, with an ellipsis, as a label shows it.

Tk clips a label's text at its edge without a sign that something is missing;
a cut name must say so ("holiday-pho…").
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk

ELLIPSIS = "…"


def elide(font: tkfont.Font, text: str, pixels: int) -> str:
    """``text``, or its longest start that fits ``pixels`` with an ellipsis after it."""
    if pixels <= 0 or font.measure(text) <= pixels:
        return text
    low, high = 0, len(text)  # the longest fitting prefix is in [low, high)
    while low < high - 1:
        middle = (low + high) // 2
        if font.measure(text[:middle] + ELLIPSIS) <= pixels:
            low = middle
        else:
            high = middle
    return text[:low] + ELLIPSIS


def show_fitted(label: ttk.Label, text: str) -> None:
    """Show ``text`` in ``label``, cut to what it can show at its width now (all of
    it while the label is not laid out yet). The room for text is the width less
    the label's own padding, which the theme decides: what the label asks for
    beyond the width of its text, measured in the font it really draws with."""
    label.configure(text=text)
    width = label.winfo_width()
    if width <= 1:
        return
    font = _font_of(label)
    padding = label.winfo_reqwidth() - font.measure(text)
    label.configure(text=elide(font, text, width - max(padding, 0)))


def _font_of(label: ttk.Label) -> tkfont.Font:
    name = str(label.cget("font")) or str(ttk.Style(label).lookup(str(label.cget("style")) or label.winfo_class(), "font"))
    try:
        return tkfont.nametofont(name or "TkDefaultFont", root=label)
    except tk.TclError:  # a font description, not a named font
        return tkfont.Font(root=label, font=name)
