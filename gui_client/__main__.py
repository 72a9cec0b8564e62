"""``python -m ferry_files.gui_client``, the same as ``ferry-gui`` and ``run_gui.py``."""

import sys

from .app import main

sys.exit(main())
