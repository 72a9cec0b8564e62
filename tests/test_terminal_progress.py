"""The progress bar (terminal_client/progress.py): frames that fit the terminal,
and redraws throttled by a clock the test controls."""

from __future__ import annotations

import io

import pytest
from ferry_files.terminal_client.formatting import display_width
from ferry_files.terminal_client.progress import REDRAW_INTERVAL, ProgressBar, render


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def frames(stream: io.StringIO) -> list[str]:
    return [frame for frame in stream.getvalue().split("\r") if frame]


@pytest.mark.parametrize("width", [20, 40, 60, 80, 200])
@pytest.mark.parametrize(("done", "total"), [(0, 0), (0, 10), (5, 10), (10, 10), (123_456_789, 987_654_321)])
def test_every_frame_is_one_column_narrower_than_the_terminal(width, done, total):
    frame = render("some-file.iso", done, total, 3.0, width)
    assert len(frame) == width - 1


def test_a_frame_shows_name_bar_percent_amount_rate_and_eta():
    frame = render("a.bin", 512 * 1024, 1024 * 1024, 2.0, 80)
    assert frame.startswith("a.bin  [")
    assert frame.rstrip().endswith("]  50%  512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02")
    bar = frame[frame.index("[") + 1 : frame.index("]")]
    assert bar.count("#") == len(bar) // 2 and set(bar) == {"#", "."}


def test_the_final_frame_shows_total_rate_and_time():
    frame = render("a.bin", 10 * 1024 * 1024, 10 * 1024 * 1024, 125.0, 100, finished=True)
    assert frame.rstrip().endswith("] 100%  10.0 MiB  81.9 KiB/s in 2:05")


def test_a_narrow_terminal_drops_the_bar_and_then_cuts_the_line():
    frame = render("a.bin", 5, 10, 1.0, 30)
    assert "[" not in frame and frame.startswith("a.bin  50%")
    assert render("a-very-long-name.bin", 5, 10, 1.0, 12) == "a-very-lon~"


def test_long_and_wide_labels_are_cut_to_their_display_width():
    frame = render("x" * 100, 1, 2, 1.0, 120)
    assert frame.startswith("x" * 39 + "~  [")
    wide = render("日本語" * 20, 1, 2, 1.0, 120)
    assert wide.startswith("日本語" * 6 + "日~  [")  # 39 columns and the mark
    assert display_width(wide) == 119


def test_a_label_cannot_drive_the_terminal():
    assert render("evil\x1b[2J\x9b", 1, 2, 1.0, 80).startswith("evil\\x1b[2J\\x9b  [")


def test_redraws_are_throttled_but_the_first_and_last_always_drawn():
    clock, stream = FakeClock(), io.StringIO()
    bar = ProgressBar(stream, "f", width=40, clock=clock)
    total = 10_000
    for done in range(0, total + 1):  # one call per byte, all at the same instant
        bar(done, total)
    assert bar.redraws == 2
    assert [frame.split()[2] for frame in frames(stream)] == ["0%", "100%"]


def test_redraws_follow_the_clock():
    clock, stream = FakeClock(), io.StringIO()
    bar = ProgressBar(stream, "f", width=40, clock=clock)
    step = REDRAW_INTERVAL / 4
    for i in range(41):  # 40 steps: ten redraw intervals
        bar(i, 100)
        clock.now += step
    assert bar.redraws == 11


def test_finish_keeps_the_final_line_and_clear_erases_the_bar():
    clock, stream = FakeClock(), io.StringIO()
    with ProgressBar(stream, "done.txt", width=40, clock=clock) as bar:
        bar(0, 4)
        clock.now += 1
        bar(4, 4)
    assert stream.getvalue().endswith("\n")
    assert "done.txt" in frames(stream)[-1] and "100%  4 B  4 B/s in 0:01" in frames(stream)[-1]

    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt), ProgressBar(stream, "cut.txt", width=40, clock=clock) as bar:
        bar(1, 4)
        raise KeyboardInterrupt
    assert stream.getvalue().endswith("\r" + " " * 39 + "\r")


def test_nothing_is_erased_when_nothing_was_drawn():
    stream = io.StringIO()
    with pytest.raises(RuntimeError), ProgressBar(stream, "x", width=40):
        raise RuntimeError
    assert stream.getvalue() == ""


def test_a_tree_is_one_line_with_files_bytes_speed_and_eta():
    from ferry_files.shared.tree_transfer import TreeProgress

    clock, stream = FakeClock(), io.StringIO()
    with ProgressBar(stream, "photos", width=100, clock=clock) as bar:
        bar.tree(TreeProgress(0, 4, 0, 4 * 1024 * 1024))
        clock.now += 2.0
        bar.tree(TreeProgress(1, 4, 1024 * 1024, 4 * 1024 * 1024))
        clock.now += 2.0
        bar.tree(TreeProgress(4, 4, 4 * 1024 * 1024, 4 * 1024 * 1024))
    shown = frames(stream)
    assert "]  25%  1/4 files  1.0 MiB / 4.0 MiB  512.0 KiB/s  ETA 0:06" in shown[1]
    assert shown[-1].rstrip().endswith("] 100%  4/4 files  4.0 MiB  1.0 MiB/s in 0:04")


def test_a_tree_of_empty_files_is_throttled_until_its_last_file():
    from ferry_files.shared.tree_transfer import TreeProgress

    clock, stream = FakeClock(), io.StringIO()
    bar = ProgressBar(stream, "empties", width=80, clock=clock)
    for done in range(1001):  # all bytes (none) are there from the start
        bar.tree(TreeProgress(done, 1000, 0, 0))
    assert bar.redraws == 2  # the first frame and the last file's, nothing between
