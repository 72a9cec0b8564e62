"""``run_client.py``: the command line, and the one place where failures become
an exit status and an ``error: <code>: <message>`` line (never a traceback).

    run_client.py [--token TOKEN] HOST[:PORT] [COMMAND ...]

With no command it opens the interactive menu (menu.py).
"""

from __future__ import annotations

import argparse
import errno
import io
import math
import os
import signal
import sys
from typing import NoReturn

from ferry_files.shared import __version__
from ferry_files.shared.address import parse_address
from ferry_files.shared.errors import FerryError
from ferry_files.shared.tls import TlsSettings

from . import commands
from .connection import TIMEOUT, Connection, Server
from .console import Console
from .failures import BAD_ADDRESS, LOCAL_IO, USAGE, interrupted
from .menu import Menu, enable_line_editing


def _program_name() -> str:
    """The name the person typed: ``ferry`` (the installed command, and ``python -m``)
    or ``run_client.py`` in a checkout, for usage lines they can copy."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    name = name.removesuffix(".exe")
    return name if name.endswith(".py") and name != "__main__.py" else "ferry"


PROG = _program_name()
COMMANDS = ("list", "stat", "get", "put")
#: Exit statuses, as shells and scripts expect them (argparse's own usage status is 2;
#: 128 + SIGINT is what a shell reports for a command stopped by Ctrl+C).
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: Environment variable read for the token when --token is not given.
TOKEN_VARIABLE = "FERRY_TOKEN"

DESCRIPTION = """\
Ferry's terminal client. With a command it does one thing and exits 0 on
success, or after an 'error: <code>: <message>' line on stderr with 1 (a
transfer or server error), 2 (a usage error) or 130 (Ctrl+C). Without a
command it opens an interactive menu."""

EPILOG = f"""\
commands:
  list [--json | --names]       the server's files: a table, JSON, or bare names
  stat NAME [--json]            size, modification time and sha256 of one file
  get NAME... [-o DIR|-]        download files into DIR (default: here), or one to stdout
  put FILE... [--overwrite]     upload files under their own names

The token for a server that needs one comes from --token, --token-file or
${TOKEN_VARIABLE} (the file and the variable keep it out of the process list).
--tls talks TLS; --ca-file verifies the server against a CA, otherwise its
certificate is pinned on first use in known_servers, in your config folder
(~/.config/ferry on Linux, ~/Library/Application Support/ferry on macOS,
%LOCALAPPDATA%\\ferry on Windows).
More: docs/terminal-client.md"""


class UsageError(FerryError):
    def __init__(self, message: str) -> None:
        super().__init__(USAGE, f"{message} (see {PROG} --help)")


def positive_seconds(text: str) -> float:
    """``--timeout``'s value: a finite number of seconds above zero (zero or less
    would make every wait fail at once; no timeout at all could hang forever)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return seconds


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    # Options shared by every level, so `--token` may come before or after the command.
    common = _Parser(add_help=False)
    common.add_argument("--token", default=argparse.SUPPRESS, help=f"the server's token (default: ${TOKEN_VARIABLE})")
    common.add_argument("--token-file", default=argparse.SUPPRESS, metavar="PATH", help="read the token from this file")
    common.add_argument(
        "--tls",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use TLS; without --ca-file the server's certificate is pinned on first use (like SSH)",
    )
    common.add_argument("--ca-file", default=argparse.SUPPRESS, metavar="PEM", help="use TLS and verify the server against these CAs")
    common.add_argument(
        "--timeout",
        type=positive_seconds,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help=f"give up connecting, or waiting for the server in an operation, after this long (default: {TIMEOUT:g})",
    )

    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "address", metavar="HOST[:PORT]", help="the server, e.g. 127.0.0.1, files.lan:7069 or [::1]:7069 (default port 7069)"
    )
    parser.add_argument("--version", action="version", version=f"ferry {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    listing = subparsers.add_parser("list", parents=[common], help="list the server's files")
    output = listing.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const="json",
        default="table",
        help="print a JSON array of {name, size, mtime} (mtime in seconds since the epoch)",
    )
    output.add_argument(
        "--names",
        dest="output",
        action="store_const",
        const="names",
        help="print only the names, one per line, escaped as in the table (--json is exact)",
    )

    stat = subparsers.add_parser("stat", parents=[common], help="show one file's size, time and sha256")
    stat.add_argument("name", metavar="NAME")
    stat.add_argument("--json", action="store_true", help="print a JSON object {name, size, mtime, sha256}")

    get = subparsers.add_parser("get", parents=[common], help="download files")
    get.add_argument("names", metavar="NAME", nargs="+", help="the name of a file on the server (see list)")
    get.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=".",
        help=f"the folder to save into; it must exist (default: here). '{commands.STANDARD_OUTPUT}' writes the file to standard output",
    )

    put = subparsers.add_parser("put", parents=[common], help="upload files")
    put.add_argument("paths", metavar="FILE", nargs="+")
    put.add_argument("--overwrite", action="store_true", help="replace files the server already has")
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.command is None and args.address in COMMANDS:
        raise UsageError(f"the server's address goes before the command: {PROG} HOST[:PORT] {args.address} ...")
    if args.command == "get" and args.output_dir == commands.STANDARD_OUTPUT and len(args.names) > 1:
        raise UsageError(f"-o {commands.STANDARD_OUTPUT} writes one file to standard output, not {len(args.names)}")
    return args


