"""``run_client.py``: the command line, and the one place where failures become
an exit status and an ``error: <code>: <message>`` line (never a traceback).

    run_client.py [--token TOKEN] HOST[:PORT] [COMMAND ...]

With no command it opens the interactive prompt (menu.py). The commands come
from one table (commands.py), which the prompt and shell completion share.
"""

from __future__ import annotations

import argparse
import errno
import io
import math
import os
import signal
import sys

from ferry_files.shared import __version__
from ferry_files.shared.address import parse_address
from ferry_files.shared.errors import FerryError
from ferry_files.shared.tls import TlsSettings

from . import commands
from .commands import Session
from .completion import SHELLS, completion_script
from .connection import TIMEOUT, Connection, Server
from .console import Console
from .failures import BAD_ADDRESS, LOCAL_IO, USAGE, interrupted
from .menu import Menu
from .parsing import PROG, CommandParser, UsageError, add_commands, apply_alias

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
command it opens an interactive prompt."""

EPILOG = f"""\
commands:
{commands.synopses()}

  {PROG} discover [--json] [--timeout S]   the servers announced on this network (no HOST)

Remote paths are relative to the root ('photos/2024/a.jpg'); quoted globs
('photos/*.jpg') are expanded by the client. Every command takes --json (one
JSON object per line on stdout) and --quiet (no progress, notes or summaries).

The token for a server that needs one comes from --token, --token-file or
${TOKEN_VARIABLE} (the file and the variable keep it out of the process list).
--tls talks TLS; --ca-file verifies the server against a CA, otherwise its
certificate is pinned on first use in known_servers, in your config folder
(~/.config/ferry on Linux, ~/Library/Application Support/ferry on macOS,
%LOCALAPPDATA%\\ferry on Windows).
Shell completion: {PROG} --print-completion bash|zsh|fish.
More: docs/terminal-client.md"""


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


class _PrintCompletion(argparse.Action):
    """``--print-completion SHELL``: print the script and exit, as --version does
    (before argparse asks for the address)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: object, values: object, option_string: str | None = None) -> None:
        script = completion_script(build_parser(), str(values))
        sys.stdout.write(script)
        parser.exit()


def common_options() -> argparse.ArgumentParser:
    """Options every level takes, so that `--token` may come before or after the command."""
    common = CommandParser(add_help=False)
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
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="for scripts: one JSON object per line on stdout, errors too"
    )
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress, notes or summaries")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = CommandParser(
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
    parser.add_argument(
        "--print-completion",
        action=_PrintCompletion,
        choices=SHELLS,
        metavar="SHELL",
        help=f"print a completion script for {'/'.join(SHELLS)}",
    )
    add_commands(parser, common)
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if getattr(args, "command", None) is None and args.address in commands.command_names():
        raise UsageError(f"the server's address goes before the command: {PROG} HOST[:PORT] {args.address} ...")
    apply_alias(args)
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
    if getattr(args, "command", None) is None:
        return Menu(server, console).run()
    with Connection(server) as connection:
        return args.command.run(Session(connection, console), args)


def main(argv: list[str] | None = None) -> int:
    _prepare_standard_streams()
    console = Console.standard()
    try:
        argv = sys.argv[1:] if argv is None else argv
        if argv[:1] == ["discover"]:  # the one command without a server address
            from . import discover  # which imports this module

            args = discover.parse_args(argv[1:])
            console = Console.standard(as_json=args.json, quiet=args.quiet)
            status = discover.run(args, console)
        else:
            args = parse_args(argv)
            console = Console.standard(as_json=getattr(args, "json", False), quiet=getattr(args, "quiet", False))
            status = run(args, console)
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
    except FerryError as exc:
        console.fail(exc)
        return EXIT_USAGE if exc.code == USAGE else EXIT_FAILED


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
