"""``run_client.py discover [--json] [--quiet] [--timeout SECONDS]``: the Ferry
servers announced on the LAN (shared/discovery.py), a table, or with ``--json``
one JSON object per server and line, as every command's ``--json``.

A record comes from anyone on the network: the table escapes the name like a
file name, and the JSON is ASCII-only, so neither can act on a terminal.
"""

from __future__ import annotations

import argparse
from typing import Any

from ferry_files.shared.discovery import DEFAULT_BROWSE_SECONDS, browse
from ferry_files.shared.discovery_record import Announced
from ferry_files.shared.escaping import escape_name

from .cli import positive_seconds
from .console import Console
from .parsing import PROG, CommandParser

NAME = "discover"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = CommandParser(prog=f"{PROG} {NAME}", description="List the Ferry servers announced on this network (DNS-SD, UDP 5353).")
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per server and line: {name, host, port, tls, fingerprint, web, version, features, auth}",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no note when no server answers")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_BROWSE_SECONDS,
        metavar="SECONDS",
        help="how long to listen for answers (default: %(default)g)",
    )
    return parser.parse_args(argv)


def servers_table(servers: list[Announced]) -> str:
    """Name last, so a long one needs no column width (as in ``list``)."""
    rows = [(s.address, "yes" if s.tls else "no", s.web_url or "-", escape_name(s.name)) for s in servers]
    widths = [max(len(title), *(len(row[i]) for row in rows)) for i, title in enumerate(("ADDRESS", "TLS", "WEB"))]
    lines = [f"{'ADDRESS':<{widths[0]}}  {'TLS':<{widths[1]}}  {'WEB':<{widths[2]}}  NAME"]
    lines += [f"{a:<{widths[0]}}  {t:<{widths[1]}}  {w:<{widths[2]}}  {n}" for a, t, w, n in rows]
    return "\n".join(lines) + "\n"


def server_fields(server: Announced) -> dict[str, Any]:
    return {
        "name": server.name,
        "host": server.host,
        "port": server.port,
        "tls": server.tls,
        "fingerprint": server.fingerprint,
        "web": server.web_url,
        "version": server.version,
        "features": list(server.features),
        "auth": server.auth,
    }


def run(args: argparse.Namespace, console: Console) -> int:
    servers = browse(args.timeout)
    if console.as_json:
        for server in servers:
            console.record(server_fields(server))
    elif servers:
        console.out.write(servers_table(servers))
    else:
        console.note(f"no Ferry server answered within {args.timeout:g} s (servers must run without --no-announce, on this network)")
    return 0
