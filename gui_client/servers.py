"""Saved, recent and discovered servers for the connect bar's Servers menu.

Saved servers have a name the person gave; recent ones are the last servers
connected to; discovered ones are added while the app runs by whoever finds
them (LAN discovery calls :meth:`ServerBook.add_discovered`) and never saved.
Saved and recent go to ``servers.json`` beside the settings; their tokens only
to the OS keyring (:mod:`gui_client.token_store`). No tkinter here.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .token_store import TokenStore

log = logging.getLogger("gui.servers")

#: How many recent servers are kept.
MAX_RECENT = 8


@dataclass(frozen=True)
class ServerEntry:
    name: str
    host: str
    port: int
    tls: bool = False

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def same_place(self, other: ServerEntry) -> bool:
        return (self.host.lower(), self.port) == (other.host.lower(), other.port)


def _servers_from(data: object) -> list[ServerEntry]:
    """The well-formed entries of a JSON list; anything else is skipped."""
    kept = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        name, host, port, tls = item.get("name"), item.get("host"), item.get("port"), item.get("tls", False)
        if isinstance(name, str) and isinstance(host, str) and host and type(port) is int and 0 < port < 65536 and type(tls) is bool:
            kept.append(ServerEntry(name, host, port, tls))
    return kept


class ServerBook:
    def __init__(self, path: Path, tokens: TokenStore) -> None:
        self.path = path
        self.tokens = tokens
        self.saved: list[ServerEntry] = []
        self.recent: list[ServerEntry] = []
        self.discovered: list[ServerEntry] = []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable server list %s: %s", path, exc)
            data = {}
        if isinstance(data, dict):
            self.saved = _servers_from(data.get("saved"))
            self.recent = _servers_from(data.get("recent"))[:MAX_RECENT]

    def save_server(self, name: str, host: str, port: int, tls: bool, token: str) -> str:
        """Save (or rename) the server at ``host:port``; its token goes to the
        keyring. Returns "" when all was kept, else what was not and why."""
        server = ServerEntry(name.strip() or host, host, port, tls)
        self.saved = [s for s in self.saved if not s.same_place(server)] + [server]
        self._write()
        if not token:
            return ""
        problem = self.tokens.put(host, port, token)
        return f"Saved “{server.name}” without its token: {problem}" if problem else ""

    def forget(self, server: ServerEntry) -> None:
        """Remove a saved server and its token."""
        self.saved = [s for s in self.saved if not s.same_place(server)]
        self.tokens.delete(server.host, server.port)
        self._write()

    def remember(self, host: str, port: int, tls: bool) -> None:
        """A successful connection: first in the recent list."""
        server = ServerEntry(host, host, port, tls)
        self.recent = ([server] + [s for s in self.recent if not s.same_place(server)])[:MAX_RECENT]
        self._write()

    def add_discovered(self, servers: list[ServerEntry]) -> None:
        """The hook for LAN discovery: show these servers until the app closes."""
        for server in servers:
            if not any(s.same_place(server) for s in self.discovered):
                self.discovered.append(server)

    def token_for(self, server: ServerEntry) -> str:
        return self.tokens.get(server.host, server.port)

    def _write(self) -> None:
        """Atomically; a failure is logged, never raised (the list is a convenience)."""
        data = {"saved": [asdict(s) for s in self.saved], "recent": [asdict(s) for s in self.recent]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp = self.path.with_name(self.path.name + ".tmp")
            temp.write_text(json.dumps(data, indent=2), encoding="utf-8")
            os.replace(temp, self.path)
        except OSError as exc:
            log.warning("cannot save the server list to %s: %s", self.path, exc)
