"""``python -m ferry_files.server``, the same as ``ferry-server`` and ``run_server.py``."""

import sys

from .command import main

sys.exit(main())
