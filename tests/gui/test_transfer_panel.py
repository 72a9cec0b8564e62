"""Defect 3 of issue 13, the transfers panel, checked by what is on the screen
(widget geometry, the text of the label at a point, real wheel events from
xdotool): Clear finished leaves an empty list with its message in view, the
heading stays put, the wheel scrolls, columns keep their places whatever the
State says, long names end with an ellipsis, a running transfer shows its
bytes done of total."""

from __future__ import annotations

import os
from tkinter import ttk

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.text_fit import show_fitted
from ferry_files.gui_client.transfers import State
from ferry_files.shared.partial_downloads import TEMP_PREFIX

from tests.gui.conftest import continue_workers, pump_for, sparse_file, stop_workers, wait_without_tk, xdotool

pytestmark = pytest.mark.gui

BIG = 512 * 1024 * 1024


def descendants(widget) -> list:
    found = []
    for child in widget.winfo_children():
        found += [child, *descendants(child)]
    return found


def heading(panel, text: str = "Name") -> ttk.Label:
    return next(w for w in descendants(panel) if isinstance(w, ttk.Label) and str(w.cget("text")) == text)


def label_texts(panel) -> list[str]:
    return [str(w.cget("text")) for w in descendants(panel) if isinstance(w, ttk.Label) and w.winfo_viewable()]


def text_at(app, x: int, y: int) -> str:
    widget = app.root.winfo_containing(x, y)
    return str(widget.cget("text")) if isinstance(widget, ttk.Label) else ""


def first_row_point(panel) -> tuple[int, int]:
    """The screen point of the first row's Name cell, just under the heading."""
    name = heading(panel)
    return name.winfo_rootx() + 6, name.winfo_rooty() + name.winfo_height() + 14


def in_view(panel, widget) -> bool:
    """``widget`` is drawn inside the panel's visible area (not scrolled away)."""
    top, bottom = panel.winfo_rooty(), panel.winfo_rooty() + panel.winfo_height()
    return bool(widget.winfo_viewable()) and top <= widget.winfo_rooty() and widget.winfo_rooty() + widget.winfo_height() <= bottom


def download_many(app, server, library, count: int) -> list[str]:
    names = [f"file-{i:03d}.txt" for i in range(count)]
    for name in names:
        (library / name).write_bytes(name.encode())
    app.root.geometry("1000x650+0+0")
    app.connect(server)
    app.wait_for_names(set(names))
    app.select(*names)
    app.window.download_button.invoke()
    queue = app.window.controller.transfers
    app.pump_until(lambda: len(queue.views()) == count and queue.pending_count() == 0, what="the downloads")
    pump_for(app.root, 0.3)
    return names


def scrollbar(panel) -> ttk.Scrollbar:
    return next(w for w in descendants(panel) if isinstance(w, ttk.Scrollbar))


def scroll_to_end(app, panel) -> None:
    bar = scrollbar(panel)
    app.root.tk.call(bar.cget("command"), "moveto", "1.0")
    pump_for(app.root, 0.2)


def test_the_wheel_scrolls_the_list_and_the_heading_stays(app, server, library):
    names = download_many(app, server, library, 40)
    panel = app.window.transfers_panel
    x, y = first_row_point(panel)
    assert text_at(app, x, y) == names[0]
    name_heading = heading(panel)
    heading_y = name_heading.winfo_rooty()
    xdotool(app, "mousemove", str(x + 40), str(y), "click", "5", "click", "5")
    pump_for(app.root, 0.2)
    shown = text_at(app, x, y)
    assert shown in names and names.index(shown) >= 2, f"the wheel did not scroll (first row: {shown!r})"
    xdotool(app, "click", "4")
    pump_for(app.root, 0.2)
    assert names.index(text_at(app, x, y)) < names.index(shown)
    scroll_to_end(app, panel)
    assert text_at(app, x, y) != names[0]
    assert name_heading.winfo_rooty() == heading_y and in_view(panel, name_heading), "the heading scrolled away"


def test_clear_finished_leaves_an_empty_list_with_its_message_in_view(app, server, library):
    download_many(app, server, library, 40)
    panel = app.window.transfers_panel
    scroll_to_end(app, panel)
    panel.clear_button.invoke()
    pump_for(app.root, 0.2)
    message = next(w for w in descendants(panel) if isinstance(w, ttk.Label) and str(w.cget("text")).startswith("No transfers yet"))
    assert in_view(panel, message), "the empty list's message is not in view"
    assert in_view(panel, heading(panel))
    assert not any(text.startswith("file-") for text in label_texts(panel))


