"""A request as the handlers see it."""

from __future__ import annotations

from dataclasses import dataclass

from .target import Target


@dataclass
class HttpRequest:
    method: bytes
    target: Target
    headers: dict[bytes, bytes]  # names lowercased; a repeated header keeps its last value
    keep_alive: bool
