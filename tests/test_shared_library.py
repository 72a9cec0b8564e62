"""Two server instances on one library folder (issue 10, item 7): a restarted
server starting while the old one drains, or two servers side by side. Neither
removes the other's uploads in progress; each removes only what nobody writes."""

from __future__ import annotations

import os
import signal

from tests.hardening_support import sha, still_serving, temp_files, upload, visible
from tests.server_process import wait_for
from tests.wire import Wire

SIZE = 20_000_000  # large: spliced, hashed by a trailing thread (a dup of the temp file's fd)


def test_a_restart_while_the_old_instance_drains_spares_its_upload(server_factory, library):
    old = server_factory("--workers", "1", "--grace", "30")
    data = os.urandom(SIZE)
    with Wire(old.address) as wire:
        assert wire.request({"op": "put", "name": "drained.bin", "size": SIZE})["ready"] is True
        wire.send(data[: SIZE // 2])
        assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
        old.send_signal(signal.SIGTERM)
        new = server_factory("--workers", "1")  # its start-up sweep runs before it prints "listening"
        assert len(temp_files(library)) == 1, "the new instance removed the draining one's upload"
        wire.send(data[SIZE // 2 :])
        assert wire.header() == {"ok": True, "name": "drained.bin", "size": SIZE, "sha256": sha(data)}
    assert old.proc.wait(30) == 0
    assert (library / "drained.bin").read_bytes() == data
    with Wire(new.address) as wire:
        assert wire.request({"op": "stat", "name": "drained.bin"})["sha256"] == sha(data)
    assert temp_files(library) == []


def test_two_servers_on_one_folder_both_take_uploads(server_factory, library):
    first = server_factory("--workers", "1")
    data = os.urandom(SIZE)
    with Wire(first.address) as slow:
        assert slow.request({"op": "put", "name": "first.bin", "size": SIZE})["ready"] is True
        slow.send(data[:1_000_000])
        assert wait_for(lambda: len(temp_files(library)) == 1, timeout=5)
        second = server_factory("--workers", "1")
        with Wire(second.address) as wire:
            small = b"from the second server"
            assert upload(wire, "second.txt", small)["sha256"] == sha(small)
        # A worker of the second server dies mid-upload: its parent sweeps, and
        # the first server's upload survives that too.
        with Wire(second.address) as doomed:
            assert doomed.request({"op": "put", "name": "doomed.bin", "size": SIZE})["ready"] is True
            doomed.send(b"x" * 1_000_000)
            assert wait_for(lambda: len(temp_files(library)) == 2, timeout=5)
            (worker,) = second.children()
            os.kill(worker, signal.SIGKILL)
            assert doomed.closed()
        assert wait_for(lambda: len(temp_files(library)) == 1 and "removed 1 unfinished" in second.log(), timeout=5)
        slow.send(data[1_000_000:])
        assert slow.header() == {"ok": True, "name": "first.bin", "size": SIZE, "sha256": sha(data)}
    assert visible(library) == ["first.bin", "second.txt"]
    assert (library / "first.bin").read_bytes() == data
    assert temp_files(library) == []
    assert still_serving(first.address) and still_serving(second.address)


def test_a_stale_upload_of_a_crashed_instance_is_removed_beside_a_live_one(server_factory, library):
    """What nobody holds is swept at start, whatever its name says; what a live
    server writes is not."""
    live = server_factory("--workers", "1")
    stale = library / ".ferry-uploads" / f"{os.getpid()}-0123456789abcdef.part"  # a live pid: the name proves nothing
    stale.write_bytes(b"left by a crash")
    with Wire(live.address) as wire:
        assert wire.request({"op": "put", "name": "live.bin", "size": SIZE})["ready"] is True
        wire.send(b"y" * 1_000_000)
        assert wait_for(lambda: len(temp_files(library)) == 2, timeout=5)
        server_factory("--workers", "1")
        assert len(temp_files(library)) == 1 and not stale.exists()
        wire.send(b"y" * (SIZE - 1_000_000))
        assert wire.header()["ok"] is True
    assert temp_files(library) == []
