"""What a person does to the files shown, by mouse, menu or key: open a folder,
go up, download, new folder, rename in place (F2), delete with a confirmation
(Del), move by dragging rows onto a folder or a crumb of the path bar, and the
context menu.

Every command acts on the selection, by names (never row positions), so it
stays right when a refresh moves rows. What the server offers decides what is
on: no folders (a 1.0 server) hides the path bar and New folder; no
``manage`` turns Rename, Delete and moving off.
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ferry_files.shared.escaping import escape_name
from ferry_files.shared.messages import FOLDERS

from . import os_dialogs
from .confirm_dialog import ConfirmDialog
from .file_actions import FileActions, Measure
from .folder_path import join, last_name, parent
from .formatting import count_text, human_size
from .rename_editor import RenameEditor

if TYPE_CHECKING:
    from .main_window import MainWindow

#: Pixels the pointer moves with the button down before a press becomes a drag.
DRAG_THRESHOLD = 6
_SHIFT, _CONTROL = 0x1, 0x4


class FileCommands:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.controller = window.controller
        self.view = window.file_view
        self.tree = window.file_view.tree
        self.actions = FileActions(window.controller)
        self.rename_editor: RenameEditor | None = None
        self._press: tuple[int, int, str] | None = None  # where the button went down, and on which row
        self._dragging = False
        self._pending_select = ""  # a click on one of several selected rows selects it alone on release
        self.menu = tk.Menu(self.tree, tearoff=False)
        self._menu_items: dict[str, int] = {}
        for label, command, accelerator in (
            ("Open", self.activate, "Enter"),
            ("Download", window.download_selected, ""),
            ("Rename…", self.rename_selected, "F2"),
            ("Delete…", self.delete_selected, "Del"),
            (None, None, None),
            ("New folder", self.new_folder, "Ctrl+Shift+N"),
            ("Upload files…", window.upload_from_picker, "Ctrl+U"),
            ("Upload folder…", self.upload_folder, ""),
            ("Refresh", self.controller.refresh, "F5"),
            (None, None, None),
            ("Select all", self.select_all, "Ctrl+A"),
        ):
            if label is None:
                self.menu.add_separator()
            else:
                self.menu.add_command(label=label, command=command, accelerator=accelerator)
                self._menu_items[label] = self.menu.index("end")
        self._bind()

    def _bind(self) -> None:
        tree = self.tree
        tree.bind("<F2>", lambda _e: self.rename_selected())
        tree.bind("<Delete>", lambda _e: self.delete_selected())
        tree.bind("<KP_Delete>", lambda _e: self.delete_selected())
        tree.bind("<BackSpace>", lambda _e: self.go_up())
        tree.bind("<Alt-Up>", lambda _e: self.go_up() or "break")
        tree.bind("<Control-N>", lambda _e: self.new_folder())
        tree.bind("<Button-3>", self._right_click)
        tree.bind("<Shift-F10>", lambda _e: self._menu_at_focus())
        tree.bind("<Menu>", lambda _e: self._menu_at_focus())
        tree.bind("<ButtonPress-1>", self._button_down)
        tree.bind("<B1-Motion>", self._button_moved)
        tree.bind("<ButtonRelease-1>", self._button_up)

    # -- commands ---------------------------------------------------------------

    def activate(self) -> None:
        """Enter or a double-click: one folder opens, anything else downloads."""
        names = self.view.selected_names()
        if len(names) == 1 and self.controller.files.is_folder(names[0]):
            self.controller.go_to(join(self.controller.files.path, names[0]))
        else:
            self.window.download_selected()

    def go_up(self) -> None:
        path = self.controller.files.path
        if path:
            self._select_after_listing(parent(path), last_name(path))
            self.controller.go_to(parent(path))

    def go_to(self, path: str) -> None:
        self.controller.go_to(path)

    def select_all(self) -> None:
        self.window.list_keys.select_all()

    def new_folder(self) -> None:
        if not self.actions.can_make_folders:
            self.window.report("This server cannot make folders", error=True)
            return
        self.actions.new_folder(self._rename_new)

    def _rename_new(self, name: str) -> None:
        if self.controller.files.has(name):
            self.view.select_names([name])
            self.rename_selected()

    def rename_selected(self) -> None:
        names = self.view.selected_names()
        if not self.actions.can_manage or len(names) != 1 or self.rename_editor is not None:
            return
        iid = self.view.iid_of(names[0])
        if iid is None:
            return
        self.tree.see(iid)
        self.tree.update_idletasks()
        old = names[0]

        def commit(new: str) -> str | None:
            problem = self.actions.rename(old, new, lambda: self.view.select_names([new.strip()]))
            if problem is not None:
                self.window.report(problem, error=True)
            return problem

        indent = self.view.icons.size + 4
        self.rename_editor = RenameEditor(self.tree, iid, old, indent, commit, self._rename_closed)

    def _rename_closed(self) -> None:
        self.rename_editor = None

    def delete_selected(self) -> None:
        names = self.view.selected_names()
        if not names or not self.actions.can_manage or self.window.question is not None:
            return
        self.actions.measure(names, lambda measure: self._confirm_delete(names, measure))

    def _confirm_delete(self, names: list[str], measure: Measure) -> None:
        if self.window.question is not None:
            return
        if len(names) == 1:
            what = f"“{escape_name(names[0])}”"
            if measure.folders:
                what += f", a folder with {count_text(measure.files, 'file')}"
        else:
            parts = [count_text(measure.files, "file")] + ([count_text(measure.folders, "folder")] if measure.folders else [])
            what = " and ".join(parts)
        message = f"Delete {what} ({human_size(measure.size)}) from the server?\nThis cannot be undone."

        def answered(yes: bool) -> None:
            self.window.question = None
            if yes:
                self.actions.delete(names)

        self.window.question = ConfirmDialog(self.window.root, "Ferry: delete", message, "Delete", answered)

    def upload_folder(self) -> None:
        if self.controller.server is None or not self.controller.offers(FOLDERS):
            self.window.report("Connect to a server with folders to upload a folder", error=True)
            return
        chosen = os_dialogs.ask_upload_folder(self.window.root, self.window.last_upload_dir)
        if chosen:
            self.window.last_upload_dir = str(Path(chosen).parent)
            self.controller.upload([chosen])

    def _select_after_listing(self, path: str, name: str) -> None:
        """After going up, the folder we came from is selected, as in a file manager."""
        self.window.select_when_listed = (path, name)

    # -- the context menu -------------------------------------------------------------

    def popup_menu(self, x_root: int, y_root: int) -> None:
        names = self.view.selected_names()
        connected = self.controller.state == "connected"
        one_folder = len(names) == 1 and self.controller.files.is_folder(names[0])
        states = {
            "Open": one_folder or (connected and bool(names)),
            "Download": connected and bool(names),
            "Rename…": self.actions.can_manage and len(names) == 1,
            "Delete…": self.actions.can_manage and bool(names),
            "New folder": self.actions.can_make_folders,
            "Upload files…": connected and not self.controller.read_only,
            "Upload folder…": connected and not self.controller.read_only and self.controller.offers(FOLDERS),
            "Refresh": self.controller.server is not None,
            "Select all": bool(self.tree.get_children("")),
        }
        for label, on in states.items():
            self.menu.entryconfigure(self._menu_items[label], state="normal" if on else "disabled")
        self.menu.tk_popup(x_root, y_root)

    def _right_click(self, event: Any) -> str:
        row = self.tree.identify_row(event.y)
        if row and row not in self.tree.selection():
            self.tree.selection_set(row)
        if row:
            self.tree.focus(row)
        self.popup_menu(event.x_root, event.y_root)
        return "break"

    def _menu_at_focus(self) -> str:
        row = self.tree.focus()
        bbox = self.tree.bbox(row) if row else None
        x, y = (bbox[0] + 40, bbox[1] + bbox[3]) if bbox else (40, 40)
        self.popup_menu(self.tree.winfo_rootx() + x, self.tree.winfo_rooty() + y)
        return "break"

    # -- dragging rows onto a folder -------------------------------------------------

    def _button_down(self, event: Any) -> str | None:
        row = self.tree.identify_row(event.y)
        self._press = (event.x, event.y, row) if row and self.tree.identify_region(event.x, event.y) in ("tree", "cell") else None
        self._dragging = False
        self._pending_select = ""
        selection = self.tree.selection()
        if row and row in selection and len(selection) > 1 and not event.state & (_SHIFT | _CONTROL):
            # A press on one of several selected rows may start dragging them all:
            # Tk would select that row alone now. Decide on release instead.
            self._pending_select = row
            self.tree.focus(row)
            self.tree.focus_set()
            return "break"
        return None

    def _button_moved(self, event: Any) -> str | None:
        if self._press is None or not self.actions.can_manage:
            return None
        x, y, row = self._press
        if not self._dragging and abs(event.x - x) + abs(event.y - y) >= DRAG_THRESHOLD and row in self.tree.selection():
            self._dragging = True
            self.tree.configure(cursor="fleur")
        return "break" if self._dragging else None

    def _button_up(self, event: Any) -> str | None:
        dragging, pending = self._dragging, self._pending_select
        self._press, self._dragging, self._pending_select = None, False, ""
        if dragging:
            self.tree.configure(cursor="")
            names = self.view.selected_names()
            destination = self.window.path_bar.folder_at(event.x_root, event.y_root)  # a crumb: up the path
            target = self.view.name_at(event.y) if destination is None else None
            if target is not None and target not in names and self.controller.files.is_folder(target):
                destination = join(self.controller.files.path, target)
            if destination is not None and destination != self.controller.files.path:
                problem = self.actions.move(names, destination)
                if problem is not None:
                    self.window.report(problem, error=True)
            return "break"
        if pending and self.tree.exists(pending):
            self.tree.selection_set(pending)
        return None

    def enable(self) -> None:
        """Show what the server offers: the path bar and folder buttons need ``folders``."""
        window = self.window
        has_folders = self.controller.offers(FOLDERS)
        if has_folders and not window.path_bar.winfo_manager():
            window.path_bar.pack(fill="x", before=window.panes)
        elif not has_folders and window.path_bar.winfo_manager():
            window.path_bar.pack_forget()
        window.new_folder_button.state(["!disabled"] if self.actions.can_make_folders else ["disabled"])
        connected = self.controller.state == "connected" and not self.controller.read_only
        window.upload_folder_button.state(["!disabled"] if connected and has_folders else ["disabled"])
