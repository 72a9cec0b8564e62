"""New folder, rename, move and delete on the server, as the window asks for them.

No Tk here: each action checks the names first (a refusal the server would
give is a sentence at once), then runs through :meth:`Controller.manage` on the
browse connection, which lists the folder again afterwards. Names are of the
folder shown (:attr:`FileList.path`); paths are built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ferry_files.shared.client import FerryClient, RemoteFile
from ferry_files.shared.messages import FOLDERS, MANAGE
from ferry_files.shared.names import name_problem

from .controller import Controller
from .file_list import size_of
from .folder_path import is_inside, join

#: The name a new folder gets before the person renames it (then "New folder 2"...).
NEW_FOLDER = "New folder"


@dataclass(frozen=True)
class Measure:
    """What a delete would remove: the confirmation names it."""

    files: int
    folders: int
    size: int


class FileActions:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    @property
    def can_make_folders(self) -> bool:
        return self._writable() and self.controller.offers(FOLDERS)

    @property
    def can_manage(self) -> bool:
        """Rename, move and delete: a server without ``manage`` refuses all three."""
        return self._writable() and self.controller.offers(MANAGE)

    def _writable(self) -> bool:
        return self.controller.state == "connected" and not self.controller.read_only

    def new_folder(self, made: Callable[[str], None]) -> None:
        """Make a folder with a free name in the folder shown; ``made(name)`` once the list shows it."""
        files = self.controller.files
        name = NEW_FOLDER
        number = 1
        while files.has(name):
            number += 1
            name = f"{NEW_FOLDER} {number}"
        path = join(files.path, name)
        self.controller.manage(lambda client: client.mkdir(path), lambda: made(name))

    def rename(self, old: str, new: str, done: Callable[[], None] | None = None) -> str | None:
        """Rename ``old`` to ``new`` in the folder shown. Returns why not, or None once asked."""
        new = new.strip()
        if new == old:
            return None
        if (problem := name_problem(new)) is not None:
            return f"“{new}” cannot be a name: {problem}"
        files = self.controller.files
        if files.has(new):
            return f"“{new}” already exists here"
        folder = files.path
        self.controller.manage(lambda client: client.rename(join(folder, old), join(folder, new)), done)
        return None

    def move(self, names: Sequence[str], target: str) -> str | None:
        """Move ``names`` (of the folder shown) into the server folder ``target``."""
        folder = self.controller.files.path
        moving = [name for name in names if join(folder, name) != target]
        if not moving:
            return None
        for name in moving:
            if is_inside(target, join(folder, name)):
                return f"“{name}” cannot go into itself"

        def move_all(client: FerryClient) -> None:
            for name in moving:
                client.rename(join(folder, name), join(target, name))

        self.controller.manage(move_all)
        return None

    def measure(self, names: Sequence[str], answer: Callable[[Measure], None]) -> None:
        """Count the files and bytes under ``names`` (folders are listed
        recursively on the browse connection); ``answer`` gets the total."""
        files = self.controller.files
        folder = files.path
        plain = [entry for name in names if (entry := files.find(name)) is not None and not files.is_folder(name)]
        folders = [name for name in names if files.is_folder(name)]
        result: list[Measure] = [Measure(len(plain), len(folders), sum(map(size_of, plain)))]

        def count(client: FerryClient) -> None:
            total = result[0]
            for name in folders:
                inside = client.list(join(folder, name), folders=True, recursive=True)
                sizes = [entry.size for entry in inside if type(entry) is RemoteFile]
                total = Measure(total.files + len(sizes), total.folders + len(inside) - len(sizes), total.size + sum(sizes))
            result[0] = total

        if folders:
            self.controller.manage(count, lambda: answer(result[0]))
        else:
            answer(result[0])

    def delete(self, names: Sequence[str]) -> None:
        """Delete ``names`` of the folder shown, folders with everything in them."""
        files = self.controller.files
        folder = files.path
        targets = [(join(folder, name), files.is_folder(name)) for name in names if files.has(name)]

        def delete_all(client: FerryClient) -> None:
            for path, recursive in targets:
                client.delete(path, recursive=recursive)

        self.controller.manage(delete_all)
