"""Implicit TLS: the handshake in the worker, pinning on first use, CA
verification, and plaintext clients dropped without harming anyone else."""

from __future__ import annotations

import hashlib
import os

import pytest
from ferry_files.shared.client import FerryClient
from ferry_files.shared.errors import FerryError
from ferry_files.shared.tls import TlsSettings

from tests.certificates import make_cert
from tests.wire import Wire


@pytest.fixture
def tls_server(server_factory, certs):
    cert, key = certs
    return server_factory("--tls-cert", str(cert), "--tls-key", str(key))


def test_tls_with_ca_file(tls_server, certs, library, tmp_path):
    (library / "a.txt").write_bytes(b"secret payload")
    settings = TlsSettings(cafile=str(certs[0]))
    with FerryClient.connect(*tls_server.address, tls=settings) as client:
        assert [f.name for f in client.list()] == ["a.txt"]
        assert client.get("a.txt", tmp_path, verify=True).read_bytes() == b"secret payload"
        for size in (3_000_000, 10_000_000):  # hashed inline, then by a trailing thread
            source = tmp_path / "up.bin"
            source.write_bytes(os.urandom(size))
            assert client.put(source, overwrite=True).sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
            assert (library / "up.bin").read_bytes() == source.read_bytes()


def test_trust_on_first_use_then_refuse_a_changed_certificate(server_factory, certs, library, tmp_path):
    known = tmp_path / "known_servers"
    settings = TlsSettings(known_servers=known)
    server = server_factory("--tls-cert", str(certs[0]), "--tls-key", str(certs[1]))
    with FerryClient.connect(*server.address, tls=settings) as client:
        client.list()
    assert known.read_text().startswith(f"127.0.0.1:{server.port} SHA256:")
    with FerryClient.connect(*server.address, tls=settings) as client:  # same cert: accepted
        client.list()
    server.stop()
    other_cert, other_key = make_cert(tmp_path / "other")
    imposter = server_factory("--tls-cert", str(other_cert), "--tls-key", str(other_key))
    known.write_text(known.read_text().replace(f":{server.port} ", f":{imposter.port} "))
    with pytest.raises(FerryError) as info:
        FerryClient.connect(*imposter.address, tls=settings)
    assert info.value.code == "certificate_changed" and str(known) in info.value.message


def test_wrong_ca_is_refused(tls_server, tmp_path):
    other_cert, _ = make_cert(tmp_path / "other")
    with pytest.raises(FerryError) as info:
        FerryClient.connect(*tls_server.address, tls=TlsSettings(cafile=str(other_cert)))
    assert info.value.code == "certificate_untrusted"


def test_plaintext_client_is_dropped_and_others_are_fine(tls_server, certs):
    with Wire(tls_server.address, greet=False) as plain:
        plain.send(b'{"op":"list"}\n')
        assert plain.closed()
    with FerryClient.connect(*tls_server.address, tls=TlsSettings(cafile=str(certs[0]))) as client:
        assert client.list() == []


def test_plaintext_client_of_a_tls_server_gets_a_clear_error(tls_server):
    with pytest.raises(FerryError):
        FerryClient.connect(*tls_server.address, timeout=2)


def test_busy_travels_inside_tls(server_factory, certs):
    server = server_factory("--tls-cert", str(certs[0]), "--tls-key", str(certs[1]), "--max-connections", "1", "--workers", "1")
    settings = TlsSettings(cafile=str(certs[0]))
    first = FerryClient.connect(*server.address, tls=settings)
    with pytest.raises(FerryError) as info:
        FerryClient.connect(*server.address, tls=settings)
    assert info.value.code == "busy"
    first.quit()


def test_bad_certificate_files_stop_the_server_with_a_message(tmp_path, library):
    from tests.server_process import ServerProcess

    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    server = ServerProcess(library, "--tls-cert", str(bogus), "--tls-key", str(bogus))
    with pytest.raises(RuntimeError):
        server.start()
    assert server.proc.wait(10) == 2
    assert "cannot use the TLS certificate" in server.log()
