"""The desktop's own file dialogs through zenity (GNOME and most others) or
kdialog (KDE): what to run, and how to read what the person picked.

Each returns None when its program is missing or did not work (the next one
is tried), ``[]`` when the person cancelled, else the chosen paths. Paths come
one per line (``--separator`` / ``--separate-output``): a name with a newline
cannot be picked through these two, which is accepted.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from .dialog_process import run_keeping_tk_alive

#: zenity's and kdialog's exit status when the person pressed Cancel.
CANCELLED = 1


def zenity(parent: Any, title: str, start: str, directory: bool, multiple: bool) -> list[str] | None:
    program = shutil.which("zenity")
    if program is None:
        return None
    argv = [program, "--file-selection", f"--title={title}", f"--filename={os.path.join(start, '')}", "--separator=\n"]
    argv += ["--directory"] if directory else []
    argv += ["--multiple"] if multiple else []
    return _chosen(*run_keeping_tk_alive(parent, argv))


def kdialog(parent: Any, title: str, start: str, directory: bool, multiple: bool) -> list[str] | None:
    program = shutil.which("kdialog")
    if program is None:
        return None
    if directory:
        argv = [program, "--title", title, "--getexistingdirectory", start]
    else:
        argv = [program, "--title", title, "--getopenfilename", os.path.join(start, "")]
        argv += ["--multiple", "--separate-output"] if multiple else []
    return _chosen(*run_keeping_tk_alive(parent, argv))


def _chosen(status: int, output: str) -> list[str] | None:
    if status == CANCELLED:
        return []
    if status != 0:
        return None  # could not start, no display, crashed: the next dialog is tried
    return [line for line in output.split("\n") if line]
