"""The server's settings and its command line (the contract in docs/configuration.md)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from ferry_files.shared import __version__
from ferry_files.shared.discovery_record import instance_name_problem
from ferry_files.shared.limits import DEFAULT_PORT

#: The web page's port (docs/web.md): next to the native protocol's.
DEFAULT_HTTP_PORT = 7070


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    root: Path = Path("library")
    workers: int = os.cpu_count() or 1
    max_connections: int = 10_000
    idle_timeout: float = 300.0
    max_upload: int | None = None
    read_only: bool = False
    no_delete: bool = False  # refuse delete, rename and put with overwrite (PROTOCOL.md 7.3)
    grace: float = 10.0
    fsync: bool = True
    token: str | None = field(default=None, repr=False)  # never in a log line
    token_file: Path | None = None
    token_for: str = "all"  # "all": every request needs auth; "write": only put
    tls_cert: Path | None = None
    tls_key: Path | None = None
    header_timeout: float = 60.0
    worker_timeout: float = 30.0
    resume_hours: float = 1.0  # how long an interrupted resumable upload's bytes are kept (PROTOCOL.md 7.4)
    log_level: str = "info"
    http: bool = True  # serve HTTP (the web page, curl) on http_port too, when h11 is installed
    http_port: int = DEFAULT_HTTP_PORT
    http_host: tuple[str, ...] = ()  # more names the Host header may carry (DNS rebinding guard, docs/security.md)
    announce: bool = True  # DNS-SD on the LAN (server/announce.py)
    name: str | None = None  # the announced instance name; None: "Ferry on <hostname>"

    @property
    def auth_mode(self) -> bool | str:
        """The greeting's ``auth`` field."""
        if self.token is None:
            return False
        return "write" if self.token_for == "write" else True


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _read_token(path: Path) -> str:
    """The token in ``path``: its content without surrounding white space. The
    token travels by file or environment, never on the command line (``ps``)."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read token file {path}: {exc}") from None
    if not token:
        raise ValueError(f"token file {path} is empty")
    return token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ferry-server", description="Serve one library folder to Ferry clients.")
    add = parser.add_argument
    add("--version", action="version", version=f"ferry-server {__version__}")
    add("--host", default=ServerConfig.host, help="address to listen on (default %(default)s)")
    add("--port", type=_non_negative_int, default=ServerConfig.port, help="TCP port; 0 picks a free one (default %(default)s)")
    add("--root", type=Path, default=ServerConfig.root, help="the library folder, created if missing (default ./%(default)s)")
    add("--workers", type=_positive_int, default=ServerConfig.workers, help="worker processes (default: one per CPU, %(default)s)")
    add(
        "--max-connections",
        type=_positive_int,
        default=ServerConfig.max_connections,
        help="sessions at once before new ones get 'busy' (default %(default)s)",
    )
    add(
        "--idle-timeout",
        type=_positive_float,
        default=ServerConfig.idle_timeout,
        help="seconds without a complete request or body progress before a session is closed (default %(default)s)",
    )
    add("--max-upload", type=_non_negative_int, default=None, metavar="BYTES", help="largest upload accepted (default: no limit)")
    add("--read-only", action="store_true", help="refuse every upload")
    add(
        "--no-delete",
        action="store_true",
        help="refuse to delete, rename or overwrite files ('forbidden'); new uploads and folders still work",
    )
    add(
        "--grace",
        type=float,
        default=ServerConfig.grace,
        help="seconds in-flight transfers may take to finish after SIGTERM (default %(default)s)",
    )
    add("--no-fsync", dest="fsync", action="store_false", help="publish uploads without waiting for the disk (faster, not crash-safe)")
    add(
        "--token-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="require clients to 'auth' with the token in this file (or set FERRY_TOKEN)",
    )
    add(
        "--token-for",
        choices=("all", "write"),
        default="all",
        help="what needs the token: every request, or only uploads (default %(default)s)",
    )
    add("--tls-cert", type=Path, default=None, metavar="PEM", help="serve TLS with this certificate (chain)")
    add("--tls-key", type=Path, default=None, metavar="PEM", help="the private key of --tls-cert")
    add(
        "--header-timeout",
        type=_positive_float,
        default=ServerConfig.header_timeout,
        help="seconds a started header has to complete (slowloris guard; default %(default)s)",
    )
    add(
        "--worker-timeout",
        type=_positive_float,
        default=ServerConfig.worker_timeout,
        help="seconds a worker may go without a heartbeat before it is killed and replaced (default %(default)s)",
    )
    add(
        "--resume-hours",
        type=_positive_float,
        default=ServerConfig.resume_hours,
        help="hours the bytes of an interrupted resumable upload are kept for its resume (default %(default)s)",
    )
    add("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    add(
        "--http-port",
        type=_non_negative_int,
        default=ServerConfig.http_port,
        help="port of the web page and HTTP access; 0 picks a free one (default %(default)s)",
    )
    add("--no-http", dest="http", action="store_false", help="serve no HTTP (no web page)")
    add(
        "--http-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name the server is reached by in browsers, besides its own names and addresses (repeatable)",
    )
    add("--no-announce", dest="announce", action="store_false", help="do not announce the server on the LAN (DNS-SD, UDP 5353)")
    add("--name", default=None, help="the name clients see in their Discovered list (default: 'Ferry on <hostname>')")
    add(
        "--systemd-unit",
        action="store_true",
        help="print a sandboxed systemd service unit that serves with these options, and exit (docs/deploy.md)",
    )
    return parser


def parse_args(argv: list[str] | None = None) -> ServerConfig:
    parser = build_parser()
    args = parser.parse_args(argv)
    token = os.environ.get("FERRY_TOKEN") or None
    if args.token_file is not None:
        try:
            token = _read_token(args.token_file)
        except ValueError as exc:
            parser.error(str(exc))
    if args.grace < 0:
        parser.error("--grace must not be negative")
    if args.name is not None and (problem := instance_name_problem(args.name)):
        parser.error(f"--name {problem}")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    # Every field but the token is a flag of the same name.
    flags = {f.name: getattr(args, f.name) for f in fields(ServerConfig) if f.name != "token"}
    flags["http_host"] = tuple(name.lower() for name in flags["http_host"])
    config = ServerConfig(token=token, **flags)
    if args.systemd_unit:
        from .systemd_unit import unit_text

        sys.stdout.write(unit_text(parser, config, root_given=args.root != parser.get_default("root")))
        parser.exit(0)
    return config
