"""Open a downloaded file with the desktop's application for it, or show it in
the file manager: ``xdg-open`` (Linux, BSD), ``open`` (macOS), ``os.startfile``
(Windows), each with a fallback, and a sentence when nothing works.

The tools are started and not waited for (an editor may run for hours); a
thread reaps each one so no zombie stays behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path


def _start(command: Sequence[str]) -> bool:
    """Start ``command`` in the background; False when it cannot be started."""
    if shutil.which(command[0]) is None:
        return False
    try:
        process = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
    except OSError:
        return False
    threading.Thread(target=process.wait, name="reap-opener", daemon=True).start()
    return True


def _startfile(path: Path, operation: str = "open") -> bool:
    starter = getattr(os, "startfile", None)  # Windows only
    if starter is None:
        return False
    try:
        starter(str(path), operation)
    except OSError:
        return False
    return True


def open_path(path: Path) -> str | None:
    """Open ``path`` (file or folder) as a double-click in the file manager would.
    Returns why not, or None."""
    if not path.exists():
        return f"{path} is not there any more"
    if sys.platform == "win32":
        ok = _startfile(path)
    elif sys.platform == "darwin":
        ok = _start(["open", str(path)])
    else:
        ok = _start(["xdg-open", str(path)]) or _start(["gio", "open", str(path)])
    return None if ok else f"No application to open {path.name} was found (install xdg-utils)"


def show_in_folder(path: Path) -> str | None:
    """Show the folder that holds ``path``, with ``path`` selected where the file
    manager can do that. Returns why not, or None."""
    if not path.exists():
        return f"{path} is not there any more"
    if sys.platform == "win32":
        ok = _start(["explorer", f"/select,{path}"]) or _startfile(path.parent)
    elif sys.platform == "darwin":
        ok = _start(["open", "-R", str(path)])
    else:
        # The freedesktop file manager interface selects the file; xdg-open only opens its folder.
        show_items = [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.FileManager1",
            "/org/freedesktop/FileManager1",
            "org.freedesktop.FileManager1.ShowItems",
            f"array:string:{path.resolve().as_uri()}",
            "string:",
        ]
        ok = (os.environ.get("DBUS_SESSION_BUS_ADDRESS") and _start(show_items)) or _start(["xdg-open", str(path.parent)])
    return None if ok else f"No file manager to show {path.parent} was found (install xdg-utils)"
