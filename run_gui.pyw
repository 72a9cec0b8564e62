"""Ferry's desktop app for a double-click on Windows: ``.pyw`` files open with
pythonw, so no console window appears. The app itself is run_gui.py."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().with_name("run_gui.py")), run_name="__main__")
