"""Transfers through the window: cancel mid-transfer, the server dying
mid-transfer and the app recovering, the parallel limit, and no freeze."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.transfers import State
from ferry_files.shared.partial_downloads import TEMP_PREFIX

from tests.gui.conftest import continue_workers, pump_for, sha256_of, sparse_file, stop_workers, wait_without_tk

pytestmark = pytest.mark.gui

BIG = 512 * 1024 * 1024


def uploads_in_progress(library: Path) -> list[str]:
    hidden = library / ".ferry-uploads"
    return os.listdir(hidden) if hidden.exists() else []


def temp_file(downloads: Path) -> Path | None:
    """The download's temp file (``.ferry-<random>.part``), once it has bytes."""
    for name in os.listdir(downloads):
        if name.startswith(TEMP_PREFIX) and (downloads / name).stat().st_size > 0:
            return downloads / name
    return None


def start_download(app, name: str) -> None:
    app.select(name)
    app.window.download_button.invoke()
    app.root.update()


def test_cancel_download_mid_transfer_leaves_no_partial_file(app, server, library, downloads):
    sparse_file(library / "big.iso", BIG)
    app.connect(server)
    app.wait_for_names({"big.iso"})
    start_download(app, "big.iso")
    wait_without_tk(lambda: temp_file(downloads), what="the first bytes")
    workers = stop_workers(server)  # freeze the server: the transfer is now stuck half way
    try:
        row = app.pump_until(lambda: (r := app.row("big.iso")) and 0 < r.view.done < BIG and r, what="progress")
        assert row.view.state is State.RUNNING
        assert 0 < float(row.progress.cget("value")) < 100
        assert row.button.cget("text") == "Cancel"
        row.button.invoke()
        app.wait_for_state("big.iso", State.CANCELLED, timeout=10)
    finally:
        continue_workers(workers)
    assert os.listdir(downloads) == []
    assert app.row("big.iso").button.cget("text") == "Retry"


def test_cancel_upload_mid_transfer_publishes_nothing_on_the_server(app, server, library, tmp_path, monkeypatch):
    source = sparse_file(tmp_path / "upload me.bin", BIG)
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(source)])
    app.connect(server)
    app.window.upload_button.invoke()
    hidden = library / ".ferry-uploads"
    wait_without_tk(lambda: any((hidden / n).stat().st_size > 0 for n in uploads_in_progress(library)), what="upload bytes at the server")
    workers = stop_workers(server)
    try:
        # Half way by the server's count. The client may not have reported
        # progress yet: one sendfile() call can hold many megabytes.
        row = app.pump_until(lambda: (r := app.row("upload me.bin")) and r.view.state is State.RUNNING and r, what="the running row")
        assert row.view.done < BIG
        row.button.invoke()
        app.wait_for_state("upload me.bin", State.CANCELLED, timeout=10)
    finally:
        continue_workers(workers)
    # Uploads carry an upload_id (so Pause and Retry continue them): the server
    # keeps the bytes it had, hidden, for an hour (PROTOCOL.md 7.4); nothing is published.
    pump_for(app.root, 0.5)
    assert [n for n in os.listdir(library) if not n.startswith(".")] == []
    app.window.refresh_button.invoke()
    pump_for(app.root, 0.3)
    assert app.shown_names() == []


def test_cancel_a_queued_transfer_and_the_parallel_limit(app, server, library, downloads):
    for i in range(4):
        sparse_file(library / f"q{i}.bin", BIG)
    app.connect(server)
    app.window.transfers_panel.parallel.set(2)
    app.window.controller.set_max_parallel(2)
    app.wait_for_names({f"q{i}.bin" for i in range(4)})
    workers = stop_workers(server)  # nothing can finish: we see exactly what the queue starts
    try:
        app.select(*[f"q{i}.bin" for i in range(4)])
        app.window.download_button.invoke()
        app.pump_until(lambda: len(app.rows()) == 4, what="four rows")
        pump_for(app.root, 0.2)
        states = [app.row(f"q{i}.bin").view.state for i in range(4)]
        assert states == [State.RUNNING, State.RUNNING, State.QUEUED, State.QUEUED]
        assert "2 transfers running, 2 queued" in str(app.window.status.transfers.cget("text"))
        app.row("q3.bin").button.invoke()  # cancel one that never started
        app.wait_for_state("q3.bin", State.CANCELLED)
        app.row("q0.bin").button.invoke()  # cancel a running one: the next queued one starts
        app.wait_for_state("q0.bin", State.CANCELLED)
        app.wait_for_state("q2.bin", State.RUNNING)
        app.row("q1.bin").button.invoke()
        app.row("q2.bin").button.invoke()
        app.wait_for_state("q2.bin", State.CANCELLED)
    finally:
        continue_workers(workers)
    app.window.transfers_panel.clear_button.invoke()
    assert app.rows() == []
    assert os.listdir(downloads) == []


