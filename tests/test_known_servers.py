"""A damaged ``known_servers`` file (issue 10, item 12): a bad line, bytes that are
not UTF-8, a folder in its place. The client library refuses to connect with a
``local_io`` error naming the file (and the line), never a traceback or another
file's name, and the terminal client says so in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ferry_files.shared.client import FerryClient
from ferry_files.shared.errors import FerryError
from ferry_files.shared.tls import TlsSettings

from tests.terminal_support import address_of, client_env, drop_file_read_override, run_client

PIN = b"127.0.0.1:1 SHA256:" + b"0" * 64 + b"\n"

#: (the file's bytes, or the kind of thing in its place; the message the client gives, with KNOWN for the path)
DAMAGES = {
    "bad line": (b"# my pins\n" + PIN + b"garbage\n", "KNOWN:3: this line is not 'HOST:PORT SHA256:<64 hex digits>'; edit or delete it"),
    "bad fingerprint": (b"127.0.0.1:1 SHA256:xyz\n", "KNOWN:1: this line is not 'HOST:PORT SHA256:<64 hex digits>'; edit or delete it"),
    "three fields": (PIN.rstrip(b"\n") + b" extra\n", "KNOWN:1: this line is not 'HOST:PORT SHA256:<64 hex digits>'; edit or delete it"),
    "not UTF-8": (PIN + b"\n\xff\xfe pin\n", "KNOWN:3: this line is not UTF-8 text; edit or delete it"),
    "a folder": ("folder", "KNOWN is a folder, not a file; move it away and connect again"),
    "a FIFO": ("fifo", "KNOWN is not a regular file; move it away and connect again"),
}


@pytest.fixture
def tls_server(server_factory, certs):
    cert, key = certs
    return server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))


def damage(known: Path, content: bytes | str) -> None:
    known.parent.mkdir(parents=True, exist_ok=True)
    if content == "folder":
        known.mkdir()
    elif content == "fifo":
        os.mkfifo(known)  # nothing ever writes to it: reading it would wait for ever
    else:
        known.write_bytes(content)


@pytest.mark.parametrize("damaged", DAMAGES, ids=str)
def test_the_client_library_names_the_file_and_the_line(tls_server, tmp_path, damaged):
    content, message = DAMAGES[damaged]
    known = tmp_path / "known_servers"
    damage(known, content)
    with pytest.raises(FerryError) as info:
        FerryClient.connect(*tls_server.address, tls=TlsSettings(known_servers=known), timeout=5)
    assert (info.value.code, info.value.message) == ("local_io", message.replace("KNOWN", str(known)))
    assert isinstance(content, str) or known.read_bytes() == content  # left as it was, for the person to fix


@pytest.mark.parametrize("damaged", DAMAGES, ids=str)
def test_the_terminal_client_prints_one_line_and_exits_1(tls_server, tmp_path, damaged):
    content, message = DAMAGES[damaged]
    known = tmp_path / "config" / "ferry" / "known_servers"
    damage(known, content)
    result = run_client("--tls", address_of(tls_server), "list", env=client_env(XDG_CONFIG_HOME=str(tmp_path / "config")))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: local_io: {message.replace('KNOWN', str(known))}\n"


def test_a_pin_is_added_on_a_line_of_its_own_after_a_last_line_without_newline(tls_server, tmp_path):
    known = tmp_path / "known_servers"
    known.write_bytes(PIN.rstrip(b"\n"))
    settings = TlsSettings(known_servers=known)
    for _ in range(2):  # pinned, then accepted against its pin
        with FerryClient.connect(*tls_server.address, tls=settings, timeout=5) as client:
            assert client.list() == []
    lines = known.read_text().splitlines()
    assert lines[0] == PIN.decode().rstrip("\n") and lines[1].startswith(f"127.0.0.1:{tls_server.port} SHA256:")
    assert len(lines) == 2


def test_a_pin_that_cannot_be_written_is_one_clear_line(tls_server, tmp_path):
    folder = tmp_path / "config" / "ferry"
    folder.mkdir(parents=True)
    folder.chmod(0o500)  # the client may read the folder, not add the file
    address = address_of(tls_server)
    env = client_env(XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = run_client("--tls", address, "list", env=env, preexec_fn=drop_file_read_override)
    assert (result.returncode, result.stdout) == (1, "")
    expected = f"cannot remember the certificate of {address} in {folder / 'known_servers'}: Permission denied"
    assert result.stderr == f"error: local_io: {expected}\n"
