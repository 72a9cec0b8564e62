"""Files past 4 GiB: offsets and lengths beyond 2**32 and sendfile calls beyond 2 GiB."""

from __future__ import annotations

import pytest
from ferry_files.shared.client import FerryClient

from tests.wire import Wire

SIZE = 4 * 1024**3 + 12345
TAIL = b"the end of a very large file"


@pytest.fixture
def sparse(library):
    path = library / "huge.img"
    with open(path, "wb") as f:
        f.truncate(SIZE - len(TAIL))
        f.seek(SIZE - len(TAIL))
        f.write(TAIL)
    return path


def test_offsets_past_four_gib(server, sparse):
    with Wire(server.address) as wire:
        response = wire.request({"op": "list"})
        assert b'"size":%d' % SIZE in wire.body(response["length"])
        offset = SIZE - len(TAIL) - 10
        response = wire.request({"op": "get", "name": "huge.img", "offset": offset})
        assert (response["size"], response["offset"], response["length"]) == (SIZE, offset, len(TAIL) + 10)
        assert wire.body(len(TAIL) + 10) == b"\0" * 10 + TAIL


@pytest.mark.slow
def test_whole_sparse_file_streams_every_byte(server, sparse):
    class Tail:
        """Counts bytes and keeps the last few, instead of storing 4 GiB."""

        count = 0
        last = b""

        @classmethod
        def write(cls, data) -> None:
            cls.count += len(data)
            cls.last = (cls.last + bytes(data[-64:]))[-64:]

    with FerryClient.connect(*server.address, timeout=120) as client:
        response = client.get_into("huge.img", Tail)
    assert response["length"] == SIZE
    assert Tail.count == SIZE
    assert Tail.last.endswith(TAIL)
