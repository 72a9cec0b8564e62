"""The real Ferry server as a subprocess on a loopback port, for tests and benchmarks.

It is started exactly as a person or the conformance suite starts it
(``python3 -S run_server.py --port 0 ...``) and found through the one line it
prints when ready. With ``web=True`` it runs with the project's packages (HTTP
needs h11, which ``-S`` leaves out) on ``--http-port 0``, and the ``web on``
line that follows gives the HTTP port.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUN_SERVER = REPO / "run_server.py"


class ServerProcess:
    def __init__(
        self,
        root: Path,
        *args: str,
        env: dict[str, str] | None = None,
        preexec_fn=None,
        web: bool = False,
        launcher: tuple[str, ...] = (),
    ) -> None:
        """``launcher``: a script that runs run_server.py (tests/simulated_platform.py and its options)."""
        self.root = Path(root)
        self.web = web
        self.web_url = ""
        self.http_port = 0
        self.launcher = launcher
        self.args = list(args)
        self.env = env
        self.preexec_fn = preexec_fn
        self.proc: subprocess.Popen[bytes] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.log_file = tempfile.NamedTemporaryFile(prefix="ferry-server-", suffix=".log", delete=False)

    def command(self) -> list[str]:
        """The command line; a subclass may run it elsewhere (tests/netns_support.py)."""
        python = [sys.executable] if self.web else [sys.executable, "-S"]
        web = ["--http-port", "0"] if self.web else []
        return [*python, *self.launcher, str(RUN_SERVER), "--host", self.host, "--port", "0", *web, "--root", str(self.root), *self.args]

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            stdin=subprocess.DEVNULL,
            env=self.env,
            preexec_fn=self.preexec_fn,
        )
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline().decode()  # type: ignore[union-attr]
        if not line.startswith("listening on ") or time.monotonic() > deadline:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"server did not start: {line!r}\n{self.log()}")
        self.port = int(line.rsplit(":", 1)[1])
        if self.web:
            line = self.proc.stdout.readline().decode()  # type: ignore[union-attr]
            if not line.startswith("web on "):
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(f"server printed no web address: {line!r}\n{self.log()}")
            self.web_url = line.split()[-1]
            self.http_port = int(self.web_url.rstrip("/").rsplit(":", 1)[1])
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def log(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")

    def logged(self, pattern: str, timeout: float) -> bool:
        """Wait until a line of the server's log matches the regular expression ``pattern``."""
        return wait_for(lambda: re.search(pattern, self.log()) is not None, timeout=timeout, interval=0.05)

    def children(self) -> list[int]:
        """PIDs of the server's child processes (its workers), from /proc."""
        return children_of(self.pid)

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def send_signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the server and wait for it; returns its exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self.proc.stdout.close()  # type: ignore[union-attr]

    def __enter__(self) -> ServerProcess:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        os.unlink(self.log_file.name)


def children_of(pid: int) -> list[int]:
    pids: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    if not task_dir.exists():
        return pids
    for task in task_dir.iterdir():
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def process_state(pid: int) -> str | None:
    """The one-letter state from /proc (``Z`` for a zombie), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
