"""The interactive prompt (``run_client.py HOST[:PORT]`` with no command): the
same commands as the command line (commands.py's table), plus ``cd``, ``pwd``,
``help`` and ``quit``, at a prompt that shows the remote folder::

    ferry 127.0.0.1:7069:/photos> get *.jpg

Tab completes commands and remote names, and the history is kept between runs,
where the platform has readline (line_editing.py). A failed command prints its
``error:`` line and comes back to the prompt; end of input (Ctrl+D, or the end
of a piped script) quits cleanly; Ctrl+C stops the command under way, and quits
when pressed at the prompt itself. Each command uses a connection of its own,
so a person can leave the prompt open for longer than the server's idle timeout.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from ferry_files.shared.client import RemoteFolder
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.escaping import escape_name, escape_text

from . import commands, line_editing
from .completion import LineCompleter
from .connection import CannotConnect, Connection, Server
from .console import Console
from .failures import USAGE, interrupted
from .formatting import quoted
from .parsing import CommandParser, add_commands, apply_alias
from .remote_paths import RemoteFolders, resolve

ReadLine = Callable[[str], str]
#: The prompt's own commands, with their help.
BUILTINS = {
    "cd": "cd [PATH]: go to a remote folder (the root without PATH)",
    "pwd": "pwd: show the remote folder",
    "help": "help [COMMAND]: the commands, or one command's options",
    "quit": "quit (or exit, or Ctrl+D): leave",
}
QUIT = ("quit", "exit", "q")
GREETING_HINT = "Type 'help' for the commands, Tab to complete, 'quit' to leave."


class EndOfInput(Exception):
    """stdin is exhausted: nothing more will be asked."""


class Menu:
    def __init__(self, server: Server, console: Console, read_line: ReadLine = input, folder: str | os.PathLike[str] = ".") -> None:
        self.server = server
        self.console = console
        self._read_line = read_line
        self.folder = Path(folder)
        self.cwd = ""
        self.parser = CommandParser(prog="", add_help=False)
        add_commands(self.parser)

    @property
    def prompt(self) -> str:
        return f"ferry {self.server.address}:/{escape_name(self.cwd)}> "

    def run(self) -> int:
        """Until the person quits. Raises CannotConnect if the server cannot be reached at all."""
        client = self.server.connect()
        greeting = client.greeting
        client.quit()
        self.console.print(f"Ferry server {self.server.address} ({escape_text(greeting.server) or 'unknown version'})")
        self.console.print(GREETING_HINT)
        save_history = line_editing.start(self._completer().complete) if sys.stdin.isatty() else (lambda: None)
        try:
            while self._round():
                pass
        except (EndOfInput, KeyboardInterrupt):  # Ctrl+D, or Ctrl+C anywhere but in a command
            self.console.print()
        finally:
            save_history()
        return 0

    def _round(self) -> bool:
        """Read one line and run it; False when it says to quit."""
        line = self._ask(self.prompt)
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.console.fail(FerryError(USAGE, f"cannot read the line: {exc}"))
            return True
        if not words:
            return True
        if words[0] in QUIT:
            return False
        try:
            self._execute(words)
        except KeyboardInterrupt:
            self.console.print()
            self.console.fail(interrupted())
        except FerryError as exc:
            self.console.fail(exc)
        return True

    def _execute(self, words: list[str]) -> None:
        name, rest = words[0], words[1:]
        if name == "cd":
            self.change_folder(rest[0] if rest else "/")
        elif name == "pwd":
            self.console.print("/" + escape_name(self.cwd))
        elif name == "help":
            self.help(rest)
        else:
            try:
                args = self.parser.parse_args(words)
            except SystemExit:  # `get --help` printed its help
                return
            apply_alias(args)
            with Connection(self.server) as connection:
                args.command.run(commands.Session(connection, self.console, self.cwd, self.folder), args)

    # -- the prompt's own commands -------------------------------------------------

    def change_folder(self, text: str) -> None:
        path = resolve(self.cwd, text)
        with Connection(self.server) as connection:
            is_folder = RemoteFolders(connection.run).is_folder(path)
        if not is_folder:
            raise FerryError(ErrorCode.NOT_FOUND, f"no folder named {quoted(path)}")
        self.cwd = path

    def help(self, rest: list[str]) -> None:
        if rest and rest[0] in commands.command_names():
            self.console.out.write(self._command_parser(rest[0]).format_help())
            return
        self.console.print(commands.synopses())
        for text in BUILTINS.values():
            self.console.print(f"  {text}")
        self.console.print("'help COMMAND' shows a command's options.")

    def _command_parser(self, name: str) -> CommandParser:
        subparsers = next(a for a in self.parser._actions if a.dest == "command_name")
        return subparsers.choices[name]  # type: ignore[attr-defined,no-any-return]

    # -- completion ------------------------------------------------------------------

    def _completer(self) -> LineCompleter:
        return LineCompleter([*commands.command_names(), *BUILTINS, *QUIT], self._remote_names)

    def _remote_names(self, typed: str) -> list[str]:
        """The names in the folder ``typed`` (from the current one), a folder's with
        a ``/``; none when it cannot be listed (completion never prints an error)."""
        try:
            with Connection(self.server) as connection:
                entries = RemoteFolders(connection.run).entries(resolve(self.cwd, typed))
        except (FerryError, CannotConnect):
            return []
        return [name + ("/" if isinstance(entry, RemoteFolder) else "") for name, entry in sorted((entries or {}).items())]

    # -- input -----------------------------------------------------------------------

    def _ask(self, prompt: str) -> str:
        self.console.err.flush()
        try:
            return self._read_line(prompt)
        except EOFError:
            raise EndOfInput() from None
