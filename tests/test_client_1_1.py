"""The client library's protocol 1.1 (PROTOCOL.md section 7) against the real
server: what it uses when the greeting offers it, how it falls back when it
does not, and the upload path where the system has no ``os.sendfile``."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from pathlib import Path

import pytest
from ferry_files.shared.client import FerryClient, RemoteFile, RemoteFolder, TransferCancelled
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.messages import FOLDERS, MANAGE, MTIME, RESUME, TRAILER
from ferry_files.shared.tree_transfer import TreeProgress
from ferry_files.shared.upload_records import default_upload_records

from tests.fake_server import EvilServer, header

OLD = 1_500_000_000.25  # an mtime far from now, exact in a float


@pytest.fixture
def client(server):
    with FerryClient.connect(*server.address) as c:
        yield c


def needs(client: FerryClient, *features: str) -> None:
    """Skip while the server under test does not implement a feature yet."""
    missing = [name for name in features if not client.greeting.offers(name)]
    if missing:
        pytest.skip(f"the server does not offer {missing} yet")


def recording_server(answer: bytes = b"") -> tuple[EvilServer, list[dict]]:
    """A version 1 server (no ``features``) that records the first request and
    answers ``ready``; the test reads what the client sent."""
    seen: list[dict] = []

    def script(conn, reader) -> None:
        seen.append(json.loads(reader.readline()))
        conn.sendall(header({"ok": True, "ready": True}))
        size = seen[0]["size"]
        body = reader.read(size)
        conn.sendall(answer or header({"ok": True, "name": seen[0]["name"], "size": size, "sha256": hashlib.sha256(body).hexdigest()}))
        reader.readline()  # quit

    return EvilServer(script), seen


# -- the greeting decides ----------------------------------------------------------


def test_a_version_1_server_gets_version_1_requests_only(tmp_path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    fake, seen = recording_server()
    with FerryClient.connect(*fake.address, timeout=5) as client:
        assert client.greeting.features is None
        for refused in (lambda: client.mkdir("d"), lambda: client.delete("a"), lambda: client.list("d")):
            with pytest.raises(FerryError) as info:
                refused()
            assert info.value.code is ErrorCode.FORBIDDEN
        with pytest.raises(FerryError) as info:
            client.put(source, name="d/a.txt")
        assert info.value.code is ErrorCode.BAD_NAME  # a path is no name to a 1.0 server
        uploaded = client.put(source, resume=True)
    fake.close()
    assert seen == [{"op": "put", "name": "a.txt", "size": 5, "sha256": hashlib.sha256(b"hello").hexdigest()}]
    assert uploaded.sha256 == hashlib.sha256(b"hello").hexdigest()


def test_a_server_offering_no_features_is_spoken_to_as_version_1(client, tmp_path, library):
    """Today's server without a feature (or ``--no-delete`` without manage): the
    client refuses what would be forbidden before sending it, and the rest works."""
    offered = client.greeting.features
    assert offered is not None
    source = tmp_path / "plain.bin"
    source.write_bytes(os.urandom(300_000))
    os.utime(source, (OLD, OLD))
    assert client.put(source).sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (library / "plain.bin").read_bytes() == source.read_bytes()
    if MTIME not in offered:
        assert (library / "plain.bin").stat().st_mtime != OLD
    for feature, call in ((FOLDERS, lambda: client.mkdir("d")), (MANAGE, lambda: client.delete("plain.bin"))):
        if feature not in offered:
            with pytest.raises(FerryError) as info:
                call()
            assert info.value.code is ErrorCode.FORBIDDEN and feature in info.value.message
    assert [f.name for f in client.list()] == ["plain.bin"]  # the session is still fine


def test_no_delete_leaves_manage_out_and_the_client_does_not_ask(server_factory, library, tmp_path):
    server = server_factory("--no-delete")
    (library / "keep.txt").write_bytes(b"k")
    with FerryClient.connect(*server.address) as client:
        assert not client.greeting.offers(MANAGE)
        for call in (lambda: client.delete("keep.txt"), lambda: client.rename("keep.txt", "other.txt")):
            with pytest.raises(FerryError) as info:
                call()
            assert info.value.code is ErrorCode.FORBIDDEN
    assert (library / "keep.txt").read_bytes() == b"k"


# -- uploads -----------------------------------------------------------------------


def test_an_upload_without_os_sendfile_works(monkeypatch, client, tmp_path, library):
    """Windows has no os.sendfile: the body is read, hashed and sent in Python."""
    monkeypatch.delattr(os, "sendfile")
    data = os.urandom(5_000_000)
    (tmp_path / "w.bin").write_bytes(data)
    seen: list[int] = []
    uploaded = client.put(tmp_path / "w.bin", progress=lambda done, total: seen.append(done))
    assert uploaded.sha256 == hashlib.sha256(data).hexdigest()
    assert (library / "w.bin").read_bytes() == data
    assert seen[0] == 0 and seen[-1] == len(data)


def test_an_upload_without_pread_works(monkeypatch, client, tmp_path, library):
    monkeypatch.delattr(os, "pread")
    data = os.urandom(2_000_000)
    (tmp_path / "p.bin").write_bytes(data)
    assert client.put(tmp_path / "p.bin").sha256 == hashlib.sha256(data).hexdigest()
    assert (library / "p.bin").read_bytes() == data


def test_put_streams_the_digest_in_a_trailer_and_keeps_mtime(client, tmp_path, library):
    needs(client, TRAILER, MTIME)
    data = os.urandom(9_000_000)
    source = tmp_path / "t.bin"
    source.write_bytes(data)
    os.utime(source, (OLD, OLD))
    uploaded = client.put(source)
    assert uploaded.sha256 == hashlib.sha256(data).hexdigest()
    assert (library / "t.bin").read_bytes() == data
    assert (library / "t.bin").stat().st_mtime == OLD


def test_a_file_that_changes_while_it_is_sent_is_not_published(client, tmp_path, library):
    """The hashing thread reads the pages after sendfile did: a change in between
    makes the digests differ, and the server publishes nothing."""
    needs(client, TRAILER)
    source = tmp_path / "moving.bin"
    source.write_bytes(os.urandom(64 << 20))
    changed = []

    def change(done: int, total: int) -> None:
        if done and not changed:
            with open(source, "r+b") as f:  # rewrite what was already sent
                f.write(os.urandom(done))
            changed.append(done)

    with pytest.raises(FerryError) as info:
        client.put(source, progress=change)
    assert info.value.code is ErrorCode.CHECKSUM_MISMATCH
    assert not (library / "moving.bin").exists()


def test_put_with_checksum_off_sends_no_digest(client, tmp_path, library):
    (tmp_path / "n.bin").write_bytes(b"n" * 1000)
    assert client.put(tmp_path / "n.bin", checksum=False).sha256 == hashlib.sha256(b"n" * 1000).hexdigest()


@pytest.mark.parametrize("sendfile", [True, False], ids=["sendfile", "no-sendfile"])
def test_an_interrupted_upload_resumes_where_the_server_left_it(server, tmp_path, library, monkeypatch, sendfile):
    """The digest of the whole file goes in the trailer: the part the server held
    is hashed from the local file while the rest is sent (or first, without sendfile)."""
    if not sendfile:
        monkeypatch.delattr(os, "sendfile")
    data = os.urandom(24 << 20)
    source = tmp_path / "r.bin"
    source.write_bytes(data)
    cancel = threading.Event()
    with FerryClient.connect(*server.address) as client:
        needs(client, RESUME, TRAILER)
        with pytest.raises(TransferCancelled):
            client.put(source, resume=True, cancel=cancel, progress=lambda done, total: done >= 12 << 20 and cancel.set())
    assert not (library / "r.bin").exists()
    starts: list[int] = []
    with FerryClient.connect(*server.address) as client:
        uploaded = client.put(source, resume=True, progress=lambda done, total: starts.append(done))
    assert starts[0] > 0  # continued: the server held the first bytes
    assert uploaded.sha256 == hashlib.sha256(data).hexdigest()
    assert (library / "r.bin").read_bytes() == data
    assert list(default_upload_records().folder.glob("*.json")) == []  # done: the record is gone


def test_a_changed_local_file_never_resumes(server, tmp_path, library):
    source = tmp_path / "c.bin"
    source.write_bytes(os.urandom(24 << 20))
    cancel = threading.Event()
    with FerryClient.connect(*server.address) as client:
        needs(client, RESUME)
        with pytest.raises(TransferCancelled):
            client.put(source, resume=True, cancel=cancel, progress=lambda done, total: done >= 12 << 20 and cancel.set())
    data = os.urandom(24 << 20)
    source.write_bytes(data)  # same size, another content and mtime
    starts: list[int] = []
    with FerryClient.connect(*server.address) as client:
        client.put(source, resume=True, progress=lambda done, total: starts.append(done))
    assert starts[0] == 0
    assert (library / "c.bin").read_bytes() == data


def test_upload_records_are_keyed_by_the_local_files_identity(tmp_path):
    records = default_upload_records()
    source = tmp_path / "k.bin"
    source.write_bytes(b"1")
    first = records.upload_id("h:1", "k.bin", source.stat())
    assert records.upload_id("h:1", "k.bin", source.stat()) == first
    assert records.upload_id("h:2", "k.bin", source.stat()) != first
    source.write_bytes(b"22")
    assert records.upload_id("h:1", "k.bin", source.stat()) != first
    records.forget("h:1", "k.bin", source.stat())


# -- downloads ---------------------------------------------------------------------


def test_get_gives_the_local_file_the_servers_mtime(client, library, tmp_path):
    (library / "old.txt").write_bytes(b"old")
    os.utime(library / "old.txt", (OLD, OLD))
    out = tmp_path / "out"
    out.mkdir()
    path = client.get("old.txt", out)
    assert path.stat().st_mtime == OLD


def test_an_impossible_mtime_from_a_server_still_downloads(tmp_path):
    reply = header({"ok": True, "name": "f", "size": 2, "mtime": 1e300, "offset": 0, "length": 2}) + b"ok"

    def script(conn, reader) -> None:
        reader.readline()
        conn.sendall(reply)
        reader.readline()

    fake = EvilServer(script)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        assert client.get("f", tmp_path).read_bytes() == b"ok"
    fake.close()


# -- folders and file management ---------------------------------------------------


def test_list_and_mkdir(client, library, tmp_path):
    needs(client, FOLDERS)
    client.mkdir("a/b", parents=True)
    client.mkdir("a/b", parents=True)  # as mkdir -p
    with pytest.raises(FerryError) as info:
        client.mkdir("a")
    assert info.value.code is ErrorCode.EXISTS
    (tmp_path / "f.txt").write_bytes(b"f")
    client.put(tmp_path / "f.txt", name="a/b/f.txt")
    client.put(tmp_path / "f.txt", name="new/deep/f.txt", parents=True)
    assert client.list("a/b") == [RemoteFile("f.txt", 1, client.stat("a/b/f.txt").mtime)]
    tree = client.list(folders=True, recursive=True)
    assert [(type(e), e.name) for e in tree] == [
        (RemoteFolder, "a"),
        (RemoteFolder, "a/b"),
        (RemoteFile, "a/b/f.txt"),
        (RemoteFolder, "new"),
        (RemoteFolder, "new/deep"),
        (RemoteFile, "new/deep/f.txt"),
    ]
    assert [e.name for e in client.list(recursive=True)] == ["a/b/f.txt", "new/deep/f.txt"]
    assert [e.name for e in client.list("a", folders=True)] == ["b"]
    with pytest.raises(FerryError) as info:
        client.list("nowhere")
    assert info.value.code is ErrorCode.NOT_FOUND
    out = tmp_path / "out"
    out.mkdir()
    assert client.get("new/deep/f.txt", out) == out.resolve() / "f.txt"


def test_delete_and_rename_in_the_root(client, library, tmp_path):
    needs(client, MANAGE)
    (library / "a.txt").write_bytes(b"a")
    (library / "b.txt").write_bytes(b"b")
    with pytest.raises(FerryError) as info:
        client.rename("a.txt", "b.txt")
    assert info.value.code is ErrorCode.EXISTS
    client.rename("a.txt", "b.txt", overwrite=True)
    assert (library / "b.txt").read_bytes() == b"a" and not (library / "a.txt").exists()
    client.delete("b.txt")
    with pytest.raises(FerryError) as info:
        client.delete("b.txt")
    assert info.value.code is ErrorCode.NOT_FOUND
    assert client.list() == []


def test_delete_and_rename(client, library, tmp_path):
    needs(client, FOLDERS, MANAGE)
    client.mkdir("a/b", parents=True)
    client.mkdir("new/deep", parents=True)
    (tmp_path / "f.txt").write_bytes(b"f")
    client.put(tmp_path / "f.txt", name="a/b/f.txt")
    client.put(tmp_path / "f.txt", name="new/deep/f.txt")
    client.rename("a/b/f.txt", "a/g.txt")
    assert (library / "a" / "g.txt").read_bytes() == b"f"
    with pytest.raises(FerryError) as info:
        client.delete("a")
    assert info.value.code is ErrorCode.NOT_EMPTY
    client.delete("a", recursive=True)
    client.delete("new/deep/f.txt")
    assert [e.name for e in client.list(folders=True, recursive=True)] == ["new", "new/deep"]


# -- tree transfers ----------------------------------------------------------------


def make_tree(root: Path, folders: int, per_folder: int) -> dict[str, bytes]:
    files = {}
    for folder in range(folders):
        for index in range(per_folder):
            relative = f"d{folder}/sub/f{index}.bin" if folder % 2 else f"d{folder}/f{index}.bin"
            data = os.urandom(100 + index * 37)
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.utime(path, (OLD, OLD))
            files[relative] = data
    (root / "empty").mkdir()
    return files


def test_put_tree_and_get_tree_round_trip(client, library, tmp_path):
    needs(client, FOLDERS)
    source = tmp_path / "source"
    files = make_tree(source, 6, 30)
    big = os.urandom(3 << 20)  # one file through the streaming body
    (source / "d0" / "big.bin").write_bytes(big)
    files["d0/big.bin"] = big
    seen: list[TreeProgress] = []
    report = client.put_tree(source, "up/here", progress=seen.append)
    assert report.ok, report.lines()
    assert sorted(report.done) == sorted(files)
    assert seen[-1] == TreeProgress(len(files), len(files), sum(map(len, files.values())), sum(map(len, files.values())))
    for relative, data in files.items():
        assert (library / "up" / "here" / relative).read_bytes() == data
    assert (library / "up" / "here" / "empty").is_dir()
    out = tmp_path / "out" / "new"  # made by get_tree
    seen.clear()
    report = client.get_tree("up", out, progress=seen.append)
    assert report.ok, report.lines()
    assert seen[-1].files_done == seen[-1].files_total == len(files)
    for relative, data in files.items():
        local = out / "here" / relative
        assert local.read_bytes() == data
        if client.greeting.offers(MTIME) and relative != "d0/big.bin":
            assert local.stat().st_mtime == OLD
    assert (out / "here" / "empty").is_dir()
    assert [n for n in os.listdir(out / "here" / "d0") if n.startswith(".")] == []  # no temp file left


def test_a_flat_tree_into_the_root_works_on_any_server(client, library, tmp_path):
    """Whatever the server offers (trailer, mtime, folders, or none)."""
    flat = tmp_path / "flat"
    flat.mkdir()
    files = {f"f{index}.bin": os.urandom(index * 1000) for index in range(30)}
    files["large.bin"] = os.urandom(2 << 20)
    for name, data in files.items():
        (flat / name).write_bytes(data)
        os.utime(flat / name, (OLD, OLD))
    report = client.put_tree(flat, "")
    assert report.ok and sorted(report.done) == sorted(files)
    assert {name: (library / name).read_bytes() for name in files} == files
    if client.greeting.offers(MTIME):
        assert {(library / name).stat().st_mtime for name in files} == {OLD}
    out = tmp_path / "out"
    report = client.get_tree("", out)
    assert report.ok and {name: (out / name).read_bytes() for name in os.listdir(out)} == files


def test_put_tree_reports_each_failure_and_goes_on(client, library, tmp_path):
    needs(client, FOLDERS)
    source = tmp_path / "source"
    files = make_tree(source, 2, 5)
    (source / ".hidden").write_bytes(b"h")
    (source / "d1" / "link").symlink_to(tmp_path)  # not followed: it could lead anywhere
    (source / "d1" / "flink").symlink_to(source / "d0" / "f1.bin")
    client.mkdir("t/d0", parents=True)
    (library / "t" / "d0" / "f2.bin").write_bytes(b"already there")
    report = client.put_tree(source, "t")
    assert {(f.path, f.code) for f in report.failed} == {
        ("d0/f2.bin", "exists"),
        (".hidden", "bad_name"),
        ("d1/link", "bad_name"),
        ("d1/flink", "bad_name"),
    }
    assert sorted(report.done) == sorted(set(files) - {"d0/f2.bin"})
    assert (library / "t" / "d0" / "f2.bin").read_bytes() == b"already there"
    assert any(line.startswith("d0/f2.bin: ") and "(exists)" in line for line in report.lines())
    assert client.list("t/d0")  # the session is still fine


def version_1_server(files: dict[str, bytes]) -> EvilServer:
    """A version 1 server over ``files`` (no ``features`` in its greeting): list,
    get and put of plain names, answered in order, as pipelined as they come."""

    def script(conn: socket.socket, reader) -> None:
        while line := reader.readline():
            request = json.loads(line)
            if request["op"] == "list":
                body = b"".join(header({"name": n, "size": len(d), "mtime": OLD}) for n, d in sorted(files.items()))
                conn.sendall(header({"ok": True, "count": len(files), "length": len(body)}) + body)
            elif request["op"] == "get":
                data = files[request["name"]]
                conn.sendall(
                    header({"ok": True, "name": request["name"], "size": len(data), "mtime": OLD, "offset": 0, "length": len(data)}) + data
                )
            elif request["op"] == "put":
                assert set(request) <= {"op", "name", "size", "sha256", "overwrite"}, request
                conn.sendall(header({"ok": True, "ready": True}))
                data = files[request["name"]] = reader.read(request["size"])
                conn.sendall(header({"ok": True, "name": request["name"], "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}))
            else:
                conn.sendall(header({"ok": True}))
                return

    return EvilServer(script)


def test_put_tree_to_a_server_without_folders(tmp_path):
    """Flat: pipelined version 1 puts into the root. A subfolder: refused up front."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for index in range(20):
        (flat / f"f{index}.txt").write_bytes(b"x" * index)
    stored: dict[str, bytes] = {}
    fake = version_1_server(stored)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        report = client.put_tree(flat, "")
        assert report.ok and len(report.done) == 20
        (flat / "sub").mkdir()
        with pytest.raises(FerryError) as info:
            client.put_tree(flat, "")
        assert info.value.code is ErrorCode.FORBIDDEN
        assert stored == {f"f{index}.txt": b"x" * index for index in range(20)}
        out = tmp_path / "out"
        out.mkdir()
        assert client.get_tree("", out).ok
    fake.close()
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == stored


