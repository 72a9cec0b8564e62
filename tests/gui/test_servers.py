"""Saved, recent and discovered servers: names and addresses in servers.json,
tokens only in the OS keyring (an in-memory backend set with keyring.set_keyring),
and nothing stored when there is no keyring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ferry_files.gui_client.servers import MAX_RECENT, ServerBook, ServerEntry
from ferry_files.gui_client.token_store import TokenStore

from tests.gui.memory_keyring import memory_keyring, no_keyring  # noqa: F401 (fixtures)

SECRET = "s3cret-token-9f8e"


def files_under(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_saved_servers_keep_names_and_the_token_goes_to_the_keyring(tmp_path, memory_keyring):  # noqa: F811
    path = tmp_path / "servers.json"
    book = ServerBook(path, TokenStore())
    assert book.save_server("Office NAS", "nas.local", 7070, True, SECRET) == ""
    assert memory_keyring.passwords == {("ferry", "nas.local:7070"): SECRET}
    assert SECRET not in files_under(tmp_path)
    again = ServerBook(path, TokenStore())
    assert again.saved == [ServerEntry("Office NAS", "nas.local", 7070, True)]
    assert again.token_for(again.saved[0]) == SECRET
    again.save_server("NAS", "NAS.local", 7070, True, "")  # renamed: one entry per address, token kept
    assert [s.name for s in again.saved] == ["NAS"] and again.token_for(again.saved[0]) == SECRET
    again.forget(again.saved[0])
    assert again.saved == [] and memory_keyring.passwords == {}


def test_recent_servers_most_recent_first_without_repeats(tmp_path, memory_keyring):  # noqa: F811
    book = ServerBook(tmp_path / "servers.json", TokenStore())
    for i in range(MAX_RECENT + 3):
        book.remember(f"host{i}", 7069, False)
    book.remember("host5", 7069, True)
    recent = ServerBook(tmp_path / "servers.json", TokenStore()).recent
    assert len(recent) == MAX_RECENT
    assert [s.host for s in recent[:3]] == ["host5", f"host{MAX_RECENT + 2}", f"host{MAX_RECENT + 1}"]
    assert recent[0].tls and sum(s.host == "host5" for s in recent) == 1


def test_a_damaged_server_list_is_ignored(tmp_path, memory_keyring):  # noqa: F811
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"saved": [{"name": "ok", "host": "a", "port": 1}, {"name": 3}, "x", {"host": "b", "port": "7"}]}))
    assert ServerBook(path, TokenStore()).saved == [ServerEntry("ok", "a", 1)]
    path.write_text("{not json")
    assert ServerBook(path, TokenStore()).saved == []


def test_without_a_keyring_the_token_is_not_stored_and_it_says_why(tmp_path, no_keyring):  # noqa: F811
    store = TokenStore()
    assert not store.available and "no keyring" in store.unavailable
    book = ServerBook(tmp_path / "servers.json", store)
    message = book.save_server("Lab", "lab", 7069, False, SECRET)
    assert message.startswith("Saved “Lab” without its token: this system has no keyring")
    assert book.saved == [ServerEntry("Lab", "lab", 7069)]  # the rest is saved
    assert SECRET not in files_under(tmp_path)
    assert book.token_for(book.saved[0]) == ""


@pytest.mark.gui
def test_save_a_server_then_reconnect_from_the_menu_with_the_stored_token(memory_keyring, app, server_factory, library, tmp_path):  # noqa: F811
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    server = server_factory("--workers", "2", "--token-file", str(token_file))
    (library / "private.txt").write_bytes(b"p")
    app.connect(server, token=SECRET)
    app.wait_for_names({"private.txt"})
    bar = app.window.connect_bar
    assert f"{server.host}:{server.port}" in bar.servers.labels()  # in Recent after connecting

    bar.servers.invoke_label("Save this server…")
    dialog = app.pump_until(lambda: bar.save_dialog, what="the save dialog")
    dialog.name.set("Team files")
    dialog.save_button.invoke()
    assert "Saved “Team files”" in app.status_message()
    assert SECRET not in files_under(app.window.settings_path.parent)
    assert memory_keyring.passwords == {("ferry", f"{server.host}:{server.port}"): SECRET}

    bar.button.invoke()  # Disconnect, and forget what was typed
    bar.host.set("elsewhere")
    bar.token.set("")
    app.root.update()
    bar.servers.invoke_label("Team files")
    app.wait_for_names({"private.txt"})
    assert app.window.controller.state == "connected"
    assert bar.token.get() == SECRET and bar.host.get() == server.host


@pytest.mark.gui
def test_no_keyring_says_so_in_the_status_bar(no_keyring, app, server, tmp_path):  # noqa: F811
    bar = app.window.connect_bar
    bar.token.set(SECRET)
    bar.servers.invoke_label("Save this server…")
    dialog = app.pump_until(lambda: bar.save_dialog, what="the save dialog")
    dialog.entry.event_generate("<Return>")
    app.root.update()
    assert "without its token: this system has no keyring" in app.status_message()
    assert str(app.window.status.message.cget("style")) == "Error.TLabel"
    assert SECRET not in files_under(app.window.settings_path.parent)


@pytest.mark.gui
def test_discovered_servers_appear_in_the_menu(app):
    book = app.window.connect_bar.book
    book.add_discovered([ServerEntry("Kitchen PC", "192.168.1.20", 7069)])
    book.add_discovered([ServerEntry("Kitchen PC", "192.168.1.20", 7069)])  # found again: once
    labels = app.window.connect_bar.servers.labels()
    assert labels.count("On this network") == 1
    assert labels.count("Kitchen PC  (192.168.1.20:7069)") == 1
