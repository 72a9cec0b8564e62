"""The desktop app's Discovered menu and its web page QR code, against the real
server in a network namespace: the test's thread, and so the app's discovery and
connection threads, run in the client namespace (``client_side``), so nothing
is announced or browsed on the machine's own interfaces."""

from __future__ import annotations

import ssl
import subprocess
import sys
import threading

import pytest
from ferry_files.shared.tls import fingerprint
from PIL import Image

from tests.netns_support import SERVER_IP
from tests.qr_decoding import decode

pytestmark = pytest.mark.gui

#: Discovery answers in a second or two; under load, more.
FOUND_WITHIN = 30.0


def known_servers(tmp_path) -> str:
    path = tmp_path / "xdg" / "ferry" / "known_servers"
    return path.read_text() if path.exists() else ""


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> None:
    """known_servers in the test's own folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def wait_for_entry(app, label: str) -> int:
    """Open the menu as a click does (its postcommand starts browsing), wait for ``label``."""
    menu = app.window.discovered
    app.root.tk.call(menu.menu.cget("postcommand"))
    app.pump_until(lambda: label in menu.labels(), FOUND_WITHIN, what=f"{label!r} in the Discovered menu")
    return menu.labels().index(label)


def test_one_click_connects_to_a_discovered_tls_server_and_pins_its_announced_certificate(
    ns_server, certs, client_side, app, library, tmp_path
) -> None:
    cert, key = certs
    (library / "hello.txt").write_text("hi")
    server = ns_server("--name", "Lab files", "--tls-cert", str(cert), "--tls-key", str(key))
    assert "discovery" not in [thread.name for thread in threading.enumerate()]  # not before the menu opens

    index = wait_for_entry(app, f"Lab files  ({SERVER_IP}:{server.port}, TLS)")
    app.window.discovered.menu.invoke(index)

    app.wait_for_names({"hello.txt"})
    assert app.window.controller.state == "connected"
    assert app.window.connect_bar.tls.get() is True
    pin = fingerprint(ssl.PEM_cert_to_DER_cert(cert.read_text()))
    assert known_servers(tmp_path) == f"{SERVER_IP}:{server.port} {pin}\n"


def test_a_record_announcing_another_certificate_is_refused(ns_server, certs, client_side, app, lan, tmp_path) -> None:
    """Someone on the LAN announces the real server with their own fingerprint:
    the click pins theirs, and the real certificate then fails the check."""
    cert, key = certs
    server = ns_server("--no-announce", "--tls-cert", str(cert), "--tls-key", str(key))
    bogus = "SHA256:" + "0" * 64
    record = {"instance": "Impostor", "port": server.port, "txt": ["tls=1", f"fingerprint={bogus}"]}
    with lan.raw_announcements([record]):
        index = wait_for_entry(app, f"Impostor  ({SERVER_IP}:{server.port}, TLS)")
        app.window.discovered.menu.invoke(index)
        app.pump_until(lambda: app.window.controller.state == "failed", what="the refused connection")
    assert "certificate" in app.status_message()
    assert known_servers(tmp_path) == f"{SERVER_IP}:{server.port} {bogus}\n"


def test_the_qr_code_of_an_announced_web_page(ns_server, client_side, app, lan, tmp_path) -> None:
    server = ns_server("--no-announce")
    record = {"instance": "Web box", "port": server.port, "txt": ["http=8080"]}
    with lan.raw_announcements([record]):
        index = wait_for_entry(app, f"Web box  ({SERVER_IP}:{server.port})")
        app.window.discovered.menu.invoke(index)
        app.pump_until(lambda: app.window.controller.state == "connected", what="the connection")
        app.window.web_qr_button.invoke()
        dialog = app.pump_until(lambda: app.window.qr_dialog, what="the QR dialog")
    assert dialog.url_label.cget("text") == f"http://{SERVER_IP}:8080/"
    dialog.image.write(str(tmp_path / "dialog.png"), format="png")
    assert decode(Image.open(tmp_path / "dialog.png"), tmp_path) == f"http://{SERVER_IP}:8080/"


def test_the_qr_code_of_a_web_page_found_on_the_default_port(ns_server, client_side, app, lan, tmp_path) -> None:
    server = ns_server("--no-announce")
    app.connect(server)
    app.window.web_qr_button.invoke()
    app.pump_until(lambda: "No web page answers on port 7070" in app.status_message(), what="the probe to find no page")
    assert app.window.qr_dialog is None

    web = subprocess.Popen(
        [*lan.exec_prefix(lan.server_ns), sys.executable, "-m", "http.server", "7070", "--bind", SERVER_IP],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        app.pump_until(lambda: lan.run_python(lan.client_ns, PROBE).returncode == 0, what="the stand-in web server")
        app.window.web_qr_button.invoke()
        dialog = app.pump_until(lambda: app.window.qr_dialog, what="the QR dialog")
    finally:
        web.kill()
        web.wait()
        web.stdout.close()  # type: ignore[union-attr]
    dialog.image.write(str(tmp_path / "dialog.png"), format="png")
    assert decode(Image.open(tmp_path / "dialog.png"), tmp_path) == f"http://{SERVER_IP}:7070/"


PROBE = f"import socket; socket.create_connection(({SERVER_IP!r}, 7070), timeout=2).close()"
