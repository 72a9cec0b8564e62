"""One HTTP connection: h11 turns bytes into requests and responses into bytes,
this class does the I/O, the timeouts and the dispatch.

It lives in the worker like a Ferry session (server/session.py) and is managed
the same way: counted in the worker's load and fd budget, closed by the idle
watchdog when a request's header takes longer than ``--header-timeout`` (a
slowloris) or nothing moves for ``--idle-timeout``, cancelled while idle when
the worker drains. The receive buffer is the worker's shared one: h11 copies
what it is fed, and nothing else runs between a receive and that feed.

A large ``PUT`` with ``Content-Length`` bypasses h11 for its body (storage reads
the socket itself and may splice it to the file); its state machine then still
waits for that body, so the connection continues on a fresh one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import h11
from ferry_files.shared import __version__
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.limits import MAX_HEADER_BYTES

from ..connection import Connection
from ..deadlines import State, overdue
from ..session import ServeContext
from ..storage import Upload
from . import actions, files, page, uploads, zipstream
from .guard import Guard
from .request import HttpRequest
from .statuses import status_of
from .target import parse_target

log = logging.getLogger(__name__)

_SERVER = f"ferry/{__version__}".encode()
#: Headers of every response: no MIME sniffing, no Referer leaking paths to other sites.
_COMMON = [(b"server", _SERVER), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
_READING = (b"GET", b"HEAD")


class _Close(Exception):
    """End the connection: the stream is out of step, or the client must not go on."""


class WebSession:
    def __init__(self, context: ServeContext, guard: Guard, conn: Connection, on_end: Callable[[Any], None]) -> None:
        self.context = context
        self.guard = guard
        self.conn = conn
        self._on_end = on_end
        self.h11 = self._new_machine()
        self.state = State.WAITING
        self.request_done_at = time.monotonic()
        self.header_started: float | None = None
        self.timed_out = False
        self.responded = False  # the current request's response has begun: an error can only close
        self.bypassed = False  # the current request's body was read around h11
        self.head = False  # the current request is a HEAD: headers only
        self.upload: Upload | None = None
        self.task: asyncio.Task[None] | None = None
        self._ended = False

    @staticmethod
    def _new_machine() -> h11.Connection:
        # h11 refuses a header larger than this with 431 (error_status_hint).
        return h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)

    # -- lifecycle (the worker's view, as server/session.py) ------------------

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    @property
    def parked(self) -> bool:
        """Between requests with nothing begun: a drain closes it at once."""
        return self.state is State.WAITING and self.header_started is None

    def overdue(self, now: float) -> bool:
        return overdue(self.context.config, self.state, self.header_started, self.request_done_at, self.conn.last_progress, now)

    def expire(self) -> None:
        self.timed_out = True
        self.cancel()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def _run(self) -> None:
        try:
            await self.conn.start()
            while await self._exchange() and not self.context.draining:
                pass
        except asyncio.CancelledError:
            if self.timed_out and not self.responded and not self.parked:  # an idle keep-alive just closes
                self._say_raw(408, "the request took too long")
        except h11.RemoteProtocolError as exc:
            if not self.responded:
                status = exc.error_status_hint
                self._say_raw(status, "the request header is too large" if status == 431 else f"bad request: {exc}")
        except (OSError, _Close) as exc:
            log.debug("http connection ended: %s", exc)
        except Exception:
            log.exception("http session failed")
        self._end()

    def _say_raw(self, status: int, message: str) -> None:
        """A last word without h11 (whose state may be broken), then the close."""
        body = message.encode() + b"\n"
        head = b"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
        self.conn.try_send(head % (status, HTTPStatus(status).phrase.encode(), len(body)) + body)

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self.upload is not None:
            self.upload.abort()
            self.upload = None
        self.conn.close()
        self._on_end(self)

    # -- one request ------------------------------------------------------------

    async def _exchange(self) -> bool:
        """Read a request and answer it; False when the connection is to end."""
        event = await self.next_event()
        if isinstance(event, h11.ConnectionClosed):
            return False
        if not isinstance(event, h11.Request):
            raise _Close(f"unexpected {type(event).__name__}")
        self.state = State.WORKING
        self.header_started = None
        self.responded = self.bypassed = False
        self.head = event.method == b"HEAD"
        headers = {name: value for name, value in event.headers}
        keep_alive = event.http_version == b"1.1" and b"close" not in headers.get(b"connection", b"").lower()
        try:
            request = HttpRequest(event.method, parse_target(event.target), headers, keep_alive)
            await self._answer(request)
        except FerryError as exc:
            if self.responded:
                raise _Close(exc.message) from None
            await self.send_error(exc)
        self.state = State.WAITING
        self.request_done_at = time.monotonic()
        self.responded = False  # the next request's, once it comes
        if not self.bypassed:
            self._skip_buffered_body()
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            if self.h11.trailing_data[0]:  # the next request began in an earlier receive: its clock runs
                self.header_started = self.request_done_at
            return True
        if self.bypassed and self.h11.our_state is h11.DONE and keep_alive:
            self.h11 = self._new_machine()  # its body went around the old one: see the module's docstring
            return True
        return False  # a body left unread (a refused upload), or the client asked to close

    def _skip_buffered_body(self) -> None:
        """Pass over a body nobody read (a GET's empty one) as far as it is already
        here: h11 reaches the request's end, or the connection cannot go on."""
        while self.h11.their_state is h11.SEND_BODY:
            event = self.h11.next_event()
            if event is h11.NEED_DATA or isinstance(event, h11.EndOfMessage):
                return

    async def _answer(self, request: HttpRequest) -> None:
        guard, config = self.guard, self.context.config
        guard.check_host(request.headers.get(b"host"))
        changes = request.method not in _READING
        if changes:
            guard.check_csrf(request.headers)
        target = request.target
        if target.app is not None:
            await page.serve(self, request)
            return
        if not guard.signed_in(request.headers) and (changes or config.token_for == "all"):
            if not changes and target.folder and not target.flag("json") and not target.flag("zip"):
                await page.serve(self, request)  # the page itself asks for the token
                return
            raise FerryError(ErrorCode.UNAUTHORIZED, "sign in with the server's token first")
        method = request.method
        if method in _READING:
            if not target.folder:
                await files.serve(self, request)
            elif target.flag("zip"):
                await zipstream.serve(self, request)
            elif target.flag("json") or b"application/json" in request.headers.get(b"accept", b""):
                await actions.listing(self, request)
            else:
                await page.serve(self, request)
        elif method == b"PUT" and not target.folder:
            await uploads.serve(self, request)
        elif method == b"POST":
            await actions.change(self, request)
        elif method == b"DELETE":
            await actions.delete(self, request)
        else:
            await self.send_json(405, {"error": "method_not_allowed", "message": "not a method this URL takes"}, [(b"allow", b"GET, HEAD")])

    # -- reading ---------------------------------------------------------------

    async def next_event(self) -> Any:
        """h11's next event, receiving as much as it needs."""
        buffer = self.context.buffer
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            received = await self.conn.recv_into(buffer)
            if self.header_started is None and self.state is State.WAITING:
                self.header_started = time.monotonic()
            self.h11.receive_data(bytes(buffer[:received]))

    async def read_small_body(self, limit: int) -> bytes:
        """A whole request body of at most ``limit`` bytes (a JSON action)."""
        await self.continue_body()
        parts: list[bytes] = []
        size = 0
        while True:
            event = await self.next_event()
            if isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            if not isinstance(event, h11.Data):
                raise _Close("the request body ended early")
            size += len(event.data)
            if size > limit:
                raise FerryError(ErrorCode.TOO_LARGE, f"a request body here is at most {limit} bytes")
            parts.append(event.data)

    # -- writing ---------------------------------------------------------------

    async def start_response(self, status: int, headers: list[tuple[bytes, bytes]], length: int | None) -> None:
        """The status line and headers; ``length`` None: a chunked body (or, to an
        HTTP/1.0 client, one ended by the close)."""
        all_headers = [*_COMMON, *headers]
        if length is not None:
            all_headers.append((b"content-length", b"%d" % length))
        self.responded = True
        response = h11.Response(status_code=status, headers=all_headers, reason=HTTPStatus(status).phrase.encode())
        await self.conn.send_all(self.h11.send(response), more=True)

    async def send_data(self, data: bytes) -> None:
        if data:
            await self.conn.send_all(self.h11.send(h11.Data(data=data)))

    async def send_file(self, fd: int, offset: int, count: int) -> None:
        """``count`` bytes of the file from ``offset``, by ``sendfile`` (records of
        it through TLS). h11 is told of them without seeing them."""
        framing = self.h11.send_with_data_passthrough(h11.Data(data=_Span(count)))
        position, end = offset, offset + count
        self.state = State.BODY
        for piece in framing:
            if not isinstance(piece, _Span):
                await self.conn.send_all(piece, more=True)
                continue
            while position < end:
                sent = await self.conn.sendfile(fd, position, end - position)
                if sent == 0:
                    raise _Close("the file shrank while being sent")
                position += sent

    async def finish(self) -> None:
        data = self.h11.send(h11.EndOfMessage())
        if data:
            await self.conn.send_all(data)

    async def send_json(self, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        await self.send_bytes(status, data, b"application/json", headers)

    async def send_bytes(self, status: int, data: bytes, content_type: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        extra = [(b"content-type", content_type), (b"cache-control", b"no-store"), *(headers or [])]
        await self.start_response(status, extra, len(data))
        if not self.head:  # h11 sends no body after HEAD, and refuses one
            await self.send_data(data)
        await self.finish()

    async def send_error(self, exc: FerryError) -> None:
        headers = [(b"www-authenticate", b'Bearer realm="ferry"')] if exc.code is ErrorCode.UNAUTHORIZED else []
        await self.send_json(status_of(exc.code), {"error": str(exc.code), "message": exc.message}, headers)

    async def continue_body(self) -> None:
        """``100 Continue`` to a client waiting for it (curl -T, for large bodies)."""
        if self.h11.they_are_waiting_for_100_continue:
            await self.conn.send_all(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))


class _Span:
    """``count`` bytes h11 frames but never touches (see :meth:`WebSession.send_file`)."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count
