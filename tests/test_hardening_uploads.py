"""Hardening matrix, uploads that go wrong (issue 5): a client killed midway,
fewer or more bytes than declared, a failed sha256, a full disk, racing uploads
of one name, the server stopped or a worker killed during an upload.

Each row: a clear error (or a clean close), nothing visible in the library, no
temp file left, an older file of the same name untouched, and the server still
serving others.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.hardening_support import listing, no_temp_files, sha, still_serving, temp_files, upload, visible
from tests.server_process import ServerProcess, wait_for
from tests.wire import Wire

#: Body sizes that take each receive path: received, hashed and written on the
#: worker's thread; spliced into the file with sha256 on a trailing thread (>= 8 MiB).
BODY_SIZES = [pytest.param(1_200_000, id="inline"), pytest.param(10_000_000, id="spliced")]

#: A client in its own process, so the test can SIGKILL it like a crashed program.
_CLIENT_SCRIPT = textwrap.dedent(
    """
    import json, socket, sys, time
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    size, sent, overwrite = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1"
    sock = socket.create_connection((host, port))
    reader = sock.makefile("rb")
    json.loads(reader.readline())
    request = {"op": "put", "name": name, "size": size}
    if overwrite:
        request["overwrite"] = True
    sock.sendall(json.dumps(request).encode() + b"\\n")
    assert json.loads(reader.readline()) == {"ok": True, "ready": True}
    sock.sendall(b"k" * sent)
    print("sent", flush=True)
    time.sleep(120)
    """
)


def start_killable_upload(address, name: str, size: int, sent: int, overwrite: bool = False) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLIENT_SCRIPT, address[0], str(address[1]), name, str(size), str(sent), "1" if overwrite else "0"],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"sent\n"  # type: ignore[union-attr]
    return proc


def temp_bytes(library: Path) -> int:
    return sum((library / ".ferry-uploads" / n).stat().st_size for n in temp_files(library))


# -- the client goes away ------------------------------------------------------------


@pytest.mark.parametrize("overwrite", [False, True])
def test_client_process_killed_midway_leaves_nothing(server, library, overwrite):
    old = b"the old version\n" * 1000
    if overwrite:
        (library / "cut.bin").write_bytes(old)
    proc = start_killable_upload(server.address, "cut.bin", 20_000_000, 3_000_000, overwrite)
    try:
        assert wait_for(lambda: temp_bytes(library) >= 1 << 20, timeout=10)  # stored block by block
        assert visible(library) == (["cut.bin"] if overwrite else [])
        with Wire(server.address) as other:  # serving others while the upload hangs
            assert upload(other, "other.bin", b"fine")["ok"] is True
            response = other.request({"op": "get", "name": "other.bin"})
            assert other.body(response["length"]) == b"fine"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]
    assert no_temp_files(library)
    assert visible(library) == (["cut.bin", "other.bin"] if overwrite else ["other.bin"])
    if overwrite:
        assert (library / "cut.bin").read_bytes() == old
    assert still_serving(server.address)


def test_fewer_bytes_then_half_close_is_an_aborted_upload(server, library):
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "short.bin", "size": 1000})["ready"] is True
        wire.send(b"s" * 999)
        wire.sock.shutdown(1)  # SHUT_WR: EOF one byte early
        assert wire.closed()
    assert no_temp_files(library)
    assert visible(library) == []
    assert still_serving(server.address)


@pytest.mark.parametrize("size", BODY_SIZES)
def test_more_bytes_than_declared_commit_exactly_size_then_count_as_a_header(server, library, size):
    """The surplus is the next header: here an endless one, so header_too_large and
    close, after the upload itself was answered and stored whole."""
    data = os.urandom(size)
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "exact.bin", "size": len(data)})["ready"] is True
        try:
            wire.send(data + b"Z" * (200_000))
        except (BrokenPipeError, ConnectionResetError):
            pass
        final = wire.header()
        assert final == {"ok": True, "name": "exact.bin", "size": len(data), "sha256": sha(data)}
        assert wire.header()["error"] == "header_too_large"
        assert wire.closed()
    assert (library / "exact.bin").read_bytes() == data
    assert no_temp_files(library)


@pytest.mark.parametrize("size", BODY_SIZES)
@pytest.mark.parametrize("overwrite", [False, True])
def test_checksum_mismatch_keeps_the_old_file_and_leaves_no_temp(server, library, overwrite, size):
    old = b"old and good"
    (library / "doc.txt").write_bytes(old)
    data = os.urandom(size)
    wrong = sha(data[:-1] + bytes([data[-1] ^ 1]))
    name = "doc.txt" if overwrite else "new.txt"
    fields = {"overwrite": True} if overwrite else {}
    with Wire(server.address) as wire:
        final = upload(wire, name, data, sha256=wrong.upper(), **fields)
        assert final["ok"] is False and final["error"] == "checksum_mismatch" and final["message"]
        assert [e["name"] for e in listing(wire)] == ["doc.txt"]
        assert upload(wire, name, data, sha256=sha(data), **fields)["ok"] is True  # the same session goes on
    assert (library / name).read_bytes() == data
    if not overwrite:
        assert (library / "doc.txt").read_bytes() == old
    assert no_temp_files(library)


# -- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 16 MiB tmpfs mounted for the test (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "ferry-test", str(mount_point)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {result.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_upload_larger_than_the_free_space_is_no_space_before_ready(small_disk):
    library = small_disk / "library"
    with ServerProcess(library, "--workers", "1") as server:
        with Wire(server.address) as wire:
            assert wire.error({"op": "put", "name": "big.bin", "size": 17 * 1024 * 1024}) == "no_space"
            assert upload(wire, "small.bin", b"s" * 1000)["ok"] is True
    assert visible(library) == ["small.bin"] and temp_files(library) == []


def fill_up(disk: Path) -> Path:
    """Take all the space that is left, as another program writing a file would."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            f.write(b"\0" * (17 * 1024 * 1024))
        except OSError:
            pass
    return filler


