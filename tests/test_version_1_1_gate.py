"""Protocol 1.1 (PROTOCOL.md section 7) as far as the server has it: the greeting's
``features``, ``forbidden`` for every request that uses a feature not offered (ranked
right after ``read_only``), ``get`` with ``length``, and ``--no-delete``."""

from __future__ import annotations

import pytest
from ferry_files.server.config import ServerConfig
from ferry_files.server.features import IMPLEMENTED, offered
from ferry_files.shared.messages import FEATURES, parse_request

from tests.wire import Wire

#: One request per 1.1 field or op.
USES_A_FEATURE = [
    {"op": "list", "path": ""},
    {"op": "list", "path": "photos"},
    {"op": "list", "folders": True},
    {"op": "list", "folders": False},
    {"op": "list", "recursive": True},
    {"op": "mkdir", "path": "a"},
    {"op": "mkdir", "path": "a/b", "parents": True},
    {"op": "stat", "name": "a/a.txt"},
    {"op": "get", "name": "a/a.txt"},
    {"op": "put", "name": "a/b.txt", "size": 1},
    {"op": "put", "name": "b.txt", "size": 1, "trailer": True},
    {"op": "put", "name": "b.txt", "size": 1, "upload_id": "AB" * 16},
    {"op": "put", "name": "b.txt", "size": 1, "mtime": 1_700_000_000.5},
    {"op": "put", "name": "b.txt", "size": 1, "parents": True},
]
#: Requests that use ``manage``, which ``--no-delete`` leaves out of the greeting.
USES_MANAGE = [
    {"op": "delete", "path": "a.txt"},
    {"op": "delete", "path": "a", "recursive": True},
    {"op": "rename", "from": "a.txt", "to": "b.txt"},
    {"op": "rename", "from": "a.txt", "to": "b.txt", "overwrite": True},
    {"op": "rename", "from": "a/a.txt", "to": "b.txt"},
]


def test_this_server_offers_every_feature_the_requests_use():
    for request in USES_A_FEATURE + USES_MANAGE:
        assert parse_request(request["op"], request).features <= IMPLEMENTED, request


def refusal(wire: Wire, request: dict) -> tuple[str, str]:
    """The error code and message of a request that must fail."""
    response = wire.request(request)
    assert response["ok"] is False, response
    return response["error"], response["message"]


def test_greeting_names_the_offered_features(server):
    with Wire(server.address) as wire:
        assert wire.greeting["features"] == [f for f in FEATURES if f in IMPLEMENTED]


@pytest.mark.parametrize("request_", USES_MANAGE)
def test_requests_using_a_feature_not_offered_are_forbidden(server_factory, library, request_):
    (library / "a.txt").write_bytes(b"alpha")
    (library / "a").mkdir()
    (library / "a" / "a.txt").write_bytes(b"hidden in a folder")
    server = server_factory("--workers", "1", "--no-delete")
    with Wire(server.address) as wire:
        assert "manage" not in wire.greeting["features"]
        code, message = refusal(wire, request_)
        assert code == "forbidden"
        assert "feature" in message
        assert wire.request({"op": "stat", "name": "a.txt"})["size"] == 5  # still usable, nothing changed
    assert sorted(p.name for p in library.iterdir()) == [".ferry-uploads", "a", "a.txt"]


def test_forbidden_ranks_after_bad_request_and_bad_name(server):
    with Wire(server.address) as wire:
        assert wire.error({"op": "mkdir"}) == "bad_request"
        assert wire.error({"op": "mkdir", "path": "a", "parents": 1}) == "bad_request"
        assert wire.error({"op": "list", "path": None}) == "bad_request"
        assert wire.error({"op": "put", "name": "b", "size": 1, "trailer": True, "sha256": "ab" * 32}) == "bad_request"
        assert wire.error({"op": "get", "name": "a/b", "length": -1}) == "bad_request"
        assert wire.error({"op": "rename", "from": "a", "to": 5}) == "bad_request"
        assert wire.error({"op": "mkdir", "path": "a//b"}) == "bad_name"
        assert wire.error({"op": "list", "path": "/"}) == "bad_name"
        assert wire.error({"op": "delete", "path": ""}) == "bad_name"
        assert wire.error({"op": "rename", "from": "a", "to": "a/../b"}) == "bad_name"
        assert wire.error({"op": "put", "name": "a/.x", "size": 1, "mtime": 1}) == "bad_name"
        assert wire.error({"op": "stat", "name": "a/"}) == "bad_name"


