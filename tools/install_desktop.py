"""Put Ferry in the desktop's application menu for the current user.

    make install-desktop          (or: python3 tools/install_desktop.py [--uninstall])

Writes ``~/.local/share/applications/ferry.desktop`` (from assets/ferry.desktop,
with this checkout's absolute paths and the Python that runs this script) and
the app icon into ``~/.local/share/icons/hicolor/<size>/apps/ferry.png``.
Honours ``XDG_DATA_HOME``. Nothing needs root.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "assets" / "ferry.desktop"
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def desktop_entry(python: str) -> str:
    lines = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={shlex.quote(python)} {shlex.quote(str(REPO / 'run_gui.py'))}"
        elif line.startswith("Path="):
            line = f"Path={REPO}"
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
        source = REPO / "assets" / f"ferry-{size}.png"
        if source.exists():
            target = data_home() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ferry.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uninstall", action="store_true", help="remove what an earlier install wrote")
    parser.add_argument("--python", default=sys.executable, help="the Python the launcher runs (default: this one)")
    args = parser.parse_args(argv)
    paths = uninstall() if args.uninstall else install(args.python)
    for path in paths:
        print(("removed " if args.uninstall else "wrote ") + str(path))
    if not args.uninstall:
        print("Ferry is in the application menu (log out and in if it does not show yet).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
