"""put_tree over several connections (tree_transfer.py): a big tree's files are
dealt out to parallel pipelined streams so the server's workers share them.
Against the real server, with the client's connections seen in /proc."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from ferry_files.shared.client import FerryClient, TransferCancelled
from ferry_files.shared.errors import FerryError
from ferry_files.shared.messages import FOLDERS, MTIME
from ferry_files.shared.tree_transfer import STREAM_MIN_FILES, TreeProgress

from tests.terminal_support import CuttingRelay

OLD = 1_500_000_000.25  # an mtime far from now, exact in a float
FILES = 3 * STREAM_MIN_FILES


def connections_to(port: int) -> int:
    """Established TCP connections of this machine whose far end is ``port`` on 127.0.0.1."""
    wanted = f"0100007F:{port:04X}"
    count = 0
    for table in ("/proc/net/tcp",):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[2] == wanted and fields[3] == "01":
                    count += 1
    return count


def make_tree(root: Path, count: int) -> dict[str, bytes]:
    files = {}
    for index in range(count):
        relative = f"d{index % 7}/f{index:04d}.bin"
        data = os.urandom(50 + (index * 131) % 20000)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (OLD, OLD))
        files[relative] = data
    big = os.urandom(3 << 20)  # one through the streaming body
    (root / "d0" / "big.bin").write_bytes(big)
    os.utime(root / "d0" / "big.bin", (OLD, OLD))
    files["d0/big.bin"] = big
    return files


@pytest.fixture
def client(folders_client):
    return folders_client


def test_a_big_tree_goes_over_several_connections_every_file_once(client, server, library, tmp_path):
    files = make_tree(tmp_path / "source", FILES)
    seen: list[TreeProgress] = []
    most = [0]

    def progress(where: TreeProgress) -> None:
        seen.append(where)
        if where.files_done in (FILES // 3, FILES // 2):
            most[0] = max(most[0], connections_to(server.port))

    report = client.put_tree(tmp_path / "source", "up", progress=progress)
    assert report.ok, report.lines()
    assert len(report.done) == len(set(report.done)) == len(files)
    assert set(report.done) == set(files)
    assert most[0] >= 2, "the files went over one connection"
    total = sum(map(len, files.values()))
    assert seen[-1] == TreeProgress(len(files), len(files), total, total)
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)
    for relative, data in files.items():
        assert (library / "up" / relative).read_bytes() == data
        if client.greeting.offers(MTIME):
            assert (library / "up" / relative).stat().st_mtime == OLD
    assert connections_to(server.port) == 1  # the extra ones are closed; this one stays usable
    assert {entry.name for entry in client.list("up/d3")} == {name.split("/")[1] for name in files if name.startswith("d3/")}


def test_each_stream_reports_its_failures_and_goes_on(client, library, tmp_path):
    files = make_tree(tmp_path / "source", FILES)
    taken = sorted(files)[::25]  # spread over every stream
    for relative in taken:
        (library / "t" / relative).parent.mkdir(parents=True, exist_ok=True)
        (library / "t" / relative).write_bytes(b"already there")
    report = client.put_tree(tmp_path / "source", "t")
    assert {(f.path, f.code) for f in report.failed} == {(relative, "exists") for relative in taken}
    assert sorted(report.done) == sorted(set(files) - set(taken))
    for relative in taken:
        assert (library / "t" / relative).read_bytes() == b"already there"


def test_cancel_stops_every_stream(client, server, library, tmp_path):
    make_tree(tmp_path / "source", FILES)
    cancel = threading.Event()

    def progress(where: TreeProgress) -> None:
        if where.files_done >= FILES // 4:
            cancel.set()

    with pytest.raises(TransferCancelled):
        client.put_tree(tmp_path / "source", "c", progress=progress, cancel=cancel)

    def stored() -> int:
        return sum(len(names) for _, _, names in os.walk(library / "c"))

    deadline = time.monotonic() + 5
    while connections_to(server.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connections_to(server.port) == 0  # every stream's connection is closed
    settled = stored()
    time.sleep(0.3)
    assert stored() == settled < FILES // 2


def test_a_stream_whose_connection_is_lost_stops_the_others_and_raises(server, library, tmp_path):
    files = make_tree(tmp_path / "source", FILES)  # d0/big.bin (3 MiB) is cut off on its way
    with CuttingRelay(server.address, upstream_limit=2 << 20) as relay:
        host, port = relay.address.rsplit(":", 1)
        with FerryClient.connect(host, int(port), timeout=3) as client:  # the cut stream stalls until then
            if not client.greeting.offers(FOLDERS):
                pytest.skip("the server does not offer folders")
            with pytest.raises(FerryError) as info:
                client.put_tree(tmp_path / "source", "t")
            assert info.value.code == "connection_lost"
            assert client.closed
        assert connections_to(int(port)) == 0
    stored = {path.relative_to(library / "t").as_posix(): path.read_bytes() for path in (library / "t").rglob("*") if path.is_file()}
    assert "d0/big.bin" not in stored
    assert all(files[name] == data for name, data in stored.items())  # whole files only, never a part
