"""The window against the real server: connect, list, sort, filter, download,
upload through the picker, and both conflict prompts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.transfers import State
from ferry_files.shared.local_names import DestinationRules

from tests.gui.conftest import sha256_of

pytestmark = pytest.mark.gui


def make_files(library: Path, files: dict[str, bytes], mtimes: dict[str, float] | None = None) -> None:
    for name, content in files.items():
        (library / name).write_bytes(content)
        if mtimes and name in mtimes:
            os.utime(library / name, (mtimes[name], mtimes[name]))


def test_connect_shows_the_servers_files(app, server, library):
    make_files(library, {"notes.txt": b"hello", "photo.png": b"x" * 2048, "song.mp3": b"y" * 10})
    assert app.root.title().startswith("Ferry")
    assert "Not connected" in str(app.window.file_view.empty.cget("text"))
    app.connect(server)
    app.wait_for_names({"notes.txt", "photo.png", "song.mp3"})
    assert app.root.title().startswith("Ferry")
    tree = app.window.file_view.tree
    first = tree.get_children("")[0]
    assert tree.item(first, "text") == "notes.txt"
    assert tree.item(first, "values")[0] == "5 B"
    assert tree.item(tree.get_children("")[1], "values")[0] == "2.0 KiB"
    assert tree.item(first, "image")  # an icon per file kind
    assert "3 files" in str(app.window.status.files.cget("text"))
    assert "Connected to" in str(app.window.status.server.cget("text"))
    assert not app.window.file_view.empty.winfo_ismapped()


def test_empty_library_says_so_in_words(app, server):
    app.connect(server)
    app.pump_until(lambda: "No files on the server" in str(app.window.file_view.empty.cget("text")), what="the empty state")


def test_unreachable_server_is_a_sentence(app, server):
    server.stop()
    app.connect(server)
    assert app.window.controller.state == "failed"
    assert "No server answers" in app.status_message()
    assert "Traceback" not in app.status_message()
    assert "No server answers" in str(app.window.file_view.empty.cget("text"))


def test_sort_by_each_column_and_filter(app, server, library):
    make_files(
        library,
        {"b-medium.txt": b"x" * 500, "a-big.bin": b"x" * 5000, "C-small.txt": b"x", "d-photo.jpg": b"x" * 50},
        mtimes={"b-medium.txt": 1_000_000, "a-big.bin": 3_000_000, "C-small.txt": 2_000_000, "d-photo.jpg": 4_000_000},
    )
    app.connect(server)
    app.wait_for_names({"b-medium.txt", "a-big.bin", "C-small.txt", "d-photo.jpg"})
    assert app.shown_names() == ["a-big.bin", "b-medium.txt", "C-small.txt", "d-photo.jpg"]  # by name, case-insensitive
    tree = app.window.file_view.tree

    def click_heading(column: str) -> None:
        tree.heading(column, "command")  # the command is registered...
        app.root.tk.call(tree.heading(column, "command"))  # ...and runs like a click
        app.root.update()

    click_heading("size")
    assert app.shown_names() == ["a-big.bin", "b-medium.txt", "d-photo.jpg", "C-small.txt"]  # largest first
    assert "▼" in tree.heading("size", "text")
    click_heading("size")
    assert app.shown_names() == ["C-small.txt", "d-photo.jpg", "b-medium.txt", "a-big.bin"]
    click_heading("mtime")
    assert app.shown_names() == ["d-photo.jpg", "a-big.bin", "C-small.txt", "b-medium.txt"]  # newest first
    click_heading("#0")
    assert app.shown_names() == ["a-big.bin", "b-medium.txt", "C-small.txt", "d-photo.jpg"]

    entry = app.window.filter_entry
    entry.focus_force()
    for key in "TXT":  # typed with the keyboard, narrowing as it goes
        entry.event_generate("<KeyPress>", keysym=key, when="tail")
    app.pump_until(lambda: app.window.filter_text.get() == "TXT", what="the typed filter")
    assert app.shown_names() == ["b-medium.txt", "C-small.txt"]
    assert "2 of 4 files" in str(app.window.status.files.cget("text"))
    app.window.filter_text.set("nothing-like-this")
    app.root.update()
    assert app.shown_names() == []
    assert "No files match" in str(app.window.file_view.empty.cget("text"))
    app.window.filter_text.set("")
    app.root.update()
    assert len(app.shown_names()) == 4


def test_download_button_progress_reaches_100_and_sha256_matches(app, server, library, downloads):
    content = os.urandom(3 * 1024 * 1024 + 17)
    make_files(library, {"data.bin": content, "other.txt": b"not this one"})
    app.connect(server)
    app.wait_for_names({"data.bin", "other.txt"})
    app.select("data.bin")
    assert "disabled" not in app.window.download_button.state()
    app.window.download_button.invoke()
    row = app.wait_for_state("data.bin", State.DONE, State.FAILED)
    assert row.view.state is State.DONE, row.view.error
    assert float(row.progress.cget("value")) == 100
    assert row.percent.cget("text") == "100%"
    assert sha256_of(downloads / "data.bin") == sha256_of(library / "data.bin")
    assert sorted(os.listdir(downloads)) == ["data.bin"]  # no .part left, nothing else fetched


def test_enter_and_double_click_download_several_files(app, server, library, downloads):
    make_files(library, {f"f{i}.txt": f"file {i}".encode() for i in range(5)})
    app.connect(server)
    app.wait_for_names({f"f{i}.txt" for i in range(5)})
    app.select("f0.txt", "f1.txt", "f2.txt")
    tree = app.window.file_view.tree
    tree.focus_force()
    tree.event_generate("<Return>")
    for name in ("f0.txt", "f1.txt", "f2.txt"):
        assert app.wait_for_state(name, State.DONE).view.state is State.DONE
    app.select("f4.txt")
    x, y = 30, int(tree.bbox(tree.selection()[0])[1]) + 5
    for _ in range(2):  # two quick clicks on the row: Tk turns them into <Double-1>
        tree.event_generate("<ButtonPress-1>", x=x, y=y)
        tree.event_generate("<ButtonRelease-1>", x=x, y=y)
    app.wait_for_state("f4.txt", State.DONE)
    assert sorted(os.listdir(downloads)) == ["f0.txt", "f1.txt", "f2.txt", "f4.txt"]
    assert (downloads / "f4.txt").read_bytes() == b"file 4"


def test_upload_through_the_picker_refreshes_the_list(app, server, library, tmp_path, monkeypatch):
    sources = tmp_path / "to send"
    sources.mkdir()
    paths = []
    for name, size in (("report {final}.pdf", 70_000), ("a b.txt", 5)):
        path = sources / name
        path.write_bytes(os.urandom(size))
        paths.append(str(path))
    asked = []

    def picker(parent, initial_dir=None):
        asked.append(parent)
        return paths

    monkeypatch.setattr(os_dialogs, "ask_open_files", picker)
    app.connect(server)
    app.window.upload_button.invoke()
    assert asked == [app.root]
    for path in paths:
        assert app.wait_for_state(Path(path).name, State.DONE).view.state is State.DONE
        assert sha256_of(library / Path(path).name) == sha256_of(Path(path))
    app.wait_for_names({"report {final}.pdf", "a b.txt"})  # the list refreshed itself


def test_ctrl_u_opens_the_picker(app, server, monkeypatch):
    opened = []
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: opened.append(1) or [])
    app.connect(server)
    app.root.focus_force()
    app.window.file_view.tree.focus_force()
    app.root.update()
    app.window.file_view.tree.event_generate("<Control-u>")
    app.pump_until(lambda: opened, what="the picker")


def test_download_conflicts_overwrite_keep_both_skip(app, server, library, downloads):
    make_files(library, {"a.txt": b"new a", "b.txt": b"new b", "c.txt": b"new c", "d.txt": b"new d"})
    for name in ("a.txt", "b.txt", "c.txt"):
        (downloads / name).write_bytes(b"old " + name.encode())
    app.connect(server)
    app.wait_for_names({"a.txt", "b.txt", "c.txt", "d.txt"})
    app.select("a.txt", "b.txt", "c.txt", "d.txt")
    app.window.download_button.invoke()
    dialog = app.pump_until(lambda: app.window.dialog, what="the first question")
    assert dialog.conflict.name == "a.txt" and dialog.conflict.remaining == 3
    app.answer_conflict("overwrite")
    app.answer_conflict("keep_both")
    app.answer_conflict("skip")
    assert app.window.dialog is None
    for name in ("a.txt", "b (1).txt", "d.txt"):
        app.wait_for_state(name, State.DONE)
    assert (downloads / "a.txt").read_bytes() == b"new a"
    assert (downloads / "b.txt").read_bytes() == b"old b.txt"
    assert (downloads / "b (1).txt").read_bytes() == b"new b"
    assert (downloads / "c.txt").read_bytes() == b"old c.txt"
    assert (downloads / "d.txt").read_bytes() == b"new d"
    assert app.row("c.txt") is None  # skipped: never queued


def test_files_before_a_conflict_download_while_it_waits_for_an_answer(app, server, library, downloads):
    """What is decided is queued at once: the files ahead of a conflict arrive
    while its question is on screen, as in FileZilla's queue."""
    make_files(library, {"a.txt": b"new a", "b.txt": b"new b", "c.txt": b"new c", "d.txt": b"new d"})
    (downloads / "c.txt").write_bytes(b"old c")
    app.connect(server)
    app.wait_for_names({"a.txt", "b.txt", "c.txt", "d.txt"})
    app.select("a.txt", "b.txt", "c.txt", "d.txt")
    app.window.download_button.invoke()
    dialog = app.pump_until(lambda: app.window.dialog, what="the question about c.txt")
    assert dialog.conflict.name == "c.txt"
    app.wait_for_state("a.txt", State.DONE)
    app.wait_for_state("b.txt", State.DONE)
    assert app.row("d.txt") is None  # after the question: not decided yet
    app.answer_conflict("skip")
    app.wait_for_state("d.txt", State.DONE)
    assert (downloads / "c.txt").read_bytes() == b"old c" and app.row("c.txt") is None
    assert sorted(os.listdir(downloads)) == ["a.txt", "b.txt", "c.txt", "d.txt"]


