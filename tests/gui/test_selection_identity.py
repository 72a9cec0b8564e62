"""Selection, preview and Download follow a file's name, never a row index
(issue 13, defects 2 and 8): a refresh that inserts a row above the selection,
or a filter that hides it, must not make the app act on another file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import pump_for

pytestmark = pytest.mark.gui


def test_download_after_an_upload_refresh_takes_the_selected_files(app, server, library, downloads, tmp_path, monkeypatch):
    for name in ("m1.txt", "m2.txt", "n.txt", "z.txt"):
        (library / name).write_bytes(name.encode())
    app.connect(server)
    app.wait_for_names({"m1.txt", "m2.txt", "n.txt", "z.txt"})
    app.select("m1.txt", "m2.txt")
    first = tmp_path / "a-first.txt"  # sorts before the selection: every row below it moves down one
    first.write_bytes(b"new")
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(first)])
    app.window.upload_button.invoke()
    app.wait_for_state("a-first.txt", State.DONE)
    app.wait_for_names({"a-first.txt", "m1.txt", "m2.txt", "n.txt", "z.txt"})
    assert sorted(app.window.file_view.selected_names()) == ["m1.txt", "m2.txt"]
    tree = app.window.file_view.tree
    assert sorted(tree.item(iid, "text") for iid in tree.selection()) == ["m1.txt", "m2.txt"]
    app.window.download_button.invoke()
    app.wait_for_state("m1.txt", State.DONE)
    app.wait_for_state("m2.txt", State.DONE)
    pump_for(app.root, 0.3)
    assert sorted(os.listdir(downloads)) == ["m1.txt", "m2.txt"]
    assert (downloads / "m1.txt").read_bytes() == b"m1.txt"


def test_a_file_the_filter_hides_is_neither_previewed_nor_downloaded(app, server, library, downloads):
    for name in ("hidden.txt", "shown.txt"):
        (library / name).write_bytes(name.encode())
    app.connect(server)
    app.wait_for_names({"hidden.txt", "shown.txt"})
    app.select("hidden.txt")
    view = app.window.file_view
    assert "hidden.txt" in str(view.preview_caption.cget("text"))
    app.window.filter_text.set("shown")
    app.root.update()
    assert app.shown_names() == ["shown.txt"]
    assert view.selected_names() == []
    assert "hidden.txt" not in str(view.preview_caption.cget("text"))
    assert "disabled" in app.window.download_button.state()
    app.window.download_selected()  # Enter in the list does this even when the button is disabled
    pump_for(app.root, 0.3)
    assert app.rows() == []
    assert os.listdir(downloads) == []


def test_selection_survives_a_refresh_that_removes_a_row_above_it(app, server, library):
    for name in ("a.txt", "b.txt", "c.txt"):
        (library / name).write_bytes(b"x")
    app.connect(server)
    app.wait_for_names({"a.txt", "b.txt", "c.txt"})
    app.select("b.txt")
    (library / "a.txt").unlink()
    app.window.refresh_button.invoke()
    app.wait_for_names({"b.txt", "c.txt"})
    app.root.update()
    assert app.window.file_view.selected_names() == ["b.txt"]
    assert "b.txt" in str(app.window.file_view.preview_caption.cget("text"))
    assert Path(str(app.window.file_view.preview_caption.cget("text")).splitlines()[0]).name == "b.txt"
