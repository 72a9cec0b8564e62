"""sv-ttk's theme drawn at a whole zoom factor, for screens of 168 dpi (1.75 x) and more.

sv-ttk draws its widgets from a sprite sheet of fixed-size images (check boxes,
arrows, scroll bars, the frames of buttons and fields), sliced by pixel borders
and padded by pixel amounts. Tk scales fonts with the screen, not images, so at
192 dpi a check box stayed a 20-pixel speck beside text twice as tall. Photo
images zoom by whole factors only, and a frame image zoomed alone would be
sliced at its old borders (dashed edges), so the theme's own script is loaded
with every sprite zoomed and every border, padding, width and height in it
multiplied by the same factor, before sv-ttk would load it unscaled.

It rewrites sv-ttk's scripts, so it is tied to the pinned version
(pyproject.toml): anything unexpected in them, and the theme loads as shipped.
"""

from __future__ import annotations

import logging
import re
import tkinter as tk
from pathlib import Path

log = logging.getLogger("gui.theme")

_SCRIPT_DIR = "[file dirname [info script]]"
_SPRITE_SIZE = "[image create photo -width $width -height $height]"
_SPRITE_COPY = "copy spritesheet -from $x $y [expr {$x+$width}] [expr {$y+$height}]"
_SOURCE_THEMES = re.compile(r"^source \[file join \[file dirname \[info script\]\] theme (light|dark)\.tcl\]$", re.M)
#: Options whose numbers are pixels: ``-border {6 0}``, ``-padding 4``, ``-width 26``...
_PIXELS = re.compile(r"-(border|borderwidth|padding|width|height|sashthickness) (\{[0-9 ]+\}|[0-9]+\b)")


def load_zoomed(root: tk.Tk, zoom: int) -> bool:
    """Load sv-ttk zoomed ``zoom`` times into ``root`` (once per root, before
    ``sv_ttk.set_theme``, which then finds it loaded); False if it could not be."""
    try:
        import sv_ttk
    except ImportError:
        return False
    folder = Path(sv_ttk.__file__).parent
    try:
        main = (folder / "sv.tcl").read_text(encoding="utf-8")
        themes = {name: _zoomed(folder / "theme", name, zoom) for name in ("light", "dark")}
        if len(_SOURCE_THEMES.findall(main)) != 2:
            raise ValueError("sv.tcl does not source its two themes as expected")
        for name in ("light", "dark"):
            root.tk.eval(themes[name])
        root.tk.eval(_SOURCE_THEMES.sub("", main))
    except (OSError, ValueError, tk.TclError) as exc:
        log.info("sv-ttk not zoomed (%s): drawn at its own size", exc)
        return False
    root._sv_ttk_loaded = True  # type: ignore[attr-defined]  # what sv_ttk checks before sourcing sv.tcl
    return True


def _zoomed(folder: Path, name: str, zoom: int) -> str:
    """The script of theme ``name`` with its sprites and pixel amounts times ``zoom``."""
    text = (folder / f"{name}.tcl").read_text(encoding="utf-8")
    if _SPRITE_SIZE not in text or _SPRITE_COPY not in text or _SCRIPT_DIR not in text:
        raise ValueError(f"sv-ttk's {name}.tcl is not the one this zoom knows")
    text = text.replace(_SCRIPT_DIR, "{" + folder.as_posix() + "}")
    text = text.replace(_SPRITE_SIZE, f"[image create photo -width [expr {{$width*{zoom}}}] -height [expr {{$height*{zoom}}}]]")
    text = text.replace(_SPRITE_COPY, f"{_SPRITE_COPY} -zoom {zoom}")
    return _PIXELS.sub(lambda m: f"-{m[1]} {_times(m[2], zoom)}", text)


def _times(amount: str, zoom: int) -> str:
    numbers = [str(int(n) * zoom) for n in amount.strip("{}").split()]
    return "{" + " ".join(numbers) + "}" if amount.startswith("{") else numbers[0]
