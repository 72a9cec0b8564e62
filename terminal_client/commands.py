"""The commands, in one table that the command line, the menu and the shell
completion are all built from: adding a command is adding a :class:`Command`.

Each command's ``run`` returns the exit status: 0 when everything worked, 1 when
anything failed. Commands that take many paths go through every one even when
some fail: each failure is reported on its own line and makes the status 1.
Only losing the server for good (:class:`CannotConnect`) or Ctrl+C ends them early.
"""

from __future__ import annotations

import argparse
import os
import stat as stat_module
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ferry_files.shared.client import FerryClient, RemoteFile, RemoteFolder
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.local_names import DestinationRules, FolderNames

from . import listing
from .connection import CannotConnect, Connection
from .console import Console
from .failures import LOCAL_IO, USAGE
from .folder_transfers import download_folder, upload_folder
from .formatting import quoted
from .remote_paths import Match, RemoteFolders, has_glob, join, resolve, split
from .transfers import check_folder, check_name, download, download_to, upload

T = TypeVar("T")

#: ``get -o -``: the file goes to standard output (as with curl, tar and scp's peers).
STANDARD_OUTPUT = "-"


@dataclass
class Session:
    """What a command runs with: the connection, where output goes, the remote
    folder relative paths start from (the menu's ``cd``; the root on the command
    line) and the local folder downloads go to by default."""

    connection: Connection
    console: Console
    cwd: str = ""
    here: Path = field(default_factory=lambda: Path("."))
    #: The local folder's naming rules (default: probed; tests simulate others).
    rules: DestinationRules | None = None

    def run(self, operation: Callable[[FerryClient], object]) -> object:
        return self.connection.run(operation)

    def folders(self) -> RemoteFolders:
        """Listings for one command (a later command lists afresh)."""
        return RemoteFolders(self.run)

    def expand(self, texts: Iterable[str], folders: RemoteFolders, op: str) -> tuple[list[Match], int]:
        """Every path the arguments name (globs expanded); a glob that matches
        nothing is reported and makes the status 1."""
        matches: list[Match] = []
        status = 0
        for text in texts:
            try:
                matches += folders.expand(self.cwd, text)
            except CannotConnect:
                raise
            except FerryError as exc:
                self.console.fail(exc, op=op, path=text)
                status = 1
        return matches, status