def test_columns_keep_their_places_and_long_names_end_with_an_ellipsis(app, server, library, tmp_path, monkeypatch):
    long_name = "a rather long name for a holiday photo taken on the beach at sunset " * 3 + ".jpg"
    long_name = long_name.replace(" .jpg", ".jpg")
    (library / long_name).write_bytes(b"x" * 1000)
    (library / "taken.txt").write_bytes(b"server's")
    app.root.geometry("1000x650+0+0")
    app.connect(server)
    app.wait_for_names({long_name, "taken.txt"})
    panel = app.window.transfers_panel
    headings = [heading(panel, text) for text in ("Name", "Progress", "%", "Speed", "ETA", "State")]
    places = [h.winfo_rootx() for h in headings]

    app.select(long_name)
    app.window.download_button.invoke()
    app.wait_for_state(long_name, State.DONE)
    pump_for(app.root, 0.2)
    x, y = first_row_point(panel)
    cell = app.root.winfo_containing(x, y)
    shown = str(cell.cget("text"))
    assert shown.endswith("…") and long_name.startswith(shown[:-1]), shown
    assert cell.winfo_reqwidth() <= cell.winfo_width(), "the label needs more than it has: its end is cut off"

    # A refused upload: the State column says why, in a long sentence.
    local = tmp_path / "taken.txt"
    local.write_bytes(b"mine")
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(local)])
    app.window.controller.transfers.upload(app.window.controller.server, local, "taken.txt", overwrite=False)
    app.wait_for_state("taken.txt", State.FAILED)
    pump_for(app.root, 0.2)
    assert any(text.startswith("Failed: A file") for text in label_texts(panel)), "|".join(label_texts(panel))
    reason = next(w for w in descendants(panel) if isinstance(w, ttk.Label) and str(w.cget("text")).startswith("Failed: A file"))
    assert str(reason.cget("text")).endswith("…") and reason.winfo_reqwidth() <= reason.winfo_width(), "the reason's end is cut off"
    assert [h.winfo_rootx() for h in headings] == places, "the columns moved"
    table = panel.table  # the done row has no button, the failed one Retry: the same height
    assert table.grid_bbox(0, 1)[3] == table.grid_bbox(0, 2)[3] > 0


def test_a_running_transfer_shows_bytes_done_of_total_and_no_zero_eta(app, server, library, downloads):
    sparse_file(library / "big.iso", BIG, head=os.urandom(1 << 20))
    app.root.geometry("1000x650+0+0")
    app.connect(server)
    app.wait_for_names({"big.iso"})
    app.select("big.iso")
    app.window.download_button.invoke()
    panel = app.window.transfers_panel
    wait_without_tk(lambda: any(name.startswith(TEMP_PREFIX) for name in os.listdir(downloads)), what="the first bytes")
    workers = stop_workers(server)  # the download is stuck half way, as a slow one would be
    try:
        app.pump_until(lambda: any(t.endswith(" of 512.0 MiB") for t in label_texts(panel)), what="bytes done of total")
        assert "0 s" not in label_texts(panel)
    finally:
        continue_workers(workers)


def test_a_smaller_window_leaves_no_row_cut_off_at_the_bottom(app, server, library):
    """A row that no longer fits is hidden, not drawn half under the panel's edge
    (the merged status bar grows with Open / Show in folder, which shrinks the panel)."""
    download_many(app, server, library, 40)
    panel = app.window.transfers_panel
    for height in (600, 560, 520):
        app.root.geometry(f"1000x{height}+0+0")
        pump_for(app.root, 0.3)
        bottom = panel.table.winfo_rooty() + panel.table.winfo_height()
        names = [
            w
            for w in descendants(panel.table)
            if isinstance(w, ttk.Label) and w.winfo_ismapped() and str(w.cget("text")).startswith("file-")
        ]
        assert names, "no row shown"
        cut = [str(w.cget("text")) for w in names if w.winfo_rooty() + w.winfo_height() > bottom]
        assert cut == [], f"at {height} px these rows are cut off by the panel's edge: {cut}"


def test_a_cut_text_fits_its_label_at_every_width(app):
    # The label's own padding counts: a text cut to the label's width minus too
    # little padding loses its last pixels, the ellipsis first ("alread.").
    panel = app.window.transfers_panel
    label = ttk.Label(panel, text="")
    text = "Failed: A file with that name already exists on the server"
    cut_off = []
    for width in range(60, 200):
        label.place(x=0, y=0, width=width)
        app.root.update_idletasks()
        show_fitted(label, text)
        app.root.update_idletasks()
        if label.winfo_reqwidth() > label.winfo_width():
            cut_off.append(width)
    label.destroy()
    assert cut_off == [], f"cut off at widths {cut_off}"
