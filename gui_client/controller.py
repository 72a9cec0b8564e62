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
from ferry_files.shared.client import ConnectionLost, FerryClient, Greeting, RemoteFolder
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.local_names import CASE_SENSITIVE, DestinationRules, FolderNames, destination_rules, safe_local_name
from ferry_files.shared.messages import FOLDERS
from ferry_files.shared.names import name_problem
from ferry_files.shared.tls import TlsSettings

from . import heap
from .conflicts import Choice, Conflict, Planned, TransferPlan
from .errors_text import connect_problem, describe
from .file_kinds import can_preview
from .file_list import FileList, prepare, size_of
from .folder_path import join, parent
from .folder_transfers import FolderTransfers
from .settings import Settings
from .transfers import Direction, Post, Server, State, Summary, TransferQueue, TransferView

log = logging.getLogger("gui.controller")

#: Socket timeout of the browsing connection (connect, list, preview).
BROWSE_TIMEOUT = 15.0
#: Names of a batch planned in one turn of the Tk loop (1..5 ms of Tk-thread time).
PLAN_CHUNK = 500

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
    def transfers_changed(self, views: list[TransferView]) -> None: ...
    def preview_ready(self, name: str, image: Any | None, message: str) -> None: ...
    def report(self, message: str, error: bool = False) -> None: ...
    def ask_conflict(self, conflict: Conflict, answer: Answer) -> None: ...


@dataclass(frozen=True)
class _Upload:
    path: Path
    name: str
    folder: bool = False


