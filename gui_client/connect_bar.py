"""Host, port, token and TLS, one Connect / Disconnect button, the Servers
menu, and the button that opens the Settings (the toolbar has no room left at
the smallest window size)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ferry_files.shared.address import parse_address

from .servers import ServerBook, ServerEntry
from .servers_menu import SaveServerDialog, ServersMenu


class ConnectBar(ttk.Frame):
    def __init__(
        self,
        parent: tk.Misc,
        host: str,
        port: int,
        on_connect: Callable[[str, str, bool], None],
        on_disconnect: Callable[[], None],
        book: ServerBook,
        report: Callable[[str, bool], None],
        on_settings: Callable[[], None],
    ) -> None:
        super().__init__(parent, padding=(8, 8, 8, 4))
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._report = report
        self.book = book
        self.save_dialog: SaveServerDialog | None = None
        self.connected = False
        self.host = tk.StringVar(self, host)
        self.port = tk.StringVar(self, str(port))
        self.token = tk.StringVar(self, "")
        self.tls = tk.BooleanVar(self, False)
        self.host_entry = ttk.Entry(self, textvariable=self.host, width=22)
        self.port_entry = ttk.Entry(self, textvariable=self.port, width=7)
        self.token_entry = ttk.Entry(self, textvariable=self.token, width=16, show="•")
        self.tls_check = ttk.Checkbutton(self, text="TLS", variable=self.tls)
        self.button = ttk.Button(self, text="Connect", width=11, command=self._clicked, style="Accent.TButton")
        self.servers = ServersMenu(self, book, self.pick, self.ask_save)
        self.settings_button = ttk.Button(self, text="⚙", width=3, command=on_settings)
        # A grid, so that in a narrow window the host and token fields (the
        # weighted columns) give up room and the button keeps its whole label.
        layout = [
            (ttk.Label(self, text="Server"), (0, 6), 0),
            (self.host_entry, (0, 12), 3),
            (ttk.Label(self, text="Port"), (0, 6), 0),
            (self.port_entry, (0, 12), 0),
            (ttk.Label(self, text="Token"), (0, 6), 0),
            (self.token_entry, (0, 12), 2),
            (self.tls_check, (0, 12), 0),
            (self.button, (0, 8), 0),
            (self.servers, (0, 6), 0),
            (self.settings_button, (0, 0), 0),
        ]
        for column, (widget, gap, weight) in enumerate(layout):
            widget.grid(row=0, column=column, padx=gap, sticky="ew" if weight else "w")
            self.columnconfigure(column, weight=weight)
        for entry in (self.host_entry, self.port_entry, self.token_entry):
            entry.bind("<Return>", lambda _event: self._connect())

    def address(self) -> str:
        """``host:port`` for :func:`shared.address.parse_address`. A port typed
        into the host field ("nas:7070") wins over the port field."""
        host, port = self.host.get().strip(), self.port.get().strip()
        if "]:" in host or host.count(":") == 1:
            return host
        if host.count(":") > 1 and not host.startswith("["):
            host = f"[{host}]"  # a bare IPv6 address
        return f"{host}:{port}" if port else host

    def set_address(self, host: str, port: int) -> None:
        self.host.set(host)
        self.port.set(str(port))

    def _clicked(self) -> None:
        if self.connected:
            self._on_disconnect()
        else:
            self._connect()

    def _connect(self) -> None:
        self._on_connect(self.address(), self.token.get(), self.tls.get())

    def show_state(self, state: str) -> None:
        self.connected = state in ("connected", "connecting")
        self.button.configure(text="Disconnect" if self.connected else "Connect")

    def pick(self, server: ServerEntry) -> None:
        """A server from the menu: its address, TLS and stored token, then Connect."""
        if self.connected:
            self._on_disconnect()
        self.set_address(server.host, server.port)
        self.tls.set(server.tls)
        self.token.set(self.book.token_for(server))
        self._connect()

    def ask_save(self) -> None:
        try:
            host, port = parse_address(self.address())
        except ValueError as exc:
            self._report(f"Cannot save this server: {exc}", True)
            return
        known = next((s.name for s in self.book.saved if s.same_place(ServerEntry(host, host, port))), host)
        self.save_dialog = SaveServerDialog(self, f"{host}:{port}", known, lambda name: self._save(name, host, port))

    def _save(self, name: str, host: str, port: int) -> None:
        self.save_dialog = None
        problem = self.book.save_server(name, host, port, self.tls.get(), self.token.get().strip())
        self._report(problem or f"Saved “{name}” in the Servers menu", bool(problem))

    def remember(self, host: str, port: int) -> None:
        """A connection succeeded: the server goes first in Recent."""
        self.book.remember(host, port, self.tls.get())
