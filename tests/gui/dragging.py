"""A real XDND drag onto the window: drag_source.py plays the file manager in a
process of its own, xdotool moves the real mouse (test_drop.py, test_drop_highlight.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent


def glide(x0: int, y0: int, x1: int, y1: int, steps: int = 10) -> list[str]:
    """xdotool mouse motions from one point to another: tkdnd starts a drag only
    past a threshold, and a drop target hears of it motion by motion."""
    moves: list[str] = []
    for i in range(1, steps + 1):
        moves += ["mousemove", str(x0 + (x1 - x0) * i // steps), str(y0 + (y1 - y0) * i // steps), "sleep", "0.04"]
    return moves


def press_and_glide(start: tuple[int, int], end: tuple[int, int]) -> list[str]:
    """Press the mouse at ``start`` and drag to ``end``, still pressed."""
    return ["mousemove", str(start[0]), str(start[1]), "sleep", "0.2", "mousedown", "1", *glide(*start, *end), "sleep", "0.3"]


def list_centre(app) -> tuple[int, int]:
    tree = app.window.file_view.tree
    return tree.winfo_rootx() + tree.winfo_width() // 2, tree.winfo_rooty() + tree.winfo_height() // 2


@contextmanager
def drag_source(app, paths: list[Path]) -> Iterator[tuple[int, int]]:
    """drag_source.py offering ``paths``; yields the screen point to press to drag
    them. It exits after the drop: it is given 5 s (the Tk loop running, as the
    drop target must answer it), then killed."""
    source = subprocess.Popen(
        [sys.executable, str(HERE / "drag_source.py"), "1000", "100", *map(str, paths)], stdout=subprocess.PIPE, text=True
    )
    try:
        ready = source.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        yield int(ready[1]), int(ready[2])
    finally:
        deadline = time.monotonic() + 5
        while source.poll() is None and time.monotonic() < deadline:
            app.root.update()
            time.sleep(0.01)
        if source.poll() is None:
            source.kill()
        source.wait()
