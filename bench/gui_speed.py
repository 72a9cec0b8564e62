"""The desktop app's speed, measured (not asserted): ``make bench-gui``.

1. A 1 GiB download through the window against the client library alone. The
   app's own cost is the progress path: worker callbacks, throttled reports, the
   bridge and the progress bar. With the same work on both sides (the library's
   ``get`` without verification, as the terminal client calls it, and the app
   with ``verify_downloads`` off); target: at least 0.9. Best of two interleaved
   runs each, because other processes share the machine.
2. 100,000 files: what the window adds to the library's own ``list`` time
   (target: shown within 1.5 s), and the Tk thread's longest turn after a
   filter keystroke, the keystroke's own or one of the reorder's later chunks
   (target: under 100 ms).
3. 20,000 small files in one batch through the window against the library's
   pipelined ``get_tree`` (target: at least 0.8 of its files/s), the Tk thread
   never blocked more than 100 ms, the memory a batch adds.

It drives the real app under Xvfb with the GUI tests' fixtures, so it runs
through pytest: ``pytest -p tests.conftest -p tests.gui.conftest bench/gui_speed.py -s``.
"""

from __future__ import annotations

import _tkinter
import contextlib
import gc
import itertools
import os
import shutil
import time
from collections.abc import Iterator

import pytest
from ferry_files.gui_client.transfers import State
from ferry_files.shared.client import FerryClient

from tests.gui.conftest import sparse_file

pytestmark = [pytest.mark.gui]

GIB = 1 << 30


def test_a_gigabyte_through_the_app_is_at_least_90_percent_of_the_library_speed(app, server, library, downloads, tmp_path):
    sparse_file(library / "gig.bin", GIB)
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    app.window.controller.transfers.verify = False
    app.connect(server)
    app.wait_for_names({"gig.bin"})

    def library_alone() -> float:
        with FerryClient.connect(*server.address) as client:
            start = time.monotonic()
            client.get("gig.bin", plain_dir, progress=lambda done, total: None)
            elapsed = time.monotonic() - start
        (plain_dir / "gig.bin").unlink()
        return elapsed

    def through_the_app() -> float:
        app.window.transfers_panel.clear_button.invoke()
        app.select("gig.bin")
        start = time.monotonic()
        app.window.download_button.invoke()
        app.wait_for_state("gig.bin", State.DONE, timeout=120)
        elapsed = time.monotonic() - start
        (downloads / "gig.bin").unlink()
        return elapsed

    plain, in_app = [], []
    for _ in range(2):  # interleaved, so both see the same disk write-back and load
        plain.append(library_alone())
        in_app.append(through_the_app())
    plain, in_app = min(plain), min(in_app)
    speeds = f"library {GIB / plain / 1e6:.0f} MB/s, app {GIB / in_app / 1e6:.0f} MB/s"
    print(f"\n1 GiB download: {speeds}, ratio {plain / in_app:.2f} (target >= 0.9)")


def test_100000_files_shown_and_filtered(app, memory_library, server_factory):
    library = memory_library
    for i in range(100_000):
        open(library / f"file-{i:06d}.dat", "wb").close()
    server = server_factory("--workers", "2", root=library)
    tree = app.window.file_view.tree

    def library_alone() -> float:
        """The same request through the client library alone: the server's and
        the library's share of the time, which the window cannot shorten."""
        with FerryClient.connect(*server.address) as client:
            start = time.monotonic()
            client.list()
            return time.monotonic() - start

    def shown_within(action, expected: int) -> float:
        model = app.window.controller.files
        old = model.listing
        start = time.monotonic()
        action()
        app.pump_until(lambda: model.listing is not old and len(tree.get_children("")) == expected, timeout=60, what="the listing")
        app.root.update_idletasks()  # the rows are drawn
        return time.monotonic() - start

    base = library_alone()
    first = shown_within(lambda: app.connect(server), 100_000)
    print(f"\n100,000 files: library alone {base:.2f} s, window {first:.2f} s (target: shown within 1.5 s)")
    open(library / "one-more.dat", "wb").close()  # a changed listing is shown again in full
    base = library_alone()
    again = shown_within(app.window.refresh_button.invoke, 100_001)
    print(f"after a change: library alone {base:.2f} s, window {again:.2f} s")

    costs = [filter_keystroke(app, text) for text in ("9", "99", "999", "9999", "99999")]
    assert app.shown_names() == ["file-099999.dat"]
    costs += [filter_keystroke(app, text) for text in ("9999", "999", "99", "9", "")]
    assert len(tree.get_children("")) == 100_001
    worst, complete = max(turn for turn, _ in costs), max(wall for _, wall in costs)
    print(f"filter keystroke: longest Tk turn {worst * 1000:.0f} ms of CPU, all rows in {complete * 1000:.0f} ms (target < 100 ms)")


