"""The guard that keeps GUI tests honest: an exception in a Tk callback (which
Tk would only print) fails the test, and so does an error the app logs."""

from __future__ import annotations

import logging

import pytest

from tests.gui.conftest import CallbackErrors, pump_until

pytestmark = pytest.mark.gui


def test_an_exception_in_a_tk_callback_fails_the_test(app, callback_errors: CallbackErrors):
    def broken() -> None:
        raise ValueError("boom in a callback")

    app.root.after(1, broken)
    pump_until(app.root, lambda: callback_errors.errors, timeout=5, what="the error to be caught")
    assert "boom in a callback" in callback_errors.errors[0]
    with pytest.raises(pytest.fail.Exception, match="boom in a callback"):
        callback_errors.check()
    callback_errors.errors.clear()  # expected here: let this test itself pass


def test_an_exception_in_a_bridged_call_fails_the_test_and_the_bridge_survives(app, callback_errors: CallbackErrors):
    ran = []

    def broken() -> None:
        raise RuntimeError("boom from a worker's post")

    app.window.bridge.post(broken)
    app.window.bridge.post(ran.append, "after")
    pump_until(app.root, lambda: ran, timeout=5, what="the next posted call")
    assert "boom from a worker's post" in "".join(callback_errors.errors)
    callback_errors.errors.clear()


def test_an_error_the_app_logs_fails_the_test(app, callback_errors: CallbackErrors):
    logging.getLogger("gui.transfers").error("something the app found wrong")
    with pytest.raises(pytest.fail.Exception, match="something the app found wrong"):
        callback_errors.check()
    callback_errors.errors.clear()
