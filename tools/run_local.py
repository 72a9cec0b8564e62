#!/usr/bin/env python3
"""``make run``: serve ./library on 127.0.0.1:7069 and, where there is a display,
open the desktop app connected to it (closing the app stops the server).
Without a display it is the headless server in the foreground; Ctrl+C stops it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", 7069
SERVER = [sys.executable, str(REPO / "run_server.py"), "--host", HOST, "--port", str(PORT), "--root", str(REPO / "library")]


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main() -> int:
    if not has_display():
        print(f"no display: running the headless server on {HOST}:{PORT} (Ctrl+C stops it)", file=sys.stderr)
        os.execv(sys.executable, SERVER)
    # Unbuffered, so that select() below sees what the first readline left.
    server = subprocess.Popen(SERVER, stdout=subprocess.PIPE, bufsize=0)
    ready = server.stdout.readline().decode() if server.stdout else ""
    if not ready.startswith("listening on"):
        print("the server did not start (is port 7069 already in use?)", file=sys.stderr)
        return server.wait() or 1
    print(ready.strip(), file=sys.stderr)
    # The web line follows at once when HTTP is on (its library present); the
    # server prints both in one write, so a short wait tells.
    if select.select([server.stdout], [], [], 2)[0] and (web := server.stdout.readline().decode()).startswith("web on"):
        print(web.strip(), file=sys.stderr)
    try:
        return subprocess.call([sys.executable, str(REPO / "run_gui.py"), f"{HOST}:{PORT}"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    sys.exit(main())
