"""The remote files: a Treeview with icons, sortable columns, an empty-state
message, and an image preview beside it.

Thin: it shows what :class:`~gui_client.file_list.FileList` computed. Rows are
inserted once per listing; sorting and filtering reorder them (rows filtered
out are detached, not deleted), a chunk per turn of the Tk loop for a long
list (row_order.py), which keeps 100,000 files responsive.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ferry_files.shared.client import RemoteFile
from PIL import ImageTk

from .file_kinds import KINDS
from .file_list import FileList, Listing
from .icons import Icons
from .row_order import RowOrder
from .theme import Metrics, set_label_style, text_width

HEADINGS = {"name": "Name", "size": "Size", "mtime": "Modified"}
ARROWS = {False: " ▲", True: " ▼"}

_FILL_PROC = "ferry_fill_tree"
_FILL_SCRIPT = """
proc ferry_fill_tree {tree rows} {
    foreach {id text image size mtime} $rows {
        $tree insert {} end -id $id -text $text -image $image -values [list $size $mtime]
    }
}
"""


class FileView(ttk.Frame):
    def __init__(
        self,
        parent: tk.Misc,
        model: FileList,
        icons: Icons,
        metrics: Metrics,
        on_sort: Callable[[str], None],
        on_activate: Callable[[], None],
        on_select: Callable[[list[str]], None],
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.icons = icons
        self._on_select = on_select
        self._iids: list[str] = []
        self._shown: Listing | None = None  # the listing the rows show
        self._before: tuple[str, ...] = ()  # the selection before the pending reorder began
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)

        holder = ttk.Frame(self)
        holder.grid(row=0, column=0, sticky="nsew")
        holder.columnconfigure(0, weight=1)
        holder.rowconfigure(0, weight=1)
        self.tree = ttk.Treeview(holder, columns=("size", "mtime"), selectmode="extended", show="tree headings")
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(holder, orient="vertical", command=self.tree.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        self.tree.configure(yscrollcommand=scroll.set)
        size_width = text_width(self, "  1023.9 MB  ") + 8
        time_width = text_width(self, "  2026-12-31 23:59  ") + 8
        self.tree.column("#0", width=text_width(self, "M" * 24), minwidth=text_width(self, "M" * 6), stretch=True)
        self.tree.column("size", width=size_width, minwidth=size_width // 2, anchor="e", stretch=False)
        self.tree.column("mtime", width=time_width, minwidth=time_width // 2, anchor="center", stretch=False)
        anchors = {"name": "w", "size": "e", "mtime": "center"}
        for column, heading in (("#0", "name"), ("size", "size"), ("mtime", "mtime")):
            self.tree.heading(column, text=HEADINGS[heading], anchor=anchors[heading], command=lambda c=heading: on_sort(c))
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._on_select(self.selected_names()))
        self.tree.bind("<Double-1>", lambda e: on_activate() if self.tree.identify_region(e.x, e.y) in ("tree", "cell") else None)
        self.tree.bind("<Return>", lambda _e: on_activate())
        self.tree.bind("<KP_Enter>", lambda _e: on_activate())
        self.order = RowOrder(self.tree, self._order_done)
        # A click, a key or the focus finishes a pending reorder before any binding
        # of the tree's (its own, Tk's class ones) acts on its rows.
        settle_tag = f"RowOrderSettle{self.tree}"  # a bind tag of its own: not a window path
        for sequence in ("<ButtonPress>", "<KeyPress>", "<FocusIn>"):
            self.tree.bind_class(settle_tag, sequence, lambda _e: self.order.settle())
        self.tree.bindtags((settle_tag, *self.tree.bindtags()))

        # The empty state: words in the middle of the list, placed over it.
        self.empty = ttk.Label(holder, text="", style="Empty.TLabel", anchor="center", justify="center", wraplength=420)

        # The preview, beside the list.
        preview_width = int(metrics.pixels_per_inch * 2.2)
        self.preview_size = preview_width - 16
        self.preview = ttk.Frame(self, width=preview_width, padding=(8, 4))
        self.preview.grid(row=0, column=1, sticky="ns")
        self.preview.grid_propagate(False)
        self.preview.pack_propagate(False)
        self.preview_image = ttk.Label(self.preview, anchor="center")
        self.preview_image.pack(fill="x", pady=(4, 6))
        self.preview_caption = ttk.Label(
            self.preview, text="Select an image to see a preview.", style="Empty.TLabel", wraplength=preview_width - 16, justify="left"
        )
        set_label_style(self.preview_caption, "Empty.TLabel")
        self.preview_caption.pack(fill="x")
        self._photo: ImageTk.PhotoImage | None = None
        self.show_headings()
        if not self.tk.call("info", "commands", _FILL_PROC):
            self.tk.eval(_FILL_SCRIPT)

    # -- rows ----------------------------------------------------------------

    def reload(self) -> None:
        """Rebuild every row from the model (after a new listing).

        The rows go in through one Tcl loop (``ferry_fill_tree``): the Python
        ``Treeview.insert`` wrapper costs ~30 µs a row, the Tcl loop ~4 µs. They
        go in display order, so without a filter no reordering is needed; in the
        default order they were even made on the browse worker (``Listing.rows``).
        """
        listing = self.model.listing
        if listing is self._shown:
            return
        if self._shown is not None and listing.files == self._shown.files:
            self._shown = listing  # a refresh that changed nothing: keep the rows
            return
        same_folder = self._shown is not None and self._shown.path == listing.path
        selected = set(self.selected_names()) if same_folder else set()  # a name means another file in another folder
        self.clear()
        files = listing.files
        visible = self.model.visible
        if listing.rows and visible == listing.name_order:
            rows = listing.rows
        else:
            rows = self._rows(listing, visible if len(visible) == len(files) else visible + sorted(set(range(len(files))) - set(visible)))
        self.tk.call(_FILL_PROC, self.tree, rows)
        self._iids = iids = listing.iids
        self._shown = listing
        if len(visible) != len(files):
            self.order.show([iids[i] for i in visible], at_once=True)
        self.show_headings()
        if selected:
            keep = [iids[i] for i in visible if files[i].name in selected]
            if keep:
                self.tree.selection_set(keep)

    def image_names(self) -> dict[str, str]:
        """Each file kind's icon as its Tk image name: for :func:`file_list.prepare`
        on the browse worker, which must not touch Tk."""
        return {kind: str(self.icons.kind(kind)) for kind in KINDS}

    def _rows(self, listing: Listing, order: list[int]) -> tuple[str, ...]:
        """The rows of ``order`` for ``ferry_fill_tree``: five strings each."""
        icon_of = {kind: str(self.icons.kind(kind)) for kind in set(listing.kinds)}
        iids, shown, kinds, sizes, times = listing.iids, listing.shown, listing.kinds, listing.sizes, listing.times
        rows: list[str] = []
        add = rows.extend
        for i in order:
            add((iids[i], shown[i], icon_of[kinds[i]], sizes[i], times[i]))
        return tuple(rows)

    def clear(self) -> None:
        """Delete every row, the detached ones too. Call before destroying the
        tree: Tk frees detached rows that carry images in quadratic time."""
        self.order.cancel()
        self._before = ()
        if self._iids:
            self.tree.delete(*self._iids)
            self._iids = []
        self._shown = None

    def reorder(self) -> None:
        """Show the model's visible rows in the model's order (after a filter
        keystroke or a sort): the first rows at once, the rest over the next turns
        of the Tk loop (row_order.py)."""
        if not self.order.pending:  # else the selection is that of half a list: keep the first one
            self._before = self.tree.selection()  # each call walks every row: no more of them than needed
        iids = self._iids
        self.order.show([iids[i] for i in self.model.visible])
        self.show_headings()

    def _order_done(self, shown: list[str]) -> None:
        """Every row of the new order is in place.

        Rows the filter hides leave the selection, and the window hears of it:
        Tk drops detached rows from the selection without a ``<<TreeviewSelect>>``,
        so the preview and Download would still act on a file nobody sees."""
        before, self._before = self._before, ()
        if not before:  # with nothing selected, nothing can have left the selection
            return
        hidden = set(self.tree.selection()) - set(shown)
        if hidden:  # Tk versions that keep a detached row selected
            self.tree.selection_remove(*hidden)
        if self.tree.selection() != before:
            self._on_select(self.selected_names())

    def show_headings(self) -> None:
        column_ids = {"name": "#0", "size": "size", "mtime": "mtime"}
        for name, column in column_ids.items():
            arrow = ARROWS[self.model.descending] if name == self.model.sort_column else ""
            self.tree.heading(column, text=HEADINGS[name] + arrow)

    def _row_files(self) -> list[RemoteFile]:
        """The files the rows were built from. A row's id is its index in *this*
        listing; the model may already hold a newer one (``reload`` reads the old
        selection after the model changed), where the same index is another file."""
        return self._shown.files if self._shown is not None else []

    def selected_names(self) -> list[str]:
        self.order.settle()
        files = self._row_files()
        return [files[int(iid)].name for iid in self.tree.selection() if iid.isdigit() and int(iid) < len(files)]

    def visible_names(self) -> list[str]:
        self.order.settle()
        files = self._row_files()
        return [files[int(iid)].name for iid in self.tree.get_children("")]

    def select_names(self, names: list[str]) -> None:
        self.order.settle()
        wanted = set(names)
        iids = [str(i) for i in self.model.visible if self.model.files[i].name in wanted]
        self.tree.selection_set(iids)
        if iids:
            self.tree.see(iids[0])
            self.tree.focus(iids[0])

    def name_of(self, iid: str) -> str | None:
        """The name a row shows (None for no row)."""
        files = self._row_files()
        return files[int(iid)].name if iid.isdigit() and int(iid) < len(files) else None

    def name_at(self, y: int) -> str | None:
        """The name of the row at ``y`` pixels in the list."""
        return self.name_of(self.tree.identify_row(y))

    def iid_of(self, name: str) -> str | None:
        self.order.settle()
        files = self._row_files()
        for iid in self.tree.get_children(""):
            if files[int(iid)].name == name:
                return iid
        return None

    # -- empty state and preview ----------------------------------------------

    def show_empty(self, text: str, error: bool = False) -> None:
        if text:
            self.empty.configure(text=text)
            set_label_style(self.empty, "Error.TLabel" if error else "Empty.TLabel")
            self.empty.place(relx=0.5, rely=0.45, anchor="center")
        else:
            self.empty.place_forget()

    def show_preview(self, image: Any | None, caption: str, muted: bool = False) -> None:
        """Show ``image`` (a PIL image, or None) with ``caption``; ``muted`` greys a hint."""
        set_label_style(self.preview_caption, "Empty.TLabel" if muted else "TLabel")
        if image is not None:
            self._photo = ImageTk.PhotoImage(image, master=self)
            self.preview_image.configure(image=self._photo)
        else:
            self._photo = None
            self.preview_image.configure(image="")
        self.preview_caption.configure(text=caption)
