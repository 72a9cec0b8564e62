"""The main window: builds the views, wires them to the controller, and is the
controller's :class:`~gui_client.controller.Listener`.

Layout, top to bottom: connection bar (with the Discovered menu and Phone QR),
toolbar (Download, Upload, Refresh, the download folder, the filter), the file
list with its preview, the transfers panel, the status bar.
"""

from __future__ import annotations

import logging
import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import Any

from ferry_files.shared.discovery_record import Announced
from ferry_files.shared.errors import FerryError
from ferry_files.shared.escaping import escape_name, escape_text
from ferry_files.shared.tls import KnownServers, TlsSettings, default_known_servers

from . import os_dialogs
from .bridge import Bridge
from .confirm_dialog import ConfirmDialog
from .conflict_dialog import ConflictDialog
from .conflicts import Conflict
from .connect_bar import ConnectBar
from .controller import READ_ONLY_TEXT, Answer, ConnectionState, Controller
from .discovered import DiscoveredMenu, pin_announced
from .download_actions import DownloadActions
from .drop_highlight import DropHighlight
from .errors_text import describe
from .file_commands import FileCommands
from .file_list import size_of
from .file_view import FileView
from .formatting import count_text, human_size
from .icons import Icons
from .list_keys import ListKeys
from .path_bar import PathBar
from .scaling import size_window
from .servers import ServerBook
from .settings import Settings
from .settings_dialog import Choices, SettingsDialog
from .status_bar import StatusBar
from .text_keys import bind_select_all
from .theme import apply_theme, switch_theme, text_width
from .token_store import TokenStore
from .transfer_view import TransfersPanel
from .transfers import Direction, State, TransferView
from .web_qr import DEFAULT_WEB_PORT, QrDialog, find_web_page

log = logging.getLogger("gui")

#: How often stalled transfers' latest progress is pulled into the panel.
PROGRESS_FLUSH_MS = 250
#: Longest wait between a transfer's change and the status bar showing it.
STATUS_MS = 100


