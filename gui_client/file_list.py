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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    iids: list[str] = field(default_factory=list)  # each entry's row id in the view: its index as text
    by_name: dict[str, int] = field(default_factory=dict)  # a name's index in ``files``
    total_size: int = 0  # of the files
    folders: int = 0  # how many entries are folders
    #: The indexes in the default order (by name, folders first), which is how a
    #: listing is first shown.
    name_order: list[int] = field(default_factory=list)
    #: With icon names given to :func:`prepare`: the rows of ``name_order`` as the
    #: view inserts them, five strings each (row id, name, icon, size, time).
    rows: tuple[str, ...] = ()


def prepare(files: Sequence[Entry], path: str = "", icons: Mapping[str, str] | None = None) -> Listing:
    """Everything the rows show of ``files`` (the entries of the folder ``path``);
    with ``icons`` (a kind's Tk image name), the rows in the default order too."""
    size_text: dict[int, str] = {}
    time_text: dict[int, str] = {}
    kind_text: dict[str, str] = {}  # by extension, as it is
    sizes, times, folder, kinds = [], [], [], []
    total_size = 0
    for entry in files:
        if type(entry) is RemoteFolder:
            folder.append(True)
            sizes.append("")
            kinds.append("folder")
        else:
            folder.append(False)
            size = entry.size
            total_size += size
            text = size_text.get(size)
            if text is None:
                text = size_text[size] = human_size(size)
            sizes.append(text)
            head, dot, tail = entry.name.rpartition(".")
            extension = tail if dot and head else "/"  # "/": none (no name holds one)
            kind = kind_text.get(extension)
            if kind is None:
                kind = kind_text[extension] = kind_of("x." + tail if extension != "/" else "")
            kinds.append(kind)
        minute = int(entry.mtime // 60)  # shown to the minute: one strftime per distinct minute
        text = time_text.get(minute)
        if text is None:
            text = time_text[minute] = local_time(entry.mtime)
        times.append(text)
    names = [f.name for f in files]
    shown = names if _all_plain(names) else [escape_name(n) for n in names]
    folded = [n.casefold() for n in names]
    folders = sum(folder)
    order = sort_order(folded, folder, folders)
    iids = [str(i) for i in range(len(names))]
    rows: tuple[str, ...] = ()
    if icons is not None:
        flat: list[str] = []
        add = flat.extend
        for i in order:
            add((iids[i], shown[i], icons[kinds[i]], sizes[i], times[i]))
        rows = tuple(flat)
    return Listing(
        list(files),
        path,
        folder,
        shown,
        folded,
        kinds,
        sizes,
        times,
        iids=iids,
        by_name={name: i for i, name in enumerate(names)},
        total_size=total_size,
        folders=folders,
        name_order=order,
        rows=rows,
    )


def _all_plain(names: list[str]) -> bool:
    """True when no name needs :func:`escape_name`: one C pass over them all. The
    ``/`` that joins them is printable and in no name."""
    joined = "/".join(names)
    return joined.isprintable() and "\\" not in joined


def sort_order(
    folded: list[str],
    is_folder: list[bool],
    folders: int,
    column: str = "name",
    descending: bool = False,
    value: Callable[[int], Any] | None = None,
) -> list[int]:
    """The indexes of a listing sorted by ``column`` (``value`` gives an entry's
    size or mtime), ties by folded name; folders first, a folder's "size" by name."""
    key: Callable[[int], Any]
    if value is None:
        key = folded.__getitem__
    else:
        key = lambda i: (value(i), folded[i])  # noqa: E731
    count = len(folded)
    if not folders:
        return sorted(range(count), key=key, reverse=descending)
    folder_key = key if column != "size" else folded.__getitem__
    in_folders = [i for i in range(count) if is_folder[i]]
    plain = [i for i in range(count) if not is_folder[i]]
    return sorted(in_folders, key=folder_key, reverse=descending) + sorted(plain, key=key, reverse=descending)


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
        self._by_name = listing.by_name
        self._total_size = listing.total_size
        self._folders = listing.folders
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
        if self.sort_column == "name" and not self.descending:
            self._order = self.listing.name_order  # prepared on the worker thread
        else:
            files, column = self.files, self.sort_column
            value = None if column == "name" else (lambda i: files[i].size) if column == "size" else (lambda i: files[i].mtime)
            self._order = sort_order(self._folded, self._folder, self._folders, self.sort_column, self.descending, value)
        self._apply_filter()

    def _apply_filter(self) -> None:
        needle = self.filter_text.strip().casefold()
        if not needle:
            self.visible = list(self._order)
        else:
            folded = self._folded
            self.visible = [i for i in self._order if needle in folded[i]]
