"""Completion: shell scripts for bash, zsh and fish made from the argument
parser (``--print-completion SHELL``), and Tab in the interactive prompt.

The shell scripts come from shtab, imported only when asked for: the client
itself runs on the standard library alone (``python3 -S run_client.py``), and
without shtab ``--print-completion`` says what to install instead.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Iterable

from ferry_files.shared.errors import FerryError
from ferry_files.shared.escaping import escape_name

#: The shells a completion script can be printed for.
SHELLS = ("bash", "zsh", "fish")
#: shtab's pin (pyproject.toml), named in the message when it is missing.
SHTAB = "shtab==1.13.0"
#: The code of a feature that needs a library this Python does not have.
UNAVAILABLE = "unavailable"


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    try:
        import shtab
    except ImportError:
        raise FerryError(UNAVAILABLE, f"shell completion needs shtab: pip install '{SHTAB}'") from None
    return shtab.complete(parser, shell=shell)


def _showable(name: str) -> bool:
    """Whether ``name`` prints as itself (see shared/escaping.py)."""
    return escape_name(name) == name


class LineCompleter:
    """readline's completer for the prompt: the first word among ``commands``,
    later words among the remote names ``remote_names(folder)`` returns for the
    folder typed so far (``photos/``, ``/``, ``""``: the current one), a folder's
    ending in ``/`` so that Tab goes on into it. An option is left alone. A name
    that would show escaped is not offered: readline would print it raw when it
    lists the choices, and an escaped one is not the name."""

    def __init__(self, commands: Iterable[str], remote_names: Callable[[str], list[str]]) -> None:
        self.commands = sorted(set(commands))
        self.remote_names = remote_names
        self._matches: list[str] = []

    def candidates(self, line: str, word: str) -> list[str]:
        """What ``word`` (the last word of ``line``, which ends at the cursor) may become."""
        try:
            words = shlex.split(line)
        except ValueError:  # an open quote
            words = line.split()
        first = not words or (len(words) == 1 and not line.endswith(" "))
        if first:
            return [name + " " for name in self.commands if name.startswith(word)]
        if word.startswith("-"):
            return []
        head = word[: word.rfind("/") + 1]  # the folder typed so far, with its last "/"
        start = word[len(head) :]
        return [head + name for name in self.remote_names(head) if name.startswith(start) and _showable(name)]

    def complete(self, text: str, state: int) -> str | None:
        """The readline protocol: called with state 0, 1, 2... until None."""
        if state == 0:
            import readline

            self._matches = self.candidates(readline.get_line_buffer()[: readline.get_endidx()], text)
        return self._matches[state] if state < len(self._matches) else None
