from __future__ import annotations

import time

from ferry_files.gui_client.file_kinds import KINDS, kind_of
from ferry_files.gui_client.file_list import FileList, Summary, prepare
from ferry_files.shared.client import RemoteFile, RemoteFolder


def model(*files: tuple[str, int, float]) -> FileList:
    m = FileList()
    m.replace([RemoteFile(*f) for f in files])
    return m


def names(m: FileList) -> list[str]:
    return m.names(m.visible)


def test_sorts_by_name_case_insensitively_then_by_other_columns():
    m = model(("b", 5, 3.0), ("A", 50, 1.0), ("c", 1, 2.0))
    assert names(m) == ["A", "b", "c"]
    m.sort_by("name")
    assert names(m) == ["c", "b", "A"] and m.descending
    m.sort_by("size")
    assert names(m) == ["A", "b", "c"]  # largest first
    m.sort_by("size")
    assert names(m) == ["c", "b", "A"]
    m.sort_by("mtime")
    assert names(m) == ["b", "c", "A"]  # newest first


def test_filter_is_case_insensitive_and_survives_sorting_and_new_listings():
    m = model(("Report.PDF", 1, 0.0), ("notes.txt", 1, 0.0), ("report-old.pdf", 1, 0.0))
    m.set_filter("  REPORT ")
    assert names(m) == ["report-old.pdf", "Report.PDF"]  # "-" sorts before "."
    m.sort_by("name")
    assert names(m) == ["Report.PDF", "report-old.pdf"]
    m.replace([RemoteFile("reportage", 1, 0.0), RemoteFile("x", 1, 0.0)])
    assert names(m) == ["reportage"]
    assert m.summary().shown == 1 and m.summary().total == 2


def test_summary_find_and_has():
    m = model(("a", 10, 0.0), ("b", 32, 0.0))
    assert m.summary().total_size == 42
    assert m.find("b").size == 32 and m.find("zz") is None
    assert m.has("a") and not m.has("A")


def test_prepare_formats_rows_and_is_fast_for_100000_files():
    files = [RemoteFile(f"f{i}.jpg", i, 1_700_000_000.0 + i) for i in range(100_000)]
    start = time.process_time()
    listing = prepare(files)
    m = FileList()
    m.replace(listing)
    m.set_filter("99")
    assert time.process_time() - start < 2.0
    assert listing.kinds[0] == "image" and listing.sizes[2048] == "2.0 KiB"


def test_folders_come_first_in_every_sort_order_and_are_counted_apart():
    m = FileList()
    m.replace(
        prepare([RemoteFile("b.txt", 50, 3.0), RemoteFolder("zeta", 1.0), RemoteFile("A.txt", 5, 1.0), RemoteFolder("Alpha", 9.0)], "docs")
    )
    assert m.path == "docs"
    assert names(m) == ["Alpha", "zeta", "A.txt", "b.txt"]
    m.sort_by("name")
    assert names(m) == ["zeta", "Alpha", "b.txt", "A.txt"]
    m.sort_by("size")  # largest first; folders (no size) by name
    assert names(m) == ["zeta", "Alpha", "b.txt", "A.txt"]
    m.sort_by("mtime")
    assert names(m) == ["Alpha", "zeta", "b.txt", "A.txt"]
    assert m.is_folder("zeta") and not m.is_folder("b.txt") and not m.is_folder("missing")
    assert m.summary() == Summary(4, 4, 55, 2)
    assert m.listing.kinds[m.listing.files.index(RemoteFolder("zeta", 1.0))] == "folder"
    assert m.listing.sizes[1] == ""


def test_prepare_makes_the_rows_of_the_default_order_on_the_worker():
    """With the icons' image names, ``prepare`` builds the rows the view inserts
    (row id, escaped name, icon, size, time) in the order a new listing is shown:
    folders first, by folded name, exactly the model's own name order."""
    entries = [
        RemoteFile("b.JPG", 2048, 60.0),
        RemoteFolder("zeta", 1.0),
        RemoteFile("jpg", 1, 1.0),  # no extension: a plain file, whatever its name
        RemoteFile("a.tar.gz", 5, 1.0),
        RemoteFile("rtl\u202etxt.exe", 7, 1.0),
        RemoteFile("A", 0, 1.0),
        RemoteFolder("Alpha", 9.0),
    ]
    icons = {kind: f"icon-{kind}" for kind in KINDS}
    listing = prepare(entries, "docs", icons)
    m = FileList()
    m.replace(listing)
    assert names(m) == ["Alpha", "zeta", "A", "a.tar.gz", "b.JPG", "jpg", "rtl\u202etxt.exe"]
    assert m.visible == listing.name_order
    rows = [listing.rows[i : i + 5] for i in range(0, len(listing.rows), 5)]
    assert [row[0] for row in rows] == [str(i) for i in listing.name_order]
    by_name = {entries[int(row[0])].name: row[1:] for row in rows}
    assert by_name["b.JPG"] == ("b.JPG", "icon-image", "2.0 KiB", listing.times[0])
    assert by_name["jpg"][1] == "icon-file" and by_name["a.tar.gz"][1] == "icon-archive"
    assert by_name["zeta"][1:3] == ("icon-folder", "")
    assert by_name["rtl\u202etxt.exe"][0] == "rtl\\u202etxt.exe"  # escaped, as every row shows a name
    assert [listing.kinds[i] for i in range(len(entries))] == ["folder" if type(e) is RemoteFolder else kind_of(e.name) for e in entries]
    assert m.summary() == Summary(7, 7, 2061, 2)
    assert prepare(entries).rows == ()  # without icon names the view builds them
