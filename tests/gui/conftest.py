"""The desktop app under test: a real Tk root (pytest-xvfb provides the screen),
the real window, and the real server subprocess (``server`` from tests/conftest.py).

``app`` fails the test when any Tk callback raised (Tk only prints those) or
when the app logged an error; ``pump_until`` runs the Tk loop until a condition
holds, with a deadline, instead of sleeping.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ferry_files.gui_client.app import create_root
from ferry_files.gui_client.main_window import MainWindow
from ferry_files.gui_client.transfers import State, TransferView

DEFAULT_TIMEOUT = 20.0


class CallbackErrors:
    """Collects exceptions raised inside Tk callbacks, and errors the app logged."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def tk_hook(self, exc_type, exc_value, exc_tb) -> None:
        self.errors.append("".join(traceback.format_exception(exc_type, exc_value, exc_tb)))

    def check(self) -> None:
        if self.errors:
            pytest.fail("a Tk callback raised or the app logged an error:\n" + "\n".join(self.errors), pytrace=False)


class _LogCollector(logging.Handler):
    def __init__(self, errors: CallbackErrors) -> None:
        super().__init__(logging.ERROR)
        self.collected = errors

    def emit(self, record: logging.LogRecord) -> None:
        self.collected.errors.append(f"log {record.name}: {self.format(record)}")


def pump_until(root, condition: Callable[[], object], timeout: float = DEFAULT_TIMEOUT, what: str = "condition") -> object:
    """Run the Tk loop until ``condition()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        root.update()
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


def xdotool(app, *args: str) -> str:
    """Run xdotool (real X input: XTEST) while the Tk loop keeps answering X, as
    the app must meanwhile; its output."""
    process = subprocess.Popen(["xdotool", *args], stdout=subprocess.PIPE, text=True)
    app.pump_until(lambda: process.poll() is not None, timeout=20, what=f"xdotool {' '.join(args)}")
    assert process.returncode == 0, f"xdotool {args} failed"
    return process.stdout.read()


def pump_for(root, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        time.sleep(0.005)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sparse_file(path: Path, size: int, head: bytes = b"ferry") -> Path:
    """A file of ``size`` bytes that takes almost no disk: a few bytes, then a hole."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


class Driver:
    """Drives the window the way a person does: through its widgets."""

    def __init__(self, window: MainWindow, downloads: Path) -> None:
        self.window = window
        self.root = window.root
        self.downloads = downloads

    def pump_until(self, condition: Callable[[], object], timeout: float = DEFAULT_TIMEOUT, what: str = "condition") -> object:
        return pump_until(self.root, condition, timeout, what)

    def connect(self, server, token: str = "") -> None:
        bar = self.window.connect_bar
        host, port = server.address
        bar.host.set(host)
        bar.port.set(str(port))
        bar.token.set(token)
        if bar.connected:
            bar.button.invoke()  # Disconnect first
        bar.button.invoke()
        self.pump_until(lambda: self.window.controller.state in ("connected", "failed"), what="the connection")

    def shown_names(self) -> list[str]:
        return self.window.file_view.visible_names()

    def wait_for_names(self, names: set[str], timeout: float = DEFAULT_TIMEOUT) -> None:
        self.pump_until(lambda: set(self.shown_names()) == names, timeout, what=f"the list to show {sorted(names)}")

    def select(self, *names: str) -> None:
        self.window.file_view.select_names(list(names))
        self.root.update()

    def rows(self) -> list[TransferView]:
        panel = self.window.transfers_panel
        return [panel.view_of(i) for i in panel.shown_ids()]

    def row(self, name: str):
        """The panel's row of widgets showing the transfer of ``name``, scrolled
        into view (the list is virtual: only rows on screen are widgets)."""
        panel = self.window.transfers_panel
        for transfer_id in panel.shown_ids():
            if panel.view_of(transfer_id).name == name:
                return panel.slot_for(transfer_id)
        return None

    def wait_for_state(self, name: str, *states: State, timeout: float = DEFAULT_TIMEOUT):
        def reached():
            row = self.row(name)
            return row is not None and row.view.state in states and row

        return self.pump_until(reached, timeout, what=f"transfer {name!r} to be {'/'.join(s.value for s in states)}")

    def answer_conflict(self, button: str, apply_to_all: bool = False) -> None:
        dialog = self.pump_until(lambda: self.window.dialog, what="the conflict dialog")
        dialog.apply_to_all.set(apply_to_all)
        getattr(dialog, f"{button}_button").invoke()
        self.root.update()

    def status_message(self) -> str:
        return self.window.status.full_message


@pytest.fixture
def callback_errors() -> Iterator[CallbackErrors]:
    errors = CallbackErrors()
    handler = _LogCollector(errors)
    logging.getLogger("gui").addHandler(handler)
    yield errors
    logging.getLogger("gui").removeHandler(handler)


@pytest.fixture
def settings_path(tmp_path: Path, downloads: Path) -> Path:
    path = tmp_path / "config" / "gui.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"download_dir": str(downloads)}))
    return path


@pytest.fixture
def app(callback_errors: CallbackErrors, settings_path: Path, downloads: Path) -> Iterator[Driver]:
    root, dnd = create_root()
    root.report_callback_exception = callback_errors.tk_hook
    window = MainWindow(root, settings_path, dnd)
    root.update()
    driver = Driver(window, downloads)
    yield driver
    try:
        if window.dialog is not None:
            window.dialog.choose(None)
        window.close()
        del window, driver
        gc.collect()  # Tk objects must die on this thread, not in a worker's garbage collection
    finally:
        callback_errors.check()


def stop_workers(server) -> list[int]:
    workers = server.children()
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    return workers


def continue_workers(workers: list[int]) -> None:
    for pid in workers:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def wait_without_tk(condition: Callable[[], object], timeout: float = DEFAULT_TIMEOUT, what: str = "condition") -> None:
    """Poll fast without running Tk (to catch a transfer early: Tk would slow the poll)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.0005)


@pytest.fixture
def memory_library(tmp_path):
    """A library folder in RAM when the machine has /dev/shm: creating 100,000
    files on a busy disk takes longer than everything else in this test."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else tmp_path
    folder = Path(tempfile.mkdtemp(prefix="ferry-gui-test-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
