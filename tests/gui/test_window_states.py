"""Defect 8, what the window says while things go wrong: closing during a transfer
asks first; a red "connection lost" goes once a Retry works; the title and the
Upload button follow a failed connect, not the server before it."""

from __future__ import annotations

import os

import pytest
from ferry_files.gui_client import controller as controller_module
from ferry_files.gui_client.transfers import State

from tests.gui.conftest import continue_workers, stop_workers

pytestmark = pytest.mark.gui


def press_close_button(app) -> None:
    """What the window manager runs when the person clicks the title bar's X."""
    app.root.tk.call(app.root.protocol("WM_DELETE_WINDOW"))
    app.root.update()


def test_closing_during_a_transfer_asks_first(app, server, library, downloads):
    (library / "big.bin").write_bytes(os.urandom(1 << 20))
    app.connect(server)
    app.wait_for_names({"big.bin"})
    workers = stop_workers(server)  # the download waits on a frozen server: still running
    try:
        app.select("big.bin")
        app.window.download_button.invoke()
        app.wait_for_state("big.bin", State.RUNNING)
        press_close_button(app)
        dialog = app.pump_until(lambda: app.window.question, what="the question before closing")
        assert "running" in dialog.message_text()
        dialog.no_button.invoke()
        app.root.update()
        assert app.root.winfo_exists() and app.row("big.bin").view.state is State.RUNNING
        press_close_button(app)
        app.pump_until(lambda: app.window.question, what="the question again").yes_button.invoke()
        assert app.window.closed
    finally:
        continue_workers(workers)


def test_closing_with_nothing_running_closes_at_once(app, server):
    app.connect(server)
    press_close_button(app)
    assert app.window.question is None and app.window.closed


def test_a_red_connection_lost_goes_when_a_transfer_gets_through(app, server, library, downloads, monkeypatch):
    """The list lost the server while a transfer waited; the transfer then got
    through. The window said "not connected" in red, and Download stayed off."""
    monkeypatch.setattr(controller_module, "BROWSE_TIMEOUT", 1.0)  # the list gives up fast; the transfer waits
    (library / "file.bin").write_bytes(os.urandom(1 << 20))
    app.connect(server)
    app.wait_for_names({"file.bin"})
    workers = stop_workers(server)
    try:
        app.select("file.bin")
        app.window.download_button.invoke()
        app.wait_for_state("file.bin", State.RUNNING)
        app.window.controller.refresh()
        app.pump_until(lambda: app.window.controller.state == "failed", what="the list to lose the server")
        assert str(app.window.status.message.cget("style")) == "Error.TLabel"
    finally:
        continue_workers(workers)
    app.wait_for_state("file.bin", State.DONE)
    app.pump_until(lambda: app.window.controller.state == "connected", what="connected again")
    assert str(app.window.status.message.cget("style")) != "Error.TLabel"
    assert "Not connected" not in str(app.window.status.server.cget("text"))


def test_a_failed_connect_leaves_neither_the_old_title_nor_upload(app, server, server_factory):
    app.connect(server)
    assert str(server.port) in app.root.title()
    other = server_factory()
    other.stop()
    app.window.connect(f"127.0.0.1:{other.port}")  # Enter in the address field: no Disconnect first
    app.pump_until(lambda: app.window.controller.state == "failed", what="the connect to fail")
    assert str(server.port) not in app.root.title(), app.root.title()
    assert "disabled" in app.window.upload_button.state()
    assert "disabled" in app.window.upload_folder_button.state()
