#!/usr/bin/env python3
"""Ferry's desktop app. Double-click it, or: python3 run_gui.py [HOST[:PORT]]

When the interpreter that runs this lacks the app's libraries (Pillow,
tkinterdnd2...) and the repo's virtual environment exists (``make setup``),
the script starts itself again with that environment's Python.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent


def _venv_python() -> Path | None:
    if os.name == "nt":
        name = "pythonw.exe" if sys.executable.lower().endswith("pythonw.exe") else "python.exe"
        candidate = REPO / ".venv" / "Scripts" / name
    else:
        candidate = REPO / ".venv" / "bin" / "python"
    return candidate if candidate.exists() else None


def _missing_libraries() -> str | None:
    try:
        import PIL  # noqa: F401
        import platformdirs  # noqa: F401
    except ImportError as exc:
        return exc.name
    return None


def _show_problem(text: str) -> None:
    try:
        import tkinter
        from tkinter import messagebox

        root = tkinter.Tk()
        root.withdraw()
        messagebox.showerror("Ferry", text)
    except Exception:
        print(text, file=sys.stderr)


def main() -> int:
    missing = _missing_libraries()
    if missing:
        venv = _venv_python()
        in_venv = Path(sys.prefix).resolve() == (REPO / ".venv").resolve()  # the venv's python is often a symlink
        if venv is not None and not in_venv and not os.environ.get("FERRY_NO_REEXEC"):
            os.environ["FERRY_NO_REEXEC"] = "1"
            os.execv(str(venv), [str(venv), str(Path(__file__).resolve()), *sys.argv[1:]])
        _show_problem(f"Ferry needs the Python library '{missing}'. Run 'make setup' in {REPO} first.")
        return 1
    sys.path.insert(0, str(REPO))
    from ferry_files.gui_client.app import main as app_main

    return app_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
