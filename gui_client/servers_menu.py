"""The connect bar's "Servers" menu: saved servers by name, servers found on
the network, recent ones; "Save this server…" and "Forget". Picking one fills
the bar (its token from the keyring) and connects."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ferry_files.shared.escaping import escape_name

from .servers import ServerBook, ServerEntry


class ServersMenu(ttk.Menubutton):
    def __init__(self, parent: tk.Misc, book: ServerBook, on_pick: Callable[[ServerEntry], None], on_save: Callable[[], None]) -> None:
        super().__init__(parent, text="Servers")
        self.book = book
        self._on_pick = on_pick
        self._on_save = on_save
        self.menu = tk.Menu(self, tearoff=False, postcommand=self.rebuild)
        self.configure(menu=self.menu)
        self.rebuild()

    def rebuild(self) -> None:
        """Fill the menu from the book; run each time it opens, so servers
        discovered meanwhile are there."""
        menu = self.menu
        menu.delete(0, "end")
        sections = (("Saved", self.book.saved), ("On this network", self.book.discovered), ("Recent", self.book.recent))
        for title, servers in sections:
            if not servers:
                continue
            menu.add_command(label=title, state="disabled")
            for server in servers:
                label = escape_name(server.name) if server.name != server.host else server.address
                if server.name != server.host:
                    label += f"  ({server.address})"
                menu.add_command(label=label + ("  🔒" if server.tls else ""), command=lambda s=server: self._on_pick(s))
        if menu.index("end") is not None:
            menu.add_separator()
        menu.add_command(label="Save this server…", command=self._on_save)
        if self.book.saved:
            forget = tk.Menu(menu, tearoff=False)
            for server in self.book.saved:
                forget.add_command(label=escape_name(server.name), command=lambda s=server: self.book.forget(s))
            menu.add_cascade(label="Forget", menu=forget)

    def labels(self) -> list[str]:
        """The menu's entries as it shows them when opened ("" for a separator)."""
        self.rebuild()
        end = self.menu.index("end")
        if end is None:
            return []
        return ["" if self.menu.type(i) == "separator" else str(self.menu.entrycget(i, "label")) for i in range(end + 1)]

    def invoke_label(self, label: str) -> None:
        """Run the entry whose label starts with ``label``, as a click would."""
        for index, text in enumerate(self.labels()):
            if text and text.startswith(label):
                self.menu.invoke(index)
                return
        raise KeyError(label)


class SaveServerDialog(tk.Toplevel):
    """Asks the name to save the bar's server under; Enter saves, Escape cancels."""

    def __init__(self, parent: tk.Misc, address: str, suggested: str, save: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._save = save
        self.title("Ferry: save server")
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        body = ttk.Frame(self, padding=16)
        body.pack(fill="both", expand=True)
        ttk.Label(body, text=f"Save {address} as:").pack(anchor="w")
        self.name = tk.StringVar(self, suggested)
        self.entry = ttk.Entry(body, textvariable=self.name, width=30)
        self.entry.pack(fill="x", pady=(6, 4))
        ttk.Label(body, text="Its token, if one is typed, goes to the system keyring.", style="Empty.TLabel").pack(anchor="w", pady=(0, 10))
        buttons = ttk.Frame(body)
        buttons.pack(fill="x")
        ttk.Button(buttons, text="Cancel", command=self.destroy).pack(side="right")
        self.save_button = ttk.Button(buttons, text="Save", style="Accent.TButton", command=self.confirm)
        self.save_button.pack(side="right", padx=6)
        self.bind("<Return>", lambda _e: self.confirm())
        self.bind("<Escape>", lambda _e: self.destroy())
        self.entry.select_range(0, "end")
        self.entry.focus_set()

    def confirm(self) -> None:
        name = self.name.get().strip()
        if name:
            self.destroy()
            self._save(name)
