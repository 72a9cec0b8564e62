"""Names a server may legally have that would act on a terminal (issue 10, item
13): every place the terminal client prints a remote name shows it escaped, one
line per name; ``--json`` gives the exact names in ASCII-only JSON."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from ferry_files.shared.escaping import escape_name

from tests.terminal_support import PtyClient, address_of, run_client
from tests.test_escaping import UNSHOWN

#: Valid protocol names (only U+0000-U+001F, DEL, / and \ are refused) that hold
#: a C1 control sequence, bidi controls, NEL and the line/paragraph separators.
HOSTILE = [
    "csi\x9b2J.txt",
    "rtl\u202etxt.exe",
    "iso\u2067x\u2069.txt",
    "mark\u200f\u061c.txt",
    "nel\x85split.txt",
    "line\u2028split.txt",
    "para\u2029split.txt",
]


def raw_characters(text: str) -> list[str]:
    """The characters of ``text`` that should never reach a terminal (line feeds aside)."""
    return [f"U+{ord(c):04X}" for c in text if c != "\n" and unicodedata.category(c) in UNSHOWN]


@pytest.fixture
def addr(server, library: Path) -> str:
    for name in HOSTILE:
        (library / name).write_bytes(b"hostile")
    return address_of(server)


def test_list_shows_each_name_escaped_on_its_own_line(addr):
    result = run_client(addr, "list")
    assert result.returncode == 0, result.stderr
    assert raw_characters(result.stdout) == []
    lines = result.stdout.split("\n")
    assert len(lines) == 1 + len(HOSTILE) + 1 + 1  # heading, names, total, the final newline
    assert sorted(line.split("  ")[-1] for line in lines[1:-2]) == sorted(escape_name(n) for n in HOSTILE)


def test_list_names_prints_one_escaped_name_per_line(addr):
    result = run_client(addr, "list", "--names")
    assert result.returncode == 0, result.stderr
    assert raw_characters(result.stdout) == []
    assert result.stdout.endswith("\n")
    assert sorted(result.stdout[:-1].split("\n")) == sorted(escape_name(n) for n in HOSTILE)


def test_list_json_is_ascii_and_exact(addr):
    result = run_client(addr, "list", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii() and result.stdout.count("\n") == len(HOSTILE)  # one object a line
    assert sorted(json.loads(line)["name"] for line in result.stdout.splitlines()) == sorted(HOSTILE)


def test_stat_and_get_messages_show_the_name_escaped(addr, tmp_path):
    name = "rtl\u202etxt.exe"
    stat = run_client(addr, "stat", name)
    assert stat.returncode == 0 and stat.stdout.startswith("name:     rtl\\u202etxt.exe\n")
    missing = run_client(addr, "get", "csi\x9bgone", "nel\x85gone", "-o", str(tmp_path))
    assert missing.returncode == 1 and raw_characters(missing.stderr) == []
    assert missing.stderr.splitlines() == [
        "error: not_found: no file named 'csi\\x9bgone'",
        "error: not_found: no file named 'nel\\x85gone'",
    ]


def test_the_progress_bar_of_a_download_shows_the_name_escaped(addr, tmp_path):
    with PtyClient(addr, "get", *HOSTILE, cwd=tmp_path) as terminal:
        assert terminal.wait() == 0, terminal.output
    assert raw_characters(terminal.output.replace("\r", "")) == []
    for name in HOSTILE:
        assert escape_name(name) in terminal.output


def test_the_prompt_shows_names_escaped(addr, library, tmp_path):
    (library / "dir\x9b").mkdir()
    (library / "dir\x9b" / HOSTILE[1]).write_bytes(b"inside")
    result = run_client(addr, input="ls -l\ncd 'dir\x9b'\nls\nget 'csi\x9bgone'\npwd\nquit\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert raw_characters(result.stdout) == [] and raw_characters(result.stderr) == []
    assert "ferry " + addr + ":/dir\\x9b> " in result.stdout  # the prompt
    assert ":/dir\\x9b> rtl\\u202etxt.exe\n" in result.stdout and ":/dir\\x9b> /dir\\x9b\n" in result.stdout
    assert result.stderr == "error: not_found: no file named 'dir\\x9b/csi\\x9bgone'\n"
