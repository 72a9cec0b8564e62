"""A real SIGINT (Ctrl+C) at random moments of ``get -r``/``put -r``, in process:
whatever bytecode it lands on, nothing partial is left behind (no ``.part``
temp file locally, no half file published on the server).

The moments are random but bounded: a fixed number of tries, each a fraction of
a second, so a window of a few bytecodes between creating a temp file and arming
its cleanup is hit within seconds (it was: see the flaky terminal test)."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ferry_files.shared.client import FerryClient
from ferry_files.shared.messages import FOLDERS

TRIES = 40
FILES = 60  # small files: the time goes to creating, publishing and removing temp files
OLD = 1_600_000_000


def make_tree(root: Path) -> dict[str, bytes]:
    files = {}
    for index in range(FILES):
        data = os.urandom(100 + index * 37)
        path = root / f"d{index % 3}" / f"f{index:03d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (OLD, OLD))
        files[path.relative_to(root).as_posix()] = data
    return files


class _OneInterrupt:
    """SIGINT raises KeyboardInterrupt only while armed, and only once: a signal
    that comes after the transfer finished cannot escape into pytest."""

    def __init__(self) -> None:
        self.armed = False
        self.landed = False

    def __call__(self, _signum: int, _frame: object) -> None:
        if self.armed:
            self.armed = False
            self.landed = True
            raise KeyboardInterrupt


@pytest.fixture
def interrupts() -> Iterator[Callable[[object, Callable[[FerryClient], object], float], bool]]:
    """Run a transfer on a new connection with a real SIGINT sent to this process
    after ``delay``; True when the interrupt landed in it (False: it finished
    first). The connection is then closed, as the terminal client's exit does."""
    handler = _OneInterrupt()
    previous = signal.signal(signal.SIGINT, handler)

    def run(server: object, transfer: Callable[[FerryClient], object], delay: float) -> bool:
        client = connect(server)
        handler.armed, handler.landed = True, False
        timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
        try:
            timer.start()
            try:
                transfer(client)
            except KeyboardInterrupt:
                pass
            return handler.landed
        finally:
            handler.armed = False
            timer.cancel()
            timer.join()
            client.close()

    try:
        yield run
    finally:
        signal.signal(signal.SIGINT, previous)


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.name.endswith(".part"))


def connect(server) -> FerryClient:
    client = FerryClient.connect(*server.address, timeout=10)
    if not client.greeting.offers(FOLDERS):
        client.close()
        pytest.skip("the server does not offer folders")
    return client


def test_ctrl_c_at_any_moment_of_get_r_leaves_no_temp_file(server, library, tmp_path, interrupts):
    files = make_tree(library / "tree")
    with connect(server) as client:  # how long a whole download takes here, now
        started = time.monotonic()
        assert client.get_tree("tree", tmp_path / "timing").ok
        whole = time.monotonic() - started
    rng = random.Random(1)
    landed = 0
    deadline = time.monotonic() + 60
    for attempt in range(TRIES):
        if time.monotonic() > deadline:
            break
        target = tmp_path / f"get{attempt}"
        landed += interrupts(server, lambda client, target=target: client.get_tree("tree", target), rng.uniform(0, whole))
        assert leftovers(target) == [], f"attempt {attempt}"
        for path in target.rglob("*.bin"):  # what is there is whole
            assert path.read_bytes() == files[path.relative_to(target).as_posix()]
    assert landed > TRIES // 4  # the interrupts did land mid-transfer


def test_ctrl_c_at_any_moment_of_put_r_publishes_nothing_half(server, library, tmp_path, interrupts):
    files = make_tree(tmp_path / "source")
    with connect(server) as client:
        started = time.monotonic()
        assert client.put_tree(tmp_path / "source", "timing").ok
        whole = time.monotonic() - started
    rng = random.Random(2)
    landed = 0
    deadline = time.monotonic() + 60
    for attempt in range(TRIES):
        if time.monotonic() > deadline:
            break
        landed += interrupts(server, lambda client, name=f"up{attempt}": client.put_tree(tmp_path / "source", name), rng.uniform(0, whole))
        published = library / f"up{attempt}"
        for path in (p for p in published.rglob("*") if p.is_file()):
            assert path.read_bytes() == files[path.relative_to(published).as_posix()], f"attempt {attempt}: {path}"
        assert leftovers(published) == []
    assert landed > TRIES // 4
