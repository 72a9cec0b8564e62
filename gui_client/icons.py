"""The PNGs in ``assets/`` as Tk images, scaled once to the screen's row height."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageTk

from .file_kinds import KINDS

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def app_icon_path(size: int = 256) -> Path:
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
            if path.exists():
                self._kinds[kind] = self._load(path, size)
        self.app = [self._load(app_icon_path(s), s) for s in (16, 32, 48, 64, 256) if app_icon_path(s).exists()]

    def _load(self, path: Path, size: int) -> ImageTk.PhotoImage:
        with Image.open(path) as image:
            image = image.convert("RGBA")
            if image.size != (size, size):
                image = image.resize((size, size), Image.Resampling.LANCZOS)
            return ImageTk.PhotoImage(image, master=self._master)

    def kind(self, kind: str) -> Any:
        return self._kinds.get(kind) or self._kinds.get("file") or ""
