"""The remote file list as the window shows it: sorted by a column, narrowed by a filter.

Pure data: the view asks for :attr:`FileList.visible` (indexes into
:attr:`FileList.files`, in display order) and shows exactly those rows. Sorting
100,000 names is done once per column change; filtering is one pass over the
sorted order with precomputed case-folded names, a few milliseconds.

A listing is of one server folder (:attr:`Listing.path`); its entries are files
and, from a 1.1 server, folders (:class:`~shared.client.RemoteFolder`). Folders
come first in every sort order, as in every file manager, so a folder never
hides among 100,000 files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ferry_files.shared.client import RemoteFile, RemoteFolder
from ferry_files.shared.escaping import escape_name

from .file_kinds import kind_of
from .formatting import human_size, local_time

COLUMNS = ("name", "size", "mtime")


Entry = RemoteFile | RemoteFolder


@dataclass(frozen=True)
class Summary:
    shown: int
    total: int  # files and folders
    total_size: int  # of the files (a folder's size is not listed)
    folders: int = 0


@dataclass(frozen=True)
class Listing:
    """A listing with everything the window shows already computed: built by
    :func:`prepare` on a worker thread, so the Tk thread only inserts rows."""

    files: list[Entry] = field(default_factory=list)
    path: str = ""  # the server folder listed ("": the root)
    folder: list[bool] = field(default_factory=list)  # which entries are folders
    shown: list[str] = field(default_factory=list)  # the names as rows show them: escaped
    folded: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)


def prepare(files: Sequence[Entry], path: str = "") -> Listing:
    """Everything the rows show of ``files`` (the entries of the folder ``path``)."""
    size_text: dict[int, str] = {}
    time_text: dict[int, str] = {}
    sizes, times, folder = [], [], []
    for entry in files:
        is_folder = type(entry) is RemoteFolder
        folder.append(is_folder)
        if is_folder:
            sizes.append("")
        else:
            text = size_text.get(entry.size)
            if text is None:
                text = size_text[entry.size] = human_size(entry.size)
            sizes.append(text)
        minute = int(entry.mtime // 60)  # shown to the minute: one strftime per distinct minute
        text = time_text.get(minute)
        if text is None:
            text = time_text[minute] = local_time(entry.mtime)
        times.append(text)
    names = [f.name for f in files]
    kinds = ["folder" if is_folder else kind_of(name) for name, is_folder in zip(names, folder, strict=True)]
    return Listing(list(files), path, folder, [escape_name(n) for n in names], [n.casefold() for n in names], kinds, sizes, times)


def size_of(entry: Entry) -> int:
    """A file's size; 0 for a folder, whose size the listing does not give."""
    return 0 if type(entry) is RemoteFolder else entry.size


class FileList:
    def __init__(self) -> None:
        self.listing = Listing()
        self.files: list[Entry] = []
        self._folder: list[bool] = []
        self._folded: list[str] = []
        self.sort_column = "name"
        self.descending = False
        self.filter_text = ""
        self._order: list[int] = []
        self.visible: list[int] = []
        self._by_name: dict[str, int] = {}
        self._total_size = 0
        self._folders = 0

    def replace(self, files: Sequence[RemoteFile] | Listing) -> None:
        listing = files if isinstance(files, Listing) else prepare(files)
        self.listing = listing
        self.files = listing.files
        self._folded = listing.folded
        self._folder = listing.folder
        self._by_name = {f.name: i for i, f in enumerate(self.files)}
        self._total_size = sum(map(size_of, self.files))
        self._folders = sum(listing.folder)
        self._sort()

    @property
    def path(self) -> str:
        """The server folder the listing is of."""
        return self.listing.path

    def sort_by(self, column: str) -> None:
        """Sort by ``column``; the same column again flips the direction."""
        if column not in COLUMNS:
            raise ValueError(f"unknown column {column!r}")
        if column == self.sort_column:
            self.descending = not self.descending
        else:
            self.sort_column, self.descending = column, column != "name"  # newest / largest first
        self._sort()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._apply_filter()

    def names(self, indexes: Sequence[int]) -> list[str]:
        return [self.files[i].name for i in indexes]

    def find(self, name: str) -> Entry | None:
        index = self._by_name.get(name)
        return None if index is None else self.files[index]

    def frozen_find(self) -> Callable[[str], Entry | None]:
        """:meth:`find` in the listing held now, whatever replaces it later."""
        by_name, files = self._by_name, self.files
        return lambda name: None if (index := by_name.get(name)) is None else files[index]

    def has(self, name: str) -> bool:
        return name in self._by_name

    def is_folder(self, name: str) -> bool:
        index = self._by_name.get(name)
        return index is not None and self._folder[index]

    def summary(self) -> Summary:
        return Summary(len(self.visible), len(self.files), self._total_size, self._folders)

    def _sort(self) -> None:
        files, folded = self.files, self._folded
        if self.sort_column == "name":
            key = folded.__getitem__
        elif self.sort_column == "size":
            key = lambda i: (files[i].size, folded[i])  # noqa: E731
        else:
            key = lambda i: (files[i].mtime, folded[i])  # noqa: E731
        if not self._folders:
            self._order = sorted(range(len(files)), key=key, reverse=self.descending)
        else:  # folders first; a folder's "size" sorts by name
            is_folder = self._folder
            folders = [i for i in range(len(files)) if is_folder[i]]
            plain = [i for i in range(len(files)) if not is_folder[i]]
            folder_key = key if self.sort_column != "size" else folded.__getitem__
            self._order = sorted(folders, key=folder_key, reverse=self.descending) + sorted(plain, key=key, reverse=self.descending)
        self._apply_filter()

    def _apply_filter(self) -> None:
        needle = self.filter_text.strip().casefold()
        if not needle:
            self.visible = list(self._order)
        else:
            folded = self._folded
            self.visible = [i for i in self._order if needle in folded[i]]
