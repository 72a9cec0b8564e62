"""The four commands of ``run_client.py HOST[:PORT] COMMAND``. Each returns the
exit status: 0 when everything worked, 1 when anything failed.

``get`` and ``put`` go through every file even when some fail: each failure is
reported on its own line and makes the status 1. Only losing the server for good
(:class:`CannotConnect`) or Ctrl+C ends them early.
"""

from __future__ import annotations

from collections.abc import Callable

from ferry_files.shared.errors import FerryError
from ferry_files.shared.local_names import DestinationRules, FolderNames

from . import listing
from .connection import CannotConnect, Connection
from .console import Console
from .transfers import check_folder, check_name, download, download_to, upload

#: ``get -o -``: the file goes to standard output (as with curl, tar and scp's peers).
STANDARD_OUTPUT = "-"


def list_files(connection: Connection, console: Console, *, output: str = "table") -> int:
    files = connection.run(lambda client: client.list())
    render = {"table": listing.file_table, "json": listing.files_json, "names": listing.file_names}[output]
    console.out.write(render(files))
    return 0


def stat_file(connection: Connection, console: Console, name: str, *, as_json: bool = False) -> int:
    check_name(name)
    stat = connection.run(lambda client: client.stat(name))
    console.out.write(listing.stat_json(stat) if as_json else listing.stat_block(stat))
    return 0


def get_files(connection: Connection, console: Console, names: list[str], directory: str, rules: DestinationRules | None = None) -> int:
    """``rules``: the folder's naming rules (default: probed; tests simulate others).
    ``directory`` :data:`STANDARD_OUTPUT`: the one name's bytes go to stdout."""
    if directory == STANDARD_OUTPUT:
        [name] = names  # the command line allows one name only
        console.out.flush()
        download_to(connection, console, name, console.out.buffer)
        return 0
    folder = check_folder(directory)
    here = FolderNames.of(folder, rules)
    return _each(console, names, lambda name: download(connection, console, name, folder, here))


def put_files(connection: Connection, console: Console, paths: list[str], *, overwrite: bool = False) -> int:
    return _each(console, paths, lambda path: upload(connection, console, path, overwrite=overwrite))


def _each(console: Console, items: list[str], transfer: Callable[[str], object]) -> int:
    """Transfer every item; one failing does not stop the others but makes the
    status 1. Losing the server for good (CannotConnect) ends the command."""
    status = 0
    for item in items:
        try:
            transfer(item)
        except CannotConnect:
            raise
        except FerryError as exc:
            console.fail(exc)
            status = 1
    return status
