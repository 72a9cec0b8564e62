"""The file dialogs: the XDG portal through gdbus, zenity, kdialog (each a
fake program on $PATH) and Tk's own dialog (driven through its widgets); all
start in the user's home, names with spaces and emoji come through whole, and
the window keeps running while a dialog is open."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ferry_files.gui_client import os_dialogs

from tests.gui.fake_dialogs import FakePrograms
from tests.gui.second_screen import hidpi_app, hidpi_display  # noqa: F401 (fixtures)

pytestmark = pytest.mark.gui

NAMES = ["my file 🎉.txt", "b.txt"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "home of üser"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch) -> FakePrograms:
    """$PATH holds only the fake programs the test installs; no session bus."""
    programs = FakePrograms(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(programs.folder))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    return programs


class TkWatch:
    """Counts Tk timer ticks while a dialog is open (the window must stay alive),
    and cancels Tk's own file dialog if it ever appears (a test that expects a
    native dialog must not hang on Tk's)."""

    def __init__(self, root) -> None:
        self.root, self.ticks, self.tk_dialog_seen = root, 0, False
        root.after(20, self._tick)

    def _tick(self) -> None:
        self.ticks += 1
        if self.root.winfo_exists() and self.root.tk.call("winfo", "exists", ".__tk_filedialog"):
            if self.root.tk.call("winfo", "ismapped", ".__tk_filedialog"):
                self.tk_dialog_seen = True
                self.root.tk.eval("$::tk::dialog::file::__tk_filedialog(cancelBtn) invoke")
        self.root.after(20, self._tick)


def test_zenity_starts_in_home_and_returns_names_with_spaces_and_emoji(app, home, fakes):
    fakes.install("zenity")
    fakes.answer("".join(f"{home}/{n}\n" for n in NAMES))
    watch = TkWatch(app.root)
    chosen = os_dialogs.ask_open_files(app.root)
    assert chosen == [f"{home}/{n}" for n in NAMES]
    (call,) = fakes.calls()
    assert call[:2] == ["zenity", "--file-selection"]
    assert f"--filename={home}/" in call and "--multiple" in call and "--separator=\n" in call
    assert watch.ticks >= 5 and not watch.tk_dialog_seen  # Tk ran during the 0.4 s the dialog was open


def test_cancel_in_zenity_is_no_files_and_no_second_dialog(app, home, fakes):
    fakes.install("zenity")
    fakes.answer("", status=1)
    watch = TkWatch(app.root)
    assert os_dialogs.ask_open_files(app.root) == []
    assert os_dialogs.ask_directory(app.root, str(home)) is None
    assert not watch.tk_dialog_seen


def test_kdialog_first_on_kde_for_the_download_folder(app, home, fakes, monkeypatch):
    fakes.install("zenity")
    fakes.install("kdialog")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    fakes.answer(f"{home}/new folder ✨\n")
    assert os_dialogs.ask_directory(app.root, "/no/such/folder") == f"{home}/new folder ✨"
    assert fakes.calls() == [["kdialog", "--title", "Save downloads to", "--getexistingdirectory", str(home)]]


def test_portal_through_gdbus_gives_the_chosen_files(app, home, fakes, monkeypatch):
    fakes.install("gdbus")
    fakes.install("zenity")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    uris = ", ".join(f"'file://{home}/{n}'".replace(" ", "%20").replace("🎉", "%F0%9F%8E%89").replace("ü", "%C3%BC") for n in NAMES)
    fakes.answer(f"(uint32 0, {{'uris': <[{uris}]>, 'choices': <@a(ss) []>}})")
    watch = TkWatch(app.root)
    assert os_dialogs.ask_open_files(app.root) == [f"{home}/{n}" for n in NAMES]
    (call,) = fakes.calls()  # zenity was not needed
    assert call[:2] == ["gdbus", "call"] and "org.freedesktop.portal.FileChooser.OpenFile" in call
    assert call[-2] == "Upload files to the server"
    assert "'multiple': <true>" in call[-1] and f"'current_folder': <b'{home}'>" in call[-1]
    assert watch.ticks >= 5 and not watch.tk_dialog_seen


