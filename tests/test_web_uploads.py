"""Uploads and changes over HTTP (docs/web.md): PUT with a length and chunked,
into the same temp-file, fsync and atomic publish as a Ferry put; a body cut in
the middle publishes nothing; mkdir, rename, delete; streamed zips."""

from __future__ import annotations

import collections
import hashlib
import io
import os
import time
import zipfile

import pytest

from tests.hardening_support import no_temp_files, visible
from tests.server_process import wait_for
from tests.web_support import Peer, changing, curl, encode_request, request


@pytest.fixture
def web(server_factory):
    return server_factory("--workers", "1", web=True)


def test_curl_uploads_a_file_with_a_length(web, library, tmp_path):
    source = tmp_path / "photo.jpg"
    source.write_bytes(os.urandom(300_000))
    result = curl("--fail", "-H", "X-Ferry: 1", "-T", str(source), f"{web.web_url}photo.jpg")
    assert result.returncode == 0, result.stderr
    assert (library / "photo.jpg").read_bytes() == source.read_bytes()
    assert f'"sha256": "{hashlib.sha256(source.read_bytes()).hexdigest()}"'.encode() in result.stdout
    assert no_temp_files(library)


def test_a_large_upload_is_stored_whole_and_the_connection_goes_on(web, library):
    data = os.urandom(20 << 20)  # past 8 MiB: received by splice on plain TCP
    with Peer(web.http_port) as peer:
        response = peer.request("PUT", "/big/nested/data.bin", changing(), data)
        assert response.status == 201, response.body
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert peer.request("GET", "/big/nested/?json").json()["entries"][0]["size"] == len(data)
    assert (library / "big" / "nested" / "data.bin").read_bytes() == data


def test_chunked_uploads(web, library, tmp_path):
    source = tmp_path / "log.txt"
    source.write_bytes(b"line\n" * 100_000)
    result = curl("--fail", "-H", "X-Ferry: 1", "-H", "Transfer-Encoding: chunked", "-T", str(source), f"{web.web_url}log.txt")
    assert result.returncode == 0, result.stderr
    assert (library / "log.txt").read_bytes() == source.read_bytes()
    with Peer(web.http_port) as peer:  # by hand, then a second request on the same connection
        body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        response = peer.request("PUT", "/hand.txt", changing({"Transfer-Encoding": "chunked"}), body)
        assert response.status == 201
        assert peer.request("GET", "/hand.txt").body == b"hello world"


@pytest.mark.parametrize("chunked", [False, True])
def test_an_upload_cut_in_the_middle_publishes_nothing(web, library, chunked):
    (library / "keep.txt").write_bytes(b"old")
    for name in ("new.bin", "keep.txt"):
        with Peer(web.http_port) as peer:
            overwrite = "?overwrite=1" if name == "keep.txt" else ""
            if chunked:
                headers = changing({"Transfer-Encoding": "chunked"})
                peer.send(encode_request("PUT", f"/{name}{overwrite}", web.http_port, headers) + b"100000\r\n" + b"x" * 50_000)
            else:
                headers = changing({"Content-Length": str(20 << 20)})
                peer.send(encode_request("PUT", f"/{name}{overwrite}", web.http_port, headers) + b"x" * (10 << 20))
            time.sleep(0.3)
    assert no_temp_files(library)
    assert visible(library) == ["keep.txt"]
    assert (library / "keep.txt").read_bytes() == b"old"
    assert request(web.http_port, "GET", "/keep.txt").body == b"old"


def test_an_existing_name_is_409_unless_overwrite(web, library):
    (library / "a.txt").write_bytes(b"old")
    refused = request(web.http_port, "PUT", "/a.txt", changing(), b"new")
    assert refused.status == 409 and refused.json()["error"] == "exists"
    assert (library / "a.txt").read_bytes() == b"old"
    assert request(web.http_port, "PUT", "/a.txt?overwrite=1", changing(), b"new").status == 201
    assert (library / "a.txt").read_bytes() == b"new"
    assert request(web.http_port, "PUT", "/a.txt", changing({"X-Ferry-Overwrite": "1"}), b"newer").status == 201
    assert (library / "a.txt").read_bytes() == b"newer"


def test_curl_with_expect_100_continue_is_refused_without_sending_the_body(web, library, tmp_path):
    (library / "a.bin").write_bytes(b"old")
    source = tmp_path / "a.bin"
    source.write_bytes(os.urandom(2 << 20))
    started = time.monotonic()
    result = curl("-H", "X-Ferry: 1", "-H", "Expect: 100-continue", "-T", str(source), "-w", "%{http_code}", f"{web.web_url}a.bin")
    assert result.stdout.endswith(b"409")
    assert time.monotonic() - started < 5
    assert (library / "a.bin").read_bytes() == b"old"


def test_a_wrong_sha256_is_422_and_nothing_is_published(web, library):
    response = request(web.http_port, "PUT", "/x.txt", changing({"X-Ferry-Sha256": "0" * 64}), b"data")
    assert response.status == 422 and response.json()["error"] == "checksum_mismatch"
    assert visible(library) == []


