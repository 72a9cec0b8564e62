"""A filter keystroke on a long list never blocks the Tk loop for the whole list
(issue 13's target: a keystroke under 100 ms with 100,000 files): the rows go in
a chunk per turn (gui_client/row_order.py). What is shown must stay exact: keys
typed faster than a pass, a refresh while one is pending, a selection far down
the list, a click or a key in the middle of a pass.

The chunk is made small here (``REORDER_CHUNK``) so that 1,200 files take many
turns, as 100,000 do with the real chunk; the tree is the real one.
"""

from __future__ import annotations

import pytest
from ferry_files.gui_client import row_order

pytestmark = pytest.mark.gui

CHUNK = 100
COUNT = 1_200


@pytest.fixture
def long_list(app, server, library, monkeypatch):
    monkeypatch.setattr(row_order, "REORDER_CHUNK", CHUNK)
    names = [f"f{i:04d}.txt" for i in range(COUNT)]
    for name in names:
        (library / name).write_bytes(b"x")
    app.connect(server)
    tree = app.window.file_view.tree
    app.pump_until(lambda: len(tree.get_children("")) == COUNT, what="the listing")
    return names


def rows_shown(app) -> list[str]:
    """The names of the rows attached now, read from Tk without finishing a pass."""
    view = app.window.file_view
    return [view.name_of(iid) for iid in view.tree.get_children("")]


def type_filter(app, text: str) -> None:
    """What a key in the filter field does: the variable changes, idle tasks run,
    but no timer (the pass's next chunk) fires."""
    app.window.filter_text.set(text)
    app.root.update_idletasks()


def test_a_keystroke_attaches_one_chunk_and_the_rest_follows_by_itself(app, long_list):
    type_filter(app, "1")
    matching = [name for name in long_list if "1" in name]
    assert len(matching) > 3 * CHUNK
    assert rows_shown(app) == matching[:CHUNK]  # the top of the list at once, in order
    assert app.window.file_view.order.pending
    app.pump_until(lambda: not app.window.file_view.order.pending, what="the filter's pass")
    assert rows_shown(app) == matching
    type_filter(app, "")
    app.pump_until(lambda: not app.window.file_view.order.pending, what="the widening pass")
    assert rows_shown(app) == long_list


def test_keys_typed_faster_than_a_pass_show_exactly_the_last_filters_names(app, long_list):
    for text in ("1", "10", "1", "", "0", "00", "0", "f0", "f01"):
        type_filter(app, text)
    app.pump_until(lambda: not app.window.file_view.order.pending, what="the last pass")
    assert rows_shown(app) == [name for name in long_list if "f01" in name]
    for text in ("f0", "f", ""):
        type_filter(app, text)
    assert app.shown_names() == long_list  # reading the rows finishes the pass at once
    assert rows_shown(app) == long_list


def test_a_refresh_during_a_pending_pass_shows_the_new_listing_filtered(app, long_list, library):
    type_filter(app, "2")
    assert app.window.file_view.order.pending
    (library / "f2zzz.txt").write_bytes(b"new")
    (library / "f0002.txt").unlink()
    old = app.window.controller.files.listing
    app.window.refresh_button.invoke()
    app.pump_until(lambda: app.window.controller.files.listing is not old, what="the new listing")
    app.pump_until(lambda: not app.window.file_view.order.pending, what="the pass")
    expected = sorted(name for name in [*long_list, "f2zzz.txt"] if "2" in name and name != "f0002.txt")
    assert rows_shown(app) == expected
    assert app.window.controller.files.summary().shown == len(expected)


def test_a_selection_below_the_first_chunk_survives_a_pass_and_is_what_download_reads(app, long_list):
    deep = long_list[COUNT - 5]
    app.select(deep)
    type_filter(app, "f")  # every name: the selected row is re-attached only by a later chunk
    assert deep not in rows_shown(app)
    assert app.window.file_view.selected_names() == [deep]  # read mid-pass: the pass is finished first
    assert not app.window.file_view.order.pending
    type_filter(app, "f00")  # hides it
    app.pump_until(lambda: not app.window.file_view.order.pending, what="the pass")
    assert app.window.file_view.selected_names() == []
    assert "disabled" in app.window.download_button.state()


def test_a_key_in_the_list_during_a_pass_acts_on_the_whole_list(app, long_list):
    tree = app.window.file_view.tree
    type_filter(app, "")
    type_filter(app, "f")
    assert app.window.file_view.order.pending
    tree.focus_set()
    tree.event_generate("<End>", when="now")  # the End key: the last row of the whole list
    assert not app.window.file_view.order.pending
    assert app.window.file_view.selected_names() == [long_list[-1]]
