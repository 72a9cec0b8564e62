"""What a browser request must show before it is served (docs/security.md, Browser).

- **Host.** A page on another site can have its own name resolve to this
  server (DNS rebinding) and then read it as same-origin. The ``Host`` header
  still says the attacker's name, so only names this server is known by pass:
  an IP literal (a page loaded from an address is that address's own origin,
  never another site's), ``localhost`` and ``*.localhost``, the machine's own
  names (``hostname`` and ``NAME.local``), the ``--host`` name, and each
  ``--http-host``.
- **A header a cross-site form cannot send.** Every request that changes
  something (any method but GET and HEAD) must carry ``X-Ferry``; a form or
  an image cannot set it, and a cross-site ``fetch`` that sets it needs a CORS
  preflight this server never grants (no CORS headers at all).
- **The token.** Given once (``POST /.ferry/login``), it becomes an
  ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` with TLS): scripts cannot
  read it and no other site's request carries it. The cookie's value is an
  HMAC of the token, not the token. curl may send ``Authorization: Bearer``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from http.cookies import CookieError, SimpleCookie

from ferry_files.shared.errors import ErrorCode, FerryError

from ..config import ServerConfig

COOKIE = "ferry_auth"
#: The header every changing request needs (its value is not checked: its presence is the point).
CSRF_HEADER = b"x-ferry"


def _own_names(config: ServerConfig) -> frozenset[str]:
    names = {"localhost", config.host.lower(), *config.http_host}
    hostname = socket.gethostname().lower()  # uname: no DNS lookup, which could stall the loop
    if hostname:
        names |= {hostname, hostname.split(".")[0], f"{hostname.split('.')[0]}.local"}
    return frozenset(name.rstrip(".") for name in names if name)


def _host_name(value: str) -> str:
    """The name part of a Host header value (``[::1]:7070`` -> ``::1``)."""
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    def __init__(self, config: ServerConfig) -> None:
        self.names = _own_names(config)
        self.token = config.token
        self.secure = config.tls_cert is not None
        self.cookie_value = (
            hmac.new(config.token.encode("utf-8"), b"ferry web login", hashlib.sha256).hexdigest() if config.token is not None else None
        )

    def check_host(self, host: bytes | None) -> None:
        if host is None:
            raise FerryError(ErrorCode.BAD_REQUEST, "the request has no Host header")
        name = _host_name(host.decode("latin-1").strip().lower()).rstrip(".")
        try:
            ipaddress.ip_address(name)
            return
        except ValueError:
            pass
        if name in self.names or name.endswith(".localhost"):
            return
        raise FerryError(
            ErrorCode.FORBIDDEN, f"this server is not known as {name!r}: add --http-host {name} if it should answer to that name"
        )

    @staticmethod
    def check_csrf(headers: dict[bytes, bytes]) -> None:
        if CSRF_HEADER not in headers:
            raise FerryError(ErrorCode.FORBIDDEN, "a request that changes something needs the header X-Ferry: 1")

    def signed_in(self, headers: dict[bytes, bytes]) -> bool:
        """The login cookie, or ``Authorization: Bearer TOKEN``."""
        if self.cookie_value is None or self.token is None:
            return True
        authorization = headers.get(b"authorization", b"")
        if authorization[:7].lower() == b"bearer ":
            return hmac.compare_digest(authorization[7:].strip(), self.token.encode("utf-8"))
        try:
            cookies = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        except CookieError:
            return False
        morsel = cookies.get(COOKIE)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self.cookie_value.encode())

    def token_matches(self, given: str) -> bool:
        return self.token is None or hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.token.encode("utf-8"))

    def login_cookie(self) -> bytes:
        assert self.cookie_value is not None
        return self._cookie(self.cookie_value, "")

    def logout_cookie(self) -> bytes:
        return self._cookie("", "; Max-Age=0")

    def _cookie(self, value: str, extra: str) -> bytes:
        secure = "; Secure" if self.secure else ""
        return f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{extra}".encode()
