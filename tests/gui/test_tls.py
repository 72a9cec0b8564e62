"""The desktop app over TLS: the TLS box pins the server's certificate on first
use, and a changed certificate is refused with a sentence in the window."""

from __future__ import annotations

import pytest

from tests.certificates import make_cert

pytestmark = pytest.mark.gui


def test_tls_box_connects_and_pins_then_refuses_a_changed_certificate(app, server_factory, library, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    cert, key = make_cert(tmp_path / "certs")
    server = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))
    (library / "secret.txt").write_bytes(b"over tls")
    app.window.connect_bar.tls.set(True)
    app.connect(server)
    app.wait_for_names({"secret.txt"})
    known = tmp_path / "xdg" / "ferry" / "known_servers"
    assert known.read_text().startswith(f"127.0.0.1:{server.port} SHA256:")

    known.write_text(f"127.0.0.1:{server.port} SHA256:{'0' * 64}\n")
    app.connect(server)
    assert app.window.controller.state == "failed"
    shown = app.status_message()
    assert "certificate" in shown and str(known) in shown
    # The status bar cuts it to its width; a click on it shows it whole.
    app.window.status.open_messages()
    app.root.update()
    assert app.window.status.messages_window.contents().splitlines()[-1].endswith(shown)
    app.window.status.messages_window.destroy()


def test_plain_connection_to_a_tls_server_fails_in_words(app, server_factory, tmp_path):
    cert, key = make_cert(tmp_path / "certs")
    server = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key), "--header-timeout", "1")
    app.connect(server)
    assert app.window.controller.state == "failed"
    assert "Traceback" not in str(app.window.status.message.cget("text"))


def test_a_damaged_known_servers_file_is_named_with_its_line_in_the_window(app, server_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    cert, key = make_cert(tmp_path / "certs")
    server = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))
    known = tmp_path / "xdg" / "ferry" / "known_servers"
    known.parent.mkdir(parents=True)
    known.write_bytes(b"# pins\n\xff not text\n")
    app.window.connect_bar.tls.set(True)
    app.connect(server)
    assert app.window.controller.state == "failed"
    assert app.status_message() == f"{known}:2: this line is not UTF-8 text; edit or delete it"
