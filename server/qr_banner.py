"""The web page's address as a QR code on the terminal at start, so a phone opens
it with its camera (docs/web.md, "QR code").

Only when standard output is a terminal: piped or redirected to a file, stdout
carries the ``listening on`` line that scripts read, and blocks of half-block
characters would be noise. Drawn with segno's compact terminal writer (two
modules per character cell); segno is imported lazily, and without it (``python3
-S``) the log says the banner is off. The writer draws the light modules as
blocks in the terminal's text colour, which is right on a dark terminal and
inverted on a light one (macOS Terminal's default), and many phone cameras do
not read an inverted code: each line is set to white on black.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import socket
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

#: Quiet zone around the code, in modules. The standard asks for 4; 2 is what
#: phone cameras need in practice and keeps the code on a 24-line terminal.
BORDER = 2
#: ANSI colours around each line of the code, and back to the terminal's own.
WHITE_ON_BLACK, RESET = "\x1b[97;40m", "\x1b[0m"
#: A UDP "connection" to this address (no packet is sent) makes the kernel pick
#: the address of the interface that leads to the LAN.
_ROUTE_PROBE = ("192.0.2.1", 9)


def lan_address() -> str | None:
    """This machine's address on the network, or None when it has no route out."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            return probe.getsockname()[0]
    except OSError:
        return None


def reachable_url(url: str) -> str:
    """``url`` with a wildcard host (``0.0.0.0``, ``::``) replaced by this machine's
    LAN address: a phone cannot open ``http://0.0.0.0:7070/``."""
    parts = urlsplit(url)
    try:
        wildcard = parts.hostname is not None and ipaddress.ip_address(parts.hostname).is_unspecified
    except ValueError:
        wildcard = False
    address = lan_address() if wildcard else None
    if address is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{address}:{parts.port}" if parts.port else address))


def show(url: str, stream: TextIO) -> bool:
    """Draw ``url`` as a QR code on ``stream`` when it is a terminal; True if drawn."""
    if not stream.isatty():
        return False
    try:
        import segno
    except ImportError:
        log.info("QR code of the web address off: the segno library is not installed")
        return False
    url = reachable_url(url)
    code = segno.make_qr(url, error="m")
    stream.write(f"scan to open {url}\n")
    drawn = io.StringIO()
    code.terminal(out=drawn, compact=True, border=BORDER)
    stream.writelines(f"{WHITE_ON_BLACK}{line}{RESET}\n" for line in drawn.getvalue().splitlines())
    stream.flush()
    return True
