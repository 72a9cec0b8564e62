"""Numbers as a person reads them: sizes, times, speeds, ETAs."""

from __future__ import annotations

import time

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def human_size(size: int | float) -> str:
    """``1536`` -> ``1.5 KB`` (binary multiples, as file managers show them)."""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_speed(bytes_per_second: float) -> str:
    if bytes_per_second <= 0:
        return ""
    return human_size(bytes_per_second) + "/s"


def human_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0 or seconds != seconds:
        return ""
    seconds = int(seconds + 0.5)
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
