"""Text for people (terminal_client/formatting.py, listing.py, failures.py): sizes,
times, escaping of untrusted text, and the list and stat outputs."""

from __future__ import annotations

import json
import time

import pytest
from ferry_files.shared.client import RemoteFile, RemoteStat
from ferry_files.shared.errors import FerryError
from ferry_files.shared.escaping import escape_name
from ferry_files.terminal_client.failures import about, error_line
from ferry_files.terminal_client.formatting import display_width, fit, human_duration, human_size, local_time, pad, quoted
from ferry_files.terminal_client.listing import file_names, file_table, files_json, stat_block, stat_json
from hypothesis import given
from hypothesis import strategies as st


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024 * 1024 - 1, "1.0 MiB"),  # 1023.999 KiB would round to "1024.0 KiB"
        (10 * 1024**2 + 1, "10.0 MiB"),
        (5 * 1024**3, "5.0 GiB"),
        (3 * 1024**4, "3.0 TiB"),
        (2**63 - 1, "8.0 EiB"),
    ],
)
def test_human_size(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (7.9, "0:07"), (754, "12:34"), (3723, "1:02:03"), (-5, "0:00")])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_local_time(utc):
    assert local_time(1_700_000_000.9) == "2023-11-14 22:13"
    assert local_time(1_700_000_000.9, seconds=True) == "2023-11-14 22:13:20"


@pytest.mark.parametrize("nonsense", [1e300, -1e300, float("nan")])
def test_a_time_no_calendar_holds_is_a_question_mark(nonsense):
    assert local_time(nonsense) == "?"


@given(st.text())
def test_quoted_escapes_a_name_as_escape_name_does(name):
    shown = quoted(name)
    assert shown.isprintable()
    if "'" not in name:
        assert shown == f"'{escape_name(name)}'"


def test_display_width_fit_and_pad():
    assert display_width("abc") == 3
    assert display_width("日本") == 4
    assert display_width("e\u0301") == 1  # e and a combining accent
    assert fit("abcdef", 4) == "abc~"
    assert fit("日本語", 5) == "日本~"
    assert fit("abc", 3) == "abc"
    assert pad("日本", 6) == "日本  "


def test_file_table(utc):
    files = [RemoteFile("a.txt", 6, 1_700_000_000), RemoteFile("movie \x9b.mkv", 5 * 1024**3, 1_600_000_000)]
    assert file_table(files) == (
        "   SIZE  MODIFIED          NAME\n    6 B  2023-11-14 22:13  a.txt\n5.0 GiB  2020-09-13 12:26  movie \\x9b.mkv\n2 files, 5.0 GiB\n"
    )
    assert file_table([RemoteFile("x", 0, 1e300)]) == "SIZE  MODIFIED  NAME\n 0 B  ?         x\n1 file, 0 B\n"
    assert file_table([]) == "No files.\n"


def test_bare_names_are_escaped_and_json_is_exact():
    files = [RemoteFile("é \x9b", 1, 2.5)]
    assert file_names(files) == "é \\x9b\n"
    text = files_json(files)
    assert text.isascii() and json.loads(text) == {"name": "é \x9b", "type": "file", "size": 1, "mtime": 2.5}


def test_stat_block_and_json(utc):
    stat = RemoteStat("a.txt", 2048, 1_700_000_000, "ab" * 32)
    assert stat_block(stat) == f"name:     a.txt\nsize:     2.0 KiB (2,048 bytes)\nmodified: 2023-11-14 22:13:20\nsha256:   {'ab' * 32}\n"
    assert json.loads(stat_json(stat)) == {"name": "a.txt", "type": "file", "size": 2048, "mtime": 1_700_000_000, "sha256": "ab" * 32}


def test_error_lines_are_one_harmless_line():
    assert error_line(FerryError("not_found", "no file named 'a'")) == "error: not_found: no file named 'a'"
    assert error_line(FerryError("x\x1b", "two\nlines\x9b")) == "error: x\\x1b: two\\nlines\\x9b"


def test_errors_name_the_file_they_concern_once():
    assert about("a.txt", FerryError("not_found", "no file named 'a.txt'")).message == "no file named 'a.txt'"
    lost = about("a.txt", FerryError("connection_lost", "the server closed the connection"))
    assert (lost.code, lost.message) == ("connection_lost", "'a.txt': the server closed the connection")
