"""A folder on the way swapped for a symlink to outside the library, again and again,
while clients get, stat, put, mkdir and list through it (PROTOCOL.md 7.1: a path
never leaves the library and never passes through a symbolic link).

Every answer must be about the library's own folder or ``not_found``: nothing
outside is ever read, listed or written, and every upload acknowledged is in the
library. Bounded in time; the run must have seen both outcomes, or it raced nothing.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.hardening_support import sha
from tests.wire import Wire

SECONDS = 2.5
INSIDE = b"inside"
OUTSIDE = b"OUTSIDE"


_libc = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(first: Path, second: Path) -> None:
    """Swap two entries atomically (``renameat2`` with ``RENAME_EXCHANGE``): the
    folder's name never goes missing, so no ``parents`` can make it anew meanwhile."""
    if _libc.renameat2(_AT_FDCWD, bytes(first), _AT_FDCWD, bytes(second), _RENAME_EXCHANGE) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), str(first))


class Swapper(threading.Thread):
    """Swaps ``folder`` (in the library) for a symlink to ``target`` and back, until stopped."""

    def __init__(self, folder: Path, target: Path) -> None:
        super().__init__(daemon=True)
        self.folder = folder
        self.link = folder.with_name("." + folder.name + "-link")  # hidden: never listed
        os.symlink(target, self.link)
        self.stop = threading.Event()
        self.swaps = 0

    def run(self) -> None:
        while not self.stop.is_set():
            exchange(self.folder, self.link)  # the folder is now the link
            time.sleep(0.0005)
            exchange(self.folder, self.link)  # and the folder again
            self.swaps += 1
            time.sleep(0.0005)


@pytest.fixture
def trees(library: Path, tmp_path: Path) -> tuple[Path, Path]:
    (library / "a" / "b").mkdir(parents=True)
    (library / "a" / "b" / "f.txt").write_bytes(INSIDE)
    outside = tmp_path / "outside"
    (outside / "b").mkdir(parents=True)  # the same shape: following the link would work
    (outside / "b" / "f.txt").write_bytes(OUTSIDE)
    (outside / "f.txt").write_bytes(OUTSIDE)
    (outside / "b" / "secret-only.txt").write_bytes(OUTSIDE)
    return library, outside


def snapshot(folder: Path) -> dict[str, bytes | None]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            found[os.path.relpath(os.path.join(dirpath, name), folder)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, folder)] = Path(path).read_bytes()
    return found


def listed(wire: Wire, **fields) -> list[dict] | str:
    answer = wire.request({"op": "list", **fields})
    if not answer["ok"]:
        return answer["error"]
    return [json.loads(line) for line in wire.body(answer["length"]).splitlines()]


@pytest.mark.parametrize("swapped", ["a", "a/b"])
def test_a_folder_swapped_for_a_link_never_leads_outside(server, trees, swapped):
    library, outside = trees
    before = snapshot(outside)
    # Swapping "a/b" links to outside/b, swapping "a" to outside (which holds b/).
    swapper = Swapper(library / swapped, outside / "b" if swapped == "a/b" else outside)
    outcomes: Counter[str] = Counter()
    acknowledged: list[str] = []
    wrong: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def note(what: str) -> None:
        with lock:
            outcomes[what] += 1

    def reader() -> None:
        with Wire(server.address) as wire:
            while time.monotonic() < deadline:
                answer = wire.request({"op": "get", "name": "a/b/f.txt"})
                if answer["ok"]:
                    body = wire.body(answer["length"])
                    if body != INSIDE:
                        wrong.append(f"get read {body!r}")
                    note("get ok")
                elif answer["error"] == "not_found":
                    note("get not_found")
                else:
                    wrong.append(f"get: {answer}")
                answer = wire.request({"op": "stat", "name": "a/b/f.txt"})
                if answer["ok"] and answer["sha256"] != sha(INSIDE):
                    wrong.append("stat hashed the outside file")
                elif not answer["ok"] and answer["error"] != "not_found":
                    wrong.append(f"stat: {answer}")

    def writer(index: int) -> None:
        with Wire(server.address) as wire:
            sequence = 0
            while time.monotonic() < deadline:
                name = f"a/b/up-{index}-{sequence}"
                fields = {"parents": True} if sequence % 2 else {}
                answer = wire.request({"op": "put", "name": name, "size": len(INSIDE), **fields})
                if answer.get("ready"):
                    wire.send(INSIDE)
                    answer = wire.header()
                if answer["ok"]:
                    with lock:
                        acknowledged.append(name)
                    note("put ok")
                elif answer["error"] == "not_found":
                    note("put not_found")
                else:
                    wrong.append(f"put: {answer}")
                answer = wire.request({"op": "mkdir", "path": f"a/b/dir-{index}-{sequence}", "parents": True})
                if not answer["ok"] and answer["error"] != "not_found":
                    wrong.append(f"mkdir: {answer}")
                sequence += 1

    def lister() -> None:
        with Wire(server.address) as wire:
            while time.monotonic() < deadline:
                for fields in ({"path": "a/b"}, {"recursive": True, "folders": True}, {"path": "a", "recursive": True}):
                    lines = listed(wire, **fields)
                    if isinstance(lines, str):
                        if lines != "not_found" or "path" not in fields:
                            wrong.append(f"list {fields}: {lines}")
                        note("list not_found")
                        continue
                    note("list ok")
                    for line in lines:  # outside's f.txt files are longer than the library's
                        if "secret-only" in line["name"] or (line["name"].endswith("f.txt") and line["size"] != len(INSIDE)):
                            wrong.append(f"list {fields} showed outside: {line}")

    threads = [threading.Thread(target=reader), threading.Thread(target=lister)]
    threads += [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    swapper.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 30)
    swapper.stop.set()
    swapper.join(5)

    assert not wrong, wrong[:5]
    assert snapshot(outside) == before  # nothing outside written, or made
    for name in acknowledged:
        assert (library / name).read_bytes() == INSIDE, name
    # Both outcomes happened, or the run raced nothing.
    assert swapper.swaps >= 50, swapper.swaps
    for what in ("get ok", "get not_found", "put ok", "put not_found", "list ok"):
        assert outcomes[what] >= 1, outcomes
    assert os.listdir(library / ".ferry-uploads") == []
