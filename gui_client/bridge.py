"""The one road from worker threads to the Tk loop.

Tk is not thread-safe: only the thread that runs ``mainloop`` may touch a
widget. Workers call :meth:`Bridge.post` (safe from any thread), which only puts
a function call on a queue; the Tk loop drains the queue every ``INTERVAL_MS``
with ``after()``, under a time budget so a burst of events cannot stall a frame.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

#: How often the Tk loop looks at the queue.
INTERVAL_MS = 25
#: Longest the Tk loop spends on queued calls in one go.
BUDGET_SECONDS = 0.03


class Bridge:
    def __init__(self, widget: Any) -> None:
        """``widget``: any Tk widget; its ``after`` drives the drain."""
        self._widget = widget
        self._calls: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.SimpleQueue()
        self._after_id: str | None = None
        self._stopped = False

    def post(self, function: Callable[..., None], *args: Any) -> None:
        """Run ``function(*args)`` on the Tk thread soon. Callable from any thread."""
        self._calls.put((function, args))

    def start(self) -> None:
        self._stopped = False
        self._after_id = self._widget.after(INTERVAL_MS, self._drain)

    def stop(self) -> None:
        self._stopped = True
        if self._after_id is not None:
            try:
                self._widget.after_cancel(self._after_id)
            except Exception:  # the widget may already be gone
                pass
            self._after_id = None

    def _drain(self) -> None:
        deadline = time.monotonic() + BUDGET_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    function, args = self._calls.get_nowait()
                except queue.Empty:
                    break
                function(*args)
        finally:
            # Reschedule even when a call raised: Tk reports the exception
            # (report_callback_exception) and the app keeps listening.
            if not self._stopped:
                self._after_id = self._widget.after(INTERVAL_MS, self._drain)

    def pending(self) -> int:
        return self._calls.qsize()
