"""The PNGs in ``assets/`` as Tk images, scaled once to the screen's row height.

They are package data (``ferry_files.assets``), found with importlib.resources in
a checkout and in an installed Ferry alike. One that is missing is logged: a
window without icons must not pass for a good install.
"""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageTk

from .file_kinds import KINDS

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

log = logging.getLogger("gui.icons")
ASSETS = files("ferry_files.assets")
APP_ICON_SIZES = (16, 32, 48, 64, 256)


def app_icon(size: int = 256) -> Traversable:
    return ASSETS / f"ferry-{size}.png"


class Icons:
    """File-kind icons at ``size`` pixels. Keep the instance alive: Tk images
    vanish when their Python object is garbage-collected."""

    def __init__(self, master: Any, size: int) -> None:
        self.size = size
        self._master = master
        self._kinds: dict[str, ImageTk.PhotoImage] = {}
        for kind in KINDS:
            path = ASSETS / "icons" / f"{kind}.png"
            if path.is_file():  # a kind without one of its own shows the file icon
                self._kinds[kind] = self._load(path, size)
        self.app = [self._load(app_icon(s), s) for s in APP_ICON_SIZES if app_icon(s).is_file()]
        if "file" not in self._kinds or len(self.app) < len(APP_ICON_SIZES):
            log.warning("icons missing from this installation: %s", ASSETS)

    def _load(self, path: Traversable, size: int) -> ImageTk.PhotoImage:
        with path.open("rb") as stream, Image.open(stream) as image:
            image = image.convert("RGBA")
            if image.size != (size, size):
                image = image.resize((size, size), Image.Resampling.LANCZOS)
            return ImageTk.PhotoImage(image, master=self._master)

    def kind(self, kind: str) -> Any:
        return self._kinds.get(kind) or self._kinds.get("file") or ""
