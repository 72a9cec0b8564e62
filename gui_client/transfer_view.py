"""The transfers panel: one row per transfer with a progress bar, numbers and a
Cancel or Retry button. It only shows :class:`~gui_client.transfers.TransferView`
snapshots; every decision is the controller's."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ferry_files.shared.escaping import escape_name

from .formatting import human_eta, human_size, human_speed
from .theme import set_label_style
from .transfers import Direction, State, TransferView

STATE_TEXT = {
    State.QUEUED: "Queued",
    State.RUNNING: "Running",
    State.DONE: "Done",
    State.FAILED: "Failed",
    State.CANCELLED: "Cancelled",
}
# (heading, minimum width in characters, stretches)
COLUMNS = (
    ("Name", 18, True),
    ("", 3, False),
    ("Progress", 16, True),
    ("%", 5, False),
    ("Speed", 10, False),
    ("ETA", 7, False),
    ("State", 22, True),
    ("", 8, False),
)


class TransferRow:
    def __init__(self, panel: TransfersPanel, row: int, view: TransferView) -> None:
        frame = panel.rows_frame
        self.id = view.id
        self.view = view
        self.name = ttk.Label(frame, text=escape_name(view.name))
        self.direction = ttk.Label(frame, text="↓" if view.direction is Direction.DOWNLOAD else "↑")
        self.progress = ttk.Progressbar(frame, orient="horizontal", mode="determinate", maximum=100)
        self.percent = ttk.Label(frame, anchor="e")
        self.speed = ttk.Label(frame, anchor="e")
        self.eta = ttk.Label(frame, anchor="e")
        self.state = ttk.Label(frame)
        self.button = ttk.Button(frame, width=7, command=lambda: panel.button_clicked(self))
        self.widgets = (self.name, self.direction, self.progress, self.percent, self.speed, self.eta, self.state, self.button)
        for column, widget in enumerate(self.widgets):
            widget.grid(row=row, column=column, sticky="ew", padx=4, pady=2)
        frame.rowconfigure(row, minsize=self.button.winfo_reqheight() + 4)  # same height with or without a button
        self.update(view)

    def update(self, view: TransferView) -> None:
        self.view = view
        percent = int(view.fraction * 100)
        self.progress.configure(value=view.fraction * 100)
        self.percent.configure(text=f"{percent}%")
        running = view.state is State.RUNNING
        self.speed.configure(text=human_speed(view.speed) if running else "")
        self.eta.configure(text=human_eta(view.eta) if running else "")
        text = STATE_TEXT[view.state]
        if running and view.done and view.speed == 0:
            text = "Running (waiting for the server)"
        elif running and view.resumed_from:
            text = f"Resumed at {human_size(view.resumed_from)}"
        if view.state is State.FAILED and view.error:
            text = f"Failed: {view.error}"
        elif view.state is State.DONE and view.total:
            text = f"Done, {human_size(view.total)}"
        self.state.configure(text=text)
        set_label_style(self.state, "Error.TLabel" if view.state is State.FAILED else "TLabel")
        if view.state.finished:
            self.button.configure(text="Retry", state="normal" if view.state in (State.FAILED, State.CANCELLED) else "disabled")
            if view.state is State.DONE or not view.retryable:
                self.button.grid_remove()
        else:
            self.button.configure(text="Cancel", state="normal")
            self.button.grid()

    def destroy(self) -> None:
        for widget in self.widgets:
            widget.destroy()


class TransfersPanel(ttk.Frame):
    def __init__(
        self,
        parent: tk.Misc,
        max_parallel: int,
        on_cancel: Callable[[int], None],
        on_retry: Callable[[int], None],
        on_clear: Callable[[], None],
        on_parallel: Callable[[int], None],
    ) -> None:
        super().__init__(parent, padding=(8, 4))
        self._on_cancel, self._on_retry = on_cancel, on_retry
        header = ttk.Frame(self)
        header.pack(fill="x")
        ttk.Label(header, text="Transfers", style="Heading.TLabel").pack(side="left")
        self.clear_button = ttk.Button(header, text="Clear finished", command=on_clear)
        self.clear_button.pack(side="right")
        self.parallel = tk.IntVar(self, max_parallel)
        spin = ttk.Spinbox(
            header,
            from_=1,
            to=8,
            width=3,
            textvariable=self.parallel,
            state="readonly",
            command=lambda: on_parallel(int(self.parallel.get())),
        )
        spin.pack(side="right", padx=(4, 12))
        ttk.Label(header, text="At once:").pack(side="right")

        body = ttk.Frame(self)
        body.pack(fill="both", expand=True, pady=(4, 0))
        self.canvas = tk.Canvas(body, highlightthickness=0, borderwidth=0, height=190)
        scroll = ttk.Scrollbar(body, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.canvas.pack(side="left", fill="both", expand=True)
        self.rows_frame = ttk.Frame(self.canvas)
        self._window = self.canvas.create_window(0, 0, window=self.rows_frame, anchor="nw")
        self.rows_frame.bind("<Configure>", lambda _e: self.canvas.configure(scrollregion=self.canvas.bbox("all")))
        self.canvas.bind("<Configure>", lambda e: self.canvas.itemconfigure(self._window, width=e.width))
        self._background()
        self.bind("<<ThemeChanged>>", lambda _e: self._background())
        for column, (heading, chars, stretch) in enumerate(COLUMNS):
            self.rows_frame.columnconfigure(column, weight=1 if stretch else 0, minsize=chars * 7)
            label = ttk.Label(self.rows_frame, text=heading)
            set_label_style(label, "Empty.TLabel")
            label.grid(row=0, column=column, sticky="w", padx=4)
        self.empty = ttk.Label(self.rows_frame, text="No transfers yet. Select files and press Download, or drop files here to upload.")
        set_label_style(self.empty, "Empty.TLabel")
        self.empty.grid(row=1, column=0, columnspan=len(COLUMNS), sticky="w", padx=4, pady=6)
        self.rows: dict[int, TransferRow] = {}
        self._next_row = 1

    def _background(self) -> None:
        colour = ttk.Style(self).lookup("TFrame", "background") or "#fafafa"
        self.canvas.configure(background=colour)

    def show(self, view: TransferView) -> None:
        row = self.rows.get(view.id)
        if row is None:
            self.empty.grid_remove()
            self._next_row += 1
            self.rows[view.id] = TransferRow(self, self._next_row, view)
            self.canvas.after_idle(lambda: self.canvas.yview_moveto(1.0))
        else:
            row.update(view)

    def remove(self, transfer_ids: list[int]) -> None:
        for transfer_id in transfer_ids:
            row = self.rows.pop(transfer_id, None)
            if row is not None:
                row.destroy()
        if not self.rows:
            self.empty.grid()

    def button_clicked(self, row: TransferRow) -> None:
        if row.view.state.finished:
            self._on_retry(row.id)
        else:
            self._on_cancel(row.id)
