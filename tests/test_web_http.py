"""HTTP conformance of the web port (docs/web.md): curl and raw sockets against
the real server: start-up line, GET/HEAD, validators, conditional requests,
ranges, keep-alive, a huge header, a slow client."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.hardening_support import greets
from tests.server_process import REPO, RUN_SERVER, ServerProcess
from tests.web_support import Peer, curl, encode_request, request

DATA = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def web(server_factory, library):
    (library / "data.bin").write_bytes(DATA)
    (library / "notes.txt").write_text("hello\n")
    (library / "sub").mkdir()
    (library / "sub" / "inner.txt").write_text("inner\n")
    return server_factory("--workers", "1", web=True)


def test_startup_prints_the_web_address_after_the_listening_line(web):
    assert web.web_url == f"http://127.0.0.1:{web.http_port}/"
    assert web.http_port not in (0, web.port)
    assert request(web.http_port, "GET", "/notes.txt").body == b"hello\n"


def test_without_h11_http_is_off_with_a_reason_and_the_rest_works(library):
    """``python3 -S`` leaves the project's packages out: no h11, so no HTTP."""
    with ServerProcess(library, "--http-port", "0") as server:
        assert server.logged(r"HTTP is off .*h11", timeout=5)
        assert greets(server.address)
        assert "Traceback" not in server.log()


def test_no_http_prints_no_web_line(library):
    command = [sys.executable, str(RUN_SERVER), "--port", "0", "--no-http", "--root", str(library)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        assert proc.stdout.readline().startswith(b"listening on ")
        proc.terminate()
        assert proc.stdout.read() == b""
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()


def test_get_sends_the_file_with_its_type_validators_and_name(web, library):
    response = request(web.http_port, "GET", "/notes.txt")
    assert response.status == 200
    assert response.body == b"hello\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "6"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith(" GMT")
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in response.headers


def test_a_name_outside_ascii_travels_as_rfc_6266_filename_star(web, library):
    (library / 'résumé "final".pdf').write_bytes(b"%PDF")
    response = request(web.http_port, "GET", "/r%C3%A9sum%C3%A9%20%22final%22.pdf?download")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ _final_.pdf"; ')
    assert disposition.endswith("filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf")


def test_curl_downloads_a_file_and_a_nested_one(web, tmp_path):
    out = tmp_path / "out.bin"
    result = curl("--fail", "-o", str(out), f"{web.web_url}data.bin")
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(DATA).digest()
    assert curl("--fail", f"{web.web_url}sub/inner.txt").stdout == b"inner\n"


def test_head_sends_the_headers_of_get_and_no_body(web):
    with Peer(web.http_port) as peer:
        head = peer.request("HEAD", "/data.bin")
        get = peer.request("GET", "/data.bin")  # the same connection: HEAD left nothing behind
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(DATA))
    assert head.headers["etag"] == get.headers["etag"]
    assert get.body == DATA
    result = curl("--head", "--fail", f"{web.web_url}data.bin")
    assert result.returncode == 0 and b"content-length: 10240" in result.stdout.lower()


@pytest.mark.parametrize(
    ("spec", "status", "content_range", "body"),
    [
        ("bytes=2-5", 206, "bytes 2-5/10240", DATA[2:6]),
        ("bytes=10000-", 206, "bytes 10000-10239/10240", DATA[10000:]),
        ("bytes=-3", 206, "bytes 10237-10239/10240", DATA[-3:]),
        ("bytes=10000-99999", 206, "bytes 10000-10239/10240", DATA[10000:]),
        ("bytes=0-0,5-6", 200, None, DATA),  # several ranges: the whole file, as the RFC allows
        ("bytes=9-2", 200, None, DATA),  # invalid: ignored
        ("lines=1-2", 200, None, DATA),  # not a unit this server knows: ignored
    ],
)
def test_ranges(web, spec, status, content_range, body):
    response = request(web.http_port, "GET", "/data.bin", {"Range": spec})
    assert response.status == status
    assert response.headers.get("content-range") == content_range
    assert response.body == body


