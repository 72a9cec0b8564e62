from __future__ import annotations

import errno
import json

from ferry_files.gui_client.errors_text import describe
from ferry_files.gui_client.file_kinds import can_preview, kind_of
from ferry_files.gui_client.formatting import human_eta, human_size, human_speed
from ferry_files.gui_client.settings import Settings
from ferry_files.shared.client import ConnectionLost
from ferry_files.shared.errors import FerryError


def test_human_units():
    assert [human_size(n) for n in (0, 1023, 1024, 1536, 10 * 1024**2, 5 * 1024**4)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "1.5 KB",
        "10.0 MB",
        "5.0 TB",
    ]
    assert human_speed(0) == "" and human_speed(2 * 1024**2) == "2.0 MB/s"
    assert [human_eta(s) for s in (None, 4.4, 75, 3725)] == ["", "4 s", "1:15", "1:02:05"]


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
