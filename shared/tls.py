"""TLS for clients: verification against a CA file, or trust on first use.

A self-signed LAN server has no CA to check it against, so, like SSH with
known_hosts, the client remembers the certificate's SHA-256 fingerprint the
first time it connects and refuses, loudly, a different one later.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from .errors import FerryError


def default_known_servers() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ferry" / "known_servers"


def fingerprint(der: bytes) -> str:
    return "SHA256:" + hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class TlsSettings:
    """``cafile``: verify the server against these CAs (and its host name).
    Without it: pin the server's certificate in ``known_servers``."""

    cafile: str | None = None
    known_servers: Path | None = None


class KnownServers:
    """A text file of ``host:port fingerprint`` lines."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _entries(self) -> dict[str, str]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        return dict(line.split(None, 1) for line in lines if line.strip() and not line.startswith("#"))

    def check(self, server: str, seen: str) -> None:
        """Remember ``seen`` for a new server; refuse it if it differs from the pinned one."""
        pinned = self._entries().get(server)
        if pinned is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{server} {seen}\n")
            return
        if pinned.strip() != seen:
            raise FerryError(
                "certificate_changed",
                f"the certificate of {server} is not the one seen before ({seen}, expected {pinned.strip()}). "
                f"Someone may be intercepting the connection. If the server's certificate really was replaced, "
                f"remove its line from {self.path} and connect again.",
            )


def client_context(settings: TlsSettings) -> ssl.SSLContext:
    if settings.cafile is not None:
        return ssl.create_default_context(cafile=settings.cafile)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the pin below is the check
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