Runner = Callable[[Session, argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    """One command: its name, other names (each with the options it implies), a
    line of help, its arguments, and what it does."""

    name: str
    synopsis: str  # its arguments, as --help lists them
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Runner
    aliases: dict[str, dict[str, object]] = field(default_factory=dict)


def _each(console: Console, op: str, items: Iterable[T], act: Callable[[T], int]) -> int:
    """``act`` on every item (a path's text or a :class:`Match`); one failing does
    not stop the others but makes the status 1. Losing the server for good
    (CannotConnect) ends the command."""
    status = 0
    for item in items:
        try:
            status = max(status, act(item))
        except CannotConnect:
            raise
        except FerryError as exc:
            console.fail(exc, op=op, path=item.path if isinstance(item, Match) else item)
            status = 1
    return status


# -- ls, stat ----------------------------------------------------------------------


def _ls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", nargs="?", default="", help="a folder, a file or a quoted glob (default: the root)")
    parser.add_argument("-l", "--long", action="store_true", help="a table: size, modification time and name")
    parser.add_argument("-R", "--recursive", action="store_true", help="everything under the folder, named by paths")
    parser.add_argument("--names", action="store_true", help="only the names, one per line, escaped as in the table (--json is exact)")


def run_ls(session: Session, args: argparse.Namespace) -> int:
    """A folder's content, or the entries a glob or a file's path names."""
    if args.names and session.console.as_json:
        raise FerryError(USAGE, "--names and --json cannot be combined")
    path = resolve(session.cwd, args.path)
    folders = session.folders()
    if not has_glob(args.path) and folders.is_folder(path) is not False:  # a folder (or unknown: the server says)
        entries = _listing(session, path, args.recursive)
    else:
        matches = folders.expand(session.cwd, args.path)
        entries = [_entry(folders, match.path) for match in matches]
    if session.console.as_json:
        session.console.out.write(listing.files_json(entries))
    elif args.long and not args.names:  # `list --names` (list is ls -l) asks for names
        session.console.out.write(listing.file_table(entries))
    else:
        session.console.out.write(listing.file_names(entries))
    return 0


def _listing(session: Session, path: str, recursive: bool) -> list[RemoteFile | RemoteFolder]:
    def list_folder(client: FerryClient) -> list[RemoteFile | RemoteFolder]:
        if not path and not recursive and not client.greeting.features:
            return list(client.list())  # a version 1 server: the root's files
        return client.list(path, folders=True, recursive=recursive)

    return session.run(list_folder)  # type: ignore[return-value]


def _entry(folders: RemoteFolders, path: str) -> RemoteFile | RemoteFolder:
    """A matched path's entry, named by its path (a glob's matches are listed as such)."""
    parent, name = split(path)
    entry = (folders.entries(parent) or {})[name]
    return entry._replace(name=path)


def _stat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a file or a folder on the server")


def run_stat(session: Session, args: argparse.Namespace) -> int:
    """A file's size, time and sha256 (the server's); a folder's time."""
    if not args.path:
        check_name(args.path)  # bad_name: path is empty
    folders = session.folders()
    matches = folders.expand(session.cwd, args.path)
    if len(matches) != 1:
        raise FerryError(USAGE, f"{quoted(args.path)} matches {len(matches)} paths; stat takes one")
    [match] = matches
    if not match.path:
        raise FerryError(ErrorCode.BAD_NAME, f"{quoted(args.path)}: the root folder has no size or time to show")
    if match.is_folder:
        folder = _entry(folders, match.path)
        if session.console.as_json:
            session.console.out.write(listing.files_json([folder]))
        else:
            session.console.out.write(listing.folder_block(folder))  # type: ignore[arg-type]
        return 0
    check_name(match.path)
    remote = session.run(lambda client: client.stat(match.path))
    session.console.out.write(listing.stat_json(remote) if session.console.as_json else listing.stat_block(remote))  # type: ignore[arg-type]
    return 0


# -- get, put ----------------------------------------------------------------------


def _get_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", metavar="PATH", nargs="+", help="a file on the server (see ls), a folder with -r, or a quoted glob")
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=None,
        help=f"the folder to save into; it must exist (default: here). '{STANDARD_OUTPUT}' writes the file to standard output",
    )
    parser.add_argument("-r", "--recursive", action="store_true", help="download folders with everything in them")
    parser.add_argument(
        "-c",
        "--continue",
        dest="resume",
        action="store_true",
        help="continue a download that an earlier get -c left unfinished; with -r, leave the files already there",
    )


def run_get(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    if args.output_dir == STANDARD_OUTPUT:
        if console.as_json:
            raise FerryError(USAGE, f"-o {STANDARD_OUTPUT} writes the file itself to standard output: no --json with it")
        if len(args.names) > 1:
            raise FerryError(USAGE, f"-o {STANDARD_OUTPUT} writes one file to standard output, not {len(args.names)}")
        name = resolve(session.cwd, args.names[0])
        console.out.flush()
        download_to(session.connection, console, name, console.out.buffer)
        return 0
    folder = check_folder(args.output_dir or session.here)
    here = FolderNames.of(folder, session.rules)
    matches, status = session.expand(args.names, session.folders(), "get")

    def get_one(match: Match) -> int:
        if match.is_folder:
            if not args.recursive:
                raise FerryError(ErrorCode.NOT_FOUND, f"{quoted(match.path or '/')} is a folder: add -r to download it")
            return download_folder(session.connection, console, match.path, folder, resume=args.resume)
        path = download(session.connection, console, match.path, folder, here, resume=args.resume)
        console.result({"op": "get", "path": match.path, "local": os.fspath(path), "ok": True})
        return 0

    return max(status, _each(console, "get", matches, get_one))


def _put_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="FILE", nargs="+", help="a local file, or a folder with -r")
    parser.add_argument("-r", "--recursive", action="store_true", help="upload folders with everything in them")
    parser.add_argument("--to", metavar="PATH", default=None, help="the remote folder to upload into, made if missing (default: the root)")
    parser.add_argument("--overwrite", action="store_true", help="replace files the server already has")


def run_put(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    target = resolve(session.cwd, args.to) if args.to is not None else session.cwd

    def put_one(text: str) -> int:
        path = Path(text)
        if _is_local_folder(path):
            if not args.recursive:
                raise FerryError(LOCAL_IO, f"cannot upload {quoted(text)}: it is a folder (add -r to upload it)")
            return upload_folder(session.connection, console, path, target, overwrite=args.overwrite)
        uploaded = upload(session.connection, console, path, folder=target, overwrite=args.overwrite)
        console.result({"op": "put", "path": uploaded.name, "local": text, "size": uploaded.size, "sha256": uploaded.sha256, "ok": True})
        return 0

    return _each(console, "put", args.paths, put_one)


def _is_local_folder(path: Path) -> bool:
    try:
        return stat_module.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


# -- rm, mv, mkdir ------------------------------------------------------------------


def _rm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="+", help="a file, an empty folder (a full one with -r) or a quoted glob")
    parser.add_argument("-r", "--recursive", action="store_true", help="delete folders with everything in them")


def run_rm(session: Session, args: argparse.Namespace) -> int:
    matches, status = session.expand(args.paths, session.folders(), "rm")

    def delete(match: Match) -> int:
        if not match.path:
            raise FerryError(ErrorCode.BAD_NAME, "the root folder cannot be deleted")
        session.run(lambda client: client.delete(match.path, recursive=args.recursive))
        session.console.result({"op": "rm", "path": match.path, "ok": True})
        return 0

    return max(status, _each(session.console, "rm", matches, delete))


def _mv_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="FROM", help="a file or a folder (a quoted glob: into a folder TO)")
    parser.add_argument("target", metavar="TO", help="the new path, or a folder to move into")


