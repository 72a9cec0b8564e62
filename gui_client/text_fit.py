"""Text cut to a width in pixels, with an ellipsis, as a label shows it.

Tk clips a label's text at its edge without a sign that something is missing;
a cut name must say so ("holiday-pho…").
"""

from __future__ import annotations

from tkinter import font as tkfont

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
