#!/usr/bin/env python3
"""Ferry's terminal client: ``python3 run_client.py --help``. Needs only the standard library."""

import os
import sys

if sys.version_info < (3, 10):  # noqa: UP036  (run with whatever python3 is installed)
    sys.exit("Ferry needs Python 3.10 or newer")

# The packages live next to this file, also when it is started through a symlink or with -I.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from ferry_files.terminal_client.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
