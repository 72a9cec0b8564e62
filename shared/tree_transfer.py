"""Whole folders both ways, pipelined: :func:`get_tree` and :func:`put_tree`.

Many small files are round trips, not bytes, so requests are pipelined
(pipeline.py):

- downloads keep up to a window of ``get`` requests in flight on the
  connection (:class:`~.pipeline.Pipeline`), and each answer is received into
  a temp file and published (:func:`~.pipeline.receive_file`).
- uploads cannot send a body before ``ready`` (after a refusal the body would
  be read as headers), so each file costs one round trip: the next ``put`` goes
  out with the previous body, and the previous final answer is read together
  with the next ``ready``, instead of two round trips per file. A large tree
  is therefore dealt out to up to :data:`STREAMS` connections, each pipelined
  so, on threads of their own: their round trips overlap and the server's
  workers share the files (10,000 files of 16 KiB: 1.5 to 1.8 times the files
  per second of one connection here; docs/performance.md).

What goes out waits in an :class:`~.pipeline.Outbox` until the next answer is
read, so a small file's body, its trailer and the next request are one
``sendall``: on loopback every send also runs the receiver's side of TCP and wakes it.

Run again with ``skip_present`` (the desktop app's Resume and Retry of a folder),
a transfer leaves alone each file already where it goes with the size and mtime
it would get -- rsync's quick check -- and counts it as done; the rest is sent
again whole. Downloads publish with the server's mtime and uploads send theirs
(feature ``mtime``), so a finished file matches and a half-sent one never shows.

One file's failure (``exists``, ``not_found``, a name that cannot be saved
here, a local file that cannot be read) goes into the :class:`TreeReport` and
the transfer goes on; a failure that closes the connection raises.

Names from the server are untrusted: every name of a path becomes a safe local
name (local_names.py), every folder on the way is created here and must be a
real folder (a symlink planted in the destination is not followed), and two
remote paths that would be one local file (``CON`` and ``_CON``, or two cases
where the folder ignores case) are reported rather than one replacing the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import ErrorCode, FerryError
from .framing import encode_header
from .local_names import destination_rules, safe_local_name
from .messages import FOLDERS, MTIME, TRAILER, Get, Mkdir, Put, Request, encode_trailer
from .messages import field as header_field
from .names import name_problem
from .paths import check_path
from .pipeline import SMALL_FILE, Outbox, Pipeline, receive_file
from .sending import file_sha256
from .transfer_errors import TransferCancelled

if TYPE_CHECKING:
    from .client import FerryClient

#: Connections an upload spreads over, at most: one more per this many files.
#: Beyond four, two cores gained nothing; below the minimum, a connection's
#: set-up costs more than its overlap saves.
STREAMS = 4
STREAM_MIN_FILES = 64
#: What a file costs a stream beyond its bytes, when files are dealt out.
_FILE_COST_BYTES = 64 * 1024
#: Two mtimes closer than this (seconds) are one: what a float in JSON and the
#: local file system's nanoseconds make of the same time.
SAME_MTIME = 1e-3


class TreeProgress(NamedTuple):
    """Where a tree transfer stands: files and bytes, done and in all."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


@dataclass(frozen=True)
class TreeFailure:
    path: str  # relative to the transferred folder, as on the server
    code: str
    message: str


@dataclass
class TreeReport:
    """What a tree transfer did: the paths it transferred and those it could not."""

    done: list[str] = field(default_factory=list)
    failed: list[TreeFailure] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # left alone by ``skip_present``: already there
    present_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        """One line per failure, for a person."""
        return [f"{failure.path}: {failure.message} ({failure.code})" for failure in self.failed]


TreeCallback = Callable[[TreeProgress], None]