def test_a_range_past_the_end_is_416_with_the_size(web):
    response = request(web.http_port, "GET", "/data.bin", {"Range": "bytes=10240-"})
    assert response.status == 416
    assert response.headers["content-range"] == "bytes */10240"


def test_curl_resumes_a_download_with_a_range(web, tmp_path):
    out = tmp_path / "data.bin"
    out.write_bytes(DATA[:4000])
    result = curl("--fail", "-C", "-", "-o", str(out), f"{web.web_url}data.bin")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == DATA


def test_conditional_requests(web, library):
    first = request(web.http_port, "GET", "/data.bin")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert request(web.http_port, "GET", "/data.bin", {"If-None-Match": etag}).status == 304
    assert request(web.http_port, "GET", "/data.bin", {"If-None-Match": f'"other", W/{etag}'}).status == 304
    assert request(web.http_port, "HEAD", "/data.bin", {"If-None-Match": etag}).status == 304
    assert request(web.http_port, "GET", "/data.bin", {"If-None-Match": '"other"'}).status == 200
    assert request(web.http_port, "GET", "/data.bin", {"If-Modified-Since": modified}).status == 304
    assert request(web.http_port, "GET", "/data.bin", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert request(web.http_port, "GET", "/data.bin", both).status == 200
    # If-Range: the range only while the file is still the one the client has
    assert request(web.http_port, "GET", "/data.bin", {"Range": "bytes=0-1", "If-Range": etag}).status == 206
    assert request(web.http_port, "GET", "/data.bin", {"Range": "bytes=0-1", "If-Range": modified}).status == 206
    (library / "data.bin").write_bytes(DATA[::-1])  # changed: a new tag
    changed = request(web.http_port, "GET", "/data.bin", {"Range": "bytes=0-1", "If-Range": etag})
    assert changed.status == 200 and changed.body == DATA[::-1]
    assert request(web.http_port, "GET", "/data.bin", {"If-None-Match": etag}).status == 200


def test_keep_alive_and_pipelining_on_one_connection(web):
    with Peer(web.http_port) as peer:
        peer.send(
            encode_request("GET", "/notes.txt", web.http_port)
            + encode_request("GET", "/sub/inner.txt", web.http_port)
            + encode_request("GET", "/?json", web.http_port)
        )
        assert peer.response().body == b"hello\n"
        assert peer.response().body == b"inner\n"
        names = [entry["name"] for entry in peer.response().json()["entries"]]
        assert names == ["data.bin", "notes.txt", "sub"]
        assert peer.request("GET", "/notes.txt").status == 200
        closing = peer.request("GET", "/notes.txt", {"Connection": "close"})
        assert closing.status == 200
        assert peer.closed_by_server()


def test_http_1_0_gets_an_answer_and_a_close(web):
    with Peer(web.http_port) as peer:
        peer.send(b"GET /notes.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
        assert peer.response().body == b"hello\n"
        assert peer.closed_by_server()


def test_a_huge_header_is_431_and_the_server_goes_on(web):
    with Peer(web.http_port) as peer:
        peer.send(b"GET /notes.txt HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 200_000)
        assert peer.response().status == 431
        assert peer.closed_by_server()
    assert request(web.http_port, "GET", "/notes.txt").status == 200


def test_garbage_is_400(web):
    with Peer(web.http_port) as peer:
        peer.send(b"NOT HTTP AT ALL\r\n\r\n")
        assert peer.response().status == 400


def test_a_slow_header_is_cut_off_and_others_are_served_meanwhile(server_factory, library):
    (library / "notes.txt").write_text("hello\n")
    web = server_factory("--workers", "1", "--header-timeout", "1", web=True)
    with Peer(web.http_port) as slow:
        started = time.monotonic()
        slow.send(b"GET /notes.txt HTTP/1.1\r\n")
        closed = False
        while time.monotonic() - started < 8:
            try:
                slow.send(b"X")  # a byte every 0.2 s: never a whole header
            except OSError:
                closed = True
                break
            fast_started = time.monotonic()
            assert request(web.http_port, "GET", "/notes.txt").status == 200
            assert time.monotonic() - fast_started < 2
            time.sleep(0.2)
            slow.sock.settimeout(0.01)
            try:
                if slow.sock.recv(4096, socket.MSG_PEEK):
                    break
            except (TimeoutError, BlockingIOError):
                pass
            except OSError:
                closed = True
                break
        slow.sock.settimeout(5)
        elapsed = time.monotonic() - started
        if not closed:
            assert slow.response().status == 408
    assert 0.9 < elapsed < 6


def test_a_client_that_never_reads_its_download_is_dropped(server_factory, library):
    size = 64 << 20
    (library / "big.bin").write_bytes(os.urandom(size))
    web = server_factory("--workers", "1", "--idle-timeout", "1", web=True)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    sock.connect(("127.0.0.1", web.http_port))
    sock.sendall(encode_request("GET", "/big.bin", web.http_port))
    time.sleep(3)  # the buffers fill, then nothing moves for longer than the idle timeout
    sock.settimeout(5)
    received, ended, deadline = 0, False, time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(1 << 20)
            if not chunk:
                ended = True
                break
            received += len(chunk)
    except ConnectionResetError:
        ended = True
    sock.close()
    assert ended and received < size
    assert request(web.http_port, "GET", "/?json").status == 200


def test_a_folder_without_its_slash_redirects(web):
    response = request(web.http_port, "GET", "/sub")
    assert response.status == 301 and response.headers["location"] == "/sub/"
    assert request(web.http_port, "GET", "/nothing").status == 404


def test_a_zip_asked_with_head_has_headers_and_no_body(web):
    with Peer(web.http_port) as peer:
        head = peer.request("HEAD", "/?zip")
        assert head.status == 200 and head.headers["content-type"] == "application/zip"
        assert peer.request("GET", "/notes.txt").body == b"hello\n"


def test_an_idle_keep_alive_connection_is_closed_without_a_word(server_factory, library):
    (library / "notes.txt").write_text("hello\n")
    web = server_factory("--workers", "1", "--idle-timeout", "1", web=True)
    with Peer(web.http_port) as fresh, Peer(web.http_port) as used, Peer(web.http_port) as slow:
        assert used.request("GET", "/notes.txt").status == 200
        assert slow.request("GET", "/notes.txt").status == 200
        slow.send(b"GET /notes.txt HTTP/1.1\r\n")  # a second request begun, never finished
        time.sleep(2.5)  # the watchdog looks every 0.25 s
        assert fresh.closed_by_server()  # EOF, not a 408 the client never asked for
        assert used.closed_by_server()
        assert slow.response().status == 408


def test_sigterm_lets_a_download_finish_and_closes_idle_connections(server_factory, library):
    data = os.urandom(48 << 20)
    (library / "big.bin").write_bytes(data)
    web = server_factory("--workers", "1", web=True)
    with Peer(web.http_port) as idle, Peer(web.http_port) as busy:
        assert idle.request("GET", "/?json").status == 200
        busy.send(encode_request("GET", "/big.bin", web.http_port))
        first = busy.sock.recv(1 << 16)  # the download has begun
        web.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert idle.closed_by_server()
        assert time.monotonic() - signalled < 3  # at once, not at the end of --grace (10 s)
        rest = b""
        while chunk := busy.sock.recv(1 << 20):
            rest += chunk
        whole = first + rest
        assert whole.endswith(data) and len(whole) - len(data) < 1024  # the head, then every byte
    assert web.stop() == 0


def test_a_header_begun_behind_a_pipelined_request_is_timed_too(server_factory, library):
    (library / "notes.txt").write_text("hello\n")
    web = server_factory("--workers", "1", "--header-timeout", "1", web=True)
    with Peer(web.http_port) as peer:
        peer.send(encode_request("GET", "/notes.txt", web.http_port) + b"GET /notes.txt HTTP/1.1\r\nX-Slow: ")
        assert peer.response().body == b"hello\n"
        started = time.monotonic()
        assert peer.response().status == 408  # its header never ends: cut at the header timeout
        assert time.monotonic() - started < 4
