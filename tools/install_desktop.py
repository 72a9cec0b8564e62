"""Put Ferry in the desktop's application menu for the current user.

    make install-desktop          (or: python3 tools/install_desktop.py [--uninstall] [--python PY])

The checkout's way to gui_client/desktop_entry.py; an installed Ferry does the
same with ``ferry-gui --install-desktop``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ferry_files.gui_client.desktop_entry import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
