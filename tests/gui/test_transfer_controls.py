"""The queue's controls through the window (issue 13, features): overall
progress, Cancel all, Pause all / Resume all (a download continues from its
partial file, an upload through its ``upload_id``), and the session's log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.transfers import State
from ferry_files.shared.partial_downloads import TEMP_PREFIX

from tests.gui.conftest import continue_workers, pump_for, sha256_of, sparse_file, stop_workers, wait_without_tk

pytestmark = pytest.mark.gui

BIG = 512 * 1024 * 1024


def press(app, button) -> None:
    """Click ``button`` once it is enabled (the panel redraws within 50 ms of a change)."""
    app.pump_until(lambda: "disabled" not in button.state(), what=f"{button.cget('text')} to be enabled")
    button.invoke()


def partial_bytes(folder: Path) -> int:
    return sum((folder / n).stat().st_size for n in os.listdir(folder) if n.startswith(TEMP_PREFIX))


def test_overall_progress_counts_files_and_bytes(app, server, library):
    for i, size in enumerate((1024, 2048, 4096)):
        (library / f"f{i}.bin").write_bytes(os.urandom(size))
    app.connect(server)
    app.wait_for_names({"f0.bin", "f1.bin", "f2.bin"})
    panel = app.window.transfers_panel
    assert panel.summary_text() == "" and "disabled" in panel.cancel_all_button.state()
    app.select("f0.bin", "f1.bin", "f2.bin")
    app.window.download_button.invoke()
    app.pump_until(lambda: panel.summary_text() == "3 of 3 files, 7.0 KiB of 7.0 KiB", what="the overall line")
    assert float(panel.overall.cget("value")) == 100


def test_cancel_all_stops_running_and_queued_transfers(app, server, library, downloads):
    for i in range(5):
        sparse_file(library / f"c{i}.bin", BIG)
    app.connect(server)
    app.window.controller.set_max_parallel(2)
    app.wait_for_names({f"c{i}.bin" for i in range(5)})
    workers = stop_workers(server)  # nothing can finish
    try:
        app.select(*[f"c{i}.bin" for i in range(5)])
        app.window.download_button.invoke()
        app.pump_until(lambda: sum(v.state is State.RUNNING for v in app.rows()) == 2, what="two running")
        press(app, app.window.transfers_panel.cancel_all_button)
        app.pump_until(lambda: [v.state for v in app.rows()] == [State.CANCELLED] * 5, timeout=15, what="all cancelled")
    finally:
        continue_workers(workers)
    pump_for(app.root, 0.3)
    assert os.listdir(downloads) == []
    assert app.window.transfers_panel.summary_text() == ""  # cancelled transfers count in no total


def test_pause_all_then_resume_all_continues_a_download_where_it_stopped(app, server, library, downloads):
    sparse_file(library / "big.bin", BIG, head=os.urandom(4 << 20))
    app.connect(server)
    app.wait_for_names({"big.bin"})
    app.select("big.bin")
    app.window.download_button.invoke()
    wait_without_tk(lambda: partial_bytes(downloads) > 0, what="the first bytes")
    workers = stop_workers(server)  # hold it half way, as a slow link would
    try:
        app.pump_until(lambda: app.rows()[0].done > 0, what="progress shown")
        panel = app.window.transfers_panel
        press(app, panel.pause_button)
        app.wait_for_state("big.bin", State.PAUSED)
    finally:
        continue_workers(workers)
    pump_for(app.root, 0.5)
    kept = partial_bytes(downloads)
    assert 0 < kept < BIG, "the partial file is kept for Resume"
    app.pump_until(lambda: str(panel.pause_button.cget("text")) == "Resume all", what="Resume all")
    assert "paused" in panel.summary_text()
    press(app, panel.pause_button)
    row = app.wait_for_state("big.bin", State.DONE, State.FAILED, timeout=60)
    assert row.view.state is State.DONE, row.view.error
    assert row.view.resumed_from > 0  # continued, not started again
    assert sha256_of(downloads / "big.bin") == sha256_of(library / "big.bin")
    assert os.listdir(downloads) == ["big.bin"]


def test_a_paused_upload_resumes_through_its_upload_id(app, server, library, tmp_path, monkeypatch):
    source = sparse_file(tmp_path / "video.bin", BIG, head=os.urandom(4 << 20))
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(source)])
    app.connect(server)
    queue = app.window.controller.transfers
    app.window.upload_button.invoke()
    app.pump_until(lambda: queue.views(), what="the upload")
    wait_without_tk(lambda: queue.views()[0].done > 48 << 20, what="48 MiB sent")
    workers = stop_workers(server)  # hold it half way, as a slow link would
    try:
        press(app, app.window.transfers_panel.pause_button)
        row = app.wait_for_state("video.bin", State.PAUSED)
        assert row.button.cget("text") == "Resume"
    finally:
        continue_workers(workers)
    pump_for(app.root, 0.5)
    row.button.invoke()  # the row's own Resume
    row = app.wait_for_state("video.bin", State.DONE, State.FAILED, timeout=60)
    assert row.view.state is State.DONE, row.view.error
    assert row.view.resumed_from > 0  # the server held bytes of this upload_id: they were not sent again
    assert sha256_of(library / "video.bin") == sha256_of(source)


def test_the_log_lists_what_happened_and_can_be_copied(app, server, library, tmp_path):
    (library / "a.txt").write_bytes(b"hello")
    (library / "taken.txt").write_bytes(b"server's")
    local = tmp_path / "taken.txt"
    local.write_bytes(b"mine")
    app.connect(server)
    app.wait_for_names({"a.txt", "taken.txt"})
    app.select("a.txt")
    app.window.download_button.invoke()
    app.wait_for_state("a.txt", State.DONE)
    app.window.controller.transfers.upload(app.window.controller.server, local, "taken.txt", overwrite=False)
    app.wait_for_state("taken.txt", State.FAILED)
    panel = app.window.transfers_panel
    panel.log_button.invoke()
    app.root.update()
    text = panel.log_window.contents()
    lines = text.splitlines()
    assert len(lines) == 2, text
    assert lines[0].endswith("Downloaded a.txt (5 B)")
    assert lines[1].endswith("Upload of taken.txt failed: A file with that name already exists on the server")
    panel.log_window.copy_button.invoke()
    assert app.root.clipboard_get() == text
    panel.log_window.destroy()


def start_a_big_batch(app, server_factory, library: Path, count: int) -> None:
    for i in range(count):
        (library / f"b{i:04d}.bin").write_bytes(b"%d" % i)
    server = server_factory("--workers", "2", root=library)
    app.connect(server)
    app.pump_until(lambda: len(app.shown_names()) == count, what="the listing")
    app.select(*app.shown_names())
    app.window.download_button.invoke()  # queued 500 at a time, over several turns of the loop


def test_cancel_all_also_stops_the_part_of_a_batch_not_queued_yet(app, server_factory, memory_library, downloads):
    start_a_big_batch(app, server_factory, memory_library, 1500)
    queue = app.window.controller.transfers
    queue.cancel_all()  # what the button does, before the rest of the batch is queued
    pump_for(app.root, 1.0)
    summary = queue.summary()
    assert summary.running + summary.queued == 0, summary
    assert len(os.listdir(downloads)) < 1500


def test_pause_all_also_holds_the_part_of_a_batch_not_queued_yet(app, server_factory, memory_library, downloads):
    start_a_big_batch(app, server_factory, memory_library, 1500)
    queue = app.window.controller.transfers
    queue.pause()  # Pause all, before the rest of the batch is queued
    app.pump_until(lambda: len(queue.views()) == 1500, what="the whole batch listed")
    pump_for(app.root, 0.5)
    summary = queue.summary()
    assert summary.running + summary.queued == 0 and summary.paused + summary.files_done == 1500, summary
    queue.resume()
    app.pump_until(lambda: queue.summary().files_done == 1500, timeout=60, what="the batch after Resume all")
    assert len(os.listdir(downloads)) == 1500


def test_a_folder_row_counts_in_the_overall_progress_by_its_files(app, server, library, downloads):
    (library / "album").mkdir()
    for i in range(3):
        (library / "album" / f"{i}.bin").write_bytes(os.urandom(1024))
    (library / "loose.bin").write_bytes(os.urandom(2048))
    app.connect(server)
    app.wait_for_names({"album", "loose.bin"})
    panel = app.window.transfers_panel
    app.select("album", "loose.bin")
    app.window.download_button.invoke()
    app.pump_until(lambda: panel.summary_text() == "4 of 4 files, 5.0 KiB of 5.0 KiB", what="the folder's files in the overall line")
    assert sha256_of(downloads / "album" / "2.bin") == sha256_of(library / "album" / "2.bin")
    assert float(panel.overall.cget("value")) == 100


def test_cancel_all_also_cancels_a_folder_row_and_closing_asks_while_it_runs(app, server, library, downloads):
    (library / "many").mkdir()
    for i in range(50):
        (library / "many" / f"{i}.bin").write_bytes(os.urandom(1000))
    app.connect(server)
    app.wait_for_names({"many"})
    workers = stop_workers(server)  # the folder cannot finish
    try:
        app.select("many")
        app.window.download_button.invoke()
        app.wait_for_state("many/", State.RUNNING)
        assert app.window.controller.busy()  # request_close would ask
        press(app, app.window.transfers_panel.cancel_all_button)
        app.wait_for_state("many/", State.CANCELLED, timeout=15)
    finally:
        continue_workers(workers)
    assert not app.window.controller.busy()
    assert app.window.transfers_panel.summary_text() == ""


def test_the_log_also_lists_folder_transfers(app, server, library, downloads):
    (library / "album").mkdir()
    (library / "album" / "1.bin").write_bytes(os.urandom(1024))
    (library / "album" / "2.bin").write_bytes(os.urandom(2048))
    app.connect(server)
    app.wait_for_names({"album"})
    app.select("album")
    app.window.download_button.invoke()
    app.wait_for_state("album/", State.DONE)
    lines = app.window.controller.transfer_log()
    assert [line.split("  ", 1)[1] for line in lines] == ["Downloaded album/ (3.0 KiB)"], lines
