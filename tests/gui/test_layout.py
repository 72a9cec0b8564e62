"""The window's layout checked by widget geometry: at 192 dpi (a second Xvfb
started with ``-dpi 192``) everything is twice as large and still fits, and at
the minimum size (760 x 480) the essentials keep their room."""

from __future__ import annotations

from tkinter import font as tkfont
from tkinter import ttk

import pytest
from ferry_files.gui_client.app import create_root
from ferry_files.gui_client.main_window import MainWindow
from ferry_files.gui_client.scaling import screen_dpi
from ferry_files.gui_client.theme import body_font

from tests.gui.second_screen import hidpi_app, hidpi_display  # noqa: F401 (fixtures)

pytestmark = pytest.mark.gui


def assert_inside(widget, window) -> None:
    """``widget`` is shown whole within ``window``'s client area."""
    assert widget.winfo_ismapped(), f"{widget} is not shown"
    x, y = widget.winfo_rootx() - window.winfo_rootx(), widget.winfo_rooty() - window.winfo_rooty()
    assert x >= 0 and y >= 0, f"{widget} starts outside the window at {x},{y}"
    assert x + widget.winfo_width() <= window.winfo_width(), f"{widget} is cut off on the right"
    assert y + widget.winfo_height() <= window.winfo_height(), f"{widget} is cut off at the bottom"


def assert_essentials_fit(window: MainWindow) -> None:
    root = window.root
    # Buttons and labels keep the width their text needs: no "D" for Disconnect.
    essentials = (window.connect_bar.button, window.connect_bar.servers, window.filter_label, window.download_button, window.upload_button)
    essentials += (window.settings_button,)
    for widget in essentials:
        assert_inside(widget, root)
        assert widget.winfo_width() >= widget.winfo_reqwidth(), f"{widget.cget('text')!r} is squeezed"
    assert_inside(window.filter_entry, root)
    assert_inside(window.status, root)
    assert_inside(window.status.message, root)
    assert window.status.message.winfo_width() >= root.winfo_width() // 4, "no room for messages in the status bar"
    # All three columns of the file list are visible.
    tree = window.file_view.tree
    assert_inside(tree, root)
    columns = sum(int(tree.column(c, "width")) for c in ("#0", "size", "mtime"))
    assert columns <= tree.winfo_width(), f"columns need {columns} px, the list has {tree.winfo_width()}"
    assert int(tree.column("#0", "width")) >= body_font(window.root).measure("M" * 8)


def sprite_width(root, name: str) -> int:
    """The width of one of sv-ttk's sprites as its sheet has it (sprites_*.tcl)."""
    info = root.tk.splitlist(root.tk.eval("set ::spriteinfo"))
    return int(info[info.index(name) + 3])


def test_192_dpi_scales_text_rows_icons_and_the_window_together(hidpi_app):  # noqa: F811 (a fixture)
    window, root = hidpi_app.window, hidpi_app.root
    assert screen_dpi(root) == pytest.approx(192, abs=2)
    assert window.metrics.scale == 2.0
    # The window is twice its 96-dpi size.
    assert root.winfo_width() >= 2000 and root.winfo_height() >= 1300, root.winfo_geometry()
    # Body text doubled, like everything else: the list's own font is at least 2 x 14 px
    # tall, rows fit it, and headings are not much larger than the body.
    tree_font = body_font(root)
    body = tkfont.Font(root=root, font=ttk.Style(root).lookup("Treeview", "font"))
    assert body.actual("size") == tree_font.actual("size")
    assert abs(body.actual("size")) >= 26 or body.metrics("linespace") >= 30, body.actual()
    row = int(ttk.Style(root).lookup("Treeview", "rowheight"))
    assert row >= body.metrics("linespace") + 8
    assert window.icons.size >= 28 and window.icons.size < row
    heading = tkfont.Font(root=root, font=ttk.Style(root).lookup("Heading", "font"))
    assert heading.metrics("linespace") <= body.metrics("linespace") * 1.3
    entry_font = tkfont.Font(root=root, font=window.connect_bar.host_entry.cget("font"))
    assert entry_font.metrics("linespace") >= body.metrics("linespace") * 0.8
    # The theme's images doubled too: a check box, the arrows, the frames of buttons and fields.
    for theme in ("sv_light", "sv_dark"):
        for sprite in ("check-unsel-rest", "down", "button-rest"):
            drawn = int(root.tk.eval(f"image width $ttk::theme::{theme}::I({sprite})"))
            assert drawn == 2 * sprite_width(root, sprite), (theme, sprite, drawn)
    tls = window.connect_bar.tls_check
    assert tls.winfo_reqheight() >= 2 * sprite_width(root, "check-unsel-rest")
    assert_essentials_fit(window)
    # Still at the smallest size the window allows.
    minimum = root.wm_minsize()
    assert minimum[0] >= 1500
    root.geometry(f"{minimum[0]}x{minimum[1]}")
    hidpi_app.pump_until(lambda: root.winfo_width() == minimum[0], what="the resize")
    assert_essentials_fit(window)


def test_scaling_setting_overrides_the_screen(callback_errors, settings_path, downloads):
    import json

    settings = json.loads(settings_path.read_text())
    settings_path.write_text(json.dumps({**settings, "scaling": 1.5}))
    root, dnd = create_root()
    root.report_callback_exception = callback_errors.tk_hook
    window = MainWindow(root, settings_path, dnd)
    try:
        root.update()
        assert window.metrics.scale == 1.5
        assert body_font(root).metrics("linespace") >= 1.3 * tkfont.Font(root=root, size=-14).metrics("linespace")
    finally:
        window.close()
        callback_errors.check()


def test_smallest_window_keeps_the_essentials(app):
    root = app.root
    assert app.window.metrics.scale == 1.0  # pytest-xvfb's screen: 760 x 480 are real pixels
    assert tuple(root.wm_minsize()) == (760, 480)
    app.window.connect_bar.show_state("connected")  # the longer label: Disconnect
    root.geometry("760x480")
    app.pump_until(lambda: (root.winfo_width(), root.winfo_height()) == (760, 480), what="the resize")
    root.update()
    assert_essentials_fit(app.window)
    app.window.report("The server refused the upload: read only")
    root.update()
    assert_inside(app.window.status.message, root)
    # A message longer than the room left for it ends with "…" where it is cut.
    long = "Could not upload holiday-photo-from-the-beach-at-sunset.jpg: the server said it has no space left on its disk"
    app.window.report(long)
    root.update()
    message = app.window.status.message
    shown = str(message.cget("text"))
    assert shown.endswith("…") and long.startswith(shown[:-1]), shown
    assert message.winfo_reqwidth() <= message.winfo_width(), "the message's end is cut off"
    assert_essentials_fit(app.window)
    root.geometry("1400x700")  # a wider window shows more of it
    app.pump_until(lambda: root.winfo_width() == 1400, what="the resize")
    root.update()
    assert str(message.cget("text")) == long
