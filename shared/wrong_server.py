"""What to tell a person whose client reached something that is not a Ferry server.

A Ferry server speaks first: its greeting, one JSON object on a line, right
after the connection (inside TLS when it uses TLS). So a peer that stays silent
for a few seconds, or whose first bytes do not open a JSON object, is something
else: an HTTP server waiting for its request, an SSH server announcing itself,
or a Ferry server with TLS waiting for the client's hello. Saying which spares a
person the wait for the operation timeout (60 s) and a message that names nothing.
"""

from __future__ import annotations

import selectors
import socket
import ssl

from .errors import FerryError
from .escaping import escape_text

#: Client-side error codes (beside the protocol's): a server that wants TLS was
#: reached without it, and something that is not a Ferry server at all. Each
#: client words the remedy its own way (``--tls``, the TLS box).
NEEDS_TLS = "needs_tls"
NOT_FERRY = "not_ferry"
#: Seconds a server may take to greet (at most the connection's own timeout).
#: A Ferry server greets at once; this is generous for a loaded machine.
GREETING_WAIT = 10.0
#: The most of a foreign server's first line an error message shows.
SHOWN_CHARACTERS = 60
# The first bytes of a TLS record: a handshake (the server's hello) or an alert, version 3.x.
_TLS_RECORD_TYPES = (0x15, 0x16)
_TLS_MAJOR_VERSION = 3


def greeting_wait(timeout: float | None) -> float:
    return GREETING_WAIT if timeout is None else min(timeout, GREETING_WAIT)


def readable(sock: socket.socket, wait: float) -> bool:
    """Whether ``sock`` has something to read (or its end) within ``wait`` seconds."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(wait))


def opens_json_object(first: bytes) -> bool:
    """Whether the first bytes received can start a greeting."""
    return first.lstrip()[:1] in (b"", b"{")


def foreign_speaker(first: bytes) -> FerryError:
    """The error for a peer whose first bytes are not a greeting; quotes its first line."""
    line = first.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "backslashreplace")
    shown = escape_text(line[:SHOWN_CHARACTERS]) + ("..." if len(line) > SHOWN_CHARACTERS else "")
    return FerryError(NOT_FERRY, f"this is not a Ferry server: it sent '{shown}'")


def silent_peer(sock: socket.socket, waited: float) -> FerryError:
    """The error for a peer that said nothing within ``waited`` seconds. On a plain
    connection it is asked for a TLS handshake first: a Ferry server started with
    TLS waits in silence for the client's hello, and answers one at once. The
    connection is of no further use either way."""
    if not isinstance(sock, ssl.SSLSocket) and _answers_tls(sock, waited):
        return FerryError(NEEDS_TLS, "the server speaks TLS")
    return FerryError(NOT_FERRY, f"this is not a Ferry server: it said nothing within {waited:g} s")


def _answers_tls(sock: socket.socket, wait: float) -> bool:
    try:
        sock.sendall(_client_hello())
        if not readable(sock, wait):
            return False
        reply = sock.recv(2)
    except OSError:
        return False
    return len(reply) == 2 and reply[0] in _TLS_RECORD_TYPES and reply[1] == _TLS_MAJOR_VERSION


def _client_hello() -> bytes:
    """A TLS client's first message, made by the ssl module in memory (it is only a
    question: nothing is verified, and the handshake goes no further)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    outgoing = ssl.MemoryBIO()
    handshake = context.wrap_bio(ssl.MemoryBIO(), outgoing)
    try:
        handshake.do_handshake()
    except ssl.SSLWantReadError:  # it waits for the server's answer, as expected
        pass
    return outgoing.read()
