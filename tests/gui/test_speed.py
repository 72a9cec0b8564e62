"""A 1 GiB download through the window against the client library alone.

The app's own cost is the progress path: worker callbacks, throttled reports,
the bridge and the progress bar. With the same work on both sides (the
library's ``get`` without verification, as the terminal client calls it, and
the app with ``verify_downloads`` off), the app must reach 90% of the speed.
Best of two interleaved runs each, because other processes share the machine.
"""

from __future__ import annotations

import time

import pytest

from gui_client.transfers import State
from shared.client import FerryClient
from tests.gui.conftest import sparse_file

pytestmark = [pytest.mark.gui, pytest.mark.slow]

GIB = 1 << 30


def test_a_gigabyte_through_the_app_is_at_least_90_percent_of_the_library_speed(app, server, library, downloads, tmp_path):
    sparse_file(library / "gig.bin", GIB)
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    app.window.controller.transfers.verify = False
    app.connect(server)
    app.wait_for_names({"gig.bin"})

    def library_alone() -> float:
        with FerryClient.connect(*server.address) as client:
            start = time.monotonic()
            client.get("gig.bin", plain_dir, progress=lambda done, total: None)
            elapsed = time.monotonic() - start
        (plain_dir / "gig.bin").unlink()
        return elapsed

    def through_the_app() -> float:
        app.window.transfers_panel.clear_button.invoke()
        app.select("gig.bin")
        start = time.monotonic()
        app.window.download_button.invoke()
        app.wait_for_state("gig.bin", State.DONE, timeout=120)
        elapsed = time.monotonic() - start
        (downloads / "gig.bin").unlink()
        return elapsed

    plain, in_app = [], []
    for _ in range(2):  # interleaved, so both see the same disk write-back and load
        plain.append(library_alone())
        in_app.append(through_the_app())
    plain, in_app = min(plain), min(in_app)
    assert plain / in_app >= 0.9, f"library {GIB / plain / 1e6:.0f} MB/s, app {GIB / in_app / 1e6:.0f} MB/s"
