"""Small downloads of one batch pipelined on each worker's connection
(gui_client/batch_downloads.py), through the real window and server.

A relay that adds latency (tests/latency_proxy.py) makes the difference show:
on loopback a round trip costs nothing, so a queue that waits for each answer
looks as fast as one that sends requests ahead. Through 15 ms each way, 300
verified files one at a time on three connections take 300 x 2 x 30 ms / 3 =
6 s; pipelined, a fraction of a second.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from ferry_files.gui_client.transfers import State
from ferry_files.shared.client import FerryClient
from ferry_files.shared.partial_downloads import TEMP_PREFIX, Partial, TempFile, default_records

from tests.gui.conftest import continue_workers, pump_for, sha256_of, stop_workers, wait_without_tk
from tests.latency_proxy import latency_proxy

pytestmark = pytest.mark.gui

COUNT = 300
DELAY = 0.015  # each way


def make_files(library: Path, count: int = COUNT) -> list[str]:
    names = [f"s{i:03d}.bin" for i in range(count)]
    for i, name in enumerate(names):
        (library / name).write_bytes(os.urandom(100 + i * 131))
        os.utime(library / name, (1_500_000_000 + i, 1_500_000_000 + i))
    return names


def start_batch(app, address: tuple[str, int], names: list[str]) -> float:
    app.connect(SimpleNamespace(address=address))
    app.wait_for_names(set(names))
    app.select(*names)
    start = time.monotonic()
    app.window.download_button.invoke()
    return start


def states(app) -> dict[str, State]:
    return {view.name: view.state for view in app.window.controller.transfers.views()}


def settled(app) -> bool:
    summary = app.window.controller.transfers.summary()
    return summary.running + summary.queued == 0


def no_temp_files(folder: Path) -> bool:
    return not [name for name in os.listdir(folder) if name.startswith(TEMP_PREFIX)]


def test_300_small_files_pipelined_through_a_slow_link_every_sha256_checked(app, server, library, downloads):
    names = make_files(library)
    with latency_proxy(server.address, DELAY) as address:
        start = start_batch(app, address, names)
        queue = app.window.controller.transfers
        app.pump_until(lambda: len(queue.views()) == COUNT and settled(app), timeout=60, what="the batch")
        elapsed = time.monotonic() - start
    assert set(states(app).values()) == {State.DONE}, {n: v.error for n, v in ((v.name, v) for v in queue.views()) if v.error}
    for name in names:
        assert sha256_of(downloads / name) == sha256_of(library / name), name
        assert (downloads / name).stat().st_mtime == (library / name).stat().st_mtime
    assert sorted(os.listdir(downloads)) == names  # no temp file left
    assert elapsed < 3.0, f"{COUNT} files took {elapsed:.1f} s: one round trip per file?"


def test_a_file_deleted_after_the_click_fails_only_its_row(app, server, library, downloads):
    names = make_files(library, 120)
    app.window.controller.set_max_parallel(1)  # one connection: the batch must go on after the refusal
    app.connect(server)
    app.wait_for_names(set(names))
    workers = stop_workers(server)  # the batch's requests wait for the server
    try:
        app.select(*names)
        app.window.download_button.invoke()
        app.pump_until(lambda: len(app.window.controller.transfers.views()) == 120, what="the batch queued")
        (library / names[50]).unlink()
    finally:
        continue_workers(workers)
    app.pump_until(lambda: settled(app), timeout=30, what="the batch")
    row = app.wait_for_state(names[50], State.FAILED)
    assert row.view.error.startswith("The file is no longer on the server"), row.view.error
    assert [name for name, state in states(app).items() if state is not State.DONE] == [names[50]]
    assert sorted(os.listdir(downloads)) == names[:50] + names[51:]


def hold_mid_batch(app, server, library: Path, downloads: Path) -> list[int]:
    """Start a batch of :data:`COUNT` files and stop the server's workers once 20
    have arrived (the rest of the pipelined requests wait there); their pids."""
    names = make_files(library)
    start_batch(app, server.address, names)
    wait_without_tk(lambda: len(os.listdir(downloads)) >= 20, what="20 files in")
    workers = stop_workers(server)
    pump_for(app.root, 0.3)  # what the client had received is in: it waits for the server now
    return workers


def published(folder: Path) -> set[str]:
    return {name for name in os.listdir(folder) if not name.startswith(TEMP_PREFIX)}


def test_cancel_all_mid_batch_publishes_nothing_after_the_click(app, server, library, downloads):
    workers = hold_mid_batch(app, server, library, downloads)
    try:
        assert State.QUEUED in states(app).values()
        app.window.transfers_panel.cancel_all_button.invoke()
        before = published(downloads)
        # The batch's connection is broken off at once, not read on to its end.
        app.pump_until(lambda: app.window.controller.transfers.summary().running == 0, timeout=5, what="the batch to stop")
    finally:
        continue_workers(workers)
    app.pump_until(lambda: settled(app), timeout=15, what="everything stopped")
    pump_for(app.root, 0.3)  # late answers, if any, would land now
    done = {name for name, state in states(app).items() if state is State.DONE}
    assert set(states(app).values()) == {State.DONE, State.CANCELLED}
    assert set(os.listdir(downloads)) == done == before  # nothing published after the click, no temp file
    for name in done:
        assert sha256_of(downloads / name) == sha256_of(library / name)


def test_cancelling_one_claimed_download_leaves_the_rest_of_the_batch_going(app, server, library, downloads):
    """A claim cancelled mid-batch breaks the batch's connection off (its body is
    not read on); the claims behind it, and the download that was being read,
    go back to the queue and finish on a new connection."""
    queue = app.window.controller.transfers
    workers = hold_mid_batch(app, server, library, downloads)
    try:
        claimed = next(view for view in queue.views() if view.state is State.QUEUED)
        queue.cancel(claimed.id)
        # Broken off at once: the next download is taken (on a new connection,
        # which waits for the stopped server), while the batch's claims stayed Queued.
        app.pump_until(lambda: any(view.state is State.RUNNING for view in queue.views()), timeout=5, what="the next download")
    finally:
        continue_workers(workers)
    app.pump_until(lambda: settled(app), timeout=30, what="the rest of the batch")
    assert {name for name, state in states(app).items() if state is not State.DONE} == {claimed.name}
    assert queue.view(claimed.id).state is State.CANCELLED
    assert sorted(os.listdir(downloads)) == sorted(name for name in states(app) if name != claimed.name)
    for name in os.listdir(downloads):
        assert sha256_of(downloads / name) == sha256_of(library / name)


def test_pause_all_mid_batch_then_resume_all_finishes_it(app, server, library, downloads):
    queue = app.window.controller.transfers
    panel = app.window.transfers_panel
    workers = hold_mid_batch(app, server, library, downloads)
    try:
        panel.pause_button.invoke()  # Pause all
        before = published(downloads)
        app.pump_until(lambda: queue.summary().running == 0, timeout=5, what="the batch to stop")
    finally:
        continue_workers(workers)
    app.pump_until(lambda: settled(app), timeout=15, what="everything paused")
    pump_for(app.root, 0.3)
    done = {name for name, state in states(app).items() if state is State.DONE}
    assert set(states(app).values()) == {State.DONE, State.PAUSED}
    assert set(os.listdir(downloads)) == done == before  # nothing published after the click, no temp file
    app.pump_until(lambda: str(panel.pause_button.cget("text")) == "Resume all", what="Resume all")
    panel.pause_button.invoke()
    app.pump_until(lambda: queue.summary().files_done == COUNT and settled(app), timeout=60, what="the rest")
    names = sorted(states(app))
    assert set(states(app).values()) == {State.DONE}
    assert sorted(os.listdir(downloads)) == names
    for name in names:
        assert sha256_of(downloads / name) == sha256_of(library / name)


def test_a_small_download_with_a_partial_file_resumes_it_in_a_batch(app, server, library, downloads):
    names = make_files(library, 40)
    kept = names[7]
    with FerryClient.connect(*server.address) as client:
        info = client.stat(kept)
    head = (library / kept).read_bytes()[:100]
    temp = TempFile()  # what an earlier session left when it was paused
    temp.create(downloads)
    os.write(temp.fd, head)
    stat = os.fstat(temp.fd)
    host, port = server.address
    record = Partial(
        f"{host}:{port}",
        kept,
        str(downloads / kept),
        temp.path.name,
        stat.st_dev,
        stat.st_ino,
        stat.st_mtime_ns,
        info.size,
        info.mtime,
        100,
    )
    assert default_records().save(record)
    temp.keep()
    start_batch(app, server.address, names)
    queue = app.window.controller.transfers
    app.pump_until(lambda: len(queue.views()) == 40 and settled(app), timeout=30, what="the batch")
    view = next(v for v in queue.views() if v.name == kept)
    assert view.state is State.DONE and view.resumed_from == 100, view
    assert sorted(os.listdir(downloads)) == names
    for name in names:
        assert sha256_of(downloads / name) == sha256_of(library / name)


def test_a_broken_connection_requeues_the_claimed_downloads(app, server, library, downloads):
    workers = hold_mid_batch(app, server, library, downloads)
    queue = app.window.controller.transfers
    summary = queue.summary()
    # The first download is done; the batch reads claims, which stay Queued:
    # the status bar counts the batch as one running transfer, not none.
    assert (summary.running, summary.running + summary.queued) == (1, COUNT - summary.files_done), summary
    for pid in workers:
        os.kill(pid, signal.SIGKILL)  # the server's workers die; the supervisor starts new ones
    app.pump_until(lambda: settled(app), timeout=30, what="the batch after the break")
    # The claims went back to the queue and a new connection fetched them.
    assert set(states(app).values()) == {State.DONE}, {v.name: v.error for v in queue.views() if v.error}
    assert sorted(os.listdir(downloads)) == sorted(states(app))  # no temp file
    for name in states(app):
        assert sha256_of(downloads / name) == sha256_of(library / name)


def test_a_connection_broken_while_the_first_download_is_read_fails_it_alone(app, server, library, downloads):
    """The batch's first download runs as a single one does: when the
    connection breaks while its answer is awaited, it fails with the reason
    (Retry is offered) and the claims behind it go back to the queue."""
    names = make_files(library, 40)
    delay = 1.0  # each way: the greeting comes 1 s after the connect, the requests reach the server 1 s after that
    with latency_proxy(server.address, delay) as address:
        start_batch(app, address, names)
        first = app.wait_for_state(names[0], State.RUNNING, timeout=10)
        pump_for(app.root, 1.5 * delay)  # connected (the greeting is in), the requests not at the server yet
        assert first.view.state is State.RUNNING
        for pid in server.children():
            os.kill(pid, signal.SIGKILL)
        app.pump_until(lambda: len(states(app)) == 40 and settled(app), timeout=60, what="the batch after the break")
        queue = app.window.controller.transfers
        failed = {v.name: v.error for v in queue.views() if v.state is not State.DONE}
        assert failed == {names[0]: "The connection to the server was lost"}
        assert sorted(os.listdir(downloads)) == names[1:]  # no temp file
        queue.retry(next(v.id for v in queue.views() if v.name == names[0]))
        app.wait_for_state(names[0], State.DONE, timeout=30)
    for name in names:
        assert sha256_of(downloads / name) == sha256_of(library / name)


def test_cancelling_a_claim_while_the_first_download_is_read_sends_that_one_back_not_failed(app, server, library, downloads):
    """The batch's connection is broken off for a claim cancelled behind the
    first download: that download did nothing wrong and goes back to the queue."""
    names = make_files(library, 40)
    delay = 1.0
    with latency_proxy(server.address, delay) as address:
        start_batch(app, address, names)
        app.wait_for_state(names[0], State.RUNNING, timeout=10)
        pump_for(app.root, 1.5 * delay)  # connected, the requests on their way: nothing answered yet
        queue = app.window.controller.transfers
        cancelled = next(view for view in queue.views() if view.name == names[5])
        queue.cancel(cancelled.id)
        app.pump_until(lambda: len(states(app)) == 40 and settled(app), timeout=60, what="the batch")
    assert {name: state for name, state in states(app).items() if state is not State.DONE} == {names[5]: State.CANCELLED}
    assert sorted(os.listdir(downloads)) == names[:5] + names[6:]
