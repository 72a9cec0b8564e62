"""Ferry on systems that lack some Linux APIs (issue 15), simulated by
tests/simulated_platform.py: the real server and the real clients run in
subprocesses from which those APIs were removed before Ferry was imported.

The server is Linux first-class: without an API it can do without it says so
at start and works; without one it needs it refuses to start with one clear
line. The clients (library, terminal) work on any system Python runs on.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ferry_files.shared.client import FerryClient

from tests.server_process import RUN_SERVER, ServerProcess

LAUNCHER = str(Path(__file__).resolve().parent / "simulated_platform.py")
#: What Windows lacks of what a Ferry client could reach for.
NOT_ON_WINDOWS = "os.sendfile,os.pread,os.O_PATH,os.O_TMPFILE,os.O_NOFOLLOW,socket.send_fds,socket.recv_fds,socket.SCM_RIGHTS,fcntl"


def simulated(without: str, *, platform: str | None = None) -> tuple[str, ...]:
    return (LAUNCHER, "--without", without, *(("--platform", platform) if platform else ()))


def test_without_o_path_the_server_overwrites_a_large_file(library: Path, tmp_path: Path) -> None:
    """The issue's bug: replacing a file of 8 MiB or more reached for os.O_PATH
    (Linux only) and caught only OSError, so the upload failed as 'internal'."""
    (library / "big.bin").write_bytes(b"o" * (9 << 20))
    new = tmp_path / "big.bin"
    new.write_bytes(os.urandom(9 << 20))
    with ServerProcess(library, "--workers", "1", launcher=simulated("os.O_PATH")) as server:
        with FerryClient.connect(*server.address, timeout=30) as client:
            uploaded = client.put(new, overwrite=True)
        assert server.logged(r"without O_PATH", timeout=5), server.log()
    assert uploaded.size == 9 << 20
    assert hashlib.sha256((library / "big.bin").read_bytes()).digest() == hashlib.sha256(new.read_bytes()).digest()


@pytest.mark.parametrize(
    ("without", "needed"),
    [
        ("socket.send_fds", "socket.send_fds"),
        ("fcntl", "fcntl"),
        ("os.copy_file_range", "os.copy_file_range"),
    ],
)
def test_the_server_names_at_start_what_the_system_lacks(library: Path, without: str, needed: str) -> None:
    result = subprocess.run(
        [sys.executable, "-S", *simulated(without, platform="darwin"), str(RUN_SERVER), "--port", "0", "--root", str(library)],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert f"this system (darwin) lacks {needed}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