def test_get_tree_names_that_are_one_local_file_are_reported(client, library, tmp_path):
    """``CON`` is saved as ``_CON``: the real ``_CON`` would replace it."""
    (library / "CON").write_bytes(b"device name")
    (library / "_CON").write_bytes(b"plain")
    (library / "ok").write_bytes(b"ok")
    os.utime(library / "ok", (OLD, OLD))
    out = tmp_path / "out"
    out.mkdir()
    report = client.get_tree("", out)
    assert report.done == ["CON", "ok"]
    assert [(f.path, f.code) for f in report.failed] == [("_CON", "exists")]
    assert (out / "_CON").read_bytes() == b"device name"
    assert (out / "ok").stat().st_mtime == OLD  # dated as on the server


def test_get_tree_never_follows_a_symlink_in_the_destination(client, library, tmp_path):
    needs(client, FOLDERS)
    (library / "sub").mkdir()
    (library / "sub" / "x.txt").write_bytes(b"x")
    (library / "y.txt").write_bytes(b"y")
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(outside)
    report = client.get_tree("", out)
    assert report.done == ["y.txt"]
    assert [(f.path, f.code) for f in report.failed] == [("sub", "exists"), ("sub/x.txt", "exists")]
    assert os.listdir(outside) == []


def test_get_tree_pipelines_its_requests(tmp_path):
    """A server that answers nothing until it holds three ``get`` requests: a
    client that waited for each answer before the next request would time out."""
    names = ["a", "b", "c"]
    body = b"".join(header({"name": n, "size": 1, "mtime": OLD}) for n in names)

    def script(conn: socket.socket, reader) -> None:
        reader.readline()
        conn.sendall(header({"ok": True, "count": 3, "length": len(body)}) + body)
        requests = [json.loads(reader.readline()) for _ in names]
        for request in requests:
            conn.sendall(header({"ok": True, "name": request["name"], "size": 1, "mtime": OLD, "offset": 0, "length": 1}) + b"z")
        reader.readline()

    fake = EvilServer(script)
    with FerryClient.connect(*fake.address, timeout=3) as client:
        report = client.get_tree("", tmp_path)
    fake.close()
    assert report.done == names and report.ok
    assert [(tmp_path / n).read_bytes() for n in names] == [b"z"] * 3


