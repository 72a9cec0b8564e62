"""Pause all / Resume all take folder rows too (issue 13, queue): a paused folder
download stops at once and leaves no temp file; Resume runs the tree again and
fetches only what is not there yet (tree_transfer.py's ``skip_present``), so the
files finished before the pause are left as they are. An upload the same way."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from ferry_files.gui_client.transfers import State
from ferry_files.shared.partial_downloads import TEMP_PREFIX

from tests.gui.conftest import sha256_of, sparse_file
from tests.terminal_support import CuttingRelay

pytestmark = pytest.mark.gui

SMALL = ("a0.bin", "a1.bin", "a2.bin")


def through(relay: CuttingRelay) -> SimpleNamespace:
    host, port = relay.address.rsplit(":", 1)
    return SimpleNamespace(address=(host, int(port)))


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_pause_all_pauses_a_folder_download_and_resume_fetches_only_the_rest(app, server, library, downloads):
    album = library / "album"
    album.mkdir()
    for name in SMALL:
        (album / name).write_bytes(os.urandom(2000))
    sparse_file(album / "z-big.bin", 64 << 20)  # listed last; the relay stalls in its body
    panel = app.window.transfers_panel
    with CuttingRelay(server.address, downstream_limit=1 << 20, hold=True) as relay:
        app.connect(through(relay))
        app.wait_for_names({"album"})
        app.select("album")
        app.window.download_button.invoke()
        app.pump_until(
            lambda: relay.limit_reached.is_set() and all((downloads / "album" / n).exists() for n in SMALL), what="the small files"
        )
        app.wait_for_state("album/", State.RUNNING)
        kept = {name: (downloads / "album" / name).stat().st_ino for name in SMALL}

        panel.pause_button.invoke()  # Pause all
        app.wait_for_state("album/", State.PAUSED)
        app.pump_until(lambda: not temp_files(downloads), what="the stalled file's temp file to go")
        assert not (downloads / "album" / "z-big.bin").exists()
        assert not app.window.controller.busy()  # closing would not ask: nothing runs
        assert str(panel.pause_button.cget("text")) == "Resume all"

        relay.limits["down"] = None  # the network is back
        panel.pause_button.invoke()  # Resume all
        app.wait_for_state("album/", State.DONE, timeout=60)

    for name in SMALL:
        assert (downloads / "album" / name).stat().st_ino == kept[name], f"{name} was fetched again"
        assert sha256_of(downloads / "album" / name) == sha256_of(album / name)
    assert sha256_of(downloads / "album" / "z-big.bin") == sha256_of(album / "z-big.bin")
    assert temp_files(downloads) == []
    log = [line.split("  ", 1)[1] for line in app.window.controller.transfer_log()]
    assert log[0].startswith("Download of album/ paused at ") and log[-1].startswith("Downloaded album/ ("), log


def test_a_paused_folder_upload_resumes_sending_only_what_the_server_lacks(app, server, library, tmp_path):
    source = tmp_path / "photos"
    source.mkdir()
    for name in SMALL:
        (source / name).write_bytes(os.urandom(2000))
    sparse_file(source / "z-big.bin", 64 << 20)
    panel = app.window.transfers_panel
    with CuttingRelay(server.address, upstream_limit=1 << 20, hold=True) as relay:
        app.connect(through(relay))
        app.window.controller.upload([source])
        app.wait_for_state("photos/", State.RUNNING)
        app.pump_until(
            lambda: relay.limit_reached.is_set() and all((library / "photos" / n).exists() for n in SMALL), what="the small files"
        )
        kept = {name: (library / "photos" / name).stat().st_ino for name in SMALL}

        panel.pause_button.invoke()
        app.wait_for_state("photos/", State.PAUSED)
        relay.limits["up"] = None
        panel.pause_button.invoke()
        app.wait_for_state("photos/", State.DONE, timeout=60)

    for name in SMALL:
        assert (library / "photos" / name).stat().st_ino == kept[name], f"{name} was sent again"
    assert sha256_of(library / "photos" / "z-big.bin") == sha256_of(source / "z-big.bin")
