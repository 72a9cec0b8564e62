"""End to end with the real mouse: xdotool finds the window by its title and
clicks a file row and the Download button, as a person would."""

from __future__ import annotations

import os

import pytest
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import sha256_of, xdotool

pytestmark = pytest.mark.gui


def test_click_a_file_then_the_download_button(app, server, library, downloads):
    content = os.urandom(2 * 1024 * 1024)
    (library / "clicked.bin").write_bytes(content)
    (library / "zzz-other.txt").write_bytes(b"not this one")
    app.root.geometry("1000x650+0+0")
    app.connect(server)
    app.wait_for_names({"clicked.bin", "zzz-other.txt"})
    app.root.update()

    windows = xdotool(app, "search", "--sync", "--onlyvisible", "--name", "^Ferry").split()
    assert windows, "xdotool did not find the Ferry window"

    tree = app.window.file_view.tree
    first_row = tree.get_children("")[0]
    x, y, width, height = tree.bbox(first_row)
    xdotool(app, "mousemove", str(tree.winfo_rootx() + x + 60), str(tree.winfo_rooty() + y + height // 2), "click", "1")
    app.pump_until(lambda: app.window.file_view.selected_names() == ["clicked.bin"], what="the row to be selected by the click")

    button = app.window.download_button
    app.pump_until(lambda: "disabled" not in button.state(), what="Download to be enabled")
    bx = button.winfo_rootx() + button.winfo_width() // 2
    by = button.winfo_rooty() + button.winfo_height() // 2
    xdotool(app, "mousemove", str(bx), str(by), "click", "1")

    row = app.wait_for_state("clicked.bin", State.DONE, State.FAILED)
    assert row.view.state is State.DONE, row.view.error
    assert float(row.progress.cget("value")) == 100
    assert sha256_of(downloads / "clicked.bin") == sha256_of(library / "clicked.bin")
    assert not (downloads / "zzz-other.txt").exists()


def test_a_click_on_a_cut_message_shows_the_messages_whole(app):
    app.root.geometry("760x480+0+0")
    app.pump_until(lambda: app.root.winfo_width() == 760, what="the resize")
    status = app.window.status
    app.window.report("Connected to 127.0.0.1:7069")
    long = (
        "The certificate of 192.168.1.20:7069 is not the one seen before; if it was replaced on purpose, "
        "remove its line from /home/someone/.local/state/ferry/known_servers"
    )
    app.window.report(long, error=True)
    app.root.update()
    assert str(status.message.cget("text")).endswith("…")
    label = status.message
    x = label.winfo_rootx() + label.winfo_width() - 20
    xdotool(app, "mousemove", str(x), str(label.winfo_rooty() + label.winfo_height() // 2), "click", "1")
    app.pump_until(lambda: status.messages_window is not None, what="the messages window")
    lines = status.messages_window.contents().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == ["Connected to 127.0.0.1:7069", long]
