"""``get -r`` and ``put -r``: a whole folder through the client library's pipelined
tree transfer (shared/tree_transfer.py), with one progress line for the whole
tree, one ``error:`` line per file that failed (naming it), and a summary.

One file's failure does not stop the others (the library goes on); the status
is 1 if any failed. A lost connection ends the transfer and is raised.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ferry_files.shared.client import FerryClient
from ferry_files.shared.errors import FerryError
from ferry_files.shared.local_names import safe_local_name
from ferry_files.shared.tree_transfer import TreeProgress, TreeReport

from .connection import CannotConnect, Connection
from .console import Console
from .failures import about
from .formatting import human_duration, human_rate, human_size, quoted
from .remote_paths import join
from .transfers import leaf


class _Tally:
    """The last progress the library reported (the summary's byte count), passed
    on to the bar when there is one."""

    def __init__(self, bar: Callable[[TreeProgress], None] | None) -> None:
        self.bar = bar
        self.last = TreeProgress(0, 0, 0, 0)

    def __call__(self, progress: TreeProgress) -> None:
        self.last = progress
        if self.bar is not None:
            self.bar(progress)


def download_folder(connection: Connection, console: Console, remote: str, directory: Path, *, resume: bool = False) -> int:
    """The remote folder ``remote`` into ``directory``/its name (the whole library
    into ``directory`` itself), made if missing; files there are replaced. With
    ``resume`` (``get -r -c``, as lftp's ``mirror -c``) a file already there with the
    server's size and mtime is left alone: an interrupted ``get -r`` goes on."""
    target = directory / safe_local_name(leaf(remote)) if remote else directory
    return _transfer(
        connection,
        console,
        "get",
        remote,
        target,
        remote,
        lambda client, tally: client.get_tree(remote, target, progress=tally, skip_present=resume),
    )


def upload_folder(connection: Connection, console: Console, local: Path, folder: str, *, overwrite: bool = False) -> int:
    """The local folder ``local`` into the remote ``folder``, under its own name."""
    remote = join(folder, Path(os.path.abspath(local)).name)
    return _transfer(
        connection,
        console,
        "put",
        remote,
        local,
        remote,
        lambda client, tally: client.put_tree(local, remote, overwrite=overwrite, progress=tally),
    )


def _transfer(
    connection: Connection,
    console: Console,
    op: str,
    remote: str,
    local: Path,
    base: str,
    run: Callable[[FerryClient, _Tally], TreeReport],
) -> int:
    shown = quoted(remote or "/")
    started = time.monotonic()
    try:
        with console.progress(remote or "/") as bar:
            tally = _Tally(bar.tree if bar is not None else None)
            report = connection.run(lambda client: run(client, tally))
    except CannotConnect:
        raise
    except FerryError as exc:
        raise about(remote or "/", exc) from None
    for failure in report.failed:
        path = join(base, failure.path)
        console.fail(FerryError(failure.code, f"{quoted(path)}: {failure.message}"), op=op, path=path)
    elapsed = time.monotonic() - started
    size = tally.last.bytes_done - report.present_bytes
    done, failures, present = len(report.done), len(report.failed), len(report.present)
    console.result(
        {
            "op": op,
            "path": remote,
            "local": os.fspath(local),
            "files": done,
            "bytes": size,
            "failed": failures,
            "present": present,
            "ok": report.ok,
        }
    )
    arrow = f"{shown} -> {quoted(os.fspath(local))}" if op == "get" else f"{quoted(os.fspath(local))} -> {shown}"
    speed = f" ({human_rate(size / elapsed)})" if elapsed > 0 else ""
    failed = f"; {len(report.failed)} failed" if report.failed else ""
    failed += f"; {present} already there" if present else ""
    files = f"{len(report.done)} file" + ("" if len(report.done) == 1 else "s")
    console.summary(f"{op} {arrow}: {files}, {human_size(size)} in {human_duration(elapsed)}{speed}{failed}")
    return 0 if report.ok else 1
