"""Requests sent ahead on one connection, and a ``get`` answer received into a file.

Many small files are round trips, not bytes, so a :class:`Pipeline` sends up to
:data:`WINDOW` requests (and at most :data:`WINDOW_BYTES` of them) before it
reads the first answer, and refills the window when half of it is answered.
The bound keeps the unread requests inside the socket buffers, so neither side
can block the other. The answers come in the order the requests went out; each
request carries a tag that says what its answer is for.

:func:`receive_file` reads one ``get`` answer's body into a new temp file and
publishes it with the server's mtime, or reads and drops it: a body cannot be
stopped half way without closing the connection, so a file that cannot be kept
(a local write error, a cancelled transfer, bytes that are not the server's)
still reads its whole body and the connection stays in step for the next one.

Used by the tree transfers (tree_transfer.py) and the desktop app's queue of
small downloads (gui_client/batch_downloads.py).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import ErrorCode, FerryError
from .messages import Request, raise_for_error
from .messages import field as header_field
from .partial_downloads import TempFile
from .sending import Progress
from .transfer_errors import TransferCancelled

if TYPE_CHECKING:
    from .client import FerryClient, RemoteStat

#: Requests sent ahead of the answers being read.
WINDOW = 64
#: ... and at most this many bytes of them: far below any socket buffer.
WINDOW_BYTES = 32 * 1024
#: Files up to this size arrive in a read or two: they report no progress of
#: their own, and uploads read them whole (tree_transfer.py).
SMALL_FILE = 1 << 20

Tag = TypeVar("Tag")


class Outbox:
    """Requests and small bodies, sent together when the next answer is needed:
    on loopback every send also runs the receiver's side of TCP and wakes it."""

    def __init__(self, client: FerryClient) -> None:
        self.client = client
        self._data = bytearray()

    def request(self, request: Request) -> int:
        """Queue ``request`` (refused if not offered, as the client refuses it); its size."""
        data = self.client._encode_request(request)
        self._data += data
        return len(data)

    def add(self, data: bytes) -> None:
        self._data += data

    def flush(self) -> None:
        if self._data:
            self.client._send_raw(bytes(self._data))
            self._data.clear()

    def answer(self) -> dict[str, Any]:
        """The next response (the server's error raised), after sending what waits."""
        self.flush()
        return raise_for_error(self.client._read_header())


class Pipeline(Generic[Tag]):
    """Requests in flight on one connection, bounded by count and unread bytes."""

    def __init__(self, client: FerryClient) -> None:
        self.outbox = Outbox(client)
        self.client = client
        # (tag, bytes sent, the client's own refusal of a request it would not send)
        self._waiting: deque[tuple[Tag, int, FerryError | None]] = deque()
        self._unread = 0

    def __len__(self) -> int:
        """Requests sent (or queued to be) whose answers are not read yet."""
        return len(self._waiting)

    def refill(self, more: Callable[[], Iterable[tuple[Request, Tag]] | None]) -> None:
        """Once the window is at most half full, send the requests ``more()``
        gives (a group at a time: a ``stat`` and its ``get`` go together) until
        the window is full or ``more()`` returns None. Refilling by halves sends
        many requests in one segment instead of one per answer read."""
        if len(self._waiting) > WINDOW // 2:
            return
        while len(self._waiting) < WINDOW and self._unread < WINDOW_BYTES:
            group = more()
            if group is None:
                return
            for request, tag in group:
                try:
                    sent = self.outbox.request(request)
                except FerryError as exc:  # not offered by this server: answered as if refused
                    self._waiting.append((tag, 0, exc))
                else:
                    self._waiting.append((tag, sent, None))
                    self._unread += sent

    def answer(self) -> tuple[Tag, dict[str, Any] | FerryError]:
        """The oldest request's tag and its answer: the header, or the refusal
        (the server's, or the client's of a request the server does not offer;
        the connection goes on). A broken connection raises."""
        tag, sent, refusal = self._waiting.popleft()
        if refusal is not None:
            return tag, refusal
        self._unread -= sent
        try:
            return tag, self.outbox.answer()
        except FerryError as exc:
            if self.client.closed:
                raise
            return tag, exc


