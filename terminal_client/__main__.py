"""``python3 -m ferry_files.terminal_client``, the same as ``run_client.py``."""

import sys

from .cli import main

sys.exit(main())
