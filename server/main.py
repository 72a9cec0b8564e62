"""``run_server.py``: parse the command line, open the library and load the
certificate (once: workers inherit both, see inherited.py), open the listener,
and hand over to the supervisor."""

from __future__ import annotations

import ipaddress
import logging
import ssl
import sys

from .acceptor import format_address, open_listener
from .config import ServerConfig, parse_args
from .inherited import Inherited, load_tls
from .logs import configure_logging
from .platform_support import workarounds
from .storage import Library, open_root
from .supervisor import Supervisor

log = logging.getLogger("server")


def _warn_if_exposed(config: ServerConfig) -> None:
    try:
        loopback = ipaddress.ip_address(config.host).is_loopback
    except ValueError:
        loopback = config.host == "localhost"
    if not loopback and config.token is None:
        log.warning(
            "serving %s to the network without a token: anyone who can reach it can read%s the library",
            config.host,
            "" if config.read_only else " and write",
        )


def _warn_if_token_file_is_open(config: ServerConfig) -> None:
    if config.token_file is not None and config.token_file.stat().st_mode & 0o077:
        log.warning("token file %s can be read by other users; chmod 600 it", config.token_file)


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    configure_logging(config.log_level)
    for line in workarounds():
        log.info("%s", line)
    try:
        root_fd = open_root(config.root)
        library = Library(root_fd, fsync=config.fsync, resume_hours=config.resume_hours)
    except OSError as exc:
        log.error("cannot use %s as the library: %s", config.root, exc.strerror or exc)
        return 2
    try:
        inherited = Inherited(root_fd, load_tls(config))
    except (OSError, ssl.SSLError) as exc:
        log.error("cannot use the TLS certificate and key: %s", exc)
        return 2
    removed = library.remove_stale_uploads()
    if removed:
        log.info("removed %d unfinished uploads left by an earlier run", removed)
    library.close()
    try:
        listener = open_listener(config.host, config.port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc.strerror or exc)
        return 2
    _warn_if_exposed(config)
    _warn_if_token_file_is_open(config)
    address = format_address(listener)

    def announce() -> None:
        sys.stdout.write(f"listening on {address}\n")
        sys.stdout.flush()
        log.info("serving %s with %d workers", config.root.resolve(), config.workers)

    return Supervisor(config, inherited, listener, announce).run()