class _FileSink:
    """A download's temp file. A local write error is kept, and the rest of the
    body is read and dropped: the connection must stay in step."""

    def __init__(self, hasher: hashlib._Hash | None) -> None:
        self.error: OSError | None = None
        self.temp = TempFile()
        self.hasher = hasher

    def open(self, folder: Path) -> None:
        try:
            self.temp.create(folder)
        except OSError as exc:
            self.error = exc

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data)
        if self.hasher is not None:
            self.hasher.update(view)
        while view and self.error is None:
            try:
                view = view[os.write(self.temp.fd, view) :]
            except OSError as exc:
                self.error = exc
        return len(data)


def receive_file(
    client: FerryClient,
    response: dict[str, Any],
    target: Path | None,
    *,
    expected: RemoteStat | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    keep: Callable[[], bool] | None = None,
) -> int:
    """Receive the body of ``response``, a ``get`` answer from offset 0, into a
    new temp file beside ``target`` and publish it as ``target`` with the
    server's mtime; its size. ``target`` None: read the body and drop it.

    ``expected`` (the file's ``stat``): the answer must be of a file of that size
    and mtime, and the bytes must have its sha256 (hashed as they arrive), as
    ``FerryClient.get(verify=True)`` checks. ``progress`` hears of a body larger
    than :data:`SMALL_FILE` only.

    A failure of this file alone (it changed, its bytes are not the server's, it
    cannot be written here) raises :class:`FerryError` once the whole body is
    read, with the connection still usable; a broken connection, or ``cancel``
    set before the file is published, raises with ``client.closed``. ``keep``
    is asked once the whole body is in and checked: False drops the file, and
    the connection stays in step (the desktop app's claim cancelled meanwhile).
    No temp file is left either way."""
    size, length = client._get_header(response, 0)
    try:
        mtime = header_field(response, "mtime", float)
    except FerryError:
        client.close()  # the body cannot be found any more
        raise
    failure: FerryError | None = None
    if expected is not None and (size, mtime) != (expected.size, expected.mtime):
        failure = FerryError(ErrorCode.CHECKSUM_MISMATCH, "the file changed on the server during the download")
        target = None
    sink = _FileSink(hashlib.sha256() if expected is not None and target is not None else None)
    try:  # the sink exists before its temp file: see TempFile
        if target is not None:
            sink.open(target.parent)
        write = sink.write if target is not None else None
        try:
            client._receive_body(length, write, 0, size, progress if length > SMALL_FILE else None, cancel)
        except BaseException:
            client.close()  # the rest of the body is unread: the connection is out of step
            raise
        if target is not None:
            if cancel is not None and cancel.is_set():  # cancelled as the last bytes came: not published
                client.close()  # as a cancel during the body would
                raise TransferCancelled()
            failure = _verify(sink, target, expected)
            if failure is None and (keep is None or keep()):
                failure = _publish(sink, target, mtime)
    finally:
        sink.temp.discard()
    if failure is not None:
        raise failure
    return size


def _verify(sink: _FileSink, target: Path, expected: RemoteStat | None) -> FerryError | None:
    """Why the complete temp file cannot be published, if it cannot."""
    if sink.error is not None:
        return FerryError("local_io", f"cannot write {target.parent}: {sink.error.strerror or sink.error}")
    if expected is not None and sink.hasher is not None and sink.hasher.hexdigest() != expected.sha256:
        return FerryError(ErrorCode.CHECKSUM_MISMATCH, "the downloaded bytes do not match the server's sha256")
    return None


def _publish(sink: _FileSink, target: Path, mtime: float) -> FerryError | None:
    """Rename the complete temp file into place; why not, if it cannot be."""
    try:
        sink.temp.publish(target, mtime)
    except OSError as exc:
        return FerryError("local_io", f"cannot save {target}: {exc.strerror or exc}")
    return None