def test_forbidden_ranks_after_unauthorized(server_factory, tmp_path):
    (tmp_path / "token").write_text("s3cret")
    every = server_factory("--workers", "1", "--token-file", str(tmp_path / "token"))
    writes = server_factory("--workers", "1", "--token-file", str(tmp_path / "token"), "--token-for", "write", "--no-delete")
    with Wire(every.address) as wire:
        assert wire.error({"op": "list", "path": "a"}) == "unauthorized"
        assert wire.error({"op": "delete", "path": "a"}) == "unauthorized"
    with Wire(writes.address) as wire:  # the new ops that change the library need auth, as put does
        for request in [{"op": "mkdir", "path": "a"}, {"op": "delete", "path": "a"}, {"op": "rename", "from": "a", "to": "b"}]:
            assert wire.error(request) == "unauthorized"
        assert wire.error({"op": "put", "name": "b.txt", "size": 1, "mtime": 1}) == "unauthorized"
        assert wire.request({"op": "auth", "token": "s3cret"}) == {"ok": True}
        assert wire.error({"op": "delete", "path": "a"}) == "forbidden"


def test_forbidden_ranks_after_read_only_and_before_the_rest(server_factory, library):
    (library / "a.txt").write_bytes(b"alpha")
    read_only = server_factory("--workers", "1", "--read-only")
    with Wire(read_only.address) as wire:
        assert wire.error({"op": "mkdir", "path": "a"}) == "read_only"
        assert wire.error({"op": "delete", "path": "a.txt"}) == "read_only"
        assert wire.error({"op": "rename", "from": "a.txt", "to": "b"}) == "read_only"
        assert wire.error({"op": "put", "name": "b", "size": 1, "upload_id": "0" * 32}) == "read_only"
    limited = server_factory("--workers", "1", "--max-upload", "1", "--no-delete")  # manage not offered, whatever is implemented
    with Wire(limited.address) as wire:
        assert wire.error({"op": "put", "name": "a.txt", "size": 5, "overwrite": True}) == "forbidden"  # not too_large
        assert wire.error({"op": "delete", "path": "missing"}) == "forbidden"  # not not_found
        assert wire.error({"op": "rename", "from": "nowhere/a.txt", "to": "b.txt"}) == "forbidden"  # not not_found


def test_get_with_length(server, library):
    data = bytes(range(256)) * 40
    (library / "a.bin").write_bytes(data)
    cases = [
        (0, 0),
        (0, 100),
        (0, len(data)),
        (0, len(data) + 1),
        (0, 2**63 - 1),
        (100, 50),
        (100, 10**6),
        (len(data), 5),
        (len(data) - 3, 5),
    ]
    with Wire(server.address) as wire:
        for offset, length in cases:
            header = wire.request({"op": "get", "name": "a.bin", "offset": offset, "length": length})
            expected = data[offset : offset + length]
            assert header == {
                "ok": True,
                "name": "a.bin",
                "size": len(data),
                "mtime": header["mtime"],
                "offset": offset,
                "length": len(expected),
            }
            assert wire.body(header["length"]) == expected
        assert wire.request({"op": "get", "name": "a.bin", "length": 3})["length"] == 3  # offset defaults to 0
        assert wire.body(3) == data[:3]
        assert wire.error({"op": "get", "name": "a.bin", "offset": len(data) + 1, "length": 1}) == "bad_request"
        assert wire.request({"op": "stat", "name": "a.bin"})["size"] == len(data)  # the stream is in step


def test_no_delete_refuses_overwrite_but_not_new_uploads(server_factory, library):
    (library / "a.txt").write_bytes(b"alpha")
    server = server_factory("--workers", "1", "--no-delete")
    with Wire(server.address) as wire:
        assert "manage" not in wire.greeting["features"]
        code, message = refusal(wire, {"op": "put", "name": "a.txt", "size": 1, "overwrite": True})
        assert code == "forbidden" and "replace" in message
        assert wire.error({"op": "put", "name": "new.txt", "size": 1, "overwrite": True}) == "forbidden"
        assert wire.error({"op": "put", "name": ".a", "size": 1, "overwrite": True}) == "bad_name"
        assert wire.error({"op": "put", "name": "a.txt", "size": 1}) == "exists"
        assert wire.request({"op": "put", "name": "new.txt", "size": 2}) == {"ok": True, "ready": True}
        wire.send(b"hi")
        assert wire.header()["ok"] is True
    assert (library / "a.txt").read_bytes() == b"alpha"
    assert (library / "new.txt").read_bytes() == b"hi"
    both = server_factory("--workers", "1", "--no-delete", "--read-only")
    with Wire(both.address) as wire:
        assert wire.error({"op": "put", "name": "a.txt", "size": 1, "overwrite": True}) == "read_only"


def test_no_delete_leaves_manage_out_of_what_is_offered(monkeypatch):
    monkeypatch.setattr("ferry_files.server.features.IMPLEMENTED", frozenset(FEATURES))
    assert offered(ServerConfig()) == frozenset(FEATURES)
    assert offered(ServerConfig(no_delete=True)) == frozenset(FEATURES) - {"manage"}