def run_mv(session: Session, args: argparse.Namespace) -> int:
    folders = session.folders()
    sources = folders.expand(session.cwd, args.source)
    target = resolve(session.cwd, args.target)
    into = args.target.endswith("/") or not target or folders.is_folder(target) is True
    if len(sources) > 1 and not into:
        raise FerryError(USAGE, f"{quoted(args.source)} matches {len(sources)} paths: TO must be a folder")

    def move(match: Match) -> int:
        destination = join(target, split(match.path)[1]) if into else target
        session.run(lambda client: client.rename(match.path, destination))
        session.console.result({"op": "mv", "path": match.path, "to": destination, "ok": True})
        return 0

    return _each(session.console, "mv", sources, move)


def _mkdir_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="+", help="the folder to make")
    parser.add_argument("-p", "--parents", action="store_true", help="make missing parents too; an existing folder is fine")


def run_mkdir(session: Session, args: argparse.Namespace) -> int:
    def make(text: str) -> int:
        path = resolve(session.cwd, text)
        session.run(lambda client: client.mkdir(path, parents=args.parents))
        session.console.result({"op": "mkdir", "path": path, "ok": True})
        return 0

    return _each(session.console, "mkdir", args.paths, make)


#: Every command, in the order ``--help`` shows them. The menu adds its own (cd...).
COMMANDS: tuple[Command, ...] = (
    Command(
        "ls",
        "[PATH] [-l] [-R] [--names]",
        "list a folder (the root by default); list is ls -l",
        _ls_arguments,
        run_ls,
        aliases={"list": {"long": True}},
    ),
    Command("stat", "PATH", "show a file's size, modification time and sha256", _stat_arguments, run_stat),
    Command("get", "PATH... [-r] [-c] [-o DIR|-]", "download files, or folders with -r", _get_arguments, run_get, aliases={"download": {}}),
    Command(
        "put",
        "FILE|DIR... [-r] [--to PATH] [--overwrite]",
        "upload files, or folders with -r",
        _put_arguments,
        run_put,
        aliases={"upload": {}},
    ),
    Command("rm", "[-r] PATH...", "delete files, or folders with -r", _rm_arguments, run_rm, aliases={"delete": {}}),
    Command("mv", "FROM TO", "move or rename a file or a folder", _mv_arguments, run_mv, aliases={"rename": {}}),
    Command("mkdir", "[-p] PATH...", "make a folder", _mkdir_arguments, run_mkdir),
)


def command_names() -> set[str]:
    """Every name a command answers to, aliases included."""
    return {name for command in COMMANDS for name in (command.name, *command.aliases)}


def synopses() -> str:
    """The commands as --help and the prompt's ``help`` list them."""
    lines = []
    for command in COMMANDS:
        aliases = f" (also: {', '.join(command.aliases)})" if command.aliases else ""
        lines.append(f"  {command.name} {command.synopsis}\n      {command.help}{aliases}")
    return "\n".join(lines)
