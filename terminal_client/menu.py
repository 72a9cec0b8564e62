"""The interactive menu (``run_client.py HOST[:PORT]`` with no command): the seed's
four choices, 1 list, 2 download, 3 upload, 4 quit, as a proper prompt.

An invalid choice asks again; end of input (Ctrl+D, or the end of a piped
script) quits cleanly; a failed action prints its ``error:`` line and comes back
to the menu; Ctrl+C stops the action under way, and quits when pressed at the
menu itself. Each action uses a connection of its own, so a person can leave the
menu open for longer than the server's idle timeout.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.escaping import escape_text
from ferry_files.shared.local_names import FolderNames

from . import listing
from .connection import Connection, Server
from .console import Console
from .failures import interrupted
from .formatting import human_size, quoted
from .transfers import download, download_target, upload

MENU = """
  1  List files
  2  Download a file
  3  Upload a file
  4  Quit
"""
PROMPT = "Choose 1-4: "
INVALID = "Please type a number from 1 to 4."

ReadLine = Callable[[str], str]


class EndOfInput(Exception):
    """stdin is exhausted: nothing more will be asked."""


class Menu:
    def __init__(self, server: Server, console: Console, read_line: ReadLine = input, folder: str | os.PathLike[str] = ".") -> None:
        self.server = server
        self.console = console
        self._read_line = read_line
        self.folder = Path(folder)
        self._actions: dict[str, Callable[[], None] | None] = {
            "1": self.list_files, "l": self.list_files, "list": self.list_files,
            "2": self.download, "d": self.download, "download": self.download, "get": self.download,
            "3": self.upload, "u": self.upload, "upload": self.upload, "put": self.upload,
            "4": None, "q": None, "quit": None, "exit": None,
        }  # fmt: skip

    def run(self) -> int:
        """Until the person quits. Raises CannotConnect if the server cannot be reached at all."""
        client = self.server.connect()
        greeting = client.greeting
        client.quit()
        self.console.print(f"Ferry server {self.server.address} ({escape_text(greeting.server) or 'unknown version'})")
        self.console.print(MENU.rstrip("\n"))
        try:
            while self._round():
                pass
        except (EndOfInput, KeyboardInterrupt):  # Ctrl+D, or Ctrl+C anywhere but in an action
            self.console.print()
        return 0

    def _round(self) -> bool:
        """Ask once and do what was chosen; False when the choice is to quit."""
        choice = self._ask(PROMPT).strip().lower()
        if choice not in self._actions:
            self.console.print(INVALID)
            return True
        action = self._actions[choice]
        if action is None:
            return False
        try:
            action()
        except KeyboardInterrupt:
            self.console.print()
            self.console.fail(interrupted())
        except FerryError as exc:
            self.console.fail(exc)
        self.console.print(MENU.rstrip("\n"))
        return True

    # -- actions -------------------------------------------------------------

    def list_files(self) -> None:
        with Connection(self.server) as connection:
            files = connection.run(lambda client: client.list())
        self.console.out.write(listing.file_table(files))

    def download(self) -> None:
        name = self._ask("File to download (Enter to go back): ").strip()
        if not name:
            return
        target = download_target(name, self.folder)
        names = FolderNames.of(self.folder)
        clash = names.clash(target.name)  # a twin by the folder's rules gets a number instead
        if clash is not None and clash.other == target.name and not self._confirm(f"{quoted(str(target))} exists; replace it? [y/N] "):
            return
        with Connection(self.server) as connection:
            path = download(connection, self.console, name, self.folder, names)
        self.console.print(f"Saved {quoted(name)} as {quoted(str(path))}")

    def upload(self) -> None:
        text = _unquote(self._ask("File to upload (Enter to go back): ").strip())
        if not text:
            return
        path = Path(text).expanduser()
        with Connection(self.server) as connection:
            try:
                uploaded = upload(connection, self.console, path)
            except FerryError as exc:
                if exc.code != ErrorCode.EXISTS or not self._confirm(f"{quoted(path.name)} is already on the server; replace it? [y/N] "):
                    raise
                uploaded = upload(connection, self.console, path, overwrite=True)
        self.console.print(f"Uploaded {quoted(uploaded.name)} ({human_size(uploaded.size)})")

    # -- input ---------------------------------------------------------------

    def _ask(self, prompt: str) -> str:
        self.console.err.flush()
        try:
            return self._read_line(prompt)
        except EOFError:
            raise EndOfInput() from None

    def _confirm(self, question: str) -> bool:
        return self._ask(question).strip().lower() in ("y", "yes")


def _unquote(text: str) -> str:
    """A path as a terminal pastes a dropped file: ``'/a b/c.txt'`` loses its quotes."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def enable_line_editing() -> None:
    """Arrow keys and history at the prompts, where the platform has readline."""
    try:
        import readline  # noqa: F401  (importing it is what makes input() use it)
    except ImportError:
        pass
