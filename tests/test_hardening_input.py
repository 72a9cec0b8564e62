"""Hardening matrix, bad input (issue 5): malformed, truncated, oversized and
wrongly typed headers against the real server subprocess.

Each row: the input, the answer PROTOCOL.md prescribes, the session still usable
(or closed, for the closing codes), other clients unaffected, and not one
traceback in the server's log.
"""

from __future__ import annotations

import socket
import time

import pytest
from ferry_files.shared.limits import MAX_HEADER_BYTES

from tests.hardening_support import listing, sha, still_serving, upload, visible
from tests.server_process import ServerProcess
from tests.wire import Wire


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the whole module (these rows change nothing on disk)."""
    root = tmp_path_factory.mktemp("input-library")
    (root / "a.txt").write_bytes(b"alpha")
    with ServerProcess(root, "--workers", "2") as server:
        yield server


@pytest.fixture
def srv(shared_server):
    """The shared server, checked after every row: no traceback, still serving."""
    start = len(shared_server.log())
    yield shared_server
    log = shared_server.log()[start:]
    assert "Traceback" not in log and "session failed" not in log, log[-3000:]
    assert shared_server.proc.poll() is None
    assert still_serving(shared_server.address)


def survives(wire: Wire) -> bool:
    response = wire.request({"op": "stat", "name": "a.txt"})
    return response["ok"] is True and response["sha256"] == sha(b"alpha")


# -- truncated and oversized headers -------------------------------------------------


@pytest.mark.parametrize(
    "partial",
    [b'{"op":"li', b'{"op":"put","name":"t.bin","size":10', b"\xff\xfe", b"[" * 5000, b'{"op":"get","name":"a.txt"}\r'],
)
def test_truncated_header_then_hang_up_harms_nobody(srv, partial):
    with Wire(srv.address) as other:
        with Wire(srv.address) as quitter:
            quitter.send(partial)
        time.sleep(0.1)
        assert survives(other)


def test_header_of_exactly_the_maximum_size_is_read(srv):
    prefix, suffix = b'{"op":"list","pad":"', b'"}\n'
    line = prefix + b"x" * (MAX_HEADER_BYTES - len(prefix) - len(suffix)) + suffix
    assert len(line) == MAX_HEADER_BYTES
    with Wire(srv.address) as wire:
        response = wire.request(line)
        assert response["ok"] is True
        wire.body(response["length"])
        assert survives(wire)


def test_one_byte_over_the_maximum_is_header_too_large_and_closes(srv):
    prefix, suffix = b'{"op":"list","pad":"', b'"}\n'
    line = prefix + b"x" * (MAX_HEADER_BYTES + 1 - len(prefix) - len(suffix)) + suffix
    with Wire(srv.address) as wire:
        assert wire.error(line) == "header_too_large"
        assert wire.closed()


def test_oversized_header_is_refused_before_its_end_arrives(srv):
    """The server must not buffer an endless line: it answers once 64 KiB are in,
    while the sender is still going."""
    with Wire(srv.address) as wire:
        wire.sock.settimeout(10)
        sent = 0
        wire.sock.setblocking(False)
        deadline = time.monotonic() + 10
        answer = b""
        while b"\n" not in answer and time.monotonic() < deadline:
            try:
                sent += wire.sock.send(b"x" * 4096)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                pass
            try:
                answer += wire.sock.recv(4096)
            except BlockingIOError:
                time.sleep(0.001)
        assert b'"header_too_large"' in answer
        assert sent < 4 * MAX_HEADER_BYTES


def test_100000_deep_nesting_sent_in_pieces(srv):
    """100,000 ``[`` cannot fit a header: header_too_large, then close; nobody else notices."""
    with Wire(srv.address) as other, Wire(srv.address) as wire:
        wire.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for _ in range(100):
                wire.send(b"[" * 1000)
                time.sleep(0.002)
            wire.send(b"]" * 100_000 + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed once the limit was passed: fine
        assert wire.header()["error"] == "header_too_large"
        assert wire.closed()
        assert survives(other)


@pytest.mark.parametrize(
    "line",
    [
        b'{"op":"list","x":' + b"[" * 30_000 + b"]" * 30_000 + b"}\n",  # deep but complete, within the size limit
        b'{"op":"list","x":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}\n",
        b"[" * 65_000 + b"\n",  # never closed
        b'{"op":"list","x":' + b"[" * 30_000 + b"\n",
    ],
)
def test_deep_nesting_that_fits_is_bad_request(srv, line):
    with Wire(srv.address) as wire:
        assert wire.error(line) == "bad_request"
        assert survives(wire)


# -- wrong types, duplicate keys, numbers ------------------------------------------

WRONG_TYPES = [
    {"op": "stat"},
    {"op": "stat", "name": 5},
    {"op": "stat", "name": None},
    {"op": "stat", "name": ["a.txt"]},
    {"op": "stat", "name": {"n": "a.txt"}},
    {"op": "stat", "name": True},
    {"op": "get", "name": "a.txt", "offset": "0"},
    {"op": "get", "name": "a.txt", "offset": [0]},
    {"op": "get", "name": "a.txt", "offset": {}},
    {"op": "get", "name": 1.5},
    {"op": "put", "name": "n", "size": "5"},
    {"op": "put", "name": "n", "size": None},
    {"op": "put", "name": "n", "size": [5]},
    {"op": "put", "name": "n"},
    {"op": "put", "size": 5},
    {"op": "put", "name": "n", "size": 5, "overwrite": 1},
    {"op": "put", "name": "n", "size": 5, "overwrite": "true"},
    {"op": "put", "name": "n", "size": 5, "overwrite": None},
    {"op": "put", "name": "n", "size": 5, "sha256": 0},
    {"op": "put", "name": "n", "size": 5, "sha256": None},
    {"op": "put", "name": "n", "size": 5, "sha256": "g" * 64},
    {"op": "put", "name": "n", "size": 5, "sha256": "a" * 63},
    {"op": "put", "name": "n", "size": 5, "sha256": "a" * 65},
    {"op": "auth"},
    {"op": "auth", "token": 1234},
    {"op": "auth", "token": None},
    {"op": None},
    {"op": ["list"]},
    {"op": {"list": 1}},
    {"OP": "list"},
]


@pytest.mark.parametrize("header", WRONG_TYPES, ids=lambda h: repr(h)[:60])
def test_wrongly_typed_or_missing_fields_are_bad_request(srv, header):
    with Wire(srv.address) as wire:
        assert wire.error(header) == "bad_request"
        assert survives(wire)


@pytest.mark.parametrize(
    "line",
    [
        b'{"op":"list","op":"list"}\n',
        b'{"op":"list","op":"quit"}\n',
        b'{"op":"stat","name":"a.txt","name":"../x"}\n',
        b'{"op":"get","name":"a.txt","offset":0,"offset":3}\n',
        b'{"op":"list","future":{"k":1,"k":2}}\n',  # nested duplicates count too
        b'{"op":"put","name":"d","size":1,"size":1}\n',
    ],
)
def test_duplicate_keys_are_bad_request(srv, line):
    with Wire(srv.address) as wire:
        assert wire.error(line) == "bad_request"
        assert survives(wire)
    assert "d" not in visible(srv.root)


NUMBERS = [b"NaN", b"-NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1E400", b"9" * 5000, b"-" + b"9" * 5000]


@pytest.mark.parametrize("number", NUMBERS, ids=lambda n: n[:12].decode())
@pytest.mark.parametrize("where", ["size", "offset", "unknown"])
def test_nan_infinity_and_absurd_numbers_are_bad_request(srv, number, where):
    template = {
        "size": b'{"op":"put","name":"n.bin","size":%s}\n',
        "offset": b'{"op":"get","name":"a.txt","offset":%s}\n',
        "unknown": b'{"op":"list","future":%s}\n',
    }[where]
    with Wire(srv.address) as wire:
        assert wire.error(template % number) == "bad_request"
        assert survives(wire)


@pytest.mark.parametrize(
    "value", [b"-1", b"-0.0", b"0.0", b"1.0", b"1.5", b"1e3", b"true", b"false", b"9223372036854775808", b"18446744073709551616"]
)
@pytest.mark.parametrize("op", ["put", "get"])
def test_negative_float_boolean_and_out_of_range_sizes_and_offsets(srv, value, op):
    line = (b'{"op":"put","name":"n.bin","size":%s}\n' if op == "put" else b'{"op":"get","name":"a.txt","offset":%s}\n') % value
    with Wire(srv.address) as wire:
        assert wire.error(line) == "bad_request"
        assert survives(wire)
    assert visible(srv.root) == ["a.txt"]


def test_largest_size_is_refused_for_space_not_accepted(srv):
    with Wire(srv.address) as wire:
        assert wire.error({"op": "put", "name": "n.bin", "size": 2**63 - 1}) == "no_space"
        assert wire.error({"op": "get", "name": "a.txt", "offset": 2**63 - 1}) == "bad_request"  # past the end
        response = wire.request({"op": "get", "name": "a.txt", "offset": 5})  # exactly the end: empty body
        assert response["ok"] is True and response["length"] == 0
        assert survives(wire)


# -- encodings and odd bytes --------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b'{"op":"list","x":"\x80"}\n',  # lone continuation byte
        b'{"op":"stat","name":"\xc0\xaf"}\n',  # overlong "/"
        b'{"op":"stat","name":"\xed\xa0\x80"}\n',  # a UTF-16 surrogate, encoded
        b'{"op":"stat","name":"\xe2\x82"}\n',  # truncated sequence
        b'{"op":"stat","name":"bad-\xff.txt"}\n',
        b'{"op":"\xfflist"}\n',
        b'{"op":"list"}\xf4\x90\x80\x80\n',  # past U+10FFFF
        b"\xef\xbb\xbf" + b'{"op":"list"}\n',  # a BOM is not JSON
        b'{"op":"list"}\x00\n',
        b'{"op":"stat","name":"a\x01.txt"}\n',  # raw control character inside a string
        b"\x00\x00\x00\x00\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n",  # a TLS ClientHello's start on a plain server
    ],
)
def test_invalid_utf8_and_garbage_bytes_are_bad_request(srv, line):
    with Wire(srv.address) as wire:
        assert wire.error(line) == "bad_request"
        assert survives(wire)


@pytest.mark.parametrize(
    "line, code",
    [
        (b'{"op":"\\ud800"}\n', "unknown_op"),  # a lone surrogate quoted back in the message
        (b'{"op":"\\udcff\\u0000\\n"}\n', "unknown_op"),
        (b'{"op":"stat","name":"\\ud800.txt"}\n', "bad_name"),
        (b'{"op":"stat","name":"bad-\\udcff.txt"}\n', "bad_name"),  # the surrogateescape spelling of a non-UTF-8 name
        (b'{"op":"get","name":"\\u0000"}\n', "bad_name"),
        (b'{"op":"list","future":"\\udfff"}\n', None),
    ],
)
def test_json_escaped_surrogates_and_controls_get_an_answer(srv, line, code):
    with Wire(srv.address) as wire:
        response = wire.request(line)
        if code is None:
            assert response["ok"] is True
            wire.body(response["length"])
        else:
            assert response["ok"] is False and response["error"] == code
        assert survives(wire)


@pytest.mark.parametrize("op", ["LIST", "list ", " list", "", "chmod", "move", "put\u0000", "x" * 10_000, "é" * 100])
def test_unknown_ops_are_unknown_op(srv, op):
    with Wire(srv.address) as wire:
        assert wire.error({"op": op, "name": "a.txt"}) == "unknown_op"
        assert survives(wire)


def test_a_flood_of_bad_requests_in_one_segment_is_answered_one_by_one(srv):
    lines = [b"\n", b"nope\n", b"[]\n", b'{"op":1}\n', b'{"op":"x"}\n', b'{"op":"stat","name":"../a"}\n'] * 200
    expected = ["bad_request", "bad_request", "bad_request", "bad_request", "unknown_op", "bad_name"] * 200
    with Wire(srv.address) as wire:
        wire.send(b"".join(lines) + b'{"op":"list"}\n')
        assert [wire.header()["error"] for _ in expected] == expected
        assert wire.header()["ok"] is True


def test_garbage_between_good_requests_does_not_desynchronise(srv):
    with Wire(srv.address) as wire:
        wire.send(b'{"op":"stat","name":"a.txt"}\n\xff\xfe\xfd\n{"op":"get","name":"a.txt"}\n')
        assert wire.header()["ok"] is True
        assert wire.header()["error"] == "bad_request"
        response = wire.header()
        assert response["length"] == 5 and wire.body(5) == b"alpha"


def test_put_with_bad_fields_sends_no_ready_and_expects_no_body(srv):
    """After a refused put the next bytes are a header again, not a body."""
    with Wire(srv.address) as wire:
        assert wire.error({"op": "put", "name": "p.bin", "size": -3}) == "bad_request"
        final = upload(wire, "p.bin", b"xyz")
        assert final["ok"] is True and final["sha256"] == sha(b"xyz")
        assert [e["name"] for e in listing(wire)] == ["a.txt", "p.bin"]
    (srv.root / "p.bin").unlink()
