"""``run_client.py discover [--json] [--timeout SECONDS]``: the Ferry servers
announced on the LAN (shared/discovery.py), one per line, or as JSON.

A record comes from anyone on the network: the table escapes the name like a
file name, and the JSON is ASCII-only, so neither can act on a terminal.
"""

from __future__ import annotations

import json

from shared.discovery import DEFAULT_BROWSE_SECONDS, browse
from shared.discovery_record import Announced
from shared.escaping import escape_name

from .cli import PROG, _Parser, positive_seconds
from .console import Console

NAME = "discover"


def build_parser() -> _Parser:
    parser = _Parser(prog=f"{PROG} {NAME}", description="List the Ferry servers announced on this network (DNS-SD, UDP 5353).")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array of {name, host, port, tls, fingerprint, web, version, features, auth}",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_BROWSE_SECONDS,
        metavar="SECONDS",
        help="how long to listen for answers (default: %(default)g)",
    )
    return parser


def servers_table(servers: list[Announced]) -> str:
    """Name last, so a long one needs no column width (as in ``list``)."""
    rows = [(s.address, "yes" if s.tls else "no", s.web_url or "-", escape_name(s.name)) for s in servers]
    widths = [max(len(title), *(len(row[i]) for row in rows)) for i, title in enumerate(("ADDRESS", "TLS", "WEB"))]
    lines = [f"{'ADDRESS':<{widths[0]}}  {'TLS':<{widths[1]}}  {'WEB':<{widths[2]}}  NAME"]
    lines += [f"{a:<{widths[0]}}  {t:<{widths[1]}}  {w:<{widths[2]}}  {n}" for a, t, w, n in rows]
    return "\n".join(lines) + "\n"


def servers_json(servers: list[Announced]) -> str:
    return (
        json.dumps(
            [
                {
                    "name": s.name,
                    "host": s.host,
                    "port": s.port,
                    "tls": s.tls,
                    "fingerprint": s.fingerprint,
                    "web": s.web_url,
                    "version": s.version,
                    "features": list(s.features),
                    "auth": s.auth,
                }
                for s in servers
            ]
        )
        + "\n"
    )


def run(argv: list[str], console: Console) -> int:
    args = build_parser().parse_args(argv)
    servers = browse(args.timeout)
    if args.json:
        console.out.write(servers_json(servers))
    elif servers:
        console.out.write(servers_table(servers))
    else:
        console.note(f"no Ferry server answered within {args.timeout:g} s (servers must run without --no-announce, on this network)")
    return 0
