"""A second X screen at 192 dpi and 24-bit colour (pytest-xvfb's is 96 dpi and
16-bit, which Pillow's ImageGrab cannot read), and the real window on it."""

from __future__ import annotations

import gc
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ferry_files.gui_client.app import create_root
from ferry_files.gui_client.main_window import MainWindow

from tests.gui.conftest import CallbackErrors, Driver


def start_xvfb(dpi: int, width: int, height: int) -> tuple[subprocess.Popen, str]:
    """A private X server at ``dpi``; its display number is the first free one from 140."""
    for number in range(140, 180):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-dpi", str(dpi), "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return process, f":{number}"
            time.sleep(0.05)
        process.kill()
        process.wait()
    raise RuntimeError("could not start Xvfb")


@pytest.fixture(scope="session")
def hidpi_display() -> Iterator[str]:
    """A 2880 x 1800 screen at 192 dpi, for the whole session: Tk keeps a display
    open after its last window, and Xlib ends the process when that server goes."""
    xvfb, display = start_xvfb(192, 2880, 1800)
    yield display
    xvfb.terminate()
    xvfb.wait()


@pytest.fixture
def hidpi_app(hidpi_display: str, callback_errors: CallbackErrors, settings_path: Path, downloads: Path) -> Iterator[Driver]:
    """The real window on the 192-dpi screen."""
    window = None
    try:
        display = os.environ.get("DISPLAY")
        root, dnd = create_root(screen=hidpi_display)
        if display is not None:  # Tk sets $DISPLAY to the screen it opened; the next tests use pytest-xvfb's
            os.environ["DISPLAY"] = display
        root.report_callback_exception = callback_errors.tk_hook
        window = MainWindow(root, settings_path, dnd)
        root.update()
        yield Driver(window, downloads)
    finally:
        if window is not None:
            window.close()
            del window
            gc.collect()
        callback_errors.check()