class Controller:
    def __init__(self, settings: Settings, post: Post, listener: Listener, save_settings: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self._post = post
        self.listener = listener
        self._save_settings = save_settings
        self.files = FileList()
        #: Each file kind's icon as a Tk image name (set by the window): the browse
        #: worker then makes a listing's rows ready to insert (``file_list.prepare``).
        self.icon_names: dict[str, str] | None = None
        self.transfers = TransferQueue(post, self._transfers_changed, settings.max_parallel, settings.verify_downloads)
        self.folder_transfers = FolderTransfers(post, self._transfers_changed, self.transfers.log)
        #: The server folder the window shows ("": the root); listings of another are dropped.
        self.path = ""
        #: Where each folder download is saved, by transfer id: "Open" and "Show in
        #: folder" need it once it is done (kept until "Clear finished").
        #: A file download's place is the queue's own (:meth:`saved_path`): a batch
        #: of 20,000 is queued over several Tk turns, its ids known only then.
        self.saved_to: dict[int, Path] = {}
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
        self._questions: deque[tuple[TransferPlan, Callable[[list[Planned]], None]]] = deque()
        self._asking = False
        self._planning = False  # a step of the first batch's plan is posted
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
        self.path = ""
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
        self._submit(self._browse_list, self._generation, self.server, self.path)

    def offers(self, feature: str) -> bool:
        """True when the connected server's greeting names ``feature`` (PROTOCOL.md 7)."""
        return self.greeting is not None and self.greeting.offers(feature)

    def go_to(self, path: str) -> None:
        """Show the server folder ``path``; the listing follows."""
        if self.server is None or not self.offers(FOLDERS) or path == self.path:
            return
        self.path = path
        self.refresh()

    def manage(self, action: Callable[[FerryClient], None], done: Callable[[], None] | None = None) -> None:
        """Run ``action`` (mkdir, rename, delete...) on the browse connection, then
        list the folder again and call ``done`` once the new listing is shown. A
        refusal becomes a sentence in the status bar."""
        if self.server is None:
            return
        generation, server, path = self._generation, self.server, self.path

        def job() -> None:
            try:
                try:
                    action(self._browse_connection(server))
                except ConnectionLost:  # the idle connection died (timeout, restart): once more on a new one
                    self._browse_close()
                    action(self._browse_connection(server))
            except (FerryError, OSError) as exc:
                if isinstance(exc, (ConnectionLost, OSError)):
                    self._browse_close()
                self._post(self._manage_failed, generation, describe(exc))
            self._browse_list(generation, server, path)
            if done is not None:
                self._post(lambda: generation == self._generation and done())

        self._listing = True
        self._submit(job)

    def _manage_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.listener.report(message[:1].upper() + message[1:], error=True)

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
        if files.path == self.path:  # else the person moved on: the next listing is of the new folder
            self.files.replace(files)
            self.listener.files_changed()
            heap.settle()
        if self.state != ConnectionState.CONNECTED:
            self._set_state(ConnectionState.CONNECTED, f"Connected to {self.server}")
        self._listing_done()

    def _folder_gone(self, generation: int, path: str, message: str) -> None:
        """The folder shown was deleted or moved (by someone else): show its parent."""
        if generation != self._generation:
            return
        if path == self.path:
            self.listener.report(f"{path}: {message}", error=True)
            self.path = parent(path)
            self._list_again = True
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
        self._browse_list(generation, server, "", announce=True)

    def _browse_list(self, generation: int, server: Server, path: str, announce: bool = False) -> None:
        for attempt in (1, 2):
            try:
                fresh = self._browse_client is None
                client = self._browse_connection(server)
                # A 1.0 server has no folders: its root's files are all there is.
                files = client.list(path, folders=True) if client.greeting.offers(FOLDERS) else client.list()
            except ConnectionLost as exc:
                self._browse_close()
                if attempt == 1 and not fresh:
                    continue  # the old connection died (idle timeout, server restart): one new try
                self._post(self._browse_failed, generation, describe(exc))
                return
            except FerryError as exc:
                if path and exc.code == ErrorCode.NOT_FOUND:
                    self._post(self._folder_gone, generation, path, describe(exc))
                    return
                self._browse_close()
                self._post(self._browse_failed, generation, _connect_message(server, exc))
                return
            except OSError as exc:
                self._browse_close()
                self._post(self._browse_failed, generation, _connect_message(server, exc))
                return
            listing = prepare(files, path, self.icon_names)  # formatting 100,000 rows belongs here, not on the Tk thread
            self._post(self._files_arrived, generation, client.greeting if (announce or fresh) else None, listing)
            return

    # -- preview -----------------------------------------------------------------

    def request_preview(self, name: str | None, max_pixels: int) -> None:
        """Fetch a thumbnail of ``name`` in the background if it is an image; the
        answer arrives at ``listener.preview_ready``. None clears the preview."""
        entry = self.files.find(name) if name else None
        if entry is None or self.server is None or self.files.is_folder(entry.name) or not can_preview(entry.name, size_of(entry)):
            self._wanted_preview = None
            return
        self._wanted_preview = name
        self._submit(self._browse_preview, self._generation, self.server, name, join(self.files.path, entry.name), max_pixels)

    def _browse_preview(self, generation: int, server: Server, name: str, path: str, max_pixels: int) -> None:
        if self._wanted_preview != name:
            return  # the selection moved on before this job started
        try:
            buffer = io.BytesIO()
            try:
                self._browse_connection(server).get_into(path, buffer)
            except ConnectionLost:
                self._browse_close()
                self._browse_connection(server).get_into(path, buffer)
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
        # The listing the names were chosen in, looked up as the batch is queued
        # (500 a turn), not 20,000 times at the click.
        find = self.files.frozen_find()
        server, path = self.server, self.files.path  # the folder the names were listed in
        since = self.transfers.epoch  # a Cancel all while the plan is made cancels the batch

        def enqueue(decided: list[Planned]) -> None:
            for planned in decided:
                if type(find(planned.item)) is RemoteFolder:
                    transfer_id = self.folder_transfers.download(server, join(path, planned.item), directory / planned.target)
                    self.saved_to[transfer_id] = directory / planned.target
            files = (
                (join(path, planned.item), planned.target, size_of(entry) if entry else 0)
                for planned in decided
                if type(entry := find(planned.item)) is not RemoteFolder
            )
            self.transfers.download_many(server, directory, files, since)

        here = FolderNames.of(directory, self.destination_rules(directory))
        plan = TransferPlan(list(names), safe_local_name, here, f"in {directory}")
        self._ask_then(plan, enqueue)

    # -- uploads --------------------------------------------------------------------

    def upload(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        """Upload local files and folders (from the pickers or a drop) into the
        folder shown. Names the protocol refuses are reported, not sent; a folder
        needs a 1.1 server (feature ``folders``)."""
        if self.server is None:
            self.listener.report("Connect to a server before uploading", error=True)
            return
        if self.read_only:
            self.listener.report(READ_ONLY_TEXT, error=True)
            return
        uploads, refused = [], []
        for raw in paths:
            path = Path(raw)
            if path.is_dir() and not self.offers(FOLDERS):
                refused.append(f"{path.name or path}: a folder, and this server has no folders")
            elif not path.is_file() and not path.is_dir():
                refused.append(f"{path.name or path}: not a file")
            elif (problem := name_problem(path.name)) is not None:
                refused.append(f"{path.name}: {problem}")
            else:
                uploads.append(_Upload(path, path.name, path.is_dir()))
        if refused:
            self.listener.report("Not uploaded: " + "; ".join(refused[:3]) + (" …" if len(refused) > 3 else ""), error=True)
        if not uploads:
            return
        server, folder = self.server, self.files.path  # the folder shown, where the person dropped

        def enqueue(decided: list[Planned]) -> None:
            for planned in decided:
                remote = join(folder, planned.target)
                if planned.item.folder:
                    self.folder_transfers.upload(server, planned.item.path, remote, planned.overwrite)
                else:
                    self.transfers.upload(server, planned.item.path, remote, planned.overwrite)

        on_server = FolderNames(CASE_SENSITIVE, lambda name: name if self.files.has(name) else None)
        plan = TransferPlan(uploads, lambda upload: upload.name, on_server, "on the server")
        self._ask_then(plan, enqueue)

    # -- conflict questions, one dialog at a time --------------------------------------

    def _ask_then(self, plan: TransferPlan, enqueue: Callable[[list[Planned]], None]) -> None:
        self._questions.append((plan, enqueue))
        self._next_question()

    def _next_question(self) -> None:
        """Plan the first batch a step per turn of the Tk loop (``PLAN_CHUNK`` names:
        20,000 in one go held the window 0.2..0.6 s), asking at each conflict, and
        queue each step's names at once: waiting for the whole plan kept a
        20,000-file batch's first download back some 50..100 ms."""
        while self._questions and not self._asking and not self._planning:
            plan, enqueue = self._questions[0]
            more = plan.plan_some(PLAN_CHUNK)
            if decided := plan.take_planned():
                enqueue(decided)
            if more:
                self._planning = True
                self._post(self._plan_next_step)
                return
            conflict = plan.question()
            if conflict is None:
                self._questions.popleft()
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

    def _plan_next_step(self) -> None:
        self._planning = False
        self._next_question()

    # -- transfers ---------------------------------------------------------------------

    def _transfers_changed(self, views: list[TransferView]) -> None:
        for view in views:
            if view.state is State.DONE and (view.direction is Direction.UPLOAD or self.state == ConnectionState.FAILED):
                self.refresh()  # an upload changed the list; a transfer that got through means the server is back
            elif view.state is State.FAILED:
                if view.error_code == ErrorCode.READ_ONLY and view.direction is Direction.UPLOAD:
                    self.read_only = True
                self.listener.report(f"{view.name}: {view.error}", error=True)
        self.listener.transfers_changed(views)

    def cancel(self, transfer_id: int) -> None:
        if self.folder_transfers.owns(transfer_id):
            self.folder_transfers.cancel(transfer_id)
        else:
            self.transfers.cancel(transfer_id)

    def retry(self, transfer_id: int) -> None:
        """Retry on the server the app is connected to now (it may have moved)."""
        if self.folder_transfers.owns(transfer_id):
            self.folder_transfers.retry(transfer_id, self.server)
        else:
            self.transfers.retry(transfer_id, self.server)

    def clear_finished(self) -> list[int]:
        """Forget finished transfers, files and folders; their ids, for the panel."""
        gone = self.transfers.clear_finished() + self.folder_transfers.clear_finished()
        for transfer_id in gone:
            self.saved_to.pop(transfer_id, None)
        return gone

    def saved_path(self, view: TransferView) -> Path | None:
        """Where the download ``view`` (done) was saved, for Open / Show in
        folder; None for an upload."""
        if view.direction is not Direction.DOWNLOAD:
            return None
        if self.folder_transfers.owns(view.id):
            return self.saved_to.get(view.id)
        return self.transfers.local_path(view.id)

    def busy(self) -> bool:
        """True while a transfer is queued or running: closing now would lose it."""
        return self.transfers.pending_count() > 0 or self.folder_transfers.running() > 0

    def resume(self, transfer_id: int) -> None:
        if self.folder_transfers.owns(transfer_id):
            self.folder_transfers.resume([transfer_id])
        else:
            self.transfers.resume([transfer_id])

    def pause_all(self) -> None:
        self.transfers.pause()
        self.folder_transfers.pause()

    def resume_all(self) -> None:
        self.transfers.resume()
        self.folder_transfers.resume()

    def cancel_all(self) -> None:
        self.transfers.cancel_all()
        self.folder_transfers.cancel_all()

    def transfer_summary(self) -> Summary:
        """The overall progress line: file transfers and folder rows (counted by their files) together."""
        files, folders = self.transfers.summary(), self.folder_transfers.summary()
        return Summary(*(a + b for a, b in zip(files, folders, strict=True)))

    def transfer_log(self) -> list[str]:
        return self.transfers.log_lines()

    def set_max_parallel(self, count: int) -> None:
        self.settings.max_parallel = count
        self.transfers.set_max_parallel(count)
        self._save_settings()

    def shutdown(self) -> None:
        self._generation += 1
        self.transfers.shutdown()
        self.folder_transfers.shutdown()
        if self._browse_thread is not None:
            self._jobs.put(None)
            self._browse_thread.join(5.0)


def _connect_message(server: Server, exc: BaseException) -> str:
    return connect_problem(str(server), server.token is not None, exc)
