"""One download or one upload, with the checks a person's input needs first,
a progress bar, and errors that name the file.

Both raise :class:`FerryError` (local problems become ``local_io``, see
failures.py) and let :class:`CannotConnect` and ``KeyboardInterrupt`` through
untouched, so the caller decides whether to go on with the next file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from ferry_files.shared.client import Uploaded
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.local_names import FolderNames, local_path, safe_local_name
from ferry_files.shared.names import name_problem
from ferry_files.shared.paths import path_problem

from .connection import CannotConnect, Connection
from .console import Console
from .failures import LOCAL_IO, about, local_error
from .formatting import quoted


def check_name(name: str) -> None:
    """``bad_name`` for a path no server can have, before anything is sent."""
    problem = path_problem(name)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, f"{quoted(name)}: {problem}")


def leaf(path: str) -> str:
    """A remote path's last name: what a download of it is called here."""
    return path.rpartition("/")[2]


def check_folder(directory: str | os.PathLike[str]) -> Path:
    """The folder downloads go to, which must exist already."""
    path = Path(directory)
    try:
        is_folder = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as exc:
        raise local_error(exc, "use the folder", path) from None
    if not is_folder:
        raise FerryError(LOCAL_IO, f"cannot use {quoted(os.fspath(path))}: it is not a folder")
    return path


def download_target(name: str, directory: str | os.PathLike[str]) -> Path:
    """Where ``download`` will put ``name`` (names a local system cannot hold are adjusted)."""
    check_name(name)
    return local_path(directory, leaf(name))


def local_name_for(console: Console, name: str, names: FolderNames) -> str:
    """The local name ``name`` is saved as in a batch: its safe form, or a numbered
    one, said in a note, when that would be one file with an earlier download of
    the batch or with another file already there, by the folder's rules (a file
    of the very same name is replaced, as asked)."""
    local = safe_local_name(name)
    clash = names.clash(local)
    if clash is not None and (clash.in_batch or clash.other != local):
        renamed = names.free_variant(local)
        why = names.rules.why_same(local, clash.other)
        same = f", the same name in this folder (it {why})" if why else ""
        if clash.in_batch:
            console.note(
                f"{quoted(name)} saved as {quoted(renamed)}: an earlier file of this batch is saved as {quoted(clash.other)}{same}"
            )
        else:
            console.note(f"{quoted(name)} saved as {quoted(renamed)}: {quoted(clash.other)} is already there{same}")
        local = renamed
    names.claim(local)
    return local


def download(
    connection: Connection,
    console: Console,
    name: str,
    directory: str | os.PathLike[str],
    names: FolderNames | None = None,
    *,
    resume: bool = False,
) -> Path:
    """Fetch the remote path ``name`` into ``directory`` under its last name
    (replacing a local file of that name) and return its path. The bytes go to a
    temp file of the client's own, renamed into place at the end. ``names``: the
    folder's names in a batch (see :func:`local_name_for`). With ``resume`` (``get
    -c``) a download an earlier ``get -c`` left unfinished is continued, and one
    that fails now is kept to be continued (shared/partial_downloads.py)."""
    check_name(name)
    local = local_name_for(console, leaf(name), names) if names is not None else safe_local_name(leaf(name))
    target = local_path(directory, local)
    try:
        with console.progress(name) as bar:
            return connection.run(lambda client: client.get(name, directory, local_name=local, resume=resume, progress=bar))
    except OSError as exc:  # the temp file, or the rename onto the target
        raise local_error(exc, "write", target) from None
    except CannotConnect:
        raise
    except FerryError as exc:
        raise about(name, exc) from None


class _ReaderGone(Exception):
    """Standard output's reader went away (``| head -c 10``). Not an OSError, so that
    it passes the client library, which reports any failed write as ``local_io``:
    the command line ends quietly instead, as it does for ``list | head``."""


class _Pipe:
    """``sink`` with a closed pipe turned into :class:`_ReaderGone`."""

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink

    def write(self, data: bytes | memoryview) -> int | None:
        try:
            return self._sink.write(data)
        except BrokenPipeError:
            raise _ReaderGone() from None


def download_to(connection: Connection, console: Console, name: str, sink: BinaryIO) -> None:
    """Stream ``name`` into ``sink`` (standard output): no file, no temp file, and
    the progress bar on stderr. A failure part way has written part of the file,
    as a pipe cannot take bytes back; the exit status says so. A reader that goes
    away raises BrokenPipeError, for the command line to end quietly."""
    check_name(name)
    try:
        with console.progress(name) as bar:
            connection.run(lambda client: client.get_into(name, _Pipe(sink), progress=bar))
        sink.flush()
    except _ReaderGone:
        raise BrokenPipeError(errno.EPIPE, "standard output was closed") from None
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise local_error(exc, "write", "standard output") from None
    except CannotConnect:
        raise
    except FerryError as exc:
        raise about(name, exc) from None


def upload(
    connection: Connection,
    console: Console,
    path: str | os.PathLike[str],
    *,
    folder: str = "",
    overwrite: bool = False,
) -> Uploaded:
    """Send the local file ``path`` under its own name into the remote ``folder``
    (made if missing); ``exists`` if the server has that name already and
    ``overwrite`` is false. Always resumable where the server offers it: an
    interrupted upload of the same, unchanged file continues where it stopped
    when it is sent again (shared/upload_records.py)."""
    path = Path(path)
    shown = quoted(os.fspath(path))
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise local_error(exc, "read", path) from None
    if stat.S_ISDIR(mode):
        raise FerryError(LOCAL_IO, f"cannot upload {shown}: it is a folder")
    if not stat.S_ISREG(mode):
        raise FerryError(LOCAL_IO, f"cannot upload {shown}: it is not a regular file")
    name = path.name
    problem = name_problem(name)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, f"cannot upload {shown}: {problem}")
    remote = f"{folder}/{name}" if folder else name
    try:
        with console.progress(name) as bar:
            return connection.run(
                lambda client: client.put(path, name=remote, overwrite=overwrite, resume=True, parents=bool(folder), progress=bar)
            )
    except OSError as exc:
        raise local_error(exc, "read", path) from None
    except CannotConnect:
        raise
    except FerryError as exc:
        raise about(name, exc) from None
