"""Start the desktop app: ``ferry-gui [HOST[:PORT]]``, ``python -m ferry_files.gui_client``
or, in a checkout, ``python3 run_gui.py``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tkinter as tk
from pathlib import Path

from ferry_files.shared import __version__

from .settings import default_settings_path


def create_root(screen: str | None = None) -> tuple[tk.Tk, bool]:
    """A Tk root that accepts dropped files when tkdnd loads; plain Tk otherwise.
    ``screen`` is an X display (":1"); the default is $DISPLAY."""
    try:
        from tkinterdnd2 import TkinterDnD

        return TkinterDnD.Tk(screenName=screen, className="Ferry"), True
    except Exception as exc:  # ImportError, or TclError when tkdnd has no build for this platform
        logging.getLogger("gui").warning("drag and drop unavailable: %s", exc)
        return tk.Tk(screenName=screen, className="Ferry"), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ferry-gui", description="Ferry's desktop app.")
    parser.add_argument("--version", action="version", version=f"ferry-gui {__version__}")
    parser.add_argument("address", nargs="?", help="connect to HOST[:PORT] at start")
    parser.add_argument("--settings", type=Path, default=None, help="settings file (default: in the user's config folder)")
    parser.add_argument("--tls", action="store_true", help="use TLS; the server's certificate is pinned on first use")
    parser.add_argument("--ca-file", metavar="PEM", default=None, help="use TLS and verify the server against these CAs")
    menu = parser.add_mutually_exclusive_group()
    menu.add_argument("--install-desktop", action="store_true", help="put Ferry in this user's application menu (Linux) and exit")
    menu.add_argument("--uninstall-desktop", action="store_true", help="take it out of the menu again and exit")
    args = parser.parse_args(argv)
    if args.install_desktop or args.uninstall_desktop:
        from .desktop_entry import run

        return run(uninstalling=args.uninstall_desktop)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from .main_window import MainWindow

    try:
        root, dnd = create_root()
    except tk.TclError as exc:  # no display reachable: a message, not a traceback
        display = os.environ.get("DISPLAY", "")
        print(f'ferry-gui: cannot open a window on display "{display}": {exc}. The terminal client (ferry) needs none.', file=sys.stderr)
        return 1
    window = MainWindow(root, args.settings or default_settings_path(), dnd, ca_file=args.ca_file)
    window.connect_bar.tls.set(args.tls or args.ca_file is not None)
    if args.address:
        window.connect_to(args.address)
    root.mainloop()
    return 0
