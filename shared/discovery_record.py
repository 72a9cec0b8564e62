"""The DNS-SD record a Ferry server announces: the contract both ends import
(docs/discovery.md). No I/O and no zeroconf here: the server core must import it
on the standard library alone.

A record comes from anyone on the network, so :func:`parse` trusts nothing: every
field is checked against what a Ferry server would send, and what fails is
dropped (a bad port drops the whole record, a bad fingerprint only the pin). The
instance name is kept as sent, for :func:`shared.escaping.escape_name` to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The DNS-SD service type of the native protocol.
SERVICE_TYPE = "_ferry._tcp.local."
#: A DNS label, and so an instance name, is at most this many bytes of UTF-8.
MAX_INSTANCE_BYTES = 63


class TxtKey:
    """The keys of the TXT record."""

    VERSION = "version"  # the server's version, e.g. 1.0.0
    FEATURES = "features"  # protocol 1.1 features, comma-separated
    AUTH = "auth"  # none, all (every request needs the token) or write (only uploads)
    HTTP = "http"  # the web page's port; absent when the web server is off
    TLS = "tls"  # "1" when the native port speaks TLS
    FINGERPRINT = "fingerprint"  # SHA256:<64 hex>, the certificate's pin (as in known_servers)


_FINGERPRINT = re.compile(r"SHA256:[0-9a-fA-F]{64}")
_FEATURE = re.compile(r"[a-z0-9_-]{1,32}")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,32}")
_AUTH_MODES = ("none", "all", "write")
_MAX_FEATURES = 16


def truncate_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def instance_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be announced (``--name``), or None."""
    if not name.strip():
        return "is empty"
    if len(name.encode("utf-8")) > MAX_INSTANCE_BYTES:
        return f"is longer than {MAX_INSTANCE_BYTES} bytes of UTF-8"
    if not name.isprintable():
        return "holds control or invisible characters"
    return None


@dataclass(frozen=True)
class Announced:
    """One server found on the network. ``name`` is untrusted text: escape it to show it."""

    name: str
    host: str
    port: int
    version: str = ""
    features: tuple[str, ...] = ()
    auth: str = ""  # "" when the record does not say
    tls: bool = False
    fingerprint: str | None = None
    http_port: int | None = None

    @property
    def address(self) -> str:
        """``host:port`` as :func:`shared.address.parse_address` reads it."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def web_url(self) -> str | None:
        if self.http_port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.http_port}/"


def _text(value: bytes | None) -> str:
    return "" if value is None else value.decode("utf-8", errors="replace")


def _port(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 65536 else None


def instance_of(full_name: str) -> str:
    """``Ferry on nas`` from ``Ferry on nas._ferry._tcp.local.``."""
    suffix = "." + SERVICE_TYPE
    name = full_name[: -len(suffix)] if full_name.endswith(suffix) else full_name
    return truncate_utf8(name, MAX_INSTANCE_BYTES)


def parse(full_name: str, addresses: Iterable[str], port: int | None, properties: Mapping[bytes, bytes | None]) -> Announced | None:
    """The server a resolved record describes, or None when it names no usable
    address and port. IPv4 first: a link-local IPv6 address needs a scope."""
    ordered = sorted(addresses, key=lambda a: ":" in a)
    if not ordered or port is None or not 0 < port < 65536:
        return None
    txt = {_text(key).lower(): _text(value) for key, value in properties.items()}
    version = txt.get(TxtKey.VERSION, "")
    features = [f for f in txt.get(TxtKey.FEATURES, "").split(",") if _FEATURE.fullmatch(f)]
    fingerprint = txt.get(TxtKey.FINGERPRINT, "")
    return Announced(
        name=instance_of(full_name),
        host=ordered[0],
        port=port,
        version=version if _VERSION.fullmatch(version) else "",
        features=tuple(features[:_MAX_FEATURES]),
        auth=txt.get(TxtKey.AUTH, "") if txt.get(TxtKey.AUTH) in _AUTH_MODES else "",
        tls=txt.get(TxtKey.TLS) == "1",
        fingerprint="SHA256:" + fingerprint[7:].lower() if _FINGERPRINT.fullmatch(fingerprint) else None,
        http_port=_port(txt.get(TxtKey.HTTP, "")),
    )