def test_download_conflict_apply_to_all(app, server, library, downloads):
    make_files(library, {"x.txt": b"new x", "y.txt": b"new y"})
    for name in ("x.txt", "y.txt"):
        (downloads / name).write_bytes(b"old")
    app.connect(server)
    app.wait_for_names({"x.txt", "y.txt"})
    app.select("x.txt", "y.txt")
    app.window.download_button.invoke()
    app.answer_conflict("keep_both", apply_to_all=True)
    assert app.window.dialog is None  # one question for both
    app.wait_for_state("x (1).txt", State.DONE)
    app.wait_for_state("y (1).txt", State.DONE)
    assert sorted(os.listdir(downloads)) == ["x (1).txt", "x.txt", "y (1).txt", "y.txt"]


def test_download_of_twins_into_a_folder_that_ignores_case_asks(app, server, library, downloads):
    """A Windows-like download folder, simulated by its rules: "Report.txt" and
    "report.txt" are one file there, so the second asks instead of replacing."""
    make_files(library, {"Report.txt": b"upper", "report.txt": b"lower", "notes.txt": b"new notes"})
    (downloads / "NOTES.TXT").write_bytes(b"my notes")
    app.window.controller.destination_rules = lambda folder: DestinationRules(case_insensitive=True)
    app.connect(server)
    app.wait_for_names({"Report.txt", "report.txt", "notes.txt"})
    app.select("Report.txt", "report.txt", "notes.txt")
    app.window.download_button.invoke()
    dialog = app.pump_until(lambda: app.window.dialog, what="the first question")
    assert (dialog.conflict.name, dialog.conflict.other, dialog.conflict.in_batch) == ("notes.txt", "NOTES.TXT", False)
    shown = [w.cget("text") for w in dialog.winfo_children()[0].winfo_children() if w.winfo_class() == "TLabel"]
    assert shown[0] == f"“notes.txt” would be the same file as “NOTES.TXT” in {downloads}."
    assert shown[1].startswith("The folder ignores case, so one would replace the other.")
    app.answer_conflict("keep_both")
    dialog = app.pump_until(lambda: app.window.dialog, what="the second question")
    assert (dialog.conflict.name, dialog.conflict.other, dialog.conflict.in_batch) == ("report.txt", "Report.txt", True)
    app.answer_conflict("keep_both")
    for name in ("Report.txt", "report (1).txt", "notes (1).txt"):
        app.wait_for_state(name, State.DONE)
    assert {p.name: p.read_bytes() for p in downloads.iterdir()} == {
        "NOTES.TXT": b"my notes",
        "notes (1).txt": b"new notes",
        "Report.txt": b"upper",
        "report (1).txt": b"lower",
    }


