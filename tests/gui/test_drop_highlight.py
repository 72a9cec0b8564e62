"""While files are dragged over the window it shows a highlight (a coloured
frame and a banner saying where the files will go), gone when the drag leaves
or drops. Real XDND: drag_source.py in another process, xdotool's mouse."""

from __future__ import annotations

import pytest
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import xdotool
from tests.gui.dragging import drag_source, glide, list_centre, press_and_glide

pytestmark = pytest.mark.gui


def test_a_drag_over_the_window_highlights_it_until_it_leaves_or_drops(app, server, tmp_path, library):
    sent = tmp_path / "photo of us.png"
    sent.write_bytes(b"p" * 1000)
    app.connect(server)
    app.root.geometry("900x600+0+0")
    app.pump_until(lambda: app.root.winfo_ismapped() and app.root.winfo_rootx() >= 0, what="the window on screen")
    highlight = app.window.drop_highlight
    assert not highlight.shown
    with drag_source(app, [sent]) as start:
        end = list_centre(app)
        xdotool(app, *press_and_glide(start, end))
        app.pump_until(lambda: highlight.shown, what="the highlight")
        banner = highlight.banner
        assert banner.winfo_ismapped() and server.address[0] in str(banner.cget("text"))
        assert banner.winfo_rootx() >= app.root.winfo_rootx() and banner.winfo_width() > 100
        edge = highlight.edges[0]
        assert edge.winfo_ismapped() and edge.winfo_width() >= app.root.winfo_width() - 2  # a frame around the whole window

        xdotool(app, *glide(*end, *start), "sleep", "0.3")  # back out: no drop
        app.pump_until(lambda: not highlight.shown, what="the highlight to go when the drag leaves")
        assert not banner.winfo_ismapped()

        xdotool(app, *glide(*start, *end), "sleep", "0.3")
        app.pump_until(lambda: highlight.shown, what="the highlight again")
        xdotool(app, "mouseup", "1")
        app.pump_until(lambda: not highlight.shown, what="the highlight to go on the drop")
        app.wait_for_state(sent.name, State.DONE)
        assert (library / sent.name).read_bytes() == sent.read_bytes()
