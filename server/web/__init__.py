"""HTTP/1.1 on a second port: the web page, and files for curl and wget.

A worker serves an HTTP connection beside its Ferry sessions, in the same
event loop and through the same :class:`~server.storage.Library`
(docs/web.md). HTTP is parsed by h11, which is not in the standard library:
the server must still run on the standard library alone (``python3 -S``), so
nothing here imports h11 at module level; :func:`unavailable` says why HTTP is
off, and only then are the modules that need it imported.

The modules: ``session`` (one connection: h11 events, timeouts, dispatch),
``request`` (a request as handlers see it), ``guard`` (Host check, the
anti-CSRF header, the login cookie), ``target`` (a URL to a library path),
``statuses`` (protocol errors as HTTP statuses),
``files`` and ``conditional`` (GET and HEAD of a file: validators, ranges),
``zipstream`` (a folder as a streamed zip), ``uploads`` (PUT), ``actions``
(listing, mkdir, rename, delete), ``page`` (the static page in ``page/``).
"""

from __future__ import annotations

import importlib.util

_BUSY_TEXT = b"the server is at its connection limit; try again later\n"
#: What a worker says, and closes, when the server is full (no h11 needed).
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT)
)


def unavailable() -> str | None:
    """Why HTTP cannot be served (its library is missing), or None when it can."""
    if importlib.util.find_spec("h11") is None:
        return "the h11 package is not installed (run with the project's dependencies, e.g. without python3 -S)"
    return None
