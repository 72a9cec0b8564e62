"""The argument parser's parts the command line and the interactive prompt share:
one subcommand per entry of the command table, usage errors as ``FerryError``
(exit status 2, never argparse's own exit), and the options an old command name implies."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from ferry_files.shared.errors import FerryError

from . import commands
from .failures import USAGE


def _program_name() -> str:
    """The name the person typed: ``ferry`` (the installed command, and ``python -m``)
    or ``run_client.py`` in a checkout, for usage lines they can copy."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    name = name.removesuffix(".exe")
    return name if name.endswith(".py") and name != "__main__.py" else "ferry"


PROG = _program_name()


class UsageError(FerryError):
    def __init__(self, message: str) -> None:
        super().__init__(USAGE, f"{message} (see {PROG} --help)")


class CommandParser(argparse.ArgumentParser):
    """Usage errors raised, not printed; no abbreviated options (``--to`` is its
    own option, not a prefix of ``--token``, and a script's options never change
    meaning when an option is added)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_commands(parser: argparse.ArgumentParser, common: argparse.ArgumentParser | None = None) -> argparse._SubParsersAction:
    """One subcommand per entry of the command table (commands.py)."""
    subparsers = parser.add_subparsers(dest="command_name", metavar="COMMAND", parser_class=CommandParser)
    for command in commands.COMMANDS:
        sub = subparsers.add_parser(
            command.name, aliases=list(command.aliases), parents=[common] if common else [], help=command.help, description=command.help
        )
        command.arguments(sub)
        sub.set_defaults(command=command)
    return subparsers


def apply_alias(args: argparse.Namespace) -> None:
    """The options an old command name implies (``list`` is ``ls -l``)."""
    command = getattr(args, "command", None)
    if command is not None:
        for key, value in command.aliases.get(args.command_name, {}).items():
            setattr(args, key, value)
