"""The transfer queue: downloads and uploads in background threads, a few at once.

At most ``max_parallel`` *workers* run, each a thread with its own connection
(a :class:`~shared.client.FerryClient`), so a slow download never holds up the
file list or another transfer. A worker takes the next queued transfer, and
keeps its connection for the next one to the same server: a batch of 20,000
small files costs a few connections, not 20,000 (connect, greeting, quit).
A worker that takes a small download also claims the next queued ones and
sends their requests ahead on that connection (batch_downloads.py): a round
trip per file held the app to an eighth of the library's ``get_tree``.

Everything a window asks of the queue is O(1) per transfer (a deque of waiting
ids, per-state counters, running totals), because a batch may hold 100,000
transfers: scanning them all on every change was what left finished files
"Queued" for 40 s (issue 13, defect 1).

Threads never touch the window. They report through ``post(function, *args)``,
which the app wires to the Tk bridge; every report is an immutable
:class:`TransferView` snapshot. Changes are coalesced: however many snapshots a
transfer makes between two drains of the bridge, the window gets its latest
one, in one posted call with a list for all transfers. Progress is also
throttled to ``PROGRESS_INTERVAL`` per transfer.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, cast

from ferry_files.shared.client import FerryClient, TransferCancelled
from ferry_files.shared.errors import FerryError
from ferry_files.shared.local_names import local_path, local_path_in
from ferry_files.shared.partial_downloads import default_records
from ferry_files.shared.pipeline import SMALL_FILE
from ferry_files.shared.tls import TlsSettings

from . import heap
from .batch_downloads import BatchBroken, Claim, download_batch
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


class TransferView(NamedTuple):
    """What the transfers panel shows of one transfer, at one moment. A named
    tuple, not a frozen dataclass: as immutable, and made in a third of the
    time (two are made for each file of a 20,000-file batch)."""

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
    claimed: bool = False  # a worker sent its requests ahead (batch_downloads.py); still QUEUED
    publishing: bool = False  # ... and its body is in and being saved: too late to cancel or pause
    alone: bool = False  # a download that must run on its own: it has a resume record, or a name to refuse


def _weight(view: TransferView) -> tuple[int, int, int, int]:
    """What one transfer adds to the totals: (files, files done, bytes, bytes done)."""
    if view.state is State.CANCELLED:
        return 0, 0, 0, 0
    if view.state is State.DONE:
        return 1, 1, view.total, view.total
    return 1, 0, view.total, view.done


class TransferQueue:
    def __init__(self, post: Post, on_change: Callable[[list[TransferView]], None], max_parallel: int = 3, verify: bool = True) -> None:
        """``on_change`` is called (through ``post``, so on the Tk thread) with the
        latest snapshots of the transfers that changed since the last call, in a
        list: a call per snapshot cost a 20,000-file batch 0.04 s of the Tk thread.
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
        self._batching: dict[Server, int] = {}  # pipelined batches running, per server
        self._batches: set[_Batch] = set()  # the running ones, for the summary
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
        """Queue one download, as :meth:`download_many` does; its id."""
        with self._lock:
            [transfer_id] = self._add_downloads(server, Path(directory), [(remote_name, local_name, size)], State.QUEUED)
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
        (the remote path is the file's in its server folder: ``docs/a.txt``; the
        local name one that :func:`safe_local_name` made, as the window's plan
        does, and its worker checks it again before it saves), in order:
        ``ADD_CHUNK`` now and the rest in later turns of the Tk loop (through
        ``post``), so a 20,000-file batch never holds the window.
        ``since``: the :attr:`epoch` when the person asked for the batch; a Cancel
        all (Pause all...) after it applies to the whole batch."""
        self._add_chunk(server, Path(directory), iter(items), self._epoch if since is None else since)

    def _add_chunk(self, server: Server, directory: Path, items: Iterator[tuple[str, str, int]], epoch: int) -> None:
        chunk = list(itertools.islice(items, ADD_CHUNK))
        with self._lock:
            state = State.QUEUED if epoch == self._epoch else self._since_epoch
            if self._closed or state is State.CANCELLED:
                return
            self._add_downloads(server, directory, chunk, state)
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
                if job.view.state is State.QUEUED and not job.publishing:
                    clients.append(job.client)  # a claim's batch connection: its bodies are not read on
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
            # A batch's claims stay QUEUED (batch_downloads.py); one that is
            # reading them counts as one running transfer.
            reading = sum(1 for batch in self._batches if batch.outstanding)
            running, queued = c[State.RUNNING] + reading, max(0, c[State.QUEUED] - reading)
            return Summary(files_done, files, size_done, size, running, queued, c[State.PAUSED], c[State.FAILED])

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

    def _add_downloads(self, server: Server, directory: Path, items: list[tuple[str, str, int]], state: State) -> list[int]:
        """Add queued (or paused) downloads; their ids. :meth:`_add` for each, in one
        loop: it runs on the Tk thread for every file of a batch."""
        origin, ids, jobs, changed = str(server), self._ids, self._jobs, self._changed
        added = []
        for remote, local_name, size in items:
            view = TransferView(next(ids), Direction.DOWNLOAD, local_name, state, 0, size)
            job = _Job(view.id, Direction.DOWNLOAD, server, remote, None, True, view, origin, directory, local_name, total=size)
            jobs[view.id] = changed[view.id] = job
            added.append(view.id)
        # Each weighs what _weight says of a transfer neither done nor cancelled.
        self._counts[state] += len(added)
        self._totals[0] += len(added)
        self._totals[2] += sum(size for _, _, size in items)
        if state is State.QUEUED:
            self._waiting.extend(added)
        self._deliver_soon()
        return added

    def _add(self, job: _Job) -> int:
        self._jobs[job.id] = job
        self._count(job.view, +1)
        if job.view.state is State.QUEUED:
            self._waiting.append(job.id)
        self._changed_job(job)
        return job.id

    def _count(self, view: TransferView, sign: int) -> None:
        self._counts[view.state] += sign
        totals = self._totals
        files, files_done, size, size_done = _weight(view)
        totals[0] += sign * files
        totals[1] += sign * files_done
        totals[2] += sign * size
        totals[3] += sign * size_done

    def _update(self, job: _Job, **changes: object) -> None:
        old = job.view
        job.view = new = old._replace(**changes)
        self._count(old, -1)
        self._count(new, +1)
        if new.state is not old.state:
            if new.state is State.RUNNING:
                self._running[job.id] = job
            elif old.state is State.RUNNING:
                del self._running[job.id]
            self.log.record(new, old.state.value)
        self._changed_job(job)

    def _done(self, job: _Job) -> None:
        """``_update(job, state=State.DONE, done=total)`` of a queued download,
        at a third of its cost: it runs for each file of a pipelined batch."""
        old = job.view
        job.view = new = TransferView(old.id, old.direction, old.name, State.DONE, old.total, old.total)
        self._counts[State.QUEUED] -= 1
        self._counts[State.DONE] += 1
        self._totals[1] += 1
        self._totals[3] += old.total - old.done
        self.log.record(new, State.QUEUED.value)
        self._changed_job(job)

    def _changed_job(self, job: _Job) -> None:
        self._changed[job.id] = job
        self._deliver_soon()

    def _deliver_soon(self) -> None:
        if not self._delivery_posted:
            self._delivery_posted = True
            self._post(self._deliver)

    def _deliver(self) -> None:
        """On the Tk thread: hand the window the latest snapshot of each changed transfer."""
        with self._lock:
            views = [job.view for job in self._changed.values()]
            self._changed.clear()
            self._delivery_posted = False
        if views:
            self._on_change(views)

    def _requeue(self, job: _Job) -> None:
        job.client, job.done, job.claimed = None, 0, False
        job.attempt += 1
        self._update(job, state=State.QUEUED, done=0, speed=0.0, eta=None, error="", error_code="", resumed_from=0)
        self._waiting.append(job.id)

    def _cancel(self, job: _Job) -> FerryClient | None:
        """Cancel ``job``; returns the client to abort (outside the lock), if any."""
        state = job.view.state
        if state.finished or job.publishing:
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
        return job.client  # a claim's batch connection (else None): its bodies are not read on

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
        while self._workers < self._max_parallel and idle < self._counts[State.QUEUED] and self._takeable():
            self._workers += 1
            idle += 1
            worker = _Worker()
            threading.Thread(target=self._work, args=(worker,), name=f"transfers-{id(self):x}-{self._workers}", daemon=True).start()

    def _take(self, worker: _Worker) -> _Job | None:
        """The next queued transfer for ``worker``, now RUNNING; None: the worker leaves."""
        if worker.abandoned:
            return None
        while self._waiting and not self._closed and self._workers <= self._max_parallel and self._takeable():
            job = self._jobs.get(self._waiting.popleft())
            if job is not None and job.view.state is State.QUEUED and not job.claimed:
                job.cancel, job.worker = threading.Event(), worker
                self._update(job, state=State.RUNNING)
                return job
        self._workers -= 1
        return None

    def _claim(self, server: Server, count: int, client: FerryClient) -> list[_Job]:
        """The next (at most ``count``) queued small downloads to ``server``,
        claimed for a batch on ``client``; fewer when the next queued transfer is
        something else (it keeps its turn) or none waits; none when more workers
        run than "At once" allows (it was lowered: the batch ends). A claim
        cancelled or paused aborts ``client``: up to a window of bodies, a
        mebibyte each, would otherwise be read for nothing."""
        jobs: list[_Job] = []
        if self._closed or self._workers > self._max_parallel:
            return jobs
        while len(jobs) < count and (job := self._head()) is not None and (job.server is server or job.server == server) and _small(job):
            self._waiting.popleft()
            job.claimed, job.client = True, client
            jobs.append(job)
        return jobs

    def _head(self) -> _Job | None:
        """The first transfer waiting to be taken (stale ids dropped on the way)."""
        waiting = self._waiting
        while waiting:
            job = self._jobs.get(waiting[0])
            if job is not None and job.view.state is State.QUEUED and not job.claimed:
                return job
            waiting.popleft()
        return None

    def _takeable(self) -> bool:
        """Whether a transfer waits for a worker to take it: not one claimed
        already, nor a small download that a running batch to its server will
        claim. One connection pipelines those as fast as the server answers; a
        second batch's thread only took CPU and the GIL from the first (three
        batches did half the files per second of one)."""
        job = self._head()
        return job is not None and not (self._batching.get(job.server, 0) > 0 and _small(job))

    def _unstart(self, job: _Job, attempt: int) -> None:
        """Queue a running download again at the front, as if it had not started."""
        if job.attempt == attempt and job.view.state is State.RUNNING:
            job.client = None
            self._update(job, state=State.QUEUED, done=0, speed=0.0, eta=None)
            self._waiting.appendleft(job.id)
            self._schedule()

    def _give_back(self, claims: list[tuple[_Job, int]]) -> None:
        """Queue claimed jobs not started again, at the front, in their order."""
        for job, attempt in reversed(claims):
            if job.attempt == attempt and job.view.state is State.QUEUED and job.claimed:
                job.claimed = job.publishing = False
                job.client = None
                self._waiting.appendleft(job.id)
        self._schedule()

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
                    small = job is not None and _small(job)
                    if job is not None and small:  # from now on other workers leave its server's small downloads to this one
                        self._batching[job.server] = self._batching.get(job.server, 0) + 1
                if job is None:
                    return
                try:
                    if small and self._pipelines(job):
                        self._run_batch(job, worker)
                    else:
                        self._run(job, worker)
                finally:
                    if small:
                        with self._lock:
                            self._batching[job.server] -= 1
                            self._schedule()  # what waits is for other workers now
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
            client = self._attach(job, worker, attempt, cancel)
            if client is None:
                return  # cancelled or paused while connecting: already reported
            if job.direction is Direction.DOWNLOAD:
                self._download(job, client, progress, cancel)
            else:
                client.put(cast(Path, job.local), name=job.remote, overwrite=job.overwrite, resume=True, progress=progress, cancel=cancel)
            outcome: BaseException | None = None
        except BaseException as exc:  # noqa: BLE001 -- every failure becomes the row's reason
            self._drop_connection(worker)
            outcome = exc
        self._finish(job, attempt, cancel, outcome)

    def _attach(self, job: _Job, worker: _Worker, attempt: int, cancel: threading.Event) -> FerryClient | None:
        """The worker's connection for ``job``, now the job's (for :meth:`cancel`);
        None when the job was cancelled or paused while it connected."""
        client = self._connection(worker, job.server)
        with self._lock:
            if job.attempt != attempt or job.view.state is not State.RUNNING or cancel.is_set():
                return None
            job.client = client
        return client

    def _finish(self, job: _Job, attempt: int, cancel: threading.Event | None, outcome: BaseException | None) -> None:
        """Report how ``job``'s attempt ended (``outcome`` None: done), unless it was
        paused or cancelled meanwhile (reported already) or retried (a new attempt)."""
        if outcome is None:
            state, error, code = State.DONE, "", ""
        elif (cancel is not None and cancel.is_set()) or isinstance(outcome, TransferCancelled):
            state, error, code = State.CANCELLED, "", ""
            if job.direction is Direction.DOWNLOAD and job.attempt == attempt and job.view.state is State.RUNNING:
                _remove_partial(job)  # cancelled on purpose: nothing to resume
        else:
            state, error, code = State.FAILED, describe(outcome), error_code(outcome)
            if not isinstance(outcome, (FerryError, OSError)):
                log.error("transfer %s failed unexpectedly", job.id, exc_info=outcome)
        with self._lock:
            job.client = None
            finished_anyway = state is State.DONE and job.view.state is State.PAUSED  # paused too late: it is done
            if job.attempt != attempt or not (job.view.state is State.RUNNING or finished_anyway):
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

    # -- small downloads, pipelined (batch_downloads.py) ----------------------

    def _pipelines(self, job: _Job) -> bool:
        """Whether ``job``, a small download just taken, goes with others on a
        pipelined connection: not when it has a partial file to continue (only
        the single-file path resumes) or a name that cannot be saved."""
        try:
            local = _local(job)
        except FerryError:
            return False  # the single-file path fails it with the reason
        return not default_records().has(job.origin, job.remote, local)

    def _run_batch(self, job: _Job, worker: _Worker) -> None:
        attempt, cancel = job.attempt, job.cancel
        assert cancel is not None and job.local is not None
        try:
            client = self._attach(job, worker, attempt, cancel)
            if client is None:
                return
            batch = _Batch(self, client, job.server)
            with self._lock:
                self._batches.add(batch)
            try:
                download_batch(client, batch, Claim(job, attempt, job.remote, job.local, cancel), self.verify)
            finally:
                with self._lock:
                    self._batches.discard(batch)
        except BatchBroken as broken:
            self._drop_connection(worker)
            if broken.running is None:
                return  # the break came after the first download, while claims were read
            if isinstance(broken.cause, TransferCancelled) and not cancel.is_set():
                with self._lock:  # aborted for a claim behind it, cancelled or paused: it goes back, as they do
                    self._unstart(job, attempt)
            else:
                self._finish(job, attempt, cancel, broken.cause)
        except BaseException as exc:  # noqa: BLE001 -- connecting failed: the row's reason
            self._drop_connection(worker)
            self._finish(job, attempt, cancel, exc)

    @staticmethod
    def _drop_connection(worker: _Worker) -> None:
        """After a failure the connection may be mid-answer: never reuse it."""
        client, worker.client = worker.client, None
        if client is not None:
            client.close()

    def _download(self, job: _Job, client: FerryClient, progress: Callable[[int, int], None], cancel: threading.Event) -> None:
        """Download with resume: a retry or a resume continues the bytes this job's
        last attempt left (recorded by the client library, never guessed from a file name)."""
        local = _local(job)
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


class _Batch:
    """The queue's side of one worker's pipelined batch (batch_downloads.Ledger).
    ``outstanding``: claims handed out and not finished nor given back (under
    the queue's lock)."""

    def __init__(self, queue: TransferQueue, client: FerryClient, server: Server) -> None:
        self.queue, self.client, self.server = queue, client, server
        records = default_records()
        self.records = records if records.any() else None
        self.folders: dict[Path, Path] = {}  # each download folder, resolved once
        self.outstanding = 0

    def claim(self, count: int) -> list[Claim]:
        queue = self.queue
        with queue._lock:
            jobs = queue._claim(self.server, count, self.client)
            self.outstanding += len(jobs)
        claims, alone = [], []
        for job in jobs:
            try:  # outside the lock: a name is resolved on the disk
                local = _local(job, self.folders)
                if self.records is None or not self.records.has(job.origin, job.remote, local):
                    claims.append(Claim(job, job.attempt, job.remote, local))
                    continue
            except FerryError:
                pass
            job.alone = True  # for the single-file path: it resumes, or fails with the reason
            alone.append(Claim(job, job.attempt, job.remote, Path()))
        if alone:
            self.give_back(alone)
        return claims

    def publishing(self, claim: Claim) -> bool:
        job = claim.job
        with self.queue._lock:
            if claim.cancel is not None:  # the first download: RUNNING, as a single one
                return job.attempt == claim.attempt and job.view.state is State.RUNNING and not claim.cancel.is_set()
            if _current(claim):
                job.publishing = True
                return True
            return False

    def finish(self, claim: Claim, failure: BaseException | None) -> None:
        queue, job = self.queue, claim.job
        if claim.cancel is not None:
            queue._finish(job, claim.attempt, claim.cancel, failure)
            return
        with queue._lock:
            self.outstanding -= 1
            if not _current(claim):
                return  # stale: cancelled, paused or retried since it was claimed
            job.claimed = job.publishing = False
            job.client = None
            if failure is None:
                queue._done(job)
            else:
                queue._update(job, state=State.FAILED, error=describe(failure), error_code=error_code(failure))

    def give_back(self, claims: list[Claim]) -> None:
        with self.queue._lock:
            self.outstanding -= len(claims)
            self.queue._give_back([(claim.job, claim.attempt) for claim in claims])


def _current(claim: Claim) -> bool:
    """Whether a claim's job is still as it was claimed (under the queue's lock)."""
    job = claim.job
    return job.attempt == claim.attempt and job.view.state is State.QUEUED and job.claimed


def _small(job: _Job) -> bool:
    """A download that goes in a pipelined batch if it has no partial file to continue."""
    return job.direction is Direction.DOWNLOAD and job.total <= SMALL_FILE and not job.alone


def _local(job: _Job, folders: dict[Path, Path] | None = None) -> Path:
    """A download's local file, resolved once, by its worker; ``bad_name`` if it
    cannot be one. ``folders``: download folders resolved already, by a batch."""
    if job.local is None:
        assert job.directory is not None
        if folders is None:
            job.local = local_path(job.directory, job.local_name)
        else:
            if job.directory not in folders:
                folders[job.directory] = job.directory.resolve()
            job.local = local_path_in(folders[job.directory], job.local_name)
    return job.local


def _remove_partial(job: _Job) -> None:
    """Forget a download's resume record and delete its temp file."""
    if job.local is not None:  # None: it never started
        default_records().discard(job.origin, job.remote, job.local)
