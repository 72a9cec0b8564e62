"""The app's logic, with no Tk import: connection, file list, planning transfers.

Everything here runs on the Tk thread except the *browse worker*, one background
thread that owns the browsing connection and does the list and preview requests
one after another. Workers (this one and the transfer threads) never change the
controller's state directly: they ``post`` a function call back to the Tk
thread, and the state changes there. The window is a :class:`Listener`; the
controller calls it, never the other way round except through the public methods.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ferry_files.shared.address import parse_address
from ferry_files.shared.client import ConnectionLost, FerryClient, Greeting
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.local_names import CASE_SENSITIVE, DestinationRules, FolderNames, destination_rules, safe_local_name
from ferry_files.shared.names import name_problem
from ferry_files.shared.tls import TlsSettings

from .conflicts import Choice, Conflict, TransferPlan
from .errors_text import connect_problem, describe
from .file_kinds import can_preview
from .file_list import FileList, prepare
from .settings import Settings
from .transfers import Direction, Post, Server, State, TransferQueue, TransferView

log = logging.getLogger("gui.controller")

#: Socket timeout of the browsing connection (connect, list, preview).
BROWSE_TIMEOUT = 15.0

#: The preview's words for bytes Pillow cannot read (its own message names a BytesIO object).
DAMAGED_PICTURE = "This picture cannot be shown (the file is damaged or not an image)"

READ_ONLY_TEXT = "This server is read-only: it accepts no uploads"

Answer = Callable[[Choice | None, bool], None]
"""The reply to a conflict question: a choice (None: the dialog was closed) and "apply to all"."""


class ConnectionState:
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"


class Listener(Protocol):
    """What the controller tells the window. Called on the Tk thread only."""

    def connection_changed(self, state: str, message: str) -> None: ...
    def files_changed(self) -> None: ...
    def transfer_changed(self, view: TransferView) -> None: ...
    def preview_ready(self, name: str, image: Any | None, message: str) -> None: ...
    def report(self, message: str, error: bool = False) -> None: ...
    def ask_conflict(self, conflict: Conflict, answer: Answer) -> None: ...


@dataclass(frozen=True)
class _Upload:
    path: Path
    name: str


class Controller:
    def __init__(self, settings: Settings, post: Post, listener: Listener, save_settings: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self._post = post
        self.listener = listener
        self._save_settings = save_settings
        self.files = FileList()
        self.transfers = TransferQueue(post, self._transfer_changed, settings.max_parallel, settings.verify_downloads)
        self.state = ConnectionState.DISCONNECTED
        self.server: Server | None = None
        self.greeting: Greeting | None = None
        self.error = ""
        #: The server refused an upload with ``read_only``: the greeting does not say
        #: so, the first refusal does. Until the next connect, no upload is offered.
        self.read_only = False
        self._generation = 0
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._browse_client: FerryClient | None = None  # touched by the browse worker only
        self._browse_thread: threading.Thread | None = None
        self._listing = False
        self._list_again = False
        self._wanted_preview: str | None = None
        self._questions: deque[tuple[TransferPlan, Callable[[TransferPlan], None]]] = deque()
        self._asking = False
        #: How the download folder compares names (probed; tests simulate other systems).
        self.destination_rules: Callable[[Path], DestinationRules] = destination_rules

    # -- connection ---------------------------------------------------------

    def connect(self, address: str, token: str = "", tls: TlsSettings | None = None) -> bool:
        """Connect to ``address`` (``host[:port]``), over TLS when ``tls`` is given;
        False with a message if it is not an address."""
        try:
            host, port = parse_address(address)
        except ValueError as exc:
            self.listener.report(str(exc)[:1].upper() + str(exc)[1:], error=True)
            return False
        self.server = Server(host, port, token.strip() or None, tls)
        self.settings.host, self.settings.port = host, port
        self._save_settings()
        self._generation += 1
        self.read_only = False
        self.files.replace([])
        self.listener.files_changed()
        self._set_state(ConnectionState.CONNECTING, f"Connecting to {self.server}…")
        self._listing, self._list_again = True, False
        self._submit(self._browse_connect_and_list, self._generation, self.server)
        return True

    def disconnect(self) -> None:
        self._generation += 1
        self.server, self.greeting = None, None
        self.read_only = False
        self._listing = self._list_again = False
        self._submit(self._browse_close)
        self.files.replace([])
        self.listener.files_changed()
        self._set_state(ConnectionState.DISCONNECTED, "Not connected")

    def refresh(self) -> None:
        if self.server is None:
            return
        if self._listing:
            self._list_again = True
            return
        self._listing = True
        self._submit(self._browse_list, self._generation, self.server)

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        self.error = message if state == ConnectionState.FAILED else ""
        self.listener.connection_changed(state, message)

    # -- results from the browse worker (on the Tk thread) ---------------------

    def _files_arrived(self, generation: int, greeting: Greeting | None, files: list) -> None:
        if generation != self._generation:
            return
        if greeting is not None:
            self.greeting = greeting
        self.files.replace(files)
        self.listener.files_changed()
        if self.state != ConnectionState.CONNECTED:
            self._set_state(ConnectionState.CONNECTED, f"Connected to {self.server}")
        self._listing_done()

    def _browse_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._set_state(ConnectionState.FAILED, message)
        self._listing_done()

    def _listing_done(self) -> None:
        self._listing = False
        if self._list_again:
            self._list_again = False
            self.refresh()

    # -- the browse worker ------------------------------------------------------

    def _submit(self, function: Callable[..., None], *args: Any) -> None:
        if self._browse_thread is None:
            self._browse_thread = threading.Thread(target=self._browse_loop, name="browse", daemon=True)
            self._browse_thread.start()
        self._jobs.put(lambda: function(*args))

    def _browse_loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # a bug: keep the worker alive, say so in the log
                log.exception("browse job failed")
        self._browse_close()

    def _browse_close(self) -> None:
        client, self._browse_client = self._browse_client, None
        if client is not None:
            client.quit()

    def _browse_connection(self, server: Server) -> FerryClient:
        if self._browse_client is None:
            self._browse_client = FerryClient.connect(server.host, server.port, token=server.token, tls=server.tls, timeout=BROWSE_TIMEOUT)
        return self._browse_client

    def _browse_connect_and_list(self, generation: int, server: Server) -> None:
        self._browse_close()
        self._browse_list(generation, server, announce=True)

    def _browse_list(self, generation: int, server: Server, announce: bool = False) -> None:
        for attempt in (1, 2):
            try:
                fresh = self._browse_client is None
                client = self._browse_connection(server)
                files = client.list()
            except ConnectionLost as exc:
                self._browse_close()
                if attempt == 1 and not fresh:
                    continue  # the old connection died (idle timeout, server restart): one new try
                self._post(self._browse_failed, generation, describe(exc))
                return
            except (FerryError, OSError) as exc:
                self._browse_close()
                self._post(self._browse_failed, generation, _connect_message(server, exc))
                return
            listing = prepare(files)  # formatting 100,000 rows belongs here, not on the Tk thread
            self._post(self._files_arrived, generation, client.greeting if (announce or fresh) else None, listing)
            return

    # -- preview -----------------------------------------------------------------

    def request_preview(self, name: str | None, max_pixels: int) -> None:
        """Fetch a thumbnail of ``name`` in the background if it is an image; the
        answer arrives at ``listener.preview_ready``. None clears the preview."""
        entry = self.files.find(name) if name else None
        if entry is None or self.server is None or not can_preview(entry.name, entry.size):
            self._wanted_preview = None
            return
        self._wanted_preview = name
        self._submit(self._browse_preview, self._generation, self.server, entry.name, max_pixels)

    def _browse_preview(self, generation: int, server: Server, name: str, max_pixels: int) -> None:
        if self._wanted_preview != name:
            return  # the selection moved on before this job started
        try:
            buffer = io.BytesIO()
            try:
                self._browse_connection(server).get_into(name, buffer)
            except ConnectionLost:
                self._browse_close()
                self._browse_connection(server).get_into(name, buffer)
        except (FerryError, OSError) as exc:
            self._post(self._preview_arrived, generation, name, None, describe(exc))
            return
        try:
            from PIL import Image  # imported here: the logic layer needs Pillow only for previews

            with Image.open(io.BytesIO(buffer.getvalue())) as image:
                image.thumbnail((max_pixels, max_pixels))
                thumbnail = image.convert("RGBA")
        except Exception:  # Pillow raises several kinds (OSError, ValueError, SyntaxError...) for a damaged image
            self._post(self._preview_arrived, generation, name, None, DAMAGED_PICTURE)
            return
        self._post(self._preview_arrived, generation, name, thumbnail, "")

    def _preview_arrived(self, generation: int, name: str, image: Any | None, message: str) -> None:
        if generation == self._generation and name == self._wanted_preview:
            self.listener.preview_ready(name, image, message)

    # -- downloads ------------------------------------------------------------------

    def set_download_dir(self, directory: str) -> None:
        self.settings.download_dir = directory
        self._save_settings()

    def download(self, names: Sequence[str]) -> None:
        if self.server is None or not names:
            return
        directory = Path(self.settings.download_dir).expanduser()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.listener.report(f"Cannot use the download folder: {describe(exc)}", error=True)
            return
        sizes = {name: (entry.size if (entry := self.files.find(name)) else 0) for name in names}
        server = self.server

        def enqueue(plan: TransferPlan) -> None:
            for planned in plan.planned:
                self.transfers.download(server, planned.item, directory, planned.target, sizes.get(planned.item, 0))

        here = FolderNames.of(directory, self.destination_rules(directory))
        plan = TransferPlan(list(names), safe_local_name, here, f"in {directory}")
        self._ask_then(plan, enqueue)

    # -- uploads --------------------------------------------------------------------

    def upload(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        """Upload local files (from the picker or a drop). Folders and names the
        protocol refuses are reported, not sent."""
        if self.server is None:
            self.listener.report("Connect to a server before uploading", error=True)
            return
        if self.read_only:
            self.listener.report(READ_ONLY_TEXT, error=True)
            return
        uploads, refused = [], []
        for raw in paths:
            path = Path(raw)
            if not path.is_file():
                refused.append(f"{path.name or path}: not a file")
            elif (problem := name_problem(path.name)) is not None:
                refused.append(f"{path.name}: {problem}")
            else:
                uploads.append(_Upload(path, path.name))
        if refused:
            self.listener.report("Not uploaded: " + "; ".join(refused[:3]) + (" …" if len(refused) > 3 else ""), error=True)
        if not uploads:
            return
        server = self.server

        def enqueue(plan: TransferPlan) -> None:
            for planned in plan.planned:
                self.transfers.upload(server, planned.item.path, planned.target, planned.overwrite)

        on_server = FolderNames(CASE_SENSITIVE, lambda name: name if self.files.has(name) else None)
        plan = TransferPlan(uploads, lambda upload: upload.name, on_server, "on the server")
        self._ask_then(plan, enqueue)

    # -- conflict questions, one dialog at a time --------------------------------------

    def _ask_then(self, plan: TransferPlan, enqueue: Callable[[TransferPlan], None]) -> None:
        self._questions.append((plan, enqueue))
        self._next_question()

    def _next_question(self) -> None:
        while self._questions and not self._asking:
            plan, enqueue = self._questions[0]
            conflict = plan.question()
            if conflict is None:
                self._questions.popleft()
                enqueue(plan)
                continue
            self._asking = True

            def answer(choice: Choice | None, apply_to_all: bool, plan: TransferPlan = plan) -> None:
                self._asking = False
                if choice is None:
                    plan.cancel()
                else:
                    plan.answer(choice, apply_to_all)
                self._next_question()

            self.listener.ask_conflict(conflict, answer)

    # -- transfers ---------------------------------------------------------------------

    def _transfer_changed(self, view: TransferView) -> None:
        if view.direction is Direction.UPLOAD and view.state is State.DONE:
            self.refresh()
        if view.state is State.FAILED and view.error_code == ErrorCode.READ_ONLY and view.direction is Direction.UPLOAD:
            self.read_only = True
        if view.state is State.FAILED:
            self.listener.report(f"{view.name}: {view.error}", error=True)
        self.listener.transfer_changed(view)

    def cancel(self, transfer_id: int) -> None:
        self.transfers.cancel(transfer_id)

    def retry(self, transfer_id: int) -> None:
        """Retry on the server the app is connected to now (it may have moved)."""
        self.transfers.retry(transfer_id, self.server)

    def set_max_parallel(self, count: int) -> None:
        self.settings.max_parallel = count
        self.transfers.set_max_parallel(count)
        self._save_settings()

    def shutdown(self) -> None:
        self._generation += 1
        self.transfers.shutdown()
        if self._browse_thread is not None:
            self._jobs.put(None)
            self._browse_thread.join(5.0)


def _connect_message(server: Server, exc: BaseException) -> str:
    return connect_problem(str(server), server.token is not None, exc)
