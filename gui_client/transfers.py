"""The transfer queue: downloads and uploads in background threads, a few at once.

At most ``max_parallel`` *workers* run, each a thread with its own connection
(a :class:`~shared.client.FerryClient`), so a slow download never holds up the
file list or another transfer. A worker takes the next queued transfer, and
keeps its connection for the next one to the same server: a batch of 20,000
small files costs a few connections, not 20,000 (connect, greeting, quit).

Everything a window asks of the queue is O(1) per transfer (a deque of waiting
ids, per-state counters, running totals), because a batch may hold 100,000
transfers: scanning them all on every change was what left finished files
"Queued" for 40 s (issue 13, defect 1).

Threads never touch the window. They report through ``post(function, *args)``,
which the app wires to the Tk bridge; every report is an immutable
:class:`TransferView` snapshot. Changes are coalesced: however many snapshots a
transfer makes between two drains of the bridge, the window gets its latest
one, in one posted call for all transfers. Progress is also throttled to
``PROGRESS_INTERVAL`` per transfer.
"""

from __future__ import annotations

import enum
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple, cast

from ferry_files.shared.client import FerryClient, TransferCancelled
from ferry_files.shared.errors import FerryError
from ferry_files.shared.local_names import local_path, safe_local_name
from ferry_files.shared.partial_downloads import default_records
from ferry_files.shared.tls import TlsSettings

from . import heap
from .errors_text import FINAL_CODES, describe, error_code
from .transfer_log import TransferLog

log = logging.getLogger("gui.transfers")

#: Seconds between two progress reports of one transfer.
PROGRESS_INTERVAL = 0.1
#: Seconds without a byte after which a transfer shows no speed and no ETA.
STALLED_AFTER = 1.5
#: Transfers a batch adds in one turn of the Tk loop.
ADD_CHUNK = 500
#: Socket timeout of a transfer connection.
TRANSFER_TIMEOUT = 60.0

Post = Callable[..., None]


class Direction(str, enum.Enum):
    DOWNLOAD = "download"
    UPLOAD = "upload"