def test_a_lost_connection_during_a_tree_transfer_raises(tmp_path):
    body = header({"name": "a", "size": 1, "mtime": OLD})

    def script(conn: socket.socket, reader) -> None:
        reader.readline()
        conn.sendall(header({"ok": True, "count": 1, "length": len(body)}) + body)
        reader.readline()  # the get; then the server goes away

    fake = EvilServer(script)
    with FerryClient.connect(*fake.address, timeout=3) as client:
        with pytest.raises(FerryError) as info:
            client.get_tree("", tmp_path)
        assert info.value.code == "connection_lost"
    fake.close()
    assert os.listdir(tmp_path) == []


def test_a_recursive_listing_from_a_hostile_server_keeps_only_safe_entries():
    lines = [
        {"name": "a", "type": "dir", "mtime": OLD},
        {"type": "file", "name": "a/b.txt", "mtime": OLD, "size": 3},
        {"name": "a/../../etc", "type": "dir", "mtime": OLD},
        {"name": "/abs", "type": "file", "size": 1, "mtime": OLD},
        {"name": "a/link", "type": "symlink", "mtime": OLD},  # a later protocol's type: left out
    ]
    body = b"".join(header(line) for line in lines)
    greeting = b'{"ferry":1,"server":"evil","auth":false,"max_upload":null,"features":["folders","future"]}\n'

    def script(conn, reader) -> None:
        request = json.loads(reader.readline())
        assert request == {"op": "list", "folders": True, "recursive": True}
        conn.sendall(header({"ok": True, "count": len(lines), "length": len(body)}) + body)
        reader.readline()

    fake = EvilServer(script, greeting=greeting)
    with FerryClient.connect(*fake.address, timeout=5) as client:
        assert client.greeting.features == {FOLDERS}
        assert client.list(folders=True, recursive=True) == [RemoteFolder("a", OLD), RemoteFile("a/b.txt", 3, OLD)]
    fake.close()


def test_a_resume_offset_beyond_the_file_is_refused(tmp_path):
    greeting = b'{"ferry":1,"server":"evil","auth":false,"max_upload":null,"features":["trailer","resume"]}\n'
    seen: list[dict] = []

    def script(conn, reader) -> None:
        seen.append(json.loads(reader.readline()))
        conn.sendall(header({"ok": True, "ready": True, "offset": 10**9}))
        reader.readline()

    (tmp_path / "s.bin").write_bytes(b"small")
    fake = EvilServer(script, greeting=greeting)
    client = FerryClient.connect(*fake.address, timeout=5)
    with pytest.raises(FerryError) as info:
        client.put(tmp_path / "s.bin", resume=True)
    assert info.value.code is ErrorCode.BAD_REQUEST and client.closed
    fake.close()
    assert seen[0]["trailer"] is True and len(seen[0]["upload_id"]) == 32 and "sha256" not in seen[0]
