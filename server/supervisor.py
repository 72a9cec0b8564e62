"""The parent process: one loop that accepts, dispatches and supervises.

Signal handlers only record the signal; the loop wakes (via the wakeup fd) and
handles it by name. A worker's exit shows up as its sentinel fd becoming
readable: the loop reaps it at once (no zombie) and starts a replacement, which
inherits the same library fd and certificate (inherited.py). A worker that
stops beating is passed over, then killed (``--worker-timeout``). The parent
never serves a client itself and never blocks: every socket it touches is
non-blocking, and the select timeout is the next deadline it has (at most the
heartbeat check's half second).
"""

from __future__ import annotations

import functools
import gc
import logging
import resource
import selectors
import signal
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from . import control
from .acceptor import Acceptor
from .config import ServerConfig
from .inherited import Inherited, load_tls
from .storage import remove_uploads_of
from .worker_handle import WorkerHandle

log = logging.getLogger(__name__)

#: Workers have this long to report ready at start.
BOOT_TIMEOUT = 30.0
#: Exit status when a worker cannot even start (a respawn loop would not help).
EXIT_WORKER_BOOT_FAILED = 3


#: A worker silent this long (or --worker-timeout, if shorter) gets no new clients
#: until it beats again: four missed beats, which no busy worker misses because
#: its slow work runs on threads.
LATE_AFTER = 2.0
#: How often the parent reads the heartbeats.
HEARTBEAT_CHECK = control.HEARTBEAT_INTERVAL

#: File descriptors a worker keeps for everything but sessions: open files, the
#: executor, the control socket, and a refused client it still has to tell "busy".
FD_RESERVE = 64


class WorkerBootError(RuntimeError):
    pass


