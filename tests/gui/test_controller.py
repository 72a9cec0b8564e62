"""The controller without Tk: a recording listener stands in for the window,
and posted calls are run by the test thread, as the Tk bridge would run them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ferry_files.gui_client.conflicts import Choice
from ferry_files.gui_client.controller import ConnectionState, Controller
from ferry_files.gui_client.settings import Settings
from ferry_files.gui_client.transfers import State

from tests.gui.posted_calls import PostedCalls


class RecordingWindow(PostedCalls):
    def __init__(self) -> None:
        super().__init__()
        self.states: list[str] = []
        self.messages: list[tuple[str, bool]] = []
        self.transfers: dict[int, object] = {}
        self.questions: list = []
        self.previews: list = []
        self.threads: set[str] = set()

    def _seen(self) -> None:
        self.threads.add(threading.current_thread().name)

    def connection_changed(self, state, message):
        self._seen()
        self.states.append(state)

    def files_changed(self):
        self._seen()

    def transfers_changed(self, views):
        self._seen()
        self.transfers.update((view.id, view) for view in views)

    def preview_ready(self, name, image, message):
        self._seen()
        self.previews.append((name, image, message))

    def report(self, message, error=False):
        self._seen()
        self.messages.append((message, error))

    def ask_conflict(self, conflict, answer):
        self._seen()
        self.questions.append((conflict, answer))


def make(tmp_path: Path) -> tuple[Controller, RecordingWindow]:
    window = RecordingWindow()
    settings = Settings(download_dir=str(tmp_path / "dl"))
    return Controller(settings, window.post, window), window


def test_connect_list_download_upload_and_refresh(server, library, tmp_path):
    (library / "a.txt").write_bytes(b"alpha")
    controller, window = make(tmp_path)
    assert controller.connect(f"127.0.0.1:{server.port}")
    window.run_until(lambda: controller.state == ConnectionState.CONNECTED)
    assert [f.name for f in controller.files.files] == ["a.txt"]
    controller.download(["a.txt"])
    window.run_until(lambda: any(v.state is State.DONE for v in window.transfers.values()))
    assert (tmp_path / "dl" / "a.txt").read_bytes() == b"alpha"
    source = tmp_path / "b.txt"
    source.write_bytes(b"beta")
    controller.upload([source])
    window.run_until(lambda: controller.files.has("b.txt"))  # refreshed after the upload
    assert window.threads == {threading.current_thread().name}  # the window only heard from the posting thread
    controller.shutdown()


def test_bad_address_and_unreachable_server_are_sentences(server, tmp_path):
    controller, window = make(tmp_path)
    assert not controller.connect("host:notaport")
    assert window.messages[-1][1] is True and "port" in window.messages[-1][0]
    port = server.port
    server.stop()
    controller.connect(f"127.0.0.1:{port}")
    window.run_until(lambda: controller.state == ConnectionState.FAILED)
    assert "No server answers" in controller.error
    controller.shutdown()


def test_download_conflict_goes_through_the_question(server, library, tmp_path):
    (library / "same.txt").write_bytes(b"server")
    controller, window = make(tmp_path)
    (tmp_path / "dl").mkdir()
    (tmp_path / "dl" / "same.txt").write_bytes(b"local")
    controller.connect(f"127.0.0.1:{server.port}")
    window.run_until(lambda: controller.state == ConnectionState.CONNECTED)
    controller.download(["same.txt"])
    assert len(window.questions) == 1
    conflict, answer = window.questions[0]
    assert conflict.name == "same.txt" and conflict.where.startswith("in ")
    answer(Choice.KEEP_BOTH, False)
    window.run_until(lambda: any(v.state is State.DONE for v in window.transfers.values()))
    assert (tmp_path / "dl" / "same (1).txt").read_bytes() == b"server"
    assert (tmp_path / "dl" / "same.txt").read_bytes() == b"local"
    controller.shutdown()


def test_a_folder_uploads_as_a_tree_and_refused_names_are_said(server, library, tmp_path):
    """A folder goes up whole (defect 9 said "not a file"); a hidden name and a
    FIFO are reported, not sent."""
    controller, window = make(tmp_path)
    controller.connect(f"127.0.0.1:{server.port}")
    window.run_until(lambda: controller.state == ConnectionState.CONNECTED)
    (tmp_path / "folder" / "in").mkdir(parents=True)
    (tmp_path / "folder" / "in" / "a.txt").write_bytes(b"a")
    (tmp_path / ".hidden").write_bytes(b"x")
    os.mkfifo(tmp_path / "pipe")
    controller.upload([tmp_path / "folder", tmp_path / ".hidden", tmp_path / "pipe"])
    message, error = window.messages[-1]
    assert error and "pipe: not a file" in message and ".hidden" in message and "folder" not in message
    window.run_until(lambda: any(v.state is State.DONE for v in window.transfers.values()))
    assert [v.name for v in window.transfers.values()] == ["folder/"]
    assert (library / "folder" / "in" / "a.txt").read_bytes() == b"a"
    controller.shutdown()


def test_preview_of_an_image_arrives_as_a_thumbnail(server, library, tmp_path):
    from PIL import Image

    Image.new("RGB", (300, 100), (0, 0, 255)).save(library / "blue.png")
    controller, window = make(tmp_path)
    controller.connect(f"127.0.0.1:{server.port}")
    window.run_until(lambda: controller.state == ConnectionState.CONNECTED)
    controller.request_preview("blue.png", 60)
    window.run_until(lambda: window.previews)
    name, image, message = window.previews[0]
    assert name == "blue.png" and image.size == (60, 20) and message == ""
    controller.shutdown()
