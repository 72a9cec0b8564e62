"""The transfers panel: a *virtual* list of transfers, with overall progress and
the queue's buttons (Pause all / Resume all, Cancel all, Clear finished, Log).

Only the rows that fit are widgets: a fixed pool of row slots is drawn from the
model (an ordered list of :class:`~gui_client.transfers.TransferView` snapshots)
at the scroll position. The old panel made eight widgets per transfer in one
scrolled frame; past a thousand rows that frame outgrew what X can back with a
pixmap and the app died with ``BadAlloc`` (issue 13, defect 1). Now 100,000
transfers cost the same X resources as ten.

Snapshots arrive as often as the queue delivers them; the panel only stores
them and redraws at most once per ``REDRAW_MS``, and then only the slots whose
snapshot changed. Every column has a fixed width (a label's text never resizes
its column), the heading stays put above the rows, the mouse wheel scrolls, and
names and messages too long for their column end with an ellipsis.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any, Protocol

from ferry_files.shared.escaping import escape_name, escape_text
from ferry_files.shared.sizes import human_size

from .formatting import human_eta, human_speed
from .log_window import LogWindow
from .text_fit import show_fitted
from .theme import set_label_style, text_width
from .transfers import Direction, State, Summary, TransferView

#: Longest wait between a change and the panel showing it.
REDRAW_MS = 50
#: Rows the mouse wheel moves per notch.
WHEEL_ROWS = 3
#: The bindtag that gives every widget of the list the wheel bindings.
WHEEL_TAG = "FerryTransfersWheel"

STATE_TEXT = {
    State.QUEUED: "Queued",
    State.RUNNING: "Running",
    State.PAUSED: "Paused",
    State.DONE: "Done",
    State.FAILED: "Failed",
    State.CANCELLED: "Cancelled",
}
#: (key, heading, width: a sample of the widest text, or None for a column that stretches, anchor)
COLUMNS = (
    ("name", "Name", None, "w"),
    ("direction", "", "↓", "center"),
    ("progress", "Progress", "M" * 7, "w"),
    ("percent", "%", "100%", "e"),
    ("amount", "Size", "1023.9 MiB of 1023.9 MiB", "e"),
    ("speed", "Speed", "1023.9 MiB/s", "e"),
    ("eta", "ETA", "10:00:00", "e"),
    ("state", "State", None, "w"),
    ("button", "", None, "w"),
)
#: How the two stretching columns share the room left: evenly (a failure needs its words).
STRETCH = {"name": 1, "state": 1}


class TransferActions(Protocol):
    """What the panel's buttons ask for (the controller answers)."""

    def cancel(self, transfer_id: int) -> None: ...
    def retry(self, transfer_id: int) -> None: ...
    def resume(self, transfer_id: int) -> None: ...
    def pause_all(self) -> None: ...
    def resume_all(self) -> None: ...
    def cancel_all(self) -> None: ...
    def set_max_parallel(self, count: int) -> None: ...
    def transfer_summary(self) -> Summary: ...
    def transfer_log(self) -> list[str]: ...


class RowSlot:
    """One row of widgets, showing whichever transfer is at its place on screen."""

    def __init__(self, panel: TransfersPanel, row: int) -> None:
        table = panel.table
        self.panel = panel
        self.view: TransferView | None = None
        self.name = ttk.Label(table, width=1)
        self.direction = ttk.Label(table, width=1, anchor="center")
        self.progress = ttk.Progressbar(table, orient="horizontal", mode="determinate", maximum=100, length=1)
        self.percent = ttk.Label(table, width=1, anchor="e")
        self.amount = ttk.Label(table, width=1, anchor="e")
        self.speed = ttk.Label(table, width=1, anchor="e")
        self.eta = ttk.Label(table, width=1, anchor="e")
        self.state = ttk.Label(table, width=1)
        self.button = ttk.Button(table, width=7, command=self.clicked)
        self.widgets = (self.name, self.direction, self.progress, self.percent, self.amount, self.speed, self.eta, self.state, self.button)
        table.rowconfigure(row, minsize=panel.row_height)  # the same height with or without a button
        for column, widget in enumerate(self.widgets):
            widget.grid(row=row, column=column, sticky="ew", padx=4, pady=2)
            widget.bindtags((WHEEL_TAG, *widget.bindtags()))
        for label in (self.name, self.state):  # the texts cut to fit are cut again at the label's real width
            label.bind("<Configure>", self._relaid, add="+")
        self._error_style = False
        self._stale = False

    def invalidate(self) -> None:
        """Draw the slot again at the next :meth:`show`, even with the same snapshot
        (new column widths or colours). A flag, not ``view = None``: that would make
        an empty slot look drawn, and a slot that no longer fits would stay on screen,
        cut off at the panel's bottom edge."""
        self._stale = True

    def _relaid(self, _event: tk.Event) -> None:
        """A label got its width (a slot shown again is 1 pixel wide until laid out)."""
        if self.view is not None:
            self.invalidate()
            self.panel.schedule_redraw()

    def show(self, view: TransferView | None) -> None:
        if view is self.view and not self._stale:
            return
        self.view, self._stale = view, False
        if view is None:
            for widget in self.widgets:
                widget.grid_remove()
            return
        for widget in self.widgets[:-1]:
            widget.grid()
        running = view.state is State.RUNNING
        show_fitted(self.name, escape_name(view.name))
        self.direction.configure(text="↓" if view.direction is Direction.DOWNLOAD else "↑")
        self.progress.configure(value=view.fraction * 100)
        self.percent.configure(text=f"{int(view.fraction * 100)}%")
        self.amount.configure(text=amount_text(view))
        self.speed.configure(text=human_speed(view.speed) if running else "")
        self.eta.configure(text=human_eta(view.eta) if running else "")
        show_fitted(self.state, state_text(view))
        error = view.state is State.FAILED
        if error != self._error_style:
            set_label_style(self.state, "Error.TLabel" if error else "TLabel")
            self._error_style = error
        label = button_text(view)
        if label:
            self.button.configure(text=label)
            self.button.grid()
        else:
            self.button.grid_remove()

    def clicked(self) -> None:
        if self.view is not None:
            self.panel.act(self.view)


