"""``run_client.py HOST[:PORT] COMMAND``, run as a real subprocess against the real
server: every command, exit statuses, and the exact ``error: <code>: <message>``
line for every failure a person can cause."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import signal
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
from ferry_files.shared.local_names import DestinationRules
from ferry_files.terminal_client.cli import parse_args
from ferry_files.terminal_client.commands import Session
from ferry_files.terminal_client.connection import Connection, Server
from ferry_files.terminal_client.console import Console

from ferry_files import shared
from tests.server_process import wait_for
from tests.terminal_support import (
    CuttingRelay,
    ScriptedServer,
    address_of,
    client_command,
    client_env,
    closed_port,
    drop_file_read_override,
    http_server,
    interrupt_when_flowing,
    run_client,
)
from tests.wire import Wire

#: A macOS-like destination: case and Unicode normalization do not count.
MACOS = DestinationRules(case_insensitive=True, normalization_insensitive=True)
MTIME = 1_700_000_000  # 2023-11-14 22:13:20 UTC; the client runs with TZ=UTC
GREETING_AND_HEADER_MAX = 1000


def put_file(folder: Path, name: str, data: bytes, mtime: float = MTIME) -> Path:
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def assert_fails(result, *lines: str) -> None:
    """Exit status 1, exactly these error lines on stderr, and no traceback."""
    assert result.returncode == 1, result
    assert result.stderr.splitlines() == list(lines), result.stderr


def stored(library: Path) -> dict[str, bytes]:
    """The library's files (not the server's hidden uploads folder) and their content."""
    return {p.name: p.read_bytes() for p in library.iterdir() if not p.name.startswith(".")}


def kept_to_resume(server, library: Path) -> int:
    """The interrupted upload published nothing; the server keeps its bytes for a
    resumed put (the client always sends an upload_id). How many it kept, once
    the server has seen the connection end and let go of them."""
    assert run_client(address_of(server), "ls", "--names").stdout == ""
    folder = library / ".ferry-uploads" / "resume"
    assert wait_for(lambda: folder.exists() and len(list(folder.iterdir())) == 1 and unlocked(folder))
    [partial] = folder.iterdir()
    return partial.stat().st_size


def unlocked(folder: Path) -> bool:
    for path in folder.iterdir():
        with open(path, "rb") as held:
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(held, fcntl.LOCK_UN)
    return True


def assert_ok(result) -> None:
    assert (result.returncode, result.stderr) == (0, ""), result


# -- list and stat ---------------------------------------------------------------


def test_list_of_an_empty_library(addr):
    result = run_client(addr, "list")
    assert_ok(result)
    assert result.stdout == "No files.\n"


def test_list_prints_a_table_with_human_sizes_and_local_times(addr, library):
    put_file(library, "notes.txt", b"hello\n")
    put_file(library, "photo.jpg", b"x" * 1536, MTIME + 3600)
    put_file(library, "video.mkv", b"", MTIME - 86400)
    os.truncate(library / "video.mkv", 5 * 1024**3 + 1)  # sparse
    os.utime(library / "video.mkv", (MTIME - 86400, MTIME - 86400))
    result = run_client(addr, "list")
    assert_ok(result)
    assert result.stdout == (
        "   SIZE  MODIFIED          NAME\n"
        "    6 B  2023-11-14 22:13  notes.txt\n"
        "1.5 KiB  2023-11-14 23:13  photo.jpg\n"
        "5.0 GiB  2023-11-13 22:13  video.mkv\n"
        "3 files, 5.0 GiB\n"
    )


def test_list_times_follow_the_local_time_zone(addr, library):
    put_file(library, "a.txt", b"a")
    result = run_client(addr, "list", env=client_env(TZ="Asia/Tokyo"))
    assert_ok(result)
    assert "2023-11-15 07:13  a.txt" in result.stdout


def test_list_json_is_exact_for_scripts(addr, library):
    put_file(library, "b.txt", b"bb")
    put_file(library, "a é.txt", b"a", MTIME + 0.25)
    result = run_client(addr, "list", "--json")
    assert_ok(result)
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"name": "a é.txt", "type": "file", "size": 1, "mtime": MTIME + 0.25},
        {"name": "b.txt", "type": "file", "size": 2, "mtime": MTIME},
    ]
    assert result.stdout.isascii()


def test_list_names_prints_one_exact_name_per_line(addr, library):
    for name in ("b.txt", "a b.txt", "日本.txt"):
        put_file(library, name, b"x")
    result = run_client(addr, "list", "--names")
    assert_ok(result)
    assert result.stdout == "a b.txt\nb.txt\n日本.txt\n"


def test_list_json_and_names_cannot_be_combined(addr):
    result = run_client(addr, "list", "--json", "--names")
    assert result.returncode == 2
    assert result.stderr.startswith("error: usage: --names and --json cannot be combined")


def test_names_that_could_drive_the_terminal_are_escaped_in_the_table(addr, library):
    # Valid protocol names: C1 controls and bidi overrides are not in U+0000-U+001F.
    put_file(library, "evil\x9b2J.txt", b"x")
    put_file(library, "rtl\u202etxt.exe", b"x")
    result = run_client(addr, "list")
    assert_ok(result)
    assert "evil\\x9b2J.txt\n" in result.stdout
    assert "rtl\\u202etxt.exe\n" in result.stdout
    assert "\x9b" not in result.stdout and "\u202e" not in result.stdout
    assert run_client(addr, "list", "--names").stdout == "evil\\x9b2J.txt\nrtl\\u202etxt.exe\n"


def test_stat_shows_size_time_and_sha256(addr, library):
    data = b"z" * 5000
    put_file(library, "data.bin", data)
    result = run_client(addr, "stat", "data.bin")
    assert_ok(result)
    assert result.stdout == (
        "name:     data.bin\n"
        "size:     4.9 KiB (5,000 bytes)\n"
        "modified: 2023-11-14 22:13:20\n"
        f"sha256:   {hashlib.sha256(data).hexdigest()}\n"
    )


def test_stat_json(addr, library):
    put_file(library, "data.bin", b"abc")
    result = run_client(addr, "stat", "data.bin", "--json")
    assert_ok(result)
    assert json.loads(result.stdout) == {
        "name": "data.bin",
        "type": "file",
        "size": 3,
        "mtime": MTIME,
        "sha256": hashlib.sha256(b"abc").hexdigest(),
    }


def test_stat_of_a_missing_file(addr):
    result = run_client(addr, "stat", "nope.txt")
    assert_fails(result, "error: not_found: no file named 'nope.txt'")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (".hidden", "error: bad_name: '.hidden': name starts with '.'"),
        ("../etc/passwd", "error: bad_name: '../etc/passwd': goes above the root folder"),
        ("a/.b", "error: bad_name: 'a/.b': name starts with '.' in path ('.b')"),
        ("tab\there", "error: bad_name: 'tab\\there': name contains a control character"),
        ("x" * 256, f"error: bad_name: '{'x' * 256}': name is longer than 255 bytes"),
        ("", "error: bad_name: '': path is empty"),
        ("/", "error: bad_name: '/': the root folder has no size or time to show"),
    ],
)
def test_stat_of_a_bad_name(addr, name, line):
    assert_fails(run_client(addr, "stat", name), line)


# -- get -------------------------------------------------------------------------


def test_get_saves_into_the_current_folder_by_default(addr, library, downloads):
    data = os.urandom(300_000)
    put_file(library, "random.bin", data)
    result = run_client(addr, "get", "random.bin", cwd=downloads)
    assert_ok(result)
    assert result.stdout == ""
    assert (downloads / "random.bin").read_bytes() == data
    assert sorted(p.name for p in downloads.iterdir()) == ["random.bin"]  # no .part left


def test_get_keeps_the_server_s_modification_time(addr, library, downloads):
    put_file(library, "old.txt", b"from long ago", mtime=MTIME + 0.25)
    assert_ok(run_client(addr, "get", "old.txt", "-o", str(downloads)))
    assert (downloads / "old.txt").stat().st_mtime == MTIME + 0.25


def run_binary(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(client_command(*args), stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd, env=client_env(), timeout=30)


def test_get_to_standard_output_is_binary_safe(addr, library, downloads):
    data = os.urandom(300_000) + b"\r\n\x00\xff\xfe not UTF-8 \x1b[2J"
    put_file(library, "random.bin", data)
    result = run_binary(addr, "get", "random.bin", "-o", "-", cwd=downloads)
    assert (result.returncode, result.stderr) == (0, b""), result.stderr
    assert result.stdout == data
    assert list(downloads.iterdir()) == []  # nothing saved, no temp file


def test_get_to_standard_output_read_in_part_ends_quietly(addr, library, downloads):
    put_file(library, "big.bin", os.urandom(4_000_000))  # far more than a pipe holds
    proc = subprocess.Popen(
        client_command(addr, "get", "big.bin", "-o", "-"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=downloads, env=client_env(),
    )  # fmt: skip
    try:
        assert len(proc.stdout.read(10)) == 10
        proc.stdout.close()  # as `| head -c 10` does
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, stderr) == (1, b"")


def test_get_to_standard_output_of_a_missing_file(addr, downloads):
    result = run_binary(addr, "get", "nope.txt", "-o", "-", cwd=downloads)
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode().startswith("error: not_found: ")


def test_get_to_standard_output_takes_one_name(addr, downloads):
    result = run_binary(addr, "get", "a.txt", "b.txt", "-o", "-", cwd=downloads)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode().startswith("error: usage: -o - writes one file to standard output, not 2")


def test_get_help_explains_name_and_output():
    result = run_client("127.0.0.1", "get", "--help")
    assert_ok(result)
    help_text = " ".join(result.stdout.split())
    assert "PATH a file on the server (see ls), a folder with -r, or a quoted glob" in help_text
    assert "'-' writes the file to standard output" in help_text


def test_get_several_names_into_a_folder(addr, library, downloads):
    put_file(library, "a.txt", b"A")
    put_file(library, "b.txt", b"B" * 70_000)
    put_file(library, "empty", b"")
    result = run_client(addr, "get", "a.txt", "b.txt", "empty", "-o", str(downloads))
    assert_ok(result)
    assert {p.name: p.read_bytes() for p in downloads.iterdir()} == {"a.txt": b"A", "b.txt": b"B" * 70_000, "empty": b""}


def test_get_goes_on_after_a_failed_name_and_exits_1(addr, library, downloads):
    put_file(library, "a.txt", b"A")
    put_file(library, "c.txt", b"C")
    result = run_client(addr, "get", "a.txt", "missing.txt", ".env", "c.txt", "--output-dir", str(downloads))
    assert_fails(
        result,
        "error: not_found: no file named 'missing.txt'",
        "error: bad_name: '.env': name starts with '.'",
    )
    assert sorted(p.name for p in downloads.iterdir()) == ["a.txt", "c.txt"]


def test_get_replaces_a_local_file_of_the_same_name(addr, library, downloads):
    put_file(library, "a.txt", b"new")
    (downloads / "a.txt").write_bytes(b"old content")
    assert_ok(run_client(addr, "get", "a.txt", "-o", str(downloads)))
    assert (downloads / "a.txt").read_bytes() == b"new"


def test_get_leaves_a_local_file_named_like_a_partial_download_alone(addr, library, downloads):
    put_file(library, "report.pdf", b"the report")
    mine = put_file(downloads, "report.pdf.part", b"my own notes", mtime=1_600_000_000)
    assert_ok(run_client(addr, "get", "report.pdf", "-o", str(downloads)))
    assert (downloads / "report.pdf").read_bytes() == b"the report"
    assert (mine.read_bytes(), mine.stat().st_mtime) == (b"my own notes", 1_600_000_000)
    assert sorted(os.listdir(downloads)) == ["report.pdf", "report.pdf.part"]


def test_get_of_x_part_and_x_in_one_batch_saves_both(addr, library, downloads):
    put_file(library, "x", b"the file x")
    put_file(library, "x.part", b"the file x.part")
    assert_ok(run_client(addr, "get", "x.part", "x", "-o", str(downloads)))
    assert {p.name: p.read_bytes() for p in downloads.iterdir()} == {"x": b"the file x", "x.part": b"the file x.part"}


def test_get_into_a_missing_folder(addr, library, tmp_path):
    put_file(library, "a.txt", b"A")
    missing = tmp_path / "nowhere"
    result = run_client(addr, "get", "a.txt", "-o", str(missing))
    assert_fails(result, f"error: local_io: cannot use the folder '{missing}': No such file or directory")
    assert not missing.exists()


def test_get_into_a_file_instead_of_a_folder(addr, library, tmp_path):
    put_file(library, "a.txt", b"A")
    not_a_folder = put_file(tmp_path, "plain", b"")
    result = run_client(addr, "get", "a.txt", "-o", str(not_a_folder))
    assert_fails(result, f"error: local_io: cannot use '{not_a_folder}': it is not a folder")


def test_get_into_a_folder_that_cannot_be_written(addr, library, downloads):
    put_file(library, "a.txt", b"A")
    downloads.chmod(0o555)
    try:
        result = run_client(addr, "get", "a.txt", "-o", str(downloads), preexec_fn=drop_file_read_override)
    finally:
        downloads.chmod(0o755)
    assert_fails(result, f"error: local_io: 'a.txt': cannot save into {downloads.resolve()}: Permission denied")
    assert list(downloads.iterdir()) == []


def test_get_onto_a_local_folder_of_the_same_name(addr, library, downloads):
    put_file(library, "a.txt", b"A")
    (downloads / "a.txt").mkdir()
    result = run_client(addr, "get", "a.txt", "-o", str(downloads))
    assert_fails(result, f"error: local_io: 'a.txt': cannot save {(downloads / 'a.txt').resolve()}: Is a directory")


def test_a_failed_rename_leaves_no_part_file(addr, library, downloads):
    put_file(library, "a.txt", b"A")
    (downloads / "a.txt").mkdir()
    run_client(addr, "get", "a.txt", "-o", str(downloads))
    assert sorted(p.name for p in downloads.iterdir()) == ["a.txt"]


def test_a_full_local_disk_is_a_local_error(addr, library, downloads):
    import resource

    put_file(library, "big.bin", b"x" * 8_000_000)

    def small_files_only() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of killing the process
        # Above the library's 1 MiB receive buffer, so the failing write is one in its receive loop.
        resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))

    result = run_client(addr, "get", "big.bin", "-o", str(downloads), preexec_fn=small_files_only)
    assert_fails(result, "error: local_io: 'big.bin': cannot write the download: File too large")


# -- put -------------------------------------------------------------------------


def test_put_uploads_under_the_file_s_own_name(addr, library, tmp_path):
    data = os.urandom(500_000)
    source = put_file(tmp_path, "upload.bin", data)
    result = run_client(addr, "put", str(source))
    assert_ok(result)
    assert result.stdout == ""
    assert (library / "upload.bin").read_bytes() == data


def test_put_several_files(addr, library, tmp_path):
    sources = [put_file(tmp_path, f"f{i}.txt", bytes([65 + i]) * i) for i in range(4)]
    assert_ok(run_client(addr, "put", *map(str, sources)))
    assert stored(library) == {f"f{i}.txt": bytes([65 + i]) * i for i in range(4)}


def test_put_refuses_to_replace_without_overwrite(addr, library, tmp_path):
    put_file(library, "a.txt", b"on the server")
    source = put_file(tmp_path, "a.txt", b"local")
    assert_fails(run_client(addr, "put", str(source)), "error: exists: 'a.txt' already exists")
    assert (library / "a.txt").read_bytes() == b"on the server"
    assert_ok(run_client(addr, "put", str(source), "--overwrite"))
    assert (library / "a.txt").read_bytes() == b"local"


def test_put_goes_on_after_failed_files_and_exits_1(addr, library, tmp_path):
    good = put_file(tmp_path, "good.txt", b"good")
    hidden = put_file(tmp_path, ".hidden", b"h")
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    missing = tmp_path / "missing.txt"
    result = run_client(addr, "put", str(missing), str(hidden), str(folder), str(fifo), str(good))
    assert_fails(
        result,
        f"error: local_io: cannot read '{missing}': No such file or directory",
        f"error: bad_name: cannot upload '{hidden}': name starts with '.'",
        f"error: local_io: cannot upload '{folder}': it is a folder (add -r to upload it)",
        f"error: local_io: cannot upload '{fifo}': it is not a regular file",
    )
    assert stored(library) == {"good.txt": b"good"}


def test_put_of_an_unreadable_file(addr, library, tmp_path):
    secret = put_file(tmp_path, "secret.txt", b"secret")
    secret.chmod(0)
    result = run_client(addr, "put", str(secret), preexec_fn=drop_file_read_override)
    assert_fails(result, f"error: local_io: 'secret.txt': cannot read {secret}: Permission denied")
    assert stored(library) == {}


def test_put_to_a_read_only_server(server_factory, library, tmp_path):
    server = server_factory("--workers", "1", "--read-only")
    source = put_file(tmp_path, "a.txt", b"a")
    assert_fails(run_client(address_of(server), "put", str(source)), "error: read_only: 'a.txt': this server is read-only")


def test_put_over_the_server_s_size_limit(server_factory, library, tmp_path):
    server = server_factory("--workers", "1", "--max-upload", "10")
    small = put_file(tmp_path, "small.txt", b"0123456789")
    large = put_file(tmp_path, "large.txt", b"0123456789!")
    result = run_client(address_of(server), "put", str(large), str(small))
    assert_fails(result, "error: too_large: 'large.txt': uploads are limited to 10 bytes")
    assert stored(library) == {"small.txt": b"0123456789"}


# -- the server and the connection ----------------------------------------------


def test_unreachable_server():
    with closed_port() as port:
        result = run_client(f"127.0.0.1:{port}", "list")
    assert_fails(result, f"error: connection_failed: cannot connect to 127.0.0.1:{port}: Connection refused")


def test_unreachable_server_is_reported_once_for_many_files(tmp_path):
    with closed_port() as port:
        result = run_client(f"127.0.0.1:{port}", "get", "a", "b", "c", "-o", str(tmp_path))
    assert_fails(result, f"error: connection_failed: cannot connect to 127.0.0.1:{port}: Connection refused")


def test_busy_server(server_factory):
    server = server_factory("--workers", "1", "--max-connections", "1")
    holder = Wire(server.address)  # the one allowed session, greeted, so counted
    try:
        result = run_client(address_of(server), "list")
    finally:
        holder.sock.close()
    assert_fails(result, "error: busy: the server is at its connection limit; try again later")


@pytest.mark.parametrize(
    ("address", "line"),
    [
        ("127.0.0.1:99999", "error: bad_address: port must be a number from 1 to 65535, not '99999'"),
        ("127.0.0.1:http", "error: bad_address: port must be a number from 1 to 65535, not 'http'"),
        ("[::1", "error: bad_address: unbalanced '[' in address '[::1'"),
        (":7069", "error: bad_address: no host in address ':7069'"),
    ],
)
def test_bad_address(address, line):
    assert_fails(run_client(address, "list"), line)


def test_server_gone_in_the_middle_of_a_download(server, library, downloads):
    put_file(library, "big.bin", os.urandom(1_000_000))
    put_file(library, "small.txt", b"small")
    # Each connection through the relay dies after 200,000 bytes from the server:
    # big.bin breaks off, then small.txt gets a connection of its own and arrives.
    with CuttingRelay(server.address, downstream_limit=200_000) as relay:
        result = run_client(relay.address, "get", "big.bin", "small.txt", "-o", str(downloads))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: connection_lost: 'big.bin': the server closed the connection after ")
    assert line.endswith(" of 1000000 bytes")
    received = int(line.split(" after ")[1].split()[0])
    assert 200_000 - GREETING_AND_HEADER_MAX < received < 200_000
    assert sorted(p.name for p in downloads.iterdir()) == ["small.txt"]  # no big.bin, no big.bin.part


def test_server_gone_for_good_stops_the_command(server, library, downloads):
    put_file(library, "big.bin", os.urandom(1_000_000))
    put_file(library, "small.txt", b"small")
    with CuttingRelay(server.address, downstream_limit=200_000, accept_count=1) as relay:
        port = relay.address.rsplit(":", 1)[1]
        result = run_client(relay.address, "get", "big.bin", "small.txt", "small.txt", "-o", str(downloads))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: connection_lost: 'big.bin': ")
    assert lines[1] == f"error: connection_failed: cannot connect to 127.0.0.1:{port}: Connection refused"
    assert list(downloads.iterdir()) == []


def test_server_gone_in_the_middle_of_an_upload(server, library, tmp_path):
    source = put_file(tmp_path, "big.bin", os.urandom(2_000_000))
    with CuttingRelay(server.address, upstream_limit=500_000) as relay:
        result = run_client(relay.address, "put", str(source))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: connection_lost: 'big.bin': ")
    assert 0 < kept_to_resume(server, library) <= 500_000


def test_ctrl_c_in_the_middle_of_a_download(server, library, downloads):
    put_file(library, "big.bin", os.urandom(1_000_000))
    with CuttingRelay(server.address, downstream_limit=300_000, hold=True) as relay:
        proc, stdout, stderr = interrupt_when_flowing(relay, "get", "big.bin", "-o", str(downloads))
    assert (proc.returncode, stdout, stderr) == (130, "", "error: interrupted: stopped by Ctrl+C\n")
    assert list(downloads.iterdir()) == []


def test_ctrl_c_in_the_middle_of_an_upload(server, library, tmp_path):
    source = put_file(tmp_path, "big.bin", os.urandom(2_000_000))
    with CuttingRelay(server.address, upstream_limit=500_000, hold=True) as relay:
        proc, stdout, stderr = interrupt_when_flowing(relay, "put", str(source))
    assert (proc.returncode, stdout, stderr) == (130, "", "error: interrupted: stopped by Ctrl+C\n")
    assert 0 < kept_to_resume(server, library) <= 500_000


def test_a_server_s_codes_and_messages_cannot_drive_the_terminal():
    reply = {"ok": False, "error": "odd\x1b[31m", "message": "line one\nline two\x9b2J"}
    with ScriptedServer([json.dumps(reply).encode() + b"\n"]) as scripted:
        result = run_client(scripted.address, "list")
    assert_fails(result, "error: odd\\x1b[31m: line one\\nline two\\x9b2J")


def test_not_a_ferry_server():
    with ScriptedServer([], greeting=b'{"hello": "world"}\n') as scripted:
        result = run_client(scripted.address, "list")
    assert_fails(result, "error: bad_request: not a Ferry v1 server")


def test_an_http_server_is_not_a_ferry_server(tmp_path):
    with http_server(tmp_path) as (host, port):
        result = run_client(f"{host}:{port}", "list", "--timeout", "1")
    assert_fails(result, "error: not_ferry: this is not a Ferry server: it said nothing within 1 s")


def test_a_server_that_speaks_something_else_first():
    with ScriptedServer([], greeting=b"SSH-2.0-OpenSSH_9.6\r\n") as scripted:
        result = run_client(scripted.address, "list")
    assert_fails(result, "error: not_ferry: this is not a Ferry server: it sent 'SSH-2.0-OpenSSH_9.6'")


def test_a_tls_server_without_tls_says_to_add_it(server_factory, certs):
    cert, key = certs
    tls_server = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))
    result = run_client(address_of(tls_server), "list", "--timeout", "1")
    assert_fails(result, "error: needs_tls: the server speaks TLS: add --tls")


# -- tokens ----------------------------------------------------------------------


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("s3cret\n")
    return path


def test_a_server_that_needs_a_token(server_factory, library, token_file):
    put_file(library, "a.txt", b"A")
    addr = address_of(server_factory("--workers", "1", "--token-file", str(token_file)))
    assert_fails(
        run_client(addr, "list", "--names"),
        "error: unauthorized: send 'auth' with the server's token first (this server needs a token: use --token or FERRY_TOKEN)",
    )
    for result in (
        run_client("--token", "s3cret", addr, "list", "--names"),
        run_client(addr, "list", "--names", "--token", "s3cret"),
        run_client(addr, "list", "--names", env=client_env(FERRY_TOKEN="s3cret")),
    ):
        assert_ok(result)
        assert result.stdout == "a.txt\n"
    assert_fails(run_client(addr, "list", "--token", "wrong"), "error: unauthorized: wrong token")


def test_the_command_line_token_wins_over_the_environment(server_factory, token_file):
    addr = address_of(server_factory("--workers", "1", "--token-file", str(token_file)))
    result = run_client(addr, "list", "--token", "wrong", env=client_env(FERRY_TOKEN="s3cret"))
    assert_fails(result, "error: unauthorized: wrong token")


def test_a_server_that_needs_a_token_only_for_uploads(server_factory, library, token_file, tmp_path):
    put_file(library, "a.txt", b"A")
    addr = address_of(server_factory("--workers", "1", "--token-file", str(token_file), "--token-for", "write"))
    assert run_client(addr, "list", "--names").stdout == "a.txt\n"
    source = put_file(tmp_path, "b.txt", b"B")
    assert_fails(
        run_client(addr, "put", str(source)),
        "error: unauthorized: 'b.txt': send 'auth' with the server's token first (this server needs a token: use --token or FERRY_TOKEN)",
    )
    assert_ok(run_client(addr, "put", str(source), env=client_env(FERRY_TOKEN="s3cret")))
    assert (library / "b.txt").read_bytes() == b"B"


# -- the command line itself -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "start"),
    [
        ((), "error: usage: the following arguments are required: HOST[:PORT]"),
        (("127.0.0.1", "frob"), "error: usage: argument COMMAND: invalid choice: 'frob'"),
        (("127.0.0.1", "get"), "error: usage: the following arguments are required: PATH"),
        (("127.0.0.1", "put"), "error: usage: the following arguments are required: FILE"),
        (("127.0.0.1", "stat", "a", "b"), "error: usage: unrecognized arguments: b"),
        (("127.0.0.1", "list", "--bogus"), "error: usage: unrecognized arguments: --bogus"),
        (("list",), "error: usage: the server's address goes before the command: run_client.py HOST[:PORT] list ..."),
    ],
)
def test_usage_errors(args, start):
    result = run_client(*args)
    assert result.returncode == 2, result
    [line] = result.stderr.splitlines()
    assert line.startswith(start) and line.endswith("(see run_client.py --help)"), line


def test_help():
    result = run_client("--help")
    assert_ok(result)
    for text in (
        "HOST[:PORT]",
        "ls [PATH] [-l] [-R] [--names]",
        "stat PATH",
        "get PATH... [-r] [-c] [-o DIR|-]",
        "put FILE|DIR... [-r] [--to PATH] [--overwrite]",
        "rm [-r] PATH...",
        "mv FROM TO",
        "mkdir [-p] PATH...",
        "--json",
        "--quiet",
        "--print-completion SHELL",
        "FERRY_TOKEN",
    ):
        assert text in result.stdout


def test_version():
    result = run_client("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"ferry {shared.__version__}\n", "")


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_timeout_must_be_a_positive_number_of_seconds(value):
    result = run_client(f"--timeout={value}", "127.0.0.1", "list")
    assert result.returncode == 2, result
    [line] = result.stderr.splitlines()
    assert line.startswith("error: usage: argument --timeout: ") and line.endswith("(see run_client.py --help)"), line


def test_timeout_bounds_the_wait_for_an_answer(server):
    # The relay passes the greeting but holds the request: a server that stopped answering.
    with CuttingRelay(server.address, upstream_limit=0, hold=True) as relay:
        started = time.monotonic()
        result = run_client(relay.address, "list", "--timeout", "0.5")
        elapsed = time.monotonic() - started
    assert_fails(result, "error: connection_lost: the server did not answer in time")
    assert elapsed < 10, elapsed  # the default is 60 s


def test_a_closed_pipe_on_stdout_ends_quietly(addr, library):
    import subprocess

    put_file(library, "a.txt", b"A")
    reader, writer = os.pipe()
    os.close(reader)  # `| head` that has already gone
    try:
        result = subprocess.run(
            client_command(addr, "list"), stdout=writer, stderr=subprocess.PIPE, text=True, env=client_env(), timeout=30
        )
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (1, "")


def test_stdout_on_a_full_disk(addr, library):
    put_file(library, "a.txt", b"A")
    with open("/dev/full", "w") as full:
        result = run_client(addr, "list", stdout=full)
    assert_fails(result, "error: local_io: cannot write the output: No space left on device")


def test_no_progress_bar_when_stderr_is_not_a_terminal(addr, library, downloads, tmp_path):
    put_file(library, "a.bin", os.urandom(100_000))
    assert_ok(run_client(addr, "get", "a.bin", "-o", str(downloads)))  # stderr == "": no bar
    source = put_file(tmp_path, "b.bin", b"b")
    assert_ok(run_client(addr, "put", str(source)))


def test_the_module_runs_as_python_m(addr, library):
    import subprocess
    import sys

    put_file(library, "a.txt", b"A")
    result = subprocess.run(
        [sys.executable, "-S", "-m", "ferry_files.terminal_client", addr, "list", "--names"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, env=client_env(), timeout=30,
    )  # fmt: skip
    assert_ok(result)
    assert result.stdout == "a.txt\n"


def test_a_closed_stdout_is_a_local_error(addr, library):
    put_file(library, "a.txt", b"A")
    result = run_client(addr, "list", preexec_fn=lambda: os.close(1))
    assert_fails(result, "error: local_io: cannot write the output: standard output is closed")


def test_get_to_a_closed_standard_output_is_a_local_error(addr, library):
    put_file(library, "a.txt", b"A")
    result = run_client(addr, "get", "a.txt", "-o", "-", preexec_fn=lambda: os.close(1))
    assert_fails(result, "error: local_io: 'a.txt': cannot write the download: standard output is closed")


def test_tls_with_pinning_and_with_a_ca_file(server_factory, library, tmp_path):
    from tests.certificates import make_cert

    cert, key = make_cert(tmp_path / "certs")
    addr = address_of(server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key)))
    put_file(library, "a.txt", b"A")
    env = client_env(XDG_CONFIG_HOME=str(tmp_path / "config"))
    first = run_client("--tls", addr, "list", "--names", env=env)
    assert first.returncode == 0 and first.stdout == "a.txt\n", first.stderr
    assert (tmp_path / "config" / "ferry" / "known_servers").read_text().startswith(addr + " SHA256:")
    with_ca = run_client(addr, "list", "--names", "--ca-file", str(cert), env=env)
    assert with_ca.returncode == 0 and with_ca.stdout == "a.txt\n", with_ca.stderr
    known = tmp_path / "config" / "ferry" / "known_servers"
    known.write_text(f"{addr} SHA256:{'0' * 64}\n")
    changed = run_client("--tls", addr, "list", env=env)
    assert changed.returncode == 1 and changed.stderr.startswith("error: certificate_changed: ")


def test_token_from_a_file(server_factory, library, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    addr = address_of(server_factory("--workers", "1", "--token-file", str(token_file)))
    result = run_client(addr, "list", "--names", "--token-file", str(token_file))
    assert result.returncode == 0, result.stderr
    missing = run_client(addr, "list", "--token-file", str(tmp_path / "nope"))
    assert missing.returncode == 1 and missing.stderr.startswith("error: local_io: cannot read the token file")


# -- names that are one file in the destination folder (issue 10, item 6) ------------


def test_get_of_a_device_name_and_its_safe_form_saves_both_with_a_note(addr, library, downloads):
    put_file(library, "CON", b"the file CON")
    put_file(library, "_CON", b"the file _CON")
    result = run_client(addr, "get", "CON", "_CON", "-o", str(downloads))
    assert result.returncode == 0, result
    assert result.stderr == "note: '_CON' saved as '_CON (1)': an earlier file of this batch is saved as '_CON'\n"
    assert {p.name: p.read_bytes() for p in downloads.iterdir()} == {"_CON": b"the file CON", "_CON (1)": b"the file _CON"}


def test_get_into_a_case_and_normalization_insensitive_folder_renames_twins(server, library, downloads):
    """A macOS-like folder, simulated by passing its rules: one download must never
    replace another, nor a file already there under a twin name."""
    nfc, nfd = unicodedata.normalize("NFC", "café.txt"), unicodedata.normalize("NFD", "café.txt")
    remote = {"Report.txt": b"R", "report.txt": b"r", nfc: b"nfc", nfd: b"nfd", "notes.txt": b"new notes"}
    for name, data in remote.items():
        put_file(library, name, data)
    put_file(downloads, "NOTES.txt", b"my notes")
    out, err = io.StringIO(), io.StringIO()
    with Connection(Server(*server.address)) as connection:
        args = parse_args([address_of(server), "get", *remote, "-o", str(downloads)])
        status = args.command.run(Session(connection, Console(out, err, show_progress=False), rules=MACOS), args)
    assert status == 0 and out.getvalue() == ""
    numbered_nfd = unicodedata.normalize("NFD", "café (1).txt")
    assert {p.name: p.read_bytes() for p in downloads.iterdir()} == {
        "Report.txt": b"R",
        "report (1).txt": b"r",
        nfc: b"nfc",
        numbered_nfd: b"nfd",
        "NOTES.txt": b"my notes",
        "notes (1).txt": b"new notes",
    }
    assert err.getvalue().splitlines() == [
        "note: 'report.txt' saved as 'report (1).txt': an earlier file of this batch is saved as 'Report.txt',"
        " the same name in this folder (it ignores case)",
        f"note: '{nfd}' saved as '{numbered_nfd}': an earlier file of this batch is saved as '{nfc}',"
        " the same name in this folder (it ignores Unicode normalization)",
        "note: 'notes.txt' saved as 'notes (1).txt': 'NOTES.txt' is already there, the same name in this folder (it ignores case)",
    ]
