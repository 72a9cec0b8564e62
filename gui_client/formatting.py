"""Numbers as a person reads them: sizes, times, speeds, ETAs."""

from __future__ import annotations

import math
import time

# Sizes: one convention with the terminal client (shared/sizes.py).
from ferry_files.shared.sizes import human_rate
from ferry_files.shared.sizes import human_size as human_size


def human_speed(bytes_per_second: float) -> str:
    if bytes_per_second <= 0:
        return ""
    return human_rate(bytes_per_second)


def human_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0 or seconds != seconds:
        return ""
    # Rounded up: a transfer still running never says "0 s".
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}:{seconds:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def local_time(mtime: float) -> str:
    """A modification time in the local time zone, to the minute."""
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime))
    except (OverflowError, OSError, ValueError):
        return "?"


def count_text(count: int, singular: str, plural: str | None = None) -> str:
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {word}"