def state_text(view: TransferView) -> str:
    running = view.state is State.RUNNING
    if running and view.done and view.speed == 0:
        return "Running (waiting for the server)"
    if running and view.resumed_from:
        return f"Resumed at {human_size(view.resumed_from)}"
    if view.state is State.FAILED and view.error:
        return f"Failed: {escape_text(view.error)}"
    return STATE_TEXT[view.state]


def amount_text(view: TransferView) -> str:
    """Bytes done of the total while under way; the size alone otherwise."""
    if view.state in (State.RUNNING, State.PAUSED) or (view.state is State.FAILED and view.done):
        return f"{human_size(view.done)} of {human_size(view.total)}"
    return human_size(view.total)


def button_text(view: TransferView) -> str:
    """The row's one button: what can be done to this transfer now ("" : nothing)."""
    if view.state in (State.QUEUED, State.RUNNING):
        return "Cancel"
    if view.state is State.PAUSED:
        return "Resume"
    if view.state in (State.FAILED, State.CANCELLED) and view.retryable:
        return "Retry"
    return ""


def summary_text(summary: Summary) -> str:
    """``120 of 645 files, 1.2 GiB of 3.4 GiB``, and what is paused or failed."""
    if summary.files_total == 0:
        return ""
    text = f"{summary.files_done:,} of {summary.files_total:,} files, {human_size(summary.bytes_done)} of {human_size(summary.bytes_total)}"
    extras = [f"{n:,} {word}" for n, word in ((summary.paused, "paused"), (summary.failed, "failed")) if n]
    return text + (f" ({', '.join(extras)})" if extras else "")


