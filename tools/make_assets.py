"""Draw Ferry's icons with Pillow: the app icon and one icon per file kind.

Run with ``make assets``; the PNGs it writes to ``assets/`` are committed, so the
app never needs this script at run time. Everything is drawn at 4x and scaled
down with Lanczos, which gives clean anti-aliased edges at every size.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SS = 4  # supersampling factor
BASE = 64  # icon size in assets/icons

# One colour per kind: the band of the page and the glyph's background.
KIND_COLOURS = {
    "file": (120, 132, 148),
    "image": (46, 160, 67),
    "audio": (191, 90, 242),
    "video": (230, 80, 60),
    "archive": (196, 140, 40),
    "text": (90, 110, 135),
    "code": (30, 120, 200),
    "pdf": (210, 45, 45),
    "document": (40, 100, 200),
}
TEAL = (16, 112, 128)
DEEP = (10, 62, 92)


def _canvas(size: int) -> tuple[Image.Image, ImageDraw.ImageDraw, float]:
    image = Image.new("RGBA", (size * SS, size * SS), (0, 0, 0, 0))
    return image, ImageDraw.Draw(image), size * SS / 64.0


def _finish(image: Image.Image, size: int) -> Image.Image:
    return image.resize((size, size), Image.Resampling.LANCZOS)


def file_icon(kind: str, size: int = BASE) -> Image.Image:
    image, draw, u = _canvas(size)
    colour = KIND_COLOURS[kind]
    left, top, right, bottom, fold = 12 * u, 4 * u, 52 * u, 60 * u, 14 * u
    page = [(left, top), (right - fold, top), (right, top + fold), (right, bottom), (left, bottom)]
    draw.polygon(page, fill=(252, 252, 253), outline=(150, 158, 170), width=int(2 * u))
    draw.polygon(
        [(right - fold, top), (right - fold, top + fold), (right, top + fold)],
        fill=(214, 219, 226),
        outline=(150, 158, 170),
        width=int(2 * u),
    )
    # the kind's badge: a rounded rectangle in the lower part of the page
    box = (left + 5 * u, 28 * u, right - 5 * u, bottom - 5 * u)
    draw.rounded_rectangle(box, radius=5 * u, fill=colour)
    _glyph(draw, kind, box, u)
    return _finish(image, size)


def _glyph(draw: ImageDraw.ImageDraw, kind: str, box: tuple[float, float, float, float], u: float) -> None:
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    white = (255, 255, 255)
    w = int(2.5 * u)
    if kind == "image":
        draw.polygon([(x0 + 4 * u, y1 - 4 * u), (cx - 3 * u, cy - 4 * u), (cx + 4 * u, y1 - 4 * u)], fill=white)
        draw.polygon([(cx, y1 - 4 * u), (cx + 8 * u, cy), (x1 - 4 * u, y1 - 4 * u)], fill=(220, 245, 225))
        draw.ellipse((x1 - 11 * u, y0 + 3 * u, x1 - 5 * u, y0 + 9 * u), fill=(255, 230, 120))
    elif kind == "audio":
        draw.ellipse((cx - 9 * u, cy + 1 * u, cx - 2 * u, cy + 7 * u), fill=white)
        draw.ellipse((cx + 3 * u, cy - 2 * u, cx + 10 * u, cy + 4 * u), fill=white)
        draw.line(
            [(cx - 2.5 * u, cy + 4 * u), (cx - 2.5 * u, cy - 9 * u), (cx + 9.5 * u, cy - 12 * u), (cx + 9.5 * u, cy + 1 * u)],
            fill=white,
            width=w,
        )
    elif kind == "video":
        draw.polygon([(cx - 6 * u, cy - 8 * u), (cx + 8 * u, cy), (cx - 6 * u, cy + 8 * u)], fill=white)
    elif kind == "archive":
        for i in range(5):
            y = y0 + 3 * u + i * 4 * u
            offset = 0 if i % 2 == 0 else 4 * u
            draw.rectangle((cx - 4 * u + offset - 2 * u, y, cx + offset - 2 * u, y + 2.5 * u), fill=white)
        draw.rounded_rectangle((cx - 5 * u, y1 - 8 * u, cx + 5 * u, y1 - 3 * u), radius=1.5 * u, outline=white, width=w)
    elif kind in ("text", "document", "file"):
        lengths = (22, 18, 22, 14) if kind != "file" else (22, 16)
        for i, length in enumerate(lengths):
            y = y0 + 5 * u + i * 5 * u
            draw.line([(x0 + 5 * u, y), (x0 + 5 * u + length * u, y)], fill=white, width=w)
    elif kind == "code":
        draw.line([(cx - 6 * u, cy - 7 * u), (cx - 12 * u, cy), (cx - 6 * u, cy + 7 * u)], fill=white, width=w, joint="curve")
        draw.line([(cx + 6 * u, cy - 7 * u), (cx + 12 * u, cy), (cx + 6 * u, cy + 7 * u)], fill=white, width=w, joint="curve")
        draw.line([(cx + 3 * u, cy - 9 * u), (cx - 3 * u, cy + 9 * u)], fill=white, width=w)
    elif kind == "pdf":
        # a stylised "swoosh" document mark: three strokes
        draw.line(
            [(cx - 10 * u, cy + 7 * u), (cx - 2 * u, cy - 9 * u), (cx + 3 * u, cy + 6 * u), (cx + 11 * u, cy + 2 * u)],
            fill=white,
            width=w,
            joint="curve",
        )


def folder_icon(size: int = BASE) -> Image.Image:
    """A manila folder: a tab on the back sheet, a lighter front sheet, so it
    stands apart from the page-shaped file icons at a glance."""
    image, draw, u = _canvas(size)
    back, front, edge = (226, 170, 60), (247, 200, 90), (180, 128, 30)
    draw.rounded_rectangle((6 * u, 10 * u, 30 * u, 22 * u), radius=3 * u, fill=back, outline=edge, width=int(2 * u))
    draw.rounded_rectangle((6 * u, 16 * u, 58 * u, 54 * u), radius=4 * u, fill=back, outline=edge, width=int(2 * u))
    draw.rounded_rectangle((6 * u, 22 * u, 58 * u, 54 * u), radius=4 * u, fill=front, outline=edge, width=int(2 * u))
    return _finish(image, size)


def app_icon(size: int) -> Image.Image:
    """A ferry on two waves, white on a teal rounded square."""
    image, draw, u = _canvas(size)
    draw.rounded_rectangle((2 * u, 2 * u, 62 * u, 62 * u), radius=14 * u, fill=TEAL)
    draw.rounded_rectangle((2 * u, 34 * u, 62 * u, 62 * u), radius=14 * u, fill=DEEP)
    draw.rectangle((2 * u, 34 * u, 62 * u, 44 * u), fill=DEEP)
    white = (255, 255, 255)
    # hull
    draw.polygon([(10 * u, 36 * u), (54 * u, 36 * u), (47 * u, 46 * u), (17 * u, 46 * u)], fill=white)
    # cabin and windows
    draw.rounded_rectangle((20 * u, 24 * u, 44 * u, 36 * u), radius=2 * u, fill=white)
    for x in (24, 31, 38):
        draw.rectangle((x * u, 27 * u, (x + 4) * u, 31 * u), fill=TEAL)
    # funnel
    draw.rectangle((34 * u, 15 * u, 40 * u, 24 * u), fill=(255, 196, 70))
    # waves
    for y, shade in ((51, (120, 200, 215)), (57, (80, 160, 190))):
        points = [(x * u, (y + (2 if (x // 6) % 2 else -2)) * u) for x in range(6, 60, 6)]
        draw.line(points, fill=shade, width=int(2.5 * u), joint="curve")
    return _finish(image, size)


def main() -> int:
    icons = ASSETS / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    for kind in KIND_COLOURS:
        file_icon(kind).save(icons / f"{kind}.png", optimize=True)
    folder_icon().save(icons / "folder.png", optimize=True)
    for size in (16, 32, 48, 64, 128, 256):
        app_icon(size).save(ASSETS / f"ferry-{size}.png", optimize=True)
    app_icon(256).save(ASSETS / "ferry.ico", sizes=[(16, 16), (32, 32), (48, 48), (256, 256)])
    print(f"wrote icons to {ASSETS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