def test_upload_conflicts_overwrite_keep_both_skip(app, server, library, tmp_path, monkeypatch):
    make_files(library, {"one.txt": b"server one", "two.txt": b"server two", "three.txt": b"server three"})
    local = tmp_path / "local"
    local.mkdir()
    for name in ("one.txt", "two.txt", "three.txt"):
        (local / name).write_bytes(b"local " + name.encode())
    monkeypatch.setattr(
        os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(local / n) for n in ("one.txt", "two.txt", "three.txt")]
    )
    app.connect(server)
    app.wait_for_names({"one.txt", "two.txt", "three.txt"})
    app.window.upload_button.invoke()
    dialog = app.pump_until(lambda: app.window.dialog, what="the question")
    assert dialog.conflict.where == "on the server"
    app.answer_conflict("overwrite")
    app.answer_conflict("keep_both")
    app.answer_conflict("skip")
    app.wait_for_state("one.txt", State.DONE)
    app.wait_for_state("two (1).txt", State.DONE)
    app.wait_for_names({"one.txt", "two.txt", "two (1).txt", "three.txt"})
    assert (library / "one.txt").read_bytes() == b"local one.txt"
    assert (library / "two.txt").read_bytes() == b"server two"
    assert (library / "two (1).txt").read_bytes() == b"local two.txt"
    assert (library / "three.txt").read_bytes() == b"server three"