class MainWindow:
    def __init__(self, root: tk.Tk, settings_path: Path, dnd: bool = False, ca_file: str | None = None) -> None:
        self.root = root
        self.settings_path = settings_path
        self.settings = Settings.load(settings_path)
        self.ca_file = ca_file
        self.metrics = apply_theme(root, self.settings.theme, self.settings.scaling)
        self.icons = Icons(root, self.metrics.icon)
        if self.icons.app:
            root.iconphoto(True, *self.icons.app)
        root.title("Ferry")
        size_window(root, self.metrics.scale)
        self.bridge = Bridge(root)
        self.controller = Controller(self.settings, self.bridge.post, self, lambda: self.settings.save(self.settings_path))
        self.dialog: ConflictDialog | None = None
        self.qr_dialog: QrDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.question: ConfirmDialog | None = None  # delete these? quit now?
        #: After going up, the folder we came from: (listing path, name) to select.
        self.select_when_listed: tuple[str, str] | None = None
        self.last_upload_dir: str | None = None
        self.closed = False
        self._status_id: str | None = None
        self._last_done: TransferView | None = None
        self._last_download: TransferView | None = None  # its Open / Show in folder are offered next
        self._build()
        self._bind_keys()
        self.dnd = dnd and self._enable_drop()
        self.connection_changed(ConnectionState.DISCONNECTED, "Not connected")
        self.root.protocol("WM_DELETE_WINDOW", self.request_close)
        self.bridge.start()
        self._flush_id = self.root.after(PROGRESS_FLUSH_MS, self._flush_progress)

    def _flush_progress(self) -> None:
        self._flush_id = self.root.after(PROGRESS_FLUSH_MS, self._flush_progress)
        self.controller.transfers.flush_progress()

    # -- building -----------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        book = ServerBook(self.settings_path.with_name("servers.json"), TokenStore())
        host, port = self.settings.host, self.settings.port
        self.connect_bar = ConnectBar(root, host, port, self.connect, self.controller.disconnect, book, self.report, self.open_settings)
        self.settings_button = self.connect_bar.settings_button
        self.connect_bar.pack(fill="x")
        self.discovered = DiscoveredMenu(self.connect_bar, self.bridge.post, self.connect_discovered)
        # After the saved servers; the bar's entries give up room in a narrow window.
        self.discovered.grid(row=0, column=self.connect_bar.grid_size()[0], padx=(6, 0), sticky="w")
        self.web_qr_button = ttk.Button(self.connect_bar, text="Phone QR", command=self.show_web_qr)
        self.web_qr_button.grid(row=0, column=self.connect_bar.grid_size()[0], padx=(6, 0), sticky="w")

        # A grid, so that in a narrow window the download folder's name and then
        # the filter field (the weighted columns) give up room; buttons and
        # labels keep theirs.
        toolbar = ttk.Frame(root, padding=(8, 4))
        toolbar.pack(fill="x")
        self.download_button = ttk.Button(toolbar, text="↓ Download", command=self.download_selected)
        self.upload_button = ttk.Button(toolbar, text="↑ Upload…", command=self.upload_from_picker)
        self.upload_folder_button = ttk.Button(toolbar, text="↑ Folder…", command=lambda: self.commands.upload_folder())
        self.refresh_button = ttk.Button(toolbar, text="⟳ Refresh", command=self.controller.refresh)
        save_to = ttk.Label(toolbar, text="Save to")
        self.folder_label = ttk.Label(toolbar, text="", anchor="w")
        self.folder_button = ttk.Button(toolbar, text="Change…", command=self.choose_download_dir)
        self.filter_text = tk.StringVar(root, "")
        self.filter_label = ttk.Label(toolbar, text="Filter")
        self.filter_entry = ttk.Entry(toolbar, textvariable=self.filter_text, width=22)
        layout = [self.download_button, self.upload_button, self.upload_folder_button, self.refresh_button, save_to, self.folder_label]
        layout += [self.folder_button, self.filter_label, self.filter_entry]
        gaps = [(0, 6), (0, 6), (0, 6), (0, 16), (0, 6), (0, 6), (0, 12), (0, 6), (0, 0)]
        for column, (widget, gap) in enumerate(zip(layout, gaps, strict=True)):
            widget.grid(row=0, column=column, padx=gap, sticky="ew" if widget is self.filter_entry else "w")
        toolbar.columnconfigure(layout.index(self.folder_label), weight=3)
        toolbar.columnconfigure(layout.index(self.filter_entry), weight=1, minsize=text_width(root, "M" * 7))
        self.filter_text.trace_add("write", lambda *_: self.filter_changed())
        self._show_download_dir()

        # Packed before the panes: pack gives room in packing order, and the
        # status bar (where errors are shown) must never be the one squeezed out.
        self.status = StatusBar(root)
        self.status.pack(fill="x", side="bottom")
        self.download_actions = DownloadActions(self.status, self.status.transfers, self.report)  # shown after the first download
        self.drop_highlight = DropHighlight(root, self.metrics.scale)

        self.path_bar = PathBar(root, self.controller.go_to)  # packed while the server has folders
        self.new_folder_button = ttk.Button(self.path_bar, text="+ New folder", command=lambda: self.commands.new_folder())
        self.new_folder_button.pack(side="right")
        self.panes = panes = ttk.PanedWindow(root, orient="vertical")
        panes.pack(fill="both", expand=True, padx=8)
        self.file_view = FileView(
            panes,
            self.controller.files,
            self.icons,
            self.metrics,
            on_sort=self.sort_by,
            on_activate=lambda: self.commands.activate(),
            on_select=self.selection_changed,
        )
        self.controller.icon_names = self.file_view.image_names()
        self.list_keys = ListKeys(self.file_view.tree)
        self.commands = FileCommands(self)
        panes.add(self.file_view, weight=2)
        self.transfers_panel = TransfersPanel(panes, self.settings.max_parallel, self.controller, self.clear_finished)
        panes.add(self.transfers_panel, weight=1)

    def _bind_keys(self) -> None:
        bind_select_all(self.root)
        self.root.bind("<F5>", lambda _e: self.controller.refresh())
        self.root.bind("<Control-u>", lambda _e: self.upload_from_picker())
        self.root.bind("<Control-U>", lambda _e: self.upload_from_picker())
        self.root.bind("<Control-f>", lambda _e: self.filter_entry.focus_set())
        self.root.bind("<Control-comma>", lambda _e: self.open_settings())

    def _enable_drop(self) -> bool:
        try:
            from tkinterdnd2 import DND_FILES

            self.root.drop_target_register(DND_FILES)
            self.root.dnd_bind("<<Drop>>", self._dropped)
            self.root.dnd_bind("<<DropEnter>>", self._drop_enter)
            self.root.dnd_bind("<<DropLeave>>", self._drop_leave)
            return True
        except Exception as exc:  # tkdnd missing on this platform: the Upload button still works
            log.warning("drag and drop unavailable: %s", exc)
            return False

    # -- actions ---------------------------------------------------------------

    def connect(self, address: str, token: str = "", tls: bool = False) -> None:
        """With ``tls``, the server is checked against ``ca_file`` when one was given,
        else its certificate is pinned on first use (shared/tls.py)."""
        self.controller.connect(address, token, TlsSettings(cafile=self.ca_file) if tls else None)

    def connect_discovered(self, found: Announced) -> None:
        """One click on a discovered server: fill the bar, pin the certificate its
        record announced (first use only), connect."""
        self.connect_bar.set_address(found.host, found.port)
        self.connect_bar.tls.set(found.tls)
        if self.ca_file is None:
            try:
                pin_announced(found, KnownServers(default_known_servers()))
            except FerryError as exc:
                self.report(describe(exc), error=True)
                return
        self.connect(found.address, self.connect_bar.token.get(), found.tls)

    def show_web_qr(self) -> None:
        """The QR code of the connected server's web page (web_qr.py)."""
        server = self.controller.server
        if server is None:
            self.report("Connect to a server first", error=True)
            return
        self.report("Looking for the server's web page…")
        announced = self.discovered.web_url_of(server.host, server.port)
        find_web_page(server.host, server.tls is not None, announced, self.bridge.post, self._web_page_found)

    def _web_page_found(self, url: str | None) -> None:
        if url is None:
            self.report(f"No web page answers on port {DEFAULT_WEB_PORT} of this server (is it started with --no-http?)", error=True)
            return
        self.report("")
        self.qr_dialog = QrDialog(self.root, url)

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
        paths = os_dialogs.ask_open_files(self.root, self.last_upload_dir)
        if paths:
            self.last_upload_dir = str(Path(paths[0]).parent)
            self.controller.upload(paths)

    def choose_download_dir(self) -> None:
        chosen = os_dialogs.ask_directory(self.root, self.settings.download_dir)
        if chosen:
            self.controller.set_download_dir(chosen)
            self._show_download_dir()

    def open_settings(self) -> None:
        """One Settings dialog at a time: a second ⚙ or Ctrl+, raises the open one."""
        if self.settings_dialog is not None and self.settings_dialog.winfo_exists():
            self.settings_dialog.lift()
            return
        self.settings_dialog = SettingsDialog(self.root, self.settings, self.apply_settings)

    def apply_settings(self, choices: Choices) -> None:
        """The Settings dialog's OK: the theme changes at once, scaling at the next start."""
        self.settings_dialog = None
        if choices.theme != self.settings.theme:
            self.settings.theme = choices.theme
            switch_theme(self.root, choices.theme, self.metrics)
        rescaled = choices.scaling != self.settings.scaling
        self.settings.scaling = choices.scaling
        if choices.download_dir and choices.download_dir != self.settings.download_dir:
            self.controller.set_download_dir(choices.download_dir)
            self._show_download_dir()
        self.transfers_panel.parallel.set(choices.max_parallel)
        self.controller.set_max_parallel(choices.max_parallel)  # saves the settings
        if rescaled:
            self.report("The new scaling applies when Ferry starts again")

    def _show_download_dir(self) -> None:
        folder = self.settings.download_dir
        home = str(Path.home())
        shown = "~" + folder[len(home) :] if folder.startswith(home) else folder
        if len(shown) > 34:
            shown = "…" + shown[-33:]
        self.folder_label.configure(text=shown)

    def _dropped(self, event: Any) -> str:
        paths = list(self.root.tk.splitlist(event.data))
        self.drop_highlight.hide()
        self.controller.upload(paths)
        return event.action

    def _drop_enter(self, event: Any) -> str:
        server = self.controller.server
        if server is None:
            text = "Connect to a server to upload files"
        elif self.controller.read_only:
            text = READ_ONLY_TEXT
        else:
            text = f"Drop to upload to {server}"
        self.drop_highlight.show(text)
        return event.action

    def _drop_leave(self, event: Any) -> str:
        self.drop_highlight.hide()
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
        self.file_view.show_preview(None, f"{escape_name(entry.name)}\n{self._size_caption(entry.name)}")
        self.controller.request_preview(entry.name, self.file_view.preview_size)

    def clear_finished(self) -> None:
        self.transfers_panel.remove(self.controller.clear_finished())

    def request_close(self) -> None:
        """The window's close button: during a transfer, ask first (closing cancels it)."""
        if not self.controller.busy():
            self.close()
            return
        if self.question is not None:
            return

        def answered(yes: bool) -> None:
            self.question = None
            if yes:
                self.close()

        message = "Transfers are still running. Quit anyway? They stop now; downloads resume from where they were next time."
        self.question = ConfirmDialog(self.root, "Ferry: quit?", message, "Quit", answered)

    def close(self) -> None:
        """Close now, cancelling what runs. Closing twice is fine (the window
        manager's close and a quit can both arrive)."""
        if self.closed:
            return
        self.closed = True
        self.root.after_cancel(self._flush_id)
        if self._status_id is not None:
            self.root.after_cancel(self._status_id)
        self.bridge.stop()
        self.discovered.close()
        self.controller.shutdown()
        self.file_view.clear()
        self.root.destroy()

    # -- Listener: what the controller tells us ------------------------------------

    def connection_changed(self, state: str, message: str) -> None:
        self.connect_bar.show_state(state)
        server = self.controller.server
        if state == ConnectionState.CONNECTED and server is not None:
            self.root.title(f"Ferry: {server}")
            self.connect_bar.remember(server.host, server.port)
            self.status.server.configure(text=f"Connected to {server}")
            self.status.show_message("")
            focused = self.root.focus_get()
            if focused is None or str(focused).startswith(str(self.connect_bar)):
                self.file_view.tree.focus_set()  # Enter in the address connects; the arrows then walk the files
        elif state == ConnectionState.FAILED:
            self.root.title(f"Ferry: not connected to {server}" if server else "Ferry")  # never the server before
            self.status.server.configure(text=f"Not connected to {server}" if server else "Not connected")
            self.report(message, error=True)
        elif state == ConnectionState.CONNECTING:
            self.root.title(f"Ferry: connecting to {server}" if server else "Ferry")
            self.status.server.configure(text=message)
        else:
            self.root.title("Ferry")
            self.status.server.configure(text="Not connected")
        self._enable_buttons()
        self._show_summary()

    def files_changed(self) -> None:
        self.file_view.reload()
        path = self.controller.files.path
        self.path_bar.show(path)
        if self.select_when_listed is not None and self.select_when_listed[0] == path:
            self.file_view.select_names([self.select_when_listed[1]])
            self.select_when_listed = None
        self.list_keys.show_cursor()
        self.commands.enable()
        self._show_summary()

    def transfers_changed(self, views: list[TransferView]) -> None:
        self.transfers_panel.show(views)
        failed = False
        for view in views:
            if view.state is State.FAILED:
                failed = True
            elif view.state is State.DONE:  # shown, and offered to Open, by the next status update
                self._last_done = view
                if view.direction is Direction.DOWNLOAD:
                    self._last_download = view
        if failed:
            self._enable_buttons()  # a read_only refusal turns Upload off
        if self._status_id is None:  # the status bar follows once per STATUS_MS, not per transfer
            self._status_id = self.root.after(STATUS_MS, self._show_transfer_status)

    def _show_transfer_status(self) -> None:
        self._status_id = None
        if self._last_download is not None:
            download, self._last_download = self._last_download, None
            if (saved := self.controller.saved_path(download)) is not None:
                self.download_actions.offer(saved)
        if self._last_done is not None:
            view, self._last_done = self._last_done, None
            self.report(f"{'Downloaded' if view.direction is Direction.DOWNLOAD else 'Uploaded'} {escape_name(view.name)}")
        summary = self.controller.transfer_summary()
        running, waiting = summary.running, summary.queued
        text = f"{count_text(running, 'transfer')} running" if running else "No transfers running"
        if waiting:
            text += f", {waiting:,} queued"
        self.status.transfers.configure(text=text)

    def preview_ready(self, name: str, image: Any | None, message: str) -> None:
        entry = self.controller.files.find(name)
        caption = f"{name}\n{self._size_caption(name)}" if entry else name
        self.file_view.show_preview(image, caption + (f"\n{message}" if message else ""))

    def report(self, message: str, error: bool = False) -> None:
        self.status.show_message(message, error)

    def ask_conflict(self, conflict: Conflict, answer: Answer) -> None:
        def answered(choice: Any, apply_to_all: bool) -> None:
            self.dialog = None
            answer(choice, apply_to_all)

        self.dialog = ConflictDialog(self.root, conflict, answered)

    # -- small helpers -------------------------------------------------------------

    def _size_caption(self, name: str) -> str:
        files = self.controller.files
        entry = files.find(name)
        return "Folder" if files.is_folder(name) or entry is None else human_size(size_of(entry))

    def _enable_buttons(self) -> None:
        connected = self.controller.state == ConnectionState.CONNECTED
        has_server = self.controller.server is not None
        self.download_button.state(["!disabled"] if connected and self.file_view.selected_names() else ["disabled"])
        can_upload = connected and not self.controller.read_only  # not after a failed connect
        self.upload_button.state(["!disabled"] if can_upload else ["disabled"])
        self.refresh_button.state(["!disabled"] if has_server else ["disabled"])
        self.web_qr_button.state(["!disabled"] if connected else ["disabled"])
        self.commands.enable()

    def _show_summary(self) -> None:
        summary = self.controller.files.summary()
        state = self.controller.state
        if state == ConnectionState.CONNECTED:
            text = f"{count_text(summary.total - summary.folders, 'file')}, {human_size(summary.total_size)}"
            if summary.folders:
                text = f"{count_text(summary.folders, 'folder')}, {text}"
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
