"""The blocking Ferry client used by the terminal client, the desktop app, the
benchmarks and the tests.

One :class:`FerryClient` is one connection and one session. Transfers report
progress through a callback and stop when a ``threading.Event`` is set or when
another thread calls :meth:`FerryClient.abort`; the protocol has no way to stop
a body half way, so a cancelled transfer closes the connection (the server then
discards a partial upload).

Everything a server sends is untrusted: names are checked before they touch the
local disk, and a body shorter than announced is a failed transfer.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import selectors
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from math import isfinite
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .errors import ErrorCode, FerryError
from .framing import HeaderBuffer, decode_header, decode_pairs, encode_header
from .limits import DEFAULT_PORT, MAX_LIST_BODY, PROTOCOL_VERSION
from .local_names import local_path
from .messages import (
    MTIME,
    RESUME,
    TRAILER,
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
    can_send,
    encode_request,
    encode_trailer,
    field,
    offered_features,
    raise_for_error,
)
from .names import all_valid_names, name_problem
from .partial_downloads import Partial, PartialRecords, TempFile, default_records, open_recorded, remove_recorded
from .paths import check_path, path_problem
from .sending import Progress, file_sha256, send_file
from .tls import KnownServers, TlsSettings, client_context, default_known_servers, fingerprint
from .transfer_errors import ConnectionLost, TransferCancelled
from .tree_transfer import TreeProgress, TreeReport, get_tree, put_tree
from .upload_records import default_upload_records
from .wrong_server import foreign_speaker, greeting_wait, opens_json_object, readable, silent_peer

#: Reused receive buffer size: large reads keep a Python receiver near the kernel's speed.
RECV_CHUNK = 1 << 20
#: A new connection's receive buffer: enough for headers and small bodies. A 1 MiB
#: one from the start cost 0.7 ms of page faults per connection (a short session's
#: largest client-side cost); it is made when the first larger body comes.
HEADER_CHUNK = 1 << 16


class RemoteFile(NamedTuple):
    """One file of a listing. A named tuple: a 100,000-file listing makes as many,
    and a frozen dataclass took twice as long to build. ``name`` is a path relative
    to the listed folder in a recursive listing."""

    name: str
    size: int
    mtime: float


class RemoteFolder(NamedTuple):
    """One folder of a listing with ``folders=True`` (it has no size)."""

    name: str
    mtime: float


@dataclass(frozen=True)
class RemoteStat:
    name: str
    size: int
    mtime: float
    sha256: str


@dataclass(frozen=True)
class Uploaded:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Greeting:
    server: str
    auth: bool | str
    max_upload: int | None
    #: The 1.1 features offered (PROTOCOL.md 7); None for a version 1 server.
    features: frozenset[str] | None = None

    def offers(self, feature: str) -> bool:
        return self.features is not None and feature in self.features


class _Hashing:
    """A sink that hashes what it writes."""

    def __init__(self, sink: BinaryIO, hasher: hashlib._Hash) -> None:
        self.sink, self.hasher = sink, hasher

    def write(self, data: bytes | memoryview) -> int:
        written = self.sink.write(data)
        if written is None:  # a sink that does not count takes everything
            written = len(data)
        self.hasher.update(memoryview(data)[:written])
        return written


def _use_kernel_timeouts(sock: socket.socket, timeout: float) -> None:
    """Make ``sock`` blocking with SO_RCVTIMEO/SO_SNDTIMEO instead of Python's
    timeout: Python polls before every receive, the kernel does not (measured:
    about a third more download speed). A timed-out call then fails with EAGAIN."""
    whole = int(timeout)
    interval = struct.pack("ll", whole, int((timeout - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, interval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, interval)
    sock.settimeout(None)


def _remote_entry(entry: Any) -> RemoteFile | RemoteFolder | None:
    """One ``list`` entry, type-checked: it comes from an untrusted server. ``entry``
    is a JSON object as a tuple of (key, value) pairs (``decode_pairs``); a JSON
    array is a list, so it never passes for one. None for a well-formed entry of a
    ``type`` this client does not know (a later protocol's), which is left out.

    The fields in the order every Ferry server writes them (``messages.list_entry``,
    ``folder_entry``) are unpacked without building a dict: a 100,000-entry listing
    is mostly this function."""
    size: Any = None
    count = len(entry) if type(entry) is tuple else 0
    if count == 3 and entry[0][0] == "name" and entry[1][0] == "size" and entry[2][0] == "mtime":
        (_, name), (_, size), (_, mtime) = entry
        kind = "file"
    elif count == 4 and entry[0][0] == "name" and entry[1] == _FILE_TYPE and entry[2][0] == "size" and entry[3][0] == "mtime":
        (_, name), _, (_, size), (_, mtime) = entry
        kind = "file"
    elif count == 3 and entry[0][0] == "name" and entry[1] == _DIR_TYPE and entry[2][0] == "mtime":
        (_, name), _, (_, mtime) = entry
        kind = "dir"
    else:
        name, size, mtime, kind = _entry_fields(entry)
    if type(name) is str and (type(mtime) is float and isfinite(mtime) or type(mtime) is int):
        if kind == "file" and type(size) is int and size >= 0:
            return RemoteFile(name, size, mtime if type(mtime) is float else _seconds(mtime))
        if kind == "dir":
            return RemoteFolder(name, _seconds(mtime))
        if type(kind) is str and kind not in ("file", "dir"):
            return None
    raise FerryError(ErrorCode.BAD_REQUEST, "the server sent a malformed list entry")


_FILE_TYPE = ("type", "file")
_DIR_TYPE = ("type", "dir")


def _parse_list(body: bytes, count: int, *, folders: bool, recursive: bool) -> list[RemoteFile | RemoteFolder]:
    """The entries of a ``list`` body of ``count`` lines, each type-checked, minus
    those whose names break the protocol's rules (nothing can be done with them
    safely) and those of kinds not asked for."""
    with _cyclic_gc_paused():
        try:  # one parse for the whole body, in C; _remote_entry refuses what the parser let through
            entries = decode_pairs(b"[" + body.rstrip(b"\n").replace(b"\n", b",") + b"]")
        except FerryError as exc:
            raise FerryError(ErrorCode.BAD_REQUEST, f"the server sent a malformed list: {exc.message}") from None
        if not isinstance(entries, list):
            raise FerryError(ErrorCode.BAD_REQUEST, "the server sent a malformed list")
        if len(entries) != count:
            raise FerryError(ErrorCode.BAD_REQUEST, f"the server announced {count} files and sent {len(entries)}")
        wanted = (RemoteFile, RemoteFolder) if folders else (RemoteFile,)
        found = [entry for entry in map(_remote_entry, entries) if type(entry) in wanted]
        # The parsed pairs go before the collector is back: it would otherwise walk
        # all half a million of them once (0.3 s for 100,000 entries) only to free them.
        del entries
        if recursive:
            return [entry for entry in found if path_problem(entry.name) is None]
        if all_valid_names([entry.name for entry in found]):
            return found
        return [entry for entry in found if name_problem(entry.name) is None]


def _entry_fields(entry: Any) -> tuple[Any, Any, Any, Any]:
    """name, size, mtime and type of an entry in any order, among unknown fields;
    a line without ``type`` is a file's (version 1, or ``folders`` not asked for)."""
    if type(entry) is not tuple:
        raise FerryError(ErrorCode.BAD_REQUEST, "the server sent a list entry that is not an object")
    fields = dict(entry)
    if len(fields) != len(entry):
        raise FerryError(ErrorCode.BAD_REQUEST, "the server sent a list entry with a duplicate key")
    return fields.get("name"), fields.get("size"), fields.get("mtime"), fields.get("type", "file")


