"""The transfer queue without a window, against the real server: worker
threads post to a queue that the test drains, as the Tk bridge would."""

from __future__ import annotations

import os
import threading

from ferry_files.gui_client.transfers import Server, State, TransferQueue

from tests.gui.posted_calls import PostedCalls


class Collector(PostedCalls):
    def __init__(self) -> None:
        super().__init__()
        self.views: dict[int, object] = {}
        self.threads: set[str] = set()

    def on_change(self, views) -> None:
        self.threads.add(threading.current_thread().name)
        self.views.update((view.id, view) for view in views)


def test_download_and_upload_report_only_through_post(server, library, tmp_path):
    (library / "in.bin").write_bytes(os.urandom(300_000))
    local = tmp_path / "out.bin"
    local.write_bytes(os.urandom(200_000))
    downloads = tmp_path / "dl"
    downloads.mkdir()
    c = Collector()
    q = TransferQueue(c.post, c.on_change, max_parallel=3)
    target = Server(*server.address)
    down = q.download(target, "in.bin", downloads, "in.bin", 300_000)
    up = q.upload(target, local, "uploaded.bin", overwrite=False)
    c.run_until(lambda: all(c.views.get(i) and c.views[i].state.finished for i in (down, up)))
    assert c.views[down].state is State.DONE and c.views[up].state is State.DONE
    assert c.views[down].fraction == 1.0
    assert (downloads / "in.bin").read_bytes() == (library / "in.bin").read_bytes()
    assert (library / "uploaded.bin").read_bytes() == local.read_bytes()
    assert c.threads == {threading.current_thread().name}  # every report ran on the draining thread
    q.shutdown()


def test_a_refused_upload_fails_with_a_sentence_and_can_be_retried(server, library, tmp_path):
    (library / "taken.txt").write_bytes(b"server")
    local = tmp_path / "taken.txt"
    local.write_bytes(b"local")
    c = Collector()
    q = TransferQueue(c.post, c.on_change)
    tid = q.upload(Server(*server.address), local, "taken.txt", overwrite=False)
    c.run_until(lambda: tid in c.views and c.views[tid].state.finished)
    assert c.views[tid].state is State.FAILED
    assert c.views[tid].error == "A file with that name already exists on the server"
    (library / "taken.txt").unlink()
    q.retry(tid)
    c.run_until(lambda: c.views[tid].state is State.DONE)
    assert (library / "taken.txt").read_bytes() == b"local"
    assert q.clear_finished() == [tid] and q.views() == []
    q.shutdown()


def test_unreachable_server_fails_every_transfer_in_words(server, tmp_path):
    address = server.address
    server.stop()
    c = Collector()
    q = TransferQueue(c.post, c.on_change)
    tid = q.download(Server(*address), "x", tmp_path, "x")
    c.run_until(lambda: tid in c.views and c.views[tid].state.finished)
    assert c.views[tid].state is State.FAILED and c.views[tid].error == "The server is unreachable"
    q.shutdown()
