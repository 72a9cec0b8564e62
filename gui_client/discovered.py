"""The "Discovered" menu beside the connect bar: the Ferry servers announced on
the LAN (shared/discovery.py), connected to with one click.

Browsing starts the first time the menu opens, not with the app: an app that is
only told an address sends nothing to the network. It runs on zeroconf's
threads, started from a thread of its own (opening the multicast sockets may
take a moment); every change reaches the menu (even while it is open) through
the app's bridge, so no thread but Tk's touches a widget. A server's name comes
from anyone on the network: the menu shows it escaped.

On first use, choosing a TLS server pins the fingerprint its record announced
(known_servers, as the first connection would), so the connection that follows
must present that very certificate: a record whose fingerprint is not the
server's fails with ``certificate_changed``, never silently.
"""

from __future__ import annotations

import logging
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ferry_files.shared.discovery import Browser
from ferry_files.shared.discovery_record import Announced
from ferry_files.shared.errors import FerryError
from ferry_files.shared.escaping import escape_name
from ferry_files.shared.tls import KnownServers

log = logging.getLogger("gui.discovered")

Post = Callable[..., None]
SEARCHING = "Looking for servers on this network…"


def pin_announced(found: Announced, known: KnownServers) -> None:
    """Pin the announced fingerprint of a server not pinned yet; raises FerryError
    (``certificate_changed``) when the pin on record is another one."""
    if found.tls and found.fingerprint is not None:
        known.check(f"{found.host}:{found.port}", found.fingerprint)  # the key the client checks


def entry_label(found: Announced) -> str:
    return f"{escape_name(found.name)}  ({found.address}{', TLS' if found.tls else ''})"


class DiscoveredMenu(ttk.Menubutton):
    def __init__(self, parent: tk.Misc, post: Post, on_choose: Callable[[Announced], None]) -> None:
        super().__init__(parent, text="Discovered")
        self.menu = tk.Menu(self, tearoff=False, postcommand=self.start_browsing)
        self.configure(menu=self.menu)
        self._post = post
        self._on_choose = on_choose
        self._browser: Browser | None = None
        self._started = False
        self._closed = False
        self.servers: list[Announced] = []
        self._show_note(SEARCHING)

    def start_browsing(self) -> None:
        """The menu's postcommand: the first opening starts listening."""
        if not self._started:
            self._started = True
            threading.Thread(target=self._browse, name="discovery", daemon=True).start()

    def web_url_of(self, host: str, port: int) -> str | None:
        """The web page a discovered server announced, if it is ``host:port``."""
        for found in self.servers:
            if (found.host, found.port) == (host, port):
                return found.web_url
        return None

    def close(self) -> None:
        self._closed = True
        if self._browser is not None:
            self._browser.close()

    def _browse(self) -> None:
        """On its own thread: start listening, or say why the list stays empty."""
        browser = Browser(lambda servers: self._post(self.show, servers))
        try:
            browser.start()
        except FerryError as exc:
            log.warning("no discovery: %s", exc)
            self._post(self._show_note, f"Servers cannot be found here: {exc}")
            return
        self._browser = browser
        if self._closed:  # the window closed while the browser started
            browser.close()

    def show(self, servers: list[Announced]) -> None:
        if self._closed:
            return
        self.servers = servers
        if not servers:
            self._show_note("No servers found on this network yet")
            return
        self.menu.delete(0, "end")
        for found in servers:
            self.menu.add_command(label=entry_label(found), command=self._chooser(found))
        self.configure(text=f"Discovered ({len(servers)})")

    def _chooser(self, found: Announced) -> Callable[[], None]:
        return lambda: self._on_choose(found)

    def _show_note(self, text: str) -> None:
        self.menu.delete(0, "end")
        self.menu.add_command(label=text, state="disabled")
        self.configure(text="Discovered")

    def labels(self) -> list[Any]:
        """The entries as shown (for tests and accessibility tools)."""
        last = self.menu.index("end")
        return [] if last is None else [self.menu.entrycget(i, "label") for i in range(last + 1)]