class _Tally:
    """The one progress callback of a whole tree. Upload streams share it from
    their threads: the lock keeps the counts whole and the callback's calls one
    at a time and in order."""

    def __init__(self, callback: TreeCallback | None, files: int, size: int) -> None:
        self.callback = callback
        self.files_total, self.bytes_total = files, size
        self.files_done = self.bytes_done = 0
        self._lock = threading.Lock()

    def report(self, in_flight: int = 0) -> None:
        if self.callback:
            with self._lock:
                self.callback(TreeProgress(self.files_done, self.files_total, self.bytes_done + in_flight, self.bytes_total))

    def already(self, files: int, size: int) -> None:
        """Count files found already there (``skip_present``) as done."""
        self.files_done += files
        self.bytes_done += size

    def file(self, size: int) -> None:
        with self._lock:
            self.files_done += 1
            self.bytes_done += size
        self.report()


def _join(base: str, relative: str) -> str:
    return f"{base}/{relative}" if base and relative else base or relative


def _check_cancel(client: FerryClient, cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        client.close()
        raise TransferCancelled()


def _same(size: int, mtime: float, other_size: int, other_mtime: float) -> bool:
    """The quick check: a file of the same size and mtime is taken for the one a transfer would make."""
    return size == other_size and abs(mtime - other_mtime) < SAME_MTIME


def _fail(client: FerryClient, report: TreeReport, path: str, error: FerryError) -> None:
    """Record one file's failure; re-raise it if it closed the connection."""
    if client.closed:
        raise error
    report.failed.append(TreeFailure(path, str(error.code), error.message))


# -- downloads -----------------------------------------------------------------


class _LocalTree:
    """The destination: folders made one name at a time, names claimed once."""

    def __init__(self, root: Path) -> None:
        try:  # made if missing, as rsync and mirror make it: the user named it
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FerryError("local_io", f"cannot make the folder {root}: {exc.strerror or exc}") from None
        self.root = root.resolve()
        if not self.root.is_dir():
            raise FerryError("local_io", f"{root} is not a folder")
        self.rules = destination_rules(self.root)
        self._claimed: dict[str, str] = {}
        self._folders: dict[tuple[str, ...], Path] = {(): self.root}

    def claim(self, remote: str) -> tuple[tuple[str, ...], str]:
        """The local folder names and file name for ``remote`` (a relative path);
        ``bad_name`` or ``exists`` when it cannot be saved as its own file."""
        names = tuple(safe_local_name(name) for name in remote.split("/"))
        key = "/".join(self.rules.key(name) for name in names)
        other = self._claimed.setdefault(key, remote)
        if other != remote:
            raise FerryError(ErrorCode.EXISTS, f"would be the same local file as {other!r}")
        return names[:-1], names[-1]

    def folder(self, names: tuple[str, ...]) -> Path:
        """The local folder of these (safe) names, created if missing. A step that
        exists and is not a real folder (a file, a symlink) is refused."""
        known = self._folders.get(names)
        if known is not None:
            return known
        parent = self.folder(names[:-1])
        path = parent / names[-1]
        try:
            with contextlib.suppress(FileExistsError):
                path.mkdir()
            is_folder = stat.S_ISDIR(os.lstat(path).st_mode)
        except OSError as exc:
            raise FerryError("local_io", f"cannot create the folder {path}: {exc.strerror or exc}") from None
        if not is_folder:
            raise FerryError(ErrorCode.EXISTS, f"{path} exists and is not a folder")
        self._folders[names] = path
        return path


@dataclass
class _Download:
    remote: str  # relative to the tree
    folder: tuple[str, ...]
    name: str
    size: int


def get_tree(
    client: FerryClient,
    remote_path: str,
    directory: Path,
    *,
    progress: TreeCallback | None = None,
    cancel: threading.Event | None = None,
    skip_present: bool = False,
) -> TreeReport:
    check_path(remote_path, root_allowed=True)
    local = _LocalTree(directory)
    report = TreeReport()
    if client.greeting.offers(FOLDERS) or remote_path:
        entries = client.list(remote_path, folders=True, recursive=True)
    else:  # a version 1 server: the root's files are the whole tree
        entries = client.list()
    plan: list[_Download] = []
    for entry in entries:
        try:
            folder, name = local.claim(entry.name)
            if not hasattr(entry, "size"):  # a RemoteFolder
                local.folder((*folder, name))
                continue
            if skip_present and _is_present(local, folder, name, entry.size, entry.mtime):
                report.present.append(entry.name)
                report.present_bytes += entry.size
                continue
            plan.append(_Download(entry.name, folder, name, entry.size))
        except FerryError as exc:
            _fail(client, report, entry.name, exc)
    tally = _Tally(progress, len(plan) + len(report.present), sum(item.size for item in plan) + report.present_bytes)
    tally.already(len(report.present), report.present_bytes)
    tally.report()
    pipeline: Pipeline[_Download] = Pipeline(client)
    queue = iter(plan)

    def more() -> list[tuple[Request, _Download]] | None:
        item = next(queue, None)
        return None if item is None else [(Get(_join(remote_path, item.remote)), item)]

    while True:
        _check_cancel(client, cancel)
        pipeline.refill(more)
        if not pipeline:
            return report
        _receive_one(pipeline, local, tally, report, cancel)


def _is_present(local: _LocalTree, folder: tuple[str, ...], name: str, size: int, mtime: float) -> bool:
    try:
        info = os.lstat(local.folder(folder) / name)
    except (OSError, FerryError):  # missing, or a folder on the way that is not one: not there
        return False
    return stat.S_ISREG(info.st_mode) and _same(info.st_size, info.st_mtime, size, mtime)


def _receive_one(
    pipeline: Pipeline[_Download], local: _LocalTree, tally: _Tally, report: TreeReport, cancel: threading.Event | None
) -> None:
    client = pipeline.client
    item, response = pipeline.answer()
    if isinstance(response, FerryError):
        _fail(client, report, item.remote, response)
        tally.file(0)
        return
    failure: FerryError | None = None
    try:
        target: Path | None = local.folder(item.folder) / item.name
    except FerryError as exc:
        target, failure = None, exc  # the body is read and dropped
    size = 0
    try:
        size = receive_file(client, response, target, progress=lambda done, _total: tally.report(done), cancel=cancel)
    except FerryError as exc:
        failure = exc
    tally.bytes_total += size - item.size  # it may have changed since the listing
    if failure is not None:
        _fail(client, report, item.remote, failure)
        tally.file(0)
    else:
        report.done.append(item.remote)
        tally.file(size)


# -- uploads -------------------------------------------------------------------


@dataclass
class _Upload:
    remote: str  # relative to the tree
    local: Path
    size: int
    mtime: float


def _walk(directory: Path, report: TreeReport) -> tuple[list[str], list[_Upload]]:
    """The local tree's folders and files, as relative remote paths. Symbolic
    links are not followed (a link to a folder could lead anywhere); names the
    protocol cannot carry (hidden ones included) are reported, not sent."""
    folders: list[str] = []
    files: list[_Upload] = []
    for top, dirnames, filenames in os.walk(directory):
        relative = Path(top).relative_to(directory).as_posix()
        prefix = "" if relative == "." else relative
        for name in sorted(dirnames):
            if name_problem(name) is not None or os.path.islink(os.path.join(top, name)):
                report.failed.append(
                    TreeFailure(_join(prefix, name), ErrorCode.BAD_NAME.value, "not sent: " + (name_problem(name) or "a symbolic link"))
                )
                dirnames.remove(name)
            else:
                folders.append(_join(prefix, name))
        for name in sorted(filenames):
            path = Path(top) / name
            problem = name_problem(name)
            if problem is not None:
                report.failed.append(TreeFailure(_join(prefix, name), ErrorCode.BAD_NAME.value, f"not sent: {problem}"))
                continue
            try:
                info = path.lstat()
            except OSError:
                continue  # gone since the walk saw it
            if stat.S_ISREG(info.st_mode):
                files.append(_Upload(_join(prefix, name), path, info.st_size, info.st_mtime))
            else:
                kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
                report.failed.append(TreeFailure(_join(prefix, name), ErrorCode.BAD_NAME.value, f"not sent: {kind}"))
    return folders, files


def put_tree(
    client: FerryClient,
    directory: Path,
    remote_path: str,
    *,
    overwrite: bool = False,
    progress: TreeCallback | None = None,
    cancel: threading.Event | None = None,
    skip_present: bool = False,
) -> TreeReport:
    check_path(remote_path, root_allowed=True)
    if not directory.is_dir():
        raise FerryError("local_io", f"{directory} is not a folder")
    report = TreeReport()
    folders, files = _walk(directory, report)
    if not client.greeting.offers(FOLDERS) and (remote_path or folders):
        raise client._not_offered(Mkdir(remote_path or folders[0]))
    tally = _Tally(progress, len(files), sum(item.size for item in files))
    if skip_present:
        files = _not_present(client, remote_path, files, report)
        tally.already(len(report.present), report.present_bytes)
    _make_folders(client, [remote_path] if remote_path else [], folders, remote_path, report)
    outbox = Outbox(client)
    tally.report()
    siblings: list[FerryClient] = []
    for _ in range(min(STREAMS, len(files) // STREAM_MIN_FILES) - 1):
        sibling = client.sibling()
        if sibling is None:
            break
        siblings.append(sibling)
    shares = _deal(files, 1 + len(siblings))
    failures: list[BaseException] = []
    stop = threading.Event()  # one stream failed: the others stop at their next file

    def stream(sibling: FerryClient, share: list[_Upload]) -> None:
        try:
            _put_files(Outbox(sibling), share, remote_path, overwrite, tally, report, cancel, stop)
            sibling.quit()
        except BaseException as exc:
            failures.append(exc)
            stop.set()
            sibling.close()

    pairs = zip(siblings, shares[1:], strict=True)
    threads = [threading.Thread(target=stream, args=pair, name="ferry-put-tree", daemon=True) for pair in pairs]
    for thread in threads:
        thread.start()
    try:
        _put_files(outbox, shares[0], remote_path, overwrite, tally, report, cancel, stop)
    except BaseException:
        stop.set()
        raise
    finally:
        for thread in threads:
            thread.join()
    if failures:
        client.close()  # the tree is broken off: this session ends with it, as it would alone
        raise failures[0]
    return report


def _not_present(client: FerryClient, remote_path: str, files: list[_Upload], report: TreeReport) -> list[_Upload]:
    """``files`` without those the server has already with their size and mtime
    (which go into ``report.present``). A folder not there yet has none."""
    try:
        if client.greeting.offers(FOLDERS):
            listed = client.list(remote_path, folders=True, recursive=True)
        else:  # a version 1 server: the root's files are all it has
            listed = client.list()
    except FerryError as exc:
        if exc.code != ErrorCode.NOT_FOUND or client.closed:
            raise
        return files
    remote = {entry.name: entry for entry in listed if hasattr(entry, "size")}
    kept: list[_Upload] = []
    for item in files:
        there = remote.get(item.remote)
        if there is not None and _same(there.size, there.mtime, item.size, item.mtime):
            report.present.append(item.remote)
            report.present_bytes += item.size
        else:
            kept.append(item)
    return kept


def _deal(files: list[_Upload], streams: int) -> list[list[_Upload]]:
    """``files`` in ``streams`` shares of about equal cost (bytes, and a fixed
    cost per file), the largest first; each share keeps the walk's order, so a
    folder's files stay together."""
    if streams == 1:
        return [files]
    loads = [(0, index) for index in range(streams)]
    chosen: list[list[int]] = [[] for _ in range(streams)]
    for position in sorted(range(len(files)), key=lambda i: files[i].size, reverse=True):
        load, index = heapq.heappop(loads)
        chosen[index].append(position)
        heapq.heappush(loads, (load + files[position].size + _FILE_COST_BYTES, index))
    return [[files[position] for position in sorted(positions)] for positions in chosen]


def _put_files(
    outbox: Outbox,
    files: list[_Upload],
    remote_path: str,
    overwrite: bool,
    tally: _Tally,
    report: TreeReport,
    cancel: threading.Event | None,
    stop: threading.Event,
) -> None:
    """Upload ``files`` over one connection, each ``put`` sent with the body before it."""
    client = outbox.client
    previous: tuple[_Upload, str | None] | None = None
    for item in files:
        _check_cancel(client, cancel)
        if stop.is_set():
            return
        started = _start_put(outbox, item, remote_path, overwrite, report)
        if previous is not None:
            _finish_put(outbox, *previous, tally, report)
            previous = None
        if started is None:
            tally.file(0)
            continue
        request, data = started
        try:
            outbox.answer()  # ready
        except FerryError as exc:
            _fail(client, report, item.remote, exc)
            tally.file(0)
            continue
        previous = (item, _send_put_body(outbox, item, request, data, tally, cancel))
    if previous is not None:
        _finish_put(outbox, *previous, tally, report)
    outbox.flush()


def _make_folders(client: FerryClient, base: list[str], folders: list[str], remote_path: str, report: TreeReport) -> None:
    """``mkdir -p`` the remote folder and every local folder under it, pipelined
    (``mkdir`` has one answer and no body)."""
    requests = [(Mkdir(path, parents=True), path) for path in base]
    requests += [(Mkdir(_join(remote_path, folder), parents=True), folder) for folder in folders]
    pending = iter(requests)
    pipeline: Pipeline[str] = Pipeline(client)
    while True:
        pipeline.refill(lambda: [request] if (request := next(pending, None)) is not None else None)
        if not pipeline:
            return
        name, answer = pipeline.answer()
        if isinstance(answer, FerryError):
            _fail(client, report, name, answer)


def _start_put(outbox: Outbox, item: _Upload, remote_path: str, overwrite: bool, report: TreeReport) -> tuple[Put, bytes | None] | None:
    """Queue ``item``'s ``put`` (a small file is read and hashed first); None when
    the local file cannot be read (reported)."""
    client = outbox.client
    trailer = client.greeting.offers(TRAILER)
    data: bytes | None = None
    try:
        info = item.local.stat()
        size, mtime = info.st_size, info.st_mtime
        if size <= SMALL_FILE:
            data = item.local.read_bytes()
            size = len(data)
            digest = None if trailer else hashlib.sha256(data).hexdigest()
        else:
            digest = None if trailer else file_sha256(item.local).hexdigest()
    except OSError as exc:
        report.failed.append(TreeFailure(item.remote, "local_io", f"cannot read {item.local}: {exc.strerror or exc}"))
        return None
    item.size = size
    request = Put(
        _join(remote_path, item.remote),
        size,
        overwrite,
        digest,
        trailer=True if trailer else None,
        mtime=mtime if client.greeting.offers(MTIME) else None,
    )
    outbox.request(request)
    return request, data


def _send_put_body(
    outbox: Outbox, item: _Upload, request: Put, data: bytes | None, tally: _Tally, cancel: threading.Event | None
) -> str | None:
    """Queue or send the body (and trailer) after ``ready``; the digest the server must answer with."""
    if data is not None:
        outbox.add(data)
        if request.trailer:
            digest = hashlib.sha256(data).hexdigest()
            outbox.add(encode_header(encode_trailer(digest)))
            return digest
        return request.sha256
    client = outbox.client
    outbox.flush()
    hasher = hashlib.sha256() if request.trailer else None
    try:
        with open(item.local, "rb") as source:
            client._send_upload(source.fileno(), 0, request.size, hasher, lambda done, _total: tally.report(done), cancel)
    except OSError as exc:  # the open: nothing was sent, and nothing else can be
        client.close()
        raise FerryError("local_io", f"cannot read {item.local}: {exc.strerror or exc}") from None
    return hasher.hexdigest() if hasher is not None else request.sha256


def _finish_put(outbox: Outbox, item: _Upload, digest: str | None, tally: _Tally, report: TreeReport) -> None:
    client = outbox.client
    try:
        response = outbox.answer()
        stored = header_field(response, "sha256", str).lower()
        if digest is not None and stored != digest:
            raise FerryError(ErrorCode.CHECKSUM_MISMATCH, "the server stored different bytes than were sent")
    except FerryError as exc:
        _fail(client, report, item.remote, exc)
        tally.file(0)
        return
    report.done.append(item.remote)
    tally.file(item.size)