def test_image_selection_shows_a_thumbnail(app, server, library):
    from PIL import Image

    Image.new("RGB", (800, 400), (200, 30, 30)).save(library / "red.png")
    make_files(library, {"plain.txt": b"text"})
    app.connect(server)
    app.wait_for_names({"red.png", "plain.txt"})
    app.select("red.png")
    view = app.window.file_view
    app.pump_until(lambda: view._photo is not None, what="the thumbnail")
    assert view._photo.width() <= view.preview_size and view._photo.height() <= view.preview_size
    assert view._photo.width() == view.preview_size  # scaled down keeping the aspect ratio
    app.select("plain.txt")
    assert view._photo is None
    assert "plain.txt" in str(view.preview_caption.cget("text"))


def test_download_folder_is_chosen_and_remembered(app, server, library, tmp_path, monkeypatch, settings_path):
    chosen = tmp_path / "elsewhere"
    monkeypatch.setattr(os_dialogs, "ask_directory", lambda parent, initial_dir=None: str(chosen))
    make_files(library, {"k.txt": b"k"})
    app.connect(server)
    app.window.folder_button.invoke()
    app.wait_for_names({"k.txt"})
    app.select("k.txt")
    app.window.download_button.invoke()
    app.wait_for_state("k.txt", State.DONE)
    assert (chosen / "k.txt").read_bytes() == b"k"
    import json

    saved = json.loads(settings_path.read_text())
    assert saved["download_dir"] == str(chosen)
    assert saved["port"] == server.port  # the last server is remembered too


def test_token_field(app, server_factory, library, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    server = server_factory("--workers", "2", "--token-file", str(token_file))
    (library / "private.txt").write_bytes(b"p")
    app.connect(server, token="wrong")
    assert app.window.controller.state == "failed"
    assert "token" in app.status_message()
    assert "s3cret" not in app.window.settings_path.read_text()
    app.connect(server, token="s3cret-token")
    app.wait_for_names({"private.txt"})
    assert str(app.window.connect_bar.token_entry.cget("show")) == "•"
    assert "s3cret" not in app.window.settings_path.read_text()  # never written to disk


def test_f5_refreshes_and_disconnect_empties_the_list(app, server, library):
    (library / "first.txt").write_bytes(b"1")
    app.connect(server)
    app.wait_for_names({"first.txt"})
    (library / "second.txt").write_bytes(b"2")
    tree = app.window.file_view.tree
    tree.focus_force()
    app.root.update()
    tree.event_generate("<F5>")
    app.wait_for_names({"first.txt", "second.txt"})
    app.window.connect_bar.button.invoke()  # Disconnect
    app.root.update()
    assert app.shown_names() == []
    assert app.window.connect_bar.button.cget("text") == "Connect"
    assert "Not connected" in str(app.window.file_view.empty.cget("text"))
    assert app.root.title() == "Ferry"
