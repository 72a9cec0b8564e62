"""The Settings dialog: theme (light, dark, the desktop's), scaling, download
folder and transfers at once, applied on OK and saved; Cancel changes nothing."""

from __future__ import annotations

import json
from tkinter import ttk

import pytest
from ferry_files.gui_client import os_dialogs

from tests.gui.fake_dialogs import FakePrograms

pytestmark = pytest.mark.gui


def open_dialog(app):
    app.root.focus_force()
    app.window.settings_button.invoke()
    return app.pump_until(lambda: app.window.settings_dialog, what="the settings dialog")


def test_ok_applies_and_saves_every_setting(app, settings_path, tmp_path, monkeypatch):
    style = ttk.Style(app.root)
    row = style.lookup("Treeview", "rowheight")
    dialog = open_dialog(app)
    assert (dialog.theme.get(), dialog.scaling.get(), dialog.max_parallel.get()) == ("Light", "Automatic (from the screen)", 3)
    assert dialog.download_dir.get() == app.window.settings.download_dir
    chosen = tmp_path / "new downloads"
    monkeypatch.setattr(os_dialogs, "ask_directory", lambda parent, initial_dir=None: str(chosen))
    dialog.folder_button.invoke()
    dialog.theme_box.set("Dark")
    dialog.scaling_box.set("150%")
    dialog.max_parallel.set(5)
    dialog.ok_button.invoke()
    app.root.update()
    assert app.window.settings_dialog is None and not dialog.winfo_exists()
    assert style.theme_use() == "sun-valley-dark"
    assert style.lookup("Treeview", "rowheight") == row  # the app's row height survives the theme change
    assert app.window.transfers_panel.parallel.get() == 5
    assert app.window.controller.settings.max_parallel == 5
    assert str(app.window.folder_label.cget("text")).endswith("new downloads")
    assert "applies when Ferry starts again" in app.status_message()
    saved = json.loads(settings_path.read_text())
    assert (saved["theme"], saved["scaling"], saved["max_parallel"], saved["download_dir"]) == ("dark", 1.5, 5, str(chosen))


def test_cancel_and_escape_change_nothing(app, settings_path):
    before = settings_path.read_text()
    dialog = open_dialog(app)
    app.window.settings_button.invoke()  # a second click raises the same dialog
    assert app.window.settings_dialog is dialog
    assert [w for w in app.root.winfo_children() if w.winfo_class() == "Toplevel" and w.winfo_exists()] == [dialog]
    dialog.theme_box.set("Dark")
    dialog.max_parallel.set(7)
    dialog.event_generate("<Escape>")
    app.root.update()
    assert not dialog.winfo_exists() and ttk.Style(app.root).theme_use() == "sun-valley-light"
    assert app.window.controller.settings.max_parallel == 3
    assert settings_path.read_text() == before


def test_follow_the_system_asks_the_desktop(app, settings_path, tmp_path, monkeypatch):
    fakes = FakePrograms(tmp_path / "bin")
    fakes.install("gsettings")
    fakes.answer("'prefer-dark'\n")
    monkeypatch.setenv("PATH", str(fakes.folder))
    dialog = open_dialog(app)
    dialog.theme_box.set("Follow the system")
    dialog.ok_button.invoke()
    app.root.update()
    assert ttk.Style(app.root).theme_use() == "sun-valley-dark"
    assert fakes.calls() == [["gsettings", "get", "org.gnome.desktop.interface", "color-scheme"]]
    assert json.loads(settings_path.read_text())["theme"] == "system"
