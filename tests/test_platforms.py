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

from tests.server_process import REPO, RUN_SERVER, ServerProcess
from tests.terminal_support import RUN_CLIENT, address_of, client_env

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


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_the_terminal_client_uploads_and_downloads_without_linux_apis(server, library: Path, tmp_path: Path, platform: str) -> None:
    """A plain (not TLS) upload goes by os.sendfile where there is one: without it
    (Windows), and without fcntl, O_PATH, O_NOFOLLOW or SCM_RIGHTS, the same
    commands move the same bytes."""
    body = os.urandom(3 << 20)  # several sends, and past any single-buffer shortcut
    (tmp_path / "up.bin").write_bytes(body)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    env = client_env(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"))

    def client(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-S", *simulated(NOT_ON_WINDOWS, platform=platform), str(RUN_CLIENT), address_of(server), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)

    put = client("put", str(tmp_path / "up.bin"))
    assert put.returncode == 0, put.stderr
    assert (library / "up.bin").read_bytes() == body
    got = client("get", "up.bin", "-o", str(downloads))
    assert got.returncode == 0, got.stderr
    assert (downloads / "up.bin").read_bytes() == body


def test_the_client_library_sends_without_sendfile_in_a_real_upload(server, library: Path, tmp_path: Path) -> None:
    """The library itself (what the desktop app uses), with every Linux-only API gone."""
    body = os.urandom(1 << 20)
    (tmp_path / "lib.bin").write_bytes(body)
    script = (
        "import sys; from ferry_files.shared.client import FerryClient\n"
        "with FerryClient.connect(sys.argv[1], int(sys.argv[2]), timeout=30) as c:\n"
        "    c.put(sys.argv[3]); c.get('lib.bin', sys.argv[4], local_name='back.bin')\n"
    )
    (tmp_path / "lib_round_trip.py").write_text(script)
    host, port = server.address
    command = [sys.executable, "-S", *simulated(NOT_ON_WINDOWS, platform="win32"), str(tmp_path / "lib_round_trip.py")]
    result = subprocess.run(
        [*command, host, str(port), str(tmp_path / "lib.bin"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert (library / "lib.bin").read_bytes() == body
    assert (tmp_path / "back.bin").read_bytes() == body


@pytest.mark.parametrize("site", [True, False], ids=["with-platformdirs", "standard-library-only"])
def test_pins_move_from_the_old_folder_to_the_systems_own(server_factory, library: Path, tmp_path: Path, certs, site: bool) -> None:
    """On macOS (and Windows) pins lived in ~/.config/ferry while the app's
    settings were in the system's folder. The old file is moved over, and its
    pins still hold: a wrong one there refuses the server."""
    cert, key = certs
    addr = address_of(server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key)))
    home = tmp_path / "home"
    legacy = home / ".config" / "ferry" / "known_servers"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(f"{addr} SHA256:{'0' * 64}\n")
    env = {k: v for k, v in client_env(HOME=str(home)).items() if not k.startswith("XDG_")}
    flags = () if site else ("-S",)
    command = [sys.executable, *flags, *simulated("", platform="darwin"), str(RUN_CLIENT), "--tls", addr, "list"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and result.stderr.startswith("error: certificate_changed: "), result.stderr
    moved = home / "Library" / "Application Support" / "ferry" / "known_servers"
    assert moved.read_text() == f"{addr} SHA256:{'0' * 64}\n"
    assert not legacy.exists()