class TransfersPanel(ttk.Frame):
    def __init__(self, parent: tk.Misc, max_parallel: int, actions: TransferActions, on_clear: Callable[[], None]) -> None:
        super().__init__(parent, padding=(8, 4))
        self.actions = actions
        self._views: dict[int, TransferView] = {}
        self._order: list[int] = []
        self._top = 0
        self._slots: list[RowSlot] = []
        self._visible = 1
        self._redraw_id: str | None = None
        self._shown: dict[str, object] = {}  # what _once last applied, by key
        self.log_window: LogWindow | None = None
        self._build_header(max_parallel, on_clear)
        self._build_table()
        self.bind("<<ThemeChanged>>", lambda _e: self._restyle())
        self.bind("<Destroy>", self._destroyed, add="+")
        self._redraw()

    # -- building -----------------------------------------------------------

    def _build_header(self, max_parallel: int, on_clear: Callable[[], None]) -> None:
        header = ttk.Frame(self)
        header.pack(fill="x")
        ttk.Label(header, text="Transfers", style="Heading.TLabel").pack(side="left")
        self.parallel = tk.IntVar(self, max_parallel)
        spin = ttk.Spinbox(
            header,
            from_=1,
            to=8,
            width=3,
            textvariable=self.parallel,
            state="readonly",
            command=lambda: self.actions.set_max_parallel(int(self.parallel.get())),
        )
        spin.pack(side="right", padx=(4, 0))
        ttk.Label(header, text="At once:").pack(side="right", padx=(12, 0))
        self.log_button = ttk.Button(header, text="Log…", command=self.open_log)
        self.log_button.pack(side="right", padx=(6, 0))
        self.clear_button = ttk.Button(header, text="Clear finished", command=on_clear)
        self.clear_button.pack(side="right", padx=(6, 0))
        self.cancel_all_button = ttk.Button(header, text="Cancel all", command=self.actions.cancel_all)
        self.cancel_all_button.pack(side="right", padx=(6, 0))
        self.pause_button = ttk.Button(header, text="Pause all", width=10, command=self._pause_or_resume)
        self.pause_button.pack(side="right", padx=(6, 0))

        overall = ttk.Frame(self)
        overall.pack(fill="x", pady=(4, 0))
        self.overall = ttk.Progressbar(overall, orient="horizontal", mode="determinate", maximum=100, length=160)
        self.overall.pack(side="left")
        self.summary = ttk.Label(overall, text="", width=1)
        self.summary.pack(side="left", fill="x", expand=True, padx=(8, 0))

    def _build_table(self) -> None:
        # The table is placed, not packed: the rows it holds never change the
        # panel's requested height, which the paned window decides.
        self.body = ttk.Frame(self, height=190)
        self.body.pack(fill="both", expand=True, pady=(4, 0))
        self.table = ttk.Frame(self.body)
        self.table.place(x=0, y=0, relwidth=1, relheight=1)
        self.scroll = ttk.Scrollbar(self.table, orient="vertical", command=self._scrolled)
        self.scroll.grid(row=0, column=len(COLUMNS), rowspan=1000, sticky="ns")
        self.headings: list[ttk.Label] = []
        for column, (key, heading, sample, anchor) in enumerate(COLUMNS):
            if sample is not None:
                self.table.columnconfigure(column, minsize=text_width(self, sample) + 8, weight=0)
            else:
                self.table.columnconfigure(column, minsize=text_width(self, "M" * 6), weight=STRETCH.get(key, 0))
            label = ttk.Label(self.table, text=heading, width=1, anchor=anchor if anchor != "center" else "w")
            set_label_style(label, "Empty.TLabel")
            label.grid(row=0, column=column, sticky="ew", padx=4)
            label.bindtags((WHEEL_TAG, *label.bindtags()))
            self.headings.append(label)
        probe = ttk.Button(self.table, text="Retry")
        self.row_height = probe.winfo_reqheight() + 4
        probe.destroy()
        self.empty = ttk.Label(self.table, text="No transfers yet. Select files and press Download, or drop files here to upload.")
        set_label_style(self.empty, "Empty.TLabel")
        self.empty.grid(row=1, column=0, columnspan=len(COLUMNS), sticky="nw", padx=4, pady=6)
        self.table.rowconfigure(1000, weight=1)  # the room under the last row stays empty
        for widget in (self.table, self.empty, self.scroll):
            widget.bindtags((WHEEL_TAG, *widget.bindtags()))
        self.bind_class(WHEEL_TAG, "<Button-4>", lambda _e: self.scroll_rows(-WHEEL_ROWS))
        self.bind_class(WHEEL_TAG, "<Button-5>", lambda _e: self.scroll_rows(WHEEL_ROWS))
        self.bind_class(WHEEL_TAG, "<MouseWheel>", lambda e: self.scroll_rows(-WHEEL_ROWS if e.delta > 0 else WHEEL_ROWS))
        self.table.bind("<Configure>", self._resized)

    def _restyle(self) -> None:
        for slot in self._slots:
            slot.invalidate()  # redrawn with the theme's colours
        self.schedule_redraw()

    def _destroyed(self, event: tk.Event) -> None:
        if event.widget is self and self._redraw_id is not None:
            self.after_cancel(self._redraw_id)
            self._redraw_id = None

    # -- the model ------------------------------------------------------------

    def show(self, views: list[TransferView]) -> None:
        """Store the latest snapshots of transfers; the screen follows within ``REDRAW_MS``."""
        known, order = self._views, self._order
        for view in views:
            if view.id not in known:
                order.append(view.id)
            known[view.id] = view
        self.schedule_redraw()

    def remove(self, transfer_ids: list[int]) -> None:
        gone = set(transfer_ids)
        for transfer_id in gone:
            self._views.pop(transfer_id, None)
        self._order = [i for i in self._order if i not in gone]
        self._top = min(self._top, max(0, len(self._order) - self._visible))
        self._redraw()

    def view_of(self, transfer_id: int) -> TransferView | None:
        return self._views.get(transfer_id)

    def shown_ids(self) -> list[int]:
        """Every transfer in the list, in order (not only those on screen)."""
        return list(self._order)

    def slot_for(self, transfer_id: int) -> RowSlot | None:
        """The row of widgets showing ``transfer_id``, scrolled into view (for tests and tools)."""
        try:
            index = self._order.index(transfer_id)
        except ValueError:
            return None
        if not self._top <= index < self._top + self._visible:
            self._top = max(0, min(index, len(self._order) - self._visible))
        self._redraw()
        place = index - self._top
        return self._slots[place] if place < len(self._slots) else None  # None: the panel is not laid out yet

    def summary_text(self) -> str:
        return str(self.summary.cget("text"))

    # -- scrolling ------------------------------------------------------------

    def scroll_rows(self, rows: int) -> None:
        self._set_top(self._top + rows)

    def _scrolled(self, command: str, amount: str, unit: str = "") -> None:
        """The scrollbar's ``moveto fraction`` or ``scroll n units|pages``."""
        if command == "moveto":
            self._set_top(round(float(amount) * len(self._order)))
        elif unit == "pages":
            self.scroll_rows(int(amount) * max(1, self._visible - 1))
        else:
            self.scroll_rows(int(amount))

    def _set_top(self, top: int) -> None:
        top = max(0, min(top, len(self._order) - self._visible))
        if top != self._top:
            self._top = top
            self._redraw()

    def _resized(self, event: tk.Event) -> None:
        heading = self.headings[0].winfo_reqheight() + 2
        self._visible = max(1, (event.height - heading) // self.row_height)
        while len(self._slots) < self._visible:
            self._slots.append(RowSlot(self, len(self._slots) + 1))
        # The button column is as wide with no button on screen as with one (the
        # font may have grown since the panel was built): columns never move when
        # a Retry appears or the last one is cleared.
        self.table.columnconfigure(len(COLUMNS) - 1, minsize=self._slots[0].button.winfo_reqwidth() + 8)
        for slot in self._slots:
            slot.invalidate()  # the columns' widths changed: names are cut again
        self._set_top(self._top)
        self._redraw()

    # -- drawing --------------------------------------------------------------

    def schedule_redraw(self) -> None:
        if self._redraw_id is None:
            self._redraw_id = self.after(REDRAW_MS, self._redraw)

    def _redraw(self) -> None:
        if self._redraw_id is not None:
            self.after_cancel(self._redraw_id)
            self._redraw_id = None
        order, views = self._order, self._views
        for place, slot in enumerate(self._slots):
            index = self._top + place
            slot.show(views[order[index]] if place < self._visible and index < len(order) else None)
        if order:
            self.empty.grid_remove()
            view = (self._top / len(order), min(1.0, (self._top + self._visible) / len(order)))
        else:
            self.empty.grid()
            view = (0.0, 1.0)
        self._once("scroll", view, lambda shown: self.scroll.set(*shown))
        self._show_summary(self.actions.transfer_summary())

    def _show_summary(self, summary: Summary) -> None:
        show_fitted(self.summary, summary_text(summary))
        done = round(100 * summary.bytes_done / summary.bytes_total, 1) if summary.bytes_total else 0.0
        self._once("overall", done, lambda value: self.overall.configure(value=value))
        pending = summary.running + summary.queued
        pause = "Resume all" if summary.paused and not pending else "Pause all"
        self._once("pause", pause, lambda text: self.pause_button.configure(text=text))
        enabled = bool(pending or summary.paused)
        for button in (self.pause_button, self.cancel_all_button):
            self._once(str(button), enabled, lambda on, b=button: b.state(["!disabled" if on else "disabled"]))

    def _once(self, key: str, value: object, apply: Callable[[Any], object]) -> None:
        """``apply(value)`` unless ``value`` is what it applied last: each configure
        of a ttk widget costs a redisplay, 0.25..0.45 ms even with the same value,
        and the panel redraws 20 times a second through a batch."""
        if key not in self._shown or self._shown[key] != value:
            self._shown[key] = value
            apply(value)

    # -- actions ----------------------------------------------------------------

    def act(self, view: TransferView) -> None:
        """A row's button: Cancel, Resume or Retry, as :func:`button_text` named it."""
        label = button_text(view)
        if label == "Cancel":
            self.actions.cancel(view.id)
        elif label == "Resume":
            self.actions.resume(view.id)
        elif label == "Retry":
            self.actions.retry(view.id)

    def _pause_or_resume(self) -> None:
        if str(self.pause_button.cget("text")) == "Resume all":
            self.actions.resume_all()
        else:
            self.actions.pause_all()

    def open_log(self) -> None:
        if self.log_window is None or not self.log_window.winfo_exists():
            self.log_window = LogWindow(self, "transfer log", self.actions.transfer_log, "Nothing has been transferred yet.")
        else:
            self.log_window.refresh()
            self.log_window.lift()
