from __future__ import annotations

import errno
import json

from ferry_files.gui_client.errors_text import describe
from ferry_files.gui_client.file_kinds import can_preview, kind_of
from ferry_files.gui_client.formatting import human_eta, human_size, human_speed
from ferry_files.gui_client.settings import Settings
from ferry_files.shared.client import ConnectionLost
from ferry_files.shared.errors import FerryError
from ferry_files.terminal_client.formatting import human_size as terminal_human_size


def test_sizes_are_binary_units_named_as_such_and_the_same_as_the_terminals():
    """Defect 11: the app said "KB"/"MB" for multiples of 1024, the terminal "KiB"."""
    sizes = (0, 1023, 1024, 1536, 10 * 1024**2, 150 * 1024**2, 5 * 1024**4)
    assert [human_size(n) for n in sizes] == ["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "10.0 MiB", "150.0 MiB", "5.0 TiB"]
    assert [human_size(n) for n in sizes] == [terminal_human_size(n) for n in sizes]
    assert human_speed(0) == "" and human_speed(2 * 1024**2) == "2.0 MiB/s"


def test_eta_never_says_zero_while_something_is_left():
    assert [human_eta(s) for s in (None, 0.2, 4.4, 75, 3725)] == ["", "1 s", "5 s", "1:15", "1:02:05"]


def test_kinds_and_preview_rules():
    assert kind_of("Photo.JPG") == "image" and kind_of("a.tar.gz") == "archive" and kind_of("Makefile") == "file"
    assert kind_of(".png") == "file"
    assert can_preview("x.png", 10) and not can_preview("x.png", 0) and not can_preview("x.png", 10**9) and not can_preview("x.svg", 10)


def test_errors_are_sentences():
    assert describe(FerryError("connection_failed", "cannot connect")) == "The server is unreachable"
    assert describe(ConnectionLost("reset")) == "The connection to the server was lost"
    assert describe(OSError(errno.ENOSPC, "No space left", "/x/y")) == "The disk is full: /x/y"
    assert describe(PermissionError(errno.EACCES, "denied", "/root/f")).startswith("Permission denied")
    assert "Traceback" not in describe(ValueError("odd"))


def test_settings_round_trip_and_bad_files(tmp_path):
    path = tmp_path / "sub" / "gui.json"
    s = Settings.load(path)
    assert s.port == 7069 and s.max_parallel == 3 and s.download_dir
    s.host, s.port, s.max_parallel = "nas", 7070, 99
    s.save(path)
    loaded = Settings.load(path)
    assert (loaded.host, loaded.port) == ("nas", 7070)
    assert Settings(max_parallel=99).max_parallel == 8
    assert "token" not in json.loads(path.read_text())  # a secret is never written
    path.write_text("{not json")
    assert Settings.load(path).host == "127.0.0.1"
    path.write_text(json.dumps({"port": "x", "host": True, "unknown": 1}))
    assert Settings.load(path).port == 7069
