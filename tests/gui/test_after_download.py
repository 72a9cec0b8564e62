"""After a download: Open and Show in folder, through the desktop's own tools.
A stand-in ``xdg-open`` on PATH records what the app asked the desktop to do."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import pump_until

pytestmark = pytest.mark.gui


def fake_tool(folder: Path, name: str, record: Path) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def recorded(app, record: Path, lines: int) -> list[str]:
    pump_until(app.root, lambda: record.exists() and len(record.read_text().splitlines()) >= lines, what="the desktop tool to run")
    return record.read_text().splitlines()


def test_open_and_show_in_folder_after_a_download(app, server, library, downloads, tmp_path, monkeypatch):
    record = tmp_path / "asked.txt"
    fake_tool(tmp_path / "bin", "xdg-open", record)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    (library / "report.pdf").write_bytes(b"%PDF-1.4")
    app.connect(server)
    app.wait_for_names({"report.pdf"})
    actions = app.window.download_actions
    assert not actions.winfo_ismapped()  # nothing downloaded yet: nothing to open
    app.select("report.pdf")
    app.window.download_button.invoke()
    app.wait_for_state("report.pdf", State.DONE)
    app.pump_until(lambda: actions.winfo_ismapped(), what="Open and Show in folder")
    actions.open_button.invoke()
    assert recorded(app, record, 1) == [str(downloads / "report.pdf")]
    actions.show_button.invoke()
    assert recorded(app, record, 2)[1] == str(downloads)


def test_no_desktop_tool_is_a_sentence(app, server, library, downloads, tmp_path, monkeypatch):
    (library / "a.txt").write_bytes(b"a")
    app.connect(server)
    app.wait_for_names({"a.txt"})
    app.select("a.txt")
    app.window.download_button.invoke()
    app.wait_for_state("a.txt", State.DONE)
    app.pump_until(lambda: app.window.download_actions.winfo_ismapped(), what="Open and Show in folder")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    app.window.download_actions.open_button.invoke()
    assert "No application to open a.txt" in app.status_message()


def test_the_actions_follow_a_file_of_a_subfolder_and_a_whole_folder(app, server, library, downloads):
    (library / "docs" / "old").mkdir(parents=True)
    (library / "docs" / "notes.txt").write_bytes(b"notes")
    (library / "docs" / "old" / "a.txt").write_bytes(b"a")
    app.connect(server)
    app.wait_for_names({"docs"})
    app.window.controller.go_to("docs")
    app.wait_for_names({"notes.txt", "old"})
    actions = app.window.download_actions
    app.select("notes.txt")  # through the batched queue, by its path on the server
    app.window.download_button.invoke()
    app.wait_for_state("notes.txt", State.DONE)
    app.pump_until(lambda: actions.path == downloads / "notes.txt", what="the actions to name the file")
    assert (downloads / "notes.txt").read_bytes() == b"notes"
    app.select("old")
    app.window.download_button.invoke()
    app.wait_for_state("old/", State.DONE)
    app.pump_until(lambda: actions.path == downloads / "old", what="the actions to name the folder")
    assert (downloads / "old" / "a.txt").read_bytes() == b"a"
