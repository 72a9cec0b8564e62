"""The servers people use today, started from the bench's own environment and
stopped at the end: pyftpdlib (pip, pinned in the ``bench`` extra), nginx (apt;
installed when missing and running as root) and ``python -m http.server``,
with curl as their HTTP client. A peer that cannot be had is skipped with a reason."""

from __future__ import annotations

import ftplib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


class PeerUnavailable(RuntimeError):
    """The peer cannot run here; the message says why."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerUnavailable(f"exited with status {proc.returncode} at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise PeerUnavailable(f"did not listen on port {port} within {timeout}s")


def _which(program: str) -> str | None:
    return shutil.which(program) or (f"/usr/sbin/{program}" if os.path.exists(f"/usr/sbin/{program}") else None)


def ensure_program(program: str, *packages: str) -> str:
    """The path of ``program``; when it is missing and we are root, installs the first
    of Debian's ``packages`` that apt-get can install, else raises :class:`PeerUnavailable`."""
    found = _which(program)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PeerUnavailable(f"{program} is not installed and this is not root (install it: apt-get install {packages[0]})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    why = ""
    for package in packages:
        print(f"  installing {package} with apt-get ...", flush=True)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, capture_output=True, text=True, timeout=600)
        found = _which(program)
        if found:
            return found
        why = done.stderr.strip()[-200:]
    raise PeerUnavailable(f"apt-get install {' or '.join(packages)} failed: {why}")


class _Subprocess:
    """A peer server in its own process group, so its forks stop with it."""

    proc: subprocess.Popen | None = None
    port = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _spawn(self, argv: list[str], stdout: int = subprocess.DEVNULL) -> subprocess.Popen:
        self.proc = subprocess.Popen(
            argv, cwd=_REPO, stdout=stdout, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True
        )
        return self.proc

    def _serve_http(self, argv: list[str]) -> None:
        """Start an HTTP peer on ``self.port`` (named in ``argv``); return once it listens."""
        _wait_for_port(self.port, self._spawn(argv))

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class FtpServer(_Subprocess):
    """pyftpdlib in one of its server modes: async, multiprocess or threaded."""

    def __init__(self, root: Path, mode: str = "async") -> None:
        self.root, self.mode = root, mode

    def start(self) -> FtpServer:
        try:
            import pyftpdlib  # noqa: F401
        except ImportError:
            raise PeerUnavailable("pyftpdlib is not installed (make setup installs the bench extra)") from None
        proc = self._spawn(
            [sys.executable, "-m", "bench.ftp_server", "--root", str(self.root), "--mode", self.mode], stdout=subprocess.PIPE
        )
        line = proc.stdout.readline().decode()  # type: ignore[union-attr]
        if not line.startswith("listening on port "):
            self.stop()
            raise PeerUnavailable(f"pyftpdlib {self.mode} did not start: {line!r}")
        self.port = int(line.split()[-1])
        return self

    def connect(self, timeout: float = 60.0) -> ftplib.FTP:
        ftp = ftplib.FTP(timeout=timeout)
        ftp.connect("127.0.0.1", self.port)
        ftp.login()
        return ftp


class RsyncDaemon(_Subprocess):
    """rsync's own daemon (``rsync://``) on one module, read-write: the tree
    transfer everyone compares with. It does not fsync."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root, self.scratch = root, scratch

    def start(self) -> RsyncDaemon:
        program = ensure_program("rsync", "rsync")
        self.port = _free_port()
        conf = self.scratch / "rsyncd.conf"
        conf.write_text(
            f"use chroot = no\nmax connections = 0\npid file = {self.scratch / 'rsyncd.pid'}\n"
            f"[tree]\npath = {self.root}\nread only = no\nuid = root\ngid = root\n"
        )
        _wait_for_port(self.port, self._spawn([program, "--daemon", "--no-detach", f"--port={self.port}", f"--config={conf}"]))
        return self

    def url(self, path: str = "") -> str:
        return f"rsync://127.0.0.1:{self.port}/tree/{path}"


_NGINX_CONF = """\
user root;
worker_processes auto;
daemon off;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


class Nginx(_Subprocess):
    """nginx serving ``root`` statically, with its defaults (sendfile on)."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root, self.scratch = root, scratch

    def start(self) -> Nginx:
        nginx = ensure_program("nginx", "nginx-light", "nginx")
        self.port = _free_port()
        conf = self.scratch / "nginx.conf"
        conf.write_text(_NGINX_CONF.format(dir=self.scratch, port=self.port, root=self.root))
        self._serve_http([nginx, "-c", str(conf), "-p", str(self.scratch)])
        return self


class HttpServer(_Subprocess):
    """``python -m http.server`` on ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def start(self) -> HttpServer:
        self.port = _free_port()
        self._serve_http([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(self.root), str(self.port)])
        return self


def curl_download(port: int, name: str, output: str = "/dev/null") -> None:
    curl = shutil.which("curl")
    if curl is None:
        raise PeerUnavailable("curl is not installed")
    subprocess.run([curl, "-s", "--fail", "-o", output, f"http://127.0.0.1:{port}/{name}"], check=True, timeout=600)
