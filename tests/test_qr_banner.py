"""The server's QR banner (server/qr_banner.py): drawn on a terminal (a pty
here), decoded by zbarimg to the very URL; nothing when stdout is a pipe."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from tests.netns_support import SERVER_IP
from tests.qr_decoding import decode, modules_image, terminal_modules
from tests.server_process import REPO, RUN_SERVER

SHOW = "import sys; from server.qr_banner import show; print(show(sys.argv[1], sys.stdout), file=sys.stderr)"


def output_under_pty(*args: str, timeout: float = 30.0) -> tuple[str, str]:
    """What ``python -c SHOW ARGS`` writes to its terminal, and to stderr."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", SHOW, *args], stdout=terminal, stderr=subprocess.PIPE, cwd=REPO, text=True)
    os.close(terminal)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    _, err = process.communicate(timeout=timeout)
    return b"".join(chunks).decode().replace("\r\n", "\n"), err


def test_a_terminal_gets_a_qr_code_that_decodes_to_the_url(tmp_path) -> None:
    url = "https://192.168.1.20:7070/"
    text, err = output_under_pty(url)
    assert err.strip() == "True"
    first, *code = text.splitlines()
    assert first == f"scan to open {url}"
    assert decode(modules_image(terminal_modules(code)), tmp_path) == url


def test_a_pipe_gets_nothing() -> None:
    result = subprocess.run([sys.executable, "-c", SHOW, "http://10.0.0.1:7070/"], capture_output=True, text=True, cwd=REPO, timeout=30)
    assert (result.stdout, result.stderr.strip()) == ("", "False")


def test_a_wildcard_host_becomes_the_lan_address(lan) -> None:
    """``http://0.0.0.0:7070/`` would open nothing on a phone."""
    code = "import sys; from server.qr_banner import reachable_url; print(reachable_url(sys.argv[1]))"
    result = lan.run_python(lan.server_ns, code, "http://0.0.0.0:7070/")
    assert result.stdout.strip() == f"http://{SERVER_IP}:7070/", result.stderr


def test_the_server_draws_its_web_address_under_its_address_lines(library, tmp_path) -> None:
    """The real server on a terminal: ``listening on``, ``web on``, then the code."""
    command = [sys.executable, str(RUN_SERVER), "--port", "0", "--http-port", "0", "--workers", "1", "--root", str(library)]
    controller, terminal = pty.openpty()
    server = subprocess.Popen(command, stdout=terminal, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(terminal)
    try:
        text = read_until_quiet(controller, "scan to open ", quiet=1.0, timeout=30)
    finally:
        server.terminate()
        server.wait(30)
        os.close(controller)
    listening, web, scan, *code = text.splitlines()
    url = web.removeprefix("web on ")
    assert listening.startswith("listening on 127.0.0.1:") and url.startswith("http://127.0.0.1:")
    assert scan == f"scan to open {url}"
    assert decode(modules_image(terminal_modules(code)), tmp_path) == url


def read_until_quiet(fd: int, marker: str, quiet: float, timeout: float) -> str:
    """What arrives on ``fd`` until ``marker`` was seen and nothing more came for ``quiet`` s."""
    chunks = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            if marker.encode() in chunks:
                break
            continue
        try:
            chunks += os.read(fd, 65536)
        except OSError:
            break
    return chunks.decode().replace("\r\n", "\n")
