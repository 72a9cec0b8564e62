"""Put Ferry in the desktop's application menu for the current user (Linux and
other freedesktop.org desktops): ``ferry-gui --install-desktop``, or in a
checkout ``make install-desktop``.

Writes ``~/.local/share/applications/ferry.desktop`` (from the packaged
``assets/ferry.desktop``) and the app icon into
``~/.local/share/icons/hicolor/<size>/apps/ferry.png``; honours ``XDG_DATA_HOME``.
Nothing needs root. The launcher runs the Ferry that installed it: the installed
``ferry-gui`` command beside this Python (a pip or pipx install), else this Python
with the checkout's ``run_gui.py``. The template and icons come through
importlib.resources, so an installed Ferry needs no checkout. No Tk, no Pillow:
it runs with a bare ``python3``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

ICON_SIZES = (16, 32, 48, 64, 128, 256)
ASSETS = files("ferry_files.assets")
#: The checkout this module runs from, or None when installed.
CHECKOUT = Path(__file__).resolve().parent.parent if (Path(__file__).resolve().parent.parent / "run_gui.py").is_file() else None


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def launch_command(python: str) -> list[str]:
    """What the menu entry runs (see the module's docstring)."""
    if CHECKOUT is not None:
        return [python, str(CHECKOUT / "run_gui.py")]
    installed = Path(python).parent / ("ferry-gui.exe" if os.name == "nt" else "ferry-gui")
    return [str(installed)] if installed.exists() else [python, "-m", "ferry_files.gui_client"]


def desktop_entry(python: str) -> str:
    lines = []
    for line in (ASSETS / "ferry.desktop").read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = "Exec=" + shlex.join(launch_command(python))
        elif line.startswith("Path="):
            if CHECKOUT is None:
                continue
            line = f"Path={CHECKOUT}"
        elif line.startswith("Icon="):
            line = f"Icon={data_home() / 'icons' / 'hicolor' / '256x256' / 'apps' / 'ferry.png'}"
        elif line.startswith("#"):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(python: str) -> list[Path]:
    written = []
    applications = data_home() / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    entry = applications / "ferry.desktop"
    entry.write_text(desktop_entry(python), encoding="utf-8")
    entry.chmod(0o755)
    written.append(entry)
    for size in ICON_SIZES:
        source = ASSETS / f"ferry-{size}.png"
        if source.is_file():
            target = data_home() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ferry.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            written.append(target)
    if shutil.which("update-desktop-database"):
        subprocess.run(["update-desktop-database", str(applications)], check=False, capture_output=True)
    return written


def uninstall() -> list[Path]:
    removed = []
    candidates = [data_home() / "applications" / "ferry.desktop"]
    candidates += [data_home() / "icons" / "hicolor" / f"{s}x{s}" / "apps" / "ferry.png" for s in ICON_SIZES]
    for path in candidates:
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def run(uninstalling: bool, python: str = sys.executable) -> int:
    paths = uninstall() if uninstalling else install(python)
    for path in paths:
        print(("removed " if uninstalling else "wrote ") + str(path))
    if not uninstalling:
        print("Ferry is in the application menu (log out and in if it does not show yet).")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uninstall", action="store_true", help="remove what an earlier install wrote")
    parser.add_argument("--python", default=sys.executable, help="the Python the launcher runs (default: this one)")
    args = parser.parse_args(argv)
    return run(args.uninstall, args.python)
