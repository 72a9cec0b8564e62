"""One computation shared by the threads that ask for it at once, never a stale one.

A ``list`` of a large folder takes a pass over every file. When several sessions
of a worker ask at once, each could run its own pass, all on one GIL: three
listers of a 100,000-file folder made three passes at a third of the speed each.
Instead they share passes, under one rule that keeps every answer exact: a
caller only takes the result of a computation that *started after it asked*. So
a caller that arrives while a pass runs waits for the next one, which starts when
the running one ends and serves everyone who arrived meanwhile. The answer a
caller gets was read entirely between its request and its answer, as if it had
run the pass itself; at most two passes' time passes before it gets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalesced(Generic[T]):
    """Runs ``compute`` for callers of :meth:`get`, one run at a time, each run
    shared by the callers that asked before it started and after the previous
    one started."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute = compute
        self._changed = threading.Condition()
        self._started = 0  # runs started so far; the one running (if any) is number _started
        self._finished = 0  # the number of the last run that finished
        self._running = False
        self._outcome: tuple[T | None, BaseException | None] = (None, None)  # of run _finished

    def get(self) -> T:
        """The result of a run that started after this call. Raises what that run raised."""
        with self._changed:
            wanted = self._started + 1  # the running one (if any) began before we asked
            while self._finished < wanted:
                if not self._running:
                    self._running = True
                    self._started += 1
                    number = self._started
                    break
                self._changed.wait()
            else:
                return self._unwrap(self._outcome)
        outcome: tuple[T | None, BaseException | None]
        try:
            outcome = (self._compute(), None)
        except BaseException as exc:  # handed to every caller of this run
            outcome = (None, exc)
        with self._changed:
            self._running = False
            self._finished = number
            self._outcome = outcome
            self._changed.notify_all()
        return self._unwrap(outcome)

    @staticmethod
    def _unwrap(outcome: tuple[T | None, BaseException | None]) -> T:
        result, error = outcome
        if error is not None:
            raise error
        return result  # type: ignore[return-value]
