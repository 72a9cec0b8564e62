"""Line editing at the interactive prompt: Tab completion and a history kept
between runs, where the platform has ``readline`` (Linux, macOS; Windows has
none without an extra package, and then the prompt is plain ``input()``).

The history file is ``ferry/history`` in the user's state folder (platformdirs'
``user_state_dir``, ``$XDG_STATE_HOME`` or ``~/.local/state`` without it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from ferry_files.shared.state_records import state_folder

#: Lines of history kept.
HISTORY_LENGTH = 1000


def history_file() -> Path:
    return state_folder("history")


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:
        return None
    return readline


def start(complete: Callable[[str, int], str | None], history: Path | None = None) -> Callable[[], None]:
    """Turn on completion and the history; returns what saves the history at the end
    (a no-op without readline). A history that cannot be read or saved is no error:
    the prompt works without one."""
    readline = _readline()
    if readline is None:
        return lambda: None
    history = history or history_file()
    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n")
    # macOS's Python may be built on libedit, which has its own syntax for the binding.
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(HISTORY_LENGTH)

    def save() -> None:
        with contextlib.suppress(OSError):  # a read-only home: the next run starts without
            history.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            readline.write_history_file(history)

    return save
