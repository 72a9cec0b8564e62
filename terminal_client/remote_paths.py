"""Remote paths as a person types them, made into the protocol's paths.

A person types ``photos/2024``, ``/photos``, ``../music`` (in the menu, relative
to the folder ``cd`` went to) or a glob, ``'photos/*.jpg'``, quoted so that the
local shell leaves it alone. The server knows no globs: :class:`RemoteFolders`
expands one against listings, one path segment at a time with :mod:`fnmatch`
(as a shell does: ``*`` never crosses a ``/``, and never matches a leading dot,
which no Ferry name has anyway). A glob that matches nothing is an error that
names it, as in bash with ``failglob``: a script never acts on the pattern itself.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

from ferry_files.shared.client import FerryClient, RemoteFile, RemoteFolder
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.messages import FOLDERS

from .formatting import quoted

#: The characters that make a segment a pattern (fnmatch's).
GLOB_CHARACTERS = frozenset("*?[")


def has_glob(text: str) -> bool:
    return any(char in GLOB_CHARACTERS for char in text)


def resolve(cwd: str, text: str) -> str:
    """The protocol path (``""``: the root) that ``text`` names from the folder
    ``cwd``: ``/`` starts at the root, ``.`` and empty segments are dropped,
    ``..`` goes up, but not above the root: ``bad_name`` (the server has nothing
    there, and ``../etc/passwd`` must not quietly become ``etc/passwd``)."""
    names = [] if text.startswith("/") else [name for name in cwd.split("/") if name]
    for name in text.split("/"):
        if name in ("", "."):
            continue
        if name == "..":
            if not names:
                raise FerryError(ErrorCode.BAD_NAME, f"{quoted(text)}: goes above the root folder")
            names.pop()
        else:
            names.append(name)
    return "/".join(names)


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder and name else folder or name


def split(path: str) -> tuple[str, str]:
    """(parent folder, last name) of a protocol path."""
    parent, _, name = path.rpartition("/")
    return parent, name


@dataclass(frozen=True)
class Match:
    """One remote path a command acts on; ``is_folder`` None when not known (a
    literal path the listing does not show: the server will say what it is)."""

    path: str
    is_folder: bool | None


class RemoteFolders:
    """Listings of remote folders, each fetched once per command, for globs and
    for telling a folder from a file. ``run`` runs an operation on the client."""

    def __init__(self, run: Callable[[Callable[[FerryClient], object]], object]) -> None:
        self._run = run
        self._listings: dict[str, dict[str, RemoteFile | RemoteFolder] | None] = {}

    def entries(self, folder: str) -> dict[str, RemoteFile | RemoteFolder] | None:
        """The folder's entries by name; None when it cannot be listed (missing, a file)."""
        if folder not in self._listings:
            try:
                entries = self._run(lambda client: _list_folder(client, folder))
            except FerryError as exc:
                if exc.code not in (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.BAD_NAME):
                    raise
                entries = None
            self._listings[folder] = {entry.name: entry for entry in entries} if entries is not None else None  # type: ignore[union-attr]
        return self._listings[folder]

    def is_folder(self, path: str) -> bool | None:
        """True for a folder, False for a file, None when the listing does not show it."""
        if not path:
            return True
        parent, name = split(path)
        entry = (self.entries(parent) or {}).get(name)
        return None if entry is None else isinstance(entry, RemoteFolder)

    def expand(self, cwd: str, text: str) -> list[Match]:
        """The paths ``text`` names from ``cwd``: itself when it holds no glob, else
        every match, sorted; ``not_found`` naming ``text`` when there is none."""
        path = resolve(cwd, text)
        if not has_glob(path):
            return [Match(path, self.is_folder(path))]
        found = [""]
        segments = path.split("/")
        for index, segment in enumerate(segments):
            wanted_folder = index < len(segments) - 1
            step: list[Match] = []
            for folder in found:
                entries = self.entries(folder) or {}
                names = sorted(name for name in entries if fnmatch.fnmatchcase(name, segment)) if has_glob(segment) else [segment]
                for name in names:
                    entry = entries.get(name)
                    if entry is not None and (isinstance(entry, RemoteFolder) or not wanted_folder):
                        step.append(Match(join(folder, name), isinstance(entry, RemoteFolder)))
            found = [match.path for match in step]
        if not step:
            raise FerryError(ErrorCode.NOT_FOUND, f"nothing matches {quoted(text)}")
        return step


def _list_folder(client: FerryClient, folder: str) -> list[RemoteFile | RemoteFolder]:
    """One folder's files and folders; a version 1 server has only the root's files."""
    if not client.greeting.offers(FOLDERS):
        if folder:
            raise FerryError(ErrorCode.NOT_FOUND, "the server has no folders (protocol 1.0)")
        return list(client.list())
    return client.list(folder, folders=True)
