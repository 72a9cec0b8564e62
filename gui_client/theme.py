"""Look and sizes: sv-ttk's theme, and row heights measured from the font.

A fixed row height clips text at high DPI, so rows, icons and columns are sized
from the default font's line height and the screen's pixels per inch.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk


@dataclass(frozen=True)
class Metrics:
    line: int  # pixels of one line of the default font
    row: int  # Treeview row height
    icon: int  # file-kind icon size
    pixels_per_inch: float


def apply_theme(root: tk.Misc, name: str = "light") -> Metrics:
    try:
        import sv_ttk

        sv_ttk.set_theme(name, root)
    except Exception:  # sv-ttk missing or broken: the app still works with clam
        ttk.Style(root).theme_use("clam")
    default = tkfont.nametofont("TkDefaultFont", root=root)
    line = default.metrics("linespace")
    row = int(line * 1.75 + 0.5)
    icon = max(16, min(row - 6, int(line * 1.35 + 0.5)))
    style = ttk.Style(root)
    style.configure("Treeview", rowheight=row)
    # A flat list: no room reserved for the expand/collapse indicator of a tree.
    style.layout(
        "Treeview.Item",
        [
            (
                "Treeitem.padding",
                {
                    "sticky": "nswe",
                    "children": [
                        ("Treeitem.image", {"side": "left", "sticky": ""}),
                        ("Treeitem.focus", {"side": "left", "sticky": "", "children": [("Treeitem.text", {"side": "left", "sticky": ""})]}),
                    ],
                },
            )
        ],
    )
    style.configure("Empty.TLabel", foreground="#6b7280")
    style.configure("Error.TLabel", foreground="#c42b1c")
    style.configure(
        "Heading.TLabel", font=tkfont.Font(root=root, family=default.actual("family"), size=default.actual("size"), weight="bold")
    )
    return Metrics(line, row, icon, float(root.winfo_fpixels("1i")))


def text_width(root: tk.Misc, text: str) -> int:
    return tkfont.nametofont("TkDefaultFont", root=root).measure(text)


def set_label_style(label: ttk.Label, style: str) -> None:
    """Give ``label`` the style ``style`` and that style's text colour.

    sv-ttk's ``tk_setPalette`` puts a foreground for every widget in the option
    database, so a ttk label starts with its own foreground, which hides its
    style's colour; it is set from the style explicitly.
    """
    label.configure(style=style, foreground=ttk.Style(label).lookup(style, "foreground"))