def test_100000_files_in_a_folder_opened_and_filtered(app, memory_library, server_factory):
    """Issue 13's targets with folders: 100,000 files in one server folder shown
    in under 1.5 s after opening it (the 1.1 listing with ``folders``), a filter
    keystroke under 100 ms of Tk-thread CPU. Measured, not asserted."""
    big = memory_library / "big"
    big.mkdir()
    for i in range(20):
        (big / f"sub-{i:02d}").mkdir()
    for i in range(100_000):
        open(big / f"file-{i:06d}.dat", "wb").close()
    server = server_factory("--workers", "2", root=memory_library)
    tree = app.window.file_view.tree
    app.connect(server)
    app.wait_for_names({"big"})
    rows = 100_020
    model = app.window.controller.files

    def library_alone() -> float:
        with FerryClient.connect(*server.address) as client:
            start = time.monotonic()
            client.list("big", folders=True)
            return time.monotonic() - start

    def opened() -> float:
        start = time.monotonic()
        app.window.controller.go_to("big")
        app.pump_until(lambda: model.path == "big" and len(tree.get_children("")) == rows, timeout=60, what="the folder")
        app.root.update_idletasks()
        elapsed = time.monotonic() - start
        app.window.controller.go_to("")
        app.pump_until(lambda: model.path == "", timeout=60, what="the root again")
        return elapsed

    base = library_alone()
    shown = min(opened() for _ in range(2))
    print(f"\n100,000 files in a folder: library alone {base:.2f} s, opened in the window {shown:.2f} s (target < 1.5 s)")
    app.window.controller.go_to("big")
    app.pump_until(lambda: len(tree.get_children("")) == rows, timeout=60, what="the folder")

    texts = ("9", "99", "999", "9999", "99999", "9999", "999", "99", "9", "")
    with collections_timed() as collections:
        costs = [filter_keystroke(app, text) for text in texts]
    assert len(tree.get_children("")) == rows
    turns = sorted(turn for turn, _ in costs)
    worst, median = turns[-1] * 1000, turns[5] * 1000
    print(f"filter keystroke in the folder: longest Tk turn {worst:.0f} ms, median {median:.0f} ms of CPU (target < 100 ms)")
    each = ", ".join(f"{text or '(empty)'} {turn * 1000:.0f}/{wall * 1000:.0f}" for text, (turn, wall) in zip(texts, costs, strict=True))
    print(f"  each keystroke (longest turn/list complete, ms): {each}; garbage collections meanwhile: {collections or 'none'}")


def filter_keystroke(app, text: str) -> tuple[float, float]:
    """Type ``text`` into the filter and run the Tk loop until every row is in
    place: (the longest Tk-thread CPU time of one turn, the keystroke's own or one
    of the reorder's later chunks; the wall time until the list is complete)."""
    wall, cpu = time.monotonic(), time.thread_time()
    app.window.filter_text.set(text)
    app.root.update_idletasks()
    longest = time.thread_time() - cpu
    order, deadline = app.window.file_view.order, time.monotonic() + 30
    while order.pending and time.monotonic() < deadline:
        cpu = time.thread_time()
        # One event, as mainloop takes them (update() would run every chunk that
        # falls due meanwhile in one call, which the running app never does).
        if not app.root.tk.dooneevent(_tkinter.DONT_WAIT):
            time.sleep(0.0005)
            continue
        longest = max(longest, time.thread_time() - cpu)
    assert not order.pending
    cpu = time.thread_time()
    app.root.update_idletasks()  # the last chunk drawn
    return max(longest, time.thread_time() - cpu), time.monotonic() - wall


@contextlib.contextmanager
def collections_timed() -> Iterator[list[str]]:
    """The garbage collections run meanwhile, as "generation: ms" texts: a full
    one lands in whichever keystroke allocated last and is not the filter's cost."""
    found: list[str] = []
    started = [0.0]

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            found.append(f"gen {info['generation']}: {(time.perf_counter() - started[0]) * 1000:.0f} ms")

    gc.callbacks.append(note)
    try:
        yield found
    finally:
        gc.callbacks.remove(note)


