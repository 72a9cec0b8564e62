"""Lists checked while a busy team changes the folder (issue 10, item 1), the long
form of tests/test_list_exactness.py: uploads through Ferry, creates, renames and
deletes by another process, a file grown in place, three listers, for longer and
at up to 100,000 files. The figure is the number of wrong lists; the target is 0.
"""

from __future__ import annotations

import shutil

from tests.list_stress import ListStress, StressPlan

from .ferry import FerryServer
from .files import Workspace
from .plan import Plan
from .report import Results
from .stats import Figure, Sample


def exactness(plan: Plan, ws: Workspace, results: Results) -> None:
    for stable in plan.exactness_sizes:
        folder = ws.folder(f"exactness-{stable}")
        server = FerryServer(folder).start()
        try:
            load = StressPlan(stable, plan.exactness_seconds, listers=3, uploaders=2)
            report = ListStress(server.connect, folder, load, ws.folder("exactness-src")).run()
        finally:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
        label = (
            f"wrong lists among {report.lists:,} with {stable:,} untouched files"
            f" ({report.uploads:,} uploads, {report.churned:,} renames by another process, {len(report.errors)} client errors)"
        )
        extra = {"lists": report.lists, "kinds": dict(report.kinds), "described": report.described, "errors": report.errors[:5]}
        wrong = Sample(report.violations)
        results.add(Figure(f"exactness.n{stable}.wrong", "list exactness", label, "lists", [wrong], higher_is_better=False, extra=extra))
        print(f"  {stable} files: {report.violations} wrong of {report.lists} lists {dict(report.kinds) or ''}", flush=True)
        for text in report.described[:5] + report.errors[:5]:
            print(f"    {text}", flush=True)
