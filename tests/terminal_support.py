"""Helpers for the terminal client's tests: run ``run_client.py`` as a real
subprocess, put a cutting relay between it and the real server, play a scripted
(hostile) server, and drive the client in a real pseudo-terminal.

Nothing here sleeps to synchronise: the relay reports through events what it
has passed on, and the pty reader waits for the text it expects, with a deadline.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUN_CLIENT = REPO / "run_client.py"
#: Every client run ends within this, or the test fails.
RUN_TIMEOUT = 30.0


def client_command(*args: str) -> list[str]:
    # -S: no site-packages, so the client is proven to need only the standard library.
    return [sys.executable, "-S", str(RUN_CLIENT), *args]


def client_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FERRY_TOKEN", "COLUMNS", "LINES")}
    env.update(TZ="UTC", PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


def run_client(
    *args: str,
    input: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    **kwargs,
) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    if input is None:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(client_command(*args), input=input, text=True, cwd=cwd, env=env or client_env(), timeout=RUN_TIMEOUT, **kwargs)


def interrupt_when_flowing(relay, *args: str) -> tuple[subprocess.Popen[str], str, str]:
    """Run the client through ``relay``, press Ctrl+C once the body is flowing
    (and held, so it cannot finish); the process and what it printed."""
    proc = subprocess.Popen(
        client_command(relay.address, *args),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=client_env(),
    )  # fmt: skip
    try:
        assert relay.limit_reached.wait(30)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc, stdout, stderr


def address_of(server) -> str:
    host, port = server.address
    return f"{host}:{port}"


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on: bound (so no one else takes it) but not listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def drop_file_read_override() -> None:
    """For preexec_fn: take away root's right to read any file (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH), so that file permissions apply to the client."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# -- a relay that cuts the connection --------------------------------------------


class CuttingRelay:
    """Forwards TCP between the client and ``upstream``, but passes at most
    ``downstream_limit`` bytes server→client (or ``upstream_limit`` client→server)
    on each connection. Then it closes both sides, as a dying server or network
    would, or with ``hold=True`` keeps them open and silent, as a stalled one would.

    ``accept_count`` connections are accepted; after that the port refuses.
    ``limit_reached`` is set when a connection hits its limit.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        downstream_limit: int | None = None,
        upstream_limit: int | None = None,
        hold: bool = False,
        accept_count: int = 100,
    ) -> None:
        self.upstream = upstream
        self.limits = {"down": downstream_limit, "up": upstream_limit}
        self.hold = hold
        self.accept_count = accept_count
        self.limit_reached = threading.Event()
        self.release = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> CuttingRelay:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close() alone does not)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(RUN_TIMEOUT)
        for sock in self._sockets:
            sock.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        with self._listener:
            for _ in range(self.accept_count):
                try:
                    client, _ = self._listener.accept()
                except OSError:
                    return
                server = socket.create_connection(self.upstream)
                self._sockets += [client, server]
                self._spawn(self._pump, server, client, "down")
                self._spawn(self._pump, client, server, "up")

    def _pump(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        limit = self.limits[direction]
        passed = 0
        try:
            while limit is None or passed < limit:
                data = source.recv(min(65536, limit - passed) if limit is not None else 65536)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
                passed += len(data)
        except OSError:
            return
        self.limit_reached.set()
        if self.hold:
            self.release.wait(RUN_TIMEOUT)
        for sock in (source, sink):  # the cut: both ends see the connection end at once
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


# -- a scripted server -----------------------------------------------------------


class ScriptedServer:
    """Accepts one connection, sends ``greeting``, then answers the n-th request
    line with ``replies[n]`` (raw bytes), and closes after the last one. For what
    the real server never sends: hostile names, codes and messages."""

    GREETING = b'{"ferry":1,"server":"scripted/0","auth":false,"max_upload":null}\n'

    def __init__(self, replies: list[bytes], greeting: bytes = GREETING) -> None:
        self.replies = replies
        self.greeting = greeting
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(RUN_TIMEOUT)

    def _serve(self) -> None:
        self._listener.settimeout(RUN_TIMEOUT)
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as requests:
            conn.sendall(self.greeting)
            for reply in self.replies:
                if not requests.readline():
                    return
                conn.sendall(reply)


# -- a real terminal -------------------------------------------------------------


class PtyClient:
    """``run_client.py`` with stdin, stdout and stderr on a pseudo-terminal, as a
    person runs it. :meth:`expect` reads what it printed until a text appears."""

    def __init__(self, *args: str, cwd: Path | None = None, columns: int = 100, command: list[str] | None = None) -> None:
        """``command``: the program to run instead of ``run_client.py`` (it gets ``args``)."""
        master, slave = pty.openpty()
        _set_size(slave, rows=30, columns=columns)
        self.proc = subprocess.Popen(
            [*command, *args] if command is not None else client_command(*args),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=client_env(TERM="xterm"),
            start_new_session=True,  # the pty becomes its controlling terminal, so ^C is a real SIGINT
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        self.master = master
        self.output = ""
        self._seen = 0

    def expect(self, text: str, timeout: float = RUN_TIMEOUT) -> str:
        """Read until ``text`` shows up after what earlier calls matched; return
        everything read up to and including it."""
        deadline = time.monotonic() + timeout
        while (found := self.output.find(text, self._seen)) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{self.output[self._seen :]!r}")
        start, self._seen = self._seen, found + len(text)
        return self.output[start : self._seen]

    def send(self, text: str) -> None:
        """Type ``text``. Typing into a terminal whose program has exited is no error
        (what it shows next is what tests check)."""
        with contextlib.suppress(OSError):
            os.write(self.master, text.encode())

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        """Read to the end of output, then return the exit status."""
        deadline = time.monotonic() + timeout
        while self._read(max(deadline - time.monotonic(), 0)):
            pass
        return self.proc.wait(timeout)  # the pty ends as the client exits: its status follows at once

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the client exited and closed its side
            return False
        self.output += data.decode("utf-8", "replace")
        return bool(data)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)

    def __enter__(self) -> PtyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _set_size(fd: int, rows: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_terminal() -> None:
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


# -- a server that is not Ferry -------------------------------------------------------


@contextlib.contextmanager
def http_server(root: Path) -> Iterator[tuple[str, int]]:
    """``python3 -m http.server`` on a free loopback port, serving ``root``: a real
    server of another protocol, which waits for the client to speak first."""
    with closed_port() as port:
        pass  # free again: http.server binds it (a race with another bind is harmless on loopback)
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("http.server did not start") from None
                time.sleep(0.02)
        yield "127.0.0.1", port
    finally:
        proc.kill()
        proc.wait()
