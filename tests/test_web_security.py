"""The browser side of security (docs/security.md): paths that try to leave the
library, the Host check (DNS rebinding), the anti-CSRF header, no CORS, the
login cookie, and the server's refusals (read-only, --no-delete, --token-for
write, busy) as on the native protocol."""

from __future__ import annotations

import os

import pytest

from tests.hardening_support import visible
from tests.server_process import wait_for
from tests.web_support import Peer, changing, curl, request
from tests.wire import Wire

TOKEN = "correct horse battery staple"


@pytest.fixture
def web(server_factory, library):
    (library / "notes.txt").write_text("hello\n")
    return server_factory("--workers", "1", web=True)


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "target",
    ["/../etc/passwd", "/%2e%2e/etc/passwd", "/sub/../../etc/passwd", "/.ferry-uploads/", "/%2Fetc%2Fpasswd", "/a%00b", "/%ff", "/.hidden"],
)
def test_paths_that_leave_the_library_or_name_hidden_files_are_refused(web, library, target):
    (library / ".hidden").write_text("secret")
    response = request(web.http_port, "GET", target)
    assert response.status in (400, 404)
    assert b"root:" not in response.body and b"secret" not in response.body


def test_symlinks_are_never_followed(web, library, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, library / "escape")
    os.symlink(outside / "secret.txt", library / "link.txt")
    for target in ("/escape/secret.txt", "/link.txt", "/escape/?json", "/escape/?zip"):
        response = request(web.http_port, "GET", target)
        assert response.status == 404, target
    names = [entry["name"] for entry in request(web.http_port, "GET", "/?json").json()["entries"]]
    assert names == ["notes.txt"]
    assert request(web.http_port, "PUT", "/escape/new.txt", changing(), b"x").status in (404, 409)
    assert sorted(os.listdir(outside)) == ["secret.txt"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", ""])
def test_a_host_the_server_is_not_known_by_is_refused(web, host):
    headers = {"Host": host} if host else {}
    with Peer(web.http_port) as peer:
        if host:
            response = peer.request("GET", "/notes.txt", headers)
        else:  # no Host at all: HTTP/1.1 requires one
            peer.send(b"GET /notes.txt HTTP/1.1\r\n\r\n")
            response = peer.response()
    assert response.status in (400, 403)
    assert response.body != b"hello\n"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:7070", "127.0.0.1", "[::1]:1", "app.localhost", "10.1.2.3:80"])
def test_own_names_and_addresses_pass_the_host_check(web, host):
    assert request(web.http_port, "GET", "/notes.txt", {"Host": host}).body == b"hello\n"


def test_http_host_adds_a_name(server_factory):
    web = server_factory("--workers", "1", "--http-host", "files.example", web=True)
    assert request(web.http_port, "GET", "/?json", {"Host": "files.example:8080"}).status == 200
    assert request(web.http_port, "GET", "/?json", {"Host": "other.example"}).status == 403


def test_changes_need_the_anti_csrf_header(web, library):
    """What a cross-site form can send: a POST or PUT without custom headers."""
    assert request(web.http_port, "PUT", "/new.txt", {}, b"x").status == 403
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert request(web.http_port, "POST", "/docs/", form, b'{"op": "mkdir"}').status == 403
    assert request(web.http_port, "DELETE", "/notes.txt").status == 403
    assert visible(library) == ["notes.txt"]


def test_no_cors(web):
    preflight = request(web.http_port, "OPTIONS", "/notes.txt", {"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"})
    assert preflight.status >= 400
    assert not any(name.startswith("access-control-") for name in preflight.headers)
    cross = request(web.http_port, "GET", "/?json", {"Origin": "http://evil.example"})
    assert not any(name.startswith("access-control-") for name in cross.headers)


def test_token_login_gives_an_httponly_samesite_strict_cookie(server_factory, token_file):
    web = server_factory("--workers", "1", "--token-file", str(token_file), web=True)
    port = web.http_port
    assert request(port, "GET", "/notes.txt").status == 401
    assert request(port, "GET", "/?json").status == 401
    page = request(port, "GET", "/")  # the page itself loads, to ask for the token
    assert page.status == 200 and b"<html" in page.body.lower()
    assert request(port, "GET", "/.ferry/info").json()["signed_in"] is False
    assert request(port, "POST", "/.ferry/login", changing(), b'{"token": "wrong"}').status == 401
    signed = request(port, "POST", "/.ferry/login", changing(), f'{{"token": "{TOKEN}"}}'.encode())
    assert signed.status == 200
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie
    value = cookie.split(";", 1)[0]
    assert request(port, "GET", "/.ferry/info", {"Cookie": value}).json()["signed_in"] is True
    assert request(port, "GET", "/?json", {"Cookie": value}).status == 200
    assert request(port, "GET", "/?json", {"Cookie": value[:-1] + "0"}).status == 401
    assert request(port, "GET", "/?json", {"Authorization": f"Bearer {TOKEN}"}).status == 200
    assert curl("--fail", "-H", f"Authorization: Bearer {TOKEN}", f"{web.web_url}?json").returncode == 0
    logout = request(port, "POST", "/.ferry/logout", changing({"Cookie": value}))
    assert "Max-Age=0" in logout.headers["set-cookie"]


def test_token_for_write_lets_anyone_read_and_only_the_signed_in_write(server_factory, token_file, library):
    web = server_factory("--workers", "1", "--token-file", str(token_file), "--token-for", "write", web=True)
    port = web.http_port
    assert request(port, "GET", "/?json").status == 200
    assert request(port, "PUT", "/a.txt", changing(), b"x").status == 401
    assert request(port, "DELETE", "/a.txt", changing()).status == 401
    bearer = changing({"Authorization": f"Bearer {TOKEN}"})
    assert request(port, "PUT", "/a.txt", bearer, b"x").status == 201
    assert visible(library) == ["a.txt"]


def test_read_only(server_factory, library):
    (library / "a.txt").write_text("a")
    web = server_factory("--workers", "1", "--read-only", web=True)
    port = web.http_port
    assert request(port, "GET", "/a.txt").body == b"a"
    for method, target, body in (("PUT", "/b.txt", b"b"), ("POST", "/d/", b'{"op": "mkdir"}'), ("DELETE", "/a.txt", b"")):
        response = request(port, method, target, changing(), body)
        assert response.status == 403 and response.json()["error"] == "read_only", (method, response.body)
    assert visible(library) == ["a.txt"]


def test_no_delete_refuses_delete_rename_and_overwrite(server_factory, library):
    (library / "a.txt").write_text("a")
    web = server_factory("--workers", "1", "--no-delete", web=True)
    port = web.http_port
    assert request(port, "DELETE", "/a.txt", changing()).json()["error"] == "forbidden"
    assert request(port, "POST", "/a.txt", changing(), b'{"op": "rename", "to": "b.txt"}').json()["error"] == "forbidden"
    assert request(port, "PUT", "/a.txt?overwrite=1", changing(), b"new").json()["error"] == "forbidden"
    assert request(port, "PUT", "/b.txt", changing(), b"b").status == 201  # new files still work
    assert request(port, "POST", "/d/", changing(), b'{"op": "mkdir"}').status == 201
    assert (library / "a.txt").read_text() == "a"


def test_http_clients_count_against_the_connection_limit(server_factory, library):
    web = server_factory("--workers", "1", "--max-connections", "1", web=True)
    with Wire(web.address) as wire:
        assert wire.greeting is not None
        busy = request(web.http_port, "GET", "/?json")
        assert busy.status == 503 and "retry-after" in busy.headers
    peers: list[Peer] = []

    def served() -> bool:
        """A new HTTP client, kept open once served: the slot frees a moment after a client leaves."""
        peer = Peer(web.http_port)
        if peer.request("GET", "/?json").status == 200:
            peers.append(peer)
            return True
        peer.close()
        return False

    assert wait_for(served, timeout=5)
    with peers[0]:
        with Wire(web.address) as refused:
            assert refused.greeting is not None and refused.greeting.get("error") == "busy"


def test_https_with_the_same_certificate(server_factory, certs, library):
    cert, key = certs
    (library / "a.txt").write_text("tls")
    web = server_factory("--workers", "1", "--tls-cert", str(cert), "--tls-key", str(key), web=True)
    assert web.web_url.startswith("https://127.0.0.1:")
    result = curl(
        "--fail", "--cacert", str(cert), "--resolve", f"localhost:{web.http_port}:127.0.0.1", f"https://localhost:{web.http_port}/a.txt"
    )
    if result.returncode != 0:  # a certificate made for another name: pin it by key instead
        result = curl("--fail", "-k", f"{web.web_url}a.txt")
    assert result.stdout == b"tls", result.stderr
    big = os.urandom(3 << 20)
    (library / "big.bin").write_bytes(big)
    assert curl("--fail", "-k", f"{web.web_url}big.bin").stdout == big
    assert curl("--fail", "-k", "-r", "5-9", f"{web.web_url}big.bin").stdout == big[5:10]
    assert curl("--fail", "-k", "-H", "X-Ferry: 1", "--data-binary", "@-", "-X", "PUT", f"{web.web_url}up.txt").returncode == 0
    plain = curl(f"http://127.0.0.1:{web.http_port}/a.txt")
    assert plain.stdout != b"tls"
