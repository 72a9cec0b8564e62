"""The operating system's file dialogs, behind three functions.

The desktop's own dialog where there is one: the XDG desktop portal (through
gdbus), zenity, kdialog (first on KDE); Tk's dialog otherwise. All start in
the given folder or the user's home, never the working directory. Tk's
dialog is patched so that a typed name with spaces is one name.

Tests replace these functions when the dialog is not what they test.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog
from typing import Any

from .dialog_programs import kdialog, zenity
from .portal_dialog import portal

log = logging.getLogger("gui.dialogs")

Dialog = Callable[[Any, str, str, bool, bool], "list[str] | None"]

#: Tk's unix file dialog splits what is typed into its name field as a Tcl
#: list when several files may be chosen, so "a b.txt" became "a" and "b.txt"
#: (and a brace an error). Typed text that names an existing file or folder,
#: or is not a list of several names, is now one name.
_TK_TYPED_NAME_FIX = r"""
proc ::tk::dialog::file::ActivateEnt {w} {
    upvar ::tk::dialog::file::[winfo name $w] data
    set text [$data(ent) get]
    set several [expr {$data(-multiple) && ![catch {llength $text} count] && $count > 1}]
    if {$several && ![file exists [file join $data(selectPath) $text]]} {
        foreach t $text {
            VerifyFileName $w $t
        }
    } else {
        VerifyFileName $w $text
    }
}
"""


def native_dialogs() -> list[Dialog]:
    """The desktop's dialogs in the order they are tried."""
    programs: list[Dialog] = [zenity, kdialog]
    if "KDE" in os.environ.get("XDG_CURRENT_DESKTOP", "").upper():
        programs.reverse()
    return [portal, *programs] if os.environ.get("DBUS_SESSION_BUS_ADDRESS") else programs


def _start(initial_dir: str | None) -> str:
    return initial_dir if initial_dir and os.path.isdir(initial_dir) else str(Path.home())


def _ask(parent: Any, title: str, start: str, directory: bool, multiple: bool) -> list[str] | None:
    """The first native dialog that works; None when none does."""
    for dialog in native_dialogs():
        chosen = dialog(parent, title, start, directory, multiple)
        if chosen is not None:
            return chosen
        log.info("file dialog %s unavailable, trying the next", dialog.__name__)
    return None


def _tk_dialog_fixed(parent: Any) -> None:
    """Load Tk's own (X11) file dialog now and replace its typed-name handling;
    Windows and macOS use the system's dialog, which has no such problem."""
    if parent.tk.call("tk", "windowingsystem") == "x11" and parent.tk.call("auto_load", "::tk::dialog::file::Config"):
        parent.tk.eval(_TK_TYPED_NAME_FIX)


def ask_open_files(parent: Any, initial_dir: str | None = None) -> list[str]:
    """Local files the person picked to upload (empty when cancelled)."""
    title, start = "Upload files to the server", _start(initial_dir)
    chosen = _ask(parent, title, start, directory=False, multiple=True)
    if chosen is not None:
        return chosen
    _tk_dialog_fixed(parent)
    picked = filedialog.askopenfilenames(parent=parent, title=title, initialdir=start)
    return list(parent.tk.splitlist(picked)) if picked else []


def ask_directory(parent: Any, initial_dir: str | None = None) -> str | None:
    """The folder downloads should go to, or None when cancelled."""
    return _ask_folder(parent, "Save downloads to", initial_dir, must_exist=False)


def ask_upload_folder(parent: Any, initial_dir: str | None = None) -> str | None:
    """A local folder to upload whole (None when cancelled)."""
    return _ask_folder(parent, "Upload a folder to the server", initial_dir, must_exist=True)


def _ask_folder(parent: Any, title: str, initial_dir: str | None, must_exist: bool) -> str | None:
    start = _start(initial_dir)
    chosen = _ask(parent, title, start, directory=True, multiple=False)
    if chosen is not None:
        return chosen[0] if chosen else None
    return filedialog.askdirectory(parent=parent, title=title, initialdir=start, mustexist=must_exist) or None
