"""The transfer queue: downloads and uploads in background threads, a few at once.

Each running transfer has its own thread and its own connection (a
:class:`~shared.client.FerryClient`), so a slow download never holds up the file
list or another transfer. At most ``max_parallel`` run; the rest wait in order.

Threads never touch the window. They report through ``post(function, *args)``,
which the app wires to the Tk bridge; every report is an immutable
:class:`TransferView` snapshot. Progress is throttled to ``PROGRESS_INTERVAL``
per transfer, so a gigabyte download costs the Tk loop ten small updates a
second, not one per network read.
"""

from __future__ import annotations

import enum
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ferry_files.shared.client import FerryClient, TransferCancelled
from ferry_files.shared.errors import FerryError
from ferry_files.shared.local_names import local_path
from ferry_files.shared.partial_downloads import default_records
from ferry_files.shared.tls import TlsSettings

from .errors_text import FINAL_CODES, describe, error_code

log = logging.getLogger("gui.transfers")

#: Seconds between two progress reports of one transfer.
PROGRESS_INTERVAL = 0.1
#: Seconds without a byte after which a transfer shows no speed and no ETA.
STALLED_AFTER = 1.5
#: Socket timeout of a transfer connection.
TRANSFER_TIMEOUT = 60.0

Post = Callable[..., None]


class Direction(str, enum.Enum):
    DOWNLOAD = "download"
    UPLOAD = "upload"


