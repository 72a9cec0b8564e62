"""Take docs/screenshot.png: the app with folders, files and transfers, under Xvfb.

    .venv/bin/python tools/gui_screenshot.py [OUTPUT] [--dpi 192]

With ``--dpi`` the private Xvfb has that many dots per inch and the window is
as much larger (docs/screenshot-hidpi.png is taken with ``--dpi 192``).

Starts a private Xvfb (unless DISPLAY is set), a real server on a temporary
library with sample folders and files, and the app; downloads a folder and a
file, uploads one, leaves
a large download half way (the server's workers are paused with SIGSTOP for
the picture) and one queued, selects an image for the preview, then captures
the screen with Pillow's ``ImageGrab`` (X11 through XCB: no ImageMagick needed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WIDTH, HEIGHT = 1180, 720
#: Folders at the top of the list, and what is in them.
FOLDERS = {
    "Photos 2026": ["beach.jpg", "snow.jpg", "city.png"],
    "Projects": ["plan.md", "ferry.py", "budget.ods"],
    "Music": ["track 01.flac", "track 02.flac"],
}


def pump(root, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out while preparing the screenshot: {condition.__code__.co_firstlineno}")
        root.update()
        time.sleep(0.01)


def sample_library(library: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (18, 96, 140))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.ellipse((100 * i - 200, 500 - 20 * i, 100 * i + 300, 1000), fill=(30 + 15 * i, 140, 170 - 5 * i))
    draw.ellipse((850, 120, 1000, 270), fill=(255, 214, 90))
    image.save(library / "harbour at dusk.jpg", quality=90)
    sizes = {
        "Q3 report {final}.pdf": 2_400_000,
        "team photo.png": 0,
        "meeting notes.txt": 14_000,
        "backup-2026-11.tar.gz": 380_000_000,
        "budget.xlsx": 96_000,
        "intro.mp4": 64_000_000,
        "podcast episode 12.mp3": 41_000_000,
        "setup.sh": 3_100,
        "README.md": 5_200,
        "data export.csv": 1_800_000,
    }
    for name, size in sizes.items():
        with open(library / name, "wb") as f:
            f.write(os.urandom(min(size, 4096)))
            f.truncate(size)
    Image.new("RGB", (640, 480), (200, 120, 60)).save(library / "team photo.png")
    for folder, files in FOLDERS.items():
        (library / folder).mkdir()
        for name in files:
            (library / folder / name).write_bytes(os.urandom(30_000))
    now = time.time()
    for i, path in enumerate(sorted(library.iterdir())):
        os.utime(path, (now - i * 86_400 * 3.3, now - i * 86_400 * 3.3))


def main() -> int:
    parser = argparse.ArgumentParser(description="Take a screenshot of the app under Xvfb.")
    parser.add_argument("output", nargs="?", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--dpi", type=int, default=96, help="the private Xvfb's dots per inch (the window grows with it)")
    args = parser.parse_args()
    output, scale = args.output, args.dpi / 96
    width, height = round(WIDTH * scale), round(HEIGHT * scale)
    xvfb = None
    if not os.environ.get("DISPLAY"):
        display = ":87"
        screen = ["-screen", "0", f"{width}x{height}x24", "-dpi", str(args.dpi)]
        xvfb = subprocess.Popen(["Xvfb", display, *screen, "-nolisten", "tcp"])
        os.environ["DISPLAY"] = display
        time.sleep(1.0)
    work = Path(tempfile.mkdtemp(prefix="ferry-shot-"))
    server = None
    workers: list[int] = []
    try:
        from ferry_files.gui_client import os_dialogs
        from ferry_files.gui_client.app import create_root
        from ferry_files.gui_client.main_window import MainWindow
        from ferry_files.gui_client.transfers import State
        from PIL import ImageGrab

        from tests.server_process import ServerProcess

        library, downloads, outbox = work / "library", work / "Downloads", work / "outbox"
        for folder in (library, downloads, outbox):
            folder.mkdir()
        sample_library(library)
        (outbox / "holiday plans.docx").write_bytes(os.urandom(250_000))
        os.environ["HOME"] = str(work)  # the toolbar then shows "~/Downloads", not a temp path
        settings = work / "gui.json"
        settings.write_text(json.dumps({"download_dir": str(downloads)}))
        server = ServerProcess(library, "--workers", "2").start()

        root, dnd = create_root()
        window = MainWindow(root, settings, dnd)
        root.geometry(f"{width}x{height}+0+0")
        window.connect_bar.host.set(server.host)
        window.connect_bar.port.set(str(server.port))
        window.connect_bar.button.invoke()
        pump(root, lambda: len(window.file_view.visible_names()) == 11 + len(FOLDERS))

        def state_of(name):
            panel = window.transfers_panel
            view = next((v for i in panel.shown_ids() if (v := panel.view_of(i)).name == name), None)
            return view.state if view else None

        window.file_view.select_names(["Projects", "meeting notes.txt"])
        window.download_selected()
        pump(root, lambda: state_of("meeting notes.txt") is State.DONE and state_of("Projects/") is State.DONE)
        os_dialogs.ask_open_files = lambda parent, initial_dir=None: [str(outbox / "holiday plans.docx")]
        window.upload_from_picker()
        pump(root, lambda: state_of("holiday plans.docx") is State.DONE)
        # A refused upload, as a failed row with its reason and Retry:
        (outbox / "README.md").write_bytes(b"# my own readme\n")
        window.controller.transfers.upload(window.controller.server, outbox / "README.md", "README.md", overwrite=False)
        pump(root, lambda: state_of("README.md") is State.FAILED)
        window.controller.set_max_parallel(1)
        window.file_view.select_names(["harbour at dusk.jpg"])
        pump(root, lambda: window.file_view._photo is not None)
        window.controller.download(["backup-2026-11.tar.gz", "intro.mp4"])
        pump(root, lambda: any(p.stat().st_size > 40_000_000 for p in downloads.glob(".ferry-*.part")), timeout=60)
        workers = server.children()
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        window.transfers_panel.parallel.set(1)
        # Two file rows fewer, two transfer rows more: the folder row and the running one both in view.
        window.panes.sashpos(0, window.panes.sashpos(0) - 2 * window.transfers_panel.row_height)
        end = time.monotonic() + 0.4
        pump(root, lambda: time.monotonic() > end)
        output.parent.mkdir(parents=True, exist_ok=True)
        ImageGrab.grab(bbox=(0, 0, width, height), xdisplay=os.environ["DISPLAY"]).save(output)
        print(f"wrote {output}")
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
        workers = []
        window.close()
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
        if server is not None:
            server.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
