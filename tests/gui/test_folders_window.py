"""Folders and file management in the window, against the real server: the path
bar, opening and leaving folders, whole-folder transfers both ways, new folder,
rename in place, delete with a confirmation, move by dragging, the context menu,
and a version 1.0 server (no folder UI) and one without ``manage``."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.formatting import human_size
from ferry_files.gui_client.transfers import State

from tests.fake_server import EvilServer, header
from tests.gui.conftest import continue_workers, sha256_of, stop_workers

pytestmark = pytest.mark.gui


def make_tree(library: Path) -> None:
    (library / "photos" / "2024").mkdir(parents=True)
    (library / "photos" / "beach.jpg").write_bytes(b"j" * 3000)
    (library / "photos" / "2024" / "snow.png").write_bytes(b"p" * 1000)
    (library / "zeta.txt").write_bytes(b"zeta")
    (library / "alpha.txt").write_bytes(b"alpha")


def connect_to_tree(app, server, library) -> None:
    make_tree(library)
    app.connect(server)
    app.wait_for_names({"photos", "alpha.txt", "zeta.txt"})


def key(app, sequence: str) -> None:
    tree = app.window.file_view.tree
    tree.focus_force()
    app.root.update()
    tree.event_generate(sequence)
    app.root.update()


def crumbs(app) -> list[str]:
    return [str(button.cget("text")) for button in app.window.path_bar.buttons]


def test_folders_come_first_with_their_icon_and_open_with_enter_then_backspace_and_alt_up(app, server, library):
    connect_to_tree(app, server, library)
    tree = app.window.file_view.tree
    assert app.shown_names() == ["photos", "alpha.txt", "zeta.txt"]  # folders first
    first = tree.get_children("")[0]
    assert tree.item(first, "image")[0] == str(app.window.icons.kind("folder"))
    assert tree.item(first, "values")[0] == ""  # a folder has no size
    assert crumbs(app) == ["Library"]

    app.select("photos")
    key(app, "<Return>")
    app.wait_for_names({"2024", "beach.jpg"})
    assert crumbs(app) == ["Library", "photos"]
    assert app.rows() == []  # Enter on a folder opens it: nothing downloaded

    app.select("2024")
    key(app, "<Return>")
    app.wait_for_names({"snow.png"})
    assert crumbs(app) == ["Library", "photos", "2024"]
    key(app, "<BackSpace>")
    app.wait_for_names({"2024", "beach.jpg"})
    assert app.window.file_view.selected_names() == ["2024"]  # back where we came from
    key(app, "<Alt-Up>")
    app.wait_for_names({"photos", "alpha.txt", "zeta.txt"})

    app.window.path_bar.buttons[0].invoke()  # a crumb goes straight there
    app.window.controller.go_to("photos/2024")
    app.wait_for_names({"snow.png"})
    app.window.path_bar.buttons[1].invoke()
    app.wait_for_names({"2024", "beach.jpg"})


def test_double_click_opens_a_folder(app, server, library):
    connect_to_tree(app, server, library)
    tree = app.window.file_view.tree
    app.select("photos")
    x, y = 30, int(tree.bbox(tree.selection()[0])[1]) + 5
    for _ in range(2):
        tree.event_generate("<ButtonPress-1>", x=x, y=y)
        tree.event_generate("<ButtonRelease-1>", x=x, y=y)
    app.wait_for_names({"2024", "beach.jpg"})


def test_download_a_folder_and_files_of_a_subfolder_keep_the_server_mtime(app, server, library, downloads):
    connect_to_tree(app, server, library)
    os.utime(library / "photos" / "beach.jpg", (1_600_000_000, 1_600_000_000))
    app.select("photos", "alpha.txt")
    app.window.download_button.invoke()
    assert app.wait_for_state("photos/", State.DONE, State.FAILED).view.state is State.DONE
    app.wait_for_state("alpha.txt", State.DONE)
    assert sha256_of(downloads / "photos" / "2024" / "snow.png") == sha256_of(library / "photos" / "2024" / "snow.png")
    assert (downloads / "photos" / "beach.jpg").stat().st_mtime == 1_600_000_000
    assert (downloads / "alpha.txt").read_bytes() == b"alpha"

    app.window.controller.go_to("photos")
    app.wait_for_names({"2024", "beach.jpg"})
    (downloads / "beach.jpg").unlink(missing_ok=True)
    app.select("beach.jpg")
    app.window.download_button.invoke()
    app.wait_for_state("beach.jpg", State.DONE)
    assert (downloads / "beach.jpg").read_bytes() == b"j" * 3000
    assert (downloads / "beach.jpg").stat().st_mtime == 1_600_000_000


def test_upload_folder_button_sends_the_tree_into_the_folder_shown(app, server, library, tmp_path, monkeypatch):
    source = tmp_path / "album"
    (source / "inner").mkdir(parents=True)
    (source / "one.txt").write_bytes(b"1" * 100)
    (source / "inner" / "two.txt").write_bytes(b"2" * 200)
    monkeypatch.setattr(os_dialogs, "ask_upload_folder", lambda parent, initial_dir=None: str(source))
    connect_to_tree(app, server, library)
    app.window.controller.go_to("photos")
    app.wait_for_names({"2024", "beach.jpg"})
    app.window.upload_folder_button.invoke()
    assert app.wait_for_state("album/", State.DONE, State.FAILED).view.state is State.DONE
    assert (library / "photos" / "album" / "inner" / "two.txt").read_bytes() == b"2" * 200
    app.wait_for_names({"2024", "beach.jpg", "album"})  # the list refreshed itself


def test_a_dropped_folder_uploads_as_a_tree_not_as_an_error(app, server, library, tmp_path):
    """Defect 9: a dropped folder said "Not uploaded: ...: not a file"."""
    source = tmp_path / "dropped"
    (source / "deep").mkdir(parents=True)
    (source / "deep" / "x.bin").write_bytes(os.urandom(5000))
    app.connect(server)
    app.window.controller.upload([str(source)])  # what a drop calls with the dropped paths
    app.root.update()
    assert "not a file" not in app.status_message()
    assert app.wait_for_state("dropped/", State.DONE, State.FAILED).view.state is State.DONE
    assert sha256_of(library / "dropped" / "deep" / "x.bin") == sha256_of(source / "deep" / "x.bin")


def test_new_folder_then_rename_in_place_with_f2(app, server, library):
    connect_to_tree(app, server, library)
    app.window.new_folder_button.invoke()
    editor = app.pump_until(lambda: app.window.commands.rename_editor, what="the name editor on the new folder")
    assert (library / "New folder").is_dir()
    assert editor.get() == "New folder" and editor.selection_present()
    editor.delete(0, "end")
    editor.insert(0, "Trips")
    editor.event_generate("<Return>")
    app.wait_for_names({"photos", "Trips", "alpha.txt", "zeta.txt"})
    assert (library / "Trips").is_dir() and not (library / "New folder").exists()

    app.select("alpha.txt")
    key(app, "<F2>")
    editor = app.pump_until(lambda: app.window.commands.rename_editor, what="the name editor")
    assert editor.selection_get() == "alpha"  # the name without its extension, ready to type over
    editor.delete(0, "end")
    editor.insert(0, "zeta.txt")  # taken: said, not sent
    editor.event_generate("<Return>")
    app.root.update()
    assert "already exists" in app.status_message()
    editor = app.window.commands.rename_editor
    editor.delete(0, "end")
    editor.insert(0, "beta.txt")
    editor.event_generate("<Return>")
    app.wait_for_names({"photos", "Trips", "beta.txt", "zeta.txt"})
    assert app.window.file_view.selected_names() == ["beta.txt"]
    key(app, "<F2>")
    app.window.commands.rename_editor.event_generate("<Escape>")
    app.root.update()
    assert app.window.commands.rename_editor is None and (library / "beta.txt").exists()


def test_delete_asks_with_the_count_and_size_then_deletes_folders_and_files(app, server, library):
    connect_to_tree(app, server, library)
    app.select("photos", "zeta.txt")
    key(app, "<Delete>")
    dialog = app.pump_until(lambda: app.window.question, what="the confirmation")
    text = dialog.message_text()
    assert "3 files" in text and "2 folders" in text and human_size(4004) in text, text  # 3000 + 1000 + 4 bytes
    dialog.no_button.invoke()
    app.root.update()
    assert (library / "photos").exists() and (library / "zeta.txt").exists()

    key(app, "<Delete>")
    dialog = app.pump_until(lambda: app.window.question, what="the confirmation")
    assert app.root.focus_get() == dialog.default_button
    dialog.default_button.event_generate("<Return>")
    app.wait_for_names({"alpha.txt"})
    assert sorted(n for n in os.listdir(library) if not n.startswith(".")) == ["alpha.txt"]


def test_drag_files_onto_a_folder_moves_them(app, server, library):
    connect_to_tree(app, server, library)
    tree = app.window.file_view.tree
    app.select("alpha.txt", "zeta.txt")
    source = tree.selection()[0]
    target = tree.get_children("")[0]  # photos
    x = 40
    _, sy, _, sh = tree.bbox(source)
    _, ty, _, th = tree.bbox(target)
    tree.event_generate("<ButtonPress-1>", x=x, y=sy + sh // 2)
    for step in range(1, 6):
        tree.event_generate("<B1-Motion>", x=x, y=sy + sh // 2 + (ty - sy) * step // 5)
    tree.event_generate("<ButtonRelease-1>", x=x, y=ty + th // 2)
    app.wait_for_names({"photos"})
    assert (library / "photos" / "alpha.txt").read_bytes() == b"alpha"
    assert (library / "photos" / "zeta.txt").read_bytes() == b"zeta"


def test_context_menu_and_ctrl_a_act_on_every_selected_entry(app, server, library, downloads):
    connect_to_tree(app, server, library)
    key(app, "<Control-a>")
    assert sorted(app.window.file_view.selected_names()) == ["alpha.txt", "photos", "zeta.txt"]
    menu = app.window.commands.menu
    labels = [menu.entrycget(i, "label") for i in range(menu.index("end") + 1) if menu.type(i) == "command"]
    for wanted in ("Open", "Download", "Rename…", "Delete…", "New folder"):
        assert wanted in labels, labels
    app.window.commands.popup_menu(10, 10)
    assert menu.entrycget(labels.index("Rename…"), "state") == "disabled"  # one entry at a time
    menu.unpost()
    menu.invoke(labels.index("Download"))
    for name in ("photos/", "alpha.txt", "zeta.txt"):
        assert app.wait_for_state(name, State.DONE, State.FAILED).view.state is State.DONE
    assert (downloads / "photos" / "2024" / "snow.png").exists()


def test_a_server_without_manage_offers_no_rename_or_delete(app, server_factory, library):
    make_tree(library)
    app.connect(server_factory("--no-delete"))
    app.wait_for_names({"photos", "alpha.txt", "zeta.txt"})
    app.select("alpha.txt")
    app.window.commands.popup_menu(10, 10)
    menu = app.window.commands.menu
    app.window.commands.menu.unpost()
    states = {menu.entrycget(i, "label"): menu.entrycget(i, "state") for i in range(menu.index("end") + 1) if menu.type(i) == "command"}
    assert states["Rename…"] == "disabled" and states["Delete…"] == "disabled" and states["New folder"] == "normal"
    key(app, "<Delete>")
    assert app.window.question is None and (library / "alpha.txt").exists()


def test_a_version_1_server_shows_no_folder_ui(app):
    listing = b'{"name":"old.txt","size":3,"mtime":1700000000}\n'

    def script(conn: socket.socket, reader) -> None:
        while line := reader.readline():
            if b'"list"' in line:
                conn.sendall(header({"ok": True, "count": 1, "length": len(listing)}) + listing)
            elif b'"quit"' in line:
                conn.sendall(header({"ok": True}))
                return

    evil = EvilServer(script)
    try:
        bar = app.window.connect_bar
        bar.host.set("127.0.0.1")
        bar.port.set(str(evil.address[1]))
        bar.button.invoke()
        app.wait_for_names({"old.txt"})
        assert not app.window.path_bar.winfo_ismapped()
        assert "disabled" in app.window.new_folder_button.state()
        assert "disabled" in app.window.upload_folder_button.state()
    finally:
        app.window.controller.disconnect()
        app.pump_until(lambda: not evil.thread.is_alive(), what="the scripted server to hear quit")
        evil.close()


def test_a_folder_deleted_by_someone_else_shows_its_parent(app, server, library):
    connect_to_tree(app, server, library)
    app.window.controller.go_to("photos/2024")
    app.wait_for_names({"snow.png"})
    for child in (library / "photos" / "2024").iterdir():
        child.unlink()
    (library / "photos" / "2024").rmdir()
    app.window.refresh_button.invoke()
    app.wait_for_names({"beach.jpg"})
    assert crumbs(app) == ["Library", "photos"]
    assert "photos/2024" in app.status_message()


def test_cancel_a_folder_download(app, server, library, downloads):
    (library / "many").mkdir()
    for i in range(50):
        (library / "many" / f"{i}.bin").write_bytes(os.urandom(1000))
    app.connect(server)
    app.wait_for_names({"many"})
    workers = stop_workers(server)
    try:
        app.select("many")
        app.window.download_button.invoke()
        row = app.wait_for_state("many/", State.RUNNING)
        row.button.invoke()  # Cancel
        assert app.wait_for_state("many/", State.CANCELLED, State.FAILED).view.state is State.CANCELLED
    finally:
        continue_workers(workers)


def test_drag_files_onto_a_crumb_of_the_path_bar_moves_them_up(app, server, library):
    connect_to_tree(app, server, library)
    app.window.controller.go_to("photos/2024")
    app.wait_for_names({"snow.png"})
    app.pump_until(lambda: crumbs(app) == ["Library", "photos", "2024"], what="the crumbs")
    tree = app.window.file_view.tree
    app.select("snow.png")
    _, sy, _, sh = tree.bbox(tree.selection()[0])
    crumb = app.window.path_bar.buttons[0]  # Library
    cx, cy = crumb.winfo_rootx() + crumb.winfo_width() // 2, crumb.winfo_rooty() + crumb.winfo_height() // 2
    tree.event_generate("<ButtonPress-1>", x=40, y=sy + sh // 2)
    for step in range(1, 6):
        tree.event_generate("<B1-Motion>", x=40, y=sy + sh // 2 - 10 * step)
    tree.event_generate("<ButtonRelease-1>", x=cx - tree.winfo_rootx(), y=cy - tree.winfo_rooty(), rootx=cx, rooty=cy)
    app.wait_for_names(set())
    assert (library / "snow.png").read_bytes() == b"p" * 1000
