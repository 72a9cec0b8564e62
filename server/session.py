"""One client session: read a request, answer it, repeat (PROTOCOL.md sections 2 and 3).

Validation runs in the order PROTOCOL.md section 6 fixes: ``bad_request`` (not an
object, no ``op``), ``unknown_op``, ``unauthorized``, ``bad_request`` (fields),
``bad_name``, ``read_only``, ``forbidden`` (PROTOCOL.md 7.6), then the rest. A
``FerryError`` raised anywhere in a handler becomes the error response and the
session goes on; a connection problem ends the session and nothing else.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ferry_files.shared.errors import CLOSING_CODES, ErrorCode, FerryError
from ferry_files.shared.framing import HeaderBuffer, decode_header, encode_header
from ferry_files.shared.limits import MAX_AUTH_FAILURES
from ferry_files.shared.messages import (
    WRITE_OPS,
    Auth,
    Delete,
    Get,
    ListFiles,
    Mkdir,
    Put,
    Quit,
    Rename,
    Request,
    Stat,
    parse_request,
    request_op,
)

from .config import ServerConfig
from .connection import Connection
from .deadlines import State, overdue
from .fd_budget import FdBudget
from .storage import Library, Upload
from .storage.splicing import SplicePipe

log = logging.getLogger(__name__)

#: Pause after a wrong token, so guessing is slow.
AUTH_FAILURE_DELAY = 0.5
#: Longest a session answers pipelined requests before it lets the worker's other
#: sessions run (docs/architecture.md, Fairness).
TIME_SLICE = 0.001
#: Answers that never change, encoded once.
_OK = encode_header({"ok": True})
_READY = encode_header({"ok": True, "ready": True})


@dataclass
class ServeContext:
    """What every session of a worker shares."""

    config: ServerConfig
    library: Library
    fds: FdBudget
    greeting: bytes
    features: frozenset[str]  # what the greeting offers (features.py)
    buffer: memoryview  # one receive buffer per worker, see connection.py
    draining: bool = False
    token: bytes | None = field(default=None, repr=False)


class _Close(Exception):
    """End the session after the current response (quit, too many auth failures...)."""


class Session:
    __slots__ = (
        "context",
        "conn",
        "headers",
        "state",
        "request_done_at",
        "header_started",
        "timed_out",
        "authorized",
        "auth_failures",
        "_on_end",
        "_upload",
        "task",
        "_ended",
    )

    def __init__(self, context: ServeContext, conn: Connection, on_end: Callable[[Session], None]) -> None:
        self.context = context
        self.conn = conn
        self.headers = HeaderBuffer()
        self.state = State.WAITING
        self.request_done_at = time.monotonic()
        self.header_started: float | None = None
        self.timed_out = False
        self.authorized = context.token is None
        self.auth_failures = 0
        self._on_end = on_end
        self._upload: Upload | None = None
        self.task: asyncio.Task[None] | None = None
        self._ended = False

    # -- lifecycle ----------------------------------------------------------
    #
    # A session between requests has no task and no coroutine: only a reader
    # callback on its socket. That keeps an idle session to a few hundred bytes,
    # which is what lets one worker hold thousands. Readable data starts a task
    # that answers every complete request it finds and parks the session again.

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._guarded(self._open()))

    async def _open(self) -> None:
        await self.conn.start()
        await self.conn.send_all(self.context.greeting)

    def _park(self) -> None:
        self.task = None
        if self.context.draining:
            self._end()
        else:
            self.conn.on_readable(self._wake)

    def _wake(self) -> None:
        self.conn.stop_reading()
        self.task = asyncio.get_running_loop().create_task(self._guarded(self._serve()))

    async def _serve(self) -> None:
        """Answer every complete request; return when the next one is not all here.

        With the next request already buffered and room in the send buffer,
        nothing here waits: a client that pipelines without pause would hold the
        worker's loop, and every other client of the worker, for as long as it
        liked. So the session yields to the loop once it has run for
        :data:`TIME_SLICE`. Yielding after every request instead cost 30-45 %
        more server CPU per pipelined small request (``stat`` 25 -> 34 us,
        ``list`` 16 -> 24 us); the slice costs nothing measurable."""
        buffer = self.context.buffer
        slice_ends = time.monotonic() + TIME_SLICE
        while True:
            line = self.headers.next_header()
            if line is None:
                received = self.conn.recv_now(buffer)
                if received is None:
                    return
                if not received:
                    raise _Close()
                self.headers.feed(buffer[:received])
                if self.header_started is None:
                    self.header_started = time.monotonic()
                continue
            self.header_started = None
            await self._answer(line)
            self.state = State.WAITING
            self.request_done_at = time.monotonic()
            if len(self.headers):  # the next request has begun to arrive
                self.header_started = self.request_done_at
            if self.context.draining:
                raise _Close()
            if self.request_done_at >= slice_ends:
                await asyncio.sleep(0)
                slice_ends = time.monotonic() + TIME_SLICE

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work``, then park the session; end it on any reason to stop."""
        try:
            await work
        except FerryError as exc:  # only the closing ones reach here
            self.conn.try_send(encode_header(exc.to_wire()))
        except _Close:
            pass
        except asyncio.CancelledError:
            if self.timed_out and not (self.state is State.BODY and self._upload is None):
                self._say_timeout()  # a stalled get body cannot take a header; anything else hears why
        except OSError as exc:
            log.debug("session ended: %s", exc)
        except Exception:
            log.exception("session failed")
        else:
            self._park()
            return
        self._end()

    def _say_timeout(self) -> None:
        self.conn.try_send(encode_header(FerryError(ErrorCode.TIMEOUT, "idle for too long").to_wire()))

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self._upload is not None:
            self._upload.abort()
        self.conn.close()
        self._on_end(self)

    @property
    def parked(self) -> bool:
        """Between requests, with nothing running."""
        return self.task is None

    def overdue(self, now: float) -> bool:
        """Has the client kept this session waiting too long? (server/deadlines.py)"""
        return overdue(self.context.config, self.state, self.header_started, self.request_done_at, self.conn.last_progress, now)

    def expire(self) -> None:
        self.timed_out = True
        if self.task is None:
            self._say_timeout()
        self.cancel()

    def cancel(self) -> None:
        """Stop now: cancel the running request, or end a parked session."""
        if self.task is not None:
            self.task.cancel()
        else:
            self.conn.stop_reading()
            self._end()

    # -- requests -----------------------------------------------------------

    async def _answer(self, line: bytes) -> None:
        try:
            header = decode_header(line)
            op = request_op(header)
            if not self.authorized and (op in WRITE_OPS or (self.context.config.token_for == "all" and op not in ("auth", "quit"))):
                raise FerryError(ErrorCode.UNAUTHORIZED, "send 'auth' with the server's token first")
            request = parse_request(op, header)
            self._check_allowed(op, request)
            await self._dispatch(request)
        except FerryError as exc:
            if exc.code in CLOSING_CODES:
                raise
            await self._send(exc.to_wire())
        except (_Close, OSError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("bug while answering a request")
            if self.state is State.BODY:  # half a body went out or in: the stream is out of step
                raise _Close() from None
            await self._send(FerryError(ErrorCode.INTERNAL, "the server failed to answer this request").to_wire())

    def _check_allowed(self, op: str, request: Request) -> None:
        """``read_only``, then ``forbidden``: a feature the greeting did not offer, or
        what ``--no-delete`` refuses (PROTOCOL.md 7.3 and 7.6). Ranked after the
        parse (``bad_request``, ``bad_name``) and before anything a handler finds."""
        config = self.context.config
        if config.read_only and op in WRITE_OPS:
            raise FerryError(ErrorCode.READ_ONLY, "this server is read-only")
        missing = request.features - self.context.features
        if missing:
            raise FerryError(ErrorCode.FORBIDDEN, f"this server does not offer the '{min(missing)}' feature")
        if config.no_delete and isinstance(request, Put) and request.overwrite:
            raise FerryError(ErrorCode.FORBIDDEN, "this server does not replace existing files")

    async def _dispatch(self, request: Request) -> None:
        if isinstance(request, ListFiles):
            await self._list(request)
        elif isinstance(request, Get):
            await self._get(request)
        elif isinstance(request, Put):
            await self._put(request)
        elif isinstance(request, Stat):
            await self._stat(request)
        elif isinstance(request, Auth):
            await self._auth(request)
        elif isinstance(request, Mkdir):
            await self._mkdir(request)
        elif isinstance(request, Delete):
            await self._change(2, self.context.library.delete, request.path, request.recursive)
            await self.conn.send_all(_OK)
        elif isinstance(request, Rename):
            await self._change(7, self.context.library.rename, request.source, request.target, request.overwrite)
            await self._send({"ok": True, "from": request.source, "to": request.target})
        elif isinstance(request, Quit):
            await self.conn.send_all(_OK)
            raise _Close()
        else:  # features.IMPLEMENTED offers a request nothing here answers yet
            raise FerryError(ErrorCode.INTERNAL, f"the server cannot answer '{type(request).__name__}' yet")

    async def _send(self, header: dict[str, Any]) -> None:
        await self.conn.send_all(encode_header(header))

    async def _auth(self, request: Auth) -> None:
        expected = self.context.token
        given = request.token.encode("utf-8", "surrogatepass")
        if expected is None or hmac.compare_digest(given, expected):
            self.authorized = True
            await self.conn.send_all(_OK)
            return
        self.auth_failures += 1
        self.state = State.WORKING
        await asyncio.sleep(AUTH_FAILURE_DELAY)
        await self._send(FerryError(ErrorCode.UNAUTHORIZED, "wrong token").to_wire())
        if self.auth_failures >= MAX_AUTH_FAILURES:
            log.warning("closing a session after %d wrong tokens", self.auth_failures)
            raise _Close()

    async def _change(self, fds: int, change: Callable[..., None], *args: Any) -> None:
        """``delete`` or ``rename``: a few calls on folders (each path's folders held
        open on the way; a rename may wait for a list pass of its folders), then
        with fsync the folders' fsync: on the thread pool."""
        with self.context.fds.holding(fds):
            self.state = State.WORKING
            await asyncio.get_running_loop().run_in_executor(None, change, *args)

    async def _list(self, request: ListFiles) -> None:
        # A pass over a large folder takes a while: on a thread, the worker's other
        # sessions go on meanwhile. A small one costs less than the hop.
        self.state = State.WORKING
        library = self.context.library
        if request.path or request.folders or request.recursive:  # 7.2: not the library's version 1 list
            path = request.path or ""
            with self.context.fds.holding(library.list_fds_needed(path, bool(request.recursive))):
                walk = partial(library.list_folder, path, folders=bool(request.folders), recursive=bool(request.recursive))
                count, body = await asyncio.get_running_loop().run_in_executor(None, walk)
        elif library.listing_is_quick:
            count, body = library.listing_now()
        else:
            count, body = await asyncio.get_running_loop().run_in_executor(None, library.listing)
        self.state = State.BODY
        await self.conn.send_all(encode_header({"ok": True, "count": count, "length": len(body)}) + body)

    async def _mkdir(self, request: Mkdir) -> None:
        self.state = State.WORKING  # an fsync of each folder made, on a thread
        await asyncio.get_running_loop().run_in_executor(None, self.context.library.mkdir, request.path, request.parents)
        await self._send({"ok": True, "path": request.path})

    async def _stat(self, request: Stat) -> None:
        library = self.context.library
        with self.context.fds.holding(2):  # the file, and the hashing thread's duplicate on a miss
            opened = library.open_file(request.name)
            try:
                self.state = State.WORKING
                digest = await library.sha256(opened)
            except OSError as exc:
                raise FerryError(ErrorCode.IO_ERROR, f"cannot read {request.name!r}: {exc.strerror}") from None
            finally:
                opened.close()
        await self._send({"ok": True, "name": opened.name, "size": opened.size, "mtime": opened.mtime, "sha256": digest})

    async def _get(self, request: Get) -> None:
        with self.context.fds.holding(1):
            await self._send_file(request)

    async def _send_file(self, request: Get) -> None:
        opened = self.context.library.open_file(request.name)
        try:
            if request.offset > opened.size:
                raise FerryError(ErrorCode.BAD_REQUEST, f"offset {request.offset} is past the end ({opened.size} bytes)")
            length = opened.size - request.offset
            if request.length is not None:  # at most this many (PROTOCOL.md 7.5)
                length = min(length, request.length)
            header = {
                "ok": True,
                "name": opened.name,
                "size": opened.size,
                "mtime": opened.mtime,
                "offset": request.offset,
                "length": length,
            }
            await self.conn.send_all(encode_header(header), more=length > 0)  # one segment with the body's start
            self.state = State.BODY
            position, end = request.offset, request.offset + length
            while position < end:
                try:
                    sent = await self.conn.sendfile(opened.fd, position, end - position)
                except OSError as exc:
                    if exc.errno in _PEER_GONE:
                        raise
                    log.warning("cannot read %r while sending it: %s", request.name, exc.strerror)
                    raise _Close() from None
                if sent == 0:  # truncated in place under us: the promised length cannot be met
                    log.warning("%r shrank while being sent; closing the session", request.name)
                    raise _Close()
                position += sent
        finally:
            opened.close()

    async def _put(self, request: Put) -> None:
        config = self.context.config
        if config.max_upload is not None and request.size > config.max_upload:
            raise FerryError(ErrorCode.TOO_LARGE, f"uploads are limited to {config.max_upload} bytes")
        with self.context.fds.holding(Upload.fds_needed(request.size, "/" in request.name, request.upload_id is not None)):
            await self._receive_upload(request)

    async def _begin_upload(self, request: Put) -> Upload:
        """The upload, its missing folders made first with ``parents`` (7.4): on a
        thread, since each is fsynced, and only when the folder is not there."""
        library = self.context.library
        begin = partial(
            library.begin_upload,
            request.name,
            request.size,
            request.overwrite,
            upload_id=request.upload_id,
            trailer=bool(request.trailer),
            mtime=request.mtime,
        )
        try:
            return begin()
        except FerryError as exc:
            if not (request.parents and exc.code is ErrorCode.NOT_FOUND):
                raise
        self.state = State.WORKING
        await asyncio.get_running_loop().run_in_executor(None, library.make_parents, request.name)
        return begin()

    async def _receive_upload(self, request: Put) -> None:
        upload = self._upload = await self._begin_upload(request)
        if request.upload_id is None:
            await self.conn.send_all(_READY)
        else:  # the bytes already held, which the client does not send again (PROTOCOL.md 7.4)
            await self._send({"ok": True, "ready": True, "offset": upload.offset})
        self.state = State.BODY
        failure = await upload.receive(_Body(self))
        self.state = State.WORKING
        if failure is None:
            try:
                digest = await upload.finish(request.sha256)
            except FerryError as exc:
                failure = exc
        self._upload = None
        upload.abort()  # nothing to do unless it failed before its commit
        if failure is not None:
            await self._send(failure.to_wire())
            return
        await self._send({"ok": True, "name": request.name, "size": request.size, "sha256": digest})


class _Body:
    """An upload's body as storage reads it (``uploads.BodyStream``): what the
    session's header buffer already holds, then its connection."""

    __slots__ = ("_session", "buffer", "can_splice")

    def __init__(self, session: Session) -> None:
        self._session = session
        self.buffer = session.context.buffer
        self.can_splice = session.conn.can_splice

    def take(self, limit: int) -> bytes | memoryview:
        return self._session.headers.take(limit)

    async def header(self) -> bytes:
        headers = self._session.headers
        while (line := headers.next_header()) is None:
            received = await self._session.conn.recv_into(self.buffer)
            if not received:
                raise ConnectionResetError("client left before the end of an upload")
            headers.feed(self.buffer[:received])
        return line

    async def recv_into(self, view: memoryview) -> int:
        return await self._session.conn.recv_into(view)

    async def splice_into(self, pipe: SplicePipe, count: int) -> int:
        return await self._session.conn.splice_into(pipe, count)


_PEER_GONE = {errno.EPIPE, errno.ECONNRESET, errno.ETIMEDOUT}