def test_server_killed_mid_download_then_reconnect_and_resume(app, server_factory, library, downloads):
    server = server_factory("--workers", "2")
    content = os.urandom(4 * 1024 * 1024)
    sparse_file(library / "big.bin", BIG, head=content)
    app.connect(server)
    app.wait_for_names({"big.bin"})
    start_download(app, "big.bin")
    wait_without_tk(lambda: temp_file(downloads), what="the first bytes")
    part = temp_file(downloads)
    for pid in stop_workers(server):
        os.kill(pid, signal.SIGKILL)
    server.stop(signal.SIGKILL)
    row = app.wait_for_state("big.bin", State.FAILED, timeout=15)
    assert "connection to the server was lost" in row.view.error
    assert "Failed" in str(row.state.cget("text"))
    assert "lost" in app.status_message()
    kept = part.stat().st_size
    assert 0 < kept < BIG  # the partial file is kept for resuming

    app.window.refresh_button.invoke()  # the list cannot load either: said in words
    app.pump_until(lambda: app.window.controller.state == "failed", what="the failed refresh")
    assert "No server answers" in app.status_message()

    restarted = server_factory("--workers", "2")  # the server is back, on a new port
    app.connect(restarted)
    app.wait_for_names({"big.bin"})
    assert "Connected" in str(app.window.status.server.cget("text"))
    row.button.invoke()  # Retry
    app.pump_until(lambda: row.view.state is not State.FAILED, what="the retry to start")
    row = app.wait_for_state("big.bin", State.DONE, State.FAILED, timeout=60)
    assert row.view.state is State.DONE, row.view.error
    assert row.view.resumed_from == kept  # continued from the partial file, not from zero
    assert sha256_of(downloads / "big.bin") == sha256_of(library / "big.bin")
    assert os.listdir(downloads) == ["big.bin"]
    (downloads / "big.bin").unlink()


def test_a_download_never_adopts_a_users_part_file(app, server, library, downloads):
    """The app resumes only what the client recorded: a file of the user's that is
    named like a partial download is neither continued, nor deleted, nor changed."""
    data = os.urandom(3_000_000)
    (library / "report.pdf").write_bytes(data)
    mine = downloads / "report.pdf.part"
    mine.write_bytes(b"my notes, not a partial report" * 1000)
    os.utime(mine, (1_600_000_000, 1_600_000_000))
    app.connect(server)
    app.wait_for_names({"report.pdf"})
    start_download(app, "report.pdf")
    row = app.wait_for_state("report.pdf", State.DONE, State.FAILED)
    assert row.view.state is State.DONE, row.view.error
    assert row.view.resumed_from == 0
    assert (downloads / "report.pdf").read_bytes() == data
    assert (mine.read_bytes(), mine.stat().st_mtime) == (b"my notes, not a partial report" * 1000, 1_600_000_000)
    assert sorted(os.listdir(downloads)) == ["report.pdf", "report.pdf.part"]


def test_a_timer_keeps_ticking_during_a_200_mb_download_and_upload(app, server, library, downloads, tmp_path, monkeypatch):
    size = 200 * 1024 * 1024
    sparse_file(library / "down.bin", size, head=os.urandom(1 << 20))
    source = sparse_file(tmp_path / "up.bin", size, head=os.urandom(1 << 20))
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(source)])
    app.connect(server)
    app.wait_for_names({"down.bin"})
    ticks: list[float] = []

    after_id = [""]

    def tick() -> None:
        ticks.append(time.monotonic())
        after_id[0] = app.root.after(10, tick)

    tick()
    start_download(app, "down.bin")
    app.window.upload_button.invoke()
    app.wait_for_state("down.bin", State.DONE, timeout=60)
    app.wait_for_state("up.bin", State.DONE, timeout=60)
    app.root.after_cancel(after_id[0])
    gaps = sorted(b - a for a, b in zip(ticks, ticks[1:], strict=False))
    # Moving 400 MB (or hashing it) on the Tk thread would stall it for the
    # whole transfer, seconds. The bounds leave room for the scheduling of a
    # loaded 2-core machine, not for blocking I/O.
    assert gaps[-1] < 1.0, f"the Tk loop stalled for {gaps[-1]:.3f} s"
    assert gaps[len(gaps) // 2] < 0.1, f"the timer ticked too rarely (median gap {gaps[len(gaps) // 2]:.3f} s)"
    assert sha256_of(downloads / "down.bin") == sha256_of(library / "down.bin")
    (downloads / "down.bin").unlink()


def test_100000_files_are_all_shown_and_the_filter_narrows_and_widens(app, memory_library, server_factory):
    """How fast is measured by bench/gui_speed.py; this checks what is shown."""
    library = memory_library
    for i in range(100_000):
        open(library / f"file-{i:06d}.dat", "wb").close()
    server = server_factory("--workers", "2", root=library)
    tree = app.window.file_view.tree
    app.connect(server)
    app.pump_until(lambda: len(tree.get_children("")) == 100_000, timeout=120, what="100,000 rows")
    open(library / "one-more.dat", "wb").close()
    app.window.refresh_button.invoke()
    app.pump_until(lambda: len(tree.get_children("")) == 100_001, timeout=120, what="the refreshed listing")
    for text in ("9", "99", "999", "9999", "99999"):
        app.window.filter_text.set(text)
        app.root.update_idletasks()
    assert app.shown_names() == ["file-099999.dat"]
    for text in ("9999", "999", "99", "9", ""):
        app.window.filter_text.set(text)
        app.root.update_idletasks()
    app.pump_until(lambda: len(tree.get_children("")) == 100_001, what="every row back")  # a chunk per turn
