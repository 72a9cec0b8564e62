"""A one-line progress bar for a transfer, redrawn in place on a terminal.

The client library calls ``progress(done, total)`` for every chunk, which can be
thousands of times a second; a terminal cannot keep up with that, so redraws are
throttled to :data:`REDRAW_INTERVAL`. The first and the last call always draw,
so a finished transfer is shown as finished.

``ProgressBar`` is a context manager: leaving it normally keeps the final line
(a record of the transfer), leaving it with an exception erases the line so the
error message that follows starts on a clean line.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

from ferry_files.shared.escaping import escape_name
from ferry_files.shared.tree_transfer import TreeProgress

from .formatting import display_width, fit, human_duration, human_rate, human_size, pad

#: Seconds between two redraws at most.
REDRAW_INTERVAL = 0.1
#: Width used when the terminal does not say (or says 0, as a fresh pty does).
DEFAULT_WIDTH = 80
#: The bar is left out below this many columns, the rest still fits.
MIN_BAR_WIDTH = 10
#: Columns kept for the label (the file name) at most.
MAX_LABEL_WIDTH = 40


def terminal_width(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns > 0 else DEFAULT_WIDTH


def render(label: str, done: int, total: int, elapsed: float, width: int, finished: bool = False, detail: str = "") -> str:
    """One frame, exactly ``width - 1`` columns (the last column is left free so
    that no terminal wraps the line). ``detail`` follows the percentage (a tree's
    ``12/40 files``)."""
    fraction = done / total if total > 0 else 1.0
    fraction = min(max(fraction, 0.0), 1.0)
    rate = done / elapsed if elapsed > 0 else 0.0
    amount = f"{human_size(done)} / {human_size(total)}" if not finished else human_size(total)
    if finished:
        timing = f"{human_rate(rate)} in {human_duration(elapsed)}" if elapsed > 0 else ""
    elif rate > 0 and done < total:
        timing = f"{human_rate(rate)}  ETA {human_duration((total - done) / rate)}"
    else:
        timing = ""
    percent = f"{int(fraction * 100):3d}%"
    label = fit(escape_name(label), MAX_LABEL_WIDTH)
    tail = f" {percent}" + (f"  {detail}" if detail else "") + f"  {amount}" + (f"  {timing}" if timing else "")
    room = width - 1 - display_width(label) - len(tail) - 4  # two spaces and the brackets
    if room >= MIN_BAR_WIDTH:
        filled = int(fraction * room)
        line = f"{label}  [{'#' * filled}{'.' * (room - filled)}]{tail}"
    else:
        line = f"{label}{tail}"
    return pad(fit(line, width - 1), width - 1)


class ProgressBar:
    """Draws ``render()`` frames on ``stream``; call it as the library's progress callback."""

    def __init__(
        self,
        stream: TextIO,
        label: str,
        *,
        width: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._label = label
        self._width = width if width is not None else terminal_width(stream)
        self._clock = clock
        self._started = clock()
        self._last_draw: float | None = None
        self._done = 0
        self._total = 0
        self._shown = False
        self.redraws = 0
        #: Shown after the percentage; a tree transfer's count of files.
        self.detail = ""

    def __call__(self, done: int, total: int) -> None:
        self._update(done, total, last=done >= total)

    def tree(self, progress: TreeProgress) -> None:
        """The callback of a whole tree's transfer: one line for all its files. Its
        last frame is the last file's (a tree of empty files has all its bytes at once)."""
        self.detail = f"{progress.files_done}/{progress.files_total} files"
        self._update(progress.bytes_done, progress.bytes_total, last=progress.files_done >= progress.files_total)

    def _update(self, done: int, total: int, *, last: bool) -> None:
        self._done, self._total = done, total
        now = self._clock()
        if self._last_draw is not None and now - self._last_draw < REDRAW_INTERVAL and not last:
            return
        self._draw(render(self._label, done, total, now - self._started, self._width, detail=self.detail))
        self._last_draw = now

    def finish(self) -> None:
        """Draw the final frame and move to the next line."""
        frame = render(self._label, self._total, self._total, self._clock() - self._started, self._width, finished=True, detail=self.detail)
        self._draw(frame + "\n")
        self._shown = False

    def clear(self) -> None:
        """Erase the bar, if one is shown, leaving the cursor at the line's start."""
        if self._shown:
            self._write("\r" + " " * (self._width - 1) + "\r")
            self._shown = False

    def _draw(self, frame: str) -> None:
        self._write("\r" + frame)
        self._shown = not frame.endswith("\n")
        self.redraws += 1

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.clear()
