"""The interactive menu (``run_client.py HOST[:PORT]`` with no command), driven
through a piped stdin, and in a real pseudo-terminal for what only a terminal
shows: the prompt as a person sees it, progress bars, and Ctrl+C."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.server_process import wait_for
from tests.terminal_support import CuttingRelay, PtyClient, address_of, closed_port, run_client
from tests.wire import Wire

PROMPT = "Choose 1-4: "
INVALID = "Please type a number from 1 to 4."
MENU = "\n  1  List files\n  2  Download a file\n  3  Upload a file\n  4  Quit\n"


@pytest.fixture
def addr(server) -> str:
    return address_of(server)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def greeted_by(server):
    def greeted() -> bool:
        other = Wire(server.address)
        other.sock.close()
        return other.greeting.get("ferry") == 1

    return greeted


def menu(addr: str, keys: str, cwd: Path):
    return run_client(addr, input=keys, cwd=cwd)


# -- through a pipe ----------------------------------------------------------------


def test_the_menu_lists_then_quits(addr, library, workdir):
    (library / "a.txt").write_bytes(b"hello")
    result = menu(addr, "1\n4\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Ferry server {addr} (ferry/")
    for line in ("  1  List files", "  2  Download a file", "  3  Upload a file", "  4  Quit"):
        assert line in result.stdout.splitlines()
    assert "SIZE  MODIFIED          NAME\n 5 B  " in result.stdout and "  a.txt\n1 file, 5 B\n" in result.stdout
    assert result.stdout.count(PROMPT) == 2


def test_end_of_input_quits_cleanly(addr, workdir):
    result = menu(addr, "", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith(PROMPT + "\n")


def test_an_invalid_choice_asks_again(addr, workdir):
    result = menu(addr, "9\nhello\n\n0\nq\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count(INVALID) == 4
    assert result.stdout.count(PROMPT) == 5


def test_download_into_the_current_folder(addr, library, workdir):
    data = os.urandom(200_000)
    (library / "photo.jpg").write_bytes(data)
    result = menu(addr, "2\nphoto.jpg\n4\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert f"Saved 'photo.jpg' as '{workdir / 'photo.jpg'}'" in result.stdout
    assert (workdir / "photo.jpg").read_bytes() == data


def test_download_asks_before_replacing_a_local_file(addr, library, workdir):
    (library / "a.txt").write_bytes(b"server")
    (workdir / "a.txt").write_bytes(b"mine")
    result = menu(addr, "2\na.txt\nn\n", workdir)
    assert f"'{workdir / 'a.txt'}' exists; replace it? [y/N] " in result.stdout
    assert (workdir / "a.txt").read_bytes() == b"mine"
    result = menu(addr, "2\na.txt\ny\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert (workdir / "a.txt").read_bytes() == b"server"


def test_upload_and_replace_after_asking(addr, library, workdir):
    (workdir / "report.pdf").write_bytes(b"v1")
    result = menu(addr, "3\nreport.pdf\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert "Uploaded 'report.pdf' (2 B)" in result.stdout
    (workdir / "report.pdf").write_bytes(b"v2!")
    result = menu(addr, "3\nreport.pdf\nn\n", workdir)
    assert "'report.pdf' is already on the server; replace it? [y/N] " in result.stdout
    assert (library / "report.pdf").read_bytes() == b"v1"
    result = menu(addr, f"3\n'{workdir / 'report.pdf'}'\nyes\n", workdir)  # a dropped file's quoted path
    assert (result.returncode, result.stderr) == (0, "")
    assert "Uploaded 'report.pdf' (3 B)" in result.stdout
    assert (library / "report.pdf").read_bytes() == b"v2!"


def test_a_failed_action_prints_the_error_and_returns_to_the_menu(addr, library, workdir):
    (library / "a.txt").write_bytes(b"A")
    result = menu(addr, "2\nnope.txt\n3\nmissing.bin\n2\n../x\n1\n4\n", workdir)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "error: not_found: no file named 'nope.txt'",
        "error: local_io: cannot read 'missing.bin': No such file or directory",
        "error: bad_name: '../x': name starts with '.'",
    ]
    assert result.stdout.endswith("  a.txt\n1 file, 1 B\n" + MENU + PROMPT)


def test_an_empty_answer_goes_back_to_the_menu(addr, workdir):
    result = menu(addr, "2\n\n3\n   \n4\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count(PROMPT) == 3


def test_end_of_input_inside_an_action_quits_cleanly(addr, workdir):
    result = menu(addr, "2\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")


def test_the_menu_on_an_unreachable_server(workdir):
    with closed_port() as port:
        result = menu(f"127.0.0.1:{port}", "1\n", workdir)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: connection_failed: cannot connect to 127.0.0.1:{port}: Connection refused\n"


# -- in a real terminal -----------------------------------------------------------


def test_the_menu_in_a_terminal_shows_the_prompt_and_progress_bars(addr, library, workdir):
    data = os.urandom(3_000_000)
    (library / "big.bin").write_bytes(data)
    with PtyClient(addr, cwd=workdir, columns=100) as client:
        assert "4  Quit" in client.expect(PROMPT)
        client.send("2\n")
        client.expect("File to download (Enter to go back): ")
        client.send("big.bin\n")
        shown = client.expect("Saved 'big.bin'")
        assert "big.bin  [" in shown and "] 100%  2.9 MiB" in shown
        assert all(len(line) <= 99 for line in shown.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        client.expect(PROMPT)
        client.send("x\n")
        client.expect(INVALID + "\r\n" + PROMPT)
        client.send("4\n")
        assert client.wait() == 0
    assert (workdir / "big.bin").read_bytes() == data


def test_the_menu_holds_no_connection_between_actions(server_factory, library, workdir):
    """Each action connects for itself, so the menu outlives the server's idle
    timeout and a restart. With room for one session only, a second client still
    gets in while the menu waits."""
    server = server_factory("--workers", "1", "--max-connections", "1")
    with PtyClient(address_of(server), cwd=workdir) as client:
        client.expect(PROMPT)
        # The server counts a session until it has seen the menu's first connection
        # close, a moment after the quit; a menu that kept it would make this fail.
        assert wait_for(greeted_by(server), timeout=10)
        client.send("4\n")
        assert client.wait() == 0


def test_a_server_gone_between_actions_is_an_error_not_the_end(server_factory, library, workdir):
    (library / "a.txt").write_bytes(b"A")
    server = server_factory("--workers", "1")
    with PtyClient(address_of(server), cwd=workdir) as client:
        client.expect(PROMPT)
        server.stop()
        client.send("1\n")
        assert "error: connection_failed: cannot connect to " in client.expect(PROMPT)
        client.send("4\n")
        assert client.wait() == 0


def test_ctrl_c_stops_a_transfer_and_returns_to_the_menu_then_quits(server, library, workdir):
    (library / "big.bin").write_bytes(os.urandom(2_000_000))
    with CuttingRelay(server.address, downstream_limit=500_000, hold=True) as relay, PtyClient(relay.address, cwd=workdir) as client:
        client.expect(PROMPT)
        client.send("2\n")
        client.expect("File to download (Enter to go back): ")
        client.send("big.bin\n")
        assert relay.limit_reached.wait(30)  # the body is flowing, and cannot finish
        client.send("\x03")
        client.expect("error: interrupted: stopped by Ctrl+C")
        client.expect(PROMPT)
        # Ctrl+C at the menu itself quits. CPython's input() can miss a SIGINT that
        # lands between printing the prompt and waiting for a key, and acts on it after
        # the next key instead; the Enter covers that case (alone, it would only re-prompt).
        client.send("\x03")
        client.send("\n")
        assert client.wait() == 0
    assert list(workdir.iterdir()) == []  # no big.bin, no big.bin.part


def test_a_command_in_a_terminal_draws_a_progress_bar(addr, library, workdir, tmp_path):
    (library / "a.bin").write_bytes(os.urandom(1_000_000))
    with PtyClient(addr, "get", "a.bin", "-o", str(workdir), columns=60) as client:
        assert client.wait() == 0
    lines = client.output.split("\r\n")
    assert lines[-1] == ""
    final = lines[-2].rsplit("\r", 1)[-1]
    assert final.startswith("a.bin  [####") and "] 100%  976.6 KiB  " in final and len(final) == 59


def test_the_menu_without_stdin_quits_cleanly(addr, workdir):
    result = run_client(addr, cwd=workdir, preexec_fn=lambda: os.close(0))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith(PROMPT + "\n")
