"""The main window: builds the views, wires them to the controller, and is the
controller's :class:`~gui_client.controller.Listener`.

Layout, top to bottom: connection bar, toolbar (Download, Upload, Refresh, the
download folder, the filter), the file list with its preview, the transfers
panel, the status bar.
"""

from __future__ import annotations

import logging
import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import Any

from ferry_files.shared.escaping import escape_name, escape_text
from ferry_files.shared.tls import TlsSettings

from . import os_dialogs
from .bridge import Bridge
from .conflict_dialog import ConflictDialog
from .conflicts import Conflict
from .connect_bar import ConnectBar
from .controller import READ_ONLY_TEXT, Answer, ConnectionState, Controller
from .file_view import FileView
from .formatting import count_text, human_size
from .icons import Icons
from .settings import Settings
from .status_bar import StatusBar
from .theme import apply_theme
from .transfer_view import TransfersPanel
from .transfers import State, TransferView

log = logging.getLogger("gui")

#: How often stalled transfers' latest progress is pulled into the panel.
PROGRESS_FLUSH_MS = 250


class MainWindow:
    def __init__(self, root: tk.Tk, settings_path: Path, dnd: bool = False, ca_file: str | None = None) -> None:
        self.root = root
        self.settings_path = settings_path
        self.settings = Settings.load(settings_path)
        self.ca_file = ca_file
        self.metrics = apply_theme(root, self.settings.theme)
        self.icons = Icons(root, self.metrics.icon)
        if self.icons.app:
            root.iconphoto(True, *self.icons.app)
        root.title("Ferry")
        root.minsize(760, 480)
        root.geometry("1100x700")
        self.bridge = Bridge(root)
        self.controller = Controller(self.settings, self.bridge.post, self, lambda: self.settings.save(self.settings_path))
        self.dialog: ConflictDialog | None = None
        self._last_upload_dir: str | None = None
        self._build()
        self._bind_keys()
        self.dnd = dnd and self._enable_drop()
        self.connection_changed(ConnectionState.DISCONNECTED, "Not connected")
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        self.bridge.start()
        self._flush_id = self.root.after(PROGRESS_FLUSH_MS, self._flush_progress)

    def _flush_progress(self) -> None:
        self._flush_id = self.root.after(PROGRESS_FLUSH_MS, self._flush_progress)
        self.controller.transfers.flush_progress()

    # -- building -----------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        self.connect_bar = ConnectBar(root, self.settings.host, self.settings.port, self.connect, self.controller.disconnect)
        self.connect_bar.pack(fill="x")

        toolbar = ttk.Frame(root, padding=(8, 4))
        toolbar.pack(fill="x")
        self.download_button = ttk.Button(toolbar, text="↓ Download", command=self.download_selected)
        self.download_button.pack(side="left")
        self.upload_button = ttk.Button(toolbar, text="↑ Upload…", command=self.upload_from_picker)
        self.upload_button.pack(side="left", padx=6)
        self.refresh_button = ttk.Button(toolbar, text="⟳ Refresh", command=self.controller.refresh)
        self.refresh_button.pack(side="left")
        ttk.Label(toolbar, text="Save to").pack(side="left", padx=(16, 6))
        self.folder_label = ttk.Label(toolbar, text="", anchor="w")
        self.folder_label.pack(side="left")
        self.folder_button = ttk.Button(toolbar, text="Change…", command=self.choose_download_dir)
        self.folder_button.pack(side="left", padx=6)
        self.filter_text = tk.StringVar(root, "")
        self.filter_entry = ttk.Entry(toolbar, textvariable=self.filter_text, width=22)
        self.filter_entry.pack(side="right")
        ttk.Label(toolbar, text="Filter").pack(side="right", padx=6)
        self.filter_text.trace_add("write", lambda *_: self.filter_changed())
        self._show_download_dir()

        panes = ttk.PanedWindow(root, orient="vertical")
        panes.pack(fill="both", expand=True, padx=8)
        self.file_view = FileView(
            panes,
            self.controller.files,
            self.icons,
            self.metrics,
            on_sort=self.sort_by,
            on_activate=self.download_selected,
            on_select=self.selection_changed,
        )
        panes.add(self.file_view, weight=2)
        self.transfers_panel = TransfersPanel(
            panes,
            self.settings.max_parallel,
            self.controller.cancel,
            self.controller.retry,
            self.clear_finished,
            self.controller.set_max_parallel,
        )
        panes.add(self.transfers_panel, weight=1)

        self.status = StatusBar(root)
        self.status.pack(fill="x", side="bottom")

    def _bind_keys(self) -> None:
        self.root.bind("<F5>", lambda _e: self.controller.refresh())
        self.root.bind("<Control-u>", lambda _e: self.upload_from_picker())
        self.root.bind("<Control-U>", lambda _e: self.upload_from_picker())
        self.root.bind("<Control-f>", lambda _e: self.filter_entry.focus_set())

    def _enable_drop(self) -> bool:
        try:
            from tkinterdnd2 import DND_FILES

            self.root.drop_target_register(DND_FILES)
            self.root.dnd_bind("<<Drop>>", self._dropped)
            self.root.dnd_bind("<<DropEnter>>", self._drop_enter)
            self.root.dnd_bind("<<DropLeave>>", lambda _e: self.status.show_message(""))
            return True
        except Exception as exc:  # tkdnd missing on this platform: the Upload button still works
            log.warning("drag and drop unavailable: %s", exc)
            return False

    # -- actions ---------------------------------------------------------------

    def connect(self, address: str, token: str = "", tls: bool = False) -> None:
        """With ``tls``, the server is checked against ``ca_file`` when one was given,
        else its certificate is pinned on first use (shared/tls.py)."""
        self.controller.connect(address, token, TlsSettings(cafile=self.ca_file) if tls else None)

    def connect_to(self, address: str) -> None:
        """Fill the bar with ``address`` and connect (from the command line)."""
        try:
            from ferry_files.shared.address import parse_address

            host, port = parse_address(address)
            self.connect_bar.set_address(host, port)
        except ValueError:
            pass
        self.connect(address, self.connect_bar.token.get(), self.connect_bar.tls.get())

    def download_selected(self) -> None:
        names = self.file_view.selected_names()
        if self.controller.state != ConnectionState.CONNECTED:
            self.report("Connect to a server first", error=True)
        elif not names:
            self.report("Select the files to download first")
        else:
            self.controller.download(names)

    def upload_from_picker(self) -> None:
        if self.controller.server is None:
            self.report("Connect to a server before uploading", error=True)
            return
        if self.controller.read_only:  # Ctrl+U still reaches here with the button off
            self.report(READ_ONLY_TEXT, error=True)
            return
        paths = os_dialogs.ask_open_files(self.root, self._last_upload_dir)
        if paths:
            self._last_upload_dir = str(Path(paths[0]).parent)
            self.controller.upload(paths)

    def choose_download_dir(self) -> None:
        chosen = os_dialogs.ask_directory(self.root, self.settings.download_dir)
        if chosen:
            self.controller.set_download_dir(chosen)
            self._show_download_dir()

    def _show_download_dir(self) -> None:
        folder = self.settings.download_dir
        home = str(Path.home())
        shown = "~" + folder[len(home) :] if folder.startswith(home) else folder
        if len(shown) > 34:
            shown = "…" + shown[-33:]
        self.folder_label.configure(text=shown)

    def _dropped(self, event: Any) -> str:
        paths = list(self.root.tk.splitlist(event.data))
        self.status.show_message("")
        self.controller.upload(paths)
        return event.action

    def _drop_enter(self, event: Any) -> str:
        self.status.show_message("Drop to upload to the server")
        return event.action

    def sort_by(self, column: str) -> None:
        self.controller.files.sort_by(column)
        self.file_view.reorder()

    def filter_changed(self) -> None:
        self.controller.files.set_filter(self.filter_text.get())
        self.file_view.reorder()
        self._show_summary()

    def selection_changed(self, names: list[str]) -> None:
        self._enable_buttons()
        entry = self.controller.files.find(names[0]) if len(names) == 1 else None
        if entry is None:
            caption = f"{len(names)} files selected" if names else "Select an image to see a preview."
            self.file_view.show_preview(None, caption, muted=True)
            self.controller.request_preview(None, 0)
            return
        self.file_view.show_preview(None, f"{escape_name(entry.name)}\n{human_size(entry.size)}")
        self.controller.request_preview(entry.name, self.file_view.preview_size)

    def clear_finished(self) -> None:
        self.transfers_panel.remove(self.controller.transfers.clear_finished())

    def close(self) -> None:
        self.root.after_cancel(self._flush_id)
        self.bridge.stop()
        self.controller.shutdown()
        self.file_view.clear()
        self.root.destroy()

    # -- Listener: what the controller tells us ------------------------------------

    def connection_changed(self, state: str, message: str) -> None:
        self.connect_bar.show_state(state)
        server = self.controller.server
        if state == ConnectionState.CONNECTED and server is not None:
            self.root.title(f"Ferry: {server}")
            self.status.server.configure(text=f"Connected to {server}")
            self.status.show_message("")
        elif state == ConnectionState.FAILED:
            self.status.server.configure(text=f"Not connected to {server}" if server else "Not connected")
            self.report(message, error=True)
        elif state == ConnectionState.CONNECTING:
            self.status.server.configure(text=message)
        else:
            self.root.title("Ferry")
            self.status.server.configure(text="Not connected")
        self._enable_buttons()
        self._show_summary()

    def files_changed(self) -> None:
        self.file_view.reload()
        self._show_summary()

    def transfer_changed(self, view: TransferView) -> None:
        self.transfers_panel.show(view)
        if view.state is State.FAILED:
            self._enable_buttons()  # a read_only refusal turns Upload off
        if view.state is State.DONE:
            self.report(f"{'Downloaded' if view.direction == 'download' else 'Uploaded'} {escape_name(view.name)}")
        running = self.controller.transfers.active_count()
        waiting = self.controller.transfers.pending_count() - running
        text = f"{count_text(running, 'transfer')} running" if running else "No transfers running"
        if waiting:
            text += f", {waiting} queued"
        self.status.transfers.configure(text=text)

    def preview_ready(self, name: str, image: Any | None, message: str) -> None:
        entry = self.controller.files.find(name)
        caption = f"{name}\n{human_size(entry.size)}" if entry else name
        self.file_view.show_preview(image, caption + (f"\n{message}" if message else ""))

    def report(self, message: str, error: bool = False) -> None:
        self.status.show_message(message, error)

    def ask_conflict(self, conflict: Conflict, answer: Answer) -> None:
        def answered(choice: Any, apply_to_all: bool) -> None:
            self.dialog = None
            answer(choice, apply_to_all)

        self.dialog = ConflictDialog(self.root, conflict, answered)

    # -- small helpers -------------------------------------------------------------

    def _enable_buttons(self) -> None:
        connected = self.controller.state == ConnectionState.CONNECTED
        has_server = self.controller.server is not None
        self.download_button.state(["!disabled"] if connected and self.file_view.selected_names() else ["disabled"])
        can_upload = has_server and not self.controller.read_only
        self.upload_button.state(["!disabled"] if can_upload else ["disabled"])
        self.refresh_button.state(["!disabled"] if has_server else ["disabled"])

    def _show_summary(self) -> None:
        summary = self.controller.files.summary()
        state = self.controller.state
        if state == ConnectionState.CONNECTED:
            text = f"{count_text(summary.total, 'file')}, {human_size(summary.total_size)}"
            if summary.shown != summary.total:
                text = f"{summary.shown:,} of {text}"
            self.status.files.configure(text=text)
        else:
            self.status.files.configure(text="")
        if state == ConnectionState.DISCONNECTED:
            empty = "Not connected.\nEnter the server's address above and press Connect."
            self.file_view.show_empty(empty)
        elif state == ConnectionState.CONNECTING:
            self.file_view.show_empty("Connecting…")
        elif state == ConnectionState.FAILED and summary.total == 0:
            # The sentence says what to do (untick TLS, enter a token...): no generic
            # "check the address" after it, which would contradict it.
            self.file_view.show_empty(escape_text(self.controller.error), error=True)
        elif summary.total == 0:
            self.file_view.show_empty("No files on the server yet.\nDrop files here or press Upload to add some.")
        elif summary.shown == 0:
            self.file_view.show_empty(f"No files match “{self.filter_text.get().strip()}”.")
        else:
            self.file_view.show_empty("")
