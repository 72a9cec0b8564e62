"""What workers inherit (issue 10, item 8): the parent resolves the library
folder and loads the certificate once; a replacement worker uses the same, so a
renamed folder, rotated or removed certificate files cannot make one worker
differ from the others. SIGHUP reloads the certificate for all workers at once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
from pathlib import Path

import pytest

from tests.certificates import make_cert
from tests.hardening_support import listing, still_serving
from tests.server_process import ServerProcess, wait_for
from tests.test_supervision import no_zombies
from tests.wire import Wire

CONNECTIONS = 12


def _replace_every_worker(server: ServerProcess) -> None:
    """SIGKILL each worker in turn and wait for its replacement."""
    for victim in list(server.children()):
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda victim=victim: victim not in server.children() and len(server.children()) == 2, timeout=5)


def _served_certificate(address: tuple[str, int]) -> bytes:
    """The DER certificate a fresh TLS client is shown, once it is greeted."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(address, timeout=10) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
        greeting = b""
        while not greeting.endswith(b"\n"):
            chunk = tls.recv(4096)
            assert chunk, "closed before the greeting"
            greeting += chunk
        assert json.loads(greeting)["ferry"] == 1
    assert der is not None
    return der


def _der(cert: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(cert.read_text())


def _certificates_served(server: ServerProcess) -> set[bytes]:
    return {_served_certificate(server.address) for _ in range(CONNECTIONS)}


def _list_names(address: tuple[str, int]) -> list[str]:
    with Wire(address) as wire:
        return [entry["name"] for entry in listing(wire)]


def test_a_renamed_library_is_still_served_by_replacement_workers(server_factory, library: Path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (library / name).write_bytes(name.encode())
    server = server_factory("--workers", "2")
    moved = library.with_name("library-moved")
    library.rename(moved)
    _replace_every_worker(server)
    for _ in range(CONNECTIONS):
        assert _list_names(server.address) == ["a.txt", "b.txt", "c.txt"]
    assert not library.exists(), "a worker created a new library at the old path"


@pytest.fixture
def cert_pair(tmp_path: Path) -> tuple[Path, Path]:
    return make_cert(tmp_path / "live")


@pytest.fixture
def other_pair(tmp_path: Path) -> tuple[Path, Path]:
    return make_cert(tmp_path / "other")


def test_a_rotated_certificate_is_served_only_after_sighup_and_then_by_all(server_factory, cert_pair, other_pair):
    cert, key = cert_pair
    original = _der(cert)
    server = server_factory("--workers", "2", "--tls-cert", str(cert), "--tls-key", str(key))
    shutil.copyfile(other_pair[0], cert)
    shutil.copyfile(other_pair[1], key)
    _replace_every_worker(server)
    assert _certificates_served(server) == {original}
    before = set(server.children())
    server.send_signal(signal.SIGHUP)
    assert server.logged(r"SIGHUP: reloaded the TLS certificate", timeout=5), server.log()
    rotated = _der(cert)
    assert _certificates_served(server) == {rotated}  # at once: the old workers get no new client
    assert wait_for(lambda: len(server.children()) == 2 and not before & set(server.children()), timeout=5)
    assert no_zombies(server.pid)
    _replace_every_worker(server)
    assert _certificates_served(server) == {rotated}


def test_a_removed_key_file_or_a_bad_one_on_sighup_keeps_the_server_serving(server_factory, cert_pair):
    cert, key = cert_pair
    original = _der(cert)
    server = server_factory("--workers", "2", "--tls-cert", str(cert), "--tls-key", str(key))
    key.unlink()
    _replace_every_worker(server)
    assert _certificates_served(server) == {original}
    server.send_signal(signal.SIGHUP)
    assert server.logged(r"ERROR .*SIGHUP: cannot reload", timeout=5), server.log()
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    server.send_signal(signal.SIGHUP)
    assert wait_for(lambda: server.log().count("SIGHUP: cannot reload") == 2, timeout=5), server.log()
    _replace_every_worker(server)
    assert _certificates_served(server) == {original}
    assert server.proc.poll() is None


def test_sighup_without_tls_is_logged_and_changes_nothing(server_factory):
    server = server_factory("--workers", "2")
    workers = sorted(server.children())
    server.send_signal(signal.SIGHUP)
    assert server.logged(r"SIGHUP: no TLS certificate to reload", timeout=5), server.log()
    assert server.proc.poll() is None and sorted(server.children()) == workers
    assert still_serving(server.address)
