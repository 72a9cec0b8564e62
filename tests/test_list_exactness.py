"""Every ``list`` is exact under concurrency (issue: lists that lacked untouched files).

Uploads through Ferry, creates, renames and deletes by another process, a file
grown in place by a third, and several listers at once, on both workers: every
answer is checked against what must be in it (tests/list_stress.py says how).
Before the listing cache was removed, 0.4 to 4 % of lists lacked files nobody had
touched and sizes of files changed in place were seconds old.
"""

from __future__ import annotations

import pytest
from ferry_files.shared.client import FerryClient

from tests.list_stress import FolderListStress, ListStress, StressPlan


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(StressPlan(stable=4, seconds=4.0, listers=3, uploaders=2), id="small-folder"),
        pytest.param(StressPlan(stable=3_000, seconds=5.0, listers=3, uploaders=2), id="3000-files"),
    ],
)
def test_every_list_is_exact_while_others_change_the_folder(server, library, tmp_path, plan):
    stress = ListStress(lambda: FerryClient.connect(*server.address, timeout=30), library, plan, tmp_path)
    report = stress.run()
    assert not report.errors, report.errors[:5]
    assert report.violations == 0, f"{report.violations} wrong in {report.lists} lists {dict(report.kinds)}:\n" + "\n".join(
        report.described
    )
    # The run must have raced for real, or it proves nothing.
    assert report.lists >= 20 and report.uploads >= 20 and report.churned >= 50 and report.appended >= 50, report


@pytest.mark.parametrize(
    ("recursive", "stable"),
    [(False, 400), (True, 400), (False, 1_500)],
    ids=["subfolder", "recursive", "subfolder-walk-memo"],
)
def test_every_folder_of_a_list_is_exact_while_others_change_it(server, library, tmp_path, recursive, stable):
    """The same through paths (PROTOCOL.md 7.2): a list of a subfolder, and a recursive
    list of the folder above it with folders of untouched files beside it. With
    1,500 files a walk's lines are kept for the next (listing.WalkMemo, from
    1,000): the lines it reuses are raced by every change here."""
    plan = StressPlan(stable=stable, seconds=4.0, listers=3, uploaders=2)
    report = FolderListStress(server.address, library, plan, tmp_path, recursive=recursive).run()
    assert not report.errors, report.errors[:5]
    assert report.violations == 0, f"{report.violations} wrong in {report.lists} lists {dict(report.kinds)}:\n" + "\n".join(
        report.described
    )
    assert report.lists >= 20 and report.uploads >= 20 and report.churned >= 50 and report.appended >= 50, report
