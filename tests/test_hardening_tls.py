"""Hardening matrix over TLS (issue 5): the handshake is a slowloris target too,
and bad input inside TLS is handled exactly as in plain text."""

from __future__ import annotations

import socket
import time

import pytest
from ferry_files.shared.client import FerryClient
from ferry_files.shared.tls import TlsSettings


@pytest.fixture
def tls_server(server_factory, certs):
    cert, key = certs
    return server_factory("--tls-cert", str(cert), "--tls-key", str(key), "--workers", "1", "--header-timeout", "2", "--idle-timeout", "60")


def client(server, certs) -> FerryClient:
    return FerryClient.connect(*server.address, tls=TlsSettings(cafile=str(certs[0])), timeout=10)


def test_a_trickled_handshake_is_cut_at_the_header_timeout(tls_server, certs):
    """The first bytes of a ClientHello, then nothing: closed after --header-timeout
    (2 s), not the idle timeout (60 s); a real client is served meanwhile."""
    stalled = socket.create_connection(tls_server.address, timeout=30)
    stalled.sendall(b"\x16\x03\x01\x02\x00\x01")
    started = time.monotonic()
    with client(tls_server, certs) as other:
        assert other.list() == []
    assert stalled.recv(100) == b""
    assert time.monotonic() - started < 8
    stalled.close()


def test_a_silent_connection_to_a_tls_server_is_closed_at_the_header_timeout(tls_server, certs):
    silent = socket.create_connection(tls_server.address, timeout=30)
    started = time.monotonic()
    assert silent.recv(100) == b""
    assert 1.5 < time.monotonic() - started < 8
    silent.close()
    with client(tls_server, certs) as other:
        assert other.list() == []


def test_garbage_inside_tls_is_bad_request_and_the_session_survives(tls_server, certs):
    import ssl

    context = ssl.create_default_context(cafile=str(certs[0]))
    with socket.create_connection(tls_server.address, timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            reader = tls.makefile("rb")
            assert b'"ferry"' in reader.readline()
            for line in (b"\xff\xfe\n", b'{"op":"list","op":"list"}\n', b"[" * 30_000 + b"\n", b'{"op":"\\ud800"}\n'):
                tls.sendall(line)
                answer = reader.readline()
                assert b'"ok":false' in answer, answer
            tls.sendall(b'{"op":"list"}\n')
            assert b'"ok":true' in reader.readline()