def test_20000_files_through_the_app_against_the_librarys_get_tree(app, memory_library, server_factory, request):
    """3. A 20,000-file batch: select all + Download in the window against the
    library's pipelined ``get_tree`` of the same folder (target: at least 0.8 of
    its files/s), with a 10 ms timer probing the Tk thread (target: never
    blocked more than 100 ms) and the app's resident memory before and after.
    The app runs as shipped (each download verified against the server's
    sha256: one ``stat`` more per file) and with the same work as ``get_tree``
    (``verify_downloads`` off). Best of three interleaved runs each, after one
    ``get_tree`` that is not counted: on this 2-core VM a run of either side now
    and then took a quarter more CPU on both ends at once (the server's and the
    client's), which two rounds did not always leave out."""
    count = 20_000
    library = memory_library
    for i in range(count):
        (library / f"f{i:05d}.bin").write_bytes(os.urandom(64 + i % 2048))
    server = server_factory("--workers", "2", root=library)
    # Both sides save into RAM when there is /dev/shm: on this machine's disk
    # (ext4 mounted with discard) making 20,000 files cost 2.3 to 11 s for the
    # same get_tree minutes apart, which drowned what the app itself adds.
    scratch = memory_library.parent / f"{memory_library.name}-out"
    downloads, plain_dir = scratch / "app", scratch / "plain"
    downloads.mkdir(parents=True)
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    app.window.controller.set_download_dir(str(downloads))
    app.connect(server)
    tree = app.window.file_view.tree
    app.pump_until(lambda: len(tree.get_children("")) == count, timeout=120, what="the listing")
    names = app.shown_names()
    queue = app.window.controller.transfers

    def library_alone() -> float:
        with FerryClient.connect(*server.address) as client:
            start = time.monotonic()
            report = client.get_tree("", plain_dir)
            elapsed = time.monotonic() - start
        assert len(report.done) == count
        shutil.rmtree(plain_dir)
        os.sync()  # the next run does not pay for these deletions
        return elapsed

    def through_the_app(verify: bool) -> tuple[float, list[tuple[float, float]], int]:
        """Seconds, the Tk thread's three longest gaps (gap, seconds after the click), memory added."""
        queue.verify = verify
        cleared = time.monotonic()
        app.window.transfers_panel.clear_button.invoke()  # the previous batch's rows: one full collection (heap.thaw)
        clears.append(time.monotonic() - cleared)
        app.select(*names)
        ticks: list[float] = []
        after_id = [""]

        def tick() -> None:
            ticks.append(time.monotonic())
            after_id[0] = app.root.after(10, tick)

        before = resident_bytes()
        tick()
        start = time.monotonic()
        app.window.download_button.invoke()
        app.pump_until(lambda: (s := queue.summary()).files_done == count and s.running + s.queued == 0, timeout=600, what="the batch")
        elapsed = time.monotonic() - start
        app.root.after_cancel(after_id[0])
        growth = resident_bytes() - before
        assert sum(1 for _ in downloads.iterdir()) == count
        # A new folder, as get_tree gets: on ext4, files made in a folder that
        # just lost 20,000 others took up to twice as long as in a new one.
        shutil.rmtree(downloads)
        downloads.mkdir()
        os.sync()
        gaps = sorted((b - a, a - start) for a, b in itertools.pairwise(ticks))[-3:]
        return elapsed, gaps, growth

    plain: list[float] = []
    clears: list[float] = []
    runs: dict[bool, list[tuple[float, list[tuple[float, float]], int]]] = {True: [], False: []}
    # Each run writes 20,000 files on the test's disk, and on ext4 here the
    # kernel's share of making a file grew after the first such run (a worker's
    # system CPU 3.3 s, then 7.9 and 8.6 s for the same batch): one run that is
    # not counted first, then rounds in alternating orders, so that no side
    # always runs first.
    library_alone()
    for round_number in range(3):  # interleaved, so all see the same load
        steps = [(plain, library_alone), (runs[True], lambda: through_the_app(True)), (runs[False], lambda: through_the_app(False))]
        for results, run in steps if round_number % 2 == 0 else reversed(steps):
            results.append(run())
    best_plain = min(plain)
    print(f"\n20,000 files: library get_tree {count / best_plain:.0f} files/s (best of {plain})")
    for verify, label in ((True, "app as shipped (verified)"), (False, "app, verify off (get_tree's work)")):
        best = min(elapsed for elapsed, _, _ in runs[verify])
        gaps = ", ".join(f"{g * 1000:.0f} ms at {at:.1f} s" for _, run_gaps, _ in runs[verify] for g, at in reversed(run_gaps))
        growth = max(m for _, _, m in runs[verify]) / 1e6
        print(
            f"  {label}: {count / best:.0f} files/s, ratio {best_plain / best:.2f} (target >= 0.8); "
            f"longest Tk-thread gaps {gaps} (target <= 100 ms); resident memory +{growth:.0f} MB per batch"
        )
    print(f"  Clear finished of a batch (before the next): {', '.join(f'{c * 1000:.0f}' for c in clears)} ms")


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
