"""Reading a QR code back the way a phone does: zbarimg (zbar-tools, installed by
tools/ensure_system_deps.sh) decodes a picture of it. The tests compare what it
reads with the URL, so a code that merely looks like a QR code fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

#: Pixels per module in the picture handed to zbarimg.
SCALE = 6
#: segno's compact terminal characters: (top module dark, bottom module dark). The
#: dark modules are left blank (the background), the light drawn.
_HALF_BLOCKS = {" ": (True, True), "\u2580": (False, True), "\u2584": (True, False), "\u2588": (False, False)}
#: Each line's colours, set by the banner: white blocks on black, whatever the terminal's own.
_WHITE_ON_BLACK, _RESET = "\x1b[97;40m", "\x1b[0m"


def terminal_modules(lines: list[str]) -> list[list[bool]]:
    """The module rows (True: dark) drawn by segno's compact terminal writer, each
    line in white on black (on a light terminal, uncoloured blocks draw the code
    inverted, which many phone cameras do not read)."""
    rows: list[list[bool]] = []
    for line in lines:
        assert line.startswith(_WHITE_ON_BLACK) and line.endswith(_RESET), f"a line of the code in the terminal's own colours: {line!r}"
        pairs = [_HALF_BLOCKS[char] for char in line[len(_WHITE_ON_BLACK) : -len(_RESET)]]
        rows.append([top for top, _ in pairs])
        rows.append([bottom for _, bottom in pairs])
    return rows


def decode(image: Image.Image, folder: Path) -> str:
    """What zbarimg reads in ``image``; fails the test when it reads no QR code."""
    path = folder / "qr.png"
    image.save(path)
    result = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"zbarimg found no QR code (status {result.returncode}): {result.stderr}"
    return result.stdout.rstrip("\n")


def modules_image(rows: list[list[bool]], quiet: int = 4) -> Image.Image:
    """A black-on-white picture of the modules with a quiet zone around them."""
    width = max(len(row) for row in rows) + 2 * quiet
    image = Image.new("L", (width, len(rows) + 2 * quiet), 255)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + quiet, y + quiet), 0)
    return image.resize((image.width * SCALE, image.height * SCALE), Image.NEAREST)
