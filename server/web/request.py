"""A request as the handlers see it, and where its session stands (for the
watchdog's timeouts, as in server/session.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .target import Target


class State(enum.Enum):
    WAITING = "waiting for a request"  # idle clock from the end of the last one; header clock from its first byte
    BODY = "moving a body"  # idle clock from the last byte moved
    WORKING = "working"  # the server is busy (fsync, a list pass): no client deadline


@dataclass
class HttpRequest:
    method: bytes
    target: Target
    headers: dict[bytes, bytes]  # names lowercased; a repeated header keeps its last value
    keep_alive: bool
