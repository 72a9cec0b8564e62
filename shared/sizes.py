"""Sizes as people read them, one convention for every client: binary units
named as such (``KiB``, ``MiB``, ``GiB``: multiples of 1024), one decimal.

The terminal client and the desktop app both format through here, so a file
shows the same size in both (issue 13, defect 11: the app said "MB" for 1024²).
"""

from __future__ import annotations

UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_size(size: int | float) -> str:
    """``0 B``, ``1023 B``, ``1.0 KiB``, ``12.3 MiB``: binary units, one decimal."""
    size = int(size)
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in UNITS[1:]:
        value /= 1024
        if round(value, 1) < 1024 or unit == UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def human_rate(bytes_per_second: float) -> str:
    """``2.0 MiB/s``."""
    return f"{human_size(bytes_per_second)}/s"
