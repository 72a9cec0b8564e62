"""The interactive prompt (``run_client.py HOST[:PORT]`` with no command), driven
through a piped stdin, and in a real pseudo-terminal for what only a terminal
shows: the prompt as a person sees it, Tab completion, the history, progress
bars, and Ctrl+C; and without readline, as on Windows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.server_process import wait_for
from tests.terminal_support import REPO, CuttingRelay, PtyClient, address_of, closed_port, run_client
from tests.wire import Wire

HINT = "Type 'help' for the commands, Tab to complete, 'quit' to leave."


def prompt(addr: str, folder: str = "") -> str:
    return f"ferry {addr}:/{folder}> "


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


def test_the_prompt_lists_then_quits(addr, library, workdir):
    (library / "a.txt").write_bytes(b"hello")
    (library / "photos").mkdir()
    result = menu(addr, "ls -l\nquit\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Ferry server {addr} (ferry/")
    assert HINT in result.stdout
    assert "SIZE  MODIFIED          NAME\n 5 B  " in result.stdout and "  a.txt\n" in result.stdout and "  photos/\n" in result.stdout
    assert result.stdout.count(prompt(addr)) == 2


def test_end_of_input_quits_cleanly(addr, workdir):
    result = menu(addr, "", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith(prompt(addr) + "\n")


def test_empty_lines_unknown_commands_and_bad_quotes_ask_again(addr, workdir):
    result = menu(addr, "\n   \nfrob\nget 'open\nls --bogus\nexit\n", workdir)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "error: usage: argument COMMAND: invalid choice: 'frob' (choose from "
        + ", ".join(
            f"'{name}'" for name in ("ls", "list", "stat", "get", "download", "put", "upload", "rm", "delete", "mv", "rename", "mkdir")
        )
        + ") (see run_client.py --help)",
        "error: usage: cannot read the line: No closing quotation",
        "error: usage: unrecognized arguments: --bogus (see run_client.py --help)",
    ]
    assert result.stdout.count(prompt(addr)) == 6


def test_cd_pwd_and_the_prompt_follow_the_remote_folder(addr, library, workdir):
    (library / "photos" / "2024").mkdir(parents=True)
    (library / "photos" / "2024" / "c.jpg").write_bytes(b"C")
    (library / "top.txt").write_bytes(b"top")
    keys = "cd photos\npwd\ncd 2024\nls\nget c.jpg\ncd ..\nls\ncd /\nls\ncd nope\ncd top.txt\ncd ../..\npwd\nquit\n"
    result = menu(addr, keys, workdir)
    assert result.returncode == 0
    assert result.stdout.count(prompt(addr, "photos") + "/photos\n") == 1
    assert prompt(addr, "photos/2024") + "c.jpg\n" in result.stdout
    assert prompt(addr, "photos") + "2024/\n" in result.stdout
    assert result.stdout.count(prompt(addr) + "photos/\ntop.txt\n") == 1
    assert result.stdout.endswith(prompt(addr) + "/\n" + prompt(addr))
    assert result.stderr.splitlines() == [
        "error: not_found: no folder named 'nope'",
        "error: not_found: no folder named 'top.txt'",
        "error: bad_name: '../..': goes above the root folder",
    ]
    assert (workdir / "c.jpg").read_bytes() == b"C"


def test_every_command_works_at_the_prompt(addr, library, workdir):
    (workdir / "up.txt").write_bytes(b"up")
    keys = "mkdir -p a/b\ncd a\nput up.txt --to b\nmv b/up.txt b/moved.txt\nstat b/moved.txt\nget -r b\nrm -r b\nls\nquit\n"
    result = menu(addr, keys, workdir)
    assert (result.returncode, result.stderr) == (0, "")
    assert "name:     a/b/moved.txt\n" in result.stdout
    assert (workdir / "b" / "moved.txt").read_bytes() == b"up"
    assert [p.name for p in (library / "a").iterdir()] == []


def test_help_lists_the_commands_and_a_command_s_options(addr, workdir):
    result = menu(addr, "help\nhelp get\nget --help\nquit\n", workdir)
    assert (result.returncode, result.stderr) == (0, "")
    for text in ("ls [PATH] [-l] [-R] [--names]", "mkdir [-p] PATH...", "cd [PATH]", "pwd", "quit"):
        assert text in result.stdout
    assert result.stdout.count("-c, --continue") == 2  # help get, and get --help, which does not end the prompt


def test_a_failed_command_prints_the_error_and_returns_to_the_prompt(addr, library, workdir):
    (library / "a.txt").write_bytes(b"A")
    result = menu(addr, "get nope.txt\nput missing.bin\nget ../x\nls\nquit\n", workdir)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "error: not_found: no file named 'nope.txt'",
        "error: local_io: cannot read 'missing.bin': No such file or directory",
        "error: bad_name: '../x': goes above the root folder",
    ]
    assert result.stdout.endswith(prompt(addr) + "a.txt\n" + prompt(addr))


def test_the_prompt_on_an_unreachable_server(workdir):
    with closed_port() as port:
        result = menu(f"127.0.0.1:{port}", "ls\n", workdir)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: connection_failed: cannot connect to 127.0.0.1:{port}: Connection refused\n"


def test_the_prompt_without_stdin_quits_cleanly(addr, workdir):
    result = run_client(addr, cwd=workdir, preexec_fn=lambda: os.close(0))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith(prompt(addr) + "\n")


# -- in a real terminal -----------------------------------------------------------


def test_the_prompt_in_a_terminal_shows_progress_bars(addr, library, workdir):
    data = os.urandom(3_000_000)
    (library / "big.bin").write_bytes(data)
    with PtyClient(addr, cwd=workdir, columns=100) as client:
        client.expect(prompt(addr))
        client.send("get big.bin\n")
        shown = client.expect(prompt(addr))
        assert "big.bin  [" in shown and "] 100%  2.9 MiB" in shown
        assert all(len(line) <= 99 for line in shown.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        client.send("quit\n")
        assert client.wait() == 0
    assert (workdir / "big.bin").read_bytes() == data


def test_tab_completes_commands_and_remote_names(addr, library, workdir):
    (library / "photos" / "summer").mkdir(parents=True)
    (library / "photos" / "summer" / "beach.jpg").write_bytes(b"sand")
    with PtyClient(addr, cwd=workdir) as client:
        client.expect(prompt(addr))
        client.send("mkd\t")
        client.expect("mkdir ")
        client.send("\x15")  # Ctrl+U: clear the line
        client.send("get pho\t")
        client.expect("photos/")
        client.send("su\t")
        client.expect("summer/")
        client.send("b\t")
        client.expect("beach.jpg")
        client.send("\n")
        client.expect(prompt(addr))
        client.send("quit\n")
        assert client.wait() == 0
    assert (workdir / "beach.jpg").read_bytes() == b"sand"


def test_the_history_is_kept_between_runs(addr, library, workdir, state_home):
    (library / "a.txt").write_bytes(b"A")
    with PtyClient(addr, cwd=workdir) as client:
        client.expect(prompt(addr))
        client.send("ls -l\n")
        client.expect("1 file, 1 B")
        client.send("quit\n")
        assert client.wait() == 0
    assert (state_home / "ferry" / "history").read_text().splitlines()[-2:] == ["ls -l", "quit"]
    with PtyClient(addr, cwd=workdir) as client:
        client.expect(prompt(addr))
        client.send("\x1b[A\x1b[A\n")  # Up twice: the ls -l of the last run
        client.expect("1 file, 1 B")
        client.send("quit\n")
        assert client.wait() == 0


def test_without_readline_the_prompt_still_works(addr, library, workdir, state_home):
    """As on Windows: no readline module. No completion, no history, same commands."""
    (library / "a.txt").write_bytes(b"A")
    code = (
        f"import sys; sys.modules['readline'] = None; sys.path.insert(0, {str(REPO)!r}); "
        "from terminal_client.cli import main; sys.exit(main())"
    )
    with PtyClient(addr, cwd=workdir, command=[sys.executable, "-S", "-c", code]) as client:
        client.expect(prompt(addr))
        client.send("get a.tx\t\n")  # the Tab stays a character: no completion
        client.expect(prompt(addr))
        client.send("get a.txt\n")
        client.expect(prompt(addr))
        client.send("quit\n")
        assert client.wait() == 0
    assert (workdir / "a.txt").read_bytes() == b"A"
    assert not (state_home / "ferry" / "history").exists()


def test_the_prompt_holds_no_connection_between_commands(server_factory, library, workdir):
    """Each command connects for itself, so the prompt outlives the server's idle
    timeout and a restart. With room for one session only, a second client still
    gets in while the prompt waits."""
    server = server_factory("--workers", "1", "--max-connections", "1")
    addr = address_of(server)
    with PtyClient(addr, cwd=workdir) as client:
        client.expect(prompt(addr))
        assert wait_for(greeted_by(server), timeout=10)
        client.send("quit\n")
        assert client.wait() == 0


def test_a_server_gone_between_commands_is_an_error_not_the_end(server_factory, library, workdir):
    (library / "a.txt").write_bytes(b"A")
    server = server_factory("--workers", "1")
    addr = address_of(server)
    with PtyClient(addr, cwd=workdir) as client:
        client.expect(prompt(addr))
        server.stop()
        client.send("ls\n")
        assert "error: connection_failed: cannot connect to " in client.expect(prompt(addr))
        client.send("quit\n")
        assert client.wait() == 0


def test_ctrl_c_stops_a_transfer_and_returns_to_the_prompt_then_quits(server, library, workdir):
    (library / "big.bin").write_bytes(os.urandom(2_000_000))
    with CuttingRelay(server.address, downstream_limit=500_000, hold=True) as relay, PtyClient(relay.address, cwd=workdir) as client:
        client.expect(prompt(relay.address))
        client.send("get big.bin\n")
        assert relay.limit_reached.wait(30)  # the body is flowing, and cannot finish
        client.send("\x03")
        client.expect("error: interrupted: stopped by Ctrl+C")
        client.expect(prompt(relay.address))
        # Ctrl+C at the prompt itself quits. CPython's input() can miss a SIGINT that
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
