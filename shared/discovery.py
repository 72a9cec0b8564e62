"""Finding Ferry servers on the LAN by DNS-SD (docs/discovery.md), for both clients.

Two ways in: :class:`Browser` keeps watching and calls back with the whole list
whenever it changes (the desktop app), :func:`browse` watches for a while and
returns what it saw (``run_client.py discover``). Callbacks run on zeroconf's
browser thread: a Tk caller must post them to its own thread (gui_client/bridge.py).

zeroconf is imported only when browsing starts; without it, a
``discovery_off`` error says so. What a record says is checked by
:func:`shared.discovery_record.parse`: it comes from anyone on the network.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .discovery_record import SERVICE_TYPE, Announced, parse
from .errors import FerryError

log = logging.getLogger(__name__)

DISCOVERY_OFF = "discovery_off"
#: How long resolving one announced name (its SRV, TXT and address) may take.
RESOLVE_TIMEOUT_MS = 3000
#: Servers kept at most: a flood of announcements must not grow memory without end.
MAX_SERVERS = 256
#: Default time ``discover`` listens: servers answer a query within about a second.
DEFAULT_BROWSE_SECONDS = 3.0

OnChange = Callable[[list[Announced]], None]


def _zeroconf() -> Any:
    try:
        import zeroconf
    except ImportError:
        raise FerryError(DISCOVERY_OFF, "finding servers needs the zeroconf library, which is not installed") from None
    return zeroconf


class Browser:
    """Watches for ``_ferry._tcp`` servers until :meth:`close`."""

    def __init__(self, on_change: OnChange) -> None:
        self._on_change = on_change
        self._lock = threading.Lock()
        self._servers: dict[str, Announced] = {}  # by the full DNS-SD name
        self._zc: Any = None
        self._browser: Any = None

    def start(self) -> Browser:
        """Raises FerryError (``discovery_off``) when zeroconf is missing or the
        multicast sockets cannot be opened (no network)."""
        zeroconf = _zeroconf()
        try:
            self._zc = zeroconf.Zeroconf(ip_version=zeroconf.IPVersion.V4Only)
            self._browser = zeroconf.ServiceBrowser(self._zc, SERVICE_TYPE, handlers=[self._changed])
        except OSError as exc:
            self.close()
            raise FerryError(DISCOVERY_OFF, f"cannot listen for servers on the network: {exc.strerror or exc}") from None
        return self

    def servers(self) -> list[Announced]:
        with self._lock:
            return sorted(self._servers.values(), key=lambda s: (s.name.casefold(), s.host, s.port))

    def close(self) -> None:
        if self._browser is not None:
            self._browser.cancel()
            self._browser = None
        if self._zc is not None:
            self._zc.close()
            self._zc = None

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _changed(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        """zeroconf's handler, on its browser thread."""
        if state_change.name == "Removed":
            found = None
        else:
            try:
                info = zeroconf.get_service_info(service_type, name, timeout=RESOLVE_TIMEOUT_MS)
            except Exception as exc:  # zeroconf refuses some names (control characters): an exception here would end the browser thread
                log.warning("ignoring an announcement that cannot be resolved: %r (%s)", name, exc)
                return
            found = None if info is None else parse(name, info.parsed_addresses(), info.port, info.properties)
        with self._lock:
            if found is None:
                changed = self._servers.pop(name, None) is not None
            elif name in self._servers or len(self._servers) < MAX_SERVERS:
                changed = self._servers.get(name) != found
                self._servers[name] = found
            else:
                log.warning("more than %d Ferry servers announced; ignoring the rest", MAX_SERVERS)
                changed = False
        if changed:
            self._on_change(self.servers())


def browse(seconds: float = DEFAULT_BROWSE_SECONDS) -> list[Announced]:
    """The servers announced within ``seconds``, sorted by name."""
    with Browser(lambda _servers: None) as browser:
        time.sleep(seconds)
        return browser.servers()
