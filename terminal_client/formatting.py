"""Text for people: sizes, times, durations, widths and quoted names.

Names and messages come from a server, which is untrusted: a valid protocol name
may still hold characters a terminal acts on (C1 controls such as U+009B, bidi
overrides), so every name shown goes through :func:`shared.escaping.escape_name`
(or :func:`quoted`) and every message through :func:`shared.escaping.escape_text`.
"""

from __future__ import annotations

import time
import unicodedata

# Sizes: the clients' one convention (shared/sizes.py), re-exported for this package.
from ferry_files.shared.sizes import human_rate as human_rate
from ferry_files.shared.sizes import human_size as human_size


def human_duration(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def local_time(timestamp: float, *, seconds: bool = False) -> str:
    """``2026-11-28 10:44`` in the local time zone; ``?`` for a time the platform
    cannot represent (a server may send any number)."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M", time.localtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return "?"


def quoted(name: str) -> str:
    """A name as messages show it: quoted and escaped (``'a b.txt'``, ``'rtl\\u202e'``).
    ``repr`` escapes what :func:`~shared.escaping.escape_name` does (and a quote
    when the name holds both kinds), and it is how the server quotes names in its
    messages, so :func:`failures.about` can tell whether a message names the file."""
    return repr(name)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (CJK) characters take two,
    combining marks none."""
    return sum(_char_width(char) for char in text)


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, a cut marked with ``~``."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        char_width = _char_width(char)
        if used + char_width > width - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + ("~" if width > 0 else "")


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns."""
    return text + " " * max(width - display_width(text), 0)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
