"""Files dropped from another application, through real X drag and drop.

``event_generate("<<Drop>>", data=...)`` does not carry the data, so this test
is honest the hard way: a second process plays the file manager (a tkdnd drag
source) and xdotool presses, drags and releases the real mouse from it onto
the app, which receives the XDND messages and the selection like any drop.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import sha256_of

pytestmark = pytest.mark.gui

HERE = Path(__file__).resolve().parent


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

    source = subprocess.Popen(
        [sys.executable, str(HERE / "drag_source.py"), "1000", "100", *[str(folder / n) for n in names]],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = source.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        sx, sy = int(ready[1]), int(ready[2])
        tree = app.window.file_view.tree
        tx, ty = tree.winfo_rootx() + tree.winfo_width() // 2, tree.winfo_rooty() + tree.winfo_height() // 2
        steps = ["mousemove", str(sx), str(sy), "sleep", "0.2", "mousedown", "1"]
        for i in range(1, 13):  # a drag is a series of motions; tkdnd starts it past a threshold
            x, y = sx + (tx - sx) * i // 12, sy + (ty - sy) * i // 12
            steps += ["mousemove", str(x), str(y), "sleep", "0.05"]
        steps += ["sleep", "0.3", "mouseup", "1"]
        drag = subprocess.Popen(["xdotool", *steps])
        app.pump_until(lambda: drag.poll() is not None, timeout=20, what="xdotool's drag")
        assert drag.returncode == 0
        for name in names:
            app.wait_for_state(name, State.DONE, timeout=20)
        for name in names:
            assert sha256_of(library / name) == sha256_of(folder / name)
        app.wait_for_names(set(names))
    finally:
        deadline = time.monotonic() + 5
        while source.poll() is None and time.monotonic() < deadline:
            app.root.update()
            time.sleep(0.01)
        if source.poll() is None:
            source.kill()
        source.wait()
