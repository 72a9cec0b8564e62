"""Where a session stands, and when its client has kept it waiting too long.

Both protocols' sessions (server/session.py, server/web/session.py) are watched
by the worker's one timer with the same rules, so the rules live here once: no
complete request for the idle timeout, a started header unfinished for the
header timeout (a slowloris), or a body that stopped moving. Never while the
server itself works (hashing, fsync, a list pass): that is not the client's
delay.
"""

from __future__ import annotations

import enum

from .config import ServerConfig


class State(enum.Enum):
    WAITING = "waiting for a request"  # idle clock from the end of the last one; header clock from its first byte
    BODY = "moving a body"  # idle clock from the last byte moved
    WORKING = "working"  # the server is busy: no client deadline


def overdue(
    config: ServerConfig, state: State, header_started: float | None, request_done_at: float, last_progress: float, now: float
) -> bool:
    if state is State.WAITING:
        if header_started is not None and now - header_started > config.header_timeout:
            return True
        return now - request_done_at > config.idle_timeout
    if state is State.BODY:
        return now - last_progress > config.idle_timeout
    return False