def session_capacity() -> int:
    """How many sessions one worker can hold before it runs out of fds. Raises the
    soft fd limit to the hard one first: the usual 1,024 is far too few for a
    server meant to hold 10,000 idle sessions."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):
            pass
    return max(1, soft - FD_RESERVE)


class Supervisor:
    def __init__(
        self,
        config: ServerConfig,
        inherited: Inherited,
        listener: socket.socket,
        on_ready: Callable[[], None],
        web_listener: socket.socket | None = None,
        on_drain: Callable[[], None] = lambda: None,
        on_reload: Callable[[], None] = lambda: None,
        on_tick: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.inherited = inherited  # what every worker started from now on inherits
        # Both listeners feed the same workers: a connection carries its protocol's tag.
        self.acceptors = [Acceptor(listener, control.FERRY)]
        if web_listener is not None:
            self.acceptors.append(Acceptor(web_listener, control.HTTP))
        self.on_ready = on_ready  # accepting: print the addresses, start announcing
        self.on_drain = on_drain  # no longer accepting: stop announcing
        self.on_reload = on_reload  # a new certificate: announce its fingerprint
        self.on_tick = on_tick  # every heartbeat check: reap a helper process that died
        self.selector = selectors.DefaultSelector()
        self.workers: dict[int, WorkerHandle] = {}  # by index: the ones clients are handed to
        self.retiring: list[WorkerHandle] = []  # draining after a reload; not replaced when they exit
        self.pending_signals: list[int] = []
        self.wakeup_r, self.wakeup_w = socket.socketpair()
        self.stop_deadline: float | None = None
        self.accepting = False
        self.accept_paused = False  # out of fds: resume at acceptor.paused_until
        self.worker_capacity = session_capacity()
        self.waiting: deque[tuple[socket.socket, bytes]] = deque()  # accepted (with its protocol), not yet handed to a worker
        self.hand_over_blocked = False
        self.late_after = min(LATE_AFTER, config.worker_timeout)
        self.heartbeats_checked = time.monotonic()

    # -- the loop -------------------------------------------------------------

    def run(self) -> int:
        self._install_signal_handlers()
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, self._on_wakeup)
        # Objects the workers inherit stay out of their garbage collector's sight, so
        # collections in a worker do not write to (and so copy) inherited pages.
        gc.freeze()
        try:
            for index in range(self.config.workers):
                self._spawn(index)
            self._wait_until_ready()
            if self.stop_deadline is None:
                self._start_accepting()
                self.on_ready()
            while self._handles() or self.stop_deadline is None:
                self._run_once()
        except WorkerBootError as exc:
            log.error("%s", exc)
            self.stop_deadline = time.monotonic()
            self._kill_all()
            return EXIT_WORKER_BOOT_FAILED
        log.info("stopped")
        return 0

    def _run_once(self, timeout: float | None = None) -> None:
        for key, _ in self.selector.select(self._select_timeout() if timeout is None else timeout):
            key.data()
        self._handle_signals()
        self._check_deadlines()

    def _select_timeout(self) -> float:
        deadlines = [self.heartbeats_checked + HEARTBEAT_CHECK]
        if self.accept_paused:
            deadlines.append(self._paused_until)
        if self.stop_deadline is not None:
            deadlines.append(self.stop_deadline)
        return max(0.0, min(deadlines) - time.monotonic())

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        if self.accept_paused and now >= self._paused_until:
            self.accept_paused = False
            if not self.hand_over_blocked:
                self._start_accepting()
        if self.stop_deadline is not None and now >= self.stop_deadline and self._handles():
            log.warning("workers still running after the grace period; killing them")
            self._kill_all()
        if now >= self.heartbeats_checked + HEARTBEAT_CHECK:
            self._check_heartbeats(now)
            self.on_tick()

    def _check_heartbeats(self, now: float) -> None:
        """gunicorn's worker timeout: a worker whose loop has stopped (SIGSTOP, a
        bug that never yields) would keep receiving clients that never hear a
        greeting. Late: no new clients until it beats again. Silent past
        ``--worker-timeout``: killed, and replaced when it is reaped."""
        if now - self.heartbeats_checked > self.late_after:
            log.warning("the supervisor itself did not run for %.1fs; not judging the workers this time", now - self.heartbeats_checked)
            for handle in self._handles():
                handle.excuse(now)
        self.heartbeats_checked = now
        for handle in self._handles():
            if handle.killed:  # reaped in a moment
                continue
            silence = handle.silence(now)
            if silence >= self.config.worker_timeout and self.stop_deadline is None:
                log.error(
                    "worker %d (pid %s) sent no heartbeat for %.1fs (--worker-timeout %g); killing it",
                    handle.index,
                    handle.pid,
                    silence,
                    self.config.worker_timeout,
                )
                handle.late = True
                handle.kill()
            elif silence >= self.late_after and not handle.late:
                handle.late = True
                log.warning("worker %d (pid %s) is late: no heartbeat for %.1fs; no new clients for it", handle.index, handle.pid, silence)
            elif silence < self.late_after and handle.late:
                handle.late = False
                log.info("worker %d (pid %s) is beating again; it gets clients again", handle.index, handle.pid)

    # -- workers --------------------------------------------------------------

    def _handles(self) -> list[WorkerHandle]:
        """Every worker still running, retiring ones included."""
        return [*self.workers.values(), *self.retiring]

    def _spawn(self, index: int) -> None:
        parent_only = [*(a.listener for a in self.acceptors), self.selector, self.wakeup_r, self.wakeup_w]
        parent_only += [w.control for w in self._handles()]
        handle = WorkerHandle.start(index, self.config, self.inherited, parent_only)
        self.workers[index] = handle
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.hand_over_blocked else 0)
        self.selector.register(handle.control, events, self._control_callback(handle))
        self.selector.register(handle.sentinel, selectors.EVENT_READ, lambda: self._on_worker_exit(handle))
        log.debug("started worker %d (pid %s)", index, handle.pid)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while not all(w.ready for w in self.workers.values()):
            if self.stop_deadline is not None:
                return
            if time.monotonic() > deadline:
                raise WorkerBootError("workers did not start in time")
            self._run_once(timeout=0.1)

    def _on_worker_exit(self, handle: WorkerHandle) -> None:
        self.selector.unregister(handle.control)
        self.selector.unregister(handle.sentinel)
        was_ready = handle.ready
        status = handle.reap()
        retired = handle in self.retiring
        if retired:
            self.retiring.remove(handle)
        else:
            del self.workers[handle.index]
        removed = remove_uploads_of(self.inherited.root_fd, handle.pid) if handle.pid is not None else 0
        if removed:
            log.warning("removed %d unfinished uploads of worker %d (pid %s)", removed, handle.index, handle.pid)
        if self.stop_deadline is not None or retired:
            log.info("worker %d (pid %s) finished", handle.index, handle.pid)
            return
        if not was_ready and status is not None and status > 0:  # its own failure, not a kill
            raise WorkerBootError(f"worker {handle.index} exited with status {status} before it was ready")
        how = f"signal {-status}" if status is not None and status < 0 else f"status {status}"
        log.error("worker %d (pid %s) died (%s); starting a new one", handle.index, handle.pid, how)
        self._spawn(handle.index)

    def _kill_all(self) -> None:
        for handle in self._handles():
            handle.kill()
            handle.process.join()
            self._on_worker_exit(handle)

    # -- connections ----------------------------------------------------------

    @property
    def _paused_until(self) -> float:
        """Both listeners share the process's fds: when one runs out, both pause."""
        return max(a.paused_until for a in self.acceptors)

    def _start_accepting(self) -> None:
        if not self.accepting:
            for acceptor in self.acceptors:
                self.selector.register(acceptor.listener, selectors.EVENT_READ, functools.partial(self._on_accept, acceptor))
            self.accepting = True

    def _stop_accepting(self) -> None:
        if self.accepting:
            for acceptor in self.acceptors:
                self.selector.unregister(acceptor.listener)
            self.accepting = False

    def _on_accept(self, acceptor: Acceptor) -> None:
        self.waiting.extend((conn, acceptor.protocol) for conn in acceptor.accept_batch())
        self._hand_over_waiting()
        if self._paused_until > time.monotonic():
            self._stop_accepting()
            self.accept_paused = True

    def _hand_over_waiting(self) -> None:
        """Pass accepted connections on, oldest first. A worker's control socket holds
        only a few messages (net.unix.max_dgram_qlen); when every queue is full,
        the rest wait here, the listener is left alone (the kernel's backlog holds
        newcomers) and the control sockets are watched until they can take more."""
        while self.waiting:
            if not self._dispatch(*self.waiting[0]):
                break
            self.waiting.popleft()[0].close()  # the worker holds its own copy now
        self._watch_hand_overs(blocked=bool(self.waiting))

    def _watch_hand_overs(self, blocked: bool) -> None:
        if blocked == self.hand_over_blocked:
            return
        self.hand_over_blocked = blocked
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if blocked else 0)
        for handle in self.workers.values():
            self.selector.modify(handle.control, events, self._control_callback(handle))
        if blocked:
            self._stop_accepting()
        elif self.stop_deadline is None and not self.accept_paused:
            self._start_accepting()

    def _control_callback(self, handle: WorkerHandle) -> Callable[[], None]:
        def on_control() -> None:
            handle.read_reports()
            if self.waiting:
                self._hand_over_waiting()

        return on_control

    def _dispatch(self, conn: socket.socket, protocol: bytes) -> bool:
        """To the least-loaded worker that can take it; as a refusal (``busy``) when
        the server is at ``--max-connections`` or even that worker is at its fd
        capacity. False when no worker's queue has room.

        Late workers are passed over while any other can serve. When all are late
        the client still goes to one: a machine too loaded to run the workers for
        a while is likelier than all of them stuck at once, and a queued client
        is served when its worker runs again (or loses its connection when the
        worker is replaced), where ``busy`` would turn everyone away."""
        total = sum(w.load for w in self._handles())
        workers = sorted((w for w in self.workers.values() if not w.late), key=lambda w: w.load)
        workers = workers or sorted(self.workers.values(), key=lambda w: w.load)
        full = total >= self.config.max_connections or (workers and workers[0].load >= self.worker_capacity)
        kind = control.REFUSE if full else control.SERVE
        return any(worker.hand_over(conn, kind, protocol) for worker in workers)

    # -- signals and shutdown -------------------------------------------------

    def _install_signal_handlers(self) -> None:
        self.wakeup_w.setblocking(False)
        self.wakeup_r.setblocking(False)
        signal.set_wakeup_fd(self.wakeup_w.fileno(), warn_on_full_buffer=False)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda signum, frame: self.pending_signals.append(signum))

    def _on_wakeup(self) -> None:
        try:
            while self.wakeup_r.recv(256):
                pass
        except BlockingIOError:
            pass

    def _handle_signals(self) -> None:
        while self.pending_signals:
            signum = self.pending_signals.pop(0)
            if signum == signal.SIGHUP:
                self._reload()
            elif self.stop_deadline is None:
                self._begin_shutdown(signal.Signals(signum).name)
            else:
                log.warning("%s again: stopping now", signal.Signals(signum).name)
                self._kill_all()

    def _reload(self) -> None:
        """SIGHUP: load the certificate and key again from their paths and replace
        every worker with one that inherits them. The new workers take every new
        client from now on, so no two certificates are ever offered to new clients
        at once; the old ones drain as on SIGTERM (idle sessions close, transfers
        finish within ``--grace``) and are not replaced when they exit. A pair
        that does not load changes nothing."""
        if self.stop_deadline is not None:
            log.info("SIGHUP while stopping: ignored")
            return
        if self.inherited.tls is None:
            log.info("SIGHUP: no TLS certificate to reload; nothing changes")
            return
        try:
            tls = load_tls(self.config)
        except (OSError, ssl.SSLError) as exc:
            log.error("SIGHUP: cannot reload the TLS certificate and key (%s); still serving the old ones", exc)
            return
        self.inherited = replace(self.inherited, tls=tls)
        log.info("SIGHUP: reloaded the TLS certificate and key; replacing the workers")
        for handle in list(self.workers.values()):
            self._retire(handle)
            self._spawn(handle.index)
        self.on_reload()

    def _retire(self, handle: WorkerHandle) -> None:
        del self.workers[handle.index]
        self.retiring.append(handle)
        self.selector.modify(handle.control, selectors.EVENT_READ, self._control_callback(handle))  # no hand-overs
        handle.drain()

    def _begin_shutdown(self, reason: str) -> None:
        """Stop accepting, tell workers to drain; they exit by themselves within
        ``grace`` seconds, and are killed a little after that if they do not."""
        log.info("%s: no longer accepting; draining for up to %gs", reason, self.config.grace)
        self._stop_accepting()
        self.accept_paused = False
        for acceptor in self.acceptors:
            acceptor.close()
        while self.waiting:
            self.waiting.popleft()[0].close()
        self.stop_deadline = time.monotonic() + self.config.grace + 1.0
        for worker in self.workers.values():
            worker.drain()
        self.on_drain()
