"""Stands in for the Tk bridge in tests of the logic layer: worker threads
``post`` calls, and the test thread runs them, as the Tk loop would."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable


class PostedCalls:
    def __init__(self) -> None:
        self.calls: queue.Queue = queue.Queue()

    def post(self, function, *args) -> None:
        self.calls.put((function, args))

    def run_until(self, condition: Callable[[], object], timeout: float = 20.0) -> None:
        """Run posted calls until ``condition()`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            try:
                function, args = self.calls.get(timeout=0.05)
            except queue.Empty:
                continue
            function(*args)
