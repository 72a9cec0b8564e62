"""Discovery end to end: the real server announces in one network namespace, the
real ``discover`` command and the :class:`shared.discovery.Browser` API listen in
another, over a veth pair the test makes (tests/netns_support.py). Nothing here
touches the machine's own interfaces."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import ssl
from pathlib import Path

from ferry_files.server.features import IMPLEMENTED
from ferry_files.shared import __version__
from ferry_files.shared.client import FerryClient
from ferry_files.shared.discovery import Browser
from ferry_files.shared.tls import fingerprint

from tests.certificates import make_cert
from tests.netns_support import SERVER_IP, Lan, entered

#: How long ``discover`` listens in these tests.
LISTEN = "3"


def discover_json(lan: Lan) -> list[dict]:
    result = lan.run_client("discover", "--json", "--timeout", LISTEN)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]  # one object per line, as every --json


def test_discover_lists_a_tls_server_with_the_pin_clients_would_record_and_its_web_page(lan, ns_server, certs) -> None:
    cert, key = certs
    server = ns_server("--name", "Lab files", "--tls-cert", str(cert), "--tls-key", str(key), web=True)
    assert server.web_url == f"https://{SERVER_IP}:{server.http_port}/"
    assert server.logged("announcing 'Lab files'", timeout=20), server.log()

    [found] = discover_json(lan)

    pin = fingerprint(ssl.PEM_cert_to_DER_cert(cert.read_text()))
    assert found == {
        "name": "Lab files",
        "host": SERVER_IP,
        "port": server.port,
        "tls": True,
        "fingerprint": pin,
        "web": server.web_url,
        "version": __version__,
        "features": sorted(IMPLEMENTED),
        "auth": "none",
    }
    table = lan.run_client("discover", "--timeout", LISTEN)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1].split() == [f"{SERVER_IP}:{server.port}", "yes", server.web_url, "Lab", "files"]


def test_browser_reports_a_server_that_comes_and_goes(lan, ns_server) -> None:
    changes: queue.Queue[list] = queue.Queue()
    with entered(lan.client_ns):  # zeroconf's sockets and threads are made here
        browser = Browser(changes.put).start()
    try:
        server = ns_server("--name", "Comes and goes")
        servers = changes.get(timeout=20)
        assert [(s.name, s.address, s.tls) for s in servers] == [("Comes and goes", f"{SERVER_IP}:{server.port}", False)]
        assert server.stop() == 0
        assert changes.get(timeout=10) == []  # the goodbye sent while draining
        assert "no longer announced" in server.log()
    finally:
        browser.close()


def test_no_announce_and_a_loopback_listener_announce_nothing(lan, ns_server) -> None:
    quiet = ns_server("--no-announce", "--name", "Quiet")
    local = ns_server("--name", "Local only", host="127.0.0.1")
    loud = ns_server("--name", "Loud")
    assert loud.logged("announcing 'Loud'", timeout=20), loud.log()

    assert [s["name"] for s in discover_json(lan)] == ["Loud"]
    assert quiet.logged("discovery off: --no-announce", timeout=10), quiet.log()
    assert local.logged("discovery off: listening on 127.0.0.1 only", timeout=10), local.log()


def test_without_zeroconf_the_server_serves_and_says_discovery_is_off(lan, ns_server) -> None:
    bare = ns_server("--name", "Bare", site=False)  # python3 -S: no site-packages, no zeroconf
    assert bare.logged("discovery off: the zeroconf library is not installed", timeout=10), bare.log()
    with entered(lan.client_ns):
        client = FerryClient.connect(SERVER_IP, bare.port, timeout=10)
    try:
        assert client.list() == []
    finally:
        client.close()
    assert discover_json(lan) == []


def test_hostile_records_are_escaped_bounded_or_ignored(lan, ns_server) -> None:
    records = [
        # zeroconf itself refuses ASCII controls in a name: ignored, and the browser goes on.
        {"instance": "Bell\x07\x1b[2J", "port": 7069, "txt": ["tls=1"]},
        # A C1 control and a bidi override get through: shown escaped. Junk TXT values, and
        # a TXT record of 7 KiB, are dropped value by value.
        {
            "instance": "Evil\x9b\u202eboss",
            "port": 7069,
            "txt": [
                "version=1\x1b[2J",
                "tls=1",
                "fingerprint=SHA256:zz",
                "http=99999",
                "features=folders,<script>,manage",
                *(f"pad{i:02d}=" + "x" * 240 for i in range(30)),
            ],
        },
    ]
    with lan.raw_announcements(records):
        server = ns_server("--name", "Honest")
        assert server.logged("announcing 'Honest'", timeout=20), server.log()

        found = discover_json(lan)
        assert found == [
            {
                "name": "Evil\x9b\u202eboss",
                "host": SERVER_IP,
                "port": 7069,
                "tls": True,
                "fingerprint": None,
                "web": None,
                "version": "",
                "features": ["folders", "manage"],
                "auth": "",
            },
            {
                "name": "Honest",
                "host": SERVER_IP,
                "port": server.port,
                "tls": False,
                "fingerprint": None,
                "web": None,
                "version": __version__,
                "features": sorted(IMPLEMENTED),
                "auth": "none",
            },
        ]
        table = lan.run_client("discover", "--timeout", LISTEN)
    assert "Evil\\x9b\\u202eboss" in table.stdout
    assert "\x9b" not in table.stdout and "\u202e" not in table.stdout and "\x1b" not in table.stdout


def test_an_announcer_that_dies_costs_the_server_nothing(lan, ns_server) -> None:
    server = ns_server("--name", "Survivor")
    assert server.logged("announcing 'Survivor'", timeout=20), server.log()
    [announcer] = [pid for pid in server.children() if b"ferry_files.server.announce" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    os.kill(announcer, signal.SIGKILL)
    assert server.logged("discovery off: the announcer exited", timeout=10), server.log()
    assert announcer not in server.children()  # reaped: no zombie while the server runs
    with entered(lan.client_ns):
        client = FerryClient.connect(SERVER_IP, server.port, timeout=10)
    try:
        assert client.list() == []
    finally:
        client.close()
    assert server.stop() == 0
    assert "Traceback" not in server.log()


def test_a_server_on_every_interface_announces_its_lan_address(lan, ns_server) -> None:
    server = ns_server("--name", "Everywhere", host="0.0.0.0")
    assert server.logged("announcing 'Everywhere'", timeout=20), server.log()
    assert [(s["name"], s["host"], s["port"]) for s in discover_json(lan)] == [("Everywhere", SERVER_IP, server.port)]


def test_a_certificate_reloaded_on_sighup_is_announced_with_its_new_fingerprint(lan, ns_server, tmp_path) -> None:
    """Else a client choosing the server would pin the old certificate and be refused."""
    cert, key = make_cert(tmp_path / "first")
    other_cert, other_key = make_cert(tmp_path / "second")
    changes: queue.Queue[list] = queue.Queue()
    with entered(lan.client_ns):
        browser = Browser(changes.put).start()
    try:
        server = ns_server("--name", "Rotating", "--tls-cert", str(cert), "--tls-key", str(key))
        assert [s.fingerprint for s in changes.get(timeout=20)] == [pin_of(cert)]
        shutil.copyfile(other_cert, cert)
        shutil.copyfile(other_key, key)
        server.send_signal(signal.SIGHUP)
        assert server.logged("SIGHUP: reloaded the TLS certificate", timeout=10), server.log()
        assert [s.fingerprint for s in changes.get(timeout=20)] == [pin_of(other_cert)]
    finally:
        browser.close()


def pin_of(cert: Path) -> str:
    return fingerprint(ssl.PEM_cert_to_DER_cert(cert.read_text()))
