"""The operating system's file dialogs, behind two functions.

Tests replace exactly these (and nothing else of the app), because a native
dialog cannot be driven reliably under Xvfb.
"""

from __future__ import annotations

from tkinter import filedialog
from typing import Any


def ask_open_files(parent: Any, initial_dir: str | None = None) -> list[str]:
    """Local files the person picked to upload (empty when cancelled)."""
    chosen = filedialog.askopenfilenames(parent=parent, title="Upload files to the server", initialdir=initial_dir)
    return list(parent.tk.splitlist(chosen)) if chosen else []


def ask_directory(parent: Any, initial_dir: str | None = None) -> str | None:
    """The folder downloads should go to, or None when cancelled."""
    chosen = filedialog.askdirectory(parent=parent, title="Save downloads to", initialdir=initial_dir, mustexist=False)
    return chosen or None


def ask_upload_folder(parent: Any, initial_dir: str | None = None) -> str | None:
    """A local folder to upload whole (None when cancelled)."""
    chosen = filedialog.askdirectory(parent=parent, title="Upload a folder to the server", initialdir=initial_dir, mustexist=True)
    return chosen or None
