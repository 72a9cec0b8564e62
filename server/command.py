"""The server's command: ``ferry-server``, ``python -m ferry_files.server`` and
``run_server.py`` all start here.

It checks the operating system before anything else is imported, because the
modules that serve import Linux/Unix-only ones (``fcntl``, ``resource``): on a
system without them the person gets one line naming what is missing instead of
a traceback, or, worse, an error in the middle of a request.
"""

from __future__ import annotations

import sys

from .platform_support import missing_required


def main(argv: list[str] | None = None) -> int:
    problem = missing_required()
    if problem is not None:
        sys.stderr.write(f"ferry-server: {problem}\n")
        return 2
    from .main import main as serve  # only now: it imports fcntl and resource

    return serve(argv)
