"""The logic layer runs without Tk: no display, no window."""

from __future__ import annotations

import subprocess
import sys

from tests.server_process import REPO

LOGIC = [
    "batch_downloads",
    "conflicts",
    "controller",
    "errors_text",
    "file_actions",
    "file_kinds",
    "file_list",
    "folder_path",
    "folder_transfers",
    "formatting",
    "servers",
    "settings",
    "token_store",
    "transfer_log",
    "transfers",
]


def test_logic_modules_do_not_import_tkinter():
    code = (
        "import sys\n"
        + "".join(f"import gui_client.{m}\n" for m in LOGIC)
        + "print(sorted(m for m in sys.modules if m.startswith(('tkinter', '_tkinter', 'PIL.ImageTk'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