def test_no_portal_falls_back_to_zenity(app, home, fakes, monkeypatch):
    fakes.install("gdbus")
    fakes.install("zenity")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    fakes.answer("", status=1)  # gdbus call fails (no portal); zenity then cancels
    assert os_dialogs.ask_open_files(app.root) == []
    assert [c[0] for c in fakes.calls()] == ["gdbus", "zenity"]


def test_tk_dialog_starts_in_home_and_a_typed_name_with_spaces_is_one_file(app, home, fakes):
    folder = home / "to send"
    folder.mkdir()
    wanted = folder / "a b {c}.txt"
    wanted.write_text("x")
    (folder / "a").write_text("a decoy the split name would pick")
    seen: dict[str, str] = {}

    def drive() -> None:
        tk = app.root.tk
        if not (tk.call("winfo", "exists", ".__tk_filedialog") and tk.call("winfo", "ismapped", ".__tk_filedialog")):
            app.root.after(50, drive)
            return
        seen["start"] = tk.eval("set ::tk::dialog::file::__tk_filedialog(selectPath)")
        entry = tk.eval("set ::tk::dialog::file::__tk_filedialog(ent)")
        tk.call(entry, "delete", 0, "end")
        tk.call(entry, "insert", 0, "to send/a b {c}.txt")
        app.root.after(3000, give_up)
        tk.eval("$::tk::dialog::file::__tk_filedialog(okBtn) invoke")  # OK (a generated Return goes to the focus)

    def give_up() -> None:  # an error box or a dialog left open would hang the test: close them
        tk = app.root.tk
        if "done" in seen:
            return
        if tk.call("winfo", "exists", ".__tk__messagebox"):
            seen["error"] = tk.eval(".__tk__messagebox.msg cget -text")
            tk.eval("set ::tk::Priv(button) ok")  # what its OK button does
        if tk.call("winfo", "exists", ".__tk_filedialog") and tk.call("winfo", "ismapped", ".__tk_filedialog"):
            tk.eval("$::tk::dialog::file::__tk_filedialog(cancelBtn) invoke")
        app.root.after(500, give_up)

    app.root.after(50, drive)
    started = time.monotonic()
    chosen = os_dialogs.ask_open_files(app.root)
    assert time.monotonic() - started < 20
    assert seen.get("start") == str(home), seen
    assert "error" not in seen, seen["error"]
    assert chosen == [str(wanted)]


def test_emoji_in_a_file_name_are_drawn_in_colour_not_as_boxes(hidpi_app, server, library):  # noqa: F811 (a fixture)
    """The list draws an emoji with a colour emoji font (fonts-noto-color-emoji,
    which tools/ensure_system_deps.sh installs): coloured pixels where the 🎉 is.
    A missing glyph is a black-on-white box, the rest of the row is grey text.
    On the second screen: pytest-xvfb's 16-bit one cannot be captured."""
    app = hidpi_app
    from ferry_files.gui_client.theme import body_font
    from PIL import ImageGrab

    (library / "party 🎉 plan.txt").write_bytes(b"x")
    app.root.geometry("+0+0")
    app.connect(server)
    app.wait_for_names({"party 🎉 plan.txt"})
    tree = app.window.file_view.tree
    row = tree.get_children("")[0]
    tree.selection_set(())
    app.root.update()
    x, y, _width, height = tree.bbox(row, "#0")
    font = body_font(app.root)
    start = tree.winfo_rootx() + x + app.window.icons.size + font.measure("party ")
    top = tree.winfo_rooty() + y
    app.pump_until(lambda: app.root.winfo_ismapped(), what="the window on screen")
    shot = ImageGrab.grab(bbox=(start - 4, top, start + 3 * font.measure("🎉") + 24, top + height), xdisplay=app.root.winfo_screen())
    pixels = shot.convert("RGB").tobytes()
    coloured = [pixels[i : i + 3] for i in range(0, len(pixels), 3) if max(pixels[i : i + 3]) - min(pixels[i : i + 3]) > 90]
    assert len(coloured) > 10, "the emoji is not drawn in colour: is a colour emoji font installed (fonts-noto-color-emoji)?"
