"""What the window shows while files are dragged over it: a coloured frame
around the whole window and a banner saying where a drop would go.

Plain Tk frames placed over the window (not a covering widget: the files and
transfers stay visible under the drag, and the drop still lands on the window,
which tkdnd finds by walking up from the widget under the pointer).
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

#: The frame's colour when the theme has no selection colour to lend.
FALLBACK_COLOUR = "#2f6fd6"


class DropHighlight:
    def __init__(self, root: tk.Misc, scale: float) -> None:
        colour = str(ttk.Style(root).lookup(".", "selectbackground") or FALLBACK_COLOUR)
        self.thickness = max(3, round(4 * scale))
        self.edges = [tk.Frame(root, background=colour, borderwidth=0, highlightthickness=0) for _ in range(4)]
        pad = round(12 * scale)
        self.banner = tk.Label(root, background=colour, foreground="white", padx=2 * pad, pady=pad, font="FerryHeadingFont")

    @property
    def shown(self) -> bool:
        return bool(self.banner.winfo_ismapped())

    def show(self, text: str) -> None:
        t = self.thickness
        top, bottom, left, right = self.edges
        top.place(x=0, y=0, relwidth=1, height=t)
        bottom.place(x=0, rely=1, y=-t, relwidth=1, height=t)
        left.place(x=0, y=0, width=t, relheight=1)
        right.place(relx=1, x=-t, y=0, width=t, relheight=1)
        self.banner.configure(text=text)
        self.banner.place(relx=0.5, rely=0.5, anchor="center")
        for widget in (*self.edges, self.banner):
            widget.lift()

    def hide(self) -> None:
        for widget in (*self.edges, self.banner):
            widget.place_forget()