def _seconds(value: int | float) -> float:
    """A time from the server as a float; an integer too large for one is malformed."""
    try:
        return float(value)
    except OverflowError:
        raise FerryError(ErrorCode.BAD_REQUEST, "the server sent an impossible time") from None


def _write_local(write: Callable[[Any], int | None] | None, data: bytes | memoryview) -> None:
    """Write download bytes, all of them even if ``write`` is a raw file's (which may
    take fewer); a local failure (disk full...) is ``local_io``, not a network error."""
    if write is not None:
        try:
            view = memoryview(data)
            while view:
                written = write(view)
                if written is None or written >= len(view):  # None: a sink that does not count
                    break
                if written <= 0:
                    raise OSError(errno.EIO, "the destination took no bytes")
                view = view[written:]
        except OSError as exc:
            raise FerryError("local_io", f"cannot write the download: {exc.strerror or exc}") from None


def _keep_partial(records: PartialRecords, fd: int, partial: Partial) -> bool:
    """Record a failed download's temp file (``fd``) so that a later ``get``
    continues it; False when it holds nothing or the record cannot be written."""
    info = os.fstat(fd)
    if info.st_size == 0:
        return False
    return records.save(replace(partial, device=info.st_dev, inode=info.st_ino, written_ns=info.st_mtime_ns, done=info.st_size))


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A listing makes five tuples per entry, none of them part of a cycle; with the
    collector on, 100,000 entries set off several full collections that walk the
    whole heap for nothing (a third of the parse time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _local_io(what: str) -> Iterator[None]:
    """Turn a local file error into ``local_io`` with a sentence that names the file."""
    try:
        yield
    except OSError as exc:
        raise FerryError("local_io", f"{what}: {exc.strerror or exc}") from None


def _start_tls(sock: socket.socket, host: str, port: int, settings: TlsSettings) -> ssl.SSLSocket:
    context = client_context(settings)
    try:
        tls_sock = context.wrap_socket(sock, server_hostname=host if settings.cafile else None)
    except ssl.SSLCertVerificationError as exc:
        raise FerryError(
            "certificate_untrusted", f"{host}:{port} has a certificate the CA file does not vouch for: {exc.verify_message}"
        ) from None
    except (ssl.SSLError, OSError) as exc:
        raise FerryError("connection_failed", f"TLS with {host}:{port} failed: {exc}") from None
    if settings.cafile is None:
        known = KnownServers(settings.known_servers or default_known_servers())
        try:
            known.check(f"{host}:{port}", fingerprint(tls_sock.getpeercert(binary_form=True) or b""))
        except FerryError:
            tls_sock.close()
            raise
    return tls_sock


def remote_stat(name: str, response: dict[str, Any]) -> RemoteStat:
    """The :class:`RemoteStat` a ``stat`` answer says (also one read from a pipeline)."""
    return RemoteStat(
        name=name,
        size=field(response, "size", int),
        mtime=_seconds(field(response, "mtime", float)),
        sha256=field(response, "sha256", str).lower(),
    )


class FerryClient:
    """A connected session. Use :meth:`connect`; close with :meth:`quit` or ``with``."""

    def __init__(self, sock: socket.socket, timeout: float | None, origin: str = "") -> None:
        self._sock = sock
        self.origin = origin  # host:port, what resume records are kept under
        self._timeout = timeout
        self._headers = HeaderBuffer()
        self._view = memoryview(bytearray(HEADER_CHUNK))  # grown for the first large body
        self._closed = False
        self._aborted = False
        # (host, port, token, tls, timeout) when made by connect(): what sibling() repeats.
        self._connect_args: tuple[str, int, str | None, TlsSettings | None, float | None] | None = None
        self.greeting = self._read_greeting()

    @classmethod
    def connect(
        cls,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        token: str | None = None,
        tls: TlsSettings | None = None,
        timeout: float | None = 60.0,
    ) -> FerryClient:
        """Connect, read the greeting, and ``auth`` when a token is given and the
        server asks for one. Raises ``busy`` when the server is full."""
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise FerryError("connection_failed", f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if tls is not None:
                sock = _start_tls(sock, host, port, tls)
            elif timeout is not None and sys.platform.startswith("linux"):
                _use_kernel_timeouts(sock, timeout)
            client = cls(sock, timeout, f"{host}:{port}")
            if token is not None and client.greeting.auth:
                client.auth(token)
        except BaseException:
            sock.close()
            raise
        client._connect_args = (host, port, token, tls, timeout)
        return client

    def sibling(self) -> FerryClient | None:
        """One more session with the same server, token and TLS settings, for a
        transfer spread over connections (``put_tree``). None when this client
        was not made by :meth:`connect` or no session can be had (``busy``, a
        refused connection): the caller then does with the ones it has."""
        if self._connect_args is None:
            return None
        host, port, token, tls, timeout = self._connect_args
        try:
            return FerryClient.connect(host, port, token=token, tls=tls, timeout=timeout)
        except (FerryError, OSError):  # OSError: a TLS handshake that failed this time
            return None

    # -- session -----------------------------------------------------------

    def _read_greeting(self) -> Greeting:
        self._receive_first_bytes()
        header = self._read_header()
        if header.get("ok") is False:
            raise_for_error(header)
        if header.get("ferry") != PROTOCOL_VERSION:
            raise FerryError(ErrorCode.BAD_REQUEST, f"not a Ferry v{PROTOCOL_VERSION} server")
        auth = header.get("auth", False)
        max_upload = header.get("max_upload")
        return Greeting(
            server=str(header.get("server", "")),
            auth=auth if auth in (True, False, "write") else True,
            max_upload=max_upload if type(max_upload) is int else None,
            features=offered_features(header),
        )

    def _receive_first_bytes(self) -> None:
        """Receive the greeting's first bytes, which must come soon and open a JSON
        object: otherwise the peer is not a Ferry server, and wrong_server.py says
        what it is instead of a wait for the whole timeout."""
        wait = greeting_wait(self._timeout)
        try:
            if not readable(self._sock, wait):
                raise silent_peer(self._sock, wait)
            received = self._sock.recv_into(self._view)
            if not received:
                raise self._closed_by_peer("the server closed the connection")
            first = bytes(self._view[:received])
            if not opens_json_object(first):
                raise foreign_speaker(first)
        except OSError as exc:
            self.close()
            raise self._lost(exc) from None
        except FerryError:
            self.close()
            raise
        self._headers.feed(first)

    def auth(self, token: str) -> None:
        self._call(Auth(token))

    def list(self, path: str = "", *, folders: bool = False, recursive: bool = False) -> list[RemoteFile | RemoteFolder]:
        """The files of the folder ``path`` (default: the root), sorted by name;
        with ``folders`` its folders too (:class:`RemoteFolder`), with
        ``recursive`` its whole subtree, named by paths relative to ``path``.
        Anything but the root's plain listing needs feature ``folders``. Entries
        whose names break the protocol's rules are dropped: nothing can be done
        with them safely."""
        check_path(path, root_allowed=True)
        request = ListFiles(path or None, folders or None, recursive or None)
        response = self._call(request)
        count, length = self._list_header(response)
        body = self._read_body(length)
        return _parse_list(body, count, folders=folders, recursive=recursive)

    def _list_header(self, response: dict[str, Any]) -> tuple[int, int]:
        """The announced count and length of a list body. A malformed one, or a
        length over :data:`MAX_LIST_BODY`, is refused before a byte of the body is
        buffered, and closes the connection: the body is left unread."""
        try:
            count, length = field(response, "count", int), field(response, "length", int)
            if length > MAX_LIST_BODY:
                raise FerryError(ErrorCode.BAD_REQUEST, f"the server's list is larger than {MAX_LIST_BODY >> 20} MiB; refusing it")
        except FerryError:
            self.close()
            raise
        return count, length

    def stat(self, name: str) -> RemoteStat:
        """``name`` may be a path (feature ``folders``)."""
        return remote_stat(name, self._call(Stat(check_path(name))))

    def mkdir(self, path: str, *, parents: bool = False) -> None:
        """Create the folder ``path`` (feature ``folders``); with ``parents`` its
        missing parents too, and an existing folder is fine (``mkdir -p``)."""
        self._call(Mkdir(check_path(path), parents))

    def delete(self, path: str, *, recursive: bool = False) -> None:
        """Delete a file or an empty folder (feature ``manage``); with
        ``recursive`` a folder and everything in it."""
        self._call(Delete(check_path(path), recursive))

    def rename(self, source: str, target: str, *, overwrite: bool = False) -> None:
        """Move ``source`` to ``target`` atomically (feature ``manage``, and
        ``folders`` for paths); ``overwrite`` replaces a file, never a folder."""
        self._call(Rename(check_path(source), check_path(target), overwrite))

    def get_tree(
        self,
        remote_path: str,
        directory: str | os.PathLike[str],
        *,
        progress: Callable[[TreeProgress], None] | None = None,
        cancel: threading.Event | None = None,
        skip_present: bool = False,
    ) -> TreeReport:
        """Download the folder ``remote_path`` ("" : the whole library) into
        ``directory`` (made if missing; files there are replaced), pipelined (tree_transfer.py). One file's failure goes into
        the report; a lost connection raises. ``skip_present``: leave alone the
        files already there with the server's size and mtime (a transfer run again)."""
        return get_tree(self, remote_path, Path(directory), progress=progress, cancel=cancel, skip_present=skip_present)

    def put_tree(
        self,
        directory: str | os.PathLike[str],
        remote_path: str,
        *,
        overwrite: bool = False,
        progress: Callable[[TreeProgress], None] | None = None,
        cancel: threading.Event | None = None,
        skip_present: bool = False,
    ) -> TreeReport:
        """Upload the local folder ``directory`` as ``remote_path`` ("": into the
        root), pipelined, a large tree over several connections (tree_transfer.py).
        One file's failure goes into the report; a lost connection raises.
        ``skip_present``: leave alone the files the server has with their size and mtime."""
        return put_tree(
            self, Path(directory), remote_path, overwrite=overwrite, progress=progress, cancel=cancel, skip_present=skip_present
        )

    def quit(self) -> None:
        """Say goodbye politely, then close. Never raises for a dead connection."""
        if self._closed:
            return
        try:
            self._call(Quit())
        except FerryError:
            pass
        finally:
            self.close()

    @property
    def closed(self) -> bool:
        """True once the connection is gone (closed, aborted, or lost)."""
        return self._closed

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def abort(self) -> None:
        """Break off whatever this client is doing, from any thread: the blocked
        call raises :class:`ConnectionLost` (or :class:`TransferCancelled`)."""
        self._aborted = self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def __enter__(self) -> FerryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:
            self.quit()
        else:
            self.close()

    # -- downloads ---------------------------------------------------------

    def get_into(
        self,
        name: str,
        sink: BinaryIO | None,
        *,
        offset: int = 0,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        check: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Stream ``name`` from ``offset`` into ``sink`` (None discards it).
        Returns the response header (``size``, ``mtime``, ``length``...).
        ``check`` sees that header before any byte is written, and may refuse
        the body by raising (the connection is then closed: a body cannot be stopped)."""
        response = self._call(Get(check_path(name), offset))
        size, length = self._get_header(response, offset)
        try:
            if check is not None:
                check(response)
            self._receive_body(length, sink.write if sink is not None else None, offset, size, progress, cancel)
        except BaseException:
            self.close()
            raise
        return response

    def _get_header(self, response: dict[str, Any], offset: int) -> tuple[int, int]:
        """The size and body length of a ``get`` answer, checked to agree."""
        size = field(response, "size", int)
        length = field(response, "length", int)
        if field(response, "offset", int) != offset or length != size - offset:
            self.close()
            raise FerryError(ErrorCode.BAD_REQUEST, "the server announced an inconsistent body")
        return size, length

    def _receive_body(
        self,
        length: int,
        write: Callable[[Any], int | None] | None,
        offset: int,
        size: int,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        """Receive a ``length``-byte body into ``write`` (None discards it),
        reporting ``offset + done`` of ``size``. A short body is :class:`ConnectionLost`."""
        done = 0
        recv_into, view = self._sock.recv_into, self._receive_view(length)
        chunk = len(view)
        try:
            if progress:
                progress(offset, size)
            leftover = self._headers.take(length)
            if leftover:
                _write_local(write, leftover)
                done = len(leftover)
            # As lean as bench/limits.py's probe: the receive names its length
            # instead of slicing the buffer, and a discarding sink costs no call.
            while done < length:
                if cancel is not None and cancel.is_set():
                    raise TransferCancelled()
                received = recv_into(view, min(chunk, length - done))
                if not received:
                    raise self._closed_by_peer(f"the server closed the connection after {offset + done} of {size} bytes")
                if write is not None:
                    _write_local(write, view[:received])
                done += received
                if progress:
                    progress(offset + done, size)
        except OSError as exc:
            self.close()
            raise self._lost(exc) from None

    def get(
        self,
        name: str,
        directory: str | os.PathLike[str],
        *,
        local_name: str | None = None,
        resume: bool = False,
        verify: bool = False,
        origin: str | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Download ``name`` into ``directory`` and return the local path.

        The bytes go to a temp file the client creates for this download
        (partial_downloads.py) and are renamed into place only when complete, so a
        failed download never looks finished and no other local file is touched.
        With ``resume`` a failed download is recorded, and a later ``get`` of the
        same name to the same place from the same ``origin`` (default: this
        connection's host:port) continues it if the remote file has the same size
        and mtime. With ``verify`` the result's sha256 is checked against ``stat``
        and a mismatch is deleted. ``name`` may be a path (feature ``folders``);
        the local name defaults to its last name. The local file gets the
        remote file's mtime.
        """
        final = local_path(directory, local_name or check_path(name).rpartition("/")[2])
        origin = origin or self.origin
        records = default_records() if resume else None
        recorded = records.take(origin, name, final) if records is not None else None
        try:
            expected = self.stat(name) if verify or recorded is not None else None
        except BaseException:
            if records is not None and recorded is not None:
                records.save(recorded)  # not looked at: still worth continuing later
            raise
        temp = TempFile()  # before the file exists: see TempFile
        remote: list[tuple[int, float]] = []  # the size and mtime of the file the body is of

        def check(response: dict[str, Any]) -> None:
            identity = (field(response, "size", int), _seconds(field(response, "mtime", float)))
            if expected is not None and identity != (expected.size, expected.mtime):
                raise FerryError(ErrorCode.CHECKSUM_MISMATCH, f"{name} changed on the server during the download")
            remote.append(identity)

        try:
            offset = self._adopt(recorded, expected, temp)
            if temp.path is None:
                with _local_io(f"cannot save into {final.parent}"):
                    temp.create(final.parent)
            # Unbuffered: the blocks are large, and a buffer would copy each one's tail.
            # The descriptor stays the temp file's: it closes it, once.
            sink = os.fdopen(temp.fd, "r+b", buffering=0, closefd=False)
            with _local_io(f"cannot write {temp.path}"):
                hasher = None
                if expected is not None:  # hash as the bytes arrive: no second pass over the file
                    hasher = file_sha256(temp.fd, limit=offset, cancel=cancel)
                # Never a truncate: the file is new, or exactly as long as recorded. On
                # ext4 a truncate marks the file for writeback when it is closed
                # (auto_da_alloc), which stalled every download about a second per GiB.
                sink.seek(offset)
                try:
                    self.get_into(
                        name, _Hashing(sink, hasher) if hasher else sink, offset=offset, progress=progress, cancel=cancel, check=check
                    )
                except BaseException:
                    if records is not None and remote:
                        size, mtime = remote[0]
                        partial = Partial(origin, name, os.fspath(final), temp.path.name, 0, 0, 0, size, mtime, 0)
                        if _keep_partial(records, temp.fd, partial):
                            temp.keep()
                    raise
            if expected is not None and hasher is not None and hasher.hexdigest() != expected.sha256:
                raise FerryError(ErrorCode.CHECKSUM_MISMATCH, f"{name}: downloaded bytes do not match the server's sha256")
            with _local_io(f"cannot save {final}"):
                temp.publish(final, remote[0][1])
        finally:
            temp.discard()
        return final

    @staticmethod
    def _adopt(recorded: Partial | None, expected: RemoteStat | None, temp: TempFile) -> int:
        """The offset to continue from: the recorded temp file is adopted into
        ``temp`` when it may be continued (the remote file has the size and mtime it
        had). Otherwise it is deleted, and the download starts at 0."""
        if recorded is None or expected is None:
            return 0
        if (recorded.size, recorded.mtime) == (expected.size, expected.mtime) and recorded.done <= expected.size:
            fd = open_recorded(recorded)
            if fd is not None:
                temp.adopt(fd, recorded.temp_path)
                return recorded.done
        remove_recorded(recorded)
        return 0

    # -- uploads -----------------------------------------------------------

    def put(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        overwrite: bool = False,
        checksum: bool = True,
        resume: bool = False,
        parents: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Uploaded:
        """Upload the local file ``path`` as ``name`` (default: its own name; a
        path needs feature ``folders``, and ``parents`` creates its missing folders).

        With ``checksum`` the server refuses to publish bytes that changed on the
        way: the file is hashed while it is sent and the digest follows the body
        (feature ``trailer``), or, from a version 1 server, hashed first and sent
        in the request. With ``resume`` (feature ``resume``) an interrupted upload
        of the same, unchanged file is continued where the server left it
        (upload_records.py). The file's mtime travels along (feature ``mtime``).
        """
        path = Path(path)
        remote = check_path(name if name is not None else path.name)
        with _local_io(f"cannot read {path}"):
            source = open(path, "rb")
        with source:
            local = os.fstat(source.fileno())
            size = local.st_size
            trailer = checksum and self.greeting.offers(TRAILER)
            records = default_upload_records() if resume and self.greeting.offers(RESUME) else None
            upload_id = records.upload_id(self.origin, remote, local) if records is not None else None
            sha256 = None
            if checksum and not trailer:
                with _local_io(f"cannot read {path}"):
                    sha256 = file_sha256(source.fileno(), cancel=cancel).hexdigest()
            request = Put(
                remote,
                size,
                overwrite,
                sha256,
                trailer=True if trailer else None,
                upload_id=upload_id,
                mtime=local.st_mtime if self.greeting.offers(MTIME) else None,
                parents=True if parents else None,
            )
            try:
                ready = self._call(request)
            except FerryError:
                if records is not None and not self._closed:  # refused: the id was never used
                    records.forget(self.origin, remote, local)
                raise
            start = self._resume_offset(ready, size) if upload_id is not None else 0
            hasher = hashlib.sha256() if trailer else None
            self._send_upload(source.fileno(), start, size, hasher, progress, cancel)
            response = raise_for_error(self._read_header())
        uploaded = Uploaded(remote, field(response, "size", int), field(response, "sha256", str).lower())
        sent_digest = sha256 or (hasher.hexdigest() if hasher is not None else None)
        if sent_digest is not None and uploaded.sha256 != sent_digest:
            raise FerryError(ErrorCode.CHECKSUM_MISMATCH, "the server stored different bytes than were sent")
        if records is not None:
            records.forget(self.origin, remote, local)
        return uploaded

    def _resume_offset(self, ready: dict[str, Any], size: int) -> int:
        """``ready``'s ``offset``: how much of an interrupted upload the server holds."""
        offset = field(ready, "offset", int, optional=True, default=0)
        if offset > size:
            self.close()
            raise FerryError(ErrorCode.BAD_REQUEST, "the server claims more bytes than the file has")
        return offset

    def _send_upload(
        self, fd: int, start: int, size: int, hasher: hashlib._Hash | None, progress: Progress | None, cancel: threading.Event | None
    ) -> None:
        """Send the body (sending.py), then the trailer when ``hasher`` computed one."""
        try:
            send_file(self._sock, fd, start, size, hasher=hasher, progress=progress, cancel=cancel, wait_writable=self._wait_writable)
            if hasher is not None:
                self._sock.sendall(encode_header(encode_trailer(hasher.hexdigest())))
        except OSError as exc:
            self.close()
            raise self._lost(exc) from None
        except BaseException:
            self.close()
            raise

    def _wait_writable(self) -> None:
        """After a send that would block: the kernel's send timeout ran out, or the
        socket is non-blocking (Python's own timeouts, off Linux). Made only then:
        an epoll instance per upload cost every small put three syscalls."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock.fileno(), selectors.EVENT_WRITE)
            if not selector.select(self._timeout):
                raise TimeoutError("the server stopped reading") from None

    # -- plumbing ----------------------------------------------------------

    def _call(self, request: Request) -> dict[str, Any]:
        self._send_request(request)
        return raise_for_error(self._read_header())

    def _send_request(self, request: Request) -> None:
        """Send one request's header without waiting for its answer (tree
        transfers pipeline them). A request the greeting did not offer every
        feature of is refused here, as the server would: ``forbidden``."""
        self._send_raw(self._encode_request(request))

    def _encode_request(self, request: Request) -> bytes:
        if not can_send(request, self.greeting.features):
            raise self._not_offered(request)
        return encode_header(encode_request(request))

    def _send_raw(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionLost("the connection is closed")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.close()
            raise self._lost(exc) from None

    def _not_offered(self, request: Request) -> FerryError:
        if self.greeting.features is None:
            if isinstance(request, (Stat, Get, Put)) and "/" in request.name:  # version 1: not a name at all
                return FerryError(ErrorCode.BAD_NAME, f"{request.name[:60]!r} is a path, and the server has no folders (protocol 1.0)")
            return FerryError(ErrorCode.FORBIDDEN, "the server speaks protocol 1.0, without folders, delete or rename")
        missing = ", ".join(sorted(request.features - self.greeting.features))
        return FerryError(ErrorCode.FORBIDDEN, f"the server does not offer {missing}")

    def _read_header(self) -> dict[str, Any]:
        try:
            while (line := self._headers.next_header()) is None:
                received = self._sock.recv_into(self._view)
                if not received:
                    raise self._closed_by_peer("the server closed the connection")
                self._headers.feed(self._view[:received])
        except OSError as exc:
            self.close()
            raise self._lost(exc) from None
        except FerryError:
            self.close()
            raise
        header = decode_header(line)
        if not isinstance(header, dict):
            self.close()
            raise FerryError(ErrorCode.BAD_REQUEST, "the server sent a malformed header")
        return header

    def _receive_view(self, length: int) -> memoryview:
        """The receive buffer, grown to :data:`RECV_CHUNK` once a body of ``length`` needs it."""
        if length > len(self._view) and len(self._view) < RECV_CHUNK:
            self._view = memoryview(bytearray(RECV_CHUNK))
        return self._view

    def _read_body(self, length: int) -> bytes:
        body = bytearray(self._headers.take(length))
        view = self._receive_view(length)
        try:
            while len(body) < length:
                received = self._sock.recv_into(view[: min(len(view), length - len(body))])
                if not received:
                    raise self._closed_by_peer("the server closed the connection in the middle of a reply")
                body += view[:received]
        except OSError as exc:
            self.close()
            raise self._lost(exc) from None
        return bytes(body)

    def _closed_by_peer(self, message: str) -> FerryError:
        """EOF: our own :meth:`abort` (a shutdown reads as EOF) or the server leaving."""
        return TransferCancelled() if self._aborted else ConnectionLost(message)

    def _lost(self, exc: OSError) -> FerryError:
        if self._aborted:
            return TransferCancelled()
        if isinstance(exc, (TimeoutError, BlockingIOError)):  # BlockingIOError: a kernel timeout
            return ConnectionLost("the server did not answer in time")
        return ConnectionLost(f"connection lost: {exc.strerror or exc}")
