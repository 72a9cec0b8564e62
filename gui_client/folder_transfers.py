"""Whole folders down and up: one background thread and one connection per folder,
running the client library's pipelined tree transfer (shared/tree_transfer.py).

A folder of 20,000 small files is round trips, not bytes: queued one file at a
time through :class:`~gui_client.transfers.TransferQueue` it would cost a
connection and a panel row per file. Here it is one row, whose numbers are the
folder's bytes and whose state names the files done. Rows are the same
:class:`~gui_client.transfers.TransferView` snapshots, reported through
``post`` like the file queue's; their ids start at :data:`FIRST_ID` so the two
never collide and the controller can tell whose a Cancel or Retry is. A folder's
start, end and retries go into the session's log beside the files'.

Pause stops a folder as Cancel does (the file in flight is dropped, its temp file
deleted); Resume and Retry run the tree again with ``skip_present``, which leaves
alone every file already there with the size and mtime the transfer gives it, so
only what was missing travels again (tree_transfer.py).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ferry_files.shared.client import FerryClient, TransferCancelled, TreeProgress, TreeReport
from ferry_files.shared.errors import FerryError

from .errors_text import describe, error_code
from .transfer_log import TransferLog
from .transfers import TRANSFER_TIMEOUT, Direction, Post, Server, State, Summary, TransferView

log = logging.getLogger("gui.folder_transfers")

#: Folder transfer ids start here, far above any file transfer's.
FIRST_ID = 1 << 40
#: Seconds between two progress reports of one folder.
PROGRESS_INTERVAL = 0.1


@dataclass
class _FolderJob:
    view: TransferView
    server: Server
    remote: str  # the server folder: source of a download, target of an upload
    local: Path  # the local folder: target of a download, source of an upload
    overwrite: bool
    cancel: threading.Event
    client: FerryClient | None = None
    thread: threading.Thread | None = None
    again: bool = False  # run before (Resume, Retry): what is already there stays
    reported_at: float = 0.0
    files_done: int = 0  # the tree's files, as its last progress report counted them
    files_total: int = 0


class FolderTransfers:
    def __init__(self, post: Post, on_change: Callable[[list[TransferView]], None], log: TransferLog) -> None:
        self._post = post
        self._log = log
        self._on_change = on_change
        self._lock = threading.Lock()
        self._jobs: dict[int, _FolderJob] = {}
        self._ids = itertools.count(FIRST_ID)

    def download(self, server: Server, remote: str, local: Path) -> int:
        """Download the server folder ``remote`` into the local folder ``local`` (made if missing)."""
        return self._start(Direction.DOWNLOAD, server, remote, local, overwrite=True, shown=local.name)

    def upload(self, server: Server, local: Path, remote: str, overwrite: bool) -> int:
        """Upload the local folder ``local`` as the server folder ``remote``."""
        return self._start(Direction.UPLOAD, server, remote, local, overwrite, shown=remote.rpartition("/")[2])

    def owns(self, transfer_id: int) -> bool:
        return transfer_id >= FIRST_ID

    def cancel(self, transfer_id: int) -> None:
        self._stop([transfer_id], State.CANCELLED)

    def pause(self, transfer_ids: Iterable[int] | None = None) -> None:
        """Stop running folders (all when ``transfer_ids`` is None) so that :meth:`resume` continues them."""
        with self._lock:
            ids = list(self._jobs) if transfer_ids is None else list(transfer_ids)
        self._stop(ids, State.PAUSED)

    def resume(self, transfer_ids: Iterable[int] | None = None) -> None:
        """Run paused folders again (all when ``transfer_ids`` is None), skipping what is there."""
        with self._lock:
            jobs = list(self._jobs.values()) if transfer_ids is None else [j for i in transfer_ids if (j := self._jobs.get(i))]
            for job in jobs:
                if job.view.state is State.PAUSED:
                    self._run_later(job)

    def _stop(self, transfer_ids: Iterable[int], state: State) -> None:
        """Cancel or pause: the row changes now, and its connection is broken off;
        the thread then ends without touching the row (it is no longer RUNNING)."""
        clients = []
        with self._lock:
            for transfer_id in transfer_ids:
                job = self._jobs.get(transfer_id)
                if job is None or job.view.state.finished or (state is State.PAUSED and job.view.state is not State.RUNNING):
                    continue
                job.cancel.set()
                clients.append(job.client)
                self._update(job, state=state, speed=0.0, eta=None)
        for client in clients:
            if client is not None:  # None: still connecting; the thread leaves when connect returns
                client.abort()

    def cancel_all(self) -> None:
        """Cancel every folder not finished (the panel's Cancel all)."""
        with self._lock:
            ids = [i for i, job in self._jobs.items() if not job.view.state.finished]
        for transfer_id in ids:
            self.cancel(transfer_id)

    def summary(self) -> Summary:
        """The folders' part of the overall progress line. A folder counts as its
        files (none until its first report); a cancelled one counts in neither total,
        as a cancelled file does."""
        files = files_done = size = size_done = running = paused = failed = 0
        with self._lock:
            for job in self._jobs.values():
                view = job.view
                if view.state is State.CANCELLED:
                    continue
                done = view.state is State.DONE
                files += job.files_total
                files_done += job.files_total if done else job.files_done
                size += view.total
                size_done += view.total if done else view.done
                running += view.state is State.RUNNING
                paused += view.state is State.PAUSED
                failed += view.state is State.FAILED
        return Summary(files_done, files, size_done, size, running, 0, paused, failed)

    def retry(self, transfer_id: int, server: Server | None) -> None:
        """Run a failed or cancelled folder again. An upload then replaces what
        its first attempt already sent (those files are this folder's own)."""
        with self._lock:
            job = self._jobs.get(transfer_id)
            if job is None or job.view.state not in (State.FAILED, State.CANCELLED) or not job.view.retryable:
                return
            job.server = server or job.server
            job.overwrite = True  # its own files, sent in part
            self._run_later(job)

    def clear_finished(self) -> list[int]:
        with self._lock:
            gone = [i for i, job in self._jobs.items() if job.view.state.finished]
            for i in gone:
                del self._jobs[i]
        return gone

    def running(self) -> int:
        with self._lock:
            return sum(1 for job in self._jobs.values() if job.view.state is State.RUNNING)

    def shutdown(self, timeout: float = 5.0) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self.cancel(job.view.id)
        deadline = time.monotonic() + timeout
        for job in jobs:
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))

    # -- under the lock ----------------------------------------------------

    def _start(self, direction: Direction, server: Server, remote: str, local: Path, overwrite: bool, shown: str) -> int:
        with self._lock:
            view = TransferView(next(self._ids), direction, shown + "/", State.QUEUED)
            job = _FolderJob(view, server, remote, local, overwrite, threading.Event())
            self._jobs[view.id] = job
            self._run_later(job)
        return view.id

    def _run_later(self, job: _FolderJob) -> None:
        job.again = job.view.state is not State.QUEUED
        job.cancel = threading.Event()
        job.files_done = job.files_total = 0
        self._update(job, state=State.RUNNING, done=0, total=0, speed=0.0, eta=None, error="", error_code="")
        job.thread = threading.Thread(target=self._run, args=(job, job.cancel), name=f"folder-{job.view.id}", daemon=True)
        job.thread.start()

    def _update(self, job: _FolderJob, **changes: object) -> None:
        old = job.view
        job.view = old._replace(**changes)
        if job.view.state is not old.state:
            self._log.record(job.view, old.state.value)
        self._post(self._on_change, [job.view])

    # -- the worker thread ---------------------------------------------------

    def _run(self, job: _FolderJob, cancel: threading.Event) -> None:
        started = time.monotonic()

        def progress(where: TreeProgress) -> None:
            now = time.monotonic()
            if where.files_done < where.files_total and now - job.reported_at < PROGRESS_INTERVAL:
                return
            job.reported_at = now
            speed = where.bytes_done / (now - started) if now > started else 0.0
            eta = (where.bytes_total - where.bytes_done) / speed if speed > 0 else None
            with self._lock:
                if job.cancel is cancel:
                    job.files_done, job.files_total = where.files_done, where.files_total
                    self._update(job, done=where.bytes_done, total=where.bytes_total, speed=speed, eta=eta)

        try:
            server = job.server
            client = FerryClient.connect(server.host, server.port, token=server.token, tls=server.tls, timeout=TRANSFER_TIMEOUT)
            with self._lock:
                current = job.cancel is cancel and not cancel.is_set()
                if current:
                    job.client = client
            if not current:
                client.close()
                raise TransferCancelled()
            try:
                if job.view.direction is Direction.DOWNLOAD:
                    report = client.get_tree(job.remote, job.local, progress=progress, cancel=cancel, skip_present=job.again)
                else:
                    report = client.put_tree(
                        job.local,
                        job.remote,
                        overwrite=job.overwrite or job.again,
                        progress=progress,
                        cancel=cancel,
                        skip_present=job.again,
                    )
            finally:
                if cancel.is_set():
                    client.close()
                else:
                    client.quit()
            changes = _outcome(report)
        except BaseException as exc:  # noqa: BLE001 -- every failure becomes the row's reason
            if cancel.is_set() or isinstance(exc, TransferCancelled):
                changes = {"state": State.CANCELLED}
            else:
                changes = {"state": State.FAILED, "error": describe(exc), "error_code": error_code(exc)}
                if not isinstance(exc, (FerryError, OSError)):
                    log.exception("folder transfer %s failed unexpectedly", job.view.id)
        with self._lock:
            if job.cancel is cancel:
                job.client = None
                if job.view.state is State.RUNNING:  # else cancelled or paused meanwhile: reported then
                    self._update(job, speed=0.0, eta=None, **changes)


def _outcome(report: TreeReport) -> dict[str, object]:
    """A folder is done when every file made it; else it failed, naming the first problem."""
    if report.ok:
        return {"state": State.DONE}
    first = report.failed[0]
    more = f" (and {len(report.failed) - 1} more)" if len(report.failed) > 1 else ""
    return {"state": State.FAILED, "error": f"{first.path}: {first.message}{more}", "error_code": first.code}