def server_from(args: argparse.Namespace, environ: os._Environ[str] | dict[str, str]) -> Server:
    try:
        host, port = parse_address(args.address)
    except ValueError as exc:
        raise FerryError(BAD_ADDRESS, str(exc)) from None
    token = getattr(args, "token", None)
    token_file = getattr(args, "token_file", None)
    if token is None and token_file is not None:
        try:
            with open(token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise FerryError(LOCAL_IO, f"cannot read the token file {token_file}: {getattr(exc, 'strerror', None) or exc}") from None
    if token is None:
        token = environ.get(TOKEN_VARIABLE) or None
    ca_file = getattr(args, "ca_file", None)
    tls = TlsSettings(cafile=ca_file) if ca_file is not None or getattr(args, "tls", False) else None
    return Server(host, port, token, tls, getattr(args, "timeout", TIMEOUT))


def run(args: argparse.Namespace, console: Console) -> int:
    server = server_from(args, os.environ)
    if args.command is None:
        if sys.stdin.isatty():
            enable_line_editing()
        return Menu(server, console).run()
    with Connection(server) as connection:
        if args.command == "list":
            return commands.list_files(connection, console, output=args.output)
        if args.command == "stat":
            return commands.stat_file(connection, console, args.name, as_json=args.json)
        if args.command == "get":
            return commands.get_files(connection, console, args.names, args.output_dir)
        return commands.put_files(connection, console, args.paths, overwrite=args.overwrite)


def main(argv: list[str] | None = None) -> int:
    _prepare_standard_streams()
    console = Console.standard()
    try:
        status = run(parse_args(sys.argv[1:] if argv is None else argv), console)
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not interrupt the report
        console.fail(interrupted())
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout went away (`run_client.py HOST list | head -1`): stop quietly, as cat and ls do.
        _silence_stdout()
        return EXIT_FAILED
    except OSError as exc:  # stdout cannot be written (a full disk...)
        _silence_stdout()
        console.fail(FerryError("local_io", f"cannot write the output: {exc.strerror or exc}"))
        return EXIT_FAILED
    except UsageError as exc:
        console.fail(exc)
        return EXIT_USAGE
    except FerryError as exc:
        console.fail(exc)
        return EXIT_FAILED


class _ClosedBinaryOutput(io.RawIOBase):
    """The bytes side of :class:`_ClosedOutput`, for ``get -o -``."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


class _ClosedOutput(io.TextIOBase):
    """Stands in for a standard output the client was started without (``>&-``)."""

    buffer = _ClosedBinaryOutput()

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _prepare_standard_streams() -> None:
    """Streams the client was started without become end-of-input (stdin), an error
    on first write (stdout) or silence (stderr: nowhere to report to). Text the
    locale cannot encode (a name in Japanese under a Latin-1 locale) is escaped."""
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115  (for the life of the process)
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush at exit cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
