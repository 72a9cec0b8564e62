"""Outcomes of a worker's helper threads, handed back to its event loop.

Futures belong to the loop's thread: a helper thread (hashing, committing)
never touches one, it passes its outcomes here, and they are settled on the
loop in one callback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

Outcome = tuple["asyncio.Future[T]", "T | BaseException"]


def hand_back(loop: asyncio.AbstractEventLoop, outcomes: Sequence[Outcome[T]]) -> bool:
    """Settle each future with its result or exception, on ``loop``'s thread.
    False when the loop has closed: nobody waits any more."""
    try:
        loop.call_soon_threadsafe(_settle_all, outcomes)
    except RuntimeError:
        return False
    return True


def _settle_all(outcomes: Sequence[Outcome[T]]) -> None:
    for future, outcome in outcomes:
        if future.done():  # its waiter was cancelled meanwhile
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
