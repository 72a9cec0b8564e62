"""Every failure a person can meet says what happened and what to do, in their
words, and the window offers only actions that can work (issue 13, defect 7)."""

from __future__ import annotations

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.errors_text import describe
from ferry_files.gui_client.transfers import State
from ferry_files.shared.errors import ErrorCode, FerryError

from tests.gui.conftest import pump_for

pytestmark = pytest.mark.gui


def test_a_server_that_needs_a_token_says_where_to_enter_it(app, server_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    server = server_factory("--workers", "1", "--token-file", str(token_file))
    app.connect(server)
    assert app.window.controller.state == "failed"
    assert app.status_message() == "This server needs a token: enter it in the Token field and connect again"
    app.connect(server, token="wrong")
    assert app.status_message() == "The server refused this token: check the Token field and connect again"


def test_a_damaged_image_preview_is_a_sentence(app, server, library):
    (library / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n but then nothing of an image")
    app.connect(server)
    app.wait_for_names({"broken.png"})
    app.select("broken.png")
    caption = app.window.file_view.preview_caption
    app.pump_until(lambda: "cannot be shown" in str(caption.cget("text")), what="the preview's sentence")
    text = str(caption.cget("text"))
    assert text.endswith("This picture cannot be shown (the file is damaged or not an image)")
    assert "BytesIO" not in text and "identify" not in text


def test_tls_against_a_plain_server_says_to_untick_tls(app, server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    app.window.connect_bar.tls.set(True)
    app.connect(server)
    assert app.window.controller.state == "failed"
    host, port = server.address
    assert app.status_message() == f"The server at {host}:{port} does not speak TLS: untick TLS and connect again"
    assert str(app.window.file_view.empty.cget("text")) == app.status_message()  # no contradicting "check the address"


def test_a_tls_server_reached_without_tls_says_to_tick_tls(app, server_factory, certs, monkeypatch):
    """The client library tells a silent TLS server apart (shared/wrong_server.py);
    the app words the remedy as its own TLS box, not the terminal's ``--tls``."""
    monkeypatch.setattr("ferry_files.shared.wrong_server.GREETING_WAIT", 1.0)
    cert, key = certs
    server = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))
    app.connect(server)
    assert app.window.controller.state == "failed"
    host, port = server.address
    assert app.status_message() == f"The server at {host}:{port} speaks TLS: tick TLS and connect again"


def test_nothing_listening_and_an_unknown_host_are_told_apart(app, server):
    host, port = server.address
    server.stop()
    app.connect(server)
    assert app.status_message() == f"No server answers at {host}:{port}: check the address and that the server is running"
    assert "Is it running?" not in str(app.window.file_view.empty.cget("text"))
    bar = app.window.connect_bar
    bar.host.set("no-such-host.invalid")
    bar.button.invoke()
    app.pump_until(lambda: app.window.controller.state == "failed" and "no-such-host" in app.status_message(), what="the failure")
    assert app.status_message() == "No computer called no-such-host.invalid was found: check the address"


def test_a_read_only_server_disables_upload_and_offers_no_retry(app, server_factory, tmp_path, monkeypatch):
    server = server_factory("--workers", "1", "--read-only")
    source = tmp_path / "mine.txt"
    source.write_bytes(b"mine")
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(source)])
    app.connect(server)
    assert "disabled" not in app.window.upload_button.state()  # nothing says read-only before the first refusal
    app.window.upload_button.invoke()
    row = app.wait_for_state("mine.txt", State.FAILED)
    assert "read-only" in row.view.error
    app.root.update()
    assert not row.button.winfo_ismapped()  # a Retry could never work
    assert "disabled" in app.window.upload_button.state()
    app.window.controller.upload([str(source)])  # a drop goes this way
    pump_for(app.root, 0.2)
    assert len(app.rows()) == 1
    assert "read-only" in app.status_message()
    app.connect(server)  # a new connection may reach a server that changed
    assert "disabled" not in app.window.upload_button.state()


def test_a_file_too_large_for_the_server_offers_no_retry(app, server_factory, tmp_path, monkeypatch):
    server = server_factory("--workers", "1", "--max-upload", "10")
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 100)
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(source)])
    app.connect(server)
    app.window.upload_button.invoke()
    row = app.wait_for_state("big.bin", State.FAILED)
    app.root.update()
    assert not row.button.winfo_ismapped()
    app.window.controller.retry(row.view.id)  # not even through the controller
    app.root.update()
    assert row.view.state is State.FAILED


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (ErrorCode.FORBIDDEN, "The server does not allow this"),
        (ErrorCode.NOT_EMPTY, "The folder is not empty"),
        (ErrorCode.UNAUTHORIZED, "The server needs a valid token: enter it in the Token field and connect again"),
    ],
)
def test_protocol_1_1_codes_are_sentences(code, expected):
    text = describe(FerryError(code, "detail from the server"))
    assert text.startswith(expected)
    assert "not_empty" not in text and "forbidden" not in text
