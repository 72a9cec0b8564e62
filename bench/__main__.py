"""``python -m bench [--quick] [--only SECTION ...]``: run the suite, print the
table, write the JSON to bench/results/."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

from . import bulk, exactness, growth, idle, smallops, trees, web
from .files import Workspace
from .plan import FULL, QUICK
from .report import Results, git_commit, render, write_json
from .targets import evaluate

#: In this order: the list section creates and deletes folders of up to 100,000
#: files, and what ext4 does after that deletion halved the small-operation
#: figures of the worker section when it came next (331 against 670 cycles/s).
SECTIONS = {
    "download": bulk.downloads,
    "upload": bulk.uploads,
    "http": web.http,
    "small": smallops.smallops,
    "tree": trees.trees,
    "workers": growth.workers,
    "parallel": growth.parallel,
    "idle": idle.idle,
    "list": growth.list_latency,
    "treelist": growth.tree_list_latency,
    "exactness": exactness.exactness,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller files and fewer rounds: about a minute")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, metavar="SECTION", help=f"run only these: {', '.join(SECTIONS)}")
    parser.add_argument("--markdown", metavar="JSON", help="print a saved run's table as Markdown (for docs/performance.md) and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        print(json.loads(Path(args.markdown).read_text())["markdown"])
        return 0
    plan = QUICK if args.quick else FULL
    results = Results(plan.name)
    failed = []
    with Workspace() as ws:
        print(f"Ferry benchmark ({plan.name}) of {git_commit()}; load average {os.getloadavg()[0]:.2f}; scratch {ws.root}", flush=True)
        for name, section in SECTIONS.items():
            if args.only and name not in args.only:
                continue
            t0 = time.monotonic()
            print(f"[{name}]", flush=True)
            try:
                section(plan, ws, results)
            except Exception:
                traceback.print_exc()
                failed.append(name)
                results.skip(f"section {name}", "failed (traceback above)")
            print(f"  ({time.monotonic() - t0:.1f}s)", flush=True)
    checks = evaluate(results)
    print()
    print(render(results, checks))
    print(
        f"load average at the end: {os.getloadavg()[0]:.2f} (other work on this machine makes absolute figures noisy;"
        " the ratios are within one run)"
    )
    path = write_json(results, checks)
    missed = [c for c in checks if c.met is False]
    print(f"\n{len(checks) - len(missed)} of {len(checks)} targets met; results in {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
