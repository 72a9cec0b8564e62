"""While files are dragged over the window it shows a highlight (a coloured
frame and a banner saying where the files will go), gone when the drag leaves
or drops. Real XDND: drag_source.py in another process, xdotool's mouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ferry_files.gui_client.transfers import State

pytestmark = pytest.mark.gui

HERE = Path(__file__).resolve().parent


def xdotool(app, *steps: str) -> None:
    """Run xdotool while the Tk loop keeps answering X (the app is the drop target)."""
    process = subprocess.Popen(["xdotool", *steps])
    app.pump_until(lambda: process.poll() is not None, timeout=20, what="xdotool")
    assert process.returncode == 0


def glide(x0: int, y0: int, x1: int, y1: int, steps: int = 10) -> list[str]:
    """Mouse motions from one point to another (tkdnd needs several)."""
    moves: list[str] = []
    for i in range(1, steps + 1):
        moves += ["mousemove", str(x0 + (x1 - x0) * i // steps), str(y0 + (y1 - y0) * i // steps), "sleep", "0.04"]
    return moves


def test_a_drag_over_the_window_highlights_it_until_it_leaves_or_drops(app, server, tmp_path, library):
    sent = tmp_path / "photo of us.png"
    sent.write_bytes(b"p" * 1000)
    app.connect(server)
    app.root.geometry("900x600+0+0")
    app.pump_until(lambda: app.root.winfo_ismapped() and app.root.winfo_rootx() >= 0, what="the window on screen")
    highlight = app.window.drop_highlight
    assert not highlight.shown
    source = subprocess.Popen([sys.executable, str(HERE / "drag_source.py"), "1000", "100", str(sent)], stdout=subprocess.PIPE, text=True)
    try:
        ready = source.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        sx, sy = int(ready[1]), int(ready[2])
        tree = app.window.file_view.tree
        tx, ty = tree.winfo_rootx() + tree.winfo_width() // 2, tree.winfo_rooty() + tree.winfo_height() // 2

        xdotool(app, "mousemove", str(sx), str(sy), "sleep", "0.2", "mousedown", "1", *glide(sx, sy, tx, ty), "sleep", "0.3")
        app.pump_until(lambda: highlight.shown, what="the highlight")
        banner = highlight.banner
        assert banner.winfo_ismapped() and server.address[0] in str(banner.cget("text"))
        assert banner.winfo_rootx() >= app.root.winfo_rootx() and banner.winfo_width() > 100
        edge = highlight.edges[0]
        assert edge.winfo_ismapped() and edge.winfo_width() >= app.root.winfo_width() - 2  # a frame around the whole window

        xdotool(app, *glide(tx, ty, sx, sy), "sleep", "0.3")  # back out: no drop
        app.pump_until(lambda: not highlight.shown, what="the highlight to go when the drag leaves")
        assert not banner.winfo_ismapped()

        xdotool(app, *glide(sx, sy, tx, ty), "sleep", "0.3")
        app.pump_until(lambda: highlight.shown, what="the highlight again")
        xdotool(app, "mouseup", "1")
        app.pump_until(lambda: not highlight.shown, what="the highlight to go on the drop")
        app.wait_for_state(sent.name, State.DONE)
        assert (library / sent.name).read_bytes() == sent.read_bytes()
    finally:
        if source.poll() is None:
            source.kill()
        source.wait()
