"""A stand-in for the desktop's file manager: a separate process with a Tk
window that drags the files named on its command line, over real X (XDND).

Started by dragging.py (test_drop.py, test_drop_highlight.py); xdotool presses, moves and releases the mouse.
It prints ``ready X Y`` (the screen point to press) and exits after the drop.

Two workarounds, both in this test tool only: tkdnd's drag source under Tk 8.6
serves ``text/uri-list`` with a format its receiver does not read, so that type
is served as ``UTF8_STRING``; and the list holds percent-encoded ``file://`` URIs,
as real file managers send them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tkinterdnd2 import COPY, DND_FILES, TkinterDnD

FORMAT_FIX = r"""
rename ::tkdnd::xdnd::getFormatForType ::tkdnd::xdnd::_ferry_original_getFormatForType
proc ::tkdnd::xdnd::getFormatForType {type} {
    if {[string match -nocase text/uri-list* $type]} { return UTF8_STRING }
    return [::tkdnd::xdnd::_ferry_original_getFormatForType $type]
}
"""


def main() -> int:
    x, y = int(sys.argv[1]), int(sys.argv[2])
    uris = tuple(Path(p).resolve().as_uri() for p in sys.argv[3:])
    root = TkinterDnD.Tk()
    root.tk.eval(FORMAT_FIX)
    root.title("Files to drag")
    root.geometry(f"160x100+{x}+{y}")
    label = root.Label = __import__("tkinter").Label(root, text="drag me", bg="#ffd", width=20, height=5)
    label.pack(fill="both", expand=True)
    label.drag_source_register(1, DND_FILES)
    label.dnd_bind("<<DragInitCmd>>", lambda event: (COPY, DND_FILES, uris))
    label.dnd_bind("<<DragEndCmd>>", lambda event: root.after(200, root.destroy))
    root.after(30_000, root.destroy)  # never outlive a broken test

    def announce() -> None:
        root.update_idletasks()
        print(f"ready {label.winfo_rootx() + 40} {label.winfo_rooty() + 40}", flush=True)

    root.after(300, announce)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
