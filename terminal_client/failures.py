"""Every failure a person can cause, as one line: ``error: <code>: <message>``.

Errors from the server and the client library already are :class:`FerryError`
with a protocol code (or ``connection_failed``, ``connection_lost``); this module
adds the terminal client's own codes for what happens on this side, and turns
the exceptions that carry them into the line. The full list is in
docs/terminal-client.md.
"""

from __future__ import annotations

import os
from typing import TextIO

from ferry_files.shared.errors import FerryError
from ferry_files.shared.escaping import escape_text
from ferry_files.shared.wrong_server import NEEDS_TLS

from .formatting import quoted

#: The command line is wrong (unknown command, missing argument...).
USAGE = "usage"
#: ``HOST[:PORT]`` cannot be parsed.
BAD_ADDRESS = "bad_address"
#: A local file or folder cannot be read or written (the client library uses the same code).
LOCAL_IO = "local_io"
#: The person pressed Ctrl+C.
INTERRUPTED = "interrupted"
#: What to do about a library error, in this client's words.
_REMEDIES = {NEEDS_TLS: "add --tls"}


def local_error(exc: OSError, doing: str, path: str | os.PathLike[str]) -> FerryError:
    """``local_io`` for an OSError met while ``doing`` something to ``path``:
    ``cannot read 'x.txt': Permission denied``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return FerryError(LOCAL_IO, f"cannot {doing} {quoted(os.fspath(path))}: {reason}")


def interrupted() -> FerryError:
    return FerryError(INTERRUPTED, "stopped by Ctrl+C")


def about(name: str, error: FerryError) -> FerryError:
    """``error`` with a message that names the file it concerns, so that each line
    of a many-file command says which file failed. Messages that already quote
    the name (the server's do) are left alone."""
    if quoted(name) in error.message:
        return error
    return FerryError(error.code, f"{quoted(name)}: {error.message}")


def error_line(error: FerryError) -> str:
    """The one line shown for ``error``. The code and message may come from a
    server, so both are escaped: they cannot move the cursor or span lines."""
    remedy = _REMEDIES.get(str(error.code))
    message = f"{error.message}: {remedy}" if remedy else error.message
    return f"error: {escape_text(str(error.code))}: {escape_text(message)}"


def report(error: FerryError, stream: TextIO) -> None:
    stream.write(error_line(error) + "\n")
    stream.flush()