class State(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (State.DONE, State.FAILED, State.CANCELLED)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    token: str | None = field(default=None, repr=False)
    tls: TlsSettings | None = None  # None: plain TCP

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class TransferView:
    """What the transfers panel shows of one transfer, at one moment."""

    id: int
    direction: Direction
    name: str  # the name shown: the target name
    state: State
    done: int = 0
    total: int = 0
    speed: float = 0.0  # bytes per second
    eta: float | None = None  # seconds
    error: str = ""
    error_code: str = ""  # the protocol's code of ``error``; "" for a local error
    resumed_from: int = 0

    @property
    def retryable(self) -> bool:
        """False when the same request would be refused again (read-only server,
        policy, size limit): the window offers no Retry then."""
        return self.error_code not in FINAL_CODES

    @property
    def fraction(self) -> float:
        if self.state is State.DONE:
            return 1.0
        return self.done / self.total if self.total > 0 else 0.0


@dataclass
class _Job:
    id: int
    direction: Direction
    server: Server
    remote: str  # server name: the source of a download, the target of an upload
    local: Path  # the local file: target of a download, source of an upload
    overwrite: bool
    view: TransferView
    cancel: threading.Event
    origin: str  # the server a download started from: its resume record is kept under it
    client: FerryClient | None = None  # set once connected, for abort()
    attempt: int = 0  # a retry is a new attempt; a late thread of an old one changes nothing
    thread: threading.Thread | None = None
    # progress as the worker last saw it, and the state of the speed estimate
    done: int = 0
    total: int = 0
    reported_at: float = 0.0
    speed_since: float = 0.0
    speed_from: int = 0


class TransferQueue:
    def __init__(self, post: Post, on_change: Callable[[TransferView], None], max_parallel: int = 3, verify: bool = True) -> None:
        """``on_change`` is called (through ``post``, so on the Tk thread) with every new snapshot.
        ``verify``: check each finished download's sha256 against the server's."""
        self._post = post
        self.verify = verify
        self._on_change = on_change
        self._max_parallel = max_parallel
        self._lock = threading.Lock()
        self._jobs: dict[int, _Job] = {}
        self._ids = itertools.count(1)
        self._closed = False

    # -- what the window calls -------------------------------------------

    def download(self, server: Server, remote_name: str, directory: str | os.PathLike[str], local_name: str, size: int = 0) -> int:
        local = local_path(directory, local_name)
        return self._add(Direction.DOWNLOAD, server, remote_name, local, overwrite=True, size=size)

    def upload(self, server: Server, path: str | os.PathLike[str], remote_name: str, overwrite: bool) -> int:
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        return self._add(Direction.UPLOAD, server, remote_name, path, overwrite=overwrite, size=size)

    def cancel(self, transfer_id: int) -> None:
        with self._lock:
            job = self._jobs.get(transfer_id)
            if job is None or job.view.state.finished:
                return
            job.cancel.set()
            if job.view.state is State.QUEUED or job.client is None:
                # Not started, or still connecting (a server that accepted and
                # hangs can hold the greeting for a minute): cancelled now. The
                # attempt's thread finds the flag when connect returns and leaves.
                if job.direction is Direction.DOWNLOAD:
                    _remove_partial(job)  # cancelled on purpose: nothing to resume
                self._update(job, state=State.CANCELLED, speed=0.0, eta=None)
                self._schedule()
                return
            client = job.client
        client.abort()  # wakes a read or write blocked on the network

    def retry(self, transfer_id: int, server: Server | None = None) -> None:
        """Queue a failed or cancelled transfer again (to ``server`` if given).
        A download continues from its partial file when one was kept."""
        with self._lock:
            job = self._jobs.get(transfer_id)
            if job is None or job.view.state not in (State.FAILED, State.CANCELLED) or not job.view.retryable:
                return
            if server is not None:
                job.server = server
            job.cancel = threading.Event()
            job.client = None
            job.attempt += 1
            job.done = 0
            self._update(job, state=State.QUEUED, done=0, speed=0.0, eta=None, error="", error_code="", resumed_from=0)
            self._schedule()

    def clear_finished(self) -> list[int]:
        with self._lock:
            gone = [i for i, job in self._jobs.items() if job.view.state.finished]
            for i in gone:
                del self._jobs[i]
        return gone

    def set_max_parallel(self, count: int) -> None:
        with self._lock:
            self._max_parallel = max(1, count)
            self._schedule()

    def views(self) -> list[TransferView]:
        with self._lock:
            return [job.view for job in self._jobs.values()]

    def view(self, transfer_id: int) -> TransferView | None:
        with self._lock:
            job = self._jobs.get(transfer_id)
            return None if job is None else job.view

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for job in self._jobs.values() if job.view.state is State.RUNNING)

    def pending_count(self) -> int:
        with self._lock:
            return sum(1 for job in self._jobs.values() if not job.view.state.finished)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel everything and wait (bounded) for the threads to end."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            self.cancel(job.id)
        deadline = time.monotonic() + timeout
        for job in jobs:
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))

    # -- scheduling (under the lock) --------------------------------------

    def _add(self, direction: Direction, server: Server, remote: str, local: Path, overwrite: bool, size: int) -> int:
        with self._lock:
            transfer_id = next(self._ids)
            shown = local.name if direction is Direction.DOWNLOAD else remote
            view = TransferView(transfer_id, direction, shown, State.QUEUED, total=size)
            job = _Job(transfer_id, direction, server, remote, local, overwrite, view, threading.Event(), str(server), total=size)
            self._jobs[transfer_id] = job
            self._post(self._on_change, view)
            self._schedule()
        return transfer_id

    def _schedule(self) -> None:
        if self._closed:
            return
        running = sum(1 for job in self._jobs.values() if job.view.state is State.RUNNING)
        for job in self._jobs.values():  # dicts keep insertion order: first queued, first started
            if running >= self._max_parallel:
                break
            if job.view.state is State.QUEUED:
                running += 1
                self._update(job, state=State.RUNNING)
                job.thread = threading.Thread(target=self._run, args=(job, job.attempt, job.cancel), name=f"transfer-{job.id}", daemon=True)
                job.thread.start()

    def _update(self, job: _Job, **changes: object) -> None:
        job.view = replace(job.view, **changes)
        self._post(self._on_change, job.view)

    # -- the worker thread -------------------------------------------------

    def flush_progress(self) -> None:
        """Report progress not reported yet: a transfer that stalls right after a
        throttled update would otherwise show stale numbers. The window calls
        this a few times a second."""
        with self._lock:
            for job in self._jobs.values():
                if job.view.state is not State.RUNNING:
                    continue
                now = time.monotonic()
                if (job.done, job.total) != (job.view.done, job.view.total) or now - job.speed_since >= STALLED_AFTER:
                    self._report(job, now)

    def _report(self, job: _Job, now: float) -> None:
        """Publish ``job.done`` with a smoothed speed and an ETA (under the lock)."""
        done, total = job.done, job.total
        speed = job.view.speed
        window = now - job.speed_since
        if window >= 0.25:
            measured = (done - job.speed_from) / window
            if measured == 0 and window >= STALLED_AFTER:
                speed = 0.0  # stalled: no speed and no ETA rather than stale numbers
            else:
                speed = measured if speed == 0 else 0.5 * speed + 0.5 * measured
            job.speed_since, job.speed_from = now, done
        eta = (total - done) / speed if speed > 0 else None
        job.reported_at = now
        self._update(job, done=done, total=total, speed=speed, eta=eta)

    def _run(self, job: _Job, attempt: int, cancel: threading.Event) -> None:
        job.speed_since, job.speed_from, job.reported_at = time.monotonic(), 0, 0.0

        def current() -> bool:
            return job.attempt == attempt and job.view.state is State.RUNNING

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            now = time.monotonic()
            if done < total and now - job.reported_at < PROGRESS_INTERVAL:
                return
            with self._lock:
                if current():
                    self._report(job, now)

        outcome: dict[str, object] = {}
        try:
            server = job.server
            client = FerryClient.connect(server.host, server.port, token=server.token, tls=server.tls, timeout=TRANSFER_TIMEOUT)
            with self._lock:
                proceed = current() and not cancel.is_set()
                if proceed:
                    job.client = client
            if not proceed:
                client.close()
                return  # cancelled while connecting: already reported
            try:
                if job.direction is Direction.DOWNLOAD:
                    outcome = self._download(job, client, progress, cancel)
                else:
                    client.put(job.local, name=job.remote, overwrite=job.overwrite, progress=progress, cancel=cancel)
            finally:
                if cancel.is_set():
                    client.close()
                else:
                    client.quit()
            state, error, code = State.DONE, "", ""
        except BaseException as exc:  # noqa: BLE001 -- every failure becomes the row's reason
            if cancel.is_set() or isinstance(exc, TransferCancelled):
                state, error, code = State.CANCELLED, "", ""
                if job.direction is Direction.DOWNLOAD and job.client is not None:
                    _remove_partial(job)  # cancelled on purpose: nothing to resume
            else:
                state, error, code = State.FAILED, describe(exc), error_code(exc)
                if not isinstance(exc, (FerryError, OSError)):
                    log.exception("transfer %s failed unexpectedly", job.id)
        with self._lock:
            if not current():
                return  # this attempt was cancelled while connecting and is reported already
            job.client = None
            changes: dict[str, object] = {"state": state, "error": error, "error_code": code, "eta": None, **outcome}
            if state is State.DONE:
                changes["done"] = job.view.total
            self._update(job, **changes)
            self._schedule()

    def _download(self, job: _Job, client: FerryClient, progress: Callable[[int, int], None], cancel: threading.Event) -> dict[str, object]:
        """Download with resume: a retry continues the bytes this job's last attempt
        left (recorded by the client library, never guessed from a file name)."""
        resumed_from: list[int] = []

        def first_progress(done: int, total: int) -> None:
            if not resumed_from:  # the first report is where the download starts
                resumed_from.append(done)
                job.speed_from = done  # speed counts only the bytes that travel now
            progress(done, total)

        client.get(
            job.remote,
            job.local.parent,
            local_name=job.local.name,
            resume=True,
            verify=self.verify,
            origin=job.origin,
            progress=first_progress,
            cancel=job.cancel,
        )
        return {"resumed_from": resumed_from[0] if resumed_from else 0}


def _remove_partial(job: _Job) -> None:
    """Forget a download's resume record and delete its temp file."""
    default_records().discard(job.origin, job.remote, job.local)
