"""A worker's file descriptors (issue 10, item 9): what each kind of session
really holds is counted, so a worker short of fds answers ``busy`` or a clear
``io_error`` instead of dropping a client without a word, and gives every fd back."""

from __future__ import annotations

import os
import socket
import time

import pytest
from ferry_files.shared.client import FerryClient
from ferry_files.shared.errors import FerryError
from ferry_files.shared.tls import TlsSettings

from tests.hardening_support import sha, temp_files
from tests.server_process import wait_for
from tests.test_hardening_fds import fd_limit, tally
from tests.wire import Wire

LIMIT = 128
LARGE = 9 << 20  # above uploads.LARGE_BYTES: temp file, socket and a dup for the digest thread


def fds_of(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.parametrize(
    ("folder", "size"),
    [
        pytest.param("", LARGE, id="large"),
        # A small upload into a folder holds as many: its temp file and the folder it publishes into.
        pytest.param("sub/", 200_000, id="into-a-folder"),
    ],
)
def test_large_uploads_beyond_the_fds_are_refused_clearly_and_no_client_is_dropped(server_factory, library, folder, size):
    (library / "sub").mkdir()
    server = server_factory("--workers", "1", preexec_fn=fd_limit(LIMIT))
    (worker,) = server.children()
    idle = fds_of(worker)
    data = os.urandom(size)
    uploaders = [Wire(server.address) for _ in range(38)]
    started, refused = [], []
    for wire in uploaders:
        answer = wire.request({"op": "put", "name": f"{folder}u{len(started) + len(refused)}.bin", "size": size})
        if answer.get("ready"):
            wire.send(data[:100_000])
            started.append(wire)
        else:
            assert answer["error"] == "io_error" and "try again" in answer["message"], answer
            refused.append(wire)
    assert len(started) >= 20, (len(started), len(refused))
    assert wait_for(lambda: len(temp_files(library)) == len(started), timeout=5)

    # Later clients while those uploads hold their fds: a greeting or "busy", never silence.
    late = [socket.create_connection(server.address, timeout=10) for _ in range(17)]
    answers = {word: len(socks) for word, socks in tally(late).items()}
    assert answers["dropped"] == answers["other"] == 0, answers
    for sock in late:
        sock.close()

    # A refused upload leaves its session usable, and the started ones complete whole.
    for wire in refused:
        assert wire.request({"op": "list"})["ok"] is True
    for wire in started:
        wire.send(data[100_000:])
    for wire in started:
        assert wire.header()["sha256"] == sha(data)
    for wire in uploaders:
        wire.close()
    assert temp_files(library) == []
    assert wait_for(lambda: fds_of(worker) == idle, timeout=5), (idle, fds_of(worker))
    assert "Traceback" not in server.log()


def test_silent_tls_connections_beyond_the_limit_cannot_starve_an_admitted_session(server_factory, library, certs):
    cert, key = certs
    data = os.urandom(1 << 20)
    (library / "f.bin").write_bytes(data)
    server = server_factory(
        "--workers", "1", "--max-connections", "5", "--tls-cert", str(cert), "--tls-key", str(key), preexec_fn=fd_limit(LIMIT)
    )
    (worker,) = server.children()
    tls = TlsSettings(cafile=str(cert))
    with FerryClient.connect(*server.address, tls=tls, timeout=10) as admitted:
        silent = []
        deadline = time.monotonic() + 20
        while len(silent) < 300 and time.monotonic() < deadline:
            try:
                silent.append(socket.create_connection(server.address, timeout=10))
            except OSError:  # the backlog is full while the parent pauses: enough of a crowd
                break
        time.sleep(0.5)  # handed over to the worker as refusals
        assert fds_of(worker) < LIMIT - 16
        assert admitted.get("f.bin", library.parent).read_bytes() == data
        assert admitted.stat("f.bin").sha256 == sha(data)
        # A real client among the crowd still hears "busy": the oldest silent one makes room.
        with pytest.raises(FerryError) as info:
            FerryClient.connect(*server.address, tls=tls, timeout=10)
        assert info.value.code == "busy"
        for sock in silent:
            sock.close()
