"""Defect 6, the app by keyboard alone, with real key events from xdotool (XTEST,
the way a keyboard's keys arrive): a visible focus row in the file list, arrows
and Space that select, Ctrl+A, Home, End; Enter in the conflict dialog presses
its default button, which has the focus; Ctrl+A in a text field selects all."""

from __future__ import annotations

import pytest
from ferry_files.gui_client.list_keys import CURSOR_TAG
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import xdotool

pytestmark = pytest.mark.gui


def focus_window(app) -> None:
    app.root.geometry("1000x650+0+0")
    app.pump_until(lambda: app.root.winfo_ismapped(), what="the window on screen")
    window = xdotool(app, "search", "--sync", "--onlyvisible", "--name", "^Ferry").split()[0]
    xdotool(app, "windowfocus", "--sync", window)


def keys(app, *names: str) -> None:
    xdotool(app, "key", "--delay", "30", *names)
    app.root.update()


def typed(app, text: str) -> None:
    xdotool(app, "type", "--delay", "20", text)
    app.root.update()


def test_keyboard_only_connect_open_select_download_rename_delete(app, server, library, downloads):
    (library / "photos").mkdir()
    (library / "photos" / "beach.jpg").write_bytes(b"sand" * 500)
    (library / "photos" / "dune.jpg").write_bytes(b"dune")
    (library / "notes.txt").write_bytes(b"notes")
    app.window.connect_bar.host.set("somewhere.invalid")
    focus_window(app)
    tree = app.window.file_view.tree

    keys(app, "Tab")  # into the first field: the server's address
    app.pump_until(lambda: app.root.focus_get() == app.window.connect_bar.host_entry, what="the host field focused")
    keys(app, "ctrl+a")
    typed(app, "127.0.0.1")
    assert app.window.connect_bar.host.get() == "127.0.0.1"  # Ctrl+A selected all, typing replaced it
    keys(app, "Tab", "ctrl+a")
    typed(app, str(server.port))
    keys(app, "Return")
    app.wait_for_names({"photos", "notes.txt"})
    app.pump_until(lambda: app.root.focus_get() == tree, what="the file list to take the focus after connecting")
    assert CURSOR_TAG in tree.item(tree.focus(), "tags")  # the focus row is visible

    keys(app, "Home")
    assert app.window.file_view.selected_names() == ["photos"]
    keys(app, "Return")
    app.wait_for_names({"beach.jpg", "dune.jpg"})
    keys(app, "End")
    assert app.window.file_view.selected_names() == ["dune.jpg"]
    keys(app, "ctrl+a")
    assert sorted(app.window.file_view.selected_names()) == ["beach.jpg", "dune.jpg"]
    keys(app, "Home")
    assert app.window.file_view.selected_names() == ["beach.jpg"]
    keys(app, "ctrl+Down", "space")  # the focus moves alone; Space adds the row
    assert sorted(app.window.file_view.selected_names()) == ["beach.jpg", "dune.jpg"]
    keys(app, "space")
    assert app.window.file_view.selected_names() == ["beach.jpg"]
    keys(app, "Down", "Up")
    assert app.window.file_view.selected_names() == ["beach.jpg"]
    keys(app, "Return")  # a file: Enter downloads it
    assert app.wait_for_state("beach.jpg", State.DONE, State.FAILED).view.state is State.DONE
    assert (downloads / "beach.jpg").read_bytes() == b"sand" * 500

    app.pump_until(lambda: app.root.focus_get() == tree, what="the focus back in the list")
    keys(app, "F2")
    app.pump_until(lambda: app.window.commands.rename_editor, what="the name editor")
    typed(app, "sea")  # the stem was selected: typing replaces it, the extension stays
    keys(app, "Return")
    app.wait_for_names({"sea.jpg", "dune.jpg"})
    assert (library / "photos" / "sea.jpg").read_bytes() == b"sand" * 500

    app.pump_until(lambda: app.root.focus_get() == tree, what="the focus back in the list")
    keys(app, "Delete")
    dialog = app.pump_until(lambda: app.window.question, what="the delete confirmation")
    app.pump_until(lambda: app.root.focus_get() == dialog.default_button, what="the focus on Delete")
    keys(app, "Return")
    app.wait_for_names({"dune.jpg"})
    assert not (library / "photos" / "sea.jpg").exists()

    app.pump_until(lambda: app.root.focus_get() == tree, what="the focus back in the list")
    keys(app, "BackSpace")
    app.wait_for_names({"photos", "notes.txt"})
    assert app.window.file_view.selected_names() == ["photos"]


def test_enter_in_the_conflict_dialog_presses_the_focused_default_button(app, server, library, downloads):
    (library / "same.txt").write_bytes(b"server")
    (downloads / "same.txt").write_bytes(b"local")
    app.connect(server)
    app.wait_for_names({"same.txt"})
    focus_window(app)
    app.select("same.txt")
    app.window.download_button.invoke()
    dialog = app.pump_until(lambda: app.window.dialog, what="the conflict dialog")
    app.pump_until(lambda: app.root.focus_get() == dialog.keep_both_button, what="the focus on the default button, Keep both")
    keys(app, "Return")
    app.pump_until(lambda: app.window.dialog is None, what="the dialog to close")
    app.wait_for_state("same (1).txt", State.DONE)  # Keep both, the default
    assert (downloads / "same.txt").read_bytes() == b"local"


def test_ctrl_a_selects_all_in_the_filter_field(app, server):
    app.window.filter_text.set("some words")
    focus_window(app)
    keys(app, "ctrl+f")
    app.pump_until(lambda: app.root.focus_get() == app.window.filter_entry, what="the filter focused")
    app.window.filter_entry.icursor("end")
    keys(app, "ctrl+a")
    entry = app.window.filter_entry
    assert entry.selection_present() and entry.index("sel.first") == 0 and entry.index("sel.last") == len("some words")
