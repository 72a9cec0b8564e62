"""The XDG desktop portal's file chooser (``org.freedesktop.portal.FileChooser``)
through ``gdbus``: the dialog of whatever desktop runs (GNOME, KDE, others), and
the only one a sandboxed app may use.

The portal answers ``OpenFile`` at once with a request object and sends the
choice later as that object's ``Response`` signal, so ``gdbus monitor`` is
started (and heard from) before the call, and its output is read until the
response for our request arrives.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from .dialog_process import run_keeping_tk_alive, wait_until

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
#: How long ``gdbus monitor`` may take to say it is listening.
MONITOR_START_S = 3.0

_HANDLE = re.compile(r"objectpath '([^']+)'")
_RESPONSE = re.compile(r"Response \(uint32 (\d+), (.*)\)\s*$")
_URIS = re.compile(r"'uris': <\[(.*?)\]>")
_URI = re.compile(r"'((?:[^'\\]|\\.)*)'")


def gvariant_text(text: str) -> str:
    """``text`` as a GVariant string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def gvariant_bytes(text: str) -> str:
    """``text`` as a GVariant bytestring literal (the portal's ``ay`` folder)."""
    return "b" + gvariant_text(text)


def paths_of(response_line: str) -> list[str] | None:
    """The local paths a ``Response`` signal carries; [] for a cancel, None when not a response."""
    match = _RESPONSE.search(response_line)
    if match is None:
        return None
    if match.group(1) != "0":
        return []
    uris = _URIS.search(match.group(2))
    if uris is None:
        return []
    return [unquote(urlsplit(uri).path) for uri in _URI.findall(uris.group(1)) if uri.startswith("file://")]


def portal(parent: Any, title: str, start: str, directory: bool, multiple: bool) -> list[str] | None:
    program = shutil.which("gdbus")
    if program is None:
        return None
    with tempfile.NamedTemporaryFile("w+", encoding="utf-8") as signals:
        monitor = subprocess.Popen(
            [program, "monitor", "--session", "--dest", PORTAL], stdout=signals, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        try:
            if not _monitor_listening(monitor, signals.name):
                return None
            handle = _open_file(parent, program, title, start, directory, multiple)
            if handle is None:
                return None
            return _response(parent, monitor, signals.name, handle)
        finally:
            monitor.kill()
            monitor.wait()


def _monitor_listening(monitor: subprocess.Popen, output: str) -> bool:
    deadline = time.monotonic() + MONITOR_START_S
    while time.monotonic() < deadline and monitor.poll() is None:
        with open(output, encoding="utf-8", errors="replace") as f:
            if f.readline():
                return True
        time.sleep(0.02)
    return False


def _open_file(parent: Any, program: str, title: str, start: str, directory: bool, multiple: bool) -> str | None:
    """Ask the portal for the dialog; its request object's path, or None when there is no portal."""
    token = "ferry" + secrets.token_hex(6)
    options = (
        f"{{'handle_token': <{gvariant_text(token)}>, 'multiple': <{str(multiple).lower()}>,"
        f" 'directory': <{str(directory).lower()}>, 'current_folder': <{gvariant_bytes(start)}>}}"
    )
    window = _window_id(parent)
    method = f"{PORTAL.rsplit('.', 1)[0]}.FileChooser.OpenFile"
    argv = [program, "call", "--session", "--dest", PORTAL, "--object-path", PORTAL_PATH, "--method", method, window, title, options]
    status, output = run_keeping_tk_alive(parent, argv)
    handle = _HANDLE.search(output) if status == 0 else None
    return handle.group(1) if handle else None


def _window_id(parent: Any) -> str:
    """``x11:XID`` of the app's window, so the dialog stays above it."""
    try:
        return f"x11:{int(parent.winfo_toplevel().wm_frame(), 16):x}"
    except (ValueError, AttributeError):
        return ""


def _response(parent: Any, monitor: subprocess.Popen, output: str, handle: str) -> list[str] | None:
    """Wait (with Tk running) for the Response signal of ``handle``; None if the monitor died first."""
    found: list[list[str]] = []

    def arrived() -> bool:
        with open(output, encoding="utf-8", errors="replace") as f:
            for line in f:
                paths = paths_of(line) if line.startswith(handle + ":") else None
                if paths is not None:
                    found.append(paths)
                    return True
        return monitor.poll() is not None

    wait_until(parent, arrived)
    return found[0] if found else None