class State(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
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


@dataclass(frozen=True, slots=True)
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


class Summary(NamedTuple):
    """The whole queue at a glance: what the panel's overall progress line says.
    Cancelled transfers count in neither total."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    running: int
    queued: int
    paused: int
    failed: int


class _Worker:
    """One worker thread's own state. ``abandoned``: its transfer was cancelled
    while it was still connecting (a hung server can hold the greeting for a
    minute); a new worker took its place and this one leaves when connect returns."""

    __slots__ = ("abandoned", "client", "server")

    def __init__(self) -> None:
        self.abandoned = False
        self.client: FerryClient | None = None
        self.server: Server | None = None  # the server ``client`` is connected to


@dataclass(slots=True, eq=False)
class _Job:
    id: int
    direction: Direction
    server: Server
    remote: str  # server name: the source of a download, the target of an upload
    # The local file: the source of an upload; for a download, made from
    # ``directory`` and ``local_name`` by its worker (resolving a folder costs
    # four lstat calls, 20,000 of them held the Tk thread for seconds).
    local: Path | None
    overwrite: bool
    view: TransferView
    origin: str  # the server a download started from: its resume record is kept under it
    directory: Path | None = None  # a download's folder
    local_name: str = ""  # a download's local name in it
    cancel: threading.Event | None = None  # made per attempt: an Event costs a kilobyte
    client: FerryClient | None = None  # set once connected, for abort()
    worker: _Worker | None = None
    attempt: int = 0  # a retry is a new attempt; a late thread of an old one changes nothing
    # progress as the worker last saw it, and the state of the speed estimate
    done: int = 0
    total: int = 0
    reported_at: float = 0.0
    speed_since: float = 0.0
    speed_from: int = 0
    resumed_from: int = 0  # where this attempt started: the bytes a resume did not send again


def _weight(view: TransferView) -> tuple[int, int, int, int]:
    """What one transfer adds to the totals: (files, files done, bytes, bytes done)."""
    if view.state is State.CANCELLED:
        return 0, 0, 0, 0
    if view.state is State.DONE:
        return 1, 1, view.total, view.total
    return 1, 0, view.total, view.done


class TransferQueue:
    def __init__(self, post: Post, on_change: Callable[[TransferView], None], max_parallel: int = 3, verify: bool = True) -> None:
        """``on_change`` is called (through ``post``, so on the Tk thread) with the
        latest snapshot of every transfer that changed since the last call.
        ``verify``: check each finished download's sha256 against the server's."""
        self._post = post
        self.verify = verify
        self._on_change = on_change
        self._max_parallel = max_parallel
        self._lock = threading.Lock()
        self._jobs: dict[int, _Job] = {}
        self._waiting: deque[int] = deque()  # queued ids in order; stale ids are skipped
        self._running: dict[int, _Job] = {}
        self._counts: dict[State, int] = dict.fromkeys(State, 0)
        self._totals = [0, 0, 0, 0]  # files, files done, bytes, bytes done
        self._workers = 0
        self._changed: dict[int, _Job] = {}
        self._delivery_posted = False
        self._ids = itertools.count(1)
        self._closed = False
        # A batch is added over several turns of the Tk loop; a queue-wide action
        # meanwhile (Cancel all, Pause all, Resume all) applies to its rest too.
        self._epoch = 0
        self._since_epoch = State.QUEUED  # what the last such action makes of transfers added later
        self.log = TransferLog()

    # -- what the window calls -------------------------------------------

    def download(self, server: Server, remote_name: str, directory: str | os.PathLike[str], local_name: str, size: int = 0) -> int:
        with self._lock:
            transfer_id = self._add_download(server, remote_name, Path(directory), local_name, size)
            self._schedule()
        return transfer_id

    @property
    def epoch(self) -> int:
        """Queue-wide actions so far: a batch clicked now but queued later (its
        conflicts planned over several turns) passes this to :meth:`download_many`."""
        return self._epoch

    def download_many(
        self, server: Server, directory: str | os.PathLike[str], items: Iterable[tuple[str, str, int]], since: int | None = None
    ) -> None:
        """Queue downloads of ``(remote path, local name, size)`` into ``directory``
        (the remote path is the file's in its server folder: ``docs/a.txt``),
        in order: ``ADD_CHUNK`` now and the rest in later turns of the Tk loop
        (through ``post``), so a 20,000-file batch never holds the window.
        ``since``: the :attr:`epoch` when the person asked for the batch; a Cancel
        all (Pause all...) after it applies to the whole batch."""
        self._add_chunk(server, Path(directory), iter(items), self._epoch if since is None else since)

    def _add_chunk(self, server: Server, directory: Path, items: Iterator[tuple[str, str, int]], epoch: int) -> None:
        chunk = list(itertools.islice(items, ADD_CHUNK))
        with self._lock:
            state = State.QUEUED if epoch == self._epoch else self._since_epoch
            if self._closed or state is State.CANCELLED:
                return
            for remote, local_name, size in chunk:
                self._add_download(server, remote, directory, local_name, size, state)
            self._schedule()
        if len(chunk) == ADD_CHUNK:
            self._post(self._add_chunk, server, directory, items, epoch)
        else:
            heap.settle()  # the whole batch is queued

    def upload(self, server: Server, path: str | os.PathLike[str], remote_name: str, overwrite: bool) -> int:
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        with self._lock:
            view = TransferView(next(self._ids), Direction.UPLOAD, remote_name, State.QUEUED, total=size)
            transfer_id = self._add(_Job(view.id, Direction.UPLOAD, server, remote_name, path, overwrite, view, str(server), total=size))
            self._schedule()
        return transfer_id

    def cancel(self, transfer_id: int) -> None:
        with self._lock:
            job = self._jobs.get(transfer_id)
            client = None if job is None else self._cancel(job)
        if client is not None:
            client.abort()  # wakes a read or write blocked on the network

    def cancel_all(self) -> None:
        """Cancel every transfer not finished: the waiting ones at once, the running ones as their connections break."""
        with self._lock:
            self._queue_wide(State.CANCELLED)
            clients = [self._cancel(job) for job in list(self._jobs.values()) if not job.view.state.finished]
        for client in clients:
            if client is not None:
                client.abort()

    def pause(self, transfer_ids: Iterable[int] | None = None) -> None:
        """Stop transfers (all when ``transfer_ids`` is None) so that :meth:`resume`
        continues them: a download keeps its partial file (partial_downloads.py),
        an upload its ``upload_id`` (upload_records.py) and the server its bytes."""
        with self._lock:
            if transfer_ids is None:
                self._queue_wide(State.PAUSED)
            jobs = self._select(transfer_ids)
            clients = []
            for job in jobs:
                if job.view.state is State.QUEUED:
                    self._update(job, state=State.PAUSED)
                elif job.view.state is State.RUNNING and not (job.direction is Direction.UPLOAD and job.done >= job.total > 0):
                    # (an upload whose body is all sent is left to finish: the server may have published it)
                    clients.append(self._stop_running(job, State.PAUSED))
            self._schedule()
        for client in clients:
            if client is not None:
                client.abort()

    def resume(self, transfer_ids: Iterable[int] | None = None) -> None:
        """Queue paused transfers again (all when ``transfer_ids`` is None)."""
        with self._lock:
            if transfer_ids is None:
                self._queue_wide(State.QUEUED)
            for job in self._select(transfer_ids):
                if job.view.state is State.PAUSED:
                    self._requeue(job)
            self._schedule()

    def retry(self, transfer_id: int, server: Server | None = None) -> None:
        """Queue a failed or cancelled transfer again (to ``server`` if given).
        A download continues from its partial file when one was kept."""
        with self._lock:
            job = self._jobs.get(transfer_id)
            if job is None or job.view.state not in (State.FAILED, State.CANCELLED) or not job.view.retryable:
                return
            if server is not None:
                job.server = server
            self._requeue(job)
            self._schedule()

    def clear_finished(self) -> list[int]:
        with self._lock:
            gone = [i for i, job in self._jobs.items() if job.view.state.finished]
            for i in gone:
                job = self._jobs.pop(i)
                self._count(job.view, -1)
                self._changed.pop(i, None)
        if gone:
            heap.thaw()
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

    def local_path(self, transfer_id: int) -> Path | None:
        """The local file of a download that started (its worker resolves the
        name); None for an upload or an unknown id."""
        with self._lock:
            job = self._jobs.get(transfer_id)
            return job.local if job is not None and job.direction is Direction.DOWNLOAD else None

    def summary(self) -> Summary:
        with self._lock:
            c = self._counts
            files, files_done, size, size_done = self._totals
            return Summary(files_done, files, size_done, size, c[State.RUNNING], c[State.QUEUED], c[State.PAUSED], c[State.FAILED])

    def log_lines(self) -> list[str]:
        """The session's transfer log (transfer_log.py), oldest first."""
        return self.log.lines()

    def pending_count(self) -> int:
        """Transfers that are neither finished nor paused."""
        with self._lock:
            return self._counts[State.RUNNING] + self._counts[State.QUEUED]

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel everything and wait (bounded) for the threads to end."""
        with self._lock:
            self._closed = True
            threads = [t for t in threading.enumerate() if t.name.startswith(f"transfers-{id(self):x}-")]
        self.cancel_all()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- bookkeeping (under the lock) -------------------------------------

    def _queue_wide(self, state: State) -> None:
        self._epoch += 1
        self._since_epoch = state

    def _select(self, transfer_ids: Iterable[int] | None) -> list[_Job]:
        if transfer_ids is None:
            return list(self._jobs.values())
        return [job for i in transfer_ids if (job := self._jobs.get(i)) is not None]

    def _add_download(self, server: Server, remote: str, directory: Path, local_name: str, size: int, state: State = State.QUEUED) -> int:
        try:
            shown = safe_local_name(local_name)
        except FerryError:
            shown = local_name  # the worker fails it with the reason
        view = TransferView(next(self._ids), Direction.DOWNLOAD, shown, state, total=size)
        job = _Job(view.id, Direction.DOWNLOAD, server, remote, None, True, view, str(server), directory, local_name, total=size)
        return self._add(job)

    def _add(self, job: _Job) -> int:
        self._jobs[job.id] = job
        self._count(job.view, +1)
        if job.view.state is State.QUEUED:
            self._waiting.append(job.id)
        self._changed_job(job)
        return job.id

    def _count(self, view: TransferView, sign: int) -> None:
        self._counts[view.state] += sign
        for i, amount in enumerate(_weight(view)):
            self._totals[i] += sign * amount

    def _update(self, job: _Job, **changes: object) -> None:
        old = job.view
        job.view = new = replace(old, **changes)
        self._count(old, -1)
        self._count(new, +1)
        if new.state is not old.state:
            if new.state is State.RUNNING:
                self._running[job.id] = job
            elif old.state is State.RUNNING:
                del self._running[job.id]
            self.log.record(new, old.state.value)
        self._changed_job(job)

    def _changed_job(self, job: _Job) -> None:
        self._changed[job.id] = job
        if not self._delivery_posted:
            self._delivery_posted = True
            self._post(self._deliver)

    def _deliver(self) -> None:
        """On the Tk thread: hand the window the latest snapshot of each changed transfer."""
        with self._lock:
            views = [job.view for job in self._changed.values()]
            self._changed.clear()
            self._delivery_posted = False
        for view in views:
            self._on_change(view)

    def _requeue(self, job: _Job) -> None:
        job.client, job.done = None, 0
        job.attempt += 1
        self._update(job, state=State.QUEUED, done=0, speed=0.0, eta=None, error="", error_code="", resumed_from=0)
        self._waiting.append(job.id)

    def _cancel(self, job: _Job) -> FerryClient | None:
        """Cancel ``job``; returns the client to abort (outside the lock), if any."""
        state = job.view.state
        if state.finished:
            return None
        if state is State.RUNNING and job.client is not None:
            if job.cancel is not None:
                job.cancel.set()
            return job.client  # the worker reports CANCELLED when the transfer breaks off
        if state is State.RUNNING:
            self._stop_running(job, State.CANCELLED)
        if job.direction is Direction.DOWNLOAD:
            _remove_partial(job)  # cancelled on purpose: nothing to resume
        self._update(job, state=State.CANCELLED, speed=0.0, eta=None)
        self._schedule()
        return None

    def _stop_running(self, job: _Job, state: State) -> FerryClient | None:
        """Take a running ``job`` out of its worker at once (to pause it, or to
        cancel it while it connects); returns its client to abort."""
        if job.cancel is not None:
            job.cancel.set()
        client, job.client = job.client, None
        worker = job.worker
        if client is None and worker is not None and not worker.abandoned:
            worker.abandoned = True  # stuck in connect: a new worker takes its place
            self._workers -= 1
        self._update(job, state=state, speed=0.0, eta=None)
        return client

    def _schedule(self) -> None:
        """Start workers while transfers wait that no idle worker will take."""
        if self._closed:
            return
        idle = self._workers - self._counts[State.RUNNING]
        while self._workers < self._max_parallel and idle < self._counts[State.QUEUED]:
            self._workers += 1
            idle += 1
            worker = _Worker()
            threading.Thread(target=self._work, args=(worker,), name=f"transfers-{id(self):x}-{self._workers}", daemon=True).start()

    def _take(self, worker: _Worker) -> _Job | None:
        """The next queued transfer for ``worker``, now RUNNING; None: the worker leaves."""
        if worker.abandoned:
            return None
        while self._waiting and not self._closed and self._counts[State.RUNNING] < self._max_parallel:
            job = self._jobs.get(self._waiting.popleft())
            if job is not None and job.view.state is State.QUEUED:
                job.cancel, job.worker = threading.Event(), worker
                self._update(job, state=State.RUNNING)
                return job
        self._workers -= 1
        return None

    # -- progress ------------------------------------------------------------

    def flush_progress(self) -> None:
        """Report progress not reported yet: a transfer that stalls right after a
        throttled update would otherwise show stale numbers. The window calls
        this a few times a second."""
        with self._lock:
            now = time.monotonic()
            for job in list(self._running.values()):
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
        eta = (total - done) / speed if speed > 0 and done < total else None
        job.reported_at = now
        self._update(job, done=done, total=total, speed=speed, eta=eta, resumed_from=job.resumed_from)

    # -- the worker threads -------------------------------------------------

    def _work(self, worker: _Worker) -> None:
        try:
            while True:
                with self._lock:
                    job = self._take(worker)
                if job is None:
                    return
                self._run(job, worker)
        finally:
            client, worker.client = worker.client, None
            if client is not None:
                client.close() if worker.abandoned else client.quit()

    def _connection(self, worker: _Worker, server: Server) -> FerryClient:
        """The worker's connection to ``server``: kept from its last transfer when it can be."""
        client = worker.client
        if client is not None and (client.closed or worker.server != server):
            worker.client = None
            client.quit()
            client = None
        if client is None:
            client = FerryClient.connect(server.host, server.port, token=server.token, tls=server.tls, timeout=TRANSFER_TIMEOUT)
            worker.client, worker.server = client, server
        return client

    def _run(self, job: _Job, worker: _Worker) -> None:
        attempt, cancel = job.attempt, job.cancel
        assert cancel is not None
        # The first report comes after PROGRESS_INTERVAL, and none at the end (the
        # final state carries the total): a small file costs two snapshots, not four.
        job.speed_since = job.reported_at = time.monotonic()
        job.speed_from = job.resumed_from = 0

        def current() -> bool:
            return job.attempt == attempt and job.view.state is State.RUNNING

        started = False

        def progress(done: int, total: int) -> None:
            nonlocal started
            if not started:  # the first report is where the transfer starts: 0, or where it resumes
                started = True
                job.resumed_from = job.speed_from = done  # speed counts only the bytes that travel now
            job.done, job.total = done, total
            now = time.monotonic()
            if done >= total or now - job.reported_at < PROGRESS_INTERVAL:
                return
            with self._lock:
                if current():
                    self._report(job, now)

        try:
            client = self._connection(worker, job.server)
            with self._lock:
                proceed = current() and not cancel.is_set()
                if proceed:
                    job.client = client
            if not proceed:
                return  # cancelled or paused while connecting: already reported
            if job.direction is Direction.DOWNLOAD:
                self._download(job, client, progress, cancel)
            else:
                client.put(cast(Path, job.local), name=job.remote, overwrite=job.overwrite, resume=True, progress=progress, cancel=cancel)
            state, error, code = State.DONE, "", ""
        except BaseException as exc:  # noqa: BLE001 -- every failure becomes the row's reason
            self._drop_connection(worker)
            if cancel.is_set() or isinstance(exc, TransferCancelled):
                state, error, code = State.CANCELLED, "", ""
                if job.direction is Direction.DOWNLOAD and current():
                    _remove_partial(job)  # cancelled on purpose: nothing to resume
            else:
                state, error, code = State.FAILED, describe(exc), error_code(exc)
                if not isinstance(exc, (FerryError, OSError)):
                    log.exception("transfer %s failed unexpectedly", job.id)
        with self._lock:
            job.client = None
            finished_anyway = state is State.DONE and job.view.state is State.PAUSED  # paused too late: it is done
            if job.attempt != attempt or not (current() or finished_anyway):
                return  # paused, or cancelled while connecting: reported already
            changes: dict[str, object] = {
                "state": state,
                "error": error,
                "error_code": code,
                "speed": 0.0,
                "eta": None,
                "resumed_from": job.resumed_from,
            }
            if state is State.DONE:
                changes["done"] = job.view.total
            self._update(job, **changes)
            self._schedule()

    @staticmethod
    def _drop_connection(worker: _Worker) -> None:
        """After a failure the connection may be mid-answer: never reuse it."""
        client, worker.client = worker.client, None
        if client is not None:
            client.close()

    def _download(self, job: _Job, client: FerryClient, progress: Callable[[int, int], None], cancel: threading.Event) -> None:
        """Download with resume: a retry or a resume continues the bytes this job's
        last attempt left (recorded by the client library, never guessed from a file name)."""
        if job.local is None:
            assert job.directory is not None
            job.local = local_path(job.directory, job.local_name)
        local = job.local
        client.get(
            job.remote,
            local.parent,
            local_name=local.name,
            resume=True,
            verify=self.verify,
            origin=job.origin,
            progress=progress,
            cancel=cancel,
        )


def _remove_partial(job: _Job) -> None:
    """Forget a download's resume record and delete its temp file."""
    if job.local is not None:  # None: it never started
        default_records().discard(job.origin, job.remote, job.local)
