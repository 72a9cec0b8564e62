"""Look and sizes: sv-ttk's theme (light, dark, or the desktop's), and row
heights, icons and columns measured from the font the list really uses.

A fixed row height clips text at high DPI, and sizes measured in another font
than the one drawn put columns out of view, so everything is measured in the
theme's body font after :mod:`gui_client.scaling` has sized it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tkinter as tk
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk

from .scaling import BASE_DPI, decide_scale, scale_fonts
from .theme_zoom import load_zoomed

log = logging.getLogger("gui.theme")

#: The values of the ``theme`` setting.
THEMES = ("light", "dark", "system")


@dataclass(frozen=True)
class Metrics:
    line: int  # pixels of one line of the body font
    row: int  # Treeview row height
    icon: int  # file-kind icon size
    pixels_per_inch: float  # 96 x scale: the app's inch, whatever the screen claims
    scale: float  # 1.0 at 96 dpi, 2.0 at 192 dpi (or the scaling setting)


def system_theme() -> str:
    """ "dark" when the desktop asks for dark (the XDG portal's color-scheme, then
    GNOME's setting), else "light". Either question has a 2 s limit."""
    questions = [
        ["gdbus", "call", "--session", "--timeout", "2", "--dest", "org.freedesktop.portal.Desktop"]
        + ["--object-path", "/org/freedesktop/portal/desktop", "--method", "org.freedesktop.portal.Settings.Read"]
        + ["org.freedesktop.appearance", "color-scheme"],
        ["gsettings", "get", "org.gnome.desktop.interface", "color-scheme"],
    ]
    for command in questions:
        if shutil.which(command[0]) is None:
            continue
        try:
            answer = subprocess.run(command, capture_output=True, text=True, timeout=2.5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if answer.returncode != 0:
            continue
        text = answer.stdout.strip()
        if "dark" in text or text.rstrip(">,)").endswith("uint32 1"):  # portal: 1 = prefer dark
            return "dark"
        return "light"
    return "light"


def resolve_theme(name: str) -> str:
    return system_theme() if name == "system" else name if name in ("light", "dark") else "light"


def _use_theme(root: tk.Misc, name: str, zoom: int = 1) -> None:
    """``zoom``: the whole factor the theme's images are drawn at, when it is
    loaded for the first time in ``root`` (theme_zoom.py)."""
    if zoom >= 2 and isinstance(root, tk.Tk) and not hasattr(root, "_sv_ttk_loaded"):
        load_zoomed(root, zoom)
    try:
        import sv_ttk

        sv_ttk.set_theme(resolve_theme(name), root)
    except Exception as exc:  # sv-ttk missing or broken: the app still works with clam
        log.info("sv-ttk theme unavailable (%s): using clam", exc)
        ttk.Style(root).theme_use("clam")


def body_font(root: tk.Misc) -> tkfont.Font:
    """The font text is drawn in: the theme's (sv-ttk's SunValleyBodyFont), else Tk's default.

    Asked of the Treeview style: sv-ttk sets the font of "." only when its
    <<ThemeChanged>> event is handled, after ``set_theme`` has returned."""
    style = ttk.Style(root)
    name = str(style.lookup("Treeview", "font") or style.lookup(".", "font") or "TkDefaultFont")
    try:
        return tkfont.nametofont(name, root=root)
    except tk.TclError:
        return tkfont.nametofont("TkDefaultFont", root=root)


def apply_theme(root: tk.Misc, name: str = "light", scaling: float = 0.0) -> Metrics:
    """Load the theme, size every font by one factor, and measure rows and icons.
    ``scaling`` 0 means from the screen's dpi. Call once per root."""
    scale = decide_scale(root, scaling)
    _use_theme(root, name, zoom=int(scale + 0.25))  # 1.75 x and more: 2; photo images zoom by whole factors
    scale_fonts(root, scale)
    line = body_font(root).metrics("linespace")
    row = int(line * 1.75 + 0.5)
    icon = max(16, min(row - 6, int(line * 1.35 + 0.5)))
    metrics = Metrics(line, row, icon, BASE_DPI * scale, scale)
    _configure_styles(root, metrics)
    return metrics


def switch_theme(root: tk.Misc, name: str, metrics: Metrics) -> None:
    """Change light / dark / system while running; a theme change resets the
    styles configured for the previous theme, so they are set again."""
    _use_theme(root, name)
    _configure_styles(root, metrics)


def _configure_styles(root: tk.Misc, metrics: Metrics) -> None:
    style = ttk.Style(root)
    style.configure("Treeview", rowheight=metrics.row)
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
    dark = style.theme_use() == "sun-valley-dark"
    style.configure("Empty.TLabel", foreground="#9ca3af" if dark else "#6b7280")
    style.configure("Error.TLabel", foreground="#ff99a4" if dark else "#c42b1c")
    style.configure("Heading.TLabel", font=_heading_font(root))


def _heading_font(root: tk.Misc) -> str:
    """The body font in bold, as a named font: an unnamed one is deleted with
    its Python object, and a style would then fall back to Tk's default."""
    body = body_font(root)
    try:
        heading = tkfont.nametofont("FerryHeadingFont", root=root)
    except tk.TclError:
        heading = tkfont.Font(root=root, name="FerryHeadingFont", exists=False)
    heading.configure(family=body.actual("family"), size=body.cget("size"), weight="bold")
    return "FerryHeadingFont"


def text_width(root: tk.Misc, text: str) -> int:
    """Pixels ``text`` takes in the body font."""
    return body_font(root).measure(text)


def set_label_style(label: ttk.Label, style: str) -> None:
    """Give ``label`` the style ``style`` and that style's text colour.

    sv-ttk's ``tk_setPalette`` puts a foreground for every widget in the option
    database, so a ttk label starts with its own foreground, which hides its
    style's colour; it is set from the style explicitly.
    """
    label.configure(style=style, foreground=ttk.Style(label).lookup(style, "foreground"))
