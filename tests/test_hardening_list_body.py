"""A hostile server's ``list`` body (issue 10, item 11): a huge announced length or
an endless stream is refused before it is buffered, with one clear error, in the
client library and in the terminal client."""

from __future__ import annotations

import socket
import time
import tracemalloc

import pytest
from ferry_files.shared.client import ConnectionLost, FerryClient
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.limits import MAX_LIST_BODY

from tests.fake_server import EvilServer, header
from tests.terminal_support import run_client

#: What the hostile server streams at most, so a client that buffers it shows it.
STREAMED = 64 << 20
#: The client may hold this much while it refuses: a receive buffer, not the stream.
ALLOWED_PEAK = 4 << 20


def announce_and_stream(length: int, count: int = 1) -> object:
    """A script: answer the first request with a list header announcing ``length``
    bytes, then stream junk until the client hangs up (or STREAMED is sent)."""

    def script(conn: socket.socket, reader) -> None:
        if not reader.readline():
            return
        conn.sendall(header({"ok": True, "count": count, "length": length}))
        chunk = b'{"name":"x","size":0,"mtime":0}\n' * 2048
        sent = 0
        while sent < STREAMED:
            conn.sendall(chunk)
            sent += len(chunk)

    return script


def refused_list(fake: EvilServer) -> tuple[FerryError, int, float]:
    """The error ``list()`` raised, the most memory it held meanwhile, and the seconds it took."""
    with FerryClient.connect(*fake.address, timeout=5) as client:
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(FerryError) as info:
                client.list()
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        with pytest.raises(ConnectionLost):  # the rest of the stream is never read as a reply
            client.list()
    return info.value, peak, elapsed


@pytest.mark.parametrize("length", [2**62, MAX_LIST_BODY + 1], ids=["2**62", "cap+1"])
def test_a_list_announced_larger_than_the_cap_is_refused_before_it_is_read(length):
    fake = EvilServer(announce_and_stream(length))
    error, peak, elapsed = refused_list(fake)
    fake.close()
    assert error.code is ErrorCode.BAD_REQUEST
    assert error.message == f"the server's list is larger than {MAX_LIST_BODY >> 20} MiB; refusing it"
    assert peak < ALLOWED_PEAK and elapsed < 5


def test_an_impossible_list_length_is_refused_and_the_body_left_unread():
    fake = EvilServer(announce_and_stream(-1, count=0))
    error, _, _ = refused_list(fake)
    fake.close()
    assert error.code is ErrorCode.BAD_REQUEST and error.message == "'length' is out of range"


def test_the_terminal_client_prints_one_line_and_exits_1():
    fake = EvilServer(announce_and_stream(2**62))
    host, port = fake.address
    result = run_client(f"{host}:{port}", "list")
    fake.close()
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"error: bad_request: the server's list is larger than {MAX_LIST_BODY >> 20} MiB; refusing it\n"
