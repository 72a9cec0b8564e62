"""Hardening matrix, property-based fuzzing (issue 5).

1. The protocol parser (``shared/framing.py`` + ``shared/messages.py``), fed any
   bytes in any pieces, raises nothing but :class:`FerryError`; what it accepts
   is valid and survives a round trip.
2. Random request sequences, garbage included, against the real server
   subprocess: every request gets a valid response (or, for ``quit``, a close),
   and afterwards the library holds exactly the files whose uploads succeeded.

Derandomized with bounded example counts: the same examples every run, in a few
seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.framing import HeaderBuffer, decode_header, encode_header
from ferry_files.shared.limits import MAX_FILE_SIZE
from ferry_files.shared.messages import OPS, Get, ListFiles, Put, encode_request, parse_request, request_op
from ferry_files.shared.paths import path_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from tests.hardening_support import assert_valid_response, no_temp_files, sha, temp_files, visible
from tests.server_process import ServerProcess
from tests.wire import Wire

PARSER = settings(max_examples=300, deadline=None, derandomize=True, database=None)

# -- the parser -------------------------------------------------------------------------------

FIELD_NAMES = ["op", "name", "size", "offset", "overwrite", "sha256", "token", "length", "x"]
FIELD_NAMES += ["path", "folders", "recursive", "parents", "from", "to", "trailer", "upload_id", "mtime"]  # 1.1
#: Any code point, lone surrogates included (a JSON "\ud800" escape decodes to one).
any_text = st.lists(st.characters() | st.integers(0xD800, 0xDFFF).map(chr), max_size=20).map("".join)
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20) | any_text
json_values = st.recursive(
    json_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4), max_leaves=10
)
request_like = st.fixed_dictionaries(
    {"op": st.sampled_from([*OPS, "nope", ""]) | any_text | json_values},
    optional={key: json_values | st.text(max_size=300) | st.integers(-5, 2**64) for key in FIELD_NAMES[1:]},
)


def parse_all(data: bytes, cuts: list[int]) -> list[object]:
    """What a server does with a byte stream: split into headers, decode, validate."""
    buffer = HeaderBuffer()
    results: list[object] = []
    position = 0
    pieces = []
    for cut in cuts:
        pieces.append(data[position : position + cut])
        position += cut
    pieces.append(data[position:])
    for piece in pieces:
        buffer.feed(piece)
        while True:
            try:
                line = buffer.next_header()
            except FerryError as exc:
                assert exc.code is ErrorCode.HEADER_TOO_LARGE
                return results  # the connection would close here
            if line is None:
                break
            try:
                header = decode_header(line)
                results.append(parse_request(request_op(header), header))
            except FerryError as exc:
                assert isinstance(exc.code, ErrorCode) and exc.message
                results.append(exc)
    return results


def check_accepted(request: object) -> None:
    """An accepted request is valid through and through, and round-trips."""
    if isinstance(request, FerryError):
        json.loads(encode_header(request.to_wire()))  # its answer can always be sent
        return
    for key in ("name", "source", "target"):
        path = getattr(request, key, None)
        if path is not None:
            assert path_problem(path) is None
    if isinstance(request, ListFiles) and request.path is not None:
        assert path_problem(request.path, root_allowed=True) is None
    if isinstance(request, Put):
        assert 0 <= request.size <= MAX_FILE_SIZE and type(request.size) is int
        assert request.sha256 is None or (len(request.sha256) == 64 and request.sha256 == request.sha256.lower())
    if isinstance(request, Get):
        assert 0 <= request.offset <= MAX_FILE_SIZE and type(request.offset) is int
    wire = encode_header(encode_request(request))  # type: ignore[arg-type]
    again = decode_header(wire[:-1])
    assert parse_request(request_op(again), again) == request


@PARSER
@given(st.binary(max_size=3000), st.lists(st.integers(0, 200), max_size=8))
def test_parser_on_any_bytes_raises_only_ferry_errors(data, cuts):
    for result in parse_all(data, cuts):
        check_accepted(result)


@settings(PARSER, max_examples=120)
@given(st.lists(request_like, min_size=1, max_size=4), st.lists(st.integers(0, 100), max_size=8), st.data())
def test_parser_on_request_shaped_json_raises_only_ferry_errors(headers, cuts, data):
    lines = []
    for header in headers:
        line = json.dumps(header, ensure_ascii=data.draw(st.booleans())).encode("utf-8", "surrogatepass")
        mutation = data.draw(st.sampled_from(["none", "none", "truncate", "flip", "dup"]))
        if mutation == "truncate" and line:
            line = line[: data.draw(st.integers(0, len(line) - 1))]
        elif mutation == "flip" and line:
            index = data.draw(st.integers(0, len(line) - 1))
            line = line[:index] + bytes([line[index] ^ data.draw(st.integers(1, 255))]) + line[index + 1 :]
        elif mutation == "dup" and line.endswith(b"}") and len(line) > 2:
            line = line[:-1] + b',"op":"list"}'
        lines.append(line.replace(b"\n", b" ") + data.draw(st.sampled_from([b"\n", b"\r\n"])))
    for result in parse_all(b"".join(lines), cuts):
        check_accepted(result)


@PARSER
@given(st.sampled_from(["op", "name", "token", "sha256", "path", "from", "to", "upload_id"]), any_text, st.sampled_from(OPS), st.booleans())
def test_any_string_in_any_field_gets_an_answer_that_can_be_sent(key, text, op, ascii_only):
    """Error messages quote what the client sent; even a lone surrogate must not
    make the answer unencodable (the session would die without one)."""
    header = {"op": op, "name": "a.txt", "size": 1, "token": "t", "path": "a", "from": "a", "to": "b", key: text}
    line = json.dumps(header, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    (result,) = parse_all(line + b"\n", [])
    check_accepted(result)


@PARSER
@given(st.integers(1, 120_000), st.sampled_from([b"[", b"{", b'{"a":', b"[{", b'"']))
def test_parser_survives_any_nesting_depth(depth, opener):
    line = opener * depth
    results = parse_all(line + b"\n", [])
    if len(line) + 1 > 65_536:
        assert results == []  # header_too_large: closed before decoding
    else:
        assert len(results) == 1 and isinstance(results[0], FerryError)


# -- random sessions against the real server ----------------------------------------------------

NAMES = ["a.txt", "b.bin", "日本.txt", "x" * 255]
ERROR_FOR_MISSING = "not_found"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-library")
    with ServerProcess(root, "--workers", "2", "--no-fsync") as server:
        yield server


class RandomSessions(RuleBasedStateMachine):
    """Two connections, random valid and invalid requests on either; a model of the
    library updated only by uploads whose final response was ok."""

    server: ServerProcess

    def __init__(self) -> None:
        super().__init__()
        self.library = self.server.root
        for entry in os.listdir(self.library):
            if entry != ".ferry-uploads":
                path = self.library / entry
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        assert no_temp_files(self.library)
        self.files: dict[str, bytes] = {}
        self.wires = [Wire(self.server.address), Wire(self.server.address)]

    @initialize()
    def greeted(self) -> None:
        for wire in self.wires:
            assert wire.greeting["ferry"] == 1

    def _request(self, which: int, header: dict | bytes) -> dict:
        response = self.wires[which].request(header)
        assert_valid_response(response)
        return response

    def _reconnect(self, which: int) -> None:
        self.wires[which].close()
        self.wires[which] = Wire(self.server.address)

    # -- uploads --

    @rule(
        which=st.integers(0, 1),
        name=st.sampled_from(NAMES),
        data=st.binary(max_size=5000),
        overwrite=st.booleans(),
        checksum=st.sampled_from(["none", "good", "bad", "upper"]),
    )
    def put(self, which, name, data, overwrite, checksum):
        header: dict = {"op": "put", "name": name, "size": len(data)}
        if overwrite:
            header["overwrite"] = True
        if checksum != "none":
            digest = sha(data) if checksum != "bad" else sha(data + b"!")
            header["sha256"] = digest.upper() if checksum == "upper" else digest
        first = self._request(which, header)
        if name in self.files and not overwrite:
            assert first["error"] == "exists"
            return
        assert first == {"ok": True, "ready": True}
        self.wires[which].send(data)
        final = self.wires[which].header()
        assert_valid_response(final)
        if checksum == "bad":
            assert final["error"] == "checksum_mismatch"
            return
        assert final == {"ok": True, "name": name, "size": len(data), "sha256": sha(data)}
        self.files[name] = data

    @rule(which=st.integers(0, 1), name=st.sampled_from(NAMES), size=st.integers(1, 100_000), sent=st.integers(0, 99))
    def interrupted_put(self, which, name, size, sent):
        first = self._request(which, {"op": "put", "name": name, "size": size, "overwrite": True})
        assert first["ready"] is True
        self.wires[which].send(b"i" * (size * sent // 100))
        self._reconnect(which)  # the client vanishes: nothing changes

    # -- reads --

    @rule(which=st.integers(0, 1), name=st.sampled_from(NAMES), offset=st.none() | st.integers(0, 6000))
    def get(self, which, name, offset):
        header: dict = {"op": "get", "name": name}
        if offset is not None:
            header["offset"] = offset
        response = self._request(which, header)
        if name not in self.files:
            assert response["error"] == ERROR_FOR_MISSING
            return
        content = self.files[name]
        if (offset or 0) > len(content):
            assert response["error"] == "bad_request"
            return
        assert response["ok"] and response["size"] == len(content) and response["offset"] == (offset or 0)
        assert self.wires[which].body(response["length"]) == content[offset or 0 :]

    @rule(which=st.integers(0, 1), name=st.sampled_from(NAMES))
    def stat(self, which, name):
        response = self._request(which, {"op": "stat", "name": name})
        if name in self.files:
            assert response["sha256"] == sha(self.files[name]) and response["size"] == len(self.files[name])
        else:
            assert response["error"] == ERROR_FOR_MISSING

    @rule(which=st.integers(0, 1))
    def list_files(self, which):
        response = self._request(which, {"op": "list"})
        body = self.wires[which].body(response["length"])
        entries = [json.loads(line) for line in body.splitlines()]
        assert [(e["name"], e["size"]) for e in entries] == sorted((n, len(d)) for n, d in self.files.items())

    # -- junk --

    @rule(which=st.integers(0, 1), junk=st.binary(max_size=400))
    def garbage(self, which, junk):
        """Anything that is not a JSON object (no "{"), on one line."""
        line = junk.replace(b"\n", b"").replace(b"{", b"")
        assert self._request(which, line + b"\n")["error"] == "bad_request"

    @rule(which=st.integers(0, 1), header=request_like.filter(lambda h: h.get("op") not in ("put", "quit")))
    def junk_request(self, which, header):
        line = json.dumps(header).encode()
        response = self._request(which, line + b"\n")
        if response["ok"] and "length" in response:  # it happened to be a valid list or get
            self.wires[which].body(response["length"])
        if response["ok"] and header.get("op") == "get":
            assert header["name"] in self.files

    @rule(which=st.integers(0, 1))
    def quit(self, which):
        assert self._request(which, {"op": "quit"}) == {"ok": True}
        assert self.wires[which].closed()
        self._reconnect(which)

    def teardown(self) -> None:
        for wire in self.wires:
            wire.close()
        assert no_temp_files(self.library)
        assert visible(self.library) == sorted(self.files)
        for name, data in self.files.items():
            assert hashlib.sha256((self.library / name).read_bytes()).hexdigest() == sha(data)
        with Wire(self.server.address) as wire:
            response = wire.request({"op": "list"})
            assert response["count"] == len(self.files)
        assert temp_files(self.library) == []


def test_random_request_sequences_against_the_server(fuzz_server):
    RandomSessions.server = fuzz_server
    run_state_machine_as_test(
        RandomSessions,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    log = fuzz_server.log()
    assert "Traceback" not in log and "bug while answering" not in log, log[-3000:]
    assert fuzz_server.proc.poll() is None
