"""The Settings dialog: theme (light, dark, or the desktop's), scaling,
download folder, transfers at once. OK applies and saves; Cancel, Escape or
closing the window change nothing. Scaling applies at the next start: every
size in the window is derived from it once (:mod:`gui_client.scaling`)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import ttk

from . import os_dialogs
from .settings import MAX_PARALLEL_LIMIT, Settings

THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
SCALE_LABELS = {0.0: "Automatic (from the screen)", **{s: f"{s:.0%}" for s in (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)}}


@dataclass(frozen=True)
class Choices:
    theme: str
    scaling: float
    download_dir: str
    max_parallel: int


class SettingsDialog(tk.Toplevel):
    def __init__(self, parent: tk.Misc, settings: Settings, apply: Callable[[Choices], None]) -> None:
        super().__init__(parent)
        self._apply = apply
        self.title("Ferry: settings")
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        body = ttk.Frame(self, padding=16)
        body.pack(fill="both", expand=True)
        body.columnconfigure(1, weight=1)

        self.theme = tk.StringVar(self, THEME_LABELS.get(settings.theme, "Light"))
        self.scaling = tk.StringVar(self, SCALE_LABELS.get(settings.scaling, f"{settings.scaling:.0%}"))
        self.download_dir = tk.StringVar(self, settings.download_dir)
        self.max_parallel = tk.IntVar(self, settings.max_parallel)

        def row(number: int, label: str, widget: tk.Widget, note: str = "") -> None:
            ttk.Label(body, text=label).grid(row=number, column=0, sticky="w", padx=(0, 12), pady=4)
            widget.grid(row=number, column=1, sticky="ew", pady=4)
            if note:
                ttk.Label(body, text=note, style="Empty.TLabel").grid(row=number, column=2, sticky="w", padx=(8, 0))

        self.theme_box = ttk.Combobox(body, textvariable=self.theme, values=list(THEME_LABELS.values()), state="readonly", width=26)
        row(0, "Theme", self.theme_box)
        self.scaling_box = ttk.Combobox(body, textvariable=self.scaling, values=list(SCALE_LABELS.values()), state="readonly", width=26)
        row(1, "Scaling", self.scaling_box, "at the next start")
        folder = ttk.Frame(body)
        self.folder_entry = ttk.Entry(folder, textvariable=self.download_dir, width=36)
        self.folder_entry.pack(side="left", fill="x", expand=True)
        self.folder_button = ttk.Button(folder, text="Change…", command=self._choose_folder)
        self.folder_button.pack(side="left", padx=(6, 0))
        row(2, "Download folder", folder)
        self.parallel_box = ttk.Spinbox(body, from_=1, to=MAX_PARALLEL_LIMIT, textvariable=self.max_parallel, width=5, state="readonly")
        row(3, "Transfers at once", self.parallel_box)

        buttons = ttk.Frame(body)
        buttons.grid(row=4, column=0, columnspan=3, sticky="e", pady=(12, 0))
        ttk.Button(buttons, text="Cancel", command=self.destroy).pack(side="right")
        self.ok_button = ttk.Button(buttons, text="OK", style="Accent.TButton", command=self.confirm)
        self.ok_button.pack(side="right", padx=6)
        self.bind("<Return>", lambda _e: self.confirm())
        self.bind("<Escape>", lambda _e: self.destroy())
        self.theme_box.focus_set()

    def _choose_folder(self) -> None:
        chosen = os_dialogs.ask_directory(self, self.download_dir.get())
        if chosen:
            self.download_dir.set(chosen)

    def choices(self) -> Choices:
        theme = next((key for key, label in THEME_LABELS.items() if label == self.theme.get()), "light")
        scaling = next((key for key, label in SCALE_LABELS.items() if label == self.scaling.get()), 0.0)
        folder = str(Path(self.download_dir.get().strip()).expanduser()) if self.download_dir.get().strip() else ""
        return Choices(theme, scaling, folder, int(self.max_parallel.get()))

    def confirm(self) -> None:
        choices = self.choices()
        self.destroy()
        self._apply(choices)