@pytest.mark.parametrize("size", BODY_SIZES)
@pytest.mark.parametrize("overwrite", [False, True])
def test_disk_filling_up_during_an_upload(small_disk, overwrite, size):
    """The space was there at ``ready`` and is gone a moment later (someone else
    wrote a file): ENOSPC mid-body. The rest of the body is read and dropped,
    ``no_space`` is the final answer, the session stays usable, and the upload
    succeeds once the space is back."""
    library = small_disk / "library"
    library.mkdir()
    old = b"previous version"
    if overwrite:
        (library / "fill.bin").write_bytes(old)
    data = os.urandom(size)
    fields = {"overwrite": True} if overwrite else {}
    with ServerProcess(library, "--workers", "1") as server:
        with Wire(server.address) as wire:
            assert wire.request({"op": "put", "name": "fill.bin", "size": len(data), **fields})["ready"] is True
            filler = fill_up(small_disk)
            wire.send(data)
            final = wire.header()
            assert final["ok"] is False and final["error"] == "no_space", final
            assert wire.request({"op": "stat", "name": "fill.bin"})["ok"] is overwrite
            assert no_temp_files(library)
            assert visible(library) == (["fill.bin"] if overwrite else [])
            with Wire(server.address) as other:
                assert listing(other) == listing(wire)
            filler.unlink()
            assert upload(wire, "fill.bin", data, sha256=sha(data), overwrite=True)["ok"] is True
    if overwrite:
        pass  # the old content was replaced by the successful retry; checked below
    assert (library / "fill.bin").read_bytes() == data
    assert temp_files(library) == []


def test_disk_full_keeps_the_old_file_whole(small_disk):
    library = small_disk / "library"
    library.mkdir()
    old = os.urandom(300_000)
    (library / "keep.bin").write_bytes(old)
    with ServerProcess(library, "--workers", "1") as server:
        with Wire(server.address) as wire:
            assert wire.request({"op": "put", "name": "keep.bin", "size": 1_200_000, "overwrite": True})["ready"] is True
            fill_up(small_disk)
            wire.send(os.urandom(1_200_000))
            assert wire.header()["error"] == "no_space"
            response = wire.request({"op": "get", "name": "keep.bin"})
            assert wire.body(response["length"]) == old
    assert (library / "keep.bin").read_bytes() == old
    assert temp_files(library) == []


# -- racing uploads -------------------------------------------------------------------------


