"""``run_server.py``: parse the command line, open the library and load the
certificate (once: workers inherit both, see inherited.py), open the listener,
and hand over to the supervisor."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import sys

from . import qr_banner, web
from .acceptor import format_address, open_listener
from .announce import Announcer
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
    try:
        web_listener = _open_web_listener(config)
    except OSError as exc:
        listener.close()
        log.error("cannot listen for HTTP on %s:%s: %s", config.host, config.http_port, exc.strerror or exc)
        return 2
    _warn_if_exposed(config)
    _warn_if_token_file_is_open(config)
    address = format_address(listener)
    web_url = None if web_listener is None else f"{'https' if inherited.tls is not None else 'http'}://{format_address(web_listener)}/"
    http_port = None if web_listener is None else web_listener.getsockname()[1]
    announcer: Announcer | None = None

    def started() -> None:
        nonlocal announcer
        lines = f"listening on {address}\n"
        if web_url is not None:
            lines += f"web on {web_url}\n"
        sys.stdout.write(lines)
        sys.stdout.flush()
        if web_url is not None:
            qr_banner.show(web_url, sys.stdout)  # after the lines scripts read
        log.info("serving %s with %d workers", config.root.resolve(), config.workers)
        host, port = listener.getsockname()[:2]
        announcer = Announcer.start(config, host, port, http_port)

    def draining() -> None:
        if announcer is not None:
            announcer.stop()  # a server that takes no new clients is no longer announced

    def reloaded() -> None:
        if announcer is not None:
            announcer.refresh()

    def tick() -> None:
        nonlocal announcer
        if announcer is not None and not announcer.alive():
            announcer = None

    try:
        return Supervisor(config, inherited, listener, started, web_listener, on_drain=draining, on_reload=reloaded, on_tick=tick).run()
    finally:
        if announcer is not None:
            announcer.close()


def _open_web_listener(config: ServerConfig) -> socket.socket | None:
    """The HTTP listener, or None when HTTP is off: by ``--no-http``, or because
    its library cannot be imported (the server runs on the standard library
    alone, ``python3 -S``), which the log says."""
    if not config.http:
        return None
    missing = web.unavailable()
    if missing is not None:
        log.warning("HTTP is off (no web page on port %d): %s", config.http_port, missing)
        return None
    return open_listener(config.host, config.http_port)
