"""One scale factor for everything that has a size: fonts, rows, icons, the window.

At 192 dpi the app used to double what was sized in points (Tk's own fonts,
so the headings and the icons measured from them) but not sv-ttk's fonts,
which are sized in pixels: body text stayed small, columns measured in the
wrong font pushed Size and Modified out of view, and the window kept its
1100 x 700 pixels. Here the factor is decided once (the screen's dpi, or the
``scaling`` setting), Tk's point size is set from it, and every font sized in
pixels is multiplied by it, so all sizes move together.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont

#: The dpi at which the app's sizes are designed (scale 1).
BASE_DPI = 96.0
#: The window's size and smallest size at scale 1, in pixels.
DEFAULT_SIZE = (1100, 700)
MINIMUM_SIZE = (760, 480)
#: Scale factors the setting accepts (0 means: from the screen).
SCALE_RANGE = (1.0, 3.0)


def screen_scale(root: tk.Misc) -> float:
    """The screen's dpi over 96, in quarter steps, never below 1.

    Quarter steps as desktops offer (a 100-dpi screen is 1.0, not 1.04); never
    below 1 because macOS reports 72 dpi for screens it scales by itself.
    """
    return max(SCALE_RANGE[0], min(SCALE_RANGE[1], round(screen_dpi(root) / BASE_DPI * 4) / 4))


#: Each display's own dpi, as first seen in this process (see :func:`screen_dpi`).
_DPI_OF_DISPLAY: dict[str, float] = {}


def screen_dpi(root: tk.Misc) -> float:
    """The screen's pixels per inch as the X server (or OS) reported it.

    Remembered per display on first sight: :func:`scale_fonts` sets
    ``tk scaling``, which changes what Tk says of inches and millimetres, and Tk
    keeps that per display for the whole process, not per root."""
    display = root.winfo_screen()
    if display not in _DPI_OF_DISPLAY:
        _DPI_OF_DISPLAY[display] = root.winfo_fpixels("1i")
    return _DPI_OF_DISPLAY[display]


def decide_scale(root: tk.Misc, setting: float) -> float:
    """The ``scaling`` setting when one is set (clamped), else the screen's."""
    if setting > 0:
        return max(SCALE_RANGE[0], min(SCALE_RANGE[1], setting))
    return screen_scale(root)


def scale_fonts(root: tk.Misc, scale: float) -> None:
    """Points follow ``tk scaling``; fonts sized in pixels (negative sizes, as
    sv-ttk's are) are multiplied here. Call once per root, after the theme has
    created its fonts: a second call would multiply them again."""
    screen_dpi(root)  # remembered before tk scaling hides it
    root.tk.call("tk", "scaling", scale * BASE_DPI / 72.0)
    for name in tkfont.names(root):
        font = tkfont.nametofont(name, root=root)
        size = int(font.cget("size"))
        if size < 0:
            font.configure(size=-max(1, round(-size * scale)))


def size_window(root: tk.Wm, scale: float) -> None:
    """The default and smallest window size times ``scale``, within the screen."""
    screen_w, screen_h = root.winfo_screenwidth(), root.winfo_screenheight()

    def fit(size: tuple[int, int], share: float) -> tuple[int, int]:
        return min(round(size[0] * scale), int(screen_w * share)), min(round(size[1] * scale), int(screen_h * share))

    root.minsize(*fit(MINIMUM_SIZE, 0.9))
    root.geometry("{}x{}".format(*fit(DEFAULT_SIZE, 0.95)))
