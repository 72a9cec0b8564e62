"""The shared pipelining piece (shared/pipeline.py) against the real server:
requests sent ahead within the window, answers matched to their requests, and
``receive_file`` publishing, verifying or dropping one body while the
connection stays in step for the next."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from ferry_files.shared.client import FerryClient, RemoteStat
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.messages import Get, Stat
from ferry_files.shared.partial_downloads import TEMP_PREFIX
from ferry_files.shared.pipeline import WINDOW, Pipeline, receive_file


@pytest.fixture
def client(server):
    with FerryClient.connect(*server.address) as c:
        yield c


def make_files(library: Path, count: int) -> list[str]:
    names = [f"p{i:03d}.bin" for i in range(count)]
    for i, name in enumerate(names):
        (library / name).write_bytes(os.urandom(10 + i * 37))
        os.utime(library / name, (1_600_000_000 + i, 1_600_000_000 + i))
    return names


def temp_files(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)]


def test_stat_and_get_pipelined_within_the_window_verified_and_dated(client, library, downloads):
    names = make_files(library, 300)
    pending = iter(names)
    pipeline: Pipeline[tuple[str, str]] = Pipeline(client)

    def more():
        name = next(pending, None)
        return None if name is None else [(Stat(name), (name, "stat")), (Get(name), (name, "get"))]

    stats: dict[str, RemoteStat] = {}
    most = 0
    while True:
        pipeline.refill(more)
        most = max(most, len(pipeline))
        if not pipeline:
            break
        (name, kind), answer = pipeline.answer()
        assert not isinstance(answer, FerryError), answer
        if kind == "stat":
            stats[name] = RemoteStat(name, answer["size"], answer["mtime"], answer["sha256"])
        else:
            assert receive_file(client, answer, downloads / name, expected=stats[name]) == (library / name).stat().st_size
    assert WINDOW <= most <= WINDOW + 1  # sent ahead, a whole stat + get pair at most past the window
    for name in names:
        assert (downloads / name).read_bytes() == (library / name).read_bytes()
        assert (downloads / name).stat().st_mtime == (library / name).stat().st_mtime
    assert temp_files(downloads) == []


def test_a_refused_request_fails_alone_and_the_next_answers_follow(client, library, downloads):
    names = make_files(library, 5)
    (library / names[2]).unlink()  # deleted after the listing
    pipeline: Pipeline[str] = Pipeline(client)
    pending = iter(names)
    pipeline.refill(lambda: [(Get(n), n)] if (n := next(pending, None)) else None)
    assert len(pipeline) == len(names)  # all sent before the first answer is read
    outcome = {}
    while pipeline:
        name, answer = pipeline.answer()
        if isinstance(answer, FerryError):
            outcome[name] = answer.code
        else:
            receive_file(client, answer, downloads / name)
            outcome[name] = "done"
    assert outcome == {names[0]: "done", names[1]: "done", names[2]: ErrorCode.NOT_FOUND, names[3]: "done", names[4]: "done"}
    assert not client.closed


@pytest.mark.parametrize("problem", ["sha256", "mtime", "unwritable", "dropped"])
def test_a_body_not_kept_is_read_whole_and_the_connection_goes_on(client, library, downloads, problem):
    make_files(library, 2)
    info = client.stat("p000.bin")
    expected = {
        "sha256": RemoteStat(info.name, info.size, info.mtime, hashlib.sha256(b"other").hexdigest()),
        "mtime": RemoteStat(info.name, info.size, info.mtime + 1, info.sha256),
    }.get(problem)
    target = {"unwritable": downloads / "missing-folder" / "p000.bin", "dropped": None}.get(problem, downloads / "p000.bin")
    pipeline: Pipeline[str] = Pipeline(client)
    pending = iter(["p000.bin", "p001.bin"])
    pipeline.refill(lambda: [(Get(n), n)] if (n := next(pending, None)) else None)
    _, answer = pipeline.answer()
    if problem == "dropped":
        assert receive_file(client, answer, target) == info.size
    else:
        with pytest.raises(FerryError) as failed:
            receive_file(client, answer, target, expected=expected)
        assert failed.value.code == ("local_io" if problem == "unwritable" else ErrorCode.CHECKSUM_MISMATCH)
    assert os.listdir(downloads) == []  # neither the file nor a temp file
    _, answer = pipeline.answer()  # the next body is where it should be
    receive_file(client, answer, downloads / "p001.bin")
    assert (downloads / "p001.bin").read_bytes() == (library / "p001.bin").read_bytes()
