"""This user's folders for Ferry's files, where each system keeps them.

platformdirs knows them all (``~/.config/ferry`` on Linux, ``~/Library/Application
Support/ferry`` on macOS, ``%LOCALAPPDATA%\\ferry`` on Windows); the terminal
client also runs on the standard library alone (``python -S``), so without
platformdirs the same folders are worked out here. Every client (library,
terminal, desktop) finds its pins, settings and resume records in one place.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "ferry"


def user_folder(kind: str) -> Path:
    """``kind`` is ``config`` (pins, settings) or ``state`` (resume records)."""
    try:
        import platformdirs
    except ImportError:
        return _without_platformdirs(kind)
    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))


def _without_platformdirs(kind: str) -> Path:
    home = Path(os.path.expanduser("~"))
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / APP
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP
    if kind == "state":
        return Path(os.environ.get("XDG_STATE_HOME") or home / ".local" / "state") / APP
    return Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / APP