def race(address, name: str, payloads: list[bytes]) -> list[tuple[bytes, dict]]:
    """Upload every payload as ``name`` at once (no overwrite); each final answer."""
    barrier = threading.Barrier(len(payloads))
    results: list[tuple[bytes, dict]] = []
    lock = threading.Lock()

    def put(data: bytes) -> None:
        with Wire(address) as wire:
            barrier.wait(10)
            answer = wire.request({"op": "put", "name": name, "size": len(data), "sha256": sha(data)})
            if answer.get("ready"):
                wire.send(data)
                answer = wire.header()
            with lock:
                results.append((data, answer))

    threads = [threading.Thread(target=put, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_many_simultaneous_uploads_of_one_name_exactly_one_wins_whole(server, library):
    """Eight clients, released together, each with its own content, no overwrite:
    exactly one ``ok``; the others ``exists`` (before ready, or at the final
    response when they lost the publish); the file is the winner's, whole."""
    for round_number in range(5):
        name = f"race-{round_number}.bin"
        payloads = [bytes([65 + i]) * (200_000 + i) for i in range(8)]
        results = race(server.address, name, payloads)
        winners = [data for data, response in results if response["ok"]]
        losers = [response for _, response in results if not response["ok"]]
        assert len(results) == len(payloads)
        assert len(winners) == 1, results
        assert all(r["error"] == "exists" for r in losers), losers
        assert (library / name).read_bytes() == winners[0]
    assert no_temp_files(library)


def test_overwrite_races_with_readers_every_reader_sees_one_whole_version(server, library):
    versions = [bytes([97 + i]) * 1_000_000 for i in range(4)]
    (library / "hot.bin").write_bytes(versions[0])
    stop = threading.Event()
    torn: list[int] = []

    def reader() -> None:
        with Wire(server.address) as wire:
            while not stop.is_set():
                response = wire.request({"op": "get", "name": "hot.bin"})
                body = wire.body(response["length"])
                if body not in versions:
                    torn.append(len(body))

    def writer(data: bytes) -> None:
        with Wire(server.address) as wire:
            for _ in range(5):
                assert upload(wire, "hot.bin", data, overwrite=True)["ok"] is True

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(v,)) for v in versions]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join(60)
    stop.set()
    for t in readers:
        t.join(30)
    assert torn == []
    assert (library / "hot.bin").read_bytes() in versions
    assert no_temp_files(library)


# -- the server side fails ---------------------------------------------------------------


def test_sigterm_during_a_stalled_upload_aborts_it_within_the_grace(server_factory, library):
    server = server_factory("--workers", "1", "--grace", "1")
    wire = Wire(server.address)
    assert wire.request({"op": "put", "name": "stall.bin", "size": 5_000_000})["ready"] is True
    wire.send(b"x" * 100_000)
    assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    assert server.proc.wait(10) == 0
    assert time.monotonic() - started < 5
    assert visible(library) == [] and temp_files(library) == []
    wire.close()


def test_sigterm_lets_a_running_upload_finish_whole(server_factory, library):
    server = server_factory("--workers", "1", "--grace", "20")
    data = os.urandom(4_000_000)
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "drain.bin", "size": len(data)})["ready"] is True
        wire.send(data[:1_000_000])
        assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        wire.send(data[1_000_000:])
        assert wire.header() == {"ok": True, "name": "drain.bin", "size": len(data), "sha256": sha(data)}
        assert wire.closed()
    assert server.proc.wait(20) == 0
    assert (library / "drain.bin").read_bytes() == data
    assert temp_files(library) == []


def worker_holding_upload(server) -> int:
    """The worker that has a temp file of .ferry-uploads open."""
    for pid in server.children():
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if ".ferry-uploads/" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                    return pid
            except OSError:
                continue
    raise AssertionError("no worker holds an upload")


def test_worker_killed_mid_upload_leaves_nothing_and_spares_other_uploads(server_factory, library):
    """Two uploads on two workers; the worker of one is killed. Its temp file is
    removed when the parent reaps it (no restart needed), the other upload goes on
    and completes, and the pool serves again."""
    server = server_factory("--workers", "2")
    doomed, survivor = Wire(server.address), Wire(server.address)
    assert doomed.request({"op": "put", "name": "dead.bin", "size": 5_000_000})["ready"] is True
    doomed.send(b"d" * 1_000_000)
    assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
    victim = worker_holding_upload(server)
    data = os.urandom(3_000_000)
    for _ in range(10):  # until the second upload lands on the other worker
        assert survivor.request({"op": "put", "name": "alive.bin", "size": len(data)})["ready"] is True
        assert wait_for(lambda: len(temp_files(library)) == 2, timeout=5)
        holders = {pid for pid in server.children() if any(".ferry-uploads/" in _link(pid, fd) for fd in os.listdir(f"/proc/{pid}/fd"))}
        if len(holders) == 2:
            break
        survivor.close()
        assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
        survivor = Wire(server.address)
    else:
        pytest.skip("the two uploads never landed on different workers")
    os.kill(victim, signal.SIGKILL)
    assert doomed.closed()
    doomed.close()
    assert wait_for(lambda: len(server.children()) == 2 and victim not in server.children(), timeout=5)
    assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5), "the dead worker's temp file is still there"
    survivor.send(data)
    assert survivor.header() == {"ok": True, "name": "alive.bin", "size": len(data), "sha256": sha(data)}
    survivor.close()
    assert visible(library) == ["alive.bin"] and temp_files(library) == []
    assert still_serving(server.address)
    assert "removed 1 unfinished uploads of worker" in server.log()


def _link(pid: int, fd: str) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return ""
