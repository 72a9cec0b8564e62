"""The desktop app against a hostile server (issue 10): what it refuses is said in
the status bar, in words, and names that would act on a label are shown escaped."""

from __future__ import annotations

import unicodedata

import pytest
from ferry_files.gui_client import os_dialogs
from ferry_files.gui_client.transfers import State
from ferry_files.shared.escaping import escape_name
from ferry_files.shared.limits import MAX_LIST_BODY

from tests.fake_server import EvilServer, header, replies
from tests.test_escaping import UNSHOWN
from tests.test_hardening_list_body import announce_and_stream
from tests.test_terminal_hostile_names import HOSTILE

pytestmark = pytest.mark.gui


def test_a_list_larger_than_the_cap_is_refused_in_the_status_bar(app):
    fake = EvilServer(announce_and_stream(2**62))
    app.connect(fake)
    fake.close()
    assert app.window.controller.state == "failed"
    assert f"larger than {MAX_LIST_BODY >> 20} MiB; refusing it" in app.status_message()


def shown_raw(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in UNSHOWN]


def test_names_that_would_reorder_or_split_a_label_are_shown_escaped(app, server, library, downloads, tmp_path, monkeypatch):
    for name in HOSTILE:
        (library / name).write_bytes(b"hostile")
    app.connect(server)
    app.wait_for_names(set(HOSTILE))
    tree = app.window.file_view.tree
    rows = [str(tree.item(iid, "text")) for iid in tree.get_children("")]
    assert sorted(rows) == sorted(escape_name(name) for name in HOSTILE)

    rtl = "rtl\u202etxt.exe"
    app.select(rtl)
    assert str(app.window.file_view.preview_caption.cget("text")) == "rtl\\u202etxt.exe\n7 B"  # the name, then the size

    app.window.download_button.invoke()
    panel = app.window.transfers_panel  # its local name is local_names.py's business
    done = app.pump_until(lambda: next((i for i in panel.shown_ids() if panel.view_of(i).state is State.DONE), None), what="the download")
    row = panel.slot_for(done)
    assert shown_raw(str(row.name.cget("text"))) == [] and shown_raw(app.status_message()) == []

    local = tmp_path / "local"
    local.mkdir()
    (local / "nel\x85split.txt").write_bytes(b"mine")
    monkeypatch.setattr(os_dialogs, "ask_open_files", lambda parent, initial_dir=None: [str(local / "nel\x85split.txt")])
    app.window.upload_button.invoke()
    dialog = app.pump_until(lambda: app.window.dialog, what="the question")
    assert str(dialog.heading.cget("text")) == "“nel\\x85split.txt” already exists on the server."
    app.answer_conflict("skip")


def test_a_server_s_message_cannot_split_or_reorder_the_window_s_text(app):
    refusal = header({"ok": False, "error": "io_error", "message": "line one\nline two\x9b2J \u202eexe"})
    fake = EvilServer(replies(refusal))
    app.connect(fake)
    fake.close()
    assert app.window.controller.state == "failed"
    assert "line one\\nline two\\x9b2J \\u202eexe" in app.status_message()
    assert shown_raw(app.status_message()) == []
    empty = str(app.window.file_view.empty.cget("text"))
    assert "line one\\nline two" in empty and shown_raw(empty.replace("\n", "")) == []
