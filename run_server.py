#!/usr/bin/env python3
"""Start the Ferry server: ``python3 run_server.py --help``. Needs only the standard library."""

import sys

if sys.version_info < (3, 10):  # noqa: UP036 - a readable message instead of a SyntaxError on old Pythons
    sys.exit("Ferry needs Python 3.10 or newer")

from ferry_files.server.command import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
