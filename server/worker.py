"""A worker process: one asyncio event loop serving many sessions.

The loop is created here, after fork, so no two processes ever share an epoll
instance (pyftpdlib's prefork mode shares one and drops clients under load).
Connections arrive from the parent as fds on the control socket; the worker
keeps its load and a heartbeat in counters the parent reads
(control.LoadCounters), and drains when told to, when it gets SIGTERM, or when
the parent disappears (the control socket reaches EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from ferry_files.shared import __version__
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.framing import encode_header
from ferry_files.shared.messages import greeting

from . import control, web
from .config import ServerConfig
from .connection import Connection
from .fd_budget import FdBudget
from .features import offered
from .inherited import Inherited
from .session import ServeContext, Session
from .storage import Library
from .tls import TlsConnection

if TYPE_CHECKING:
    from .web.guard import Guard

log = logging.getLogger(__name__)

#: Shared by all sessions of this worker (see connection.py for why that is safe).
RECV_BUFFER_BYTES = 1 << 20
#: A refused client gets this long to complete TLS and take its "busy"...
REFUSAL_TIMEOUT = 2.0
#: ...and at most this many wait for it at once in a worker (fd_budget.py).
MAX_PENDING_REFUSALS = 16
_BUSY = encode_header(FerryError(ErrorCode.BUSY, "the server is at its connection limit; try again later").to_wire())
#: What a refused client is told, by the protocol its listener speaks.
_BUSY_IN = {control.FERRY: _BUSY, control.HTTP: web.BUSY_RESPONSE}


class Closable(Protocol):
    def close(self) -> None: ...


class AnySession(Protocol):
    """A Ferry session (session.py) or an HTTP one (web/session.py), as the worker manages them."""

    @property
    def parked(self) -> bool: ...

    def start(self) -> None: ...

    def overdue(self, now: float) -> bool: ...

    def expire(self) -> None: ...

    def cancel(self) -> None: ...


def worker_main(
    control_sock: socket.socket,
    counters: control.LoadCounters,
    config: ServerConfig,
    inherited: Inherited,
    parent_only: Iterable[Closable],
) -> None:
    """Entry point in the forked child. ``parent_only`` are the parent's own sockets
    and selector, closed here through their objects so no fd number is closed twice."""
    for thing in parent_only:
        thing.close()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group; the parent decides
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a reload is the parent's (supervisor.py)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file size limit must fail a write, not kill us
    asyncio.run(Worker(control_sock, counters, config, inherited).serve())


class Worker:
    def __init__(self, control_sock: socket.socket, counters: control.LoadCounters, config: ServerConfig, inherited: Inherited) -> None:
        self.control = control_sock
        self.counters = counters
        self.config = config
        self.inherited = inherited
        self.sessions: set[AnySession] = set()
        self._web_guard: Guard | None = None  # made at the first HTTP client (web/guard.py)
        self.refusals: dict[asyncio.Task[None], None] = {}  # TLS clients waiting for "busy", oldest first
        self.received = 0
        self.draining = False
        self.tls = inherited.tls  # never loaded here: see inherited.py

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        library = Library(self.inherited.root_fd, fsync=config.fsync, resume_hours=config.resume_hours)
        features = offered(config)
        self.context = ServeContext(
            config=config,
            library=library,
            greeting=encode_header(greeting(f"ferry/{__version__}", config.auth_mode, config.max_upload, features)),
            features=features,
            buffer=memoryview(bytearray(RECV_BUFFER_BYTES)),
            token=config.token.encode("utf-8") if config.token is not None else None,
            fds=FdBudget.of_this_process(),  # last: it counts the fds opened above as the base
        )
        library.resume_removals()  # what earlier deletes left in the trash, on its own thread
        self._done: asyncio.Future[None] = loop.create_future()
        self.control.setblocking(False)
        loop.add_reader(self.control.fileno(), self._on_control)
        loop.add_signal_handler(signal.SIGTERM, self.drain)
        watchdog = loop.create_task(self._watchdog())
        heartbeat = loop.create_task(self._heartbeat())
        with contextlib.suppress(OSError):  # a parent already gone: its EOF comes next and drains us
            self.control.send(control.READY)
        try:
            await self._done
        finally:
            watchdog.cancel()
            heartbeat.cancel()
            loop.remove_reader(self.control.fileno())
            library.close()

    # -- the parent's messages ------------------------------------------------

    def _on_control(self) -> None:
        while True:
            try:
                message, fds, flags, _ = socket.recv_fds(self.control, 16, 1)
            except BlockingIOError:
                return
            except OSError:
                message, fds, flags = b"", [], 0
            if not message:
                log.warning("the parent is gone; draining")
                asyncio.get_running_loop().remove_reader(self.control.fileno())
                self.drain()
                return
            if flags & socket.MSG_CTRUNC:
                log.error("a connection was lost in hand-over: this process is out of file descriptors")
            kind, protocol = message[:1], message[1:2] or control.FERRY
            if kind in (control.SERVE, control.REFUSE):
                # Counted even when its fd was lost (MSG_CTRUNC): the parent's view of
                # our load is sent - received, and a hand-over never counted here would
                # count against this worker forever, until it refused everyone as busy.
                self.received += 1
            for fd in fds:
                if kind == control.SERVE:
                    self._serve(socket.socket(fileno=fd), protocol)
                else:
                    self._refuse(socket.socket(fileno=fd), protocol)
            if kind == control.DRAIN:
                self.drain()
            self._report_load()

    def _connection(self, sock: socket.socket) -> Connection:
        if self.tls is not None:
            return TlsConnection(sock, self.tls, self.config.header_timeout)
        return Connection(sock)

    def _serve(self, sock: socket.socket, protocol: bytes) -> None:
        if not self.context.fds.admit():  # the parent counts sessions; only we know their files
            self._refuse(sock, protocol)
            return
        session: AnySession
        if protocol == control.HTTP:
            session = self._web_session(self._connection(sock))
        else:
            session = Session(self.context, self._connection(sock), self._session_ended)
        self.sessions.add(session)
        session.start()

    def _web_session(self, conn: Connection) -> AnySession:
        """Imported here, not at the top: h11 may be missing (``python3 -S``), and the
        parent then opens no HTTP listener, so this never runs (web/__init__.py)."""
        from .web.guard import Guard
        from .web.session import WebSession

        if self._web_guard is None:
            self._web_guard = Guard(self.config)
        return WebSession(self.context, self._web_guard, conn, self._session_ended)

    def _refuse(self, sock: socket.socket, protocol: bytes = control.FERRY) -> None:
        if self.tls is None:
            # Plain TCP: one non-blocking send fits in any fresh socket buffer, so say
            # "busy" and free the fd at once. Refusals come in bursts exactly when fds
            # are short; holding each one for a task to run would lose the rest of the
            # burst to EMFILE (dropped without a word).
            try:
                sock.setblocking(False)
                sock.send(_BUSY_IN[protocol])
            except OSError:
                pass
            sock.close()
            return
        # TLS: the client must complete a handshake to hear "busy", and holds an fd
        # meanwhile. A crowd of connections that never say a word would take every
        # fd the admitted sessions need; at most MAX_PENDING_REFUSALS wait, the
        # oldest cut off to make room (it had the longest to handshake).
        if len(self.refusals) >= MAX_PENDING_REFUSALS:
            oldest = next(iter(self.refusals))
            del self.refusals[oldest]
            oldest.cancel()
        if not self.context.fds.admit():
            sock.close()  # not even the fd to say it: out of fds
            return
        conn = self._connection(sock)
        task = asyncio.get_running_loop().create_task(self._say_busy(conn, _BUSY_IN[protocol]))
        self.refusals[task] = None
        task.add_done_callback(functools.partial(self._refusal_done, conn))

    @staticmethod
    async def _say_busy(conn: Connection, busy: bytes) -> None:
        """``busy`` instead of the greeting (or a 503), inside TLS."""
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await asyncio.wait_for(conn.start(), REFUSAL_TIMEOUT)
            await asyncio.wait_for(conn.send_all(busy), REFUSAL_TIMEOUT)

    def _refusal_done(self, conn: Connection, task: asyncio.Task[None]) -> None:
        """Close the connection once its task is over (told, timed out, or cut off),
        never under it: the task may still unregister its fd from the loop."""
        self.refusals.pop(task, None)
        conn.close()
        self.context.fds.release()

    def _session_ended(self, session: AnySession) -> None:
        self.sessions.discard(session)
        self.context.fds.release()
        self._report_load()
        if self.draining and not self.sessions:
            self._finish()

    def _report_load(self) -> None:
        self.counters.store(self.received, len(self.sessions))

    # -- stopping -------------------------------------------------------------

    def drain(self) -> None:
        """Close idle sessions now, let busy ones finish their request, stop after
        ``grace`` seconds at the latest."""
        if self.draining:
            return
        self.draining = self.context.draining = True
        for session in list(self.sessions):
            if session.parked:  # busy ones stop after their current request
                session.cancel()
        asyncio.get_running_loop().call_later(self.config.grace, self._stop_now)
        if not self.sessions:
            self._finish()

    def _stop_now(self) -> None:
        if self.sessions:
            log.warning("grace period over: closing %d sessions", len(self.sessions))
        for session in list(self.sessions):
            session.cancel()
        asyncio.get_running_loop().call_soon(self._finish)

    def _finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)

    async def _watchdog(self) -> None:
        """One timer for all sessions instead of one per read: cheap when thousands idle."""
        period = min(1.0, self.config.idle_timeout / 4, self.config.header_timeout / 4)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for session in list(self.sessions):
                if session.overdue(now):
                    session.expire()

    async def _heartbeat(self) -> None:
        """Tell the parent the loop still runs. Anything slow (hashing, fsync, a
        pass over a large folder) runs on threads, so only a stopped process or a
        loop stuck in a bug misses beats (supervisor.py)."""
        while True:
            self.counters.beat()
            await asyncio.sleep(control.HEARTBEAT_INTERVAL)
