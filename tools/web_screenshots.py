#!/usr/bin/env python3
"""Screenshots of the web page at phone and desktop widths, for docs/web.md:
the real server on a small sample library, headless Chromium (as the browser
tests use it). Run from the repository: ``python tools/web_screenshots.py``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser_support import DESKTOP, PHONE, entry_names, set_viewport, start_browser, until  # noqa: E402
from tests.server_process import ServerProcess  # noqa: E402

SAMPLE = {
    "Holiday 2026/beach.jpg": 2_400_000,
    "Holiday 2026/harbour at dusk.jpg": 3_100_000,
    "Invoices/2026-10.pdf": 84_000,
    "budget.xlsx": 21_000,
    "meeting notes.txt": 3_400,
    "presentation final (2).pptx": 5_800_000,
    "<img src=x onerror=alert(1)>": 10,
}


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        library = Path(temp) / "library"
        for name, size in SAMPLE.items():
            path = library / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(size))
        with ServerProcess(library, "--workers", "1", web=True) as server:
            browser = start_browser(Path(temp))
            try:
                for name, (width, height) in (("web-desktop.png", DESKTOP), ("web-phone.png", PHONE)):
                    set_viewport(browser, width, height)
                    browser.get(server.web_url)
                    until(lambda: len(entry_names(browser)) == 6)
                    browser.save_screenshot(str(REPO / "docs" / name))
                    print(f"docs/{name}")
            finally:
                browser.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
