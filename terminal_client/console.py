"""Where the terminal client writes: results to stdout, errors and progress to
stderr, progress bars only when stderr is a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from ferry_files.shared.client import Progress
from ferry_files.shared.errors import FerryError

from .failures import report
from .progress import ProgressBar


@dataclass
class Console:
    out: TextIO
    err: TextIO
    show_progress: bool

    @classmethod
    def standard(cls) -> Console:
        return cls(sys.stdout, sys.stderr, show_progress=sys.stderr.isatty())

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        """Something a person should know that is not a failure, on stderr."""
        self.out.flush()
        self.err.write(f"note: {text}\n")

    def fail(self, error: FerryError) -> None:
        self.out.flush()  # keep results and errors in order when both go to one terminal
        report(error, self.err)

    @contextlib.contextmanager
    def progress(self, label: str) -> Iterator[Progress | None]:
        """A progress callback for one transfer (None when bars are off)."""
        if not self.show_progress:
            yield None
            return
        self.out.flush()
        with ProgressBar(self.err, label) as bar:
            yield bar
