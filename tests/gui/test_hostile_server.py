"""The desktop app against a hostile server (issue 10): what it refuses is said in
the status bar, in words."""

from __future__ import annotations

import pytest

from shared.limits import MAX_LIST_BODY
from tests.fake_server import EvilServer
from tests.test_hardening_list_body import announce_and_stream

pytestmark = pytest.mark.gui


def test_a_list_larger_than_the_cap_is_refused_in_the_status_bar(app):
    fake = EvilServer(announce_and_stream(2**62))
    app.connect(fake)
    fake.close()
    assert app.window.controller.state == "failed"
    assert f"larger than {MAX_LIST_BODY >> 20} MiB; refusing it" in app.status_message()
