"""Feature ``folders`` over a raw socket (PROTOCOL.md 7.1 to 7.4): paths in ``stat``,
``get`` and ``put``, ``list`` with ``path``, ``folders`` and ``recursive``, ``mkdir``,
``put``'s ``parents``; every error and its rank."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from ferry_files.shared.limits import MAX_PATH_BYTES, MAX_PATH_NAMES

from tests.hardening_support import sha, upload
from tests.wire import Wire


def entries(wire: Wire, **fields) -> list[dict]:
    response = wire.request({"op": "list", **fields})
    assert response["ok"] is True, response
    lines = [json.loads(line) for line in wire.body(response["length"]).splitlines()]
    assert len(lines) == response["count"]
    return lines


def names(wire: Wire, **fields) -> list[str]:
    return [entry["name"] for entry in entries(wire, **fields)]


@pytest.fixture
def tree(library: Path, tmp_path: Path) -> Path:
    """photos/{a.jpg, 2024/b.jpg, .hidden/x}, notes.txt, a link to a folder outside,
    links to a folder and a file inside, a FIFO, and a folder outside the library."""
    (library / "photos" / "2024").mkdir(parents=True)
    (library / "photos" / ".hidden").mkdir()
    (library / "photos" / ".hidden" / "x").write_bytes(b"hidden")
    (library / "photos" / "a.jpg").write_bytes(b"AAAA")
    (library / "photos" / "2024" / "b.jpg").write_bytes(b"BB")
    (library / "notes.txt").write_bytes(b"notes")
    outside = tmp_path / "outside"
    (outside / "2024").mkdir(parents=True)
    (outside / "2024" / "b.jpg").write_bytes(b"OUTSIDE")
    (outside / "secret").write_bytes(b"OUTSIDE")
    os.symlink(outside, library / "out")
    os.symlink("photos", library / "inlink")
    os.symlink("notes.txt", library / "photos" / "notes-link")
    os.mkfifo(library / "photos" / "fifo")
    return library


def test_the_greeting_offers_folders(server):
    with Wire(server.address) as wire:
        assert "folders" in wire.greeting["features"]


# -- 7.1 paths in stat, get, put --------------------------------------------


def test_stat_get_and_put_take_paths(server, tree):
    with Wire(server.address) as wire:
        answer = wire.request({"op": "stat", "name": "photos/2024/b.jpg"})
        assert answer == {"ok": True, "name": "photos/2024/b.jpg", "size": 2, "mtime": answer["mtime"], "sha256": sha(b"BB")}
        header = wire.request({"op": "get", "name": "photos/a.jpg", "offset": 1})
        assert header["name"] == "photos/a.jpg" and header["length"] == 3
        assert wire.body(3) == b"AAA"
        assert upload(wire, "photos/2024/c.jpg", b"new") == {"ok": True, "name": "photos/2024/c.jpg", "size": 3, "sha256": sha(b"new")}
        assert upload(wire, "photos/2024/c.jpg", b"newer", overwrite=True)["ok"] is True
        assert wire.error({"op": "put", "name": "photos/2024/c.jpg", "size": 1}) == "exists"
    assert (tree / "photos" / "2024" / "c.jpg").read_bytes() == b"newer"
    assert os.listdir(tree / ".ferry-uploads") == []


@pytest.mark.parametrize(
    "path",
    [
        "missing/a.jpg",  # no such folder
        "photos/missing/b.jpg",
        "notes.txt/a.jpg",  # a file on the way
        "out/secret",  # a symlink on the way, to outside
        "out/2024/b.jpg",
        "inlink/a.jpg",  # a symlink on the way, even to a folder inside
    ],
)
def test_a_path_whose_folder_is_missing_or_a_link_or_a_file_is_not_found(server, tree, path):
    with Wire(server.address) as wire:
        assert wire.error({"op": "stat", "name": path}) == "not_found"
        assert wire.error({"op": "get", "name": path}) == "not_found"
        assert wire.error({"op": "put", "name": path, "size": 1}) == "not_found"
        assert wire.error({"op": "put", "name": path, "size": 1, "overwrite": True}) == "not_found"
        assert wire.request({"op": "stat", "name": "notes.txt"})["ok"] is True  # still in step
    assert sorted(os.listdir(tree.parent / "outside")) == ["2024", "secret"]
    assert (tree.parent / "outside" / "2024" / "b.jpg").read_bytes() == b"OUTSIDE"


def test_the_last_name_follows_version_1_rules(server, tree):
    with Wire(server.address) as wire:
        for path in ("photos/notes-link", "photos/fifo", "photos/2024", "photos/.hidden/x"):
            expected = "bad_name" if "/." in path else "not_found"
            assert wire.error({"op": "stat", "name": path}) == expected, path
            assert wire.error({"op": "get", "name": path}) == expected, path
        assert wire.error({"op": "put", "name": "photos/notes-link", "size": 1}) == "exists"
        assert wire.error({"op": "put", "name": "photos/fifo", "size": 1}) == "exists"
        assert wire.error({"op": "put", "name": "photos/2024", "size": 1}) == "exists"
        assert wire.error({"op": "put", "name": "photos/2024", "size": 1, "overwrite": True}) == "exists"
        assert upload(wire, "photos/notes-link", b"L", overwrite=True)["ok"] is True  # the link is replaced, never followed
    assert (tree / "notes.txt").read_bytes() == b"notes"
    assert (tree / "photos" / "notes-link").read_bytes() == b"L" and not (tree / "photos" / "notes-link").is_symlink()


@pytest.mark.parametrize("path", ["/a", "a/", "a//b", "a/../b", "a/.x", "./a", "a/b\\c", "a/\u0001"])
def test_malformed_paths_are_bad_name(server, path):
    with Wire(server.address) as wire:
        for request in (
            {"op": "stat", "name": path},
            {"op": "get", "name": path},
            {"op": "put", "name": path, "size": 1},
            {"op": "mkdir", "path": path},
            {"op": "list", "path": path},
        ):
            assert wire.error(request) == "bad_name", request


def test_empty_path_is_the_root_for_list_only(server, tree):
    with Wire(server.address) as wire:
        assert names(wire, path="") == names(wire) == ["notes.txt"]
        for request in (
            {"op": "stat", "name": ""},
            {"op": "get", "name": ""},
            {"op": "put", "name": "", "size": 0},
            {"op": "mkdir", "path": ""},
        ):
            assert wire.error(request) == "bad_name", request


def test_path_limits(server, library):
    with Wire(server.address) as wire:
        deep = "/".join(["d"] * MAX_PATH_NAMES)
        assert wire.request({"op": "mkdir", "path": deep[:-2], "parents": True})["ok"] is True
        assert upload(wire, deep, b"deep")["ok"] is True
        assert wire.error({"op": "stat", "name": deep + "/e"}) == "bad_name"
        long = "/".join(["n" * 200] * 20) + "/" + "m" * 76
        assert len(long.encode()) == MAX_PATH_BYTES
        assert wire.error({"op": "put", "name": long + "x", "size": 1, "parents": True}) == "bad_name"
        assert upload(wire, long, b"long", parents=True)["ok"] is True
        assert wire.request({"op": "get", "name": long})["length"] == 4


# -- 7.2 list ---------------------------------------------------------------


def test_list_without_the_new_fields_is_version_1_for_that_folder(server, tree):
    with Wire(server.address) as wire:
        root = entries(wire)
        assert root == entries(wire, path="")
        assert [sorted(entry) for entry in root] == [["mtime", "name", "size"]]
        photos = entries(wire, path="photos")
        assert photos == [{"name": "a.jpg", "size": 4, "mtime": os.stat(tree / "photos" / "a.jpg").st_mtime}]
        assert entries(wire, path="photos", folders=False, recursive=False) == photos
        assert entries(wire, path="photos/2024") == [
            {"name": "b.jpg", "size": 2, "mtime": os.stat(tree / "photos" / "2024" / "b.jpg").st_mtime}
        ]


def test_list_with_folders_types_every_line(server, tree):
    with Wire(server.address) as wire:
        lines = entries(wire, folders=True)
        mtime = os.stat(tree / "photos").st_mtime
        assert lines == [
            {"name": "notes.txt", "type": "file", "size": 5, "mtime": os.stat(tree / "notes.txt").st_mtime},
            {"name": "photos", "type": "dir", "mtime": mtime},
        ]
        assert [(e["name"], e["type"]) for e in entries(wire, path="photos", folders=True)] == [("2024", "dir"), ("a.jpg", "file")]


def test_recursive_list_names_paths_relative_to_the_folder(server, tree):
    with Wire(server.address) as wire:
        assert names(wire, recursive=True) == ["notes.txt", "photos/2024/b.jpg", "photos/a.jpg"]
        assert names(wire, path="photos", recursive=True) == ["2024/b.jpg", "a.jpg"]
        typed = entries(wire, path="photos", recursive=True, folders=True)
        assert [(e["name"], e["type"]) for e in typed] == [("2024", "dir"), ("2024/b.jpg", "file"), ("a.jpg", "file")]
        assert typed[0] == {"name": "2024", "type": "dir", "mtime": os.stat(tree / "photos" / "2024").st_mtime}
        assert typed[1] == {"name": "2024/b.jpg", "type": "file", "size": 2, "mtime": os.stat(tree / "photos" / "2024" / "b.jpg").st_mtime}
        # Nothing hidden, linked or special, at any depth; nothing outside.
        every = json.dumps(entries(wire, recursive=True, folders=True))
        for word in ("hidden", "out", "inlink", "notes-link", "fifo", "secret", "ferry-uploads"):
            assert word not in every, word


def test_recursive_list_is_sorted_by_code_point_over_the_whole_name(server, library):
    for folder in ("a", "a/b", "é"):
        (library / folder).mkdir()
    for path in ("a.b", "a0", "a/x", "a/b/y", "a-c", "aa", "Z", "é/z", "éa", "a/b.c"):
        (library / path).write_bytes(b"")
    with Wire(server.address) as wire:
        listed = names(wire, recursive=True, folders=True)
        assert listed == sorted(listed)
        assert listed == ["Z", "a", "a-c", "a.b", "a/b", "a/b.c", "a/b/y", "a/x", "a0", "aa", "é", "é/z", "éa"]
        assert names(wire, recursive=True) == ["Z", "a-c", "a.b", "a/b.c", "a/b/y", "a/x", "a0", "aa", "é/z", "éa"]


def test_list_of_what_is_not_a_folder_is_not_found(server, tree):
    with Wire(server.address) as wire:
        for path in ("notes.txt", "missing", "out", "inlink", "photos/fifo", "photos/notes-link", "out/2024", "photos/missing"):
            for fields in ({}, {"recursive": True}, {"folders": True}):
                assert wire.error({"op": "list", "path": path, **fields}) == "not_found", (path, fields)


def test_list_field_types(server):
    with Wire(server.address) as wire:
        for fields in ({"path": None}, {"path": 1}, {"folders": 1}, {"recursive": "yes"}, {"folders": None}):
            assert wire.error({"op": "list", **fields}) == "bad_request", fields
        assert wire.error({"op": "list", "path": "a//b", "folders": 1}) == "bad_request"  # before bad_name


def test_recursive_list_leaves_out_what_is_deeper_than_a_path_may_be(server, library):
    deep = library.joinpath(*["d"] * (MAX_PATH_NAMES + 1))
    deep.mkdir(parents=True)
    (deep.parent.parent / "last.txt").write_bytes(b"64 names")  # a path of exactly 64 names
    (deep.parent / "too-deep.txt").write_bytes(b"65 names")
    # Folders whose path grows to near 4,096 bytes, made one openat at a time (the
    # absolute path is past what the kernel takes in one string).
    fd = os.open(library, os.O_RDONLY | os.O_DIRECTORY)
    used = -1  # no "/" before the first name
    for name in ["long"] + ["k" * 255] * 15:
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd, used = inner, used + 1 + len(name)
    fits = MAX_PATH_BYTES - used - 1
    for name in ("f" * fits, "g" * (fits + 1)):
        os.close(os.open(name, os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)
    with Wire(server.address) as wire:
        listed = names(wire, recursive=True)
        assert "/".join(["d"] * (MAX_PATH_NAMES - 1)) + "/last.txt" in listed
        assert not any(name.endswith("too-deep.txt") for name in listed)
        assert any(name.endswith("f" * fits) for name in listed)
        assert not any(name.endswith("g" * (fits + 1)) for name in listed)
        assert all(len(name.encode()) <= MAX_PATH_BYTES and name.count("/") < MAX_PATH_NAMES for name in listed)
        folders = names(wire, recursive=True, folders=True)
        assert "/".join(["d"] * MAX_PATH_NAMES) in folders and "/".join(["d"] * (MAX_PATH_NAMES + 1)) not in folders
        # Relative to a deep folder, the limits still count from the library's root.
        sub = "/".join(["d"] * 60)
        assert names(wire, path=sub, recursive=True) == ["d/d/d/last.txt"]
        assert names(wire, path="/".join(["d"] * MAX_PATH_NAMES)) == []


# -- 7.3 mkdir ----------------------------------------------------------------


def test_mkdir(server, tree):
    with Wire(server.address) as wire:
        assert wire.request({"op": "mkdir", "path": "new"}) == {"ok": True, "path": "new"}
        assert wire.request({"op": "mkdir", "path": "photos/2024/june"}) == {"ok": True, "path": "photos/2024/june"}
        assert wire.request({"op": "mkdir", "path": "x/y/z", "parents": True}) == {"ok": True, "path": "x/y/z"}
        assert wire.request({"op": "mkdir", "path": "x/y/z", "parents": True}) == {"ok": True, "path": "x/y/z"}  # as mkdir -p
        assert wire.error({"op": "mkdir", "path": "x", "parents": False}) == "exists"
        for path in ("new", "notes.txt", "out", "inlink", "photos/fifo", "photos/notes-link"):
            assert wire.error({"op": "mkdir", "path": path}) == "exists", path
        for path in ("notes.txt", "out", "inlink", "photos/fifo", "photos/notes-link"):
            assert wire.error({"op": "mkdir", "path": path, "parents": True}) == "exists", path
        assert wire.error({"op": "mkdir", "path": "missing/a"}) == "not_found"
        assert wire.error({"op": "mkdir", "path": "notes.txt/a"}) == "not_found"
        assert wire.error({"op": "mkdir", "path": "notes.txt/a", "parents": True}) == "exists"
        assert wire.error({"op": "mkdir", "path": "out/a"}) == "not_found"
        assert wire.error({"op": "mkdir", "path": "out/a", "parents": True}) == "not_found"
        assert wire.error({"op": "mkdir", "path": "inlink/a", "parents": True}) == "not_found"
        assert [(e["name"], e["type"]) for e in entries(wire, path="x", recursive=True, folders=True)] == [("y", "dir"), ("y/z", "dir")]
    assert (tree / "new").is_dir() and (tree / "x" / "y" / "z").is_dir() and (tree / "photos" / "2024" / "june").is_dir()
    assert sorted(os.listdir(tree.parent / "outside")) == ["2024", "secret"]


def test_mkdir_fields_and_precedence(server_factory, library, tmp_path):
    server = server_factory("--workers", "1")
    with Wire(server.address) as wire:
        assert wire.error({"op": "mkdir"}) == "bad_request"
        assert wire.error({"op": "mkdir", "path": 5}) == "bad_request"
        assert wire.error({"op": "mkdir", "path": "a", "parents": None}) == "bad_request"
        assert wire.error({"op": "mkdir", "path": "a/../b", "parents": "x"}) == "bad_request"  # before bad_name
        assert wire.error({"op": "mkdir", "path": ".a"}) == "bad_name"
    read_only = server_factory("--workers", "1", "--read-only")
    with Wire(read_only.address) as wire:
        assert wire.error({"op": "mkdir", "path": ".a"}) == "bad_name"  # before read_only
        assert wire.error({"op": "mkdir", "path": "a"}) == "read_only"
        assert wire.error({"op": "mkdir", "path": "missing/a"}) == "read_only"  # before not_found
        assert wire.error({"op": "put", "name": "missing/a", "size": 1}) == "read_only"
        assert wire.error({"op": "put", "name": "a", "size": 1, "parents": True}) == "read_only"
        assert names(wire, folders=True) == []  # reading still works
    (tmp_path / "token").write_text("s3cret")
    writes = server_factory("--workers", "1", "--token-file", str(tmp_path / "token"), "--token-for", "write")
    with Wire(writes.address) as wire:
        assert wire.error({"op": "mkdir", "path": ".a"}) == "unauthorized"  # before bad_name
        assert wire.error({"op": "mkdir", "path": "a"}) == "unauthorized"
        assert entries(wire, recursive=True, folders=True) == []  # reading needs no auth
        assert wire.request({"op": "auth", "token": "s3cret"}) == {"ok": True}
        assert wire.request({"op": "mkdir", "path": "a"}) == {"ok": True, "path": "a"}
    assert sorted(os.listdir(library)) == [".ferry-uploads", "a"]


# -- 7.4 put parents ----------------------------------------------------------


def test_put_with_parents_makes_the_folders(server, tree):
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "new/deeper/f.txt", "size": 1}) == "not_found"
        assert upload(wire, "new/deeper/f.txt", b"f", parents=True)["ok"] is True
        assert upload(wire, "new/deeper/g.txt", b"g", parents=True)["ok"] is True  # folders already there
        assert upload(wire, "top.txt", b"t", parents=True)["ok"] is True
        assert upload(wire, "new/deeper/f.txt", b"F", parents=False, overwrite=True)["ok"] is True
        assert wire.error({"op": "put", "name": "notes.txt/f", "size": 1, "parents": True}) == "exists"
        assert wire.error({"op": "put", "name": "photos/fifo/f", "size": 1, "parents": True}) == "exists"
        assert wire.error({"op": "put", "name": "out/f", "size": 1, "parents": True}) == "not_found"
        assert wire.error({"op": "put", "name": "inlink/new/f", "size": 1, "parents": True}) == "not_found"
        assert wire.error({"op": "put", "name": "new/deeper/g.txt", "size": 1, "parents": True}) == "exists"
        assert names(wire, path="new", recursive=True) == ["deeper/f.txt", "deeper/g.txt"]
    assert (tree / "new" / "deeper" / "f.txt").read_bytes() == b"F"
    assert sorted(os.listdir(tree.parent / "outside")) == ["2024", "secret"]
    assert not (tree / "photos" / "new").exists()


def test_put_parents_must_be_a_boolean_and_makes_nothing_for_a_bad_name(server, library):
    with Wire(server.address) as wire:
        assert wire.error({"op": "put", "name": "a/b", "size": 1, "parents": 1}) == "bad_request"
        assert wire.error({"op": "put", "name": "a/.b", "size": 1, "parents": True}) == "bad_name"
        assert wire.error({"op": "put", "name": "a/b", "size": 1, "parents": None}) == "bad_request"
    assert sorted(os.listdir(library)) == [".ferry-uploads"]


def test_a_failed_upload_into_a_folder_leaves_nothing(server, library):
    (library / "f").mkdir()
    with Wire(server.address) as wire:
        answer = upload(wire, "f/x.bin", b"data", sha256="0" * 64)
        assert answer["error"] == "checksum_mismatch"
        answer = upload(wire, "g/h/x.bin", b"data", sha256="0" * 64, parents=True)
        assert answer["error"] == "checksum_mismatch"
        assert names(wire, recursive=True) == []
    assert os.listdir(library / "f") == [] and os.listdir(library / ".ferry-uploads") == []


def test_large_uploads_into_a_folder_publish_and_replace_there(server, library):
    """From 8 MiB an upload hashes on a thread, commits on the thread pool and holds a
    file it replaces open across the rename: all of it relative to the folder's fd."""
    (library / "big").mkdir()
    first, second = os.urandom(9 << 20), os.urandom(9 << 20)
    with Wire(server.address, timeout=60) as wire:
        assert upload(wire, "big/f.bin", first)["sha256"] == sha(first)
        assert upload(wire, "big/f.bin", second, overwrite=True)["sha256"] == sha(second)
        assert upload(wire, "big/new/g.bin", first, parents=True)["sha256"] == sha(first)
        assert names(wire, recursive=True) == ["big/f.bin", "big/new/g.bin"]
    assert (library / "big" / "f.bin").read_bytes() == second
    assert (library / "big" / "new" / "g.bin").read_bytes() == first
    assert os.listdir(library / ".ferry-uploads") == []


def test_an_upload_lands_in_the_folder_it_began_in_even_when_moved_or_removed(server, library):
    (library / "d").mkdir()
    (library / "gone").mkdir()
    with Wire(server.address) as wire:
        assert wire.request({"op": "put", "name": "d/x.txt", "size": 4}) == {"ok": True, "ready": True}
        wire.send(b"ab")
        time.sleep(0.2)
        os.rename(library / "d", library / "e")  # the folder moves mid-upload
        wire.send(b"cd")
        assert wire.header()["ok"] is True
        assert wire.request({"op": "put", "name": "gone/x.txt", "size": 4}) == {"ok": True, "ready": True}
        wire.send(b"ab")
        time.sleep(0.2)
        os.rmdir(library / "gone")  # the folder goes away mid-upload
        wire.send(b"cd")
        answer = wire.header()
        assert answer["error"] == "io_error" and "removed" in answer["message"], answer
        assert wire.error({"op": "mkdir", "path": "gone/y"}) == "not_found"
    assert (library / "e" / "x.txt").read_bytes() == b"abcd"
    assert sorted(os.listdir(library)) == [".ferry-uploads", "e"]
    assert os.listdir(library / ".ferry-uploads") == []
