"""GET and HEAD of a file: validators, conditions, one range, and the body by
``sendfile`` from the descriptor opened for the request (an upload that
replaces the name meanwhile leaves this inode whole, as for a Ferry ``get``).

Every file is sent with ``Content-Security-Policy: sandbox``: an HTML file in
the library opened in the browser must not run scripts as this origin (where
they could use the login cookie and the ``X-Ferry`` header).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from ferry_files.shared.errors import ErrorCode, FerryError

from .conditional import Unsatisfiable, content_disposition, content_type, etag_of, http_date, not_modified, requested_range

if TYPE_CHECKING:
    from .request import HttpRequest
    from .session import WebSession


async def serve(session: WebSession, request: HttpRequest) -> None:
    library = session.context.library
    with session.context.fds.holding(2):  # the file; or a folder's and its parent's on the way
        try:
            opened = library.open_file(request.target.path)
        except FerryError as exc:
            if exc.code is ErrorCode.NOT_FOUND and library.is_folder(request.target.path):
                await _to_folder(session, request)  # a folder typed without its "/"
                return
            raise
        try:
            await _send(session, request, opened.fd, opened.stat)
        finally:
            opened.close()


async def _to_folder(session: WebSession, request: HttpRequest) -> None:
    location = "/" + quote(request.target.path, safe="/") + "/"
    await session.send_bytes(301, b"a folder: its URL ends with /\n", b"text/plain; charset=utf-8", [(b"location", location.encode())])


async def _send(session: WebSession, request: HttpRequest, fd: int, st) -> None:
    path = request.target.path
    etag, modified = etag_of(st), http_date(st.st_mtime)
    validators = [(b"etag", etag), (b"last-modified", modified), (b"cache-control", b"no-cache")]
    if not_modified(request.headers, etag, st.st_mtime):
        await session.start_response(304, validators, None)
        await session.finish()
        return
    size = st.st_size
    headers = [
        *validators,
        (b"accept-ranges", b"bytes"),
        (b"content-type", content_type(path)),
        (b"content-disposition", content_disposition(path.rsplit("/", 1)[-1], request.target.flag("download"))),
        (b"content-security-policy", b"sandbox"),
    ]
    try:
        wanted = requested_range(request.headers, size, etag, st.st_mtime)
    except Unsatisfiable:
        await session.send_bytes(
            416, b"the range starts past the end of the file\n", b"text/plain", [(b"content-range", b"bytes */%d" % size)]
        )
        return
    if wanted is None:
        status, offset, length = 200, 0, size
    else:
        status, offset, length = 206, wanted.start, wanted.length
        headers.append((b"content-range", b"bytes %d-%d/%d" % (wanted.start, wanted.end, size)))
    await session.start_response(status, headers, length)
    if length and not session.head:
        await session.send_file(fd, offset, length)
    await session.finish()
