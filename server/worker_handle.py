"""The parent's view of one worker process: start it, hand it connections, read
its load and its heartbeat, and know when it is gone."""

from __future__ import annotations

import logging
import multiprocessing
import socket
import time
from collections.abc import Iterable

from . import control
from .config import ServerConfig
from .inherited import Inherited
from .worker import Closable, worker_main

log = logging.getLogger(__name__)

# Fork, explicitly: the parent is single-threaded when it forks, the child needs
# nothing re-imported, and ``python3 -S`` keeps working (spawn would re-exec).
_CONTEXT = multiprocessing.get_context("fork")
#: Longest wait for an exiting worker to be collectable; in practice microseconds.
REAP_TIMEOUT = 5.0


class WorkerHandle:
    def __init__(
        self, index: int, process: multiprocessing.process.BaseProcess, control_sock: socket.socket, counters: control.LoadCounters
    ) -> None:
        self.index = index
        self.process = process
        self.control = control_sock
        self.counters = counters
        self.ready = False
        self.sent = 0  # connections handed over
        self.late = False  # silent too long: gets no new clients until it beats again
        self.killed = False  # silent past --worker-timeout: SIGKILLed, not yet reaped
        self._beats_seen = 0
        self._beat_seen_at = time.monotonic()

    @classmethod
    def start(cls, index: int, config: ServerConfig, inherited: Inherited, parent_only: Iterable[Closable]) -> WorkerHandle:
        parent_end, child_end = control.control_pair()
        counters = control.LoadCounters()
        process = _CONTEXT.Process(
            target=worker_main, args=(child_end, counters, config, inherited, [*parent_only, parent_end]), name=f"worker-{index}"
        )
        process.start()
        child_end.close()
        parent_end.setblocking(False)
        return cls(index, process, parent_end, counters)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    @property
    def load(self) -> int:
        """Sessions open plus connections on their way (sent, not yet received)."""
        received, active = self.counters.read()
        return active + self.sent - received

    def silence(self, now: float) -> float:
        """Seconds since the worker's heartbeat counter last moved (or since it was
        started, before its first beat)."""
        beats = self.counters.beats()
        if beats != self._beats_seen:
            self._beats_seen = beats
            self._beat_seen_at = now
        return now - self._beat_seen_at

    def excuse(self, now: float) -> None:
        """Forget the silence so far: the parent itself was not running to see the
        beats, so it cannot tell a stuck worker from a busy machine."""
        self._beat_seen_at = now

    def hand_over(self, conn: socket.socket, kind: bytes = control.SERVE, protocol: bytes = control.FERRY) -> bool:
        """Pass ``conn`` to the worker, tagged with the ``protocol`` it speaks; False
        if its queue is full or it is gone. The caller closes its own copy either way."""
        try:
            socket.send_fds(self.control, [kind + protocol], [conn.fileno()])
        except OSError:
            return False
        self.sent += 1
        return True

    def read_reports(self) -> None:
        while True:
            try:
                message = self.control.recv(64)
            except BlockingIOError:
                return
            except OSError:
                return  # the worker died; its sentinel tells the supervisor
            if not message:
                return
            if message[:1] == control.READY:
                self.ready = True

    def drain(self) -> None:
        try:
            self.control.send(control.DRAIN)
        except OSError:
            pass

    def reap(self) -> int | None:
        """Collect the exited process (no zombie) and release the control socket.

        The sentinel turns readable when the child closes its fds, a moment before
        it is a zombie that waitpid can collect; join(0) would use WNOHANG and
        could miss it, so block, briefly, in waitpid."""
        self.process.join(REAP_TIMEOUT)
        self.control.close()
        return self.process.exitcode

    def kill(self) -> None:
        self.killed = True
        self.process.kill()
