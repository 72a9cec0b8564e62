"""The DNS-SD record's contract without a network (shared/discovery_record.py,
server/announce.py's record, and ``--name``): what a server announces reads back
as itself, and what anyone else announces is checked field by field."""

from __future__ import annotations

import ssl
import subprocess
import sys

from ferry_files.server.announce import default_name, record_for
from ferry_files.server.config import parse_args
from ferry_files.shared.discovery_record import MAX_INSTANCE_BYTES, SERVICE_TYPE, Announced, instance_name_problem, parse
from ferry_files.shared.tls import fingerprint

from tests.server_process import RUN_SERVER

PIN = "SHA256:" + "ab" * 32


def test_a_servers_own_record_reads_back_as_it(monkeypatch) -> None:
    monkeypatch.setenv("FERRY_TOKEN", "secret")
    config = parse_args(["--name", "Files", "--no-delete", "--token-for", "write"])
    record = record_for(config, "10.0.0.5", 7069, http_port=7070)
    properties = {key.encode(): value.encode() for key, value in record.properties.items()}
    found = parse(f"{record.name}.{SERVICE_TYPE}", [record.host], record.port, properties)
    assert found == Announced(
        "Files", "10.0.0.5", 7069, version="1.0.0", features=("folders", "mtime", "resume", "trailer"), auth="write", http_port=7070
    )
    assert found.web_url == "http://10.0.0.5:7070/"


def test_the_announced_fingerprint_is_the_pin_a_client_records(certs) -> None:
    cert, key = certs
    record = record_for(parse_args(["--tls-cert", str(cert), "--tls-key", str(key)]), "10.0.0.5", 7069, http_port=None)
    assert record.properties["tls"] == "1"
    assert record.properties["fingerprint"] == fingerprint(ssl.PEM_cert_to_DER_cert(cert.read_text()))
    assert "http" not in record.properties


def test_hostile_fields_are_dropped_one_by_one() -> None:
    properties = {
        b"version": b"1\x1b[2J",
        b"TLS": b"1",
        b"fingerprint": ("SHA256:" + "AB" * 32).encode(),  # read as the lower-case pin
        b"http": b"\xd9\xa3",  # an Arabic-Indic digit: isdigit() but no port
        b"features": b"folders," + b"x" * 40 + b",manage," + b",".join(b"f%d" % i for i in range(40)),
        b"auth": b"root",
        b"junk": None,
    }
    found = parse("Evil\u202e." + SERVICE_TYPE, ["fe80::1", "10.0.0.9"], 7069, properties)
    assert found is not None
    assert (found.name, found.host, found.version, found.tls, found.fingerprint, found.http_port, found.auth) == (
        "Evil\u202e",
        "10.0.0.9",  # IPv4 first: a link-local v6 address needs a scope
        "",
        True,
        PIN,
        None,
        "",
    )
    assert found.features[:2] == ("folders", "manage") and len(found.features) == 16


def test_a_record_without_address_or_with_a_bad_port_is_no_server() -> None:
    assert parse("a." + SERVICE_TYPE, [], 7069, {}) is None
    assert parse("a." + SERVICE_TYPE, ["10.0.0.1"], 0, {}) is None
    assert parse("a." + SERVICE_TYPE, ["10.0.0.1"], None, {}) is None


def test_names_the_server_can_announce() -> None:
    assert instance_name_problem("Ferry on nas") is None
    assert instance_name_problem("é" * 31) is None
    assert instance_name_problem("é" * 32) == f"is longer than {MAX_INSTANCE_BYTES} bytes of UTF-8"
    assert instance_name_problem("a\x1b[2J") == "holds control or invisible characters"
    assert instance_name_problem("  ") == "is empty"
    assert len(default_name().encode()) <= MAX_INSTANCE_BYTES and default_name().startswith("Ferry on ")


def test_a_bad_name_is_a_usage_error_not_a_traceback() -> None:
    result = subprocess.run([sys.executable, "-S", str(RUN_SERVER), "--name", "a\x01b"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "ferry-server: error: --name holds control or invisible characters"
