"""A/B: this checkout's server (A) against another checkout's (B), interleaved
A B A B in one run, on Ferry-only workloads. For judging one change before
keeping it, on a machine too noisy for two separate runs to be compared:

    .venv/bin/python -m bench.ab /tmp/ferry-patched small1 small100 upload list1000 --rounds 5 -- --no-fsync

Workloads: ``smallN`` (N clients, small-operation cycles spoken on bare sockets: wire.py), ``upload`` (256 MiB put,
sha256 sent), ``download`` (256 MiB get to a sink), ``listN`` (list of N files
after a change), ``treeN`` (``put_tree`` of N files of 16 KiB in folders of 100,
the client library's, into a new folder every round). Arguments after ``--`` go to both servers. Prints medians with
min..max, and the server's CPU per cycle or per GiB.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import time
from pathlib import Path

from .ferry import REPO, FerryServer, file_sha256, probe_list, probe_put, unlink_quietly
from .files import SMALL_NAME, Workspace, make_empty_files, make_file
from .plan import MiB
from .procs import self_cpu, tree_cpu
from .smallops import run_load
from .stats import percentile
from .trees import make_tree

BULK = 256 * MiB
SMALL_SECONDS = 2.0


def _one(workload: str, server: FerryServer, ws: Workspace) -> dict[str, float]:
    if workload.startswith("small"):
        sample, latencies, _, errors = run_load(
            "ferry.wire", server.port, server.pid, ws.root / "local.bin", int(workload[5:]), SMALL_SECONDS
        )
        return {
            "cycles/s": sample.value,
            "server CPU ms/cycle": 1000 * (sample.server_cores or 0) / max(sample.value, 1e-9),
            "p50 ms": percentile(latencies, 50) * 1000,
            "p99 ms": percentile(latencies, 99) * 1000,
            "errors": errors,
        }
    if workload.startswith("tree"):
        return _tree_upload(server, ws, int(workload[4:]))
    if workload.startswith("list"):
        marker = server.process.root / ".ab-touch"
        marker.touch()
        marker.unlink()
        return {"ms": probe_list(server.port, 1)[0] * 1000}
    s0, c0, t0 = tree_cpu(server.pid), self_cpu(), time.perf_counter()
    with server.connect() as client:
        if workload == "upload":
            probe_put(client, ws.root / "big.bin", "up.bin", _SHA[0])
        else:
            client.get_into("big.bin", None)
    seconds = time.perf_counter() - t0
    if workload == "upload":  # a new file every round, as in the suite (bulk.py says why)
        unlink_quietly(server.process.root / "up.bin")
    gib = BULK / (1 << 30)
    return {
        "MiB/s": BULK / MiB / seconds,
        "server CPU s/GiB": (tree_cpu(server.pid) - s0) / gib,
        "client CPU s/GiB": (self_cpu() - c0) / gib,
    }


_SHA = [""]


def _tree_upload(server: FerryServer, ws: Workspace, files: int) -> dict[str, float]:
    """One ``put_tree`` of the tree made for ``files``; its folder is removed after,
    outside the timing (as the bench's tree section does)."""
    source = ws.root / f"tree-{files}"
    if not source.exists():
        make_tree(source, max(1, files // 100), min(files, 100), 16 * 1024)
    target = f"up-{next(_ROUND)}"
    s0, t0 = tree_cpu(server.pid), time.perf_counter()
    with server.connect() as client:
        report = client.put_tree(source, target)
    seconds, cpu = time.perf_counter() - t0, tree_cpu(server.pid) - s0
    shutil.rmtree(server.process.root / target)
    return {"files/s": files / seconds, "server CPU ms/file": 1000 * cpu / files, "failed": len(report.failed)}


_ROUND = itertools.count()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    server_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the other checkout (holds run_server.py)")
    parser.add_argument("workloads", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    trees = {"A": REPO, "B": args.other.resolve()}
    with Workspace() as ws:
        make_file(ws.root / "local.bin", 64 * 1024)
        big = make_file(ws.root / "big.bin", BULK)
        _SHA[0] = file_sha256(big)
        for workload in args.workloads:
            servers = {}
            try:
                for key, tree in trees.items():
                    root = ws.folder(f"{workload}-{key}")
                    if workload.startswith("list"):
                        make_empty_files(root, int(workload[4:]))
                    elif workload == "download":
                        make_file(root / "big.bin", BULK)
                    else:
                        make_file(root / SMALL_NAME, 64 * 1024)
                    servers[key] = FerryServer(root, *server_args, tree=tree).start()
                rows: dict[str, list[dict[str, float]]] = {k: [] for k in servers}
                for _ in range(args.rounds):
                    for key, server in servers.items():
                        rows[key].append(_one(workload, server, ws))
                for key, runs in rows.items():
                    cells = []
                    for name in runs[0]:
                        values = [r[name] for r in runs]
                        cells.append(f"{name} {statistics.median(values):.2f} [{min(values):.2f}..{max(values):.2f}]")
                    print(f"{workload:9s} {key} ({trees[key]}): " + "; ".join(cells), flush=True)
            finally:
                for server in servers.values():
                    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
