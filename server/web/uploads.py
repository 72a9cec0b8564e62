"""``PUT /path``: an upload into the same temp file, sha256, fsync and atomic
publish as a Ferry ``put`` (storage's :class:`~server.storage.Upload`), so a
body cut in the middle publishes nothing and readers see the old file or the
new one, never a part.

- With ``Content-Length`` the body is read by ``Upload.receive`` as a Ferry
  body is: from h11's buffer first, then straight from the socket (spliced into
  the file when large, on plain TCP); see session.py for how h11 is bypassed.
- A chunked body (no length known ahead) goes through h11, each chunk written
  as it comes; ``--max-upload`` is checked as the bytes arrive.
- An existing name is ``409`` unless ``?overwrite=1`` (or ``X-Ferry-Overwrite: 1``),
  which ``--no-delete`` refuses. Missing folders on the way are made (a dropped
  folder is uploaded file by file). ``X-Ferry-Sha256`` makes the server refuse
  (``422``) bytes whose digest differs.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import h11
from ferry_files.shared.errors import ErrorCode, FerryError

from ..deadlines import State
from ..storage import Upload
from ..storage.splicing import SplicePipe

if TYPE_CHECKING:
    from .request import HttpRequest
    from .session import WebSession


async def serve(session: WebSession, request: HttpRequest) -> None:
    config, headers, path = session.context.config, request.headers, request.target.path
    if config.read_only:
        raise FerryError(ErrorCode.READ_ONLY, "this server is read-only")
    overwrite = request.target.flag("overwrite") or headers.get(b"x-ferry-overwrite") == b"1"
    if overwrite and config.no_delete:
        raise FerryError(ErrorCode.FORBIDDEN, "this server does not replace existing files")
    length = int(headers[b"content-length"]) if b"content-length" in headers else None  # h11 checked it
    if config.max_upload is not None and length is not None and length > config.max_upload:
        raise FerryError(ErrorCode.TOO_LARGE, f"uploads are limited to {config.max_upload} bytes")
    expected = headers[b"x-ferry-sha256"].decode("latin-1").lower() if b"x-ferry-sha256" in headers else None
    size = length or 0
    with session.context.fds.holding(Upload.fds_needed(size, "/" in path)):
        upload = session.upload = await _begin(session, path, size, overwrite)
        await session.continue_body()
        session.state = State.BODY
        failure = await (_receive_counted(session, upload) if length is not None else _receive_chunked(session, upload))
        session.state = State.WORKING
        if failure is None:
            try:
                digest = await upload.finish(expected)
            except FerryError as exc:
                failure = exc
        session.upload = None
        upload.abort()  # nothing to do unless it failed before its commit
    if failure is not None:
        raise failure
    await session.send_json(201, {"ok": True, "path": path, "size": upload.received, "sha256": digest})


async def _begin(session: WebSession, path: str, size: int, overwrite: bool) -> Upload:
    library = session.context.library
    try:
        return library.begin_upload(path, size, overwrite)
    except FerryError as exc:
        if exc.code is not ErrorCode.NOT_FOUND:
            raise
    await asyncio.get_running_loop().run_in_executor(None, library.make_parents, path)  # each folder fsynced
    return library.begin_upload(path, size, overwrite)


async def _receive_counted(session: WebSession, upload: Upload) -> FerryError | None:
    """What h11 already holds of the body, then the socket, read by storage."""
    buffered: list[bytes] = []
    while True:
        event = session.h11.next_event()
        if isinstance(event, h11.Data):
            buffered.append(event.data)
        else:
            break
    if not isinstance(event, h11.EndOfMessage):
        session.bypassed = True
    return await upload.receive(_CountedBody(session, buffered))


async def _receive_chunked(session: WebSession, upload: Upload) -> FerryError | None:
    limit = session.context.config.max_upload
    while True:
        event = await session.next_event()
        if isinstance(event, h11.EndOfMessage):
            return None
        if not isinstance(event, h11.Data):
            raise ConnectionResetError("the client left in the middle of an upload")
        if limit is not None and upload.received + len(event.data) > limit:
            return FerryError(ErrorCode.TOO_LARGE, f"uploads are limited to {limit} bytes")
        upload.write(event.data)


class _CountedBody:
    """The body as storage reads it (``storage.BodyStream``): h11's buffered part,
    then the connection."""

    __slots__ = ("_session", "_buffered", "buffer", "can_splice")

    def __init__(self, session: WebSession, buffered: list[bytes]) -> None:
        self._session = session
        self._buffered = buffered
        self.buffer = session.context.buffer
        self.can_splice = session.conn.can_splice

    def take(self, limit: int) -> bytes | memoryview:
        if not self._buffered:
            return b""
        first = self._buffered[0]
        if len(first) <= limit:
            return self._buffered.pop(0)
        self._buffered[0] = first[limit:]
        return first[:limit]

    async def header(self) -> bytes:
        raise FerryError(ErrorCode.BAD_REQUEST, "an HTTP upload has no trailer")

    async def recv_into(self, view: memoryview) -> int:
        return await self._session.conn.recv_into(view)

    async def splice_into(self, pipe: SplicePipe, count: int) -> int:
        return await self._session.conn.splice_into(pipe, count)