def test_max_upload_applies_with_a_length_and_chunked(server_factory, library):
    web = server_factory("--workers", "1", "--max-upload", "1000", web=True)
    assert request(web.http_port, "PUT", "/a", changing(), b"x" * 1001).status == 413
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (1001, b"x" * 1001)
    assert request(web.http_port, "PUT", "/b", changing({"Transfer-Encoding": "chunked"}), chunked).status == 413
    assert request(web.http_port, "PUT", "/c", changing(), b"x" * 1000).status == 201
    assert visible(library) == ["c"]
    assert no_temp_files(library)


def test_mkdir_rename_delete(web, library):
    port = web.http_port
    assert request(port, "POST", "/docs/", changing(), b'{"op": "mkdir"}').status == 201
    assert (library / "docs").is_dir()
    assert request(port, "POST", "/docs/", changing(), b'{"op": "mkdir"}').status == 409
    assert request(port, "PUT", "/docs/a.txt", changing(), b"A").status == 201
    moved = request(port, "POST", "/docs/a.txt", changing(), b'{"op": "rename", "to": "docs/b.txt"}')
    assert moved.status == 200 and moved.json() == {"ok": True, "from": "docs/a.txt", "to": "docs/b.txt"}
    assert (library / "docs" / "b.txt").read_bytes() == b"A"
    assert request(port, "POST", "/docs/", changing(), b'{"op": "rename", "to": "papers"}').status == 200
    not_empty = request(port, "DELETE", "/papers/", changing())
    assert not_empty.status == 409 and not_empty.json()["error"] == "not_empty"
    assert request(port, "DELETE", "/papers/b.txt", changing()).status == 200
    assert request(port, "DELETE", "/papers/b.txt", changing()).status == 404
    assert request(port, "PUT", "/papers/c/d.txt", changing(), b"D").status == 201
    assert request(port, "DELETE", "/papers/?recursive", changing()).status == 200
    assert visible(library) == []
    assert request(port, "POST", "/x", changing(), b"not json").status == 400
    assert request(port, "POST", "/x", changing(), b'{"op": "explode"}').status == 400


def test_a_folder_downloads_as_a_streamed_zip(web, library):
    (library / "album" / "2024").mkdir(parents=True)
    files = {"album/a.jpg": os.urandom(100_000), "album/2024/b.jpg": os.urandom(600_000), "album/2024/c.txt": b""}
    for name, data in files.items():
        (library / name).write_bytes(data)
    (library / "album" / ".hidden").write_bytes(b"secret")
    os.symlink("/etc/passwd", library / "album" / "link")
    response = request(web.http_port, "GET", "/album/?zip")
    assert response.status == 200
    assert response.headers["transfer-encoding"] == "chunked"  # streamed: no length known ahead
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["2024/", "2024/b.jpg", "2024/c.txt", "a.jpg"]
    for name, data in files.items():
        assert archive.read(name.removeprefix("album/")) == data
    assert no_temp_files(library)
    whole = zipfile.ZipFile(io.BytesIO(curl("--fail", f"{web.web_url}?zip").stdout))
    assert "album/a.jpg" in whole.namelist()


@pytest.mark.slow
def test_a_zip_with_a_file_past_4_gib_uses_zip64(web, library, tmp_path):
    """Only the archive's tail is kept (the central directory, and the small file
    after the huge one), placed at its offset in a sparse file: zipfile reads
    the directory from there without the 4 GiB of zeros being written to disk."""
    size = (4 << 30) + 4096
    with open(library / "huge.bin", "wb") as f:
        f.truncate(size)  # sparse: reads as zeros, costs no disk
    (library / "small.txt").write_bytes(b"after the huge one")
    total, tail = 0, collections.deque(maxlen=8)  # the last 8 chunks (256 KiB each, zipstream.CHUNK)
    with Peer(web.http_port, timeout=120) as peer:
        peer.send(encode_request("GET", "/?zip", web.http_port))
        for chunk in peer.chunks():
            total += len(chunk)
            tail.append(chunk)
    tail = b"".join(tail)
    out = tmp_path / "all.zip"
    with open(out, "wb") as f:
        f.truncate(total)
        f.seek(total - len(tail))
        f.write(tail)
    with zipfile.ZipFile(out) as archive:
        assert archive.getinfo("huge.bin").file_size == size
        assert archive.getinfo("small.txt").header_offset > 1 << 32  # past 4 GiB: a zip64 offset
        assert archive.read("small.txt") == b"after the huge one"


def test_the_server_still_serves_after_uploads_are_cut(web, library):
    for _ in range(5):
        with Peer(web.http_port) as peer:
            peer.send(encode_request("PUT", "/x.bin", web.http_port, changing({"Content-Length": "1000000"})) + b"x" * 1000)
    assert wait_for(lambda: no_temp_files(library, timeout=0.1), timeout=5)
    assert request(web.http_port, "GET", "/?json").json()["entries"] == []


def test_an_action_from_a_client_waiting_for_100_continue_is_answered_at_once(web, library):
    with Peer(web.http_port, timeout=5) as peer:
        body = b'{"op": "mkdir"}'
        peer.send(encode_request("POST", "/made/", web.http_port, changing({"Expect": "100-continue", "Content-Length": str(len(body))})))
        assert peer.response().status == 100  # the body is awaited, not the client's own timeout
        peer.send(body)
        assert peer.response().status == 201
    assert (library / "made").is_dir()
