"""Run a dialog program (zenity, kdialog, gdbus) while the Tk loop goes on.

A native file dialog is another process that can stay open for minutes; the
window must keep drawing and the bridge keep draining meanwhile, so the wait
is a nested Tk loop (``wait_variable``, as Tk's own dialogs do) polled with
``after``. Output goes to a temporary file, not a pipe: a long multiple
selection could fill a pipe and the program would never exit.
"""

from __future__ import annotations

import subprocess
import tempfile
import tkinter as tk
from collections.abc import Callable
from typing import Any

#: How often the program is checked for having exited.
POLL_MS = 40


def run_keeping_tk_alive(parent: Any, argv: list[str]) -> tuple[int, str]:
    """``argv``'s exit status and standard output (UTF-8). An exit status of
    127 means it could not be started."""
    with tempfile.TemporaryFile() as output:
        try:
            process = subprocess.Popen(argv, stdout=output, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        except OSError:
            return 127, ""
        wait_until(parent, lambda: process.poll() is not None)
        output.seek(0)
        return process.returncode, output.read().decode("utf-8", "surrogateescape")


def wait_until(parent: Any, done: Callable[[], bool]) -> None:
    """Run the Tk loop until ``done()``, checking every POLL_MS."""
    finished = tk.BooleanVar(parent, False)

    def check() -> None:
        if done():
            finished.set(True)
        else:
            parent.after(POLL_MS, check)

    check()
    if not finished.get():
        parent.wait_variable(finished)
