"""Where the terminal client writes: results to stdout, errors and progress to
stderr, progress bars only when stderr is a terminal.

``--json`` makes every result one JSON object on a line of stdout (ASCII-only,
so exact and harmless on a terminal), failures included, for scripts; the
``error:`` line still goes to stderr for the person watching. ``--quiet`` keeps
only results and errors: no progress, no notes, no summaries.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from ferry_files.shared.errors import FerryError

from .failures import report
from .progress import ProgressBar


@dataclass
class Console:
    out: TextIO
    err: TextIO
    show_progress: bool
    as_json: bool = False
    quiet: bool = False

    @classmethod
    def standard(cls, *, as_json: bool = False, quiet: bool = False) -> Console:
        return cls(sys.stdout, sys.stderr, show_progress=sys.stderr.isatty() and not quiet, as_json=as_json, quiet=quiet)

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def record(self, fields: dict[str, Any]) -> None:
        """One JSON object on its own line (``--json``)."""
        self.out.write(json.dumps(fields) + "\n")

    def result(self, fields: dict[str, Any], text: str | None = None) -> None:
        """What a command did: ``fields`` as JSON with ``--json``, else ``text`` (if any)."""
        if self.as_json:
            self.record(fields)
        elif text is not None:
            self.print(text)

    def summary(self, text: str) -> None:
        """A line for a person at the end of a transfer; not with --json or --quiet."""
        if not (self.as_json or self.quiet):
            self.print(text)

    def note(self, text: str) -> None:
        """Something a person should know that is not a failure, on stderr."""
        if self.quiet:
            return
        self.out.flush()
        self.err.write(f"note: {text}\n")

    def fail(self, error: FerryError, **context: Any) -> None:
        """The ``error:`` line on stderr; with --json also a record on stdout
        (``context`` says what failed: ``op``, ``path``)."""
        if self.as_json:
            self.record({**context, "ok": False, "error": str(error.code), "message": error.message})
        self.out.flush()  # keep results and errors in order when both go to one terminal
        report(error, self.err)

    @contextlib.contextmanager
    def progress(self, label: str) -> Iterator[ProgressBar | None]:
        """A progress bar for one transfer, or a whole tree's (None when bars are off)."""
        if not self.show_progress:
            yield None
            return
        self.out.flush()
        with ProgressBar(self.err, label) as bar:
            yield bar
