"""Files dropped from another application, through real X drag and drop.

``event_generate("<<Drop>>", data=...)`` does not carry the data, so this test
is honest the hard way: a second process plays the file manager (a tkdnd drag
source) and xdotool presses, drags and releases the real mouse from it onto
the app, which receives the XDND messages and the selection like any drop.
"""

from __future__ import annotations

import pytest
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import sha256_of, xdotool
from tests.gui.dragging import drag_source, list_centre, press_and_glide

pytestmark = pytest.mark.gui


def test_drop_files_with_spaces_and_braces_from_another_app(app, server, library, tmp_path):
    folder = tmp_path / "my {odd} folder"
    folder.mkdir()
    names = ["holiday photo.png", "{braces}.txt", "plain.txt", "a } b { c.bin"]
    for i, name in enumerate(names):
        (folder / name).write_bytes(f"content {i} ".encode() * (i + 1) * 100)
    app.connect(server)
    app.root.geometry("900x600+0+0")
    app.root.update()
    app.pump_until(lambda: app.root.winfo_ismapped() and app.root.winfo_rootx() >= 0, what="the window on screen")

    with drag_source(app, [folder / n for n in names]) as start:
        xdotool(app, *press_and_glide(start, list_centre(app)), "mouseup", "1")
        for name in names:
            app.wait_for_state(name, State.DONE, timeout=20)
        for name in names:
            assert sha256_of(library / name) == sha256_of(folder / name)
        app.wait_for_names(set(names))
